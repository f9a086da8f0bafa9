// Fixtures in the real API server: namespaces with unique names per test, secrets and
// service accounts, read back exactly as the API server stores them.
import { randomBytes } from "node:crypto";
import type { CoreV1Api, V1Secret } from "@kubernetes/client-node";
import { adminClients } from "./testenv.ts";

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

export async function createNamespaces(
  core: CoreV1Api,
  names: readonly string[],
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Promise<void> {
  for (const name of names) await core.createNamespace({ body: { metadata: { name, labels, annotations } } });
}

export async function createServiceAccount(core: CoreV1Api, namespace: string, name: string, imagePullSecrets: readonly string[] = []): Promise<void> {
  await core.createNamespacedServiceAccount({
    namespace,
    body: { metadata: { name }, imagePullSecrets: imagePullSecrets.map((n) => ({ name: n })) },
  });
}

export async function readSecret(core: CoreV1Api, namespace: string, name = "ecr-public-token"): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ name, namespace });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

export function dockerConfig(secret: V1Secret | undefined): { auths: Record<string, { username: string; password: string; auth: string }> } {
  const data = secret?.data?.[".dockerconfigjson"];
  if (!data) throw new Error("secret has no .dockerconfigjson");
  return JSON.parse(Buffer.from(data, "base64").toString("utf8")) as ReturnType<typeof dockerConfig>;
}

export { adminClients };
