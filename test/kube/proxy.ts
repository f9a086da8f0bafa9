// A TCP proxy in front of the test API server: TLS passes through untouched, so the client
// talks to the real server, but the test decides when the address answers (a server that is
// down, then back, or one that accepts connections and never answers) and counts the
// connections the client opens.
import { createServer, connect, type Server, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { freePort } from "../testenv/processes.ts";

export interface ApiProxy {
  /** A kubeconfig (the admin's identity) whose server is the proxy's address. */
  readonly kc: KubeConfig;
  readonly url: string;
  /** Starts accepting connections; until then the address refuses them. */
  listen(): Promise<void>;
  /** Stops accepting and drops the open connections. */
  close(): Promise<void>;
  /** Connections accepted so far. */
  readonly connections: number;
  /**
   * While true the address hangs, as a stopped API server (or a load balancer in front of a
   * dead one) does: new connections are accepted and never answered, not even the TLS
   * handshake; on open connections the bytes stop flowing, and flow again when it is false.
   */
  silent: boolean;
}

export async function apiProxy(admin: KubeConfig, host = "127.0.0.1"): Promise<ApiProxy> {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("the admin kubeconfig has no cluster");
  const target = new URL(cluster.server);
  const port = await freePort();
  const url = `https://${host}:${port}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: "proxied", server: url }],
    users: admin.users,
    contexts: [{ name: "proxied", cluster: "proxied", user: admin.getCurrentUser()?.name ?? "" }],
    currentContext: "proxied",
  });
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let connections = 0;
  let silent = false;
  const flushes = new Set<() => void>();
  /** Copies `from` to `to`, holding the bytes back while the proxy is silent. */
  const relay = (from: Socket, to: Socket): void => {
    const held: Buffer[] = [];
    const flush = (): void => {
      for (const chunk of held.splice(0)) if (!to.destroyed) to.write(chunk);
    };
    flushes.add(flush);
    from.on("data", (chunk: Buffer) => {
      if (silent) held.push(chunk);
      else if (!to.destroyed) to.write(chunk);
    });
    from.on("end", () => to.end());
    from.on("close", () => flushes.delete(flush));
  };
  const hold = (client: Socket): void => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    client.resume();
  };
  return {
    kc,
    url,
    get connections() {
      return connections;
    },
    get silent() {
      return silent;
    },
    set silent(value: boolean) {
      silent = value;
      if (!value) for (const flush of flushes) flush();
    },
    listen: () =>
      new Promise((resolve, reject) => {
        server = createServer((client) => {
          connections++;
          if (silent) return hold(client);
          const upstream = connect(Number(target.port), target.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
            s.on("error", () => {
              client.destroy();
              upstream.destroy();
            });
          }
          relay(client, upstream);
          relay(upstream, client);
        });
        server.once("error", reject);
        server.listen(port, host, () => resolve());
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server) return resolve();
        server.close(() => resolve());
      }),
  };
}
