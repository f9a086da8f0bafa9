// Few API calls: the reads of a sync are list calls whose number does not grow with the
// number of namespaces, counted in the API server's audit log.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { auditMark, countBy, ourCallsSince } from "../support/audit.ts";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, uniqueName } from "../support/kube.ts";

const { core } = adminClients();

async function countedRun(namespaces: readonly string[]): Promise<Record<string, number>> {
  const mark = auditMark();
  const result = await runCli(["sync", "--service-accounts", "default"], { TARGET_NAMESPACES: namespaces.join(" ") });
  assert.equal(result.code, 0, result.stderr);
  // The audit log is written asynchronously by the API server: give it a moment.
  await new Promise((r) => setTimeout(r, 1_500));
  return countBy(ourCallsSince(mark));
}

describe("API calls of a sync", () => {
  const small = Array.from({ length: 3 }, (_, i) => uniqueName(`calls-s${i}`));
  const large = Array.from({ length: 30 }, (_, i) => uniqueName(`calls-l${i}`));

  before(async () => {
    await emulator().reset();
    await createNamespaces(core, [...small, ...large]);
    for (const ns of [...small, ...large]) await createServiceAccount(core, ns, "default");
  });

  test("3 or 30 namespaces: the same three list calls; one create and one patch per namespace", async () => {
    const few = await countedRun(small);
    const many = await countedRun(large);
    for (const counts of [few, many]) {
      assert.equal(counts["list namespaces"], 1);
      assert.equal(counts["list secrets"], 1);
      assert.equal(counts["list serviceaccounts"], 1);
      assert.equal(counts["get secrets"], undefined, "no per-namespace reads");
      assert.equal(counts["get serviceaccounts"], undefined, "no per-namespace reads");
    }
    assert.equal(few["create secrets"], 3);
    assert.equal(many["create secrets"], 30);
    assert.equal(many["patch serviceaccounts"], 30);
  });

  test("a second run: three lists and no write at all", async () => {
    const again = await countedRun(large);
    assert.deepEqual(again, { "list namespaces": 1, "list secrets": 1, "list serviceaccounts": 1 });
  });
});
