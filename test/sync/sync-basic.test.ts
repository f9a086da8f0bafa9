// `sync` against the real API server and the AWS emulator: what it writes, and that a second
// run right after the first neither asks AWS nor writes.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { before, describe, test } from "node:test";
import { allOutput, logLines, runCli } from "../support/cli.ts";
import { ecrPublicCalls, emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { kubeConfig, testenvVars, var_ } from "../support/testenv.ts";

const { core } = adminClients();
const control = emulator();

/** Namespaces of its own for one test, with one sync already run over them. */
async function syncedNamespaces(prefix: string, count = 1): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => uniqueName(`${prefix}-${i}`));
  await createNamespaces(core, names);
  const result = await runCli(["sync"], { TARGET_NAMESPACES: names.join(" ") });
  assert.equal(result.code, 0, result.stderr);
  return names;
}

describe("sync writes the pull secret", () => {
  before(async () => {
    await control.reset();
  });

  test("creates a dockerconfigjson secret in every TARGET_NAMESPACES namespace", async () => {
    const names = [uniqueName("basic-a"), uniqueName("basic-b"), uniqueName("basic-c")];
    await createNamespaces(core, names);
    const issuedBefore = (await control.issued()).tokens.length;
    const result = await runCli(["sync"], { TARGET_NAMESPACES: names.join(" ") });
    assert.equal(result.code, 0, result.stderr);
    const issued = (await control.issued()).tokens.slice(issuedBefore);
    assert.equal(issued.length, 1, "one token request for all namespaces");
    const token = issued[0];
    assert.ok(token?.password);
    assert.equal(token.region, "us-east-1", "ECR Public is asked in us-east-1 although AWS_REGION is eu-west-1");
    for (const ns of names) {
      const secret = await readSecret(core, ns);
      assert.equal(secret?.type, "kubernetes.io/dockerconfigjson");
      assert.equal(secret?.metadata?.labels?.["app.kubernetes.io/managed-by"], "ecr-public-creds-helper");
      assert.equal(secret?.metadata?.annotations?.["ecr-public-creds-helper/expires-at"], new Date(token.expiresAt * 1000).toISOString());
      const entry = dockerConfig(secret).auths["public.ecr.aws"];
      assert.deepEqual(entry, {
        username: "AWS",
        password: token.password,
        auth: Buffer.from(`AWS:${token.password}`).toString("base64"),
      });
    }
    const summary = logLines(result).at(-1);
    assert.match(String(summary?.["msg"]), /3 namespaces: 3 created; 1 token request/);
  });

  test("a second run right after makes no AWS call and no write", async () => {
    const names = await syncedNamespaces("again", 3);
    const before = await Promise.all(names.map((ns) => readSecret(core, ns)));
    const callsBefore = await ecrPublicCalls(control);
    const result = await runCli(["sync"], { TARGET_NAMESPACES: names.join(" ") });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await ecrPublicCalls(control), callsBefore, "no token request");
    const after = await Promise.all(names.map((ns) => readSecret(core, ns)));
    assert.deepEqual(
      after.map((s) => s?.metadata?.resourceVersion),
      before.map((s) => s?.metadata?.resourceVersion),
    );
    assert.match(String(logLines(result).at(-1)?.["msg"]), /3 fresh; no token request/);
  });

  test("a secret whose token expires within --refresh-before is refreshed in place, whatever the time between runs", async () => {
    // A 1-hour token inside a 2-hour refresh window is due however fast or slow the machine is.
    await control.configure({ tokenLifetimeSeconds: 3_600 });
    try {
      const [ns = ""] = await syncedNamespaces("refresh");
      const before = await readSecret(core, ns);
      const issuedBefore = (await control.issued()).tokens.length;
      const result = await runCli(["sync", "--refresh-before", "2h"], { TARGET_NAMESPACES: ns });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await control.issued()).tokens.length, issuedBefore + 1, "one new token");
      const after = await readSecret(core, ns);
      assert.equal(after?.metadata?.uid, before?.metadata?.uid, "same object: updated, not re-created");
      assert.notEqual(after?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
      assert.notDeepEqual(dockerConfig(after), dockerConfig(before), "new token written");
      assert.match(String(logLines(result).at(-1)?.["msg"]), /1 namespaces: 1 updated; 1 token request/);
    } finally {
      await control.reset();
    }
  });

  test("no token, password or auth value reaches the output of a create and a forced update", async () => {
    const outputBefore = allOutput.length;
    const issuedBefore = (await control.issued()).tokens.length;
    const [ns = ""] = await syncedNamespaces("noleak");
    const forced = await runCli(["sync", "--force"], { TARGET_NAMESPACES: ns });
    assert.equal(forced.code, 0, forced.stderr);
    const tokens = (await control.issued()).tokens.slice(issuedBefore);
    assert.equal(tokens.length, 2, "this test's create and forced update each got a token");
    const output = allOutput.slice(outputBefore).join("\n");
    assert.ok(output.length > 0, "the runs' output was captured");
    for (const t of tokens) {
      assert.ok(t.password && !output.includes(t.password), "password leaked");
      assert.ok(!output.includes(t.authorizationToken), "token leaked");
      assert.ok(!output.includes(Buffer.from(`AWS:${t.password}`).toString("base64")), "auth value leaked");
    }
  });

  test("KUBECONFIG may be a path list, as kubectl takes it: merged, the first file's context wins", async () => {
    const ns = uniqueName("kclist");
    await createNamespaces(core, [ns]);
    const real = var_(testenvVars(), "KUBECONFIG");
    const context = kubeConfig().getCurrentContext();
    // First in the list: a file that only names the context; the cluster and user are in the second.
    const dir = await mkdtemp(join(tmpdir(), "kclist-"));
    const first = join(dir, "context-only");
    await writeFile(first, JSON.stringify({ apiVersion: "v1", kind: "Config", "current-context": context, clusters: [], users: [], contexts: [] }));
    const result = await runCli(["sync"], { TARGET_NAMESPACES: ns, KUBECONFIG: `${first}${delimiter}${real}` });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(await readSecret(core, ns));
  });
});
