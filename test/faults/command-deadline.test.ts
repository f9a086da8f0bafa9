// Issue 13, point 1: `sync`, `status` and `doctor` end within --timeout whatever does not answer.
// The token endpoint's part is in token-hang.test.ts; here the Kubernetes API server stops
// answering (a proxy in front of the real one that accepts connections and goes silent), before
// anything is read, or, for sync, after the reads and the token, while it writes.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import { apiProxy, type ApiProxy } from "../kube/proxy.ts";
import { allOutput, logLines, runCli, type CliResult } from "../support/cli.ts";
import { eventually } from "../support/controller.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import { kubeConfig, testenvVars, var_ } from "../support/testenv.ts";

const { core } = adminClients();
const vars = testenvVars();
let proxy: ApiProxy;
let emu: RunningEmulator;
/** The CLI's environment: the proxied kubeconfig, and this file's own AWS emulator. */
let env: Record<string, string>;
const passwords: string[] = [];

before(async () => {
  proxy = await apiProxy(kubeConfig());
  await proxy.listen();
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "command-deadline-")), "kubeconfig");
  writeFileSync(kubeconfig, proxy.kc.exportConfig());
  emu = await startEmulator({ accessKeyId: var_(vars, "AWS_ACCESS_KEY_ID"), secretAccessKey: var_(vars, "AWS_SECRET_ACCESS_KEY") });
  env = { KUBECONFIG: kubeconfig, AWS_ENDPOINT_URL_ECR_PUBLIC: emu.url, AWS_ENDPOINT_URL_ECR: emu.url, AWS_ENDPOINT_URL_STS: emu.url };
});

after(async () => {
  await proxy?.close();
  await emu?.close();
});

/** Runs the CLI and returns its result with how long it took. */
async function timed(args: readonly string[]): Promise<CliResult & { elapsed: number }> {
  const started = Date.now();
  const result = await runCli(args, env, { timeoutMs: 90_000 });
  return { ...result, elapsed: Date.now() - started };
}

/** The one line a command printed, asserted to be an ERROR log line and the only output on stderr. */
function onlyLine(result: CliResult): string {
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, result.stderr);
  const [line] = logLines(result);
  assert.equal(line?.["level"], 50, result.stderr);
  return String(line?.["msg"]);
}

/** At the deadline, not before it; the slack is for a busy machine, far below what a hung request would take. */
function endedAtDeadline(elapsed: number, timeoutMs: number): void {
  assert.ok(elapsed >= timeoutMs, `gave up at the deadline, not before it (${elapsed} ms)`);
  assert.ok(elapsed < timeoutMs + 10_000, `ended soon after its ${timeoutMs} ms deadline (${elapsed} ms)`);
}

describe("the API server stops answering", () => {
  test("status --timeout 3s: exit 1, one line", async () => {
    proxy.silent = true;
    try {
      const result = await timed(["status", "-n", "default", "--timeout", "3s"]);
      assert.equal(result.code, 1, result.stderr);
      endedAtDeadline(result.elapsed, 3_000);
      assert.equal(onlyLine(result), "status did not finish within 3s: the Kubernetes API server did not answer in time");
      assert.equal(result.stdout, "");
    } finally {
      proxy.silent = false;
    }
  });

  test("doctor --timeout 3s: exit 1, one line naming what did not answer", async () => {
    proxy.silent = true;
    try {
      const result = await timed(["doctor", "-n", "default", "--timeout", "3s"]);
      assert.equal(result.code, 1, result.stderr);
      endedAtDeadline(result.elapsed, 3_000);
      assert.equal(onlyLine(result), "doctor did not finish within 3s: no answer from the Kubernetes API server in time");
      assert.equal(result.stdout, "", "no check finished");
    } finally {
      proxy.silent = false;
    }
  });

  test("sync --timeout 3s before anything is read: exit 3, one line, nothing written", async () => {
    const ns = uniqueName("deadline-read");
    await createNamespaces(core, [ns]);
    proxy.silent = true;
    try {
      const result = await timed(["sync", "-n", ns, "--timeout", "3s"]);
      assert.equal(result.code, 3, result.stderr);
      endedAtDeadline(result.elapsed, 3_000);
      assert.equal(onlyLine(result), "sync did not finish within 3s: the Kubernetes API server did not answer in time; no secret was changed");
    } finally {
      proxy.silent = false;
    }
    assert.equal(await readSecret(core, ns), undefined);
  });

  test("sync --timeout 8s that got its token and then cannot write: exit 1, one line naming what was left undone", async () => {
    const namespaces = [uniqueName("deadline-write-a"), uniqueName("deadline-write-b")].sort();
    await createNamespaces(core, namespaces);
    emu.state.reset();
    // The token call is held until the reads are over; the API server goes silent, then AWS answers.
    emu.state.configure({ fault: { mode: "hang", times: 1 } });
    const hung = (): number => emu.state.calls()["ecr-public:GetAuthorizationToken"].errors["Hang"] ?? 0;
    const running = timed(["sync", "-n", namespaces.join(","), "--timeout", "8s"]);
    try {
      await eventually("the token call", async () => hung() === 1, 8_000, 20);
      proxy.silent = true;
      emu.state.configure({ fault: { mode: "none" } });
      const result = await running;
      assert.equal(result.code, 1, result.stderr);
      endedAtDeadline(result.elapsed, 8_000);
      const lines = logLines(result);
      assert.match(String(lines[0]?.["msg"]), /^token obtained for public\.ecr\.aws/);
      assert.deepEqual(
        lines.slice(1).map((line) => [line["level"], line["msg"]]),
        [[50, `sync did not finish within 8s: 0 of 2 namespaces done, 2 left undone (${namespaces.join(", ")}); run sync again`]],
      );
    } finally {
      proxy.silent = false;
      passwords.push(...emu.state.issued().tokens.flatMap((token) => (token.password ? [token.password] : [])));
      emu.state.reset();
    }
  });

  test("no token reaches any output", () => {
    assert.ok(passwords.length > 0);
    const output = allOutput.join("\n");
    for (const password of passwords) assert.ok(!output.includes(password));
  });
});
