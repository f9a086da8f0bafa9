// The queue's client-go semantics, in fake time: nothing here waits for a real timer.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock, settle } from "../util/fake-clock.ts";
import { WorkQueue } from "./work-queue.ts";

const policy = { baseMs: 100, capMs: 1_000 };

/** A handler whose calls the test finishes by hand, recording who ran and how many at once. */
class Handler {
  readonly calls: string[] = [];
  readonly #inFlight = new Map<string, number>();
  readonly #release = new Map<string, Array<(error?: Error) => void>>();
  maxConcurrentPerKey = 0;

  readonly handle = (key: string): Promise<void> => {
    this.calls.push(key);
    const running = (this.#inFlight.get(key) ?? 0) + 1;
    this.#inFlight.set(key, running);
    this.maxConcurrentPerKey = Math.max(this.maxConcurrentPerKey, running);
    return new Promise<void>((resolve, reject) => {
      const waiting = this.#release.get(key) ?? [];
      waiting.push((error) => {
        this.#inFlight.set(key, (this.#inFlight.get(key) ?? 1) - 1);
        if (error) reject(error);
        else resolve();
      });
      this.#release.set(key, waiting);
    });
  };

  /** Finishes the oldest running call for `key`, failing it when `error` is given. */
  async finish(key: string, error?: Error): Promise<void> {
    const next = this.#release.get(key)?.shift();
    assert.ok(next, `no call for ${key} is running`);
    next(error);
    await settle();
  }
}

async function started(queue: WorkQueue, workers: number, handle: (key: string) => Promise<void>): Promise<{ done: () => boolean; run: Promise<void> }> {
  let finished = false;
  const run = queue.run(workers, handle).then(() => {
    finished = true;
  });
  await settle();
  return { done: () => finished, run };
}

describe("WorkQueue", () => {
  test("de-duplicates: a key added many times before a worker takes it is handled once", async () => {
    const clock = new FakeClock();
    const depths: number[] = [];
    const queue = new WorkQueue(policy, clock, (depth) => depths.push(depth));
    for (let i = 0; i < 100; i++) queue.add("ns-a");
    queue.add("ns-b");
    queue.add("ns-a");
    assert.equal(queue.length, 2);
    const handler = new Handler();
    const { run } = await started(queue, 4, handler.handle);
    assert.deepEqual(handler.calls, ["ns-a", "ns-b"]);
    await handler.finish("ns-a");
    await handler.finish("ns-b");
    assert.deepEqual(handler.calls, ["ns-a", "ns-b"]);
    assert.equal(Math.max(...depths), 2);
    queue.shutDown();
    await run;
  });

  test("a key re-queued while in flight runs again exactly once afterwards, never on two workers at once", async () => {
    const queue = new WorkQueue(policy, new FakeClock());
    const handler = new Handler();
    const { run } = await started(queue, 3, handler.handle);
    queue.add("ns-a");
    await settle();
    assert.deepEqual(handler.calls, ["ns-a"]);
    // Idle workers are waiting, yet none may take the key while it is in flight.
    queue.add("ns-a");
    queue.add("ns-a");
    queue.add("ns-a");
    await settle();
    assert.deepEqual(handler.calls, ["ns-a"]);
    assert.equal(queue.length, 0);
    await handler.finish("ns-a");
    assert.deepEqual(handler.calls, ["ns-a", "ns-a"]);
    await handler.finish("ns-a");
    assert.deepEqual(handler.calls, ["ns-a", "ns-a"]);
    assert.equal(handler.maxConcurrentPerKey, 1);
    queue.shutDown();
    await run;
  });

  test("different keys run in parallel up to the number of workers", async () => {
    const queue = new WorkQueue(policy, new FakeClock());
    const handler = new Handler();
    const { run } = await started(queue, 2, handler.handle);
    for (const key of ["a", "b", "c"]) queue.add(key);
    await settle();
    assert.deepEqual(handler.calls, ["a", "b"]);
    await handler.finish("b");
    assert.deepEqual(handler.calls, ["a", "b", "c"]);
    await handler.finish("a");
    await handler.finish("c");
    queue.shutDown();
    await run;
  });

  test("per-key backoff doubles, is capped, and forget() (a success) resets it", async () => {
    // random() = 0 puts every delay at the bottom of its jitter range: half the exponential value.
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"), 0);
    const queue = new WorkQueue(policy, clock);
    const handler = new Handler();
    const { run } = await started(queue, 1, handler.handle);
    queue.add("ns-a");
    await settle();
    const delays: number[] = [];
    for (let failure = 1; failure <= 6; failure++) {
      await handler.finish("ns-a", new Error("conflict"));
      delays.push(clock.nextTimerIn() ?? -1);
      await clock.advance(delays.at(-1) ?? 0);
      assert.equal(handler.calls.length, failure + 1, "the key runs again exactly when its delay is up");
    }
    assert.deepEqual(delays, [50, 100, 200, 400, 500, 500]);

    await handler.finish("ns-a"); // success forgets the failures
    assert.equal(clock.pendingTimers, 0);
    queue.add("ns-a");
    await settle();
    await handler.finish("ns-a", new Error("conflict"));
    assert.equal(clock.nextTimerIn(), 50, "after a success the backoff starts over");
    queue.shutDown();
    await run;
  });

  test("backoff is per key, its jitter comes from the clock, and forget() resets a key", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"), 0.5);
    const queue = new WorkQueue(policy, clock);
    const delayOf = async (key: string): Promise<number | undefined> => {
      queue.addRateLimited(key);
      const delay = clock.nextTimerIn();
      await clock.advance(delay ?? 0);
      return delay;
    };
    assert.equal(await delayOf("a"), 75); // 100 x (0.5 + 0.5 / 2)
    assert.equal(await delayOf("a"), 150);
    assert.equal(await delayOf("b"), 75, "another key has its own count");
    clock.setRandom(0.9);
    assert.equal(await delayOf("a"), 380); // 400 x (0.5 + 0.9 / 2)
    queue.forget("a");
    assert.equal(await delayOf("a"), 95, "forget() starts the count over");
  });

  test("addAfter queues the key at its time, and an earlier time replaces a later one", async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue(policy, clock);
    queue.addAfter("a", 1_000);
    queue.addAfter("a", 300);
    assert.equal(clock.pendingTimers, 1);
    await clock.advance(299);
    assert.equal(queue.length, 0);
    await clock.advance(1);
    assert.equal(queue.length, 1);
    await clock.advance(1_000);
    assert.equal(queue.length, 1, "the replaced timer does not add it twice");
    queue.addAfter("b", 0);
    assert.equal(queue.length, 2);
  });

