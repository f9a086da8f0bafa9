// Holds the one registry token the controller writes everywhere. Refreshes it when a share of
// its life has passed (not on a fixed schedule), retries failures with capped backoff, and,
// when the held token is about to expire with no new one in sight, switches to an empty
// credential set so pulls fall back to anonymous instead of failing with 403.
//
// The fail-safe is a timer of its own, armed whenever an expiry is known (the held token's, or
// the one our secrets record for a keeper that has none yet), so it engages on time whatever a
// token call is doing: a call to AWS that never answers must not keep an expired token in the
// secrets.
//
// Each attempt waits at most `fetchTimeoutMs` for an answer, then aborts the call's signal,
// counts as failed, and the next one is scheduled with backoff; stop() aborts it too, so a hung
// connection does not outlive the controller. There is never more than one call to AWS in
// flight: a source may not be able to honour the abort at once (credential resolution cannot
// be called off), so an attempt that comes due while the previous call is still unanswered
// waits on that same call instead of starting another (a hung connection must not pile up more
// of them). An answer is therefore welcome whenever it comes: a late token is taken as if it
// came on time; a late failure (the abort's included) was already counted, and the next
// attempt makes a fresh call.
import { formatDuration } from "../domain/duration.ts";
import { beforeFailSafe, failSafeDue, refreshDelay, tokenStatus, untilFailSafe, type TokenStatus } from "../domain/refresh.ts";
import type { RegistryToken } from "../domain/types.ts";
import { TokenUnavailableError, type TokenSource } from "../aws/token-source.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { backoffDelay, type BackoffPolicy } from "../util/backoff.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { FailureStreak, StreakNews } from "../util/failure-streak.ts";

export type { TokenState, TokenStatus } from "../domain/refresh.ts";

/** Long enough for a slow STS + ECR round trip, short against a 12-hour token's life. */
const defaultFetchTimeoutMs = 30_000;
const defaultReminderMs = 5 * 60_000;

export interface TokenKeeperOptions {
  /** Share of the token's life after which it is refreshed (jittered +-10 %). */
  readonly refreshFraction: number;
  readonly failSafe: boolean;
  /** The fail-safe engages this long before the known expiry. */
  readonly failSafeMarginMs: number;
  readonly retry: BackoffPolicy;
  /**
   * Expiry of the tokens already in the cluster (the earliest), for a keeper that has not
   * obtained one itself yet: a new leader starting while AWS is down must still engage the
   * fail-safe before the previous leader's tokens expire. Read at start and after each failure.
   */
  readonly existingExpiry: () => Date | undefined;
  /** How long one attempt waits for AWS before it counts as failed; default 30 s. */
  readonly fetchTimeoutMs?: number;
  /** While refreshes keep failing, a reminder is logged at most this often; default 5 min. */
  readonly reminderMs?: number;
}

export interface HeldToken {
  readonly token: RegistryToken;
  /** True while the fail-safe is engaged: `token` then has no credentials. */
  readonly failSafe: boolean;
}

/** The one outstanding call to AWS. */
interface Call {
  readonly startedAt: number;
  /** Ends the call: at its attempt's timeout, or on stop(). */
  readonly abort: AbortController;
}

export class TokenKeeper {
  readonly #source: TokenSource;
  readonly #options: TokenKeeperOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #onChange: (held: HeldToken) => void;
  readonly #streak: FailureStreak;
  readonly #fetchTimeoutMs: number;
  #held: HeldToken | undefined;
  #call: Call | undefined;
  /** Bounds the attempt waiting on #call; undefined when no attempt waits. */
  #attemptTimeout: Timer | undefined;
  /** The next refresh or retry. */
  #nextAttempt: Timer | undefined;
  #failSafeTimer: Timer | undefined;
  #running = false;
  /** Changes on stop(), so answers to calls made before it are dropped. */
  #run = 0;

