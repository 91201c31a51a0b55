import assert from "node:assert/strict";
import { createPortPicker, type PortPicker, type PortProbe, PortProbeError } from "./free_port.ts";
import { buildTarsConfig, resolveServerInfo } from "./generate.ts";
import { parseServerMeta } from "./server_meta.ts";
import { readGenconfSettings } from "./settings.ts";
import { printTarsConfig } from "../lib/tars_config.ts";

const metaPath = "/tars/bin/_server_meta.yaml";

/** A picker that hands out 100, 101, … and records what it was asked. */
function fakePicker(): PortPicker & { calls: string[] } {
  const used = new Set<number>();
  const calls: string[] = [];
  return {
    calls,
    take(host, transport) {
      let port = 100;
      while (used.has(port)) port++;
      used.add(port);
      calls.push(`take ${transport} ${host} -> ${port}`);
      return Promise.resolve(port);
    },
    reserve(port) {
      used.add(port);
      calls.push(`reserve ${port}`);
    },
  };
}

async function resolve(
  metaText: string,
  env: Record<string, string> = {},
  ports: PortPicker = fakePicker(),
  probe: PortProbe = () => Promise.resolve(true),
) {
  const { meta } = parseServerMeta(metaText, { source: metaPath });
  const settings = readGenconfSettings({ TARS_PATH: "/tars", ...env }, { cwd: "/" });
  return await resolveServerInfo(meta, settings, {
    metaPath,
    findLocalIp: () => Promise.resolve(settings.podIp ?? "10.0.0.3"),
    ports,
    probe,
  });
}

Deno.test("resolveServerInfo: fixed ports that are taken, and addresses that are not this machine's", async (t) => {
  const META = "application: A\nserver: S\nadapters:\n  - object: MainObj\n";

  await t.step("a fixed port in use is an error naming the endpoint", async () => {
    const probed: string[] = [];
    await assert.rejects(
      resolve(META + "    endpoint: tcp -h ${local_ip} -p 17890\n", {}, fakePicker(), (t) => {
        probed.push(`${t.transport} ${t.host}:${t.port}`);
        return Promise.resolve(false);
      }),
      {
        name: "RangeError",
        message: `adapter MainObj in ${metaPath}: tcp port 17890 on 10.0.0.3 is in use (or this ` +
          "user may not bind it); stop what listens there, or use ${random_port}",
      },
    );
    assert.deepEqual(probed, ["tcp 10.0.0.3:17890"]);
  });

  const notLocal: PortProbe = (target) =>
    Promise.reject(new PortProbeError(target, "it is not an address of this machine"));

  await t.step("${local_ip} that cannot be bound names POD_IP", async () => {
    const picker = createPortPicker({ min: 100, max: 110 }, { probe: notLocal });
    await assert.rejects(resolve(META, { POD_IP: "10.9.9.9" }, picker), {
      message: `adapter MainObj in ${metaPath}: Cannot listen on 10.9.9.9:100 to find a free ` +
        "port: it is not an address of this machine; 10.9.9.9 is ${local_ip}, from POD_IP: set " +
        "POD_IP to an address of this machine",
    });
    await assert.rejects(
      resolve(META, {}, createPortPicker({ min: 13000, max: 13000 }, { probe: notLocal })),
      {
        message: `adapter MainObj in ${metaPath}: Cannot listen on 10.0.0.3:13000 to find a free ` +
          "port: it is not an address of this machine; 10.0.0.3 is ${local_ip}, the address of " +
          "the default route's interface: set POD_IP to an address of this machine",
      },
    );
  });

  await t.step(
    "a literal host that cannot be bound asks for an address of this machine",
    async () => {
      await assert.rejects(
        resolve(META + "    endpoint: tcp -h 192.0.2.1 -p 2000\n", {}, undefined, notLocal),
        {
          message:
            `adapter MainObj in ${metaPath}: Cannot listen on 192.0.2.1:2000 to find a free ` +
            "port: it is not an address of this machine; use an address of this machine in the " +
            "endpoint",
        },
      );
    },
  );
});

