// The restarting informer against the real API server. Restart delays run on a FakeClock: the
// tests move fake time to the next restart and then wait (in real time, briefly) for that
// attempt's real network answer, so the schedule is exact and no test waits for a delay.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { KubeConfig, type KubernetesListObject, type KubernetesObject, type V1ConfigMap, type V1Namespace } from "@kubernetes/client-node";
import { RestartingInformer } from "../../src/controller/informer.ts";
import { coreApi } from "../../src/kube/client.ts";
import { FakeClock } from "../../src/util/fake-clock.ts";
import { eventually } from "../support/controller.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { capturedLog, type CapturedLog } from "../support/log.ts";
import { serviceAccountIdentity } from "../kube/identity.ts";
import { apiProxy } from "../kube/proxy.ts";

const { core: admin, kc: adminKc } = adminClients();
const start = Date.parse("2026-03-01T00:00:00.000Z");
const warn = 40;
const minute = 60_000;

interface Watched<T extends KubernetesObject> {
  readonly informer: RestartingInformer<T>;
  readonly clock: FakeClock;
  readonly logs: CapturedLog;
  readonly changed: string[];
  readonly deleted: string[];
}

function watchConfigMaps(kc: KubeConfig, namespace: string, clock = new FakeClock(start, 0.5)): Watched<V1ConfigMap> {
  const core = coreApi(kc);
  const logs = capturedLog();
  const changed: string[] = [];
  const deleted: string[] = [];
  const informer = new RestartingInformer<V1ConfigMap>(
    kc,
    "configmaps",
    `/api/v1/namespaces/${namespace}/configmaps`,
    () => core.listNamespacedConfigMap({ namespace }),
    { onChange: (cm) => changed.push(cm.metadata?.name ?? ""), onDelete: (cm) => deleted.push(cm.metadata?.name ?? "") },
    logs.log,
    clock,
  );
  return { informer, clock, logs, changed, deleted };
}

function watchNamespaces(kc: KubeConfig, clock: FakeClock, list?: () => Promise<KubernetesListObject<V1Namespace>>): Watched<V1Namespace> {
  const core = coreApi(kc);
  const logs = capturedLog();
  const informer = new RestartingInformer<V1Namespace>(
    kc,
    "namespaces",
    "/api/v1/namespaces",
    list ?? (() => core.listNamespace()),
    { onChange: () => undefined, onDelete: () => undefined },
    logs.log,
    clock,
  );
  return { informer, clock, logs, changed: [], deleted: [] };
}

/** Moves fake time to the next restart and waits for that attempt's failure. */
async function nextFailedAttempt(watched: Pick<Watched<KubernetesObject>, "informer" | "clock">): Promise<number> {
  const { informer, clock } = watched;
  const before = informer.failedAttempts;
  const delay = clock.nextTimerIn();
  assert.ok(delay !== undefined, "a restart is scheduled");
  await clock.advance(delay);
  await eventually(`attempt ${before + 1} to fail`, async () => informer.failedAttempts === before + 1);
  return delay;
}

async function configMap(namespace: string, name: string, value: string): Promise<void> {
  await admin.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { value } } });
}

