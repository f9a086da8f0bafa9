// The time budget of a command that ends on its own (sync, status, doctor; --timeout). Every
// outside call has a bound of its own, but those add up (several requests, each with retries),
// so the command as a whole gets one too: a CronJob or a person at a terminal must get an
// answer, not a process that hangs until it is killed.
//
// AWS calls take the deadline's signal and are ended by it. Kubernetes calls go through
// client-node's generated APIs, which take no signal per call, so the command's work is raced
// against the deadline instead: at the deadline the command says what it did not finish and
// returns, and endSoonIfStuck() makes sure a request still in flight cannot keep the process
// past it.
import { formatDuration } from "../domain/duration.ts";
import { systemClock } from "../util/clock.ts";

/** The deadline passed before the work it was racing finished. */
export class DeadlinePassed extends Error {
  override readonly name = "DeadlinePassed";
}

/** How long a process whose command timed out may go on finishing what is already on its way. */
const graceAfterDeadlineMs = 1_000;

export class Deadline {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;

  /** `timeoutMs` undefined: no deadline (a signal that never aborts). */
  constructor(timeoutMs: number | undefined) {
    this.timeoutMs = timeoutMs ?? Number.POSITIVE_INFINITY;
    // AbortSignal.timeout's timer does not keep the process alive by itself.
    this.signal = timeoutMs === undefined ? new AbortController().signal : AbortSignal.timeout(timeoutMs);
  }

  get passed(): boolean {
    return this.signal.aborted;
  }

  /**
   * Throws DeadlinePassed once the deadline has passed. Called after each wait, so that work
   * which goes on after a command gave up (the race returned) says nothing more.
   */
  check(): void {
    if (this.signal.aborted) throw new DeadlinePassed(`past the deadline (${this.within})`);
  }

  /** "within 2m", for the one line a command says when it ran out of time. */
  get within(): string {
    return `within ${formatDuration(this.timeoutMs)}`;
  }

  /** What `work` settles to, or a DeadlinePassed as soon as the deadline passes, whichever is first. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onDeadline = (): void => reject(new DeadlinePassed(`no answer ${this.within}`));
      if (this.signal.aborted) onDeadline();
      else this.signal.addEventListener("abort", onDeadline, { once: true });
      // Handled whichever way it ends, so late work never becomes an unhandled rejection.
      work.then(
        (value) => {
          this.signal.removeEventListener("abort", onDeadline);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener("abort", onDeadline);
          reject(error);
        },
      );
    });
  }
}

/**
 * Once a command has given up at its deadline, a request it could not call off (a Kubernetes
 * call, or a credential lookup the AWS SDK does before its signal applies) may still hold the
 * event loop. The process then ends a moment later with the exit code already set; a process
 * with nothing left in flight ends on its own first, since this timer does not hold it.
 */
export function endSoonIfStuck(): void {
  systemClock.schedule(graceAfterDeadlineMs, () => process.exit());
}
