// Monitoring shipped and verified: deploy/monitoring's alerts pass `promtool check rules` and
// one `promtool test rules` file per alert (and fail when a threshold is broken on purpose); every
// metric the rules and the dashboard read is one the running controller serves; the chart
// renders the same objects; the API server accepts them against the prometheus-operator CRDs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { before, describe, test } from "node:test";
import { eventually, readyz, startController } from "../support/controller.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import { repoRoot } from "../testenv/paths.ts";
import { readmeExamples } from "./chart-examples.ts";
import { installCrds } from "./crds.ts";
import {
  alertRules,
  alertsTested,
  copyOf,
  metricNames,
  monitoringDir,
  namesUsed,
  prometheusOperatorCrds,
  promtool,
  ruleTestFiles,
  rulesDir,
  servedNames,
  shippedDashboard,
  shippedDashboardText,
  shippedRules,
  unservedNames,
  type RuleGroups,
} from "./monitoring.ts";
import { installHint } from "./promtool.ts";
import { chartDir, deployDir, find, helm, helmTemplate, kustomize, parseManifests, serverDryRun, type Manifest } from "./support.ts";

const monitoringSets = ["mode=controller", "metrics.serviceMonitor.enabled=true", "metrics.prometheusRule.enabled=true", "metrics.dashboard.enabled=true"];

function rulesOf(manifests: readonly Manifest[]): RuleGroups {
  return (find(manifests, "PrometheusRule") as Manifest & { spec: RuleGroups }).spec;
}

describe("monitoring: alert rules", () => {
  const shipped = shippedRules();
  const alerts = alertRules(shipped).map((r) => r.alert);

  test("the alerts the README lists, each with for, a severity, summary, description and a runbook in the README's Troubleshooting", () => {
    assert.deepEqual(alerts, [
      "EcrPublicCredsTokenExpiringSoon",
      "EcrPublicCredsRefreshFailing",
      "EcrPublicCredsFailSafeActive",
      "EcrPublicCredsWritesFailing",
      "EcrPublicCredsNoLeader",
    ]);
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const troubleshooting = readme.slice(readme.indexOf("## Troubleshooting"));
    for (const rule of alertRules(shipped)) {
      assert.match(rule.for, /^\d+m$/, rule.alert);
      assert.match(rule.labels["severity"] ?? "", /^(critical|warning)$/, rule.alert);
      assert.ok(rule.annotations["summary"] && rule.annotations["description"], rule.alert);
      assert.match(rule.annotations["runbook_url"] ?? "", /\/README\.md#troubleshooting$/, rule.alert);
      assert.match(troubleshooting, new RegExp(`\\| alert \`${rule.alert}\` \\|`), `${rule.alert} has no row in the README's Troubleshooting table`);
      const row = new RegExp(`\\| \`${rule.alert}\` \\| .*for ${Number.parseInt(rule.for, 10)} min \\| ${rule.labels["severity"]} \\|`);
      assert.match(readme, row, `${rule.alert} is not in the README's alerts table with its for and severity`);
    }
  });

  test("promtool check rules accepts them", async () => {
    const result = await promtool(["check", "rules", "rules.yaml"], await rulesDir(shipped));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS: 5 rules found/);
  });

  test("every alert has its promtool unit-test file, where it fires and where it does not", () => {
    const covered = new Set<string>();
    for (const file of ruleTestFiles()) {
      for (const [alert, { fires, quiet }] of alertsTested(file)) {
        assert.ok(alerts.includes(alert), `${file} tests ${alert}, which is not a shipped alert`);
        assert.ok(fires && quiet, `${file}: ${alert} needs a case where it fires and one where it does not`);
        covered.add(alert);
      }
    }
    assert.deepEqual([...covered].sort(), [...alerts].sort());
  });

  for (const file of ruleTestFiles()) {
    test(`promtool test rules ${file} passes`, async () => {
      const result = await promtool(["test", "rules", file], await rulesDir(shipped));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /SUCCESS/);
    });
  }

  // Each break leaves valid PromQL, so only the unit tests can notice it.
  const breaks: ReadonlyArray<{ alert: string; field: "expr" | "for"; from: string; to: string; file: string }> = [
    { alert: "EcrPublicCredsTokenExpiringSoon", field: "expr", from: "< 3600", to: "< 60", file: "token-expiring.yaml" },
    { alert: "EcrPublicCredsTokenExpiringSoon", field: "expr", from: "and ecr_public_creds_helper_leader == 1", to: "", file: "token-expiring.yaml" },
    { alert: "EcrPublicCredsRefreshFailing", field: "expr", from: "> 600", to: "> 6000", file: "refresh-failing.yaml" },
    { alert: "EcrPublicCredsRefreshFailing", field: "for", from: "15m", to: "10m", file: "refresh-failing.yaml" },
    { alert: "EcrPublicCredsFailSafeActive", field: "expr", from: "== 1", to: "== 2", file: "fail-safe.yaml" },
    { alert: "EcrPublicCredsWritesFailing", field: "for", from: "15m", to: "14m", file: "writes-failing.yaml" },
    { alert: "EcrPublicCredsWritesFailing", field: "expr", from: '{outcome="failed"}', to: "", file: "writes-failing.yaml" },
    { alert: "EcrPublicCredsNoLeader", field: "expr", from: "< 1", to: "< 0", file: "no-leader.yaml" },
    { alert: "EcrPublicCredsNoLeader", field: "expr", from: "max by (namespace, job)", to: "max", file: "no-leader.yaml" },
  ];
  for (const { alert, field, from, to, file } of breaks) {
    test(`the unit tests can fail: ${alert} with ${field} '${from}' made '${to}' fails ${file}`, async () => {
      const broken = copyOf(shipped);
      const rule = alertRules(broken).find((r) => r.alert === alert);
      assert.ok(rule, alert);
      assert.equal(rule[field].split(from).length, 2, `'${from}' is not once in ${alert}'s ${field}`);
      rule[field] = rule[field].replace(from, to);
      const dir = await rulesDir(broken);
      const checked = await promtool(["check", "rules", "rules.yaml"], dir);
      assert.equal(checked.code, 0, `the break must stay valid: ${checked.stderr}`);
      const result = await promtool(["test", "rules", file], dir);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout + result.stderr, new RegExp(`FAILED[\\s\\S]*alertname: ${alert}`));
    });
  }

  test("without promtool the failure is one line saying how to install it", () => {
    assert.doesNotMatch(installHint, /\n/);
    assert.match(installHint, /apt-get install .*prometheus/);
  });
});

