// Every Kubernetes request but a watch ends: an API server that accepts the connection and
// never answers, or sends headers and then stalls, costs one deadline per attempt and ends in
// a one-line, retryable error; the retry policy on a fake clock ends too. Against the real
// API server behind a TCP proxy that can go silent.
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeRequestTimeout, kubeRequestTimeoutMs } from "../../src/kube/bounded-fetch.ts";
import { coreApi } from "../../src/kube/client.ts";
import { classifyKubeError, isRetryableKubeError, kubeErrorMessage, KubeErrorKind } from "../../src/kube/errors.ts";
import { listNamespaces } from "../../src/kube/gather.ts";
import { kubeRetry, kubeRetryBoundMs } from "../../src/kube/retry.ts";
import { FakeClock, settle } from "../../src/util/fake-clock.ts";
import { adminClients } from "../support/kube.ts";
import { apiProxy } from "./proxy.ts";

const { kc: adminKc } = adminClients();
/** Far above every bound a test sets: reaching it means a call hung. */
const hung = { timeout: 60_000 };

function outcome(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => "resolved",
    (error: unknown) => error,
  );
}

async function untilTimers(clock: FakeClock, count: number): Promise<void> {
  for (let turn = 0; clock.pendingTimers < count; turn++) {
    assert.ok(turn < 500, `expected ${count} pending timers, have ${clock.pendingTimers}`);
    await settle();
  }
}

function assertTimedOut(error: unknown, said: string): void {
  assert.ok(error instanceof KubeRequestTimeout, String(error));
  assert.equal(error.message, said);
  assert.equal(classifyKubeError(error), KubeErrorKind.transient);
  assert.ok(isRetryableKubeError(error));
  const line = kubeErrorMessage(error);
  assert.ok(line !== "" && !line.includes("\n"), line);
}

describe("a request to an API server that never answers", () => {
  test("ends after the bound with a one-line transient error", hung, async () => {
    const proxy = await apiProxy(adminKc);
    await proxy.listen();
    proxy.silent = true;
    try {
      const started = performance.now();
      const error = await outcome(coreApi(proxy.kc, { requestTimeoutMs: 500 }).listNamespace());
      assertTimedOut(error, "the API server did not answer within 500 ms");
      assert.ok(performance.now() - started >= 450, "not before the bound");
      assert.equal(proxy.connections, 1);
    } finally {
      await proxy.close();
    }
  });

  test("the bound runs on the injected clock, 30 s by default, and nothing ends before it", hung, async () => {
    const proxy = await apiProxy(adminKc);
    await proxy.listen();
    proxy.silent = true;
    const clock = new FakeClock(0, 0.5);
    try {
      let error: unknown;
      const call = outcome(coreApi(proxy.kc, { clock }).listNamespace()).then((e) => (error = e));
      await untilTimers(clock, 1);
      assert.equal(clock.nextTimerIn(), kubeRequestTimeoutMs);
      await clock.advance(kubeRequestTimeoutMs - 1);
      assert.equal(error, undefined, "still waiting 1 ms before the bound");
      await clock.advance(1);
      await call;
      assertTimedOut(error, "the API server did not answer within 30 s");
      assert.equal(clock.pendingTimers, 0);
    } finally {
      await proxy.close();
    }
  });

  test("a read through the retry policy ends after its attempts, each one bounded", hung, async () => {
    const proxy = await apiProxy(adminKc);
    await proxy.listen();
    proxy.silent = true;
    const clock = new FakeClock(0, 0.5);
    try {
      let error: unknown;
      const reading = outcome(listNamespaces(coreApi(proxy.kc, { clock }), { clock })).then((e) => (error = e));
      const waits: number[] = [];
      for (let turn = 0; error === undefined; turn++) {
        assert.ok(turn < 20, "the read keeps going");
        await untilTimers(clock, 1);
        const next = clock.nextTimerIn() ?? 0;
        waits.push(next);
        await clock.advance(next);
      }
      await reading;
      assertTimedOut(error, "the API server did not answer within 30 s");
      // Four attempts, each cut at 30 s, with the policy's backoff (3/4 of 200, 400, 800 ms) between.
      assert.equal(kubeRetry.attempts, 4);
      assert.deepEqual(waits, [30_000, 150, 30_000, 300, 30_000, 600, 30_000]);
      // Within the bound the CLI documents: every attempt hung, the longest backoffs between them.
      assert.equal(kubeRetryBoundMs(), 4 * 30_000 + 200 + 400 + 800);
      assert.ok(clock.now() <= kubeRetryBoundMs());
      assert.equal(clock.pendingTimers, 0);
    } finally {
      await proxy.close();
    }
  });

  test("the API server answering again: requests go through once the stuck connection is given up", hung, async () => {
    const proxy = await apiProxy(adminKc);
    await proxy.listen();
    proxy.silent = true;
    try {
      const core = coreApi(proxy.kc, { requestTimeoutMs: 1_000 });
      assert.ok((await outcome(core.listNamespace({ limit: 1 }))) instanceof KubeRequestTimeout);
      proxy.silent = false;
      // The connection opened during the silence is still in its TLS handshake; undici gives it up
      // after its connect timeout (10 s) and opens a new one. Until then requests time out.
      const started = performance.now();
      const failures: string[] = [];
      for (;;) {
        const result = await outcome(core.listNamespace({ limit: 1 }));
        if (result === "resolved") break;
        failures.push(kubeErrorMessage(result));
        assert.ok(performance.now() - started < 30_000, `still failing: ${failures.join(" | ")}`);
      }
      assert.ok(proxy.connections >= 2, "a new connection");
    } finally {
      await proxy.close();
    }
  });
});

