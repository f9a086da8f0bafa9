// The chart README documents every value: its table is the one scripts/chart-docs.ts makes
// from values.yaml now, and, read on its own, has a row for every value (a map documented as a
// whole covers its keys) and none for a value that is gone.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadYaml } from "@kubernetes/client-node";
import { check, tableEnd, tableStart, valueDocs, valuesTable, withTable } from "../../scripts/chart-docs.ts";
import { run } from "./support.ts";
import { chartReadme, type Values } from "./chart-examples.ts";
import { chartDir } from "./support.ts";

const valuesPath = join(chartDir, "values.yaml");

/** Every key path of values.yaml down to its leaves (scalars, lists, empty maps). */
function leafPaths(values: Values, prefix = ""): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const isMap = typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
    return isMap ? leafPaths(value as Values, path) : [path];
  });
}

/** The Key column of the README's value table. */
function documentedKeys(readme: string): string[] {
  const table = readme.slice(readme.indexOf(tableStart), readme.indexOf(tableEnd));
  return [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? "");
}

/** Values with no row of their own or of a map above them, and rows for no value. */
function undocumented(valuesYaml: string, readme: string): { missing: string[]; stale: string[] } {
  const values = loadYaml(valuesYaml) as Values;
  const keys = documentedKeys(readme);
  const covered = (path: string): boolean => keys.some((key) => path === key || path.startsWith(`${key}.`));
  const leaves = leafPaths(values);
  const exists = (key: string): boolean => leaves.some((path) => path === key || path.startsWith(`${key}.`));
  return { missing: leaves.filter((path) => !covered(path)), stale: keys.filter((key) => !exists(key)) };
}

describe("chart README", () => {
  const valuesYaml = readFileSync(valuesPath, "utf8");
  const readme = readFileSync(chartReadme, "utf8");

  test("every value in values.yaml has a row in the README's table, and every row a value", () => {
    assert.ok(documentedKeys(readme).length >= 40, "the table was not found");
    assert.deepEqual(undocumented(valuesYaml, readme), { missing: [], stale: [] });
  });

  test("the table is the one made from values.yaml now (node scripts/chart-docs.ts --check)", async () => {
    assert.deepEqual(check(valuesYaml, readme), []);
    const cli = await run(process.execPath, [join(import.meta.dirname, "..", "..", "scripts", "chart-docs.ts"), "--check"]);
    assert.equal(cli.code, 0, cli.stderr);
  });

  test("a value added without a description, or a row removed, is caught", () => {
    const added = `${valuesYaml}\nnewThing:\n  enabled: false\n`;
    assert.deepEqual(check(added, readme), ['newThing.enabled: no "# --" description in values.yaml']);
    assert.deepEqual(undocumented(added, readme).missing, ["newThing.enabled"]);
    const withoutRow = readme.replace(/^\| `failSafe\.margin` .*\n/m, "");
    assert.notEqual(withoutRow, readme);
    assert.deepEqual(undocumented(valuesYaml, withoutRow).missing, ["failSafe.margin"]);
    assert.deepEqual(check(valuesYaml, withoutRow), ["the README's value table is stale: run node scripts/chart-docs.ts"]);
    const renamed = valuesYaml.replace(/^refreshBefore:/m, "refreshWindow:");
    assert.deepEqual(undocumented(renamed, readme), { missing: ["refreshWindow"], stale: ["refreshBefore"] });
  });

  test("descriptions: a map with one documents its keys, one without is walked, a null default names its type", () => {
    const yaml = [
      "# -- Whole map.",
      "whole:",
      "  a: 1",
      "  b: [x]",
      "walked:",
      "  # -- First line",
      "  # continues here.",
      "  inner: true",
      "  list:",
      "    # -- not a value's description: inside a list",
      "    - name: x",
      "  # -- (int or string) Typed.",
      "  typed: null",
      "# -- A label key with dots.",
      '"dotted.key": "v|w"',
      "",
      "# -- Separated by a blank line, so not this key's.",
      "",
      "bare: 1",
    ].join("\n");
    const { docs, problems } = valueDocs(yaml);
    assert.deepEqual(problems, ['walked.list: no "# --" description in values.yaml', 'bare: no "# --" description in values.yaml']);
    assert.deepEqual(docs, [
      { key: "whole", type: "object", default: '{"a":1,"b":["x"]}', description: "Whole map." },
      { key: "walked.inner", type: "bool", default: "true", description: "First line continues here." },
      { key: "walked.typed", type: "int or string", default: "null", description: "Typed." },
      { key: "dotted.key", type: "string", default: '"v|w"', description: "A label key with dots." },
    ]);
    assert.match(valuesTable(docs), /^\| `dotted\.key` \| string \| `"v\\\|w"` \| A label key with dots\. \|$/m);
    assert.deepEqual(valueDocs("# -- Untyped.\nnothing: null\n").problems, ['nothing: a null default needs its type, as "# -- (int) ..."']);
    assert.throws(() => withTable("no markers", "x"), /markers/);
  });
});
