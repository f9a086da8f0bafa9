// Issue 13, point 1: a token endpoint that accepts the call and never answers. `sync` must end
// at its --timeout with exit 3 and one line, writing nothing; the controller must engage the
// fail-safe on time although its refresh hangs, say so on /readyz, lift it once AWS answers
// again, and end on one SIGTERM with a call still hanging.
//
// The hang is a fault of an AWS emulator of this file's own (the testenv's is shared with
// other test files, which must not see their token calls hang); the Kubernetes side is the
// testenv's real API server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ecrPublicTokenSource } from "../../src/aws/ecr-public.ts";
import { TokenUnavailableError } from "../../src/aws/token-source.ts";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import type { IssuedToken } from "../aws-emulator/types.ts";
import { auditMark, callsIn } from "../kube/calls.ts";
import { allOutput, logLines, runCli } from "../support/cli.ts";
import { eventually, logged, readyz, startController } from "../support/controller.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { testenvVars, var_ } from "../support/testenv.ts";

const { core } = adminClients();
const vars = testenvVars();
let emu: RunningEmulator;
/** Environment pointing the CLI's AWS clients at this file's emulator. */
let awsEnv: Record<string, string>;

/** Every token the emulator issued, kept across its resets for the "no token in output" check. */
const issued: IssuedToken[] = [];

function resetEmulator(): void {
  issued.push(...emu.state.issued().tokens);
  emu.state.reset();
}

const hungCalls = (): number => emu.state.calls()["ecr-public:GetAuthorizationToken"].errors["Hang"] ?? 0;

