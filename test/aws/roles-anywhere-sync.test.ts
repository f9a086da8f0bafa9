// Issue 10: a sync whose only AWS identity is an X.509 certificate (IAM Roles Anywhere), run as
// the image runs it, against the real API server and an AWS emulator of this file's own (the
// testenv's is shared, and its trust anchors are this file's business). The credentials must
// come through CreateSession (the emulator's record says so); each bad input is one line, its
// exit code, nothing written, and neither the private key nor a session secret in any output.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import { logLines, runCli, type CliResult } from "../support/cli.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { pemLines, TestPki, type Issued, profileArn, roleArn, trustAnchorArn } from "../support/roles-anywhere-pki.ts";

const { core } = adminClients();
let emu: RunningEmulator;
let pki: TestPki;
let root: Issued;
let intermediate: Issued;
let dir: string;
/** Every private key these tests made: no line of one may appear in any output. */
const keys: Issued[] = [];

/** The secret halves of every session the emulator handed out, kept across its resets. */
const sessionSecrets = new Set<string>();

function keepSessionSecrets(): void {
  for (const { accessKeyId } of emu.state.issued().credentials) {
    const key = emu.state.lookupKey(accessKeyId);
    if (key) for (const secret of [key.secretAccessKey, key.sessionToken]) if (secret) sessionSecrets.add(secret);
  }
}

/** The CLI with a certificate as its only AWS identity: no static keys, every AWS endpoint the emulator. */
async function sync(files: { cert: string; key: string }, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const result = await runCli(["sync", ...args], {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emu.url,
    AWS_ENDPOINT_URL_ECR: emu.url,
    AWS_ENDPOINT_URL_STS: emu.url,
    AWS_ENDPOINT_URL_ROLESANYWHERE: emu.url,
    ROLES_ANYWHERE_CERTIFICATE: files.cert,
    ROLES_ANYWHERE_PRIVATE_KEY: files.key,
    ROLES_ANYWHERE_TRUST_ANCHOR_ARN: trustAnchorArn,
    ROLES_ANYWHERE_PROFILE_ARN: profileArn,
    ROLES_ANYWHERE_ROLE_ARN: roleArn,
    ...env,
  });
  assertNoKeyMaterial(result);
  return result;
}

/** Neither a private key of these tests nor a secret of a session the emulator handed out is in the run's output. */
function assertNoKeyMaterial(result: CliResult): void {
  keepSessionSecrets();
  const output = `${result.stdout}\n${result.stderr}`;
  for (const issued of keys) {
    for (const line of pemLines(issued.keyPem)) assert.ok(!output.includes(line), `a line of the private key ${issued.keyFile} was printed`);
  }
  for (const secret of sessionSecrets) assert.ok(!output.includes(secret), "a session secret was printed");
}

/** A certificate file as cert-manager's tls.crt holds it: the certificate, then its chain. */
async function tlsCrt(name: string, ...pems: string[]): Promise<string> {
  const file = join(dir, `${name}.crt`);
  await writeFile(file, pems.join(""));
  return file;
}

async function leaf(name: string, options: Parameters<TestPki["issue"]>[2] = {}, issuer: Issued = root): Promise<Issued> {
  const issued = await pki.issue(name, issuer, options);
  keys.push(issued);
  return issued;
}

/** The one error line of a failed run (JSON logs), and that there is exactly one. */
function errorLine(result: CliResult): string {
  const errors = logLines(result).filter((line) => line["level"] === 50 || line["level"] === "error");
  assert.equal(errors.length, 1, result.stderr);
  return String(errors[0]?.["msg"]);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rolesanywhere-sync-"));
  pki = new TestPki(join(dir, "pki"));
  root = await pki.rootCa("sync-trust-anchor");
  intermediate = await pki.issue("sync-intermediate", root, { ca: true });
  emu = await startEmulator({ accessKeyId: "AKIAROLESANYWHERE003", secretAccessKey: "unused-static-key-of-this-emulator" });
});

after(async () => {
  await emu?.close();
});

beforeEach(() => {
  keepSessionSecrets();
  emu.state.reset();
  emu.state.configure({ rolesAnywhere: [{ trustAnchorArn, caCertificates: root.certPem, profileArn, roleArns: [roleArn] }] });
});

