// API objects -> the plain shapes the decisions take. Never mutates what it is given.
import type { V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { fieldManager } from "../domain/managed.ts";
import type { NamespaceInfo, ObservedSecret, ObservedServiceAccount } from "../domain/types.ts";

export function toNamespaceInfo(ns: V1Namespace): NamespaceInfo {
  return {
    name: ns.metadata?.name ?? "",
    labels: { ...ns.metadata?.labels },
    annotations: { ...ns.metadata?.annotations },
    terminating: ns.metadata?.deletionTimestamp !== undefined || ns.status?.phase === "Terminating",
  };
}

/** `dockerConfigJson` holds credentials (ours and maybe others'): for deciding and merging, never for a log. */
export function toObservedSecret(secret: V1Secret): ObservedSecret {
  const encoded = secret.data?.[".dockerconfigjson"];
  return {
    namespace: secret.metadata?.namespace ?? "",
    name: secret.metadata?.name ?? "",
    resourceVersion: secret.metadata?.resourceVersion ?? "",
    type: secret.type ?? "Opaque",
    labels: { ...secret.metadata?.labels },
    annotations: { ...secret.metadata?.annotations },
    dockerConfigJson: encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8"),
    ...timesOf(secret),
  };
}

/** Creation and our last write; a time the API server did not send stays out. */
function timesOf(secret: V1Secret): { createdAt?: Date; writtenAt?: Date } {
  const createdAt = asDate(secret.metadata?.creationTimestamp);
  const ours = (secret.metadata?.managedFields ?? []).filter((entry) => entry.manager === fieldManager).map((entry) => asDate(entry.time)?.getTime() ?? 0);
  const latest = Math.max(0, ...ours);
  return { ...(createdAt ? { createdAt } : {}), ...(latest > 0 ? { writtenAt: new Date(latest) } : {}) };
}

/** client-node turns RFC 3339 fields into Dates; an object built by hand may hold the string. */
function asDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function toObservedServiceAccount(sa: V1ServiceAccount): ObservedServiceAccount {
  return {
    namespace: sa.metadata?.namespace ?? "",
    name: sa.metadata?.name ?? "",
    resourceVersion: sa.metadata?.resourceVersion ?? "",
    // An entry without a name is kept: the patch writes the whole list back, and it is not ours to drop.
    imagePullSecrets: (sa.imagePullSecrets ?? []).map((ref) => ref.name ?? ""),
  };
}
