import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { desiredSecret } from "./secret.ts";
import type { RegistryToken } from "./types.ts";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const password = "eyJwYXlsb2FkIjoi-secret-password";
const expiresAt = new Date("2025-06-02T00:00:00Z");
const publicToken: RegistryToken = {
  credentials: [{ server: "public.ecr.aws", username: "AWS", password }],
  expiresAt,
};

function decodeConfig(data: string): unknown {
  return JSON.parse(Buffer.from(data, "base64").toString("utf8"));
}

describe("desiredSecret", () => {
  test("a new secret: our label, annotations, type and data, no resourceVersion", () => {
    const secret = desiredSecret("ecr-public-token", "team-a", publicToken);
    assert.deepEqual(secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "ecr-public-token",
        namespace: "team-a",
        labels: { "app.kubernetes.io/managed-by": "ecr-public-creds-helper" },
        annotations: {
          "ecr-public-creds-helper/expires-at": "2025-06-02T00:00:00.000Z",
          "ecr-public-creds-helper/registries": "public.ecr.aws",
        },
      },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": secret.data[".dockerconfigjson"] },
    });
    assert.ok(!("resourceVersion" in secret.metadata));
  });

  test(".dockerconfigjson decodes to the auths kubelet reads", () => {
    const secret = desiredSecret("s", "ns", publicToken);
    assert.deepEqual(decodeConfig(secret.data[".dockerconfigjson"]), {
      auths: { "public.ecr.aws": { username: "AWS", password, auth: b64(`AWS:${password}`) } },
    });
  });

  test("keeps others' labels and annotations, sets ours over stale values, carries resourceVersion", () => {
    const secret = desiredSecret("s", "ns", publicToken, {
      resourceVersion: "4711",
      labels: { team: "a", "app.kubernetes.io/managed-by": "someone-else" },
      annotations: {
        "example.com/owner": "bob",
        "ecr-public-creds-helper/expires-at": "2000-01-01T00:00:00.000Z",
        "ecr-public-creds-helper/registries": "old.example",
      },
    });
    assert.equal(secret.metadata.resourceVersion, "4711");
    assert.deepEqual(secret.metadata.labels, { team: "a", "app.kubernetes.io/managed-by": "ecr-public-creds-helper" });
    assert.deepEqual(secret.metadata.annotations, {
      "example.com/owner": "bob",
      "ecr-public-creds-helper/expires-at": "2025-06-02T00:00:00.000Z",
      "ecr-public-creds-helper/registries": "public.ecr.aws",
    });
  });

  test("does not modify the observed metadata", () => {
    const observed = { resourceVersion: "1", labels: { team: "a" }, annotations: { x: "y" } };
    desiredSecret("s", "ns", publicToken, observed);
    assert.deepEqual(observed, { resourceVersion: "1", labels: { team: "a" }, annotations: { x: "y" } });
  });

  test("several registries: sorted in the annotation, all in the data", () => {
    const token: RegistryToken = {
      expiresAt,
      credentials: [
        { server: "public.ecr.aws", username: "AWS", password: "p1" },
        { server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", username: "AWS", password: "p2" },
      ],
    };
    const secret = desiredSecret("s", "ns", token);
    assert.equal(secret.metadata.annotations["ecr-public-creds-helper/registries"], "123456789012.dkr.ecr.eu-west-1.amazonaws.com,public.ecr.aws");
    assert.deepEqual(decodeConfig(secret.data[".dockerconfigjson"]), {
      auths: {
        "public.ecr.aws": { username: "AWS", password: "p1", auth: b64("AWS:p1") },
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com": { username: "AWS", password: "p2", auth: b64("AWS:p2") },
      },
    });
    assert.deepEqual(
      token.credentials.map((c) => c.server),
      ["public.ecr.aws", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
    );
  });
});
