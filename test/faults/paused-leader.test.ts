// Issue 13, "one writer", for real: a leader frozen with SIGSTOP past its Lease while another
// replica takes the Lease over, then woken with SIGCONT, must not write anything. It wakes to
// a backlog that would make it write (namespaces created and its own secret deleted while it
// slept, delivered by its still-open watches), so a replica that did not ask whether it still
// leads before each write would be caught in the API server's audit log, where each replica
// has its own service-account identity.
//
// The new leader selects other namespaces than the paused one (`--namespaces` differs), so
// nothing but the paused replica could ever write the namespaces this test watches: what
// the audit log shows is that replica's choice alone, not a race with the new leader.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { auditMark, ourCallsSince, type AuditEvent } from "../support/audit.ts";
import { eventually, logged, startController, type RunningController } from "../support/controller.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import { grantLeaderElection, serviceAccountIdentity, type Identity } from "../kube/identity.ts";

const { core, kc } = adminClients();
const leases = kc.makeApiClient(CoordinationV1Api);
const writes = new Set(["create", "update", "patch", "delete", "deletecollection"]);

function writesBy(identity: Identity, events: readonly AuditEvent[]): string[] {
  return events
    .filter((e) => e.user?.username === identity.username && writes.has(e.verb))
    .map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.namespace}/${e.objectRef?.name ?? ""}`);
}

test("a leader paused past its Lease and woken makes no write, then exits to restart as a standby", { timeout: 240_000 }, async () => {
  const home = uniqueName("paused-home");
  const prefix = uniqueName("paused");
  await createNamespaces(core, [home]);
  const identities: Identity[] = [];
  for (const name of ["replica-a", "replica-b"]) {
    identities.push(await serviceAccountIdentity(home, name, "shipped"));
    await grantLeaderElection(home, name);
  }
  const [a, b] = identities;
  assert.ok(a && b);
  const lease = ["--leader-elect", "--leader-election-namespace", home, "--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "500ms"];
  const holder = async (): Promise<string | undefined> =>
    (await leases.readNamespacedLease({ name: "ecr-public-creds-helper", namespace: home }).catch(() => undefined))?.spec?.holderIdentity || undefined;

  const replicas: RunningController[] = [];
  try {
    const first = await startController(["--namespaces", `${prefix}-a-*`, ...lease], { KUBECONFIG: a.path, POD_NAME: "replica-a" });
    replicas.push(first);
    await eventually("replica-a leads", async () => (await holder()) === "replica-a", 30_000);
    const second = await startController(["--namespaces", `${prefix}-b-*`, ...lease], { KUBECONFIG: b.path, POD_NAME: "replica-b" });
    replicas.push(second);
    await eventually("replica-b campaigning", async () => logged(second, /controller starting/), 30_000);

    // The audit log tells the replicas apart: replica-a's write of a namespace it selects is there.
    const warm = `${prefix}-a-warm`;
    const beforeWarm = auditMark();
    await createNamespaces(core, [warm]);
    await eventually("replica-a wrote its secret", () => readSecret(core, warm));
    await eventually("the write in the audit log", async () => writesBy(a, ourCallsSince(beforeWarm)).some((w) => w.startsWith(`create secrets/${warm}/`)));

    first.child.kill("SIGSTOP");
    await eventually("replica-b took the Lease over", async () => (await holder()) === "replica-b", 60_000);
    // A backlog replica-a would act on at once: new namespaces it selects, and its secret gone.
    const backlog = [1, 2, 3, 4].map((i) => `${prefix}-a-while-paused-${i}`);
    await createNamespaces(core, backlog);
    await core.deleteNamespacedSecret({ name: "ecr-public-token", namespace: warm });

    const beforeWake = auditMark();
    first.child.kill("SIGCONT");
    assert.equal(await first.exited, 1, "a replica that lost the lead exits non-zero, to restart as a standby");
    assert.ok(logged(first, /lost the leader Lease/), "it says it lost the lead");

    assert.deepEqual(writesBy(a, ourCallsSince(beforeWake)), [], "replica-a wrote after it woke");
    for (const namespace of [warm, ...backlog]) assert.equal(await readSecret(core, namespace), undefined, `a secret in ${namespace}`);
    assert.equal(await holder(), "replica-b", "the Lease stays with the new leader");
  } finally {
    for (const replica of replicas) {
      replica.child.kill("SIGCONT");
      await replica.stop("SIGKILL");
    }
  }
});