describe("monitoring: metric names", () => {
  test("reading names from PromQL: functions, aggregations, label names, keywords, durations and variables are not metrics", () => {
    const query =
      'histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{namespace=~"$namespace", le!="1e3"}[$__rate_interval]))) > 1e3 and on (pod) b offset 5m or absent(c) unless time() - d[5m:1m] > bool 2';
    assert.deepEqual(metricNames(query).sort(), ["a_bucket", "b", "c", "d"]);
    assert.deepEqual(metricNames("max without (reason) (x) - ignoring (a) group_left (b) y"), ["x", "y"]);
  });

  test("reading names served: samples, and every series a TYPE line implies", () => {
    const page = ["# HELP a_total A.", "# TYPE a_total counter", "# TYPE h histogram", 'h_bucket{le="1"} 0', "# TYPE g gauge", "g 1", 'other{x="y"} 2'].join(
      "\n",
    );
    assert.deepEqual([...servedNames(page)].sort(), ["a_total", "g", "h_bucket", "h_count", "h_sum", "other"]);
  });

  let served = new Set<string>();
  before(async () => {
    // The controller as shipped, leading and writing, so the page is that of a working replica.
    await emulator().reset();
    const home = uniqueName("monitoring-home");
    const prefix = uniqueName("monitoring");
    const { core } = adminClients();
    await createNamespaces(core, [home, `${prefix}-a`]);
    const controller = await startController(["--namespaces", `${prefix}-*`, "--leader-elect"], { POD_NAMESPACE: home, POD_NAME: "replica-a" });
    try {
      await eventually("the controller ready", async () => (await readyz(controller)) === 200, 60_000, 200);
      await eventually("the secret written", () => readSecret(core, `${prefix}-a`), 60_000, 200);
      const page = await eventually(
        "a write and the leader on /metrics",
        async () => {
          const text = await (await fetch(`${controller.metricsUrl}/metrics`)).text();
          return /^ecr_public_creds_helper_leader 1$/m.test(text) && /secrets_written_total\{outcome="created"\} 1/.test(text) && text;
        },
        60_000,
        200,
      );
      served = servedNames(page);
    } finally {
      await controller.stop();
    }
  });

  test("every metric the rules and the dashboard read is served at /metrics by the running controller", () => {
    const used = namesUsed(shippedRules(), shippedDashboard());
    assert.ok(used.size >= 10, `only ${used.size} names found: ${[...used.keys()].join(", ")}`);
    assert.ok(served.has("ecr_public_creds_helper_leader") && served.size > 20, "the scrape found the helper's metrics");
    assert.deepEqual(unservedNames(used, served), []);
  });

  test("the check can fail: a misspelt name in a copy of the rules and in a copy of the dashboard is reported", () => {
    const rules = copyOf(shippedRules());
    const failSafe = alertRules(rules).find((r) => r.alert === "EcrPublicCredsFailSafeActive");
    assert.ok(failSafe);
    failSafe.expr = failSafe.expr.replace("ecr_public_creds_helper_fail_safe_active", "ecr_public_creds_helper_failsafe_active");
    const dashboard = copyOf(shippedDashboard());
    const panel = dashboard.panels.find((p) => p.title === "Work queue");
    const target = panel?.targets?.[0] as { expr: string } | undefined;
    assert.ok(target);
    target.expr = target.expr.replace("workqueue_depth", "work_queue_depth");
    assert.deepEqual(unservedNames(namesUsed(rules, dashboard), served), [
      "ecr_public_creds_helper_failsafe_active (alert EcrPublicCredsFailSafeActive)",
      'ecr_public_creds_helper_work_queue_depth (panel "Work queue")',
    ]);
  });
});

