// Issue 13, point 5 and "fail loudly": a `run` that cannot work says why in one line and
// exits non-zero, or, where waiting fixes it, stays up not ready with the reason in /readyz;
// never a process that answers /healthz while it will never write, nor one that needs a
// second SIGTERM. `sync` with the same broken kubeconfigs exits with one line. No output line
// holds the planted plugin secret, a service account token or a token the emulator issued.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { serviceAccountIdentity, type Identity } from "../kube/identity.ts";
import { allOutput, logLines, runCli, type CliResult } from "../support/cli.ts";
import { eventually, startController, type RunningController } from "../support/controller.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { freePort, sleep } from "../testenv/processes.ts";

const { core, kc: adminKc } = adminClients();
const plantedSecret = `planted-${randomBytes(8).toString("hex")}`;
/** Far more than any of these needs on a busy machine; a process still running then would run forever. */
const exitBoundMs = 60_000;

let home: string;
let unprivileged: Identity;
let noLeaseRole: Identity;
let failingPlugin: string;

/** A kubeconfig for the testenv's API server; `user` is the kubeconfig's user entry. */
async function kubeconfig(user: Record<string, unknown>, server?: string): Promise<string> {
  const cluster = adminKc.getCurrentCluster();
  assert.ok(cluster);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "test",
    clusters: [
      {
        name: "test",
        cluster: server ? { server, "insecure-skip-tls-verify": true } : { server: cluster.server, "certificate-authority-data": cluster.caData },
      },
    ],
    users: [{ name: "test-user", user }],
    contexts: [{ name: "test", context: { cluster: "test", user: "test-user" } }],
  };
  const path = join(await mkdtemp(join(tmpdir(), "fail-loudly-")), "kubeconfig");
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

/** An exec credential plugin that fails the way a cloud's does when its login expired: a refresh token in its stderr, exit 1. */
async function failingPluginKubeconfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fail-loudly-plugin-"));
  const script = join(dir, "credential-plugin");
  await writeFile(
    script,
    `#!/bin/sh\necho "error: refresh_token=${plantedSecret} was rejected: invalid_grant" >&2\necho "debug: token ${plantedSecret}" >&2\necho "${plantedSecret}"\nexit 1\n`,
  );
  await chmod(script, 0o755);
  return kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: script, interactiveMode: "Never" } });
}

/** Lines at WARN or above. */
function loudLines(logs: ReadonlyArray<Record<string, unknown>>): string[] {
  return logs.filter((line) => Number(line["level"]) >= 40).map((line) => `${String(line["level"])} ${String(line["msg"])}`);
}

/** The exit code, or "still running" once the bound has passed (the process is then killed). */
async function exitOf(controller: RunningController, boundMs = exitBoundMs): Promise<number | null | "still running"> {
  const outcome = await Promise.race([controller.exited, sleep(boundMs).then(() => "still running" as const)]);
  if (outcome === "still running") await controller.stop("SIGKILL");
  return outcome;
}

function assertOneErrorLine(lines: readonly string[], expected: RegExp): void {
  assert.equal(lines.length, 1, `one line at WARN or above, got:\n${lines.join("\n")}`);
  assert.match(lines[0] ?? "", /^50 /, "at ERROR");
  assert.match(lines[0] ?? "", expected);
}

async function syncWith(kubeconfigPath: string): Promise<CliResult> {
  return runCli(["sync", "-n", home], { KUBECONFIG: kubeconfigPath }, { timeoutMs: exitBoundMs });
}

before(async () => {
  home = uniqueName("fail-loudly");
  await createNamespaces(core, [home]);
  unprivileged = await serviceAccountIdentity(home, "no-role", "none");
  noLeaseRole = await serviceAccountIdentity(home, "no-lease-role", "shipped");
  failingPlugin = await failingPluginKubeconfig();
});

describe("a port already in use", () => {
  let holder: Server;
  let taken: number;
  before(async () => {
    taken = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(taken, "127.0.0.1", resolve));
  });
  after(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  for (const which of ["metrics", "probe"] as const) {
    test(`the ${which} port: run exits 1 at once with one line naming the address and the flag`, async () => {
      const flag = which === "metrics" ? "--metrics-bind-address" : "--health-probe-bind-address";
      const controller = await startController(["-n", home], {}, which === "metrics" ? { metricsPort: taken } : { probePort: taken });
      assert.equal(await exitOf(controller), 1);
      assertOneErrorLine(
        loudLines(controller.logs),
        new RegExp(`127\\.0\\.0\\.1:${taken}: the address is already in use .*choose another address with ${flag}`),
      );
      // Nothing of ours answers any more: with the metrics port taken, the probe port it had
      // bound first was let go; with the probe port taken, metrics were never started. (The
      // taken port is the holder's, which accepts and never answers: not asked.)
      const ours = which === "metrics" ? controller.probeUrl : controller.metricsUrl;
      assert.equal((await fetch(`${ours}/healthz`).catch(() => ({ status: 0 }))).status, 0, `something answers on ${ours}`);
      assert.ok(!controller.logs.some((line) => /controller starting|token obtained/.test(String(line["msg"]))), "nothing started");
    });
  }
});

