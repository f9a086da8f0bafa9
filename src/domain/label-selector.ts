// Kubernetes label selectors (`env=prod,tier!=cache,team in (a,b),!legacy`), parsed once and
// matched locally: the controller re-evaluates them on every namespace event without a call.

type Requirement =
  | { readonly op: "eq" | "neq"; readonly key: string; readonly value: string }
  | { readonly op: "in" | "notin"; readonly key: string; readonly values: readonly string[] }
  | { readonly op: "exists" | "notexists"; readonly key: string };

export interface LabelSelector {
  readonly text: string;
  readonly requirements: readonly Requirement[];
}

export class LabelSelectorError extends Error {
  override readonly name = "LabelSelectorError";
}

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside `( … )`. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  terms.push(current);
  return terms.map((term) => term.trim());
}

function checkKey(key: string, text: string): string {
  if (!keyPattern.test(key)) throw new LabelSelectorError(`invalid label key "${key}" in selector "${text}"`);
  return key;
}

function checkValue(value: string, text: string): string {
  if (!valuePattern.test(value)) throw new LabelSelectorError(`invalid label value "${value}" in selector "${text}"`);
  return value;
}

function parseTerm(term: string, text: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set?.[1] && set[2] && set[3] !== undefined) {
    const values = set[3].split(",").map((v) => checkValue(v.trim(), text));
    return { op: set[2] as "in" | "notin", key: checkKey(set[1], text), values };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (cmp?.[1] && cmp[2] && cmp[3] !== undefined) {
    return { op: cmp[2] === "!=" ? "neq" : "eq", key: checkKey(cmp[1], text), value: checkValue(cmp[3], text) };
  }
  if (term.startsWith("!")) return { op: "notexists", key: checkKey(term.slice(1).trim(), text) };
  if (term.length > 0 && !/[\s=!()]/.test(term)) return { op: "exists", key: checkKey(term, text) };
  throw new LabelSelectorError(`cannot parse "${term}" in label selector "${text}"`);
}

export function parseLabelSelector(text: string): LabelSelector {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { text: "", requirements: [] };
  return { text: trimmed, requirements: splitTerms(trimmed).map((term) => parseTerm(term, trimmed)) };
}

export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  // Own keys only: a plain object would otherwise "have" labels like `constructor` or `toString`.
  return selector.requirements.every((req) => holds(req, Object.hasOwn(labels, req.key) ? labels[req.key] : undefined));
}

function holds(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case "eq":
      return value === req.value;
    case "neq":
      return value !== req.value;
    case "in":
      return value !== undefined && req.values.includes(value);
    case "notin":
      return value === undefined || !req.values.includes(value);
    case "exists":
      return value !== undefined;
    case "notexists":
      return value === undefined;
  }
}
