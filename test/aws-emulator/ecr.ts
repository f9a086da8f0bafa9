// GetAuthorizationToken for ECR Public (SpencerFrontendService) and private
// ECR (AmazonEC2ContainerRegistry_V20150921), both awsJson1.1 and SigV4-signed.
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonError, jsonReply, type Reply } from './reply.ts';
import { verifySigV4, type ReceivedRequest } from './sigv4.ts';
import type { EmulatorState } from './state.ts';
import type { FaultMode, IssuedToken, Operation, TokenApi } from './types.ts';

interface Service {
  api: TokenApi;
  op: Operation;
  signingName: string;
  /** ECR Public's only endpoint is us-east-1; private ECR works in any region. */
  region?: string;
}

const SERVICES: Record<string, Service> = {
  SpencerFrontendService: { api: 'ecr-public', op: 'ecr-public:GetAuthorizationToken', signingName: 'ecr-public', region: 'us-east-1' },
  AmazonEC2ContainerRegistry_V20150921: { api: 'ecr', op: 'ecr:GetAuthorizationToken', signingName: 'ecr' },
};

/** A call the 'hang' fault held and then dropped without an answer. */
export class Unanswered extends Error {
  override name = 'Unanswered';
}

/** Resolves when `signal` aborts, never otherwise. */
function until(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export function isTokenTarget(target: string): boolean {
  const prefix = target.split('.')[0] ?? '';
  return Object.hasOwn(SERVICES, prefix);
}

/** The token as sent plus the password a client should find in it, shaped by the fault. */
function encodeToken(password: string, fault: FaultMode): { authorizationToken: string; password: string | null } {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  switch (fault) {
    case 'malformed-not-base64':
      return { authorizationToken: '%%not*base64%%', password: null };
    case 'malformed-no-colon':
      return { authorizationToken: b64(`AWS${password.replaceAll(':', '')}`), password };
    case 'malformed-empty-password':
      return { authorizationToken: b64('AWS:'), password: '' };
    default:
      return { authorizationToken: b64(`AWS:${password}`), password };
  }
}

export async function handleTokenCall(state: EmulatorState, req: ReceivedRequest, target: string, signal: AbortSignal): Promise<Reply> {
  const [prefix = '', operation = ''] = target.split('.');
  const service = SERVICES[prefix];
  if (!service || operation !== 'GetAuthorizationToken') {
    return jsonError('other', 400, 'UnknownOperationException', `The emulator does not implement ${target}.`);
  }
  const op = service.op;
  const contentType = String(req.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/x-amz-json-1.1')) {
    return jsonError(op, 400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1.');
  }
  const expected = service.region === undefined ? { service: service.signingName } : { service: service.signingName, region: service.region };
  const auth = await verifySigV4(req, (id) => state.lookupKey(id), expected);
  if (!auth.ok) return jsonError(op, auth.status, auth.code, auth.message);

  let input: unknown;
  try {
    input = req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8'));
  } catch {
    return jsonError(op, 400, 'SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return jsonError(op, 400, 'SerializationException', 'Request body must be a JSON object.');
  }
  let registryIds: string[] = [state.accountId];
  const requested = (input as { registryIds?: unknown }).registryIds;
  if (service.api === 'ecr' && requested !== undefined) {
    if (!Array.isArray(requested) || requested.length < 1 || requested.length > 10 || !requested.every((id) => typeof id === 'string' && /^\d{12}$/.test(id))) {
      return jsonError(op, 400, 'InvalidParameterException', 'registryIds must be 1 to 10 twelve-digit account ids.');
    }
    registryIds = requested as string[];
  }

  const fault = state.takeFault();
  if (fault.mode === 'throttle') return jsonError(op, 400, 'ThrottlingException', 'Rate exceeded');
  if (fault.mode === 'error500') return jsonError(op, 500, 'ServerException', 'Internal service error (emulated).');
  if (fault.mode === 'slow') await sleep(fault.delayMs, undefined, { signal });
  if (fault.mode === 'hang') {
    // Counted on arrival, so a test can see how many calls are being held.
    state.recordCall(op, 'Hang');
    await until(AbortSignal.any([state.hangsReleased(), signal]));
    throw new Unanswered(`${op} held by the hang fault, dropped unanswered`);
  }

  const config = state.config();
  // AWS sends fractional epoch seconds; keep that so callers cannot assume integers.
  const expiresAtMs = fault.mode === 'expired' ? Date.now() - 3600_000 : Date.now() + config.tokenLifetimeSeconds * 1000;
  const expiresAt = Math.round(expiresAtMs) / 1000;
  const entries = registryIds.map((registryId) => {
    const { authorizationToken, password } = encodeToken(state.newPassword(), fault.mode);
    const record: IssuedToken = {
      api: service.api,
      password,
      authorizationToken,
      expiresAt,
      issuedAt: new Date().toISOString(),
      fault: fault.mode,
      region: auth.region,
      accessKeyId: auth.key.accessKeyId,
    };
    if (service.api === 'ecr') {
      record.registryId = registryId;
      record.proxyEndpoint = `https://${registryId}.dkr.ecr.${auth.region}.amazonaws.com`;
    }
    state.recordToken(record);
    return service.api === 'ecr' ? { authorizationToken, expiresAt, proxyEndpoint: record.proxyEndpoint } : { authorizationToken, expiresAt };
  });
  const authorizationData = service.api === 'ecr' ? entries : entries[0];
  return jsonReply(op, 200, { authorizationData });
}
