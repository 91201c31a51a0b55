// The official @tars/rpc server serving `vector<byte> echo(vector<byte> data)` on 127.0.0.1 at
// the port given as the first argument; runs until killed.
// The dispatcher is what tars2node generates for this method, for the TARS (version 1) protocol.
"use strict";
const TarsRpc = require("@tars/rpc");
const TarsStream = require("@tars/stream");

function EchoImp() {}
EchoImp.prototype.initialize = function () {};
EchoImp.prototype.onDispatch = function (current, funcName, binBuffer) {
  if (funcName !== "echo") return TarsRpc.error.SERVER.FUNC_NOT_FOUND;
  const is = new TarsStream.TarsInputStream(binBuffer);
  const data = is.readBytes(1, true, TarsStream.BinBuffer);
  const os = new TarsStream.TarsOutputStream();
  os.writeBytes(0, data);
  current.doResponse(os.getBinBuffer());
  return TarsRpc.error.SUCCESS;
};

const option = new TarsRpc.server.BindAdapterOption();
option.endpoint = `tcp -h 127.0.0.1 -p ${Number(process.argv[2])} -t 60000`;
option.name = "Bench.EchoServer.EchoObjAdapter";
option.servant = "Bench.EchoServer.EchoObj";
option.handleImp = EchoImp;
const server = TarsRpc.server.createServer();
server.start(option);
