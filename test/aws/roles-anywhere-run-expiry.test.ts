// Issue 10: `run`, started as the image starts it with a certificate that expires within a day
// as its only AWS identity, exports the certificate's expiry on /metrics and records the Warning
// Event CertificateExpiring on its own pod (POD_NAME/POD_NAMESPACE, as the downward API sets
// them) in the real API server; it still serves the secrets. No key line in its output.
// (The timing of the Event on an injected clock: test/controller/certificate-watch.test.ts.)
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import { allOutput } from "../support/cli.ts";
import { eventually, startController } from "../support/controller.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";
import { pemLines, TestPki, profileArn, roleArn, trustAnchorArn } from "../support/roles-anywhere-pki.ts";

const metricName = "ecr_public_creds_helper_roles_anywhere_certificate_expiry_timestamp_seconds";

const { core } = adminClients();
let emu: RunningEmulator;
let pki: TestPki;

before(async () => {
  pki = new TestPki(join(await mkdtemp(join(tmpdir(), "rolesanywhere-run-expiry-")), "pki"));
  emu = await startEmulator({ accessKeyId: "AKIAROLESANYWHERE006", secretAccessKey: "unused-static-key-of-this-emulator" });
});

after(async () => {
  await emu?.close();
});

test("run exports the certificate's expiry and records CertificateExpiring on its pod when it ends within a day", { timeout: 60_000 }, async () => {
  const root = await pki.rootCa("run-expiry-trust-anchor");
  emu.state.configure({ rolesAnywhere: [{ trustAnchorArn, caCertificates: root.certPem, profileArn, roleArns: [roleArn] }] });
  const issued = await pki.issue("run-expiry", root, { notAfter: new Date(Date.now() + 5 * 3_600_000) });
  const notAfterSeconds = new X509Certificate(issued.certPem).validToDate.getTime() / 1000;
  const [ns, home] = [uniqueName("ra-expiry"), uniqueName("ra-expiry-home")];
  await createNamespaces(core, [ns, home]);
  const pod = "ecr-public-creds-helper-5c8d7f9b8-qm4zt";
  const outputFrom = allOutput.length;
  const ctl = await startController(["--namespaces", ns], {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emu.url,
    AWS_ENDPOINT_URL_ECR: emu.url,
    AWS_ENDPOINT_URL_STS: emu.url,
    AWS_ENDPOINT_URL_ROLESANYWHERE: emu.url,
    ROLES_ANYWHERE_CERTIFICATE: issued.certFile,
    ROLES_ANYWHERE_PRIVATE_KEY: issued.keyFile,
    ROLES_ANYWHERE_TRUST_ANCHOR_ARN: trustAnchorArn,
    ROLES_ANYWHERE_PROFILE_ARN: profileArn,
    ROLES_ANYWHERE_ROLE_ARN: roleArn,
    POD_NAME: pod,
    POD_NAMESPACE: home,
  });
  try {
    await eventually("the secret, through the certificate's session", async () => readSecret(core, ns));
    const exported = await eventually("the expiry metric", async () => {
      const text = await (await fetch(`${ctl.metricsUrl}/metrics`)).text();
      return text.split("\n").find((line) => line.startsWith(`${metricName} `));
    });
    assert.equal(Number(exported.split(" ")[1]), notAfterSeconds);
    const event = await eventually("the CertificateExpiring Event on the pod", async () => {
      const events = await core.listNamespacedEvent({ namespace: home, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod}` });
      return events.items.find((e) => e.reason === "CertificateExpiring");
    });
    assert.equal(event.type, "Warning");
    assert.match(event.message ?? "", new RegExp(`\\(serial ${issued.serial}\\) expires at `));
    assert.ok(
      ctl.logs.some((line) => line["level"] === 40 && String(line["msg"]).includes(`(serial ${issued.serial}) expires at`)),
      "and a warn line",
    );
  } finally {
    assert.equal(await ctl.stop(), 0);
  }
  const output = allOutput.slice(outputFrom).join("\n");
  for (const line of pemLines(issued.keyPem)) assert.ok(!output.includes(line), "a private key line was printed");
});
