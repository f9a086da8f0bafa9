// Helpers for emulator.test.ts: a hand-signed raw request (to tamper with
// what the SDK would never send) and a runner for the real AWS CLI v2.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RawResult {
  status: number;
  body: string;
  json: { __type?: string; message?: string } & Record<string, unknown>;
}

export interface SignedCall {
  target: string;
  region: string;
  service: string;
  credentials: Creds;
  body?: string;
  signingDate?: Date;
  /** Add x-amz-content-sha256 (signed), as the JS SDK does. */
  withContentSha?: boolean;
  /** Change the request after signing. */
  tamper?: (req: { headers: Record<string, string>; body: string }) => void;
  /** Send without any Authorization header. */
  unsigned?: boolean;
}

export async function signedCall(url: string, call: SignedCall): Promise<RawResult> {
  const { hostname, port } = new URL(url);
  const body = call.body ?? '{}';
  const signer = new SignatureV4({
    credentials: call.credentials,
    region: call.region,
    service: call.service,
    sha256: Sha256,
    applyChecksum: call.withContentSha ?? false,
  });
  const unsignedReq = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: '/',
    headers: { host: `${hostname}:${port}`, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': call.target },
    body,
  });
  const signed = call.unsigned ? unsignedReq : await signer.sign(unsignedReq, { signingDate: call.signingDate ?? new Date() });
  const sent = { headers: { ...(signed.headers as Record<string, string>) }, body };
  call.tamper?.(sent);
  sent.headers['content-length'] = String(Buffer.byteLength(sent.body));
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: 'POST', path: '/', headers: sent.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, json: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(sent.body);
  });
}

export const AWS_CLI = '/usr/bin/aws';

/** Why CLI tests must skip, or null if the Debian AWS CLI v2 is there. */
export function awsCliMissing(): string | null {
  return existsSync(AWS_CLI) ? null : `${AWS_CLI} (AWS CLI v2) is not installed; apt-get install awscli`;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs /usr/bin/aws with a clean environment: no config files, no IMDS, no pager, a throwaway HOME. */
export function runAwsCli(args: string[], creds: Creds): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), 'aws-cli-home-'));
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    HOME: home,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_RETRY_MODE: 'standard',
    AWS_MAX_ATTEMPTS: '1',
  };
  if (creds.sessionToken) env['AWS_SESSION_TOKEN'] = creds.sessionToken;
  return new Promise((resolve) => {
    execFile(AWS_CLI, args, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
