import assert from "node:assert/strict";
import { parseMaps, startupPages, trimStartupPages } from "./memory_trim.ts";

const MAPS = [
  "55d0c0000000-55d0c0c00000 r--p 00000000 08:01 123 /usr/bin/deno",
  "55d0c0c00000-55d0c5000000 r-xp 00c00000 08:01 123 /usr/bin/deno",
  "55d0c5000000-55d0c5400000 r--p 05000000 08:01 123 /usr/bin/deno",
  "55d0c5400000-55d0c5500000 rw-p 05400000 08:01 123 /usr/bin/deno",
  "55d0c6000000-55d0c6100000 rw-p 00000000 00:00 0 [heap]",
  "7f0000000000-7f0000100000 r-xp 00000000 08:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6",
  "7f0000200000-7f0000300000 r--p 00000000 08:01 789 /tmp/a file with spaces",
].join("\n");

Deno.test("memory trim", async (t) => {
  await t.step("only the executable's code and its first read-only segment", () => {
    const picked = startupPages(parseMaps(MAPS), "/usr/bin/deno");
    assert.deepEqual(picked.map((m) => [m.perms, m.offset, m.end - m.start]), [
      ["r--p", 0, 0xc00000n],
      ["r-xp", 0xc00000, 0x4400000n],
    ]);
    assert.equal(parseMaps(MAPS).at(-1)!.path, "/tmp/a file with spaces");
  });

  await t.step("this process gives back pages and goes on working", () => {
    const rss = () =>
      Number(/^VmRSS:\s+(\d+)/m.exec(Deno.readTextFileSync("/proc/self/status"))![1]);
    const before = rss();
    const bytes = trimStartupPages();
    const after = rss();
    assert.ok(bytes > 10 * 1048576, `${bytes} bytes of code and read-only data`);
    assert.ok(after < before, `VmRSS ${before} kB before, ${after} kB after`);
    // Code it dropped runs again (faulted back in from the page cache).
    assert.equal(JSON.parse(JSON.stringify({ a: [1, 2] })).a[1], 2);
    assert.match(new Date(0).toISOString(), /^1970/);
  });
});
