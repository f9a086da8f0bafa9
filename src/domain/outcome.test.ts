import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ExitCode, countResults, exitCodeFor, summaryLine, type ResultKind } from "./outcome.ts";

describe("countResults", () => {
  test("counts each kind", () => {
    const counts = countResults(["created", "fresh", "created", "failed"]);
    assert.deepEqual([...counts.entries()].sort(), [
      ["created", 2],
      ["failed", 1],
      ["fresh", 1],
    ]);
    assert.equal(countResults([]).size, 0);
  });
});

describe("exitCodeFor", () => {
  test("is ok when nothing needs attention", () => {
    assert.equal(exitCodeFor([]), ExitCode.ok);
    assert.equal(exitCodeFor(["created", "updated", "fresh", "planned", "terminating"]), 0);
  });

  test("is attention for foreign, missing or failed", () => {
    for (const kind of ["foreign", "missing", "failed"] as const) {
      assert.equal(exitCodeFor(["created", kind, "fresh"]), ExitCode.attention, kind);
    }
    assert.equal(ExitCode.attention, 1);
  });

  test("exit codes have their documented values", () => {
    assert.deepEqual(ExitCode, { ok: 0, attention: 1, usage: 2, noToken: 3 });
  });
});

describe("summaryLine", () => {
  test("lists counts in a fixed order with service accounts and token", () => {
    const kinds: ResultKind[] = ["failed", "fresh", "created", "created", "foreign"];
    assert.equal(
      summaryLine(kinds, { patchedServiceAccounts: 3, tokenFetched: true }),
      "5 namespaces: 2 created, 1 fresh, 1 foreign, 1 failed; 3 service accounts patched; 1 token request",
    );
  });

  test("says nothing to do and omits zero service accounts", () => {
    assert.equal(summaryLine([], { patchedServiceAccounts: 0, tokenFetched: false }), "0 namespaces: nothing to do; no token request");
  });

  test("all fresh makes no token request", () => {
    assert.equal(summaryLine(["fresh", "fresh"], { patchedServiceAccounts: 0, tokenFetched: false }), "2 namespaces: 2 fresh; no token request");
  });
});
