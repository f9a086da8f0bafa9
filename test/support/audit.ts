// The API server's audit log, to count the calls a command of ours made: every request of
// ecr-public-creds-helper carries its User-Agent.
import { readFileSync, statSync } from "node:fs";
import { statePaths } from "../testenv/paths.ts";

export interface AuditEvent {
  readonly verb: string;
  readonly userAgent?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: { readonly resource?: string; readonly namespace?: string; readonly name?: string };
  readonly responseStatus?: { readonly code?: number };
  readonly stage: string;
}

/** Marks the log's current end; `eventsSince(mark)` returns what our tool did after it. */
export function auditMark(): number {
  try {
    return statSync(statePaths.auditLog).size;
  } catch {
    return 0;
  }
}

export function ourCallsSince(mark: number): AuditEvent[] {
  const text = readFileSync(statePaths.auditLog).subarray(mark).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.stage === "ResponseComplete" && e.userAgent?.startsWith("ecr-public-creds-helper/"));
}

export function countBy(events: readonly AuditEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) {
    const key = `${e.verb} ${e.objectRef?.resource ?? "?"}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
