// EKS Pod Identity style container credentials endpoint: what the SDK calls
// through AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { jsonReply, type Reply } from './reply.ts';
import type { EmulatorState } from './state.ts';

const OP = 'container-credentials' as const;

function reject(status: number, code: string, message: string): Reply {
  return { ...jsonReply(OP, status, { code, message }, 'application/json'), error: code };
}

export function handleContainerCredentials(state: EmulatorState, headers: IncomingHttpHeaders, expectedToken: string | undefined): Reply {
  if (expectedToken === undefined) return reject(404, 'NotEnabled', 'Start the emulator with a containerAuthToken to enable this endpoint.');
  const given = Buffer.from(String(headers['authorization'] ?? ''));
  const expected = Buffer.from(expectedToken);
  if (given.length === 0) return reject(401, 'MissingAuthorization', 'Authorization header is required.');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return reject(403, 'AccessDenied', 'Authorization token does not match.');
  }
  const creds = state.issueTemporaryCredentials('container');
  return jsonReply(
    OP,
    200,
    {
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      Token: creds.sessionToken,
      AccountId: state.accountId,
      Expiration: creds.expiration.toISOString().replace('.000Z', 'Z'),
    },
    'application/json',
  );
}