describe("monitoring: the dashboard", () => {
  const dashboard = shippedDashboard();

  test("every panel query and variable is PromQL that promtool accepts", async () => {
    // Grafana's variables replaced by what they stand for, each query a recording rule.
    const rules = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t, i) => ({
        record: `dashboard:${p.title.replace(/[^a-zA-Z0-9]+/g, "_")}:${i}`,
        expr: t.expr.replaceAll("$__rate_interval", "2m").replaceAll("$namespace", ".*"),
      })),
    );
    assert.equal(
      rules.length,
      dashboard.panels.reduce((n, p) => n + (p.targets?.length ?? 0), 0),
    );
    const dir = await mkdtemp(join(tmpdir(), "ecr-dashboard-"));
    await writeFile(join(dir, "rules.yaml"), JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
    const result = await promtool(["check", "rules", "rules.yaml"], dir);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  test("every panel reads the datasource variable, has a place of its own and a unique id", () => {
    // Grafana's variable, not a template literal.
    const datasourceVariable = ["$", "{datasource}"].join("");
    const boxes = (dashboard.panels as unknown as Array<{ title: string; gridPos: { x: number; y: number; w: number; h: number } }>).map((p) => ({
      title: p.title,
      ...p.gridPos,
    }));
    for (const [i, a] of boxes.entries()) {
      assert.ok(a.x >= 0 && a.w > 0 && a.h > 0 && a.x + a.w <= 24, `${a.title} is off Grafana's 24 columns`);
      for (const b of boxes.slice(i + 1)) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `${a.title} and ${b.title} overlap`);
      }
    }
    const ids = new Set<number>();
    for (const panel of dashboard.panels as unknown as Array<{
      id: number;
      title: string;
      datasource: { uid: string };
      targets: Array<{ datasource: { uid: string } }>;
    }>) {
      assert.equal(panel.datasource.uid, datasourceVariable, panel.title);
      for (const target of panel.targets) assert.equal(target.datasource.uid, datasourceVariable, panel.title);
      assert.ok(!ids.has(panel.id), `panel id ${panel.id} twice`);
      ids.add(panel.id);
    }
    assert.deepEqual(
      dashboard.templating.list.map((v) => v.name),
      ["datasource", "namespace"],
    );
  });

  test("the README lists the dashboard's panels, in order", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Monitoring"), readme.indexOf("## Troubleshooting"));
    const listed = [...section.matchAll(/^- (.+)$/gm)].flatMap((m) => [...(m[1] ?? "").matchAll(/\*\*([^*]+)\*\*/g)].map((b) => b[1]));
    assert.deepEqual(
      listed,
      dashboard.panels.map((p) => p.title),
    );
  });
});

/** `kubectl kustomize` of what the README tells users to write: the controller and the component. */
async function controllerWithMonitoring(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kustomize-monitoring-"));
  await writeFile(
    join(dir, "kustomization.yaml"),
    [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `resources: [${relative(dir, join(deployDir, "overlays", "controller"))}]`,
      `components: [${relative(dir, monitoringDir)}]`,
      "",
    ].join("\n"),
  );
  return kustomize(dir);
}

