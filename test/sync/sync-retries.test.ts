// Writes that the real API server refuses for a while: 500 (a failing admission webhook) and
// 429 (a webhook denying with that code). The sync retries them with backoff and succeeds;
// when they never stop, it gives up on that namespace alone, after its four attempts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { auditMark, ourCallsSince } from "../support/audit.ts";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import { startSecretWebhook, type SecretWebhook, type Verdict } from "../support/webhook.ts";

const { core } = adminClients();

describe("retries against a refusing API server", () => {
  const prefix = uniqueName("retry");
  const label = { "ecr-test-webhook": prefix };
  let webhook: SecretWebhook;
  /** The verdict for each write; set per test. */
  let decide: (namespace: string, attempt: number) => Verdict = () => ({ kind: "allow" });
  const attempts = new Map<string, number>();

  before(async () => {
    await emulator().reset();
    webhook = await startSecretWebhook(prefix, label, (request) => {
      const key = `${request.namespace}/${request.operation}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      return decide(request.namespace ?? "", attempt);
    });
  });

  after(() => webhook.stop());

  async function namespaces(name: string, count: number): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${name}-${i}`);
    await createNamespaces(core, names, label);
    return names;
  }

  test("a 500 on the first write of each namespace is retried, and every secret is written", async () => {
    const names = await namespaces("e500", 3);
    decide = (_, attempt) => (attempt === 1 ? { kind: "fail" } : { kind: "allow" });
    const mark = auditMark();
    const result = await runCli(["sync", "--namespaces", `${prefix}-e500-*`]);
    assert.equal(result.code, 0, result.stderr);
    for (const name of names) {
      assert.ok(await readSecret(core, name), `no secret in ${name}`);
      assert.equal(attempts.get(`${name}/CREATE`), 2, `${name}: one refused create, one accepted`);
    }
    const creates = ourCallsSince(mark).filter((e) => e.verb === "create" && e.objectRef?.resource === "secrets");
    assert.deepEqual(creates.map((e) => e.responseStatus?.code).sort(), [201, 201, 201, 500, 500, 500], "the API server itself answered 500, then 201");
  });

  test("a 429 is retried the same way", async () => {
    const names = await namespaces("e429", 2);
    decide = (_, attempt) => (attempt === 1 ? { kind: "deny", code: 429, message: "too many requests, slow down" } : { kind: "allow" });
    const mark = auditMark();
    const result = await runCli(["sync", "--namespaces", `${prefix}-e429-*`]);
    assert.equal(result.code, 0, result.stderr);
    for (const name of names) assert.ok(await readSecret(core, name), `no secret in ${name}`);
    const codes = ourCallsSince(mark).filter((e) => e.verb === "create" && e.objectRef?.resource === "secrets").map((e) => e.responseStatus?.code);
    assert.deepEqual(codes.sort(), [201, 201, 429, 429]);
  });

  test("a namespace refused every time fails alone after four attempts; the others are written", async () => {
    const [refused = "", ...fine] = await namespaces("always", 3);
    decide = (namespace) => (namespace === refused ? { kind: "fail" } : { kind: "allow" });
    const result = await runCli(["sync", "--namespaces", `${prefix}-always-*`]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(attempts.get(`${refused}/CREATE`), 4);
    assert.equal(await readSecret(core, refused), undefined);
    for (const name of fine) assert.ok(await readSecret(core, name), `no secret in ${name}`);
    const lines = result.stderr.split("\n").filter((line) => line.includes(refused));
    assert.ok(lines.some((line) => /"level":50/.test(line)), `no error line for ${refused}:\n${result.stderr}`);
  });

  test("a 403 is not retried: it will not change by waiting", async () => {
    const [name = ""] = await namespaces("e403", 1);
    decide = () => ({ kind: "deny", code: 403, message: "not here" });
    const result = await runCli(["sync", "--namespaces", name]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(attempts.get(`${name}/CREATE`), 1);
  });
});
