// The servant side of Hello.tars (tars.AdminF and TestApp.Hello) in the shape tars2node generates
// for @tars/rpc: a servant base class per interface whose onDispatch decodes the arguments, binds
// current.sendResponse to the reply encoder, and calls the method the service implements. Only the
// servant side is here: the example's clients are written in Deno with protocol/ (hello_f.ts).
"use strict";

const TarsStream = require("@tars/stream");
const TarsError = require("@tars/rpc").error;

/** Writes a plain TARS reply body: `write(os)` fills it. */
function respond(current, write) {
  const os = new TarsStream.TarsOutputStream();
  write(os);
  current.doResponse(os.getBinBuffer());
}

/** A servant base class: `methods` maps a name to its decoder (binBuffer -> arguments). */
function servantBase(methods) {
  const Imp = function () {
    this._name = undefined;
    this._worker = undefined;
  };
  Imp.prototype.initialize = function () {};
  Imp.prototype.__tars_ping = function (current) {
    current.sendResponse = (ret) => respond(current, (os) => os.writeInt32(0, ret));
    current.sendResponse(0);
    return TarsError.SUCCESS;
  };
  Imp.prototype.onDispatch = function (current, funcName, binBuffer) {
    if (funcName === "tars_ping") return this.__tars_ping(current);
    const method = methods[funcName];
    if (!method || current.getRequestVersion() === TarsStream.Tup.TUP_SIMPLE) {
      return TarsError.SERVER.FUNC_NOT_FOUND;
    }
    const is = new TarsStream.TarsInputStream(binBuffer);
    const args = method.decode(is);
    current.sendResponse = (...results) => respond(current, (os) => method.encode(os, ...results));
    this[funcName](current, ...args);
    return TarsError.SUCCESS;
  };
  return Imp;
}

const tars = {};
const TestApp = {};
module.exports.tars = tars;
module.exports.TestApp = TestApp;

tars.AdminFImp = servantBase({
  shutdown: { decode: () => [], encode: () => {} },
  notify: {
    decode: (is) => [is.readString(1, true, "")],
    encode: (os, ret) => os.writeString(0, ret),
  },
  getPid: { decode: () => [], encode: (os, ret) => os.writeInt64(0, ret) },
});

TestApp.HelloImp = servantBase({
  sayHello: {
    decode: (is) => [is.readString(1, true, "")],
    encode: (os, ret, greeting) => {
      os.writeInt32(0, ret);
      os.writeString(2, greeting);
    },
  },
  slow: { decode: (is) => [is.readInt32(1, true, 0)], encode: (os, ret) => os.writeInt32(0, ret) },
});
