// overlays/namespaced, for real: a service account holding exactly that overlay's rules (its
// read-only ClusterRole plus a Role in each target namespace) runs `sync` through real RBAC.
// It serves its namespaces, and cannot write one outside its list, which it reports.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { V1PolicyRule } from "@kubernetes/client-node";
import { runCli } from "../support/cli.ts";
import { adminClients, createNamespaces, createServiceAccount, readSecret, uniqueName } from "../support/kube.ts";
import { deployDir, find, kubectl, kustomize, parseManifests, tokenKubeconfig, type Manifest } from "./support.ts";

const { core, rbac } = adminClients();
const home = uniqueName("nsd-home");
const [inA, inB, outside] = [uniqueName("nsd-a"), uniqueName("nsd-b"), uniqueName("nsd-out")];
const runner = `system:serviceaccount:${home}:runner`;
let kubeconfigPath = "";

const rulesOf = (m: Manifest): V1PolicyRule[] => (m as Manifest & { rules: V1PolicyRule[] }).rules;

describe("overlays/namespaced under real RBAC", () => {
  before(async () => {
    const manifests = parseManifests(await kustomize(join(deployDir, "overlays", "namespaced")));
    const roles = manifests.filter((m) => m.kind === "Role");
    assert.ok(roles.length > 0);
    // One rule set for every target namespace: a per-namespace difference would be an edit slip.
    for (const role of roles) assert.deepEqual(rulesOf(role), rulesOf(roles[0] as Manifest));
    await createNamespaces(core, [home, inA, inB, outside]);
    await createServiceAccount(core, home, "runner");
    await createServiceAccount(core, inA, "default", ["keep-me"]);
    const readName = uniqueName("nsd-read");
    await rbac.createClusterRole({ body: { metadata: { name: readName }, rules: rulesOf(find(manifests, "ClusterRole", "ecr-public-creds-helper-read")) } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: readName },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: readName },
        subjects: [{ kind: "ServiceAccount", name: "runner", namespace: home }],
      },
    });
    for (const namespace of [inA, inB]) {
      await rbac.createNamespacedRole({ namespace, body: { metadata: { name: "ecr-helper" }, rules: rulesOf(roles[0] as Manifest) } });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name: "ecr-helper" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "ecr-helper" },
          subjects: [{ kind: "ServiceAccount", name: "runner", namespace: home }],
        },
      });
    }
    kubeconfigPath = await tokenKubeconfig(home, "runner");
  });

  test("sync serves its namespaces and patches their service accounts", async () => {
    const result = await runCli(["sync", "--kubeconfig", kubeconfigPath, "--service-accounts", "default"], { TARGET_NAMESPACES: `${inA} ${inB}` });
    assert.equal(result.code, 0, result.stderr);
    for (const namespace of [inA, inB]) assert.ok(await readSecret(core, namespace), `no secret in ${namespace}`);
    const sa = await core.readNamespacedServiceAccount({ name: "default", namespace: inA });
    assert.deepEqual(
      sa.imagePullSecrets?.map((r) => r.name),
      ["keep-me", "ecr-public-token"],
    );
  });

  test("a namespace outside the list is refused by RBAC and reported, the rest still served", async () => {
    const result = await runCli(["sync", "--kubeconfig", kubeconfigPath, "--force"], { TARGET_NAMESPACES: `${inA} ${outside}` });
    assert.notEqual(result.code, 0, "a namespace that could not be served must fail the run");
    assert.match(result.stderr, new RegExp(`${outside}.*forbidden|forbidden.*${outside}`, "i"));
    assert.equal(await readSecret(core, outside), undefined);
    assert.ok(await readSecret(core, inA));
  });

  test("the account may create secrets only in its namespaces, and delete none", async () => {
    const canI = async (...args: string[]): Promise<string> => (await kubectl(["auth", "can-i", ...args, "--as", runner])).stdout.trim();
    assert.equal(await canI("create", "secrets", "-n", inA), "yes");
    assert.equal(await canI("create", "secrets", "-n", outside), "no");
    assert.equal(await canI("get", "secrets/db-password", "-n", inA), "no");
    assert.equal(await canI("delete", "secrets/ecr-public-token", "-n", inA), "no");
    assert.equal(await canI("create", "secrets", "--all-namespaces"), "no");
  });
});
