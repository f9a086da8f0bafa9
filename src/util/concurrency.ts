// Small async helpers: bounded parallelism and retry with backoff.
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import { systemClock, type Clock } from "./clock.ts";

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface RetryOptions extends BackoffPolicy {
  readonly attempts: number;
  readonly retryable: (error: unknown) => boolean;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Sleeps between attempts and draws the jitter; tests pass a FakeClock. */
  readonly clock?: Clock;
}

export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error)) throw error;
      const delay = backoffDelay(attempt, options, () => clock.random());
      options.onRetry?.(error, attempt, delay);
      await clock.sleep(delay);
    }
  }
}
