// The emulator's IAM Roles Anywhere CreateSession, checked against the real implementation:
// AWS's own signing helper (aws_signing_helper v1.4.0, built from test/signing-helper/go.mod)
// gets credentials from it for RSA and EC keys, with and without an intermediate, and is refused
// where the service would refuse it. Then the product's signer against the emulator, and the
// tampering a signature must not survive (a changed byte, another certificate, an old date).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { GetAuthorizationTokenCommand, ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { signCreateSession } from '../../src/aws/roles-anywhere-signing.ts';
import { ensureSigningHelper } from '../signing-helper/signing-helper.ts';
import { TestPki, type Issued, type KeyFormat } from '../support/roles-anywhere-pki.ts';
import { startEmulator, type RunningEmulator } from './server.ts';

const TRUST_ANCHOR = 'arn:aws:rolesanywhere:eu-central-1:123456789012:trust-anchor/0d6a2a4d-1111-4a2b-8c3d-123456789abc';
const PROFILE = 'arn:aws:rolesanywhere:eu-central-1:123456789012:profile/7e1b9c2f-2222-4d3e-9f4a-abcdef012345';
const ROLE = 'arn:aws:iam::123456789012:role/ecr-public-creds-helper';

let emu: RunningEmulator;
let helper: string;
let pki: TestPki;
let root: Issued;
let intermediate: Issued;
let otherRoot: Issued;
let dir: string;

