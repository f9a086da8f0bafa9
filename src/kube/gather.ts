// The reads of a sync: three list calls, however many namespaces there are. One namespace
// list, one secret list across namespaces narrowed to our name by a field selector (so the
// role needs no right to other secrets), and service accounts only when we patch them.
import type { CoreV1Api } from "@kubernetes/client-node";
import type { ClusterSnapshot, NamespaceInfo, ObservedSecret, ObservedServiceAccount } from "../domain/types.ts";
import { withRetry } from "../util/concurrency.ts";
import { toNamespaceInfo, toObservedSecret, toObservedServiceAccount } from "./convert.ts";
import { isRetryableKubeError } from "./errors.ts";

const readRetry = { attempts: 4, baseMs: 200, capMs: 3_000, retryable: isRetryableKubeError } as const;

export async function listNamespaces(core: CoreV1Api): Promise<NamespaceInfo[]> {
  const list = await withRetry(() => core.listNamespace(), readRetry);
  return list.items.map(toNamespaceInfo);
}

/** Our secret in every namespace, and no other: the role may read only secrets of this name. */
export function secretFieldSelector(secretName: string): string {
  return `metadata.name=${secretName}`;
}

/** One service account: narrowed by the API server. Several or "*": all, filtered later. */
export function serviceAccountFieldSelector(names: readonly string[]): string | undefined {
  return names.length === 1 && names[0] !== "*" ? `metadata.name=${names[0]}` : undefined;
}

async function listSecretsNamed(core: CoreV1Api, secretName: string): Promise<Map<string, ObservedSecret>> {
  const list = await withRetry(() => core.listSecretForAllNamespaces({ fieldSelector: secretFieldSelector(secretName) }), readRetry);
  return new Map(list.items.map((item) => [item.metadata?.namespace ?? "", toObservedSecret(item)]));
}

async function listServiceAccounts(core: CoreV1Api, names: readonly string[]): Promise<Map<string, ObservedServiceAccount[]>> {
  const fieldSelector = serviceAccountFieldSelector(names);
  const list = await withRetry(() => core.listServiceAccountForAllNamespaces(fieldSelector ? { fieldSelector } : {}), readRetry);
  return Map.groupBy(list.items.map(toObservedServiceAccount), (sa) => sa.namespace);
}

export async function gatherCluster(
  core: CoreV1Api,
  secretName: string,
  serviceAccounts: readonly string[],
): Promise<ClusterSnapshot> {
  const [namespaces, secrets, sas] = await Promise.all([
    listNamespaces(core),
    listSecretsNamed(core, secretName),
    serviceAccounts.length > 0 ? listServiceAccounts(core, serviceAccounts) : Promise.resolve(new Map()),
  ]);
  return { namespaces, secrets, serviceAccounts: sas };
}
