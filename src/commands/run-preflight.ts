// What `run` checks before it starts watching: that it can serve its probes and metrics, and
// that the cluster lets it read what it watches. A process that cannot do either must say so
// in one line and exit, not sit half-started or "ready" while it will never write.
import type { Server } from "node:http";
import type { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { ControllerConfig } from "../config/controller.ts";
import { cannotReadCluster, classifyKubeError, isExecPluginFailure, KubeErrorKind } from "../kube/errors.ts";
import { secretFieldSelector, serviceAccountFieldSelector } from "../kube/gather.ts";
import { serverUrl } from "../kube/client.ts";
import { BindError, close, formatAddress, metricsServer, probeServer, type BindAddress, type Readiness } from "../observability/http.ts";
import type { Registry } from "prom-client";

/** The endpoints `run` serves; `line` is set instead when one of them cannot be bound. */
export type Listening = { readonly servers: readonly Server[]; readonly line?: undefined } | { readonly servers?: undefined; readonly line: string };

function cannotListen(error: BindError, what: string, flag: string, orOff: string): string {
  return `cannot serve ${what} on ${formatAddress(error.address)}: ${error.reason}; choose another address with ${flag}${orOff}`;
}

/**
 * Binds the probe endpoint, then the metrics endpoint if asked. When one fails, the other is
 * closed again: nothing may keep answering /healthz for a process that is about to exit.
 */
export async function listen(
  settings: Pick<ControllerConfig, "healthProbeBindAddress" | "metricsBindAddress">,
  readiness: () => Readiness,
  registry: Registry,
): Promise<Listening> {
  const servers: Server[] = [];
  const attempts: Array<{ what: string; flag: string; orOff: string; start: () => Promise<Server> }> = [
    {
      what: "/healthz and /readyz",
      flag: "--health-probe-bind-address",
      orOff: "",
      start: () => probeServer(settings.healthProbeBindAddress, readiness),
    },
  ];
  const metrics: BindAddress | undefined = settings.metricsBindAddress;
  if (metrics) {
    attempts.push({ what: "/metrics", flag: "--metrics-bind-address", orOff: " (0 turns metrics off)", start: () => metricsServer(metrics, registry) });
  }
  for (const { what, flag, orOff, start } of attempts) {
    try {
      servers.push(await start());
    } catch (error) {
      await Promise.all(servers.map(close));
      if (error instanceof BindError) return { line: cannotListen(error, what, flag, orOff) };
      throw error;
    }
  }
  return { servers };
}

/**
 * Refusals that waiting does not fix: the identity lacks a permission (403) or is not accepted
 * (401), the server's certificate is not trusted, the kubeconfig's exec credential plugin fails.
 * controller-runtime's informers retry these forever and its manager gives up only when the
 * caches have not synced after two minutes; saying so at once, in one line, is what a person
 * running `run` by hand expects, and in a pod it is the last line before the restart that
 * `kubectl logs --previous` shows (kubelet restarts it with backoff, so a binding added later
 * is still picked up). An API server that does not answer (yet) is different: waiting does fix
 * that, so `run` starts, stays not ready with the reason in /readyz, and its informers retry.
 */
function waitingCannotFix(error: unknown): boolean {
  if (isExecPluginFailure(error)) return true;
  const kind = classifyKubeError(error);
  return kind === KubeErrorKind.forbidden || kind === KubeErrorKind.unauthorized || kind === KubeErrorKind.untrustedCertificate;
}

/**
 * One small list of each kind the informers make (namespaces, the secrets by name, the service
 * accounts when asked), as the identity in the kubeconfig. Returns the one line to exit with
 * when the cluster refuses in a way waiting cannot fix, else undefined.
 */
export async function clusterRefusal(
  kc: KubeConfig,
  core: CoreV1Api,
  settings: { readonly secretName: string; readonly serviceAccounts: readonly string[] },
): Promise<{ readonly kind: string; readonly line: string } | undefined> {
  const reads: Array<() => Promise<unknown>> = [
    () => core.listNamespace({ limit: 1 }),
    () => core.listSecretForAllNamespaces({ fieldSelector: secretFieldSelector(settings.secretName), limit: 1 }),
  ];
  if (settings.serviceAccounts.length > 0) {
    const only = serviceAccountFieldSelector(settings.serviceAccounts);
    reads.push(() => core.listServiceAccountForAllNamespaces({ limit: 1, ...(only ? { fieldSelector: only } : {}) }));
  }
  for (const read of reads) {
    try {
      await read();
    } catch (error) {
      if (waitingCannotFix(error)) return cannotReadCluster(serverUrl(kc), error);
      // Not answering now: the informers will retry and readiness will say why.
      return undefined;
    }
  }
  return undefined;
}
