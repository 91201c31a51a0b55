// tars.QueryF and the K8STARS tars.Registry extension (IDL in ../shared/spec/protocol.md), in the
// shape tars2node generates for @tars/rpc clients: structs with _readFrom/_writeTo/toObject/
// readFromObject, and proxies whose methods encode the arguments and decode the reply.
"use strict";

const TarsStream = require("@tars/stream");

const tars = {};
module.exports.tars = tars;

/**
 * Declares a struct the way tars2node does. `fields` lists [tag, name, kind, require, extra]: kind
 * "string", "int32" or "bool" with extra its default, or "list"/"map" with extra the TarsStream
 * container type (a factory giving a fresh one, as TarsStream.List(T) does).
 */
function isScalar(kind) {
  return kind !== "list" && kind !== "map";
}

function defineStruct(classname, fields) {
  const Struct = function () {
    for (const [, name, kind, , def] of fields) {
      this[name] = isScalar(kind) ? def : def();
    }
    this._classname = classname;
  };
  Struct._classname = classname;
  Struct._write = (os, tag, value) => os.writeStruct(tag, value);
  Struct._read = (is, tag, def) => is.readStruct(tag, true, def);
  Struct._readFrom = function (is) {
    const tmp = new Struct();
    for (const [tag, name, kind, require, def] of fields) {
      if (kind === "string") tmp[name] = is.readString(tag, require, def);
      else if (kind === "int32") tmp[name] = is.readInt32(tag, require, def);
      else if (kind === "bool") tmp[name] = is.readBoolean(tag, require, def);
      else if (kind === "map") tmp[name] = is.readMap(tag, require, def());
      else tmp[name] = is.readList(tag, require, def());
    }
    return tmp;
  };
  Struct.prototype._writeTo = function (os) {
    for (const [tag, name, kind] of fields) {
      const value = this[name];
      if (kind === "string") os.writeString(tag, value);
      else if (kind === "int32") os.writeInt32(tag, value);
      else if (kind === "bool") os.writeBoolean(tag, value);
      else if (kind === "map") os.writeMap(tag, value);
      else os.writeList(tag, value);
    }
  };
  Struct.prototype.toObject = function () {
    const out = {};
    for (const [, name, kind] of fields) {
      out[name] = isScalar(kind) ? this[name] : this[name].toObject();
    }
    return out;
  };
  Struct.prototype.readFromObject = function (json) {
    for (const [, name, kind] of fields) {
      if (!Object.hasOwn(json, name)) continue;
      if (isScalar(kind)) this[name] = json[name];
      else this[name].readFromObject(json[name]);
    }
    return this;
  };
  Struct.new = () => new Struct();
  Struct.create = (is) => Struct._readFrom(is);
  return Struct;
}

const StringList = () => TarsStream.List(TarsStream.String);
const StringMap = () => TarsStream.Map(TarsStream.String, TarsStream.String);

tars.EndpointF = defineStruct("tars.EndpointF", [
  [0, "host", "string", true, ""],
  [1, "port", "int32", true, 0],
  [2, "timeout", "int32", true, 0],
  [3, "istcp", "int32", true, 0],
  [4, "grid", "int32", true, 0],
  [5, "groupworkid", "int32", false, 0],
  [6, "grouprealid", "int32", false, 0],
  [7, "setId", "string", false, ""],
  [8, "qos", "int32", false, 0],
  [9, "bakFlag", "int32", false, 0],
  [11, "weight", "int32", false, 0],
  [12, "weightType", "int32", false, 0],
]);

tars.AdapterConf = defineStruct("tars.AdapterConf", [
  [0, "servant", "string", true, ""],
  [1, "endpoint", "string", true, ""],
  [2, "protocol", "string", false, ""],
  [3, "maxConns", "int32", false, 0],
  [4, "threadNum", "int32", false, 0],
  [5, "queueCap", "int32", false, 0],
  [6, "queueTimeout", "int32", false, 0],
]);

tars.onStartupReq = defineStruct("tars.onStartupReq", [
  [0, "nodeName", "string", true, ""],
  [1, "application", "string", true, ""],
  [2, "server", "string", true, ""],
  [3, "setID", "string", false, ""],
  [4, "adapters", "list", false, () => TarsStream.List(tars.AdapterConf)],
  [5, "disableFlow", "bool", false, false],
  [6, "State", "string", false, "active"],
  [7, "Version", "string", false, ""],
]);

tars.onPrestopReq = defineStruct("tars.onPrestopReq", [
  [0, "nodeName", "string", true, ""],
  [1, "application", "string", false, ""],
  [2, "server", "string", false, ""],
]);

