// The chart's documented combinations, read from its README so that what users copy is what is
// tested: every ```yaml block is a values file, every `helm install|upgrade|template` line in a
// ```sh block contributes its --set flags. Rendered with the real helm, the way a user would.
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadYaml } from "@kubernetes/client-node";
import { chartDir, helm } from "./support.ts";

export type Values = Record<string, unknown>;

export interface Example {
  /** The heading the example is under, and which of its kind it is. */
  readonly name: string;
  /** A values file (-f), or --set flags. */
  readonly values?: Values;
  readonly sets?: readonly string[];
}

export const chartReadme = join(chartDir, "README.md");

/** Words of a shell command line: '…' and "…" quoting and backslash escapes, as sh reads them. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word = (word ?? "") + line.charAt(++i);
      else word = (word ?? "") + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\" && i + 1 < line.length) word = (word ?? "") + line.charAt(++i);
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The --set values of every helm install/upgrade/template command in a shell block. */
function helmSets(block: string): string[][] {
  return block
    .replace(/\\\n/g, " ")
    .split("\n")
    .map(shellWords)
    .filter((words) => words[0] === "helm" && ["install", "upgrade", "template"].includes(words[1] ?? ""))
    .map((words) => words.flatMap((word, i) => (words[i - 1] === "--set" ? [word] : word.startsWith("--set=") ? [word.slice(6)] : [])));
}

/** Every documented combination in a chart README. */
export function readmeExamples(readme: string): Example[] {
  const examples: Example[] = [];
  let heading = "README";
  let counter = 0;
  const blockPattern = /^#{1,6} (.+)$|^```(\w+)\n([\s\S]*?)^```$/gm;
  for (const match of readme.matchAll(blockPattern)) {
    if (match[1] !== undefined) {
      heading = match[1].trim();
      counter = 0;
      continue;
    }
    const [language, body] = [match[2], match[3] ?? ""];
    if (language === "yaml") examples.push({ name: `${heading} #${++counter}`, values: loadYaml(body) as Values });
    if (language === "sh") for (const sets of helmSets(body)) examples.push({ name: `${heading} #${++counter}`, sets });
  }
  return examples;
}

export function documentedExamples(): Example[] {
  return readmeExamples(readFileSync(chartReadme, "utf8"));
}

let valuesDir: Promise<string> | undefined;

/** helm's arguments for an example's values: a values file, as users pass it, or the --set flags. */
export async function valueArgs(example: Example): Promise<string[]> {
  const sets = (example.sets ?? []).flatMap((s) => ["--set", s]);
  if (!example.values) return sets;
  valuesDir ??= mkdtemp(join(tmpdir(), "chart-examples-"));
  const file = join(await valuesDir, `${example.name.replace(/[^a-z0-9]+/gi, "-")}.json`);
  await writeFile(file, JSON.stringify(example.values));
  return ["-f", file, ...sets];
}

/** `helm template` of an example; throws with helm's message on failure. */
export async function templateExample(namespace: string, example: Example, release = "ecr-public-creds-helper"): Promise<string> {
  const result = await helm(["template", release, chartDir, "--namespace", namespace, ...(await valueArgs(example))]);
  if (result.code !== 0) throw new Error(`helm template (${example.name}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** The chart's default values, parsed. */
export function defaultValues(): Values {
  return loadYaml(readFileSync(join(chartDir, "values.yaml"), "utf8")) as Values;
}

function isMap(value: unknown): value is Values {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Values as helm coalesces them: maps merge key by key, null removes, anything else replaces. */
export function mergeValues(base: Values, override: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    else merged[key] = isMap(value) && isMap(merged[key]) ? mergeValues(merged[key], value) : value;
  }
  return merged;
}
