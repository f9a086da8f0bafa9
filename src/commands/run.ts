// `run`: the controller as a long-running process, with probes, metrics and (optionally)
// leader election. Returns when `shutdown` aborts, after in-flight writes finish.
import type { Server } from "node:http";
import { CoordinationV1Api } from "@kubernetes/client-node";
import type { Config } from "../config.ts";
import { assembleController } from "../controller/assemble.ts";
import { LeaderElector } from "../controller/leader-election.ts";
import { ExitCode } from "../domain/outcome.ts";
import { apiClient, coreApi, loadKubeConfig } from "../kube/client.ts";
import { EventRecorder } from "../kube/events.ts";
import { close, metricsServer, probeServer } from "../observability/http.ts";
import { createMetrics } from "../observability/metrics.ts";
import { systemClock } from "../util/clock.ts";
import type { CommandIO } from "./sync.ts";
import { tokenSourceFor } from "./token-source.ts";

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}

/** A standby is ready (it may take over any moment) unless the Lease itself cannot be used. */
function standbyReadiness(elector: LeaderElector): { ready: boolean; detail: string } {
  const { detail, problem } = elector.status();
  return { ready: !problem?.fatal, detail };
}

export async function run(config: Config, io: CommandIO, shutdown: AbortSignal): Promise<ExitCode> {
  const settings = config.controller;
  if (!settings) throw new Error("internal: run without controller settings");
  const { log } = io;
  const kc = loadKubeConfig(config.kube);
  const core = coreApi(kc);
  const metrics = createMetrics();
  const clock = systemClock;
  const elector = settings.leaderElect
    ? new LeaderElector(
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
      )
    : undefined;
  const controller = assembleController({
    kc,
    core,
    settings: { ...config, ...settings },
    tokenSource: tokenSourceFor(config),
    events: new EventRecorder(core, log, clock),
    mayWrite: () => elector?.stillLeading() ?? true,
    clock,
    log,
    metrics,
  });

  const servers: Server[] = [];
  servers.push(
    await probeServer(settings.healthProbeBindAddress, () => (elector && !elector.stillLeading() ? standbyReadiness(elector) : controller.readiness())),
  );
  if (settings.metricsBindAddress) servers.push(await metricsServer(settings.metricsBindAddress, metrics.registry));
  log.info(
    { identity: settings.identity, leaderElect: settings.leaderElect },
    `controller starting: probes on ${settings.healthProbeBindAddress.host}:${settings.healthProbeBindAddress.port}` +
      (settings.metricsBindAddress ? `, metrics on ${settings.metricsBindAddress.host}:${settings.metricsBindAddress.port}` : ""),
  );

  const lead = async (lost?: AbortSignal): Promise<void> => {
    metrics.leader.set(1);
    await controller.start();
    await Promise.race([aborted(shutdown), ...(lost ? [aborted(lost)] : [])]);
    await controller.stop();
    metrics.leader.set(0);
  };

  let code: ExitCode = ExitCode.ok;
  if (elector) {
    shutdown.addEventListener("abort", () => elector.stop(), { once: true });
    const end = await elector.run(lead);
    if (end.reason === "fatal") {
      // The Lease cannot be used at all (namespace missing, RBAC): no replica would ever write,
      // so say why and exit rather than wait as a "ready" standby forever.
      log.error(
        { lease: `${settings.leaderElectionNamespace}/${settings.leaderElectionId}`, problem: end.problem.kind },
        `leader election cannot work: ${end.problem.detail}; check --leader-election-namespace and the Role that grants coordination.k8s.io leases`,
      );
      code = ExitCode.attention;
    } else if (!shutdown.aborted) {
      // Leadership lost without a shutdown: exit non-zero so the pod restarts clean, as
      // controller-runtime does; the Deployment brings it back as a standby.
      code = ExitCode.attention;
    }
  } else {
    await lead();
  }
  await Promise.all(servers.map(close));
  log.info("controller stopped");
  return code;
}
