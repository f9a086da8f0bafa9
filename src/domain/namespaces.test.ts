import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseLabelSelector } from "./label-selector.ts";
import { isGlob, isSelected, namespacePatternProblem, optOutAnnotation, selectNamespaces, type NamespaceSelection } from "./namespaces.ts";
import type { NamespaceInfo } from "./types.ts";

function ns(name: string, extra: Partial<Omit<NamespaceInfo, "name">> = {}): NamespaceInfo {
  return { name, labels: {}, annotations: {}, terminating: false, ...extra };
}

function selection(extra: Partial<Omit<NamespaceSelection, "labelSelector">> & { selector?: string } = {}): NamespaceSelection {
  return {
    include: extra.include ?? [],
    all: extra.all ?? false,
    exclude: extra.exclude ?? [],
    labelSelector: parseLabelSelector(extra.selector ?? ""),
  };
}

const cluster: NamespaceInfo[] = [
  ns("kube-system"),
  ns("default"),
  ns("team-b", { labels: { env: "prod" } }),
  ns("team-a", { labels: { env: "dev" } }),
  ns("team-c", { labels: { env: "prod" }, annotations: { [optOutAnnotation]: "true" } }),
  ns("team-d", { terminating: true, labels: { env: "prod" } }),
  ns("payments", { labels: { env: "prod" } }),
];

describe("isGlob / namespacePatternProblem", () => {
  test("globs are recognised by *, ? and [", () => {
    assert.equal(isGlob("team-*"), true);
    assert.equal(isGlob("team-?"), true);
    assert.equal(isGlob("team-[ab]"), true);
    assert.equal(isGlob("team-a"), false);
  });

  test("valid names and globs have no problem", () => {
    for (const pattern of ["default", "a", "team-a", "a1-b2", "x".repeat(63), "team-*", "*", "team-?", "team-[ab]", "team-[!a]"]) {
      assert.equal(namespacePatternProblem(pattern), undefined, pattern);
    }
  });

  test("invalid names are reported", () => {
    for (const pattern of ["Team", "-team", "team-", "team_a", "team.a", "x".repeat(64), ""]) {
      assert.match(namespacePatternProblem(pattern) ?? "", /is not a valid namespace name/, pattern);
    }
  });

  test("invalid globs are reported", () => {
    for (const pattern of ["Team-*", "team_*", "team/*", "team.*"]) {
      assert.equal(namespacePatternProblem(pattern), `"${pattern}" is not a valid namespace glob`, pattern);
    }
  });
});

describe("selectNamespaces", () => {
  test("explicit names; absent ones are missing", () => {
    const result = selectNamespaces(cluster, selection({ include: ["team-a", "default", "ghost", "ghost"] }));
    assert.deepEqual(result, { selected: ["default", "team-a"], terminating: [], missing: ["ghost"], optedOut: [] });
  });

  test("globs match, sorted, and are never missing", () => {
    const result = selectNamespaces(cluster, selection({ include: ["team-*", "nothing-*"] }));
    assert.deepEqual(result, {
      selected: ["team-a", "team-b"],
      terminating: ["team-d"],
      missing: [],
      optedOut: ["team-c"],
    });
  });

  test("all selects every namespace", () => {
    const result = selectNamespaces(cluster, selection({ all: true }));
    assert.deepEqual(result.selected, ["default", "kube-system", "payments", "team-a", "team-b"]);
    assert.deepEqual(result.terminating, ["team-d"]);
    assert.deepEqual(result.optedOut, ["team-c"]);
    assert.deepEqual(result.missing, []);
  });

  test("exclude by name and glob, and an excluded explicit name is not missing", () => {
    const result = selectNamespaces(cluster, selection({ all: true, include: ["ghost"], exclude: ["kube-*", "default", "ghost"] }));
    assert.deepEqual(result.selected, ["payments", "team-a", "team-b"]);
    assert.deepEqual(result.missing, []);
  });

  test("excluded namespaces are not reported as opted out or terminating", () => {
    const result = selectNamespaces(cluster, selection({ include: ["team-*"], exclude: ["team-c", "team-d"] }));
    assert.deepEqual(result, { selected: ["team-a", "team-b"], terminating: [], missing: [], optedOut: [] });
  });

  test("label selector narrows", () => {
    const result = selectNamespaces(cluster, selection({ all: true, selector: "env=prod" }));
    assert.deepEqual(result, { selected: ["payments", "team-b"], terminating: ["team-d"], missing: [], optedOut: ["team-c"] });
    const both = selectNamespaces(cluster, selection({ include: ["team-*"], selector: "env in (prod)" }));
    assert.deepEqual(both.selected, ["team-b"]);
  });

  test("an explicit name that exists but fails the selector is neither selected nor missing", () => {
    const result = selectNamespaces(cluster, selection({ include: ["team-a"], selector: "env=prod" }));
    assert.deepEqual(result, { selected: [], terminating: [], missing: [], optedOut: [] });
  });

  test('opt-out annotation only when exactly "true"', () => {
    const namespaces = [
      ns("a", { annotations: { [optOutAnnotation]: "true" } }),
      ns("b", { annotations: { [optOutAnnotation]: "false" } }),
      ns("c", { annotations: { [optOutAnnotation]: "" } }),
      ns("d", { annotations: { "other/ignore": "true" } }),
    ];
    const result = selectNamespaces(namespaces, selection({ all: true }));
    assert.deepEqual(result.selected, ["b", "c", "d"]);
    assert.deepEqual(result.optedOut, ["a"]);
    assert.equal(optOutAnnotation, "ecr-public-creds-helper/ignore");
  });

  test("an explicitly named opted-out namespace is opted out, not missing", () => {
    const result = selectNamespaces(cluster, selection({ include: ["team-c"] }));
    assert.deepEqual(result, { selected: [], terminating: [], missing: [], optedOut: ["team-c"] });
  });

  test("terminating namespaces are set apart", () => {
    const result = selectNamespaces(cluster, selection({ include: ["team-d", "team-a"] }));
    assert.deepEqual(result, { selected: ["team-a"], terminating: ["team-d"], missing: [], optedOut: [] });
  });

  test("nothing included and not all selects nothing", () => {
    assert.deepEqual(selectNamespaces(cluster, selection()), { selected: [], terminating: [], missing: [], optedOut: [] });
  });

  test("an empty cluster: every explicit name is missing, sorted", () => {
    const result = selectNamespaces([], selection({ include: ["zeta", "alpha", "team-*"] }));
    assert.deepEqual(result, { selected: [], terminating: [], missing: ["alpha", "zeta"], optedOut: [] });
  });
});

describe("isSelected", () => {
  test("agrees with each rule on single namespaces", () => {
    const sel = selection({ include: ["team-*"], exclude: ["team-x"], selector: "!legacy" });
    assert.equal(isSelected(ns("team-a"), sel), true);
    assert.equal(isSelected(ns("other"), sel), false);
    assert.equal(isSelected(ns("team-x"), sel), false);
    assert.equal(isSelected(ns("team-a", { labels: { legacy: "yes" } }), sel), false);
    assert.equal(isSelected(ns("team-a", { annotations: { [optOutAnnotation]: "true" } }), sel), false);
  });

  test("terminating does not change whether a namespace is selected", () => {
    assert.equal(isSelected(ns("team-a", { terminating: true }), selection({ include: ["team-a"] })), true);
  });
});
