// The controller against an API server that refuses a namespace's writes for a while (a
// failing admission webhook makes it answer 500): the write is retried in place, then the
// namespace goes back on the work queue with backoff, and the secret arrives once the
// refusals stop, with no restart and no other namespace held up.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eventually, readyz, startController, type RunningController } from "../support/controller.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import { startSecretWebhook, type SecretWebhook } from "../support/webhook.ts";

const { core } = adminClients();

describe("run retries refused writes", () => {
  const prefix = uniqueName("rretry");
  const label = { "ecr-test-webhook": prefix };
  const creates = new Map<string, number>();
  let webhook: SecretWebhook;
  let ctl: RunningController;

  before(async () => {
    await emulator().reset();
    // Six refusals: more than the four attempts one reconcile makes, so the work queue's
    // backoff has to bring the namespace back.
    webhook = await startSecretWebhook(prefix, label, (request) => {
      if (request.operation !== "CREATE") return { kind: "allow" };
      const count = (creates.get(request.namespace ?? "") ?? 0) + 1;
      creates.set(request.namespace ?? "", count);
      return request.namespace === `${prefix}-refused` && count <= 6 ? { kind: "fail" } : { kind: "allow" };
    });
    ctl = await startController(["--namespaces", `${prefix}-*`]);
    await eventually("ready", async () => (await readyz(ctl)) === 200);
  });

  after(async () => {
    await ctl.stop();
    await webhook.stop();
  });

  test("a namespace whose first six creates get 500 still gets its secret; its neighbour is not held up", async () => {
    const refused = `${prefix}-refused`;
    const neighbour = `${prefix}-fine`;
    await createNamespaces(core, [refused, neighbour], label);
    await eventually("neighbour's secret", () => readSecret(core, neighbour), 5_000);
    assert.equal(await readSecret(core, refused), undefined, "the refused namespace cannot have its secret yet");
    await eventually("refused namespace's secret", () => readSecret(core, refused), 30_000);
    assert.equal(creates.get(refused), 7, "six refused, the seventh accepted");
    assert.equal(creates.get(neighbour), 1);
    assert.equal(ctl.child.exitCode, null, "still running");
  });
});
