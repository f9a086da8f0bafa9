// "May I?" against the real authorizer: the admin may do everything `doctor` asks about, an
// identity bound to nothing may do none of it, and the shipped role exactly what it grants.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { describeAccess, mayI, type AccessQuestion } from "../../src/kube/access.ts";
import { loadKubeConfig } from "../../src/kube/client.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { statePaths } from "../testenv/paths.ts";
import { serviceAccountIdentity, type Identity } from "./identity.ts";

const { core: admin } = adminClients();

describe("mayI", () => {
  const home = uniqueName("access-home");
  const questions: AccessQuestion[] = [
    { verb: "list", resource: "namespaces" },
    { verb: "create", resource: "secrets", namespace: home },
    { verb: "update", resource: "secrets", namespace: home, name: "ecr-public-token" },
    { verb: "get", resource: "secrets", namespace: home, name: "db-password" },
    { verb: "list", resource: "secrets" },
    { verb: "patch", resource: "serviceaccounts", namespace: home },
    { verb: "create", resource: "events", group: "events.k8s.io", namespace: home },
    { verb: "create", resource: "leases", group: "coordination.k8s.io", namespace: home },
  ];
  let shipped: Identity;
  let nobody: Identity;

  before(async () => {
    await createNamespaces(admin, [home]);
    shipped = await serviceAccountIdentity(home, "shipped", "shipped");
    nobody = await serviceAccountIdentity(home, "nobody", "none");
  });

  const answers = async (kubeconfig: string): Promise<boolean[]> => (await mayI(loadKubeConfig({ kubeconfig }), questions)).map((a) => a.allowed);

  test("the admin may do all of it, and each answer is for its own question", async () => {
    const result = await mayI(loadKubeConfig({ kubeconfig: statePaths.kubeconfig }), questions);
    assert.deepEqual(
      result.map((a) => a.question),
      questions,
    );
    assert.ok(result.every((a) => a.allowed));
  });

  test("an identity bound to nothing may do none of it", async () => {
    assert.deepEqual(
      await answers(nobody.path),
      questions.map(() => false),
    );
  });

  test("the shipped role: our secret by name, no other secret, no listing secrets unnarrowed, no Leases", async () => {
    assert.deepEqual(await answers(shipped.path), [true, true, true, false, false, true, true, false]);
  });
});

describe("describeAccess", () => {
  test("names the verb, resource, group, object and scope", () => {
    assert.equal(describeAccess({ verb: "list", resource: "namespaces" }), "list namespaces (all namespaces)");
    assert.equal(describeAccess({ verb: "get", resource: "secrets", namespace: "team-a", name: "ecr-public-token" }), "get secrets/ecr-public-token in team-a");
    assert.equal(
      describeAccess({ verb: "create", resource: "leases", group: "coordination.k8s.io", namespace: "ops" }),
      "create leases.coordination.k8s.io in ops",
    );
  });
});
