import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildDockerConfigJson } from "./dockerconfig.ts";
import { SecretAction, missingNamespacePlan, needsToken, planNamespace, secretFreshness, type DesiredState, type NamespaceObservation } from "./plan.ts";
import { ExitCode, exitCodeFor, plannedKind } from "./outcome.ts";
import type { ObservedSecret, ObservedServiceAccount } from "./types.ts";

const hour = 3_600_000;
const now = new Date("2025-06-01T12:00:00Z");
const inHours = (h: number): string => new Date(now.getTime() + h * hour).toISOString();

const desired: DesiredState = {
  secretName: "ecr-public-token",
  registries: ["public.ecr.aws"],
  refreshBeforeMs: 6 * hour,
  force: false,
  adopt: false,
  serviceAccounts: [],
};

function secret(overrides: Partial<ObservedSecret> = {}): ObservedSecret {
  return {
    namespace: "ns",
    name: "ecr-public-token",
    resourceVersion: "100",
    type: "kubernetes.io/dockerconfigjson",
    labels: { "app.kubernetes.io/managed-by": "ecr-public-creds-helper" },
    annotations: { "ecr-public-creds-helper/expires-at": inHours(11) },
    dockerConfigJson: buildDockerConfigJson([{ server: "public.ecr.aws", username: "AWS", password: "p" }]),
    ...overrides,
  };
}

const foreignLabels = { "app.kubernetes.io/managed-by": "helm", team: "a" };

function sa(name: string, imagePullSecrets: string[] = []): ObservedServiceAccount {
  return { namespace: "ns", name, resourceVersion: `rv-${name}`, imagePullSecrets };
}

function obs(overrides: Partial<NamespaceObservation> = {}): NamespaceObservation {
  return { namespace: "ns", terminating: false, secret: undefined, serviceAccounts: [], ...overrides };
}

