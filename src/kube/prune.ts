// --prune: a namespace that is no longer selected loses our secret and our service-account
// entry, and nothing else. A secret that is not ours is never deleted.
import type { CoreV1Api } from "@kubernetes/client-node";
import { isManaged } from "../domain/managed.ts";
import { removeImagePullSecret } from "../domain/service-accounts.ts";
import type { ObservedSecret, ObservedServiceAccount } from "../domain/types.ts";
import { patchServiceAccount } from "./apply.ts";
import { classifyKubeError, KubeErrorKind } from "./errors.ts";

export async function pruneNamespace(
  core: CoreV1Api,
  secret: ObservedSecret | undefined,
  serviceAccounts: readonly ObservedServiceAccount[],
  secretName: string,
): Promise<{ secretDeleted: boolean; serviceAccountsCleaned: string[] }> {
  const cleaned: string[] = [];
  for (const sa of serviceAccounts) {
    if (!sa.imagePullSecrets.includes(secretName)) continue;
    await patchServiceAccount(core, sa.namespace, sa.name, sa.resourceVersion, removeImagePullSecret(sa.imagePullSecrets, secretName));
    cleaned.push(sa.name);
  }
  if (!secret || !isManaged(secret.labels)) return { secretDeleted: false, serviceAccountsCleaned: cleaned };
  try {
    // The precondition makes sure we delete the version we judged to be ours.
    await core.deleteNamespacedSecret({
      name: secret.name,
      namespace: secret.namespace,
      body: { preconditions: { resourceVersion: secret.resourceVersion } },
    });
  } catch (error) {
    if (classifyKubeError(error) !== KubeErrorKind.notFound) throw error;
  }
  return { secretDeleted: true, serviceAccountsCleaned: cleaned };
}
