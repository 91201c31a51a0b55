// TestApp.Hello: a TARS service on the official Node framework (@tars/rpc), run unchanged by
// `tarscli supervisor`. It reads the config genconf wrote (--config=PATH), serves HelloObj on the
// adapter endpoints of that config and AdminObj (tars.AdminF) on its `local` endpoint, as every
// TARS service does: `tarscli notify` and the supervisor's prestop and shutdown talk to it there.
//
// AdminF.shutdown and SIGTERM stop it gracefully: calls in flight are answered first (at most
// STOP_WAIT_MS), then the listeners and connections close and the process exits 0.
"use strict";

const Tars = require("@tars/rpc");
const { tars, TestApp } = require("./hello_tars.cjs");

const HELLO_SERVANT = "TestApp.Hello.HelloObj";
const STOP_WAIT_MS = 10_000;

const configArg = process.argv.find((arg) => arg.startsWith("--config="));
if (!configArg) {
  console.error("service.cjs: pass the TARS config as --config=PATH (start.sh does)");
  process.exit(2);
}
const configFile = configArg.slice("--config=".length);

const server = new Tars.server();
let inFlight = 0;
let stopping = false;
let logLevel = "DEBUG";
const startedAt = Date.now();

function log(line) {
  console.log(`${new Date().toISOString()} [${process.pid}] ${line}`);
}

/** Counts a call until its reply is sent, so a graceful stop can wait for it. */
function track(current) {
  inFlight++;
  const send = current.sendResponse;
  current.sendResponse = (...results) => {
    inFlight--;
    send(...results);
  };
}

function stop(why) {
  if (stopping) return;
  stopping = true;
  log(`stopping (${why}); ${inFlight} call(s) in flight`);
  const deadline = Date.now() + STOP_WAIT_MS;
  const poll = setInterval(() => {
    if (inFlight > 0 && Date.now() < deadline) return;
    clearInterval(poll);
    server.stop();
    log(`stopped; ${inFlight} call(s) unanswered`);
    process.exit(0);
  }, 20);
}

const HelloImp = function () {
  TestApp.HelloImp.call(this);
};
HelloImp.prototype = Object.create(TestApp.HelloImp.prototype);
HelloImp.prototype.sayHello = function (current, name) {
  track(current);
  const pod = process.env.POD_NAME || `pid ${process.pid}`;
  current.sendResponse(0, `Hello ${name}, from ${pod}`);
};
HelloImp.prototype.slow = function (current, ms) {
  track(current);
  setTimeout(() => current.sendResponse(ms), Math.max(0, ms));
};

const AdminImp = function () {
  tars.AdminFImp.call(this);
};
AdminImp.prototype = Object.create(tars.AdminFImp.prototype);
AdminImp.prototype.shutdown = function (current) {
  current.sendResponse();
  stop("AdminF.shutdown");
};
AdminImp.prototype.getPid = function (current) {
  current.sendResponse(process.pid);
};
AdminImp.prototype.notify = function (current, command) {
  const [name, ...args] = command.trim().split(/\s+/);
  let answer;
  switch (name) {
    case "prestop":
      answer = "prestop: taking no new work, finishing the calls in flight";
      break;
    case "tars.viewstatus":
      answer = [
        `app: ${server.Application}.${server.ServerName}`,
        `pid: ${process.pid}`,
        `uptime: ${Math.round((Date.now() - startedAt) / 1000)} s`,
        `calls in flight: ${inFlight}`,
        `log level: ${logLevel}`,
      ].join("\n");
      break;
    case "tars.setloglevel":
      if (!/^(DEBUG|INFO|WARN|ERROR|NONE)$/.test(args[0] ?? "")) {
        answer = "usage: tars.setloglevel DEBUG|INFO|WARN|ERROR|NONE";
      } else {
        logLevel = args[0];
        answer = `log level set to ${logLevel}`;
      }
      break;
    default:
      answer = `unknown command "${name}"; try tars.viewstatus or tars.setloglevel LEVEL`;
  }
  log(`notify "${command}": ${answer.split("\n")[0]}`);
  current.sendResponse(answer);
};

// @tars/rpc listens on every adapter of the config and will not start with one that has no
// servant: an adapter a TARS_MERGE_CONF file adds (the lifecycle tests add one) gets HelloImp.
server.initialize(configFile, (svr) => {
  svr.addServant(HelloImp, HELLO_SERVANT);
  for (const adapter of svr._adapters) {
    if (adapter.servantName !== HELLO_SERVANT) svr.addServant(HelloImp, adapter.servantName);
  }
});
const admin = new Tars.server.BindAdapterOption();
admin.endpoint = server.configure.get("tars.application.server.local");
admin.name = "AdminAdapter";
admin.servant = "AdminObj";
admin.handleImp = AdminImp;
server.start(admin);
for (const adapter of server._adapters) {
  log(`${adapter.servantName} on ${adapter.endpoint.toString()}`);
}
process.on("SIGTERM", () => stop("SIGTERM"));
