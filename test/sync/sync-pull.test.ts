// End to end: the .dockerconfigjson that sync writes authenticates a real image pull (skopeo
// against a real registry with htpasswd auth, user AWS, password = the emulator's token).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { pullWithAuthFile, rewriteAuthHost, startRegistry, type RunningRegistry } from "../registry/registry.ts";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";

const { core } = adminClients();
const control = emulator();

describe("a synced secret pulls an image", () => {
  const password = randomBytes(24).toString("base64url");
  let registry: RunningRegistry;
  const ns = uniqueName("pull");

  before(async () => {
    await control.reset();
    await control.configure({ tokenMode: "fixed", fixedPassword: password });
    registry = await startRegistry({ username: "AWS", password });
    await createNamespaces(core, [ns]);
  });
  after(async () => {
    await registry?.stop();
    await control.reset();
  });

  test("the written secret authenticates a pull; a wrong token is refused", async () => {
    const result = await runCli(["sync"], { TARGET_NAMESPACES: ns });
    assert.equal(result.code, 0, result.stderr);
    const secret = await readSecret(core, ns);
    const config = Buffer.from(secret?.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8");
    const local = rewriteAuthHost(config, "public.ecr.aws", registry.host);
    const ok = await pullWithAuthFile(registry.image, local);
    assert.equal(ok.ok, true, ok.stderr);
    const wrong = local.replaceAll(Buffer.from(`AWS:${password}`).toString("base64"), Buffer.from("AWS:not-the-token").toString("base64"));
    assert.notEqual(wrong, local);
    assert.equal((await pullWithAuthFile(registry.image, wrong)).ok, false);
  });
});
