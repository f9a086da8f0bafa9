// When the controller refreshes its token, and when it gives up on it. Pure: clock and
// randomness come in as values.

/** Jitter spreads refreshes of many replicas/clusters: +-10 % of the delay. */
const jitterShare = 0.1;

/**
 * Milliseconds from `now` until the next refresh: when `fraction` of the life between
 * `obtainedAt` and `expiresAt` has passed, with jitter; never negative.
 */
export function refreshDelay(obtainedAt: Date, expiresAt: Date, now: Date, fraction: number, random: () => number): number {
  const life = expiresAt.getTime() - obtainedAt.getTime();
  const target = obtainedAt.getTime() + life * fraction;
  const jitter = life * fraction * jitterShare * (random() * 2 - 1);
  return Math.max(0, Math.round(target + jitter - now.getTime()));
}

/** Whether the held token is so close to expiry (or past it) that pulls must fall back to anonymous. */
export function failSafeDue(expiresAt: Date | undefined, now: Date, marginMs: number): boolean {
  return expiresAt === undefined || expiresAt.getTime() - now.getTime() <= marginMs;
}

/** How long to wait before the next attempt after a failure: at most until the fail-safe is due. */
export function retryDelay(backoffMs: number, expiresAt: Date | undefined, now: Date, marginMs: number): number {
  if (expiresAt === undefined) return backoffMs;
  const untilFailSafe = expiresAt.getTime() - marginMs - now.getTime();
  return untilFailSafe > 0 ? Math.min(backoffMs, untilFailSafe) : backoffMs;
}
