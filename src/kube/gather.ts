// The reads of a sync: three list calls, however many namespaces there are. One namespace
// list, one secret list across namespaces narrowed to our name by a field selector (so the
// role needs no right to other secrets), and service accounts only when we patch them.
import type { CoreV1Api } from "@kubernetes/client-node";
import type { ClusterSnapshot, NamespaceInfo, ObservedSecret, ObservedServiceAccount } from "../domain/types.ts";
import { withRetry } from "../util/concurrency.ts";
import { toNamespaceInfo, toObservedSecret, toObservedServiceAccount } from "./convert.ts";
import { isRetryableKubeError } from "./errors.ts";

export type { ClusterSnapshot };

const readRetry = { attempts: 4, baseMs: 200, capMs: 3_000, retryable: isRetryableKubeError } as const;

export async function listNamespaces(core: CoreV1Api): Promise<NamespaceInfo[]> {
  const list = await withRetry(() => core.listNamespace(), readRetry);
  return list.items.map(toNamespaceInfo);
}

export async function listSecretsNamed(core: CoreV1Api, secretName: string): Promise<Map<string, ObservedSecret>> {
  const list = await withRetry(
    () => core.listSecretForAllNamespaces({ fieldSelector: `metadata.name=${secretName}` }),
    readRetry,
  );
  return new Map(list.items.map((item) => [item.metadata?.namespace ?? "", toObservedSecret(item)]));
}

export async function listServiceAccounts(
  core: CoreV1Api,
  names: readonly string[],
): Promise<Map<string, ObservedServiceAccount[]>> {
  // One name: narrow by field selector. Several or "*": one list of all, filtered later.
  const only = names.length === 1 && names[0] !== "*" ? names[0] : undefined;
  const list = await withRetry(
    () => core.listServiceAccountForAllNamespaces(only ? { fieldSelector: `metadata.name=${only}` } : {}),
    readRetry,
  );
  const byNamespace = new Map<string, ObservedServiceAccount[]>();
  for (const item of list.items) {
    const sa = toObservedServiceAccount(item);
    byNamespace.set(sa.namespace, [...(byNamespace.get(sa.namespace) ?? []), sa]);
  }
  return byNamespace;
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
