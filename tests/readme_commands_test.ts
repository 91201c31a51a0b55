/**
 * Every command the README tells a reader to run names something that exists: an npm script, a
 * Deno task, a file of the repository or a `tarscli` command. It reads the README's shell blocks
 * (```sh) and its inline code that starts with a command (`npm …`, `npx deno …`, `tarscli …`).
 * A command this test does not know fails it, so a new kind of command gets a check here.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMANDS } from "../cli/command_table.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SHELL_BLOCK = /^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm;
const ANY_BLOCK = /^```[\s\S]*?^```$/gm;
/** The first words that make an inline code span a command. */
const COMMAND_WORDS = new Set(["npm", "npx", "deno", "node", "tarscli", "tarsregistry", "docker"]);
/**
 * The inline `deno …` spans that are not instructions for a newcomer, who has no deno on PATH: the
 * README names them for a reader with Deno on PATH, as the task an npm script runs, or as the Deno
 * sub-command at work. Any other inline command with Deno is written `npx deno …`.
 */
const BARE_DENO_MENTIONS = new Set([
  "deno task start",
  "deno task test",
  "deno task compile",
  "deno compile",
  "deno check",
]);
/** npm's own commands the README may use. */
const NPM_COMMANDS = new Set(["install", "ci"]);
/** Standard tools (coreutils, OpenSSL) of the README's recipes: they take no file of ours. */
const SYSTEM_TOOLS = new Set(["openssl", "tr", "base64", "printf", "sha256sum", "cut"]);
/** Deno sub-commands that take no file of ours, or none in the README. */
const DENO_COMMANDS = new Set(["fmt", "lint", "check", "compile", "info", "--version"]);

/** What the commands are checked against. */
interface Project {
  readonly scripts: Record<string, string>;
  readonly tasks: Record<string, string>;
  readonly tarscli: ReadonlySet<string>;
}

async function project(): Promise<Project> {
  const pkg = JSON.parse(await Deno.readTextFile(join(ROOT, "package.json")));
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  return {
    scripts: pkg.scripts,
    tasks: config.tasks,
    tarscli: new Set(COMMANDS.flatMap((command) => [command.name, ...command.aliases ?? []])),
  };
}

/** The commands of the README's shell blocks: one per line, split at `&&`, `||`, `;` and `|`. */
export function shellBlockCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const [, body] of markdown.matchAll(SHELL_BLOCK)) {
    for (const line of body.replace(/\\\n/g, " ").split("\n")) {
      const code = line.replace(/(^|\s)#.*$/, "").replace(/\s+/g, " ");
      commands.push(...code.split(/&&|\|\||;|\|/).map((c) => c.trim()).filter(Boolean));
    }
  }
  return commands;
}

