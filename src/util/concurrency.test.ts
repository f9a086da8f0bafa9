import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { mapWithConcurrency, withRetry } from "./concurrency.ts";

describe("mapWithConcurrency", () => {
  test("keeps input order even when later items finish first", async () => {
    const items = [30, 5, 20, 1, 10, 0];
    const finished: number[] = [];
    const results = await mapWithConcurrency(items, 3, async (ms) => {
      await sleep(ms);
      finished.push(ms);
      return `done-${ms}`;
    });
    assert.deepEqual(results, items.map((ms) => `done-${ms}`));
    assert.notDeepEqual(finished, items, "the test needs out-of-order completion to mean anything");
  });

  test("never exceeds the limit, and reaches it", async () => {
    for (const limit of [1, 2, 4]) {
      let inFlight = 0;
      let peak = 0;
      const results = await mapWithConcurrency(Array.from({ length: 12 }, (_, i) => i), limit, async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(i % 3);
        inFlight--;
        return i * 2;
      });
      assert.equal(peak, limit, `limit ${limit}`);
      assert.deepEqual(results, Array.from({ length: 12 }, (_, i) => i * 2));
    }
  });

  test("runs each item exactly once", async () => {
    const seen: number[] = [];
    await mapWithConcurrency([1, 2, 3, 4, 5], 2, async (i) => {
      seen.push(i);
      await sleep(0);
    });
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5]);
  });

  test("a limit above the item count works", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency(["a", "b"], 16, async (s) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(1);
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
  const fast = { baseMs: 1, capMs: 2 };
  class Transient extends Error {}
  const retryable = (error: unknown): boolean => error instanceof Transient;

  test("returns the first success without retrying", async () => {
    let calls = 0;
    const retries: number[] = [];
    const value = await withRetry(async () => ++calls, {
      ...fast, attempts: 3, retryable, onRetry: (_e, attempt) => retries.push(attempt),
    });
    assert.equal(value, 1);
    assert.equal(calls, 1);
    assert.deepEqual(retries, []);
  });

  test("retries retryable errors and then succeeds", async () => {
    let calls = 0;
    const retries: { attempt: number; delay: number; message: string }[] = [];
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Transient(`t${calls}`);
        return "ok";
      },
      {
        ...fast,
        attempts: 5,
        retryable,
        onRetry: (error, attempt, delay) => retries.push({ attempt, delay, message: (error as Error).message }),
      },
    );
    assert.equal(value, "ok");
    assert.equal(calls, 3);
    assert.deepEqual(retries.map((r) => [r.attempt, r.message]), [[1, "t1"], [2, "t2"]]);
    for (const { attempt, delay } of retries) {
      const exp = Math.min(fast.capMs, fast.baseMs * 2 ** (attempt - 1));
      assert.ok(delay >= Math.round(exp / 2) && delay <= exp, `attempt ${attempt}: delay ${delay}`);
    }
  });

  test("stops after `attempts` and rethrows the last error", async () => {
    let calls = 0;
    const retries: number[] = [];
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new Transient(`t${calls}`);
        },
        { ...fast, attempts: 4, retryable, onRetry: (_e, attempt) => retries.push(attempt) },
      ),
      (error: unknown) => error instanceof Transient && error.message === "t4",
    );
    assert.equal(calls, 4);
    assert.deepEqual(retries, [1, 2, 3]);
  });

  test("stops at once on a non-retryable error", async () => {
    let calls = 0;
    const fatal = new Error("forbidden");
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          if (calls === 1) throw new Transient("t");
          throw fatal;
        },
        { ...fast, attempts: 10, retryable },
      ),
      (error: unknown) => error === fatal,
    );
    assert.equal(calls, 2);
  });

  test("attempts = 1 means no retry", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new Transient("t");
        },
        { ...fast, attempts: 1, retryable },
      ),
      Transient,
    );
    assert.equal(calls, 1);
  });

  test("passes the thrown value to retryable", async () => {
    const seen: unknown[] = [];
    await assert.rejects(
      withRetry(
        async () => {
          throw "plain string";
        },
        { ...fast, attempts: 3, retryable: (error) => (seen.push(error), false) },
      ),
      (error: unknown) => error === "plain string",
    );
    assert.deepEqual(seen, ["plain string"]);
  });
});
