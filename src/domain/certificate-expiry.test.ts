import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkLine } from "./doctor-report.ts";
import { certificateCheck, certificateExpiryEvent, oneLineName, type CertificateFacts } from "./certificate-expiry.ts";

const hour = 3_600_000;
const facts: CertificateFacts = {
  file: "/etc/tls/tls.crt",
  subject: "O=tests, CN=ecr-public-creds-helper",
  issuer: "CN=test CA",
  serial: "1A2B3C",
  validFrom: new Date("2026-01-01T00:00:00Z"),
  validTo: new Date("2026-03-01T00:00:00Z"),
};
const at = (iso: string): Date => new Date(iso);

describe("certificateCheck", () => {
  test("valid and far from its end: ok, with subject, issuer, serial and expiry", () => {
    const check = certificateCheck(facts, at("2026-02-01T00:00:00Z"));
    assert.deepEqual(check, {
      area: "aws",
      ok: true,
      message:
        'Roles Anywhere certificate /etc/tls/tls.crt: subject "O=tests, CN=ecr-public-creds-helper", issuer "CN=test CA", serial 1A2B3C, expires at 2026-03-01T00:00:00.000Z (in 28d)',
    });
    assert.match(checkLine(check), /^ok {4}Roles Anywhere/);
  });

  test("within a day of its end: a warning that still passes", () => {
    const check = certificateCheck(facts, at("2026-02-28T05:00:00Z"));
    assert.equal(check.ok, true);
    assert.equal(check.warning, true);
    assert.match(
      check.message,
      /expires at 2026-03-01T00:00:00\.000Z \(in 19h\); renew it: with cert-manager, see `kubectl describe certificate`.* before then$/,
    );
    assert.match(checkLine(check), /^warn {2}Roles Anywhere/);
  });

  test("the day's edge: exactly 24 h left warns, a millisecond more does not", () => {
    assert.equal(certificateCheck(facts, new Date(facts.validTo.getTime() - 24 * hour)).warning, true);
    assert.equal(certificateCheck(facts, new Date(facts.validTo.getTime() - 24 * hour - 1)).warning, undefined);
    assert.equal(certificateCheck(facts, new Date(facts.validTo.getTime() - 2 * hour), hour).warning, undefined, "the window is a parameter");
  });

  test("expired: FAIL, says when and what to do", () => {
    const check = certificateCheck(facts, at("2026-03-03T12:00:00Z"));
    assert.equal(check.ok, false);
    assert.equal(check.warning, undefined);
    assert.match(check.message, /, expired at 2026-03-01T00:00:00\.000Z \(2d ago\); renew it: /);
    assert.match(checkLine(check), /^FAIL {2}Roles Anywhere certificate \/etc\/tls\/tls\.crt: subject/);
  });

  test("not valid yet: FAIL, names its start and the clock", () => {
    const check = certificateCheck(facts, at("2025-12-31T22:30:00Z"));
    assert.equal(check.ok, false);
    assert.match(check.message, /, is not valid yet: valid from 2026-01-01T00:00:00\.000Z \(in 1h30m\); check this machine's clock/);
  });

  test("its very first and last instants are valid", () => {
    assert.equal(certificateCheck(facts, facts.validFrom).ok, true);
    assert.equal(certificateCheck(facts, facts.validTo).ok, true);
  });
});

describe("certificateExpiryEvent", () => {
  test("none while more than the window is left; a Warning once within it, the same text at every refresh", () => {
    assert.equal(certificateExpiryEvent(facts, new Date(facts.validTo.getTime() - 24 * hour - 1)), undefined);
    const first = certificateExpiryEvent(facts, new Date(facts.validTo.getTime() - 23 * hour));
    const later = certificateExpiryEvent(facts, new Date(facts.validTo.getTime() - hour));
    assert.deepEqual(first, {
      type: "Warning",
      reason: "CertificateExpiring",
      message:
        "the IAM Roles Anywhere certificate /etc/tls/tls.crt (serial 1A2B3C) expires at 2026-03-01T00:00:00.000Z; no AWS credentials after that; renew it: with cert-manager, see `kubectl describe certificate` in the helper's namespace; else replace tls.crt and tls.key in its Secret",
    });
    assert.deepEqual(later, first, "no relative time: the recorder de-duplicates it");
    assert.equal(certificateExpiryEvent(facts, new Date(facts.validTo.getTime() - 3 * hour), 2 * hour), undefined);
  });
});

test("oneLineName joins X509Certificate's lines", () => {
  assert.equal(oneLineName("O=tests\nCN=helper"), "O=tests, CN=helper");
  assert.equal(oneLineName("CN=x\n"), "CN=x");
});
