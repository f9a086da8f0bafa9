// One namespace's result in words: the log line(s) a person reads, the same for `sync` and
// the controller, and what the controller counts and records as an Event. Pure: built only
// from plan and outcome fields, which hold no secret material.
import { plannedKind, type ResultKind } from "./outcome.ts";
import { SecretAction, type NamespacePlan } from "./plan.ts";

export const WriteResult = {
  created: "created",
  updated: "updated",
  unchanged: "unchanged",
  failed: "failed",
  skipped: "skipped",
} as const;
export type WriteResult = (typeof WriteResult)[keyof typeof WriteResult];

/** What carrying out one namespace's plan did. */
export interface NamespaceOutcome {
  readonly namespace: string;
  readonly plan: NamespacePlan;
  readonly secret: WriteResult;
  readonly patchedServiceAccounts: readonly string[];
  readonly missingServiceAccounts: readonly string[];
  /** `kind` is the adapter's classification of the failed call (not-found, forbidden, ...). */
  readonly error?: { readonly kind: string; readonly message: string };
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface EventNote {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/** The summary's word for one namespace's result. */
export function resultKind(outcome: NamespaceOutcome): ResultKind {
  if (outcome.secret === WriteResult.failed) return "failed";
  if (outcome.secret === WriteResult.created) return "created";
  if (outcome.secret === WriteResult.updated) return "updated";
  return plannedKind(outcome.plan.secret); // nothing written: fresh, foreign, terminating, missing
}

/** Whether anything was written: the controller logs at info only then. */
export function changedAnything(outcome: NamespaceOutcome): boolean {
  return outcome.secret === WriteResult.created || outcome.secret === WriteResult.updated || outcome.patchedServiceAccounts.length > 0;
}

/** The log lines for one namespace's outcome. `failSafe`: the written secret holds no credentials. */
export function describeOutcome(outcome: NamespaceOutcome, options: { failSafe?: boolean } = {}): LogEntry[] {
  const { namespace, plan } = outcome;
  const fields = { namespace, action: plan.secret, result: outcome.secret, serviceAccounts: outcome.patchedServiceAccounts };
  const entries: LogEntry[] = [];
  if (outcome.error) {
    entries.push({ level: "error", fields: { ...fields, reason: outcome.error.kind }, message: `namespace ${namespace}: ${outcome.error.message}` });
  } else if (plan.secret === SecretAction.skipForeign || plan.secret === SecretAction.missingNamespace) {
    entries.push({ level: "warn", fields, message: `namespace ${namespace}: ${plan.reason}` });
  } else if (plan.secret === SecretAction.skipTerminating) {
    entries.push({ level: "warn", fields, message: `namespace ${namespace}: skipped, namespace is terminating` });
  } else {
    const written = outcome.secret === WriteResult.unchanged ? "fresh" : outcome.secret;
    const empty = options.failSafe && (outcome.secret === WriteResult.created || outcome.secret === WriteResult.updated) ? " (fail-safe: no credentials)" : "";
    const sa = outcome.patchedServiceAccounts.length > 0 ? `; added to service accounts ${outcome.patchedServiceAccounts.join(", ")}` : "";
    entries.push({ level: changedAnything(outcome) ? "info" : "debug", fields, message: `namespace ${namespace}: secret ${written}${empty}${sa}` });
  }
  for (const name of outcome.missingServiceAccounts) {
    entries.push({ level: "warn", fields: { namespace, serviceAccount: name }, message: `namespace ${namespace}: service account ${name} not found` });
  }
  return entries;
}

/** Failures a person must fix (RBAC, an invalid or immutable object) get an Event; others are retried quietly. */
const eventWorthyFailures: ReadonlySet<string> = new Set(["forbidden", "invalid", "immutable"]);

export function failureEvent(outcome: NamespaceOutcome, secretName: string): EventNote | undefined {
  if (!outcome.error || !eventWorthyFailures.has(outcome.error.kind)) return undefined;
  return { type: "Warning", reason: "SecretWriteFailed", message: `cannot write secret ${secretName}: ${outcome.error.message}` };
}

/**
 * Whether the controller should retry a failed namespace with backoff. An immutable secret
 * refuses every update until someone deletes it, and that deletion queues the namespace again.
 */
export function worthRetrying(outcome: NamespaceOutcome): boolean {
  return outcome.error !== undefined && outcome.error.kind !== "immutable";
}

/** The secrets_written_total outcome label, for results that wrote or tried to. */
export function writeMetricLabel(outcome: NamespaceOutcome): "created" | "updated" | "failed" | undefined {
  const result = outcome.secret;
  return result === WriteResult.created || result === WriteResult.updated || result === WriteResult.failed ? result : undefined;
}
