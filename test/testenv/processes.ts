// Starting and stopping the long-lived processes of the test environment. They are detached
// so `testenv:up` can return while they keep running; their pids go into state.json so
// `testenv:down` (or the next `up`) can find and stop them.
import { spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The executable, to make sure a pid we stop is still ours and not a reused number. */
  readonly command: string;
  readonly args: readonly string[];
  readonly log: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export function startDetached(name: string, command: string, args: readonly string[], logDir: string): ManagedProcess {
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(command, [...args], { detached: true, stdio: ["ignore", fd, fd] });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  child.unref();
  return { name, pid: child.pid, command, args, log };
}

export function isAlive(proc: ManagedProcess): boolean {
  try {
    process.kill(proc.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, "utf8");
    return cmdline.startsWith(proc.command) || cmdline.includes(proc.command);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export async function stopProcess(proc: ManagedProcess, graceMs = 5_000): Promise<void> {
  if (!isAlive(proc)) return;
  try {
    process.kill(proc.pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(proc) && Date.now() < deadline) await sleep(50);
  if (isAlive(proc)) {
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {
      return;
    }
    while (isAlive(proc)) await sleep(20);
  }
}

export function lastLines(path: string, count = 5): string {
  try {
    return readFileSync(path, "utf8").trim().split("\n").slice(-count).join(" | ");
  } catch {
    return "(no log)";
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

/**
 * Polls `probe` until it returns true. Fails fast with the process log when the process died,
 * and with a clear message at the deadline: never hangs.
 */
export async function waitUntil(what: string, proc: ManagedProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(proc)) {
      throw new Error(`${proc.name} exited before ${what}: ${lastLines(proc.log)} (log: ${proc.log})`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${proc.name} not ${what} after ${timeoutMs / 1000} s: ${lastLines(proc.log)} (log: ${proc.log})`);
}
