// Whether the identity may make the writes a namespace will need, for `status`. An identity
// with namespaced RBAC only (deploy/overlays/namespaced) reads every namespace through its
// cluster-wide read role but may write only where it has a Role: a sync is refused (403) in the
// others, and `status` should say so before it happens. Asking costs access reviews, so one
// round asks each kind of write once for all namespaces; only the kinds refused there are asked
// again per namespace. A cluster-wide identity so pays a few reviews, however many namespaces.
import { SecretAction, type NamespacePlan } from "./plan.ts";

/** One write a namespace needs, in RBAC's words. */
export interface WriteNeed {
  readonly verb: "create" | "update" | "patch";
  readonly resource: "secrets" | "serviceaccounts";
  /** The object's name, when RBAC may narrow the right to it (resourceNames). */
  readonly name?: string;
}

/** A write asked about: in `namespace`, or in all namespaces when undefined. */
export interface WriteQuestion extends WriteNeed {
  readonly namespace?: string;
}

export interface WriteAnswer {
  readonly question: WriteQuestion;
  readonly allowed: boolean;
}

/** "update secrets/ecr-public-token": names one kind of write, whatever the namespace. */
export function describeWrite(need: WriteNeed): string {
  return `${need.verb} ${need.resource}${need.name ? `/${need.name}` : ""}`;
}

/**
 * The writes this namespace's next sync (or the controller's next refresh) makes: create a
 * missing secret, update ours (a fresh one too: it is refreshed before it expires), patch the
 * service accounts that do not name it yet. A namespace we leave alone needs none.
 */
export function writesNeeded(plan: NamespacePlan, secretName: string): WriteNeed[] {
  const needs: WriteNeed[] = [];
  if (plan.secret === SecretAction.create) needs.push({ verb: "create", resource: "secrets" });
  if (plan.secret === SecretAction.update || plan.secret === SecretAction.adopt || plan.secret === SecretAction.skipFresh) {
    needs.push({ verb: "update", resource: "secrets", name: secretName });
  }
  for (const sa of plan.patchServiceAccounts) needs.push({ verb: "patch", resource: "serviceaccounts", name: sa.name });
  return needs;
}

/** The first round: each kind of write any namespace needs, asked once for all namespaces. */
export function clusterWideQuestions(needs: ReadonlyMap<string, readonly WriteNeed[]>): WriteQuestion[] {
  const distinct = new Map<string, WriteNeed>();
  for (const list of needs.values()) for (const need of list) distinct.set(describeWrite(need), need);
  return [...distinct.values()];
}

/** The second round: the kinds refused cluster-wide, asked in each namespace that needs them. */
export function namespacedQuestions(needs: ReadonlyMap<string, readonly WriteNeed[]>, clusterWide: readonly WriteAnswer[]): WriteQuestion[] {
  const refused = new Set(clusterWide.filter((a) => !a.allowed).map((a) => describeWrite(a.question)));
  return [...needs].flatMap(([namespace, list]) => list.filter((need) => refused.has(describeWrite(need))).map((need) => ({ ...need, namespace })));
}

/** Per namespace, the writes it needs and may not make; a namespace with none is left out. */
export function refusedWrites(namespaced: readonly WriteAnswer[]): Map<string, WriteNeed[]> {
  const refused = new Map<string, WriteNeed[]>();
  for (const { question, allowed } of namespaced) {
    if (allowed || question.namespace === undefined) continue;
    const { namespace, ...need } = question;
    refused.set(namespace, [...(refused.get(namespace) ?? []), need]);
  }
  return refused;
}