  constructor(source: TokenSource, options: TokenKeeperOptions, clock: Clock, log: Logger, metrics: Metrics, onChange: (held: HeldToken) => void) {
    this.#source = source;
    this.#options = options;
    this.#clock = clock;
    this.#log = log;
    this.#metrics = metrics;
    this.#onChange = onChange;
    this.#streak = new FailureStreak(options.reminderMs ?? defaultReminderMs, clock);
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? defaultFetchTimeoutMs;
  }

  get current(): HeldToken | undefined {
    return this.#held;
  }

  /** A real, unexpired token is held (what /readyz asks). */
  get valid(): boolean {
    return this.status().ready;
  }

  /** For the readiness probe: no token yet, ok (expires in ...), token expired, fail-safe engaged. */
  status(): TokenStatus {
    const held = this.#held && { expiresAt: this.#held.token.expiresAt.getTime(), failSafe: this.#held.failSafe };
    return tokenStatus(held, this.#clock.now(), this.#streak.lastProblem);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#armFailSafe();
    this.#attempt();
  }

  /** Cancels every timer; nothing fires and no callback is called afterwards. */
  stop(): void {
    this.#running = false;
    this.#run++;
    for (const timer of [this.#attemptTimeout, this.#nextAttempt, this.#failSafeTimer]) timer?.cancel();
    this.#attemptTimeout = this.#nextAttempt = this.#failSafeTimer = undefined;
    this.#call?.abort.abort(new Error("the controller is stopping"));
    this.#call = undefined;
  }

  #attempt(): void {
    this.#nextAttempt = undefined;
    this.#call ??= this.#fetch();
    this.#attemptTimeout = this.#clock.schedule(this.#fetchTimeoutMs, () => {
      this.#attemptTimeout = undefined;
      const problem = `no answer from AWS within ${formatDuration(this.#fetchTimeoutMs)}`;
      this.#call?.abort.abort(new Error(problem));
      this.#failed("timeout", problem);
    });
  }

