// The controller assembled from its parts, as sample-controller's controller_test.go does it:
// caches seeded by hand, one key reconciled, and the API calls that reached the real API
// server (its audit log) compared with the expected list. Time is a FakeClock; the writer,
// the Event recorder and the API server are the real ones.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { Controller, ReconcileError, type ControllerSettings } from "../../src/controller/controller.ts";
import { kubeWriter } from "../../src/controller/kube-writer.ts";
import type { HeldToken } from "../../src/controller/token-keeper.ts";
import { coreApi } from "../../src/kube/client.ts";
import { EventRecorder } from "../../src/kube/events.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { FakeClock } from "../../src/util/fake-clock.ts";
import { auditMark, ourCallsSince } from "../support/audit.ts";
import { SeededCache } from "../support/cache.ts";
import { adminClients, createNamespaces, createServiceAccount, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { eventually } from "../support/controller.ts";
import { capturedLog } from "../support/log.ts";
import { kubeConfig } from "../support/testenv.ts";

const { core: admin } = adminClients();
const core = coreApi(kubeConfig());
const secretName = "ecr-public-token";

interface Fixture {
  readonly controller: Controller;
  readonly clock: FakeClock;
  readonly queued: string[];
  readonly namespaces: SeededCache<V1Namespace>;
  readonly secrets: SeededCache<V1Secret>;
  readonly serviceAccounts: SeededCache<V1ServiceAccount>;
  readonly logs: ReturnType<typeof capturedLog>;
  readonly metrics: ReturnType<typeof createMetrics>;
  /** The API calls our User-Agent made since the fixture was built, as "verb resource namespace/name". */
  calls(): string[];
  leading: boolean;
}

function fixture(
  prefix: string,
  options: { prune?: boolean; held?: HeldToken | undefined; pod?: { name: string; namespace: string }; writeGate?: () => boolean } = {},
): Fixture {
  const clock = new FakeClock(Date.parse("2026-03-01T00:00:00Z"));
  const expiresAt = new Date(clock.now() + 12 * 3_600_000);
  const held =
    "held" in options
      ? options.held
      : { token: { credentials: [{ server: "public.ecr.aws", username: "AWS", password: `pw-${prefix}` }], expiresAt }, failSafe: false };
  const logs = capturedLog();
  const metrics = createMetrics();
  const namespaces = new SeededCache<V1Namespace>();
  const secrets = new SeededCache<V1Secret>();
  const serviceAccounts = new SeededCache<V1ServiceAccount>();
  const queued: string[] = [];
  const mark = auditMark();
  const settings: ControllerSettings = {
    selection: { include: [`${prefix}-*`], all: false, exclude: [], labelSelector: { requirements: [], text: "" } },
    secretName,
    serviceAccounts: ["default"],
    refreshBeforeMs: 0,
    adopt: false,
    prune: options.prune ?? false,
    pod: options.pod,
  };
  const f: Fixture = {
    clock,
    queued,
    namespaces,
    secrets,
    serviceAccounts,
    logs,
    metrics,
    leading: true,
    controller: undefined as unknown as Controller,
    // A create's name comes from the body; the audit log fills it in only on some paths, so it is left out.
    calls: () =>
      ourCallsSince(mark).map((e) => `${e.verb} ${e.objectRef?.resource} ${e.objectRef?.namespace}/${e.verb === "create" ? "" : (e.objectRef?.name ?? "")}`),
  };
  // As run builds it: the client itself asks the gate as each write leaves.
  const client = options.writeGate ? coreApi(kubeConfig(), { mayWrite: options.writeGate }) : core;
  const controller = new Controller({
    caches: { namespaces, secrets, serviceAccounts },
    tokens: { current: held },
    enqueue: (key) => queued.push(key),
    writer: kubeWriter(client, clock),
    events: new EventRecorder(client, logs.log, clock),
    mayWrite: () => f.leading,
    settings,
    clock,
    log: logs.log,
    metrics,
  });
  return Object.assign(f, { controller });
}

/** Creates the namespace (and its default service account) on the server and seeds the caches with what the server holds. */
async function seedNamespace(f: Fixture, name: string, annotations: Record<string, string> = {}): Promise<void> {
  await createNamespaces(admin, [name], {}, annotations);
  await createServiceAccount(admin, name, "default", ["someone-else"]);
  f.namespaces.put(await admin.readNamespace({ name }));
  f.serviceAccounts.put(await admin.readNamespacedServiceAccount({ name: "default", namespace: name }));
  f.controller.observeNamespace(f.namespaces.get(name) as V1Namespace);
}

async function reseedFromServer(f: Fixture, namespace: string): Promise<void> {
  const secret = await readSecret(admin, namespace);
  if (secret) f.secrets.put(secret);
  f.serviceAccounts.put(await admin.readNamespacedServiceAccount({ name: "default", namespace }));
}

describe("controller: one key against seeded caches", () => {
  test("a new selected namespace is queued on its event, then gets the secret and the service-account entry: two calls", async () => {
    const prefix = uniqueName("ctl-new");
    const f = fixture(prefix);
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    assert.deepEqual(f.queued, [ns]);
    await f.controller.reconcile(ns);
    assert.deepEqual(f.calls(), [`create secrets ${ns}/`, `patch serviceaccounts ${ns}/default`]);
    const secret = await readSecret(admin, ns);
    assert.equal(dockerConfig(secret).auths["public.ecr.aws"]?.password, `pw-${prefix}`);
    assert.equal(secret?.metadata?.annotations?.["ecr-public-creds-helper/expires-at"], new Date(f.clock.now() + 12 * 3_600_000).toISOString());
    const sa = await admin.readNamespacedServiceAccount({ name: "default", namespace: ns });
    assert.deepEqual(
      sa.imagePullSecrets?.map((r) => r.name),
      ["someone-else", secretName],
      "the other entry is kept, ours appended",
    );
    assert.equal(f.logs.messages().at(-1), `namespace ${ns}: secret created; added to service accounts default`);
  });

  test("a namespace that already holds the held token costs no call", async () => {
    const prefix = uniqueName("ctl-fresh");
    const f = fixture(prefix);
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    await f.controller.reconcile(ns);
    await reseedFromServer(f, ns);
    const before = f.calls().length;
    await f.controller.reconcile(ns);
    assert.deepEqual(f.calls().slice(before), []);
  });

  test("a new token replaces the old one in place: one update", async () => {
    const prefix = uniqueName("ctl-renew");
    const first = fixture(prefix);
    const ns = `${prefix}-a`;
    await seedNamespace(first, ns);
    await first.controller.reconcile(ns);
    const later = fixture(prefix, {
      held: {
        token: { credentials: [{ server: "public.ecr.aws", username: "AWS", password: "newer" }], expiresAt: new Date(Date.parse("2026-03-01T18:00:00Z")) },
        failSafe: false,
      },
    });
    later.namespaces.put(await admin.readNamespace({ name: ns }));
    later.controller.observeNamespace(later.namespaces.get(ns) as V1Namespace);
    await reseedFromServer(later, ns);
    const uid = (await readSecret(admin, ns))?.metadata?.uid;
    await later.controller.reconcile(ns);
    assert.deepEqual(later.calls(), [`update secrets ${ns}/${secretName}`]);
    const secret = await readSecret(admin, ns);
    assert.equal(secret?.metadata?.uid, uid, "updated in place, never deleted and re-created");
    assert.equal(dockerConfig(secret).auths["public.ecr.aws"]?.password, "newer");
  });

  test("a foreign secret is left alone: a warning and one Event, no write", async () => {
    const prefix = uniqueName("ctl-foreign");
    const f = fixture(prefix);
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    await admin.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: secretName, labels: { team: "x" } }, type: "Opaque", stringData: { k: "v" } },
    });
    await reseedFromServer(f, ns);
    await f.controller.reconcile(ns);
    await f.controller.reconcile(ns);
    assert.deepEqual(f.calls(), [`create events ${ns}/`], "one Event, the repeat de-duplicated, and nothing else");
    const events = await admin.listNamespacedEvent({ namespace: ns });
    assert.deepEqual(
      events.items.map((e) => e.reason),
      ["ForeignSecret"],
    );
    assert.ok(f.logs.messages(40).some((m) => m.includes("not managed by us")));
  });

  test("no token yet: nothing is written", async () => {
    const prefix = uniqueName("ctl-notoken");
    const f = fixture(prefix, { held: undefined });
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    await f.controller.reconcile(ns);
    assert.deepEqual(f.calls(), []);
  });

  test("a replica that can no longer prove it leads writes nothing", async () => {
    const prefix = uniqueName("ctl-lost");
    const f = fixture(prefix);
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    f.leading = false;
    await f.controller.reconcile(ns);
    assert.deepEqual(f.calls(), []);
  });

  test("the lead lost after the reconcile's check, before the write left: the client sends nothing, quietly, and nothing is retried", async () => {
    const prefix = uniqueName("ctl-gate");
    let clientMayWrite = true;
    const f = fixture(prefix, { writeGate: () => clientMayWrite, prune: true });
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    clientMayWrite = false; // the reconcile's own check (f.leading) still says yes
    await f.controller.reconcile(ns); // resolves: no ReconcileError, so the queue does not retry
    assert.deepEqual(f.calls(), []);
    assert.equal(await readSecret(admin, ns), undefined);
    assert.deepEqual(f.logs.messages(40), [], "no WARN or ERROR for a write a former leader did not send");
    assert.ok(f.logs.messages().includes(`namespace ${ns}: not written, this replica no longer leads`));
    const written = await f.metrics.secretsWritten.get();
    assert.equal(
      written.values.find((v) => v.labels["outcome"] === "failed"),
      undefined,
    );

    // The prune path too: written while leading, then a controller that no longer selects it.
    clientMayWrite = true;
    await f.controller.reconcile(ns);
    assert.ok(await readSecret(admin, ns));
    let pruneMayWrite = true;
    const optOut = fixture(`${prefix}-other`, { prune: true, writeGate: () => pruneMayWrite });
    optOut.namespaces.put(await admin.readNamespace({ name: ns }));
    optOut.controller.observeNamespace(optOut.namespaces.get(ns) as V1Namespace);
    await reseedFromServer(optOut, ns);
    pruneMayWrite = false;
    await optOut.controller.reconcile(ns);
    assert.deepEqual(optOut.calls(), []);
    assert.ok(await readSecret(admin, ns), "our secret is still there");
    assert.deepEqual(optOut.logs.messages(40), []);
  });

  test("a failed write is an error to retry: counted, logged, no Event for a transient kind", async () => {
    const prefix = uniqueName("ctl-fail");
    const f = fixture(prefix);
    const ns = `${prefix}-gone`;
    // In the cache but not on the server: the create fails with 404.
    f.namespaces.put({ metadata: { name: ns } });
    f.controller.observeNamespace({ metadata: { name: ns } });
    await assert.rejects(f.controller.reconcile(ns), ReconcileError);
    assert.deepEqual(f.calls(), [`create secrets ${ns}/`]);
    const written = await f.metrics.secretsWritten.get();
    assert.equal(written.values.find((v) => v.labels["outcome"] === "failed")?.value, 1);
    assert.ok(f.logs.messages(50).some((m) => m.startsWith(`namespace ${ns}: `)));
  });

  test("an immutable managed secret: one failed update, a Warning Event with the delete hint, and no retry", async () => {
    const prefix = uniqueName("ctl-immutable");
    const f = fixture(prefix);
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    await f.controller.reconcile(ns);
    const ours = await readSecret(admin, ns);
    assert.ok(ours);
    await admin.replaceNamespacedSecret({
      name: secretName,
      namespace: ns,
      body: { ...ours, immutable: true, data: { ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64") } },
    });
    await reseedFromServer(f, ns);
    const mark = f.calls().length;
    await f.controller.reconcile(ns); // resolves: the work queue does not retry it
    assert.deepEqual(f.calls().slice(mark), [`update secrets ${ns}/${secretName}`, `create events ${ns}/`]);
    const events = await admin.listNamespacedEvent({ namespace: ns });
    assert.match(events.items.find((e) => e.reason === "SecretWriteFailed")?.message ?? "", /immutable/);
    assert.ok(f.logs.messages(50).some((m) => m.includes("delete it so that it is re-created")));
  });

  test("--prune removes our secret and only our service-account entry from a namespace no longer selected", async () => {
    const prefix = uniqueName("ctl-prune");
    const f = fixture(prefix, { prune: true });
    const ns = `${prefix}-a`;
    await seedNamespace(f, ns);
    await f.controller.reconcile(ns);
    await reseedFromServer(f, ns);
    // A controller whose selection (prefix-other-*) no longer takes the namespace.
    const optOut = fixture(`${prefix}-other`, { prune: true });
    optOut.namespaces.put(await admin.readNamespace({ name: ns }));
    optOut.controller.observeNamespace(optOut.namespaces.get(ns) as V1Namespace);
    await reseedFromServer(optOut, ns);
    await optOut.controller.reconcile(ns);
    assert.deepEqual(optOut.calls(), [`patch serviceaccounts ${ns}/default`, `delete secrets ${ns}/${secretName}`]);
    assert.equal(await readSecret(admin, ns), undefined);
    const sa = await admin.readNamespacedServiceAccount({ name: "default", namespace: ns });
    assert.deepEqual(
      sa.imagePullSecrets?.map((r) => r.name),
      ["someone-else"],
    );
  });

  test("--prune never touches an opted-out namespace nor a foreign secret's namespace, byte for byte", async () => {
    const prefix = uniqueName("ctl-keep");
    const f = fixture(prefix, { prune: true });
    const optedOut = `${prefix}-a`;
    const foreign = `x${prefix}-b`; // outside the selection, so --prune considers it
    // Our secret and entry exist in the opted-out namespace (written before it opted out).
    await seedNamespace(f, optedOut);
    await f.controller.reconcile(optedOut);
    const current = await admin.readNamespace({ name: optedOut });
    await admin.replaceNamespace({
      name: optedOut,
      body: { ...current, metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, "ecr-public-creds-helper/ignore": "true" } } },
    });
    await seedNamespace(f, foreign);
    await admin.createNamespacedSecret({
      namespace: foreign,
      body: { metadata: { name: secretName, labels: { "app.kubernetes.io/managed-by": "helm" } }, type: "Opaque", stringData: { k: "v" } },
    });
    const saWithEntry = await admin.readNamespacedServiceAccount({ name: "default", namespace: foreign });
    await admin.replaceNamespacedServiceAccount({
      name: "default",
      namespace: foreign,
      body: { ...saWithEntry, imagePullSecrets: [{ name: "someone-else" }, { name: secretName }] },
    });
    for (const ns of [optedOut, foreign]) {
      f.namespaces.put(await admin.readNamespace({ name: ns }));
      f.controller.observeNamespace(f.namespaces.get(ns) as V1Namespace);
      await reseedFromServer(f, ns);
    }
    const snapshot = async (ns: string): Promise<string> =>
      JSON.stringify([await readSecret(admin, ns), await admin.readNamespacedServiceAccount({ name: "default", namespace: ns })]);
    const before = [await snapshot(optedOut), await snapshot(foreign)];
    const mark = f.calls().length;
    await f.controller.reconcile(optedOut);
    await f.controller.reconcile(foreign);
    assert.deepEqual(f.calls().slice(mark), []);
    assert.deepEqual([await snapshot(optedOut), await snapshot(foreign)], before);
  });

  test("the fail-safe: a Warning Event on our own pod, and every cached namespace queued; a real token queues them without an Event", async () => {
    const prefix = uniqueName("ctl-failsafe");
    const home = `${prefix}-home`;
    await createNamespaces(admin, [home]);
    const f = fixture(prefix, { pod: { name: "helper-0", namespace: home } });
    for (const name of [`${prefix}-a`, "elsewhere"]) f.namespaces.put({ metadata: { name } });
    const token = { credentials: [], expiresAt: new Date(f.clock.now() + 60_000) };
    f.controller.onToken({ token, failSafe: true });
    await eventually("the Event", async () => (await admin.listNamespacedEvent({ namespace: home })).items.length > 0);
    const events = await admin.listNamespacedEvent({ namespace: home });
    assert.deepEqual(
      events.items.map((e) => [e.type, e.reason, e.involvedObject.kind, e.involvedObject.name]),
      [["Warning", "FailSafeEngaged", "Pod", "helper-0"]],
    );
    assert.deepEqual(f.queued, [`${prefix}-a`, "elsewhere"]);
    f.controller.onToken({ token, failSafe: false });
    assert.deepEqual(f.queued, [`${prefix}-a`, "elsewhere", `${prefix}-a`, "elsewhere"]);
    assert.equal((await admin.listNamespacedEvent({ namespace: home })).items.length, 1);
  });

  test("a keeper with no token yet learns the earliest expiry recorded on our secrets in selected namespaces", () => {
    const f = fixture("ctl-expiry", { held: undefined });
    const secret = (
      namespace: string,
      expiresAt: string,
      labels: Record<string, string> = { "app.kubernetes.io/managed-by": "ecr-public-creds-helper" },
    ): V1Secret => ({ metadata: { name: secretName, namespace, labels, annotations: { "ecr-public-creds-helper/expires-at": expiresAt } } });
    for (const name of ["ctl-expiry-a", "ctl-expiry-b", "ctl-expiry-c", "elsewhere"]) {
      f.namespaces.put({ metadata: { name } });
      f.controller.observeNamespace({ metadata: { name } });
    }
    assert.equal(f.controller.earliestSecretExpiry(), undefined, "no secret, no expiry");
    f.secrets.put(secret("ctl-expiry-a", "2026-03-01T10:00:00.000Z"));
    f.secrets.put(secret("ctl-expiry-b", "2026-03-01T08:00:00.000Z"));
    f.secrets.put(secret("ctl-expiry-c", "2026-03-01T01:00:00.000Z", { team: "x" }));
    f.secrets.put(secret("elsewhere", "2026-03-01T00:30:00.000Z"));
    assert.equal(f.controller.earliestSecretExpiry()?.toISOString(), "2026-03-01T08:00:00.000Z", "foreign and unselected secrets do not count");
  });
});
