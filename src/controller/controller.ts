// The controller: informers feed namespace names into a work queue; each key is reconciled
// with the same plan and writes as `sync`, from the informer caches (no reads per key).
import type { CoreV1Api, KubeConfig, V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { Config, } from "../config.ts";
import type { ControllerConfig } from "../config/controller.ts";
import { isSelected } from "../domain/namespaces.ts";
import { planNamespace, SecretAction } from "../domain/plan.ts";
import { isManaged, recordedExpiry } from "../domain/managed.ts";
import type { TokenSource } from "../aws/token-source.ts";
import { applyNamespacePlan, WriteResult } from "../kube/apply.ts";
import { toNamespaceInfo, toObservedSecret, toObservedServiceAccount } from "../kube/convert.ts";
import { secretFieldSelector, serviceAccountFieldSelector } from "../kube/gather.ts";
import { KubeErrorKind } from "../kube/errors.ts";
import type { EventRecorder } from "../kube/events.ts";
import { pruneNamespace } from "../kube/prune.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Readiness } from "../observability/http.ts";
import { desiredStateFrom } from "../domain/sync-plan.ts";
import { RestartingInformer } from "./informer.ts";
import { TokenKeeper, type HeldToken } from "./token-keeper.ts";
import { WorkQueue } from "./work-queue.ts";

export interface ControllerDeps {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly config: Config;
  readonly controller: ControllerConfig;
  readonly tokenSource: TokenSource;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly events: EventRecorder;
}

export class Controller {
  readonly #deps: ControllerDeps;
  readonly #queue: WorkQueue;
  readonly #keeper: TokenKeeper;
  readonly #namespaces: RestartingInformer<V1Namespace>;
  readonly #secrets: RestartingInformer<V1Secret>;
  readonly #serviceAccounts: RestartingInformer<V1ServiceAccount> | undefined;
  readonly #informers: ReadonlyArray<RestartingInformer<V1Namespace> | RestartingInformer<V1Secret> | RestartingInformer<V1ServiceAccount>>;
  /** Names of the namespaces the selection takes, kept current by namespace events. */
  readonly #selected = new Set<string>();
  #workers: Promise<void> | undefined;
  #resync: NodeJS.Timeout | undefined;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    const { kc, core, config, controller, log, metrics } = deps;
    this.#queue = new WorkQueue({ baseMs: 500, capMs: 5 * 60_000 }, (depth) => metrics.workQueueDepth.set(depth));
    const enqueue = (obj: { metadata?: { namespace?: string } }): void => {
      if (obj.metadata?.namespace) this.#queue.add(obj.metadata.namespace);
    };
    this.#namespaces = new RestartingInformer<V1Namespace>(
      kc, "namespaces", "/api/v1/namespaces", () => core.listNamespace(),
      { onChange: (ns) => this.#onNamespace(ns), onDelete: (ns) => this.#forgetNamespace(ns) },
      log,
    );
    const byName = secretFieldSelector(config.secretName);
    this.#secrets = new RestartingInformer<V1Secret>(
      kc, "secrets", "/api/v1/secrets", () => core.listSecretForAllNamespaces({ fieldSelector: byName }),
      { onChange: enqueue, onDelete: enqueue },
      log,
      byName,
    );
    if (config.serviceAccounts.length > 0) {
      const only = serviceAccountFieldSelector(config.serviceAccounts);
      this.#serviceAccounts = new RestartingInformer<V1ServiceAccount>(
        kc, "serviceaccounts", "/api/v1/serviceaccounts",
        () => core.listServiceAccountForAllNamespaces(only ? { fieldSelector: only } : {}),
        { onChange: enqueue, onDelete: () => undefined },
        log,
        only,
      );
    }
    this.#informers = [this.#namespaces, this.#secrets, ...(this.#serviceAccounts ? [this.#serviceAccounts] : [])];
    this.#keeper = new TokenKeeper(
      deps.tokenSource,
      {
        refreshFraction: controller.refreshFraction,
        failSafe: controller.failSafe,
        failSafeMarginMs: controller.failSafeMarginMs,
        retry: { baseMs: 1_000, capMs: 5 * 60_000 },
        existingExpiry: () => this.#earliestSecretExpiry(),
      },
      log,
      metrics,
      (held) => this.#onToken(held),
    );
  }

  #onToken(held: HeldToken): void {
    if (held.failSafe && this.#deps.controller.pod) {
      const { name, namespace } = this.#deps.controller.pod;
      void this.#deps.events.record(namespace, { kind: "Pod", name, namespace, apiVersion: "v1" }, "Warning", "FailSafeEngaged",
        "no ECR Public token could be obtained before the held one expires; pull secrets now hold no credentials (anonymous pulls)");
    }
    this.#enqueueAll();
  }

  /** The earliest expiry recorded on our secrets in selected namespaces, from the cache. */
  #earliestSecretExpiry(): Date | undefined {
    let earliest: number | undefined;
    for (const { metadata } of this.#secrets.list()) {
      if (!isManaged(metadata?.labels ?? {}) || !this.#selected.has(metadata?.namespace ?? "")) continue;
      const expiresAt = recordedExpiry(metadata?.annotations ?? {});
      if (expiresAt !== undefined && (earliest === undefined || expiresAt < earliest)) earliest = expiresAt;
    }
    return earliest === undefined ? undefined : new Date(earliest);
  }

  /** Keeps the selected-namespaces gauge current in O(1) per event, and queues the namespace. */
  #onNamespace(ns: V1Namespace): void {
    const name = ns.metadata?.name;
    if (!name) return;
    if (isSelected(toNamespaceInfo(ns), this.#deps.config.selection)) this.#selected.add(name);
    else this.#selected.delete(name);
    this.#deps.metrics.namespacesSelected.set(this.#selected.size);
    this.#queue.add(name);
  }

  #forgetNamespace(ns: V1Namespace): void {
    if (ns.metadata?.name && this.#selected.delete(ns.metadata.name)) this.#deps.metrics.namespacesSelected.set(this.#selected.size);
  }

  #enqueueAll(): void {
    for (const ns of this.#namespaces.list()) if (ns.metadata?.name) this.#queue.add(ns.metadata.name);
  }

  async start(): Promise<void> {
    await Promise.all(this.#informers.map((informer) => informer.start()));
    this.#keeper.start();
    this.#workers = this.#queue.run(this.#deps.config.concurrency, (key) => this.#reconcile(key));
    this.#resync = setInterval(() => this.#enqueueAll(), this.#deps.controller.resyncPeriodMs);
    this.#enqueueAll();
  }

  readiness(): Readiness {
    if (!this.#informers.every((i) => i.synced)) return { ready: false, detail: "informers not synced yet" };
    if (!this.#keeper.valid) return { ready: false, detail: this.#keeper.current?.failSafe ? "fail-safe: no valid token" : "no token yet" };
    return { ready: true, detail: "ok" };
  }

  /** Stops watching; writes in flight finish before this resolves. */
  async stop(): Promise<void> {
    clearInterval(this.#resync);
    this.#keeper.stop();
    this.#queue.shutDown();
    await Promise.all(this.#informers.map((informer) => informer.stop()));
    await this.#workers;
  }

  async #reconcile(namespace: string): Promise<void> {
    const { config, controller, core, log, metrics, events } = this.#deps;
    const nsObject = this.#namespaces.get(namespace);
    if (!nsObject) return; // deleted: nothing to do
    const info = toNamespaceInfo(nsObject);
    const secretObject = this.#secrets.get(config.secretName, namespace);
    const secret = secretObject ? toObservedSecret(secretObject) : undefined;
    const serviceAccounts = (this.#serviceAccounts?.list(namespace) ?? []).map(toObservedServiceAccount);
    if (!this.#selected.has(namespace)) {
      if (controller.prune && !info.terminating) {
        const pruned = await pruneNamespace(core, secret, serviceAccounts, config.secretName);
        if (pruned.secretDeleted || pruned.serviceAccountsCleaned.length > 0) {
          log.info({ namespace, ...pruned }, `namespace ${namespace}: no longer selected; removed our secret and service-account entries`);
        }
      }
      return;
    }
    const held = this.#keeper.current;
    if (!held) return; // the first token enqueues every namespace again
    const desired = {
      ...desiredStateFrom(config, held.token.credentials.map((c) => c.server)),
      heldTokenExpiresAt: held.token.expiresAt,
    };
    const plan = planNamespace({ namespace, terminating: info.terminating, secret, serviceAccounts }, desired, new Date());
    // The API requires involvedObject.namespace to equal the Event's, even for a Namespace.
    const involved = { kind: "Namespace", name: namespace, namespace, apiVersion: "v1" };
    if (plan.secret === SecretAction.skipForeign) {
      log.warn({ namespace, action: plan.secret }, `namespace ${namespace}: ${plan.reason}`);
      await events.record(namespace, involved, "Warning", "ForeignSecret", `secret ${config.secretName} exists and is not managed by ecr-public-creds-helper; left untouched (use --adopt to take it over)`);
      return;
    }
    if (plan.secret === SecretAction.skipTerminating) return;
    const outcome = await applyNamespacePlan({ core, desired, token: held.token, now: () => new Date() }, plan);
    if (outcome.secret === WriteResult.created || outcome.secret === WriteResult.updated || outcome.secret === WriteResult.failed) {
      metrics.secretsWritten.inc({ outcome: outcome.secret });
    }
    if (outcome.error) {
      log.error({ namespace, reason: outcome.error.kind }, `namespace ${namespace}: ${outcome.error.message}`);
      if (outcome.error.kind === KubeErrorKind.forbidden || outcome.error.kind === KubeErrorKind.invalid) {
        await events.record(namespace, involved, "Warning", "SecretWriteFailed", `cannot write secret ${config.secretName}: ${outcome.error.message}`);
      }
      throw new Error(outcome.error.message);
    }
    if (outcome.secret !== WriteResult.unchanged || outcome.patchedServiceAccounts.length > 0) {
      const sa = outcome.patchedServiceAccounts.length > 0 ? `; added to service accounts ${outcome.patchedServiceAccounts.join(", ")}` : "";
      log.info({ namespace, result: outcome.secret }, `namespace ${namespace}: secret ${outcome.secret}${held.failSafe ? " (fail-safe: no credentials)" : ""}${sa}`);
    }
  }
}