describe("sync with IAM Roles Anywhere as the only AWS identity", () => {
  test("an RSA (PKCS#1) certificate of the trust anchor's CA: the secret is written with credentials from CreateSession", async () => {
    const ns = uniqueName("ra-rsa");
    await createNamespaces(core, [ns]);
    const issued = await leaf("sync-rsa", { format: "pkcs1" });
    const result = await sync({ cert: issued.certFile, key: issued.keyFile }, ["-n", ns]);
    assert.equal(result.code, 0, result.stderr);
    const { rolesAnywhere, credentials, tokens } = emu.state.issued();
    assert.equal(rolesAnywhere.length, 1);
    assert.deepEqual(
      [rolesAnywhere[0]?.accepted, rolesAnywhere[0]?.serialNumber, rolesAnywhere[0]?.algorithm, rolesAnywhere[0]?.parametersIn],
      [true, issued.serial, "AWS4-X509-RSA-SHA256", "body"],
    );
    assert.deepEqual(
      credentials.map((c) => c.source),
      ["rolesanywhere"],
    );
    assert.equal(tokens[0]?.accessKeyId, rolesAnywhere[0]?.accessKeyId, "the ECR Public token was asked for with the session's key");
    assert.equal(dockerConfig(await readSecret(core, ns)).auths["public.ecr.aws"]?.password, tokens[0]?.password);
    assert.ok(sessionSecrets.size >= 2, "the session's secret key and token are among those no output may hold");
  });

  test("an EC (SEC1) certificate through an intermediate in the same file; one session serves ECR Public and private ECR", async () => {
    const ns = uniqueName("ra-ec");
    await createNamespaces(core, [ns]);
    const issued = await leaf("sync-ec", { format: "sec1" }, intermediate);
    const cert = await tlsCrt("sync-ec-chain", issued.certPem, intermediate.certPem);
    const registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const result = await sync({ cert, key: issued.keyFile }, ["-n", ns, "--ecr-registries", registry]);
    assert.equal(result.code, 0, result.stderr);
    const { rolesAnywhere, tokens } = emu.state.issued();
    assert.equal(rolesAnywhere.length, 1, "one CreateSession for both clients");
    assert.deepEqual([rolesAnywhere[0]?.algorithm, rolesAnywhere[0]?.chainLength], ["AWS4-X509-ECDSA-SHA256", 1]);
    assert.deepEqual(tokens.map((t) => [t.api, t.accessKeyId]).sort(), [
      ["ecr", rolesAnywhere[0]?.accessKeyId],
      ["ecr-public", rolesAnywhere[0]?.accessKeyId],
    ]);
    assert.deepEqual(Object.keys(dockerConfig(await readSecret(core, ns)).auths).sort(), [registry, "public.ecr.aws"]);
  });

  test("PKCS#8 keys (RSA and EC) as cert-manager writes them with privateKey.encoding: PKCS8", async () => {
    for (const format of ["pkcs8-rsa", "pkcs8-ec"] as const) {
      const ns = uniqueName(`ra-${format}`);
      await createNamespaces(core, [ns]);
      const issued = await leaf(`sync-${format}`, { format });
      const result = await sync({ cert: issued.certFile, key: issued.keyFile }, ["-n", ns]);
      assert.equal(result.code, 0, `${format}: ${result.stderr}`);
      assert.ok(await readSecret(core, ns), format);
    }
  });

  test("--dry-run asks AWS nothing: no CreateSession, no token", async () => {
    const ns = uniqueName("ra-dry");
    await createNamespaces(core, [ns]);
    const issued = await leaf("sync-dry");
    const result = await sync({ cert: issued.certFile, key: issued.keyFile }, ["-n", ns, "--dry-run"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(emu.state.issued().rolesAnywhere.length, 0);
    assert.equal(await readSecret(core, ns), undefined);
  });
});

describe("bad input: one line, nothing written", () => {
  test("each bad certificate, key or answer: exit 3, its own line, no secret", async () => {
    const good = await leaf("bad-good");
    const otherKey = await leaf("bad-other-key", { format: "sec1" });
    const expired = await leaf("bad-expired", { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const notYet = await leaf("bad-not-yet", { notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 10 * 86_400_000) });
    const strangerRoot = await pki.rootCa("bad-stranger-root");
    const stranger = await leaf("bad-stranger", {}, strangerRoot);
    const viaIntermediate = await leaf("bad-no-chain", {}, intermediate);
    const aDirectory = join(dir, "a-directory");
    await mkdir(aDirectory, { recursive: true });
    const notPem = join(dir, "not-a-pem.txt");
    await writeFile(notPem, "this is not a certificate\n");

    const cases: Array<{ what: string; files: { cert: string; key: string }; env?: Record<string, string>; line: RegExp }> = [
      {
        what: "a missing certificate file",
        files: { cert: join(dir, "missing.crt"), key: good.keyFile },
        line: /^IAM Roles Anywhere: cannot read the certificate file \/.*missing\.crt \(no such file\); no secret was changed$/,
      },
      {
        what: "a key path that is a directory",
        files: { cert: good.certFile, key: aDirectory },
        line: /^IAM Roles Anywhere: cannot read the private key file \/.*a-directory \(a directory\); no secret was changed$/,
      },
      {
        what: "a certificate file without a certificate",
        files: { cert: notPem, key: good.keyFile },
        line: /^IAM Roles Anywhere: \/.*not-a-pem\.txt holds no PEM certificate/,
      },
      {
        what: "a key of another certificate",
        files: { cert: good.certFile, key: otherKey.keyFile },
        line: /^IAM Roles Anywhere: the private key in \/.*\.key does not belong to the certificate in \/.*\.crt; no secret was changed$/,
      },
      {
        what: "an expired certificate",
        files: { cert: expired.certFile, key: expired.keyFile },
        line: /^IAM Roles Anywhere: the certificate in \/.*\.crt has expired: valid until \d{4}-\d\d-\d\dT[\d:.]+Z; no secret was changed$/,
      },
      {
        what: "a certificate not valid yet",
        files: { cert: notYet.certFile, key: notYet.keyFile },
        line: /^IAM Roles Anywhere: the certificate in \/.*\.crt is not valid yet: valid from \d{4}-/,
      },
      {
        what: "a certificate of a CA that is not the trust anchor",
        files: { cert: stranger.certFile, key: stranger.keyFile },
        line: /^IAM Roles Anywhere CreateSession \(eu-central-1\) was denied \(AccessDeniedException: Untrusted Signing Certificate\): the certificate in \/.*\.crt is not issued by the CA of trust anchor arn:aws:rolesanywhere:eu-central-1:123456789012:trust-anchor\/0d6a2a4d-1111-4a2b-8c3d-123456789abc \(put any intermediate after the certificate in the file\); no secret was changed$/,
      },
      {
        what: "an intermediate missing from the certificate file",
        files: { cert: viaIntermediate.certFile, key: viaIntermediate.keyFile },
        line: /was denied \(AccessDeniedException: Untrusted Signing Certificate\)/,
      },
      {
        what: "a role the profile does not allow (CreateSession denied)",
        files: { cert: good.certFile, key: good.keyFile },
        env: { ROLES_ANYWHERE_ROLE_ARN: "arn:aws:iam::123456789012:role/not-in-the-profile" },
        line: /^IAM Roles Anywhere CreateSession \(eu-central-1\) was denied \(AccessDeniedException: Unable to assume role arn:aws:iam::123456789012:role\/not-in-the-profile\.\); check that the profile names arn:aws:iam::123456789012:role\/not-in-the-profile, .*sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity; no secret was changed$/,
      },
    ];
    for (const { what, files, env, line } of cases) {
      const ns = uniqueName("ra-bad");
      await createNamespaces(core, [ns]);
      const result = await sync(files, ["-n", ns], env);
      assert.equal(result.code, 3, `${what}: ${result.stderr}`);
      assert.match(errorLine(result), line, what);
      assert.equal(await readSecret(core, ns), undefined, `${what}: nothing written`);
    }
    assert.equal(emu.state.issued().tokens.length, 0, "no registry token was asked for");
  });

  test("usage errors: a partial set or a malformed ARN is exit 2, one line on stderr, before anything is read", async () => {
    const good = await leaf("usage-good");
    const partial = await sync({ cert: good.certFile, key: good.keyFile }, ["-n", "default"], { ROLES_ANYWHERE_ROLE_ARN: undefined });
    assert.equal(partial.code, 2, partial.stderr);
    assert.equal(partial.stderr.trim().split("\n").length, 1, partial.stderr);
    assert.match(partial.stderr, /IAM Roles Anywhere needs all five settings; missing --roles-anywhere-role-arn \(ROLES_ANYWHERE_ROLE_ARN\)/);
    const malformed = await sync({ cert: good.certFile, key: good.keyFile }, ["-n", "default", "--roles-anywhere-profile-arn", "profile/7e1b9c2f"]);
    assert.equal(malformed.code, 2, malformed.stderr);
    assert.equal(malformed.stderr.trim().split("\n").length, 1, malformed.stderr);
    assert.match(malformed.stderr, /--roles-anywhere-profile-arn "profile\/7e1b9c2f" is not a profile ARN/);
    assert.equal(emu.state.issued().rolesAnywhere.length, 0);
  });
});
