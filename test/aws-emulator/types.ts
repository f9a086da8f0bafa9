// Shapes shared by the emulator (server side) and EmulatorControl (client
// side). Everything here travels as JSON over /_emulator/, so only plain data.

export const FAULT_MODES = [
  'none',
  'throttle',
  'error500',
  'slow',
  'malformed-not-base64',
  'malformed-no-colon',
  'malformed-empty-password',
  'expired',
  // Accepts the call and never answers it: the connection is dropped unanswered only when the
  // fault is changed to another mode, on reset, or when the emulator closes.
  'hang',
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export type TokenMode = 'random' | 'fixed';

export interface FaultConfig {
  mode: FaultMode;
  /** Affect only the next N token calls, then fall back to 'none'; null = until changed. Reads back as the remaining count. */
  times: number | null;
  /** Delay for mode 'slow', in milliseconds. */
  delayMs: number;
}

export interface EmulatorConfig {
  /** Lifetime of issued registry tokens, 1 s .. 12 h. */
  tokenLifetimeSeconds: number;
  tokenMode: TokenMode;
  /** Password handed out while tokenMode is 'fixed'. */
  fixedPassword: string | null;
  /** Lifetime of temporary credentials from the container endpoint (and STS when DurationSeconds is absent). */
  credentialsLifetimeSeconds: number;
  fault: FaultConfig;
  /** IAM Roles Anywhere: the trust anchors CreateSession accepts certificates of. */
  rolesAnywhere: RolesAnywhereTrust[];
}

/** One trust anchor with its profile, as an account would configure them. */
export interface RolesAnywhereTrust {
  trustAnchorArn: string;
  /** PEM of the CA certificate(s) the trust anchor holds (its certificate bundle). */
  caCertificates: string;
  profileArn: string;
  /** Roles the profile lists and whose trust policies let Roles Anywhere assume them; others are denied. */
  roleArns: string[];
  /**
   * Test-only: sessions last this many seconds whatever durationSeconds asks, even below the
   * API's 900, so a running controller refreshes its credentials within a test.
   */
  sessionSecondsOverride?: number;
}

/** What POST /_emulator/config and configure() accept: any subset, fault may be partial too. */
export interface EmulatorConfigPatch {
  tokenLifetimeSeconds?: number;
  tokenMode?: TokenMode;
  fixedPassword?: string | null;
  credentialsLifetimeSeconds?: number;
  fault?: Partial<FaultConfig>;
  /** Replaces the whole list. */
  rolesAnywhere?: RolesAnywhereTrust[];
}

export type TokenApi = 'ecr-public' | 'ecr';

export interface IssuedToken {
  api: TokenApi;
  /** The password inside the token; null when the token was deliberately not decodable. */
  password: string | null;
  /** The authorizationToken exactly as sent on the wire. */
  authorizationToken: string;
  /** Epoch seconds, as sent on the wire. */
  expiresAt: number;
  issuedAt: string;
  /** Fault that shaped this answer ('none' for a normal one). */
  fault: FaultMode;
  region: string;
  /** Key that signed the request: tells tests which credentials the caller used. */
  accessKeyId: string;
  /** Private ECR only. */
  registryId?: string;
  proxyEndpoint?: string;
}

export interface WebIdentityCall {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  durationSeconds: number | null;
  accepted: boolean;
  /** Access key of the credentials handed out, when accepted. */
  accessKeyId: string | null;
  receivedAt: string;
}

export interface IssuedCredentials {
  source: 'sts' | 'container' | 'rolesanywhere';
  accessKeyId: string;
  expiration: string;
}

/** One CreateSession as the emulator saw it, accepted or not. */
export interface RolesAnywhereSessionCall {
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  durationSeconds: number | null;
  /** AWS4-X509-RSA-SHA256 or AWS4-X509-ECDSA-SHA256, as the Authorization header named it. */
  algorithm: string;
  /** The signing certificate's serial number, hex as X509Certificate gives it; null if none could be read. */
  serialNumber: string | null;
  subject: string | null;
  issuer: string | null;
  /** Certificates in X-Amz-X509-Chain. */
  chainLength: number;
  /** Where the ARNs came from: the JSON body (our signer) or the query string (the AWS signing helper). */
  parametersIn: 'body' | 'query';
  accepted: boolean;
  /** The error code and message when refused. */
  error: string | null;
  /** Access key of the credentials handed out, when accepted. */
  accessKeyId: string | null;
  receivedAt: string;
}

export interface IssuedRecords {
  tokens: IssuedToken[];
  webIdentity: WebIdentityCall[];
  credentials: IssuedCredentials[];
  rolesAnywhere: RolesAnywhereSessionCall[];
}

export const OPERATIONS = [
  'ecr-public:GetAuthorizationToken',
  'ecr:GetAuthorizationToken',
  'sts:AssumeRoleWithWebIdentity',
  'container-credentials',
  'rolesanywhere:CreateSession',
  'other',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface CallCount {
  total: number;
  ok: number;
  rejected: number;
  /** Rejections by error code, e.g. { "InvalidSignatureException": 1 }. */
  errors: Record<string, number>;
}

export type CallCounts = Record<Operation, CallCount>;