describe("the Lease cannot be used", () => {
  test("its namespace is missing: run --leader-elect exits 1 with one line", async () => {
    const missing = uniqueName("no-such-namespace");
    const controller = await startController(["-n", home, "--leader-elect", "--leader-election-namespace", missing]);
    assert.equal(await exitOf(controller), 1);
    const errors = loudLines(controller.logs).filter((line) => line.startsWith("50 "));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0] ?? "", new RegExp(`namespace ${missing} does not exist; check --leader-election-namespace`));
  });

  test("RBAC does not grant it: run --leader-elect exits 1 with one line", async () => {
    const controller = await startController(["-n", home, "--leader-elect", "--leader-election-namespace", home], { KUBECONFIG: noLeaseRole.path });
    assert.equal(await exitOf(controller), 1);
    const errors = loudLines(controller.logs).filter((line) => line.startsWith("50 "));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0] ?? "", /not allowed to use the Lease .*HTTP 403: .*forbidden.*the Role that grants coordination\.k8s\.io leases/);
  });

  test("no line but the one error: the elector does not warn first about what run() reports", async () => {
    const controller = await startController(["-n", home, "--leader-elect", "--leader-election-namespace", uniqueName("no-such-namespace")]);
    assert.equal(await exitOf(controller), 1);
    assert.equal(loudLines(controller.logs).length, 1, loudLines(controller.logs).join("\n"));
  });
});

describe("an identity with no role", () => {
  test("sync exits 1 with one line: forbidden, and what to bind", async () => {
    const result = await syncWith(unprivileged.path);
    assert.equal(result.code, 1, result.stderr);
    assertOneErrorLine(loudLines(logLines(result)), /cannot read the cluster at .*HTTP 403: .*forbidden.*bind it to the ClusterRole ecr-public-creds-helper/);
  });

  test("run exits 1 with the same line (waiting does not grant a permission)", async () => {
    const controller = await startController(["-n", home], { KUBECONFIG: unprivileged.path });
    assert.equal(await exitOf(controller), 1);
    assertOneErrorLine(loudLines(controller.logs), /cannot read the cluster at .*HTTP 403: .*forbidden.*bind it to the ClusterRole ecr-public-creds-helper/);
  });

  test("run --leader-elect exits 1 before campaigning, also as a would-be standby", async () => {
    const controller = await startController(["-n", home, "--leader-elect", "--leader-election-namespace", home], { KUBECONFIG: unprivileged.path });
    assert.equal(await exitOf(controller), 1);
    assertOneErrorLine(loudLines(controller.logs), /cannot read the cluster at .*HTTP 403/);
  });
});

describe("an exec credential plugin that fails", () => {
  const expected = /cannot read the cluster at .*exec credential plugin .* failed \(exit 1\).*run its command by hand to see why/;

  test("sync exits 1 with one line, without the plugin's secret", async () => {
    const result = await syncWith(failingPlugin);
    assert.equal(result.code, 1, result.stderr);
    assertOneErrorLine(loudLines(logLines(result)), expected);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(plantedSecret));
  });

  test("run exits 1 with one line (a plugin failing now is a login to renew, not a wait)", async () => {
    const controller = await startController(["-n", home], { KUBECONFIG: failingPlugin });
    assert.equal(await exitOf(controller), 1);
    assertOneErrorLine(loudLines(controller.logs), expected);
  });

  test("run --leader-elect too, rather than waiting as a standby that can never take over", async () => {
    const controller = await startController(["-n", home, "--leader-elect", "--leader-election-namespace", home], { KUBECONFIG: failingPlugin });
    assert.equal(await exitOf(controller), 1);
    assertOneErrorLine(loudLines(controller.logs), expected);
  });
});

describe("an API server that does not answer (yet): waiting fixes it", () => {
  test("refused connections: run stays up, not ready with the reason in /readyz, and ends on one SIGTERM", async () => {
    const refusing = await kubeconfig({ token: "not-used" }, `https://127.0.0.1:${await freePort()}`);
    for (const leaderElect of [false, true]) {
      const extra = leaderElect ? ["--leader-elect", "--leader-election-namespace", home] : [];
      const controller = await startController(["-n", home, ...extra], { KUBECONFIG: refusing });
      try {
        const reason = leaderElect ? /cannot reach the Lease/ : /cannot watch namespaces: .*ECONNREFUSED|refused/;
        const detail = await eventually(
          "a /readyz reason",
          async () => {
            const res = await fetch(`${controller.probeUrl}/readyz`);
            const text = await res.text();
            return res.status === 503 && reason.test(text) ? text : undefined;
          },
          30_000,
        );
        assert.ok(!detail.trimEnd().includes("\n"), "one line");
        assert.equal((await fetch(`${controller.probeUrl}/healthz`)).status, 200, "alive: waiting is its job");
        assert.equal(controller.child.exitCode, null);
        assert.equal(await controller.stop("SIGTERM"), 0);
      } finally {
        await controller.stop("SIGKILL");
      }
    }
  });

  test("a server that accepts and never answers: the first SIGTERM ends run within seconds", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, "127.0.0.1", resolve));
    try {
      const controller = await startController(["-n", home], { KUBECONFIG: await kubeconfig({ token: "not-used" }, `https://127.0.0.1:${port}`) });
      await eventually("probes served", async () => (await fetch(`${controller.probeUrl}/healthz`)).status === 200, 30_000);
      await eventually("a call hanging", async () => sockets.length > 0, 30_000);
      controller.child.kill("SIGTERM");
      // A request to this server is bounded at 30 s; ending well before shows SIGTERM did not wait for it.
      const outcome = await exitOf(controller, 20_000);
      assert.notEqual(outcome, "still running", "one SIGTERM ends it");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

after(async () => {
  const output = allOutput.join("\n");
  assert.ok(!output.includes(plantedSecret), "the plugin's planted secret is in the output");
  for (const identity of [unprivileged, noLeaseRole]) {
    const token = identity?.kc.getCurrentUser()?.token;
    if (token) assert.ok(!output.includes(token), "a service account token is in the output");
  }
  for (const issued of (await emulator().issued()).tokens) {
    if (issued.password) assert.ok(!output.includes(issued.password), "an issued token is in the output");
    assert.ok(!output.includes(issued.authorizationToken), "an issued token is in the output");
  }
});
