// Two replicas with --leader-elect, as whole processes: exactly one writes; killing it hands
// over; SIGTERM releases the Lease. Timing is not asserted here (real time on a shared machine
// says nothing); the elector's unit tests check every delay on a fake clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { eventually, logged, readyz, startController, type RunningController } from "../support/controller.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";

const { core, kc } = adminClients();
const leases = kc.makeApiClient(CoordinationV1Api);

test("leader election hands over on crash and on SIGTERM", async () => {
  await emulator().reset();
  const home = uniqueName("leader-home");
  const prefix = uniqueName("leader");
  await createNamespaces(core, [home]);
  const args = ["--namespaces", `${prefix}-*`, "--leader-elect", "--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "500ms"];
  const start = (name: string): Promise<RunningController> => startController(args, { POD_NAMESPACE: home, POD_NAME: name });
  const replicas = new Map([
    ["replica-a", await start("replica-a")],
    ["replica-b", await start("replica-b")],
  ]);
  try {
    const holder = async (): Promise<string | undefined> =>
      (await leases.readNamespacedLease({ name: "ecr-public-creds-helper", namespace: home }).catch(() => undefined))?.spec?.holderIdentity || undefined;
    const first = await eventually("a leader", holder);
    const leader = replicas.get(first);
    const standbyName = [...replicas.keys()].find((n) => n !== first) ?? "";
    const standby = replicas.get(standbyName);
    assert.ok(leader && standby);
    await createNamespaces(core, [`${prefix}-one`]);
    await eventually("secret written", () => readSecret(core, `${prefix}-one`));
    // The log line can arrive a moment after the secret is visible in the API.
    await eventually("the leader's log of the write", async () => logged(leader, /secret created/));
    assert.ok(!logged(standby, /secret (created|updated)/), "the standby wrote nothing");
    // Eventually: the leader may have written before the standby's process even listens (a slow start).
    await eventually("a standby is ready (it serves by waiting)", async () => (await readyz(standby)) === 200);

    // Crash: no release. The standby waits out the lease duration, then leads. (How long it
    // waits is the elector's unit tests' business, on a fake clock: test/controller/leader-election.test.ts.)
    await leader.stop("SIGKILL");
    await eventually("standby leads", async () => (await holder()) === standbyName, 30_000);
    await createNamespaces(core, [`${prefix}-two`]);
    await eventually("secret after handover", () => readSecret(core, `${prefix}-two`));
    await eventually("the new leader's log of the write", async () => logged(standby, /secret created/));

    // A third replica waits as standby; SIGTERM on the leader releases the Lease at once.
    const third = await start("replica-c");
    replicas.set("replica-c", third);
    await eventually("third campaigning", async () => logged(third, /controller starting/));
    assert.equal(await standby.stop("SIGTERM"), 0);
    assert.ok(logged(standby, /released the leader Lease/), "the Lease was handed back on SIGTERM, not left to expire");
    await eventually("third leads", async () => (await holder()) === "replica-c", 30_000);
  } finally {
    for (const r of replicas.values()) await r.stop("SIGKILL");
  }
});
