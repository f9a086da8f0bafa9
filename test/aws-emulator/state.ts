// The emulator's mutable state: behaviour config, what it handed out, call
// counts and the keys it accepts. The HTTP control API and in-process tests
// both go through this one object, so they can never disagree.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  FAULT_MODES,
  OPERATIONS,
  type CallCounts,
  type EmulatorConfig,
  type EmulatorConfigPatch,
  type FaultMode,
  type IssuedCredentials,
  type IssuedRecords,
  type IssuedToken,
  type Operation,
  type RolesAnywhereSessionCall,
  type WebIdentityCall,
} from './types.ts';

const MAX_LIFETIME_SECONDS = 12 * 60 * 60;

export function defaultConfig(): EmulatorConfig {
  return {
    tokenLifetimeSeconds: MAX_LIFETIME_SECONDS,
    tokenMode: 'random',
    fixedPassword: null,
    credentialsLifetimeSeconds: 3600,
    fault: { mode: 'none', times: null, delayMs: 2000 },
    rolesAnywhere: [],
  };
}

const lifetime = z.number().int().min(1).max(MAX_LIFETIME_SECONDS);
const patchSchema = z.strictObject({
  tokenLifetimeSeconds: lifetime.optional(),
  tokenMode: z.enum(['random', 'fixed']).optional(),
  fixedPassword: z.string().min(1).nullable().optional(),
  credentialsLifetimeSeconds: lifetime.optional(),
  fault: z
    .strictObject({
      mode: z.enum(FAULT_MODES).optional(),
      times: z.number().int().min(1).nullable().optional(),
      delayMs: z.number().int().min(0).max(600_000).optional(),
    })
    .optional(),
  rolesAnywhere: z
    .array(
      z.strictObject({
        trustAnchorArn: z.string().regex(/^arn:[a-z-]+:rolesanywhere:[a-z0-9-]+:\d{12}:trust-anchor\/[\w-]+$/),
        caCertificates: z.string().includes('-----BEGIN CERTIFICATE-----'),
        profileArn: z.string().regex(/^arn:[a-z-]+:rolesanywhere:[a-z0-9-]+:\d{12}:profile\/[\w-]+$/),
        roleArns: z.array(z.string().min(1)),
        sessionSecondsOverride: z.number().int().min(1).max(43200).optional(),
      }),
    )
    .optional(),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A key pair the emulator accepts for SigV4; temporary ones carry a session token and expiry. */
export interface KnownKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | null;
  expiresAtMs: number | null;
}

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

function emptyCalls(): CallCounts {
  const calls = {} as CallCounts;
  for (const op of OPERATIONS) calls[op] = { total: 0, ok: 0, rejected: 0, errors: {} };
  return calls;
}

function randomId(prefix: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export class EmulatorState {
  readonly accountId: string;
  #config: EmulatorConfig = defaultConfig();
  #tokens: IssuedToken[] = [];
  #webIdentity: WebIdentityCall[] = [];
  #credentials: IssuedCredentials[] = [];
  #rolesAnywhere: RolesAnywhereSessionCall[] = [];
  #calls: CallCounts = emptyCalls();
  // Survives reset(): a helper under test may still hold cached temporary
  // credentials from before a reset, and they must keep working like in AWS.
  readonly #keys = new Map<string, KnownKey>();
  /** Aborted to drop every call the 'hang' fault holds. */
  #hangs = new AbortController();

  /** Epoch ms: Date.now unless a test runs the emulator on its own clock. */
  readonly now: () => number;

  constructor(options: { accessKeyId: string; secretAccessKey: string; accountId: string; now?: () => number }) {
    this.accountId = options.accountId;
    this.now = options.now ?? (() => Date.now());
    this.#keys.set(options.accessKeyId, {
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      sessionToken: null,
      expiresAtMs: null,
    });
  }

  config(): EmulatorConfig {
    return structuredClone(this.#config);
  }

  /** Validates (also at run time: patches arrive as untrusted JSON) and applies; throws ConfigError and changes nothing if invalid. */
  configure(patch: EmulatorConfigPatch): EmulatorConfig {
    const parsed = patchSchema.safeParse(patch);
    if (!parsed.success) throw new ConfigError(z.prettifyError(parsed.error));
    const p = parsed.data;
    const next = this.config();
    if (p.tokenLifetimeSeconds !== undefined) next.tokenLifetimeSeconds = p.tokenLifetimeSeconds;
    if (p.tokenMode !== undefined) next.tokenMode = p.tokenMode;
    if (p.fixedPassword !== undefined) next.fixedPassword = p.fixedPassword;
    if (p.credentialsLifetimeSeconds !== undefined) next.credentialsLifetimeSeconds = p.credentialsLifetimeSeconds;
    if (p.rolesAnywhere !== undefined) next.rolesAnywhere = p.rolesAnywhere;
    if (p.fault !== undefined) {
      // A new fault never inherits a stale remaining count from the old one.
      next.fault = {
        mode: p.fault.mode ?? next.fault.mode,
        times: p.fault.times ?? null,
        delayMs: p.fault.delayMs ?? next.fault.delayMs,
      };
      if (next.fault.mode === 'none') next.fault.times = null;
    }
    if (next.tokenMode === 'fixed' && !next.fixedPassword) {
      throw new ConfigError("tokenMode 'fixed' needs a non-empty fixedPassword");
    }
    this.#config = next;
    if (next.fault.mode !== 'hang') this.#releaseHangs();
    return this.config();
  }

  /** Aborts when the calls held by the 'hang' fault are to be dropped (fault changed, or reset). */
  hangsReleased(): AbortSignal {
    return this.#hangs.signal;
  }

  #releaseHangs(): void {
    this.#hangs.abort();
    this.#hangs = new AbortController();
  }

  reset(): void {
    this.#config = defaultConfig();
    this.#tokens = [];
    this.#webIdentity = [];
    this.#credentials = [];
    this.#rolesAnywhere = [];
    this.#calls = emptyCalls();
    this.#releaseHangs();
  }

  issued(): IssuedRecords {
    return structuredClone({ tokens: this.#tokens, webIdentity: this.#webIdentity, credentials: this.#credentials, rolesAnywhere: this.#rolesAnywhere });
  }

  calls(): CallCounts {
    return structuredClone(this.#calls);
  }

  // ---- used by the request handlers ----

  lookupKey(accessKeyId: string): KnownKey | undefined {
    return this.#keys.get(accessKeyId);
  }

  /** Takes the current fault for one token call, counting down `times`. */
  takeFault(): { mode: FaultMode; delayMs: number } {
    const fault = this.#config.fault;
    const taken = { mode: fault.mode, delayMs: fault.delayMs };
    if (fault.mode !== 'none' && fault.times !== null) {
      fault.times -= 1;
      if (fault.times <= 0) this.#config.fault = { mode: 'none', times: null, delayMs: fault.delayMs };
    }
    return taken;
  }

  /** A password shaped like ECR's (base64 of a JSON envelope), so callers meet realistic length and characters. */
  newPassword(): string {
    if (this.#config.tokenMode === 'fixed' && this.#config.fixedPassword) return this.#config.fixedPassword;
    const envelope = {
      payload: randomBytes(384).toString('base64'),
      datakey: randomBytes(184).toString('base64'),
      version: '2',
      type: 'DATA_KEY',
      expiration: Math.floor(Date.now() / 1000) + this.#config.tokenLifetimeSeconds,
    };
    return Buffer.from(JSON.stringify(envelope)).toString('base64');
  }

  issueTemporaryCredentials(source: IssuedCredentials['source'], lifetimeSeconds?: number): TemporaryCredentials {
    const seconds = lifetimeSeconds ?? this.#config.credentialsLifetimeSeconds;
    // Whole seconds, because the wire formats (ISO 8601) carry no more.
    const expiration = new Date(Math.floor(this.now() / 1000 + seconds) * 1000);
    const creds: TemporaryCredentials = {
      accessKeyId: randomId('ASIA', 16),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(180).toString('base64'),
      expiration,
    };
    this.#keys.set(creds.accessKeyId, {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      expiresAtMs: expiration.getTime(),
    });
    this.#credentials.push({ source, accessKeyId: creds.accessKeyId, expiration: expiration.toISOString() });
    return creds;
  }

  recordCall(op: Operation, errorCode: string | null): void {
    const count = this.#calls[op];
    count.total += 1;
    if (errorCode === null) {
      count.ok += 1;
    } else {
      count.rejected += 1;
      count.errors[errorCode] = (count.errors[errorCode] ?? 0) + 1;
    }
  }

  recordToken(token: IssuedToken): void {
    this.#tokens.push(token);
  }

  recordWebIdentity(call: WebIdentityCall): void {
    this.#webIdentity.push(call);
  }

  recordRolesAnywhere(call: RolesAnywhereSessionCall): void {
    this.#rolesAnywhere.push(call);
  }
}
