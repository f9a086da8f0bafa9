// An HTTP forward proxy that makes local test registries answer to real registry names
// (public.ecr.aws, ecr-public.aws.com, ACCOUNT.dkr-ecr.REGION.on.aws). skopeo, given it as
// HTTP_PROXY/HTTPS_PROXY, pulls `ecr-public.aws.com/demo/hello:1` by that name and looks the
// credentials up under that name in its auth file, as kubelet looks a pull secret's entry up
// by the image's host, while the bytes come from the local registry. No /etc/hosts, no DNS, and
// nothing leaves the machine: CONNECT (https) is refused, so skopeo (--src-tls-verify=false)
// falls back to plain http through the proxy, and a name without a route is answered 502.
import { createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
  /** The registry name asked for. */
  readonly host: string;
  readonly method: string;
  readonly path: string;
}

export interface NameProxy {
  /** http://127.0.0.1:PORT, for HTTP_PROXY and HTTPS_PROXY. */
  readonly url: string;
  /** Every plain-http request, in order; CONNECT attempts are not in it. */
  readonly requests: readonly ProxiedRequest[];
  close(): Promise<void>;
}

/** `routes`: registry name -> the local registry ("127.0.0.1:PORT") that answers for it. */
export async function startNameProxy(routes: Readonly<Record<string, string>>): Promise<NameProxy> {
  const requests: ProxiedRequest[] = [];
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("a forward proxy takes absolute URLs");
      return;
    }
    const target = routes[url.host];
    requests.push({ host: url.host, method: req.method ?? "GET", path: url.pathname });
    if (url.protocol !== "http:" || target === undefined) {
      res.writeHead(502).end(`no route to ${url.host}`);
      return;
    }
    const [hostname, port] = target.split(":");
    const headers: OutgoingHttpHeaders = { ...req.headers, host: target };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const upstream = request({ hostname, port: Number(port), method: req.method, path: `${url.pathname}${url.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  };
  const server = createServer(forward);
  server.on("connect", (_req, socket) => {
    socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
