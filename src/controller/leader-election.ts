// Leader election on a coordination.k8s.io/v1 Lease, following client-go's rules: a Lease is
// taken over only after it went unrenewed for a whole lease duration *as observed on our own
// clock* (so clock skew between nodes does not matter); writes carry the resourceVersion read,
// so two candidates cannot both win; the leader renews every retry period and stops leading
// once the renew deadline passes without a renewal; on shutdown it releases the Lease so a
// standby takes over at once.
//
// One writer: renewDeadline < leaseDuration, and the deadline is counted from the *start* of
// the last successful renewal (before its write reached the API server, so before any standby
// could have seen it). stillLeading() compares against the clock when it is called, so a
// process that wakes from a pause (SIGSTOP, a frozen VM) refuses to write before any timer or
// renewal has had a chance to run; a timer at the deadline aborts the work as well.
import { V1MicroTime, type CoordinationV1Api, type V1Lease, type V1LeaseSpec } from "@kubernetes/client-node";
import { formatDuration } from "../domain/duration.ts";
import { classifyKubeError, kubeErrorMessage, KubeErrorKind } from "../kube/errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { LeaseCallTimeout, LeaseClient, leaseRecord, micro, withinBound, type LeaseRecord } from "./lease-client.ts";
import { leaseProblem, ProblemLog, type LeaseProblem } from "./lease-problems.ts";

export { LeaseProblemKind, type LeaseProblem } from "./lease-problems.ts";

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** How `run` ended. */
export type ElectionEnd =
  /** stop() was called, or the work returned on its own; the Lease was handed back if held. */
  | { readonly reason: "stopped" }
  /** Leadership was lost (not renewed in time, or another holder seen); the work was told to stop. */
  | { readonly reason: "lost" }
  /** While campaigning, the Lease cannot be used at all (namespace missing, 403, 401, 422). */
  | { readonly reason: "fatal"; readonly problem: LeaseProblem };

export interface ElectionStatus {
  /** Same as stillLeading(). */
  readonly leading: boolean;
  /** One line for readiness: "leader (ns/name)", "standby: lease held by X", "cannot reach the Lease ns/name: …". */
  readonly detail: string;
  /** The last attempt's failure; undefined once the Lease answers again. */
  readonly problem: LeaseProblem | undefined;
  /** Lease attempts finished so far (each: read, then create or replace). */
  readonly attempts: number;
}

/** Why the `leadership` signal given to the work was aborted (its `reason`). */
export const LeadershipEnd = { lost: "lost", stopped: "stopped" } as const;

type Attempt =
  | { readonly outcome: "holding"; readonly startedAt: number }
  | { readonly outcome: "held"; readonly holder: string }
  /** problem undefined: another candidate wrote between our read and write (409), nothing is wrong. */
  | { readonly outcome: "failed"; readonly problem: LeaseProblem | undefined };

type Phase = "idle" | "campaigning" | "leading" | "lost" | "releasing" | "stopped";

/** client-go's JitterFactor: campaign retries wait retryPeriod x [1, 2.2), so candidates drift apart. */
const campaignJitter = 1.2;

export class LeaderElector {
  readonly #lease: LeaseClient;
  readonly #options: LeaderElectionOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #problems: ProblemLog;
  readonly #stopping = new AbortController();
  readonly #renewing = new AbortController();
  #phase: Phase = "idle";
  #observed: (LeaseRecord & { readonly at: number }) | undefined;
  #lastRenewAt = 0;
  #deadline: Timer | undefined;
  #leadership: AbortController | undefined;
  #problem: LeaseProblem | undefined;
  #lostBecause = "";
  #attempts = 0;

