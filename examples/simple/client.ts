/**
 * A client of the example service that finds it through the registry, as any TARS client does:
 * `deno run --allow-net examples/simple/client.ts [LOCATOR] [NAME]`. LOCATOR defaults to the
 * registry `deno task start` runs (`tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890`).
 *
 * @module
 */
import { TarsClient } from "../../protocol/mod.ts";
import { HELLO_OBJ, HelloF } from "./hello_f.ts";

/** The registry of `deno task start`. */
export const DEFAULT_LOCATOR = "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890";

/** Calls `sayHello(name)` on TestApp.Hello.HelloObj found through `locator`; resolves to the greeting. */
export async function greet(locator: string, name: string): Promise<string> {
  const client = new TarsClient({ locator, timeout: 3000 });
  try {
    const { ret, greeting } = await client.proxy(HelloF, HELLO_OBJ).sayHello({ name });
    if (ret !== 0) throw new Error(`${HELLO_OBJ}.sayHello answered ${ret}`);
    return greeting;
  } finally {
    await client.close();
  }
}

if (import.meta.main) {
  const [locator = DEFAULT_LOCATOR, name = "world"] = Deno.args;
  try {
    console.log(await greet(locator, name));
  } catch (error) {
    console.error(
      `client: ${(error as Error).message}; is the registry at "${locator}" running, with the ` +
        "example service registered?",
    );
    Deno.exitCode = 1;
  }
}
