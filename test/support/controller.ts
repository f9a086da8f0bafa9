// Starts `ecr-public-creds-helper run` as a child process against the testenv, with its probe
// and metrics ports, and collects its JSON log lines.
import { spawn, type ChildProcess } from "node:child_process";
import { freePort, sleep } from "../testenv/processes.ts";
import { allOutput, cliInvocation } from "./cli.ts";

export interface RunningController {
  readonly child: ChildProcess;
  readonly probeUrl: string;
  readonly metricsUrl: string;
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Ports to listen on instead of free ones (a test of a port already in use). */
export interface ControllerPorts {
  readonly probePort?: number;
  readonly metricsPort?: number;
}

export async function startController(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  ports: ControllerPorts = {},
): Promise<RunningController> {
  const probePort = ports.probePort ?? (await freePort());
  const metricsPort = ports.metricsPort ?? (await freePort());
  const {
    argv: [node = "", ...argv],
    env: merged,
  } = cliInvocation(["run", `--health-probe-bind-address=127.0.0.1:${probePort}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`, ...args], env);
  const child = spawn(node, argv, { env: merged, stdio: ["ignore", "pipe", "pipe"] });
  const logs: Array<Record<string, unknown>> = [];
  // allOutput gets whole lines (and stdout whole), so a token split across two reads of the
  // pipe is still found by the "no token in output" checks.
  let buffer = "";
  let stdout = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      allOutput.push(line);
      if (line.startsWith("{")) logs.push(JSON.parse(line) as Record<string, unknown>);
      newline = buffer.indexOf("\n");
    }
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  // "close", not "exit": by then every line the process wrote has been read.
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      allOutput.push(buffer, stdout);
      resolve(code);
    }),
  );
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

/** Polls every `intervalMs` until `check` returns a value other than undefined/null/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export async function readyz(controller: RunningController): Promise<number> {
  return (await fetch(`${controller.probeUrl}/readyz`).catch(() => ({ status: 0 }))).status;
}

export function logged(controller: RunningController, pattern: RegExp): boolean {
  return controller.logs.some((line) => pattern.test(String(line["msg"])));
}
