// The sync runs as a service account (TokenRequest token) bound to the shipped least-privilege
// ClusterRole, through real RBAC: it succeeds, and that account can read no other secret.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, readSecret, uniqueName } from "../support/kube.ts";
import { serviceAccountIdentity } from "../kube/identity.ts";
import { testenvVars, var_ } from "../support/testenv.ts";

const { core } = adminClients();

describe("sync under the shipped least-privilege RBAC", () => {
  const home = uniqueName("rbac-home");
  const targets = [uniqueName("rbac-a"), uniqueName("rbac-b")];
  let saKubeconfig = "";
  let saCore: CoreV1Api;

  before(async () => {
    await emulator().reset();
    await createNamespaces(core, [home, ...targets]);
    for (const ns of targets) await createServiceAccount(core, ns, "default", ["keep-me"]);
    // Another secret the account must never see.
    await core.createNamespacedSecret({ namespace: targets[0] ?? "", body: { metadata: { name: "db-password" }, stringData: { password: "hunter2" } } });
    const made = await serviceAccountIdentity(home, "runner", "shipped");
    saKubeconfig = made.path;
    saCore = made.kc.makeApiClient(CoreV1Api);
  });

  test("sync with service-account patching succeeds as the service account", async () => {
    const result = await runCli(["sync", "--kubeconfig", saKubeconfig, "--service-accounts", "default"], { TARGET_NAMESPACES: targets.join(" ") });
    assert.equal(result.code, 0, result.stderr);
    for (const ns of targets) {
      assert.ok(await readSecret(core, ns));
      const sa = await core.readNamespacedServiceAccount({ name: "default", namespace: ns });
      assert.deepEqual(
        sa.imagePullSecrets?.map((r) => r.name),
        ["keep-me", "ecr-public-token"],
      );
    }
    const forced = await runCli(["sync", "--kubeconfig", saKubeconfig, "--force"], { TARGET_NAMESPACES: targets.join(" ") });
    assert.equal(forced.code, 0, forced.stderr);
  });

  test("the account cannot get or list any other secret", async () => {
    const ns = targets[0] ?? "";
    await assert.rejects(saCore.readNamespacedSecret({ name: "db-password", namespace: ns }), { code: 403 });
    await assert.rejects(saCore.listNamespacedSecret({ namespace: ns }), { code: 403 });
    await assert.rejects(saCore.listSecretForAllNamespaces(), { code: 403 });
    await assert.rejects(saCore.listSecretForAllNamespaces({ fieldSelector: "metadata.name=db-password" }), { code: 403 });
    await assert.rejects(saCore.deleteNamespacedSecret({ name: "ecr-public-token", namespace: ns }), { code: 403 });
    // ...while its own secret is readable by name.
    const own = await saCore.listSecretForAllNamespaces({ fieldSelector: "metadata.name=ecr-public-token" });
    assert.ok(own.items.length >= 2);
  });

  test("the unprivileged testenv user is denied secrets cluster-wide", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(var_(testenvVars(), "TESTENV_KUBECONFIG_USER"));
    await assert.rejects(kc.makeApiClient(CoreV1Api).listSecretForAllNamespaces(), { code: 403 });
  });
});