Deno.test("resolveServerInfo", async (t) => {
  await t.step(
    "fixed ports are reserved first, then random ones drawn: adapters, then local",
    async () => {
      const ports = fakePicker();
      const info = await resolve(
        "application: A\nserver: S\nadapters:\n  - object: X\n  - object: Y\n    endpoint: udp -h 0.0.0.0 -p 101\n",
        {},
        ports,
      );
      assert.deepEqual(ports.calls, [
        "reserve 101",
        "take tcp 10.0.0.3 -> 100",
        "take tcp 127.0.0.1 -> 102",
      ]);
      assert.deepEqual(info.adapters.map((a) => a.endpoint), [
        "tcp -h 10.0.0.3 -p 100 -t 30000",
        "udp -h 0.0.0.0 -p 101",
      ]);
      assert.equal(info.local, "tcp -h 127.0.0.1 -p 102 -t 5000");
    },
  );

  await t.step("the same fixed port on different hosts or transports is allowed", async () => {
    const info = await resolve(
      "application: A\nserver: S\nadapters:\n  - object: X\n    endpoint: tcp -h 10.0.0.3 -p 9000\n" +
        "  - object: Y\n    endpoint: udp -h 10.0.0.3 -p 9000\n  - object: Z\n    endpoint: tcp -h 127.0.0.1 -p 9000\n",
    );
    assert.equal(info.adapters.length, 3);
  });

  await t.step("the environment wins over the file", async () => {
    const info = await resolve(
      "application: A\nserver: S\nset_id: a.b.c\nrefresh_endpoint_interval: 5\n",
      {
        TARS_APPLICATION: "EnvApp",
        TARS_SERVER: "EnvSrv",
        TARS_SET_ID: "x.y.z",
        TARS_EP_UPTIME: "7",
      },
    );
    assert.deepEqual([info.application, info.server, info.setId, info.refreshEndpointInterval], [
      "EnvApp",
      "EnvSrv",
      "x.y.z",
      7,
    ]);
    assert.equal(info.buildServer, "EnvSrv");
    assert.equal(info.paths.configFile, "/tars/conf/EnvSrv.conf");
  });

  await t.step("a bad TARS_BUILD_SERVER names the variable", async () => {
    await assert.rejects(resolve("application: A\nserver: S\n", { TARS_BUILD_SERVER: "../x" }), {
      name: "SyntaxError",
      message:
        'Build server name "../x" (from TARS_BUILD_SERVER) must be a name without dots, spaces or any of @ : < > = # /',
    });
  });

  await t.step("placeholders other than ${namespace} are refused in the locator", async () => {
    await assert.rejects(
      resolve("application: A\nserver: S\nlocator: Q@tcp -h ${local_ip} -p 1\n"),
      {
        name: "SyntaxError",
        message:
          `Unknown placeholder \${local_ip} in locator in ${metaPath}; use \${namespace} there`,
      },
    );
  });
});

Deno.test("buildTarsConfig", async (t) => {
  await t.step("no set: enableset=n and an empty setdivision; a set: y and its name", async () => {
    const noSet = printTarsConfig(buildTarsConfig(await resolve("application: A\nserver: S\n")));
    assert.match(noSet, /^ {8}enableset=n\n {8}setdivision=\n/m);
    const inSet = printTarsConfig(
      buildTarsConfig(await resolve("application: A\nserver: S\nset_id: mtt.s.1\n")),
    );
    assert.match(inSet, /^ {8}enableset=y\n {8}setdivision=mtt\.s\.1\n/m);
  });

  await t.step("no adapters: <server> holds only its own keys", async () => {
    const text = printTarsConfig(buildTarsConfig(await resolve("application: A\nserver: S\n")));
    assert.doesNotMatch(text, /Adapter>/);
    assert.match(text, /local=tcp -h 127\.0\.0\.1 -p 100 -t 5000\n {12}basepath=\/tars\/bin\/\n/);
  });
});
