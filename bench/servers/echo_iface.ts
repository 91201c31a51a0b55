/**
 * The interface every benchmarked RPC server serves: one method that returns its argument.
 *
 * @module
 */
import { bytes, defineInterface, param } from "../../protocol/mod.ts";

/** Servant name the benchmark servers answer under. */
export const BENCH_SERVANT = "Bench.EchoServer.EchoObj";

/** `vector<byte> echo(vector<byte> data)`. */
export const BenchEcho = defineInterface("BenchEcho", {
  echo: { params: [param("data", bytes)], ret: bytes },
});