describe("planNamespace: the secret", () => {
  test("create when absent", () => {
    const plan = planNamespace(obs(), desired, now);
    assert.equal(plan.secret, SecretAction.create);
    assert.equal(plan.secret, "create");
    assert.equal(plan.reason, "no secret yet");
    assert.equal(plan.namespace, "ns");
    assert.ok(!("existing" in plan));
  });

  test("skip-foreign when not labelled as ours", () => {
    const variants: Record<string, string>[] = [{}, foreignLabels, { "app.kubernetes.io/managed-by": "ECR-public-creds-helper" }];
    for (const labels of variants) {
      const plan = planNamespace(obs({ secret: secret({ labels }) }), desired, now);
      assert.equal(plan.secret, "skip-foreign", JSON.stringify(labels));
      assert.match(plan.reason, /--adopt/);
    }
  });

  test("skip-foreign even with --force", () => {
    const plan = planNamespace(obs({ secret: secret({ labels: foreignLabels }) }), { ...desired, force: true }, now);
    assert.equal(plan.secret, "skip-foreign");
  });

  test("adopt a foreign secret with adopt=true, keeping its metadata for the update", () => {
    const observed = secret({ labels: foreignLabels, annotations: { note: "x" }, resourceVersion: "7" });
    const plan = planNamespace(obs({ secret: observed }), { ...desired, adopt: true }, now);
    assert.equal(plan.secret, "adopt");
    assert.deepEqual(plan.existing, { resourceVersion: "7", labels: foreignLabels, annotations: { note: "x" }, registries: ["public.ecr.aws"] });
  });

  test("adopt=true does not change a managed fresh secret", () => {
    assert.equal(planNamespace(obs({ secret: secret() }), { ...desired, adopt: true }, now).secret, "skip-fresh");
  });

  test("skip-fresh when the expiry is beyond refreshBefore and registries match", () => {
    const plan = planNamespace(obs({ secret: secret() }), desired, now);
    assert.equal(plan.secret, "skip-fresh");
    assert.equal(plan.reason, "token still fresh");
    assert.equal(plan.existing?.resourceVersion, "100");
  });

  test("update when expiring soon, at the boundary, or expired", () => {
    const cases: [number, string][] = [
      [5, "token expires soon"],
      [6, "token expires soon"], // exactly refreshBefore left: refresh
      [0, "token expired"],
      [-1, "token expired"],
    ];
    for (const [hours, reason] of cases) {
      const observed = secret({ annotations: { "ecr-public-creds-helper/expires-at": inHours(hours) } });
      const plan = planNamespace(obs({ secret: observed }), desired, now);
      assert.equal(plan.secret, "update", `${hours}h`);
      assert.equal(plan.reason, reason, `${hours}h`);
    }
    const justOver = secret({
      annotations: { "ecr-public-creds-helper/expires-at": new Date(now.getTime() + 6 * hour + 1000).toISOString() },
    });
    assert.equal(planNamespace(obs({ secret: justOver }), desired, now).secret, "skip-fresh");
  });

  test("update when the registry list differs", () => {
    const both = buildDockerConfigJson([
      { server: "public.ecr.aws", username: "AWS", password: "p" },
      { server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", username: "AWS", password: "q" },
    ]);
    const fewer = planNamespace(obs({ secret: secret({ dockerConfigJson: both }) }), desired, now);
    assert.deepEqual([fewer.secret, fewer.reason], ["update", "registry list changed"]);
    const more = planNamespace(obs({ secret: secret() }), { ...desired, registries: ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "public.ecr.aws"] }, now);
    assert.deepEqual([more.secret, more.reason], ["update", "registry list changed"]);
    const same = planNamespace(
      obs({ secret: secret({ dockerConfigJson: both }) }),
      { ...desired, registries: ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "public.ecr.aws"] },
      now,
    );
    assert.equal(same.secret, "skip-fresh");
  });

  test("update when the type is wrong", () => {
    const plan = planNamespace(obs({ secret: secret({ type: "Opaque" }) }), desired, now);
    assert.deepEqual([plan.secret, plan.reason], ["update", "type is Opaque"]);
  });

  test("update when the data or the expiry annotation cannot be read", () => {
    const noData = planNamespace(obs({ secret: secret({ dockerConfigJson: undefined }) }), desired, now);
    assert.deepEqual([noData.secret, noData.reason], ["update", "no readable .dockerconfigjson"]);
    const garbage = planNamespace(obs({ secret: secret({ dockerConfigJson: "{not json" }) }), desired, now);
    assert.equal(garbage.secret, "update");
    const variants: Record<string, string>[] = [{}, { "ecr-public-creds-helper/expires-at": "soon" }];
    for (const annotations of variants) {
      const plan = planNamespace(obs({ secret: secret({ annotations }) }), desired, now);
      assert.deepEqual([plan.secret, plan.reason], ["update", "no expiry annotation"]);
    }
  });

  test("update a fresh secret when forced", () => {
    const plan = planNamespace(obs({ secret: secret() }), { ...desired, force: true }, now);
    assert.deepEqual([plan.secret, plan.reason], ["update", "forced (--force)"]);
  });

  test("skip-terminating before anything else", () => {
    for (const observed of [undefined, secret(), secret({ labels: {} })]) {
      const plan = planNamespace(obs({ terminating: true, secret: observed }), { ...desired, force: true, adopt: true }, now);
      assert.equal(plan.secret, "skip-terminating");
      assert.equal(plan.reason, "namespace is terminating");
    }
  });

  test("the clock is the injected one", () => {
    const observed = secret({ annotations: { "ecr-public-creds-helper/expires-at": "2025-06-01T20:00:00Z" } });
    assert.equal(planNamespace(obs({ secret: observed }), desired, new Date("2025-06-01T13:00:00Z")).secret, "skip-fresh");
    assert.equal(planNamespace(obs({ secret: observed }), desired, new Date("2025-06-01T15:00:00Z")).secret, "update");
  });
});

