// The one retry policy for Kubernetes calls, reads and writes alike: transient and unreachable
// errors back off with jitter on the injected clock; anything else is the caller's to handle.
import { withRetry } from "../util/concurrency.ts";
import type { Clock } from "../util/clock.ts";
import { isRetryableKubeError } from "./errors.ts";

export const kubeRetry = { attempts: 4, baseMs: 200, capMs: 3_000, retryable: isRetryableKubeError } as const;

export function withKubeRetry<T>(call: () => Promise<T>, clock: Clock): Promise<T> {
  return withRetry(call, { ...kubeRetry, clock });
}
