// Carrying out plans against the real API server: create, update in place, adopt, leave a fresh
// secret alone, and when someone writes between our read and our write, read again and decide
// again. Plans come from the pure planner over what the API server really holds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CoreV1Api } from "@kubernetes/client-node";
import { planNamespace, SecretAction, type DesiredState, type NamespacePlan } from "../../src/domain/plan.ts";
import { desiredStateFrom } from "../../src/domain/sync-plan.ts";
import type { RegistryToken } from "../../src/domain/types.ts";
import { WriteResult } from "../../src/domain/report.ts";
import { applyNamespacePlan, patchServiceAccount, type ApplyContext } from "../../src/kube/apply.ts";
import { coreApi } from "../../src/kube/client.ts";
import { toObservedSecret, toObservedServiceAccount } from "../../src/kube/convert.ts";
import { classifyKubeError, KubeErrorKind } from "../../src/kube/errors.ts";
import { FakeClock, settle } from "../../src/util/fake-clock.ts";
import { adminClients, createNamespaces, createServiceAccount, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { auditMark, callsIn } from "./calls.ts";
import { serviceAccountIdentity } from "./identity.ts";
import { apiProxy } from "./proxy.ts";

const { core: admin, kc: adminKc } = adminClients();
const core = coreApi(adminKc);
const secretName = "ecr-public-token";
const hour = 3_600_000;

function desired(overrides: Partial<{ serviceAccounts: string[]; adopt: boolean; force: boolean }> = {}): DesiredState {
  return desiredStateFrom(
    {
      secretName,
      refreshBeforeMs: hour,
      force: overrides.force ?? false,
      adopt: overrides.adopt ?? false,
      serviceAccounts: overrides.serviceAccounts ?? ["default"],
    },
    ["public.ecr.aws"],
  );
}

function token(clock: FakeClock, password: string): RegistryToken {
  return { credentials: [{ server: "public.ecr.aws", username: "AWS", password }], expiresAt: new Date(clock.now() + 12 * hour) };
}

/** What the API server holds in `namespace` now, planned at the clock's time. */
async function planNow(namespace: string, want: DesiredState, clock: FakeClock): Promise<NamespacePlan> {
  const secret = await readSecret(admin, namespace, secretName);
  const serviceAccounts = (await admin.listNamespacedServiceAccount({ namespace })).items.map(toObservedServiceAccount);
  return planNamespace({ namespace, terminating: false, secret: secret ? toObservedSecret(secret) : undefined, serviceAccounts }, want, new Date(clock.now()));
}

function context(want: DesiredState, clock: FakeClock, registryToken: RegistryToken | undefined, client: CoreV1Api = core): ApplyContext {
  return { core: client, desired: want, token: registryToken, clock };
}

async function pullSecretsOf(namespace: string, name = "default"): Promise<string[] | undefined> {
  return (await admin.readNamespacedServiceAccount({ name, namespace })).imagePullSecrets?.map((r) => r.name ?? "");
}

/** Our calls that wrote in `namespace`, as "verb resource code". */
function writesIn(mark: number, namespace: string): string[] {
  return callsIn(mark, namespace)
    .filter((c) => c.userAgent?.startsWith("ecr-public-creds-helper/") && c.verb !== "get" && c.verb !== "list")
    .map((c) => `${c.verb} ${c.resource} ${c.code}`);
}

describe("applyNamespacePlan", () => {
  test("creates the secret and adds it to service accounts, keeping their other entries; reports the missing ones", async () => {
    const ns = uniqueName("apply-create");
    await createNamespaces(admin, [ns]);
    await createServiceAccount(admin, ns, "default", ["keep-me"]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: ["default", "builder"] });
    const plan = await planNow(ns, want, clock);
    assert.equal(plan.secret, SecretAction.create);

    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-create-0001")), plan);

    assert.equal(outcome.secret, WriteResult.created);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(outcome.patchedServiceAccounts, ["default"]);
    assert.deepEqual(outcome.missingServiceAccounts, ["builder"]);
    const secret = await readSecret(admin, ns);
    assert.equal(secret?.type, "kubernetes.io/dockerconfigjson");
    assert.equal(secret?.metadata?.labels?.["app.kubernetes.io/managed-by"], "ecr-public-creds-helper");
    assert.equal(dockerConfig(secret).auths["public.ecr.aws"]?.password, "pw-create-0001");
    assert.deepEqual(await pullSecretsOf(ns), ["keep-me", secretName]);
  });

  test("updates in place: same uid, others' labels and annotations kept, the new token written", async () => {
    const ns = uniqueName("apply-update");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [] });
    await applyNamespacePlan(context(want, clock, token(clock, "pw-first-00001")), await planNow(ns, want, clock));
    const created = await readSecret(admin, ns);
    await admin.patchNamespacedSecret({
      name: secretName,
      namespace: ns,
      body: [
        { op: "add", path: "/metadata/labels/team", value: "payments" },
        { op: "add", path: "/metadata/annotations", value: { "note/owner": "ops" } },
      ],
    });

    await clock.advance(11.5 * hour); // within the refresh window: due
    const plan = await planNow(ns, want, clock);
    assert.equal(plan.secret, SecretAction.update);
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-second-0002")), plan);

    assert.equal(outcome.secret, WriteResult.updated);
    const updated = await readSecret(admin, ns);
    assert.equal(updated?.metadata?.uid, created?.metadata?.uid, "replaced in place, not deleted and re-created");
    assert.equal(updated?.metadata?.labels?.["team"], "payments");
    assert.equal(updated?.metadata?.annotations?.["note/owner"], "ops");
    assert.equal(updated?.metadata?.annotations?.["ecr-public-creds-helper/expires-at"], new Date(clock.now() + 12 * hour).toISOString());
    assert.equal(dockerConfig(updated).auths["public.ecr.aws"]?.password, "pw-second-0002");
  });

  test("adopts a foreign secret of the right type when asked, keeping its labels", async () => {
    const ns = uniqueName("apply-adopt");
    await createNamespaces(admin, [ns]);
    await admin.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: secretName, labels: { owner: "someone" } },
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64") },
      },
    });
    const before = await readSecret(admin, ns);
    const clock = new FakeClock();

    const foreign = await planNow(ns, desired({ serviceAccounts: [] }), clock);
    assert.equal(foreign.secret, SecretAction.skipForeign);
    const mark = auditMark();
    const skipped = await applyNamespacePlan(context(desired({ serviceAccounts: [] }), clock, token(clock, "pw-adopt-00001")), foreign);
    assert.equal(skipped.secret, WriteResult.skipped);
    assert.deepEqual(writesIn(mark, ns), []);

    const want = desired({ serviceAccounts: [], adopt: true });
    const plan = await planNow(ns, want, clock);
    assert.equal(plan.secret, SecretAction.adopt);
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-adopt-00001")), plan);
    assert.equal(outcome.secret, WriteResult.updated);
    const adopted = await readSecret(admin, ns);
    assert.equal(adopted?.metadata?.uid, before?.metadata?.uid);
    assert.equal(adopted?.metadata?.labels?.["owner"], "someone");
    assert.equal(adopted?.metadata?.labels?.["app.kubernetes.io/managed-by"], "ecr-public-creds-helper");
  });

  test("a fresh secret is left alone: no write reaches the API server", async () => {
    const ns = uniqueName("apply-fresh");
    await createNamespaces(admin, [ns]);
    await createServiceAccount(admin, ns, "default", [secretName]);
    const clock = new FakeClock();
    const want = desired();
    await applyNamespacePlan(context(want, clock, token(clock, "pw-fresh-00001")), await planNow(ns, want, clock));
    const before = await readSecret(admin, ns);

    await clock.advance(hour);
    const plan = await planNow(ns, want, clock);
    assert.equal(plan.secret, SecretAction.skipFresh);
    const mark = auditMark();
    const outcome = await applyNamespacePlan(context(want, clock, undefined), plan);

    assert.equal(outcome.secret, WriteResult.unchanged);
    assert.deepEqual(outcome.patchedServiceAccounts, []);
    assert.deepEqual(writesIn(mark, ns), []);
    assert.equal((await readSecret(admin, ns))?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
  });

  test("a secret changed between plan and apply: the write gets 409, we re-read, re-plan and keep the other writer's change", async () => {
    const ns = uniqueName("apply-conflict");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [], force: true });
    await applyNamespacePlan(context(want, clock, token(clock, "pw-conflict-001")), await planNow(ns, want, clock));
    const plan = await planNow(ns, want, clock);
    await admin.patchNamespacedSecret({ name: secretName, namespace: ns, body: [{ op: "add", path: "/metadata/labels/late", value: "writer" }] });

    const mark = auditMark();
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-conflict-002")), plan);

    assert.equal(outcome.secret, WriteResult.updated);
    assert.notEqual(outcome.plan.existing?.resourceVersion, plan.existing?.resourceVersion, "the outcome carries the new plan");
    assert.deepEqual(writesIn(mark, ns), ["update secrets 409", "update secrets 200"]);
    const secret = await readSecret(admin, ns);
    assert.equal(secret?.metadata?.labels?.["late"], "writer");
    assert.equal(dockerConfig(secret).auths["public.ecr.aws"]?.password, "pw-conflict-002");
  });

  test("a secret that appears between plan and apply is not taken over: 409, re-plan, skipped as foreign", async () => {
    const ns = uniqueName("apply-appears");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [] });
    const plan = await planNow(ns, want, clock);
    assert.equal(plan.secret, SecretAction.create);
    await admin.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: secretName },
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64") },
      },
    });

    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-appears-001")), plan);

    assert.equal(outcome.secret, WriteResult.skipped);
    assert.equal(outcome.plan.secret, SecretAction.skipForeign);
    assert.equal((await readSecret(admin, ns))?.metadata?.labels?.["app.kubernetes.io/managed-by"], undefined);
  });

  test("a service account changed between plan and apply: re-read, our entry merged with the new one, the secret not written twice", async () => {
    const ns = uniqueName("apply-sa-conflict");
    await createNamespaces(admin, [ns]);
    await createServiceAccount(admin, ns, "default", ["keep-me"]);
    const clock = new FakeClock();
    const want = desired();
    const plan = await planNow(ns, want, clock);
    await admin.patchNamespacedServiceAccount({
      name: "default",
      namespace: ns,
      body: [{ op: "add", path: "/imagePullSecrets/-", value: { name: "added-meanwhile" } }],
    });

    const mark = auditMark();
    const outcome = await applyNamespacePlan({ core, desired: want, token: token(clock, "pw-sa-conflict1"), now: () => new Date(clock.now()) }, plan);

    assert.equal(outcome.secret, WriteResult.created);
    assert.deepEqual(outcome.patchedServiceAccounts, ["default"]);
    assert.deepEqual(await pullSecretsOf(ns), ["keep-me", "added-meanwhile", secretName]);
    assert.deepEqual(writesIn(mark, ns), ["create secrets 201", "patch serviceaccounts 409", "patch serviceaccounts 200"]);
  });

  test("our secret deleted and a service account changed meanwhile: the re-plan finds no secret and creates it", async () => {
    const ns = uniqueName("apply-deleted");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const want = desired();
    await applyNamespacePlan(context(desired({ serviceAccounts: [] }), clock, token(clock, "pw-deleted-001")), await planNow(ns, want, clock));
    await createServiceAccount(admin, ns, "default", ["keep-me"]);
    const plan = await planNow(ns, want, clock);
    assert.equal(plan.secret, SecretAction.skipFresh);
    await admin.deleteNamespacedSecret({ name: secretName, namespace: ns });
    await admin.patchNamespacedServiceAccount({
      name: "default",
      namespace: ns,
      body: [{ op: "add", path: "/imagePullSecrets/-", value: { name: "added-meanwhile" } }],
    });

    const mark = auditMark();
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-deleted-002")), plan);

    assert.equal(outcome.plan.secret, SecretAction.create);
    assert.equal(outcome.secret, WriteResult.created);
    assert.equal(dockerConfig(await readSecret(admin, ns)).auths["public.ecr.aws"]?.password, "pw-deleted-002");
    assert.deepEqual(await pullSecretsOf(ns), ["keep-me", "added-meanwhile", secretName]);
    assert.deepEqual(writesIn(mark, ns), ["patch serviceaccounts 409", "create secrets 201", "patch serviceaccounts 200"]);
  });

  test("a failed write is an outcome with kind and message, not a throw", async () => {
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [] });

    // A namespace that is gone by the time we write.
    const gone = uniqueName("apply-gone");
    const plan = planNamespace({ namespace: gone, terminating: false, secret: undefined, serviceAccounts: [] }, want, new Date(clock.now()));
    const missing = await applyNamespacePlan(context(want, clock, token(clock, "pw-failed-0001")), plan);
    assert.equal(missing.secret, WriteResult.failed);
    assert.equal(missing.error?.kind, KubeErrorKind.notFound);
    assert.match(missing.error?.message ?? "", new RegExp(`^HTTP 404: namespaces "${gone}" not found$`));

    // A Secret's type cannot change: adopting an Opaque one is refused, and only deleting it helps.
    const ns = uniqueName("apply-invalid");
    await createNamespaces(admin, [ns]);
    await admin.createNamespacedSecret({ namespace: ns, body: { metadata: { name: secretName }, stringData: { x: "y" } } });
    const adoptWant = desired({ serviceAccounts: [], adopt: true });
    const invalid = await applyNamespacePlan(context(adoptWant, clock, token(clock, "pw-failed-0002")), await planNow(ns, adoptWant, clock));
    assert.equal(invalid.secret, WriteResult.failed);
    assert.equal(invalid.error?.kind, KubeErrorKind.immutable);
    assert.match(invalid.error?.message ?? "", /HTTP 422: Secret "ecr-public-token" is invalid: type: .*field is immutable.*delete it/);
    assert.ok(!invalid.error?.message.includes("\n"));
  });

  test("an immutable secret of ours: one failed outcome saying to delete it, no retry, the secret untouched", async () => {
    const ns = uniqueName("apply-immutable");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [] });
    await applyNamespacePlan(context(want, clock, token(clock, "pw-immutable-01")), await planNow(ns, want, clock));
    await admin.patchNamespacedSecret({ name: secretName, namespace: ns, body: [{ op: "add", path: "/immutable", value: true }] });
    const before = await readSecret(admin, ns);

    await clock.advance(11.5 * hour);
    const plan = await planNow(ns, want, clock);
    assert.equal(plan.secret, SecretAction.update);
    const mark = auditMark();
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-immutable-02")), plan);

    assert.equal(outcome.secret, WriteResult.failed);
    assert.equal(outcome.error?.kind, KubeErrorKind.immutable);
    const line = outcome.error?.message ?? "";
    assert.match(
      line,
      new RegExp(`^secret ${secretName} cannot be updated: HTTP 422: Secret "${secretName}" is invalid: .*field is immutable when \`immutable\` is set.*; `),
    );
    assert.ok(
      line.endsWith(
        `; it cannot be changed in place (immutable: true, or a type that cannot change): delete it so that it is re-created (kubectl -n ${ns} delete secret ${secretName})`,
      ),
      line,
    );
    assert.ok(!line.includes("\n"));
    assert.deepEqual(writesIn(mark, ns), ["update secrets 422"], "one attempt, no retry, no delete");
    assert.equal(clock.pendingTimers, 0);
    const after = await readSecret(admin, ns);
    assert.equal(after?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
    assert.equal(dockerConfig(after).auths["public.ecr.aws"]?.password, "pw-immutable-01");
  });

  test("an identity without rights gets a forbidden outcome; no retry", async () => {
    const ns = uniqueName("apply-forbidden");
    await createNamespaces(admin, [ns]);
    const nobody = await serviceAccountIdentity(ns, "nobody", "none");
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [] });
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-forbidden01"), coreApi(nobody.kc)), await planNow(ns, want, clock));
    assert.equal(outcome.secret, WriteResult.failed);
    assert.equal(outcome.error?.kind, KubeErrorKind.forbidden);
    assert.match(outcome.error?.message ?? "", /^HTTP 403: secrets is forbidden: User "system:serviceaccount:.*:nobody" cannot create resource "secrets"/);
    assert.equal(clock.pendingTimers, 0);
  });

  test("a write to an API server that is down at first is retried on the injected clock", async () => {
    const ns = uniqueName("apply-retry");
    await createNamespaces(admin, [ns]);
    const proxy = await apiProxy(adminKc);
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"), 0.5);
    const want = desired({ serviceAccounts: [] });
    try {
      const applying = applyNamespacePlan(context(want, clock, token(clock, "pw-retry-00001"), coreApi(proxy.kc)), await planNow(ns, want, clock));
      for (let turn = 0; clock.pendingTimers === 0; turn++) {
        assert.ok(turn < 500, "the refused write never waited to retry");
        await settle();
      }
      assert.equal(clock.nextTimerIn(), 150);
      assert.equal(await readSecret(admin, ns), undefined);
      await proxy.listen();
      await clock.advance(150);
      const outcome = await applying;
      assert.equal(outcome.secret, WriteResult.created);
      assert.ok(await readSecret(admin, ns));
    } finally {
      await proxy.close();
    }
  });
});

