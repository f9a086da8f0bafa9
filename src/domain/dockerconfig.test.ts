import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildDockerConfigJson, ecrPublicServer, mergeDockerConfigJson, registryHosts } from "./dockerconfig.ts";

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

describe("mergeDockerConfigJson", () => {
  // As `kubectl create secret docker-registry` writes it, with a field we do not know.
  const ghcrEntry = '{"username":"bot","password":"ghp_abc/+=","email":"bot@example.com","auth":"Ym90OmdocF9hYmMvKz0=","x-extra":[1,{"a":null}]}';
  const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
  const ours =
    (...hosts: string[]) =>
    (host: string) =>
      hosts.includes(host);
  const fresh = [{ server: ecrPublicServer, username: "AWS", password: "new" }];
  const current = `{"auths":{"public.ecr.aws":{"username":"AWS","password":"old","auth":"QVdTOm9sZA=="},"ghcr.io":${ghcrEntry}}}`;

  test("another registry's entry is kept byte for byte; ours gets the new credentials", () => {
    const merged = mergeDockerConfigJson(current, fresh, ours(ecrPublicServer));
    assert.ok(merged.includes(`"ghcr.io":${ghcrEntry}`), merged);
    assert.deepEqual(JSON.parse(merged).auths[ecrPublicServer], { username: "AWS", password: "new", auth: b64("AWS:new") });
    assert.deepEqual(Object.keys(JSON.parse(merged).auths).sort(), ["ghcr.io", ecrPublicServer]);
  });

  test("a host we wrote and no longer want is removed; one we did not write is not", () => {
    const both = `{"auths":{"${privateHost}":{"auth":"eA=="},"public.ecr.aws":{"auth":"eQ=="},"ghcr.io":${ghcrEntry}}}`;
    assert.deepEqual(registryHosts(mergeDockerConfigJson(both, fresh, ours(ecrPublicServer, privateHost))), ["ghcr.io", ecrPublicServer]);
    assert.deepEqual(registryHosts(mergeDockerConfigJson(both, fresh, ours(ecrPublicServer))), [privateHost, "ghcr.io", ecrPublicServer]);
  });

  test("a host we write now replaces whoever's entry held it", () => {
    const merged = mergeDockerConfigJson(`{"auths":{"public.ecr.aws":{"auth":"cGVyc29uOnB3"}}}`, fresh, ours());
    assert.equal(JSON.parse(merged).auths[ecrPublicServer].password, "new");
  });

  test("the fail-safe (no credentials) removes our entries and keeps the others", () => {
    assert.equal(mergeDockerConfigJson(current, [], ours(ecrPublicServer)), `{"auths":{"ghcr.io":${ghcrEntry}}}`);
  });

  test("top-level keys besides auths are kept, in their place", () => {
    const merged = mergeDockerConfigJson('{"HttpHeaders":{"User-Agent":"x"},"auths":{},"credsStore":"none"}', fresh, ours());
    assert.deepEqual(Object.keys(JSON.parse(merged)), ["HttpHeaders", "auths", "credsStore"]);
    assert.deepEqual(JSON.parse(merged).HttpHeaders, { "User-Agent": "x" });
  });

  test("what is not a dockerconfigjson object is replaced whole", () => {
    for (const text of [undefined, "", "not json", "null", "[]", '"auths"', "{}", '{"auths":null}', '{"auths":[{"a":1}]}', '{"auths":"x"}']) {
      const merged = JSON.parse(mergeDockerConfigJson(text, fresh, ours()));
      assert.deepEqual(merged.auths, JSON.parse(buildDockerConfigJson(fresh)).auths, String(text));
    }
  });

  test('a "__proto__" host stays an ordinary entry', () => {
    const merged = mergeDockerConfigJson('{"auths":{"__proto__":{"auth":"eA=="}}}', fresh, ours());
    assert.ok(merged.includes('"__proto__":{"auth":"eA=="}'), merged);
    assert.deepEqual(registryHosts(merged), ["__proto__", ecrPublicServer]);
  });
});
