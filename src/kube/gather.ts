// The reads of a sync: three list calls, however many namespaces there are. One namespace
// list, one secret list across namespaces narrowed to our name by a field selector (so the
// role needs no right to other secrets), and service accounts only when we patch them.
// `status` adds access reviews: may this identity make the writes each namespace needs?
import type { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { ClusterSnapshot, NamespaceInfo, ObservedSecret, ObservedServiceAccount } from "../domain/types.ts";
import { clusterWideQuestions, namespacedQuestions, refusedWrites, type WriteAnswer, type WriteNeed, type WriteQuestion } from "../domain/write-access.ts";
import { systemClock, type Clock } from "../util/clock.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { toNamespaceInfo, toObservedSecret, toObservedServiceAccount } from "./convert.ts";
import { mayI } from "./access.ts";
import { withKubeRetry } from "./retry.ts";

export interface GatherOptions {
  /** Paces the retries; systemClock when not given. */
  readonly clock?: Clock;
}

export async function listNamespaces(core: CoreV1Api, options: GatherOptions = {}): Promise<NamespaceInfo[]> {
  const list = await withKubeRetry(() => core.listNamespace(), options.clock ?? systemClock);
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

async function listSecretsNamed(core: CoreV1Api, secretName: string, clock: Clock): Promise<Map<string, ObservedSecret>> {
  const list = await withKubeRetry(() => core.listSecretForAllNamespaces({ fieldSelector: secretFieldSelector(secretName) }), clock);
  return new Map(list.items.map((item) => [item.metadata?.namespace ?? "", toObservedSecret(item)]));
}

async function listServiceAccounts(core: CoreV1Api, names: readonly string[], clock: Clock): Promise<Map<string, ObservedServiceAccount[]>> {
  const fieldSelector = serviceAccountFieldSelector(names);
  const list = await withKubeRetry(() => core.listServiceAccountForAllNamespaces(fieldSelector ? { fieldSelector } : {}), clock);
  return Map.groupBy(list.items.map(toObservedServiceAccount), (sa) => sa.namespace);
}

export async function gatherCluster(
  core: CoreV1Api,
  secretName: string,
  serviceAccounts: readonly string[],
  options: GatherOptions = {},
): Promise<ClusterSnapshot> {
  const clock = options.clock ?? systemClock;
  const [namespaces, secrets, sas] = await Promise.all([
    listNamespaces(core, { clock }),
    listSecretsNamed(core, secretName, clock),
    serviceAccounts.length > 0 ? listServiceAccounts(core, serviceAccounts, clock) : Promise.resolve(new Map()),
  ]);
  return { namespaces, secrets, serviceAccounts: sas };
}

/** Asks the API server whether the identity may make these writes (answers in the same order). */
export type AskWriteAccess = (questions: readonly WriteQuestion[]) => Promise<WriteAnswer[]>;

/**
 * Per namespace, the writes it needs (`needs`) that the identity may not make: one round of
 * access reviews for all namespaces, a second one per namespace only for what the first refused
 * (write-access.ts). A cluster-wide identity makes a few reviews whatever the namespace count.
 */
export async function gatherRefusedWrites(ask: AskWriteAccess, needs: ReadonlyMap<string, readonly WriteNeed[]>): Promise<Map<string, WriteNeed[]>> {
  const wide = clusterWideQuestions(needs);
  if (wide.length === 0) return new Map();
  const second = namespacedQuestions(needs, await ask(wide));
  if (second.length === 0) return new Map();
  // A namespaced identity with many namespaces selected: a few reviews in flight at a time.
  const batches = Array.from({ length: Math.ceil(second.length / reviewBatch) }, (_, i) => second.slice(i * reviewBatch, (i + 1) * reviewBatch));
  return refusedWrites((await mapWithConcurrency(batches, 1, ask)).flat());
}

const reviewBatch = 16;

/** gatherRefusedWrites' questions as SelfSubjectAccessReviews of the kubeconfig's identity. */
export function askWriteAccess(kc: KubeConfig): AskWriteAccess {
  return async (questions) => {
    const answers = await mayI(kc, questions);
    return questions.map((question, i) => ({ question, allowed: answers[i]?.allowed === true }));
  };
}
