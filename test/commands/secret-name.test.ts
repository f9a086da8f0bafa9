// The secret name is checked as the API server checks it (an RFC 1123 subdomain), once, before
// anything else: a name Kubernetes refuses must not cost a token request and then fail in
// every namespace.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { freePort } from "../testenv/processes.ts";
import { runCli } from "../support/cli.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";

const nameOf = (secretName: string): string => parseConfig(["sync", "-A", "--secret-name", secretName], {}).secretName;

function refusal(secretName: string): string {
  try {
    nameOf(secretName);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`"${secretName}" was accepted`);
}

describe("--secret-name", () => {
  const refused: Array<[string, string]> = [
    ["a..b", "an empty label"],
    ["a.-b", "a label starting with '-'"],
    ["a-.b", "a label ending with '-'"],
    ["-a", "starting with '-'"],
    ["a-", "ending with '-'"],
    [".a", "starting with '.'"],
    ["a.", "ending with '.'"],
    ["Pull-Secret", "uppercase"],
    ["pull_secret", "an underscore"],
    ["", "empty"],
  ];
  for (const [name, why] of refused) {
    test(`refuses "${name}" (${why}) with one line`, () => {
      assert.equal(refusal(name), "--secret-name: must be a valid Kubernetes secret name");
    });
  }

  test("refuses more than 253 characters with one line that says so", () => {
    assert.equal(refusal("a".repeat(254)), "--secret-name: must be a valid Kubernetes secret name: at most 253 characters");
  });

  const accepted = ["a", "0", "ecr-public-token", "pull.secret", "a.b-c.d0", "a--b", "x".repeat(253), `${"a".repeat(63)}.${"b".repeat(189)}`];
  for (const name of accepted) {
    test(`accepts "${name.length > 20 ? `${name.slice(0, 8)}… (${name.length})` : name}"`, () => assert.equal(nameOf(name), name));
  }

  test("sync with a name Kubernetes refuses: exit 2, one line, no AWS call, nothing written", async () => {
    const { core } = adminClients();
    const ns = uniqueName("bad-secret-name");
    await createNamespaces(core, [ns]);
    // Were AWS asked, the refused port would end the run with exit 3 and another line.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(["sync", "-n", ns, "--secret-name", "a..b"], {
      AWS_ENDPOINT_URL_ECR_PUBLIC: nowhere,
      AWS_ENDPOINT_URL_STS: nowhere,
      AWS_ENDPOINT_URL_ECR: nowhere,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(
      result.stderr.split("\n").filter((line) => line.trim() !== ""),
      ["error: --secret-name: must be a valid Kubernetes secret name"],
    );
    assert.equal(result.stdout, "");
    assert.equal(await readSecret(core, ns, "a..b").catch(() => undefined), undefined);
    assert.deepEqual(
      (await core.listNamespacedSecret({ namespace: ns })).items.map((s) => s.metadata?.name),
      [],
    );
  });
});
