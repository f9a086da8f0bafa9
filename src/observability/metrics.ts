// Prometheus metrics on a registry of our own, every name prefixed, so the helper can share a
// process or a scrape config with anything else.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const metricPrefix = "ecr_public_creds_helper_";

export interface Metrics {
  readonly registry: Registry;
  readonly tokenExpiry: Gauge;
  readonly lastRefresh: Gauge;
  readonly refreshFailures: Counter<"reason">;
  readonly namespacesSelected: Gauge;
  readonly secretsWritten: Counter<"outcome">;
  readonly workQueueDepth: Gauge;
  readonly awsCallDuration: Histogram<"outcome">;
  readonly leader: Gauge;
  readonly failSafeActive: Gauge;
  /** Registered on the registry only once a Roles Anywhere certificate was read: no series without one. */
  readonly rolesAnywhereCertificateExpiry: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  // The event-loop lag histogram samples on a timer, every 10 ms by default: 100 wake-ups a
  // second in a process that otherwise sleeps until the API server or a refresh wakes it.
  // Each sample still measures how late its timer ran, so one a second loses no precision.
  collectDefaultMetrics({ register: registry, prefix: metricPrefix, eventLoopMonitoringPrecision: 1000 });
  const registers = [registry];
  return {
    registry,
    tokenExpiry: new Gauge({ name: `${metricPrefix}token_expiry_timestamp_seconds`, help: "Unix time the held registry token expires.", registers }),
    lastRefresh: new Gauge({
      name: `${metricPrefix}last_successful_refresh_timestamp_seconds`,
      help: "Unix time of the last successful token refresh.",
      registers,
    }),
    refreshFailures: new Counter({
      name: `${metricPrefix}token_refresh_failures_total`,
      help: "Failed token refreshes, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    namespacesSelected: new Gauge({ name: `${metricPrefix}namespaces_selected`, help: "Namespaces that should hold the pull secret.", registers }),
    secretsWritten: new Counter({
      name: `${metricPrefix}secrets_written_total`,
      help: "Secret writes, by outcome (created, updated, failed).",
      labelNames: ["outcome"],
      registers,
    }),
    workQueueDepth: new Gauge({ name: `${metricPrefix}workqueue_depth`, help: "Namespaces waiting to be reconciled.", registers }),
    awsCallDuration: new Histogram({
      name: `${metricPrefix}aws_call_duration_seconds`,
      help: "Duration of token calls to AWS, by outcome.",
      labelNames: ["outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    leader: new Gauge({ name: `${metricPrefix}leader`, help: "1 while this replica holds the leader Lease (or leader election is off).", registers }),
    failSafeActive: new Gauge({
      name: `${metricPrefix}fail_safe_active`,
      help: "1 while secrets hold no credentials because no valid token could be had.",
      registers,
    }),
    rolesAnywhereCertificateExpiry: new Gauge({
      name: `${metricPrefix}roles_anywhere_certificate_expiry_timestamp_seconds`,
      help: "Unix time the IAM Roles Anywhere certificate read at the last credential refresh expires.",
      registers: [],
    }),
  };
}
