/**
 * baseserver/install.sh run against a stand-in `kubectl` that records each call (and the YAML
 * piped to `kubectl apply -f -`): the order of the steps, the waits, --dry-run, the image
 * repository, and stopping at the first failure. No cluster is needed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const INSTALL = join(ROOT, "baseserver/install.sh");
const SERVICES = ["tarsconfig", "tarslog", "tarsnotify", "tarsstat", "tarsproperty"];

// Numbers its calls in the order they finish reading their input: in \`kubectl create … |
// kubectl apply -f -\` the apply reads to the end of what create wrote, so it numbers after create.
const FAKE_KUBECTL = `#!/bin/sh
case " $* " in *" -f - "*) cat > "$LOG_DIR/stdin.$$" ;; esac
tries=0
until mkdir "$LOG_DIR/lock" 2>/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100000 ]; then echo "kubectl stand-in: no lock" >&2; exit 3; fi
done
n=$(( $(cat "$LOG_DIR/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$LOG_DIR/count"
rmdir "$LOG_DIR/lock"
printf '%s\\n' "$*" > "$LOG_DIR/$n.args"
if [ -f "$LOG_DIR/stdin.$$" ]; then mv "$LOG_DIR/stdin.$$" "$LOG_DIR/$n.stdin"; fi
if [ "$1" = create ]; then
  printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-create\\n'
fi
if [ "$1" = "\${FAIL_ON:-}" ]; then echo "kubectl: failed" >&2; exit 1; fi
exit 0
`;

/** One recorded kubectl call: its arguments and the objects piped to it, as "Kind/name". */
interface Call {
  readonly args: string;
  readonly objects: string[];
  readonly images: string[];
}

/** Runs install.sh with the stand-in kubectl first on PATH. */
async function runInstall(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; calls: Call[] }> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "kubectl"), FAKE_KUBECTL);
    await Deno.chmod(join(dir, "kubectl"), 0o755);
    const out = await new Deno.Command("sh", {
      args: [INSTALL, ...args],
      env: { PATH: `${dir}:${Deno.env.get("PATH")}`, LOG_DIR: dir, ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const count = Number(await Deno.readTextFile(join(dir, "count")).catch(() => "0"));
    const calls: Call[] = [];
    for (let n = 1; n <= count; n++) {
      const stdin = await Deno.readTextFile(join(dir, `${n}.stdin`)).catch(() => "");
      const docs = parseAllDocuments(stdin).map((d) => d.toJS()).filter((d) => d !== null);
      calls.push({
        args: (await Deno.readTextFile(join(dir, `${n}.args`))).trim(),
        objects: docs.map((d) => `${d.kind}/${d.metadata.name}`),
        images: docs.flatMap((d) =>
          (d.spec?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image)
        ),
      });
    }
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      calls,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A readable summary of the calls: "apply Kind/name,…" or the wait's arguments. */
function steps(calls: Call[]): string[] {
  return calls.map((c) =>
    c.args.startsWith("apply") ? `apply ${c.objects.join(",")}` : c.args.replace(/\s+/g, " ")
  );
}

Deno.test("install.sh: applies in order and waits for each step", async () => {
  const { code, stderr, calls } = await runInstall([]);
  assert.equal(code, 0, stderr);
  const wait = "wait --namespace tars-system --timeout 300s --for=condition=";
  assert.deepEqual(steps(calls), [
    "apply Namespace/tars-system",
    `create configmap tars-db-schema --namespace tars-system --from-file=db_tars.sql=` +
    `${ROOT}baseserver/db/db_tars.sql --dry-run=client -o yaml`,
    "apply ConfigMap/from-create",
    "apply Secret/tars-mysql,PersistentVolumeClaim/tars-mysql-data,Deployment/tars-mysql," +
    "Service/tars-mysql",
    `${wait}Available deployment/tars-mysql`,
    "apply Job/tars-db-schema",
    `${wait}Complete job/tars-db-schema`,
    // The stand-in answers the get: the tokens Secret exists, and is left as it is.
    "get secret tars-registry-tokens --namespace tars-system",
    "apply ConfigMap/tars-registry-db,Deployment/tars-registry,Service/tars-registry",
    `${wait}Available deployment/tars-registry`,
    ...SERVICES.map((s) => `apply ConfigMap/${s},Deployment/${s}`),
    ...SERVICES.map((s) => `${wait}Available deployment/${s}`),
  ]);
  for (const call of calls.filter((c) => c.args.startsWith("apply"))) {
    assert.equal(call.args, "apply -f -");
  }
  await Deno.stat(join(ROOT, "baseserver/db/db_tars.sql"));
});

Deno.test("install.sh: the registration tokens Secret is created only when missing", async () => {
  const { code, stderr, calls } = await runInstall([], { FAIL_ON: "get" });
  assert.equal(code, 0, stderr);
  const registry = steps(calls).findIndex((s) => s.includes("Deployment/tars-registry"));
  assert.deepEqual(steps(calls).slice(registry - 2, registry), [
    "get secret tars-registry-tokens --namespace tars-system",
    "apply Secret/tars-registry-tokens",
  ]);
});

Deno.test("install.sh: --dry-run passes --dry-run=client and waits for nothing", async () => {
  const { code, stderr, calls } = await runInstall(["--dry-run"]);
  assert.equal(code, 0, stderr);
  assert.ok(calls.length > 0);
  assert.ok(!calls.some((c) => c.args.startsWith("get")), "a dry run asks the cluster nothing");
  assert.ok(calls.some((c) => c.objects.includes("Secret/tars-registry-tokens")));
  assert.deepEqual(calls.filter((c) => c.args.startsWith("wait")), []);
  for (const call of calls.filter((c) => c.args.startsWith("apply"))) {
    assert.equal(call.args, "apply --dry-run=client -f -");
  }
});

Deno.test("install.sh: TARS_IMAGE_REPO and --timeout", async () => {
  const { code, stderr, calls } = await runInstall(["--timeout", "10m"], {
    TARS_IMAGE_REPO: "registry.example.com/tars",
  });
  assert.equal(code, 0, stderr);
  const images = calls.flatMap((c) => c.images).filter((i) => !i.startsWith("mariadb:"));
  assert.deepEqual(images, [
    "registry.example.com/tars/tarsregistry:0.1.0",
    ...SERVICES.map((s) => `registry.example.com/tars/${s}:0.1.0`),
  ]);
  assert.ok(calls.filter((c) => c.args.startsWith("wait")).every((c) => c.args.includes("10m")));
});

Deno.test("install.sh: stops at the first failing step", async () => {
  const { code, calls } = await runInstall([], { FAIL_ON: "wait" });
  assert.notEqual(code, 0);
  assert.equal(calls.at(-1)!.args.split(" ")[0], "wait");
  assert.ok(!calls.some((c) => c.objects.includes("Job/tars-db-schema")));
});

Deno.test("install.sh: an unknown option is a usage error", async () => {
  const { code, stderr, calls } = await runInstall(["--frobnicate"]);
  assert.equal(code, 2);
  assert.equal(stderr.trim(), "install.sh: unknown option --frobnicate; run install.sh --help");
  assert.deepEqual(calls, []);
});
