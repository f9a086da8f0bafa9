import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { desiredSecret, entriesKept } from "./secret.ts";
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

  describe("registry entries of others", () => {
    const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const ghcr = '{"username":"bot","password":"ghp_x","auth":"Ym90OmdocF94"}';
    const current = `{"auths":{"ghcr.io":${ghcr},"${privateHost}":{"auth":"b2xk"},"public.ecr.aws":{"auth":"b2xk"}}}`;
    const observed = (annotations: Record<string, string>) => ({
      resourceVersion: "9",
      labels: {},
      annotations,
      registries: ["ghcr.io", privateHost, "public.ecr.aws"],
    });
    const configOf = (annotations: Record<string, string>) =>
      Buffer.from(desiredSecret("s", "ns", publicToken, observed(annotations), current).data[".dockerconfigjson"], "base64").toString("utf8");

    test("kept as they are; a host we recorded and no longer write is removed; the record names only ours", () => {
      const recorded = { "ecr-public-creds-helper/registries": `${privateHost},public.ecr.aws` };
      const config = configOf(recorded);
      assert.ok(config.includes(`"ghcr.io":${ghcr}`), config);
      assert.deepEqual(Object.keys(JSON.parse(config).auths), ["ghcr.io", "public.ecr.aws"]);
      assert.equal(JSON.parse(config).auths["public.ecr.aws"].password, password);
      const secret = desiredSecret("s", "ns", publicToken, observed(recorded), current);
      assert.equal(secret.metadata.annotations["ecr-public-creds-helper/registries"], "public.ecr.aws");
    });

    test("a host not in our record stays, even an ECR one", () => {
      assert.deepEqual(Object.keys(JSON.parse(configOf({ "ecr-public-creds-helper/registries": "public.ecr.aws" })).auths), [
        "ghcr.io",
        privateHost,
        "public.ecr.aws",
      ]);
    });

    test("written by an older version (no record): the ECR hosts are ours", () => {
      assert.deepEqual(Object.keys(JSON.parse(configOf({})).auths), ["ghcr.io", "public.ecr.aws"]);
    });

    test("a new secret starts from nothing, whatever `current` says", () => {
      const created = desiredSecret("s", "ns", publicToken, undefined, current);
      assert.deepEqual(Object.keys(decodeConfig(created.data[".dockerconfigjson"]) as object), ["auths"]);
      assert.deepEqual(Object.keys((decodeConfig(created.data[".dockerconfigjson"]) as { auths: object }).auths), ["public.ecr.aws"]);
    });

    const keptCases: Array<[string, Record<string, string>, readonly string[] | undefined, string[]]> = [
      ["only ours: nothing to carry over", { "ecr-public-creds-helper/registries": "public.ecr.aws" }, ["public.ecr.aws"], []],
      ["ghcr.io beside ours", { "ecr-public-creds-helper/registries": "public.ecr.aws" }, ["ghcr.io", "public.ecr.aws"], ["ghcr.io"]],
      ["older version: ECR hosts are ours", {}, [privateHost, "public.ecr.aws"], []],
      ["unreadable data: nothing to keep", {}, undefined, []],
    ];
    for (const [name, annotations, registries, kept] of keptCases) {
      test(`entriesKept: ${name}`, () =>
        assert.deepEqual(entriesKept({ resourceVersion: "1", labels: {}, annotations, ...(registries ? { registries } : {}) }, publicToken), kept));
    }
  });
});
