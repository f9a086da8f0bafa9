import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseLabelSelector } from "./label-selector.ts";
import { managedByLabel, managedByValue, expiresAtAnnotation, dockerConfigJsonType } from "./managed.ts";
import { plannedKind } from "./outcome.ts";
import { desiredStateFrom, planSync } from "./sync-plan.ts";
import type { ClusterSnapshot, NamespaceInfo, ObservedSecret } from "./types.ts";

const now = new Date("2026-11-27T12:00:00Z");
const ns = (name: string, terminating = false): NamespaceInfo => ({ name, labels: {}, annotations: {}, terminating });
const ours = (namespace: string, expiresInH: number): ObservedSecret => ({
  namespace,
  name: "ecr-public-token",
  resourceVersion: "7",
  type: dockerConfigJsonType,
  labels: { [managedByLabel]: managedByValue },
  annotations: { [expiresAtAnnotation]: new Date(now.getTime() + expiresInH * 3_600_000).toISOString() },
  dockerConfigJson: '{"auths":{"public.ecr.aws":{}}}',
});

describe("planSync", () => {
  const desired = desiredStateFrom({ secretName: "ecr-public-token", refreshBeforeMs: 6 * 3_600_000, force: false, adopt: false, serviceAccounts: [] }, [
    "public.ecr.aws",
  ]);
  const snapshot: ClusterSnapshot = {
    namespaces: [ns("b"), ns("a"), ns("dying", true), ns("stale")],
    secrets: new Map([
      ["a", ours("a", 11)],
      ["stale", ours("stale", 2)],
    ]),
    serviceAccounts: new Map(),
  };

  test("one plan per selected, terminating and missing namespace, sorted by name", () => {
    const selection = { include: ["a", "b", "dying", "stale", "ghost"], all: false, exclude: [], labelSelector: parseLabelSelector("") };
    const plans = planSync({ selection }, snapshot, desired, now);
    assert.deepEqual(
      plans.map((p) => [p.namespace, p.secret]),
      [
        ["a", "skip-fresh"],
        ["b", "create"],
        ["dying", "skip-terminating"],
        ["ghost", "missing-namespace"],
        ["stale", "update"],
      ],
    );
    assert.deepEqual(
      plans.map((p) => plannedKind(p.secret)),
      ["fresh", "planned", "terminating", "missing", "planned"],
    );
  });

  test("nothing selected gives no plans", () => {
    const selection = { include: ["zzz-*"], all: false, exclude: [], labelSelector: parseLabelSelector("") };
    assert.deepEqual(planSync({ selection }, snapshot, desired, now), []);
  });
});
