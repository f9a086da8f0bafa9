import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mapWithConcurrency, withRetry } from "./concurrency.ts";
import { FakeClock, settle } from "./fake-clock.ts";

/** A promise the test resolves by hand, so completion order is chosen, not timed. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("mapWithConcurrency", () => {
  test("keeps input order when later items finish first", async () => {
    const gates = [0, 1, 2, 3].map(() => deferred());
    const started: number[] = [];
    const running = mapWithConcurrency([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      await gates[i]?.promise;
      return `done-${i}`;
    });
    await settle();
    assert.deepEqual(started, [0, 1], "only `limit` items start");
    gates[1]?.resolve();
    await settle();
    assert.deepEqual(started, [0, 1, 2], "a finished item frees a slot for the next");
    gates[3]?.resolve();
    gates[2]?.resolve();
    await settle();
    assert.deepEqual(started, [0, 1, 2, 3]);
    gates[0]?.resolve();
    assert.deepEqual(await running, ["done-0", "done-1", "done-2", "done-3"]);
  });

  test("never exceeds the limit, and reaches it", async () => {
    for (const limit of [1, 2, 4]) {
      let inFlight = 0;
      let peak = 0;
      const results = await mapWithConcurrency(
        Array.from({ length: 12 }, (_, i) => i),
        limit,
        async (i) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await settle(i % 3);
          inFlight--;
          return i * 2;
        },
      );
      assert.equal(peak, limit, `limit ${limit}`);
      assert.deepEqual(
        results,
        Array.from({ length: 12 }, (_, i) => i * 2),
      );
    }
  });

  test("runs each item exactly once", async () => {
    const seen: number[] = [];
    await mapWithConcurrency([1, 2, 3, 4, 5], 2, async (i) => {
      seen.push(i);
      await settle(1);
    });
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5]);
  });

  test("a limit above the item count works", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency(["a", "b"], 16, async (s) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await settle(1);
      inFlight--;
      return s.toUpperCase();
    });
    assert.deepEqual(results, ["A", "B"]);
    assert.equal(peak, 2);
  });

  test("no items, no work", async () => {
    let calls = 0;
    assert.deepEqual(await mapWithConcurrency([], 4, async () => ++calls), []);
    assert.equal(calls, 0);
  });

  test("rejects with the work's error", async () => {
    await assert.rejects(
      mapWithConcurrency([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error("boom 2");
        return i;
      }),
      { message: "boom 2" },
    );
  });
});

describe("withRetry", () => {
  const policy = { baseMs: 100, capMs: 1_000 };
  class Transient extends Error {}
  const retryable = (error: unknown): boolean => error instanceof Transient;

  /** Fails with Transient `failures` times, then returns "ok"; counts the calls. */
  function flaky(failures: number): { fn: () => Promise<string>; calls: () => number } {
    let calls = 0;
    return {
      fn: async () => {
        calls++;
        if (calls <= failures) throw new Transient(`t${calls}`);
        return "ok";
      },
      calls: () => calls,
    };
  }

  test("returns the first success without retrying or waiting", async () => {
    const clock = new FakeClock(0);
    const op = flaky(0);
    const retries: number[] = [];
    const value = await withRetry(op.fn, { ...policy, attempts: 3, retryable, clock, onRetry: (_e, attempt) => retries.push(attempt) });
    assert.equal(value, "ok");
    assert.equal(op.calls(), 1);
    assert.deepEqual(retries, []);
    assert.equal(clock.pendingTimers, 0);
  });

  test("waits exactly the backoff delay on the clock before each retry", async () => {
    // random 0.5: each delay is 3/4 of min(cap, base * 2^(attempt-1)).
    const clock = new FakeClock(0, 0.5);
    const op = flaky(3);
    const retries: Array<[number, number, string]> = [];
    const result = withRetry(op.fn, {
      ...policy,
      attempts: 5,
      retryable,
      clock,
      onRetry: (error, attempt, delay) => retries.push([attempt, delay, (error as Error).message]),
    });
    for (const [calls, delay] of [
      [1, 75],
      [2, 150],
      [3, 300],
    ] as const) {
      await settle();
      assert.equal(op.calls(), calls);
      assert.equal(clock.nextTimerIn(), delay);
      await clock.advance(delay - 1);
      assert.equal(op.calls(), calls, "no retry before the delay is up");
      await clock.advance(1);
    }
    assert.equal(await result, "ok");
    assert.equal(op.calls(), 4);
    assert.deepEqual(retries, [
      [1, 75, "t1"],
      [2, 150, "t2"],
      [3, 300, "t3"],
    ]);
  });

  test("draws the jitter from the clock and caps the delay", async () => {
    const draws = [0, 0.999, 0, 1 - Number.EPSILON, 1 - Number.EPSILON];
    const clock = new FakeClock(0, () => draws.shift() ?? 0);
    const delays: number[] = [];
    const result = withRetry(flaky(5).fn, { ...policy, attempts: 6, retryable, clock, onRetry: (_e, _a, delay) => delays.push(delay) });
    for (let retry = 0; retry < 5; retry++) {
      await settle();
      await clock.fireNext();
    }
    assert.equal(await result, "ok");
    // Half of 100, ~all of 200, half of 400, all of 800, all of min(1000, 1600).
    assert.deepEqual(delays, [50, 200, 200, 800, 1_000]);
    assert.equal(clock.now(), 2_250);
  });

  test("stops after `attempts` and rethrows the last error", async () => {
    const clock = new FakeClock(0);
    const op = flaky(Infinity);
    const retries: number[] = [];
    const result = withRetry(op.fn, { ...policy, attempts: 4, retryable, clock, onRetry: (_e, attempt) => retries.push(attempt) });
    const rejected = assert.rejects(result, (error: unknown) => error instanceof Transient && error.message === "t4");
    await clock.advance(10_000);
    await rejected;
    assert.equal(op.calls(), 4);
    assert.deepEqual(retries, [1, 2, 3]);
    assert.equal(clock.pendingTimers, 0);
  });

  test("stops at once on a non-retryable error", async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const fatal = new Error("forbidden");
    const result = withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new Transient("t");
        throw fatal;
      },
      { ...policy, attempts: 10, retryable, clock },
    );
    const rejected = assert.rejects(result, (error: unknown) => error === fatal);
    await clock.advance(75);
    await rejected;
    assert.equal(calls, 2);
    assert.equal(clock.pendingTimers, 0, "no wait after a non-retryable error");
  });

  test("attempts = 1 means no retry", async () => {
    const clock = new FakeClock(0);
    const op = flaky(1);
    await assert.rejects(withRetry(op.fn, { ...policy, attempts: 1, retryable, clock }), Transient);
    assert.equal(op.calls(), 1);
    assert.equal(clock.pendingTimers, 0);
  });

  test("passes the thrown value to retryable", async () => {
    const seen: unknown[] = [];
    await assert.rejects(
      withRetry(
        async () => {
          throw "plain string";
        },
        {
          ...policy,
          attempts: 3,
          retryable: (error) => {
            seen.push(error);
            return false;
          },
          clock: new FakeClock(0),
        },
      ),
      (error: unknown) => error === "plain string",
    );
    assert.deepEqual(seen, ["plain string"]);
  });

  test("without a clock it uses the system clock (callers that pass none keep working)", async () => {
    const op = flaky(1);
    assert.equal(await withRetry(op.fn, { baseMs: 1, capMs: 1, attempts: 2, retryable }), "ok");
    assert.equal(op.calls(), 2);
  });
});
