import assert from "node:assert/strict";
import { join } from "node:path";
import { createProcessRunner } from "../lib/process_group.ts";
import { ifExists } from "../lib/not_found.ts";
import {
  readLogTail,
  type RunningService,
  startService,
  type StartServiceOptions,
} from "./service_process.ts";
import { waitDead } from "../tests/support/processes.ts";

/** Waits (bounded) until `path` holds `text`. */
async function waitForText(path: string, text: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await ifExists(Deno.readTextFile(path)))?.includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`${path} never held "${text}"`);
}

/** Loops until a signal; `trap` is run first, then "ready" is printed. */
const loop = (trap: string) => `${trap}\necho ready\nwhile :; do sleep 0.05; done\n`;

/** A directory, a process runner and the services started in it, for one test. */
async function serviceFixture() {
  const dir = await Deno.makeTempDir({ prefix: "service_process_test_" });
  const runner = createProcessRunner();
  const reports: string[] = [];
  let scripts = 0;
  /** Writes a script and returns its path. */
  async function script(text: string): Promise<string> {
    const path = join(dir, `script${++scripts}.sh`);
    await Deno.writeTextFile(path, text);
    return path;
  }
  const logPath = join(dir, "log", "start.log");
  const base: StartServiceOptions = {
    runner,
    cwd: dir,
    logPath,
    log: (line) => reports.push(line),
  };
  const started: RunningService[] = [];
  /** startService, remembered so a failed step leaves no service running. */
  function launch(path: string, options: StartServiceOptions = base): RunningService {
    const service = startService(path, options);
    started.push(service);
    return service;
  }
  /** Stops what a failed step left running and removes the directory. */
  async function close(): Promise<void> {
    for (const service of started) await service.stop({ grace: 0 });
    await Deno.remove(dir, { recursive: true });
  }
  return { dir, runner, reports, script, logPath, base, launch, close };
}

