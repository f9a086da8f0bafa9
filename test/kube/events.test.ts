// The Event recorder against the real API server, its repeat window on a fake clock.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { KubeConfig, type CoreV1Event } from "@kubernetes/client-node";
import { coreApi } from "../../src/kube/client.ts";
import { EventRecorder, eventDeduplication, type InvolvedObject } from "../../src/kube/events.ts";
import { registerCredential } from "../../src/observability/redact.ts";
import { FakeClock } from "../../src/util/fake-clock.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { capturedLog } from "../support/log.ts";
import { kubeConfig } from "../support/testenv.ts";
import { freePort } from "../testenv/processes.ts";

const { core: admin } = adminClients();
const core = coreApi(kubeConfig());
const start = Date.parse("2026-02-01T08:00:00.000Z");
const warnings = 40;

function aboutNamespace(namespace: string): InvolvedObject {
  return { kind: "Namespace", name: namespace, namespace, apiVersion: "v1" };
}

async function eventsIn(namespace: string, reason?: string): Promise<CoreV1Event[]> {
  const list = await admin.listNamespacedEvent({ namespace });
  return list.items.filter((e) => reason === undefined || e.reason === reason);
}

describe("EventRecorder", () => {
  const namespace = uniqueName("events");
  before(async () => {
    await createNamespaces(admin, [namespace]);
  });

  test("creates an Event with the involved object, reason, type, message and the clock's time", async () => {
    const clock = new FakeClock(start);
    const logs = capturedLog();
    const recorder = new EventRecorder(core, logs.log, clock);
    await recorder.record(namespace, aboutNamespace(namespace), "Warning", "SecretWriteFailed", "could not write the pull secret: quota exceeded");
    const [event, ...more] = await eventsIn(namespace, "SecretWriteFailed");
    assert.ok(event);
    assert.equal(more.length, 0);
    assert.deepEqual({ ...event.involvedObject }, { kind: "Namespace", name: namespace, namespace, apiVersion: "v1" });
    assert.equal(event.type, "Warning");
    assert.equal(event.message, "could not write the pull secret: quota exceeded");
    assert.equal(event.source?.component, "ecr-public-creds-helper");
    assert.equal(event.count, 1);
    assert.equal(event.firstTimestamp?.toISOString(), new Date(start).toISOString());
    assert.equal(event.lastTimestamp?.toISOString(), new Date(start).toISOString());
    assert.match(event.metadata?.name ?? "", new RegExp(`^${namespace}\\.[0-9a-f]{16}$`));
    assert.deepEqual(logs.messages(warnings), []);
  });

  test("a repeat within the 10 min window is not sent again; after the window it is", async () => {
    const clock = new FakeClock(start);
    const recorder = new EventRecorder(core, capturedLog().log, clock);
    const record = (message = "token refresh failed"): Promise<void> =>
      recorder.record(namespace, aboutNamespace(namespace), "Warning", "RepeatCheck", message);
    await record();
    await clock.advance(60_000);
    await record();
    await clock.advance(10 * 60_000 - 60_000 - 1);
    await record();
    assert.equal((await eventsIn(namespace, "RepeatCheck")).length, 1, "repeats inside the window are dropped");

    await record("a different message is a different event");
    assert.equal((await eventsIn(namespace, "RepeatCheck")).length, 2);

    await clock.advance(1);
    await record();
    const events = await eventsIn(namespace, "RepeatCheck");
    assert.equal(events.length, 3, "the window has passed since the first one");
    const times = events
      .filter((e) => e.message === "token refresh failed")
      .map((e) => e.firstTimestamp?.getTime())
      .sort();
    assert.deepEqual(times, [start, start + 10 * 60_000]);
  });

  test("a failing create is logged once, on one line, and never thrown", async () => {
    const clock = new FakeClock(start);
    const logs = capturedLog();
    const recorder = new EventRecorder(core, logs.log, clock);
    const missing = uniqueName("no-such-namespace");
    for (let i = 0; i < 3; i++) {
      await recorder.record(missing, aboutNamespace(missing), "Warning", "SecretWriteFailed", "denied by policy");
    }
    const lines = logs.messages(warnings);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0] ?? "", new RegExp(`could not record event SecretWriteFailed in ${missing}: HTTP 404: namespaces "${missing}" not found$`));
    assert.doesNotMatch(lines[0] ?? "", /\n/);
  });

  test("an unreachable API server is logged, not thrown", async () => {
    const closed = new KubeConfig();
    closed.loadFromOptions({
      clusters: [{ name: "closed", server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true }],
      users: [{ name: "nobody", token: "not-a-real-token" }],
      contexts: [{ name: "closed", cluster: "closed", user: "nobody" }],
      currentContext: "closed",
    });
    const logs = capturedLog();
    const recorder = new EventRecorder(coreApi(closed), logs.log, new FakeClock(start));
    await recorder.record(namespace, aboutNamespace(namespace), "Normal", "SecretWritten", "wrote the pull secret");
    assert.deepEqual(logs.messages(warnings), [`could not record event SecretWritten in ${namespace}: ECONNREFUSED`]);
  });

  test("a registered credential in the message is scrubbed from the Event", async () => {
    const password = `eyJwYXlsb2FkIjoi${uniqueName("secret")}`;
    registerCredential({ username: "AWS", password });
    const recorder = new EventRecorder(core, capturedLog().log, new FakeClock(start));
    await recorder.record(namespace, aboutNamespace(namespace), "Warning", "ScrubCheck", `registry said: bad token ${password} (AWS:${password})`);
    const [event] = await eventsIn(namespace, "ScrubCheck");
    assert.ok(event);
    assert.equal(event.message, "registry said: bad token [REDACTED] (AWS:[REDACTED])");
    assert.doesNotMatch(JSON.stringify(event), new RegExp(password));
  });

  test("the de-duplication memory stays within its bound however many distinct events are recorded", async () => {
    // A namespace that does not exist answers 404 at once: the memory is what is under test.
    const logs = capturedLog("error");
    const recorder = new EventRecorder(core, logs.log, new FakeClock(start));
    const missing = uniqueName("no-such-namespace");
    const total = eventDeduplication.maxKeys + 200;
    let largest = 0;
    for (let batch = 0; batch < total; batch += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => recorder.record(missing, aboutNamespace(missing), "Warning", "Distinct", `failure number ${batch + i}`)),
      );
      largest = Math.max(largest, recorder.remembered);
    }
    assert.equal(largest, eventDeduplication.maxKeys);
    assert.equal(eventDeduplication.maxKeys, 1_000);
  });
});
