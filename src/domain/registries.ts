// ECR registry host names. Each registry answers to an IPv4-only name and a dual-stack
// (IPv4 and IPv6) one; an IPv6-only cluster can pull only through the dual-stack name, and the
// kubelet looks the pull secret up by the name in the image reference, so the secret needs
// the name the pods use. One token serves both names of a registry.
//
// Private ECR (https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html, "OCI
// and Docker client requests", and the endpoint table at
// https://docs.aws.amazon.com/general/latest/gr/ecr.html):
//   IPv4        ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]
//   dual-stack  ACCOUNT.dkr-ecr[-fips].REGION.on.aws
// The China regions' dual-stack names are not in those pages, so they are not accepted here.
//
// ECR Public (https://docs.aws.amazon.com/AmazonECR/latest/public/public-ecr-requests.html,
// "OCI and Docker client requests"): public.ecr.aws, and ecr-public.aws.com for dual-stack.
// (ecr-public.us-east-1.api.aws on that page is the API endpoint, not a registry.)

export interface PrivateRegistry {
  readonly host: string;
  readonly accountId: string;
  readonly region: string;
}

/** The dual-stack registry name of ECR Public, beside public.ecr.aws; same token. */
export const ecrPublicDualStackServer = "ecr-public.aws.com";

const region = String.raw`([a-z]{2}(?:-[a-z]+)+-\d)`;
const ipv4Pattern = new RegExp(String.raw`^(\d{12})\.dkr\.ecr(?:-fips)?\.${region}\.amazonaws\.com(?:\.cn)?$`);
const dualStackPattern = new RegExp(String.raw`^(\d{12})\.dkr-ecr(?:-fips)?\.${region}\.on\.aws$`);

/** A private ECR registry host, under either name; undefined for anything else. */
export function parsePrivateRegistry(host: string): PrivateRegistry | undefined {
  const normalised = host.trim().toLowerCase();
  const match = ipv4Pattern.exec(normalised) ?? dualStackPattern.exec(normalised);
  if (!match?.[1] || !match[2]) return undefined;
  return { host: match[0], accountId: match[1], region: match[2] };
}

/**
 * Whether `host` is a private registry's IPv4-only name: the only kind versions of this program
 * before the dual-stack names accepted, so the only kind they can have written.
 */
export function isIpv4PrivateRegistry(host: string): boolean {
  return ipv4Pattern.test(host.trim().toLowerCase());
}
