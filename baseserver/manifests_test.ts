/**
 * Every Kubernetes manifest of the project (baseserver/ and examples/, any depth): it parses, each
 * object matches the Kubernetes API schema of its kind (kubernetes-models), every `tarscli` in a
 * probe, hook or container command names a real sub-command, and a `tarscli supervisor` pod gets
 * a grace period of TARS_PRESTOP_WAITTIME + TARS_STOP_GRACE + 2 s (the supervisor's stop budget),
 * the preStop hook `tarscli prestop` and an httpGet readiness probe on TARS_PROBE_PORT. Then what the
 * baseserver manifests promise each other: names, ports, keys, the database password.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Pod } from "kubernetes-models/v1/Pod";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Job } from "kubernetes-models/batch/v1/Job";
import { CronJob, type ICronJob } from "kubernetes-models/batch/v1/CronJob";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { COMMANDS } from "../cli/command_table.ts";
import { type ConfigSection, parseTarsConfig } from "../lib/tars_config.ts";
import { ifExistsSync } from "../lib/not_found.ts";
import { readSettings, variablesOf } from "../lib/settings.ts";
import { STOP_SLACK } from "../supervisor/machine.ts";
import { RegistrationTokens } from "../registry/registration_tokens.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

/** A Kubernetes object as parsed from YAML (only the fields these tests read are typed). */
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  // deno-lint-ignore no-explicit-any
  [key: string]: any;
};

/** Validates an object against the schema of its kind; throws with the schema's complaint. */
const VALIDATORS: Record<string, (object: K8sObject) => void> = {
  "v1/Namespace": (o) => new Namespace(o).validate(),
  "v1/ConfigMap": (o) => new ConfigMap(o).validate(),
  "v1/Secret": (o) => new Secret(o).validate(),
  "v1/Service": (o) => new Service(o).validate(),
  "v1/ServiceAccount": (o) => new ServiceAccount(o).validate(),
  "v1/PersistentVolumeClaim": (o) => new PersistentVolumeClaim(o).validate(),
  "v1/Pod": (o) => new Pod(o).validate(),
  "apps/v1/Deployment": (o) => new Deployment(o).validate(),
  "apps/v1/StatefulSet": (o) => new StatefulSet(o).validate(),
  "apps/v1/DaemonSet": (o) => new DaemonSet(o).validate(),
  "batch/v1/Job": (o) => new Job(o).validate(),
  "batch/v1/CronJob": (o) => new CronJob(o as ICronJob).validate(),
  "policy/v1/PodDisruptionBudget": (o) => new PodDisruptionBudget(o).validate(),
};

/** The YAML files under `dir` at any depth, relative to the project root. */
function yamlFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const entries = ifExistsSync(() => [...Deno.readDirSync(path)]);
    for (const entry of entries ?? []) {
      const child = join(path, entry.name);
      if (entry.isDirectory) walk(child);
      else if (/\.ya?ml$/.test(entry.name)) found.push(relative(ROOT, child));
    }
  };
  walk(join(ROOT, dir));
  return found.sort();
}

/** The Kubernetes manifests: every YAML file of baseserver/ and examples/ but TARS meta files. */
function manifestFiles(): string[] {
  return [...yamlFiles("baseserver"), ...yamlFiles("examples")]
    .filter((file) => !file.endsWith("_server_meta.yaml"));
}

/** The objects of one manifest file; a YAML error fails with the file and line. */
function readObjects(file: string): K8sObject[] {
  const docs = parseAllDocuments(Deno.readTextFileSync(join(ROOT, file)));
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    assert.deepEqual(doc.errors.map((e) => e.message), [], `${file} does not parse`);
    const value = doc.toJS();
    if (value === null) continue; // an empty document, e.g. after a trailing ---
    objects.push(value);
  }
  return objects;
}

/** The pod spec inside an object, for the kinds that have one. */
function podSpecOf(object: K8sObject): K8sObject["spec"] | undefined {
  switch (object.kind) {
    case "Pod":
      return object.spec;
    case "CronJob":
      return object.spec?.jobTemplate?.spec?.template?.spec;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "Job":
      return object.spec?.template?.spec;
  }
  return undefined;
}

