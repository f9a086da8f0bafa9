// Exec credential plugins, run by real shell scripts against the real API server: a working
// plugin authenticates and runs once per credential lifetime; one that hangs ends after its
// bound, on the injected clock, with its children, for API calls and watches alike; one that
// fails says one scrubbed line, never the refresh token it printed.
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { AuthenticationV1Api, Watch } from "@kubernetes/client-node";
import { apiClient, coreApi, loadKubeConfig, type KubeClientOptions } from "../../src/kube/client.ts";
import { classifyKubeError, isRetryableKubeError, kubeErrorMessage, KubeErrorKind } from "../../src/kube/errors.ts";
import { ExecPluginError, execPluginTimeoutMs } from "../../src/kube/exec-plugin.ts";
import { FakeClock, settle } from "../../src/util/fake-clock.ts";
import { eventually } from "../support/controller.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { serviceAccountIdentity } from "./identity.ts";

const { core: admin, kc: adminKc } = adminClients();
/** Far above every bound a test sets: reaching it means a plugin hung the call. */
const hung = { timeout: 60_000 };
const plantedSecret = "planted-refresh-7f3a9c1e2b";

interface Plugin {
  /** The kubeconfig whose user runs the script. */
  readonly kubeconfig: string;
  readonly script: string;
  /** A file the script may write to (its runs, its pid). */
  readonly scratch: string;
}

/** A kubeconfig for the test API server whose user gets its credential from `body`, a sh script. */
async function plugin(body: string, env: Record<string, string> = {}): Promise<Plugin> {
  const dir = await mkdtemp(join(tmpdir(), "exec-plugin-"));
  const script = join(dir, "credential-plugin");
  const scratch = join(dir, "scratch");
  await writeFile(script, `#!/bin/sh\n${body}\n`);
  await chmod(script, 0o755);
  const cluster = adminKc.getCurrentCluster();
  assert.ok(cluster);
  const exec = {
    apiVersion: "client.authentication.k8s.io/v1",
    command: script,
    args: ["get-token", "--cluster", "testenv"],
    env: Object.entries({ SCRATCH: scratch, ...env }).map(([name, value]) => ({ name, value })),
    interactiveMode: "Never",
  };
  const config = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "plugin",
    clusters: [{ name: "testenv", cluster: { server: cluster.server, "certificate-authority-data": cluster.caData } }],
    users: [{ name: "plugin-user", user: { exec } }],
    contexts: [{ name: "plugin", context: { cluster: "testenv", user: "plugin-user" } }],
  };
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, JSON.stringify(config), { mode: 0o600 });
  return { kubeconfig, script, scratch };
}

function outcome(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => "resolved",
    (error: unknown) => error,
  );
}

function assertOneLine(error: unknown, expected: string | RegExp): void {
  assert.ok(error instanceof ExecPluginError, String(error));
  for (const line of [error.message, kubeErrorMessage(error)]) {
    assert.ok(!line.includes("\n"), line);
    assert.ok(!line.includes(plantedSecret), line);
    if (typeof expected === "string") assert.equal(line, expected);
    else assert.match(line, expected);
  }
}

async function untilTimers(clock: FakeClock, count: number): Promise<void> {
  for (let turn = 0; clock.pendingTimers < count; turn++) {
    assert.ok(turn < 2_000, `expected ${count} pending timers, have ${clock.pendingTimers}`);
    await settle();
  }
}

async function whoAmI(options: KubeClientOptions & { kubeconfig: string }): Promise<string | undefined> {
  const review = await apiClient(loadKubeConfig({ kubeconfig: options.kubeconfig }, options), AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  return review.status?.userInfo?.username;
}

const printsCredential = `echo run >> "$SCRATCH"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' "$TOKEN" "$EXPIRES"`;

describe("a working exec plugin", () => {
  test("its token authenticates, with the plugin's env added to ours", hung, async () => {
    const ns = uniqueName("exec-plugin");
    await createNamespaces(admin, [ns]);
    const identity = await serviceAccountIdentity(ns, "plugin-sa", "none");
    const token = identity.kc.getCurrentUser()?.token ?? "";
    const { kubeconfig } = await plugin(printsCredential, { TOKEN: token, EXPIRES: "2999-01-01T00:00:00Z" });
    assert.equal(await whoAmI({ kubeconfig }), identity.username);
  });

  test("runs once for concurrent first calls, and again only once the credential expired on the clock", hung, async () => {
    const ns = uniqueName("exec-cache");
    await createNamespaces(admin, [ns]);
    const identity = await serviceAccountIdentity(ns, "plugin-sa", "none");
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00.000Z"));
    const { kubeconfig, scratch } = await plugin(printsCredential, {
      TOKEN: identity.kc.getCurrentUser()?.token ?? "",
      EXPIRES: "2026-01-01T00:10:00Z",
    });
    const runs = async (): Promise<number> => (await readFile(scratch, "utf8")).split("\n").filter(Boolean).length;
    const reviews = apiClient(loadKubeConfig({ kubeconfig }, { clock }), AuthenticationV1Api);
    const review = (): Promise<unknown> => reviews.createSelfSubjectReview({ body: {} });
    await Promise.all([review(), review(), review(), review()]);
    await review();
    assert.equal(await runs(), 1);
    await clock.advance(10 * 60_000 - 1);
    await review();
    assert.equal(await runs(), 1, "still valid 1 ms before its expirationTimestamp");
    await clock.advance(1);
    await review();
    assert.equal(await runs(), 2);
  });
});

/**
 * The processes of process group `pgid` that still run. A killed process stays a zombie until
 * its parent reaps it, and the plugin's orphaned `sleep` is reaped by this machine's PID 1,
 * whenever that gets to it (under load, seconds later): kill(-pgid, 0) would still see it.
 */
async function livingInGroup(pgid: number): Promise<number[]> {
  const living: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") living.push(Number(entry));
  }
  return living;
}

