// What the monitoring tests share: deploy/monitoring's rules and dashboard, promtool runs in a
// scratch directory, the metric names a PromQL query uses and the names a /metrics page serves,
// and the prometheus-operator CRDs from the Go module proxy.
import { readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadYaml } from "@kubernetes/client-node";
import { repoRoot } from "../testenv/paths.ts";
import { ensurePromtool } from "./promtool.ts";
import { goModuleDir } from "./crds.ts";
import { deployDir, run, type RunResult } from "./support.ts";

export const monitoringDir = join(deployDir, "monitoring");
/** One promtool unit-test file per alert; each names its rules file `rules.yaml`. */
export const ruleTestsDir = join(repoRoot, "test", "monitoring");

export interface Rule {
  readonly alert: string;
  expr: string;
  for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface RuleGroups {
  readonly groups: ReadonlyArray<{ readonly name: string; readonly rules: Rule[] }>;
}

export interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets?: ReadonlyArray<{ readonly expr: string }>;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: Panel[];
  readonly templating: { readonly list: ReadonlyArray<{ readonly name: string; readonly type: string; readonly query?: unknown }> };
}

/** The `spec` of deploy/monitoring/prometheusrule.yaml: what Prometheus loads as a rules file. */
export function shippedRules(): RuleGroups {
  const rule = loadYaml<{ kind: string; spec: RuleGroups }>(readFileSync(join(monitoringDir, "prometheusrule.yaml"), "utf8"));
  if (rule.kind !== "PrometheusRule") throw new Error("deploy/monitoring/prometheusrule.yaml is not a PrometheusRule");
  return rule.spec;
}

export function shippedDashboardText(): string {
  return readFileSync(join(monitoringDir, "dashboard.json"), "utf8");
}

export function shippedDashboard(): Dashboard {
  return JSON.parse(shippedDashboardText()) as Dashboard;
}

export function alertRules(groups: RuleGroups): Rule[] {
  return groups.groups.flatMap((g) => g.rules);
}

/** A deep copy to break on purpose. */
export function copyOf<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function ruleTestFiles(): string[] {
  return readdirSync(ruleTestsDir)
    .filter((name) => name.endsWith(".yaml"))
    .sort();
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

export async function promtool(args: readonly string[], cwd: string): Promise<RunResult> {
  return run(await ensurePromtool(log), args, { cwd });
}

/** A scratch directory with the groups as rules.yaml next to copies of the unit-test files. */
export async function rulesDir(groups: RuleGroups): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ecr-rules-"));
  // JSON is YAML, and leaves no doubt about what each string holds.
  await writeFile(join(dir, "rules.yaml"), JSON.stringify(groups, null, 2));
  for (const file of ruleTestFiles()) await copyFile(join(ruleTestsDir, file), join(dir, file));
  return dir;
}

/** The alerts a promtool unit-test file checks, with whether some case expects it firing and some not. */
export function alertsTested(file: string): Map<string, { fires: boolean; quiet: boolean }> {
  interface UnitTests {
    tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
  }
  const tests = loadYaml<UnitTests>(readFileSync(join(ruleTestsDir, file), "utf8"));
  const seen = new Map<string, { fires: boolean; quiet: boolean }>();
  for (const check of tests.tests.flatMap((t) => t.alert_rule_test ?? [])) {
    const entry = seen.get(check.alertname) ?? { fires: false, quiet: false };
    if ((check.exp_alerts ?? []).length > 0) entry.fires = true;
    else entry.quiet = true;
    seen.set(check.alertname, entry);
  }
  return seen;
}

const notMetrics = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan", "start", "end"]);

/**
 * The metric names a PromQL query reads: identifiers that are neither functions, aggregations
 * (followed by `(`), keywords, label names (in `{...}` or `by (...)`), numbers, durations nor
 * Grafana variables.
 */
export function metricNames(query: string): string[] {
  const stripped = query
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{[^}]*\}|\$\w+/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*|[a-zA-Z_:][a-zA-Z0-9_:]*/gi)) {
    const token = match[0];
    if (/^\d/.test(token) || notMetrics.has(token.toLowerCase())) continue;
    const after = stripped.slice((match.index ?? 0) + token.length).trimStart();
    if (!after.startsWith("(")) names.add(token);
  }
  return [...names];
}

/** Every PromQL query of a dashboard: its panels' targets and its query variables (Grafana's label_values(metric, label)). */
export function dashboardQueries(dashboard: Dashboard): string[] {
  const panels = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const variables = dashboard.templating.list.flatMap((v) => {
    const query = typeof v.query === "string" ? v.query : (v.query as { query?: string } | undefined)?.query;
    if (v.type !== "query" || !query) return [];
    const labelValues = /^label_values\((.*),\s*\w+\)$/.exec(query.trim());
    return [labelValues?.[1] ?? query];
  });
  return [...panels, ...variables];
}

/** Every metric name the rules and the dashboard read, each with where it is read. */
export function namesUsed(groups: RuleGroups, dashboard: Dashboard): Map<string, string> {
  const used = new Map<string, string>();
  const add = (query: string, where: string): void => {
    for (const name of metricNames(query)) if (!used.has(name)) used.set(name, where);
  };
  for (const rule of alertRules(groups)) add(rule.expr, `alert ${rule.alert}`);
  for (const panel of dashboard.panels) for (const t of panel.targets ?? []) add(t.expr, `panel "${panel.title}"`);
  for (const query of dashboardQueries({ ...dashboard, panels: [] })) add(query, "a dashboard variable");
  return used;
}

/**
 * The metric names a Prometheus text-format page serves: every sample's name, and the series
 * each `# TYPE` implies (a labelled counter shows no sample until it first counts).
 */
export function servedNames(page: string): Set<string> {
  const suffixes: Record<string, readonly string[]> = { histogram: ["_bucket", "_sum", "_count"], summary: ["", "_sum", "_count"] };
  const names = new Set<string>();
  for (const line of page.split("\n")) {
    const typed = /^# TYPE (\S+) (\S+)/.exec(line);
    if (typed?.[1] && typed[2]) for (const suffix of suffixes[typed[2]] ?? [""]) names.add(typed[1] + suffix);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample?.[1]) names.add(sample[1]);
  }
  return names;
}

/** Names used that the page does not serve, as "name (where)". */
export function unservedNames(used: ReadonlyMap<string, string>, served: ReadonlySet<string>): string[] {
  return [...used].filter(([name]) => !served.has(name)).map(([name, where]) => `${name} (${where})`);
}

/** The prometheus-operator release whose CRDs validate the ServiceMonitor and PrometheusRule. */
export const prometheusOperator = { module: "github.com/prometheus-operator/prometheus-operator", version: "v0.85.0" } as const;

/** The CRD files of that release, from its module zip (the Go module proxy, checked against the checksum database). */
export async function prometheusOperatorCrds(): Promise<{ serviceMonitors: string; prometheusRules: string }> {
  const crds = join(await goModuleDir(prometheusOperator), "example", "prometheus-operator-crd");
  return {
    serviceMonitors: join(crds, "monitoring.coreos.com_servicemonitors.yaml"),
    prometheusRules: join(crds, "monitoring.coreos.com_prometheusrules.yaml"),
  };
}
