// The controller as `run` assembles it (real informers watching the real API server, the token
// keeper, the work queue, the writer), with every timer on a FakeClock: what readiness says at
// each stage, a namespace served once a token arrives, and a stop that leaves nothing behind.
// The token source is a plain object: AWS is not the subject here (test/run and test/faults
// reach the emulator through the real SDK).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { KubeConfig } from "@kubernetes/client-node";
import type { TokenSource } from "../../src/aws/token-source.ts";
import { assembleController, type ControllerRuntime, type RuntimeSettings } from "../../src/controller/assemble.ts";
import type { RegistryToken } from "../../src/domain/types.ts";
import { coreApi } from "../../src/kube/client.ts";
import { EventRecorder } from "../../src/kube/events.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { FakeClock, settle } from "../../src/util/fake-clock.ts";
import { eventually } from "../support/controller.ts";
import { adminClients, createNamespaces, createServiceAccount, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { capturedLog } from "../support/log.ts";
import { kubeConfig } from "../support/testenv.ts";

const { core: admin } = adminClients();
const hourMs = 3_600_000;

/** A token source whose one answer the test releases, so the "no token yet" stage can be observed. */
function gatedTokenSource(): TokenSource & { release(token: RegistryToken): void; calls: number } {
  let release: (token: RegistryToken) => void = () => undefined;
  const answer = new Promise<RegistryToken>((resolve) => {
    release = resolve;
  });
  const source = {
    registries: ["public.ecr.aws"],
    calls: 0,
    release: (token: RegistryToken) => release(token),
    fetchToken: async () => {
      source.calls++;
      return answer;
    },
  };
  return source;
}

function settingsFor(prefix: string): RuntimeSettings {
  return {
    selection: { include: [`${prefix}-*`], all: false, exclude: [], labelSelector: { requirements: [], text: "" } },
    secretName: "ecr-public-token",
    serviceAccounts: ["default"],
    refreshBeforeMs: 0,
    adopt: false,
    prune: false,
    pod: undefined,
    concurrency: 2,
    resyncPeriodMs: 10 * 60_000,
    refreshFraction: 0.5,
    failSafe: true,
    failSafeMarginMs: 5 * 60_000,
  };
}

function assemble(
  kc: KubeConfig,
  prefix: string,
  tokenSource: TokenSource,
  clock: FakeClock,
): { runtime: ControllerRuntime; logs: ReturnType<typeof capturedLog> } {
  const logs = capturedLog();
  const core = coreApi(kc);
  const runtime = assembleController({
    kc,
    core,
    settings: settingsFor(prefix),
    tokenSource,
    events: new EventRecorder(core, logs.log, clock),
    mayWrite: () => true,
    clock,
    log: logs.log,
    metrics: createMetrics(),
  });
  return { runtime, logs };
}

describe("the controller as run assembles it", () => {
  const running: ControllerRuntime[] = [];
  after(async () => {
    await Promise.all(running.map((r) => r.stop()));
  });

  test("not ready until the lists arrive and a token is held; then a selected namespace gets its secret and its service account entry", async () => {
    const prefix = uniqueName("asm");
    const ns = `${prefix}-a`;
    await createNamespaces(admin, [ns]);
    await createServiceAccount(admin, ns, "default");
    const clock = new FakeClock(Date.now());
    const tokens = gatedTokenSource();
    const { runtime } = assemble(kubeConfig(), prefix, tokens, clock);
    running.push(runtime);

    assert.deepEqual(runtime.readiness(), { ready: false, detail: "waiting for the namespaces list" });
    await runtime.start();
    const waiting = runtime.readiness();
    assert.equal(waiting.ready, false);
    assert.match(waiting.detail, /^no token yet/);
    assert.equal(tokens.calls, 1, "one call in flight, not one per reconcile");
    assert.equal(await readSecret(admin, ns), undefined, "nothing written without a token");

    tokens.release({ credentials: [{ server: "public.ecr.aws", username: "AWS", password: `pw-${prefix}` }], expiresAt: new Date(clock.now() + 12 * hourMs) });
    await eventually("the secret", () => readSecret(admin, ns));
    assert.equal(dockerConfig(await readSecret(admin, ns)).auths["public.ecr.aws"]?.password, `pw-${prefix}`);
    await eventually("the service account entry", async () =>
      (await admin.readNamespacedServiceAccount({ name: "default", namespace: ns })).imagePullSecrets?.some((r) => r.name === "ecr-public-token"),
    );
    const ready = runtime.readiness();
    assert.equal(ready.ready, true);
    assert.match(ready.detail, /expires in 12h/);

    // A namespace created later is served from its watch event, with no resync in between.
    const later = `${prefix}-b`;
    await createNamespaces(admin, [later]);
    await eventually("the secret in a namespace created while running", () => readSecret(admin, later));
  });

  test("an API server that cannot be reached: not ready, and the reason is the watch's error; stop leaves no timer behind", async () => {
    const unreachable = kubeConfig();
    const cluster = unreachable.getCurrentCluster();
    assert.ok(cluster);
    // Port 1 on loopback refuses connections at once.
    unreachable.clusters = unreachable.clusters.map((c) => (c.name === cluster.name ? { ...c, server: "https://127.0.0.1:1" } : c));
    const clock = new FakeClock(Date.now());
    const { runtime, logs } = assemble(unreachable, uniqueName("asm-down"), gatedTokenSource(), clock);
    await runtime.start();
    const notReady = await eventually("a reason", async () => {
      await settle();
      const readiness = runtime.readiness();
      return readiness.detail.startsWith("cannot watch") && readiness;
    });
    assert.equal(notReady.ready, false);
    assert.match(notReady.detail, /^cannot watch namespaces: fetch failed: bad port/, 'the reason fetch gives, not only "fetch failed"');
    assert.ok(clock.pendingTimers > 0, "restarts are scheduled on the clock");
    await runtime.stop();
    assert.equal(clock.pendingTimers, 0, "stop cancels every timer");
    assert.ok(
      logs.messages(40).some((m) => m.startsWith("watch of namespaces failed")),
      "one WARN for the streak",
    );
  });
});
