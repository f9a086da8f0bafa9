import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LabelSelectorError, matchesLabels, parseLabelSelector } from "./label-selector.ts";

const matches = (selector: string, labels: Record<string, string>): boolean => matchesLabels(parseLabelSelector(selector), labels);

describe("parseLabelSelector", () => {
  test("equality forms", () => {
    assert.deepEqual(parseLabelSelector("env=prod").requirements, [{ op: "eq", key: "env", value: "prod" }]);
    assert.deepEqual(parseLabelSelector("env==prod").requirements, [{ op: "eq", key: "env", value: "prod" }]);
    assert.deepEqual(parseLabelSelector("env != prod").requirements, [{ op: "neq", key: "env", value: "prod" }]);
    assert.deepEqual(parseLabelSelector("env=").requirements, [{ op: "eq", key: "env", value: "" }]);
  });

  test("set forms", () => {
    assert.deepEqual(parseLabelSelector("team in (a,b)").requirements, [{ op: "in", key: "team", values: ["a", "b"] }]);
    assert.deepEqual(parseLabelSelector("team in ( a , b )").requirements, [{ op: "in", key: "team", values: ["a", "b"] }]);
    assert.deepEqual(parseLabelSelector("team notin (x)").requirements, [{ op: "notin", key: "team", values: ["x"] }]);
  });

  test("existence forms", () => {
    assert.deepEqual(parseLabelSelector("legacy").requirements, [{ op: "exists", key: "legacy" }]);
    assert.deepEqual(parseLabelSelector("!legacy").requirements, [{ op: "notexists", key: "legacy" }]);
    assert.deepEqual(parseLabelSelector("! legacy").requirements, [{ op: "notexists", key: "legacy" }]);
  });

  test("prefixed keys", () => {
    assert.deepEqual(parseLabelSelector("example.com/team=a").requirements, [{ op: "eq", key: "example.com/team", value: "a" }]);
  });

  test("combinations split on commas outside parentheses only", () => {
    const selector = parseLabelSelector(" env=prod, tier!=cache,team in (a,b,c),!legacy,region notin (x,y),owner ");
    assert.equal(selector.text, "env=prod, tier!=cache,team in (a,b,c),!legacy,region notin (x,y),owner");
    assert.deepEqual(selector.requirements, [
      { op: "eq", key: "env", value: "prod" },
      { op: "neq", key: "tier", value: "cache" },
      { op: "in", key: "team", values: ["a", "b", "c"] },
      { op: "notexists", key: "legacy" },
      { op: "notin", key: "region", values: ["x", "y"] },
      { op: "exists", key: "owner" },
    ]);
  });

  test("empty or blank selects everything", () => {
    assert.deepEqual(parseLabelSelector(""), { text: "", requirements: [] });
    assert.deepEqual(parseLabelSelector("   "), { text: "", requirements: [] });
    assert.equal(matches("", {}), true);
    assert.equal(matches("", { any: "thing" }), true);
  });

  test("invalid selectors throw LabelSelectorError naming the selector", () => {
    for (const text of [
      "a=b=c",
      "a,,b",
      "a,",
      ",a",
      "a in (x",
      "a in x",
      "a in (x,y",
      "in (x)",
      "=b",
      "!=b",
      "a b",
      "a=b c",
      "-bad=x",
      "a=-bad",
      "!a=b",
      `a=${"v".repeat(64)}`,
      `${"k".repeat(64)}=v`,
      "Example.com/a=b",
      "a/b/c=d",
      "a in (x,-y)",
      "a within (x)",
      "a)=b",
    ]) {
      assert.throws(
        () => parseLabelSelector(text),
        (error: unknown) => {
          assert.ok(error instanceof LabelSelectorError, `${text}: ${String(error)}`);
          assert.equal(error.name, "LabelSelectorError");
          assert.ok(error.message.includes(text.trim()), `${text}: ${error.message}`);
          assert.ok(!error.message.includes("\n"));
          return true;
        },
        text,
      );
    }
  });

  test("values and keys at the length limit are fine", () => {
    assert.equal(parseLabelSelector(`a=${"v".repeat(63)}`).requirements.length, 1);
    assert.equal(parseLabelSelector("k".repeat(63)).requirements.length, 1);
  });
});

describe("matchesLabels", () => {
  const labels = { env: "prod", team: "a", tier: "web" };

  test("= and ==", () => {
    assert.equal(matches("env=prod", labels), true);
    assert.equal(matches("env==prod", labels), true);
    assert.equal(matches("env=dev", labels), false);
    assert.equal(matches("missing=x", labels), false);
  });

  test("!= also matches a missing label", () => {
    assert.equal(matches("env!=dev", labels), true);
    assert.equal(matches("env!=prod", labels), false);
    assert.equal(matches("missing!=x", labels), true);
  });

  test("in requires the label", () => {
    assert.equal(matches("team in (a,b)", labels), true);
    assert.equal(matches("team in (b,c)", labels), false);
    assert.equal(matches("missing in (a)", labels), false);
  });

  test("notin also matches a missing label", () => {
    assert.equal(matches("team notin (x)", labels), true);
    assert.equal(matches("team notin (a)", labels), false);
    assert.equal(matches("missing notin (a)", labels), true);
  });

  test("exists and !exists", () => {
    assert.equal(matches("tier", labels), true);
    assert.equal(matches("legacy", labels), false);
    assert.equal(matches("!legacy", labels), true);
    assert.equal(matches("!tier", labels), false);
    assert.equal(matches("empty", { empty: "" }), true);
    assert.equal(matches("!empty", { empty: "" }), false);
  });

  test("every requirement must hold", () => {
    assert.equal(matches("env=prod,team in (a,b),!legacy,tier!=cache", labels), true);
    assert.equal(matches("env=prod,team in (b,c)", labels), false);
    assert.equal(matches("env=prod,legacy", labels), false);
  });

  test("label keys that are Object.prototype names are not present unless set", () => {
    assert.equal(matches("constructor", {}), false);
    assert.equal(matches("!toString", {}), true);
    assert.equal(matches("hasOwnProperty notin (x)", {}), true);
    assert.equal(matches("constructor=x", { constructor: "x" }), true);
  });
});
