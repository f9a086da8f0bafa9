import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { registerSecret } from "../observability/redact.ts";
import { pluginSaid } from "./exec-plugin.ts";

describe("pluginSaid: what of a plugin's stderr may reach a log", () => {
  test("the first line that says something, trimmed", () => {
    assert.equal(
      pluginSaid("\n  \n  error: the token service is unreachable  \nTraceback (most recent call last):\n  secret stuff\n"),
      "error: the token service is unreachable",
    );
    assert.equal(pluginSaid(""), "");
  });

  test("secrets assigned to a key that names them are removed, the words around them kept", () => {
    const cases: Array<[string, string]> = [
      ["error: refresh_token=rt-0123456789 expired", "error: refresh_token=[REDACTED] expired"],
      ['{"refresh_token": "rt-0123456789", "error": "invalid_grant"}', '{"refresh_token": [REDACTED], "error": "invalid_grant"}'],
      ["client_secret: s3cr3t-value, retrying", "client_secret: [REDACTED], retrying"],
      ["AWS_SECRET_ACCESS_KEY=abc/def+ghi not accepted", "AWS_SECRET_ACCESS_KEY=[REDACTED] not accepted"],
      ["password='hunter2-long' rejected", "password=[REDACTED] rejected"],
      ["GET https://sts.example/?X-Amz-Credential=AKIA123&Action=x failed", "GET https://sts.example/?X-Amz-Credential=[REDACTED]&Action=x failed"],
    ];
    for (const [said, kept] of cases) assert.equal(pluginSaid(said), kept);
  });

  test("bearer tokens and JWTs are removed wherever they stand", () => {
    assert.equal(pluginSaid("sent Authorization: Bearer abc.def-ghi and got 401"), "sent Authorization: Bearer [REDACTED] and got 401");
    assert.equal(pluginSaid("id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl was refused"), "id [REDACTED] was refused");
  });

  test("values the process registered as secret are removed even without a key", () => {
    registerSecret("registered-secret-4d2c");
    assert.equal(pluginSaid("cannot use registered-secret-4d2c here"), "cannot use [REDACTED] here");
  });

  test("a long line is cut", () => {
    const said = pluginSaid(`error: ${"x ".repeat(500)}`);
    assert.equal(said.length, 200);
    assert.ok(said.endsWith("…"));
  });
});