  constructor(leases: CoordinationV1Api, options: LeaderElectionOptions, clock: Clock, log: Logger) {
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = options;
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
      throw new Error("leader election needs lease duration > renew deadline > retry period > 0");
    }
    this.#lease = new LeaseClient(leases, options.namespace, options.name);
    this.#options = options;
    this.#clock = clock;
    this.#log = log;
    this.#problems = new ProblemLog(clock, log, this.#lease.where);
  }

  /**
   * True while this replica may write: it holds the Lease and its last renewal started less
   * than renewDeadline ago on the clock, read now. Call it before every write.
   */
  stillLeading(): boolean {
    return this.#phase === "leading" && this.#clock.now() - this.#lastRenewAt < this.#options.renewDeadlineMs;
  }

  /** Same as stillLeading(). */
  get isLeader(): boolean {
    return this.stillLeading();
  }

  status(): ElectionStatus {
    return { leading: this.stillLeading(), detail: this.#detail(), problem: this.#problem, attempts: this.#attempts };
  }

  /**
   * Campaigns until elected, then runs `lead` with a signal that aborts when the work must stop
   * (reason LeadershipEnd.lost or .stopped), keeps renewing until `lead` returns, and hands the
   * Lease back if still held. Call once.
   */
  async run(lead: (leadership: AbortSignal) => Promise<void>): Promise<ElectionEnd> {
    if (this.#phase !== "idle") throw new Error("internal: LeaderElector.run called twice");
    this.#phase = "campaigning";
    const won = await this.#campaign();
    if ("reason" in won) {
      this.#phase = "stopped";
      return won;
    }
    this.#becomeLeader(won.startedAt);
    if (this.#stopping.signal.aborted) {
      await this.#release();
      return { reason: "stopped" };
    }
    const leadership = new AbortController();
    this.#leadership = leadership;
    const onStop = (): void => leadership.abort(LeadershipEnd.stopped);
    this.#stopping.signal.addEventListener("abort", onStop, { once: true });
    const renewing = this.#renewWhileLeading();
    try {
      await lead(leadership.signal);
    } finally {
      this.#stopping.signal.removeEventListener("abort", onStop);
      // Only with the work stopped and no renewal in flight is the Lease handed back.
      this.#renewing.abort();
      await renewing;
      if (this.#is("leading")) await this.#release();
    }
    return this.#is("lost") ? { reason: "lost" } : { reason: "stopped" };
  }

  /**
   * Stops campaigning, and tells the work to stop (the `leadership` signal). Renewal goes on
   * until the work has returned; then `run` hands the Lease back, so a standby takes over at once.
   */
  stop(): void {
    this.#stopping.abort();
  }

  /** The phase now (a method, so TypeScript does not keep a narrowing across awaits). */
  #is(phase: Phase): boolean {
    return this.#phase === phase;
  }

  async #campaign(): Promise<{ readonly startedAt: number } | ElectionEnd> {
    for (;;) {
      if (this.#stopping.signal.aborted) return { reason: "stopped" };
      const attempt = await this.#attempt();
      if (attempt.outcome === "holding") return attempt;
      if (attempt.outcome === "failed" && attempt.problem?.fatal) return { reason: "fatal", problem: attempt.problem };
      const delay = this.#options.retryPeriodMs * (1 + campaignJitter * this.#clock.random());
      await this.#clock.sleep(delay, this.#stopping.signal);
    }
  }

  async #renewWhileLeading(): Promise<void> {
    const { retryPeriodMs } = this.#options;
    while (this.#phase === "leading" && !this.#renewing.signal.aborted) {
      await this.#clock.sleep(retryPeriodMs, this.#renewing.signal);
      if (this.#phase !== "leading" || this.#renewing.signal.aborted) return;
      // Woken after a pause longer than the deadline: leadership is gone, renewing cannot bring it back.
      if (!this.stillLeading()) return this.#lose(this.#overdue());
      const attempt = await this.#attempt();
      if (this.#phase !== "leading") return;
      // An answer that came after the deadline does not count, even a success.
      if (!this.stillLeading()) return this.#lose(this.#overdue());
      if (attempt.outcome === "holding") this.#renewed(attempt.startedAt);
      else if (attempt.outcome === "held") return this.#lose(`the Lease is now held by ${attempt.holder}`);
    }
  }

  /** One read-then-write on the Lease, bounded by retryPeriod on the clock. */
  async #attempt(): Promise<Attempt> {
    const startedAt = this.#clock.now();
    try {
      const attempt = await withinBound(this.#clock, this.#options.retryPeriodMs, (signal) => this.#acquireOrRenew(startedAt, signal));
      this.#answered();
      return attempt;
    } catch (error) {
      if (classifyKubeError(error) === KubeErrorKind.conflict) {
        this.#answered();
        this.#log.debug({ lease: this.#lease.where }, "leader election: the Lease changed between read and write; reading again");
        return { outcome: "failed", problem: undefined };
      }
      const problem = leaseProblem(error, this.#lease.where);
      this.#problem = problem;
      // A fatal problem ends a campaign and run() reports it as its one error line; logging it
      // here too would say the same thing twice. While leading it only fails a renewal: warn.
      if (!(problem.fatal && this.#phase === "campaigning")) this.#problems.failed(problem);
      return { outcome: "failed", problem };
    } finally {
      this.#attempts++;
    }
  }

  async #acquireOrRenew(startedAt: number, signal: AbortSignal): Promise<Attempt> {
    const lease = await this.#lease.read(signal);
    signal.throwIfAborted();
    // A process woken from a pause (SIGSTOP, a frozen VM) with this answer already waiting
    // handles it before any timer runs, so neither the bound's timer nor the renew deadline's
    // has fired yet: ask the clock. Past either, writing would act on a stale read.
    if (this.#clock.now() - startedAt >= this.#options.retryPeriodMs) throw new LeaseCallTimeout(this.#options.retryPeriodMs);
    if (this.#phase === "leading" && !this.stillLeading()) return { outcome: "failed", problem: undefined };
    if (lease) {
      const record = leaseRecord(lease);
      this.#observe(record);
      if (this.#heldByAnother(record)) return { outcome: "held", holder: record.holder };
    }
    const spec = this.#ourSpec(startedAt, lease);
    if (lease) await this.#lease.replace(lease, spec, signal);
    else await this.#lease.create(spec, signal);
    this.#observe({ holder: this.#options.identity, renewTime: new Date(startedAt).toISOString(), leaseDurationMs: this.#options.leaseDurationMs });
    return { outcome: "holding", startedAt };
  }

  /** Remembers when, on our clock, the holder or its renewTime last changed. */
  #observe(record: LeaseRecord): void {
    const seen = this.#observed;
    const changed = !seen || seen.holder !== record.holder || seen.renewTime !== record.renewTime;
    this.#observed = { ...record, at: changed ? this.#clock.now() : seen.at };
  }

  /** Held by someone else who renewed less than a lease duration ago, as seen on our clock. */
  #heldByAnother(record: LeaseRecord): boolean {
    if (record.holder === "" || record.holder === this.#options.identity || !this.#observed) return false;
    // The holder's own promise counts too if it asked for longer than we would.
    const waitMs = Math.max(this.#options.leaseDurationMs, record.leaseDurationMs ?? 0);
    return this.#clock.now() - this.#observed.at < waitMs;
  }

  #ourSpec(now: number, lease: V1Lease | undefined): V1LeaseSpec {
    const previous = lease?.spec;
    const previousHolder = previous?.holderIdentity ?? "";
    const takingOver = previousHolder !== this.#options.identity;
    const renewTime = new V1MicroTime(now);
    return {
      ...previous,
      holderIdentity: this.#options.identity,
      leaseDurationSeconds: Math.ceil(this.#options.leaseDurationMs / 1000),
      renewTime,
      acquireTime: takingOver || !previous?.acquireTime ? renewTime : micro(previous.acquireTime),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (takingOver && previousHolder !== "" ? 1 : 0),
    };
  }

  #answered(): void {
    this.#problem = undefined;
    this.#problems.answered();
  }

  #becomeLeader(startedAt: number): void {
    this.#phase = "leading";
    this.#renewed(startedAt);
    const { namespace, name, identity } = this.#options;
    this.#log.info({ lease: this.#lease.where, identity }, `became leader (${namespace}/${name})`);
  }

  /** A renewal that started at `at` succeeded: the deadline moves to at + renewDeadline. */
  #renewed(at: number): void {
    this.#lastRenewAt = at;
    this.#deadline?.cancel();
    const dueIn = at + this.#options.renewDeadlineMs - this.#clock.now();
    this.#deadline = this.#clock.schedule(dueIn, () => this.#lose(this.#overdue()));
  }

  #overdue(): string {
    return `not renewed within the renew deadline (${formatDuration(this.#options.renewDeadlineMs)})`;
  }

  #lose(reason: string): void {
    if (this.#phase !== "leading") return;
    this.#phase = "lost";
    this.#lostBecause = reason;
    this.#deadline?.cancel();
    this.#renewing.abort();
    this.#log.error({ lease: this.#lease.where, identity: this.#options.identity, reason }, "lost the leader Lease; stopping work");
    this.#leadership?.abort(LeadershipEnd.lost);
  }

  async #release(): Promise<void> {
    // From here nothing may write: the work has stopped and the Lease is on its way back.
    this.#phase = "releasing";
    this.#deadline?.cancel();
    const where = this.#lease.where;
    try {
      const released = await withinBound(this.#clock, this.#options.retryPeriodMs, (signal) => this.#handBack(signal));
      if (released) this.#log.info({ lease: where }, `released the leader Lease ${where}`);
    } catch (error) {
      this.#log.warn({ lease: where }, `could not release the leader Lease ${where}: ${kubeErrorMessage(error)}`);
    }
    this.#phase = "stopped";
  }

  async #handBack(signal: AbortSignal): Promise<boolean> {
    const lease = await this.#lease.read(signal);
    signal.throwIfAborted();
    if (!lease || leaseRecord(lease).holder !== this.#options.identity) return false;
    const spec: V1LeaseSpec = {
      ...lease.spec,
      holderIdentity: "",
      leaseDurationSeconds: 1,
      renewTime: new V1MicroTime(this.#clock.now()),
      acquireTime: micro(lease.spec?.acquireTime),
    };
    await this.#lease.replace(lease, spec, signal);
    return true;
  }

  #detail(): string {
    const where = this.#lease.where;
    switch (this.#phase) {
      case "idle":
        return `not campaigning yet for the Lease ${where}`;
      case "campaigning": {
        if (this.#problem) return this.#problem.detail;
        const holder = this.#observed?.holder ?? "";
        return holder !== "" && holder !== this.#options.identity ? `standby: lease held by ${holder}` : `campaigning for the Lease ${where}`;
      }
      case "leading":
        if (!this.stillLeading()) return `lost the Lease ${where}: ${this.#overdue()}`;
        return this.#problem ? `leader (${where}), but renewing fails: ${this.#problem.detail}` : `leader (${where})`;
      case "lost":
        return `lost the Lease ${where}: ${this.#lostBecause}`;
      case "releasing":
      case "stopped":
        return this.#problem?.fatal ? this.#problem.detail : `stopped; not leading (${where})`;
    }
  }
}
