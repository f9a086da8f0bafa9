// `run`: the controller as a long-running process, with probes, metrics and (optionally)
// leader election. Returns when `shutdown` aborts, after in-flight writes finish.
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../config.ts";
import type { ControllerConfig } from "../config/controller.ts";
import { assembleController, type ControllerRuntime } from "../controller/assemble.ts";
import { watchCertificateExpiry } from "../controller/certificate-watch.ts";
import { LeaderElector } from "../controller/leader-election.ts";
import { ExitCode } from "../domain/outcome.ts";
import { apiClient, coreApi, loadKubeConfig } from "../kube/client.ts";
import { EventRecorder } from "../kube/events.ts";
import { close, formatAddress, type Readiness } from "../observability/http.ts";
import type { Logger } from "../observability/logger.ts";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import { systemClock, type Clock } from "../util/clock.ts";
import { clusterRefusal, listen } from "./run-preflight.ts";
import type { CommandIO } from "./sync.ts";
import { tokenSourceFor } from "./token-source.ts";

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}

/**
 * A standby is ready once the Lease has answered, and while it answers: it may take over any
 * moment. One that cannot reach or use the Lease never will, so it is not ready and says why;
 * otherwise every replica could be "ready" while none writes.
 */
function standbyReadiness(elector: LeaderElector): Readiness {
  const { detail, problem, attempts } = elector.status();
  return { ready: attempts > 0 && problem === undefined, detail };
}

function electorFor(kc: KubeConfig, settings: ControllerConfig, clock: Clock, log: Logger): LeaderElector | undefined {
  if (!settings.leaderElect) return undefined;
  return new LeaderElector(
    apiClient(kc, CoordinationV1Api),
    {
      namespace: settings.leaderElectionNamespace,
      name: settings.leaderElectionId,
      identity: settings.identity,
      leaseDurationMs: settings.leaseDurationMs,
      renewDeadlineMs: settings.renewDeadlineMs,
      retryPeriodMs: settings.retryPeriodMs,
    },
    clock,
    log,
  );
}

export async function run(config: Config, io: CommandIO, shutdown: AbortSignal): Promise<ExitCode> {
  const settings = config.controller;
  if (!settings) throw new Error("internal: run without controller settings");
  const { log } = io;
  const kc = loadKubeConfig(config.kube);
  const clock = systemClock;
  const elector = electorFor(kc, settings, clock, log);
  const mayWrite = (): boolean => elector?.stillLeading() ?? true;
  // Every write the controller makes is asked again as it leaves, after its last await: the
  // reconcile's own check can be stale when the process wakes from a pause (SIGSTOP).
  const core = coreApi(kc, { mayWrite });
  const metrics = createMetrics();
  const events = new EventRecorder(core, log, clock);
  // With Roles Anywhere, each refresh's certificate feeds the expiry metric and Event.
  const onCertificate = watchCertificateExpiry({ metrics, events, pod: settings.pod, clock, log });
  const controller = assembleController({
    kc,
    core,
    settings: { ...config, ...settings },
    tokenSource: tokenSourceFor(config, { clock, onCertificate }),
    events,
    mayWrite,
    clock,
    log,
    metrics,
  });

  // Ports first: they fail at once and cost nothing, and nothing else may start without them.
  const listening = await listen(settings, () => (elector && !elector.stillLeading() ? standbyReadiness(elector) : controller.readiness()), metrics.registry);
  if (listening.line !== undefined) {
    log.error(listening.line);
    return ExitCode.attention;
  }
  try {
    log.info(
      { identity: settings.identity, leaderElect: settings.leaderElect },
      `controller starting: probes on ${formatAddress(settings.healthProbeBindAddress)}` +
        (settings.metricsBindAddress ? `, metrics on ${formatAddress(settings.metricsBindAddress)}` : ""),
    );
    const refusal = await Promise.race([clusterRefusal(kc, core, config), aborted(shutdown)]);
    if (shutdown.aborted) return ExitCode.ok;
    if (refusal) {
      log.error({ reason: refusal.kind }, refusal.line);
      return ExitCode.attention;
    }
    return await (elector ? elect(elector, settings, controller, metrics, shutdown, log) : lead(controller, metrics, shutdown));
  } finally {
    await Promise.all(listening.servers.map(close));
    log.info("controller stopped");
  }
}

/** Runs the controller until shutdown, or until `lost` aborts. */
async function lead(controller: ControllerRuntime, metrics: Metrics, shutdown: AbortSignal, lost?: AbortSignal): Promise<ExitCode> {
  metrics.leader.set(1);
  try {
    await controller.start();
    await Promise.race([aborted(shutdown), ...(lost ? [aborted(lost)] : [])]);
    await controller.stop();
  } finally {
    metrics.leader.set(0);
  }
  return ExitCode.ok;
}

async function elect(
  elector: LeaderElector,
  settings: ControllerConfig,
  controller: ControllerRuntime,
  metrics: Metrics,
  shutdown: AbortSignal,
  log: Logger,
): Promise<ExitCode> {
  shutdown.addEventListener("abort", () => elector.stop(), { once: true });
  const end = await elector.run(async (lost) => void (await lead(controller, metrics, shutdown, lost)));
  if (end.reason === "fatal") {
    // The Lease cannot be used at all (namespace missing, RBAC): no replica would ever write,
    // so say why and exit rather than wait as a standby forever.
    log.error(
      { lease: `${settings.leaderElectionNamespace}/${settings.leaderElectionId}`, problem: end.problem.kind },
      `leader election cannot work: ${end.problem.detail}; check --leader-election-namespace and the Role that grants coordination.k8s.io leases`,
    );
    return ExitCode.attention;
  }
  // Leadership lost without a shutdown: exit non-zero so the pod restarts clean, as
  // controller-runtime does; the Deployment brings it back as a standby.
  return shutdown.aborted ? ExitCode.ok : ExitCode.attention;
}
