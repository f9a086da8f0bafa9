import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { missingNamespacePlan, SecretAction, type NamespacePlan } from "./plan.ts";
import { changedAnything, describeOutcome, failureEvent, resultKind, worthRetrying, writeMetricLabel, WriteResult, type NamespaceOutcome } from "./report.ts";

const plan = (secret: NamespacePlan["secret"], reason = "why"): NamespacePlan => ({
  namespace: "team",
  secret,
  reason,
  patchServiceAccounts: [],
  missingServiceAccounts: [],
});
const outcome = (overrides: Partial<NamespaceOutcome> = {}): NamespaceOutcome => ({
  namespace: "team",
  plan: plan(SecretAction.create),
  secret: WriteResult.created,
  patchedServiceAccounts: [],
  missingServiceAccounts: [],
  ...overrides,
});
const lines = (o: NamespaceOutcome, failSafe = false): string[] => describeOutcome(o, { failSafe }).map((e) => `${e.level} ${e.message}`);

describe("describeOutcome: one formatter for sync and run", () => {
  test("writes at info, with the service accounts patched", () => {
    assert.deepEqual(lines(outcome({ patchedServiceAccounts: ["default", "ci"] })), [
      "info namespace team: secret created; added to service accounts default, ci",
    ]);
    assert.deepEqual(lines(outcome({ secret: WriteResult.updated, plan: plan(SecretAction.update) })), ["info namespace team: secret updated"]);
  });

  test("a fresh secret with nothing done is debug: thousands of fresh namespaces stay quiet", () => {
    assert.deepEqual(lines(outcome({ secret: WriteResult.unchanged, plan: plan(SecretAction.skipFresh) })), ["debug namespace team: secret fresh"]);
  });

  test("fail-safe writes say the secret holds no credentials", () => {
    assert.deepEqual(lines(outcome(), true), ["info namespace team: secret created (fail-safe: no credentials)"]);
  });

  test("errors, foreign, missing and terminating namespaces, missing service accounts", () => {
    assert.deepEqual(lines(outcome({ secret: WriteResult.failed, error: { kind: "forbidden", message: "secrets is forbidden" } })), [
      "error namespace team: secrets is forbidden",
    ]);
    assert.deepEqual(lines(outcome({ secret: WriteResult.skipped, plan: plan(SecretAction.skipForeign, "not ours") })), ["warn namespace team: not ours"]);
    assert.deepEqual(lines(outcome({ secret: WriteResult.skipped, plan: missingNamespacePlan("team") })), ["warn namespace team: namespace does not exist"]);
    assert.deepEqual(lines(outcome({ secret: WriteResult.skipped, plan: plan(SecretAction.skipTerminating) })), [
      "warn namespace team: skipped, namespace is terminating",
    ]);
    assert.deepEqual(lines(outcome({ missingServiceAccounts: ["builder"] })), [
      "info namespace team: secret created",
      "warn namespace team: service account builder not found",
    ]);
  });
});

describe("what the controller counts and records", () => {
  test("the metric label is set for writes and failed writes only", () => {
    assert.equal(writeMetricLabel(outcome()), "created");
    assert.equal(writeMetricLabel(outcome({ secret: WriteResult.failed })), "failed");
    assert.equal(writeMetricLabel(outcome({ secret: WriteResult.unchanged })), undefined);
    assert.equal(writeMetricLabel(outcome({ secret: WriteResult.skipped })), undefined);
  });

  test("an Event only for failures a person must fix", () => {
    const failed = (kind: string): NamespaceOutcome => outcome({ secret: WriteResult.failed, error: { kind, message: "m" } });
    assert.equal(failureEvent(failed("forbidden"), "s")?.reason, "SecretWriteFailed");
    assert.equal(failureEvent(failed("invalid"), "s")?.message, "cannot write secret s: m");
    assert.equal(failureEvent(failed("immutable"), "s")?.reason, "SecretWriteFailed");
    assert.equal(failureEvent(failed("transient"), "s"), undefined);
    assert.equal(failureEvent(outcome(), "s"), undefined);
  });

  test("a failure is retried unless only a person can fix it by deleting the secret (immutable)", () => {
    const failed = (kind: string): NamespaceOutcome => outcome({ secret: WriteResult.failed, error: { kind, message: "m" } });
    assert.equal(worthRetrying(failed("transient")), true);
    assert.equal(worthRetrying(failed("forbidden")), true);
    assert.equal(worthRetrying(failed("immutable")), false);
    assert.equal(worthRetrying(outcome()), false);
  });

  test("result kinds and whether anything changed", () => {
    assert.equal(resultKind(outcome()), "created");
    assert.equal(resultKind(outcome({ secret: WriteResult.unchanged, plan: plan(SecretAction.skipFresh) })), "fresh");
    assert.equal(resultKind(outcome({ secret: WriteResult.failed })), "failed");
    assert.equal(changedAnything(outcome({ secret: WriteResult.unchanged, patchedServiceAccounts: ["default"] })), true);
    assert.equal(changedAnything(outcome({ secret: WriteResult.unchanged })), false);
  });
});
