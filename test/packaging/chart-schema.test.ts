// values.schema.json is complete: every key of values.yaml has a schema entry, every schema
// entry is a value of values.yaml (so it is documented), and every object with fixed keys
// refuses others, so a misspelt value fails the install instead of being ignored.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadYaml } from "@kubernetes/client-node";
import type { Values } from "./chart-examples.ts";
import { chartDir, helm } from "./support.ts";

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  definitions?: Record<string, Schema>;
  [key: string]: unknown;
}

/** Keys Helm gives every chart, not values of ours. */
const helmOwn = ["global"];

function resolve(schema: Schema, root: Schema): Schema {
  const name = /^#\/definitions\/(.+)$/.exec(schema.$ref ?? "")?.[1];
  if (!name) return schema;
  const target = root.definitions?.[name];
  if (!target) throw new Error(`${schema.$ref} is not defined`);
  return resolve(target, root);
}

function isMap(value: unknown): value is Values {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** values.yaml keys the schema has no entry for. A free-form map (no properties) takes any key. */
function withoutSchema(values: Values, schema: Schema, root: Schema, prefix = ""): string[] {
  const own = resolve(schema, root);
  if (!own.properties) return own.additionalProperties === false ? Object.keys(values).map((k) => prefix + k) : [];
  return Object.entries(values).flatMap(([key, value]) => {
    const entry = own.properties?.[key];
    if (!entry) return [prefix + key];
    return isMap(value) ? withoutSchema(value, entry, root, `${prefix}${key}.`) : [];
  });
}

/** Schema properties that are not keys of values.yaml. */
function withoutValue(values: Values, schema: Schema, root: Schema, prefix = ""): string[] {
  const own = resolve(schema, root);
  return Object.entries(own.properties ?? {}).flatMap(([key, entry]) => {
    if (prefix === "" && helmOwn.includes(key)) return [];
    if (!(key in values)) return [prefix + key];
    const value = values[key];
    return isMap(value) ? withoutValue(value, entry, root, `${prefix}${key}.`) : [];
  });
}

/** Objects with fixed keys that would accept a misspelt one. */
function openObjects(schema: Schema, root: Schema, path = "(root)"): string[] {
  const own = resolve(schema, root);
  const here = own.properties && own.additionalProperties !== false ? [path] : [];
  return [...here, ...Object.entries(own.properties ?? {}).flatMap(([key, entry]) => openObjects(entry, root, path === "(root)" ? key : `${path}.${key}`))];
}

describe("values.schema.json", () => {
  const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8")) as Schema;
  const values = loadYaml(readFileSync(join(chartDir, "values.yaml"), "utf8")) as Values;

  test("every key of values.yaml has a schema entry", () => {
    assert.deepEqual(withoutSchema(values, schema, schema), []);
  });

  test("every schema entry is a key of values.yaml, so the README documents it", () => {
    assert.deepEqual(withoutValue(values, schema, schema), []);
  });

  test("every object with fixed keys refuses other keys", () => {
    assert.deepEqual(openObjects(schema, schema), []);
  });

  test("the checks can fail: a new value, a stray schema entry, an open object", () => {
    const added = { ...values, newThing: { enabled: false }, aws: { ...(values["aws"] as Values), region: "x" } };
    assert.deepEqual(withoutSchema(added, schema, schema), ["aws.region", "newThing"]);
    const { failSafe: _, ...fewer } = values;
    assert.deepEqual(withoutValue(fewer, schema, schema), ["failSafe"]);
    const open = structuredClone(schema);
    const image = open.properties?.["image"];
    assert.ok(image);
    delete image.additionalProperties;
    assert.deepEqual(openObjects(open, open), ["image"]);
  });

  test("helm refuses a misspelt nested value with its path", async () => {
    const result = await helm(["template", "x", chartDir, "--set", "failSafe.enable=false"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /at '\/failSafe': additional properties 'enable' not allowed/);
  });
});
