// The probe and metrics endpoints: /healthz (the event loop answers), /readyz (the caller's
// check), /metrics (Prometheus text). Plain node:http; nothing here needs a framework.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

/** Where to listen (config/controller.ts parses it from --*-bind-address). */
export interface BindAddress {
  readonly host: string;
  readonly port: number;
}

export interface Readiness {
  readonly ready: boolean;
  readonly detail: string;
}

/** A port we could not listen on: `run` cannot serve its probes or metrics, so it must not start. */
export class BindError extends Error {
  override readonly name = "BindError";
  readonly address: BindAddress;
  /** The system's code (EADDRINUSE, EACCES, EADDRNOTAVAIL), or undefined. */
  readonly code: string | undefined;
  /** What went wrong, in a user's words. */
  readonly reason: string;

  constructor(address: BindAddress, code: string | undefined, reason: string) {
    super(`cannot listen on ${formatAddress(address)}: ${reason}`);
    this.address = address;
    this.code = code;
    this.reason = reason;
  }
}

export function formatAddress({ host, port }: BindAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

const reasons: Readonly<Record<string, string>> = {
  EADDRINUSE: "the address is already in use (another process, or another replica sharing the host network)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "no network interface of this machine has that address",
};

function bindError(address: BindAddress, error: NodeJS.ErrnoException): BindError {
  const said = reasons[error.code ?? ""] ?? (error.message.split("\n")[0] || String(error.code));
  return new BindError(address, error.code, said);
}

function listen(address: BindAddress, handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(bindError(address, error)));
    server.listen(address.port, address.host, () => resolve(server));
  });
}

export function probeServer(address: BindAddress, readiness: () => Readiness): Promise<Server> {
  return listen(address, (req, res) => {
    if (req.url === "/healthz" || req.url === "/livez") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (req.url === "/readyz") {
      const { ready, detail } = readiness();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(`${detail}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
}

export function metricsServer(address: BindAddress, registry: Registry): Promise<Server> {
  return listen(address, (req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
}

export function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
