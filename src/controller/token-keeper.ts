// Holds the one registry token the controller writes everywhere. Refreshes it when a share of
// its life has passed (not on a fixed clock), retries failures with capped backoff, and, when
// the held token is about to expire with no new one in sight, switches to an empty
// credential set so pulls fall back to anonymous instead of failing with 403.
import { backoffDelay } from "../domain/backoff.ts";
import { formatDuration } from "../domain/duration.ts";
import { failSafeDue, refreshDelay, retryDelay } from "../domain/refresh.ts";
import type { RegistryToken } from "../domain/types.ts";
import { TokenUnavailableError, type TokenSource } from "../aws/token-source.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";

export interface TokenKeeperOptions {
  readonly refreshFraction: number;
  readonly failSafe: boolean;
  readonly failSafeMarginMs: number;
  readonly retry: { readonly baseMs: number; readonly capMs: number };
  /**
   * Expiry of the tokens already in the cluster (the earliest), for a keeper that has not
   * obtained one itself yet: a new leader starting while AWS is down must still engage the
   * fail-safe before the previous leader's tokens expire.
   */
  readonly existingExpiry: () => Date | undefined;
}

export interface HeldToken {
  readonly token: RegistryToken;
  /** True while the fail-safe is engaged: `token` then has no credentials. */
  readonly failSafe: boolean;
}

export class TokenKeeper {
  readonly #source: TokenSource;
  readonly #options: TokenKeeperOptions;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #onChange: (held: HeldToken) => void;
  #held: HeldToken | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(source: TokenSource, options: TokenKeeperOptions, log: Logger, metrics: Metrics, onChange: (held: HeldToken) => void) {
    this.#source = source;
    this.#options = options;
    this.#log = log;
    this.#metrics = metrics;
    this.#onChange = onChange;
  }

  get current(): HeldToken | undefined {
    return this.#held;
  }

  /** A real, unexpired token is held (what /readyz asks). */
  get valid(): boolean {
    return this.#held !== undefined && !this.#held.failSafe && this.#held.token.expiresAt.getTime() > Date.now();
  }

  start(): void {
    this.#stopped = false;
    void this.#refresh();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#refresh(), delayMs);
  }

  async #refresh(): Promise<void> {
    const obtainedAt = new Date();
    const stopTimer = this.#metrics.awsCallDuration.startTimer();
    try {
      const token = await this.#source.fetchToken();
      stopTimer({ outcome: "success" });
      const wasFailSafe = this.#held?.failSafe === true;
      this.#failures = 0;
      this.#held = { token, failSafe: false };
      this.#metrics.tokenExpiry.set(token.expiresAt.getTime() / 1000);
      this.#metrics.lastRefresh.set(Date.now() / 1000);
      this.#metrics.failSafeActive.set(0);
      const delay = refreshDelay(obtainedAt, token.expiresAt, new Date(), this.#options.refreshFraction, Math.random);
      this.#log.info(
        { expiresAt: token.expiresAt.toISOString(), nextRefreshMs: delay },
        `token obtained, expires in ${formatDuration(token.expiresAt.getTime() - Date.now())}; next refresh in ${formatDuration(delay)}${wasFailSafe ? "; fail-safe lifted" : ""}`,
      );
      this.#onChange(this.#held);
      this.#schedule(delay);
    } catch (error) {
      stopTimer({ outcome: "failure" });
      if (this.#stopped) return;
      const reason = error instanceof TokenUnavailableError ? error.reason : "other";
      const message = error instanceof Error ? error.message : String(error);
      this.#metrics.refreshFailures.inc({ reason });
      this.#failures++;
      const expiresAt = this.#knownExpiry();
      const backoff = backoffDelay(this.#failures, this.#options.retry, Math.random);
      const delay = retryDelay(backoff, expiresAt, new Date(), this.#options.failSafeMarginMs);
      this.#log.error({ reason, retryInMs: delay }, `token refresh failed: ${message}; retrying in ${formatDuration(delay)}`);
      this.#maybeEngageFailSafe();
      this.#schedule(delay);
    }
  }

  /** The held token's expiry (a fail-safe keeps the real one's), else what our secrets record. */
  #knownExpiry(): Date | undefined {
    return this.#held?.token.expiresAt ?? this.#options.existingExpiry();
  }

  #maybeEngageFailSafe(): void {
    if (!this.#options.failSafe || this.#held?.failSafe) return;
    const expiresAt = this.#knownExpiry();
    if (!expiresAt || !failSafeDue(expiresAt, new Date(), this.#options.failSafeMarginMs)) return;
    this.#held = { token: { credentials: [], expiresAt }, failSafe: true };
    this.#metrics.failSafeActive.set(1);
    this.#log.warn(
      { expiresAt: expiresAt.toISOString() },
      `fail-safe engaged: the token expires in ${formatDuration(expiresAt.getTime() - Date.now())} and no new one could be obtained; secrets now hold no credentials so pulls fall back to anonymous`,
    );
    this.#onChange(this.#held);
  }
}
