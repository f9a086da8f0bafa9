// How a secret is marked as ours, and what we record on it.

export const fieldManager = "ecr-public-creds-helper";

export const managedByLabel = "app.kubernetes.io/managed-by";
export const managedByValue = "ecr-public-creds-helper";

/** ISO 8601 time the token in the secret expires; read to skip fresh secrets without AWS. */
export const expiresAtAnnotation = "ecr-public-creds-helper/expires-at";
/**
 * The registry hosts we wrote into the secret, sorted and comma-separated: the entries of
 * `.dockerconfigjson` that are ours to replace or remove. Entries for other hosts belong to
 * someone else and are kept (see ownership.ts).
 */
export const registriesAnnotation = "ecr-public-creds-helper/registries";

export const dockerConfigJsonType = "kubernetes.io/dockerconfigjson";

/** When the token we wrote into a secret expires (epoch ms), or undefined if not recorded. */
export function recordedExpiry(annotations: Readonly<Record<string, string>>): number | undefined {
  const at = Date.parse(annotations[expiresAtAnnotation] ?? "");
  return Number.isNaN(at) ? undefined : at;
}

export function isManaged(labels: Readonly<Record<string, string>>): boolean {
  return labels[managedByLabel] === managedByValue;
}
