// A run of failed token refreshes, counted so the keeper backs off by it and logs it once, with
// a reminder now and then, instead of once per attempt: a keeper retrying every few seconds
// through an AWS outage must not write a line each time.
import type { Clock } from "../util/clock.ts";

/** Whether a failure is worth a log line: the first of a streak, or a reminder that it goes on. */
export type FailureNote = "first" | "reminder" | undefined;

export class FailureStreak {
  readonly #clock: Clock;
  readonly #reminderMs: number;
  #since: number | undefined;
  #notedAt = 0;
  #attempts = 0;
  #lastProblem: string | undefined;

  constructor(clock: Clock, reminderMs: number) {
    this.#clock = clock;
    this.#reminderMs = reminderMs;
  }

  /** Failed attempts in the current streak (0 when none), the backoff's attempt number. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Milliseconds since the streak began. */
  get lastedMs(): number {
    return this.#since === undefined ? 0 : this.#clock.now() - this.#since;
  }

  /** The last failed attempt's problem while the streak lasts. */
  get lastProblem(): string | undefined {
    return this.#lastProblem;
  }

  failed(problem: string): FailureNote {
    const now = this.#clock.now();
    this.#attempts++;
    this.#lastProblem = problem;
    if (this.#since === undefined) {
      this.#since = now;
      this.#notedAt = now;
      return "first";
    }
    if (now - this.#notedAt < this.#reminderMs) return undefined;
    this.#notedAt = now;
    return "reminder";
  }

  /** Ends the streak; how long it lasted and how many attempts failed, if there was one. */
  ended(): { readonly lastedMs: number; readonly attempts: number } | undefined {
    if (this.#since === undefined) return undefined;
    const streak = { lastedMs: this.lastedMs, attempts: this.#attempts };
    this.#since = undefined;
    this.#attempts = 0;
    this.#lastProblem = undefined;
    return streak;
  }
}
