// An @tars/rpc client calling Interop.Echo. Usage:
//   node echo_client.cjs <direct object string> [<locator object string> <object name>]
// Calls every method on the direct object (over TARS, and echo/add/addLong also over simple TUP),
// then echo through the locator when one is given, and prints one JSON object with what each
// call returned: values as JSON (longs as decimal strings), failures as {code, message}.
// Exits non-zero with the error on standard error when a call fails in an unexpected way.
"use strict";

const util = require("node:util");
const Tars = require("@tars/rpc");
const TarsStream = require("@tars/stream");
const { Interop } = require("./interop_tars.cjs");

/** The error a failed call carries (proxy or raw tars_invoke rejection), as {code, message}. */
function failure(result) {
  const error = result?.response?.error ?? result?.error;
  if (!error) throw result;
  return { code: error.code, message: error.message };
}

/** Waits for a call that must fail and gives its error. */
async function expectFailure(call) {
  try {
    const result = await call;
    throw new Error(`expected a failure, got ${JSON.stringify(result.response)}`);
  } catch (result) {
    return failure(result);
  }
}

function sampleBag() {
  return new Interop.Bag().readFromObject({
    title: "bag",
    items: [
      { id: 1, name: "one", score: 0.25, blob: [0, 1, 255] },
      { id: -70000, name: "Zwei ß", score: -1.5, blob: [] },
    ],
    counts: { a: 1, b: -2, long: 100000 },
    big: "-9007199254740993",
    flag: true,
  });
}

async function callAll(prx, tupPrx) {
  const out = {};
  out.echo = [];
  for (const text of ["héllo €", "", "x".repeat(300)]) {
    out.echo.push((await prx.echo(text)).response.return);
  }
  const add = (await prx.add(2147483000, 647)).response;
  out.add = { return: add.return, sum: add.arguments.sum };
  const mirror = (await prx.mirror(sampleBag())).response;
  out.mirror = { return: mirror.return, back: mirror.arguments.back.toObject() };
  await prx.note("two-way");
  // One-way: @tars/rpc rejects the promise once the request is written, by design.
  const oneway = await expectFailure(prx.note("one-way", { packetType: 1 }));
  out.onewayMessage = oneway.message;
  out.notes = (await prx.notes()).response.return.toObject();
  out.fail = [await expectFailure(prx.fail(-9, "overloaded on purpose"))];
  out.fail.push(await expectFailure(prx.fail(1001, "positive code")));
  out.addLong = [];
  for (const [a, b] of [["9007199254740993", "1"], ["-9223372036854775807", "-1"], ["5", "-7"]]) {
    out.addLong.push((await prx.addLong(a, b)).response.return);
  }
  const empty = new TarsStream.TarsOutputStream().getBinBuffer();
  out.noFunction = await expectFailure(prx._worker.tars_invoke("missing", empty));
  const tupAdd = (await tupPrx.add(-5, 3)).response;
  out.tup = {
    echo: (await tupPrx.echo("tup €")).response.return,
    add: { return: tupAdd.return, sum: tupAdd.arguments.sum },
    addLong: (await tupPrx.addLong("9223372036854775806", "1")).response.return,
  };
  return out;
}

async function main() {
  const [direct, locator, name] = process.argv.slice(2);
  const comm = Tars.client;
  const prx = comm.stringToProxy(Interop.EchoProxy, direct);
  const tupComm = Tars.Communicator.New();
  const tupPrx = tupComm.stringToProxy(Interop.EchoProxy, direct);
  tupPrx._worker.version = TarsStream.Tup.TUP_SIMPLE;
  const otherServant = direct.replace(/^[^@]*/, "Test.Interop.NoSuchObj");
  const out = await callAll(prx, tupPrx);
  out.noServant = await expectFailure(
    comm.stringToProxy(Interop.EchoProxy, otherServant).echo("x"),
  );
  if (locator) {
    comm.setProperty("locator", locator);
    out.located = (await comm.stringToProxy(Interop.EchoProxy, name).echo("located")).response
      .return;
  }
  process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(0));
}

main().catch((error) => {
  const detail = util.inspect(error?.response?.error ?? error?.error ?? error, { depth: 2 });
  process.stderr.write(`echo_client failed: ${detail}\n`, () => process.exit(1));
});
