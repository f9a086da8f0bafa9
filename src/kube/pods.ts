// The reads of `doctor`'s look at the pods: the pods (cluster-wide with -A, else per namespace,
// a page at a time), kubelet's "Failed" Events about pods, and, only where a pod is stuck, our
// secret and the pods' service accounts. Each call is bounded (client.ts) and retried like every
// other read (retry.ts). A 403 is not an error here: it is reported as the permission doctor
// lacks, and the rest goes on. No credential leaves this file: a secret becomes a SecretSummary.
import type { CoreV1Api, CoreV1Event, V1Pod, V1Secret } from "@kubernetes/client-node";
import { registryHosts } from "../domain/dockerconfig.ts";
import { isManaged } from "../domain/managed.ts";
import type { PodEvent, Read, SecretSummary, StuckContainer, StuckPod } from "../domain/pull-diagnosis.ts";
import { systemClock, type Clock } from "../util/clock.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { toObservedSecret, toObservedServiceAccount } from "./convert.ts";
import { classifyKubeError, KubeErrorKind } from "./errors.ts";
import { withKubeRetry } from "./retry.ts";

/** Where to look: every namespace (one call per page), or these (one call per page each). */
export type PodScope = { readonly all: true } | { readonly all: false; readonly namespaces: readonly string[] };

export interface Listed<T> {
  readonly items: T[];
  /** Namespaces where the list was forbidden; ["*"] for the cluster-wide list. */
  readonly forbidden: string[];
}

export interface PodReadOptions {
  readonly clock?: Clock;
}

const pageSize = 500;
/** Per-namespace calls in flight at once. */
const parallel = 8;
const stuckReasons: ReadonlySet<string> = new Set(["ErrImagePull", "ImagePullBackOff"]);
/**
 * kubelet's "Failed" Events carry the runtime's error ("Failed to pull image …: …"). Its
 * "BackOff" Events only say "Back-off pulling image …", so they are not read.
 */
export const pullEventSelector = "involvedObject.kind=Pod,reason=Failed";

interface Page<T> {
  readonly items: T[];
  readonly metadata?: { readonly _continue?: string | undefined } | undefined;
}

async function allPages<T>(fetch: (cont: string | undefined) => Promise<Page<T>>, clock: Clock): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const page = await withKubeRetry(() => fetch(cont), clock);
    items.push(...page.items);
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return items;
}

const isForbidden = (error: unknown): boolean => classifyKubeError(error) === KubeErrorKind.forbidden;

async function listIn<T>(
  scope: PodScope,
  all: (cont: string | undefined) => Promise<Page<T>>,
  inNamespace: (namespace: string, cont: string | undefined) => Promise<Page<T>>,
  clock: Clock,
): Promise<Listed<T>> {
  if (scope.all) {
    try {
      return { items: await allPages(all, clock), forbidden: [] };
    } catch (error) {
      if (isForbidden(error)) return { items: [], forbidden: ["*"] };
      throw error;
    }
  }
  const forbidden: string[] = [];
  const lists = await mapWithConcurrency(scope.namespaces, parallel, async (namespace) => {
    try {
      return await allPages((cont) => inNamespace(namespace, cont), clock);
    } catch (error) {
      if (!isForbidden(error)) throw error;
      forbidden.push(namespace);
      return [];
    }
  });
  return { items: lists.flat(), forbidden: forbidden.sort() };
}

/** Pods with a container (init or regular) waiting in ErrImagePull or ImagePullBackOff. */
export async function listStuckPods(core: CoreV1Api, scope: PodScope, options: PodReadOptions = {}): Promise<Listed<StuckPod>> {
  const listed = await listIn(
    scope,
    (cont) => core.listPodForAllNamespaces({ limit: pageSize, ...(cont ? { _continue: cont } : {}) }),
    (namespace, cont) => core.listNamespacedPod({ namespace, limit: pageSize, ...(cont ? { _continue: cont } : {}) }),
    options.clock ?? systemClock,
  );
  return { items: listed.items.map(toStuckPod).filter((pod) => pod !== undefined), forbidden: listed.forbidden };
}

