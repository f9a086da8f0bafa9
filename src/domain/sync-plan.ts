// The decide step of a sync as one pure function of the configuration and the gathered
// cluster state; `status` and the controller use the same pieces.
import { selectNamespaces, type NamespaceSelection } from "./namespaces.ts";
import { missingNamespacePlan, planNamespace, type DesiredState, type NamespacePlan } from "./plan.ts";
import type { ClusterSnapshot } from "./types.ts";

/** The settings the desired state is made of (a Config has them all). */
export interface DesiredSettings {
  readonly secretName: string;
  readonly refreshBeforeMs: number;
  readonly force: boolean;
  readonly adopt: boolean;
  readonly serviceAccounts: readonly string[];
}

export function desiredStateFrom(config: DesiredSettings, registries: readonly string[]): DesiredState {
  return {
    secretName: config.secretName,
    registries: [...registries].sort(),
    refreshBeforeMs: config.refreshBeforeMs,
    force: config.force,
    adopt: config.adopt,
    serviceAccounts: config.serviceAccounts,
  };
}

/** Plans for every selected, terminating and missing namespace; the pure middle of a sync. */
export function planSync(config: { readonly selection: NamespaceSelection }, snapshot: ClusterSnapshot, desired: DesiredState, now: Date): NamespacePlan[] {
  const chosen = selectNamespaces(snapshot.namespaces, config.selection);
  const plan = (namespace: string, terminating: boolean): NamespacePlan =>
    planNamespace(
      { namespace, terminating, secret: snapshot.secrets.get(namespace), serviceAccounts: snapshot.serviceAccounts.get(namespace) ?? [] },
      desired,
      now,
    );
  return [...chosen.selected.map((ns) => plan(ns, false)), ...chosen.terminating.map((ns) => plan(ns, true)), ...chosen.missing.map(missingNamespacePlan)].sort(
    (a, b) => a.namespace.localeCompare(b.namespace),
  );
}
