// A de-duplicating work queue of keys (namespace names), as client-go's workqueue: a key is
// queued at most once, never processed by two workers at once, and a key added while it is
// being processed runs again afterwards. Failed keys come back with per-key backoff. Delays
// and their jitter come from the injected clock, so tests drive the queue in fake time.
import { backoffDelay, type BackoffPolicy } from "../util/backoff.ts";
import type { Clock, Timer } from "../util/clock.ts";

interface Delayed {
  readonly at: number;
  readonly timer: Timer;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, Delayed>();
  readonly #policy: BackoffPolicy;
  readonly #clock: Clock;
  readonly #onDepth: (depth: number) => void;
  readonly #waiters: Array<() => void> = [];
  #shuttingDown = false;

  constructor(policy: BackoffPolicy, clock: Clock, onDepth: (depth: number) => void = () => undefined) {
    this.#policy = policy;
    this.#clock = clock;
    this.#onDepth = onDepth;
  }

  /** Keys waiting for a worker (not those in flight or waiting on a delay). */
  get length(): number {
    return this.#queue.length;
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#onDepth(this.#queue.length);
    this.#waiters.shift()?.();
  }

  /** Adds `key` after `delayMs`; a key already waiting keeps whichever time comes first. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + delayMs;
    const waiting = this.#delayed.get(key);
    if (waiting && waiting.at <= at) return;
    waiting?.timer.cancel();
    const timer = this.#clock.schedule(delayMs, () => {
      this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { at, timer });
  }

  /** Re-queue after a failure, later each time it fails again. */
  addRateLimited(key: string): void {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    this.addAfter(
      key,
      backoffDelay(failures, this.#policy, () => this.#clock.random()),
    );
  }

  /** Clears `key`'s failure count: its next failure backs off from the start again. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  async #next(): Promise<string | undefined> {
    while (this.#queue.length === 0) {
      if (this.#shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    const key = this.#queue.shift() as string;
    this.#queued.delete(key);
    this.#processing.add(key);
    this.#onDepth(this.#queue.length);
    return key;
  }

  #done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  /** Runs `workers` loops until shutDown(); each key goes to `handle`, failures back off. */
  async run(workers: number, handle: (key: string) => Promise<void>): Promise<void> {
    const loop = async (): Promise<void> => {
      for (let key = await this.#next(); key !== undefined; key = await this.#next()) {
        try {
          await handle(key);
          this.forget(key);
        } catch {
          this.addRateLimited(key);
        } finally {
          this.#done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }

  /** Stops handing out keys and drops the queued ones; in-flight work finishes, then run() resolves. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
    this.#queue.length = 0;
    this.#queued.clear();
    this.#dirty.clear();
    this.#onDepth(0);
    // Wake every waiting worker so it sees the shutdown.
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
