// Capped exponential backoff with full jitter. `random` is injected so the schedule is testable.

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
}

/** Delay before retry number `attempt` (1-based): random in [0.5, 1] x min(cap, base * 2^(attempt-1)). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random() / 2));
}
