// A run of consecutive failures of one thing (a watch, a connection), to say so once when it
// starts, remind at most every so often while it lasts, and once when it ends, instead of one
// line per attempt.
import type { Clock } from "./clock.ts";

export const StreakNews = {
  /** The first failure after success (or ever): say it. */
  started: "started",
  /** Still failing and the last word was long enough ago: remind. */
  reminder: "reminder",
  /** Still failing, already said recently: stay quiet. */
  quiet: "quiet",
} as const;
export type StreakNews = (typeof StreakNews)[keyof typeof StreakNews];

export interface EndedStreak {
  readonly failures: number;
  /** From the first failure to the end of the streak. */
  readonly durationMs: number;
}

export class FailureStreak {
  readonly #remindEveryMs: number;
  readonly #clock: Pick<Clock, "now">;
  #failures = 0;
  #startedAt = 0;
  #saidAt = 0;
  #lastProblem: string | undefined;

  constructor(remindEveryMs: number, clock: Pick<Clock, "now">) {
    this.#remindEveryMs = remindEveryMs;
    this.#clock = clock;
  }

  /** Consecutive failures so far; 0 when not failing. */
  get failures(): number {
    return this.#failures;
  }

  /** What the last failure of the streak was, as given to fail(); undefined when not failing. */
  get lastProblem(): string | undefined {
    return this.#lastProblem;
  }

  /** Milliseconds since the first failure of the streak; 0 when not failing. */
  get durationMs(): number {
    return this.#failures === 0 ? 0 : this.#clock.now() - this.#startedAt;
  }

  /** Counts one failure and tells whether it is worth a line. */
  fail(problem?: string): StreakNews {
    const now = this.#clock.now();
    this.#failures++;
    this.#lastProblem = problem;
    if (this.#failures === 1) {
      this.#startedAt = now;
      this.#saidAt = now;
      return StreakNews.started;
    }
    if (now - this.#saidAt < this.#remindEveryMs) return StreakNews.quiet;
    this.#saidAt = now;
    return StreakNews.reminder;
  }

  /** Ends the streak: what it was, or undefined when nothing was failing. */
  end(at = this.#clock.now()): EndedStreak | undefined {
    if (this.#failures === 0) return undefined;
    const ended = { failures: this.#failures, durationMs: at - this.#startedAt };
    this.#failures = 0;
    this.#lastProblem = undefined;
    return ended;
  }
}
