// How the sync bench measures one run of a client: the kernel's accounting through the
// measure tool (bench/floor/measure: wall time, user+system CPU and max RSS from wait4's
// rusage, children included), and the API requests it made from the testenv's audit log,
// told apart by User-Agent.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ensureGoTool, type GoTool } from "../test/support/go-tool.ts";

export interface Cost {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMiB: number;
  /** API requests by "verb resource", from the audit log. */
  readonly requests: Readonly<Record<string, number>>;
  /** 1-minute load average when the run ended. */
  readonly load1: number;
}

const floorDir = join(import.meta.dirname, "floor");

/** The tools' cache key: a hash of their sources, so an edit rebuilds them. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.go$|go\.mod$/.test(entry.name)) hash.update(relative(floorDir, path)).update(readFileSync(path));
    }
  };
  walk(floorDir);
  return `src-${hash.digest("hex").slice(0, 12)}`;
}

export async function benchTools(log: (line: string) => void): Promise<{ floor: string; measure: string }> {
  const version = sourceHash();
  const tool = (name: string, pkg: string): GoTool => ({ name, moduleDir: floorDir, pkg, version });
  return { floor: await ensureGoTool(tool("bench-floor", "."), log), measure: await ensureGoTool(tool("bench-measure", "./measure"), log) };
}

interface AuditLine {
  readonly stage?: string;
  readonly verb?: string;
  readonly userAgent?: string;
  readonly objectRef?: { readonly resource?: string };
}

function countRequests(auditLog: string, mark: number, userAgentPrefix: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const text = readFileSync(auditLog).subarray(mark).toString("utf8");
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    const event = JSON.parse(line) as AuditLine;
    if (event.stage !== "ResponseComplete" || !event.userAgent?.startsWith(userAgentPrefix)) continue;
    const key = `${event.verb} ${event.objectRef?.resource ?? "?"}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const size = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Client {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Whose requests these are in the audit log. */
  readonly userAgentPrefix: string;
}

/** Runs the client once under the measure tool; fails on a non-zero exit. */
export async function measureRun(measureTool: string, auditLog: string, client: Client): Promise<Cost> {
  const dir = await mkdtemp(join(tmpdir(), "ecr-bench-run-"));
  const out = join(dir, "cost.json");
  const mark = size(auditLog);
  let stderr = "";
  const code = await new Promise<number | null>((resolveRun, reject) => {
    const child = spawn(measureTool, [out, ...client.argv], { env: client.env ?? process.env, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", resolveRun);
  });
  if (code !== 0) throw new Error(`${client.argv.join(" ")} exited ${code}: ${stderr.slice(-2000)}`);
  const raw = JSON.parse(readFileSync(out, "utf8")) as { wallMs: number; userMs: number; sysMs: number; maxRssKiB: number };
  await rm(dir, { recursive: true, force: true });
  // The API server writes its audit log in batches: wait until it stops growing.
  let last = -1;
  for (let i = 0; i < 20 && size(auditLog) !== last; i++) {
    last = size(auditLog);
    await sleep(500);
  }
  return {
    wallMs: raw.wallMs,
    cpuMs: raw.userMs + raw.sysMs,
    maxRssMiB: raw.maxRssKiB / 1024,
    requests: countRequests(auditLog, mark, client.userAgentPrefix),
    load1: loadavg()[0] ?? NaN,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** The median of each figure over several runs (requests from the first: they do not vary). */
export function medianCost(runs: readonly Cost[]): Cost {
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    maxRssMiB: median(runs.map((r) => r.maxRssMiB)),
    requests: runs[0]?.requests ?? {},
    load1: median(runs.map((r) => r.load1)),
  };
}

export const totalRequests = (cost: Cost): number => Object.values(cost.requests).reduce((a, b) => a + b, 0);
