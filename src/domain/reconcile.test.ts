// The controller's per-namespace decision as a table: what it observes -> what it does.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildDockerConfigJson } from "./dockerconfig.ts";
import type { DesiredState } from "./plan.ts";
import { decideReconcile, type NamespaceView, type Reconcile } from "./reconcile.ts";
import type { NamespaceInfo, ObservedSecret, ObservedServiceAccount } from "./types.ts";

const now = new Date("2026-01-01T00:00:00Z");
const held = new Date("2026-01-01T12:00:00Z");
const ours = { "app.kubernetes.io/managed-by": "ecr-public-creds-helper" };

const desired: DesiredState = {
  secretName: "ecr-public-token",
  registries: ["public.ecr.aws"],
  refreshBeforeMs: 0,
  heldTokenExpiresAt: held,
  force: false,
  adopt: false,
  serviceAccounts: ["default"],
};

const ns = (overrides: Partial<NamespaceInfo> = {}): NamespaceInfo => ({ name: "team", labels: {}, annotations: {}, terminating: false, ...overrides });

const secret = (overrides: Partial<ObservedSecret> = {}): ObservedSecret => ({
  namespace: "team",
  name: "ecr-public-token",
  resourceVersion: "7",
  type: "kubernetes.io/dockerconfigjson",
  labels: ours,
  annotations: { "ecr-public-creds-helper/expires-at": held.toISOString() },
  dockerConfigJson: buildDockerConfigJson([{ server: "public.ecr.aws", username: "AWS", password: "p" }]),
  ...overrides,
});

const sa = (name: string, imagePullSecrets: string[]): ObservedServiceAccount => ({ namespace: "team", name, resourceVersion: `rv-${name}`, imagePullSecrets });

const view = (overrides: Partial<NamespaceView> = {}): NamespaceView => ({
  namespace: ns(),
  selected: true,
  secret: undefined,
  serviceAccounts: [],
  ...overrides,
});

const settings = { secretName: "ecr-public-token", prune: false };
const pruning = { ...settings, prune: true };

/** The decision in a word, plus what it would touch, for the table. */
function summary(decision: Reconcile): string {
  switch (decision.kind) {
    case "leave":
      return `leave: ${decision.reason}`;
    case "foreign":
      return `foreign: ${decision.event.reason}`;
    case "prune":
      return `prune: secret@${decision.secret.resourceVersion}; ${decision.serviceAccounts.map((s) => `${s.name}=[${s.imagePullSecrets.join(",")}]`).join(" ")}`;
    case "apply":
      return `apply: ${decision.plan.secret}; patch ${decision.plan.patchServiceAccounts.map((s) => s.name).join(",") || "-"}`;
  }
}

describe("decideReconcile", () => {
  const rows: Array<[string, NamespaceView, DesiredState | undefined, typeof settings, string]> = [
    ["deleted namespace", view({ namespace: undefined }), desired, pruning, "leave: namespace deleted"],
    ["no token yet", view(), undefined, settings, "leave: no token yet"],
    ["new namespace", view({ serviceAccounts: [sa("default", [])] }), desired, settings, "apply: create; patch default"],
    [
      "holds the current token, SA patched",
      view({ secret: secret(), serviceAccounts: [sa("default", ["ecr-public-token"])] }),
      desired,
      settings,
      "apply: skip-fresh; patch -",
    ],
    [
      "holds an older token",
      view({ secret: secret({ annotations: { "ecr-public-creds-helper/expires-at": now.toISOString() } }) }),
      desired,
      settings,
      "apply: update; patch -",
    ],
    ["terminating", view({ namespace: ns({ terminating: true }), secret: secret() }), desired, settings, "leave: namespace is terminating"],
    ["foreign secret", view({ secret: secret({ labels: {} }), serviceAccounts: [sa("default", [])] }), desired, settings, "foreign: ForeignSecret"],
    ["foreign secret, --adopt", view({ secret: secret({ labels: {} }) }), { ...desired, adopt: true }, settings, "apply: adopt; patch -"],
    ["not selected, no --prune", view({ selected: false, secret: secret() }), desired, settings, "leave: not selected"],
    [
      "not selected, --prune: our entry out, others kept, then our secret",
      view({ selected: false, secret: secret(), serviceAccounts: [sa("default", ["a", "ecr-public-token", "b"]), sa("other", ["a"])] }),
      desired,
      pruning,
      "prune: secret@7; default=[a,b]",
    ],
    ["not selected, --prune, no token needed", view({ selected: false, secret: secret() }), undefined, pruning, "prune: secret@7; "],
    [
      "not selected, --prune, opted out: untouched",
      view({
        selected: false,
        namespace: ns({ annotations: { "ecr-public-creds-helper/ignore": "true" } }),
        secret: secret(),
        serviceAccounts: [sa("default", ["ecr-public-token"])],
      }),
      desired,
      pruning,
      "leave: not selected; opted out (ecr-public-creds-helper/ignore)",
    ],
    [
      "not selected, --prune, secret of another tool: its SA entry is theirs too",
      view({ selected: false, secret: secret({ labels: { "app.kubernetes.io/managed-by": "helm" } }), serviceAccounts: [sa("default", ["ecr-public-token"])] }),
      desired,
      pruning,
      "leave: not selected; the secret is not ours",
    ],
    [
      "not selected, --prune, no secret: an entry alone proves nothing",
      view({ selected: false, serviceAccounts: [sa("default", ["ecr-public-token"])] }),
      desired,
      pruning,
      "leave: not selected; no secret of ours",
    ],
    [
      "not selected, --prune, terminating",
      view({ selected: false, namespace: ns({ terminating: true }), secret: secret() }),
      desired,
      pruning,
      "leave: not selected; namespace is terminating",
    ],
  ];
  for (const [name, v, d, s, expected] of rows) {
    test(name, () => assert.equal(summary(decideReconcile(v, d, s, now)), expected));
  }

  test("a foreign secret's warning and Event say what to do and hold nothing secret", () => {
    const decision = decideReconcile(view({ secret: secret({ labels: {} }) }), desired, settings, now);
    assert.equal(decision.kind, "foreign");
    if (decision.kind !== "foreign") return;
    assert.equal(decision.warning, "namespace team: a secret of this name exists and is not managed by us; use --adopt to take it over");
    assert.equal(decision.event.type, "Warning");
    assert.match(decision.event.message, /left untouched \(use --adopt to take it over\)/);
  });
});
