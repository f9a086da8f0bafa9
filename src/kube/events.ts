// Kubernetes Events, so `kubectl get events` and `kubectl describe` tell people why a namespace
// has no working pull secret. The same event is not repeated within a window; messages are
// scrubbed of secrets like everything else we print.
import type { CoreV1Api } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Logger } from "../observability/logger.ts";
import { scrub } from "../observability/redact.ts";
import type { Clock } from "../util/clock.ts";
import { RecentlySeen } from "../util/recently-seen.ts";
import { classifyKubeError, KubeErrorKind, kubeErrorMessage } from "./errors.ts";

export interface InvolvedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly apiVersion: string;
}

export type EventType = "Normal" | "Warning";

const component = "ecr-public-creds-helper";
/**
 * Messages carry names and error text, so distinct keys keep coming for as long as the
 * process runs: remember at most this many, and none longer than the repeat window.
 */
export const eventDeduplication = { maxKeys: 1_000, windowMs: 10 * 60_000 } as const;

export class EventRecorder {
  readonly #core: CoreV1Api;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #recent: RecentlySeen;

  constructor(core: CoreV1Api, log: Logger, clock: Clock) {
    this.#core = core;
    this.#log = log;
    this.#clock = clock;
    this.#recent = new RecentlySeen(eventDeduplication, clock);
  }

  /** Keys remembered for de-duplication (bounded by eventDeduplication.maxKeys). */
  get remembered(): number {
    return this.#recent.size;
  }

  /** Records an Event in `namespace` about `involved`, unless the same one was sent within the window; never throws. */
  async record(namespace: string, involved: InvolvedObject, type: EventType, reason: string, message: string): Promise<void> {
    try {
      const scrubbed = scrub(message);
      // Marked before sending, so a failing create is tried (and logged) once per window too.
      if (!this.#recent.markIfNew(`${namespace}/${involved.kind}/${involved.name}/${type}/${reason}/${scrubbed}`)) return;
      await this.#create(namespace, involved, type, reason, scrubbed);
    } catch (error) {
      // A replica that lost the lead records nothing; that is not worth a warning.
      if (classifyKubeError(error) === KubeErrorKind.notLeading) return;
      this.#log.warn({ namespace, reason }, `could not record event ${reason} in ${namespace}: ${kubeErrorMessage(error)}`);
    }
  }

  async #create(namespace: string, involved: InvolvedObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date(this.#clock.now());
    await this.#core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: `${involved.name}.${randomBytes(8).toString("hex")}`, namespace },
        involvedObject: { ...involved },
        type,
        reason,
        message,
        source: { component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}