describe("planNamespace: service accounts", () => {
  const serviceAccounts = [sa("default", ["a", "b"]), sa("builder", ["ecr-public-token"]), sa("deployer")];

  test("patches keep existing entries in order and add ours once; already-patched ones are skipped", () => {
    const plan = planNamespace(obs({ serviceAccounts }), { ...desired, serviceAccounts: ["default", "builder", "deployer"] }, now);
    assert.deepEqual(plan.patchServiceAccounts, [
      { name: "default", resourceVersion: "rv-default", imagePullSecrets: ["a", "b", "ecr-public-token"] },
      { name: "deployer", resourceVersion: "rv-deployer", imagePullSecrets: ["ecr-public-token"] },
    ]);
    assert.deepEqual(plan.missingServiceAccounts, []);
  });

  test('"*" patches every service account that lacks the secret', () => {
    const plan = planNamespace(obs({ secret: secret(), serviceAccounts }), { ...desired, serviceAccounts: ["*"] }, now);
    assert.equal(plan.secret, "skip-fresh");
    assert.deepEqual(
      plan.patchServiceAccounts.map((p) => p.name),
      ["default", "deployer"],
    );
    assert.deepEqual(plan.missingServiceAccounts, []);
  });

  test("missing service accounts are reported", () => {
    const plan = planNamespace(obs({ serviceAccounts }), { ...desired, serviceAccounts: ["ghost", "deployer", "phantom"] }, now);
    assert.deepEqual(plan.missingServiceAccounts, ["ghost", "phantom"]);
    assert.deepEqual(
      plan.patchServiceAccounts.map((p) => p.name),
      ["deployer"],
    );
  });

  test("none wanted, none patched", () => {
    const plan = planNamespace(obs({ serviceAccounts }), desired, now);
    assert.deepEqual(plan.patchServiceAccounts, []);
    assert.deepEqual(plan.missingServiceAccounts, []);
  });

  test("no patches for foreign or terminating namespaces", () => {
    const want = { ...desired, serviceAccounts: ["default", "ghost"] };
    const foreign = planNamespace(obs({ secret: secret({ labels: {} }), serviceAccounts }), want, now);
    assert.equal(foreign.secret, "skip-foreign");
    assert.deepEqual(foreign.patchServiceAccounts, []);
    assert.deepEqual(foreign.missingServiceAccounts, []);
    const terminating = planNamespace(obs({ terminating: true, serviceAccounts }), want, now);
    assert.deepEqual(terminating.patchServiceAccounts, []);
    assert.deepEqual(terminating.missingServiceAccounts, []);
  });

  test("patches for adopted, created and updated secrets", () => {
    const want = { ...desired, serviceAccounts: ["deployer"], adopt: true };
    for (const observed of [undefined, secret({ labels: {} }), secret({ type: "Opaque" })]) {
      const plan = planNamespace(obs({ secret: observed, serviceAccounts }), want, now);
      assert.deepEqual(
        plan.patchServiceAccounts.map((p) => p.name),
        ["deployer"],
        plan.secret,
      );
    }
  });

  test("does not modify the observed service accounts", () => {
    const observed = [sa("default", ["a"])];
    planNamespace(obs({ serviceAccounts: observed }), { ...desired, serviceAccounts: ["*"] }, now);
    assert.deepEqual(observed[0]?.imagePullSecrets, ["a"]);
  });
});

describe("secretFreshness looks only at our entries", () => {
  const key = "ecr-public-creds-helper/registries";
  const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
  const entries = (...hosts: string[]): string => JSON.stringify({ auths: Object.fromEntries(hosts.map((h) => [h, { auth: "eA==" }])) });
  const expires = { "ecr-public-creds-helper/expires-at": inHours(11) };
  const cases: Array<[string, Record<string, string>, string, readonly string[], { fresh: boolean; reason: string }]> = [
    // name, annotations, .dockerconfigjson, desired registries, verdict
    [
      "someone's ghcr.io entry beside ours",
      { ...expires, [key]: "public.ecr.aws" },
      entries("ghcr.io", "public.ecr.aws"),
      ["public.ecr.aws"],
      { fresh: true, reason: "token still fresh" },
    ],
    [
      "a private ECR login someone else added",
      { ...expires, [key]: "public.ecr.aws" },
      entries(privateHost, "public.ecr.aws"),
      ["public.ecr.aws"],
      { fresh: true, reason: "token still fresh" },
    ],
    [
      "older version (no record), ghcr.io beside ours",
      expires,
      entries("ghcr.io", "public.ecr.aws"),
      ["public.ecr.aws"],
      { fresh: true, reason: "token still fresh" },
    ],
    [
      "older version (no record), an ECR host we no longer want",
      expires,
      entries(privateHost, "public.ecr.aws"),
      ["public.ecr.aws"],
      { fresh: false, reason: "registry list changed" },
    ],
    [
      "our entry removed by someone, theirs left",
      { ...expires, [key]: "public.ecr.aws" },
      entries("ghcr.io"),
      ["public.ecr.aws"],
      { fresh: false, reason: "registry list changed" },
    ],
    [
      "a registry we now want and have not written",
      { ...expires, [key]: "public.ecr.aws" },
      entries("public.ecr.aws"),
      [privateHost, "public.ecr.aws"],
      { fresh: false, reason: "registry list changed" },
    ],
    [
      "a registry we want, present but written by someone else",
      { ...expires, [key]: "public.ecr.aws" },
      entries(privateHost, "public.ecr.aws"),
      [privateHost, "public.ecr.aws"],
      { fresh: false, reason: "registry list changed" },
    ],
    // Dual-stack names are hosts like any other: turning the option on or off rewrites the
    // secret; an older version's secret holding one did not get it from us.
    [
      "--ecr-public-dual-stack turned on",
      { ...expires, [key]: "public.ecr.aws" },
      entries("public.ecr.aws"),
      ["ecr-public.aws.com", "public.ecr.aws"],
      { fresh: false, reason: "registry list changed" },
    ],
    [
      "--ecr-public-dual-stack turned off",
      { ...expires, [key]: "ecr-public.aws.com,public.ecr.aws" },
      entries("ecr-public.aws.com", "public.ecr.aws"),
      ["public.ecr.aws"],
      { fresh: false, reason: "registry list changed" },
    ],
    [
      "both names of each registry written and wanted",
      { ...expires, [key]: "123456789012.dkr-ecr.eu-west-1.on.aws,ecr-public.aws.com,public.ecr.aws" },
      entries("123456789012.dkr-ecr.eu-west-1.on.aws", "ecr-public.aws.com", "public.ecr.aws"),
      ["123456789012.dkr-ecr.eu-west-1.on.aws", "ecr-public.aws.com", "public.ecr.aws"],
      { fresh: true, reason: "token still fresh" },
    ],
    [
      "older version (no record), dual-stack entries someone added",
      expires,
      entries("123456789012.dkr-ecr.eu-west-1.on.aws", "ecr-public.aws.com", "public.ecr.aws"),
      ["public.ecr.aws"],
      { fresh: true, reason: "token still fresh" },
    ],
    ["fail-safe: no entry of ours, theirs kept", { ...expires, [key]: "" }, entries("ghcr.io"), [], { fresh: true, reason: "token still fresh" }],
    [
      "after the fail-safe a real token is wanted",
      { ...expires, [key]: "" },
      entries("ghcr.io", "public.ecr.aws"),
      ["public.ecr.aws"],
      { fresh: false, reason: "registry list changed" },
    ],
  ];
  for (const [name, annotations, dockerConfigJson, registries, verdict] of cases) {
    test(name, () => assert.deepEqual(secretFreshness(secret({ annotations, dockerConfigJson }), { ...desired, registries }, now), verdict));
  }

  test("the plan records the hosts of the observed secret, never its credentials", () => {
    const plan = planNamespace(obs({ secret: secret({ dockerConfigJson: entries("ghcr.io", "public.ecr.aws") }) }), { ...desired, force: true }, now);
    assert.deepEqual(plan.existing?.registries, ["ghcr.io", "public.ecr.aws"]);
    assert.doesNotMatch(JSON.stringify(plan), /eA==/);
    const unreadable = planNamespace(obs({ secret: secret({ dockerConfigJson: "{not json" }) }), desired, now);
    assert.equal(unreadable.existing?.registries, undefined);
  });
});

