#!/usr/bin/env node
// argv -> command. The only place that sets the process exit code.
import { ConfigError, EarlyExit, loadConfig, type Config } from "./config.ts";
import { ExitCode } from "./domain/outcome.ts";
// Each command is imported when it runs (docs/adr/0010-sync-cost.md): a `sync` never evaluates
// the controller, its metrics registry or leader election, and `--version` none of them.
import type { CommandIO } from "./commands/sync.ts";
import { createLogger } from "./observability/logger.ts";
import { scrub } from "./observability/redact.ts";
import { StatusLine } from "./observability/status-line.ts";
import { systemClock } from "./util/clock.ts";

/** "synced N/M namespaces" for a person watching a long sync; a handful needs none. */
function progressLine(statusLine: StatusLine): (done: number, total: number) => void {
  return (done, total) => {
    if (total < 20) return;
    statusLine.show(`synced ${done}/${total} namespaces`);
    if (done === total) statusLine.done();
  };
}

/**
 * How long stopping may take after the first SIGTERM or SIGINT. Stopping waits for writes in
 * flight and hands the Lease back, well under a second when the API server answers; a call
 * that does not answer, or anything else that holds on, must not keep a pod in Terminating
 * until kubelet's SIGKILL, nor make a person press Ctrl-C twice.
 */
const shutdownGraceMs = 4_000;

/**
 * Once a command has returned its exit code it is done: a keep-alive socket or a timer nobody
 * cancelled must not keep the process running. (Unref'd: a process with nothing left exits at once.)
 */
const finishedGraceMs = 1_000;

/** Aborts on the first SIGTERM or SIGINT, and ends the process if stopping outlasts the grace; a second signal ends it at once. */
function shutdownSignal(log: ReturnType<typeof createLogger>): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(ExitCode.attention);
    log.info(`${signal} received: finishing in-flight work and shutting down`);
    controller.abort();
    systemClock.schedule(shutdownGraceMs, () => {
      log.warn(`shutdown did not finish within ${shutdownGraceMs / 1000} s; exiting without waiting any longer`);
      process.exit(ExitCode.attention);
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return controller.signal;
}

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof EarlyExit) {
      process.stdout.write(error.output);
      return ExitCode.ok;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
  // Text logs on a terminal share it with the progress line; JSON logs and pipes get no progress line.
  const statusLine = config.log.format === "text" && process.stderr.isTTY ? new StatusLine(process.stderr) : undefined;
  const log = createLogger({ ...config.log, destination: statusLine });
  const io: CommandIO = {
    log,
    out: process.stdout,
    progress: statusLine ? progressLine(statusLine) : undefined,
  };
  try {
    switch (config.command) {
      case "sync":
        return await (await import("./commands/sync.ts")).sync(config, io);
      case "run":
        return await (await import("./commands/run.ts")).run(config, io, shutdownSignal(log));
      case "status":
        return await (await import("./commands/status.ts")).status(config, io);
      case "doctor":
        return await (await import("./commands/doctor.ts")).doctor(config, io);
    }
  } catch (error) {
    // Every command has loaded the Kubernetes client before it can throw this.
    const { KubeConfigError } = await import("./kube/client.ts");
    if (error instanceof KubeConfigError) {
      log.error(error.message);
      return ExitCode.usage;
    }
    // Unexpected: one line, no stack for the user; the stack goes to debug.
    log.debug({ err: error }, "unexpected error");
    log.error(`unexpected error: ${scrub(error instanceof Error ? error.message : String(error))}`);
    return ExitCode.attention;
  }
}

const code = await main();
process.exitCode = code;
systemClock.schedule(finishedGraceMs, () => process.exit(code));
