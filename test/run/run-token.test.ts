// Refresh by token life, not by clock; the fail-safe for ECR Public; readiness and metrics.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { eventually, logged, readyz, startController } from "../support/controller.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";

const { core } = adminClients();
const control = emulator();

/** The secret in `ns` once the fail-safe has emptied its auths, else undefined. */
async function withoutCredentials(ns: string): Promise<V1Secret | undefined> {
  const secret = await readSecret(core, ns);
  return secret && Object.keys(dockerConfig(secret).auths).length === 0 ? secret : undefined;
}

async function holdsEcrPublic(ns: string): Promise<boolean> {
  return dockerConfig(await readSecret(core, ns)).auths["public.ecr.aws"] !== undefined;
}

/** Parses Prometheus text exposition: every sample line must be `name{labels} value`. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(match?.[1] && match[2], `not a Prometheus sample line: ${line}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

describe("token refresh and fail-safe", () => {
  test("not ready before the first token; ready after; metrics carry the state", async () => {
    await control.reset();
    await control.configure({ fault: { mode: "slow", delayMs: 2_500, times: 1 } });
    const ns = uniqueName("ready");
    await createNamespaces(core, [ns]);
    const ctl = await startController(["--namespaces", ns]);
    try {
      await eventually("probe server up", async () => (await readyz(ctl)) !== 0);
      assert.equal(await readyz(ctl), 503, "not ready while the token call is still running");
      await eventually("ready", async () => (await readyz(ctl)) === 200);
      await eventually("secret", () => readSecret(core, ns));
      const metrics = parseMetrics(await (await fetch(`${ctl.metricsUrl}/metrics`)).text());
      const token = (await control.issued()).tokens.at(-1);
      assert.equal(metrics.get("ecr_public_creds_helper_token_expiry_timestamp_seconds"), token?.expiresAt);
      for (const name of [
        "ecr_public_creds_helper_last_successful_refresh_timestamp_seconds",
        "ecr_public_creds_helper_namespaces_selected",
        'ecr_public_creds_helper_secrets_written_total{outcome="created"}',
        "ecr_public_creds_helper_workqueue_depth",
        'ecr_public_creds_helper_aws_call_duration_seconds_count{outcome="success"}',
        "ecr_public_creds_helper_leader",
        "ecr_public_creds_helper_fail_safe_active",
        "ecr_public_creds_helper_process_resident_memory_bytes",
      ])
        assert.ok(metrics.has(name), `missing ${name}`);
      assert.equal(metrics.get("ecr_public_creds_helper_namespaces_selected"), 1);
      assert.equal(metrics.get("ecr_public_creds_helper_leader"), 1);
      assert.equal(metrics.get("ecr_public_creds_helper_fail_safe_active"), 0);
    } finally {
      await ctl.stop();
    }
  });

  // The one real-time smoke test of refresh and fail-safe: the exact times are the token
  // keeper's unit tests' business (src/controller/token-keeper.test.ts, on a fake clock).
  test("a 20 s token is refreshed before it expires; failing AWS engages the fail-safe before expiry, recovery lifts it", async () => {
    await control.reset();
    await control.configure({ tokenLifetimeSeconds: 20 });
    const ns = uniqueName("refresh");
    await createNamespaces(core, [ns]);
    const ctl = await startController(["--namespaces", ns, "--fail-safe-margin", "6s"], { POD_NAME: "helper-pod", POD_NAMESPACE: ns });
    try {
      // Timed by the controller's own log, so other clients of the emulator cannot skew it.
      const obtained = (): Array<Record<string, unknown>> => ctl.logs.filter((l) => /^token obtained/.test(String(l["msg"])));
      await eventually("second token", async () => obtained().length >= 2, 30_000);
      const [first, secondLog] = obtained();
      assert.ok(Date.parse(String(secondLog?.["time"])) < Date.parse(String(first?.["expiresAt"])), "refreshed before the first token expired");
      const second = (await control.issued()).tokens.find((t) => t.expiresAt * 1000 === Date.parse(String(secondLog?.["expiresAt"])));
      assert.ok(second, "the emulator issued the token the controller logged");
      await eventually(
        "secret has the second token",
        async () => dockerConfig(await readSecret(core, ns)).auths["public.ecr.aws"]?.password === second?.password,
      );

      // AWS fails from now on: at 6 s before expiry the secret must lose its credentials.
      await control.configure({ fault: { mode: "error500" } });
      const emptied = await eventually("fail-safe", () => withoutCredentials(ns), 20_000);
      const heldExpiry = Date.parse(emptied.metadata?.annotations?.["ecr-public-creds-helper/expires-at"] ?? "");
      assert.ok(Date.now() < heldExpiry, "engaged before the token expired");
      await eventually("fail-safe log", async () => logged(ctl, /fail-safe engaged/));
      assert.equal(await readyz(ctl), 503);
      const event = await eventually("fail-safe Event", async () =>
        (await core.listNamespacedEvent({ namespace: ns })).items.find((e) => e.reason === "FailSafeEngaged"),
      );
      assert.deepEqual([event.involvedObject.kind, event.involvedObject.name, event.type], ["Pod", "helper-pod", "Warning"]);

      await control.configure({ fault: { mode: "none" } });
      await eventually("restored", async () => (await holdsEcrPublic(ns)) || undefined, 30_000);
      await eventually("fail-safe lifted log", async () => logged(ctl, /fail-safe lifted/));
      const metrics = await (await fetch(`${ctl.metricsUrl}/metrics`)).text();
      assert.match(metrics, /ecr_public_creds_helper_token_refresh_failures_total\{reason="server-error"\} [1-9]/);
    } finally {
      await ctl.stop();
      await control.reset();
    }
  });
});
