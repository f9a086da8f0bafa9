// Issue 10: the controller's watch on its IAM Roles Anywhere certificate, as `run` wires it: the
// credential provider, on a FakeClock shared with the AWS emulator (this file's own, sessions of
// 310 s so a refresh comes every 10 s of fake time), tells watchCertificateExpiry the facts of
// each certificate it reads; the expiry is exported as a metric, and within a day of its end a
// Warning Event is recorded on the helper's pod in the real API server, de-duplicated like the
// other Events (once per 10 min), none for a renewed certificate; no key line anywhere.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { CoreV1Event } from "@kubernetes/client-node";
import { rolesAnywhereCredentials } from "../../src/aws/roles-anywhere.ts";
import { watchCertificateExpiry } from "../../src/controller/certificate-watch.ts";
import type { RolesAnywhereSettings } from "../../src/domain/roles-anywhere.ts";
import { coreApi } from "../../src/kube/client.ts";
import { EventRecorder } from "../../src/kube/events.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { FakeClock } from "../../src/util/fake-clock.ts";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import { eventually } from "../support/controller.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { capturedLog } from "../support/log.ts";
import { pemLines, TestPki, type Issued, profileArn, roleArn, trustAnchorArn } from "../support/roles-anywhere-pki.ts";
import { kubeConfig } from "../support/testenv.ts";

const metricName = "ecr_public_creds_helper_roles_anywhere_certificate_expiry_timestamp_seconds";
const hour = 3_600_000;
const minute = 60_000;

const { core: admin } = adminClients();
let emu: RunningEmulator;
let clock: FakeClock;
let pki: TestPki;
let root: Issued;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certificate-watch-"));
  pki = new TestPki(join(dir, "pki"));
  root = await pki.rootCa("watch-trust-anchor");
  clock = new FakeClock(Date.now());
  emu = await startEmulator({ accessKeyId: "AKIAROLESANYWHERE005", secretAccessKey: "unused", now: () => clock.now() });
  emu.state.configure({ rolesAnywhere: [{ trustAnchorArn, caCertificates: root.certPem, profileArn, roleArns: [roleArn], sessionSecondsOverride: 310 }] });
});

after(async () => {
  await emu?.close();
});

async function expiringEvents(namespace: string, pod: string): Promise<CoreV1Event[]> {
  const events = await admin.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod}` });
  return events.items.filter((e) => e.reason === "CertificateExpiring");
}

/** The certificate's notAfter as the metric gives it: Unix seconds. */
function notAfterSeconds(issued: Issued): number {
  return new X509Certificate(issued.certPem).validToDate.getTime() / 1000;
}

async function gauge(registry: ReturnType<typeof createMetrics>["registry"]): Promise<number | undefined> {
  const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${metricName} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

test("the certificate's expiry is a metric at each refresh; within a day of its end, a Warning Event on the pod", async () => {
  const ns = uniqueName("cert-watch");
  await createNamespaces(admin, [ns]);
  const pod = { name: "ecr-public-creds-helper-7d9f8b6c4-x2k8p", namespace: ns };
  const files = { certificateFile: join(dir, "tls.crt"), privateKeyFile: join(dir, "tls.key") };
  const expiring = await pki.issue("watch-expiring", root, { notAfter: new Date(clock.now() + 30 * hour) });
  const renewed = await pki.issue("watch-renewed", root, { notAfter: new Date(clock.now() + 90 * 24 * hour) });
  const install = async (issued: Issued): Promise<void> => {
    await copyFile(issued.certFile, files.certificateFile);
    await copyFile(issued.keyFile, files.privateKeyFile);
  };
  await install(expiring);

  const metrics = createMetrics();
  const captured = capturedLog("info");
  const events = new EventRecorder(coreApi(kubeConfig()), captured.log, clock);
  const settings: RolesAnywhereSettings = {
    ...files,
    trustAnchorArn,
    profileArn,
    roleArn,
    region: "eu-central-1",
    sessionDurationSeconds: 3600,
    endpoint: emu.url,
  };
  const onCertificate = watchCertificateExpiry({ metrics, events, pod, clock, log: captured.log });
  const provider = rolesAnywhereCredentials(settings, { clock, onCertificate });
  const expiringAt = notAfterSeconds(expiring);

  assert.equal(await gauge(metrics.registry), undefined, "no series before a certificate was read");
  await provider();
  assert.equal(await gauge(metrics.registry), expiringAt);
  assert.equal((await expiringEvents(ns, pod.name)).length, 0, "30 h left: no Event");

  // 6.5 h on: 23.5 h left, and the session (310 s) is due: the refresh reads the certificate again.
  await clock.advance(6.5 * hour);
  await provider();
  const [event] = await eventually("the CertificateExpiring Event", async () => {
    const found = await expiringEvents(ns, pod.name);
    return found.length > 0 ? found : undefined;
  });
  assert.equal(event?.type, "Warning");
  assert.deepEqual(event?.involvedObject && [event.involvedObject.kind, event.involvedObject.name, event.involvedObject.namespace], ["Pod", pod.name, ns]);
  assert.match(
    event?.message ?? "",
    new RegExp(`^the IAM Roles Anywhere certificate .*tls\\.crt \\(serial ${expiring.serial}\\) expires at \\S+Z; no AWS credentials after that; renew it`),
  );
  assert.match(captured.messages(40).join("\n"), /the IAM Roles Anywhere certificate .* expires at/, "and a warn line");

  // The next refresh within 10 min: the same Event is not repeated; after the window it is.
  await clock.advance(6 * minute);
  await provider();
  assert.equal(emu.state.issued().rolesAnywhere.length, 3, "a third session was signed");
  assert.equal((await expiringEvents(ns, pod.name)).length, 1, "de-duplicated within the window");
  await clock.advance(11 * minute);
  await provider();
  await eventually("the Event again after the window", async () => (await expiringEvents(ns, pod.name)).length === 2);

  // Renewed on disk: the next refresh exports its expiry and records nothing more.
  await install(renewed);
  await clock.advance(6 * minute);
  await provider();
  assert.equal(await gauge(metrics.registry), notAfterSeconds(renewed));
  assert.equal(emu.state.issued().rolesAnywhere.at(-1)?.serialNumber, renewed.serial);
  assert.equal((await expiringEvents(ns, pod.name)).length, 2, "no Event for the renewed certificate");

  const output = JSON.stringify(captured.lines) + JSON.stringify(await admin.listNamespacedEvent({ namespace: ns }));
  for (const issued of [expiring, renewed]) for (const line of pemLines(issued.keyPem)) assert.ok(!output.includes(line), "a private key line leaked");
});