interface Selecting {
  readonly spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> };
}

/** The ServiceMonitor selects exactly the metrics Service (by labels, in its namespace) and names its port. */
function assertScrapesMetricsService(manifests: readonly Manifest[]): void {
  const monitor = find(manifests, "ServiceMonitor") as Manifest & Selecting;
  const services = manifests.filter(
    (m) =>
      m.kind === "Service" &&
      m.metadata.namespace === monitor.metadata.namespace &&
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => m.metadata.labels?.[k] === v),
  ) as Array<Manifest & { spec: { ports: Array<{ name: string }> } }>;
  assert.equal(services.length, 1, "the ServiceMonitor selects one Service");
  assert.match(services[0]?.metadata.name ?? "", /-metrics$/);
  assert.deepEqual(
    monitor.spec.endpoints.map((e) => [e.port, e.path]),
    [["metrics", "/metrics"]],
  );
  assert.ok(services[0]?.spec.ports.some((p) => p.name === "metrics"));
}

function dashboardConfigMap(manifests: readonly Manifest[]): Manifest & { data: Record<string, string> } {
  const maps = manifests.filter((m) => m.kind === "ConfigMap" && m.metadata.labels?.["grafana_dashboard"] === "1");
  assert.equal(maps.length, 1, "one ConfigMap with the sidecar's label");
  return maps[0] as Manifest & { data: Record<string, string> };
}