/** The inline code spans outside code blocks that start with a command word and an argument. */
export function inlineCommands(markdown: string): string[] {
  const prose = markdown.replace(ANY_BLOCK, "");
  return [...prose.matchAll(/`([^`]+)`/g)]
    .map(([, span]) => span.replace(/\s+/g, " ").trim())
    .filter((span) => COMMAND_WORDS.has(span.split(" ")[0]) && span.includes(" "));
}

/**
 * Why a command of a shell block, which a newcomer copies as it is, would not run right after
 * `npm install`: deno is then `npx deno`, and tarscli and tarsregistry are the compiled binaries
 * (dist/, the images), not on PATH.
 */
export function notOnPath(command: string): string | undefined {
  const first = command.split(" ")[0];
  if (first === "deno") return "deno is not on PATH after npm install: write npx deno";
  if (first === "tarscli" || first === "tarsregistry") {
    return `${first} is not on PATH after npm install: run it in a pod or from dist/`;
  }
  return undefined;
}

/** Words of a command line; quotes group words, placeholders (`[NAME]`, `…`) are dropped. */
function words(command: string): string[] {
  const found = command.match(/'[^']*'|"[^"]*"|\S+/g) ?? [];
  return found
    .map((word) => word.replace(/^(['"])(.*)\1$/, "$2"))
    .filter((word) => !/^\[.*\]?$|…|^\.\.\.$/.test(word) && !/^[A-Z]+$/.test(word));
}

function fileExists(path: string): boolean {
  return existsSync(join(ROOT, path));
}

/** Why `command` does not name something that exists, or undefined when it does. */
export function checkCommand(command: string, project: Project): string | undefined {
  const [first, ...args] = words(command);
  const operands = args.filter((arg) => !arg.startsWith("-"));
  switch (first) {
    case "npm": {
      const [sub, name] = operands;
      if (NPM_COMMANDS.has(sub)) return undefined;
      if (sub === "start" || sub === "test") return project.scripts[sub] ? undefined : `no ${sub}`;
      if (sub === "run") return project.scripts[name] ? undefined : `no npm script ${name}`;
      return `npm ${sub} is not a command this project uses`;
    }
    case "npx":
      return operands[0] === "deno"
        ? checkCommand(args.join(" "), project)
        : `npx ${operands[0]}: only npx deno is installed`;
    case "deno": {
      const [sub, target] = operands;
      if (sub === "task") return project.tasks[target] ? undefined : `no deno task ${target}`;
      if (sub === "run" || sub === "test" || sub === "bench") {
        return target === undefined || fileExists(target) ? undefined : `no file ${target}`;
      }
      if (args.length === 0 || DENO_COMMANDS.has(args[0])) return undefined;
      return `deno ${args[0]} is not checked here`;
    }
    case "node":
      return operands[0] && fileExists(operands[0]) ? undefined : `no file ${operands[0]}`;
    case "tarscli":
      return project.tarscli.has(args[0]) ? undefined : `no tarscli command ${args[0]}`;
    case "tarsregistry":
      return undefined;
    case "docker": {
      const file = args[args.indexOf("-f") + 1];
      if (args.includes("-f") && !fileExists(file)) return `no file ${file}`;
      return fileExists(args.at(-1) ?? "") ? undefined : `no build context ${args.at(-1)}`;
    }
    case "kubectl": {
      const rest = args.indexOf("--");
      if (rest >= 0) return checkCommand(args.slice(rest + 1).join(" "), project);
      const file = args[args.indexOf("-f") + 1];
      // `-f -` reads what the command before it in the pipe wrote.
      return !args.includes("-f") || file === "-" || fileExists(file)
        ? undefined
        : `no file ${file}`;
    }
    default:
      if (SYSTEM_TOOLS.has(first)) return undefined;
      if (first?.includes("/")) return fileExists(first) ? undefined : `no file ${first}`;
      return `${first} is a command this test does not know: add its check`;
  }
}

Deno.test("README: every command in a shell block names something that exists", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const found = await project();
  const commands = shellBlockCommands(readme);
  assert.ok(commands.includes("npm install") && commands.includes("npm test"), commands.join("\n"));
  // The three terminals of the example against npm start's registry.
  for (
    const command of [
      "npm start",
      "npm run example",
      "npx deno run --allow-net examples/simple/client.ts",
    ]
  ) {
    assert.ok(commands.includes(command), command);
  }
  const wrong = commands.map((c) => [c, notOnPath(c) ?? checkCommand(c, found)])
    .filter(([, why]) => why);
  assert.deepEqual(wrong, []);
});

Deno.test("README: every inline command names something that exists", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const found = await project();
  const commands = inlineCommands(readme);
  assert.ok(commands.includes("npm run demo"), commands.join("\n"));
  const bare = (c: string) =>
    c.startsWith("deno ") && !BARE_DENO_MENTIONS.has(c) ? notOnPath(c) : undefined;
  const wrong = commands.map((c) => [c, bare(c) ?? checkCommand(c, found)])
    .filter(([, why]) => why);
  assert.deepEqual(wrong, []);
});

Deno.test("checkCommand: what it accepts and what it names as missing", async () => {
  const found = await project();
  const cases: [string, string | undefined][] = [
    ["npm install", undefined],
    ["npm run demo", undefined],
    ["npm run example", undefined],
    ["npm run example -- LOCATOR", undefined],
    ["npm run nothing", "no npm script nothing"],
    ["npm publish", "npm publish is not a command this project uses"],
    ["npx deno task check", undefined],
    ["npx deno task nothing", "no deno task nothing"],
    ["npx vite", "npx vite: only npx deno is installed"],
    ["deno run --allow-net examples/simple/client.ts [LOCATOR] [NAME]", undefined],
    ["deno run --allow-net examples/missing.ts", "no file examples/missing.ts"],
    ["deno run …", undefined],
    ["npx deno", undefined],
    ["deno upgrade", "deno upgrade is not checked here"],
    ["tarscli help [COMMAND]", undefined],
    ["tarscli notify CMD…", undefined],
    ["tarscli frobnicate", "no tarscli command frobnicate"],
    ["tarscli --help", undefined],
    ["tarscli --frobnicate", "no tarscli command --frobnicate"],
    ["docker build -f examples/simple/Dockerfile -t x:1 .", undefined],
    ["docker build -f nowhere/Dockerfile .", "no file nowhere/Dockerfile"],
    ["kubectl -n tars-system exec deploy/hello -- tarscli notify tars.viewstatus", undefined],
    ["kubectl exec deploy/hello -- tarscli nothing", "no tarscli command nothing"],
    ["kubectl apply -f -", undefined],
    ["kubectl apply -f nowhere.yaml", "no file nowhere.yaml"],
    ["sha256sum < testapp.token", undefined],
    ["baseserver/install.sh", undefined],
    ["baseserver/missing.sh", "no file baseserver/missing.sh"],
    ["make all", "make is a command this test does not know: add its check"],
  ];
  for (const [command, why] of cases) assert.equal(checkCommand(command, found), why, command);
});

Deno.test("notOnPath: deno, tarscli and tarsregistry are not there after npm install", () => {
  assert.equal(notOnPath("npx deno task demo"), undefined);
  assert.equal(
    notOnPath("deno task demo"),
    "deno is not on PATH after npm install: write npx deno",
  );
  assert.match(notOnPath("tarscli help") ?? "", /^tarscli is not on PATH/);
  assert.equal(notOnPath("kubectl exec deploy/hello -- tarscli help"), undefined);
});

Deno.test("shellBlockCommands and inlineCommands find the commands, not the prose", () => {
  const markdown = [
    "Run `npm run demo`, read `TARS_PATH` and `npm`.",
    "```sh",
    "npm install && npm test   # both",
    "docker build \\",
    "  -t x .",
    "```",
    "```ts",
    "deno run not-a-command.ts",
    "```",
  ].join("\n");
  assert.deepEqual(shellBlockCommands(markdown), [
    "npm install",
    "npm test",
    "docker build -t x .",
  ]);
  assert.deepEqual(inlineCommands(markdown), ["npm run demo"]);
});
