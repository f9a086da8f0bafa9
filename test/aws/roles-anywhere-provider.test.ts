// The Roles Anywhere credential provider on an injected clock, against the AWS emulator running
// on the same clock: credentials are served from memory until shortly before they expire; the
// certificate and key are read again at the next refresh, so a rotated pair is used without a
// restart (the emulator sees the new serial); concurrent callers share one CreateSession; a
// call that gets no answer ends at its bound, retries included.
import assert from "node:assert/strict";
import { copyFile, mkdtemp } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { rolesAnywhereCredentials, sessionRefreshMarginMs } from "../../src/aws/roles-anywhere.ts";
import { TokenUnavailableError } from "../../src/aws/token-source.ts";
import type { RolesAnywhereSettings } from "../../src/domain/roles-anywhere.ts";
import { FakeClock, settle } from "../../src/util/fake-clock.ts";
import { startEmulator, type RunningEmulator } from "../aws-emulator/server.ts";
import { TestPki, type Issued, profileArn, roleArn, trustAnchorArn } from "../support/roles-anywhere-pki.ts";

let emu: RunningEmulator;
let clock: FakeClock;
let pki: TestPki;
let root: Issued;
let dir: string;

function settings(files: { certificateFile: string; privateKeyFile: string }, endpoint = emu.url): RolesAnywhereSettings {
  return { ...files, trustAnchorArn, profileArn, roleArn, region: "eu-central-1", sessionDurationSeconds: 3600, endpoint };
}

/** Puts a certificate and its key where the provider reads them, as a rotated Secret would. */
async function install(issued: Issued, at: { certificateFile: string; privateKeyFile: string }): Promise<void> {
  await copyFile(issued.certFile, at.certificateFile);
  await copyFile(issued.keyFile, at.privateKeyFile);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rolesanywhere-provider-"));
  pki = new TestPki(join(dir, "pki"));
  root = await pki.rootCa("provider-root");
  // The certificates are dated by the wall clock; the fake one starts there and moves on its own.
  clock = new FakeClock(Date.now());
  emu = await startEmulator({ accessKeyId: "AKIAROLESANYWHERE002", secretAccessKey: "unused", now: () => clock.now() });
});

after(async () => {
  await emu?.close();
});

beforeEach(() => {
  emu.state.reset();
  emu.state.configure({ rolesAnywhere: [{ trustAnchorArn, caCertificates: root.certPem, profileArn, roleArns: [roleArn] }] });
});

describe("Roles Anywhere credential provider", () => {
  test("cached until shortly before expiry; a certificate rotated on disk is used at the next refresh", async () => {
    const files = { certificateFile: join(dir, "rotate-tls.crt"), privateKeyFile: join(dir, "rotate-tls.key") };
    const first = await pki.issue("rotate-first", root, { format: "pkcs1" });
    const second = await pki.issue("rotate-second", root, { format: "sec1" });
    await install(first, files);
    const provider = rolesAnywhereCredentials(settings(files), { clock });

    const a = await provider();
    assert.equal(emu.state.issued().rolesAnywhere.length, 1);
    assert.equal(a.expiration?.getTime(), Math.floor(clock.now() / 1000 + 3600) * 1000, "the session's expiry, on the emulator's (same) clock");

    await install(second, files);
    await clock.advance(3600_000 - sessionRefreshMarginMs - 1_000);
    const cached = await provider();
    assert.equal(cached.accessKeyId, a.accessKeyId, "still the first session: no CreateSession before the margin");
    assert.equal(emu.state.issued().rolesAnywhere.length, 1);

    await clock.advance(2_000);
    const b = await provider();
    assert.notEqual(b.accessKeyId, a.accessKeyId);
    const calls = emu.state.issued().rolesAnywhere;
    assert.deepEqual(
      calls.map((call) => [call.serialNumber, call.algorithm, call.accepted]),
      [
        [first.serial, "AWS4-X509-RSA-SHA256", true],
        [second.serial, "AWS4-X509-ECDSA-SHA256", true],
      ],
      "the second session was signed by the rotated certificate and key, read from disk again",
    );
    assert.equal(calls[1]?.accessKeyId, b.accessKeyId);
  });

  test("concurrent callers (ECR Public and private ECR clients) share one CreateSession", async () => {
    const files = { certificateFile: join(dir, "shared-tls.crt"), privateKeyFile: join(dir, "shared-tls.key") };
    await install(await pki.issue("shared", root), files);
    const provider = rolesAnywhereCredentials(settings(files), { clock });
    const results = await Promise.all([provider(), provider(), provider()]);
    assert.equal(new Set(results.map((r) => r.accessKeyId)).size, 1);
    assert.equal(emu.state.issued().rolesAnywhere.length, 1);
  });

  test("a certificate that expires is refused on the clock before anything is sent", async () => {
    const files = { certificateFile: join(dir, "expiring-tls.crt"), privateKeyFile: join(dir, "expiring-tls.key") };
    await install(await pki.issue("expiring", root, { notAfter: new Date(clock.now() + 2 * 3600_000) }), files);
    const provider = rolesAnywhereCredentials(settings(files), { clock });
    await provider();
    await clock.advance(3 * 3600_000);
    await assert.rejects(provider(), (error: unknown) => {
      assert.ok(error instanceof TokenUnavailableError);
      assert.equal(error.reason, "no-credentials");
      assert.match(error.message, /^IAM Roles Anywhere: the certificate in .*expiring-tls\.crt has expired: valid until \d{4}-/);
      return true;
    });
    assert.equal(emu.state.issued().rolesAnywhere.length, 1, "the expired certificate was never sent");
  });

  describe("an endpoint that accepts the connection and never answers", () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    let accepted = 0;
    before(async () => {
      silent = createServer((socket) => {
        accepted++;
        sockets.add(socket);
      });
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    });
    after(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    test("each attempt ends at its timeout on the clock; three attempts, then one line", async () => {
      const files = { certificateFile: join(dir, "silent-tls.crt"), privateKeyFile: join(dir, "silent-tls.key") };
      await install(await pki.issue("silent", root), files);
      const address = silent.address();
      assert.ok(address && typeof address === "object");
      const endpoint = `http://127.0.0.1:${address.port}`;
      const provider = rolesAnywhereCredentials(settings(files, endpoint), { clock, requestTimeoutMs: 8_000 });
      let outcome: unknown;
      const call = provider().then(
        () => "resolved",
        (error: unknown) => error,
      );
      void call.then((value) => {
        outcome = value;
      });
      // Wait for each attempt's connection, then move the clock past its timeout and the pause.
      for (let attempt = 1; attempt <= 3; attempt++) {
        for (let i = 0; i < 200 && accepted < attempt; i++) await settle();
        assert.equal(accepted, attempt, `attempt ${attempt} reached the endpoint`);
        assert.equal(outcome, undefined, "still waiting before the timeout");
        await clock.advance(8_000);
        await clock.advance(2_000);
      }
      const error = await call;
      assert.ok(error instanceof TokenUnavailableError, String(error));
      assert.equal(error.reason, "timeout");
      assert.equal(error.message, `IAM Roles Anywhere CreateSession (eu-central-1) got no answer from ${endpoint} within 8s after 3 attempts`);
    });
  });
});
