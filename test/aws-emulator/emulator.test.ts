// The emulator is only useful if real AWS clients accept its answers and it
// rejects what AWS would reject, so these tests drive it with the JS SDK v3,
// the real AWS CLI v2 and hand-signed raw requests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ECRClient, GetAuthorizationTokenCommand as EcrGetToken } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient, GetAuthorizationTokenCommand as PublicGetToken } from '@aws-sdk/client-ecr-public';
import type { ServiceInputTypes as PublicInput, ServiceOutputTypes as PublicOutput } from '@aws-sdk/client-ecr-public';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromContainerMetadata, fromHttp, fromNodeProviderChain, fromTokenFile } from '@aws-sdk/credential-providers';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { EmulatorControl } from './control.ts';
import { startEmulator, type RunningEmulator } from './server.ts';
import { awsCliMissing, runAwsCli, signedCall, type Creds } from './test-support.ts';

const AK = 'AKIAEMULATORTEST0001';
const SK = 'emulator/Secret+Key/abcdefghijklmnopqrstuv';
const CONTAINER_TOKEN = 'container-auth-token-0123456789';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/ecr-helper';
const STATIC: Creds = { accessKeyId: AK, secretAccessKey: SK };
const PUBLIC_TARGET = 'SpencerFrontendService.GetAuthorizationToken';

let emu: RunningEmulator;

type Provider = Creds | (() => Promise<Creds>);
const ecrPublic = (credentials: Provider = STATIC, region = 'us-east-1') => new ECRPUBLICClient({ region, endpoint: emu.url, credentials, maxAttempts: 1 });
const ecr = (region = 'eu-west-1', credentials: Provider = STATIC) => new ECRClient({ region, endpoint: emu.url, credentials, maxAttempts: 1 });
const sts = () => new STSClient({ region: 'us-east-1', endpoint: emu.url, maxAttempts: 1 });

const decode = (token: string | undefined) => Buffer.from(token ?? '', 'base64').toString('utf8');

async function publicToken(credentials: Provider = STATIC) {
  const out = await ecrPublic(credentials).send(new PublicGetToken({}));
  assert.ok(out.authorizationData?.authorizationToken, 'SDK returned no token');
  return out.authorizationData;
}

