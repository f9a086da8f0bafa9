// What `status` reports, derived from the same plan `sync` would make: one item per namespace
// (its state, the secret as found, the service accounts) and a summary, as the document of
// status-document.ts. The table and -o wide are drawn from this document too (status-table.ts),
// so every format says the same thing. Built from labels, annotations, registry hosts and
// times only: no credential can reach it.
import { registryHosts } from "./dockerconfig.ts";
import { isManaged, managedByLabel, recordedExpiry } from "./managed.ts";
import type { NamespaceSelection } from "./namespaces.ts";
import { ownsRegistry } from "./ownership.ts";
import { SecretAction, type NamespacePlan } from "./plan.ts";
import { serviceAccountsToPatch } from "./service-accounts.ts";
import {
  namespaceStates,
  statusApiVersion,
  statusKind,
  type NamespaceState,
  type SecretStatus,
  type ServiceAccountStatus,
  type StatusItem,
  type StatusReport,
} from "./status-document.ts";
import type { ObservedSecret, ObservedServiceAccount } from "./types.ts";
import { describeWrite, type WriteNeed } from "./write-access.ts";

/** What the namespace holds, as gathered. */
export interface NamespaceFound {
  readonly secret: ObservedSecret | undefined;
  readonly serviceAccounts: readonly ObservedServiceAccount[];
}

/** The settings the report names in its metadata and judges service accounts by. */
export interface StatusSettings {
  readonly secretName: string;
  readonly selection: NamespaceSelection;
  readonly serviceAccounts: readonly string[];
  readonly refreshBeforeMs: number;
  /** The registry hosts we write, sorted. */
  readonly registries: readonly string[];
}

const planStates: Record<SecretAction, NamespaceState> = {
  [SecretAction.skipFresh]: "ok",
  [SecretAction.update]: "refresh-due",
  [SecretAction.create]: "missing",
  [SecretAction.adopt]: "foreign",
  [SecretAction.skipForeign]: "foreign",
  [SecretAction.skipTerminating]: "terminating",
  [SecretAction.missingNamespace]: "no-namespace",
};

/**
 * The namespace's state: what sync would do, except that a refused write (`refused`, from
 * write-access.ts) makes it forbidden, and a rewrite of a token already past its expiry is
 * expired rather than merely due.
 */
export function namespaceState(plan: NamespacePlan, secret: ObservedSecret | undefined, refused: readonly WriteNeed[], now: Date): NamespaceState {
  if (refused.length > 0) return "forbidden";
  const state = planStates[plan.secret];
  if (state !== "refresh-due" || secret === undefined) return state;
  const expiresAt = recordedExpiry(secret.annotations);
  return expiresAt !== undefined && expiresAt <= now.getTime() ? "expired" : state;
}

function secretStatus(secret: ObservedSecret, now: Date): SecretStatus {
  const expiresAt = recordedExpiry(secret.annotations);
  // Only a secret we manage has entries of ours; a foreign one's ECR entry is someone else's.
  const ours = isManaged(secret.labels) ? ownsRegistry(secret.annotations) : () => false;
  return {
    type: secret.type,
    managedBy: secret.labels[managedByLabel] ?? null,
    createdAt: secret.createdAt?.toISOString() ?? null,
    lastWrittenAt: secret.writtenAt?.toISOString() ?? null,
    expiresAt: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
    expiresInSeconds: expiresAt === undefined ? null : Math.floor((expiresAt - now.getTime()) / 1000),
    registries: (registryHosts(secret.dockerConfigJson) ?? []).map((host) => ({ host, ours: ours(host) })),
  };
}

/** The wanted service accounts the plan looks at: those it patches, those missing, and the rest already fine. */
function serviceAccountStates(plan: NamespacePlan, found: NamespaceFound, wanted: readonly string[], refused: readonly WriteNeed[]): ServiceAccountStatus[] {
  const leftAlone = plan.secret === SecretAction.skipForeign || plan.secret === SecretAction.skipTerminating || plan.secret === SecretAction.missingNamespace;
  if (leftAlone) return [];
  const patching = new Set(plan.patchServiceAccounts.map((sa) => sa.name));
  const mayNot = new Set(refused.filter((need) => need.resource === "serviceaccounts").map((need) => need.name));
  const present = serviceAccountsToPatch(wanted, found.serviceAccounts).found.map((sa): ServiceAccountStatus => {
    if (!patching.has(sa.name)) return { name: sa.name, state: "ok" };
    return { name: sa.name, state: mayNot.has(sa.name) ? "forbidden" : "unpatched" };
  });
  const missing = plan.missingServiceAccounts.map((name): ServiceAccountStatus => ({ name, state: "missing" }));
  return [...present, ...missing].sort((a, b) => a.name.localeCompare(b.name));
}

export function statusItem(
  plan: NamespacePlan,
  found: NamespaceFound,
  wantedServiceAccounts: readonly string[],
  refused: readonly WriteNeed[],
  now: Date,
): StatusItem {
  const state = namespaceState(plan, found.secret, refused, now);
  return {
    namespace: plan.namespace,
    state,
    reason: state === "forbidden" ? `this identity may not ${refused.map(describeWrite).join(", ")} here (RBAC)` : plan.reason,
    secret: found.secret ? secretStatus(found.secret, now) : null,
    serviceAccounts: serviceAccountStates(plan, found, wantedServiceAccounts, refused),
  };
}

/** Fine as it is: the secret fresh and every wanted service account naming it. */
export function itemIsOk(item: StatusItem): boolean {
  return item.state === "ok" && item.serviceAccounts.every((sa) => sa.state === "ok");
}

export function statusReport(
  settings: StatusSettings,
  plans: readonly NamespacePlan[],
  found: (namespace: string) => NamespaceFound,
  refused: ReadonlyMap<string, readonly WriteNeed[]>,
  now: Date,
): StatusReport {
  const items = plans.map((plan) => statusItem(plan, found(plan.namespace), settings.serviceAccounts, refused.get(plan.namespace) ?? [], now));
  const states = Object.fromEntries(namespaceStates.map((state) => [state, items.filter((item) => item.state === state).length])) as Record<
    NamespaceState,
    number
  >;
  return {
    apiVersion: statusApiVersion,
    kind: statusKind,
    metadata: {
      generatedAt: now.toISOString(),
      secretName: settings.secretName,
      selection: {
        namespaces: [...settings.selection.include],
        allNamespaces: settings.selection.all,
        exclude: [...settings.selection.exclude],
        namespaceSelector: settings.selection.labelSelector.text,
      },
      serviceAccounts: [...settings.serviceAccounts],
      registries: [...settings.registries],
      refreshBeforeSeconds: Math.round(settings.refreshBeforeMs / 1000),
    },
    items,
    summary: {
      namespaces: items.length,
      states,
      serviceAccountsNeedingAttention: items.flatMap((item) => item.serviceAccounts).filter((sa) => sa.state !== "ok").length,
      // Nothing selected is something to fix too (the selection), as the table run says.
      exitCode: items.length > 0 && items.every(itemIsOk) ? 0 : 1,
    },
  };
}
