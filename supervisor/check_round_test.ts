import assert from "node:assert/strict";
import { join } from "../lib/posix_path.ts";
import { type CheckedPod, CheckRound } from "./check_round.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";

Deno.test("check round", async (t) => {
  const tarsPath = await Deno.makeTempDir();
  const info = fakeServerInfo(tarsPath);
  const drainMarker = join(info.paths.data, "prestop");
  const checked: string[][] = [];
  const scripts: AbortSignal[] = [];
  const lines: string[] = [];
  let listening: string[] = [];
  let scriptHangs = false;
  const pod: CheckedPod = {
    info,
    checkEndpoints: (endpoints) => {
      checked.push([...endpoints]);
      return Promise.resolve({ ok: true });
    },
    isListening: (endpoint) => Promise.resolve(listening.includes(endpoint)),
    runBeforeCheck: async (signal) => {
      scripts.push(signal);
      if (scriptHangs) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
      }
      return { ok: false, detail: signal.aborted ? "killed" : "exit code 1" };
    },
    log: (line) => lines.push(line),
  };
  const round = new CheckRound(pod, { drainMarker });
  try {
    await t.step("with the service: the script, the markers and every endpoint", async () => {
      assert.deepEqual(await round.run(true), {
        type: "checked",
        markers: { stop: false, drain: false },
        endpoints: { ok: true },
      });
      assert.deepEqual(checked, [[info.adapters[0].endpoint, info.local]]);
      assert.equal(scripts.length, 1);
      assert.deepEqual(lines, ["before-check script: exit code 1"]);
    });

    await t.step("the markers in data/: data/stop and the drain marker", async () => {
      await Deno.mkdir(info.paths.data, { recursive: true });
      await Deno.writeTextFile(join(info.paths.data, "stop"), "");
      await Deno.writeTextFile(drainMarker, "");
      const event = await round.run(false);
      assert.deepEqual(event, {
        type: "checked",
        markers: { stop: true, drain: true },
        endpoints: undefined,
      });
      assert.equal(scripts.length, 1, "no script without the service");
      assert.equal(checked.length, 1, "no endpoints without the service");
    });

    await t.step("cancel stops the round's script, which is not logged", async () => {
      lines.length = 0;
      scriptHangs = true;
      const running = round.run(true);
      round.cancel();
      await running;
      assert.equal(scripts.at(-1)!.aborted, true);
      assert.deepEqual(lines, []);
    });

    await t.step("probePorts: open while any endpoint accepts connections", async () => {
      assert.deepEqual(await round.probePorts(), { type: "portsProbed", open: false });
      listening = [info.local];
      assert.deepEqual(await round.probePorts(), { type: "portsProbed", open: true });
    });
  } finally {
    await Deno.remove(tarsPath, { recursive: true });
  }
});
