import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import { createLogger } from "../observability/logger.ts";
import { FakeClock } from "../util/fake-clock.ts";
import { LeaseCallTimeout } from "./lease-client.ts";
import { leaseProblem, LeaseProblemKind, ProblemLog } from "./lease-problems.ts";

function collectingLogger(): { lines: Array<{ level: number; msg: string }>; log: ReturnType<typeof createLogger> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { lines, log: createLogger({ level: "debug", format: "json", destination }) };
}

const refused = Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });

test("a failure streak logs one WARN, a reminder every 5 minutes, and one INFO when it ends", async () => {
  const clock = new FakeClock();
  const { lines, log } = collectingLogger();
  const problems = new ProblemLog(clock, log, "ns/lease");
  const problem = leaseProblem(refused, "ns/lease");
  for (let i = 0; i < 150; i++) {
    problems.failed(problem);
    await clock.advance(2000);
  }
  // 300 s of failures every 2 s: the first, and a reminder at 5m.
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [[40, "leader election: cannot reach the Lease ns/lease: ECONNREFUSED"]],
  );
  problems.failed(problem);
  assert.equal(lines.at(-1)?.msg, "leader election: still failing after 5m: cannot reach the Lease ns/lease: ECONNREFUSED");
  problems.answered();
  problems.answered();
  assert.deepEqual(
    lines.slice(2).map((l) => [l.level, l.msg]),
    [[30, "leader election: the Lease ns/lease answers again after 5m"]],
  );
  problems.failed(problem);
  assert.equal(lines.length, 4, "a new streak warns again at once");
});

test("Lease problems say what failed in one line, and which ones retrying cannot fix", () => {
  const missing = new ApiException(404, "Not Found", { message: 'namespaces "ns" not found', details: { name: "ns", kind: "namespaces" } }, {});
  const forbidden = new ApiException(
    403,
    "Forbidden",
    { message: 'leases.coordination.k8s.io "lease" is forbidden: User "u" cannot get resource "leases"' },
    {},
  );
  const unavailable = new ApiException(503, "Unavailable", { message: "etcdserver: leader changed\n(retry)" }, {});
  assert.deepEqual(leaseProblem(missing, "ns/lease"), {
    kind: LeaseProblemKind.namespaceMissing,
    fatal: true,
    detail: "cannot create the Lease ns/lease: namespace ns does not exist",
  });
  // The API server's message, on one line, however kube/errors.ts words it around that.
  const denied = leaseProblem(forbidden, "ns/lease");
  assert.deepEqual([denied.kind, denied.fatal], [LeaseProblemKind.forbidden, true]);
  assert.match(
    denied.detail,
    /^not allowed to use the Lease ns\/lease: .*leases\.coordination\.k8s\.io "lease" is forbidden: User "u" cannot get resource "leases"$/,
  );
  const busy = leaseProblem(unavailable, "ns/lease");
  assert.deepEqual([busy.kind, busy.fatal], [LeaseProblemKind.transient, false]);
  assert.match(busy.detail, /^cannot reach the Lease ns\/lease: .*etcdserver: leader changed \(retry\)$/);
  assert.deepEqual(leaseProblem(new LeaseCallTimeout(2000), "ns/lease"), {
    kind: LeaseProblemKind.timeout,
    fatal: false,
    detail: "cannot reach the Lease ns/lease: no answer within 2s",
  });
  assert.equal(leaseProblem(refused, "ns/lease").kind, LeaseProblemKind.unreachable);
});
