import assert from "node:assert/strict";
import {
  acceptsConnection,
  checkEndpoints,
  type Connect,
  runBeforeCheckScript,
  tcpConnect,
} from "./checks.ts";
import { createProcessRunner } from "../lib/process_group.ts";
import { processState, waitDead } from "../tests/support/processes.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";

Deno.test("tcpConnect", async (t) => {
  await t.step("resolves when the port accepts", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      await tcpConnect("127.0.0.1", listener.addr.port, 5000);
      const accepted = await listener.accept();
      accepted.close();
    } finally {
      listener.close();
    }
  });

  await t.step("rejects when the port refuses", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    await assert.rejects(tcpConnect("127.0.0.1", port, 5000), Deno.errors.ConnectionRefused);
  });
});

Deno.test("acceptsConnection", async (t) => {
  await t.step("one try on the endpoint, wildcard hosts on loopback", async () => {
    const tried: string[] = [];
    const connect: Connect = (host, port, timeout) => {
      tried.push(`${host}:${port}/${timeout}`);
      return port === 1 ? Promise.reject(new Error("refused")) : Promise.resolve();
    };
    assert.equal(await acceptsConnection("tcp -h 0.0.0.0 -p 2 -t 5000", 1000, connect), true);
    assert.equal(await acceptsConnection("tcp -h :: -p 2", 1000, connect), true);
    assert.equal(await acceptsConnection("tcp -h 10.0.0.1 -p 1", 1000, connect), false);
    assert.deepEqual(tried, ["127.0.0.1:2/1000", "::1:2/1000", "10.0.0.1:1/1000"]);
  });

  await t.step("an endpoint that does not parse is not listening", async () => {
    assert.equal(await acceptsConnection("tcp -h 127.0.0.1", 1000), false);
  });

  await t.step("a real listener, then none", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    const accepting = listener.accept().then((conn) => conn.close());
    assert.equal(await acceptsConnection(`tcp -h 127.0.0.1 -p ${port}`, 1000), true);
    await accepting;
    listener.close();
    assert.equal(await acceptsConnection(`tcp -h 127.0.0.1 -p ${port}`, 1000), false);
  });
});

Deno.test("checkEndpoints", async (t) => {
  await t.step("every endpoint up, wildcard hosts on loopback, udp skipped", async () => {
    const calls: string[] = [];
    const connect: Connect = (host, port, timeout) => {
      calls.push(`${host}:${port}/${timeout}`);
      return Promise.resolve();
    };
    const result = await checkEndpoints([
      "tcp -h 10.0.0.5 -p 10000 -t 60000",
      "tcp -h 0.0.0.0 -p 10001 -t 500",
      "tcp -h :: -p 10002",
      "udp -h 10.0.0.5 -p 10003",
      "ssl -h 10.0.0.5 -p 10004",
    ], { retryTimeout: 5000, connect, connectTimeout: 2000 });
    assert.deepEqual(result, { ok: true });
    assert.deepEqual(calls.sort(), [
      "10.0.0.5:10000/2000",
      "10.0.0.5:10004/2000",
      "127.0.0.1:10001/500",
      "::1:10002/2000",
    ]);
  });

  await t.step("a failed endpoint is retried within the retry timeout", async () => {
    const clock = fakeClock();
    let tries = 0;
    const connect: Connect = () => {
      tries++;
      return tries < 3 ? Promise.reject(new Error("Connection refused")) : Promise.resolve();
    };
    const result = await checkEndpoints(["tcp -h 127.0.0.1 -p 1"], {
      retryTimeout: 5000,
      retryDelay: 400,
      connect,
      now: clock.now,
      sleep: clock.sleep,
    });
    assert.deepEqual(result, { ok: true });
    assert.deepEqual(clock.sleeps, [400, 400]);
  });

  await t.step("gives up once the retry timeout passed, naming the first failure", async () => {
    const clock = fakeClock();
    const tries = new Map<number, number>();
    const connect: Connect = (_host, port) => {
      tries.set(port, (tries.get(port) ?? 0) + 1);
      return port === 2 ? Promise.resolve() : Promise.reject(new Error(`refused ${port}`));
    };
    const result = await checkEndpoints(
      ["tcp -h 127.0.0.1 -p 1", "tcp -h 127.0.0.1 -p 2", "tcp -h 127.0.0.1 -p 3"],
      { retryTimeout: 1000, retryDelay: 400, connect, now: clock.now, sleep: clock.sleep },
    );
    assert.deepEqual(result, {
      ok: false,
      failure: "tcp -h 127.0.0.1 -p 1: refused 1 (3 tries)",
    });
    assert.equal(tries.get(2), 1);
    assert.ok(tries.get(1)! >= 2 && tries.get(1)! <= 4, `port 1 tried ${tries.get(1)} times`);
    assert.ok(tries.get(3)! >= 2 && tries.get(3)! <= 4, `port 3 tried ${tries.get(3)} times`);
  });

  await t.step("with no retry time, one try", async () => {
    const clock = fakeClock();
    const result = await checkEndpoints(["tcp -h 127.0.0.1 -p 1"], {
      retryTimeout: 0,
      connect: () => Promise.reject(new Error("timed out")),
      now: clock.now,
      sleep: clock.sleep,
    });
    assert.deepEqual(result, { ok: false, failure: "tcp -h 127.0.0.1 -p 1: timed out (1 try)" });
    assert.deepEqual(clock.sleeps, []);
  });

  await t.step("a malformed endpoint fails with the parse error", async () => {
    const result = await checkEndpoints(["tcp -h 127.0.0.1"], {
      retryTimeout: 1000,
      connect: () => assert.fail("nothing to connect"),
    });
    assert.equal(result.ok, false);
    assert.match(result.failure!, /Bad endpoint "tcp -h 127.0.0.1": -p PORT is missing/);
  });

  await t.step("no endpoints is ok", async () => {
    assert.deepEqual(await checkEndpoints([], { retryTimeout: 0 }), { ok: true });
  });

  await t.step("real sockets: a listener is up, a closed port is not", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closedPort = closed.addr.port;
    closed.close();
    const accepting = (async () => {
      const conn = await listener.accept();
      conn.close();
    })();
    try {
      const up = `tcp -h 0.0.0.0 -p ${listener.addr.port} -t 5000`;
      assert.deepEqual(await checkEndpoints([up], { retryTimeout: 0 }), { ok: true });
      await accepting;
      const down = `tcp -h 127.0.0.1 -p ${closedPort}`;
      const result = await checkEndpoints([down], { retryTimeout: 0 });
      assert.equal(result.ok, false);
      assert.match(result.failure!, new RegExp(`^${down}: .*refused.* \\(1 try\\)$`, "i"));
    } finally {
      listener.close();
    }
  });
});

