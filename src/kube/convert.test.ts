import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toObservedSecret, toObservedServiceAccount } from "./convert.ts";

describe("toObservedServiceAccount", () => {
  test('an imagePullSecrets entry without a name is kept as "", in its place', () => {
    const sa = toObservedServiceAccount({
      metadata: { namespace: "ns", name: "default", resourceVersion: "3" },
      imagePullSecrets: [{ name: "a" }, {}, { name: "" }, { name: "b" }],
    });
    assert.deepEqual(sa.imagePullSecrets, ["a", "", "", "b"]);
  });

  test("no imagePullSecrets is an empty list", () => {
    assert.deepEqual(toObservedServiceAccount({ metadata: { name: "x" } }).imagePullSecrets, []);
  });
});

describe("toObservedSecret", () => {
  test("decodes .dockerconfigjson whole, others' entries included, for the merge", () => {
    const json = '{"auths":{"ghcr.io":{"auth":"eA=="},"public.ecr.aws":{"auth":"eQ=="}}}';
    const secret = toObservedSecret({
      metadata: { namespace: "ns", name: "s", resourceVersion: "1" },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": Buffer.from(json).toString("base64") },
    });
    assert.equal(secret.dockerConfigJson, json);
  });
});
