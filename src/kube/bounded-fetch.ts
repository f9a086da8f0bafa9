// A deadline on every Kubernetes request but a watch. client-node sets none: an API server (or
// a load balancer in front of it) that accepts the connection and never answers would hold a
// `sync` or a controller worker forever. The deadline covers the whole exchange, the body
// included, so a server that sends headers and then stalls is cut off as well.
import { IsomorphicFetchHttpLibrary, ResponseContext, SelfDecodingBody, wrapHttpLibrary, type HttpLibrary, type RequestContext } from "@kubernetes/client-node";
import type { Clock } from "../util/clock.ts";

/**
 * A healthy API server answers our largest call (a cluster-wide list of service accounts)
 * in a few seconds and ends a request itself after 60 s (its --request-timeout); 30 s leaves a
 * loaded server room while the retry policy's four attempts still end within about two minutes.
 */
export const kubeRequestTimeoutMs = 30_000;

/** A request the API server did not finish answering in time: transient, like a dropped connection. */
export class KubeRequestTimeout extends Error {
  override readonly name = "KubeRequestTimeout";
  /** The code errors.ts classifies as a network failure worth retrying. */
  readonly code = "ETIMEDOUT";

  constructor(timeoutMs: number) {
    super(`the API server did not answer within ${formatSeconds(timeoutMs)}`);
  }
}

/**
 * A write not sent because this replica may no longer write (it no longer holds the leader
 * Lease). Checked as the last step before a request leaves, after every await on the way
 * (authentication, an earlier call of the same reconcile): a process woken from a pause handles
 * waiting answers before any timer runs, so a check made earlier may be stale by then.
 */
export class NotLeading extends Error {
  override readonly name = "NotLeading";

  constructor() {
    super("not sent: this replica no longer holds the leader Lease");
  }
}

const writeMethods: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A watch stays open for minutes by design; the informers restart it with backoff instead. */
function isWatch(request: RequestContext): boolean {
  const url = new URL(request.getUrl());
  const watch = url.searchParams.get("watch");
  return watch === "true" || watch === "1" || url.pathname.includes("/watch/");
}

/** The answer read to its end, so that the caller's later read of the body cannot stall. */
async function readWhole(response: ResponseContext): Promise<ResponseContext> {
  const text = await response.body.text();
  return new ResponseContext(response.httpStatusCode, response.headers, new SelfDecodingBody(Promise.resolve(Buffer.from(text, "utf8"))));
}

/**
 * client-node's own fetch, with each non-watch request aborted after `timeoutMs` on `clock`,
 * and each write refused (NotLeading) unless `mayWrite()` says yes at the moment it leaves.
 */
export function boundedHttpLibrary(clock: Clock, timeoutMs: number = kubeRequestTimeoutMs, mayWrite?: () => boolean): HttpLibrary {
  const fetching = new IsomorphicFetchHttpLibrary();
  return wrapHttpLibrary({
    async send(request) {
      if (mayWrite && writeMethods.has(String(request.getHttpMethod())) && !mayWrite()) throw new NotLeading();
      if (isWatch(request)) return fetching.send(request).toPromise();
      const deadline = new AbortController();
      const timer = clock.schedule(timeoutMs, () => deadline.abort(new KubeRequestTimeout(timeoutMs)));
      const own = request.getSignal();
      request.setSignal(own ? AbortSignal.any([own, deadline.signal]) : deadline.signal);
      try {
        return await readWhole(await fetching.send(request).toPromise());
      } catch (error) {
        // undici reports the abort in its own words depending on where it caught it.
        if (deadline.signal.aborted) throw deadline.signal.reason;
        throw error;
      } finally {
        timer.cancel();
      }
    },
  });
}
