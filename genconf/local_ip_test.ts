import assert from "node:assert/strict";
import { defaultRouteInterface, findLocalIp, type LocalIpSources } from "./local_ip.ts";

const HEADER =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
const TABLE = HEADER +
  "eth1\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n" +
  "eth1\t00000000\t010011AC\t0003\t0\t0\t200\t00000000\t0\t0\t0\n" +
  "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
  "eth2\t00000000\t010300C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n";

function iface(name: string, family: "IPv4" | "IPv6", address: string): Deno.NetworkInterfaceInfo {
  return {
    name,
    family,
    address,
    netmask: "",
    scopeid: null,
    cidr: "",
    mac: "",
  } as Deno.NetworkInterfaceInfo;
}

function sources(table: string | Error, ifaces: Deno.NetworkInterfaceInfo[]): LocalIpSources {
  return {
    readRouteTable: () => table instanceof Error ? Promise.reject(table) : Promise.resolve(table),
    networkInterfaces: () => ifaces,
  };
}

Deno.test("defaultRouteInterface", async (t) => {
  await t.step("the up default route with the lowest metric", () => {
    assert.equal(defaultRouteInterface(TABLE), "eth0");
  });
  await t.step("none without a default route", () => {
    assert.equal(
      defaultRouteInterface(
        HEADER + "eth1\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n",
      ),
      undefined,
    );
    assert.equal(defaultRouteInterface(""), undefined);
  });
});

Deno.test("findLocalIp", async (t) => {
  const ifaces = [
    iface("eth0", "IPv6", "fe80::1"),
    iface("eth0", "IPv4", "192.0.2.7"),
    iface("eth1", "IPv4", "172.17.0.2"),
  ];

  await t.step("POD_IP wins without looking at routes", async () => {
    assert.equal(
      await findLocalIp("10.1.2.3", { sources: sources(new Error("unused"), []) }),
      "10.1.2.3",
    );
  });
  await t.step("the default route's interface address", async () => {
    assert.equal(await findLocalIp(undefined, { sources: sources(TABLE, ifaces) }), "192.0.2.7");
  });
  await t.step("unreadable route table: the only non-loopback IPv4 address", async () => {
    const lo = iface("lo", "IPv4", "127.0.0.1");
    const noTable = new Error("Requires all access");
    assert.equal(
      await findLocalIp(undefined, {
        sources: sources(noTable, [lo, iface("eth0", "IPv4", "10.0.0.9")]),
      }),
      "10.0.0.9",
    );
    await assert.rejects(findLocalIp(undefined, { sources: sources(noTable, [lo, ...ifaces]) }), {
      message:
        "Cannot tell the pod IP: the route table is unreadable (Requires all access), and this machine " +
        "has several IPv4 interfaces (eth0 192.0.2.7, eth1 172.17.0.2); set POD_IP",
    });
    await assert.rejects(findLocalIp(undefined, { sources: sources(noTable, [lo]) }), {
      message:
        "Cannot tell the pod IP: the route table is unreadable (Requires all access), and this machine " +
        "has no IPv4 interface but loopback; set POD_IP",
    });
  });
  await t.step("no default route: the only non-loopback IPv4 address, else an error", async () => {
    assert.equal(
      await findLocalIp(undefined, {
        sources: sources(HEADER, [iface("eth1", "IPv4", "172.17.0.2")]),
      }),
      "172.17.0.2",
    );
    await assert.rejects(findLocalIp(undefined, { sources: sources(HEADER, ifaces) }), {
      message:
        /^Cannot tell the pod IP: there is no default route, and this machine has several IPv4 interfaces/,
    });
  });
  await t.step("the interface has no IPv4 address", async () => {
    await assert.rejects(
      findLocalIp(undefined, { sources: sources(TABLE, [iface("eth0", "IPv6", "fe80::1")]) }),
      {
        message: "The default route's interface eth0 has no IPv4 address; set POD_IP",
      },
    );
  });
  await t.step("this machine: an address of one of its interfaces", async () => {
    const ip = await findLocalIp(undefined);
    assert.ok(Deno.networkInterfaces().some((i) => i.address === ip), ip);
  });
});