tars.keepAliveReq = defineStruct("tars.keepAliveReq", [
  [0, "nodeName", "string", true, ""],
  [1, "state", "string", true, ""],
  [2, "application", "string", false, ""],
  [3, "server", "string", false, ""],
]);

tars.RegisterMetricsReq = defineStruct("tars.RegisterMetricsReq", [
  [0, "nodeName", "string", true, ""],
  [1, "application", "string", true, ""],
  [2, "server", "string", true, ""],
  [3, "metricsPort", "int32", true, 0],
]);

tars.GetMetricsAdaptersReq = defineStruct("tars.GetMetricsAdaptersReq", [
  [0, "filter", "map", false, StringMap],
]);

tars.MetricsAdapterInfo = defineStruct("tars.MetricsAdapterInfo", [
  [0, "targets", "list", false, StringList],
  [1, "labels", "map", false, StringMap],
]);

// ---------------------------------------------------------------------------------------------
// Proxies: each method resolves to {request, response: {return, arguments}} or rejects with
// {request, response: {error: {code, message}}}, as tars2node's do.

function invoke(proxy, func, encode, decode, property) {
  const os = new TarsStream.TarsOutputStream();
  encode(os);
  return proxy._worker.tars_invoke(func, os.getBinBuffer(), property).then(
    (data) => {
      const is = new TarsStream.TarsInputStream(data.response.sBuffer);
      return {
        request: data.request,
        response: { costtime: data.request.costtime, ...decode(is) },
      };
    },
    (data) => {
      throw { request: data.request, response: { error: data.error } };
    },
  );
}

function proxyClass() {
  const Proxy = function () {
    this._name = undefined;
    this._worker = undefined;
  };
  Proxy.prototype.setTimeout = function (iTimeout) {
    this._worker.timeout = iTimeout;
  };
  return Proxy;
}

const EndpointList = () => TarsStream.List(tars.EndpointF);

tars.QueryFProxy = proxyClass();
tars.QueryFProxy.prototype.findObjectById = function (id, property) {
  return invoke(this, "findObjectById", (os) => os.writeString(1, id), (is) => ({
    return: is.readList(0, true, EndpointList()),
  }), property);
};
/** The four lookups of shape `int f(string id, [string extra,] out active, out inactive)`. */
function lookup(func, withExtra) {
  return function (...args) {
    const [id, extra] = args;
    const property = withExtra ? args[2] : args[1];
    const first = withExtra ? 3 : 2;
    return invoke(this, func, (os) => {
      os.writeString(1, id);
      if (withExtra) os.writeString(2, extra);
    }, (is) => ({
      return: is.readInt32(0, true, 0),
      arguments: {
        activeEp: is.readList(first, true, EndpointList()),
        inactiveEp: is.readList(first + 1, true, EndpointList()),
      },
    }), property);
  };
}
tars.QueryFProxy.prototype.findObjectById4Any = lookup("findObjectById4Any", false);
tars.QueryFProxy.prototype.findObjectById4All = lookup("findObjectById4All", false);
tars.QueryFProxy.prototype.findObjectByIdInSameGroup = lookup("findObjectByIdInSameGroup", false);
tars.QueryFProxy.prototype.findObjectByIdInSameStation = lookup(
  "findObjectByIdInSameStation",
  true,
);
tars.QueryFProxy.prototype.findObjectByIdInSameSet = lookup("findObjectByIdInSameSet", true);

tars.RegistryProxy = proxyClass();
for (
  const [func, Req] of [
    ["onStartup", tars.onStartupReq],
    ["onPrestop", tars.onPrestopReq],
    ["keepAlive", tars.keepAliveReq],
    ["registerMetrics", tars.RegisterMetricsReq],
  ]
) {
  tars.RegistryProxy.prototype[func] = function (req, property) {
    if (!(req instanceof Req)) req = new Req().readFromObject(req);
    return invoke(this, func, (os) => os.writeStruct(1, req), () => ({}), property);
  };
}
tars.RegistryProxy.prototype.getMetricsAdapters = function (req, property) {
  if (!(req instanceof tars.GetMetricsAdaptersReq)) {
    req = new tars.GetMetricsAdaptersReq().readFromObject(req);
  }
  return invoke(this, "getMetricsAdapters", (os) => os.writeStruct(1, req), (is) => ({
    arguments: { rsp: is.readList(2, true, TarsStream.List(tars.MetricsAdapterInfo)) },
  }), property);
};
