// npm run bench: measures the controller against a real API server in a testenv of its own.
//  - latency: namespace created -> its pull secret exists (watch event), p50/p99 over N
//  - memory: resident set size with M selected namespaces (peak while serving them, then
//    settled), and idle CPU afterwards
// Usage: node bench/controller.ts [--latency-namespaces 100] [--memory-namespaces 5000]
// BENCH_NODE_OPTIONS adds Node options to the controller's (the image's ENTRYPOINT flags are
// always there); BENCH_HEAPSNAPSHOT=1 with BENCH_NODE_OPTIONS="--heapsnapshot-signal=SIGUSR2"
// writes a heap snapshot once the namespaces are served.
import { mkdtemp } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "latency-namespaces": { type: "string", default: "100" },
    "memory-namespaces": { type: "string", default: "5000" },
  },
});
// A separate environment, so thousands of benchmark namespaces never reach the test suite's.
process.env["ECR_TESTENV_DIR"] = await mkdtemp(join(tmpdir(), "ecr-bench-"));
const { up, down } = await import("../test/testenv/testenv.ts");
const { startController, eventually, readyz } = await import("../test/support/controller.ts");
const { adminClients } = await import("../test/support/testenv.ts");
const { imageRuntime } = await import("../test/support/image.ts");
const { Watch } = await import("@kubernetes/client-node");

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1]) / 1024;
}

/** "112 MiB (117 MB)": the target is in MB, memory limits are usually in MiB. */
const both = (mib: number): string => `${mib.toFixed(0)} MiB (${((mib * 1024 * 1024) / 1e6).toFixed(0)} MB)`;

// Anonymous memory is the process's own (heap, buffers); file-backed is mostly the node binary's
// pages, shared and reclaimable. Both count in VmRSS.
function rssBreakdown(pid: number): string {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1]) / 1024;
  return `anonymous ${kb("Anonymous").toFixed(0)} MiB, file-backed ${(kb("Rss") - kb("Anonymous")).toFixed(0)} MiB`;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
}

await up(log);
const { core, kc } = adminClients();
try {
  // Latency: one namespace at a time, timed from the create response to the secret's ADDED event.
  const latencyCount = Number(values["latency-namespaces"]);
  const ctl = await startController(["--namespaces", "lat-*"]);
  await eventually("ready", async () => (await readyz(ctl)) === 200, 30_000);
  const seen = new Map<string, number>();
  const watch = await new Watch(kc).watch(
    "/api/v1/secrets",
    { fieldSelector: "metadata.name=ecr-public-token" },
    (type: string, obj: { metadata?: { namespace?: string } }) => {
      if (type === "ADDED" && obj.metadata?.namespace) seen.set(obj.metadata.namespace, performance.now());
    },
    () => undefined,
  );
  const latencies: number[] = [];
  for (let i = 0; i < latencyCount; i++) {
    const name = `lat-${i}`;
    await core.createNamespace({ body: { metadata: { name } } });
    const created = performance.now();
    await eventually(`secret in ${name}`, async () => seen.has(name), 30_000);
    latencies.push((seen.get(name) ?? NaN) - created);
  }
  watch.abort();
  await ctl.stop();
  latencies.sort((a, b) => a - b);
  log(
    `latency over ${latencyCount} namespaces: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms`,
  );

  // Memory: M namespaces selected by a label, all served, then RSS and idle CPU.
  const memoryCount = Number(values["memory-namespaces"]);
  const names = Array.from({ length: memoryCount }, (_, i) => `mem-${i}`);
  const started = Date.now();
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((name) => core.createNamespace({ body: { metadata: { name, labels: { bench: "memory" } } } })));
  }
  log(`created ${memoryCount} namespaces in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // startController runs node with the image's ENTRYPOINT flags; BENCH_NODE_OPTIONS adds others.
  const nodeOptions = process.env["BENCH_NODE_OPTIONS"];
  const mem = await startController(["--namespace-selector", "bench=memory"], { NODE_OPTIONS: nodeOptions });
  const pid = mem.child.pid ?? 0;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 100);
  const syncStart = Date.now();
  await eventually(
    "all secrets",
    async () => {
      const list = await core.listSecretForAllNamespaces({
        fieldSelector: "metadata.name=ecr-public-token",
        labelSelector: "app.kubernetes.io/managed-by=ecr-public-creds-helper",
      });
      return list.items.filter((s) => s.metadata?.namespace?.startsWith("mem-")).length === memoryCount;
    },
    600_000,
    2_000,
  ); // a list of 5,000 secrets is load on the API server: not too often
  clearInterval(sampler);
  log(`controller served ${memoryCount} namespaces in ${((Date.now() - syncStart) / 1000).toFixed(1)} s`);
  await new Promise((r) => setTimeout(r, 5_000));
  const rss = rssMiB(pid);
  if (process.env["BENCH_HEAPSNAPSHOT"]) {
    mem.child.kill("SIGUSR2"); // needs --heapsnapshot-signal=SIGUSR2 in BENCH_NODE_OPTIONS
    await new Promise((r) => setTimeout(r, 20_000));
  }
  const ticksBefore = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, 60_000));
  const idleCpu = (cpuTicks(pid) - ticksBefore) / 60; // ticks over 60 s -> % of one core
  const { env, nodeFlags } = imageRuntime();
  const command = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), "node", ...nodeFlags, nodeOptions ?? ""].join(" ").trim();
  log(`${command}, resident set size with ${memoryCount} selected namespaces (target < 120 MB):`);
  log(`  peak while serving them ${both(peak)}; 5 s after ${both(rss)}; 60 s later ${both(rssMiB(pid))}, ${rssBreakdown(pid)}`);
  log(`  idle CPU over those 60 s: ${idleCpu.toFixed(2)} % of one core`);
  await mem.stop();
} finally {
  await down(log);
}
