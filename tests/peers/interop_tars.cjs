// Interop.Echo from interop.tars, in the shape tars2node --long-type=string generates for
// @tars/rpc: structs with _readFrom/_writeTo, a servant base class whose onDispatch decodes the
// arguments and binds current.sendResponse, and a proxy whose methods encode the arguments and
// decode the reply. Servant requests are plain TARS (version 1, what our client sends); the proxy
// also speaks simple TUP (version 3) for echo, add and addLong when its worker's version is 3.
"use strict";

const TarsStream = require("@tars/stream");
const TarsError = require("@tars/rpc").error;

const Interop = {};
module.exports.Interop = Interop;

Interop.Item = function () {
  this.id = 0;
  this.name = "";
  this.score = 0;
  this.blob = new TarsStream.BinBuffer();
  this._classname = "Interop.Item";
};
Interop.Item._classname = "Interop.Item";
Interop.Item._write = function (os, tag, value) {
  os.writeStruct(tag, value);
};
Interop.Item._read = function (is, tag, def) {
  return is.readStruct(tag, true, def);
};
Interop.Item._readFrom = function (is) {
  const tmp = new Interop.Item();
  tmp.id = is.readInt32(0, true, 0);
  tmp.name = is.readString(1, false, "");
  tmp.score = is.readDouble(2, false, 0);
  tmp.blob = is.readBytes(3, false, TarsStream.BinBuffer);
  return tmp;
};
Interop.Item.prototype._writeTo = function (os) {
  os.writeInt32(0, this.id);
  os.writeString(1, this.name);
  os.writeDouble(2, this.score);
  os.writeBytes(3, this.blob);
};
Interop.Item.prototype.toObject = function () {
  return { id: this.id, name: this.name, score: this.score, blob: [...this.blob.toNodeBuffer()] };
};
Interop.Item.prototype.readFromObject = function (json) {
  !Object.hasOwn(json, "id") || (this.id = json.id);
  !Object.hasOwn(json, "name") || (this.name = json.name);
  !Object.hasOwn(json, "score") || (this.score = json.score);
  if (Object.hasOwn(json, "blob")) {
    this.blob = new TarsStream.BinBuffer(Buffer.from(json.blob));
  }
  return this;
};
Interop.Item.new = function () {
  return new Interop.Item();
};
Interop.Item.create = function (is) {
  return Interop.Item._readFrom(is);
};

Interop.Bag = function () {
  this.title = "";
  this.items = new TarsStream.List(Interop.Item);
  this.counts = new TarsStream.Map(TarsStream.String, TarsStream.Int32);
  this.big = "0";
  this.flag = false;
  this._classname = "Interop.Bag";
};
Interop.Bag._classname = "Interop.Bag";
Interop.Bag._write = function (os, tag, value) {
  os.writeStruct(tag, value);
};
Interop.Bag._read = function (is, tag, def) {
  return is.readStruct(tag, true, def);
};
Interop.Bag._readFrom = function (is) {
  const tmp = new Interop.Bag();
  tmp.title = is.readString(0, true, "");
  tmp.items = is.readList(1, false, TarsStream.List(Interop.Item));
  tmp.counts = is.readMap(2, false, TarsStream.Map(TarsStream.String, TarsStream.Int32));
  tmp.big = String(is.readInt64(3, false, "0", true));
  tmp.flag = is.readBoolean(4, false, false);
  return tmp;
};
Interop.Bag.prototype._writeTo = function (os) {
  os.writeString(0, this.title);
  os.writeList(1, this.items);
  os.writeMap(2, this.counts);
  os.writeInt64(3, this.big, true);
  os.writeBoolean(4, this.flag);
};
Interop.Bag.prototype.toObject = function () {
  return {
    title: this.title,
    items: this.items.toObject(),
    counts: this.counts.toObject(),
    big: this.big,
    flag: this.flag,
  };
};
Interop.Bag.prototype.readFromObject = function (json) {
  !Object.hasOwn(json, "title") || (this.title = json.title);
  !Object.hasOwn(json, "items") || this.items.readFromObject(json.items);
  !Object.hasOwn(json, "counts") || this.counts.readFromObject(json.counts);
  !Object.hasOwn(json, "big") || (this.big = String(json.big));
  !Object.hasOwn(json, "flag") || (this.flag = json.flag);
  return this;
};
Interop.Bag.new = function () {
  return new Interop.Bag();
};
Interop.Bag.create = function (is) {
  return Interop.Bag._readFrom(is);
};

