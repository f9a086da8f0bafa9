import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { beforeFailSafe, failSafeAt, failSafeDue, refreshDelay, tokenStatus, untilFailSafe } from "./refresh.ts";

const s = 1_000;
const m = 60 * s;
const h = 60 * m;
const fixed = (value: number) => (): number => value;

describe("refreshDelay", () => {
  const cases: Array<[string, { obtainedAt: number; expiresAt: number; now: number; fraction: number; random: number }, number]> = [
    ["half of a 12 h life, no jitter (random 0.5)", { obtainedAt: 0, expiresAt: 12 * h, now: 0, fraction: 0.5, random: 0.5 }, 6 * h],
    ["earliest end of the jitter (random 0): -10 %", { obtainedAt: 0, expiresAt: 12 * h, now: 0, fraction: 0.5, random: 0 }, 5.4 * h],
    ["latest end of the jitter (random close to 1): +10 %", { obtainedAt: 0, expiresAt: 12 * h, now: 0, fraction: 0.5, random: 0.9999995 }, 23_759_998],
    ["80 % of the life", { obtainedAt: 0, expiresAt: 12 * h, now: 0, fraction: 0.8, random: 0.5 }, 9.6 * h],
    ["counted from when the token was asked for, not from now", { obtainedAt: 0, expiresAt: 12 * h, now: 1 * h, fraction: 0.5, random: 0.5 }, 5 * h],
    ["already past the moment: at once, never negative", { obtainedAt: 0, expiresAt: 12 * h, now: 7 * h, fraction: 0.5, random: 0.5 }, 0],
  ];
  for (const [name, c, expected] of cases) {
    test(name, () => assert.equal(refreshDelay(c.obtainedAt, c.expiresAt, c.now, c.fraction, fixed(c.random)), expected));
  }
});

describe("fail-safe moment", () => {
  // expires at 1000, margin 100: due from 900 on, not at 899.
  const due: Array<[number, number, boolean, number]> = [
    // [now, margin, due, until]
    [0, 100, false, 900],
    [899, 100, false, 1],
    [900, 100, true, 0],
    [901, 100, true, 0],
    [2_000, 100, true, 0],
    [999, 0, false, 1],
    [1_000, 0, true, 0],
  ];
  for (const [now, margin, expectedDue, expectedUntil] of due) {
    test(`expiry 1000, margin ${margin}, now ${now}: due ${expectedDue}, ${expectedUntil} ms to go`, () => {
      assert.equal(failSafeAt(1_000, margin), 1_000 - margin);
      assert.equal(failSafeDue(1_000, now, margin), expectedDue);
      assert.equal(untilFailSafe(1_000, now, margin), expectedUntil);
    });
  }
});

describe("beforeFailSafe", () => {
  const cases: Array<[string, [number, number | undefined, number, number], number]> = [
    ["no known expiry: the delay stands", [5_000, undefined, 0, 100], 5_000],
    ["due well before the fail-safe: the delay stands", [500, 1_000, 0, 100], 500],
    ["would wait past the fail-safe: comes exactly at it", [5_000, 1_000, 0, 100], 900],
    ["lands exactly on it: stands", [900, 1_000, 0, 100], 900],
    ["at the fail-safe moment: nothing left to protect", [5_000, 1_000, 900, 100], 5_000],
    ["past it: the delay stands", [5_000, 1_000, 950, 100], 5_000],
  ];
  for (const [name, [delay, expiresAt, now, margin], expected] of cases) {
    test(name, () => assert.equal(beforeFailSafe(delay, expiresAt, now, margin), expected));
  }
});

describe("tokenStatus", () => {
  const cases: Array<[string, Parameters<typeof tokenStatus>, { state: string; ready: boolean; detail: string }]> = [
    ["nothing held", [undefined, 0, undefined], { state: "no-token", ready: false, detail: "no token yet" }],
    ["nothing held, failing", [undefined, 0, "AWS says no"], { state: "no-token", ready: false, detail: "no token yet; last attempt: AWS says no" }],
    ["a valid token", [{ expiresAt: 12 * h, failSafe: false }, 2 * h, undefined], { state: "ok", ready: true, detail: "ok (expires in 10h)" }],
    [
      "a token past its expiry",
      [{ expiresAt: 12 * h, failSafe: false }, 12 * h + 3 * m, undefined],
      { state: "expired", ready: false, detail: "token expired 3m ago" },
    ],
    ["expiring right now", [{ expiresAt: 12 * h, failSafe: false }, 12 * h, undefined], { state: "expired", ready: false, detail: "token expired 0s ago" }],
    [
      "fail-safe before expiry",
      [{ expiresAt: 12 * h, failSafe: true }, 12 * h - 15 * m, "no answer from AWS within 30s"],
      { state: "fail-safe", ready: false, detail: "fail-safe engaged: the token expires in 15m; last attempt: no answer from AWS within 30s" },
    ],
    [
      "fail-safe after expiry",
      [{ expiresAt: 12 * h, failSafe: true }, 13 * h, undefined],
      { state: "fail-safe", ready: false, detail: "fail-safe engaged: the token expired 1h ago" },
    ],
  ];
  for (const [name, args, expected] of cases) {
    test(name, () => assert.deepEqual({ ...tokenStatus(...args) }, expected));
  }
});
