// The IAM Roles Anywhere certificate's dates, judged on the injected clock: `doctor` fails on a
// certificate that has expired or is not valid yet (CreateSession would refuse it) and warns
// when it expires within a day; the controller records a Warning Event on its own pod once it
// expires within the window, while there is still time to renew it. Only the certificate's
// public facts are used: its key is never read here.
import type { DoctorCheck } from "./doctor-report.ts";
import type { EventNote } from "./report.ts";
import { formatDuration } from "./duration.ts";

/** What is printed of a certificate: public fields only. */
export interface CertificateFacts {
  readonly file: string;
  /** "CN=x, O=y": X509Certificate.subject's lines joined. */
  readonly subject: string;
  readonly issuer: string;
  /** Hex, as X509Certificate.serialNumber gives it. */
  readonly serial: string;
  readonly validFrom: Date;
  readonly validTo: Date;
}

/** A certificate this close to its end is worth a warning (doctor) and an Event (run). */
export const certificateExpiryWindowMs = 24 * 3_600_000;

const dayMs = 24 * 3_600_000;

/** "29d" beyond two days, else formatDuration's "5h59m". */
function span(ms: number): string {
  return ms >= 2 * dayMs ? `${Math.floor(ms / dayMs)}d` : formatDuration(ms);
}

/** X509Certificate's multi-line distinguished name ("O=a\nCN=b") as one line. */
export function oneLineName(name: string): string {
  return name
    .split("\n")
    .filter((part) => part.length > 0)
    .join(", ");
}

function described(facts: CertificateFacts): string {
  return `certificate ${facts.file}: subject "${facts.subject}", issuer "${facts.issuer}", serial ${facts.serial}`;
}

const renew = "renew it: with cert-manager, see `kubectl describe certificate` in the helper's namespace; else replace tls.crt and tls.key in its Secret";

/** doctor's line about the certificate: FAIL outside its dates, warn within the window of its end, else ok. */
export function certificateCheck(facts: CertificateFacts, now: Date, windowMs: number = certificateExpiryWindowMs): DoctorCheck {
  const left = facts.validTo.getTime() - now.getTime();
  const validTo = facts.validTo.toISOString();
  if (now.getTime() < facts.validFrom.getTime()) {
    const wait = span(facts.validFrom.getTime() - now.getTime());
    return {
      area: "aws",
      ok: false,
      message: `Roles Anywhere ${described(facts)}, is not valid yet: valid from ${facts.validFrom.toISOString()} (in ${wait}); check this machine's clock, or use a certificate valid now`,
    };
  }
  if (left < 0) {
    return { area: "aws", ok: false, message: `Roles Anywhere ${described(facts)}, expired at ${validTo} (${span(-left)} ago); ${renew}` };
  }
  if (left <= windowMs) {
    return {
      area: "aws",
      ok: true,
      warning: true,
      message: `Roles Anywhere ${described(facts)}, expires at ${validTo} (in ${span(left)}); ${renew} before then`,
    };
  }
  return { area: "aws", ok: true, message: `Roles Anywhere ${described(facts)}, expires at ${validTo} (in ${span(left)})` };
}

/**
 * The controller's Warning Event once the certificate it just used expires within the window.
 * The message holds no relative time, so the recorder's de-duplication sees the same Event at
 * every refresh of one certificate, and a renewed certificate (new serial) is a new one.
 */
export function certificateExpiryEvent(facts: CertificateFacts, now: Date, windowMs: number = certificateExpiryWindowMs): EventNote | undefined {
  if (facts.validTo.getTime() - now.getTime() > windowMs) return undefined;
  return {
    type: "Warning",
    reason: "CertificateExpiring",
    message: `the IAM Roles Anywhere certificate ${facts.file} (serial ${facts.serial}) expires at ${facts.validTo.toISOString()}; no AWS credentials after that; ${renew}`,
  };
}
