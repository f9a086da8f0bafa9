// The one retry policy for Kubernetes calls, reads and writes alike: transient and unreachable
// errors (a request past its deadline among them) back off with jitter on the injected clock;
// anything else is the caller's to handle.
import { backoffDelay } from "../util/backoff.ts";
import { withRetry } from "../util/concurrency.ts";
import type { Clock } from "../util/clock.ts";
import { kubeRequestTimeoutMs } from "./bounded-fetch.ts";
import { isRetryableKubeError } from "./errors.ts";

export const kubeRetry = { attempts: 4, baseMs: 200, capMs: 3_000, retryable: isRetryableKubeError } as const;

export function withKubeRetry<T>(call: () => Promise<T>, clock: Clock): Promise<T> {
  return withRetry(call, { ...kubeRetry, clock });
}

/**
 * The longest one call through withKubeRetry can take when every attempt hangs until its
 * deadline: each attempt's bound plus the longest backoff between them (about 2 minutes with
 * the default 30 s bound). An exec credential plugin's run comes on top, once per credential.
 */
export function kubeRetryBoundMs(requestTimeoutMs: number = kubeRequestTimeoutMs): number {
  let total = kubeRetry.attempts * requestTimeoutMs;
  for (let attempt = 1; attempt < kubeRetry.attempts; attempt++) total += backoffDelay(attempt, kubeRetry, () => 1);
  return total;
}
