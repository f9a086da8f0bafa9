// The settings only `run` has: probes, metrics, leader election, refresh timing, fail-safe.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { parseDuration } from "../domain/duration.ts";
import type { Env } from "./options.ts";

export interface ControllerConfig {
  readonly healthProbeBindAddress: BindAddress;
  /** undefined when metrics are turned off ("0"). */
  readonly metricsBindAddress: BindAddress | undefined;
  readonly leaderElect: boolean;
  readonly leaderElectionNamespace: string;
  readonly leaderElectionId: string;
  /** This replica's name in the Lease: the pod name, else host name plus a random suffix. */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly resyncPeriodMs: number;
  /** Share of the token life after which it is refreshed, 0 < x < 1. */
  readonly refreshFraction: number;
  readonly failSafe: boolean;
  readonly failSafeMarginMs: number;
  readonly prune: boolean;
  /** This pod, for Events about the helper itself; from the downward API. */
  readonly pod: { readonly name: string; readonly namespace: string } | undefined;
}

export interface BindAddress {
  readonly host: string;
  readonly port: number;
}

export const controllerSchema = z.object({
  healthProbeBindAddress: z.string(),
  metricsBindAddress: z.string(),
  leaderElect: z.boolean().default(false),
  leaderElectionNamespace: z.string().optional(),
  leaderElectionId: z.string().min(1),
  leaseDuration: z.string(),
  renewDeadline: z.string(),
  retryPeriod: z.string(),
  resyncPeriod: z.string(),
  refreshAt: z.coerce.number().gt(0, "must be above 0").lt(100, "must be below 100"),
  failSafe: z.boolean().default(true),
  failSafeMargin: z.string(),
  prune: z.boolean().default(false),
});

export class ControllerConfigError extends Error {
  override readonly name = "ControllerConfigError";
}

function parseBindAddress(text: string, flag: string): BindAddress {
  const match = /^(.*):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new ControllerConfigError(`${flag} "${text}" must look like :8080 or 127.0.0.1:8080`);
  const host = match[1] === "" ? "0.0.0.0" : (match[1] ?? "").replace(/^\[(.*)\]$/, "$1");
  return { host, port };
}

function duration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new ControllerConfigError(`${flag} "${text}" must be a duration like 15s, 10m or 1h`);
  return ms;
}

export function toControllerConfig(raw: z.infer<typeof controllerSchema>, env: Env): ControllerConfig {
  const leaseDurationMs = duration(raw.leaseDuration, "--lease-duration");
  const renewDeadlineMs = duration(raw.renewDeadline, "--renew-deadline");
  const retryPeriodMs = duration(raw.retryPeriod, "--retry-period");
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs)) {
    throw new ControllerConfigError("leader election needs --lease-duration > --renew-deadline > --retry-period");
  }
  const podName = env["POD_NAME"];
  const podNamespace = env["POD_NAMESPACE"];
  // --leader-election-namespace already falls back to POD_NAMESPACE (config/options.ts).
  const leaderElectionNamespace = raw.leaderElectionNamespace ?? "";
  if (raw.leaderElect && leaderElectionNamespace === "") {
    throw new ControllerConfigError("--leader-elect needs --leader-election-namespace (or POD_NAMESPACE from the downward API)");
  }
  return {
    healthProbeBindAddress: parseBindAddress(raw.healthProbeBindAddress, "--health-probe-bind-address"),
    metricsBindAddress: raw.metricsBindAddress === "0" ? undefined : parseBindAddress(raw.metricsBindAddress, "--metrics-bind-address"),
    leaderElect: raw.leaderElect,
    leaderElectionNamespace,
    leaderElectionId: raw.leaderElectionId,
    identity: podName ?? `${hostname()}-${randomBytes(4).toString("hex")}`,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    resyncPeriodMs: duration(raw.resyncPeriod, "--resync-period"),
    refreshFraction: raw.refreshAt / 100,
    failSafe: raw.failSafe,
    failSafeMarginMs: duration(raw.failSafeMargin, "--fail-safe-margin"),
    prune: raw.prune,
    pod: podName && podNamespace ? { name: podName, namespace: podNamespace } : undefined,
  };
}
