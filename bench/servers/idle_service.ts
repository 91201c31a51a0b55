/**
 * A stand-in service for the supervisor idle bench: accepts and closes TCP connections on every
 * endpoint of the TARS config genconf wrote (`endpoint=` of each adapter and `local=`), which is
 * all the supervisor's checks look at. Runs until killed.
 *
 * Run: `deno run --allow-read --allow-net bench/servers/idle_service.ts CONF_PATH`.
 *
 * @module
 */

/** The `host:port` of every `endpoint=` and `local=` line of a TARS config. */
function configEndpoints(text: string): { hostname: string; port: number }[] {
  const found = [];
  for (const m of text.matchAll(/^\s*(?:endpoint|local)\s*=\s*tcp\s.*?-h\s+(\S+).*?-p\s+(\d+)/gm)) {
    found.push({ hostname: m[1], port: Number(m[2]) });
  }
  return found;
}

async function serve(listener: Deno.Listener): Promise<void> {
  for await (const conn of listener) conn.close();
}

if (import.meta.main) {
  const [confPath] = Deno.args;
  if (!confPath) throw new TypeError("Pass the TARS config path: idle_service.ts CONF_PATH");
  const endpoints = configEndpoints(await Deno.readTextFile(confPath));
  if (endpoints.length === 0) throw new SyntaxError(`${confPath} has no tcp endpoint= or local=`);
  await Promise.all(endpoints.map((e) => serve(Deno.listen(e))));
}
