// Plain data the pure decisions work on. Nothing here does I/O; adapters in src/kube and
// src/aws turn API objects into these shapes and carry the decisions out.

/** Credentials for one registry host, as they go into a dockerconfigjson `auths` entry. */
export interface RegistryCredential {
  /** Registry host, e.g. `public.ecr.aws` or `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly server: string;
  readonly username: string;
  readonly password: string;
}

/** What one token call returns: one or more registry credentials valid until `expiresAt`. */
export interface RegistryToken {
  readonly credentials: readonly RegistryCredential[];
  readonly expiresAt: Date;
}

/** A namespace as the selection sees it. */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** True when the namespace has a deletionTimestamp (phase Terminating). */
  readonly terminating: boolean;
}

/** The secret of our name as found in one namespace. */
export interface ObservedSecret {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Decoded `.dockerconfigjson` (utf-8), when the secret has that key. */
  readonly dockerConfigJson: string | undefined;
  /** When it was created, for `status -o wide` (the API server always sets it). */
  readonly createdAt?: Date;
  /** When we last wrote it: the time of our field manager's entry in managedFields. */
  readonly writtenAt?: Date;
}

/** A service account as far as patching its imagePullSecrets goes. */
export interface ObservedServiceAccount {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  /** The entries' names in order; "" for an entry without one, which is kept like any other. */
  readonly imagePullSecrets: readonly string[];
}

/** Everything a sync reads from the cluster, keyed by namespace. */
export interface ClusterSnapshot {
  readonly namespaces: readonly NamespaceInfo[];
  readonly secrets: ReadonlyMap<string, ObservedSecret>;
  readonly serviceAccounts: ReadonlyMap<string, readonly ObservedServiceAccount[]>;
}
