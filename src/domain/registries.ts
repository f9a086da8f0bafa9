// Private ECR registry hosts: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].

export interface PrivateRegistry {
  readonly host: string;
  readonly accountId: string;
  readonly region: string;
}

const hostPattern = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/;

export function parsePrivateRegistry(host: string): PrivateRegistry | undefined {
  const match = hostPattern.exec(host.trim().toLowerCase());
  if (!match?.[1] || !match[2]) return undefined;
  return { host: match[0], accountId: match[1], region: match[2] };
}
