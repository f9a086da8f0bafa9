import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "./fake-clock.ts";
import { RecentlySeen } from "./recently-seen.ts";

const minute = 60_000;

describe("RecentlySeen", () => {
  test("a key is seen until the window has passed since it was first marked", async () => {
    const clock = new FakeClock();
    const seen = new RecentlySeen({ maxKeys: 10, windowMs: 10 * minute }, clock);
    assert.equal(seen.markIfNew("a"), true);
    await clock.advance(5 * minute);
    assert.equal(seen.markIfNew("a"), false, "a repeat inside the window");
    await clock.advance(5 * minute - 1);
    assert.equal(seen.has("a"), true);
    await clock.advance(1);
    assert.equal(seen.has("a"), false, "the window runs from the first sighting, not the repeat");
    assert.equal(seen.markIfNew("a"), true);
  });

  test("expired keys are dropped, not just ignored", async () => {
    const clock = new FakeClock();
    const seen = new RecentlySeen({ maxKeys: 100, windowMs: minute }, clock);
    for (let i = 0; i < 50; i++) seen.mark(`k${i}`);
    assert.equal(seen.size, 50);
    await clock.advance(30_000);
    seen.mark("late");
    await clock.advance(30_000);
    assert.equal(seen.has("late"), true);
    assert.equal(seen.size, 1, "the 50 older keys are gone");
  });

  test("when full, the oldest key is evicted first", () => {
    const clock = new FakeClock();
    const seen = new RecentlySeen({ maxKeys: 3, windowMs: minute }, clock);
    for (const key of ["a", "b", "c"]) seen.mark(key);
    seen.mark("a"); // re-marking makes it the newest
    seen.mark("d");
    assert.equal(seen.size, 3);
    assert.deepEqual(
      ["a", "b", "c", "d"].map((k) => seen.has(k)),
      [true, false, true, true],
    );
  });

  test("100,000 distinct keys in fake time: the size never exceeds its bound", async () => {
    const clock = new FakeClock();
    const seen = new RecentlySeen({ maxKeys: 1_000, windowMs: 10 * minute }, clock);
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      assert.equal(seen.markIfNew(`namespace-${i}/Namespace/namespace-${i}/SecretWriteFailed/message ${i}`), true);
      largest = Math.max(largest, seen.size);
      if (i % 100 === 0) await clock.advance(1_000);
    }
    assert.equal(largest, 1_000);
    assert.equal(seen.size, 1_000);
    // Slow enough that the window, not the size, is what forgets: 1 key per 6 s for 10 min.
    const slow = new RecentlySeen({ maxKeys: 1_000, windowMs: 10 * minute }, clock);
    for (let i = 0; i < 1_000; i++) {
      slow.mark(`slow-${i}`);
      await clock.advance(6_000);
    }
    assert.equal(slow.size, 100);
  });

  test("a wall clock that steps back keeps the size bound", () => {
    let now = 1_000_000;
    const seen = new RecentlySeen({ maxKeys: 5, windowMs: minute }, { now: () => now });
    for (let i = 0; i < 20; i++) {
      now += i % 2 === 0 ? -30_000 : 45_000;
      seen.mark(`k${i}`);
      assert.ok(seen.size <= 5);
    }
  });

  test("rejects limits that could not bound anything", () => {
    const clock = new FakeClock();
    assert.throws(() => new RecentlySeen({ maxKeys: 0, windowMs: minute }, clock), RangeError);
    assert.throws(() => new RecentlySeen({ maxKeys: 10, windowMs: 0 }, clock), RangeError);
    assert.throws(() => new RecentlySeen({ maxKeys: Number.NaN, windowMs: minute }, clock), RangeError);
  });
});
