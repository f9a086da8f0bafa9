// The token keeper in fake time: a scripted token source whose calls the test answers, fails or
// leaves hanging, a FakeClock, real metrics and a real logger writing into an array.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import type { TokenSource } from "../aws/token-source.ts";
import { TokenUnavailableError } from "../aws/token-source.ts";
import type { RegistryToken } from "../domain/types.ts";
import { createLogger } from "../observability/logger.ts";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import { FakeClock, settle } from "../util/fake-clock.ts";
import { TokenKeeper, type HeldToken, type TokenKeeperOptions } from "./token-keeper.ts";

const s = 1_000;
const m = 60 * s;
const h = 60 * m;
const t0 = Date.parse("2026-01-01T00:00:00.000Z");
const server = "public.ecr.aws";
const margin = 15 * m;

interface Call {
  readonly at: number;
  /** The keeper's signal for this call. */
  readonly signal: AbortSignal | undefined;
  settled: boolean;
  resolve(token: RegistryToken): void;
  reject(error: unknown): void;
}

/**
 * A token source whose calls the test settles by hand (or fails at once while `failing` is set).
 * Like a source that cannot call off its request, it ignores the keeper's signal unless
 * `honoursAbort` is set; then an abort fails the call as the AWS sources do.
 */
class ScriptedSource implements TokenSource {
  readonly registries = [server];
  readonly calls: Call[] = [];
  failing: Error | undefined;
  honoursAbort = false;
  readonly #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  fetchToken(signal?: AbortSignal): Promise<RegistryToken> {
    return new Promise((resolve, reject) => {
      const call: Call = { at: this.#clock.now(), signal, settled: false, resolve, reject };
      this.calls.push(call);
      if (this.failing) {
        call.settled = true;
        reject(this.failing);
      }
      signal?.addEventListener("abort", () => {
        if (!this.honoursAbort || call.settled) return;
        call.settled = true;
        reject(new TokenUnavailableError("the ECR Public token request was called off before AWS answered", "timeout"));
      });
    });
  }

  get inFlight(): number {
    return this.calls.filter((call) => !call.settled).length;
  }

  /** Answers the oldest unanswered call with a token of `lifeMs` from now. */
  async answer(lifeMs = 12 * h, password = `pw-${this.calls.length}`): Promise<RegistryToken> {
    const token = { credentials: [{ server, username: "AWS", password }], expiresAt: new Date(this.#clock.now() + lifeMs) };
    await this.answerWith(token);
    return token;
  }

  async answerWith(token: RegistryToken): Promise<void> {
    this.#open().resolve(token);
    await settle();
  }

  async fail(error: Error = new TokenUnavailableError("ECR Public answered 500", "server-error")): Promise<void> {
    this.#open().reject(error);
    await settle();
  }

  #open(): Call {
    const call = this.calls.find((c) => !c.settled);
    assert.ok(call, "no call to AWS is waiting for an answer");
    call.settled = true;
    return call;
  }
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
}
const levels = { info: 30, warn: 40, error: 50 } as const;

function keeperWith(options: Partial<TokenKeeperOptions> = {}, random = 0.5) {
  const clock = new FakeClock(t0, random);
  const source = new ScriptedSource(clock);
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((line) => line !== ""),
      );
      done();
    },
  });
  const metrics = createMetrics();
  const changes: HeldToken[] = [];
  let existing: Date | undefined;
  const keeper = new TokenKeeper(
    source,
    {
      refreshFraction: 0.5,
      failSafe: true,
      failSafeMarginMs: margin,
      retry: { baseMs: 1_000, capMs: 5 * m },
      existingExpiry: () => existing,
      ...options,
    },
    clock,
    createLogger({ level: "debug", format: "json", destination }),
    metrics,
    (held) => changes.push(held),
  );
  return {
    clock,
    source,
    keeper,
    metrics,
    changes,
    lines,
    logs: (): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine),
    setExisting: (expiry: Date | undefined): void => {
      existing = expiry;
    },
    /** Moves the clock to `at` (epoch ms). */
    advanceTo: (at: number): Promise<void> => clock.advance(at - clock.now()),
  };
}