interface HelperResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws_signing_helper credential-process` against the emulator, with a clean environment. */
function signingHelper(leaf: Issued, options: { intermediates?: string; roleArn?: string } = {}): Promise<HelperResult> {
  const args = [
    'credential-process',
    '--certificate',
    leaf.certFile,
    '--private-key',
    leaf.keyFile,
    '--trust-anchor-arn',
    TRUST_ANCHOR,
    '--profile-arn',
    PROFILE,
    '--role-arn',
    options.roleArn ?? ROLE,
    '--endpoint',
    emu.url,
    ...(options.intermediates ? ['--intermediates', options.intermediates] : []),
  ];
  return new Promise((resolve) => {
    execFile(helper, args, { env: { PATH: '/usr/bin:/bin', HOME: dir }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function trust(roleArns = [ROLE]): void {
  emu.state.configure({ rolesAnywhere: [{ trustAnchorArn: TRUST_ANCHOR, caCertificates: root.certPem, profileArn: PROFILE, roleArns }] });
}

before(async () => {
  helper = await ensureSigningHelper((line) => process.stderr.write(`signing-helper: ${line}\n`));
  dir = await mkdtemp(join(tmpdir(), 'rolesanywhere-emulator-'));
  pki = new TestPki(join(dir, 'pki'));
  root = await pki.rootCa('trust-anchor-root');
  intermediate = await pki.issue('intermediate', root, { ca: true });
  otherRoot = await pki.rootCa('some-other-root');
  emu = await startEmulator({ accessKeyId: 'AKIAROLESANYWHERE001', secretAccessKey: 'not-used-by-these-tests' });
});

after(async () => {
  await emu?.close();
});

beforeEach(() => {
  emu.state.reset();
  trust();
});

describe('the real AWS signing helper against the emulator', () => {
  const formats: KeyFormat[] = ['pkcs1', 'sec1', 'pkcs8-rsa', 'pkcs8-ec'];
  for (const format of formats) {
    test(`a ${format} key: CreateSession accepted, and the credentials work on ECR Public`, async () => {
      const leaf = await pki.issue(`helper-${format}`, root, { format });
      const result = await signingHelper(leaf);
      assert.equal(result.code, 0, result.stderr);
      const output = JSON.parse(result.stdout) as { Version: number; AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
      assert.equal(output.Version, 1);
      const [call] = emu.state.issued().rolesAnywhere;
      assert.ok(call);
      assert.equal(call.accepted, true, call.error ?? '');
      assert.equal(call.serialNumber, leaf.serial);
      assert.equal(call.algorithm, format.endsWith('rsa') || format === 'pkcs1' ? 'AWS4-X509-RSA-SHA256' : 'AWS4-X509-ECDSA-SHA256');
      assert.equal(call.parametersIn, 'query', 'the helper sends the ARNs in the query string');
      assert.equal(call.accessKeyId, output.AccessKeyId);
      assert.ok(Date.parse(output.Expiration) > Date.now() + 50 * 60_000, 'an hour by default');
      const client = new ECRPUBLICClient({
        region: 'us-east-1',
        endpoint: emu.url,
        maxAttempts: 1,
        credentials: { accessKeyId: output.AccessKeyId, secretAccessKey: output.SecretAccessKey, sessionToken: output.SessionToken },
      });
      const token = await client.send(new GetAuthorizationTokenCommand({}));
      assert.ok(token.authorizationData?.authorizationToken);
      assert.equal(emu.state.issued().tokens[0]?.accessKeyId, output.AccessKeyId);
    });
  }

  test('through an intermediate CA: accepted with --intermediates, untrusted without', async () => {
    const leaf = await pki.issue('helper-via-intermediate', intermediate, { format: 'sec1' });
    const without = await signingHelper(leaf);
    assert.notEqual(without.code, 0);
    assert.match(without.stderr, /AccessDeniedException: Untrusted Signing Certificate/);
    const bundle = join(dir, 'intermediates.pem');
    await writeFile(bundle, intermediate.certPem);
    const withChain = await signingHelper(leaf, { intermediates: bundle });
    assert.equal(withChain.code, 0, withChain.stderr);
    const calls = emu.state.issued().rolesAnywhere;
    assert.deepEqual(
      calls.map((c) => [c.accepted, c.chainLength]),
      [
        [false, 0],
        [true, 1],
      ],
    );
  });

  test('a certificate of another CA: AccessDeniedException: Untrusted Signing Certificate', async () => {
    const stranger = await pki.issue('helper-stranger', otherRoot);
    const result = await signingHelper(stranger);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /AccessDeniedException: Untrusted Signing Certificate/);
    assert.equal(emu.state.issued().credentials.length, 0);
  });

  test('a role the profile does not allow: AccessDeniedException', async () => {
    const leaf = await pki.issue('helper-role', root);
    const result = await signingHelper(leaf, { roleArn: 'arn:aws:iam::123456789012:role/someone-else' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /AccessDeniedException/);
  });

  test('an expired certificate is refused by the emulator, whatever the client checks', async () => {
    const expired = await pki.issue('helper-expired', root, { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const result = await signingHelper(expired);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /AccessDeniedException: Certificate is expired or not yet valid/);
  });
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(url: URL, headers: Record<string, string>, body: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("the product's signer against the emulator", () => {
  const body = JSON.stringify({ durationSeconds: 900, profileArn: PROFILE, roleArn: ROLE, trustAnchorArn: TRUST_ANCHOR });

  async function signed(leaf: Issued, options: { date?: Date; chain?: Issued[]; region?: string } = {}) {
    const certificate = new X509Certificate(leaf.certPem);
    const url = new URL(`${emu.url}/sessions`);
    return {
      url,
      request: signCreateSession({
        url,
        body,
        certificate: certificate.raw,
        chain: (options.chain ?? []).map((c) => new X509Certificate(c.certPem).raw),
        serialNumberHex: certificate.serialNumber,
        privateKey: createPrivateKey(leaf.keyPem),
        region: options.region ?? 'eu-central-1',
        date: options.date ?? new Date(),
      }),
    };
  }

  test('accepted, ARNs in the body, duration honoured: 201 with credentialSet[0].credentials', async () => {
    const leaf = await pki.issue('native-ok', intermediate, { format: 'pkcs8-rsa' });
    const { url, request: req } = await signed(leaf, { chain: [intermediate] });
    const answer = await post(url, { ...req.headers }, body);
    assert.equal(answer.status, 201, answer.body);
    const parsed = JSON.parse(answer.body) as { credentialSet: Array<{ credentials: Record<string, string>; roleArn: string }>; subjectArn: string };
    const credentials = parsed.credentialSet[0]?.credentials ?? {};
    assert.deepEqual(Object.keys(credentials).sort(), ['accessKeyId', 'expiration', 'secretAccessKey', 'sessionToken']);
    assert.equal(parsed.credentialSet[0]?.roleArn, ROLE);
    assert.match(parsed.subjectArn, /^arn:aws:rolesanywhere:eu-central-1:123456789012:subject\//);
    const lifetime = Date.parse(credentials['expiration'] ?? '') - Date.now();
    assert.ok(lifetime > 890_000 && lifetime <= 900_000, `expires in the 900 s asked for, not ${lifetime} ms`);
    const [call] = emu.state.issued().rolesAnywhere;
    assert.deepEqual([call?.accepted, call?.parametersIn, call?.chainLength, call?.durationSeconds], [true, 'body', 1, 900]);
  });

  test('what must not pass: a changed byte, another certificate, another serial, an old date, the wrong region', async () => {
    const leaf = await pki.issue('native-tamper', root, { format: 'sec1' });
    const other = await pki.issue('native-other', root, { format: 'sec1' });
    const cases: Array<[string, () => Promise<Raw>, RegExp]> = [
      [
        'a byte of the body',
        async () => {
          const { url, request: req } = await signed(leaf);
          return post(url, { ...req.headers }, body.replace('900', '901'));
        },
        /Signature validation failed/,
      ],
      [
        'a signed header',
        async () => {
          const { url, request: req } = await signed(leaf);
          return post(url, { ...req.headers, 'content-type': 'application/json; charset=utf-8' }, body);
        },
        /Signature validation failed/,
      ],
      [
        "another certificate in X-Amz-X509 (the key's own is not sent)",
        async () => {
          const { url, request: req } = await signed(leaf);
          const swapped = new X509Certificate(other.certPem);
          const authorization = String(req.headers['authorization']).replace(/Credential=\d+/, `Credential=${BigInt(`0x${swapped.serialNumber}`)}`);
          return post(url, { ...req.headers, 'x-amz-x509': swapped.raw.toString('base64'), authorization }, body);
        },
        /Signature validation failed/,
      ],
      [
        'a serial that is not the certificate',
        async () => {
          const { url, request: req } = await signed(leaf);
          return post(url, { ...req.headers, authorization: String(req.headers['authorization']).replace(/Credential=\d+/, 'Credential=42') }, body);
        },
        /serial number does not match/,
      ],
      [
        'signed ten minutes ago',
        async () => {
          const { url, request: req } = await signed(leaf, { date: new Date(Date.now() - 10 * 60_000) });
          return post(url, { ...req.headers }, body);
        },
        /outside the allowed 5 minute clock skew/,
      ],
      [
        "scoped to a region that is not the trust anchor's",
        async () => {
          const { url, request: req } = await signed(leaf, { region: 'us-east-1' });
          return post(url, { ...req.headers }, body);
        },
        /scoped to the trust anchor region/,
      ],
    ];
    for (const [what, send, message] of cases) {
      const answer = await send();
      assert.equal(answer.status, 403, `${what}: ${answer.body}`);
      assert.equal(answer.headers['x-amzn-errortype'], 'AccessDeniedException', what);
      assert.match((JSON.parse(answer.body) as { message: string }).message, message, what);
    }
    assert.equal(emu.state.issued().credentials.length, 0, 'no credentials for any of them');
    assert.equal(emu.state.calls()['rolesanywhere:CreateSession'].rejected, cases.length);
  });

  test('an unknown trust anchor is not found; a trust anchor is configured through the control API', async () => {
    emu.state.reset();
    const leaf = await pki.issue('native-unknown', root);
    const { url, request: req } = await signed(leaf);
    const answer = await post(url, { ...req.headers }, body);
    assert.equal(answer.status, 404);
    assert.equal(answer.headers['x-amzn-errortype'], 'ResourceNotFoundException');
    const configured = await fetch(`${emu.url}/_emulator/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rolesAnywhere: [{ trustAnchorArn: TRUST_ANCHOR, caCertificates: root.certPem, profileArn: PROFILE, roleArns: [ROLE] }] }),
    });
    assert.equal(configured.status, 200);
    const again = await signed(leaf);
    assert.equal((await post(again.url, { ...again.request.headers }, body)).status, 201);
    const invalid = await fetch(`${emu.url}/_emulator/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rolesAnywhere: [{ trustAnchorArn: 'nope', caCertificates: '', profileArn: PROFILE, roleArns: [] }] }),
    });
    assert.equal(invalid.status, 400);
  });
});
