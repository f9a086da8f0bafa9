// Issue 10: `doctor` names the AWS identity it acts as, and with IAM Roles Anywhere shows the
// certificate's subject, issuer, serial and expiry (never the key): ok when valid, "warn" (and
// `ok: true` with `warning: true` in -o json) within a day of its end, FAIL when it has expired
// or is not valid yet, saying what to do. Against the real API server and an AWS emulator of
// this file's own that trusts this file's test CA; no line of a private key in any output.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DoctorReport } from "../../src/domain/doctor-report.ts";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import { runCli, type CliResult } from "../support/cli.ts";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { pemLines, TestPki, type Issued, profileArn, roleArn, trustAnchorArn } from "../support/roles-anywhere-pki.ts";

const hour = 3_600_000;
const day = 24 * hour;

const { core } = adminClients();
const ns = uniqueName("doctor-ra");
let emu: RunningEmulator;
let pki: TestPki;
let root: Issued;
const keys: Issued[] = [];

async function leaf(name: string, dates: { notBefore?: Date; notAfter?: Date } = {}): Promise<Issued> {
  const issued = await pki.issue(name, root, dates);
  keys.push(issued);
  return issued;
}

/** doctor with a certificate as the only AWS identity, every AWS endpoint this file's emulator. */
async function doctor(issued: Issued, args: string[] = []): Promise<CliResult> {
  const result = await runCli(["doctor", "-n", ns, ...args], {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emu.url,
    AWS_ENDPOINT_URL_ECR: emu.url,
    AWS_ENDPOINT_URL_STS: emu.url,
    AWS_ENDPOINT_URL_ROLESANYWHERE: emu.url,
    ROLES_ANYWHERE_CERTIFICATE: issued.certFile,
    ROLES_ANYWHERE_PRIVATE_KEY: issued.keyFile,
    ROLES_ANYWHERE_TRUST_ANCHOR_ARN: trustAnchorArn,
    ROLES_ANYWHERE_PROFILE_ARN: profileArn,
    ROLES_ANYWHERE_ROLE_ARN: roleArn,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  for (const { keyPem, keyFile } of keys) {
    for (const line of pemLines(keyPem)) assert.ok(!output.includes(line), `a line of the private key ${keyFile} was printed`);
  }
  return result;
}

/** The check line about the certificate: its status word and the rest. */
function certificateLine(result: CliResult): string {
  const line = result.stdout.split("\n").find((l) => /^\S+\s+Roles Anywhere certificate /.test(l) || /^\S+\s+Roles Anywhere: /.test(l));
  assert.ok(line, result.stdout);
  return line;
}

const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

before(async () => {
  pki = new TestPki(join(await mkdtemp(join(tmpdir(), "doctor-ra-")), "pki"));
  root = await pki.rootCa("doctor-trust-anchor");
  emu = await startEmulator({ accessKeyId: "AKIAROLESANYWHERE004", secretAccessKey: "unused-static-key-of-this-emulator" });
  emu.state.configure({ rolesAnywhere: [{ trustAnchorArn, caCertificates: root.certPem, profileArn, roleArns: [roleArn] }] });
  await createNamespaces(core, [ns]);
});

after(async () => {
  await emu?.close();
});

describe("doctor with IAM Roles Anywhere", () => {
  test("a valid certificate: the identity named, subject, issuer, serial and expiry shown, the token obtained", async () => {
    const valid = await leaf("doctor-valid");
    const result = await doctor(valid);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      new RegExp(
        `^ok\\s+AWS identity: IAM Roles Anywhere: role ${literal(roleArn)} through trust anchor ${literal(trustAnchorArn)}, certificate ${literal(valid.certFile)}$`,
        "m",
      ),
    );
    assert.match(
      certificateLine(result),
      new RegExp(
        `^ok\\s+Roles Anywhere certificate ${literal(valid.certFile)}: subject "CN=doctor-valid, O=ecr-public-creds-helper tests", issuer "O=ecr-public-creds-helper tests, CN=doctor-trust-anchor", serial ${valid.serial}, expires at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(in 29d\\)$`,
      ),
    );
    assert.match(result.stdout, /^ok\s+AWS: token obtained for public\.ecr\.aws/m);
    assert.doesNotMatch(result.stdout, /^(FAIL|warn)/m);
  });

  test("expiring within a day: a warn line that still passes; -o json: ok true with warning true", async () => {
    const expiring = await leaf("doctor-expiring", { notAfter: new Date(Date.now() + 5 * hour) });
    const table = await doctor(expiring);
    assert.equal(table.code, 0, table.stdout + table.stderr);
    assert.match(
      certificateLine(table),
      /^warn\s+Roles Anywhere certificate .*, expires at \S+ \(in 4h5\dm\); renew it: with cert-manager, see `kubectl describe certificate`.* before then$/,
    );
    assert.match(table.stderr, /doctor: all checks passed, 1 with a warning/);

    const json = await doctor(expiring, ["-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as DoctorReport;
    const check = report.checks.find((c) => c.message.startsWith("Roles Anywhere certificate "));
    assert.deepEqual([report.ok, check?.area, check?.ok, check?.warning], [true, "aws", true, true]);
    assert.equal(report.checks.filter((c) => c.warning).length, 1, "only the certificate warns");
  });

  test("expired: FAIL with the date and what to do; exit 1", async () => {
    const expired = await leaf("doctor-expired", { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - 3 * day) });
    const result = await doctor(expired);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(
      certificateLine(result),
      new RegExp(
        `^FAIL\\s+Roles Anywhere certificate ${literal(expired.certFile)}: subject "CN=doctor-expired, O=ecr-public-creds-helper tests", .*serial ${expired.serial}, expired at \\S+ \\(3d ago\\); renew it: `,
      ),
    );
    assert.match(result.stdout, /^FAIL\s+AWS: IAM Roles Anywhere: the certificate in .* has expired/m, "and no token could be had with it");
  });

  test("not valid yet: FAIL naming its start and the clock; exit 1", async () => {
    const early = await leaf("doctor-not-yet", { notBefore: new Date(Date.now() + 3 * day), notAfter: new Date(Date.now() + 30 * day) });
    const result = await doctor(early);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(certificateLine(result), /^FAIL\s+Roles Anywhere certificate .*, is not valid yet: valid from \S+ \(in 2d\); check this machine's clock/);
  });

  test("an unreadable certificate: one FAIL line naming the file", async () => {
    const valid = await leaf("doctor-missing");
    const result = await doctor({ ...valid, certFile: join(pki.dir, "no-such.crt") });
    assert.equal(result.code, 1);
    assert.match(certificateLine(result), /^FAIL\s+Roles Anywhere: cannot read the certificate file \/.*no-such\.crt \(no such file\)$/);
  });
});

describe("doctor names other identities", () => {
  test("the testenv's static keys; web identity (IRSA) when its two variables are set", async () => {
    const keys = await runCli(["doctor", "-n", ns]);
    assert.match(keys.stdout, /^ok\s+AWS identity: static access keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$/m);
    assert.doesNotMatch(keys.stdout, /Roles Anywhere/);
    const irsa = await runCli(["doctor", "-n", ns, "--timeout", "20s"], {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/irsa",
      AWS_WEB_IDENTITY_TOKEN_FILE: join(pki.dir, "no-token-file"),
    });
    assert.match(irsa.stdout, /^ok\s+AWS identity: web identity \(IRSA\): role arn:aws:iam::123456789012:role\/irsa with the token in \/.*no-token-file$/m);
  });
});
