// The test environment itself: a real API server with RBAC, the AWS emulator reachable by the
// real AWS CLI v2, and up/down that leave nothing behind.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { testenvVars, var_ } from "../support/testenv.ts";
import { repoRoot } from "./paths.ts";
import type { TestenvState } from "./testenv.ts";

const run = promisify(execFile);

/** Running means present and not a zombie (this sandbox's init may not reap orphans at once). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
const vars = testenvVars();
const env = { ...process.env, ...vars };

describe("testenv", () => {
  test("kubectl reports a real v1.3x server version", async () => {
    const { stdout } = await run(var_(vars, "TESTENV_KUBECTL"), ["--kubeconfig", var_(vars, "KUBECONFIG"), "version", "-o", "json"], { env });
    const version = JSON.parse(stdout) as { serverVersion: { gitVersion: string } };
    assert.match(version.serverVersion.gitVersion, /^v1\.3\d+\.\d+$/);
  });

  test("the unprivileged user is forbidden to list secrets", async () => {
    const result = await run(var_(vars, "TESTENV_KUBECTL"), ["--kubeconfig", var_(vars, "TESTENV_KUBECONFIG_USER"), "get", "secrets", "-A"], { env }).then(
      () => ({ ok: true, stderr: "" }),
      (error: { stderr: string }) => ({ ok: false, stderr: error.stderr }),
    );
    assert.equal(result.ok, false);
    assert.match(result.stderr, /Forbidden|forbidden/);
  });

  test("the real AWS CLI v2 gets an ECR Public password from the emulator", { skip: !existsSync("/usr/bin/aws") && "no /usr/bin/aws" }, async () => {
    const { stdout } = await run(
      "/usr/bin/aws",
      ["ecr-public", "get-login-password", "--region", "us-east-1", "--endpoint-url", var_(vars, "AWS_ENDPOINT_URL_ECR_PUBLIC")],
      { env: { ...env, AWS_PAGER: "" } },
    );
    assert.match(stdout.trim(), /^[A-Za-z0-9+/=_-]{16,}$/);
  });

  test("up twice is harmless, down stops every process", async () => {
    const dir = await mkdtemp(join(tmpdir(), "testenv-"));
    const cli = join(repoRoot, "test", "testenv", "cli.ts");
    const childEnv = { ...process.env, ECR_TESTENV_DIR: dir };
    const first = await run(process.execPath, [cli, "up"], { env: childEnv });
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as TestenvState;
    assert.equal(state.processes.length, 3);
    const second = await run(process.execPath, [cli, "up"], { env: childEnv });
    assert.match(second.stderr, /already up/, first.stderr);

    // A half-dead environment (one process gone) is cleaned up and started afresh.
    const emulatorProc = state.processes.find((p) => p.name === "aws-emulator");
    assert.ok(emulatorProc);
    process.kill(emulatorProc.pid, "SIGKILL");
    const third = await run(process.execPath, [cli, "up"], { env: childEnv });
    assert.match(third.stderr, /half-started or stopped previous run; cleaning it up/);
    const restarted = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as TestenvState;
    for (const proc of state.processes) assert.equal(running(proc.pid), false, `old ${proc.name} still running`);
    for (const proc of restarted.processes) assert.equal(running(proc.pid), true, `new ${proc.name} not running`);

    await run(process.execPath, [cli, "down"], { env: childEnv });
    for (const proc of restarted.processes) assert.equal(running(proc.pid), false, `${proc.name} (${proc.pid}) still running`);
    assert.equal(existsSync(dir), false);
  });
});
