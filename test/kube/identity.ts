// Identities other than the admin, through the real authenticator and RBAC: a service account
// with a TokenRequest token, bound to a copy of the shipped ClusterRole or to nothing at all.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, loadAllYaml, type V1ClusterRole, type V1Role } from "@kubernetes/client-node";
import { repoRoot } from "../testenv/paths.ts";
import { adminClients, createServiceAccount, uniqueName } from "../support/kube.ts";

export interface Identity {
  /** The kubeconfig file, for loadKubeConfig. */
  readonly path: string;
  readonly kc: KubeConfig;
  /** The name the API server (and its audit log) knows it by. */
  readonly username: string;
}

/**
 * A service account `name` in `namespace` (which must exist). With `role: "shipped"` it is
 * bound to a copy of the ClusterRole in deploy/base/rbac.yaml; with `role: "none"` it may do
 * nothing but what every authenticated identity may.
 */
export async function serviceAccountIdentity(namespace: string, name: string, role: "shipped" | "none"): Promise<Identity> {
  const { core, rbac, kc: admin } = adminClients();
  await createServiceAccount(core, namespace, name);
  if (role === "shipped") {
    const docs = loadAllYaml(await readFile(join(repoRoot, "deploy", "base", "rbac.yaml"), "utf8")) as Array<{ kind: string }>;
    const shipped = docs.find((d) => d.kind === "ClusterRole") as V1ClusterRole;
    const roleName = uniqueName("kube-test-role");
    await rbac.createClusterRole({ body: { ...shipped, metadata: { name: roleName } } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: roleName },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
        subjects: [{ kind: "ServiceAccount", name, namespace }],
      },
    });
  }
  const request = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { expirationSeconds: 3600 } } });
  const token = request.status?.token;
  assert.ok(token, "TokenRequest returned no token");
  const cluster = admin.getCurrentCluster();
  assert.ok(cluster);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "sa",
    clusters: [{ name: "testenv", cluster: { server: cluster.server, "certificate-authority-data": cluster.caData } }],
    users: [{ name, user: { token } }],
    contexts: [{ name: "sa", context: { cluster: "testenv", user: name } }],
  };
  const path = join(await mkdtemp(join(tmpdir(), "kube-identity-")), "kubeconfig");
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return { path, kc, username: `system:serviceaccount:${namespace}:${name}` };
}

/**
 * Grants `identity` (a service account in `namespace`) the shipped leader-election Role there
 * (deploy/overlays/controller/leader-election.yaml): create the Lease, get and update it by name.
 */
export async function grantLeaderElection(namespace: string, serviceAccount: string): Promise<void> {
  const { rbac } = adminClients();
  const docs = loadAllYaml(await readFile(join(repoRoot, "deploy", "overlays", "controller", "leader-election.yaml"), "utf8")) as Array<{ kind: string }>;
  const shipped = docs.find((d) => d.kind === "Role") as V1Role;
  const name = uniqueName("leader-election");
  await rbac.createNamespacedRole({ namespace, body: { ...shipped, metadata: { name, namespace } } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
    },
  });
}
