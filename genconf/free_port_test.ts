import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createPortPicker, probePort } from "./free_port.ts";
import { listenRun } from "../tests/support/port_run.ts";

function port(l: Deno.TcpListener): number {
  return (l.addr as Deno.NetAddr).port;
}

Deno.test("probePort", async (t) => {
  await t.step("a listening TCP port is taken, a closed one is free", async () => {
    const [l] = listenRun(1);
    try {
      assert.equal(await probePort({ host: "127.0.0.1", port: port(l), transport: "tcp" }), false);
      assert.equal(await probePort({ host: "127.0.0.1", port: port(l), transport: "ssl" }), false);
    } finally {
      l.close();
    }
    assert.equal(await probePort({ host: "127.0.0.1", port: port(l), transport: "tcp" }), true);
  });

  await t.step("a bound UDP port is taken", async () => {
    const socket = createSocket("udp4");
    const bound = await new Promise<number>((resolve) =>
      socket.bind(0, "127.0.0.1", () => resolve(socket.address().port))
    );
    try {
      assert.equal(await probePort({ host: "127.0.0.1", port: bound, transport: "udp" }), false);
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    assert.equal(await probePort({ host: "127.0.0.1", port: bound, transport: "udp" }), true);
  });

  await t.step("a host that is not this machine's is an error, not a taken port", async () => {
    for (const transport of ["tcp", "udp"] as const) {
      await assert.rejects(probePort({ host: "192.0.2.254", port: 45000, transport }), {
        name: "PortProbeError",
        message:
          "Cannot listen on 192.0.2.254:45000 to find a free port: it is not an address of this machine",
      });
    }
  });
});

Deno.test("createPortPicker", async (t) => {
  await t.step("taken ports are skipped (real sockets on 127.0.0.1)", async () => {
    const listeners = listenRun(3);
    const first = port(listeners[0]);
    try {
      const picker = createPortPicker({ min: first, max: first + 10 });
      assert.equal(await picker.take("127.0.0.1", "tcp"), first + 3);
    } finally {
      listeners.forEach((l) => l.close());
    }
  });

  await t.step("a run never hands out the same port twice", async () => {
    const [l] = listenRun(1);
    const base = port(l);
    l.close();
    const picker = createPortPicker({ min: base, max: base + 4 });
    const got = [
      await picker.take("127.0.0.1", "tcp"),
      await picker.take("127.0.0.1", "tcp"),
      await picker.take("127.0.0.2", "tcp"),
      await picker.take("127.0.0.1", "udp"),
    ];
    assert.equal(new Set(got).size, 4);
    assert.ok(got.every((p) => p >= base && p <= base + 4));
  });

  await t.step("reserved ports are skipped", async () => {
    const picker = createPortPicker({ min: 100, max: 103 }, { probe: () => Promise.resolve(true) });
    picker.reserve(100);
    picker.reserve(102);
    assert.equal(await picker.take("h", "tcp"), 101);
    assert.equal(await picker.take("h", "tcp"), 103);
  });

  await t.step("a full range gives the error naming the range (real sockets)", async () => {
    const listeners = listenRun(3);
    const first = port(listeners[0]);
    try {
      const picker = createPortPicker({ min: first, max: first + 2 });
      await assert.rejects(picker.take("127.0.0.1", "tcp"), {
        name: "RangeError",
        message: `No free tcp port on 127.0.0.1 in ${first}..${
          first + 2
        }; free one, or widen TARS_RAND_PORT_MIN..TARS_RAND_PORT_MAX`,
      });
    } finally {
      listeners.forEach((l) => l.close());
    }
  });

  await t.step("a range used up by this run gives the same error", async () => {
    const picker = createPortPicker({ min: 7, max: 8 }, { probe: () => Promise.resolve(true) });
    await picker.take("h", "tcp");
    await picker.take("h", "tcp");
    await assert.rejects(picker.take("h", "tcp"), { message: /^No free tcp port on h in 7\.\.8;/ });
  });

  await t.step("the probe is asked about each port in order", async () => {
    const asked: string[] = [];
    const picker = createPortPicker({ min: 1, max: 5 }, {
      probe: ({ host, port: p, transport }) => {
        asked.push(`${transport}://${host}:${p}`);
        return Promise.resolve(p === 3);
      },
    });
    assert.equal(await picker.take("10.0.0.1", "udp"), 3);
    assert.deepEqual(asked, ["udp://10.0.0.1:1", "udp://10.0.0.1:2", "udp://10.0.0.1:3"]);
  });
});
