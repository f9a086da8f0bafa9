// A real pino logger (the product's, with its redaction) whose JSON lines a test can read.
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/observability/logger.ts";

export interface CapturedLog {
  readonly log: Logger;
  readonly lines: Array<Record<string, unknown>>;
  /** The messages, optionally only those at or above a pino level number (40 warn, 50 error). */
  messages(minLevel?: number): string[];
}

export function capturedLog(level: "debug" | "info" | "warn" | "error" = "debug"): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.startsWith("{")) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return {
    log: createLogger({ level, format: "json", destination }),
    lines,
    messages: (minLevel = 0) => lines.filter((l) => Number(l["level"]) >= minLevel).map((l) => String(l["msg"])),
  };
}
