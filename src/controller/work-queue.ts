// A de-duplicating work queue of keys (namespace names), as client-go's workqueue: a key is
// queued at most once, never processed by two workers at once, and a key added while it is
// being processed runs again afterwards. Failed keys come back with per-key backoff.
import { backoffDelay, type BackoffPolicy } from "../domain/backoff.ts";

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #policy: BackoffPolicy;
  readonly #waiters: Array<() => void> = [];
  #shuttingDown = false;
  #onDepth: (depth: number) => void;

  constructor(policy: BackoffPolicy, onDepth: (depth: number) => void = () => undefined) {
    this.#policy = policy;
    this.#onDepth = onDepth;
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

  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown || this.#timers.has(key)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** Re-queue after a failure, later each time it fails again. */
  addRateLimited(key: string): void {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    this.addAfter(key, backoffDelay(failures, this.#policy, Math.random));
  }

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

  /** Stops handing out keys; in-flight work finishes, and run() resolves after it. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#queued.clear();
    // Wake every waiting worker so it sees the shutdown.
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
