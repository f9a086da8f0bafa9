import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { missingNamespacePlan, SecretAction, type NamespacePlan } from "./plan.ts";
import { clusterWideQuestions, describeWrite, namespacedQuestions, refusedWrites, writesNeeded, type WriteNeed } from "./write-access.ts";

const name = "ecr-public-token";

function plan(secret: NamespacePlan["secret"], patch: string[] = []): NamespacePlan {
  return {
    namespace: "ns",
    secret,
    reason: "",
    patchServiceAccounts: patch.map((sa) => ({ name: sa, resourceVersion: "1", imagePullSecrets: [name] })),
    missingServiceAccounts: [],
  };
}

const create: WriteNeed = { verb: "create", resource: "secrets" };
const update: WriteNeed = { verb: "update", resource: "secrets", name };
const patchDefault: WriteNeed = { verb: "patch", resource: "serviceaccounts", name: "default" };

describe("writesNeeded", () => {
  test("create when missing, update when ours (fresh too: it is refreshed later), patch per service account; none where we stay out", () => {
    assert.deepEqual(writesNeeded(plan(SecretAction.create, ["default"]), name), [create, patchDefault]);
    assert.deepEqual(writesNeeded(plan(SecretAction.update), name), [update]);
    assert.deepEqual(writesNeeded(plan(SecretAction.skipFresh), name), [update]);
    assert.deepEqual(writesNeeded(plan(SecretAction.adopt), name), [update]);
    for (const action of [SecretAction.skipForeign, SecretAction.skipTerminating]) assert.deepEqual(writesNeeded(plan(action), name), [], action);
    assert.deepEqual(writesNeeded(missingNamespacePlan("gone"), name), []);
  });
});

describe("two rounds of questions", () => {
  const needs = new Map<string, WriteNeed[]>([
    ["a", [create, patchDefault]],
    ["b", [update]],
    ["c", [update, patchDefault]],
    ["d", []],
  ]);

  test("first each kind once, for all namespaces, however many namespaces need it", () => {
    assert.deepEqual(clusterWideQuestions(needs).map(describeWrite), ["create secrets", "patch serviceaccounts/default", "update secrets/ecr-public-token"]);
    assert.ok(clusterWideQuestions(needs).every((q) => q.namespace === undefined));
    assert.deepEqual(clusterWideQuestions(new Map([["d", []]])), []);
  });

  test("allowed everywhere: no second round", () => {
    const answers = clusterWideQuestions(needs).map((question) => ({ question, allowed: true }));
    assert.deepEqual(namespacedQuestions(needs, answers), []);
  });

  test("a kind refused cluster-wide is asked again in each namespace that needs it, and only that kind", () => {
    const answers = clusterWideQuestions(needs).map((question) => ({ question, allowed: question.verb !== "update" }));
    assert.deepEqual(namespacedQuestions(needs, answers), [
      { ...update, namespace: "b" },
      { ...update, namespace: "c" },
    ]);
  });

  test("refusedWrites: per namespace what was refused there; allowed and cluster-wide answers ignored", () => {
    const refused = refusedWrites([
      { question: { ...update, namespace: "b" }, allowed: true },
      { question: { ...update, namespace: "c" }, allowed: false },
      { question: { ...patchDefault, namespace: "c" }, allowed: false },
      { question: update, allowed: false },
    ]);
    assert.deepEqual([...refused], [["c", [update, patchDefault]]]);
  });
});