/** Every command line a container runs or has Kubernetes run, with where it is. */
function commandLines(container: K8sObject): { where: string; argv: string[] }[] {
  const lines: { where: string; argv: string[] }[] = [];
  for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    const argv = container[probe]?.exec?.command;
    if (argv) lines.push({ where: probe, argv });
  }
  for (const hook of ["postStart", "preStop"]) {
    const argv = container.lifecycle?.[hook]?.exec?.command;
    if (argv) lines.push({ where: hook, argv });
  }
  const argv = [...container.command ?? [], ...container.args ?? []];
  if (argv.length > 0) lines.push({ where: "command", argv });
  return lines;
}

/** The literal environment of a container (valueFrom entries are left out). */
function literalEnv(container: K8sObject): Record<string, string> {
  return Object.fromEntries(
    (container.env ?? []).filter((e: K8sObject) => e.value !== undefined)
      .map((e: K8sObject) => [e.name, String(e.value)]),
  );
}

const FILES = manifestFiles();
const OBJECTS = FILES.flatMap((file) => readObjects(file).map((object) => ({ file, object })));

Deno.test("manifests: the baseserver manifests are all found", () => {
  for (
    const file of [
      "baseserver/namespace.yaml",
      "baseserver/db/mysql.yaml",
      "baseserver/db/schema_job.yaml",
      "baseserver/registry/registry.yaml",
      "baseserver/services/tarsconfig.yaml",
    ]
  ) {
    assert.ok(FILES.includes(file), `${file} is missing from ${FILES.join(", ")}`);
  }
});

Deno.test("manifests: every object matches the Kubernetes schema of its kind", async (t) => {
  for (const { file, object } of OBJECTS) {
    const kind = `${object.apiVersion}/${object.kind}`;
    await t.step(`${file}: ${object.kind} ${object.metadata?.name}`, () => {
      const validate = VALIDATORS[kind];
      assert.ok(validate, `${file}: no schema for ${kind}; add its kubernetes-models class above`);
      assert.ok(object.metadata?.name, `${file}: a ${object.kind} without metadata.name`);
      validate(object);
    });
  }
});

Deno.test("manifests: a schema violation is caught (the validator is live)", () => {
  const broken = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "x" },
    spec: {
      selector: { matchLabels: { a: "b" } },
      template: { spec: { containers: [{ name: "c", ports: [{ containerPort: "http" }] }] } },
    },
  };
  assert.throws(() => VALIDATORS["apps/v1/Deployment"](broken), /containerPort must be integer/);
});

Deno.test("manifests: each tarscli in a probe, hook or command is a real sub-command", () => {
  const names = new Set(COMMANDS.map((c) => c.name));
  let seen = 0;
  for (const { file, object } of OBJECTS) {
    const pod = podSpecOf(object);
    for (const container of [...pod?.initContainers ?? [], ...pod?.containers ?? []]) {
      for (const { where, argv } of commandLines(container)) {
        if (!/(^|\/)tarscli$/.test(argv[0])) continue;
        seen++;
        assert.ok(
          names.has(argv[1]),
          `${file}: ${object.metadata.name}/${container.name} ${where} runs "tarscli ${
            argv[1]
          }", ` +
            `not one of ${[...names].join(", ")}`,
        );
      }
    }
  }
  assert.ok(seen >= 12, `only ${seen} tarscli command lines found`);
});