describe("RestartingInformer", () => {
  const namespace = uniqueName("informer");
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const stop of stops) await stop();
    await admin.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  test("syncs, then sees objects added, updated and deleted", async () => {
    await createNamespaces(admin, [namespace]);
    await configMap(namespace, "before", "1");
    const { informer, logs, changed, deleted } = watchConfigMaps(adminKc, namespace);
    stops.push(() => informer.stop());
    assert.equal(informer.synced, false);
    await informer.start();
    assert.equal(informer.synced, true);
    assert.equal(informer.get("before", namespace)?.data?.["value"], "1");

    await configMap(namespace, "added", "1");
    await eventually("the add", async () => informer.get("added", namespace));
    await admin.patchNamespacedConfigMap({ name: "added", namespace, body: [{ op: "replace", path: "/data/value", value: "2" }] });
    await eventually("the update", async () => informer.get("added", namespace)?.data?.["value"] === "2");
    await admin.deleteNamespacedConfigMap({ name: "added", namespace });
    await eventually("the delete", async () => informer.get("added", namespace) === undefined);

    assert.deepEqual(changed, ["before", "added", "added"]);
    assert.deepEqual(deleted, ["added"]);
    assert.deepEqual(
      informer.list(namespace).map((cm) => cm.metadata?.name),
      ["before"],
    );
    assert.equal(informer.get("before", namespace)?.metadata?.managedFields, undefined, "the cache keeps only what decisions read");
    assert.equal(informer.failedAttempts, 0);
    assert.equal(informer.lastError, undefined);
    assert.deepEqual(logs.messages(warn), []);
    await informer.stop();
  });

  test("an unreachable API server: restarts follow the capped backoff, one WARN per streak plus a reminder every 5 min", async () => {
    const closed = await apiProxy(adminKc); // never listening: its address refuses connections
    const watched = watchNamespaces(closed.kc, new FakeClock(start, 0.5));
    const { informer, clock, logs } = watched;
    stops.push(() => informer.stop());
    await informer.start();
    assert.equal(informer.failedAttempts, 1);
    assert.equal(informer.synced, false);
    const delays: number[] = [];
    while (clock.now() + (clock.nextTimerIn() ?? Infinity) <= start + 10 * minute) delays.push(await nextFailedAttempt(watched));

    // min(60 s, 1 s x 2^(n-1)) x 0.75 at random() = 0.5.
    assert.deepEqual(delays, [750, 1500, 3000, 6000, 12000, 24000, ...Array<number>(12).fill(45000)]);
    assert.equal(informer.failedAttempts, 19, "19 attempts in 10 minutes, not thousands");
    assert.equal(informer.lastError, "ECONNREFUSED");
    assert.deepEqual(logs.messages(warn), [
      "watch of namespaces failed: ECONNREFUSED; retrying with backoff, next attempt in 1s",
      "watch of namespaces still failing after 13 attempts over 5m17s: ECONNREFUSED; next attempt in 45s",
    ]);
    await informer.stop();
    assert.equal(clock.pendingTimers, 0, "stop() cancels the restart");
    await clock.advance(10 * minute);
    assert.equal(informer.failedAttempts, 19, "no attempt after stop()");
  });

  test("missing RBAC: the WARN is one line with the status code and the API server's message", async () => {
    const identity = await serviceAccountIdentity(namespace, "no-permissions", "none");
    const watched = watchNamespaces(identity.kc, new FakeClock(start, 0));
    const { informer, logs } = watched;
    stops.push(() => informer.stop());
    await informer.start();
    for (let i = 0; i < 3; i++) await nextFailedAttempt(watched);
    const lines = logs.messages(warn);
    assert.deepEqual(lines, [
      `watch of namespaces failed: HTTP 403: namespaces is forbidden: User "${identity.username}" cannot list resource "namespaces" in API group "" at the cluster scope; retrying with backoff, next attempt in 1s`,
    ]);
    assert.equal(informer.lastError?.startsWith("HTTP 403: namespaces is forbidden"), true);
    await informer.stop();
  });

  test("a failing exec credential plugin: only the first line of its stderr is logged", async () => {
    const cluster = adminKc.getCurrentCluster();
    assert.ok(cluster);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [cluster],
      users: [
        {
          name: "plugin",
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "sh",
            args: [
              "-c",
              "printf 'error: could not get a token: the SSO session has expired\\nAuthorization: Bearer not-for-logs\\n  at frame 2\\n' >&2; exit 1",
            ],
          },
        },
      ],
      contexts: [{ name: "plugin", cluster: cluster.name, user: "plugin" }],
      currentContext: "plugin",
    });
    const watched = watchNamespaces(kc, new FakeClock(start, 0));
    const { informer, logs } = watched;
    stops.push(() => informer.stop());
    await informer.start();
    await nextFailedAttempt(watched);
    assert.deepEqual(logs.messages(warn), [
      "watch of namespaces failed: error: could not get a token: the SSO session has expired; retrying with backoff, next attempt in 1s",
    ]);
    assert.doesNotMatch(JSON.stringify(logs.lines), /Bearer|frame 2/);
    await informer.stop();
  });

  test("after an outage it catches up and logs one INFO, once the watch has stayed up; a watch that drops again does not reset the backoff", async () => {
    const proxy = await apiProxy(adminKc);
    await proxy.listen();
    stops.push(() => proxy.close());
    const watched = watchConfigMaps(proxy.kc, namespace);
    const { informer, clock, logs } = watched;
    stops.push(() => informer.stop());
    await informer.start();
    await configMap(namespace, "outage-before", "1");
    await eventually("the first object", async () => informer.get("outage-before", namespace));

    await proxy.close();
    await eventually("the watch to fail", async () => informer.failedAttempts === 1);
    const streakStart = clock.now();
    await configMap(namespace, "outage-during", "1");
    assert.deepEqual([await nextFailedAttempt(watched), await nextFailedAttempt(watched), await nextFailedAttempt(watched)], [750, 1500, 3000]);

    // Back up: the next restart re-watches from where the cache left off.
    await proxy.listen();
    await clock.advance(clock.nextTimerIn() ?? 0);
    await eventually("the object created during the outage", async () => informer.get("outage-during", namespace));
    assert.equal(clock.nextTimerIn(), 30_000, "recovery is declared once the watch has stayed up for 30 s");
    await clock.advance(10_000);

    // Dropped again before that: the streak goes on, with the next delay in the schedule.
    await proxy.close();
    await eventually("the watch to fail again", async () => informer.failedAttempts === 5);
    assert.equal(clock.nextTimerIn(), 12_000);
    await proxy.listen();
    await clock.advance(12_000);
    await eventually("the healthy timer", async () => clock.nextTimerIn() === 30_000);
    assert.equal(clock.now() - streakStart, 33_250);
    await clock.advance(30_000);

    const warnings = logs.messages(warn);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    // The cut stream fails first (undici: the other side closed); the restarts then meet a refused port.
    assert.match(warnings[0] ?? "", /^watch of configmaps failed: (UND_ERR_SOCKET|ECONNRESET); retrying with backoff, next attempt in 1s$/);
    assert.deepEqual(
      logs.lines.filter((l) => l["level"] === 30).map((l) => l["msg"]),
      ["watch of configmaps recovered after 5 failed attempts over 33s"],
    );
    assert.equal(informer.failedAttempts, 0);
    assert.equal(informer.lastError, undefined);
    await configMap(namespace, "outage-after", "1");
    await eventually("an object created after recovery", async () => informer.get("outage-after", namespace));
    await informer.stop();
    assert.equal(clock.pendingTimers, 0);
  });
});
