// overlays/controller, for real: `run` with the Deployment's own args, as a service account
// holding exactly the overlay's ClusterRole and lease Role, through real RBAC. It takes the
// Lease in its namespace, becomes ready and writes the secret into a new namespace; the
// lease Role is what lets it lead.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { CoordinationV1Api, type V1PolicyRule } from "@kubernetes/client-node";
import { eventually, readyz, startController } from "../support/controller.ts";
import { adminClients, createNamespaces, createServiceAccount, readSecret, uniqueName } from "../support/kube.ts";
import { deployDir, find, kustomize, mainContainer, parseManifests, podTemplate, tokenKubeconfig, type Manifest } from "./support.ts";

const { core, rbac, kc } = adminClients();
const leases = kc.makeApiClient(CoordinationV1Api);
const rulesOf = (m: Manifest): V1PolicyRule[] => (m as Manifest & { rules: V1PolicyRule[] }).rules;

describe("overlays/controller under real RBAC", () => {
  const home = uniqueName("ctl-home");
  const prefix = uniqueName("ctl");
  let manifests: Manifest[] = [];

  /** Binds the overlay's rules to a fresh account in a fresh namespace; the lease Role only if asked. */
  async function account(namespace: string, withLeaseRole: boolean): Promise<string> {
    await createNamespaces(core, [namespace]);
    await createServiceAccount(core, namespace, "runner");
    const name = uniqueName("ctl-role");
    await rbac.createClusterRole({ body: { metadata: { name }, rules: rulesOf(find(manifests, "ClusterRole", "ecr-public-creds-helper")) } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [{ kind: "ServiceAccount", name: "runner", namespace }],
      },
    });
    if (withLeaseRole) {
      await rbac.createNamespacedRole({ namespace, body: { metadata: { name: "leases" }, rules: rulesOf(find(manifests, "Role")) } });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name: "leases" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "leases" },
          subjects: [{ kind: "ServiceAccount", name: "runner", namespace }],
        },
      });
    }
    return tokenKubeconfig(namespace, "runner");
  }

  /** The Deployment's args without the leading `run`, which startController adds. */
  function deploymentArgs(): string[] {
    const args = mainContainer(podTemplate(find(manifests, "Deployment"))).args ?? [];
    assert.equal(args[0], "run");
    return args.slice(1);
  }

  before(async () => {
    manifests = parseManifests(await kustomize(join(deployDir, "overlays", "controller")));
  });

  test("leads through its Lease, gets ready and serves a new namespace", async () => {
    const kubeconfig = await account(home, true);
    const controller = await startController([...deploymentArgs(), "--kubeconfig", kubeconfig], {
      TARGET_NAMESPACES: `${prefix}-*`,
      POD_NAMESPACE: home,
      POD_NAME: "ctl-pod-0",
      KUBECONFIG: undefined,
    });
    try {
      const holder = await eventually(
        "the Lease",
        async () => (await leases.readNamespacedLease({ name: "ecr-public-creds-helper", namespace: home }).catch(() => undefined))?.spec?.holderIdentity,
        20_000,
      );
      assert.equal(holder, "ctl-pod-0");
      await eventually("ready", async () => (await readyz(controller)) === 200, 20_000);
      await createNamespaces(core, [`${prefix}-new`]);
      await eventually("the secret in a new namespace", () => readSecret(core, `${prefix}-new`), 20_000);
    } finally {
      await controller.stop("SIGTERM");
    }
  });

  test("without the lease Role it never leads, so the Role is what the check above relies on", async () => {
    const namespace = uniqueName("ctl-norole");
    const kubeconfig = await account(namespace, false);
    const controller = await startController([...deploymentArgs(), "--kubeconfig", kubeconfig], {
      TARGET_NAMESPACES: `${prefix}-*`,
      POD_NAMESPACE: namespace,
      POD_NAME: "ctl-pod-1",
      KUBECONFIG: undefined,
    });
    try {
      await eventually("a refused Lease call in the log", async () => controller.logs.some((l) => /forbidden|403/i.test(JSON.stringify(l))), 20_000);
      const lease = await leases.readNamespacedLease({ name: "ecr-public-creds-helper", namespace }).catch(() => undefined);
      assert.equal(lease, undefined, "a Lease was made without the Role");
    } finally {
      await controller.stop("SIGKILL");
    }
  });
});
