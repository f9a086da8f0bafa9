// The controller, built from its parts as sample-controller's is: the caches it reads, the
// token holder, the work queue, the writer and the Event sink are handed in, so a test can
// seed the caches, run one key and look at what reached the API server. Each key is one
// namespace: gather its view from the caches, decide (domain/reconcile.ts), carry it out.
import type { V1Namespace, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { recordedExpiry, isManaged } from "../domain/managed.ts";
import { isSelected, type NamespaceSelection } from "../domain/namespaces.ts";
import type { DesiredState, NamespacePlan } from "../domain/plan.ts";
import { decideReconcile, type Reconcile } from "../domain/reconcile.ts";
import { describeOutcome, failureEvent, worthRetrying, writeMetricLabel, type EventNote, type NamespaceOutcome } from "../domain/report.ts";
import { desiredStateFrom } from "../domain/sync-plan.ts";
import type { RegistryToken } from "../domain/types.ts";
import { toNamespaceInfo, toObservedSecret, toObservedServiceAccount } from "../kube/convert.ts";
import { classifyKubeError, KubeErrorKind } from "../kube/errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Clock } from "../util/clock.ts";
import type { HeldToken } from "./token-keeper.ts";

/** What the controller reads of an informer: client-go's lister, in short. */
export interface Cache<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
}

export interface Caches {
  readonly namespaces: Cache<V1Namespace>;
  readonly secrets: Cache<V1Secret>;
  /** undefined when no service account is patched (nothing is watched then). */
  readonly serviceAccounts: Cache<V1ServiceAccount> | undefined;
}

/** Carries decisions out against the API server (src/controller/kube-writer.ts). */
export interface NamespaceWriter {
  apply(plan: NamespacePlan, desired: DesiredState, token: RegistryToken): Promise<NamespaceOutcome>;
  prune(namespace: string, decision: Extract<Reconcile, { kind: "prune" }>): Promise<void>;
}

export interface InvolvedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly apiVersion: string;
}

export interface EventSink {
  record(namespace: string, involved: InvolvedObject, type: EventNote["type"], reason: string, message: string): Promise<void>;
}

export interface ControllerSettings {
  readonly selection: NamespaceSelection;
  readonly secretName: string;
  readonly serviceAccounts: readonly string[];
  readonly refreshBeforeMs: number;
  readonly adopt: boolean;
  readonly prune: boolean;
  /** This pod, for Events about the helper itself. */
  readonly pod: { readonly name: string; readonly namespace: string } | undefined;
}

export interface ControllerParts {
  readonly caches: Caches;
  readonly tokens: { readonly current: HeldToken | undefined };
  readonly enqueue: (key: string) => void;
  readonly writer: NamespaceWriter;
  readonly events: EventSink;
  /** The one-writer guard: false once this replica cannot prove it still leads. */
  readonly mayWrite: () => boolean;
  readonly settings: ControllerSettings;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** Thrown for a key whose write failed, so the queue retries it with backoff. */
export class ReconcileError extends Error {
  override readonly name = "ReconcileError";
}

export class Controller {
  readonly #parts: ControllerParts;
  /** Names of the namespaces the selection takes, kept current by namespace events. */
  readonly #selected = new Set<string>();

  constructor(parts: ControllerParts) {
    this.#parts = parts;
  }

