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

describe("sync writes the pull secret", () => {
  const names = [uniqueName("basic-a"), uniqueName("basic-b"), uniqueName("basic-c")];

  before(async () => {
    await control.reset();
    await createNamespaces(core, names);
  });

  test("creates a dockerconfigjson secret in every TARGET_NAMESPACES namespace", async () => {
    const result = await runCli(["sync"], { TARGET_NAMESPACES: names.join(" ") });
    assert.equal(result.code, 0, result.stderr);
    const issued = (await control.issued()).tokens;
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
    const before = await Promise.all(names.map((ns) => readSecret(core, ns)));
    const callsBefore = await ecrPublicCalls(control);
    const result = await runCli(["sync"], { TARGET_NAMESPACES: names.join(" ") });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await ecrPublicCalls(control), callsBefore, "no token request");
    const after = await Promise.all(names.map((ns) => readSecret(core, ns)));
    assert.deepEqual(after.map((s) => s?.metadata?.resourceVersion), before.map((s) => s?.metadata?.resourceVersion));
    assert.match(String(logLines(result).at(-1)?.["msg"]), /3 fresh; no token request/);
  });

  test("a secret close to expiry is refreshed in place", async () => {
    const before = await readSecret(core, names[0] ?? "");
    // A 13 h refresh window is not allowed, so make the token look old instead: 1 s window
    // with a token that has 2 s left would be racy; use --refresh-before just under 12 h.
    const result = await runCli(["sync", "--refresh-before", "11h59m59s"], { TARGET_NAMESPACES: names.join(" ") });
    assert.equal(result.code, 0, result.stderr);
    const after = await readSecret(core, names[0] ?? "");
    assert.equal(after?.metadata?.uid, before?.metadata?.uid, "same object: updated, not re-created");
    assert.notEqual(after?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
    assert.notDeepEqual(dockerConfig(after), dockerConfig(before), "new token written");
  });

  test("no token, password or auth value ever reaches the output", async () => {
    const { tokens } = await control.issued();
    assert.ok(tokens.length >= 2);
    const output = allOutput.join("\n");
    for (const t of tokens) {
      assert.ok(t.password && !output.includes(t.password), "password leaked");
      assert.ok(!output.includes(t.authorizationToken), "token leaked");
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
