import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildDockerConfigJson, mergeDockerConfigJson } from "./dockerconfig.ts";
import { parseLabelSelector } from "./label-selector.ts";
import { missingNamespacePlan, planNamespace, type DesiredState, type NamespacePlan } from "./plan.ts";
import { namespaceState, statusItem, statusReport, type NamespaceFound, type StatusSettings } from "./status.ts";
import { namespaceStates, statusReportSchema } from "./status-document.ts";
import { statusRows } from "./status-table.ts";
import type { ObservedSecret, ObservedServiceAccount } from "./types.ts";
import type { WriteNeed } from "./write-access.ts";

const hour = 3_600_000;
const now = new Date("2025-06-01T12:00:00Z");
const inHours = (h: number): string => new Date(now.getTime() + h * hour).toISOString();
const password = "eyJwYXlsb2FkIjoiVE9LRU4tU0VDUkVUIn0";
const otherPassword = "ghcr-SECRET";

const desired: DesiredState = {
  secretName: "ecr-public-token",
  registries: ["public.ecr.aws"],
  refreshBeforeMs: 6 * hour,
  force: false,
  adopt: false,
  serviceAccounts: ["default"],
};

const settings: StatusSettings = {
  secretName: "ecr-public-token",
  selection: { include: ["team-*", "gone"], all: false, exclude: ["team-x"], labelSelector: parseLabelSelector("env=prod") },
  serviceAccounts: ["default"],
  refreshBeforeMs: 6 * hour,
  registries: ["public.ecr.aws"],
};

/** Ours, for public.ecr.aws, plus a ghcr.io entry someone else added. */
function ours(namespace: string, expiresInH: number): ObservedSecret {
  const json = mergeDockerConfigJson(
    buildDockerConfigJson([{ server: "ghcr.io", username: "bot", password: otherPassword }]),
    [{ server: "public.ecr.aws", username: "AWS", password }],
    () => false,
  );
  return {
    namespace,
    name: "ecr-public-token",
    resourceVersion: "1",
    type: "kubernetes.io/dockerconfigjson",
    labels: { "app.kubernetes.io/managed-by": "ecr-public-creds-helper" },
    annotations: { "ecr-public-creds-helper/expires-at": inHours(expiresInH), "ecr-public-creds-helper/registries": "public.ecr.aws" },
    dockerConfigJson: json,
    createdAt: new Date(now.getTime() - 2 * hour),
    writtenAt: new Date(now.getTime() - 90_000),
  };
}

function foreign(namespace: string): ObservedSecret {
  return {
    namespace,
    name: "ecr-public-token",
    resourceVersion: "1",
    type: "kubernetes.io/dockerconfigjson",
    labels: { "app.kubernetes.io/managed-by": "helm" },
    annotations: {},
    dockerConfigJson: buildDockerConfigJson([{ server: "public.ecr.aws", username: "AWS", password }]),
  };
}

const sa = (namespace: string, imagePullSecrets: string[] = []): ObservedServiceAccount => ({
  namespace,
  name: "default",
  resourceVersion: "1",
  imagePullSecrets,
});

function plan(namespace: string, found: NamespaceFound, terminating = false): NamespacePlan {
  return planNamespace({ namespace, terminating, ...found }, desired, now);
}

describe("namespaceState", () => {
  test("follows the plan; an expiry already past is expired, not just due; a refused write is forbidden", () => {
    const cases: Array<[string, ObservedSecret | undefined, boolean, string]> = [
      ["fresh", ours("a", 11), false, "ok"],
      ["due", ours("a", 2), false, "refresh-due"],
      ["past", ours("a", -1), false, "expired"],
      ["absent", undefined, false, "missing"],
      ["foreign", foreign("a"), false, "foreign"],
      ["terminating", ours("a", 11), true, "terminating"],
    ];
    for (const [name, secret, terminating, state] of cases) {
      assert.equal(namespaceState(plan("a", { secret, serviceAccounts: [] }, terminating), secret, [], now), state, name);
    }
    assert.equal(namespaceState(missingNamespacePlan("gone"), undefined, [], now), "no-namespace");
    const refused: WriteNeed[] = [{ verb: "update", resource: "secrets", name: "ecr-public-token" }];
    assert.equal(namespaceState(plan("a", { secret: ours("a", 11), serviceAccounts: [] }), ours("a", 11), refused, now), "forbidden");
  });

  test("a secret due for another reason than time (registry list changed) is refresh-due even with no expiry recorded", () => {
    const secret = { ...ours("a", 11), annotations: {} };
    assert.equal(namespaceState(plan("a", { secret, serviceAccounts: [] }), secret, [], now), "refresh-due");
  });
});

