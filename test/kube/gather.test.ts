// The reads of a sync against the real API server, as the shipped least-privilege role: three
// list calls at most, our secret only through the field selector, service accounts only when
// asked; and a server that is down at first is retried on the injected clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { coreApi } from "../../src/kube/client.ts";
import { kubeErrorMessage } from "../../src/kube/errors.ts";
import { gatherCluster, listNamespaces } from "../../src/kube/gather.ts";
import { FakeClock, settle } from "../../src/util/fake-clock.ts";
import { adminClients, createNamespaces, createServiceAccount, uniqueName } from "../support/kube.ts";
import { auditMark, callsBy } from "./calls.ts";
import { serviceAccountIdentity } from "./identity.ts";
import { apiProxy } from "./proxy.ts";

const { core: admin, kc: adminKc } = adminClients();
const secretName = "ecr-public-token"; // the name the shipped role may read

/** Lets real I/O (a refused connection) run until `count` retries wait on the fake clock. */
async function untilWaiting(clock: FakeClock, count: number): Promise<void> {
  for (let turn = 0; clock.pendingTimers < count; turn++) {
    assert.ok(turn < 500, `expected ${count} waiting retries, have ${clock.pendingTimers}`);
    await settle();
  }
}

async function cluster(prefix: string): Promise<{ served: string; bare: string; home: string }> {
  const served = uniqueName(`${prefix}-a`);
  const bare = uniqueName(`${prefix}-b`);
  const home = uniqueName(`${prefix}-home`);
  await createNamespaces(admin, [served, bare], { team: prefix });
  await createNamespaces(admin, [home]);
  await admin.createNamespacedSecret({
    namespace: served,
    body: {
      metadata: { name: secretName, labels: { owner: prefix } },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64") },
    },
  });
  await admin.createNamespacedSecret({ namespace: served, body: { metadata: { name: "db-password" }, stringData: { password: "hunter2" } } });
  for (const ns of [served, bare]) await createServiceAccount(admin, ns, "default", ["keep-me"]);
  await createServiceAccount(admin, served, "builder");
  return { served, bare, home };
}

