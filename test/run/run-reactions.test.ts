// `run` reacts to the cluster: new namespaces get the secret at once, a deleted managed secret
// comes back, new service accounts are patched, foreign secrets are left alone (with an
// Event), and SIGTERM ends it cleanly.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setHeaderOptions } from "@kubernetes/client-node";
import { eventually, logged, readyz, startController, type RunningController } from "../support/controller.ts";
import { allOutput } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";

const { core } = adminClients();
const control = emulator();

describe("run reacts to changes", () => {
  const prefix = uniqueName("react");
  let ctl: RunningController;

  before(async () => {
    await control.reset();
    ctl = await startController(["--namespaces", `${prefix}-*`, "--service-accounts", "default,builder"]);
    await eventually("ready", async () => (await readyz(ctl)) === 200);
  });
  after(async () => {
    await ctl.stop();
  });

  test("a namespace created while running gets the secret and its SA is patched", async () => {
    const ns = `${prefix}-new`;
    await createNamespaces(core, [ns]);
    await createServiceAccount(core, ns, "default", ["vendor"]);
    const secret = await eventually("secret", () => readSecret(core, ns));
    const token = (await control.issued()).tokens.at(-1);
    assert.equal(dockerConfig(secret).auths["public.ecr.aws"]?.password, token?.password);
    const sa = await eventually("patched SA", async () => {
      const read = await core.readNamespacedServiceAccount({ name: "default", namespace: ns });
      return read.imagePullSecrets?.length === 2 ? read : undefined;
    });
    assert.deepEqual(
      sa.imagePullSecrets?.map((r) => r.name),
      ["vendor", "ecr-public-token"],
    );
  });

  test("the selected-namespaces gauge follows namespace events, not only resyncs", async () => {
    const gauge = async (): Promise<number> =>
      Number(/^ecr_public_creds_helper_namespaces_selected (\d+)$/m.exec(await (await fetch(`${ctl.metricsUrl}/metrics`)).text())?.[1]);
    const before = await gauge();
    await createNamespaces(core, [`${prefix}-gauge`]);
    await eventually("gauge + 1", async () => (await gauge()) === before + 1);
  });

  test("a service account created later is patched", async () => {
    const ns = `${prefix}-new`;
    await createServiceAccount(core, ns, "builder");
    await eventually("builder patched", async () =>
      (await core.readNamespacedServiceAccount({ name: "builder", namespace: ns })).imagePullSecrets?.some((r) => r.name === "ecr-public-token"),
    );
  });

  test("a deleted managed secret is put back", async () => {
    const ns = `${prefix}-new`;
    const before = await readSecret(core, ns);
    await core.deleteNamespacedSecret({ name: "ecr-public-token", namespace: ns });
    const back = await eventually("secret back", async () => {
      const s = await readSecret(core, ns);
      return s && s.metadata?.uid !== before?.metadata?.uid ? s : undefined;
    });
    assert.deepEqual(dockerConfig(back), dockerConfig(before));
  });

  test("an edited managed secret is repaired", async () => {
    const ns = `${prefix}-new`;
    const current = await readSecret(core, ns);
    assert.ok(current);
    await core.replaceNamespacedSecret({
      name: "ecr-public-token",
      namespace: ns,
      body: { ...current, data: { ".dockerconfigjson": Buffer.from('{"auths":{"evil.example":{}}}').toString("base64") } },
    });
    await eventually("repaired", async () => (dockerConfig(await readSecret(core, ns)).auths["public.ecr.aws"] ? true : undefined));
  });

  test("a foreign secret is left untouched and an Event says why", async () => {
    const ns = `${prefix}-foreign`;
    // Opted out while the foreign secret is made, so the controller cannot get there first.
    await createNamespaces(core, [ns], {}, { "ecr-public-creds-helper/ignore": "true" });
    const created = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "ecr-public-token" }, stringData: { mine: "yes" } } });
    await core.patchNamespace(
      { name: ns, body: [{ op: "remove", path: "/metadata/annotations/ecr-public-creds-helper~1ignore" }] },
      setHeaderOptions("Content-Type", "application/json-patch+json"),
    );
    const event = await eventually("event", async () => (await core.listNamespacedEvent({ namespace: ns })).items.find((e) => e.reason === "ForeignSecret"));
    assert.equal(event.involvedObject.kind, "Namespace");
    assert.equal(event.type, "Warning");
    assert.equal((await readSecret(core, ns))?.metadata?.resourceVersion, created.metadata?.resourceVersion);
  });

  test("a namespace outside the selection gets nothing", async () => {
    const ns = uniqueName("outside");
    await createNamespaces(core, [ns]);
    await eventually("a later namespace served", async () => {
      const probe = `${prefix}-probe`;
      await createNamespaces(core, [probe]).catch(() => undefined);
      return readSecret(core, probe);
    });
    assert.equal(await readSecret(core, ns), undefined);
  });

  test("no token appears in the controller's output", async () => {
    const output = allOutput.join("\n");
    for (const t of (await control.issued()).tokens) assert.ok(t.password && !output.includes(t.password));
  });

  test("SIGTERM ends it with exit 0 within a few seconds", async () => {
    const started = Date.now();
    const code = await ctl.stop("SIGTERM");
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    assert.ok(logged(ctl, /controller stopped/));
  });
});

describe("run --prune", () => {
  test("a namespace that stops being selected loses only our secret and our SA entry", async () => {
    const ns = uniqueName("prune");
    await createNamespaces(core, [ns], { "pull-ecr": "yes" });
    await createServiceAccount(core, ns, "default", ["vendor"]);
    const ctl = await startController(["--namespace-selector", "pull-ecr=yes", "--service-accounts", "default", "--prune"]);
    try {
      await eventually("secret", () => readSecret(core, ns));
      await eventually("sa patched", async () => (await core.readNamespacedServiceAccount({ name: "default", namespace: ns })).imagePullSecrets?.length === 2);
      await core.patchNamespace(
        { name: ns, body: { metadata: { labels: { "pull-ecr": "no" } } } },
        setHeaderOptions("Content-Type", "application/merge-patch+json"),
      );
      await eventually("secret removed", async () => (await readSecret(core, ns)) === undefined);
      const sa = await eventually("entry removed", async () => {
        const read = await core.readNamespacedServiceAccount({ name: "default", namespace: ns });
        return read.imagePullSecrets?.length === 1 ? read : undefined;
      });
      assert.deepEqual(
        sa.imagePullSecrets?.map((r) => r.name),
        ["vendor"],
      );
    } finally {
      await ctl.stop();
    }
  });
});
