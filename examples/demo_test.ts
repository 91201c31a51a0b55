import assert from "node:assert/strict";
import { runDemo } from "./demo.ts";
import { readLines } from "../local/mod.ts";
import { exists } from "../lib/not_found.ts";
import { processesWith } from "../tests/support/processes.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("deno task demo runs the demo", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(config.tasks.demo, "deno run --allow-all examples/demo.ts");
});

Deno.test("demo: registry, pod, ready, a call through the registry, stop, gone", async () => {
  const lines: string[] = [];
  await runDemo({ say: (line) => lines.push(line) });
  const text = lines.join("\n");
  // The first probe, before the supervisor wrote any state, reads as what it is: the pod starting.
  assert.equal(
    lines.find((line) => line.includes("tarscli hzcheck:")),
    "   tarscli hzcheck: waiting for the pod to start",
  );
  assert.doesNotMatch(text, /no state file/);
  assert.match(text, /Ready: the supervisor registered the pod/);
  assert.match(text, /The service answers: "Hello demo, from hello-demo"/);
  // Before the stop the pod's endpoint is active, with its server line; after it, none.
  const [before, after] = text.split("7. The registry's view now");
  assert.match(
    before,
    /Lookup of TestApp\.Hello\.HelloObj: active 127\.0\.0\.2:\d+; inactive none/,
  );
  assert.match(before, /TestApp\.Hello on 127\.0\.0\.2: active \(present active/);
  // The example's _server_meta.yaml says what it is: a service on the Node framework.
  assert.match(before, /TestApp\.Hello on 127\.0\.0\.2: .*, type tars_nodejs,/);
  assert.match(before, /tars\.tarsregistry on 127\.0\.0\.1:\d+: active/);
  assert.match(text, /prestop: done/);
  assert.match(text, /The supervisor exited with code 0 \d+ ms after SIGTERM\./);
  assert.match(after, /Lookup of TestApp\.Hello\.HelloObj: active none; inactive none/);
  assert.doesNotMatch(after, /TestApp\.Hello on/);
  assert.equal(lines.at(-1), "Cleaned up: every process stopped, the temp directories removed.");
  const tarsPath = /Its TARS_PATH is (\S+):/.exec(text)![1];
  assert.equal(await exists(tarsPath), false, "the pod's directory is removed");
});

Deno.test("demo: aborted, it tells no further line, cleans up and rejects", async () => {
  const lines: string[] = [];
  const abort = new AbortController();
  const demo = runDemo({
    say: (line) => {
      lines.push(line);
      if (line.startsWith("4. A client calls")) abort.abort();
    },
    signal: abort.signal,
  });
  await assert.rejects(demo, { name: "AbortError" });
  const at = lines.findIndex((line) => line.startsWith("4. A client calls"));
  assert.deepEqual(lines.slice(at + 1), [
    "Cleaned up: every process stopped, the temp directories removed.",
  ]);
  const tarsPath = /Its TARS_PATH is (\S+):/.exec(lines.join("\n"))![1];
  assert.equal(await exists(tarsPath), false, "the pod's directory is removed");
});

Deno.test("demo: Ctrl-C stops everything it started and removes its directories", async () => {
  // A terminal's Ctrl-C sends SIGINT to the whole foreground process group: the demo in its own
  // group (detached) stands for that terminal's job, run as `npm run demo` runs it (deno task,
  // which passes the signal on once more).
  const demo = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "demo"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    detached: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let interrupted = false;
  let tarsPath = "";
  const interrupt = (line: string) => {
    tarsPath ||= /Its TARS_PATH is (\S+):/.exec(line)?.[1] ?? "";
    if (!interrupted && line.startsWith("4. A client calls")) {
      interrupted = true;
      Deno.kill(-demo.pid, "SIGINT");
    }
    // A second Ctrl-C while it cleans up (as npm and deno task pass the first on again) changes
    // nothing.
    if (line.startsWith("Interrupted:")) Deno.kill(-demo.pid, "SIGINT");
  };
  const timer = setTimeout(() => Deno.kill(-demo.pid, "SIGKILL"), 60_000);
  try {
    await Promise.all([
      readLines(demo.stdout, (line) => {
        lines.push(line);
        interrupt(line);
      }),
      readLines(demo.stderr, (line) => lines.push(line)),
    ]);
    const status = await demo.status;
    const text = lines.join("\n");
    assert.ok(interrupted, text);
    assert.equal(status.code, 130, text);
    // Nothing more of the demo after the interrupt: no further step, no failure, only the clean-up.
    const at = lines.indexOf("Interrupted: stopping everything the demo started.");
    assert.ok(at > 0, text);
    assert.deepEqual(lines.slice(at + 1), [
      "Cleaned up: every process stopped, the temp directories removed.",
    ]);
    assert.doesNotMatch(text, /^7\. /m);
    assert.ok(tarsPath, text);
    assert.equal(await exists(tarsPath), false, "the pod's directory is removed");
    // Nothing of the demo's process group is left running, nor the service (in a group of its
    // own): no process runs with the pod's TARS_PATH in its environment.
    assert.throws(() => Deno.kill(-demo.pid, "SIGCONT"), Deno.errors.NotFound);
    assert.deepEqual(await processesWith(`TARS_PATH=${tarsPath}`), []);
  } finally {
    clearTimeout(timer);
  }
});
