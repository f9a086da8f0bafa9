// Puts the controller together for `run`: informers (whose caches the controller reads and
// whose events queue keys), the token keeper, the work queue, the writer and the Event
// recorder, all on one clock; then starts and stops them in order.
import type { CoreV1Api, KubeConfig, V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { TokenSource } from "../aws/token-source.ts";
import { secretFieldSelector, serviceAccountFieldSelector } from "../kube/gather.ts";
import type { Readiness } from "../observability/http.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { Controller, type ControllerSettings, type EventSink } from "./controller.ts";
import { RestartingInformer } from "./informer.ts";
import { kubeWriter } from "./kube-writer.ts";
import { TokenKeeper } from "./token-keeper.ts";
import { WorkQueue } from "./work-queue.ts";

/** What `run` configures: the decisions' settings plus timing and parallelism. */
export interface RuntimeSettings extends ControllerSettings {
  readonly concurrency: number;
  readonly resyncPeriodMs: number;
  /** Share of the token life after which it is refreshed, 0 < x < 1. */
  readonly refreshFraction: number;
  readonly failSafe: boolean;
  readonly failSafeMarginMs: number;
}

export interface ControllerDeps {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly settings: RuntimeSettings;
  readonly tokenSource: TokenSource;
  readonly events: EventSink;
  /** The one-writer guard (leader election); always true without it. */
  readonly mayWrite: () => boolean;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
}

export interface ControllerRuntime {
  start(): Promise<void>;
  /** Stops watching and refreshing; writes in flight finish before this resolves. */
  stop(): Promise<void>;
  readiness(): Readiness;
}

type AnyInformer = RestartingInformer<V1Namespace> | RestartingInformer<V1Secret> | RestartingInformer<V1ServiceAccount>;

export function assembleController(deps: ControllerDeps): ControllerRuntime {
  const { kc, core, settings, clock, log, metrics } = deps;
  const queue = new WorkQueue({ baseMs: 500, capMs: 5 * 60_000 }, clock, (depth) => metrics.workQueueDepth.set(depth));
  const enqueue = (obj: { metadata?: { namespace?: string } }): void => {
    if (obj.metadata?.namespace) queue.add(obj.metadata.namespace);
  };
  // The controller is created below; the handlers only run once the informers start.
  let controller: Controller | undefined;
  const namespaces = new RestartingInformer<V1Namespace>(
    kc,
    "namespaces",
    "/api/v1/namespaces",
    () => core.listNamespace(),
    { onChange: (ns) => controller?.observeNamespace(ns), onDelete: (ns) => controller?.forgetNamespace(ns) },
    log,
    clock,
  );
  const byName = secretFieldSelector(settings.secretName);
  const secrets = new RestartingInformer<V1Secret>(
    kc,
    "secrets",
    "/api/v1/secrets",
    () => core.listSecretForAllNamespaces({ fieldSelector: byName }),
    { onChange: enqueue, onDelete: enqueue },
    log,
    clock,
    byName,
  );
  let serviceAccounts: RestartingInformer<V1ServiceAccount> | undefined;
  if (settings.serviceAccounts.length > 0) {
    const only = serviceAccountFieldSelector(settings.serviceAccounts);
    serviceAccounts = new RestartingInformer<V1ServiceAccount>(
      kc,
      "serviceaccounts",
      "/api/v1/serviceaccounts",
      () => core.listServiceAccountForAllNamespaces(only ? { fieldSelector: only } : {}),
      { onChange: enqueue, onDelete: () => undefined },
      log,
      clock,
      only,
    );
  }
  const informers: AnyInformer[] = [namespaces, secrets, ...(serviceAccounts ? [serviceAccounts] : [])];
  const keeper = new TokenKeeper(
    deps.tokenSource,
    {
      refreshFraction: settings.refreshFraction,
      failSafe: settings.failSafe,
      failSafeMarginMs: settings.failSafeMarginMs,
      retry: { baseMs: 1_000, capMs: 5 * 60_000 },
      existingExpiry: () => controller?.earliestSecretExpiry(),
    },
    clock,
    log,
    metrics,
    (held) => controller?.onToken(held),
  );
  controller = new Controller({
    caches: { namespaces, secrets, serviceAccounts },
    tokens: keeper,
    enqueue: (key) => queue.add(key),
    writer: kubeWriter(core, clock),
    events: deps.events,
    mayWrite: deps.mayWrite,
    settings,
    clock,
    log,
    metrics,
  });
  const running = controller;

  let workers: Promise<void> | undefined;
  let resync: Timer | undefined;
  const scheduleResync = (): void => {
    resync = clock.schedule(settings.resyncPeriodMs, () => {
      running.enqueueAll();
      scheduleResync();
    });
  };
  return {
    async start() {
      await Promise.all(informers.map((informer) => informer.start()));
      keeper.start();
      workers = queue.run(settings.concurrency, (key) => running.reconcile(key));
      scheduleResync();
      running.enqueueAll();
    },
    async stop() {
      resync?.cancel();
      keeper.stop();
      queue.shutDown();
      await Promise.all(informers.map((informer) => informer.stop()));
      await workers;
    },
    readiness() {
      const unsynced = informers.find((i) => !i.synced);
      if (unsynced) {
        const why = unsynced.lastError;
        return { ready: false, detail: why ? `cannot watch ${unsynced.name}: ${why}` : `waiting for the ${unsynced.name} list` };
      }
      const token = keeper.status();
      return { ready: token.ready, detail: token.detail };
    },
  };
}
