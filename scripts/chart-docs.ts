// The value table of charts/ecr-public-creds-helper/README.md, made from values.yaml the way
// helm-docs does it: the `# --` comment above a key is its description, an optional `(type)`
// at its start names a type the value cannot show (null defaults). A key with a description is
// documented as a whole, maps included; a map without one is documented key by key; anything
// else without one is a problem, so a new value cannot ship undocumented.
//
//   node scripts/chart-docs.ts           rewrite the table in the README
//   node scripts/chart-docs.ts --check   exit 1 when the README's table is not the one made now
//
// test/packaging/chart-readme.test.ts runs the check inside npm test.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadYaml } from "@kubernetes/client-node";

export const chartDir = join(import.meta.dirname, "..", "charts", "ecr-public-creds-helper");
export const tableStart = "<!-- values-table:start: made by `node scripts/chart-docs.ts` from values.yaml; do not edit by hand -->";
export const tableEnd = "<!-- values-table:end -->";

export interface ValueDoc {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

interface Frame {
  readonly indent: number;
  /** null for a sequence item: keys under it are not paths of values.yaml's maps. */
  readonly key: string | null;
}

/** The `# --` descriptions of values.yaml by dotted key path. */
export function descriptions(valuesYaml: string): Map<string, string> {
  const found = new Map<string, string>();
  const stack: Frame[] = [];
  let comment: string[] | undefined;
  for (const line of valuesYaml.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") {
      comment = undefined;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    if (trimmed.startsWith("#")) {
      const text = trimmed.replace(/^#+\s?/, "");
      if (/^--(\s|$)/.test(text)) comment = [text.slice(2).trim()];
      else comment?.push(text.trim());
      continue;
    }
    while (stack.length > 0 && (stack.at(-1)?.indent ?? 0) >= indent) stack.pop();
    const key = /^(?:"([^"]+)"|'([^']+)'|([^\s#'"][^:#]*?)):(?:\s|$)/.exec(trimmed);
    if (trimmed.startsWith("- ") || trimmed === "-") stack.push({ indent, key: null });
    else if (key) {
      const name = key[1] ?? key[2] ?? key[3] ?? "";
      const path = [...stack.map((f) => f.key), name];
      if (comment && !path.includes(null)) found.set(path.join("."), comment.join(" ").trim());
      stack.push({ indent, key: name });
    }
    comment = undefined;
  }
  return found;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return "list";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return typeof value === "object" ? "object" : typeof value;
}

/** One row per documented key, in values.yaml's order, and what is undocumented. */
export function valueDocs(valuesYaml: string): { docs: ValueDoc[]; problems: string[] } {
  const values = loadYaml(valuesYaml) as unknown;
  const described = descriptions(valuesYaml);
  const docs: ValueDoc[] = [];
  const problems: string[] = [];
  const walk = (map: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(map)) {
      const key = prefix === "" ? name : `${prefix}.${name}`;
      const text = described.get(key);
      if (text === undefined) {
        if (isMap(value) && Object.keys(value).length > 0) walk(value, key);
        else problems.push(`${key}: no "# --" description in values.yaml`);
        continue;
      }
      const typed = /^\(([^)]+)\)\s*/.exec(text);
      const type = typed?.[1] ?? typeOf(value);
      if (type === undefined) problems.push(`${key}: a null default needs its type, as "# -- (int) ..."`);
      docs.push({ key, type: type ?? "", default: JSON.stringify(value ?? null), description: typed ? text.slice(typed[0].length) : text });
    }
  };
  if (isMap(values)) walk(values, "");
  else problems.push("values.yaml is not a map");
  return { docs, problems };
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

export function valuesTable(docs: readonly ValueDoc[]): string {
  const rows = docs.map((d) => `| \`${d.key}\` | ${d.type} | \`${cell(d.default)}\` | ${cell(d.description)} |`);
  return ["| Key | Type | Default | Description |", "|---|---|---|---|", ...rows].join("\n");
}

/** The README with the text between the markers replaced by the table. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start < 0 || end < start) throw new Error(`the README has no ${tableStart} ... ${tableEnd} markers`);
  return `${readme.slice(0, start + tableStart.length)}\n${table}\n${readme.slice(end)}`;
}

/** What `--check` reports: problems in values.yaml, or a README whose table is stale. */
export function check(valuesYaml: string, readme: string): string[] {
  const { docs, problems } = valueDocs(valuesYaml);
  if (problems.length > 0) return problems;
  return withTable(readme, valuesTable(docs)) === readme ? [] : ["the README's value table is stale: run node scripts/chart-docs.ts"];
}

function main(args: readonly string[]): number {
  const valuesYaml = readFileSync(join(chartDir, "values.yaml"), "utf8");
  const readmePath = join(chartDir, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  if (args.includes("--check")) {
    const problems = check(valuesYaml, readme);
    for (const problem of problems) process.stderr.write(`chart-docs: ${problem}\n`);
    return problems.length > 0 ? 1 : 0;
  }
  const { docs, problems } = valueDocs(valuesYaml);
  for (const problem of problems) process.stderr.write(`chart-docs: ${problem}\n`);
  if (problems.length > 0) return 1;
  writeFileSync(readmePath, withTable(readme, valuesTable(docs)));
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
