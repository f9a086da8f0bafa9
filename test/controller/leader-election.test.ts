// The elector against the real kube-apiserver, with every delay on a fake clock: the API calls
// take real (short) time, so the tests wait for the elector's own state (its attempt count, its
// `run` promise, the work's signal) and never for time to pass. Timings used throughout:
// lease duration 4 s, renew deadline 3 s, retry period 1 s, and no jitter (random() = 0).
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { CoordinationV1Api, V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { LeaderElector, LeaseProblemKind, type ElectionEnd, type LeaderElectionOptions } from "../../src/controller/leader-election.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { FakeClock } from "../../src/util/fake-clock.ts";
import { eventually } from "../support/controller.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { statePaths } from "../testenv/paths.ts";
import { ControlledLeaseApi } from "./lease-api.ts";

const { core, kc } = adminClients();
const leases = kc.makeApiClient(CoordinationV1Api);
const start = Date.parse("2026-01-01T00:00:00.000Z");
const timing = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 1000 };

/**
 * A FakeClock that can also jump the way a process stopped with SIGSTOP sees time: pause()
 * moves now() at once without running anything, and resume() then fires the timers that fell
 * due meanwhile, in order, each seeing the time after the pause.
 */
class PausableClock extends FakeClock {
  #floor = Number.NEGATIVE_INFINITY;