describe("gatherCluster", () => {
  test("namespaces, and our secret alone by field selector, in two list calls when no service accounts are asked for", async () => {
    const { served, bare, home } = await cluster("gather-plain");
    const me = await serviceAccountIdentity(home, "reader", "shipped");
    const mark = auditMark();
    const snapshot = await gatherCluster(coreApi(me.kc), secretName, []);

    const mine = snapshot.namespaces.filter((ns) => ns.name === served || ns.name === bare);
    assert.deepEqual(
      mine.map((ns) => [ns.name, ns.labels["team"], ns.terminating]).sort(),
      [
        [served, "gather-plain", false],
        [bare, "gather-plain", false],
      ].sort(),
    );
    const secret = snapshot.secrets.get(served);
    assert.equal(secret?.name, secretName);
    assert.equal(secret?.namespace, served);
    assert.equal(secret?.type, "kubernetes.io/dockerconfigjson");
    assert.equal(secret?.dockerConfigJson, '{"auths":{}}');
    assert.deepEqual(secret?.labels, { owner: "gather-plain" });
    assert.ok(secret?.resourceVersion);
    assert.equal(snapshot.secrets.has(bare), false);
    assert.ok(
      [...snapshot.secrets.values()].every((s) => s.name === secretName),
      "no other secret is read",
    );
    assert.equal(snapshot.serviceAccounts.size, 0);

    const calls = callsBy(mark, me.username);
    assert.deepEqual(calls.map((c) => `${c.verb} ${c.resource} ${c.code}`).sort(), ["list namespaces 200", "list secrets 200"]);
    const secretList = calls.find((c) => c.resource === "secrets");
    assert.match(secretList?.requestURI ?? "", /fieldSelector=metadata\.name%3Decr-public-token/);
  });

  test("service accounts when asked: one name narrowed by the server, '*' all of them", async () => {
    const { served, bare, home } = await cluster("gather-sa");
    const me = await serviceAccountIdentity(home, "reader", "shipped");
    const core = coreApi(me.kc);

    const mark = auditMark();
    const one = await gatherCluster(core, secretName, ["default"]);
    assert.deepEqual(
      one.serviceAccounts.get(served)?.map((sa) => [sa.name, sa.imagePullSecrets]),
      [["default", ["keep-me"]]],
    );
    assert.deepEqual(
      one.serviceAccounts.get(bare)?.map((sa) => sa.name),
      ["default"],
    );
    assert.ok(one.serviceAccounts.get(served)?.[0]?.resourceVersion);
    const saLists = callsBy(mark, me.username).filter((c) => c.resource === "serviceaccounts");
    assert.equal(saLists.length, 1);
    assert.match(saLists[0]?.requestURI ?? "", /fieldSelector=metadata\.name%3Ddefault/);

    const markAll = auditMark();
    const all = await gatherCluster(core, secretName, ["*"]);
    assert.deepEqual(
      all.serviceAccounts
        .get(served)
        ?.map((sa) => sa.name)
        .sort(),
      ["builder", "default"],
    );
    const listAll = callsBy(markAll, me.username).filter((c) => c.resource === "serviceaccounts");
    assert.equal(listAll.length, 1);
    assert.doesNotMatch(listAll[0]?.requestURI ?? "", /fieldSelector/);
    assert.equal(callsBy(markAll, me.username).length, 3, "three list calls, however many namespaces");
  });

  test("a terminating namespace is seen as terminating", async () => {
    const ns = uniqueName("gather-ending");
    await createNamespaces(admin, [ns]);
    // The test API server runs no namespace controller, so the namespace stays Terminating.
    await admin.deleteNamespace({ name: ns });
    const snapshot = await gatherCluster(coreApi(adminKc), secretName, []);
    assert.equal(snapshot.namespaces.find((n) => n.name === ns)?.terminating, true);
  });

  test("an API server that refuses connections is retried on the injected clock, and read once it answers", async () => {
    const proxy = await apiProxy(adminKc);
    const clock = new FakeClock(0, 0.5);
    const ns = uniqueName("gather-retry");
    await createNamespaces(admin, [ns]);
    let done = false;
    const reading = listNamespaces(coreApi(proxy.kc), { clock }).finally(() => {
      done = true;
    });
    try {
      // The first attempt is refused; the retry waits 3/4 of 200 ms on the fake clock.
      await untilWaiting(clock, 1);
      assert.equal(clock.nextTimerIn(), 150);
      assert.equal(done, false);
      await proxy.listen();
      await clock.advance(150);
      const names = (await reading).map((n) => n.name);
      assert.ok(names.includes(ns));
      assert.equal(proxy.connections, 1);
    } finally {
      await proxy.close();
    }
  });

  test("an API server that stays down fails after the policy's attempts, with the connection error", async () => {
    const proxy = await apiProxy(adminKc); // never listens
    const clock = new FakeClock(0, 0.5);
    const delays: number[] = [];
    let outcome: unknown;
    const reading = gatherCluster(coreApi(proxy.kc), secretName, ["default"], { clock }).then(
      () => (outcome = "resolved"),
      (error: unknown) => (outcome = error),
    );
    // All three lists fail and wait; then all three retry together.
    for (let retry = 1; retry <= 3; retry++) {
      await untilWaiting(clock, 3);
      const next = clock.nextTimerIn() ?? 0;
      delays.push(next);
      await clock.advance(next);
    }
    await reading;
    assert.equal(kubeErrorMessage(outcome), "ECONNREFUSED");
    assert.equal(clock.pendingTimers, 0, "no fifth attempt");
    // Three lists retried together: each waits 150, 300 then 600 ms (3/4 of 200, 400, 800).
    assert.deepEqual(delays, [150, 300, 600]);
  });
});
