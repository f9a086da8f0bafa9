// Bad input and failing dependencies: one clear line, the right exit code, nothing written.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, beforeEach, describe, test } from "node:test";
import { freePort } from "../testenv/processes.ts";
import { logLines, runCli, type CliResult } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import type { FaultMode } from "../aws-emulator/control.ts";

const { core } = adminClients();
const control = emulator();

/** Error lines: "error: …" from argument checks, or JSON log lines at level error (50). */
function oneErrorLine(result: CliResult): string {
  const errors = result.stderr
    .split("\n")
    .filter((line) => line.startsWith("error:") || (line.startsWith("{") && (JSON.parse(line) as { level: number }).level >= 50))
    .map((line) => (line.startsWith("{") ? String((JSON.parse(line) as { msg: string }).msg) : line));
  assert.equal(errors.length, 1, `expected one error line, got:\n${result.stderr}`);
  assert.ok(!/\n\s+at /.test(result.stderr), "no stack trace");
  return errors[0] ?? "";
}

describe("usage errors exit 2 with one line", () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["empty TARGET_NAMESPACES", ["sync"], { TARGET_NAMESPACES: "  " }, /TARGET_NAMESPACES .* is empty/],
    ["nothing selected", ["sync"], {}, /no namespaces selected/],
    ["invalid namespace name", ["sync", "-n", "Not_Valid"], {}, /not a valid namespace name/],
    ["invalid glob", ["sync", "-n", "Team-*"], {}, /not a valid namespace glob/],
    ["bad label selector", ["sync", "-l", "tier in (web"], {}, /label selector/],
    ["unknown flag", ["sync", "-n", "a", "--frobnicate"], {}, /unknown option '--frobnicate'/],
    ["unreadable kubeconfig", ["sync", "-n", "a", "--kubeconfig", "/nonexistent/kubeconfig"], {}, /cannot read \/nonexistent\/kubeconfig/],
    ["unknown context", ["sync", "-n", "a", "--context", "nope"], {}, /context "nope" is not in the kubeconfig/],
    ["bad refresh window", ["sync", "-n", "a", "--refresh-before", "13h"], {}, /refresh-before/],
  ];
  for (const [name, args, env, pattern] of cases) {
    test(name, async () => {
      const result = await runCli(args, { TARGET_NAMESPACES: undefined, ...env });
      assert.equal(result.code, 2, result.stderr);
      assert.match(oneErrorLine(result), pattern);
    });
  }
});

describe("an unreachable API server", () => {
  test("one line naming the server, exit 1", async () => {
    const port = await freePort(); // nothing listens there once freePort returns
    const dir = await mkdtemp(join(tmpdir(), "unreachable-"));
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "nowhere",
        clusters: [{ name: "nowhere", cluster: { server: `https://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
        users: [{ name: "nobody", user: { token: "not-a-token" } }],
        contexts: [{ name: "nowhere", context: { cluster: "nowhere", user: "nobody" } }],
      }),
    );
    const result = await runCli(["sync", "--kubeconfig", kubeconfig], { TARGET_NAMESPACES: "default" });
    assert.equal(result.code, 1, result.stderr);
    assert.match(oneErrorLine(result), new RegExp(`cannot read the cluster at https://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  });
});

describe("no token: exit 3 and nothing written", () => {
  const ns = uniqueName("notoken");
  const fresh = uniqueName("notoken-keep");
  before(async () => {
    await control.reset();
    await createNamespaces(core, [ns, fresh]);
    assert.equal((await runCli(["sync"], { TARGET_NAMESPACES: fresh })).code, 0);
  });
  beforeEach(async () => {
    await control.reset();
  });

  async function expectNoWrite(result: CliResult, pattern: RegExp): Promise<void> {
    assert.equal(result.code, 3, result.stderr);
    assert.match(oneErrorLine(result), pattern);
    assert.equal(await readSecret(core, ns), undefined);
  }

  test("no AWS credentials", async () => {
    const result = await runCli(["sync"], { TARGET_NAMESPACES: ns, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    await expectNoWrite(result, /no AWS credentials found/);
  });

  test("wrong AWS secret key", async () => {
    const result = await runCli(["sync"], { TARGET_NAMESPACES: ns, AWS_SECRET_ACCESS_KEY: "wrong-secret-key-wrong-secret-key-00000" });
    await expectNoWrite(result, /denied \(InvalidSignatureException/);
  });

  const faults: Array<[FaultMode, RegExp]> = [
    ["malformed-not-base64", /not base64/],
    ["malformed-no-colon", /no "user:password" separator/],
    ["malformed-empty-password", /empty password/],
    ["expired", /expired at/],
    ["throttle", /throttled \(ThrottlingException\) after 3 attempts/],
    ["error500", /failed on the AWS side .* after 3 attempts/],
  ];
  for (const [mode, pattern] of faults) {
    test(`token endpoint fault: ${mode}`, async () => {
      await control.configure({ fault: { mode } });
      // --force makes the fresh namespace need a token too: it must be left untouched.
      const before = await readSecret(core, fresh);
      const result = await runCli(["sync", "--force"], { TARGET_NAMESPACES: `${ns} ${fresh}` });
      await expectNoWrite(result, pattern);
      assert.equal((await readSecret(core, fresh))?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
      assert.ok(logLines(result).every((l) => !JSON.stringify(l).includes("AWS:")));
    });
  }

  test("a throttle that clears within the retries still succeeds", async () => {
    await control.configure({ fault: { mode: "throttle", times: 1 } });
    const result = await runCli(["sync"], { TARGET_NAMESPACES: ns });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(await readSecret(core, ns));
  });
});
