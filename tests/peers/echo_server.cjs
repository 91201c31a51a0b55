// An @tars/rpc server serving Interop.Echo as Test.Interop.EchoObj on 127.0.0.1, started
// without a TARS config file. Usage: node echo_server.cjs [port] (0 or none picks a free one).
// Prints {"port": N} on a line once it listens; stops when its stdin closes, so it never
// outlives the test that started it.
"use strict";

const Tars = require("@tars/rpc");
const TarsStream = require("@tars/stream");
const { Interop } = require("./interop_tars.cjs");

const SERVANT = "Test.Interop.EchoObj";

const EchoImp = function () {
  Interop.EchoImp.call(this);
  this._notes = [];
};
EchoImp.prototype = Object.create(Interop.EchoImp.prototype);

EchoImp.prototype.echo = function (current, text) {
  current.sendResponse(text);
};
EchoImp.prototype.add = function (current, a, b) {
  current.sendResponse(0, a + b);
};
EchoImp.prototype.mirror = function (current, bag, back) {
  back.readFromObject(mirrorObject(bag.toObject()));
  current.sendResponse(bag.items.length, back);
};
EchoImp.prototype.note = function (current, text) {
  this._notes.push(text);
  current.sendResponse();
};
EchoImp.prototype.notes = function (current) {
  const list = new TarsStream.List(TarsStream.String);
  for (const text of this._notes) list.push(text);
  current.sendResponse(list);
};
EchoImp.prototype.fail = function (current, code, why) {
  current.sendErrorResponse(code, why);
};
EchoImp.prototype.addLong = function (current, a, b) {
  current.sendResponse(String(BigInt(a) + BigInt(b)));
};

/** The Bag that mirror answers, as plain JSON: the same rule as the Deno servant's. */
function mirrorObject(bag) {
  const counts = {};
  for (const [key, value] of Object.entries(bag.counts)) counts[key] = value + 1;
  return {
    title: bag.title + "!",
    items: bag.items.reverse().map((item) => ({
      id: item.id + 1,
      name: item.name.toUpperCase(),
      score: item.score * 2,
      blob: item.blob.reverse(),
    })),
    counts,
    big: String(BigInt(bag.big) + 1n),
    flag: !bag.flag,
  };
}

function main() {
  const svr = Tars.server.createServer(EchoImp);
  svr.start({
    name: SERVANT + "Adapter",
    servant: SERVANT,
    endpoint: `tcp -h 127.0.0.1 -p ${Number(process.argv[2] ?? 0)} -t 10000`,
    protocol: "tars",
  });
  // createServer(Imp) wraps a HeroServer; its one adapter's net thread owns the listener.
  const listener = svr._server._adapters[0]._netthread._listener;
  const ready = () => console.log(JSON.stringify({ port: listener.address().port }));
  if (listener.listening) ready();
  else listener.once("listening", ready);
  listener.once("error", (error) => {
    console.error(`listen failed: ${error.message}`);
    process.exit(1);
  });
  process.stdin.on("end", () => {
    svr.stop();
    process.exit(0);
  }).resume();
}

main();
