// Which registry entries of a managed secret are ours. A person or a second tool may add a login
// for another registry (ghcr.io, say) to the secret we manage; we replace or remove only the
// entries we wrote, so the two never overwrite each other.
import { ecrPublicServer } from "./dockerconfig.ts";
import { registriesAnnotation } from "./managed.ts";
import { isIpv4PrivateRegistry } from "./registries.ts";

/** The annotation's value for the hosts we write: sorted, comma-separated. */
export function formatRegistries(hosts: readonly string[]): string {
  return [...hosts].sort().join(",");
}

/** The hosts the secret records as written by us; undefined when it records none (an older version wrote it). */
export function recordedRegistries(annotations: Readonly<Record<string, string>>): string[] | undefined {
  const recorded = annotations[registriesAnnotation];
  if (recorded === undefined) return undefined;
  return recorded
    .split(",")
    .map((host) => host.trim())
    .filter((host) => host !== "");
}

/**
 * A host an older version (before the record) wrote: public.ecr.aws or a private ECR
 * registry's IPv4 name. Those versions never wrote a dual-stack name, so one found in such a
 * secret was put there by someone else and is kept.
 */
export function isEcrRegistry(host: string): boolean {
  return host === ecrPublicServer || isIpv4PrivateRegistry(host);
}

/**
 * Whether the entry for `host` is ours: recorded on the secret, or, on a secret written before
 * the record existed (which then held nothing but our entries), an ECR host.
 */
export function ownsRegistry(annotations: Readonly<Record<string, string>>): (host: string) => boolean {
  const recorded = recordedRegistries(annotations);
  if (recorded === undefined) return isEcrRegistry;
  const ours = new Set(recorded);
  return (host) => ours.has(host);
}

/** The hosts in the secret that are ours, sorted: the only ones freshness looks at. */
export function ourRegistries(annotations: Readonly<Record<string, string>>, hostsInSecret: readonly string[]): string[] {
  return hostsInSecret.filter(ownsRegistry(annotations)).sort();
}

/** Hosts in the secret that are neither ours nor about to be written by us: their entries are kept as they are. */
export function foreignRegistries(annotations: Readonly<Record<string, string>>, hostsInSecret: readonly string[], writing: readonly string[]): string[] {
  const ours = ownsRegistry(annotations);
  return hostsInSecret.filter((host) => !ours(host) && !writing.includes(host)).sort();
}