/** Asserts the SDK call fails with this modeled error name and HTTP status. */
async function rejectsWith(p: Promise<unknown>, name: string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name, `got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Runs fn with process.env changed, restoring it after (credential providers read env at call time). */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v))
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

function tokenFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wit-')), 'token');
  writeFileSync(file, content);
  return file;
}

describe('aws emulator', () => {
  before(async () => {
    emu = await startEmulator({ accessKeyId: AK, secretAccessKey: SK, containerAuthToken: CONTAINER_TOKEN });
  });
  after(async () => {
    await emu.close();
  });
  beforeEach(() => emu.state.reset());

  describe('AWS SDK v3 accepts the answers', () => {
    it('ECR Public: token decodes to AWS:<recorded password>, expiresAt at the configured lifetime', async () => {
      emu.state.configure({ tokenLifetimeSeconds: 3600 });
      const data = await publicToken();
      const [issued] = emu.state.issued().tokens;
      assert.ok(issued);
      assert.equal(issued.api, 'ecr-public');
      assert.equal(issued.accessKeyId, AK);
      assert.ok(issued.password && issued.password.length > 100);
      assert.equal(decode(data?.authorizationToken), `AWS:${issued.password}`);
      assert.ok(data?.expiresAt instanceof Date);
      assert.ok(Math.abs(data.expiresAt.getTime() - (Date.now() + 3600_000)) < 10_000, `expiresAt ${data.expiresAt.toISOString()}`);
      assert.equal(data.expiresAt.getTime(), issued.expiresAt * 1000);
      assert.deepEqual(emu.state.calls()['ecr-public:GetAuthorizationToken'], { total: 1, ok: 1, rejected: 0, errors: {} });
    });

    it('ECR Public: default lifetime is 12 h', async () => {
      const data = await publicToken();
      assert.ok(Math.abs((data?.expiresAt?.getTime() ?? 0) - (Date.now() + 43200_000)) < 10_000);
    });

    it('private ECR: one entry for the account, proxyEndpoint in the signing region', async () => {
      const out = await ecr('eu-west-1').send(new EcrGetToken({}));
      assert.equal(out.authorizationData?.length, 1);
      const [entry] = out.authorizationData ?? [];
      const [issued] = emu.state.issued().tokens;
      assert.equal(entry?.proxyEndpoint, 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com');
      assert.equal(decode(entry?.authorizationToken), `AWS:${issued?.password}`);
      assert.equal(issued?.api, 'ecr');
      assert.equal(issued?.region, 'eu-west-1');
      assert.ok(entry?.expiresAt instanceof Date);
    });

    it('private ECR: registryIds give one entry per id', async () => {
      const ids = ['111111111111', '222222222222'];
      const out = await ecr('ap-southeast-2').send(new EcrGetToken({ registryIds: ids }));
      assert.deepEqual(
        out.authorizationData?.map((d) => d.proxyEndpoint),
        ids.map((id) => `https://${id}.dkr.ecr.ap-southeast-2.amazonaws.com`),
      );
      assert.deepEqual(
        emu.state.issued().tokens.map((t) => t.registryId),
        ids,
      );
    });

    it('token modes: fixed repeats the given password, random differs per call', async () => {
      emu.state.configure({ tokenMode: 'fixed', fixedPassword: 'fixed-pass-1' });
      assert.equal(decode((await publicToken())?.authorizationToken), 'AWS:fixed-pass-1');
      assert.equal(decode((await publicToken())?.authorizationToken), 'AWS:fixed-pass-1');
      emu.state.configure({ tokenMode: 'random' });
      const a = decode((await publicToken())?.authorizationToken);
      const b = decode((await publicToken())?.authorizationToken);
      assert.notEqual(a, b);
    });

    it('STS AssumeRoleWithWebIdentity: credentials parse, call is recorded, credentials sign ECR calls', async () => {
      const out = await sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'sess-1', WebIdentityToken: 'web-token-A' }));
      const c = out.Credentials;
      assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken && c.Expiration instanceof Date, 'incomplete credentials');
      assert.ok(c.AccessKeyId.startsWith('ASIA'));
      assert.ok(Math.abs(c.Expiration.getTime() - (Date.now() + 3600_000)) < 10_000);
      assert.equal(out.AssumedRoleUser?.Arn, 'arn:aws:sts::111122223333:assumed-role/ecr-helper/sess-1');
      assert.ok(out.SubjectFromWebIdentityToken);
      const [call] = emu.state.issued().webIdentity;
      assert.equal(call?.webIdentityToken, 'web-token-A');
      assert.equal(call?.roleArn, ROLE_ARN);
      assert.equal(call?.accepted, true);
      await publicToken({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });
      assert.equal(emu.state.issued().tokens[0]?.accessKeyId, c.AccessKeyId);
    });

    it('STS: DurationSeconds sets the credential lifetime; JWT sub becomes SubjectFromWebIdentityToken', async () => {
      const jwt = ['{"alg":"none"}', '{"sub":"system:serviceaccount:ns:sa","aud":"sts.amazonaws.com"}', '']
        .map((p) => Buffer.from(p).toString('base64url'))
        .join('.');
      const out = await sts().send(
        new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'sess-2', WebIdentityToken: jwt, DurationSeconds: 900 }),
      );
      assert.equal(out.SubjectFromWebIdentityToken, 'system:serviceaccount:ns:sa');
      assert.ok(Math.abs((out.Credentials?.Expiration?.getTime() ?? 0) - (Date.now() + 900_000)) < 10_000);
    });

    it('STS: empty web identity token -> InvalidIdentityToken (400), recorded as not accepted', async () => {
      // The wire code is InvalidIdentityToken; the SDK models it as InvalidIdentityTokenException.
      await rejectsWith(
        sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'sess', WebIdentityToken: '' })),
        'InvalidIdentityTokenException',
        400,
      );
      assert.deepEqual(
        emu.state.issued().webIdentity.map((w) => [w.webIdentityToken, w.accepted]),
        [['', false]],
      );
      assert.equal(emu.state.calls()['sts:AssumeRoleWithWebIdentity'].errors['InvalidIdentityToken'], 1);
    });

    it('STS: malformed role ARN -> ValidationError', async () => {
      await rejectsWith(
        sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: 'not-an-arn', RoleSessionName: 'sess', WebIdentityToken: 'tok1' })),
        'ValidationError',
        400,
      );
    });
  });

  describe('SDK credential providers against the emulator', () => {
    it('fromTokenFile with the STS endpoint set to the emulator', async () => {
      const file = tokenFile('projected-sa-token');
      const credentials = fromTokenFile({ webIdentityTokenFile: file, roleArn: ROLE_ARN, clientConfig: { region: 'us-east-1', endpoint: emu.url } });
      await publicToken(credentials);
      const { webIdentity, tokens } = emu.state.issued();
      assert.equal(webIdentity[0]?.webIdentityToken, 'projected-sa-token');
      assert.equal(webIdentity[0]?.roleArn, ROLE_ARN);
      assert.equal(tokens[0]?.accessKeyId, webIdentity[0]?.accessKeyId);
    });

    it('default chain from env: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN + AWS_ENDPOINT_URL_STS', async () => {
      const file = tokenFile('env-sa-token');
      await withEnv(
        {
          AWS_ACCESS_KEY_ID: undefined,
          AWS_SECRET_ACCESS_KEY: undefined,
          AWS_SESSION_TOKEN: undefined,
          AWS_PROFILE: undefined,
          AWS_CONFIG_FILE: join(tmpdir(), 'no-such-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'no-such-aws-credentials'),
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_WEB_IDENTITY_TOKEN_FILE: file,
          AWS_ROLE_ARN: ROLE_ARN,
          AWS_ENDPOINT_URL_STS: emu.url,
        },
        () => publicToken(fromNodeProviderChain()),
      );
      const { webIdentity, tokens } = emu.state.issued();
      assert.equal(webIdentity[0]?.webIdentityToken, 'env-sa-token');
      assert.equal(tokens[0]?.accessKeyId, webIdentity[0]?.accessKeyId);
    });

    it('fromHttp (EKS Pod Identity) with the container credentials endpoint', async () => {
      const credentials = fromHttp({ awsContainerCredentialsFullUri: `${emu.url}/container-credentials`, awsContainerAuthorizationToken: CONTAINER_TOKEN });
      await publicToken(credentials);
      const { credentials: issuedCreds, tokens } = emu.state.issued();
      assert.equal(issuedCreds[0]?.source, 'container');
      assert.equal(tokens[0]?.accessKeyId, issuedCreds[0]?.accessKeyId);
    });

    it('fromContainerMetadata via AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN', async () => {
      await withEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${emu.url}/container-credentials/pod`, AWS_CONTAINER_AUTHORIZATION_TOKEN: CONTAINER_TOKEN }, () =>
        publicToken(fromContainerMetadata()),
      );
      assert.equal(emu.state.calls()['container-credentials'].ok, 1);
      assert.equal(emu.state.issued().tokens[0]?.accessKeyId, emu.state.issued().credentials[0]?.accessKeyId);
    });

    it('container endpoint rejects a wrong or missing Authorization', async () => {
      const wrong = fromHttp({ awsContainerCredentialsFullUri: `${emu.url}/container-credentials`, awsContainerAuthorizationToken: 'wrong', maxRetries: 0 });
      await assert.rejects(wrong());
      const missing = await fetch(`${emu.url}/container-credentials`);
      assert.equal(missing.status, 401);
      assert.deepEqual(emu.state.calls()['container-credentials'], {
        total: 2,
        ok: 0,
        rejected: 2,
        errors: { AccessDenied: 1, MissingAuthorization: 1 },
      });
      assert.equal(emu.state.issued().credentials.length, 0);
    });

    it('temporary credentials need their own session token', async () => {
      const c = await fromHttp({ awsContainerCredentialsFullUri: `${emu.url}/container-credentials`, awsContainerAuthorizationToken: CONTAINER_TOKEN })();
      await rejectsWith(
        ecrPublic({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }).send(new PublicGetToken({})),
        'UnrecognizedClientException',
        403,
      );
      await rejectsWith(
        ecrPublic({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: 'forged' }).send(new PublicGetToken({})),
        'UnrecognizedClientException',
        403,
      );
    });
  });

  describe('SigV4 rejections', () => {
    it('wrong secret key -> InvalidSignatureException 403, counted as rejected', async () => {
      await rejectsWith(ecrPublic({ accessKeyId: AK, secretAccessKey: 'wrong' }).send(new PublicGetToken({})), 'InvalidSignatureException', 403);
      assert.deepEqual(emu.state.calls()['ecr-public:GetAuthorizationToken'], { total: 1, ok: 0, rejected: 1, errors: { InvalidSignatureException: 1 } });
      assert.equal(emu.state.issued().tokens.length, 0);
    });

    it('unknown access key -> UnrecognizedClientException 403', async () => {
      await rejectsWith(
        ecr('eu-west-1', { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: SK }).send(new EcrGetToken({})),
        'UnrecognizedClientException',
        403,
      );
    });

    it('ECR Public signed for us-west-2 -> rejected with a region message', async () => {
      await rejectsWith(ecrPublic(STATIC, 'us-west-2').send(new PublicGetToken({})), 'InvalidSignatureException', 403, /region/);
    });

    it('raw hand-signed request passes (control for the tamper tests below)', async () => {
      const res = await signedCall(emu.url, { target: PUBLIC_TARGET, region: 'us-east-1', service: 'ecr-public', credentials: STATIC });
      assert.equal(res.status, 200, res.body);
    });

    it('body changed after signing -> InvalidSignatureException (without and with x-amz-content-sha256)', async () => {
      for (const withContentSha of [false, true]) {
        const res = await signedCall(emu.url, {
          target: PUBLIC_TARGET,
          region: 'us-east-1',
          service: 'ecr-public',
          credentials: STATIC,
          withContentSha,
          tamper: (r) => (r.body = '{"x":1}'),
        });
        assert.equal(res.status, 403, res.body);
        assert.equal(res.json.__type, 'InvalidSignatureException');
      }
    });

    it('body tampered inside the SDK after signing -> InvalidSignatureException', async () => {
      const client = ecrPublic();
      const tamper: FinalizeRequestMiddleware<PublicInput, PublicOutput> = (next) => async (args) => {
        const req = args.request as { body?: unknown; headers: Record<string, string> };
        req.body = '{"tampered":true}';
        req.headers['content-length'] = String(Buffer.byteLength('{"tampered":true}'));
        return next(args);
      };
      client.middlewareStack.addRelativeTo(tamper, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamperBody' });
      await rejectsWith(client.send(new PublicGetToken({})), 'InvalidSignatureException', 403);
    });

    it('signed headers changed after signing, wrong service scope, stale date, no signature: all rejected', async () => {
      const base = { target: PUBLIC_TARGET, region: 'us-east-1', service: 'ecr-public', credentials: STATIC };
      const cases: Array<[string, Parameters<typeof signedCall>[1], number, string]> = [
        [
          'target swap',
          { ...base, tamper: (r) => (r.headers['x-amz-target'] = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') },
          403,
          'InvalidSignatureException',
        ],
        [
          'signed header changed',
          { ...base, tamper: (r) => (r.headers['content-type'] = 'application/x-amz-json-1.1; charset=utf-8') },
          403,
          'InvalidSignatureException',
        ],
        ['service scope', { ...base, service: 'ecr' }, 403, 'InvalidSignatureException'],
        ['stale date', { ...base, signingDate: new Date(Date.now() - 20 * 60_000) }, 403, 'InvalidSignatureException'],
        ['unsigned', { ...base, unsigned: true }, 400, 'MissingAuthenticationTokenException'],
      ];
      for (const [label, call, status, code] of cases) {
        const res = await signedCall(emu.url, call);
        assert.equal(res.status, status, `${label}: ${res.body}`);
        assert.equal(res.json.__type, code, label);
      }
      assert.equal(emu.state.issued().tokens.length, 0);
    });
  });

  describe('faults observed through the SDK', () => {
    it('throttle -> ThrottlingException 400', async () => {
      emu.state.configure({ fault: { mode: 'throttle' } });
      await rejectsWith(ecrPublic().send(new PublicGetToken({})), 'ThrottlingException', 400);
      await rejectsWith(ecr().send(new EcrGetToken({})), 'ThrottlingException', 400);
      assert.equal(emu.state.calls()['ecr-public:GetAuthorizationToken'].errors['ThrottlingException'], 1);
    });

    it('error500 -> ServerException with $fault server', async () => {
      emu.state.configure({ fault: { mode: 'error500' } });
      await assert.rejects(ecrPublic().send(new PublicGetToken({})), (err: Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'ServerException');
        assert.equal(err.$fault, 'server');
        assert.equal(err.$metadata?.httpStatusCode, 500);
        return true;
      });
    });

    it('malformed-not-base64 delivers an undecodable token', async () => {
      emu.state.configure({ fault: { mode: 'malformed-not-base64' } });
      const data = await publicToken();
      assert.doesNotMatch(data?.authorizationToken ?? '', /^[A-Za-z0-9+/]*={0,2}$/);
      assert.equal(emu.state.issued().tokens[0]?.password, null);
      assert.equal(emu.state.issued().tokens[0]?.authorizationToken, data?.authorizationToken);
    });

    it('malformed-no-colon delivers base64 without the AWS: separator', async () => {
      emu.state.configure({ fault: { mode: 'malformed-no-colon' } });
      const decoded = decode((await publicToken())?.authorizationToken);
      assert.ok(decoded.startsWith('AWS') && !decoded.includes(':'), decoded.slice(0, 20));
    });

    it('malformed-empty-password delivers AWS:', async () => {
      emu.state.configure({ fault: { mode: 'malformed-empty-password' } });
      assert.equal(decode((await publicToken())?.authorizationToken), 'AWS:');
      assert.equal(emu.state.issued().tokens[0]?.password, '');
    });

    it('expired delivers a valid token whose expiresAt is in the past', async () => {
      emu.state.configure({ fault: { mode: 'expired' } });
      const data = await publicToken();
      assert.ok((data?.expiresAt?.getTime() ?? Infinity) < Date.now());
      assert.equal(decode(data?.authorizationToken), `AWS:${emu.state.issued().tokens[0]?.password}`);
    });

    it('times limits the fault to the next N calls, across both APIs', async () => {
      emu.state.configure({ fault: { mode: 'throttle', times: 2 } });
      await rejectsWith(ecrPublic().send(new PublicGetToken({})), 'ThrottlingException', 400);
      assert.equal(emu.state.config().fault.times, 1);
      await rejectsWith(ecr().send(new EcrGetToken({})), 'ThrottlingException', 400);
      assert.deepEqual(emu.state.config().fault, { mode: 'none', times: null, delayMs: 2000 });
      await publicToken();
      await ecr().send(new EcrGetToken({}));
    });

    it('rejected signatures do not use up a counted fault', async () => {
      emu.state.configure({ fault: { mode: 'error500', times: 1 } });
      await rejectsWith(ecrPublic({ accessKeyId: AK, secretAccessKey: 'bad' }).send(new PublicGetToken({})), 'InvalidSignatureException', 403);
      await rejectsWith(ecrPublic().send(new PublicGetToken({})), 'ServerException', 500);
    });

    it('slow delays the answer by at least delayMs', async () => {
      emu.state.configure({ fault: { mode: 'slow', delayMs: 1000, times: 1 } });
      let started = performance.now();
      await publicToken();
      assert.ok(performance.now() - started >= 1000, `took ${performance.now() - started} ms`);
      started = performance.now();
      await publicToken();
      // Generous bound: the machine may be busy, but an undelayed call is far below a second.
      assert.ok(performance.now() - started < 1000, 'second call should not be delayed');
    });

    it('hang holds the call unanswered until the fault is changed or reset, then drops it', async () => {
      for (const release of [() => emu.state.reset(), () => emu.state.configure({ fault: { mode: 'none' } })]) {
        emu.state.configure({ fault: { mode: 'hang' } });
        let settled = false;
        const held = ecrPublic()
          .send(new PublicGetToken({}))
          .finally(() => {
            settled = true;
          });
        held.catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(settled, false, 'no answer while the fault holds it');
        assert.deepEqual(emu.state.calls()['ecr-public:GetAuthorizationToken'], { total: 1, ok: 0, rejected: 1, errors: { Hang: 1 } });
        release();
        // Dropped, not answered: the client sees the connection end (the SDK calls that a TimeoutError).
        await assert.rejects(held, (err: Error & { code?: string }) => err.code === 'ECONNRESET');
        assert.equal(emu.state.issued().tokens.length, 0, 'no token was issued for it');
        await publicToken();
        emu.state.reset();
      }
    });

    it('a hung call the client gives up on is dropped; a counted hang holds only the next N calls', async () => {
      emu.state.configure({ fault: { mode: 'hang', times: 1 } });
      const abort = new AbortController();
      const held = ecrPublic().send(new PublicGetToken({}), { abortSignal: abort.signal });
      await new Promise((resolve) => setTimeout(resolve, 200));
      abort.abort();
      await assert.rejects(held, { name: 'AbortError' });
      await publicToken();
      assert.equal(emu.state.calls()['ecr-public:GetAuthorizationToken'].ok, 1);
    });

    it('invalid config is refused and changes nothing', () => {
      const before = emu.state.config();
      for (const bad of [
        { tokenLifetimeSeconds: 0 },
        { tokenLifetimeSeconds: 43201 },
        { tokenLifetimeSeconds: 1.5 },
        { tokenMode: 'fixed' as const },
        { fault: { mode: 'explode' } },
        { fault: { mode: 'throttle' as const, times: 0 } },
        { surprise: true },
      ]) {
        assert.throws(() => emu.state.configure(bad as never), { name: 'ConfigError' }, JSON.stringify(bad));
      }
      assert.deepEqual(emu.state.config(), before);
      assert.equal(emu.state.configure({ tokenLifetimeSeconds: 1 }).tokenLifetimeSeconds, 1);
    });
  });

  describe('control API over HTTP (EmulatorControl)', () => {
    it('configure, config, issued, calls and reset round-trip and match in-process state', async () => {
      const control = new EmulatorControl(`${emu.url}/`);
      const cfg = await control.configure({ tokenLifetimeSeconds: 120, tokenMode: 'fixed', fixedPassword: 'over-http', fault: { mode: 'throttle', times: 1 } });
      assert.deepEqual(cfg, emu.state.config());
      assert.deepEqual(await control.config(), {
        tokenLifetimeSeconds: 120,
        tokenMode: 'fixed',
        fixedPassword: 'over-http',
        credentialsLifetimeSeconds: 3600,
        fault: { mode: 'throttle', times: 1, delayMs: 2000 },
        rolesAnywhere: [],
      });
      await rejectsWith(ecrPublic().send(new PublicGetToken({})), 'ThrottlingException', 400);
      const data = await publicToken();
      assert.equal(decode(data?.authorizationToken), 'AWS:over-http');
      assert.ok(Math.abs((data?.expiresAt?.getTime() ?? 0) - (Date.now() + 120_000)) < 10_000);
      const issued = await control.issued();
      assert.deepEqual(issued, emu.state.issued());
      assert.equal(issued.tokens.length, 1);
      assert.equal(issued.tokens[0]?.password, 'over-http');
      const calls = await control.calls();
      assert.deepEqual(calls['ecr-public:GetAuthorizationToken'], { total: 2, ok: 1, rejected: 1, errors: { ThrottlingException: 1 } });
      const afterReset = await control.reset();
      assert.equal(afterReset.tokenMode, 'random');
      assert.equal(afterReset.tokenLifetimeSeconds, 43200);
      assert.deepEqual((await control.issued()).tokens, []);
      assert.equal((await control.calls())['ecr-public:GetAuthorizationToken'].total, 0);
    });

    it('invalid patches are refused with HTTP 400', async () => {
      const control = new EmulatorControl(emu.url);
      await assert.rejects(control.configure({ tokenLifetimeSeconds: 99999 }), /HTTP 400/);
      await assert.rejects(control.configure({ tokenMode: 'fixed' }), /HTTP 400.*fixedPassword/);
      assert.equal((await control.config()).tokenLifetimeSeconds, 43200);
    });
  });

  describe('real AWS CLI v2 (/usr/bin/aws)', { skip: awsCliMissing() ?? false, timeout: 300_000 }, () => {
    it('ecr-public get-login-password prints the recorded password', async () => {
      const r = await runAwsCli(['ecr-public', 'get-login-password', '--region', 'us-east-1', '--endpoint-url', emu.url], STATIC);
      assert.equal(r.code, 0, r.stderr);
      const [issued] = emu.state.issued().tokens;
      assert.equal(issued?.api, 'ecr-public');
      assert.equal(r.stdout.trim(), issued?.password);
    });

    it('ecr get-login-password --region eu-west-1 prints the recorded password', async () => {
      const r = await runAwsCli(['ecr', 'get-login-password', '--region', 'eu-west-1', '--endpoint-url', emu.url], STATIC);
      assert.equal(r.code, 0, r.stderr);
      const [issued] = emu.state.issued().tokens;
      assert.equal(issued?.api, 'ecr');
      assert.equal(issued?.region, 'eu-west-1');
      assert.equal(r.stdout.trim(), issued?.password);
    });

    it('sts assume-role-with-web-identity returns credentials that then work for ecr-public', async () => {
      const r = await runAwsCli(
        [
          'sts',
          'assume-role-with-web-identity',
          '--region',
          'us-east-1',
          '--role-arn',
          ROLE_ARN,
          '--role-session-name',
          'cli-session',
          '--web-identity-token',
          'cli-web-token',
          '--endpoint-url',
          emu.url,
          '--output',
          'json',
        ],
        STATIC,
      );
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string } };
      const [call] = emu.state.issued().webIdentity;
      assert.equal(call?.webIdentityToken, 'cli-web-token');
      assert.equal(call?.roleArn, ROLE_ARN);
      assert.equal(out.Credentials.AccessKeyId, call?.accessKeyId);
      assert.ok(Date.parse(out.Credentials.Expiration) > Date.now());
      const temp: Creds = {
        accessKeyId: out.Credentials.AccessKeyId,
        secretAccessKey: out.Credentials.SecretAccessKey,
        sessionToken: out.Credentials.SessionToken,
      };
      const login = await runAwsCli(['ecr-public', 'get-login-password', '--region', 'us-east-1', '--endpoint-url', emu.url], temp);
      assert.equal(login.code, 0, login.stderr);
      assert.equal(emu.state.issued().tokens[0]?.accessKeyId, temp.accessKeyId);
    });

    it('wrong secret key fails with InvalidSignatureException', async () => {
      const r = await runAwsCli(['ecr-public', 'get-login-password', '--region', 'us-east-1', '--endpoint-url', emu.url], {
        accessKeyId: AK,
        secretAccessKey: 'wrong',
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /InvalidSignatureException/);
    });
  });

  describe('main.ts as a child process', () => {
    it('prints one URL line, serves SDK and control calls, logs without secrets, exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
      const main = fileURLToPath(new URL('./main.ts', import.meta.url));
      const child = spawn(
        process.execPath,
        [main, '--host', '127.0.0.1', '--port', '0', '--access-key-id', AK, '--secret-access-key', SK, '--container-auth-token', CONTAINER_TOKEN],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
      try {
        const line = await new Promise<string>((resolve, reject) => {
          child.stdout.setEncoding('utf8').on('data', (c: string) => {
            stdout += c;
            if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
          });
          child.on('exit', () => reject(new Error(`emulator exited early: ${stderr}`)));
        });
        const { url } = JSON.parse(line) as { url: string };
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
        const control = new EmulatorControl(url);
        await control.configure({ tokenMode: 'fixed', fixedPassword: 'child-secret-password' });
        const out = await new ECRPUBLICClient({ region: 'us-east-1', endpoint: url, credentials: STATIC, maxAttempts: 1 }).send(new PublicGetToken({}));
        assert.equal(decode(out.authorizationData?.authorizationToken), 'AWS:child-secret-password');
        assert.equal((await control.calls())['ecr-public:GetAuthorizationToken'].ok, 1);
        // The log line travels on a different pipe than the HTTP answer, so give it a moment.
        for (let i = 0; i < 50 && !/ecr-public:GetAuthorizationToken -> 200/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
        assert.match(stderr, /ecr-public:GetAuthorizationToken -> 200/);
        assert.ok(!stderr.includes('child-secret-password') && !stderr.includes(out.authorizationData?.authorizationToken ?? '\0'), 'stderr leaks the token');
      } finally {
        child.kill('SIGTERM');
      }
      assert.deepEqual(await exited, [0, null]);
      assert.equal(stdout, `${stdout.split('\n')[0]}\n`, 'stdout must be exactly one line');
    });
  });
});