describe("statusItem", () => {
  test("every registry host of the secret, ours marked; expiry as RFC 3339 and seconds left; times of creation and last write", () => {
    const found = { secret: ours("a", 2), serviceAccounts: [sa("a", ["ecr-public-token"])] };
    const item = statusItem(plan("a", found), found, ["default"], [], now);
    assert.deepEqual(item, {
      namespace: "a",
      state: "refresh-due",
      reason: "token expires soon",
      secret: {
        type: "kubernetes.io/dockerconfigjson",
        managedBy: "ecr-public-creds-helper",
        createdAt: "2025-06-01T10:00:00.000Z",
        lastWrittenAt: "2025-06-01T11:58:30.000Z",
        expiresAt: "2025-06-01T14:00:00.000Z",
        expiresInSeconds: 7200,
        registries: [
          { host: "ghcr.io", ours: false },
          { host: "public.ecr.aws", ours: true },
        ],
      },
      serviceAccounts: [{ name: "default", state: "ok" }],
    });
  });

  test("an expired token has negative seconds left", () => {
    const found = { secret: ours("a", -1), serviceAccounts: [] };
    assert.equal(statusItem(plan("a", found), found, [], [], now).secret?.expiresInSeconds, -3600);
  });

  test("a foreign secret's ECR entry is not ours; its owner is its managed-by label; its service accounts are not looked at", () => {
    const found = { secret: foreign("a"), serviceAccounts: [sa("a")] };
    const item = statusItem(plan("a", found), found, ["default"], [], now);
    assert.equal(item.state, "foreign");
    assert.equal(item.secret?.managedBy, "helm");
    assert.deepEqual(item.secret?.registries, [{ host: "public.ecr.aws", ours: false }]);
    assert.equal(item.secret?.expiresAt, null);
    assert.deepEqual(item.serviceAccounts, []);
  });

  test("service accounts: unpatched, missing, and forbidden when their patch is refused", () => {
    const found = { secret: undefined, serviceAccounts: [sa("a")] };
    const p = plan("a", found);
    assert.deepEqual(statusItem(p, found, ["default"], [], now).serviceAccounts, [{ name: "default", state: "unpatched" }]);
    const refused: WriteNeed[] = [{ verb: "patch", resource: "serviceaccounts", name: "default" }];
    const item = statusItem(p, found, ["default"], refused, now);
    assert.equal(item.state, "forbidden");
    assert.equal(item.reason, "this identity may not patch serviceaccounts/default here (RBAC)");
    assert.deepEqual(item.serviceAccounts, [{ name: "default", state: "forbidden" }]);
    const none = { secret: undefined, serviceAccounts: [] };
    assert.deepEqual(statusItem(plan("a", none), none, ["default"], [], now).serviceAccounts, [{ name: "default", state: "missing" }]);
  });

  test("no credential reaches the item, whatever the secret holds", () => {
    for (const secret of [ours("a", 11), foreign("a")]) {
      const found = { secret, serviceAccounts: [] };
      const text = JSON.stringify(statusItem(plan("a", found), found, [], [], now));
      assert.ok(!text.includes(password) && !text.includes(otherPassword) && !text.includes('"auth"'), text);
    }
  });
});

