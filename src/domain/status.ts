// What `status` shows for one namespace, derived from the same plan `sync` would make.
import { formatDuration } from "./duration.ts";
import { registryHosts } from "./dockerconfig.ts";
import { recordedExpiry } from "./managed.ts";
import { SecretAction, type NamespacePlan } from "./plan.ts";
import type { ObservedSecret } from "./types.ts";

export interface NamespaceStatus {
  readonly namespace: string;
  readonly state: "ok" | "refresh-due" | "missing" | "foreign" | "terminating" | "no-namespace";
  readonly expires: string;
  readonly registries: string;
  readonly serviceAccounts: string;
}

const stateOf: Record<SecretAction, NamespaceStatus["state"]> = {
  [SecretAction.skipFresh]: "ok",
  [SecretAction.update]: "refresh-due",
  [SecretAction.create]: "missing",
  [SecretAction.adopt]: "foreign",
  [SecretAction.skipForeign]: "foreign",
  [SecretAction.skipTerminating]: "terminating",
  [SecretAction.missingNamespace]: "no-namespace",
};

export function namespaceStatus(plan: NamespacePlan, secret: ObservedSecret | undefined, now: Date): NamespaceStatus {
  const expiresAt = secret ? recordedExpiry(secret.annotations) : undefined;
  const waiting = [...plan.patchServiceAccounts.map((sa) => `${sa.name} (not patched)`), ...plan.missingServiceAccounts.map((name) => `${name} (missing)`)];
  return {
    namespace: plan.namespace,
    state: stateOf[plan.secret],
    expires: expiresAt === undefined ? "-" : expiresAt > now.getTime() ? `in ${formatDuration(expiresAt - now.getTime())}` : "expired",
    registries: (registryHosts(secret?.dockerConfigJson) ?? []).join(",") || "-",
    serviceAccounts: waiting.join(", ") || "ok",
  };
}

/** The table's rows, for the caller's table renderer. */
export const statusHeader = ["NAMESPACE", "STATE", "EXPIRES", "REGISTRIES", "SERVICE ACCOUNTS"] as const;

export function statusRow(r: NamespaceStatus): string[] {
  return [r.namespace, r.state, r.expires, r.registries, r.serviceAccounts];
}
