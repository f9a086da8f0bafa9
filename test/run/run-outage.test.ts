// The API server goes away for 20 s while `run` runs: the controller recovers on its own, and
// namespaces created around the outage get their secret.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually, logged, readyz, startController } from "../support/controller.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import { restartApiserver } from "../testenv/testenv.ts";

test("run survives a 20 s API server outage", async () => {
  await emulator().reset();
  const prefix = uniqueName("outage");
  // Debug: every failed reconnect attempt is a line, so they can be counted.
  const ctl = await startController(["--namespaces", `${prefix}-*`, "--log-level", "debug"]);
  try {
    await eventually("ready", async () => (await readyz(ctl)) === 200);
    await restartApiserver(20_000);
    // Created the moment the API server is back, while the controller is still reconnecting.
    const { core } = adminClients();
    const names = [`${prefix}-a`, `${prefix}-b`];
    await createNamespaces(core, names);
    for (const ns of names) await eventually(`secret in ${ns}`, () => readSecret(core, ns), 30_000);
    assert.ok(logged(ctl, /watch of \S+ failed/), "the watch noticed the outage");
    // One WARN per watch for the whole outage (each restart backs off, 1 s doubling to 60 s),
    // never one per reconnect attempt: three watches, at most a reminder each besides.
    const warnings = ctl.logs.filter((line) => line["level"] === 40).map((line) => String(line["msg"]));
    const attempts = ctl.logs.filter((line) => /^watch of \S+ (failed|still failing)/.test(String(line["msg"]))).length;
    console.log(`WARN lines during a 20 s outage: ${warnings.length}; failed watch attempts: ${attempts}`);
    // Backoff from 1 s doubling (with jitter) across 20 s: about 5 attempts per watch, 3 watches.
    assert.ok(attempts <= 3 * 8, `a handful of reconnect attempts per watch, not ten a second: ${attempts}`);
    assert.ok(warnings.length >= 1 && warnings.length <= 6, `a handful of WARN lines, not one per attempt:\n${warnings.join("\n")}`);
    assert.equal(ctl.child.exitCode, null, "still running");
  } finally {
    await ctl.stop();
  }
});
