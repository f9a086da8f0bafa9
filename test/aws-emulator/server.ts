// One loopback HTTP server for everything the tests need from AWS: ECR Public
// and ECR GetAuthorizationToken, STS AssumeRoleWithWebIdentity, a container
// credentials endpoint, IAM Roles Anywhere CreateSession, and the
// unauthenticated /_emulator/ control API.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleContainerCredentials } from './container.ts';
import { handleTokenCall, Unanswered } from './ecr.ts';
import { jsonError, type Reply } from './reply.ts';
import { handleCreateSession } from './rolesanywhere.ts';
import type { ReceivedRequest } from './sigv4.ts';
import { ConfigError, EmulatorState } from './state.ts';
import { handleAssumeRoleWithWebIdentity } from './sts.ts';
import type { EmulatorConfigPatch } from './types.ts';

export interface EmulatorOptions {
  /** Defaults to 127.0.0.1. The control API is unauthenticated: bind only where tests alone can reach it. */
  host?: string;
  /** 0 or absent = any free port. */
  port?: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** Enables GET /container-credentials, which requires this exact Authorization header. */
  containerAuthToken?: string;
  /** Account used in proxyEndpoint and container credentials; default 123456789012. */
  accountId?: string;
  /** Called with one line per request; never given tokens, passwords or query strings. */
  log?: (line: string) => void;
  /**
   * The emulator's time (epoch ms) for Roles Anywhere's signature age and certificate dates and
   * for the expiry of credentials it issues; Date.now unless a test runs it on a FakeClock.
   */
  now?: () => number;
}

export interface RunningEmulator {
  /** http://HOST:PORT, no trailing slash. */
  url: string;
  port: number;
  /** The same state the /_emulator/ API reads and changes. */
  state: EmulatorState;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function plainJson(status: number, value: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value), op: 'other', error: null };
}

function controlRoute(state: EmulatorState, method: string, path: string, body: Buffer): Reply {
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case 'GET /_emulator/config':
        return plainJson(200, state.config());
      case 'POST /_emulator/config':
        return plainJson(200, state.configure(JSON.parse(body.toString('utf8') || '{}') as EmulatorConfigPatch));
      case 'POST /_emulator/reset':
        state.reset();
        return plainJson(200, state.config());
      case 'GET /_emulator/issued':
        return plainJson(200, state.issued());
      case 'GET /_emulator/calls':
        return plainJson(200, state.calls());
      default:
        return plainJson(404, { error: `no control route ${route}` });
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SyntaxError) return plainJson(400, { error: err.message });
    throw err;
  }
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const state = new EmulatorState({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    accountId: options.accountId ?? '123456789012',
    ...(options.now ? { now: options.now } : {}),
  });
  // Aborted on close() so 'slow' faults do not hold the process open.
  const closing = new AbortController();

  async function route(req: IncomingMessage, url: URL, body: Buffer): Promise<Reply> {
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    if (path.startsWith('/_emulator/')) return controlRoute(state, method, path, body);
    if (method === 'GET' && (path === '/container-credentials' || path.startsWith('/container-credentials/'))) {
      return handleContainerCredentials(state, req.headers, options.containerAuthToken);
    }
    const target = req.headers['x-amz-target'];
    const received = (): ReceivedRequest => {
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of url.searchParams) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      return { method, path, query, headers: req.headers, body };
    };
    if (method === 'POST' && path === '/sessions') return handleCreateSession(state, received());
    if (method === 'POST' && typeof target === 'string') return handleTokenCall(state, received(), target, closing.signal);
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if ((method === 'POST' && form) || (method === 'GET' && url.searchParams.has('Action'))) {
      const params = new URLSearchParams(url.search);
      if (method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
      return handleAssumeRoleWithWebIdentity(state, params);
    }
    return jsonError('other', 404, 'UnknownOperationException', `Nothing emulated at ${method} ${path}.`);
  }

  const server = createServer((req, res: ServerResponse) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    void (async () => {
      let reply: Reply;
      try {
        reply = await route(req, url, await readBody(req));
      } catch (err) {
        if (closing.signal.aborted || err instanceof Unanswered) {
          if (err instanceof Unanswered) options.log?.(`${req.method} ${url.pathname} hang -> dropped unanswered ${Date.now() - started}ms`);
          res.destroy();
          return;
        }
        reply =
          err instanceof BodyTooLarge
            ? jsonError('other', 413, 'RequestEntityTooLarge', 'Request body exceeds 1 MiB.')
            : jsonError('other', 500, 'InternalFailure', `Emulator bug: ${String(err)}`);
      }
      if (!url.pathname.startsWith('/_emulator/')) state.recordCall(reply.op, reply.error);
      res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
      options.log?.(`${req.method} ${url.pathname} ${reply.op} -> ${reply.status}${reply.error ? ` ${reply.error}` : ''} ${Date.now() - started}ms`);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
