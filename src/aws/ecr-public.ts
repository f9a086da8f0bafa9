// ECR Public: GetAuthorizationToken, which AWS serves only in us-east-1 whatever region the
// rest of the configuration names. The one token is written for public.ecr.aws and, when
// asked, for the registry's dual-stack name too (../domain/registries.ts).
import { ECRPUBLICClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr-public";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { ecrPublicServer } from "../domain/dockerconfig.ts";
import { ecrPublicDualStackServer } from "../domain/registries.ts";
import { checkExpiry, parseAuthorizationToken } from "../domain/token.ts";
import type { RegistryToken } from "../domain/types.ts";
import { registerCredential } from "../observability/redact.ts";
import { awsMaxAttempts, boundedRequestHandler, type AwsCallOptions } from "./bounds.ts";
import { describeAwsError } from "./errors.ts";
import type { TokenSource } from "./token-source.ts";

const ecrPublicRegion = "us-east-1";

export interface EcrPublicOptions extends AwsCallOptions {
  readonly now?: () => Date;
  /** Also write the token for ecr-public.aws.com, the name IPv6 clusters pull through. */
  readonly dualStack?: boolean;
  /** The AWS identity; the SDK's default chain when not given (IAM Roles Anywhere gives one: ./roles-anywhere.ts). */
  readonly credentials?: AwsCredentialIdentityProvider;
}

export function ecrPublicTokenSource(options: EcrPublicOptions = {}): TokenSource {
  // The default credential chain (env, profiles, IRSA, Pod Identity, IMDS) and the standard
  // AWS_ENDPOINT_URL_ECR_PUBLIC / AWS_ENDPOINT_URL overrides come from the SDK itself.
  const client = new ECRPUBLICClient({
    region: ecrPublicRegion,
    maxAttempts: options.maxAttempts ?? awsMaxAttempts,
    requestHandler: boundedRequestHandler(options.requestTimeoutMs),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const now = options.now ?? (() => new Date());
  const hosts = options.dualStack ? [ecrPublicServer, ecrPublicDualStackServer] : [ecrPublicServer];
  return {
    registries: [...hosts].sort(),
    async fetchToken(signal?: AbortSignal): Promise<RegistryToken> {
      const what = "the ECR Public token request (us-east-1)";
      try {
        const { authorizationData } = await client.send(new GetAuthorizationTokenCommand({}), signal ? { abortSignal: signal } : {});
        const credential = parseAuthorizationToken(authorizationData?.authorizationToken, ecrPublicServer);
        registerCredential(credential);
        const expiresAt = checkExpiry(authorizationData?.expiresAt, now(), ecrPublicServer);
        return { credentials: hosts.map((server) => ({ ...credential, server })), expiresAt };
      } catch (error) {
        throw describeAwsError(error, what, "ecr-public:GetAuthorizationToken, sts:GetServiceBearerToken", options.requestTimeoutMs);
      }
    },
  };
}
