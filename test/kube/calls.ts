// The API calls that reached the server, from its audit log, narrowed to one test's own
// identity or namespace so that tests running at the same time do not mix in.
import { readFileSync } from "node:fs";
import { statePaths } from "../testenv/paths.ts";

export { auditMark } from "../support/audit.ts";

export interface AuditCall {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly code?: number;
  readonly requestURI: string;
  readonly userAgent?: string;
}

interface RawAuditEvent {
  readonly stage: string;
  readonly verb: string;
  readonly requestURI: string;
  readonly userAgent?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: { readonly resource?: string; readonly namespace?: string; readonly name?: string };
  readonly responseStatus?: { readonly code?: number };
}

/** Every completed request after `mark` (see auditMark) that `matches`, in order. */
export function auditCallsSince(mark: number, matches: (event: RawAuditEvent) => boolean): AuditCall[] {
  return readFileSync(statePaths.auditLog)
    .subarray(mark)
    .toString("utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as RawAuditEvent)
    .filter((e) => e.stage === "ResponseComplete" && matches(e))
    .map((e) => ({
      verb: e.verb,
      resource: e.objectRef?.resource ?? "?",
      ...(e.objectRef?.namespace ? { namespace: e.objectRef.namespace } : {}),
      ...(e.objectRef?.name ? { name: e.objectRef.name } : {}),
      ...(e.responseStatus?.code !== undefined ? { code: e.responseStatus.code } : {}),
      requestURI: e.requestURI,
      ...(e.userAgent ? { userAgent: e.userAgent } : {}),
    }));
}

/** Calls made as `username` (a test's own identity, so no other test's calls mix in). */
export function callsBy(mark: number, username: string): AuditCall[] {
  return auditCallsSince(mark, (e) => e.user?.username === username);
}

/** Calls touching `namespace` (unique to a test). */
export function callsIn(mark: number, namespace: string): AuditCall[] {
  return auditCallsSince(mark, (e) => e.objectRef?.namespace === namespace);
}
