// The pull secret we want in a namespace, as a plain object the API accepts.
import { buildDockerConfigJson } from "./dockerconfig.ts";
import { dockerConfigJsonType, expiresAtAnnotation, managedByLabel, managedByValue, registriesAnnotation } from "./managed.ts";
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
 * are kept, and its resourceVersion makes the update fail rather than overwrite a change we
 * have not seen.
 */
export function desiredSecret(name: string, namespace: string, token: RegistryToken, observed?: ExistingSecretMeta): SecretManifest {
  const registries = token.credentials.map((c) => c.server).sort();
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
        [registriesAnnotation]: registries.join(","),
      },
      ...(observed ? { resourceVersion: observed.resourceVersion } : {}),
    },
    type: dockerConfigJsonType,
    data: { ".dockerconfigjson": Buffer.from(buildDockerConfigJson(token.credentials), "utf8").toString("base64") },
  };
}