async function metric(metricsUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

before(async () => {
  emu = await startEmulator({ accessKeyId: var_(vars, "AWS_ACCESS_KEY_ID"), secretAccessKey: var_(vars, "AWS_SECRET_ACCESS_KEY") });
  awsEnv = { AWS_ENDPOINT_URL_ECR_PUBLIC: emu.url, AWS_ENDPOINT_URL_ECR: emu.url, AWS_ENDPOINT_URL_STS: emu.url };
});

after(async () => {
  if (emu) resetEmulator();
  await emu?.close();
});

describe("token endpoint hangs", () => {
  test("the SDK's own request timeout ends a hanging call, retries included, with no signal from the caller", { timeout: 30_000 }, async () => {
    resetEmulator();
    emu.state.configure({ fault: { mode: "hang" } });
    // The same client the CLI builds, with its per-attempt timeout shortened; the SDK reads the
    // endpoint and credentials from the environment as it does in the CLI.
    for (const [key, value] of Object.entries({ ...vars, ...awsEnv })) if (key.startsWith("AWS_")) process.env[key] = value;
    const source = ecrPublicTokenSource({ requestTimeoutMs: 300, maxAttempts: 2 });
    await assert.rejects(source.fetchToken(), (error: unknown) => {
      assert.ok(error instanceof TokenUnavailableError, String(error));
      assert.equal(error.reason, "timeout");
      assert.equal(error.message, "the ECR Public token request (us-east-1) got no answer from AWS within 300ms after 2 attempts");
      return true;
    });
    assert.equal(hungCalls(), 2, "each attempt reached the endpoint and was given up");
    resetEmulator();
  });

  test("sync --timeout 5s exits 3 with one line and writes nothing", async () => {
    resetEmulator();
    emu.state.configure({ fault: { mode: "hang" } });
    const ns = uniqueName("token-hang-sync");
    await createNamespaces(core, [ns]);
    const mark = auditMark();
    const started = Date.now();

    const result = await runCli(["sync", "-n", ns, "--timeout", "5s"], awsEnv, { timeoutMs: 60_000 });

    const elapsed = Date.now() - started;
    assert.equal(result.code, 3, result.stderr);
    assert.ok(elapsed >= 5_000, `gave up at the deadline, not before it (${elapsed} ms)`);
    // Generous for a busy machine: the bound that matters is "not until killed".
    assert.ok(elapsed < 15_000, `ended soon after its 5 s deadline (${elapsed} ms)`);
    assert.equal(result.stdout, "");
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    assert.equal(lines.length, 1, result.stderr);
    const [line] = logLines(result);
    assert.equal(line?.["level"], 50);
    assert.equal(line?.["msg"], "sync did not finish within 5s: AWS did not answer the token request in time; no secret was changed");
    assert.ok(hungCalls() >= 1, "the token call reached the endpoint and hung there");
    assert.equal(await readSecret(core, ns), undefined);
    const writes = callsIn(mark, ns).filter((call) => !["get", "list", "watch"].includes(call.verb));
    assert.deepEqual(writes, []);
    resetEmulator();
  });

  test("run: the fail-safe engages on time while refreshes hang, readiness says so, an answer lifts it, one SIGTERM ends it", async () => {
    resetEmulator();
    // 40 s tokens, refreshed at about 20 s; the fail-safe is due at 25 s, long before the
    // keeper's 30 s attempt timeout would let a hanging refresh count as failed.
    emu.state.configure({ tokenLifetimeSeconds: 40 });
    const ns = uniqueName("token-hang-run");
    await createNamespaces(core, [ns]);
    const marginMs = 15_000;
    const ctl = await startController(["--namespaces", ns, "--fail-safe-margin", "15s"], awsEnv);
    try {
      await eventually("ready with the first token", async () => (await readyz(ctl)) === 200, 30_000);
      const first = emu.state.issued().tokens[0];
      assert.ok(first);
      await eventually(
        "secret holds the first token",
        async () => dockerConfig(await readSecret(core, ns)).auths["public.ecr.aws"]?.password === first.password,
      );
      emu.state.configure({ fault: { mode: "hang" } });

      const expiresAt = first.expiresAt * 1000;
      await eventually("fail_safe_active 1", async () => (await metric(ctl.metricsUrl, "ecr_public_creds_helper_fail_safe_active")) === 1, 60_000, 200);
      const seenAt = Date.now();
      assert.ok(hungCalls() >= 1, "the refresh was hanging");
      // Due at expiresAt - margin; the slack is for polling on a busy machine, and is far from
      // the 30 s attempt timeout a keeper waiting on the call would need.
      assert.ok(seenAt < expiresAt - marginMs / 2, `engaged ${(expiresAt - seenAt) / 1000} s before expiry`);
      const probe = await fetch(`${ctl.probeUrl}/readyz`);
      assert.equal(probe.status, 503);
      assert.match(await probe.text(), /^fail-safe engaged: the token expire/);
      const emptied = await eventually("secret emptied", async () => {
        const secret = await readSecret(core, ns);
        return Object.keys(dockerConfig(secret).auths).length === 0 && secret;
      });
      assert.ok(Date.now() < expiresAt, "the secret lost the token before it expired");
      assert.ok(emptied);
      assert.ok(hungCalls() <= 4, `no pile-up of calls while one hangs (${hungCalls()})`);

      emu.state.configure({ fault: { mode: "none" } });
      await eventually("fail_safe_active 0", async () => (await metric(ctl.metricsUrl, "ecr_public_creds_helper_fail_safe_active")) === 0, 60_000, 200);
      assert.ok(logged(ctl, /fail-safe lifted/));
      const latest = emu.state.issued().tokens.at(-1);
      assert.notEqual(latest?.password, first.password);
      await eventually(
        "secret holds the new token",
        async () => dockerConfig(await readSecret(core, ns)).auths["public.ecr.aws"]?.password === latest?.password,
      );
      await eventually("ready again", async () => (await readyz(ctl)) === 200);

      // Stopped while a refresh hangs: the call must not hold the process open.
      emu.state.configure({ fault: { mode: "hang" } });
      const held = hungCalls();
      await eventually("the next refresh hangs", async () => hungCalls() > held, 60_000, 200);
      const stopping = Date.now();
      const code = await ctl.stop("SIGTERM");
      const stoppedIn = Date.now() - stopping;
      assert.equal(code, 0);
      assert.ok(stoppedIn < 5_000, `one SIGTERM ended it in ${stoppedIn} ms`);
    } finally {
      await ctl.stop("SIGKILL");
      resetEmulator();
    }
  });

  test("no token reaches any output", () => {
    const tokens = [...issued, ...emu.state.issued().tokens];
    assert.ok(tokens.length >= 2, "the controller obtained tokens to look for");
    const output = allOutput.join("\n");
    for (const token of tokens) {
      assert.ok(token.password && !output.includes(token.password), "a password in the output");
      assert.ok(!output.includes(token.authorizationToken), "an authorizationToken in the output");
    }
  });
});
