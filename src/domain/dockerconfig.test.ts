import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildDockerConfigJson, ecrPublicServer, registryHosts } from "./dockerconfig.ts";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

describe("buildDockerConfigJson", () => {
  test("one auths entry per credential with username, password and base64 auth", () => {
    const json = buildDockerConfigJson([
      { server: ecrPublicServer, username: "AWS", password: "p4ss:w0rd" },
      { server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", username: "AWS", password: "other" },
    ]);
    assert.deepEqual(JSON.parse(json), {
      auths: {
        "public.ecr.aws": { username: "AWS", password: "p4ss:w0rd", auth: b64("AWS:p4ss:w0rd") },
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com": { username: "AWS", password: "other", auth: b64("AWS:other") },
      },
    });
  });

  test("auth is utf-8 base64", () => {
    const entry = JSON.parse(buildDockerConfigJson([{ server: "r", username: "ü", password: "✓" }])).auths.r;
    assert.equal(Buffer.from(entry.auth, "base64").toString("utf8"), "ü:✓");
  });

  test("no credentials gives empty auths", () => {
    assert.equal(buildDockerConfigJson([]), '{"auths":{}}');
  });

  test("the ECR Public host", () => {
    assert.equal(ecrPublicServer, "public.ecr.aws");
  });
});

describe("registryHosts", () => {
  test("lists hosts sorted", () => {
    const json = JSON.stringify({ auths: { "public.ecr.aws": {}, "123456789012.dkr.ecr.eu-west-1.amazonaws.com": {} } });
    assert.deepEqual(registryHosts(json), ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "public.ecr.aws"]);
  });

  test("round-trips buildDockerConfigJson", () => {
    const json = buildDockerConfigJson([
      { server: "z.example", username: "u", password: "p" },
      { server: "a.example", username: "u", password: "p" },
    ]);
    assert.deepEqual(registryHosts(json), ["a.example", "z.example"]);
  });

  test("empty auths is an empty list, not undefined", () => {
    assert.deepEqual(registryHosts('{"auths":{}}'), []);
  });

  test("undefined for what is not a dockerconfigjson", () => {
    for (const text of [undefined, "", "not json", "null", "42", '"auths"', "{}", '{"auths":null}', '{"auths":"x"}']) {
      assert.equal(registryHosts(text), undefined, String(text));
    }
  });
});
