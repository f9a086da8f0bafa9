// Writes that the real API server refuses for a while: 500 (a failing admission webhook) and
// 429 (a webhook denying with that code). The sync retries them with backoff and succeeds;
// when they never stop, it gives up on that namespace alone, after its four attempts. And a
// conflict (another writer between our read and our write) is re-planned, not re-done.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { auditMark, ourCallsSince } from "../support/audit.ts";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { logLines, runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, readSecret, uniqueName } from "../support/kube.ts";
import { startSecretWebhook, type SecretWebhook, type Verdict } from "../support/webhook.ts";

const { core } = adminClients();

describe("retries against a refusing API server", () => {
  const prefix = uniqueName("retry");
  const label = { "ecr-test-webhook": prefix };
  let webhook: SecretWebhook;
  /** The verdict for each write; set per test. */
  let decide: (namespace: string, attempt: number, operation: string) => Verdict | Promise<Verdict> = () => ({ kind: "allow" });
  const attempts = new Map<string, number>();

  before(async () => {
    await emulator().reset();
    webhook = await startSecretWebhook(prefix, label, (request) => {
      const key = `${request.namespace}/${request.operation}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      return decide(request.namespace ?? "", attempt, request.operation);
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
    const codes = ourCallsSince(mark)
      .filter((e) => e.verb === "create" && e.objectRef?.resource === "secrets")
      .map((e) => e.responseStatus?.code);
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
    assert.ok(
      lines.some((line) => /"level":50/.test(line)),
      `no error line for ${refused}:\n${result.stderr}`,
    );
  });

  test("a 403 is not retried: it will not change by waiting", async () => {
    const [name = ""] = await namespaces("e403", 1);
    decide = () => ({ kind: "deny", code: 403, message: "not here" });
    const result = await runCli(["sync", "--namespaces", name]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(attempts.get(`${name}/CREATE`), 1);
  });

  test("a service account changed while the secret is written is re-read and patched; the secret is not written twice", async () => {
    const [name = ""] = await namespaces("conflict", 1);
    await createServiceAccount(core, name, "default", ["vendor"]);
    decide = () => ({ kind: "allow" });
    assert.equal((await runCli(["sync", "--namespaces", name])).code, 0, "first sync: the secret only");
    // While our forced update of the secret is being admitted, another writer changes the
    // service account, so the patch we planned carries a stale resourceVersion and gets 409.
    decide = async (_, __, operation) => {
      if (operation === "UPDATE") {
        await core.patchNamespacedServiceAccount(
          { name: "default", namespace: name, body: { metadata: { annotations: { "other-tool/touched": "yes" } } } },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
      }
      return { kind: "allow" };
    };
    const result = await runCli(["sync", "--namespaces", name, "--service-accounts", "default", "--force"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(attempts.get(`${name}/UPDATE`), 1, "the secret was replaced once, not again after the re-plan");
    const sa = await core.readNamespacedServiceAccount({ name: "default", namespace: name });
    assert.deepEqual(
      sa.imagePullSecrets?.map((r) => r.name),
      ["vendor", "ecr-public-token"],
    );
    assert.equal(sa.metadata?.annotations?.["other-tool/touched"], "yes", "the other writer's change is kept");
    const done = logLines(result).find((l) => /^sync done/.test(String(l["msg"])));
    assert.match(String(done?.["msg"]), /1 updated; 1 service accounts patched/, "the outcome counts the write that happened");
  });
});
