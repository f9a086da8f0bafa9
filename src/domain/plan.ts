// The decision at the heart of `sync` and of the controller: given what is in one namespace
// and what we want there, what to do. Pure: the clock comes in as `now`, and no token is
// needed to decide, so a plan can be printed by --dry-run and a run whose secrets are all
// fresh makes no AWS call.
import { registryHosts } from "./dockerconfig.ts";
import { dockerConfigJsonType, isManaged, recordedExpiry } from "./managed.ts";
import { ourRegistries } from "./ownership.ts";
import { mergeImagePullSecrets, serviceAccountsToPatch } from "./service-accounts.ts";
import type { ObservedSecret, ObservedServiceAccount } from "./types.ts";

export const SecretAction = {
  create: "create",
  update: "update",
  adopt: "adopt",
  skipFresh: "skip-fresh",
  skipForeign: "skip-foreign",
  skipTerminating: "skip-terminating",
  missingNamespace: "missing-namespace",
} as const;
export type SecretAction = (typeof SecretAction)[keyof typeof SecretAction];

export interface ServiceAccountPatch {
  readonly name: string;
  readonly resourceVersion: string;
  /** The complete new imagePullSecrets list (existing entries plus ours). */
  readonly imagePullSecrets: readonly string[];
}

export interface NamespacePlan {
  readonly namespace: string;
  readonly secret: SecretAction;
  /** Why, in a few words, for --dry-run, logs and Events. */
  readonly reason: string;
  /** The observed secret's metadata, for an in-place update that keeps others' labels. */
  readonly existing?: ExistingSecretMeta;
  readonly patchServiceAccounts: readonly ServiceAccountPatch[];
  readonly missingServiceAccounts: readonly string[];
}

export interface ExistingSecretMeta {
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * The registry hosts its `.dockerconfigjson` holds (never their credentials: a plan is printed
   * and logged); undefined when it holds no readable one.
   */
  readonly registries?: readonly string[];
}

export interface DesiredState {
  readonly secretName: string;
  /** Registry hosts the secret must hold, sorted. */
  readonly registries: readonly string[];
  /** A secret whose token expires sooner than this is refreshed (sync). */
  readonly refreshBeforeMs: number;
  /**
   * The controller holds one token and wants exactly it everywhere: when set, a managed
   * secret is fresh only if it records this expiry time.
   */
  readonly heldTokenExpiresAt?: Date;
  readonly force: boolean;
  readonly adopt: boolean;
  /** Service account names to patch, or ["*"]; empty for none. */
  readonly serviceAccounts: readonly string[];
}

export interface NamespaceObservation {
  readonly namespace: string;
  readonly terminating: boolean;
  readonly secret: ObservedSecret | undefined;
  readonly serviceAccounts: readonly ObservedServiceAccount[];
}

/**
 * Whether a managed secret still holds a token valid long enough, for the right registries.
 * Only our entries count: one that someone else added for another registry changes nothing.
 */
export function secretFreshness(
  secret: ObservedSecret,
  desired: Pick<DesiredState, "registries" | "refreshBeforeMs" | "heldTokenExpiresAt">,
  now: Date,
): { fresh: boolean; reason: string } {
  if (secret.type !== dockerConfigJsonType) return { fresh: false, reason: `type is ${secret.type}` };
  const hosts = registryHosts(secret.dockerConfigJson);
  if (hosts === undefined) return { fresh: false, reason: "no readable .dockerconfigjson" };
  if (ourRegistries(secret.annotations, hosts).join(",") !== desired.registries.join(",")) return { fresh: false, reason: "registry list changed" };
  const expiresAt = recordedExpiry(secret.annotations);
  if (expiresAt === undefined) return { fresh: false, reason: "no expiry annotation" };
  if (desired.heldTokenExpiresAt !== undefined) {
    return expiresAt === desired.heldTokenExpiresAt.getTime()
      ? { fresh: true, reason: "holds the current token" }
      : { fresh: false, reason: "holds another token" };
  }
  const remaining = expiresAt - now.getTime();
  if (remaining <= desired.refreshBeforeMs) {
    return { fresh: false, reason: remaining <= 0 ? "token expired" : "token expires soon" };
  }
  return { fresh: true, reason: "token still fresh" };
}

function decideSecret(obs: NamespaceObservation, desired: DesiredState, now: Date): { action: SecretAction; reason: string } {
  if (obs.terminating) return { action: SecretAction.skipTerminating, reason: "namespace is terminating" };
  const secret = obs.secret;
  if (secret === undefined) return { action: SecretAction.create, reason: "no secret yet" };
  if (!isManaged(secret.labels)) {
    return desired.adopt
      ? { action: SecretAction.adopt, reason: "existing secret adopted (--adopt)" }
      : { action: SecretAction.skipForeign, reason: "a secret of this name exists and is not managed by us; use --adopt to take it over" };
  }
  if (desired.force) return { action: SecretAction.update, reason: "forced (--force)" };
  const { fresh, reason } = secretFreshness(secret, desired, now);
  return { action: fresh ? SecretAction.skipFresh : SecretAction.update, reason };
}

export function planNamespace(obs: NamespaceObservation, desired: DesiredState, now: Date): NamespacePlan {
  const { action, reason } = decideSecret(obs, desired, now);
  const servesPods = action !== SecretAction.skipTerminating && action !== SecretAction.skipForeign;
  const { found, missing } = servesPods ? serviceAccountsToPatch(desired.serviceAccounts, obs.serviceAccounts) : { found: [], missing: [] };
  const patchServiceAccounts = found
    .filter((sa) => !sa.imagePullSecrets.includes(desired.secretName))
    .map((sa) => ({
      name: sa.name,
      resourceVersion: sa.resourceVersion,
      imagePullSecrets: mergeImagePullSecrets(sa.imagePullSecrets, desired.secretName),
    }));
  return {
    namespace: obs.namespace,
    secret: action,
    reason,
    ...(obs.secret ? { existing: existingMeta(obs.secret) } : {}),
    patchServiceAccounts,
    missingServiceAccounts: missing,
  };
}

function existingMeta(secret: ObservedSecret): ExistingSecretMeta {
  const registries = registryHosts(secret.dockerConfigJson);
  return { resourceVersion: secret.resourceVersion, labels: secret.labels, annotations: secret.annotations, ...(registries ? { registries } : {}) };
}

export function missingNamespacePlan(namespace: string): NamespacePlan {
  return {
    namespace,
    secret: SecretAction.missingNamespace,
    reason: "namespace does not exist",
    patchServiceAccounts: [],
    missingServiceAccounts: [],
  };
}

/** Actions that write the secret and so need a token. */
export function needsToken(plan: NamespacePlan): boolean {
  return plan.secret === SecretAction.create || plan.secret === SecretAction.update || plan.secret === SecretAction.adopt;
}
