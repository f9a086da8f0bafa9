// The pull secret we want in a namespace, as a plain object the API accepts.
import { mergeDockerConfigJson } from "./dockerconfig.ts";
import { dockerConfigJsonType, expiresAtAnnotation, managedByLabel, managedByValue, registriesAnnotation } from "./managed.ts";
import { foreignRegistries, formatRegistries, ownsRegistry } from "./ownership.ts";
import type { ExistingSecretMeta } from "./plan.ts";
import type { RegistryToken } from "./types.ts";

export interface SecretManifest {
  readonly apiVersion: "v1";
  readonly kind: "Secret";
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly resourceVersion?: string;
  };
  readonly type: typeof dockerConfigJsonType;
  readonly data: { readonly ".dockerconfigjson": string };
}

/**
 * Our secret. When it replaces an observed one, labels and annotations that others put on it
 * are kept, so are the registry entries we did not write (`current` is its `.dockerconfigjson`),
 * and its resourceVersion makes the update fail rather than overwrite a change we have not seen.
 */
export function desiredSecret(name: string, namespace: string, token: RegistryToken, observed?: ExistingSecretMeta, current?: string): SecretManifest {
  const config = mergeDockerConfigJson(observed ? current : undefined, token.credentials, ownsRegistry(observed?.annotations ?? {}));
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace,
      labels: { ...observed?.labels, [managedByLabel]: managedByValue },
      annotations: {
        ...observed?.annotations,
        [expiresAtAnnotation]: token.expiresAt.toISOString(),
        [registriesAnnotation]: formatRegistries(token.credentials.map((c) => c.server)),
      },
      ...(observed ? { resourceVersion: observed.resourceVersion } : {}),
    },
    type: dockerConfigJsonType,
    data: { ".dockerconfigjson": Buffer.from(config, "utf8").toString("base64") },
  };
}

/**
 * The entries of the observed secret that writing `token` keeps, by host: when there are any,
 * the writer needs the secret's current `.dockerconfigjson` to carry them over.
 */
export function entriesKept(observed: ExistingSecretMeta, token: RegistryToken): string[] {
  return foreignRegistries(
    observed.annotations,
    observed.registries ?? [],
    token.credentials.map((c) => c.server),
  );
}