describe("secretFreshness", () => {
  test("fresh only with the right type, registries and a far expiry", () => {
    assert.deepEqual(secretFreshness(secret(), desired, now), { fresh: true, reason: "token still fresh" });
    assert.equal(secretFreshness(secret(), { ...desired, refreshBeforeMs: 12 * hour }, now).fresh, false);
    assert.equal(secretFreshness(secret(), { ...desired, refreshBeforeMs: 0 }, now).fresh, true);
  });
});

describe("missingNamespacePlan / needsToken / what needs attention", () => {
  test("a missing namespace plan does nothing", () => {
    assert.deepEqual(missingNamespacePlan("ghost"), {
      namespace: "ghost",
      secret: "missing-namespace",
      reason: "namespace does not exist",
      patchServiceAccounts: [],
      missingServiceAccounts: [],
    });
  });

  test("only create, update and adopt need a token", () => {
    const expected: Record<SecretAction, boolean> = {
      create: true,
      update: true,
      adopt: true,
      "skip-fresh": false,
      "skip-foreign": false,
      "skip-terminating": false,
      "missing-namespace": false,
    };
    for (const action of Object.values(SecretAction)) {
      const plan = { ...missingNamespacePlan("ns"), secret: action };
      assert.equal(needsToken(plan), expected[action], action);
    }
  });

  test("needsToken on real plans", () => {
    assert.equal(needsToken(planNamespace(obs(), desired, now)), true);
    assert.equal(needsToken(planNamespace(obs({ secret: secret() }), desired, now)), false);
    assert.equal(needsToken(planNamespace(obs({ secret: secret() }), { ...desired, force: true }, now)), true);
    assert.equal(needsToken(planNamespace(obs({ terminating: true }), desired, now)), false);
  });

  test("foreign and missing namespaces need attention", () => {
    // Exit code 1 for a planned action: the one place that decides it is outcome.ts.
    const attention = Object.values(SecretAction).filter((a) => exitCodeFor([plannedKind(a)]) === ExitCode.attention);
    assert.deepEqual(attention.sort(), ["missing-namespace", "skip-foreign"]);
  });
});
