// Nothing lost: no delete/create gap, foreign secrets untouched, other tools' service-account
// entries kept, terminating and missing namespaces handled without stopping the others.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Watch } from "@kubernetes/client-node";
import { logLines, runCli } from "../support/cli.ts";
import { ecrPublicCalls, emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";

const { core, kc } = adminClients();
const control = emulator();

describe("sync loses nothing", () => {
  before(async () => {
    await control.reset();
  });

  test("a forced re-sync updates in place: a watch sees no DELETED event", async () => {
    const ns = uniqueName("nogap");
    await createNamespaces(core, [ns]);
    assert.equal((await runCli(["sync"], { TARGET_NAMESPACES: ns })).code, 0);
    const events: string[] = [];
    const watch = new Watch(kc);
    const request = await watch.watch(
      `/api/v1/namespaces/${ns}/secrets`,
      { fieldSelector: "metadata.name=ecr-public-token" },
      (type: string) => void events.push(type),
      () => undefined,
    );
    try {
      for (let i = 0; i < 3; i++) assert.equal((await runCli(["sync", "--force"], { TARGET_NAMESPACES: ns })).code, 0);
      const deadline = Date.now() + 5_000;
      while (events.filter((e) => e === "MODIFIED").length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      request.abort();
    }
    assert.ok(!events.includes("DELETED"), `events: ${events.join(",")}`);
    assert.equal(events.filter((e) => e === "MODIFIED").length, 3, `events: ${events.join(",")}`);
  });

  test("a foreign secret of the same name is left exactly as it is, reported, exit 1; others still synced", async () => {
    const foreign = uniqueName("foreign");
    const mine = uniqueName("foreign-ok");
    await createNamespaces(core, [foreign, mine]);
    const created = await core.createNamespacedSecret({
      namespace: foreign,
      body: { metadata: { name: "ecr-public-token", labels: { owner: "someone-else" } }, type: "Opaque", stringData: { keep: "me" } },
    });
    const result = await runCli(["sync"], { TARGET_NAMESPACES: `${foreign} ${mine}` });
    assert.equal(result.code, 1, result.stderr);
    const after = await readSecret(core, foreign);
    assert.equal(after?.metadata?.resourceVersion, created.metadata?.resourceVersion);
    assert.deepEqual(after?.data, { keep: Buffer.from("me").toString("base64") });
    assert.ok(logLines(result).some((l) => l["namespace"] === foreign && /not managed by us/.test(String(l["msg"]))));
    assert.ok(await readSecret(core, mine), "the other namespace still got its secret");
  });

  test("--adopt takes over a foreign dockerconfigjson secret and keeps its labels", async () => {
    const ns = uniqueName("adopt");
    await createNamespaces(core, [ns]);
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: "ecr-public-token", labels: { team: "a" } },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": '{"auths":{}}' },
      },
    });
    const result = await runCli(["sync", "--adopt"], { TARGET_NAMESPACES: ns });
    assert.equal(result.code, 0, result.stderr);
    const after = await readSecret(core, ns);
    assert.equal(after?.metadata?.labels?.["team"], "a");
    assert.equal(after?.metadata?.labels?.["app.kubernetes.io/managed-by"], "ecr-public-creds-helper");
    assert.ok(dockerConfig(after).auths["public.ecr.aws"]);
  });

  test("service accounts keep every existing imagePullSecrets entry; a missing one is reported, not fatal", async () => {
    const ns = uniqueName("sa");
    await createNamespaces(core, [ns]);
    await createServiceAccount(core, ns, "default", ["other-registry", "vendor-token"]);
    await createServiceAccount(core, ns, "builder");
    const result = await runCli(["sync", "--service-accounts", "default,builder,ghost"], { TARGET_NAMESPACES: ns });
    assert.equal(result.code, 0, result.stderr);
    const sa = await core.readNamespacedServiceAccount({ name: "default", namespace: ns });
    assert.deepEqual(
      sa.imagePullSecrets?.map((r) => r.name),
      ["other-registry", "vendor-token", "ecr-public-token"],
    );
    const builder = await core.readNamespacedServiceAccount({ name: "builder", namespace: ns });
    assert.deepEqual(
      builder.imagePullSecrets?.map((r) => r.name),
      ["ecr-public-token"],
    );
    assert.ok(logLines(result).some((l) => l["serviceAccount"] === "ghost"));
    // Run again: nothing to add, the list is not touched.
    const rv = sa.metadata?.resourceVersion;
    assert.equal((await runCli(["sync", "--service-accounts", "default"], { TARGET_NAMESPACES: ns })).code, 0);
    assert.equal((await core.readNamespacedServiceAccount({ name: "default", namespace: ns })).metadata?.resourceVersion, rv);
  });

  test("--service-accounts '*' patches every service account in the namespace", async () => {
    const ns = uniqueName("sa-all");
    await createNamespaces(core, [ns]);
    for (const name of ["a", "b", "c"]) await createServiceAccount(core, ns, name);
    assert.equal((await runCli(["sync", "--service-accounts", "*"], { TARGET_NAMESPACES: ns })).code, 0);
    const list = await core.listNamespacedServiceAccount({ namespace: ns });
    for (const sa of list.items)
      assert.deepEqual(
        sa.imagePullSecrets?.map((r) => r.name),
        ["ecr-public-token"],
        sa.metadata?.name,
      );
  });

  test("a terminating namespace is skipped with a warning; a missing one is reported; the rest succeed", async () => {
    const dying = uniqueName("dying");
    const fine = uniqueName("fine");
    const ghost = uniqueName("ghost");
    await createNamespaces(core, [dying, fine]);
    // A finalizer-free namespace is removed at once without a controller manager only if empty;
    // a secret in it keeps it Terminating, as the namespace controller never runs here.
    await core.createNamespacedConfigMap({ namespace: dying, body: { metadata: { name: "keep" } } });
    await core.deleteNamespace({ name: dying });
    const ns = await core.readNamespace({ name: dying });
    assert.equal(ns.status?.phase, "Terminating");
    const result = await runCli(["sync"], { TARGET_NAMESPACES: `${dying} ${fine} ${ghost}` });
    assert.equal(result.code, 1, "missing namespace makes exit 1");
    assert.equal(await readSecret(core, dying), undefined);
    assert.ok(await readSecret(core, fine));
    const lines = logLines(result);
    assert.ok(lines.some((l) => l["namespace"] === dying && /terminating/.test(String(l["msg"]))));
    assert.ok(lines.some((l) => l["namespace"] === ghost && /does not exist/.test(String(l["msg"]))));
  });

  test("--dry-run prints the plan, writes nothing and asks AWS nothing", async () => {
    const a = uniqueName("dry-a");
    const b = uniqueName("dry-b");
    await createNamespaces(core, [a, b]);
    await createServiceAccount(core, a, "default");
    await runCli(["sync"], { TARGET_NAMESPACES: b });
    const calls = await ecrPublicCalls(control);
    const result = await runCli(["sync", "--dry-run", "--service-accounts", "default"], { TARGET_NAMESPACES: `${a} ${b}` });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${a}\\s+create\\s+patch-sa default`));
    assert.match(result.stdout, new RegExp(`${b}\\s+skip-fresh`));
    assert.equal(await readSecret(core, a), undefined);
    assert.equal(await ecrPublicCalls(control), calls);
    const sa = await core.readNamespacedServiceAccount({ name: "default", namespace: a });
    assert.equal(sa.imagePullSecrets, undefined);
    for (const t of (await control.issued()).tokens) {
      assert.ok(t.password && !result.stdout.includes(t.password) && !result.stderr.includes(t.password), "token in --dry-run output");
    }
  });
});
