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
}

/** What POST /_emulator/config and configure() accept: any subset, fault may be partial too. */
export interface EmulatorConfigPatch {
  tokenLifetimeSeconds?: number;
  tokenMode?: TokenMode;
  fixedPassword?: string | null;
  credentialsLifetimeSeconds?: number;
  fault?: Partial<FaultConfig>;
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
  source: 'sts' | 'container';
  accessKeyId: string;
  expiration: string;
}

export interface IssuedRecords {
  tokens: IssuedToken[];
  webIdentity: WebIdentityCall[];
  credentials: IssuedCredentials[];
}

export const OPERATIONS = [
  'ecr-public:GetAuthorizationToken',
  'ecr:GetAuthorizationToken',
  'sts:AssumeRoleWithWebIdentity',
  'container-credentials',
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