  override now(): number {
    return Math.max(super.now(), this.#floor);
  }

  pause(ms: number): void {
    this.#floor = this.now() + ms;
  }

  async resume(): Promise<void> {
    await this.advance(Math.max(0, this.#floor - super.now()));
  }
}

interface Candidate {
  readonly elector: LeaderElector;
  readonly clock: FakeClock;
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the work's signal once the work has started (this candidate leads). */
  readonly leading: Promise<AbortSignal>;
  /** `run`'s result. */
  readonly ended: Promise<ElectionEnd>;
  /** Lets the work return once its signal aborted (the work's own shutdown). */
  finishWork(): void;
}

interface CandidateOptions {
  readonly identity: string;
  readonly namespace: string;
  readonly name?: string;
  readonly api?: CoordinationV1Api;
  readonly clock?: FakeClock;
  readonly timing?: Partial<LeaderElectionOptions>;
  /** The work returns as soon as its signal aborts (default), or only when finishWork() is called. */
  readonly slowShutdown?: boolean;
}

function campaign(options: CandidateOptions): Candidate {
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ level: "debug", format: "json", destination });
  const clock = options.clock ?? new FakeClock(start, 0);
  const elector = new LeaderElector(
    options.api ?? leases,
    { namespace: options.namespace, name: options.name ?? "leader", identity: options.identity, ...timing, ...options.timing },
    clock,
    log,
  );
  let started = (_signal: AbortSignal): void => undefined;
  const leading = new Promise<AbortSignal>((resolve) => (started = resolve));
  let finishWork = (): void => undefined;
  const workDone = new Promise<void>((resolve) => (finishWork = resolve));
  const ended = elector.run(async (signal) => {
    started(signal);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
    if (options.slowShutdown) await workDone;
  });
  return { elector, clock, logs, leading, ended, finishWork };
}

/** Waits (in real time, bounded) until the candidate leads; resolves with its work's signal. */
async function leads(c: Candidate): Promise<AbortSignal> {
  await eventually("leadership", async () => c.elector.stillLeading());
  return c.leading;
}

/** Waits (in real time, bounded) until the candidate has finished `count` Lease attempts. */
async function attempted(c: Candidate, count: number): Promise<void> {
  await eventually(`Lease attempt ${count}`, async () => c.elector.status().attempts >= count);
}

/** Moves the candidate's clock by `ms` (to its next attempt) and waits for that attempt to finish. */
async function nextAttempt(c: Candidate, ms = timing.retryPeriodMs): Promise<void> {
  const before = c.elector.status().attempts;
  await c.clock.advance(ms);
  await attempted(c, before + 1);
}

async function readLease(namespace: string, name = "leader"): Promise<V1Lease> {
  return leases.readNamespacedLease({ name, namespace });
}

async function holder(namespace: string, name = "leader"): Promise<string> {
  return (await readLease(namespace, name)).spec?.holderIdentity ?? "";
}

async function createLease(namespace: string, spec: V1Lease["spec"], name = "leader"): Promise<void> {
  await leases.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
}

function messages(c: Candidate, level?: number): string[] {
  return c.logs.filter((l) => level === undefined || l["level"] === level).map((l) => String(l["msg"]));
}

const warn = 40;
const info = 30;

async function namespace(): Promise<string> {
  const ns = uniqueName("lease");
  await createNamespaces(core, [ns]);
  return ns;
}

test("acquires a Lease nobody holds: one that does not exist yet, and one handed back", async () => {
  const ns = await namespace();
  const a = campaign({ identity: "a", namespace: ns });
  await leads(a);
  assert.equal(a.elector.stillLeading(), true);
  assert.equal(a.elector.status().detail, `leader (${ns}/leader)`);
  const lease = await readLease(ns);
  assert.equal(lease.spec?.holderIdentity, "a");
  assert.equal(lease.spec?.leaseDurationSeconds, 4);
  assert.equal(new Date(lease.spec?.renewTime ?? 0).getTime(), start, "renewTime is the elector's clock");
  assert.ok(messages(a, info).includes(`became leader (${ns}/leader)`));

  await createLease(ns, { holderIdentity: "", leaseDurationSeconds: 1, renewTime: new V1MicroTime(start) }, "handed-back");
  const b = campaign({ identity: "b", namespace: ns, name: "handed-back" });
  await leads(b);
  assert.equal(await holder(ns, "handed-back"), "b");
  assert.equal(b.elector.status().attempts, 1, "no wait: nobody held it");

  for (const c of [a, b]) c.elector.stop();
  assert.deepEqual(await a.ended, { reason: "stopped" });
  assert.deepEqual(await b.ended, { reason: "stopped" });
});

test("takes over another identity's Lease only once it went unrenewed for a whole lease duration on our clock", async () => {
  const ns = await namespace();
  // Lease duration 3001 ms and a renewTime long past: attempts come every 1000 ms from the
  // first sighting, so the one at 3000 ms is 1 ms early and must leave the Lease alone.
  await createLease(ns, { holderIdentity: "other", leaseDurationSeconds: 1, renewTime: new V1MicroTime(Date.parse("2000-01-01T00:00:00Z")) }, "early");
  const early = campaign({ identity: "a", namespace: ns, name: "early", timing: { leaseDurationMs: 3001, renewDeadlineMs: 2000 } });
  await attempted(early, 1);
  assert.equal(early.elector.status().detail, "standby: lease held by other");
  for (const at of [1000, 2000, 3000]) {
    await nextAttempt(early);
    assert.equal(early.clock.now(), start + at);
    assert.equal(early.elector.stillLeading(), false, `not leading ${at} ms after first seeing the Lease`);
    assert.equal(await holder(ns, "early"), "other", `the Lease left alone ${at} ms after first seeing it`);
  }
  await nextAttempt(early);
  await leads(early);
  assert.equal(await holder(ns, "early"), "a");

  // Lease duration 3000 ms and a renewTime far in the future (the holder's clock is off):
  // taken at exactly 3000 ms on our clock, whatever the holder's clock says.
  await createLease(ns, { holderIdentity: "other", leaseDurationSeconds: 1, renewTime: new V1MicroTime(Date.parse("2099-01-01T00:00:00Z")) }, "exact");
  const exact = campaign({ identity: "a", namespace: ns, name: "exact", timing: { leaseDurationMs: 3000, renewDeadlineMs: 2000 } });
  await attempted(exact, 1);
  await nextAttempt(exact);
  await nextAttempt(exact);
  assert.equal(await holder(ns, "exact"), "other");
  await nextAttempt(exact);
  await leads(exact);
  const lease = await readLease(ns, "exact");
  assert.equal(lease.spec?.holderIdentity, "a");
  assert.equal(new Date(lease.spec?.acquireTime ?? 0).getTime(), start + 3000);
  assert.equal(lease.spec?.leaseTransitions, 1);

  for (const c of [early, exact]) c.elector.stop();
  await Promise.all([early.ended, exact.ended]);
});

test("renewing every retry period keeps the Lease, and a standby watching it never takes over", async () => {
  const ns = await namespace();
  const a = campaign({ identity: "a", namespace: ns });
  await leads(a);
  const b = campaign({ identity: "b", namespace: ns, clock: new FakeClock(start + 123_456, 0) });
  await attempted(b, 1);
  for (let i = 1; i <= 8; i++) {
    await nextAttempt(a);
    assert.equal(new Date((await readLease(ns)).spec?.renewTime ?? 0).getTime(), start + i * 1000, `renewal ${i} written`);
    assert.equal(a.elector.stillLeading(), true);
    await nextAttempt(b);
    assert.equal(b.elector.stillLeading(), false);
    assert.equal(b.elector.status().detail, "standby: lease held by a");
  }
  assert.equal(await holder(ns), "a", "8 s of renewals, twice the lease duration: still a's");
  assert.ok(!messages(a).some((m) => /lost/.test(m)));
  for (const c of [a, b]) c.elector.stop();
  assert.deepEqual(await a.ended, { reason: "stopped" });
  assert.deepEqual(await b.ended, { reason: "stopped" });
});

test("two candidates writing the same free Lease: the write carrying a stale resourceVersion loses", async () => {
  const ns = await namespace();
  await createLease(ns, { holderIdentity: "", leaseDurationSeconds: 1, renewTime: new V1MicroTime(start) });
  const controlled = new ControlledLeaseApi();
  const write = controlled.holdRequest("PUT");
  const a = campaign({ identity: "a", namespace: ns, api: controlled.api });
  await write.arrived; // a has read the free Lease and its write waits
  const b = campaign({ identity: "b", namespace: ns });
  await leads(b);
  write.release();
  await attempted(a, 1);
  assert.equal(a.elector.stillLeading(), false, "a's write was refused: b wrote after a read");
  assert.equal(a.elector.status().problem, undefined, "a lost race is not a problem to report");
  await nextAttempt(a);
  assert.equal(a.elector.status().detail, "standby: lease held by b");
  assert.equal(await holder(ns), "b");
  for (const c of [a, b]) c.elector.stop();
  await Promise.all([a.ended, b.ended]);
});

test("a competing write of the holder makes the leader stop at its next renewal", async () => {
  const ns = await namespace();
  const a = campaign({ identity: "a", namespace: ns });
  const work = await leads(a);
  const lease = await readLease(ns);
  await leases.replaceNamespacedLease({
    name: "leader",
    namespace: ns,
    body: { ...lease, spec: { ...lease.spec, holderIdentity: "intruder", renewTime: new V1MicroTime(start), acquireTime: new V1MicroTime(start) } },
  });
  await nextAttempt(a);
  assert.deepEqual(await a.ended, { reason: "lost" });
  assert.equal(work.aborted, true);
  assert.equal(work.reason, "lost");
  assert.equal(a.elector.stillLeading(), false);
  assert.equal(a.elector.status().detail, `lost the Lease ${ns}/leader: the Lease is now held by intruder`);
  assert.equal(await holder(ns), "intruder", "the intruder's write is not overwritten");
  const lost = a.logs.find((l) => l["msg"] === "lost the leader Lease; stopping work");
  assert.equal(lost?.["reason"], "the Lease is now held by intruder");
});

test("renewals that keep failing (API server unreachable) stop the leader at the renew deadline, not before; one WARN for the streak", async () => {
  const ns = await namespace();
  const controlled = new ControlledLeaseApi();
  // A deadline off the retry grid (2500 ms): the deadline timer, not the next renewal, stops the work.
  const a = campaign({ identity: "a", namespace: ns, api: controlled.api, timing: { renewDeadlineMs: 2500 } });
  const work = await leads(a);
  await controlled.cutOff();
  await nextAttempt(a); // 1000: fails
  await nextAttempt(a); // 2000: fails
  assert.equal(a.elector.status().problem?.kind, LeaseProblemKind.unreachable);
  assert.equal(a.elector.status().detail, `leader (${ns}/leader), but renewing fails: cannot reach the Lease ${ns}/leader: ECONNREFUSED`);
  assert.deepEqual(messages(a, warn), [`leader election: cannot reach the Lease ${ns}/leader: ECONNREFUSED`], "one WARN for two failures");
  await a.clock.advance(499);
  assert.equal(a.elector.stillLeading(), true, "2499 ms after the last renewal");
  assert.equal(work.aborted, false);
  await a.clock.advance(1);
  assert.equal(a.elector.stillLeading(), false, "2500 ms: the renew deadline");
  assert.equal(work.aborted, true, "the deadline timer stopped the work");
  assert.deepEqual(await a.ended, { reason: "lost" });

  controlled.reconnect();
  const attempts = a.elector.status().attempts;
  await a.clock.advance(60_000);
  assert.equal(a.elector.status().attempts, attempts, "no more attempts after losing: it never leads again");
  assert.equal(await holder(ns), "a", "the Lease says a, but a stopped; a standby takes it when it expires");
});

test("renewals refused because the Lease's namespace is being deleted stop the leader at the renew deadline", async () => {
  const ns = await namespace();
  const a = campaign({ identity: "a", namespace: ns });
  const work = await leads(a);
  await leases.deleteNamespacedLease({ name: "leader", namespace: ns });
  await core.deleteNamespace({ name: ns });
  await nextAttempt(a);
  await nextAttempt(a);
  const problem = a.elector.status().problem;
  // A namespace being deleted refuses new objects (403); one gone for good says 404.
  assert.ok(problem?.fatal, `a problem retrying cannot fix: ${JSON.stringify(problem)}`);
  assert.equal(a.elector.stillLeading(), true);
  await a.clock.advance(1000);
  assert.equal(work.aborted, true);
  assert.deepEqual(await a.ended, { reason: "lost" }, "while leading, even a fatal problem only fails renewals");
});

test("an attempt with no answer within the retry period fails, and its late answer does not count as a renewal", async () => {
  const ns = await namespace();
  const controlled = new ControlledLeaseApi();
  const a = campaign({ identity: "a", namespace: ns, api: controlled.api });
  const work = await leads(a);
  const answer = controlled.holdAnswer("PUT");
  await a.clock.advance(1000); // the renewal at 1000 writes; its answer waits
  await answer.arrived;
  assert.equal(new Date((await readLease(ns)).spec?.renewTime ?? 0).getTime(), start + 1000, "the API server took the renewal");
  await a.clock.advance(1000); // 2000: the attempt's bound
  await attempted(a, 2);
  assert.equal(a.elector.status().problem?.kind, LeaseProblemKind.timeout);
  assert.equal(a.elector.status().problem?.detail, `cannot reach the Lease ${ns}/leader: no answer within 1s`);
  answer.release();
  await a.clock.advance(999);
  assert.equal(a.elector.stillLeading(), true);
  await a.clock.advance(1);
  // The renewal that landed at 1000 but answered too late would have moved the deadline to 4000.
  assert.equal(a.elector.stillLeading(), false, "the deadline counts from the last renewal that answered in time (0)");
  assert.equal(work.aborted, true);
  assert.deepEqual(await a.ended, { reason: "lost" });
});

test("a renewal whose answer comes after a pause past the renew deadline does not bring leadership back", async () => {
  const ns = await namespace();
  const clock = new PausableClock(start, 0);
  const controlled = new ControlledLeaseApi();
  const a = campaign({ identity: "a", namespace: ns, api: controlled.api, clock });
  const work = await leads(a);
  const answer = controlled.holdAnswer("PUT");
  await clock.advance(1000); // the renewal at 1000 reaches the API server; its answer waits
  await answer.arrived;
  clock.pause(2500); // 3500: past the deadline (3000) counted from the renewal at 0, and the process paused
  assert.equal(a.elector.stillLeading(), false);
  answer.release(); // the renewal succeeds, late: counted, it would move the deadline to 4000
  await attempted(a, 2);
  assert.equal(a.elector.status().problem, undefined, "the attempt itself succeeded");
  assert.equal(a.elector.stillLeading(), false, "a success answered after the deadline does not count");
  assert.equal(work.reason, "lost");
  assert.deepEqual(await a.ended, { reason: "lost" });
});

test("a paused leader knows it lost the lead the moment it wakes, before any renewal runs, and never leads again", async () => {
  const ns = await namespace();
  const clock = new PausableClock(start, 0);
  const a = campaign({ identity: "a", namespace: ns, clock });
  const work = await leads(a);
  const b = campaign({ identity: "b", namespace: ns, clock: new FakeClock(start + 50_000, 0) });
  await attempted(b, 1);
  const attempts = a.elector.status().attempts;

  clock.pause(2999);
  assert.equal(a.elector.stillLeading(), true, "2999 ms after its last renewal it may still write");
  clock.pause(1); // as SIGSTOP: time moved on, no timer ran
  assert.equal(a.elector.stillLeading(), false, "at the renew deadline it must not write, before any timer or renewal ran");
  assert.equal(a.elector.status().leading, false);
  assert.equal(a.elector.status().attempts, attempts, "no renewal ran meanwhile");

  for (let i = 0; i < 4; i++) await nextAttempt(b);
  await leads(b);
  assert.equal(await holder(ns), "b", "b took over 4 s after last seeing a renew");

  await clock.resume();
  assert.deepEqual(await a.ended, { reason: "lost" });
  assert.equal(work.reason, "lost");
  assert.equal(a.elector.status().attempts, attempts, "waking past the deadline, a gives up without trying to renew");
  await clock.advance(60_000);
  assert.equal(a.elector.stillLeading(), false);
  assert.equal(a.elector.status().attempts, attempts);
  assert.equal(await holder(ns), "b");
  b.elector.stop();
  await b.ended;
});

test("a leader woken from a pause with its renewal's read answer already waiting writes nothing, though no timer has run yet", async () => {
  // The process was stopped while its renewal's GET was answered (holder: a); meanwhile b took
  // the Lease over. On waking, Node handles the waiting answer before any timer: only the clock
  // can tell that the attempt and the lead are over. (Seen once for real, on one core: a late
  // PUT of the Lease, refused with a conflict, in the paused-leader fault test's audit log.)
  const ns = await namespace();
  const controlled = new ControlledLeaseApi();
  const clock = new PausableClock(start, 0);
  const a = campaign({ identity: "a", namespace: ns, clock, api: controlled.api });
  await leads(a);
  const answer = controlled.holdAnswer("GET");
  const attempts = a.elector.status().attempts;
  void clock.advance(timing.retryPeriodMs); // the renewal starts; its read reaches the API server
  await answer.arrived;
  clock.pause(5_000); // as SIGSTOP: time moves on, no timer runs

  const b = campaign({ identity: "b", namespace: ns, clock: new FakeClock(start + 50_000, 0) });
  await attempted(b, 1);
  for (let i = 0; i < 5 && !b.elector.stillLeading(); i++) await nextAttempt(b);
  await leads(b);
  const before = await readLease(ns);

  let putSent = false;
  const put = controlled.holdRequest("PUT");
  void put.arrived.then(() => (putSent = true));
  answer.release(); // as SIGCONT: the answer is handled first
  await attempted(a, attempts + 1);
  assert.equal(putSent, false, "a sent a write of the Lease after waking");
  assert.equal(a.elector.stillLeading(), false);
  put.release();

  await clock.resume();
  assert.deepEqual(await a.ended, { reason: "lost" });
  assert.equal((await readLease(ns)).metadata?.resourceVersion, before.metadata?.resourceVersion, "the Lease is as b left it");
  b.elector.stop();
  await b.ended;
});

test("stop hands the Lease back once the work has stopped, and a standby takes it at its next attempt", async () => {
  const ns = await namespace();
  const a = campaign({ identity: "a", namespace: ns, slowShutdown: true });
  const work = await leads(a);
  const b = campaign({ identity: "b", namespace: ns, clock: new FakeClock(start, 0) });
  await attempted(b, 1);

  a.elector.stop();
  assert.equal(work.reason, "stopped");
  // The work is still finishing: a keeps the Lease, and keeps renewing it meanwhile.
  await nextAttempt(a);
  assert.equal(a.elector.stillLeading(), true);
  assert.equal(await holder(ns), "a");
  a.finishWork();
  assert.deepEqual(await a.ended, { reason: "stopped" });
  assert.equal(a.elector.stillLeading(), false);
  const lease = await readLease(ns);
  assert.equal(lease.spec?.holderIdentity ?? "", "", "handed back");
  assert.ok(messages(a, info).includes(`released the leader Lease ${ns}/leader`));

  await nextAttempt(b);
  await leads(b);
  assert.equal(await holder(ns), "b");
  b.elector.stop();
  await b.ended;
});

test("a campaign rides out an unreachable API server: it reports the problem, warns once, and notes the recovery", async () => {
  const ns = await namespace();
  const controlled = new ControlledLeaseApi();
  await controlled.cutOff();
  const a = campaign({ identity: "a", namespace: ns, api: controlled.api });
  await attempted(a, 1);
  await nextAttempt(a);
  await nextAttempt(a);
  assert.equal(a.elector.status().detail, `cannot reach the Lease ${ns}/leader: ECONNREFUSED`);
  assert.equal(a.elector.status().problem?.fatal, false);
  controlled.reconnect();
  await nextAttempt(a);
  await leads(a);
  assert.deepEqual(messages(a, warn), [`leader election: cannot reach the Lease ${ns}/leader: ECONNREFUSED`]);
  assert.ok(messages(a, info).includes(`leader election: the Lease ${ns}/leader answers again after 3s`));
  a.elector.stop();
  await a.ended;
});

test("a Lease namespace that does not exist, or a Lease we may not use, ends the campaign as fatal", async () => {
  const missing = uniqueName("no-such-ns");
  const a = campaign({ identity: "a", namespace: missing });
  const end = await a.ended;
  assert.equal(end.reason, "fatal");
  assert.equal(end.reason === "fatal" && end.problem.kind, LeaseProblemKind.namespaceMissing);
  assert.equal(a.elector.status().detail, `cannot create the Lease ${missing}/leader: namespace ${missing} does not exist`);
  assert.equal(a.elector.stillLeading(), false);

  const ns = await namespace();
  const unprivileged = new ControlledLeaseApi(statePaths.kubeconfigUser);
  const b = campaign({ identity: "b", namespace: ns, api: unprivileged.api });
  const forbidden = await b.ended;
  assert.equal(forbidden.reason === "fatal" && forbidden.problem.kind, LeaseProblemKind.forbidden);
  assert.match(b.elector.status().detail, new RegExp(`^not allowed to use the Lease ${ns}/leader: .*forbidden`));
  // run() reports the fatal end as its one ERROR line: nothing here says it first.
  assert.deepEqual(messages(a, warn), []);
  assert.deepEqual(messages(b, warn), []);
});
