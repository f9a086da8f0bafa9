// Time, timers and randomness for everything that waits, retries, expires or elects. The
// runtime gets `systemClock`, the only code in the product that reads `Date.now`, starts a
// timer or draws `Math.random`; tests pass a FakeClock (./fake-clock.ts) and move time by hand,
// so a 12-hour token life is tested in milliseconds and no test depends on how fast the
// machine is.

/** A scheduled callback that can be called off. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `delayMs`. A pending timer does not keep the process alive. */
  schedule(delayMs: number, fn: () => void): Timer;
  /** Resolves after `delayMs`, or at once (never rejecting) when `signal` aborts. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  sleep(delayMs, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(handle);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      // A sleep is awaited by someone, so unlike schedule() it holds the process open.
      const handle = setTimeout(done, Math.max(0, delayMs));
      signal?.addEventListener("abort", done, { once: true });
    });
  },
  random: () => Math.random(),
};
