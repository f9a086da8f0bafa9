// STS AssumeRoleWithWebIdentity over the awsQuery protocol: form-encoded
// request, XML response in the exact element layout STS uses. The call is
// unsigned in AWS too (the web identity token is the credential).
import { randomUUID } from 'node:crypto';
import type { Reply } from './reply.ts';
import type { EmulatorState } from './state.ts';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const OP = 'sts:AssumeRoleWithWebIdentity' as const;
const ROLE_ARN_RE = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function xmlReply(status: number, body: string, error: string | null): Reply {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
    op: OP,
    error,
  };
}

export function stsError(status: number, code: string, message: string): Reply {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return xmlReply(
    status,
    `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`,
    code,
  );
}

/** Claims of a JWT web identity token, if it is one; tokens need not be JWTs here. */
function jwtClaims(token: string): { sub?: unknown; aud?: unknown; iss?: unknown } {
  try {
    const payload = token.split('.')[1];
    return payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as object) : {};
  } catch {
    return {};
  }
}

export function handleAssumeRoleWithWebIdentity(state: EmulatorState, params: URLSearchParams): Reply {
  const action = params.get('Action') ?? '';
  const version = params.get('Version') ?? '';
  if (action !== 'AssumeRoleWithWebIdentity' || version !== '2011-06-15') {
    return { ...stsError(400, 'InvalidAction', `Could not find operation ${action} for version ${version}`), op: 'other' };
  }
  const roleArn = params.get('RoleArn') ?? '';
  const roleSessionName = params.get('RoleSessionName') ?? '';
  const webIdentityToken = params.get('WebIdentityToken') ?? '';
  const durationParam = params.get('DurationSeconds');
  const durationSeconds = durationParam === null ? null : Number(durationParam);
  const record = (accessKeyId: string | null) =>
    state.recordWebIdentity({
      roleArn,
      roleSessionName,
      webIdentityToken,
      durationSeconds,
      accepted: accessKeyId !== null,
      accessKeyId,
      receivedAt: new Date().toISOString(),
    });

  const roleMatch = ROLE_ARN_RE.exec(roleArn);
  let problem: [string, string] | null = null;
  if (!roleMatch) problem = ['ValidationError', `Request ARN is invalid: '${roleArn}'`];
  else if (!SESSION_NAME_RE.test(roleSessionName))
    problem = ['ValidationError', "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint"];
  else if (webIdentityToken === '') problem = ['InvalidIdentityToken', 'The web identity token provided is empty.'];
  else if (durationSeconds !== null && !(Number.isInteger(durationSeconds) && durationSeconds >= 900 && durationSeconds <= 43200)) {
    problem = ['ValidationError', "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must be between 900 and 43200"];
  }
  if (problem || !roleMatch) {
    record(null);
    const [code, message] = problem ?? ['ValidationError', 'invalid request'];
    return stsError(400, code, message);
  }

  const [, roleAccount = '', roleName = ''] = roleMatch;
  const creds = state.issueTemporaryCredentials('sts', durationSeconds ?? undefined);
  record(creds.accessKeyId);
  const claims = jwtClaims(webIdentityToken);
  const subject = typeof claims.sub === 'string' ? claims.sub : 'emulated-subject';
  const audience =
    typeof claims.aud === 'string' ? claims.aud : Array.isArray(claims.aud) && typeof claims.aud[0] === 'string' ? claims.aud[0] : 'sts.amazonaws.com';
  const provider = typeof claims.iss === 'string' ? claims.iss.replace(/^https:\/\//, '') : 'oidc.emulator.local';
  const roleId = `AROA${creds.accessKeyId.slice(4)}`;
  return xmlReply(
    200,
    `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">
  <AssumeRoleWithWebIdentityResult>
    <Audience>${xmlEscape(audience)}</Audience>
    <AssumedRoleUser>
      <AssumedRoleId>${roleId}:${xmlEscape(roleSessionName)}</AssumedRoleId>
      <Arn>arn:aws:sts::${roleAccount}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(roleSessionName)}</Arn>
    </AssumedRoleUser>
    <Provider>${xmlEscape(provider)}</Provider>
    <Credentials>
      <AccessKeyId>${creds.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${xmlEscape(creds.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${xmlEscape(creds.sessionToken)}</SessionToken>
      <Expiration>${creds.expiration.toISOString().replace('.000Z', 'Z')}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>${xmlEscape(subject)}</SubjectFromWebIdentityToken>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`,
    null,
  );
}
