// `status -o table|wide|json|yaml` against the real API server: every state in one run, as
// an identity with the namespaced RBAC of deploy/overlays/namespaced (so a namespace without its
// Role is forbidden), validated by a real JSON Schema validator against the committed
// docs/status.schema.json; the reads cost the same whatever the namespace count; no token in
// any output.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { loadAllYaml, type V1ClusterRole, type V1Role, type V1Secret } from "@kubernetes/client-node";
import { Ajv2020 } from "ajv/dist/2020.js";
import { load } from "js-yaml";
import { schemaIsCurrent, schemaPath } from "../../scripts/status-schema.ts";
import type { StatusReport } from "../../src/domain/status-document.ts";
import { auditMark, countBy, ourCallsSince } from "../support/audit.ts";
import { allOutput, runCli, type CliResult } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, readSecret, uniqueName } from "../support/kube.ts";
import { serviceAccountIdentity } from "../kube/identity.ts";
import { repoRoot } from "../testenv/paths.ts";

const { core, rbac } = adminClients();
const control = emulator();
const hour = 3_600_000;
/** A credential someone else put in our secret and in a foreign one: never to be printed either. */
const ghcrPassword = "ghcr-SECRET-do-not-print";

async function validator(): Promise<(document: unknown) => string | undefined> {
  // date-time is checked by the schema's own pattern; the format keyword is known, not re-checked.
  const ajv = new Ajv2020({ strict: true, allErrors: true, formats: { "date-time": true } });
  const validate = ajv.compile(JSON.parse(await readFile(schemaPath, "utf8")) as object);
  return (document) => (validate(document) ? undefined : ajv.errorsText(validate.errors));
}

/** Adds a ghcr.io login to the secret's .dockerconfigjson, as a person might. */
async function addGhcrEntry(namespace: string): Promise<void> {
  const secret = (await readSecret(core, namespace)) as V1Secret;
  const config = JSON.parse(Buffer.from(secret.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8")) as { auths: Record<string, unknown> };
  config.auths["ghcr.io"] = { username: "bot", password: ghcrPassword, auth: Buffer.from(`bot:${ghcrPassword}`).toString("base64") };
  const data = { ...secret.data, ".dockerconfigjson": Buffer.from(JSON.stringify(config)).toString("base64") };
  await core.replaceNamespacedSecret({ name: "ecr-public-token", namespace, body: { ...secret, data } });
}

async function setExpiry(namespace: string, at: Date): Promise<void> {
  const secret = (await readSecret(core, namespace)) as V1Secret;
  const annotations = { ...secret.metadata?.annotations, "ecr-public-creds-helper/expires-at": at.toISOString() };
  await core.replaceNamespacedSecret({ name: "ecr-public-token", namespace, body: { ...secret, metadata: { ...secret.metadata, annotations } } });
}

/** The shipped namespaced RBAC for `subject`: the read ClusterRole, and the target Role in `targets` only. */
async function grantNamespacedRbac(subject: { name: string; namespace: string }, targets: readonly string[]): Promise<void> {
  const dir = join(repoRoot, "deploy", "overlays", "namespaced");
  const subjects = [{ kind: "ServiceAccount", ...subject }];
  const read = (loadAllYaml(await readFile(join(dir, "read-clusterrole.yaml"), "utf8")) as Array<{ kind: string }>).find(
    (d) => d.kind === "ClusterRole",
  ) as V1ClusterRole;
  const readName = uniqueName("status-read");
  await rbac.createClusterRole({ body: { ...read, metadata: { name: readName } } });
  await rbac.createClusterRoleBinding({
    body: { metadata: { name: readName }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: readName }, subjects },
  });
  const role = (loadAllYaml(await readFile(join(dir, "target-roles.yaml"), "utf8")) as Array<{ kind: string }>).find((d) => d.kind === "Role") as V1Role;
  for (const namespace of targets) {
    const name = "ecr-public-creds-helper";
    await rbac.createNamespacedRole({ namespace, body: { ...role, metadata: { name, namespace } } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name, namespace }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name }, subjects },
    });
  }
}

/** The document without what changes from one run to the next (the time it was made). */
function timeless(report: StatusReport): unknown {
  return {
    ...report,
    metadata: { ...report.metadata, generatedAt: "-" },
    items: report.items.map((item) => ({ ...item, secret: item.secret && { ...item.secret, expiresInSeconds: 0 } })),
  };
}

const tableRows = (result: CliResult): Map<string, string> =>
  new Map(
    result.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => [line.split(/\s+/)[0] ?? "", line]),
  );

