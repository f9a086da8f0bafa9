import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "./fake-clock.ts";

test("advance fires due timers in time order, each at its own time, and no others", async () => {
  const clock = new FakeClock(1_000);
  const fired: Array<[string, number]> = [];
  clock.schedule(300, () => fired.push(["c", clock.now()]));
  clock.schedule(100, () => fired.push(["a", clock.now()]));
  clock.schedule(200, () => fired.push(["b", clock.now()]));
  clock.schedule(5_000, () => fired.push(["late", clock.now()]));
  await clock.advance(300);
  assert.deepEqual(fired, [
    ["a", 1_100],
    ["b", 1_200],
    ["c", 1_300],
  ]);
  assert.equal(clock.now(), 1_300);
  assert.equal(clock.pendingTimers, 1);
  assert.equal(clock.nextTimerIn(), 4_700);
});

test("a cancelled timer never fires; a timer scheduled by a timer fires in the same advance when due", async () => {
  const clock = new FakeClock(0);
  const fired: number[] = [];
  clock.schedule(10, () => fired.push(0)).cancel();
  clock.schedule(10, () => clock.schedule(10, () => fired.push(clock.now())));
  await clock.advance(25);
  assert.deepEqual(fired, [20]);
});

test("sleep resolves after its delay, or at once when aborted, and async chains run to the end", async () => {
  const clock = new FakeClock(0);
  const steps: number[] = [];
  void (async () => {
    await clock.sleep(1_000);
    steps.push(clock.now());
    await Promise.resolve();
    await clock.sleep(1_000);
    steps.push(clock.now());
  })();
  await clock.advance(999);
  assert.deepEqual(steps, []);
  await clock.advance(1_001);
  assert.deepEqual(steps, [1_000, 2_000]);
  const abort = new AbortController();
  let woke = false;
  void clock.sleep(60_000, abort.signal).then(() => (woke = true));
  abort.abort();
  await clock.advance(0);
  assert.equal(woke, true);
  assert.equal(clock.pendingTimers, 0);
});
