// Carrying out a prune (--prune, decided in domain/reconcile.ts): our entry out of service
// accounts first, then our secret, each at the version that was judged to be ours, so a
// change we have not seen makes the call fail (409) instead of removing someone else's.
import type { CoreV1Api } from "@kubernetes/client-node";
import type { ServiceAccountPatch } from "../domain/plan.ts";
import { systemClock, type Clock } from "../util/clock.ts";
import { patchServiceAccount } from "./apply.ts";
import { classifyKubeError, KubeErrorKind } from "./errors.ts";

export interface PruneWork {
  readonly secret: { readonly name: string; readonly resourceVersion: string };
  readonly serviceAccounts: readonly ServiceAccountPatch[];
}

/** Gone already is done: a 404 on either step is not a failure. */
function unlessGone(error: unknown): void {
  if (classifyKubeError(error) !== KubeErrorKind.notFound) throw error;
}

export async function pruneNamespace(core: CoreV1Api, namespace: string, work: PruneWork, clock: Clock = systemClock): Promise<void> {
  for (const sa of work.serviceAccounts) {
    await patchServiceAccount(core, namespace, sa.name, sa.resourceVersion, sa.imagePullSecrets, clock).catch(unlessGone);
  }
  await core
    .deleteNamespacedSecret({ name: work.secret.name, namespace, body: { preconditions: { resourceVersion: work.secret.resourceVersion } } })
    .catch(unlessGone);
}
