// The calls leader election makes on its coordination.k8s.io/v1 Lease, and the bound on them.
// A call is given an AbortSignal that cancels its HTTP request: when an attempt runs out of time
// the request is dropped, so an answer that would have come later is never read and cannot
// bring back a leadership already given up.
import {
  ApiException,
  Observable,
  V1MicroTime,
  type ConfigurationOptions,
  type CoordinationV1Api,
  type ObservableMiddleware,
  type V1Lease,
  type V1LeaseSpec,
} from "@kubernetes/client-node";
import { formatDuration } from "../domain/duration.ts";
import type { Clock, Timer } from "../util/clock.ts";

const fieldManager = "ecr-public-creds-helper";

/** The attempt did not answer within its bound; counted as a failed attempt. */
export class LeaseCallTimeout extends Error {
  override readonly name = "LeaseCallTimeout";
  constructor(boundMs: number) {
    super(`no answer within ${formatDuration(boundMs)}`);
  }
}

/**
 * Runs `work` with a signal that aborts after `boundMs` on `clock`; rejects with
 * LeaseCallTimeout then, whatever `work` does afterwards.
 */
export async function withinBound<T>(clock: Clock, boundMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const cancel = new AbortController();
  let timer: Timer | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = clock.schedule(boundMs, () => {
      reject(new LeaseCallTimeout(boundMs));
      cancel.abort();
    });
  });
  try {
    return await Promise.race([work(cancel.signal), timedOut]);
  } finally {
    timer?.cancel();
  }
}

/** What leader election reads from a Lease: who holds it and when they last renewed. */
export interface LeaseRecord {
  /** "" when nobody holds it (free, or handed back). */
  readonly holder: string;
  /** ISO time of the holder's last renewal, "" if none. */
  readonly renewTime: string;
  /** How long the holder asked others to wait, if it said. */
  readonly leaseDurationMs: number | undefined;
}

export function leaseRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec;
  return {
    holder: spec?.holderIdentity ?? "",
    renewTime: spec?.renewTime ? new Date(spec.renewTime).toISOString() : "",
    leaseDurationMs: spec?.leaseDurationSeconds === undefined ? undefined : spec.leaseDurationSeconds * 1000,
  };
}

/** A Lease namespace that does not exist answers a create with 404 naming the namespace. */
export function isMissingNamespace(error: unknown): boolean {
  if (!(error instanceof ApiException) || error.code !== 404) return false;
  const body: unknown = typeof error.body === "string" ? parse(error.body) : error.body;
  return (body as { details?: { kind?: unknown } } | undefined)?.details?.kind === "namespaces";
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Carries `signal` into the HTTP request, so aborting it drops the request. */
function cancelledBy(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(signal);
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}

/** Times read back may be strings or Dates; MicroTime fields must be written with microseconds. */
export function micro(date: Date | string | undefined): V1MicroTime | undefined {
  return date === undefined ? undefined : new V1MicroTime(new Date(date).getTime());
}

export class LeaseClient {
  readonly #api: CoordinationV1Api;
  readonly namespace: string;
  readonly name: string;

  constructor(api: CoordinationV1Api, namespace: string, name: string) {
    this.#api = api;
    this.namespace = namespace;
    this.name = name;
  }

  /** "ns/name", as logs and status say it. */
  get where(): string {
    return `${this.namespace}/${this.name}`;
  }

  /** The Lease, or undefined when there is none. */
  async read(signal: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({ name: this.name, namespace: this.namespace }, cancelledBy(signal));
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  async create(spec: V1LeaseSpec, signal: AbortSignal): Promise<V1Lease> {
    const { name, namespace } = this;
    return this.#api.createNamespacedLease({ namespace, fieldManager, body: { metadata: { name, namespace }, spec } }, cancelledBy(signal));
  }

  /** Writes `spec` over `lease`, carrying the resourceVersion read: a write in between gives 409. */
  async replace(lease: V1Lease, spec: V1LeaseSpec, signal: AbortSignal): Promise<V1Lease> {
    const { name, namespace } = this;
    return this.#api.replaceNamespacedLease({ name, namespace, fieldManager, body: { ...lease, spec } }, cancelledBy(signal));
  }
}