describe("service accounts", () => {
  test("one deleted between plan and patch: the secret is written, the account reported missing, the namespace not failed", async () => {
    const ns = uniqueName("apply-sa-gone");
    await createNamespaces(admin, [ns]);
    await createServiceAccount(admin, ns, "default");
    await createServiceAccount(admin, ns, "builder", ["keep-me"]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: ["*"] });
    const plan = await planNow(ns, want, clock);
    assert.deepEqual(plan.patchServiceAccounts.map((sa) => sa.name).sort(), ["builder", "default"]);
    await admin.deleteNamespacedServiceAccount({ name: "builder", namespace: ns });

    const mark = auditMark();
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-sa-gone-0001")), plan);

    assert.equal(outcome.secret, WriteResult.created);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(outcome.patchedServiceAccounts, ["default"]);
    assert.deepEqual(outcome.missingServiceAccounts, ["builder"]);
    assert.equal(dockerConfig(await readSecret(admin, ns)).auths["public.ecr.aws"]?.password, "pw-sa-gone-0001");
    assert.deepEqual(await pullSecretsOf(ns), [secretName]);
    assert.deepEqual(writesIn(mark, ns).sort(), ["create secrets 201", "patch serviceaccounts 200", "patch serviceaccounts 404"]);
  });

  test("entries without a name are kept, in their place, when ours is added", async () => {
    const ns = uniqueName("apply-sa-empty");
    await createNamespaces(admin, [ns]);
    await admin.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: "default" }, imagePullSecrets: [{ name: "a" }, {}, { name: "b" }] },
    });
    const clock = new FakeClock();
    const want = desired();

    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-sa-empty-001")), await planNow(ns, want, clock));

    assert.deepEqual(outcome.patchedServiceAccounts, ["default"]);
    const stored = (await admin.readNamespacedServiceAccount({ name: "default", namespace: ns })).imagePullSecrets;
    assert.deepEqual(JSON.parse(JSON.stringify(stored)), [{ name: "a" }, {}, { name: "b" }, { name: secretName }]);
  });
});

