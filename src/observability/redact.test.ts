import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { redactedPaths, registerSecret, scrub } from "./redact.ts";

// The registry is process-wide; each test uses values of its own.
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

describe("registerSecret / scrub", () => {
  test("an unregistered value passes through unchanged", () => {
    assert.equal(scrub("nothing secret about unregistered-value-1"), "nothing secret about unregistered-value-1");
  });

  test("scrubs every occurrence of a registered secret", () => {
    registerSecret("s3cr3t-password-A");
    assert.equal(scrub("pw=s3cr3t-password-A; again s3cr3t-password-A."), "pw=[REDACTED]; again [REDACTED].");
  });

  test("scrubs the base64 form too", () => {
    const secret = "AWS:token-value-B-0123456789";
    registerSecret(secret);
    const line = `Authorization: Basic ${b64(secret)}`;
    assert.equal(scrub(line), "Authorization: Basic [REDACTED]");
    assert.ok(!scrub(`{"auth":"${b64(secret)}","password":"${secret}"}`).includes("token-value-B"));
  });

  test("values shorter than 8 characters are ignored", () => {
    registerSecret("short-C");
    assert.equal(scrub("a short-C word"), "a short-C word");
    registerSecret("");
    assert.equal(scrub("empty"), "empty");
  });

  test("exactly 8 characters are registered", () => {
    registerSecret("8chars-D");
    assert.equal(scrub("x8chars-Dx"), "x[REDACTED]x");
  });

  test("several secrets are all scrubbed", () => {
    registerSecret("first-secret-E");
    registerSecret("second-secret-E");
    assert.equal(scrub("first-secret-E and second-secret-E"), "[REDACTED] and [REDACTED]");
  });

  test("registering twice is harmless", () => {
    registerSecret("twice-registered-F");
    registerSecret("twice-registered-F");
    assert.equal(scrub("twice-registered-F"), "[REDACTED]");
  });
});

describe("redactedPaths", () => {
  test("cover credential fields at the top level and one level down", () => {
    for (const field of ["password", "token", "auth", "authorizationToken", "dockerConfigJson", "data"]) {
      assert.ok(redactedPaths.includes(field), field);
      assert.ok(redactedPaths.includes(`*.${field}`), `*.${field}`);
    }
  });
});

test("only the newest 64 values are kept, so a long-running controller does not grow", () => {
  const first = "first-secret-value-0000";
  registerSecret(first);
  for (let i = 0; i < 40; i++) registerSecret(`later-secret-value-${String(i).padStart(4, "0")}`);
  assert.equal(scrub(`x ${first} y`), `x ${first} y`, "the oldest value was dropped");
  assert.equal(scrub("later-secret-value-0039"), "[REDACTED]");
});
