// IAM Roles Anywhere CreateSession (restJson1: POST /sessions), as the service checks it
// (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/authentication.html and
// authentication-sign-process.html): the SigV4-shaped signature made with the certificate's
// key (AWS4-X509-RSA-SHA256 / AWS4-X509-ECDSA-SHA256) verified against the certificate in
// X-Amz-X509, a chain through X-Amz-X509-Chain to a CA of the named trust anchor, validity
// dates on the emulator's clock, and the profile and role the trust anchor is configured with.
// Accepted: temporary credentials its ECR and ECR Public endpoints then take, in the answer
// shape of the service (credentialSet[0].credentials, as the AWS signing helper decodes it).
//
// Written apart from the product's signer (src/aws/roles-anywhere-signing.ts) on purpose: the
// emulator is checked against the real signing helper, the product against the emulator.
import { createHash, randomUUID, verify, X509Certificate } from 'node:crypto';
import type { ReceivedRequest } from './sigv4.ts';
import type { EmulatorState } from './state.ts';
import type { Reply } from './reply.ts';
import type { RolesAnywhereSessionCall, RolesAnywhereTrust } from './types.ts';

const OP = 'rolesanywhere:CreateSession' as const;
const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTH_RE =
  /^(AWS4-X509-(?:RSA|ECDSA)-SHA256) Credential=(\d+)\/(\d{8})\/([a-z0-9-]+)\/rolesanywhere\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]+)$/;

class Refusal extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** restJson1 errors: the code in X-Amzn-ErrorType, the message in the body. */
function errorReply(refusal: Refusal): Reply {
  return {
    status: refusal.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': refusal.code, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ message: refusal.message }),
    op: OP,
    error: refusal.code,
  };
}

function header(req: ReceivedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters as they are, the rest %XX. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: ReceivedRequest['query']): string {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(query)) for (const v of Array.isArray(value) ? value : [value]) pairs.push([uriEncode(name), uriEncode(v)]);
  pairs.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

function parseDer(base64: string, what: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    throw new Refusal(400, 'ValidationException', `${what} is not a base64 DER X.509 certificate.`);
  }
}

function decimal(serialHex: string): string {
  return BigInt(`0x${serialHex}`).toString(10);
}

function amzDateMs(value: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(ms) ? null : ms;
}

interface Verified {
  algorithm: string;
  certificate: X509Certificate;
  chain: X509Certificate[];
  region: string;
}

