// `status` and `doctor` against the real API server and the AWS emulator.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { allOutput, runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, uniqueName } from "../support/kube.ts";
import { testenvVars, var_ } from "../support/testenv.ts";

const { core } = adminClients();
const control = emulator();

describe("status", () => {
  const prefix = uniqueName("status");
  const [synced, fresh, foreign] = [`${prefix}-synced`, `${prefix}-new`, `${prefix}-foreign`];

  before(async () => {
    await control.reset();
    await createNamespaces(core, [synced, fresh, foreign]);
    await createServiceAccount(core, synced, "default");
    await core.createNamespacedSecret({ namespace: foreign, body: { metadata: { name: "ecr-public-token" }, stringData: { a: "b" } } });
    assert.equal((await runCli(["sync", "--service-accounts", "default"], { TARGET_NAMESPACES: synced })).code, 0);
  });

  test("shows each namespace's state without asking AWS; exit 1 when something needs doing", async () => {
    const calls = (await control.calls())["ecr-public:GetAuthorizationToken"].total;
    const result = await runCli(["status", "--namespaces", `${prefix}-*,${prefix}-gone`, "--service-accounts", "default"]);
    assert.equal(result.code, 1, result.stderr);
    const rows = new Map(
      result.stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => [line.split(/\s+/)[0], line]),
    );
    assert.match(rows.get(synced) ?? "", /\bok\s+in 1[12]h\d*m?\s+public\.ecr\.aws\s+ok$/);
    assert.match(rows.get(fresh) ?? "", /\bmissing\s+-\s+-\s+default \(missing\)$/);
    assert.match(rows.get(foreign) ?? "", /\bforeign\b/);
    assert.match(rows.get(`${prefix}-gone`) ?? "", /\bno-namespace\b/);
    assert.equal((await control.calls())["ecr-public:GetAuthorizationToken"].total, calls, "no AWS call");
  });

  test("exit 0 when every selected namespace is fine", async () => {
    const result = await runCli(["status", "--namespaces", synced, "--service-accounts", "default"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
});

describe("doctor", () => {
  const ns = uniqueName("doctor");
  before(async () => {
    await control.reset();
    await createNamespaces(core, [ns]);
  });

  test("all checks pass for the admin with working AWS credentials", async () => {
    const result = await runCli(["doctor", "--namespaces", ns, "--service-accounts", "default"]);
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /^ok\s+Kubernetes API server https:\/\/127\.0\.0\.1:\d+ answers \(v1\.37\.2\)$/m);
    assert.match(result.stdout, /^ok\s+RBAC: may create secrets in /m);
    assert.match(result.stdout, /^ok\s+AWS: token obtained for public\.ecr\.aws, expires in 12h$/m);
    assert.match(result.stdout, /^ok\s+pods: none stuck pulling from ECR registries in 1 namespace$/m);
    assert.doesNotMatch(result.stdout, /^FAIL/m);
  });

  test("says which permission is missing for an unprivileged user, and which AWS problem", async () => {
    const result = await runCli(["doctor", "--namespaces", ns, "--kubeconfig", var_(testenvVars(), "TESTENV_KUBECONFIG_USER")], {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
    });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^FAIL\s+RBAC: may list namespaces \(all namespaces\) — no; apply deploy\/base\/rbac\.yaml/m);
    assert.match(result.stdout, /^FAIL\s+AWS: no AWS credentials found/m);
    assert.match(result.stdout, new RegExp(`^FAIL  pods: doctor may not list pods in ${ns} — `, "m"));
  });

  test("writes nothing and prints no token", async () => {
    assert.equal((await core.listNamespacedSecret({ namespace: ns })).items.length, 0);
    const output = allOutput.join("\n");
    for (const t of (await control.issued()).tokens) assert.ok(t.password && !output.includes(t.password));
  });
});