  #fetch(): Call {
    const call: Call = { startedAt: this.#clock.now(), abort: new AbortController() };
    const run = this.#run;
    const answered = (outcome: "success" | "failure"): boolean => {
      if (run !== this.#run) return false;
      this.#call = undefined;
      this.#metrics.awsCallDuration.observe({ outcome }, (this.#clock.now() - call.startedAt) / 1000);
      return true;
    };
    // new Promise: a source that throws instead of rejecting is a failed call, not a crash.
    new Promise<RegistryToken>((resolve) => resolve(this.#source.fetchToken(call.abort.signal))).then(
      (token) => {
        if (!answered("success")) return;
        this.#endAttempt();
        this.#nextAttempt?.cancel();
        this.#obtained(token, call.startedAt);
      },
      (error: unknown) => {
        // Without a waiting attempt, this call's attempt already timed out and was counted.
        if (!answered("failure") || !this.#endAttempt()) return;
        const reason = error instanceof TokenUnavailableError ? error.reason : "other";
        this.#failed(reason, firstLine(error instanceof Error ? error.message : String(error)));
      },
    );
    return call;
  }

  /** Stops the waiting attempt's timeout; false when no attempt was waiting. */
  #endAttempt(): boolean {
    const waiting = this.#attemptTimeout !== undefined;
    this.#attemptTimeout?.cancel();
    this.#attemptTimeout = undefined;
    return waiting;
  }

  #obtained(token: RegistryToken, obtainedAt: number): void {
    const previous = this.#held;
    const now = this.#clock.now();
    const expiresAt = token.expiresAt.getTime();
    const recovered = this.#streak.end();
    this.#held = { token, failSafe: false };
    this.#metrics.tokenExpiry.set(expiresAt / 1000);
    this.#metrics.lastRefresh.set(now / 1000);
    this.#metrics.failSafeActive.set(0);
    const delay = beforeFailSafe(
      refreshDelay(obtainedAt, expiresAt, now, this.#options.refreshFraction, () => this.#clock.random()),
      expiresAt,
      now,
      this.#options.failSafeMarginMs,
    );
    const afterOutage = recovered ? `; recovered after ${formatDuration(recovered.durationMs)} (${recovered.failures} failed attempts)` : "";
    this.#log.info(
      { expiresAt: token.expiresAt.toISOString(), nextRefreshMs: delay },
      `token obtained, expires in ${formatDuration(expiresAt - now)}; next refresh in ${formatDuration(delay)}${afterOutage}${previous?.failSafe ? "; fail-safe lifted" : ""}`,
    );
    this.#nextAttempt = this.#clock.schedule(delay, () => this.#attempt());
    this.#armFailSafe();
    if (!previous || !sameToken(previous, this.#held)) this.#onChange(this.#held);
  }

  #failed(reason: string, problem: string): void {
    this.#metrics.refreshFailures.inc({ reason });
    const news = this.#streak.fail(problem);
    const now = this.#clock.now();
    const backoff = backoffDelay(this.#streak.failures, this.#options.retry, () => this.#clock.random());
    const delay = beforeFailSafe(backoff, this.#knownExpiry()?.getTime(), now, this.#options.failSafeMarginMs);
    const fields = { reason, attempts: this.#streak.failures, retryInMs: delay };
    if (news === StreakNews.started) this.#log.error(fields, `token refresh failed: ${problem}; retrying in ${formatDuration(delay)}`);
    if (news === StreakNews.reminder) {
      this.#log.warn(
        fields,
        `token refresh still failing after ${formatDuration(this.#streak.durationMs)} (${this.#streak.failures} attempts): ${problem}; retrying in ${formatDuration(delay)}`,
      );
    }
    this.#nextAttempt = this.#clock.schedule(delay, () => this.#attempt());
    // The secrets' recorded expiry may have become known since the last look.
    this.#armFailSafe();
  }

  /** The held token's expiry (a fail-safe keeps the real one's), else what our secrets record. */
  #knownExpiry(): Date | undefined {
    return this.#held?.token.expiresAt ?? this.#options.existingExpiry();
  }

  /** (Re)sets the fail-safe timer to the known expiry minus the margin. */
  #armFailSafe(minDelayMs = 0): void {
    this.#failSafeTimer?.cancel();
    this.#failSafeTimer = undefined;
    if (!this.#options.failSafe || !this.#running || this.#held?.failSafe) return;
    const expiresAt = this.#knownExpiry()?.getTime();
    if (expiresAt === undefined) return;
    this.#failSafeTimer = this.#clock.schedule(Math.max(minDelayMs, untilFailSafe(expiresAt, this.#clock.now(), this.#options.failSafeMarginMs)), () => {
      this.#failSafeTimer = undefined;
      // A newer token re-arms the timer; this re-check covers an existing expiry that moved on.
      const known = this.#knownExpiry();
      if (known && failSafeDue(known.getTime(), this.#clock.now(), this.#options.failSafeMarginMs)) this.#engageFailSafe(known);
      // At least a millisecond on: a timer that fired early must not re-fire at once forever.
      else this.#armFailSafe(1);
    });
  }

  #engageFailSafe(expiresAt: Date): void {
    this.#held = { token: { credentials: [], expiresAt }, failSafe: true };
    this.#metrics.failSafeActive.set(1);
    this.#log.warn(
      { expiresAt: expiresAt.toISOString() },
      `fail-safe engaged: the token expires in ${formatDuration(expiresAt.getTime() - this.#clock.now())} and no new one could be obtained; secrets now hold no credentials so pulls fall back to anonymous`,
    );
    this.#onChange(this.#held);
  }
}

function sameToken(a: HeldToken, b: HeldToken): boolean {
  return (
    a.failSafe === b.failSafe &&
    a.token.expiresAt.getTime() === b.token.expiresAt.getTime() &&
    JSON.stringify(a.token.credentials) === JSON.stringify(b.token.credentials)
  );
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? "";
}
