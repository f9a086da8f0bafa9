// The progress line: `synced N/M namespaces`, rewritten in place, for a person watching a long
// sync in a terminal, below the log lines and never run together with one; and nowhere else
// (not in JSON logs, not into a pipe or a CronJob's log, not for a handful of namespaces).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { screen } from "../support/terminal.ts";

const { core } = adminClients();
const progress = /synced (\d+)\/(\d+) namespaces/;

describe("progress line", () => {
  const many = uniqueName("prog");
  const few = uniqueName("few");

  before(async () => {
    await emulator().reset();
    await createNamespaces(
      core,
      Array.from({ length: 25 }, (_, i) => `${many}-${i}`),
    );
    await createNamespaces(
      core,
      Array.from({ length: 3 }, (_, i) => `${few}-${i}`),
    );
  });

  test("in a terminal with text logs, 25 namespaces count up to 25/25 in place, below whole log lines", async () => {
    const result = await runCli(["sync", "--namespaces", `${many}-*`, "--force"], { LOG_FORMAT: "text" }, { terminal: true });
    assert.equal(result.code, 0, result.stdout);
    // Every count was drawn, in order...
    const counts = [...result.stdout.matchAll(new RegExp(progress, "g"))].map((m) => Number(m[1]));
    assert.deepEqual(
      [...new Set(counts)],
      Array.from({ length: 25 }, (_, i) => i + 1),
      result.stdout,
    );
    // ...and what stays on screen is each namespace's log line whole, then the final count
    // on a line of its own, then the summary: no count left over, none glued to a log line.
    const lines = screen(result.stdout);
    const perNamespace = lines.filter((line) => / INFO .*namespace .*: secret (created|updated)/.test(line));
    assert.equal(perNamespace.length, 25, lines.join("\n"));
    for (const line of perNamespace) assert.match(line, /^\[\d\d:\d\d:\d\d\] INFO .*: secret (created|updated)$/);
    assert.deepEqual(
      lines.filter((line) => progress.test(line)),
      ["synced 25/25 namespaces"],
      lines.join("\n"),
    );
    const last = lines.indexOf("synced 25/25 namespaces");
    assert.match(lines[last + 1] ?? "", /sync done: 25 namespaces/, "the summary follows the final count");
  });

  test("not with JSON logs, even in a terminal", async () => {
    const result = await runCli(["sync", "--namespaces", `${many}-*`, "--force"], { LOG_FORMAT: "json" }, { terminal: true });
    assert.equal(result.code, 0, result.stdout);
    assert.doesNotMatch(result.stdout, progress);
    assert.match(result.stdout, /"msg"/, "the JSON log did reach the terminal");
  });

  test("not into a pipe, as in a CronJob's log", async () => {
    const result = await runCli(["sync", "--namespaces", `${many}-*`, "--force"], { LOG_FORMAT: "text" });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr + result.stdout, progress);
    assert.match(result.stderr, /sync done: 25 namespaces/);
  });

  test("not for fewer than 20 namespaces, where the log lines say as much", async () => {
    const result = await runCli(["sync", "--namespaces", `${few}-*`], { LOG_FORMAT: "text" }, { terminal: true });
    assert.equal(result.code, 0, result.stdout);
    assert.doesNotMatch(result.stdout, progress);
    assert.match(result.stdout, /sync done: 3 namespaces/);
  });
});
