// Adding our secret to a service account's imagePullSecrets without losing anybody else's.
import type { ObservedServiceAccount } from "./types.ts";

/** The list with `secretName` appended when missing; every existing entry kept, in order. */
export function mergeImagePullSecrets(existing: readonly string[], secretName: string): string[] {
  return existing.includes(secretName) ? [...existing] : [...existing, secretName];
}

/** The list without `secretName` (for --prune); every other entry kept, in order. */
export function removeImagePullSecret(existing: readonly string[], secretName: string): string[] {
  return existing.filter((name) => name !== secretName);
}

/** "*" means every service account in the namespace. */
export function serviceAccountsToPatch(
  wanted: readonly string[],
  present: readonly ObservedServiceAccount[],
): { readonly found: readonly ObservedServiceAccount[]; readonly missing: readonly string[] } {
  if (wanted.includes("*")) return { found: [...present], missing: [] };
  const byName = new Map(present.map((sa) => [sa.name, sa]));
  const found: ObservedServiceAccount[] = [];
  const missing: string[] = [];
  for (const name of wanted) {
    const sa = byName.get(name);
    if (sa) found.push(sa);
    else missing.push(name);
  }
  return { found, missing };
}
