// The `.dockerconfigjson` format of kubernetes.io/dockerconfigjson secrets, as kubelet reads it.
import type { RegistryCredential } from "./types.ts";

export const ecrPublicServer = "public.ecr.aws";

interface AuthEntry {
  readonly username: string;
  readonly password: string;
  readonly auth: string;
}

export function buildDockerConfigJson(credentials: readonly RegistryCredential[]): string {
  const auths: Record<string, AuthEntry> = {};
  for (const { server, username, password } of credentials) {
    auths[server] = {
      username,
      password,
      auth: Buffer.from(`${username}:${password}`, "utf8").toString("base64"),
    };
  }
  return JSON.stringify({ auths });
}

/** The registry hosts a dockerconfigjson holds, sorted; undefined when it is not one. */
export function registryHosts(dockerConfigJson: string | undefined): string[] | undefined {
  if (dockerConfigJson === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(dockerConfigJson);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const auths = (parsed as { auths?: unknown }).auths;
    if (typeof auths !== "object" || auths === null) return undefined;
    return Object.keys(auths).sort();
  } catch {
    return undefined;
  }
}
