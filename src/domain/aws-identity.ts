// Which AWS identity the token calls will use, said by `doctor` so a person installing the
// helper sees what it will act as. Decided from the settings and the variables the AWS SDK for
// JavaScript v3 reads, in the order its default chain tries them
// (@aws-sdk/credential-provider-node: environment keys unless AWS_PROFILE is set, then the
// profile, web identity, the container endpoint, instance metadata). Roles Anywhere, when
// configured, is given to the clients directly and so comes before all of them.
import type { RolesAnywhereSettings } from "./roles-anywhere.ts";

/** What the environment says about AWS credentials: names and paths only, never a secret. */
export interface AwsEnvironment {
  /** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are both set (their values are not kept). */
  readonly staticKeys: boolean;
  /** AWS_PROFILE. */
  readonly profile: string | undefined;
  /** AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (IRSA, or any OIDC web identity). */
  readonly webIdentity: { readonly roleArn: string; readonly tokenFile: string } | undefined;
  /** AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity) or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS). */
  readonly containerCredentials: { readonly uri: string; readonly relative: boolean } | undefined;
}

export const AwsIdentityKind = {
  rolesAnywhere: "roles-anywhere",
  profile: "profile",
  staticKeys: "static-keys",
  webIdentity: "web-identity",
  podIdentity: "pod-identity",
  container: "container",
  defaultChain: "default-chain",
} as const;
export type AwsIdentityKind = (typeof AwsIdentityKind)[keyof typeof AwsIdentityKind];

export interface AwsIdentitySource {
  readonly kind: AwsIdentityKind;
  /** One line in the user's words: what, and the names that choose it. */
  readonly description: string;
}

// The EKS Pod Identity Agent's link-local addresses (IPv4 and IPv6), as the EKS docs name them.
const podIdentityHosts = ["169.254.170.23", "[fd00:ec2::23]"];

function isPodIdentityAgent(uri: string): boolean {
  try {
    return podIdentityHosts.includes(new URL(uri).hostname);
  } catch {
    return false;
  }
}

export function awsIdentitySource(env: AwsEnvironment, rolesAnywhere: RolesAnywhereSettings | undefined): AwsIdentitySource {
  if (rolesAnywhere) {
    return {
      kind: AwsIdentityKind.rolesAnywhere,
      description: `IAM Roles Anywhere: role ${rolesAnywhere.roleArn} through trust anchor ${rolesAnywhere.trustAnchorArn}, certificate ${rolesAnywhere.certificateFile}`,
    };
  }
  if (env.profile !== undefined) {
    const ignored = env.staticKeys ? " (AWS_ACCESS_KEY_ID is set too and ignored while AWS_PROFILE is)" : "";
    return { kind: AwsIdentityKind.profile, description: `the profile ${env.profile} (AWS_PROFILE) of the AWS config files${ignored}` };
  }
  if (env.staticKeys) {
    return { kind: AwsIdentityKind.staticKeys, description: "static access keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" };
  }
  if (env.webIdentity) {
    return {
      kind: AwsIdentityKind.webIdentity,
      description: `web identity (IRSA): role ${env.webIdentity.roleArn} with the token in ${env.webIdentity.tokenFile}`,
    };
  }
  if (env.containerCredentials) {
    const { uri, relative } = env.containerCredentials;
    if (!relative && isPodIdentityAgent(uri)) {
      return { kind: AwsIdentityKind.podIdentity, description: `EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI ${uri})` };
    }
    return {
      kind: AwsIdentityKind.container,
      description: relative
        ? "the ECS task role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"
        : `the container credentials endpoint ${uri} (AWS_CONTAINER_CREDENTIALS_FULL_URI)`,
    };
  }
  return {
    kind: AwsIdentityKind.defaultChain,
    description: "the SDK's default chain (the default profile of ~/.aws, else instance metadata: the node's IAM role)",
  };
}
