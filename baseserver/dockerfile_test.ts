/**
 * The images cannot be built here (no Docker engine): these tests read both Dockerfiles and
 * .dockerignore and check what a build relies on.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BINARIES } from "./compile.ts";
import { compiledGraph, localFiles } from "./compiled_graph.ts";
import { VERSION } from "../lib/version_info.ts";
import { EXAMPLE_POD_FILES } from "../local/mod.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DISTROLESS_CC = "gcr.io/distroless/cc-debian12";

/** One Dockerfile instruction: its keyword, flags (`--from=x`) and the rest of the line. */
interface Instruction {
  readonly keyword: string;
  readonly flags: Readonly<Record<string, string>>;
  readonly args: string;
}

/** One build stage: its base image, name and instructions. */
interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** Splits a Dockerfile into stages (line continuations joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim());
  const stages: Stage[] = [];
  for (const line of lines) {
    if (line === "" || line.startsWith("#")) continue;
    const [keyword, ...rest] = line.split(/\s+/);
    const flags: Record<string, string> = {};
    while (rest[0]?.startsWith("--")) {
      const [flag, value = ""] = rest.shift()!.slice(2).split("=");
      flags[flag] = value;
    }
    const instruction = { keyword: keyword.toUpperCase(), flags, args: rest.join(" ") };
    if (instruction.keyword === "FROM") {
      const [image, as, name] = rest;
      assert.ok(as === undefined || as.toUpperCase() === "AS", `unexpected FROM: ${line}`);
      stages.push({ image, name, instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${keyword} before the first FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The instructions of a stage with that keyword. */
function find(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** Sources and destination of a COPY (the last word is the destination). */
function copyPaths(copy: Instruction): { sources: string[]; destination: string } {
  const words = copy.args.split(/\s+/);
  return { sources: words.slice(0, -1), destination: words.at(-1)! };
}

/** ENV instructions as one map (`ENV A=1 B=2` form). */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of find(stage, "ENV")) {
    for (const pair of i.args.split(/\s+/)) {
      const [name, value] = pair.split("=");
      env[name] = value;
    }
  }
  return env;
}

/** Checks shared by both images: the pinned build stage, what is copied, the final stage. */
function checkImage(path: string, binary: string): Stage[] {
  const stages = parseDockerfile(Deno.readTextFileSync(join(ROOT, path)));
  const [build] = stages;
  const final = stages.at(-1)!;
  assert.equal(build.image, `denoland/deno:${Deno.version.deno}`, "build on the pinned Deno");
  assert.equal(build.name, "build");
  assert.deepEqual(find(build, "RUN").map((i) => i.args), ["deno task compile"]);
  const workdir = find(build, "WORKDIR")[0].args;
  for (const stage of stages) {
    // distroless publishes no version tags (only digests, not computable here): its name pins
    // Debian 12 and glibc; every other image names its version.
    if (stage.image === DISTROLESS_CC) continue;
    assert.match(stage.image, /:[\w.-]+$/, `${path}: ${stage.image} has no pinned tag`);
    assert.doesNotMatch(stage.image, /:latest$|alpine|distroless\/static/);
  }
  assert.equal(final.image, DISTROLESS_CC, `${path}: the final stage is distroless cc`);
  for (const stage of stages) {
    for (const copy of find(stage, "COPY")) {
      const { sources } = copyPaths(copy);
      const from = copy.flags.from;
      for (const source of sources) {
        if (from === undefined) {
          Deno.statSync(join(ROOT, source)); // throws when the context lacks it
        } else if (from === "build") {
          const output = source.slice(workdir.length + 1);
          assert.ok(source.startsWith(`${workdir}/`), `${path}: ${source} is outside ${workdir}`);
          assert.ok(
            BINARIES.some((b) => b.output === output),
            `${path}: ${output} is not an output of deno task compile`,
          );
        } else {
          const origin = stages.find((s) => s.name === from);
          assert.ok(origin, `${path}: no stage named ${from}`);
          const made = find(origin, "RUN").map((i) => i.args).join(" ");
          assert.ok(
            made.includes(source.replace(/\/$/, "")),
            `${path}: ${from} makes no ${source}`,
          );
        }
      }
    }
  }
  const binaryCopy = find(final, "COPY").find((c) => c.flags.from === "build");
  assert.ok(binaryCopy, `${path}: the final stage copies no binary from the build stage`);
  assert.deepEqual(copyPaths(binaryCopy), {
    sources: [`${workdir}/dist/${binary}`],
    destination: `/usr/bin/${binary}`,
  });
  const env = envOf(final);
  assert.equal(env.TARS_PATH, "/tars");
  assert.equal(env.DENO_USE_CGROUPS, "1", "heap limit follows the container's memory limit");
  return stages;
}

Deno.test("Dockerfile: the tarscli base image", () => {
  const stages = checkImage("Dockerfile", "tarscli");
  const final = stages.at(-1)!;
  const rootfs = stages.find((s) => s.name === "rootfs")!;
  const made = find(rootfs, "RUN").map((i) => i.args).join(" ");
  for (const folder of ["bin", "conf", "data", "log"]) {
    assert.ok(made.includes(`/rootfs/tars/${folder}`), `no /tars/${folder}`);
  }
  assert.match(made, /cp \/bin\/dash \/rootfs\/bin\/sh/, "the supervisor needs sh");
  assert.match(
    rootfs.image,
    /^debian:12[\w.-]*$/,
    "sh from the Debian distroless cc is built from",
  );
  assert.deepEqual(find(final, "ENTRYPOINT"), [], "service images set CMD tarscli supervisor");
  assert.deepEqual(find(final, "CMD").map((i) => JSON.parse(i.args)), [["tarscli", "supervisor"]]);
  assert.deepEqual(find(final, "WORKDIR").map((i) => i.args), ["/tars"]);
});

Deno.test("baseserver/registry/Dockerfile: the tarsregistry image", () => {
  const final = checkImage("baseserver/registry/Dockerfile", "tarsregistry").at(-1)!;
  assert.deepEqual(find(final, "EXPOSE").map((i) => i.args), ["17890 9325"]);
  assert.deepEqual(find(final, "VOLUME").map((i) => i.args), ["/tars/data"]);
  assert.deepEqual(find(final, "USER").map((i) => i.args), ["65532:65532"]);
  assert.deepEqual(find(final, "ENTRYPOINT").map((i) => JSON.parse(i.args)), [[
    "/usr/bin/tarsregistry",
  ]]);
});

Deno.test(".dockerignore: keeps every file the binaries are compiled from, drops the rest", async () => {
  const patterns = Deno.readTextFileSync(join(ROOT, ".dockerignore")).split("\n")
    .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  // The patterns in use: a top-level name, or **/*SUFFIX.
  const ignored = (file: string) =>
    patterns.some((p) =>
      p.startsWith("**/*") ? file.endsWith(p.slice(4)) : file === p || file.startsWith(`${p}/`)
    );
  for (const name of [".git", "node_modules", "dist", "tests"]) {
    assert.ok(ignored(name), `${name} is sent to the build`);
  }
  assert.ok(ignored("genconf/generate_test.ts"));
  const needed = ["deno.json", "package.json", "baseserver/compile.ts"];
  for (const spec of BINARIES) {
    needed.push(...localFiles(ROOT, await compiledGraph(ROOT, spec.entry)), ...spec.include ?? []);
  }
  assert.deepEqual(needed.filter(ignored), []);
});

Deno.test("examples/simple/Dockerfile: the example service on the tarscli base image", () => {
  const path = "examples/simple/Dockerfile";
  const stages = parseDockerfile(Deno.readTextFileSync(join(ROOT, path)));
  const [deps, final] = stages;
  assert.equal(stages.length, 2);
  // The base image is this project's Dockerfile, tagged with the version tarscli reports.
  assert.equal(final.image, `tarscli/tarscli:${VERSION}`, "FROM the tarscli base image");
  assert.match(deps.image, /^node:\d+\.\d+\.\d+-bookworm-slim$/, "Node for Debian 12, pinned");
  assert.deepEqual(find(final, "CMD"), [], "the base image's CMD (tarscli supervisor) stays");
  const copies = find(final, "COPY").map(copyPaths);
  const fromContext = find(final, "COPY").filter((c) => c.flags.from === undefined)
    .flatMap((c) => copyPaths(c).sources);
  for (const source of fromContext) Deno.statSync(join(ROOT, source));
  // What the service needs in /tars/bin: the pod files the lifecycle tests run.
  assert.deepEqual(
    fromContext.map((s) => s.replace("examples/simple/", "")).sort(),
    [...EXAMPLE_POD_FILES].sort(),
  );
  assert.ok(copies.some((c) => c.destination === "/tars/bin/"));
  // start.sh runs node with NODE_PATH=/app/node_modules.
  const start = Deno.readTextFileSync(join(ROOT, "examples/simple/start.sh"));
  assert.match(start, /NODE_PATH:-\/app\/node_modules/);
  assert.ok(copies.some((c) => c.destination === "/app/node_modules"));
  assert.ok(copies.some((c) => c.destination === "/usr/local/bin/node"));
  // The image's framework versions are the ones the tests run against.
  const example = JSON.parse(Deno.readTextFileSync(join(ROOT, "examples/simple/package.json")));
  const root = JSON.parse(Deno.readTextFileSync(join(ROOT, "package.json")));
  for (const [name, version] of Object.entries(example.dependencies)) {
    assert.equal(root.devDependencies[name], version, `${name}: tested version`);
  }
});
