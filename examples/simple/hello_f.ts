/**
 * `TestApp.Hello` from Hello.tars, declared for this project's RPC client: what a Deno client of
 * the example service imports (examples/simple/client.ts, the demo and the lifecycle tests).
 *
 * @module
 */
import { defineInterface, int32, out, param, string } from "../../protocol/mod.ts";

/** The servant the example service serves on its adapter endpoint. */
export const HELLO_OBJ = "TestApp.Hello.HelloObj";

/** `interface Hello` of Hello.tars. */
export const HelloF = defineInterface("Hello", {
  sayHello: { params: [param("name", string), out("greeting", string)], ret: int32 },
  slow: { params: [param("ms", int32)], ret: int32 },
});
