/**
 * Our TarsServer serving {@link BenchEcho} on 127.0.0.1 at the port given as the first argument, until killed.
 *
 * @module
 */
import { TarsServer } from "../../protocol/mod.ts";
import { BENCH_SERVANT, BenchEcho } from "./echo_iface.ts";

const server = new TarsServer();
server.addServant(BENCH_SERVANT, BenchEcho, { echo: ({ data }) => ({ ret: data }) });
server.listen(`tcp -h 127.0.0.1 -p ${Number(Deno.args[0])}`);
