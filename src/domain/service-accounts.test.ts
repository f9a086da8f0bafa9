import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mergeImagePullSecrets, removeImagePullSecret, serviceAccountsToPatch } from "./service-accounts.ts";
import type { ObservedServiceAccount } from "./types.ts";

const sa = (name: string, imagePullSecrets: string[] = []): ObservedServiceAccount => ({
  namespace: "ns",
  name,
  resourceVersion: `rv-${name}`,
  imagePullSecrets,
});

describe("mergeImagePullSecrets", () => {
  test("appends ours after existing entries, in order", () => {
    assert.deepEqual(mergeImagePullSecrets(["b", "a"], "ours"), ["b", "a", "ours"]);
    assert.deepEqual(mergeImagePullSecrets([], "ours"), ["ours"]);
  });

  test("adds ours once: unchanged when present", () => {
    assert.deepEqual(mergeImagePullSecrets(["a", "ours", "b"], "ours"), ["a", "ours", "b"]);
  });

  test("returns a new array, leaving the input alone", () => {
    const existing = ["a"];
    const merged = mergeImagePullSecrets(existing, "a");
    assert.notEqual(merged, existing);
    mergeImagePullSecrets(existing, "ours");
    assert.deepEqual(existing, ["a"]);
  });
});

describe("removeImagePullSecret", () => {
  test("removes ours and keeps the rest in order", () => {
    assert.deepEqual(removeImagePullSecret(["a", "ours", "b", "ours"], "ours"), ["a", "b"]);
    assert.deepEqual(removeImagePullSecret(["a", "b"], "ours"), ["a", "b"]);
  });
});

describe("serviceAccountsToPatch", () => {
  const present = [sa("default"), sa("builder"), sa("deployer")];

  test("finds named ones in wanted order and reports missing", () => {
    const { found, missing } = serviceAccountsToPatch(["deployer", "ghost", "default", "phantom"], present);
    assert.deepEqual(
      found.map((s) => s.name),
      ["deployer", "default"],
    );
    assert.deepEqual(missing, ["ghost", "phantom"]);
  });

  test('"*" means every service account, none missing', () => {
    const { found, missing } = serviceAccountsToPatch(["*"], present);
    assert.deepEqual(
      found.map((s) => s.name),
      ["default", "builder", "deployer"],
    );
    assert.deepEqual(missing, []);
  });

  test("nothing wanted, nothing found", () => {
    assert.deepEqual(serviceAccountsToPatch([], present), { found: [], missing: [] });
  });

  test("all missing in an empty namespace", () => {
    assert.deepEqual(serviceAccountsToPatch(["default"], []), { found: [], missing: ["default"] });
  });
});

describe("entries without a name", () => {
  test("are kept, in place, when ours is added or removed", () => {
    assert.deepEqual(mergeImagePullSecrets(["a", "", "b", ""], "ours"), ["a", "", "b", "", "ours"]);
    assert.deepEqual(removeImagePullSecret(["", "ours", "a", ""], "ours"), ["", "a", ""]);
  });
});