Deno.test(
  "manifests: a tarscli supervisor pod's grace is TARS_PRESTOP_WAITTIME + TARS_STOP_GRACE + 2 s",
  () => {
    let seen = 0;
    for (const { file, object } of OBJECTS) {
      const pod = podSpecOf(object);
      for (const container of pod?.containers ?? []) {
        const argv = [...container.command ?? [], ...container.args ?? []];
        if (!/(^|\/)tarscli$/.test(argv[0]) || argv[1] !== "supervisor") continue;
        seen++;
        const where = `${file}: ${object.metadata.name}`;
        const settings = readSettings(literalEnv(container), "supervisor", { cwd: "/" });
        const need = settings.prestopWaitTime + settings.stopGrace + STOP_SLACK;
        const grace = (pod.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
        assert.ok(
          grace >= need,
          `${where} has ${grace / 1000} s to stop, less than TARS_PRESTOP_WAITTIME ` +
            `(${settings.prestopWaitTime / 1000} s) + TARS_STOP_GRACE (${
              settings.stopGrace / 1000
            } s) ` +
            `+ ${STOP_SLACK / 1000} s`,
        );
        assert.deepEqual(
          container.lifecycle?.preStop?.exec?.command,
          ["tarscli", "prestop"],
          `${where}: no preStop tarscli prestop`,
        );
        // The readiness probe: GET /ready on TARS_PROBE_PORT (by number or by the port's name).
        const probe = container.readinessProbe?.httpGet;
        assert.ok(probe, `${where}: readinessProbe is not an httpGet of the supervisor's /ready`);
        assert.equal(probe.path, "/ready", where);
        const port = typeof probe.port === "number" ? probe.port : container.ports?.find((
          p: K8sObject,
        ) => p.name === probe.port)?.containerPort;
        assert.ok(settings.probePort !== undefined, `${where}: TARS_PROBE_PORT is not set`);
        assert.equal(port, settings.probePort, `${where}: the probe's port is not TARS_PROBE_PORT`);
      }
    }
    assert.ok(seen >= 6, `only ${seen} supervisor containers found`);
  },
);

Deno.test("manifests: every image names a version", () => {
  for (const { file, object } of OBJECTS) {
    const pod = podSpecOf(object);
    for (const container of [...pod?.initContainers ?? [], ...pod?.containers ?? []]) {
      assert.match(container.image ?? "", /:[\w.-]+$/, `${file}: ${container.name} has no tag`);
      assert.doesNotMatch(container.image, /:latest$/, `${file}: ${container.name} uses latest`);
    }
  }
});

/** The baseserver object of that kind and name. */
function baseObject(kind: string, name: string): K8sObject {
  const found = OBJECTS.find(({ file, object }) =>
    file.startsWith("baseserver/") && object.kind === kind && object.metadata.name === name
  );
  assert.ok(found, `baseserver has no ${kind} ${name}`);
  return found.object;
}

/** The values of a section path in a parsed TARS config, e.g. ["tars", "db"]. */
function sectionValues(root: ConfigSection, path: readonly string[]): Record<string, string> {
  let section: ConfigSection | undefined = root;
  for (const name of path) {
    section = section?.items.find((i): i is ConfigSection =>
      i.kind === "section" && i.name === name
    );
  }
  assert.ok(section, `no <${path.join("><")}> section`);
  return Object.fromEntries(
    section.items.flatMap((i) => i.kind === "value" ? [[i.key, i.value ?? ""]] : []),
  );
}

Deno.test("baseserver: the manifests agree with each other and with the binaries", async (t) => {
  await t.step("everything lives in tars-system", () => {
    for (const { file, object } of OBJECTS) {
      if (!file.startsWith("baseserver/") || object.kind === "Namespace") continue;
      assert.equal(object.metadata.namespace, "tars-system", `${file}: ${object.metadata.name}`);
    }
    assert.ok(baseObject("Namespace", "tars-system"));
  });

  await t.step("the registry: Service on 17890 and 9325, /readyz probes, preStop", () => {
    const service = baseObject("Service", "tars-registry");
    assert.deepEqual(
      service.spec.ports.map((p: K8sObject) => [p.port, p.targetPort]),
      [[17890, "tars"], [9325, "metrics"]],
    );
    const deployment = baseObject("Deployment", "tars-registry");
    const pod = deployment.spec.template.spec;
    assert.deepEqual(deployment.spec.template.metadata.labels, {
      ...service.spec.selector,
      "app.kubernetes.io/part-of": "tars",
    });
    const [container] = pod.containers;
    assert.deepEqual(
      container.ports.map((p: K8sObject) => [p.name, p.containerPort]),
      [["tars", 17890], ["metrics", 9325]],
    );
    // Not /healthz: it fails while self-preservation holds, which must not take replicas away.
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "metrics" });
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/readyz", port: "metrics" });
    assert.ok(container.lifecycle.preStop, "no preStop");
    assert.ok(pod.terminationGracePeriodSeconds > container.lifecycle.preStop.sleep.seconds);
  });

  await t.step("the registry's ConfigMap holds only variables the registry reads", () => {
    const known = new Set(variablesOf("registry").map((v) => v.name));
    const config = baseObject("ConfigMap", "tars-registry-db");
    for (const key of Object.keys(config.data)) assert.ok(known.has(key), `${key} is not read`);
    const [container] = baseObject("Deployment", "tars-registry").spec.template.spec.containers;
    assert.deepEqual(container.envFrom, [{ configMapRef: { name: "tars-registry-db" } }]);
    const pass = container.env.find((e: K8sObject) => e.name === "DB_PASS");
    assert.deepEqual(pass.valueFrom.secretKeyRef, { name: "tars-mysql", key: "root-password" });
    assert.equal(config.data.DB_HOST, "tars-mysql.tars-system.svc.cluster.local");
    assert.ok(baseObject("Service", "tars-mysql"));
  });

  await t.step("the registry reads its tokens file from the Secret tars-registry-tokens", () => {
    const pod = baseObject("Deployment", "tars-registry").spec.template.spec;
    const [container] = pod.containers;
    const volume = pod.volumes.find((v: K8sObject) =>
      v.secret?.secretName === "tars-registry-tokens"
    );
    assert.ok(volume, "no volume of the Secret tars-registry-tokens");
    const mount = container.volumeMounts.find((m: K8sObject) => m.name === volume.name);
    assert.equal(mount.subPath, undefined, "a subPath mount never sees the Secret's updates");
    assert.equal(mount.readOnly, true);
    const path = literalEnv(container).TARS_REGISTRY_TOKENS;
    assert.equal(path, `${mount.mountPath}/tokens`);
    const secret = baseObject("Secret", "tars-registry-tokens");
    const { tokens, problems } = RegistrationTokens.parse(secret.stringData.tokens, {
      source: "tars-registry-tokens",
    });
    assert.deepEqual(problems, []);
    assert.ok(tokens.empty, "installed without tokens: every server registers as before");
  });

  await t.step("the schema Job loads db_tars.sql from the ConfigMap tars-db-schema", () => {
    const job = baseObject("Job", "tars-db-schema");
    const pod = job.spec.template.spec;
    assert.deepEqual(pod.volumes, [{ name: "schema", configMap: { name: "tars-db-schema" } }]);
    assert.match(pod.containers[0].command.at(-1), /db_tars < \/schema\/db_tars\.sql/);
  });

  const services = ["tarsconfig", "tarslog", "tarsnotify", "tarsstat", "tarsproperty"];
  const password = baseObject("Secret", "tars-mysql").stringData["root-password"];
  for (const name of services) {
    await t.step(`${name}: tarscli supervisor with its meta file and merge file`, () => {
      const config = baseObject("ConfigMap", name);
      const pod = baseObject("Deployment", name).spec.template.spec;
      const [container] = pod.containers;
      assert.deepEqual(container.command, ["tarscli", "supervisor"]);
      assert.deepEqual(container.lifecycle.preStop.exec.command, ["tarscli", "prestop"]);
      const env = literalEnv(container);
      const mounts = Object.fromEntries(
        container.volumeMounts.map((m: K8sObject) => [m.mountPath, m.subPath]),
      );
      assert.deepEqual(mounts, {
        "/tars/bin/_server_meta.yaml": "_server_meta.yaml",
        "/tars/bin/start.sh": "start.sh",
        [env.TARS_MERGE_CONF]: "merge.conf",
      });
      for (const key of Object.values(mounts)) assert.ok(config.data[key], `no ${key}`);
      assert.deepEqual(pod.volumes, [{ name: "conf", configMap: { name } }]);
      const token = container.env.find((e: K8sObject) => e.name === "TARS_REGISTRY_TOKEN");
      assert.deepEqual(token?.valueFrom?.secretKeyRef, {
        name: "tars-framework-token",
        key: "token",
        optional: true,
      });
      const meta = parseAllDocuments(config.data["_server_meta.yaml"])[0].toJS();
      assert.deepEqual([meta.application, meta.server], ["tars", name]);
      assert.match(config.data["start.sh"], new RegExp(`exec "\\$TARS_PATH/bin/${name}"`));
      const merge = parseTarsConfig(config.data["merge.conf"], { source: `${name} merge.conf` });
      const db = { tarsconfig: ["db"], tarsnotify: ["db"], tarsstat: ["statdb", "db1"] }[name] ??
        (name === "tarsproperty" ? ["propertydb", "db1"] : undefined);
      if (db) {
        const values = sectionValues(merge, ["tars", ...db]);
        assert.equal(values.dbpass, password, `${name}: dbpass differs from the Secret tars-mysql`);
        assert.equal(values.dbhost, "tars-mysql.tars-system.svc.cluster.local");
      }
    });
  }
});