describe("statusReport", () => {
  const found = new Map<string, NamespaceFound>([
    ["team-a", { secret: ours("team-a", 11), serviceAccounts: [sa("team-a", ["ecr-public-token"])] }],
    ["team-b", { secret: ours("team-b", 2), serviceAccounts: [sa("team-b", ["ecr-public-token"])] }],
    ["team-c", { secret: undefined, serviceAccounts: [] }],
  ]);
  const lookup = (namespace: string): NamespaceFound => found.get(namespace) ?? { secret: undefined, serviceAccounts: [] };
  const plans = [...[...found.keys()].map((ns) => plan(ns, lookup(ns))), missingNamespacePlan("gone")];

  test("header, metadata from the settings, an item per plan, every state counted, exit code 1 when anything needs doing", () => {
    const report = statusReport(settings, plans, lookup, new Map(), now);
    assert.equal(report.apiVersion, "ecr-public-creds-helper/v1");
    assert.equal(report.kind, "StatusReport");
    assert.deepEqual(report.metadata, {
      generatedAt: "2025-06-01T12:00:00.000Z",
      secretName: "ecr-public-token",
      selection: { namespaces: ["team-*", "gone"], allNamespaces: false, exclude: ["team-x"], namespaceSelector: "env=prod" },
      serviceAccounts: ["default"],
      registries: ["public.ecr.aws"],
      refreshBeforeSeconds: 21600,
    });
    assert.deepEqual(
      report.items.map((i) => [i.namespace, i.state]),
      [
        ["team-a", "ok"],
        ["team-b", "refresh-due"],
        ["team-c", "missing"],
        ["gone", "no-namespace"],
      ],
    );
    assert.deepEqual(Object.keys(report.summary.states), [...namespaceStates]);
    assert.deepEqual(report.summary, {
      namespaces: 4,
      states: { ok: 1, "refresh-due": 1, expired: 0, missing: 1, foreign: 0, terminating: 0, "no-namespace": 1, forbidden: 0 },
      serviceAccountsNeedingAttention: 1,
      exitCode: 1,
    });
    assert.ok(statusReportSchema.safeParse(report).success);
  });

  test("exit code 0 only when every item and its service accounts are ok; 1 for an empty selection", () => {
    const okOnly = [plan("team-a", lookup("team-a"))];
    assert.equal(statusReport(settings, okOnly, lookup, new Map(), now).summary.exitCode, 0);
    const unpatched: NamespaceFound = { secret: ours("team-a", 11), serviceAccounts: [sa("team-a")] };
    assert.equal(statusReport(settings, [plan("team-a", unpatched)], () => unpatched, new Map(), now).summary.exitCode, 1);
    assert.equal(statusReport(settings, [], lookup, new Map(), now).summary.exitCode, 1);
  });

  test("refused writes make their namespace forbidden, and only it", () => {
    const refused = new Map([["team-c", [{ verb: "create", resource: "secrets" } as const]]]);
    const report = statusReport(settings, plans, lookup, refused, now);
    assert.deepEqual(
      report.items.filter((i) => i.state === "forbidden").map((i) => [i.namespace, i.reason]),
      [["team-c", "this identity may not create secrets here (RBAC)"]],
    );
    assert.equal(report.summary.states.forbidden, 1);
    assert.equal(report.summary.states.missing, 0);
  });
});

describe("statusRows", () => {
  const found: NamespaceFound = { secret: ours("team-a", 11), serviceAccounts: [sa("team-a")] };
  const report = statusReport(
    settings,
    [plan("team-a", found), missingNamespacePlan("gone")],
    (ns) => (ns === "team-a" ? found : { secret: undefined, serviceAccounts: [] }),
    new Map(),
    now,
  );

  test("the table: our registries only, expiry in words, service accounts that need something", () => {
    assert.deepEqual(statusRows(report, false), [
      ["team-a", "ok", "in 11h", "public.ecr.aws", "default (unpatched)"],
      ["gone", "no-namespace", "-", "-", "-"],
    ]);
  });

  test("wide adds every registry with ours marked, the owner, age, last write and the reason", () => {
    assert.deepEqual(statusRows(report, true)[0]?.slice(5), [
      "ghcr.io,public.ecr.aws(ours)",
      "ecr-public-creds-helper",
      "2h",
      "1m30s ago",
      "token still fresh",
    ]);
    assert.deepEqual(statusRows(report, true)[1]?.slice(5), ["-", "-", "-", "-", "namespace does not exist"]);
  });
});