  test("shutdown drains: in-flight work finishes, queued keys are dropped, timers cancelled, run() resolves", async () => {
    const clock = new FakeClock();
    const depths: number[] = [];
    const queue = new WorkQueue(policy, clock, (depth) => depths.push(depth));
    const handler = new Handler();
    const { run, done } = await started(queue, 1, handler.handle);
    queue.add("in-flight");
    await settle();
    queue.add("queued");
    queue.add("in-flight"); // dirty: would run again, but not after shutdown
    queue.addAfter("later", 1_000);
    queue.addRateLimited("failing");
    assert.equal(clock.pendingTimers, 2);

    queue.shutDown();
    assert.equal(clock.pendingTimers, 0);
    assert.equal(queue.length, 0);
    assert.equal(depths.at(-1), 0);
    await settle();
    assert.equal(done(), false, "run() waits for the work in flight");

    queue.add("after-shutdown");
    await handler.finish("in-flight", new Error("failed while shutting down"));
    await run;
    assert.equal(done(), true);
    assert.deepEqual(handler.calls, ["in-flight"]);
    assert.equal(clock.pendingTimers, 0, "a failure during shutdown schedules no retry");
    await clock.advance(60_000);
    assert.deepEqual(handler.calls, ["in-flight"]);
  });

  test("shutdown with idle workers resolves run() at once", async () => {
    const queue = new WorkQueue(policy, new FakeClock());
    const { run, done } = await started(queue, 3, async () => undefined);
    queue.shutDown();
    await run;
    assert.equal(done(), true);
  });
});
