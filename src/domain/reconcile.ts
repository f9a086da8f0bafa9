// The controller's decision for one namespace key, over what its caches observe: leave it,
// prune it, report a foreign secret, or carry out a plan. Pure, like planNamespace, which it
// uses for the served case; the controller's executor only carries the decision out.
import { isManaged } from "./managed.ts";
import { optOutAnnotation } from "./namespaces.ts";
import { planNamespace, SecretAction, type DesiredState, type NamespacePlan, type ServiceAccountPatch } from "./plan.ts";
import type { EventNote } from "./report.ts";
import { removeImagePullSecret } from "./service-accounts.ts";
import type { NamespaceInfo, ObservedSecret, ObservedServiceAccount } from "./types.ts";

export interface NamespaceView {
  /** undefined when the namespace is gone from the cache (deleted). */
  readonly namespace: NamespaceInfo | undefined;
  /** The selection takes it (names, globs, labels, and no opt-out annotation). */
  readonly selected: boolean;
  readonly secret: ObservedSecret | undefined;
  readonly serviceAccounts: readonly ObservedServiceAccount[];
}

export interface ReconcileSettings {
  readonly secretName: string;
  readonly prune: boolean;
}

export type Reconcile =
  | { readonly kind: "leave"; readonly reason: string }
  | {
      readonly kind: "prune";
      /** Our secret, deleted at exactly the version judged to be ours. */
      readonly secret: { readonly name: string; readonly resourceVersion: string };
      /** Service accounts with our entry taken out (every other entry kept), cleaned first. */
      readonly serviceAccounts: readonly ServiceAccountPatch[];
    }
  | { readonly kind: "foreign"; readonly warning: string; readonly event: EventNote }
  | { readonly kind: "apply"; readonly plan: NamespacePlan };

const leave = (reason: string): Reconcile => ({ kind: "leave", reason });

/**
 * Prune removes only what is provably ours: never in a terminating or opted-out namespace,
 * never a secret without our label, and a service account's entry only while our secret is
 * there to prove the entry is ours (the entries go first, so a retry after a failure still
 * finds the proof).
 */
function decidePrune(view: NamespaceView & { namespace: NamespaceInfo }, settings: ReconcileSettings): Reconcile {
  if (!settings.prune) return leave("not selected");
  if (view.namespace.terminating) return leave("not selected; namespace is terminating");
  if (view.namespace.annotations[optOutAnnotation] === "true") return leave(`not selected; opted out (${optOutAnnotation})`);
  const secret = view.secret;
  if (!secret) return leave("not selected; no secret of ours");
  if (!isManaged(secret.labels)) return leave("not selected; the secret is not ours");
  const serviceAccounts = view.serviceAccounts
    .filter((sa) => sa.imagePullSecrets.includes(settings.secretName))
    .map((sa) => ({ name: sa.name, resourceVersion: sa.resourceVersion, imagePullSecrets: removeImagePullSecret(sa.imagePullSecrets, settings.secretName) }));
  return { kind: "prune", secret: { name: secret.name, resourceVersion: secret.resourceVersion }, serviceAccounts };
}

/** `desired` is undefined until the token keeper holds a token (its arrival queues every key again). */
export function decideReconcile(view: NamespaceView, desired: DesiredState | undefined, settings: ReconcileSettings, now: Date): Reconcile {
  const ns = view.namespace;
  if (!ns) return leave("namespace deleted");
  if (!view.selected) return decidePrune({ ...view, namespace: ns }, settings);
  if (!desired) return leave("no token yet");
  const plan = planNamespace({ namespace: ns.name, terminating: ns.terminating, secret: view.secret, serviceAccounts: view.serviceAccounts }, desired, now);
  if (plan.secret === SecretAction.skipTerminating) return leave("namespace is terminating");
  if (plan.secret === SecretAction.skipForeign) {
    return {
      kind: "foreign",
      warning: `namespace ${ns.name}: ${plan.reason}`,
      event: {
        type: "Warning",
        reason: "ForeignSecret",
        message: `secret ${settings.secretName} exists and is not managed by ecr-public-creds-helper; left untouched (use --adopt to take it over)`,
      },
    };
  }
  return { kind: "apply", plan };
}
