import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay } from "./backoff.ts";

const policy = { baseMs: 100, capMs: 1_000 };
const fixed = (value: number) => (): number => value;

describe("backoffDelay", () => {
  test("doubles per attempt at full jitter (random = 1)", () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, policy, fixed(1))),
      [100, 200, 400, 800],
    );
  });

  test("is capped", () => {
    assert.equal(backoffDelay(5, policy, fixed(1)), 1_000);
    assert.equal(backoffDelay(50, policy, fixed(1)), 1_000);
  });

  test("jitter keeps the delay within [0.5, 1] of the exponential value", () => {
    assert.equal(backoffDelay(3, policy, fixed(0)), 200);
    assert.equal(backoffDelay(3, policy, fixed(0.5)), 300);
    assert.equal(backoffDelay(10, policy, fixed(0)), 500);
  });

  test("attempt 0 or below counts as the first", () => {
    assert.equal(backoffDelay(0, policy, fixed(1)), 100);
    assert.equal(backoffDelay(-3, policy, fixed(1)), 100);
  });

  test("draws exactly one random number per call", () => {
    let calls = 0;
    backoffDelay(2, policy, () => {
      calls++;
      return 0.25;
    });
    assert.equal(calls, 1);
  });

  test("returns whole milliseconds", () => {
    const delay = backoffDelay(1, { baseMs: 3, capMs: 100 }, fixed(0.3));
    assert.equal(delay, Math.round(3 * 0.65));
    assert.ok(Number.isInteger(delay));
  });
});