  /** A namespace was added or changed: keep the selected set and its gauge current, queue it. */
  observeNamespace(ns: V1Namespace): void {
    const name = ns.metadata?.name;
    if (!name) return;
    if (isSelected(toNamespaceInfo(ns), this.#parts.settings.selection)) this.#selected.add(name);
    else this.#selected.delete(name);
    this.#parts.metrics.namespacesSelected.set(this.#selected.size);
    this.#parts.enqueue(name);
  }

  forgetNamespace(ns: V1Namespace): void {
    if (ns.metadata?.name && this.#selected.delete(ns.metadata.name)) this.#parts.metrics.namespacesSelected.set(this.#selected.size);
  }

  /** Queues every cached namespace (a new token, a resync). */
  enqueueAll(): void {
    for (const ns of this.#parts.caches.namespaces.list()) if (ns.metadata?.name) this.#parts.enqueue(ns.metadata.name);
  }

  /** A new token, or the fail-safe: every namespace gets it. */
  onToken(held: HeldToken): void {
    const pod = this.#parts.settings.pod;
    if (held.failSafe && pod) {
      void this.#parts.events.record(
        pod.namespace,
        { kind: "Pod", name: pod.name, namespace: pod.namespace, apiVersion: "v1" },
        "Warning",
        "FailSafeEngaged",
        "no ECR Public token could be obtained before the held one expires; pull secrets now hold no credentials (anonymous pulls)",
      );
    }
    this.enqueueAll();
  }

  /** The earliest expiry recorded on our secrets in selected namespaces, from the cache. */
  earliestSecretExpiry(): Date | undefined {
    let earliest: number | undefined;
    for (const { metadata } of this.#parts.caches.secrets.list()) {
      if (!isManaged(metadata?.labels ?? {}) || !this.#selected.has(metadata?.namespace ?? "")) continue;
      const expiresAt = recordedExpiry(metadata?.annotations ?? {});
      if (expiresAt !== undefined && (earliest === undefined || expiresAt < earliest)) earliest = expiresAt;
    }
    return earliest === undefined ? undefined : new Date(earliest);
  }

  /** Gather one namespace's view from the caches, decide, act. Throws ReconcileError to be retried. */
  async reconcile(namespace: string): Promise<void> {
    const { caches, settings, tokens } = this.#parts;
    const nsObject = caches.namespaces.get(namespace);
    const secretObject = caches.secrets.get(settings.secretName, namespace);
    const held = tokens.current;
    const desired = held
      ? {
          ...desiredStateFrom(
            { ...settings, force: false },
            held.token.credentials.map((c) => c.server),
          ),
          heldTokenExpiresAt: held.token.expiresAt,
        }
      : undefined;
    const decision = decideReconcile(
      {
        namespace: nsObject ? toNamespaceInfo(nsObject) : undefined,
        selected: this.#selected.has(namespace),
        secret: secretObject ? toObservedSecret(secretObject) : undefined,
        serviceAccounts: (caches.serviceAccounts?.list(namespace) ?? []).map(toObservedServiceAccount),
      },
      desired,
      settings,
      new Date(this.#parts.clock.now()),
    );
    await this.#act(namespace, decision, desired, held);
  }

  async #act(namespace: string, decision: Reconcile, desired: DesiredState | undefined, held: HeldToken | undefined): Promise<void> {
    const { writer, events, log, metrics, settings } = this.#parts;
    // The API requires involvedObject.namespace to equal the Event's, even for a Namespace.
    const involved = { kind: "Namespace", name: namespace, namespace, apiVersion: "v1" };
    switch (decision.kind) {
      case "leave":
        return;
      case "foreign":
        log.warn({ namespace, action: "skip-foreign" }, decision.warning);
        await events.record(namespace, involved, decision.event.type, decision.event.reason, decision.event.message);
        return;
      case "prune": {
        if (!this.#mayWrite(namespace)) return;
        try {
          await writer.prune(namespace, decision);
        } catch (error) {
          if (classifyKubeError(error) === KubeErrorKind.notLeading) return this.#notWritten(namespace);
          throw error;
        }
        const cleaned = decision.serviceAccounts.map((sa) => sa.name);
        log.info(
          { namespace, serviceAccountsCleaned: cleaned },
          `namespace ${namespace}: no longer selected; removed our secret${cleaned.length > 0 ? ` and our entry in ${cleaned.join(", ")}` : ""}`,
        );
        return;
      }
      case "apply": {
        if (!desired || !held || !this.#mayWrite(namespace)) return;
        const outcome = await writer.apply(decision.plan, desired, held.token);
        // The lead was lost between the check above and a request leaving (the client asks again).
        if (outcome.error?.kind === KubeErrorKind.notLeading) return this.#notWritten(namespace);
        const label = writeMetricLabel(outcome);
        if (label) metrics.secretsWritten.inc({ outcome: label });
        for (const entry of describeOutcome(outcome, { failSafe: held.failSafe })) log[entry.level](entry.fields, entry.message);
        const event = failureEvent(outcome, settings.secretName);
        if (event) await events.record(namespace, involved, event.type, event.reason, event.message);
        if (worthRetrying(outcome)) throw new ReconcileError(outcome.error?.message ?? "write failed");
        return;
      }
    }
  }

  #mayWrite(namespace: string): boolean {
    if (this.#parts.mayWrite()) return true;
    this.#notWritten(namespace);
    return false;
  }

  #notWritten(namespace: string): void {
    this.#parts.log.debug({ namespace }, `namespace ${namespace}: not written, this replica no longer leads`);
  }
}
