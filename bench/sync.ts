// npm run bench -- sync: what a `sync` costs, against the fastest client of the same job we
// can write (the floor, bench/floor/main.go), on a real API server in a testenv of its own.
// For N namespaces (default 100, 1,000, 5,000), three scenarios each: create (no secret yet),
// forced update (--force: every secret rewritten), nothing to do (every secret fresh). For each:
// wall time, client CPU (user+system), max RSS (kernel rusage, bench/floor/measure) and API
// requests (audit log, by User-Agent). Also the archived script's method (kubectl delete +
// create per namespace) on a few namespaces, scaled; and start-up (`--version`, `sync --help`).
// `sync` runs as the image runs it (node with the Dockerfile's flags and ENV, dist/cli.js):
// run `npm run build` first. Figures go to stdout and to --out (JSON).
// Usage: node bench/sync.ts [--sizes 100,1000,5000] [--repeats 3] [--archived 200] [--startup-runs 10]
//                           [--out bench/results/sync.json] [--cli /tmp/before/dist/cli.js] [--compile-cache DIR]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { benchTools, type Client, type Cost, measureRun, median, medianCost, totalRequests } from "./measure.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100,1000,5000" },
    repeats: { type: "string", default: "3" },
    archived: { type: "string", default: "200" },
    "startup-runs": { type: "string", default: "10" },
    out: { type: "string", default: join(import.meta.dirname, "results", "sync.json") },
    // Another build to measure instead of dist/cli.js (a copy of dist/ beside a package.json), to compare before and after.
    cli: { type: "string" },
    // NODE_COMPILE_CACHE for our CLI (filled by the first runs), to measure Node's compile cache as an image would ship it.
    "compile-cache": { type: "string" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const repeats = Number(values.repeats);
const archivedCount = Number(values.archived);
const startupRuns = Number(values["startup-runs"]);

// A separate environment, so thousands of benchmark namespaces never reach the test suite's.
const testenvDir = await mkdtemp(join(tmpdir(), "ecr-bench-"));
process.env["ECR_TESTENV_DIR"] = testenvDir;
const { up, down } = await import("../test/testenv/testenv.ts");
const { statePaths, repoRoot } = await import("../test/testenv/paths.ts");
const { binaryPath } = await import("../test/testenv/binaries.ts");
const { cliInvocation } = await import("../test/support/cli.ts");
const { adminClients } = await import("../test/support/testenv.ts");
const { imageRuntime } = await import("../test/support/image.ts");

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const loads: number[] = [];
const noteLoad = (): void => void loads.push(loadavg()[0] ?? NaN);

type Scenario = "create" | "force" | "nothing";
interface Row {
  readonly n: number;
  readonly scenario: Scenario;
  readonly runs: number;
  readonly ours: Cost;
  readonly floor: Cost;
}

// Stopped by a signal: the environment goes down all the same.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => void down(log).finally(() => rm(testenvDir, { recursive: true, force: true }).finally(() => process.exit(130))));
await up(log);
const { core } = adminClients();
const tools = await benchTools(log);
const label = (set: string): string => `bench-sync=${set}`;

async function createNamespaces(prefix: string, count: number, set: string): Promise<void> {
  const started = performance.now();
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((name) => core.createNamespace({ body: { metadata: { name, labels: { "bench-sync": set } } } })));
  }
  log(`created ${count} namespaces (${set}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The CLI as the tests and the image start it, or the build given by --cli. */
function cli(args: readonly string[]): Client {
  const { argv, env } = cliInvocation(args, { NODE_COMPILE_CACHE: values["compile-cache"] });
  const script = argv.findIndex((arg) => arg.endsWith("/dist/cli.js"));
  if (values.cli) argv[script] = values.cli;
  return { argv, env, userAgentPrefix: "ecr-public-creds-helper/" };
}

const ours = (set: string, scenario: Scenario): Client => cli(["sync", "--namespace-selector", label(set), ...(scenario === "force" ? ["--force"] : [])]);

function floor(set: string, scenario: Scenario): Client {
  const argv = [
    tools.floor,
    "-kubeconfig",
    statePaths.kubeconfig,
    "-selector",
    label(set),
    "-secret",
    "floor-token",
    ...(scenario === "force" ? ["-force"] : []),
  ];
  return { argv, userAgentPrefix: "ecr-bench-floor/" };
}

const measure = (client: Client): Promise<Cost> => measureRun(tools.measure, statePaths.auditLog, client);

/** Create once (it can happen only once), then forced update and nothing-to-do `repeats` times each, the two clients alternating. */
async function benchSize(n: number): Promise<Row[]> {
  const set = `n${n}`;
  await createNamespaces(set, n, set);
  const rows: Row[] = [];
  for (const scenario of ["create", "force", "nothing"] as const) {
    const runs = scenario === "create" ? 1 : repeats;
    const oursRuns: Cost[] = [];
    const floorRuns: Cost[] = [];
    for (let r = 0; r < runs; r++) {
      noteLoad();
      floorRuns.push(await measure(floor(set, scenario)));
      oursRuns.push(await measure(ours(set, scenario)));
    }
    const row = { n, scenario, runs, ours: medianCost(oursRuns), floor: medianCost(floorRuns) };
    log(`N=${n} ${scenario}: ours ${row.ours.wallMs.toFixed(0)} ms (${JSON.stringify(row.ours.requests)}), floor ${row.floor.wallMs.toFixed(0)} ms`);
    rows.push(row);
  }
  return rows;
}

/** The archived script's loop: per namespace `kubectl delete secret` then `kubectl create secret docker-registry`. */
async function benchArchived(count: number): Promise<Cost> {
  const set = `a${count}`;
  await createNamespaces(set, count, set);
  const script = [
    'for ns in "$@"; do',
    '  "$KUBECTL" delete secret archived-token --namespace "$ns" --ignore-not-found >/dev/null',
    '  "$KUBECTL" create secret docker-registry archived-token --namespace "$ns" --docker-server=public.ecr.aws --docker-username=AWS --docker-password="$TOKEN" >/dev/null',
    "done",
  ].join("\n");
  const home = await mkdtemp(join(tmpdir(), "ecr-bench-kubectl-"));
  const env = { PATH: process.env["PATH"] ?? "", HOME: home, KUBECONFIG: statePaths.kubeconfig, KUBECTL: binaryPath("kubectl"), TOKEN: "bench-archived-token" };
  const names = Array.from({ length: count }, (_, i) => `${set}-${i}`);
  noteLoad();
  try {
    return await measure({ argv: ["sh", "-c", script, "archived", ...names], env, userAgentPrefix: "kubectl/" });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function benchStartup(args: readonly string[]): Promise<Cost> {
  const runs: Cost[] = [];
  for (let i = 0; i < startupRuns; i++) runs.push(await measure(cli(args)));
  return medianCost(runs);
}

const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
const ms = (v: number): string => `${v.toFixed(0)} ms`;
const mib = (v: number): string => `${v.toFixed(0)} MiB`;

function printTable(rows: readonly Row[]): void {
  const header = [
    "N",
    "scenario",
    "runs",
    "wall ours",
    "wall floor",
    "ratio",
    "CPU ours",
    "CPU floor",
    "ratio",
    "CPU/write ours",
    "RSS ours",
    "RSS floor",
    "requests ours",
    "requests floor",
  ];
  const lines = rows.map((r) => {
    const writes = (r.ours.requests["create secrets"] ?? 0) + (r.ours.requests["update secrets"] ?? 0);
    return [
      String(r.n),
      r.scenario,
      String(r.runs),
      ms(r.ours.wallMs),
      ms(r.floor.wallMs),
      ratio(r.ours.wallMs, r.floor.wallMs),
      ms(r.ours.cpuMs),
      ms(r.floor.cpuMs),
      ratio(r.ours.cpuMs, r.floor.cpuMs),
      writes > 0 ? `${(r.ours.cpuMs / writes).toFixed(2)} ms` : "-",
      mib(r.ours.maxRssMiB),
      mib(r.floor.maxRssMiB),
      String(totalRequests(r.ours)),
      String(totalRequests(r.floor)),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]?.length ?? 0)));
  for (const line of [header, ...lines]) log(line.map((cell, i) => cell.padStart(widths[i] ?? 0)).join("  "));
}

/** In the repository's JSON style (npm run lint checks bench/results/); a file elsewhere stays as written. */
function formatForLint(path: string): void {
  try {
    execFileSync(join(repoRoot, "node_modules", ".bin", "biome"), ["format", "--write", path], { stdio: "ignore" });
  } catch {
    // Outside the repository or without biome: the figures are there all the same.
  }
}

/** The commit measured, "+dirty" when the tree had changes (the reference result says what it measured). */
function gitDescribe(): string {
  try {
    return execFileSync("git", ["describe", "--always", "--dirty=+dirty"], { encoding: "utf8", cwd: import.meta.dirname }).trim();
  } catch {
    return "unknown";
  }
}

function goVersion(): string {
  try {
    return execFileSync("go", ["version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

const startedAt = new Date().toISOString();
const commit = gitDescribe();
try {
  const rows: Row[] = [];
  const startup: Record<string, Cost> = {};
  startup["--version"] = await benchStartup(["--version"]);
  startup["sync --help"] = await benchStartup(["sync", "--help"]);
  let archived: { count: number; cost: Cost; scaledTo1000Ms: number } | undefined;
  for (const n of sizes) {
    rows.push(...(await benchSize(n)));
    // The archived method right after the smallest size, so the namespace list it does not read stays small anyway.
    if (!archived && archivedCount > 0) {
      const cost = await benchArchived(archivedCount);
      archived = { count: archivedCount, cost, scaledTo1000Ms: (cost.wallMs * 1000) / archivedCount };
    }
  }
  noteLoad();

  log("");
  log(
    `sync (${[process.execPath.split("/").at(-1), ...imageRuntime().nodeFlags, values.cli ?? "dist/cli.js"].join(" ")})${values["compile-cache"] ? " with NODE_COMPILE_CACHE" : ""} against the floor (bench/floor, Go, HTTP/2, 16 in flight); medians`,
  );
  printTable(rows);
  for (const [what, cost] of Object.entries(startup))
    log(`start-up: ${what} ${ms(cost.wallMs)} wall, ${ms(cost.cpuMs)} CPU, ${mib(cost.maxRssMiB)} (median of ${startupRuns})`);
  const force1000 = rows.find((r) => r.n === 1000 && r.scenario === "force");
  if (archived) {
    log(
      `archived method (kubectl delete + create per namespace, ${archived.count} namespaces): ${ms(archived.cost.wallMs)}, ` +
        `${totalRequests(archived.cost)} requests; scaled to 1,000: ${(archived.scaledTo1000Ms / 1000).toFixed(1)} s` +
        (force1000 ? `, ${(archived.scaledTo1000Ms / force1000.ours.wallMs).toFixed(0)}x sync --force at 1,000` : ""),
    );
  }
  log(
    `1-minute load average over the run: min ${Math.min(...loads).toFixed(2)}, median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (${cpus().length} cores)`,
  );

  const result = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: totalmem() / 2 ** 30, kernel: release(), node: process.version, go: goVersion() },
    load1: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads), samples: loads },
    commit,
    invocation: {
      cli: values.cli ?? "dist/cli.js",
      compileCache: values["compile-cache"] ?? null,
      nodeFlags: imageRuntime().nodeFlags,
      env: imageRuntime().env,
      repeats,
      note: "create runs once per size; force and nothing are medians of `repeats`",
    },
    sizes: rows.map((r) => ({
      ...r,
      ratios: { wall: r.ours.wallMs / r.floor.wallMs, cpu: r.ours.cpuMs / r.floor.cpuMs, rss: r.ours.maxRssMiB / r.floor.maxRssMiB },
    })),
    startup,
    archived,
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  formatForLint(values.out);
  log(`figures written to ${values.out}`);
} finally {
  await down(log);
  await rm(testenvDir, { recursive: true, force: true });
}