async function gauge(metrics: Metrics, name: "failSafeActive" | "tokenExpiry" | "lastRefresh"): Promise<number | undefined> {
  return (await metrics[name].get()).values[0]?.value;
}

async function failures(metrics: Metrics, reason: string): Promise<number> {
  return (await metrics.refreshFailures.get()).values.find((v) => v.labels["reason"] === reason)?.value ?? 0;
}

describe("TokenKeeper refresh schedule", () => {
  for (const [random, at, label] of [
    [0, 5.4 * h, "random 0: the early end, 10 % before half-life"],
    [0.5, 6 * h, "random 0.5: exactly half-life"],
    [0.9999995, 23_759_998, "random close to 1: the late end, 10 % after half-life"],
  ] as const) {
    test(`a 12-hour token is refreshed at the configured share of its life (${label})`, async () => {
      const k = keeperWith({}, random);
      k.keeper.start();
      await k.source.answer(12 * h);
      assert.match(k.logs()[0]?.msg ?? "", /^token obtained, expires in 12h; next refresh in /);
      await k.advanceTo(t0 + at - 1);
      assert.equal(k.source.calls.length, 1, "not refreshed 1 ms early");
      await k.clock.advance(1);
      assert.equal(k.source.calls.length, 2, "refreshed at the moment");
      k.keeper.stop();
    });
  }

  test("retry backoff grows and is capped", async () => {
    const k = keeperWith({ retry: { baseMs: 1_000, capMs: 8_000 } }, 0); // random 0: half the exponential value
    k.source.failing = new TokenUnavailableError("ECR Public answered 500", "server-error");
    k.keeper.start();
    await settle();
    while (k.source.calls.length < 7) await k.clock.fireNext();
    const gaps = k.source.calls.slice(1).map((call, i) => call.at - (k.source.calls[i]?.at ?? 0));
    assert.deepEqual(gaps, [500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    assert.equal(await failures(k.metrics, "server-error"), 7);
    k.keeper.stop();
  });

  test("retries never wait past the fail-safe moment", async () => {
    const k = keeperWith({}, 0);
    k.keeper.start();
    const token = await k.source.answer(12 * h);
    const failSafeMoment = token.expiresAt.getTime() - margin;
    k.source.failing = new TokenUnavailableError("ECR Public answered 500", "server-error");
    while (k.clock.now() < failSafeMoment) await k.clock.fireNext();
    const times = k.source.calls.map((call) => call.at);
    assert.ok(times.includes(failSafeMoment), "one last attempt exactly at the fail-safe moment");
    assert.ok(
      times.every((at) => at <= failSafeMoment),
      "none planned past it",
    );
    assert.equal(k.changes.at(-1)?.failSafe, true);
    k.keeper.stop();
  });
});

describe("TokenKeeper fail-safe", () => {
  test("engaged exactly when the margin before expiry is reached, not 1 ms before", async () => {
    const k = keeperWith();
    k.keeper.start();
    const token = await k.source.answer(12 * h);
    k.source.failing = new TokenUnavailableError("ECR Public answered 500", "server-error");
    const failSafeMoment = token.expiresAt.getTime() - margin;
    await k.advanceTo(failSafeMoment - 1);
    assert.equal(k.keeper.current?.failSafe, false);
    assert.equal(k.changes.length, 1);
    assert.equal(await gauge(k.metrics, "failSafeActive"), 0);
    assert.equal(k.keeper.status().state, "ok");

    await k.clock.advance(1);
    assert.deepEqual(k.keeper.current, { token: { credentials: [], expiresAt: token.expiresAt }, failSafe: true });
    assert.equal(k.changes.length, 2);
    assert.equal(await gauge(k.metrics, "failSafeActive"), 1);
    assert.equal(k.keeper.status().state, "fail-safe");
    assert.equal(k.keeper.valid, false);
    assert.ok(k.logs().some((l) => l.level === levels.warn && /^fail-safe engaged: the token expires in 15m and no new one/.test(l.msg)));
    k.keeper.stop();
  });

  test("engaged on time while a token call hangs; never a second call in flight; the late answer lifts it", async () => {
    const k = keeperWith();
    k.keeper.start();
    const token = await k.source.answer(12 * h);
    await k.advanceTo(t0 + 6 * h);
    assert.equal(k.source.calls.length, 2, "the refresh call, which never answers");

    await k.clock.advance(30 * s - 1);
    assert.equal(await failures(k.metrics, "timeout"), 0, "not given up 1 ms before the timeout");
    await k.clock.advance(1);
    assert.equal(await failures(k.metrics, "timeout"), 1, "given up at the 30 s default timeout");

    const failSafeMoment = token.expiresAt.getTime() - margin;
    await k.advanceTo(failSafeMoment - 1);
    assert.equal(k.keeper.current?.failSafe, false);
    await k.clock.advance(1);
    assert.equal(k.keeper.current?.failSafe, true, "engaged at the margin although the call never answered");
    assert.equal(k.source.calls.length, 2, "retries waited on the hanging call instead of making more");
    assert.ok((await failures(k.metrics, "timeout")) > 1, "each retry that found no answer counts");

    await k.source.answer(12 * h, "late");
    assert.equal(k.keeper.current?.failSafe, false);
    assert.equal(k.keeper.current?.token.credentials[0]?.password, "late");
    assert.match(k.logs().at(-1)?.msg ?? "", /^token obtained, expires in 12h; .*; fail-safe lifted$/);
    k.keeper.stop();
  });

  test("lifted on the next success", async () => {
    const k = keeperWith();
    k.keeper.start();
    const first = await k.source.answer(12 * h);
    k.source.failing = new TokenUnavailableError("ECR Public answered 500", "server-error");
    await k.advanceTo(first.expiresAt.getTime() - margin);
    assert.equal(k.keeper.current?.failSafe, true);

    k.source.failing = undefined;
    await k.clock.fireNext();
    const second = await k.source.answer(12 * h);
    assert.deepEqual(k.keeper.current, { token: second, failSafe: false });
    assert.deepEqual(
      k.changes.map((held) => held.failSafe),
      [false, true, false],
    );
    assert.equal(await gauge(k.metrics, "failSafeActive"), 0);
    assert.equal(await gauge(k.metrics, "tokenExpiry"), second.expiresAt.getTime() / 1000);
    assert.equal(await gauge(k.metrics, "lastRefresh"), k.clock.now() / 1000);
    assert.match(k.logs().at(-1)?.msg ?? "", /fail-safe lifted$/);
    assert.equal(k.keeper.status().state, "ok");
    // The new token's own fail-safe is armed, the old one's is gone.
    await k.advanceTo(second.expiresAt.getTime() - margin - 1);
    assert.equal(k.changes.length, 3);
    k.keeper.stop();
  });

  test("a keeper starting during an outage engages at the secrets' recorded expiry", async () => {
    const k = keeperWith();
    const recorded = new Date(t0 + 1 * h);
    k.setExisting(recorded);
    k.source.failing = new TokenUnavailableError("no AWS credentials found", "no-credentials");
    k.keeper.start();
    await k.advanceTo(recorded.getTime() - margin - 1);
    assert.equal(k.changes.length, 0);
    assert.equal(k.keeper.status().detail, "no token yet; last attempt: no AWS credentials found");
    await k.clock.advance(1);
    assert.deepEqual(k.changes, [{ token: { credentials: [], expiresAt: recorded }, failSafe: true }]);
    assert.equal(k.keeper.status().state, "fail-safe");
    k.keeper.stop();
  });

  test("an expiry recorded after start is picked up at the next failure; none known, none engaged", async () => {
    const k = keeperWith({ retry: { baseMs: 1_000, capMs: 1_000 } });
    k.keeper.start();
    await k.source.fail();
    await k.advanceTo(t0 + 10 * m);
    assert.equal(k.changes.length, 0, "nothing to protect: no fail-safe");
    k.setExisting(new Date(t0 + 30 * m));
    await k.clock.fireNext();
    assert.equal(k.source.inFlight, 1);
    await k.source.fail();
    await k.advanceTo(t0 + 15 * m - 1);
    assert.equal(k.changes.length, 0);
    await k.clock.advance(1);
    assert.equal(k.changes[0]?.failSafe, true);
    k.keeper.stop();
  });

  test("disabled: the token is kept to its expiry and readiness says it expired", async () => {
    const k = keeperWith({ failSafe: false });
    k.keeper.start();
    const token = await k.source.answer(12 * h);
    k.source.failing = new TokenUnavailableError("ECR Public answered 500", "server-error");
    await k.advanceTo(token.expiresAt.getTime() + 2 * m);
    assert.deepEqual(
      k.changes.map((held) => held.failSafe),
      [false],
    );
    assert.equal(k.keeper.status().state, "expired");
    assert.match(k.keeper.status().detail, /^token expired 2m ago; last attempt: ECR Public answered 500$/);
    k.keeper.stop();
  });
});

describe("TokenKeeper ends hanging calls", () => {
  test("the attempt timeout aborts the call's signal; a source that honours it is called afresh on the next attempt", async () => {
    const k = keeperWith({ fetchTimeoutMs: 10 * s, retry: { baseMs: 1_000, capMs: 1_000 } });
    k.source.honoursAbort = true;
    k.keeper.start();
    const first = k.source.calls[0];
    assert.ok(first?.signal, "the keeper passes a signal");
    await k.clock.advance(10 * s - 1);
    assert.equal(first.signal.aborted, false, "not aborted 1 ms before the timeout");
    await k.clock.advance(1);
    assert.equal(first.signal.aborted, true, "aborted at the timeout");
    assert.match(String(first.signal.reason), /no answer from AWS within 10s/);
    assert.equal(k.source.inFlight, 0, "the aborted call ended");
    assert.equal(await failures(k.metrics, "timeout"), 1, "counted once: the abort's own failure is not counted again");

    await k.clock.fireNext();
    assert.equal(k.source.calls.length, 2, "the retry makes a new call instead of waiting on the aborted one");
    assert.equal(k.source.calls[1]?.signal?.aborted, false, "with a signal of its own");
    await k.source.answer(12 * h);
    assert.equal(k.keeper.status().state, "ok");
    k.keeper.stop();
  });

  test("stop() aborts the call in flight", async () => {
    const k = keeperWith();
    k.keeper.start();
    await k.clock.advance(5 * s);
    const signal = k.source.calls[0]?.signal;
    assert.equal(signal?.aborted, false);
    k.keeper.stop();
    assert.equal(signal?.aborted, true);
  });
});

describe("TokenKeeper answers and callbacks", () => {
  test("a late answer after the timeout is taken; a late failure is not counted again and the next attempt calls afresh", async () => {
    const k = keeperWith({ fetchTimeoutMs: 10 * s });
    k.keeper.start();
    await k.clock.advance(10 * s);
    assert.equal(await failures(k.metrics, "timeout"), 1);
    await k.source.fail();
    assert.equal((await failures(k.metrics, "timeout")) + (await failures(k.metrics, "server-error")), 1, "the late failure is not counted");
    await k.clock.fireNext();
    assert.equal(k.source.calls.length, 2, "a fresh call once the old one answered");
    await k.clock.advance(10 * s);
    assert.equal(k.keeper.status().state, "no-token");
    await k.source.answer(12 * h, "late");
    assert.equal(k.keeper.current?.token.credentials[0]?.password, "late");
    await k.clock.advance(5 * h);
    assert.equal(k.source.calls.length, 2, "the pending retry was called off: next is the refresh");
    k.keeper.stop();
  });

  test("onChange is called exactly when the held token changes", async () => {
    const k = keeperWith();
    k.keeper.start();
    const a = await k.source.answer(12 * h, "a");
    assert.equal(k.changes.length, 1);
    await k.clock.fireNext();
    await k.source.answerWith({ credentials: a.credentials, expiresAt: new Date(a.expiresAt) });
    assert.equal(k.changes.length, 1, "the same token again changes nothing");
    await k.clock.fireNext();
    const b = await k.source.answer(12 * h, "b");
    assert.deepEqual(k.changes.at(-1), { token: b, failSafe: false });
    assert.equal(k.changes.length, 2);
    await k.clock.fireNext();
    await k.source.fail();
    await k.clock.fireNext();
    await k.source.fail();
    assert.equal(k.changes.length, 2, "failures change nothing while the token is good");
    await k.advanceTo(b.expiresAt.getTime() - margin);
    assert.equal(k.changes.length, 3);
    assert.equal(k.changes.at(-1)?.failSafe, true);
    k.keeper.stop();
  });

  test("one ERROR per failure streak, a WARN reminder every 5 minutes, one INFO on recovery, one line each", async () => {
    const k = keeperWith({ retry: { baseMs: 1_000, capMs: 60 * s } }, 0);
    k.source.failing = new TokenUnavailableError("ECR Public answered 500", "server-error");
    k.keeper.start();
    await k.advanceTo(t0 + 12 * m);
    const attempts = k.source.calls.length;
    assert.ok(attempts > 20, `many attempts (${attempts})`);
    const byLevel = (level: number): string[] =>
      k
        .logs()
        .filter((l) => l.level === level)
        .map((l) => l.msg);
    assert.deepEqual(byLevel(levels.error), ["token refresh failed: ECR Public answered 500; retrying in 1s"]);
    const reminders = byLevel(levels.warn);
    assert.equal(reminders.length, 2);
    assert.match(reminders[0] ?? "", /^token refresh still failing after 5m2s \(\d+ attempts\): ECR Public answered 500; retrying in 30s$/);
    assert.match(reminders[1] ?? "", /^token refresh still failing after 10m2s /);

    k.source.failing = undefined;
    await k.clock.fireNext();
    await k.source.answer(12 * h);
    const infos = byLevel(levels.info);
    assert.deepEqual(infos, [`token obtained, expires in 12h; next refresh in 5h24m; recovered after 12m2s (${attempts} failed attempts)`]);
    assert.equal(k.keeper.status().detail, "ok (expires in 12h)");
    assert.ok(
      k.lines.every((line) => !line.includes("pw-")),
      "no password in the log",
    );
    k.keeper.stop();
  });

  test("a source that throws instead of rejecting is a failed attempt", async () => {
    const k = keeperWith();
    const throwing: TokenSource = {
      registries: [server],
      fetchToken: () => {
        throw new Error("boom\nsecond line");
      },
    };
    const keeper = new TokenKeeper(
      throwing,
      { refreshFraction: 0.5, failSafe: true, failSafeMarginMs: margin, retry: { baseMs: 1_000, capMs: 1_000 }, existingExpiry: () => undefined },
      k.clock,
      createLogger({ level: "error", format: "json", destination: new Writable({ write: (_c, _e, done) => done() }) }),
      k.metrics,
      () => undefined,
    );
    keeper.start();
    await settle();
    assert.equal(await failures(k.metrics, "other"), 1);
    assert.equal(keeper.status().detail, "no token yet; last attempt: boom");
    keeper.stop();
  });
});

describe("TokenKeeper stop", () => {
  test("stop() cancels every timer; afterwards nothing fires and no callback is called", async () => {
    const k = keeperWith();
    k.keeper.start();
    await k.source.answer(12 * h);
    await k.advanceTo(t0 + 6 * h); // the refresh call hangs: refresh, timeout and fail-safe timers all exist
    assert.equal(k.source.inFlight, 1);
    assert.ok(k.clock.pendingTimers >= 2);
    const logged = k.lines.length;

    k.keeper.stop();
    assert.equal(k.clock.pendingTimers, 0);
    await k.source.answer(12 * h, "after-stop");
    await k.clock.advance(48 * h);
    assert.equal(k.changes.length, 1);
    assert.equal(k.source.calls.length, 2);
    assert.equal(k.lines.length, logged);
    assert.notEqual(k.keeper.current?.token.credentials[0]?.password, "after-stop");
  });

  test("a keeper stopped during an outage leaves no timer either", async () => {
    const k = keeperWith();
    k.setExisting(new Date(t0 + 1 * h));
    k.keeper.start();
    await k.source.fail();
    assert.ok(k.clock.pendingTimers >= 2, "retry and fail-safe");
    k.keeper.stop();
    assert.equal(k.clock.pendingTimers, 0);
  });
});
