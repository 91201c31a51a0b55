// The @tars/rpc peer of the registry lookup bench: the official server serving
// `tars.tarsregistry.QueryObj` `vector<EndpointF> findObjectById(string id)` from a map, on
// 127.0.0.1 at the port given as the first argument, until killed. The second argument is JSON
// `{ objectName: [EndpointF as a plain object, ...] }`; unknown objects answer an empty list.
// EndpointF (tags 0-12 as in EndpointF.tars) and the QueryF dispatcher have the shape tars2node
// generates for @tars/rpc, for the TARS (version 1) protocol.
"use strict";
const TarsRpc = require("@tars/rpc");
const TarsStream = require("@tars/stream");

const tars = {};

tars.EndpointF = function () {
  this.host = "";
  this.port = 0;
  this.timeout = 0;
  this.istcp = 0;
  this.grid = 0;
  this.groupworkid = 0;
  this.grouprealid = 0;
  this.setId = "";
  this.qos = 0;
  this.bakFlag = 0;
  this.weight = 0;
  this.weightType = 0;
  this._classname = "tars.EndpointF";
};
tars.EndpointF._classname = "tars.EndpointF";
tars.EndpointF._write = function (os, tag, value) {
  os.writeStruct(tag, value);
};
tars.EndpointF._read = function (is, tag, def) {
  return is.readStruct(tag, true, def);
};
tars.EndpointF._readFrom = function (is) {
  const tmp = new tars.EndpointF();
  tmp.host = is.readString(0, true, "");
  tmp.port = is.readInt32(1, true, 0);
  tmp.timeout = is.readInt32(2, true, 0);
  tmp.istcp = is.readInt32(3, true, 0);
  tmp.grid = is.readInt32(4, true, 0);
  tmp.groupworkid = is.readInt32(5, false, 0);
  tmp.grouprealid = is.readInt32(6, false, 0);
  tmp.setId = is.readString(7, false, "");
  tmp.qos = is.readInt32(8, false, 0);
  tmp.bakFlag = is.readInt32(9, false, 0);
  tmp.weight = is.readInt32(11, false, 0);
  tmp.weightType = is.readInt32(12, false, 0);
  return tmp;
};
tars.EndpointF.prototype._writeTo = function (os) {
  os.writeString(0, this.host);
  os.writeInt32(1, this.port);
  os.writeInt32(2, this.timeout);
  os.writeInt32(3, this.istcp);
  os.writeInt32(4, this.grid);
  os.writeInt32(5, this.groupworkid);
  os.writeInt32(6, this.grouprealid);
  os.writeString(7, this.setId);
  os.writeInt32(8, this.qos);
  os.writeInt32(9, this.bakFlag);
  os.writeInt32(11, this.weight);
  os.writeInt32(12, this.weightType);
};
tars.EndpointF.prototype.readFromObject = function (json) {
  for (const key of Object.keys(json)) {
    if (Object.hasOwn(this, key) && key !== "_classname") this[key] = json[key];
  }
  return this;
};
tars.EndpointF.new = function () {
  return new tars.EndpointF();
};
tars.EndpointF.create = function (is) {
  return tars.EndpointF._readFrom(is);
};

// Servant side of QueryF as tars2node writes it: onDispatch finds `__<method>`, which decodes
// the arguments, binds current.sendResponse and calls the implementation.
tars.QueryFImp = function () {
  this._name = undefined;
  this._worker = undefined;
};
tars.QueryFImp.prototype.initialize = function () {};
tars.QueryFImp.prototype.onDispatch = function (current, funcName, binBuffer) {
  const method = this["__" + funcName];
  if (typeof method !== "function") return TarsRpc.error.SERVER.FUNC_NOT_FOUND;
  return method.call(this, current, binBuffer);
};
tars.QueryFImp.prototype.__findObjectById = function (current, binBuffer) {
  const is = new TarsStream.TarsInputStream(binBuffer);
  const id = is.readString(1, true, "");
  current.sendResponse = function (ret) {
    const os = new TarsStream.TarsOutputStream();
    os.writeList(0, ret);
    current.doResponse(os.getBinBuffer());
  };
  this.findObjectById(current, id);
  return TarsRpc.error.SUCCESS;
};

// The implementation: answers from a map built once at start.
const table = new Map();
for (const [id, endpoints] of Object.entries(JSON.parse(process.argv[3] || "{}"))) {
  table.set(id, new TarsStream.List(tars.EndpointF).readFromObject(endpoints));
}
const EMPTY = new TarsStream.List(tars.EndpointF);

function QueryImp() {
  tars.QueryFImp.call(this);
}
QueryImp.prototype = Object.create(tars.QueryFImp.prototype);
QueryImp.prototype.findObjectById = function (current, id) {
  current.sendResponse(table.get(id) || EMPTY);
};

const option = new TarsRpc.server.BindAdapterOption();
option.endpoint = `tcp -h 127.0.0.1 -p ${Number(process.argv[2])} -t 60000`;
option.name = "tars.tarsregistry.QueryObjAdapter";
option.servant = "tars.tarsregistry.QueryObj";
option.handleImp = QueryImp;
const server = TarsRpc.server.createServer();
server.start(option);
