// The value every route handler returns: the response plus what the call
// counter and the request log need to know about it.
import { randomUUID } from 'node:crypto';
import type { Operation } from './types.ts';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  op: Operation;
  /** Error code for rejected calls, null for successful ones. */
  error: string | null;
}

const AMZ_JSON = 'application/x-amz-json-1.1';

export function jsonReply(op: Operation, status: number, value: unknown, contentType: string = AMZ_JSON): Reply {
  return {
    status,
    headers: { 'content-type': contentType, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(value),
    op,
    error: null,
  };
}

/** awsJson1.1 error: SDKs read the code from __type (and x-amzn-errortype). */
export function jsonError(op: Operation, status: number, code: string, message: string): Reply {
  const reply = jsonReply(op, status, { __type: code, message });
  reply.headers['x-amzn-errortype'] = code;
  reply.error = code;
  return reply;
}