Deno.test("service process: output and start.log", async (t) => {
  const f = await serviceFixture();
  const { dir, runner, script, logPath, base, launch } = f;
  try {
    await t.step("output and exit code; a restart appends to the same log", async () => {
      const start = await script('echo "out $SERVICE_WORD $(pwd)"; echo err >&2; exit 3\n');
      const first = launch(start, { ...base, env: { SERVICE_WORD: "hello" } });
      assert.deepEqual(await first.exited, { code: 3, signal: null });
      await first.logClosed;
      assert.equal(runner.live.size, 0);
      const second = launch(await script("echo second run\n"), base);
      assert.deepEqual(await second.exited, { code: 0, signal: null });
      await second.logClosed;
      const lines = (await Deno.readTextFile(logPath)).split("\n");
      assert.deepEqual(lines.sort(), ["", "err", `out hello ${dir}`, "second run"]);
      first.signal("SIGTERM"); // no-op once exited
      assert.deepEqual(await first.stop({ grace: 1000 }), { code: 3, signal: null });
      await Deno.remove(logPath);
    });

    await t.step(
      "start.log exists from the start, also when the service prints nothing",
      async () => {
        const silent = launch(await script("sleep 30\n"));
        for (let i = 0; i < 200; i++) {
          if (await Deno.stat(logPath).then(() => true, () => false)) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal((await Deno.stat(logPath)).size, 0);
        assert.deepEqual(await silent.stop({ grace: 1000 }), { code: 143, signal: "SIGTERM" });
        await silent.logClosed;
        await Deno.remove(logPath);
      },
    );

    await t.step("start.log is rotated to start.log.1 at the size bound", async () => {
      await Deno.writeTextFile(logPath, "x".repeat(150)); // already above the bound: rotated first
      const line = "0123456789abcdefghijklmnopqrstuvwxyz";
      const start = await script(`i=0; while [ $i -lt 10 ]; do echo ${line}$i; i=$((i+1)); done\n`);
      const service = launch(start, { ...base, maxLogBytes: 100 });
      await service.exited;
      await service.logClosed;
      let all = "";
      for (let i = 0; i < 10; i++) all += `${line}${i}\n`; // 380 bytes
      const current = await Deno.readTextFile(logPath);
      const old = await Deno.readTextFile(`${logPath}.1`);
      assert.equal(current, all.slice(300));
      assert.equal(old, all.slice(200, 300));
      await Deno.remove(logPath);
      await Deno.remove(`${logPath}.1`);
    });

    await t.step("every child was collected", () => {
      assert.equal(runner.live.size, 0);
    });
  } finally {
    await f.close();
  }
});

Deno.test("service process: signals and stops", async (t) => {
  const f = await serviceFixture();
  const { dir, runner, reports, script, logPath, base, launch } = f;
  try {
    await t.step("signal reaches the whole process group", async () => {
      const start = await script(
        `sh -c 'trap "echo child got USR1; exit 0" USR1; echo child armed; while :; do sleep 0.05; done' &\n` +
          loop(`trap 'wait; echo got USR1; exit 5' USR1`),
      );
      const service = launch(start, base);
      await waitForText(logPath, "child armed");
      await waitForText(logPath, "ready");
      service.signal("SIGUSR1");
      assert.deepEqual(await service.exited, { code: 5, signal: null });
      await service.logClosed;
      const text = await Deno.readTextFile(logPath);
      assert.match(text, /child got USR1/);
      assert.match(text, /got USR1/);
      await Deno.remove(logPath);
    });

    await t.step("stop sends SIGTERM to the group", async () => {
      const service = launch(await script(loop(`trap 'echo term; exit 0' TERM`)), base);
      await waitForText(logPath, "ready");
      const stopping = service.stop({ grace: 60_000 });
      assert.equal(service.stop({ grace: 1 }), stopping);
      assert.deepEqual(await stopping, { code: 0, signal: null });
      await service.logClosed;
      assert.match(await Deno.readTextFile(logPath), /term/);
      await Deno.remove(logPath);
    });

    await t.step("stop sends SIGKILL after the grace", async () => {
      const service = launch(await script(loop(`trap '' TERM`)), base);
      await waitForText(logPath, "ready");
      assert.deepEqual(await service.stop({ grace: 300 }), { code: 137, signal: "SIGKILL" });
      await service.logClosed;
      await Deno.remove(logPath);
    });

    await t.step(
      "a stop script gets the service pid and its output goes to start.log",
      async () => {
        const service = launch(await script(loop(`trap 'echo term; exit 0' TERM`)), base);
        await waitForText(logPath, "ready");
        const stopPath = await script(
          'echo "stopping $TARS_SERVICE_PID"; kill -TERM "$TARS_SERVICE_PID"\n',
        );
        assert.deepEqual(await service.stop({ stopPath, grace: 60_000 }), {
          code: 0,
          signal: null,
        });
        await service.logClosed;
        const text = await Deno.readTextFile(logPath);
        assert.match(text, new RegExp(`stopping ${service.pid}\n`));
        assert.match(text, /term/);
        await Deno.remove(logPath);
      },
    );

    await t.step("a failing stop script is reported and SIGTERM follows", async () => {
      reports.length = 0;
      const service = launch(await script(loop(`trap 'exit 0' TERM`)), base);
      await waitForText(logPath, "ready");
      const stopPath = await script("exit 2\n");
      assert.deepEqual(await service.stop({ stopPath, grace: 60_000 }), { code: 0, signal: null });
      assert.deepEqual(reports, [`The stop script ${stopPath} failed with code 2`]);
      await service.logClosed;
      await Deno.remove(logPath);
    });

    await t.step("a stop script that hangs is killed at the grace with the service", async () => {
      reports.length = 0;
      const service = launch(await script(loop(`trap '' TERM`)), base);
      await waitForText(logPath, "ready");
      const pidFile = join(dir, "stop_script_child.pid");
      const stopPath = await script(`sleep 60 & echo $! > ${pidFile}; wait\n`);
      assert.deepEqual(await service.stop({ stopPath, grace: 300 }), {
        code: 137,
        signal: "SIGKILL",
      });
      assert.deepEqual(reports, [`The stop script ${stopPath} killed at the stop grace`]);
      assert.ok(["gone", "Z"].includes(await waitDead(Number(await Deno.readTextFile(pidFile)))));
      await service.logClosed;
      await Deno.remove(logPath);
    });

    await t.step("every child was collected", () => {
      assert.equal(runner.live.size, 0);
    });
  } finally {
    await f.close();
  }
});

Deno.test("service process: leftovers, and a log that cannot be written", async (t) => {
  const f = await serviceFixture();
  const { dir, runner, reports, script, logPath, base, launch } = f;
  try {
    await t.step(
      "exited resolves while a leftover holds the pipes; the group is killed",
      async () => {
        const pidFile = join(dir, "leftover.pid");
        const start = await script(`sleep 60 & echo $! > ${pidFile}; echo bye; exit 4\n`);
        const service = launch(start, base);
        assert.deepEqual(await service.exited, { code: 4, signal: null });
        const leftover = Number(await Deno.readTextFile(pidFile));
        assert.ok(["gone", "Z"].includes(await waitDead(leftover)));
        await service.logClosed;
        assert.equal(await Deno.readTextFile(logPath), "bye\n");
        await Deno.remove(logPath);
      },
    );

    await t.step("without killGroupOnExit the leftover lives and keeps the log open", async () => {
      const release = join(dir, "release");
      const start = await script(
        `sh -c 'while [ ! -e ${release} ]; do sleep 0.02; done; echo late' &\necho early; exit 0\n`,
      );
      const service = launch(start, { ...base, killGroupOnExit: false, exitDrainWait: 0 });
      let closed = false;
      const logClosed = service.logClosed.then(() => closed = true);
      assert.deepEqual(await service.exited, { code: 0, signal: null });
      await waitForText(logPath, "early");
      assert.equal(closed, false);
      await Deno.writeTextFile(release, "");
      await logClosed;
      assert.equal(await Deno.readTextFile(logPath), "early\nlate\n");
      await Deno.remove(logPath);
    });

    await t.step(
      "a log that cannot be written is reported once; the pipes are drained",
      async () => {
        reports.length = 0;
        const blocker = join(dir, "not_a_dir");
        await Deno.writeTextFile(blocker, "");
        const start = await script(
          "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done\n",
        );
        const service = launch(start, { ...base, logPath: join(blocker, "start.log") });
        assert.deepEqual(await service.exited, { code: 0, signal: null });
        await service.logClosed;
        assert.equal(reports.length, 1, reports.join("\n"));
        assert.match(
          reports[0],
          /^Cannot write .*not_a_dir\/start\.log: .*dropped until a write succeeds$/,
        );
      },
    );

    await t.step("every child was collected", () => {
      assert.equal(runner.live.size, 0);
    });
  } finally {
    await f.close();
  }
});

Deno.test("readLogTail", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "log_tail_test_" });
  const path = join(dir, "start.log");

  await t.step("a missing file has no lines", async () => {
    assert.deepEqual(await readLogTail(path), []);
  });

  await t.step("a short file whole, without the last newline", async () => {
    await Deno.writeTextFile(path, "one\ntwo\n");
    assert.deepEqual(await readLogTail(path), ["one", "two"]);
    await Deno.writeTextFile(path, "one\ntwo");
    assert.deepEqual(await readLogTail(path), ["one", "two"]);
  });

  await t.step("at most maxLines", async () => {
    await Deno.writeTextFile(path, "a\nb\nc\nd\n");
    assert.deepEqual(await readLogTail(path, { maxLines: 2 }), ["c", "d"]);
  });

  await t.step("at most maxBytes, dropping a cut first line", async () => {
    await Deno.writeTextFile(path, "first line\nsecond\nthird\n"); // 24 bytes
    assert.deepEqual(await readLogTail(path, { maxBytes: 13 }), ["second", "third"]);
    assert.deepEqual(await readLogTail(path, { maxBytes: 12 }), ["third"]);
    assert.deepEqual(await readLogTail(path, { maxBytes: 23 }), ["second", "third"]);
    assert.deepEqual(await readLogTail(path, { maxBytes: 24 }), ["first line", "second", "third"]);
  });

  await t.step("a multi-byte character cut at the start is dropped with its line", async () => {
    await Deno.writeTextFile(path, "ééé\nok\n");
    assert.deepEqual(await readLogTail(path, { maxBytes: 5 }), ["ok"]);
  });
  await Deno.remove(dir, { recursive: true });
});
