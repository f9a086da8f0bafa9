// Runs the built CLI (dist/cli.js) as a child process against the test environment, the way
// a user or a CronJob runs it (with the image's Node flags), and captures everything it prints.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../testenv/paths.ts";
import { imageRuntime } from "./image.ts";
import { testenvVars } from "./testenv.ts";

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every line of output a run produced, for "no token in output" assertions. */
export const allOutput: string[] = [];

export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  options: { timeoutMs?: number } = {},
): Promise<CliResult> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...imageRuntime().env, PATH: process.env["PATH"], HOME: process.env["HOME"], ...testenvVars(), LOG_FORMAT: "json", ...env })) {
    if (v !== undefined) merged[k] = v;
  }
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...imageRuntime().nodeFlags, join(repoRoot, "dist", "cli.js"), ...args], { env: merged, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      allOutput.push(stdout, stderr);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Parsed JSON log lines of a run. */
export function logLines(result: CliResult): Array<Record<string, unknown>> {
  return result.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
