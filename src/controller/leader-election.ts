// Leader election on a coordination.k8s.io/v1 Lease, following client-go's rules: a Lease is
// taken over only after it went unrenewed for a whole lease duration *as observed on our own
// clock* (so clock skew between nodes does not matter); the leader renews every retry period
// and steps down if it cannot renew within the renew deadline; on shutdown it releases the
// Lease so a standby takes over at once.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { apiClient } from "../kube/client.ts";
import { classifyKubeError, kubeErrorMessage, KubeErrorKind } from "../kube/errors.ts";
import type { Logger } from "../observability/logger.ts";

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export class LeaderElector {
  readonly #api: CoordinationV1Api;
  readonly #options: LeaderElectionOptions;
  readonly #log: Logger;
  #observedHolder: string | undefined;
  #observedRenew: string | undefined;
  #observedAt = 0;
  #leader = false;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(kc: KubeConfig, options: LeaderElectionOptions, log: Logger) {
    this.#api = apiClient(kc, CoordinationV1Api);
    this.#options = options;
    this.#log = log;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /**
   * Campaigns until elected, calls `lead` with a signal that aborts when leadership is lost,
   * and returns when leadership ends (lost or stopped).
   */
  async run(lead: (lost: AbortSignal) => Promise<void>): Promise<void> {
    const { retryPeriodMs, name, namespace, identity } = this.#options;
    while (!this.#stopped && !(await this.#tryAcquireOrRenew())) {
      await sleep(retryPeriodMs, undefined, { signal: this.#abort.signal }).catch(() => undefined);
    }
    if (this.#stopped) return;
    this.#leader = true;
    this.#log.info({ lease: `${namespace}/${name}`, identity }, `became leader (${namespace}/${name})`);
    const lost = new AbortController();
    const renewing = this.#renewLoop(lost);
    await lead(lost.signal);
    await renewing;
    // Only now, with the work stopped and no renewal in flight, hand the Lease back.
    if (this.#stopped) await this.#release();
  }

  async #renewLoop(lost: AbortController): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs } = this.#options;
    let lastRenew = Date.now();
    while (!this.#stopped) {
      await sleep(retryPeriodMs, undefined, { signal: this.#abort.signal }).catch(() => undefined);
      if (this.#stopped) break;
      if (await this.#tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > renewDeadlineMs || this.#observedHolder !== this.#options.identity) {
        this.#leader = false;
        this.#log.error("lost the leader Lease; stopping work");
        lost.abort();
        return;
      }
    }
    lost.abort();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.#options;
    const now = new V1MicroTime();
    const spec = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000), renewTime: now };
    try {
      let lease: V1Lease;
      try {
        lease = await this.#api.readNamespacedLease({ name, namespace });
      } catch (error) {
        if (classifyKubeError(error) !== KubeErrorKind.notFound) throw error;
        await this.#api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: now, leaseTransitions: 0 } },
        });
        this.#observe(identity, now.toISOString());
        return true;
      }
      const holder = lease.spec?.holderIdentity ?? "";
      const renew = lease.spec?.renewTime ? new Date(lease.spec.renewTime).toISOString() : "";
      if (holder !== this.#observedHolder || renew !== this.#observedRenew) this.#observe(holder, renew);
      const heldByOther = holder !== "" && holder !== identity;
      if (heldByOther && Date.now() < this.#observedAt + leaseDurationMs) return false;
      const takingOver = holder !== identity;
      // replace carries the resourceVersion we read: two candidates cannot both win.
      await this.#api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            ...spec,
            acquireTime: takingOver ? now : micro(lease.spec?.acquireTime) ?? now,
            leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (takingOver && holder !== "" ? 1 : 0),
          },
        },
      });
      this.#observe(identity, now.toISOString());
      return true;
    } catch (error) {
      if (classifyKubeError(error) !== KubeErrorKind.conflict) {
        this.#log.warn({ reason: classifyKubeError(error) }, `leader election: ${kubeErrorMessage(error)}`);
      }
      return false;
    }
  }

  #observe(holder: string, renew: string): void {
    this.#observedHolder = holder;
    this.#observedRenew = renew;
    this.#observedAt = Date.now();
  }

  /**
   * Stops campaigning and renewing. `run` then returns once the work has stopped, handing the
   * Lease back first if this replica led, so a standby takes over at once.
   */
  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
  }

  async #release(): Promise<void> {
    if (!this.#leader) return;
    this.#leader = false;
    const { namespace, name, identity } = this.#options;
    try {
      const lease = await this.#api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== identity) return;
      await this.#api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: { ...lease.spec, acquireTime: micro(lease.spec.acquireTime), holderIdentity: "", leaseDurationSeconds: 1, renewTime: new V1MicroTime() },
        },
      });
      this.#log.info(`released the leader Lease ${namespace}/${name}`);
    } catch (error) {
      this.#log.warn(`could not release the leader Lease: ${kubeErrorMessage(error)}`);
    }
  }
}

/** Times read back may be strings or Dates; MicroTime fields must be written with microseconds. */
function micro(date: Date | string | undefined): V1MicroTime | undefined {
  return date === undefined ? undefined : new V1MicroTime(new Date(date).getTime());
}
