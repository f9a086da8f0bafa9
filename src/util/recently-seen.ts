// A memory of which keys were seen lately, for "do not say this again so soon": bounded in
// size (the oldest key goes first) and in time (a key older than the window is forgotten), so
// a process that runs for months and meets a new key every minute stays the same size.
import type { Clock } from "./clock.ts";

export interface RecentlySeenLimits {
  readonly maxKeys: number;
  readonly windowMs: number;
}

export class RecentlySeen {
  /** Key -> when it was marked; a Map iterates in insertion order, so the oldest is first. */
  readonly #marked = new Map<string, number>();
  readonly #limits: RecentlySeenLimits;
  readonly #clock: Pick<Clock, "now">;

  constructor(limits: RecentlySeenLimits, clock: Pick<Clock, "now">) {
    if (!(limits.maxKeys >= 1) || !(limits.windowMs > 0)) throw new RangeError("RecentlySeen needs maxKeys >= 1 and windowMs > 0");
    this.#limits = limits;
    this.#clock = clock;
  }

  get size(): number {
    return this.#marked.size;
  }

  /** True when `key` was marked less than the window ago. */
  has(key: string): boolean {
    this.#forgetExpired();
    const at = this.#marked.get(key);
    return at !== undefined && this.#fresh(at);
  }

  /** Marks `key` as seen now, evicting the oldest key when full. */
  mark(key: string): void {
    this.#forgetExpired();
    // Re-inserting moves the key to the back, keeping the Map ordered by marking time.
    this.#marked.delete(key);
    this.#marked.set(key, this.#clock.now());
    if (this.#marked.size > this.#limits.maxKeys) this.#marked.delete(this.#marked.keys().next().value as string);
  }

  /**
   * Marks `key` unless it was seen within the window, and tells whether it did: the window
   * runs from the first sighting, so a key seen every minute passes once per window.
   */
  markIfNew(key: string): boolean {
    if (this.has(key)) return false;
    this.mark(key);
    return true;
  }

  #fresh(at: number): boolean {
    return this.#clock.now() - at < this.#limits.windowMs;
  }

  /**
   * Drops expired keys from the front. A wall clock that steps back can leave a newer key in
   * front of an older one; that only delays forgetting the older one, and the size bound holds.
   */
  #forgetExpired(): void {
    for (const [key, at] of this.#marked) {
      if (this.#fresh(at)) return;
      this.#marked.delete(key);
    }
  }
}
