// The `.dockerconfigjson` format of kubernetes.io/dockerconfigjson secrets, as kubelet reads it.
import type { RegistryCredential } from "./types.ts";

export const ecrPublicServer = "public.ecr.aws";

interface AuthEntry {
  readonly username: string;
  readonly password: string;
  readonly auth: string;
}

function authEntry({ username, password }: RegistryCredential): AuthEntry {
  return { username, password, auth: Buffer.from(`${username}:${password}`, "utf8").toString("base64") };
}

export function buildDockerConfigJson(credentials: readonly RegistryCredential[]): string {
  return JSON.stringify({ auths: Object.fromEntries(credentials.map((c) => [c.server, authEntry(c)])) });
}

/**
 * `current` with our entries replaced by `credentials`: an entry `isOurs` says we wrote is
 * dropped (a host we no longer want goes), every other entry and top-level key is kept as it
 * is, in its place. What is not a dockerconfigjson object is replaced whole.
 */
export function mergeDockerConfigJson(current: string | undefined, credentials: readonly RegistryCredential[], isOurs: (host: string) => boolean): string {
  const config = parseObject(current);
  const auths = parseAuths(config?.["auths"]) ?? {};
  const writing = new Set(credentials.map((c) => c.server));
  const kept = Object.entries(auths).filter(([host]) => !isOurs(host) && !writing.has(host));
  // fromEntries and spread define own properties, so a "__proto__" host stays an ordinary key.
  return JSON.stringify({ ...config, auths: Object.fromEntries([...kept, ...credentials.map((c) => [c.server, authEntry(c)])]) });
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function parseAuths(value: unknown): Record<string, unknown> | undefined {
  return isPlainObject(value) ? value : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The registry hosts a dockerconfigjson holds, sorted; undefined when it is not one. */
export function registryHosts(dockerConfigJson: string | undefined): string[] | undefined {
  const auths = parseAuths(parseObject(dockerConfigJson)?.["auths"]);
  return auths === undefined ? undefined : Object.keys(auths).sort();
}
