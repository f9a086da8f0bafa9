// How a secret is marked as ours, and what we record on it.

export const fieldManager = "ecr-public-creds-helper";

export const managedByLabel = "app.kubernetes.io/managed-by";
export const managedByValue = "ecr-public-creds-helper";

/** ISO 8601 time the token in the secret expires; read to skip fresh secrets without AWS. */
export const expiresAtAnnotation = "ecr-public-creds-helper/expires-at";
/** Comma-separated registry hosts in the secret, for people reading `kubectl describe`. */
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