// ---------------------------------------------------------------------------------------------
// Servant side: subclass EchoImp and implement the methods; each calls current.sendResponse.

Interop.EchoImp = function () {
  this._name = undefined;
  this._worker = undefined;
};
Interop.EchoImp.prototype.initialize = function () {};

/** Writes a plain TARS reply body: `write(os)` fills it. */
function respond(current, write) {
  const os = new TarsStream.TarsOutputStream();
  write(os);
  current.doResponse(os.getBinBuffer());
}

Interop.EchoImp.prototype.__tars_ping = function (current) {
  current.sendResponse = (ret) => respond(current, (os) => os.writeInt32(0, ret));
  current.sendResponse(0);
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.__echo = function (current, binBuffer) {
  const is = new TarsStream.TarsInputStream(binBuffer);
  const text = is.readString(1, true, "");
  current.sendResponse = (ret) => respond(current, (os) => os.writeString(0, ret));
  this.echo(current, text);
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.__add = function (current, binBuffer) {
  const is = new TarsStream.TarsInputStream(binBuffer);
  const a = is.readInt32(1, true, 0);
  const b = is.readInt32(2, true, 0);
  current.sendResponse = (ret, sum) =>
    respond(current, (os) => {
      os.writeInt32(0, ret);
      os.writeInt32(3, sum);
    });
  this.add(current, a, b, 0);
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.__mirror = function (current, binBuffer) {
  const is = new TarsStream.TarsInputStream(binBuffer);
  const bag = is.readStruct(1, true, Interop.Bag);
  current.sendResponse = (ret, back) =>
    respond(current, (os) => {
      os.writeInt32(0, ret);
      os.writeStruct(2, back);
    });
  this.mirror(current, bag, new Interop.Bag());
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.__note = function (current, binBuffer) {
  const is = new TarsStream.TarsInputStream(binBuffer);
  const text = is.readString(1, true, "");
  current.sendResponse = () => respond(current, () => {});
  this.note(current, text);
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.__notes = function (current) {
  current.sendResponse = (ret) => respond(current, (os) => os.writeList(0, ret));
  this.notes(current);
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.__fail = function (current, binBuffer) {
  const is = new TarsStream.TarsInputStream(binBuffer);
  const code = is.readInt32(1, true, 0);
  const why = is.readString(2, true, "");
  current.sendResponse = (ret) => respond(current, (os) => os.writeInt32(0, ret));
  this.fail(current, code, why);
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.__addLong = function (current, binBuffer) {
  const is = new TarsStream.TarsInputStream(binBuffer);
  const a = String(is.readInt64(1, true, "0", true));
  const b = String(is.readInt64(2, true, "0", true));
  current.sendResponse = (ret) => respond(current, (os) => os.writeInt64(0, ret, true));
  this.addLong(current, a, b);
  return TarsError.SUCCESS;
};
Interop.EchoImp.prototype.onDispatch = function (current, funcName, binBuffer) {
  if (current.getRequestVersion() !== TarsStream.Tup.TUP_SIMPLE && "__" + funcName in this) {
    return this["__" + funcName](current, binBuffer);
  }
  return TarsError.SERVER.FUNC_NOT_FOUND;
};

// ---------------------------------------------------------------------------------------------
// Proxy side: each method resolves to {request, response: {return, arguments}} or rejects with
// {request, response: {error: {code, message}}}.

Interop.EchoProxy = function () {
  this._name = undefined;
  this._worker = undefined;
};
Interop.EchoProxy.prototype.setTimeout = function (iTimeout) {
  this._worker.timeout = iTimeout;
};

/** Whether this proxy's worker speaks simple TUP. */
function isTup(proxy) {
  return proxy._worker.version === TarsStream.Tup.TUP_SIMPLE;
}

/** Calls `func`: `encode()` gives the TARS body, `decode(is)` reads the reply body. */
function invoke(proxy, func, encode, decode, property) {
  const os = new TarsStream.TarsOutputStream();
  encode(os);
  return proxy._worker.tars_invoke(func, os.getBinBuffer(), property).then(
    (data) => decodeWith(data, () => decode(new TarsStream.TarsInputStream(data.response.sBuffer))),
    rethrow,
  );
}

/** Calls `func` over simple TUP: `encode(tup)` names the arguments, `decode(tup)` reads. */
function invokeTup(proxy, func, encode, decode, property) {
  const tup = new TarsStream.UniAttribute();
  tup.tupVersion = TarsStream.Tup.TUP_SIMPLE;
  encode(tup);
  return proxy._worker.tup_invoke(func, tup, property).then(
    (data) => decodeWith(data, () => decode(data.response.tup)),
    rethrow,
  );
}

function decodeWith(data, read) {
  try {
    return { request: data.request, response: { costtime: data.request.costtime, ...read() } };
  } catch (e) {
    throw {
      request: data.request,
      response: {
        costtime: data.request.costtime,
        error: { code: TarsError.CLIENT.DECODE_ERROR, message: e.message },
      },
    };
  }
}

function rethrow(data) {
  throw {
    request: data.request,
    response: { costtime: data.request.costtime, error: data.error },
  };
}

Interop.EchoProxy.prototype.echo = function (text, property) {
  if (isTup(this)) {
    return invokeTup(this, "echo", (tup) => tup.writeString("text", text), (tup) => ({
      return: tup.readString(""),
    }), property);
  }
  return invoke(this, "echo", (os) => os.writeString(1, text), (is) => ({
    return: is.readString(0, true, ""),
  }), property);
};
Interop.EchoProxy.prototype.add = function (a, b, property) {
  if (isTup(this)) {
    return invokeTup(
      this,
      "add",
      (tup) => {
        tup.writeInt32("a", a);
        tup.writeInt32("b", b);
      },
      (tup) => ({ return: tup.readInt32(""), arguments: { sum: tup.readInt32("sum") } }),
      property,
    );
  }
  return invoke(this, "add", (os) => {
    os.writeInt32(1, a);
    os.writeInt32(2, b);
  }, (is) => ({
    return: is.readInt32(0, true, 0),
    arguments: { sum: is.readInt32(3, true, 0) },
  }), property);
};
Interop.EchoProxy.prototype.mirror = function (bag, property) {
  return invoke(this, "mirror", (os) => os.writeStruct(1, bag), (is) => ({
    return: is.readInt32(0, true, 0),
    arguments: { back: is.readStruct(2, true, Interop.Bag) },
  }), property);
};
Interop.EchoProxy.prototype.note = function (text, property) {
  return invoke(this, "note", (os) => os.writeString(1, text), () => ({}), property);
};
Interop.EchoProxy.prototype.notes = function (property) {
  return invoke(this, "notes", () => {}, (is) => ({
    return: is.readList(0, true, TarsStream.List(TarsStream.String)),
  }), property);
};
Interop.EchoProxy.prototype.fail = function (code, why, property) {
  return invoke(
    this,
    "fail",
    (os) => {
      os.writeInt32(1, code);
      os.writeString(2, why);
    },
    (is) => ({ return: is.readInt32(0, true, 0) }),
    property,
  );
};
Interop.EchoProxy.prototype.addLong = function (a, b, property) {
  if (isTup(this)) {
    return invokeTup(
      this,
      "addLong",
      (tup) => {
        tup.writeInt64("a", a, true);
        tup.writeInt64("b", b, true);
      },
      (tup) => ({ return: String(tup.readInt64("", undefined, true)) }),
      property,
    );
  }
  return invoke(
    this,
    "addLong",
    (os) => {
      os.writeInt64(1, a, true);
      os.writeInt64(2, b, true);
    },
    (is) => ({ return: String(is.readInt64(0, true, "0", true)) }),
    property,
  );
};
