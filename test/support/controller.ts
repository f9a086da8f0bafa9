// Starts `ecr-public-creds-helper run` as a child process against the testenv, with its probe
// and metrics ports, and collects its JSON log lines.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort, sleep } from "../testenv/processes.ts";
import { repoRoot } from "../testenv/paths.ts";
import { allOutput } from "./cli.ts";
import { imageRuntime } from "./image.ts";
import { testenvVars } from "./testenv.ts";

export interface RunningController {
  readonly child: ChildProcess;
  readonly probeUrl: string;
  readonly metricsUrl: string;
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startController(args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Promise<RunningController> {
  const probePort = await freePort();
  const metricsPort = await freePort();
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...imageRuntime().env, PATH: process.env["PATH"], HOME: process.env["HOME"], ...testenvVars(), LOG_FORMAT: "json", ...env })) {
    if (v !== undefined) merged[k] = v;
  }
  const child = spawn(
    process.execPath,
    [...imageRuntime().nodeFlags, join(repoRoot, "dist", "cli.js"), "run", `--health-probe-bind-address=127.0.0.1:${probePort}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`, ...args],
    { env: merged, stdio: ["ignore", "pipe", "pipe"] },
  );
  const logs: Array<Record<string, unknown>> = [];
  let buffer = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    allOutput.push(text);
    buffer += text;
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.startsWith("{")) logs.push(JSON.parse(line) as Record<string, unknown>);
      newline = buffer.indexOf("\n");
    }
  });
  child.stdout?.on("data", (chunk: Buffer) => void allOutput.push(chunk.toString()));
  // "close", not "exit": by then every line the process wrote has been read.
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const controller: RunningController = {
    child,
    probeUrl: `http://127.0.0.1:${probePort}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    logs,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return controller;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export async function readyz(controller: RunningController): Promise<number> {
  return (await fetch(`${controller.probeUrl}/readyz`).catch(() => ({ status: 0 }))).status;
}

export function logged(controller: RunningController, pattern: RegExp): boolean {
  return controller.logs.some((line) => pattern.test(String(line["msg"])));
}
