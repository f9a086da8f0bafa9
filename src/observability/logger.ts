// One pino logger: JSON lines in a pod, readable text on a terminal, secrets removed by field
// name and by value before anything is written. Logs go to stderr; stdout is for results
// (--dry-run plans, status tables).
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { redactedPaths, scrub } from "./redact.ts";

export type { Logger };

export type LogLevel = "debug" | "info" | "warn" | "error";

class ScrubbingStream extends Writable {
  readonly #target: NodeJS.WritableStream;
  constructor(target: NodeJS.WritableStream) {
    super();
    this.#target = target;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#target.write(scrub(chunk.toString("utf8")));
    done();
  }
}

export function createLogger(options: { level: LogLevel; format: "json" | "text"; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stderr;
  const stream =
    options.format === "text"
      ? pretty({
          destination: new ScrubbingStream(destination),
          sync: true,
          colorize: false,
          translateTime: "HH:MM:ss",
          ignore: "pid,hostname",
          // Messages carry what a person needs; the structured fields are for JSON consumers.
          hideObject: true,
        })
      : new ScrubbingStream(destination);
  return pino(
    {
      name: "ecr-public-creds-helper",
      level: options.level,
      base: undefined,
      redact: { paths: redactedPaths, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}
