// IAM Roles Anywhere: the settings that make a certificate the AWS identity, and the ARNs they
// name. A trust anchor (the CA AWS trusts), a profile (which roles, how long) and the role to
// assume; the region is the trust anchor's. Endpoints:
// https://docs.aws.amazon.com/general/latest/gr/rolesanywhere.html (rolesanywhere.REGION.amazonaws.com).

export interface RolesAnywhereSettings {
  /** PEM: the certificate first, then any intermediates. Read at every refresh. */
  readonly certificateFile: string;
  /** PEM: PKCS#8, PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). Read at every refresh. */
  readonly privateKeyFile: string;
  readonly trustAnchorArn: string;
  readonly profileArn: string;
  readonly roleArn: string;
  /** The trust anchor's region: CreateSession is signed for it and sent to it. */
  readonly region: string;
  /** How long the session credentials live: 15 minutes to 12 hours. */
  readonly sessionDurationSeconds: number;
  /** Where CreateSession goes: the region's endpoint, or AWS_ENDPOINT_URL_ROLESANYWHERE. */
  readonly endpoint: string;
}

export interface RolesAnywhereArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

const partition = "(aws|aws-cn|aws-us-gov|aws-iso(?:-[a-z])?)";
const resourceId = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const arnPatterns = {
  "trust-anchor": new RegExp(String.raw`^arn:${partition}:rolesanywhere:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):trust-anchor/${resourceId}$`),
  profile: new RegExp(String.raw`^arn:${partition}:rolesanywhere:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):profile/${resourceId}$`),
  // IAM is global: no region. Path segments and name as IAM allows them.
  role: new RegExp(String.raw`^arn:${partition}:iam::()(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`),
} as const;

export type RolesAnywhereArnKind = keyof typeof arnPatterns;

/** The partition, region ("" for a role) and account of an ARN of this kind; undefined if it is not one. */
export function parseRolesAnywhereArn(kind: RolesAnywhereArnKind, text: string): RolesAnywhereArn | undefined {
  const match = arnPatterns[kind].exec(text.trim());
  if (!match?.[1] || match[3] === undefined) return undefined;
  return { partition: match[1], region: match[2] ?? "", accountId: match[3] };
}

/** What an ARN of each kind looks like, for the line that refuses one. */
export const arnShapes: Record<RolesAnywhereArnKind, string> = {
  "trust-anchor": "arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID",
  profile: "arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID",
  role: "arn:aws:iam::ACCOUNT:role/NAME",
};

/** The CreateSession endpoint AWS serves for a region of a partition. */
export function rolesAnywhereEndpoint(arn: RolesAnywhereArn): string {
  const suffix = arn.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://rolesanywhere.${arn.region}.${suffix}`;
}

/** CreateSession's limits on durationSeconds. */
export const sessionDurationBounds = { minSeconds: 900, maxSeconds: 43_200 } as const;