describe("monitoring: the kustomize component and the chart", () => {
  test("kustomize: the component next to overlays/controller scrapes its metrics Service and ships the dashboard", async () => {
    const manifests = parseManifests(await controllerWithMonitoring());
    assertScrapesMetricsService(manifests);
    for (const kind of ["ServiceMonitor", "PrometheusRule"]) assert.equal(find(manifests, kind).metadata.namespace, "ecr-public-creds-helper", kind);
    const configMap = dashboardConfigMap(manifests);
    assert.equal(configMap.metadata.namespace, "ecr-public-creds-helper");
    assert.deepEqual(configMap.data, { "ecr-public-creds-helper.json": shippedDashboardText() });
    assert.deepEqual(rulesOf(manifests), shippedRules());
  });

  test("chart: one source of truth: its dashboard file and, at the default values, its rules are deploy/monitoring's", async () => {
    assert.equal(
      readFileSync(join(chartDir, "files", "dashboard.json"), "utf8"),
      shippedDashboardText(),
      "charts/…/files/dashboard.json differs from deploy/monitoring/dashboard.json: copy it",
    );
    const manifests = parseManifests(await helmTemplate("ns-a", monitoringSets));
    assert.deepEqual(rulesOf(manifests), shippedRules());
    assert.deepEqual(dashboardConfigMap(manifests).data, { "ecr-public-creds-helper.json": shippedDashboardText() });
    assertScrapesMetricsService(manifests);
    const shippedEndpoints = (parseManifests(readFileSync(join(monitoringDir, "servicemonitor.yaml"), "utf8"))[0] as Manifest & Selecting).spec.endpoints;
    assert.deepEqual((find(manifests, "ServiceMonitor") as Manifest & Selecting).spec.endpoints, shippedEndpoints);
  });

  test("chart: thresholds, labels and the dashboard's namespace come from values, and promtool still accepts the rules", async () => {
    const manifests = parseManifests(
      await helmTemplate("ns-a", [
        ...monitoringSets,
        "metrics.prometheusRule.tokenExpiring.thresholdSeconds=7200",
        "metrics.prometheusRule.noLeader.for=10m",
        "metrics.prometheusRule.writesFailing.severity=page",
        "metrics.prometheusRule.additionalLabels.release=kps",
        "metrics.serviceMonitor.additionalLabels.release=kps",
        "metrics.serviceMonitor.scrapeTimeout=10s",
        "metrics.dashboard.namespace=grafana",
        "metrics.dashboard.annotations.grafana_folder=Kubernetes",
        "metrics.prometheusRule.additionalLabels.app\\.kubernetes\\.io/name=other",
      ]),
    );
    const rules = alertRules(rulesOf(manifests));
    assert.match(rules.find((r) => r.alert === "EcrPublicCredsTokenExpiringSoon")?.expr ?? "", /time\(\) < 7200\n/);
    assert.equal(rules.find((r) => r.alert === "EcrPublicCredsNoLeader")?.for, "10m");
    assert.equal(rules.find((r) => r.alert === "EcrPublicCredsWritesFailing")?.labels["severity"], "page");
    const rule = find(manifests, "PrometheusRule");
    assert.equal(rule.metadata.labels?.["release"], "kps");
    assert.equal(rule.metadata.labels?.["app.kubernetes.io/name"], "ecr-public-creds-helper", "the chart's own labels win");
    const monitor = find(manifests, "ServiceMonitor") as Manifest & { spec: { endpoints: Array<{ scrapeTimeout?: string }> } };
    assert.equal(monitor.metadata.labels?.["release"], "kps");
    assert.equal(monitor.spec.endpoints[0]?.scrapeTimeout, "10s");
    const configMap = dashboardConfigMap(manifests);
    assert.equal(configMap.metadata.namespace, "grafana");
    assert.equal(configMap.metadata.annotations?.["grafana_folder"], "Kubernetes");
    const result = await promtool(["check", "rules", "rules.yaml"], await rulesDir(rulesOf(manifests)));
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  test("chart: helm lint --strict passes with monitoring on; off by default; refused with the CronJob in one line", async () => {
    const lint = await helm(["lint", "--strict", chartDir, ...monitoringSets.flatMap((s) => ["--set", s])]);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    const plain = parseManifests(await helmTemplate("ns-a", ["mode=controller"]));
    assert.deepEqual(
      plain.filter((m) => ["ServiceMonitor", "PrometheusRule"].includes(m.kind) || m.kind === "ConfigMap").map((m) => m.kind),
      [],
    );
    for (const value of ["serviceMonitor", "prometheusRule", "dashboard"]) {
      const result = await helm(["template", "x", chartDir, "--set", `metrics.${value}.enabled=true`]);
      assert.notEqual(result.code, 0, `${value} rendered for the CronJob`);
      assert.match(result.stderr, new RegExp(`metrics\\.${value}\\.enabled needs mode=controller: only the controller serves /metrics`));
    }
    const typo = await helm(["template", "x", chartDir, "--set", "mode=controller", "--set", "metrics.prometheusRule.tokenExpiring.for=5 minutes"]);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /metrics\/prometheusRule\/tokenExpiring\/for/);
  });
});

describe("monitoring: the API server accepts it, against the prometheus-operator CRDs", () => {
  before(async () => {
    const crds = await prometheusOperatorCrds();
    await installCrds([crds.serviceMonitors, crds.prometheusRules], ["crd/servicemonitors.monitoring.coreos.com", "crd/prometheusrules.monitoring.coreos.com"]);
  });

  test("the component next to overlays/controller", async () => {
    const result = await serverDryRun(await controllerWithMonitoring());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /servicemonitor\.monitoring\.coreos\.com\/ecr-public-creds-helper (created|configured|unchanged) \(server dry run\)/);
    assert.match(result.stdout, /prometheusrule\.monitoring\.coreos\.com\/ecr-public-creds-helper (created|configured|unchanged) \(server dry run\)/);
  });

  test("the chart, as the README's Monitoring section installs it", async () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Monitoring"), readme.indexOf("## Troubleshooting"));
    const [documented, ...more] = readmeExamples(section).filter((e) => e.sets);
    assert.ok(documented?.sets && more.length === 0, "one helm command in the README's Monitoring section");
    const yaml = await helmTemplate(uniqueName("helm-monitoring"), documented.sets);
    const kinds = parseManifests(yaml).map((m) => m.kind);
    for (const kind of ["ServiceMonitor", "PrometheusRule", "ConfigMap"]) assert.ok(kinds.includes(kind), kind);
    const result = await serverDryRun(yaml);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /servicemonitor\.monitoring\.coreos\.com\/\S+ created \(server dry run\)/);
  });

  test("the validation can fail: a misspelt field and a duration that is not one are refused", async () => {
    const yaml = (await helmTemplate(uniqueName("helm-monitoring"), monitoringSets))
      .replace("      interval: 30s", "      intervall: 30s")
      .replace("          for: 5m\n", "          for: five minutes\n");
    assert.match(yaml, /intervall/);
    assert.match(yaml, /for: five minutes/);
    const result = await serverDryRun(yaml);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /ServiceMonitor.*unknown field "spec\.endpoints\[0\]\.intervall"/);
    assert.match(result.stderr, /PrometheusRule.*spec\.groups\[0\]\.rules\[0\]\.for/);
  });
});
