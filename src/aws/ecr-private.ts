// Private ECR: one GetAuthorizationToken per region, naming the registry accounts, so one
// secret can hold registries of several accounts and regions next to ECR Public.
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { PrivateRegistry } from "../domain/registries.ts";
import { checkExpiry, mergeTokens, parseAuthorizationToken } from "../domain/token.ts";
import type { RegistryCredential, RegistryToken } from "../domain/types.ts";
import { registerCredential } from "../observability/redact.ts";
import { awsMaxAttempts, boundedRequestHandler, type AwsCallOptions } from "./bounds.ts";
import { describeAwsError } from "./errors.ts";
import type { TokenSource } from "./token-source.ts";

export interface EcrPrivateOptions extends AwsCallOptions {
  readonly now?: () => Date;
  /** The AWS identity; the SDK's default chain when not given (IAM Roles Anywhere gives one: ./roles-anywhere.ts). */
  readonly credentials?: AwsCredentialIdentityProvider;
}

export function ecrPrivateTokenSource(registries: readonly PrivateRegistry[], options: EcrPrivateOptions = {}): TokenSource {
  const now = options.now ?? (() => new Date());
  const byRegion = Map.groupBy(registries, (registry) => registry.region);
  return {
    registries: registries.map((registry) => registry.host).sort(),
    async fetchToken(signal?: AbortSignal): Promise<RegistryToken> {
      const maxAttempts = options.maxAttempts ?? awsMaxAttempts;
      const call = { maxAttempts, requestTimeoutMs: options.requestTimeoutMs, now, signal, credentials: options.credentials };
      const parts = await Promise.all([...byRegion].map(([region, inRegion]) => fetchRegion(region, inRegion, call)));
      return mergeTokens(parts);
    },
  };
}

interface RegionCall {
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number | undefined;
  readonly now: () => Date;
  readonly signal: AbortSignal | undefined;
  readonly credentials: AwsCredentialIdentityProvider | undefined;
}

async function fetchRegion(
  region: string,
  registries: readonly PrivateRegistry[],
  { maxAttempts, requestTimeoutMs, now, signal, credentials }: RegionCall,
): Promise<RegistryToken> {
  const what = `the ECR token request (${region})`;
  const client = new ECRClient({ region, maxAttempts, requestHandler: boundedRequestHandler(requestTimeoutMs), ...(credentials ? { credentials } : {}) });
  try {
    const registryIds = [...new Set(registries.map((registry) => registry.accountId))];
    const command = new GetAuthorizationTokenCommand({ registryIds });
    const { authorizationData = [] } = await client.send(command, signal ? { abortSignal: signal } : {});
    const credentials: RegistryCredential[] = [];
    let expiresAt: Date | undefined;
    for (const registry of registries) {
      // proxyEndpoint is https://ACCOUNT.dkr.ecr.REGION.amazonaws.com
      const data = authorizationData.find((d) => d.proxyEndpoint?.includes(`${registry.accountId}.dkr.ecr`));
      if (!data) throw new Error(`no authorization data for ${registry.host}`);
      const credential = parseAuthorizationToken(data.authorizationToken, registry.host);
      registerCredential(credential);
      credentials.push(credential);
      const expiry = checkExpiry(data.expiresAt, now(), registry.host);
      if (!expiresAt || expiry < expiresAt) expiresAt = expiry;
    }
    return { credentials, expiresAt: expiresAt ?? now() };
  } catch (error) {
    throw describeAwsError(error, what, "ecr:GetAuthorizationToken", requestTimeoutMs);
  } finally {
    client.destroy();
  }
}