/** An API server that sends the status line, headers and part of a list, then nothing. */
async function stallingServer(): Promise<{ kc: KubeConfig; close(): Promise<void> }> {
  const open = new Set<ServerResponse>();
  const server = createServer((_request, response) => {
    open.add(response);
    response.writeHead(200, { "content-type": "application/json" });
    response.write('{"kind":"NamespaceList","apiVersion":"v1","items":[');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "stalling", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "anyone", token: "not-a-real-token" }],
    contexts: [{ name: "stalling", cluster: "stalling", user: "anyone" }],
    currentContext: "stalling",
  });
  return {
    kc,
    close: () =>
      new Promise((resolve) => {
        for (const response of open) response.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("an API server that stops answering on an open connection", () => {
  test("the request in flight ends after the bound, and the next one goes through once it answers again", hung, async () => {
    const proxy = await apiProxy(adminKc);
    await proxy.listen();
    try {
      const core = coreApi(proxy.kc, { requestTimeoutMs: 1_000 });
      await core.listNamespace({ limit: 1 });
      assert.equal(proxy.connections, 1);
      proxy.silent = true;
      assertTimedOut(await outcome(core.listNamespace({ limit: 1 })), "the API server did not answer within 1 s");
      proxy.silent = false;
      const list = await core.listNamespace({ limit: 1 });
      assert.equal(list.items.length, 1);
    } finally {
      await proxy.close();
    }
  });
});

describe("a response whose body stalls", () => {
  test("is cut at the same bound: the deadline covers the body, not only the headers", hung, async () => {
    const stalling = await stallingServer();
    try {
      const error = await outcome(coreApi(stalling.kc, { requestTimeoutMs: 500 }).listNamespace());
      assertTimedOut(error, "the API server did not answer within 500 ms");
    } finally {
      await stalling.close();
    }
  });
});

describe("a watch", () => {
  test("is not cut by the request bound: it is long-lived by design", hung, async () => {
    const started = performance.now();
    // The API server ends this watch itself after 2 s, four times the bound.
    const result = await outcome(coreApi(adminKc, { requestTimeoutMs: 500 }).listNamespace({ watch: true, timeoutSeconds: 2, limit: 1 }));
    assert.ok(!(result instanceof KubeRequestTimeout), String(result));
    assert.ok(performance.now() - started >= 1_900, "the watch stayed open until the server ended it");
  });
});
