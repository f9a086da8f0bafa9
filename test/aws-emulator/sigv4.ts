// SigV4 verification. Rather than re-implementing the canonical request, we
// re-sign the received request with @smithy/signature-v4 (the signer the JS
// SDK itself uses) restricted to the client's SignedHeaders, then compare
// signatures in constant time. The checks around it (scope, clock skew,
// payload hash header, session token) are what AWS enforces on top.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { KnownKey } from './state.ts';

export interface ReceivedRequest {
  method: string;
  /** Path without the query string, percent-decoded. */
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface AuthFailure {
  ok: false;
  status: number;
  code: string;
  message: string;
}
export type AuthResult = { ok: true; key: KnownKey; region: string; service: string } | AuthFailure;

const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

function fail(status: number, code: string, message: string): AuthFailure {
  return { ok: false, status, code, message };
}

const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** 20240102T030405Z -> Date, or null if malformed. */
function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export async function verifySigV4(
  req: ReceivedRequest,
  lookupKey: (accessKeyId: string) => KnownKey | undefined,
  expected: { service: string; region?: string },
  nowMs: number = Date.now(),
): Promise<AuthResult> {
  const authorization = header(req.headers, 'authorization');
  if (!authorization) return fail(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH_RE.exec(authorization);
  if (!m) return fail(400, 'IncompleteSignatureException', 'Authorization header is not a well-formed AWS4-HMAC-SHA256 signature.');
  const [, accessKeyId = '', scopeDate = '', region = '', service = '', signedHeaderList = '', signature = ''] = m;

  const key = lookupKey(accessKeyId);
  if (!key) return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (service !== expected.service) {
    return fail(403, 'InvalidSignatureException', `Credential should be scoped to correct service: '${expected.service}'.`);
  }
  if (expected.region !== undefined && region !== expected.region) {
    return fail(403, 'InvalidSignatureException', 'Credential should be scoped to a valid region.');
  }

  const signedHeaders = signedHeaderList.split(';');
  // Without these signed, host, time or operation could be swapped under a valid signature.
  for (const required of ['host', 'x-amz-date', ...(req.headers['x-amz-target'] ? ['x-amz-target'] : [])]) {
    if (!signedHeaders.includes(required)) {
      return fail(403, 'InvalidSignatureException', `'${required}' must be a signed header.`);
    }
  }
  const amzDate = header(req.headers, 'x-amz-date') ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate || amzDate.slice(0, 8) !== scopeDate) {
    return fail(403, 'InvalidSignatureException', 'X-Amz-Date is malformed or does not match the credential scope date.');
  }
  if (Math.abs(nowMs - signingDate.getTime()) > MAX_SKEW_MS) {
    return fail(403, 'InvalidSignatureException', `Signature expired: ${amzDate} is outside the allowed 5 minute clock skew.`);
  }

  // The signer trusts x-amz-content-sha256 instead of hashing the body, so
  // check it against the body ourselves or a tampered body would pass.
  const declaredHash = header(req.headers, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(req.body).digest('hex')) {
    // AWS's JSON services answer a body/hash mismatch as a signature mismatch.
    return fail(403, 'InvalidSignatureException', 'The x-amz-content-sha256 header does not match the request body.');
  }

  const sessionToken = header(req.headers, 'x-amz-security-token');
  if (key.sessionToken === null) {
    if (sessionToken !== undefined) return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  } else {
    if (sessionToken === undefined || !signedHeaders.includes('x-amz-security-token') || !safeEqual(sessionToken, key.sessionToken)) {
      return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    if (key.expiresAtMs !== null && key.expiresAtMs <= nowMs) {
      return fail(400, 'ExpiredTokenException', 'The security token included in the request is expired');
    }
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) return fail(403, 'InvalidSignatureException', `Signed header '${name}' is missing from the request.`);
    headers[name] = value;
  }
  const signer = new SignatureV4({
    // Session token stays out: its header, if signed, is already in `headers` as received.
    credentials: { accessKeyId, secretAccessKey: key.secretAccessKey },
    region,
    service,
    sha256: Sha256,
    // Do not add x-amz-content-sha256 unless the client signed it.
    applyChecksum: false,
  });
  const resigned = await signer.sign(
    new HttpRequest({ method: req.method, path: req.path, query: req.query, headers, body: new Uint8Array(req.body) }),
    // signableHeaders lets headers the signer would otherwise skip (e.g. user-agent) count when the client signed them.
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expectedAuth = String(resigned.headers['authorization'] ?? '');
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(expectedAuth)?.[1] ?? '';
  const expectedList = /SignedHeaders=([^,]+),/.exec(expectedAuth)?.[1] ?? '';
  // A differing header list means our re-sign did not reproduce the client's canonical request.
  if (expectedList !== signedHeaderList || !safeEqual(expectedSignature, signature)) {
    return fail(403, 'InvalidSignatureException', BAD_SIGNATURE);
  }
  return { ok: true, key, region, service };
}