describe("an exec plugin that hangs", () => {
  // Not `exec sleep`: the shell's child holds the plugin's output open after the shell is gone.
  const hangs = `echo $$ > "$SCRATCH"\nsleep 600`;

  test("ends after its bound on the injected clock (60 s by default), one line, its children killed", hung, async () => {
    const { kubeconfig, script, scratch } = await plugin(hangs);
    const clock = new FakeClock();
    let error: unknown;
    const call = outcome(coreApi(loadKubeConfig({ kubeconfig }, { clock })).listNamespace()).then((e) => (error = e));
    await untilTimers(clock, 1);
    assert.equal(clock.nextTimerIn(), execPluginTimeoutMs);
    // `|| undefined`: the shell creates the file before it writes, and "" is a value to eventually().
    const pid = Number(await eventually("the plugin started", async () => (await readFile(scratch, "utf8").catch(() => "")).trim() || undefined));
    assert.ok(pid > 1, `the plugin's pid: ${pid}`);
    await clock.advance(execPluginTimeoutMs - 1);
    assert.equal(error, undefined, "still waiting 1 ms before the bound");
    await clock.advance(1);
    await call;
    assertOneLine(error, `exec credential plugin "${script}" did not finish within 60 s`);
    assert.equal(classifyKubeError(error), KubeErrorKind.other);
    await eventually("the plugin and its sleep are gone", async () => (await livingInGroup(pid)).length === 0);
  });

  test("ends within a short bound in real time", hung, async () => {
    const { kubeconfig, script } = await plugin(hangs);
    const started = performance.now();
    const error = await outcome(coreApi(loadKubeConfig({ kubeconfig }, { execTimeoutMs: 500 })).listNamespace());
    assertOneLine(error, `exec credential plugin "${script}" did not finish within 500 ms`);
    assert.ok(performance.now() - started >= 450, "not before the bound");
  });

  test("a watch (the informers' path, which the request bound leaves open) ends too", hung, async () => {
    const { kubeconfig, script } = await plugin(hangs);
    const watching = new Watch(loadKubeConfig({ kubeconfig }, { execTimeoutMs: 500 }));
    const error = await outcome(
      watching.watch(
        "/api/v1/namespaces",
        {},
        () => {},
        () => {},
      ),
    );
    assertOneLine(error, `exec credential plugin "${script}" did not finish within 500 ms`);
  });
});

describe("an exec plugin that fails", () => {
  test("its stderr's first line only, the refresh token it printed removed", hung, async () => {
    const { kubeconfig, script } = await plugin(
      [
        `echo "error: refresh_token=${plantedSecret} was rejected by the token service" >&2`,
        `echo '{"refresh_token": "${plantedSecret}", "id_token": "${plantedSecret}"}' >&2`,
        `echo "retry with ${plantedSecret}" >&2`,
        "exit 1",
      ].join("\n"),
    );
    const kc = loadKubeConfig({ kubeconfig });
    const error = await outcome(coreApi(kc).listNamespace());
    assertOneLine(error, `exec credential plugin "${script}" failed (exit 1): error: refresh_token=[REDACTED] was rejected by the token service`);
    assert.ok(!isRetryableKubeError(error), "a plugin that says no is not retried");
    // A watch fails the same way (the informers log this line).
    const watchError = await outcome(
      new Watch(kc).watch(
        "/api/v1/namespaces",
        {},
        () => {},
        () => {},
      ),
    );
    assertOneLine(watchError, (error as Error).message);
  });

  test("a token on stdout that is not an ExecCredential never reaches the message", hung, async () => {
    const { kubeconfig, script } = await plugin(`echo "token: ${plantedSecret}"`);
    const error = await outcome(coreApi(loadKubeConfig({ kubeconfig })).listNamespace());
    assertOneLine(error, `exec credential plugin "${script}" printed no ExecCredential (not JSON)`);
  });

  test("an ExecCredential without a status", hung, async () => {
    const { kubeconfig, script } = await plugin(`echo '{"kind":"ExecCredential"}'`);
    const error = await outcome(coreApi(loadKubeConfig({ kubeconfig })).listNamespace());
    assertOneLine(error, `exec credential plugin "${script}" printed an ExecCredential without a status`);
  });

  test("a plugin that is not installed", hung, async () => {
    const { kubeconfig, script } = await plugin("exit 0");
    const missing = kubeconfig.replace(/kubeconfig$/, "missing-kubeconfig");
    await writeFile(missing, (await readFile(kubeconfig, "utf8")).replaceAll(script, "/nonexistent/credential-plugin"));
    const error = await outcome(coreApi(loadKubeConfig({ kubeconfig: missing })).listNamespace());
    assertOneLine(error, `exec credential plugin "/nonexistent/credential-plugin" could not run: ENOENT`);
  });

  test("killed by a signal", hung, async () => {
    const { kubeconfig, script } = await plugin("kill -TERM $$");
    const error = await outcome(coreApi(loadKubeConfig({ kubeconfig })).listNamespace());
    assertOneLine(error, `exec credential plugin "${script}" failed (killed by SIGTERM)`);
  });
});
