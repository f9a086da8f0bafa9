// What the controller does with the IAM Roles Anywhere certificate read at each credential
// refresh: exports its expiry as a metric, and once it expires within the window records a
// Warning Event on the helper's own pod (and logs it), while there is time to renew it. The
// Event recorder de-duplicates: one certificate's message is the same at every refresh.
import { certificateExpiryEvent, certificateExpiryWindowMs, type CertificateFacts } from "../domain/certificate-expiry.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Clock } from "../util/clock.ts";
import type { EventSink } from "./controller.ts";

export interface CertificateWatchParts {
  readonly metrics: Metrics;
  readonly events: EventSink;
  /** This pod, from the downward API; without it the Event is left out (the log line and metric remain). */
  readonly pod: { readonly name: string; readonly namespace: string } | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly windowMs?: number;
}

/** The provider's onCertificate for `run`. */
export function watchCertificateExpiry(parts: CertificateWatchParts): (facts: CertificateFacts) => void {
  const { metrics, events, pod, clock, log } = parts;
  const gauge = metrics.rolesAnywhereCertificateExpiry;
  let registered = false;
  return (facts) => {
    if (!registered) {
      metrics.registry.registerMetric(gauge);
      registered = true;
    }
    gauge.set(facts.validTo.getTime() / 1000);
    const event = certificateExpiryEvent(facts, new Date(clock.now()), parts.windowMs ?? certificateExpiryWindowMs);
    if (!event) return;
    log.warn({ reason: event.reason, serial: facts.serial, expiresAt: facts.validTo.toISOString() }, event.message);
    if (pod) {
      void events.record(pod.namespace, { kind: "Pod", name: pod.name, namespace: pod.namespace, apiVersion: "v1" }, event.type, event.reason, event.message);
    }
  };
}
