import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "./fake-clock.ts";
import { FailureStreak, StreakNews } from "./failure-streak.ts";

const minute = 60_000;

describe("FailureStreak", () => {
  test("says the first failure, stays quiet, reminds at most every period", async () => {
    const clock = new FakeClock();
    const streak = new FailureStreak(5 * minute, clock);
    const news: StreakNews[] = [];
    // A failure every 30 s for 12 minutes.
    for (let i = 0; i < 24; i++) {
      news.push(streak.fail());
      await clock.advance(30_000);
    }
    assert.equal(news[0], StreakNews.started);
    assert.deepEqual(
      news.flatMap((n, i) => (n === StreakNews.quiet ? [] : [[i * 30, n]])),
      [
        [0, "started"],
        [300, "reminder"],
        [600, "reminder"],
      ],
    );
    assert.equal(streak.failures, 24);
    assert.equal(streak.durationMs, 12 * minute);
  });

  test("end() reports the streak once and the next failure starts a new one", async () => {
    const clock = new FakeClock();
    const streak = new FailureStreak(5 * minute, clock);
    assert.equal(streak.end(), undefined, "nothing to end before a failure");
    streak.fail();
    await clock.advance(20_000);
    streak.fail();
    await clock.advance(40_000);
    assert.deepEqual(streak.end(clock.now() - 10_000), { failures: 2, durationMs: 50_000 });
    assert.equal(streak.failures, 0);
    assert.equal(streak.durationMs, 0);
    assert.equal(streak.end(), undefined);
    assert.equal(streak.fail(), StreakNews.started);
  });
});
