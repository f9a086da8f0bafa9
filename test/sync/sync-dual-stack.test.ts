// Dual-stack registry names (src/domain/registries.ts): a private registry named
// ACCOUNT.dkr-ecr.REGION.on.aws and ECR Public's ecr-public.aws.com go into the same secret with
// the token of the registry's IPv4 name, with no AWS call per name, and a pod-style pull under
// each name authenticates: skopeo pulls the image by that name with the secret as written (no
// entry renamed), through a proxy that makes the local registry answer to it.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { startNameProxy, type NameProxy } from "../registry/name-proxy.ts";
import { eventually, startController } from "../support/controller.ts";
import { pullWithAuthFile, startRegistry, type RunningRegistry } from "../registry/registry.ts";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";

const { core } = adminClients();
const control = emulator();

const publicHost = "public.ecr.aws";
const publicDualStack = "ecr-public.aws.com";
const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const privateDualStack = "123456789012.dkr-ecr.eu-west-1.on.aws";
const otherDualStack = "210987654321.dkr-ecr.us-west-2.on.aws";

function secretText(secret: Awaited<ReturnType<typeof readSecret>>): string {
  return Buffer.from(secret?.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8");
}

describe("dual-stack names: same token, one call per registry", () => {
  const ns = uniqueName("dual-calls");
  before(async () => {
    await createNamespaces(core, [ns]);
  });
  beforeEach(async () => {
    await control.reset();
  });

  test("both names of a registry hold its token; one ECR Public call, one ECR call per region", async () => {
    const result = await runCli(["sync", "--ecr-public-dual-stack"], {
      TARGET_NAMESPACES: ns,
      ECR_REGISTRIES: [privateHost, privateDualStack, otherDualStack].join(" "),
    });
    assert.equal(result.code, 0, result.stderr);
    const secret = await readSecret(core, ns);
    const { auths } = dockerConfig(secret);
    const all = [otherDualStack, privateHost, privateDualStack, publicDualStack, publicHost].sort();
    assert.deepEqual(Object.keys(auths).sort(), all);
    assert.equal(secret?.metadata?.annotations?.["ecr-public-creds-helper/registries"], all.join(","));

    const calls = await control.calls();
    assert.equal(calls["ecr-public:GetAuthorizationToken"].total, 1);
    // eu-west-1 (both names of 123456789012) and us-west-2: one call each, whatever the names.
    assert.equal(calls["ecr:GetAuthorizationToken"].total, 2);
    const { tokens } = await control.issued();
    const publicToken = tokens.filter((t) => t.api === "ecr-public");
    const euWest = tokens.filter((t) => t.api === "ecr" && t.region === "eu-west-1");
    const usWest = tokens.filter((t) => t.api === "ecr" && t.region === "us-west-2");
    assert.deepEqual([publicToken.length, euWest.length, usWest.length], [1, 1, 1]);
    assert.equal(auths[publicHost]?.password, publicToken[0]?.password);
    assert.equal(auths[publicDualStack]?.password, publicToken[0]?.password);
    assert.equal(auths[privateHost]?.password, euWest[0]?.password);
    assert.equal(auths[privateDualStack]?.password, euWest[0]?.password);
    assert.equal(auths[otherDualStack]?.password, usWest[0]?.password);
    assert.equal(auths[publicDualStack]?.auth, auths[publicHost]?.auth);
    assert.notEqual(auths[privateDualStack]?.password, auths[publicDualStack]?.password);
  });

  test("status, given the same settings, calls the secret ok; without the option, due a rewrite", async () => {
    const settings = { TARGET_NAMESPACES: ns, ECR_REGISTRIES: [privateHost, privateDualStack, otherDualStack].join(" ") };
    const same = await runCli(["status", "--ecr-public-dual-stack", "-o", "json"], settings);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    const other = await runCli(["status", "-o", "json"], settings);
    assert.equal(other.code, 1);
    const item = (JSON.parse(other.stdout) as { items: Array<{ state: string; reason: string }> }).items[0];
    assert.deepEqual(item && { state: item.state, reason: item.reason }, { state: "refresh-due", reason: "registry list changed" });
  });

  test("names no longer wanted are removed; a login someone added is kept", async () => {
    const before = await readSecret(core, ns);
    const config = JSON.parse(secretText(before)) as { auths: Record<string, unknown> };
    config.auths["ghcr.io"] = { auth: Buffer.from("bot:pat").toString("base64") };
    await core.patchNamespacedSecret({
      name: "ecr-public-token",
      namespace: ns,
      body: [{ op: "replace", path: "/data/.dockerconfigjson", value: Buffer.from(JSON.stringify(config)).toString("base64") }],
    });
    const result = await runCli(["sync"], { TARGET_NAMESPACES: ns, ECR_REGISTRIES: privateHost });
    assert.equal(result.code, 0, result.stderr);
    const secret = await readSecret(core, ns);
    assert.deepEqual(Object.keys(dockerConfig(secret).auths).sort(), [privateHost, "ghcr.io", publicHost]);
    assert.equal(secret?.metadata?.annotations?.["ecr-public-creds-helper/registries"], [privateHost, publicHost].join(","));
  });
});

describe("the controller writes the dual-stack names too", () => {
  test("run with ECR_PUBLIC_DUAL_STACK and a dual-stack private registry: every name, one call each", async () => {
    await control.reset();
    const ns = uniqueName("dual-run");
    await createNamespaces(core, [ns]);
    const ctl = await startController(["--namespaces", ns], { ECR_PUBLIC_DUAL_STACK: "true", ECR_REGISTRIES: privateDualStack });
    try {
      const hosts = await eventually("the secret", async () => {
        const secret = await readSecret(core, ns);
        return secret && Object.keys(dockerConfig(secret).auths).sort();
      });
      assert.deepEqual(hosts, [privateDualStack, publicDualStack, publicHost].sort());
      const calls = await control.calls();
      assert.equal(calls["ecr-public:GetAuthorizationToken"].total, 1);
      assert.equal(calls["ecr:GetAuthorizationToken"].total, 1);
    } finally {
      await ctl.stop();
    }
  });
});

describe("a pod pulls under each dual-stack name", () => {
  // At most 72 bytes (the registry's bcrypt), so the emulator hands out a fixed one.
  const password = "dual-stack-test-token-0123456789";
  const withNames = uniqueName("dual-pull");
  const withoutNames = uniqueName("dual-none");
  let registry: RunningRegistry;
  let proxy: NameProxy;
  const names = [publicHost, publicDualStack, privateHost, privateDualStack];
  const image = (host: string): string => `${host}/demo/hello:1`;

  before(async () => {
    await control.reset();
    await control.configure({ tokenMode: "fixed", fixedPassword: password });
    registry = await startRegistry({ username: "AWS", password });
    proxy = await startNameProxy(Object.fromEntries(names.map((name) => [name, registry.host])));
    await createNamespaces(core, [withNames, withoutNames]);
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await control.reset();
  });

  test("a secret with both dual-stack names authenticates a pull under each of the four names", async () => {
    const result = await runCli(["sync"], {
      TARGET_NAMESPACES: withNames,
      ECR_PUBLIC_DUAL_STACK: "true",
      ECR_REGISTRIES: `${privateDualStack} ${privateHost}`,
    });
    assert.equal(result.code, 0, result.stderr);
    const config = secretText(await readSecret(core, withNames));
    for (const name of names) {
      const pulled = await pullWithAuthFile(image(name), config, { proxy: proxy.url });
      assert.equal(pulled.ok, true, `${name}: ${pulled.stderr}`);
    }
    // The pulls went to the registry under those names, not around the proxy.
    assert.deepEqual([...new Set(proxy.requests.map((r) => r.host))].sort(), [...names].sort());
  });

  test("without the dual-stack names, or with no secret entry at all, the pull is refused", async () => {
    const result = await runCli(["sync"], { TARGET_NAMESPACES: withoutNames, ECR_REGISTRIES: privateHost });
    assert.equal(result.code, 0, result.stderr);
    const ipv4Only = secretText(await readSecret(core, withoutNames));
    for (const name of [publicDualStack, privateDualStack]) {
      const refused = await pullWithAuthFile(image(name), ipv4Only, { proxy: proxy.url });
      assert.equal(refused.ok, false, `${name} pulled without an entry for it`);
      assert.match(refused.stderr, /unauthorized|authentication required/i);
    }
    for (const name of names) {
      assert.equal((await pullWithAuthFile(image(name), JSON.stringify({ auths: {} }), { proxy: proxy.url })).ok, false, `${name}: anonymous pull`);
    }
    // The IPv4 names in the same secret still pull: the refusals above are about the names.
    assert.equal((await pullWithAuthFile(image(publicHost), ipv4Only, { proxy: proxy.url })).ok, true);
  });
});
