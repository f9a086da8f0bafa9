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

/**
 * How the tests start the CLI: `node` with the image's flags on dist/cli.js, with the image's
 * environment, the testenv's, JSON logs unless told otherwise, and `env` on top (undefined
 * removes a variable).
 */
export function cliInvocation(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { argv: string[]; env: Record<string, string> } {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...imageRuntime().env,
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    ...testenvVars(),
    LOG_FORMAT: "json",
    ...env,
  })) {
    if (v !== undefined) merged[k] = v;
  }
  return { argv: [process.execPath, ...imageRuntime().nodeFlags, join(repoRoot, "dist", "cli.js"), ...args], env: merged };
}

/** A word for `sh -c`: single-quoted, with its own single quotes escaped. */
const shellWord = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * Runs the CLI. With `terminal`, it runs under util-linux `script`, in a pseudo-terminal as
 * in a shell, so what is written only for a person at a terminal can be checked: stdout and
 * stderr then arrive merged, in `stdout`, with the terminal's \r\n line ends.
 */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  options: { timeoutMs?: number; terminal?: boolean } = {},
): Promise<CliResult> {
  const invocation = cliInvocation(args, env);
  const [file = "", ...argv] = options.terminal
    ? ["script", "--quiet", "--return", "--command", invocation.argv.map(shellWord).join(" "), "/dev/null"]
    : invocation.argv;
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, argv, { env: invocation.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
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
