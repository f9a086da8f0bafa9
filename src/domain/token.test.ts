import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MalformedTokenError, checkExpiry, mergeTokens, parseAuthorizationToken } from "./token.ts";

const server = "public.ecr.aws";
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** Asserts a MalformedTokenError mentioning `fragment` whose message leaks none of `secrets`. */
function assertMalformed(fn: () => unknown, fragment: RegExp, secrets: readonly string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MalformedTokenError);
    assert.equal(error.name, "MalformedTokenError");
    assert.match(error.message, fragment);
    assert.match(error.message, /public\.ecr\.aws/);
    for (const secret of secrets) {
      if (secret.length > 0) assert.ok(!error.message.includes(secret), `message leaks ${JSON.stringify(secret)}`);
    }
    return true;
  });
}

describe("parseAuthorizationToken", () => {
  test("decodes user and password", () => {
    assert.deepEqual(parseAuthorizationToken(b64("AWS:s3cr3t-pa55word"), server), {
      server,
      username: "AWS",
      password: "s3cr3t-pa55word",
    });
  });

  test("splits at the first colon only: the password may hold colons", () => {
    const credential = parseAuthorizationToken(b64("AWS:pa:ss:word=="), "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    assert.equal(credential.username, "AWS");
    assert.equal(credential.password, "pa:ss:word==");
    assert.equal(credential.server, "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  });

  test("keeps non-ASCII passwords intact", () => {
    assert.equal(parseAuthorizationToken(b64("AWS:pässwörd✓"), server).password, "pässwörd✓");
  });

  test("empty or missing token", () => {
    assertMalformed(() => parseAuthorizationToken(undefined, server), /is empty/, []);
    assertMalformed(() => parseAuthorizationToken("", server), /is empty/, []);
  });

  test("not base64", () => {
    const samples = [
      "not base64 at all!!",
      "QVdTOnNlY3JldA", // valid alphabet, length not a multiple of 4
      "QVdT*nNlY3JldA==",
      "QVdTOnNlY3JldA-_", // URL-safe alphabet
      "=QVdTOnNlY3JldA=",
    ];
    for (const token of samples) {
      assertMalformed(() => parseAuthorizationToken(token, server), /is not base64/, [token]);
    }
  });

  test("no colon", () => {
    const token = b64("AWSsupersecretpassword");
    assertMalformed(() => parseAuthorizationToken(token, server), /no "user:password" separator/, [token, "AWSsupersecretpassword", "supersecretpassword"]);
  });

  test("empty user name", () => {
    const token = b64(":supersecretpassword");
    assertMalformed(() => parseAuthorizationToken(token, server), /empty user name/, [token, "supersecretpassword"]);
  });

  test("empty password", () => {
    const token = b64("AWS-very-long-user:");
    assertMalformed(() => parseAuthorizationToken(token, server), /empty password/, [token, "AWS-very-long-user"]);
  });
});

describe("checkExpiry", () => {
  const now = new Date("2025-06-01T12:00:00Z");

  test("returns a future expiry unchanged", () => {
    const expiresAt = new Date("2025-06-01T24:00:00Z");
    assert.equal(checkExpiry(expiresAt, now, server), expiresAt);
    const oneMsLater = new Date(now.getTime() + 1);
    assert.equal(checkExpiry(oneMsLater, now, server), oneMsLater);
  });

  test("no expiry", () => {
    assertMalformed(() => checkExpiry(undefined, now, server), /has no expiry time/, []);
    assertMalformed(() => checkExpiry(new Date("not a date"), now, server), /has no expiry time/, []);
  });

  test("expired, or expiring exactly now", () => {
    assertMalformed(() => checkExpiry(new Date("2025-06-01T11:00:00Z"), now, server), /expired at 2025-06-01T11:00:00\.000Z; check the clock/, []);
    assertMalformed(() => checkExpiry(new Date(now.getTime()), now, server), /expired at/, []);
  });
});

describe("mergeTokens", () => {
  test("keeps every credential and the earliest expiry", () => {
    const a = { server: "public.ecr.aws", username: "AWS", password: "p1" };
    const b = { server: "1.dkr.ecr.eu-west-1.amazonaws.com", username: "AWS", password: "p2" };
    const merged = mergeTokens([
      { credentials: [a], expiresAt: new Date("2026-01-01T12:00:00Z") },
      { credentials: [b], expiresAt: new Date("2026-01-01T06:00:00Z") },
    ]);
    assert.deepEqual(merged.credentials, [a, b]);
    assert.equal(merged.expiresAt.toISOString(), "2026-01-01T06:00:00.000Z");
  });
});