/** The signature, made by the key of the certificate the request carries. */
function verifySignature(req: ReceivedRequest, nowMs: number): Verified {
  const authorization = header(req, 'authorization');
  if (!authorization) throw new Refusal(403, 'AccessDeniedException', 'Missing Authentication Token');
  const m = AUTH_RE.exec(authorization);
  if (!m) throw new Refusal(403, 'AccessDeniedException', 'Authorization header is not a well-formed AWS4-X509 signature.');
  const [, algorithm = '', serial = '', scopeDate = '', region = '', signedList = '', signature = ''] = m;
  const x509 = header(req, 'x-amz-x509');
  if (!x509) throw new Refusal(403, 'AccessDeniedException', 'Missing X-Amz-X509 header.');
  const certificate = parseDer(x509, 'X-Amz-X509');
  const chainHeader = header(req, 'x-amz-x509-chain');
  const chain = chainHeader ? chainHeader.split(',').map((part, i) => parseDer(part.trim(), `X-Amz-X509-Chain certificate ${i + 1}`)) : [];
  if (decimal(certificate.serialNumber) !== serial) {
    throw new Refusal(403, 'AccessDeniedException', 'Credential serial number does not match the X-Amz-X509 certificate.');
  }
  const keyType = certificate.publicKey.asymmetricKeyType;
  if ((algorithm === 'AWS4-X509-RSA-SHA256') !== (keyType === 'rsa') || (algorithm === 'AWS4-X509-ECDSA-SHA256') !== (keyType === 'ec')) {
    throw new Refusal(403, 'AccessDeniedException', `${algorithm} does not fit the certificate's ${keyType} key.`);
  }
  const signed = signedList.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-x509', ...(chainHeader ? ['x-amz-x509-chain'] : [])]) {
    if (!signed.includes(required)) throw new Refusal(403, 'AccessDeniedException', `'${required}' must be a signed header.`);
  }
  const amzDate = header(req, 'x-amz-date') ?? '';
  const signedAt = amzDateMs(amzDate);
  if (signedAt === null || amzDate.slice(0, 8) !== scopeDate) {
    throw new Refusal(403, 'AccessDeniedException', 'X-Amz-Date is malformed or does not match the credential scope date.');
  }
  if (Math.abs(nowMs - signedAt) > MAX_SKEW_MS)
    throw new Refusal(403, 'AccessDeniedException', `Signature expired: ${amzDate} is outside the allowed 5 minute clock skew.`);

  const canonicalHeaders = signed
    .map((name) => {
      const value = header(req, name);
      if (value === undefined) throw new Refusal(403, 'AccessDeniedException', `Signed header '${name}' is missing from the request.`);
      return `${name}:${value.trim().replace(/ +/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = createHash('sha256').update(req.body).digest('hex');
  const canonical = [req.method, req.path, canonicalQuery(req.query), canonicalHeaders, signedList, payloadHash].join('\n');
  const stringToSign = [algorithm, amzDate, `${scopeDate}/${region}/rolesanywhere/aws4_request`, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  let ok = false;
  try {
    ok = verify('sha256', Buffer.from(stringToSign), certificate.publicKey, Buffer.from(signature, 'hex'));
  } catch {
    ok = false;
  }
  if (!ok) throw new Refusal(403, 'AccessDeniedException', 'Signature validation failed.');
  return { algorithm, certificate, chain, region };
}

function parseCas(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((block) => new X509Certificate(block[0]));
}

function validAt(certificate: X509Certificate, nowMs: number): boolean {
  return certificate.validFromDate.getTime() <= nowMs && nowMs <= certificate.validToDate.getTime();
}

/** A path from the certificate through the given intermediates to one of the trust anchor's CAs. */
function checkTrust(verified: Verified, trust: RolesAnywhereTrust, nowMs: number): void {
  const anchors = parseCas(trust.caCertificates);
  const issuedBy = (child: X509Certificate, parent: X509Certificate): boolean => child.checkIssued(parent) && child.verify(parent.publicKey);
  let current = verified.certificate;
  for (let depth = 0; depth <= verified.chain.length; depth++) {
    if (!validAt(current, nowMs)) {
      throw new Refusal(
        403,
        'AccessDeniedException',
        current === verified.certificate ? 'Certificate is expired or not yet valid.' : 'A certificate in the chain is expired or not yet valid.',
      );
    }
    const anchor = anchors.find((ca) => issuedBy(current, ca));
    if (anchor) {
      if (!validAt(anchor, nowMs)) throw new Refusal(403, 'AccessDeniedException', 'The trust anchor certificate is expired or not yet valid.');
      return;
    }
    const next = verified.chain.find((candidate) => candidate.ca && issuedBy(current, candidate));
    if (!next) break;
    current = next;
  }
  throw new Refusal(403, 'AccessDeniedException', 'Untrusted Signing Certificate');
}

interface Parameters {
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  durationSeconds: number | null;
  parametersIn: 'body' | 'query';
}

/** The docs allow the ARNs in the query string (the signing helper) or the JSON body. */
function parameters(req: ReceivedRequest): Parameters {
  let body: Record<string, unknown> = {};
  if (req.body.length > 0) {
    try {
      const parsed = JSON.parse(req.body.toString('utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      else throw new Error('not an object');
    } catch {
      throw new Refusal(400, 'ValidationException', 'Request body must be a JSON object.');
    }
  }
  const pick = (name: string): string => {
    const fromQuery = req.query[name];
    const value = (Array.isArray(fromQuery) ? fromQuery[0] : fromQuery) ?? body[name];
    if (typeof value !== 'string' || value === '') throw new Refusal(400, 'ValidationException', `${name} is required.`);
    return value;
  };
  const duration = body['durationSeconds'];
  if (duration !== undefined && !(Number.isInteger(duration) && (duration as number) >= 900 && (duration as number) <= 43200)) {
    throw new Refusal(400, 'ValidationException', 'durationSeconds must be between 900 and 43200.');
  }
  return {
    trustAnchorArn: pick('trustAnchorArn'),
    profileArn: pick('profileArn'),
    roleArn: pick('roleArn'),
    durationSeconds: (duration as number | undefined) ?? null,
    parametersIn: req.query['profileArn'] !== undefined ? 'query' : 'body',
  };
}

export function handleCreateSession(state: EmulatorState, req: ReceivedRequest): Reply {
  const nowMs = state.now();
  const call: RolesAnywhereSessionCall = {
    trustAnchorArn: '',
    profileArn: '',
    roleArn: '',
    durationSeconds: null,
    algorithm: /^(\S+)/.exec(header(req, 'authorization') ?? '')?.[1] ?? '',
    serialNumber: null,
    subject: null,
    issuer: null,
    chainLength: 0,
    parametersIn: 'body',
    accepted: false,
    error: null,
    accessKeyId: null,
    receivedAt: new Date(nowMs).toISOString(),
  };
  try {
    const x509 = header(req, 'x-amz-x509');
    if (x509) {
      const certificate = parseDer(x509, 'X-Amz-X509');
      Object.assign(call, { serialNumber: certificate.serialNumber, subject: certificate.subject, issuer: certificate.issuer });
    }
    if (!String(header(req, 'content-type') ?? '').startsWith('application/json')) {
      throw new Refusal(415, 'UnsupportedMediaTypeException', 'Content-Type must be application/json.');
    }
    const params = parameters(req);
    Object.assign(call, params);
    const verified = verifySignature(req, nowMs);
    call.chainLength = verified.chain.length;
    const trust = state.config().rolesAnywhere.find((candidate) => candidate.trustAnchorArn === params.trustAnchorArn);
    if (!trust) throw new Refusal(404, 'ResourceNotFoundException', `Trust anchor ${params.trustAnchorArn} not found.`);
    const anchorRegion = params.trustAnchorArn.split(':')[3];
    if (verified.region !== anchorRegion) throw new Refusal(403, 'AccessDeniedException', 'Credential should be scoped to the trust anchor region.');
    if (trust.profileArn !== params.profileArn) throw new Refusal(404, 'ResourceNotFoundException', `Profile ${params.profileArn} not found.`);
    checkTrust(verified, trust, nowMs);
    if (!trust.roleArns.includes(params.roleArn)) throw new Refusal(403, 'AccessDeniedException', `Unable to assume role ${params.roleArn}.`);

    const creds = state.issueTemporaryCredentials('rolesanywhere', trust.sessionSecondsOverride ?? params.durationSeconds ?? 3600);
    call.accepted = true;
    call.accessKeyId = creds.accessKeyId;
    state.recordRolesAnywhere(call);
    const [, , , , account = state.accountId, resource = 'role/x'] = params.roleArn.split(':');
    const roleName = resource.split('/').pop() ?? 'role';
    const sessionName = verified.certificate.serialNumber.toLowerCase();
    return {
      status: 201,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() },
      body: JSON.stringify({
        credentialSet: [
          {
            assumedRoleUser: {
              arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
              assumedRoleId: `AROA${creds.accessKeyId.slice(4)}:${sessionName}`,
            },
            credentials: {
              accessKeyId: creds.accessKeyId,
              expiration: creds.expiration.toISOString().replace('.000Z', 'Z'),
              secretAccessKey: creds.secretAccessKey,
              sessionToken: creds.sessionToken,
            },
            packedPolicySize: 0,
            roleArn: params.roleArn,
            sourceIdentity: verified.certificate.subject.replace(/\n/g, ','),
          },
        ],
        subjectArn: `arn:aws:rolesanywhere:${anchorRegion}:${account}:subject/${randomUUID()}`,
      }),
      op: OP,
      error: null,
    };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    call.error = `${err.code}: ${err.message}`;
    state.recordRolesAnywhere(call);
    return errorReply(err);
  }
}
