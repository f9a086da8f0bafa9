#!/usr/bin/env node
// argv -> command. The only place that sets the process exit code.
import { ConfigError, EarlyExit, loadConfig, type Config } from "./config.ts";
import { ExitCode } from "./domain/outcome.ts";
import { run } from "./commands/run.ts";
import { status } from "./commands/status.ts";
import { doctor } from "./commands/doctor.ts";
import { sync, type CommandIO } from "./commands/sync.ts";
import { KubeConfigError } from "./kube/client.ts";
import { createLogger } from "./observability/logger.ts";
import { scrub } from "./observability/redact.ts";
import { StatusLine } from "./observability/status-line.ts";

/** "synced N/M namespaces" for a person watching a long sync; a handful needs none. */
function progressLine(statusLine: StatusLine): (done: number, total: number) => void {
  return (done, total) => {
    if (total < 20) return;
    statusLine.show(`synced ${done}/${total} namespaces`);
    if (done === total) statusLine.done();
  };
}

/** Aborts on the first SIGTERM or SIGINT; a second one ends the process at once. */
function shutdownSignal(log: ReturnType<typeof createLogger>): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(ExitCode.attention);
    log.info(`${signal} received: finishing in-flight work and shutting down`);
    controller.abort();
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
        return await sync(config, io);
      case "run":
        return await run(config, io, shutdownSignal(log));
      case "status":
        return await status(config, io);
      case "doctor":
        return await doctor(config, io);
    }
  } catch (error) {
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

process.exitCode = await main();