describe("registry entries of others in our secret", () => {
  // As `kubectl create secret docker-registry` writes an entry, with a field we do not know.
  const ghcrEntry = '{"username":"bot","password":"ghp_planted0001","email":"bot@example.com","auth":"Ym90OmdocF9wbGFudGVkMDAwMQ=="}';

  /** Our secret, created by us, then a ghcr.io login added to it the way a person would. */
  async function ourSecretWithGhcr(ns: string, clock: FakeClock, want: DesiredState): Promise<void> {
    await applyNamespacePlan(context(want, clock, token(clock, "pw-entries-0001")), await planNow(ns, want, clock));
    const secret = await readSecret(admin, ns);
    const config = Buffer.from(secret?.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8");
    const added = config.replace('{"auths":{', `{"auths":{"ghcr.io":${ghcrEntry},`);
    assert.notEqual(added, config);
    await admin.replaceNamespacedSecret({
      name: secretName,
      namespace: ns,
      body: { ...secret, data: { ".dockerconfigjson": Buffer.from(added).toString("base64") } },
    });
  }

  const storedConfig = async (ns: string): Promise<string> =>
    Buffer.from((await readSecret(admin, ns))?.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8");

  test("an update keeps the ghcr.io entry byte for byte and writes ours, from a plan over the full secret", async () => {
    const ns = uniqueName("apply-entries");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [], force: true });
    await ourSecretWithGhcr(ns, clock, want);

    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-entries-0002")), await planNow(ns, want, clock));

    assert.equal(outcome.secret, WriteResult.updated);
    const config = await storedConfig(ns);
    assert.ok(config.includes(`"ghcr.io":${ghcrEntry}`), "the ghcr.io entry, byte for byte");
    assert.equal(dockerConfig(await readSecret(admin, ns)).auths["public.ecr.aws"]?.password, "pw-entries-0002");
    assert.equal((await readSecret(admin, ns))?.metadata?.annotations?.["ecr-public-creds-helper/registries"], "public.ecr.aws");
  });

  test("from a plan over the controller's cache (hosts without credentials) the entry is read just before the write", async () => {
    const ns = uniqueName("apply-entries-cache");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const want = desired({ serviceAccounts: [] });
    await ourSecretWithGhcr(ns, clock, want);
    const read = await readSecret(admin, ns);
    const observed = read ? toObservedSecret(read) : undefined;
    assert.ok(observed);
    // What the informer keeps of a pull secret: its hosts, each with an empty entry.
    const slim = { ...observed, dockerConfigJson: JSON.stringify({ auths: { "ghcr.io": {}, "public.ecr.aws": {} } }) };
    await clock.advance(11.5 * hour);
    const plan = planNamespace({ namespace: ns, terminating: false, secret: slim, serviceAccounts: [] }, want, new Date(clock.now()));
    assert.equal(plan.secret, SecretAction.update);

    const mark = auditMark();
    const outcome = await applyNamespacePlan(context(want, clock, token(clock, "pw-entries-0003")), plan);

    assert.equal(outcome.secret, WriteResult.updated);
    assert.ok((await storedConfig(ns)).includes(`"ghcr.io":${ghcrEntry}`), "the ghcr.io entry, byte for byte");
    assert.equal(dockerConfig(await readSecret(admin, ns)).auths["public.ecr.aws"]?.password, "pw-entries-0003");
    const ours = callsIn(mark, ns).filter((c) => c.userAgent?.startsWith("ecr-public-creds-helper/"));
    assert.deepEqual(
      ours.map((c) => `${c.verb} ${c.resource} ${c.code}`),
      ["get secrets 200", "update secrets 200"],
    );
  });

  test("without others' entries no extra read; a host we wrote and no longer want is removed", async () => {
    const ns = uniqueName("apply-entries-drop");
    await createNamespaces(admin, [ns]);
    const clock = new FakeClock();
    const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const both = desiredStateFrom({ secretName, refreshBeforeMs: hour, force: false, adopt: false, serviceAccounts: [] }, ["public.ecr.aws", privateHost]);
    const twoTokens: RegistryToken = {
      credentials: [
        { server: "public.ecr.aws", username: "AWS", password: "pw-entries-0004" },
        { server: privateHost, username: "AWS", password: "pw-entries-0005" },
      ],
      expiresAt: new Date(clock.now() + 12 * hour),
    };
    await applyNamespacePlan(context(both, clock, twoTokens), await planNow(ns, both, clock));
    const want = desired({ serviceAccounts: [] });
    const plan = await planNow(ns, want, clock);
    assert.deepEqual([plan.secret, plan.reason], [SecretAction.update, "registry list changed"]);

    const mark = auditMark();
    await applyNamespacePlan(context(want, clock, token(clock, "pw-entries-0006")), plan);

    assert.deepEqual(Object.keys(dockerConfig(await readSecret(admin, ns)).auths), ["public.ecr.aws"]);
    assert.deepEqual(
      callsIn(mark, ns)
        .filter((c) => c.userAgent?.startsWith("ecr-public-creds-helper/"))
        .map((c) => `${c.verb} ${c.resource} ${c.code}`),
      ["update secrets 200"],
    );
  });
});

describe("patchServiceAccount", () => {
  test("a stale resourceVersion is a conflict and changes nothing", async () => {
    const ns = uniqueName("patch-stale");
    await createNamespaces(admin, [ns]);
    await createServiceAccount(admin, ns, "default", ["keep-me"]);
    const read = await admin.readNamespacedServiceAccount({ name: "default", namespace: ns });
    const stale = read.metadata?.resourceVersion ?? "";
    await admin.patchNamespacedServiceAccount({ name: "default", namespace: ns, body: [{ op: "add", path: "/metadata/labels", value: { bumped: "yes" } }] });

    const error = await patchServiceAccount(core, ns, "default", stale, ["keep-me", secretName], new FakeClock()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(classifyKubeError(error), KubeErrorKind.conflict);
    assert.deepEqual(await pullSecretsOf(ns), ["keep-me"]);

    const fresh = (await admin.readNamespacedServiceAccount({ name: "default", namespace: ns })).metadata?.resourceVersion ?? "";
    await patchServiceAccount(core, ns, "default", fresh, ["keep-me", secretName]);
    assert.deepEqual(await pullSecretsOf(ns), ["keep-me", secretName]);
  });
});