Deno.test("runBeforeCheckScript", async (t) => {
  const runner = createProcessRunner();
  const cwd = await Deno.makeTempDir({ prefix: "checks_test_" });
  const options = { runner, cwd, timeout: 30_000 };

  await t.step("exit 0 is ok", async () => {
    assert.deepEqual(await runBeforeCheckScript("true", options), { ok: true, detail: "" });
  });

  await t.step("a failure says the exit code and the end of its output", async () => {
    const result = await runBeforeCheckScript(
      'pwd; echo "$CHECK_WORD"; echo oops >&2; exit 3',
      { ...options, env: { CHECK_WORD: "hello" } },
    );
    assert.equal(result.ok, false);
    assert.match(result.detail, /^exit code 3: /);
    for (const part of [cwd, "hello", "oops"]) {
      assert.ok(result.detail.includes(part), result.detail);
    }
  });

  await t.step("only the last bytes of a long output are kept", async () => {
    const result = await runBeforeCheckScript(
      "i=0; while [ $i -lt 500 ]; do echo line$i; i=$((i+1)); done; exit 1",
      { ...options, maxOutputBytes: 64 },
    );
    assert.ok(result.detail.endsWith("line499"), result.detail);
    assert.ok(!result.detail.includes("line400 "), result.detail);
  });

  await t.step("killed with its whole process group after the timeout", async () => {
    const pidFile = `${cwd}/background.pid`;
    const result = await runBeforeCheckScript(
      `sleep 60 & echo $! > ${pidFile}; sleep 60`,
      { ...options, timeout: 300 },
    );
    assert.deepEqual(result, { ok: false, detail: "killed after 300 ms" });
    const background = Number(await Deno.readTextFile(pidFile));
    assert.ok(["gone", "Z"].includes(await waitDead(background)));
  });

  await t.step("a background command holding the output does not hold the check", async () => {
    const pidFile = `${cwd}/holder.pid`;
    const result = await runBeforeCheckScript(`sleep 60 & echo $! > ${pidFile}; echo started`, {
      ...options,
    });
    assert.deepEqual(result, { ok: true, detail: "" });
    const background = Number(await Deno.readTextFile(pidFile));
    assert.ok(["gone", "Z"].includes(await waitDead(background)));
  });

  await t.step("a process that left the group is not waited for", async () => {
    const pidFile = `${cwd}/escaped.pid`;
    const result = await runBeforeCheckScript(
      `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 60' & while [ ! -s ${pidFile} ]; do sleep 0.01; done`,
      options,
    );
    const escaped = Number(await Deno.readTextFile(pidFile));
    try {
      assert.deepEqual(result, { ok: true, detail: "" });
      assert.equal(processState(escaped), "S");
    } finally {
      Deno.kill(escaped, "SIGKILL");
    }
  });

  await t.step("every child was collected", () => {
    assert.equal(runner.live.size, 0);
  });
  await Deno.remove(cwd, { recursive: true });
});
