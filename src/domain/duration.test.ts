import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  test("reads single units", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("15m"), 900_000);
    assert.equal(parseDuration("6h"), 21_600_000);
  });

  test("adds compound parts", () => {
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("1m5s"), 65_000);
    assert.equal(parseDuration("1s500ms"), 1_500);
    assert.equal(parseDuration("2h15m30s"), 8_130_000);
  });

  test("accepts fractions, zero and surrounding whitespace", () => {
    assert.equal(parseDuration("1.5h"), 5_400_000);
    assert.equal(parseDuration("0s"), 0);
    assert.equal(parseDuration("  6h \n"), 21_600_000);
  });

  test("rejects what is not a duration", () => {
    for (const text of ["", "   ", "6", "h", "6H", "6d", "-5m", "6 h", "1h 30m", "abc", "1.h", ".5h", "6h!"]) {
      assert.equal(parseDuration(text), undefined, JSON.stringify(text));
    }
  });
});

describe("formatDuration", () => {
  test("hours and minutes, dropping seconds once hours show", () => {
    assert.equal(formatDuration(5 * 3_600_000 + 59 * 60_000 + 30_000), "5h59m");
    assert.equal(formatDuration(3_600_000), "1h");
    assert.equal(formatDuration(3_600_000 + 20_000), "1h");
  });

  test("minutes and seconds", () => {
    assert.equal(formatDuration(90_000), "1m30s");
    assert.equal(formatDuration(120_000), "2m");
    assert.equal(formatDuration(42_000), "42s");
    assert.equal(formatDuration(0), "0s");
  });

  test("rounds to whole seconds", () => {
    assert.equal(formatDuration(1_499), "1s");
    assert.equal(formatDuration(59_600), "1m");
  });

  test("negative durations get a sign", () => {
    assert.equal(formatDuration(-180_000), "-3m");
    assert.equal(formatDuration(-3_661_000), "-1h1m");
  });

  test("round-trips through parseDuration for whole minutes", () => {
    for (const text of ["5h59m", "42s", "1m30s", "11h"]) {
      const ms = parseDuration(text);
      assert.ok(ms !== undefined);
      assert.equal(formatDuration(ms), text);
    }
  });
});
