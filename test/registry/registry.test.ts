// Proves the local registry really enforces auth, so e2e tests built on it can
// trust that a successful pull means the dockerconfigjson authenticated it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { pullWithAuthFile, rewriteAuthHost, startRegistry, type RunningRegistry } from "./registry.ts";

const USERNAME = "AWS";
// Random per run, and within bcrypt's 72-byte limit (see startRegistry).
const PASSWORD = randomBytes(24).toString("base64url");

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");

function dockerConfigJson(host: string, password: string): string {
  return JSON.stringify({ auths: { [host]: { username: USERNAME, password, auth: basic(USERNAME, password) } } });
}

describe("local registry with htpasswd auth", { timeout: 120_000 }, () => {
  let registry: RunningRegistry;

  before(async () => {
    const started = Date.now();
    registry = await startRegistry({ username: USERNAME, password: PASSWORD });
    console.log(`registry start + push took ${Date.now() - started} ms`);
  });

  after(async () => {
    await registry?.stop();
  });

  it("refuses an anonymous manifest GET and serves it with basic auth", async () => {
    const url = `http://${registry.host}/v2/demo/hello/manifests/1`;
    const accept = "application/vnd.oci.image.manifest.v1+json";
    const anonymous = await fetch(url, { headers: { accept } });
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 401);
    const authed = await fetch(url, { headers: { accept, authorization: `Basic ${basic(USERNAME, PASSWORD)}` } });
    assert.equal(authed.status, 200, await authed.text());
  });

  it("pulls with username, password and auth", async () => {
    const result = await pullWithAuthFile(registry.image, dockerConfigJson(registry.host, PASSWORD));
    assert.deepEqual(result, { ok: true, stderr: "" });
  });

  it("fails to pull with a wrong password", async () => {
    const result = await pullWithAuthFile(registry.image, dockerConfigJson(registry.host, `${PASSWORD}x`));
    assert.equal(result.ok, false);
    assert.match(result.stderr, /unauthorized|authentication required/i);
    assert.doesNotMatch(result.stderr, new RegExp(PASSWORD));
  });

  it("fails to pull anonymously with empty auths", async () => {
    const result = await pullWithAuthFile(registry.image, JSON.stringify({ auths: {} }));
    assert.equal(result.ok, false);
    assert.match(result.stderr, /unauthorized|authentication required/i);
  });

  it("pulls with only the auth field, as kubelet-style configs carry", async () => {
    const config = JSON.stringify({ auths: { [registry.host]: { auth: basic(USERNAME, PASSWORD) } } });
    assert.deepEqual(await pullWithAuthFile(registry.image, config), { ok: true, stderr: "" });
  });

  it("pulls with a public.ecr.aws config only after rewriteAuthHost", async () => {
    const forEcr = dockerConfigJson("public.ecr.aws", PASSWORD);
    assert.equal((await pullWithAuthFile(registry.image, forEcr)).ok, false);
    const rewritten = rewriteAuthHost(forEcr, "public.ecr.aws", registry.host);
    assert.deepEqual(await pullWithAuthFile(registry.image, rewritten), { ok: true, stderr: "" });
  });
});

describe("rewriteAuthHost", () => {
  it("renames only the given auths key and keeps everything else", () => {
    const input = JSON.stringify({
      auths: { "public.ecr.aws": { auth: "YTpi" }, "other.example": { auth: "Yzpk" } },
      credHelpers: { x: "y" },
    });
    assert.deepEqual(JSON.parse(rewriteAuthHost(input, "public.ecr.aws", "127.0.0.1:5000")), {
      auths: { "127.0.0.1:5000": { auth: "YTpi" }, "other.example": { auth: "Yzpk" } },
      credHelpers: { x: "y" },
    });
  });

  it("replaces an existing entry for the target host instead of duplicating it", () => {
    const input = JSON.stringify({ auths: { "127.0.0.1:5000": { auth: "old" }, "public.ecr.aws": { auth: "new" } } });
    assert.deepEqual(JSON.parse(rewriteAuthHost(input, "public.ecr.aws", "127.0.0.1:5000")), {
      auths: { "127.0.0.1:5000": { auth: "new" } },
    });
  });

  it("throws when the source host is missing", () => {
    assert.throws(() => rewriteAuthHost(JSON.stringify({ auths: {} }), "public.ecr.aws", "h"), /public\.ecr\.aws/);
  });
});

describe("startRegistry", () => {
  it("rejects passwords bcrypt would truncate", async () => {
    await assert.rejects(startRegistry({ username: USERNAME, password: "x".repeat(73) }), /72 bytes/);
  });
});