export function toStuckPod(pod: V1Pod): StuckPod | undefined {
  const images = new Map<string, string>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) images.set(c.name, c.image ?? "");
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
    ...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false })),
  ];
  const containers: StuckContainer[] = [];
  for (const { status, init } of statuses) {
    const waiting = status.state?.waiting;
    if (!waiting?.reason || !stuckReasons.has(waiting.reason)) continue;
    // kubelet names the image as the spec writes it; the status may hold a normalised form.
    const image = images.get(status.name) || status.image;
    containers.push({ name: status.name, init, image, reason: waiting.reason, message: waiting.message ?? "" });
  }
  if (containers.length === 0) return undefined;
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    serviceAccount: pod.spec?.serviceAccountName || "default",
    imagePullSecrets: (pod.spec?.imagePullSecrets ?? []).map((ref) => ref.name ?? ""),
    containers,
  };
}

/** kubelet's pull failures about pods, in the scope given. */
export async function listPullEvents(core: CoreV1Api, scope: PodScope, options: PodReadOptions = {}): Promise<Listed<PodEvent>> {
  const fieldSelector = pullEventSelector;
  const listed = await listIn(
    scope,
    (cont) => core.listEventForAllNamespaces({ fieldSelector, limit: pageSize, ...(cont ? { _continue: cont } : {}) }),
    (namespace, cont) => core.listNamespacedEvent({ namespace, fieldSelector, limit: pageSize, ...(cont ? { _continue: cont } : {}) }),
    options.clock ?? systemClock,
  );
  return { items: listed.items.map(toPodEvent), forbidden: listed.forbidden };
}

function time(value: Date | string | undefined): number {
  if (value === undefined) return 0;
  const at = new Date(value).getTime();
  return Number.isNaN(at) ? 0 : at;
}

export function toPodEvent(event: CoreV1Event): PodEvent {
  const involved = event.involvedObject;
  return {
    namespace: involved.namespace ?? event.metadata.namespace ?? "",
    pod: involved.name ?? "",
    uid: involved.uid || undefined,
    fieldPath: involved.fieldPath || undefined,
    message: event.message ?? "",
    at: time(event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp),
  };
}

/** The status code as a Read: 404 is "missing", 403 "unreadable"; anything else is thrown. */
async function readOne<T>(call: () => Promise<T>, clock: Clock): Promise<Read<T>> {
  try {
    return await withKubeRetry(call, clock);
  } catch (error) {
    const kind = classifyKubeError(error);
    if (kind === KubeErrorKind.notFound) return "missing";
    if (kind === KubeErrorKind.forbidden) return "unreadable";
    throw error;
  }
}

/** Our secret in each namespace, summarised: who manages it, its annotations, the hosts it holds. */
export async function readSecretSummaries(
  core: CoreV1Api,
  namespaces: readonly string[],
  secretName: string,
  options: PodReadOptions = {},
): Promise<Map<string, Read<SecretSummary>>> {
  const clock = options.clock ?? systemClock;
  const reads = await mapWithConcurrency(namespaces, parallel, async (namespace) => {
    const read = await readOne<V1Secret>(() => core.readNamespacedSecret({ name: secretName, namespace }), clock);
    return [namespace, typeof read === "string" ? read : summarise(read)] as const;
  });
  return new Map(reads);
}

function summarise(secret: V1Secret): SecretSummary {
  const observed = toObservedSecret(secret);
  return { managed: isManaged(observed.labels), annotations: observed.annotations, hosts: registryHosts(observed.dockerConfigJson) };
}

/** The imagePullSecrets names of each service account, keyed "namespace/name". */
export async function readServiceAccountSecrets(
  core: CoreV1Api,
  keys: readonly string[],
  options: PodReadOptions = {},
): Promise<Map<string, Read<readonly string[]>>> {
  const clock = options.clock ?? systemClock;
  const reads = await mapWithConcurrency(keys, parallel, async (key) => {
    const [namespace = "", name = ""] = key.split("/");
    const read = await readOne(() => core.readNamespacedServiceAccount({ name, namespace }), clock);
    return [key, typeof read === "string" ? read : toObservedServiceAccount(read).imagePullSecrets] as const;
  });
  return new Map(reads);
}
