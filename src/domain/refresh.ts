// When the controller refreshes its token, when it gives up on it, and how the token keeper
// describes its state. Pure: times are epoch milliseconds and randomness comes in as a value,
// so every schedule here is a table test.
import { formatDuration } from "./duration.ts";

/** Jitter spreads refreshes of many replicas/clusters: +-10 % of the delay. */
const jitterShare = 0.1;

/**
 * Milliseconds from `now` until the next refresh: when `fraction` of the life between
 * `obtainedAt` and `expiresAt` has passed, with jitter; never negative.
 */
export function refreshDelay(obtainedAt: number, expiresAt: number, now: number, fraction: number, random: () => number): number {
  const life = expiresAt - obtainedAt;
  const target = obtainedAt + life * fraction;
  const jitter = life * fraction * jitterShare * (random() * 2 - 1);
  return Math.max(0, Math.round(target + jitter - now));
}

/** The moment pulls must fall back to anonymous: `marginMs` before the token expires. */
export function failSafeAt(expiresAt: number, marginMs: number): number {
  return expiresAt - marginMs;
}

/** Whether the token is so close to expiry (or past it) that pulls must fall back to anonymous. */
export function failSafeDue(expiresAt: number, now: number, marginMs: number): boolean {
  return now >= failSafeAt(expiresAt, marginMs);
}

/** Milliseconds until the fail-safe is due; 0 once it is. */
export function untilFailSafe(expiresAt: number, now: number, marginMs: number): number {
  return Math.max(0, failSafeAt(expiresAt, marginMs) - now);
}

/**
 * A refresh or retry delay, shortened so the attempt comes no later than the fail-safe moment:
 * one more try before the secrets are emptied. Once that moment has passed (or no expiry is
 * known) there is nothing to protect and the delay stands.
 */
export function beforeFailSafe(delayMs: number, expiresAt: number | undefined, now: number, marginMs: number): number {
  if (expiresAt === undefined) return delayMs;
  const left = failSafeAt(expiresAt, marginMs) - now;
  return left > 0 ? Math.min(delayMs, left) : delayMs;
}

export type TokenState = "no-token" | "ok" | "expired" | "fail-safe";

export interface TokenStatus {
  readonly state: TokenState;
  /** Only a real, unexpired token makes the controller ready. */
  readonly ready: boolean;
  /** One line for the readiness probe. */
  readonly detail: string;
}

/**
 * What the keeper holds, as the readiness probe says it: `held` is the held token's expiry and
 * whether the fail-safe replaced it; `lastFailure` is the last attempt's problem while failing.
 */
export function tokenStatus(
  held: { readonly expiresAt: number; readonly failSafe: boolean } | undefined,
  now: number,
  lastFailure: string | undefined,
): TokenStatus {
  const why = lastFailure === undefined ? "" : `; last attempt: ${lastFailure}`;
  if (held === undefined) return { state: "no-token", ready: false, detail: `no token yet${why}` };
  const left = held.expiresAt - now;
  const expiry = left > 0 ? `the token expires in ${formatDuration(left)}` : `the token expired ${formatDuration(-left)} ago`;
  if (held.failSafe) return { state: "fail-safe", ready: false, detail: `fail-safe engaged: ${expiry}${why}` };
  if (left <= 0) return { state: "expired", ready: false, detail: `token expired ${formatDuration(-left)} ago${why}` };
  return { state: "ok", ready: true, detail: `ok (expires in ${formatDuration(left)})` };
}
