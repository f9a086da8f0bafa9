// Issue 10: the controller keeps refreshing across a certificate rotation on disk. `run` with a
// certificate as its only AWS identity; mid-run the certificate and key are replaced (renamed
// into place, as the kubelet swaps a Secret's files); the next credential refresh signs with
// the new pair, the registry token after it is asked for with the new session, and the secrets
// get that token, with no restart. The emulator (this file's own) hands out tokens of 30 s and
// sessions of 310 s (5 s past the 5-minute margin both the SDK and the provider keep), so a
// refresh happens every 15 s or so; the bounds below are generous.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import { allOutput } from "../support/cli.ts";
import { eventually, startController } from "../support/controller.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { pemLines, TestPki, type Issued, profileArn, roleArn, trustAnchorArn } from "../support/roles-anywhere-pki.ts";

const { core } = adminClients();
let emu: RunningEmulator;
let pki: TestPki;
let root: Issued;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rolesanywhere-run-"));
  pki = new TestPki(join(dir, "pki"));
  root = await pki.rootCa("run-trust-anchor");
  emu = await startEmulator({ accessKeyId: "AKIAROLESANYWHERE004", secretAccessKey: "unused-static-key-of-this-emulator" });
  emu.state.configure({
    tokenLifetimeSeconds: 30,
    rolesAnywhere: [{ trustAnchorArn, caCertificates: root.certPem, profileArn, roleArns: [roleArn], sessionSecondsOverride: 310 }],
  });
});

after(async () => {
  await emu?.close();
});

/** Replaces the pair the way the kubelet updates a mounted Secret: new files renamed into place. */
async function install(issued: Issued, files: { cert: string; key: string }): Promise<void> {
  await copyFile(issued.certFile, `${files.cert}.new`);
  await copyFile(issued.keyFile, `${files.key}.new`);
  await rename(`${files.key}.new`, files.key);
  await rename(`${files.cert}.new`, files.cert);
}

test("run keeps refreshing across a certificate rotated on disk, without a restart", { timeout: 180_000 }, async () => {
  const ns = uniqueName("ra-run");
  await createNamespaces(core, [ns]);
  const first = await pki.issue("run-first", root, { format: "pkcs1" });
  const second = await pki.issue("run-second", root, { format: "sec1" });
  const files = { cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
  await install(first, files);
  const outputFrom = allOutput.length;
  // --no-fail-safe: a 30 s token is always within the 15 min fail-safe margin, which would
  // empty the secrets at once.
  const ctl = await startController(["--namespaces", ns, "--no-fail-safe"], {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emu.url,
    AWS_ENDPOINT_URL_ECR: emu.url,
    AWS_ENDPOINT_URL_STS: emu.url,
    AWS_ENDPOINT_URL_ROLESANYWHERE: emu.url,
    ROLES_ANYWHERE_CERTIFICATE: files.cert,
    ROLES_ANYWHERE_PRIVATE_KEY: files.key,
    ROLES_ANYWHERE_TRUST_ANCHOR_ARN: trustAnchorArn,
    ROLES_ANYWHERE_PROFILE_ARN: profileArn,
    ROLES_ANYWHERE_ROLE_ARN: roleArn,
  });
  try {
    const firstToken = await eventually("the first secret, from the first certificate's session", async () => {
      const token = emu.state.issued().tokens.at(-1);
      const secret = await readSecret(core, ns);
      return token && secret && dockerConfig(secret).auths["public.ecr.aws"]?.password === token.password ? token : undefined;
    });
    const sessions = () => emu.state.issued().rolesAnywhere.filter((call) => call.accepted);
    assert.deepEqual(
      sessions().map((call) => call.serialNumber),
      [first.serial],
    );
    assert.equal(firstToken.accessKeyId, sessions()[0]?.accessKeyId);

    await install(second, files);

    const rotated = await eventually(
      "a session signed by the rotated certificate",
      async () => sessions().find((call) => call.serialNumber === second.serial),
      90_000,
      200,
    );
    const newToken = await eventually(
      "a token asked for with the new session, in the secret",
      async () => {
        const token = emu.state.issued().tokens.find((t) => t.accessKeyId === rotated.accessKeyId);
        const secret = await readSecret(core, ns);
        return token && secret && dockerConfig(secret).auths["public.ecr.aws"]?.password === token.password ? token : undefined;
      },
      60_000,
      200,
    );
    assert.notEqual(newToken.password, firstToken.password);
    assert.equal(ctl.child.exitCode, null, "the same process, still running: no restart");
    assert.equal(
      emu.state.issued().rolesAnywhere.filter((call) => !call.accepted).length,
      0,
      "no CreateSession was refused (a half-replaced pair was never sent)",
    );
    const errors = ctl.logs.filter((line) => line["level"] === 50 || line["level"] === "error");
    assert.deepEqual(errors, []);
  } catch (error) {
    // What the emulator saw and what the controller said (no secrets in either), to read a failure by.
    console.log(
      JSON.stringify(
        {
          ra: emu.state.issued().rolesAnywhere.map((c) => [c.serialNumber, c.accessKeyId, c.receivedAt, c.error]),
          tokens: emu.state.issued().tokens.map((t) => [t.accessKeyId, t.issuedAt]),
        },
        null,
        1,
      ),
    );
    console.log(ctl.logs.map((l) => `${l["time"]} ${l["msg"]}`).join("\n"));
    throw error;
  } finally {
    assert.equal(await ctl.stop(), 0);
  }
  const output = allOutput.slice(outputFrom).join("\n");
  for (const issued of [first, second]) for (const line of pemLines(issued.keyPem)) assert.ok(!output.includes(line), "a private key line was printed");
  for (const { accessKeyId } of emu.state.issued().credentials) {
    const key = emu.state.lookupKey(accessKeyId);
    assert.ok(key && !output.includes(key.secretAccessKey) && !output.includes(key.sessionToken ?? "-"), "a session secret was printed");
  }
});