describe("status -o: every state, as an identity with namespaced RBAC", () => {
  const prefix = uniqueName("so");
  const ns = {
    ok: `${prefix}-ok`,
    due: `${prefix}-due`,
    expired: `${prefix}-expired`,
    missing: `${prefix}-missing`,
    foreign: `${prefix}-foreign`,
    terminating: `${prefix}-dying`,
    forbidden: `${prefix}-denied`,
    noNamespace: `${prefix}-gone`,
  };
  const selection = Object.values(ns).join(",");
  let kubeconfig = "";
  let username = "";
  const run = (args: readonly string[]): Promise<CliResult> => runCli(["status", "--kubeconfig", kubeconfig, "--service-accounts", "default", ...args]);

  before(async () => {
    const home = `${prefix}-home`;
    await createNamespaces(core, [home, ns.ok, ns.due, ns.expired, ns.missing, ns.foreign, ns.terminating, ns.forbidden]);
    for (const n of [ns.ok, ns.due, ns.expired, ns.missing, ns.forbidden]) await createServiceAccount(core, n, "default");
    const synced = await runCli(["sync", "--service-accounts", "default"], { TARGET_NAMESPACES: `${ns.ok} ${ns.due} ${ns.expired}` });
    assert.equal(synced.code, 0, synced.stderr);
    assert.equal((await runCli(["sync"], { TARGET_NAMESPACES: ns.terminating })).code, 0);
    await addGhcrEntry(ns.due);
    await setExpiry(ns.due, new Date(Date.now() + 2 * hour));
    await setExpiry(ns.expired, new Date(Date.now() - hour));
    await core.createNamespacedSecret({
      namespace: ns.foreign,
      body: {
        metadata: { name: "ecr-public-token", labels: { "app.kubernetes.io/managed-by": "other-tool" } },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": JSON.stringify({ auths: { "ghcr.io": { username: "bot", password: ghcrPassword } } }) },
      },
    });
    // Our secret keeps it Terminating: no namespace controller runs here to empty it.
    await core.deleteNamespace({ name: ns.terminating });
    assert.equal((await core.readNamespace({ name: ns.terminating })).status?.phase, "Terminating");
    const identity = await serviceAccountIdentity(home, "status-reader", "none");
    kubeconfig = identity.path;
    username = identity.username;
    // The writes a sync needs are granted where one is needed, except in the forbidden namespace.
    await grantNamespacedRbac({ name: "status-reader", namespace: home }, [ns.ok, ns.due, ns.expired, ns.missing]);
  });

  test("-o json: one item per namespace in each state, valid against docs/status.schema.json; exit 1", async () => {
    const result = await run(["-n", selection, "-o", "json"]);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as StatusReport;
    assert.equal((await validator())(report), undefined);
    const states = Object.fromEntries(report.items.map((item) => [item.namespace, item.state]));
    assert.deepEqual(states, {
      [ns.due]: "refresh-due",
      [ns.terminating]: "terminating",
      [ns.expired]: "expired",
      [ns.foreign]: "foreign",
      [ns.noNamespace]: "no-namespace",
      [ns.missing]: "missing",
      [ns.ok]: "ok",
      [ns.forbidden]: "forbidden",
    });
    assert.deepEqual(report.summary.states, { ok: 1, "refresh-due": 1, expired: 1, missing: 1, foreign: 1, terminating: 1, "no-namespace": 1, forbidden: 1 });
    assert.equal(report.summary.exitCode, 1);
    const item = (namespace: string) => report.items.find((i) => i.namespace === namespace);
    assert.deepEqual(item(ns.due)?.secret?.registries, [
      { host: "ghcr.io", ours: false },
      { host: "public.ecr.aws", ours: true },
    ]);
    assert.deepEqual(item(ns.foreign)?.secret?.registries, [{ host: "ghcr.io", ours: false }]);
    assert.equal(item(ns.foreign)?.secret?.managedBy, "other-tool");
    const due = item(ns.due)?.secret;
    assert.ok(due?.expiresInSeconds && due.expiresInSeconds > 0 && due.expiresInSeconds <= 2 * 3600, String(due?.expiresInSeconds));
    assert.ok((item(ns.expired)?.secret?.expiresInSeconds ?? 0) < 0);
    assert.ok(item(ns.ok)?.secret?.lastWrittenAt, "our write is dated from managedFields");
    assert.equal(item(ns.foreign)?.secret?.lastWrittenAt, null, "we never wrote the foreign one");
    assert.deepEqual(item(ns.ok)?.serviceAccounts, [{ name: "default", state: "ok" }]);
    assert.deepEqual(item(ns.missing)?.serviceAccounts, [{ name: "default", state: "unpatched" }]);
    assert.deepEqual(item(ns.forbidden)?.serviceAccounts, [{ name: "default", state: "forbidden" }]);
    assert.match(item(ns.forbidden)?.reason ?? "", /may not create secrets, patch serviceaccounts\/default here/);
  });

  test("still three lists; access reviews: one per kind of write, then per namespace only the kinds refused cluster-wide", async () => {
    const mark = auditMark();
    assert.equal((await run(["-n", selection, "-o", "json"])).code, 1);
    await new Promise((r) => setTimeout(r, 1_500));
    const counts = countBy(ourCallsSince(mark).filter((e) => (e as { user?: { username?: string } }).user?.username === username));
    // Cluster-wide: create secrets, update secrets/ecr-public-token, patch serviceaccounts/default, all
    // refused. Then update in ok, due, expired; create and patch in missing and in the forbidden one.
    assert.deepEqual(counts, { "list namespaces": 1, "list secrets": 1, "list serviceaccounts": 1, "create selfsubjectaccessreviews": 3 + 7 });
  });

  // client-node's dumpYaml would serialize `metadata` as a Kubernetes ObjectMeta and print
  // `metadata: {}` here (it did, until src/commands/output.ts used js-yaml).
  test("-o yaml is the same document", async () => {
    const [json, yaml] = await Promise.all([run(["-n", selection, "-o", "json"]), run(["-n", selection, "-o", "yaml"])]);
    assert.equal(yaml.code, 1, yaml.stderr);
    // A plain YAML parser: client-node's loadYaml would read `metadata` as a Kubernetes ObjectMeta.
    const fromYaml = load(yaml.stdout) as StatusReport;
    assert.equal((await validator())(fromYaml), undefined);
    assert.deepEqual(timeless(fromYaml), timeless(JSON.parse(json.stdout) as StatusReport));
  });

  test("table and -o wide say the same; wide marks our registries and names the owner", async () => {
    const table = tableRows(await run(["-n", selection]));
    assert.match(table.get(ns.due) ?? "", /\brefresh-due\s+in 1h\d+m\s+public\.ecr\.aws\s+ok$/);
    assert.match(table.get(ns.expired) ?? "", /\bexpired\s+expired\s+public\.ecr\.aws\s+ok$/);
    assert.match(table.get(ns.forbidden) ?? "", /\bforbidden\s+-\s+-\s+default \(forbidden\)$/);
    const wide = await run(["-n", selection, "-o", "wide"]);
    assert.match(wide.stdout, /^NAMESPACE\s+STATE\s+EXPIRES\s+REGISTRIES\s+SERVICE ACCOUNTS\s+ALL REGISTRIES\s+MANAGED BY\s+AGE\s+LAST WRITE\s+REASON$/m);
    const rows = tableRows(wide);
    assert.match(rows.get(ns.due) ?? "", /\sghcr\.io,public\.ecr\.aws\(ours\)\s+ecr-public-creds-helper\s+\d+\S*\s+\d+\S* ago\s+token expires soon$/);
    assert.match(rows.get(ns.foreign) ?? "", /\sghcr\.io\s+other-tool\s/);
  });

  test("exit 0 when every selected namespace and its service accounts are ok", async () => {
    const result = await run(["-n", ns.ok, "-o", "json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as StatusReport).summary.exitCode, 0);
    assert.equal((await run(["-n", ns.ok])).code, 0);
  });

  test("-o json for a selection that matches nothing: the document with no items, exit 1", async () => {
    const result = await run(["-n", `${prefix}-nothing-*`, "-o", "json"]);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as StatusReport;
    assert.deepEqual(report.items, []);
    assert.equal((await validator())(report), undefined);
    assert.match(result.stderr, /no namespace matches the selection/);
  });

  test("no token or password in any output", async () => {
    const output = allOutput.join("\n");
    const { tokens } = await control.issued();
    assert.ok(tokens.length > 0);
    for (const t of tokens) assert.ok(t.password && !output.includes(t.password), "an issued token was printed");
    assert.ok(!output.includes(ghcrPassword), "another registry's password was printed");
  });
});

describe("status: reads that do not grow with the namespace count", () => {
  const small = Array.from({ length: 3 }, (_, i) => uniqueName(`so-s${i}`));
  const large = Array.from({ length: 30 }, (_, i) => uniqueName(`so-l${i}`));
  let identity: { path: string; username: string };

  before(async () => {
    const home = uniqueName("so-calls-home");
    await createNamespaces(core, [home, ...small, ...large]);
    for (const n of [...small, ...large]) await createServiceAccount(core, n, "default");
    assert.equal((await runCli(["sync", "--service-accounts", "default"], { TARGET_NAMESPACES: [...small, ...large].join(" ") })).code, 0);
    // The cluster-wide identity of deploy/base/rbac.yaml, with a name of its own: other runs
    // of the tool may write to the same audit log meanwhile.
    identity = await serviceAccountIdentity(home, "status-counted", "shipped");
  });

  async function counted(namespaces: readonly string[]): Promise<Record<string, number>> {
    const mark = auditMark();
    const result = await runCli(["status", "--kubeconfig", identity.path, "--service-accounts", "default", "-o", "json", "-n", namespaces.join(",")]);
    assert.equal(result.code, 0, result.stderr);
    // The audit log is written asynchronously by the API server: give it a moment.
    await new Promise((r) => setTimeout(r, 1_500));
    const mine = ourCallsSince(mark).filter((e) => (e as { user?: { username?: string } }).user?.username === identity.username);
    return countBy(mine);
  }

  test("a cluster-wide identity: three lists and one access review, for 3 or 30 namespaces", async () => {
    for (const counts of [await counted(small), await counted(large)]) {
      assert.deepEqual(counts, { "list namespaces": 1, "list secrets": 1, "list serviceaccounts": 1, "create selfsubjectaccessreviews": 1 });
    }
  });
});

test("docs/status.schema.json is the one made from the zod definition (node scripts/status-schema.ts)", () => {
  assert.ok(schemaIsCurrent(), "docs/status.schema.json is stale: run node scripts/status-schema.ts");
});
