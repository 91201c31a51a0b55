// An @tars/rpc client of a running tarsregistry. Usage:
//   node registry_client.cjs <registry port> <echo server port>
// Registers pods through tars.tarsregistry.Registry (onStartup with adapters, keepAlive,
// registerMetrics, getMetricsAdapters, onPrestop), reads them back through
// tars.tarsregistry.QueryObj, then registers the @tars/rpc echo server listening on
// <echo server port> as Test.Interop.EchoObj and calls it by name with the registry as locator.
// Prints one JSON object with what each step saw; lookups as sorted "host:port" lists.
"use strict";

const util = require("node:util");
const Tars = require("@tars/rpc");
const { tars } = require("./registry_tars.cjs");
const { Interop } = require("./interop_tars.cjs");

const APP = "Interop";
const SERVER = "Peer";
const OBJ = `${APP}.${SERVER}.Obj`;
const SET_OBJ = `${APP}.SetSrv.Obj`;

/** "host:port" of each endpoint, sorted. */
function hosts(list) {
  return list.toObject().map((ep) => `${ep.host}:${ep.port}`).sort();
}

/** A lookup's return code with its active and inactive lists. */
function split(result) {
  const { response } = result;
  return {
    ret: response.return,
    active: hosts(response.arguments.activeEp),
    inactive: hosts(response.arguments.inactiveEp),
  };
}

async function failure(call) {
  try {
    await call;
  } catch (result) {
    const error = result?.response?.error ?? result?.error;
    if (!error) throw result;
    return { code: error.code, message: error.message };
  }
  throw new Error("expected the call to fail");
}

function startup(nodeName, overrides = {}) {
  return {
    nodeName,
    application: APP,
    server: SERVER,
    setID: "",
    adapters: [{ servant: OBJ, endpoint: `tcp -h ${nodeName} -p 20001 -t 3000`, protocol: "tars" }],
    State: "active",
    Version: "v1",
    ...overrides,
  };
}

async function main() {
  const [registryPort, echoPort] = process.argv.slice(2).map(Number);
  const at = `@tcp -h 127.0.0.1 -p ${registryPort} -t 5000`;
  const comm = Tars.client;
  const query = comm.stringToProxy(tars.QueryFProxy, `tars.tarsregistry.QueryObj${at}`);
  const registry = comm.stringToProxy(tars.RegistryProxy, `tars.tarsregistry.Registry${at}`);
  const out = {};
  const any = async (id) => split(await query.findObjectById4Any(id));

  // Two pods of one server; the second has its traffic off.
  await registry.onStartup(startup("10.1.0.1", {
    adapters: [
      { servant: OBJ, endpoint: "tcp -h 10.1.0.1 -p 20001 -t 3000", protocol: "tars" },
      {
        servant: `${APP}.${SERVER}.HttpObj`,
        endpoint: "tcp -h 10.1.0.1 -p 20002",
        protocol: "not_tars",
        maxConns: 100,
        threadNum: 2,
        queueCap: 1000,
        queueTimeout: 5000,
      },
    ],
  }));
  await registry.onStartup(startup("10.1.0.2", { disableFlow: true }));
  // A server in two set groups.
  for (const [node, setID] of [["10.2.0.1", "sz.a.1"], ["10.2.0.2", "sz.a.2"]]) {
    await registry.onStartup({
      nodeName: node,
      application: APP,
      server: "SetSrv",
      setID,
      adapters: [{ servant: SET_OBJ, endpoint: `tcp -h ${node} -p 20003`, protocol: "tars" }],
    });
  }

  const byId = (await query.findObjectById(OBJ)).response.return;
  out.findObjectById = hosts(byId);
  out.endpointF = byId.toObject()[0];
  out.httpObj = (await query.findObjectById(`${APP}.${SERVER}.HttpObj`)).response.return.toObject();
  out.findObjectById4Any = await any(OBJ);
  out.findObjectByIdInSameGroup = split(await query.findObjectByIdInSameGroup(OBJ));
  out.findObjectById4All = split(await query.findObjectById4All(OBJ));
  out.findObjectByIdInSameStation = split(await query.findObjectByIdInSameStation(OBJ, "sz"));
  out.unknown = await any("No.Such.Obj");
  out.findObjectByIdInSameSet = {};
  for (const setId of ["sz.a.1", "sz.a.2", "sz.a.*", "sz.a", "sz.b.1"]) {
    out.findObjectByIdInSameSet[setId] = split(await query.findObjectByIdInSameSet(SET_OBJ, setId));
  }
  out.setObjNoSet = split(await query.findObjectByIdInSameSet(OBJ, "sz.a.1"));

  await registry.keepAlive({
    nodeName: "10.1.0.1",
    state: "inactive",
    application: APP,
    server: SERVER,
  });
  out.afterKeepAliveInactive = await any(OBJ);
  await registry.keepAlive({
    nodeName: "10.1.0.1",
    state: "active",
    application: APP,
    server: SERVER,
  });
  out.afterKeepAliveActive = await any(OBJ);

  await registry.registerMetrics({
    nodeName: "10.1.0.1",
    application: APP,
    server: SERVER,
    metricsPort: 9100,
  });
  await registry.registerMetrics({
    nodeName: "10.1.0.2",
    application: APP,
    server: SERVER,
    metricsPort: 9101,
  });
  await registry.registerMetrics({
    nodeName: "10.2.0.1",
    application: APP,
    server: "SetSrv",
    metricsPort: 9102,
  });
  const metrics = async (filter) =>
    (await registry.getMetricsAdapters({ filter })).response.arguments.rsp.toObject()
      .map((g) => ({ targets: g.targets.sort(), labels: g.labels }))
      .sort((a, b) => a.labels.server.localeCompare(b.labels.server));
  out.getMetricsAdapters = await metrics({ application: APP });
  out.getMetricsAdaptersBySet = await metrics({ application: APP, set: "sz.a.1" });
  out.registerMetricsUnknown = await failure(
    registry.registerMetrics({
      nodeName: "10.9.9.9",
      application: APP,
      server: SERVER,
      metricsPort: 1,
    }),
  );

  await registry.onPrestop({ nodeName: "10.1.0.2", application: APP, server: SERVER });
  out.afterPrestop = await any(OBJ);
  // The old-client form: node name only removes everything on the node.
  await registry.onPrestop({ nodeName: "10.2.0.2" });
  out.afterNodePrestop = split(await query.findObjectByIdInSameSet(SET_OBJ, "sz.a.*"));

  // A real @tars/rpc server found by name through the registry as locator.
  await registry.onStartup({
    nodeName: "127.0.0.1",
    application: "Test",
    server: "Interop",
    adapters: [{
      servant: "Test.Interop.EchoObj",
      endpoint: `tcp -h 127.0.0.1 -p ${echoPort} -t 10000`,
      protocol: "tars",
    }],
  });
  const located = Tars.Communicator.New();
  located.setProperty("locator", `tars.tarsregistry.QueryObj${at}`);
  const echo = located.stringToProxy(Interop.EchoProxy, "Test.Interop.EchoObj");
  out.located = (await echo.echo("found through tarsregistry")).response.return;
  out.locatedAdd = (await echo.add(40, 2)).response.arguments.sum;
  process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(0));
}

main().catch((error) => {
  const detail = util.inspect(error?.response?.error ?? error?.error ?? error, { depth: 3 });
  process.stderr.write(`registry_client failed: ${detail}\n`, () => process.exit(1));
});
