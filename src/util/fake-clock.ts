// A Clock for tests: time stands still until the test moves it with advance(), which fires
// every timer that falls due, in order, and lets the promise chains they start run before it
// returns. Randomness is a fixed value (or a sequence) the test chooses.
import type { Clock, Timer } from "./clock.ts";

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets settled promises and queued callbacks run: a few turns of the event loop, no wall time. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #pending: Pending[] = [];
  #random: () => number;

  /** Starts at `start` (epoch ms); `random` defaults to 0.5, the middle of every jitter range. */
  constructor(start = Date.parse("2026-01-01T00:00:00.000Z"), random: number | (() => number) = 0.5) {
    this.#now = start;
    this.#random = typeof random === "number" ? () => random : random;
  }

  now(): number {
    return this.#now;
  }

  random(): number {
    return this.#random();
  }

  setRandom(random: number | (() => number)): void {
    this.#random = typeof random === "number" ? () => random : random;
  }

  schedule(delayMs: number, fn: () => void): Timer {
    const entry: Pending = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn, cancelled: false };
    this.#pending.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = this.schedule(delayMs, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      const onAbort = (): void => {
        timer.cancel();
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Timers not yet fired nor cancelled. */
  get pendingTimers(): number {
    return this.#live().length;
  }

  /** Milliseconds until the next timer fires, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    const next = this.#earliest();
    return next === undefined ? undefined : next.at - this.#now;
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due at its own time, in order, and
   * settling the promise chains each one starts before the next fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (let next = this.#earliest(); next !== undefined && next.at <= target; next = this.#earliest()) {
      this.#now = Math.max(this.#now, next.at);
      next.cancelled = true;
      this.#pending = this.#live();
      next.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Advances to the next pending timer and fires it (and any due at the same time). */
  async fireNext(): Promise<void> {
    const next = this.nextTimerIn();
    if (next !== undefined) await this.advance(next);
  }

  #live(): Pending[] {
    return this.#pending.filter((p) => !p.cancelled);
  }

  #earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.#pending) {
      if (p.cancelled) continue;
      if (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq)) best = p;
    }
    return best;
  }
}
