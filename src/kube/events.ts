// Kubernetes Events, so `kubectl get events` and `kubectl describe` tell people why a namespace
// has no working pull secret. The same event is not repeated within a window; messages are
// scrubbed of secrets like everything else we print.
import type { CoreV1Api } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Logger } from "../observability/logger.ts";
import { scrub } from "../observability/redact.ts";
import { kubeErrorMessage } from "./errors.ts";

export interface InvolvedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly apiVersion: string;
}

const component = "ecr-public-creds-helper";
const repeatWindowMs = 10 * 60_000;

export class EventRecorder {
  readonly #core: CoreV1Api;
  readonly #log: Logger;
  readonly #lastSent = new Map<string, number>();

  constructor(core: CoreV1Api, log: Logger) {
    this.#core = core;
    this.#log = log;
  }

  /** Records an Event in `namespace` about `involved`; never throws. */
  async record(namespace: string, involved: InvolvedObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    const key = `${namespace}/${involved.kind}/${involved.name}/${reason}/${message}`;
    const last = this.#lastSent.get(key);
    if (last !== undefined && Date.now() - last < repeatWindowMs) return;
    this.#lastSent.set(key, Date.now());
    const now = new Date();
    try {
      await this.#core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${involved.name}.${randomBytes(8).toString("hex")}`, namespace },
          involvedObject: { ...involved },
          type,
          reason,
          message: scrub(message),
          source: { component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.#log.warn(`could not record event ${reason} in ${namespace}: ${kubeErrorMessage(error)}`);
    }
  }
}
