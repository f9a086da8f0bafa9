// Issue 13, point 6: a login for another registry that a person or a second tool put into our
// secret is theirs. `sync --force` and the controller's repair rewrite our entry and keep theirs
// byte for byte; adding it does not make the controller rewrite the secret, so the two writers
// no longer take turns overwriting each other.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { allOutput, runCli } from "../support/cli.ts";
import { eventually, readyz, startController, type RunningController } from "../support/controller.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { auditMark, callsIn } from "../kube/calls.ts";

const { core } = adminClients();
const control = emulator();
const secretName = "ecr-public-token";
const registriesAnnotation = "ecr-public-creds-helper/registries";

// As `kubectl create secret docker-registry` writes an entry; the password is planted to be
// looked for in every line we print.
const ghcrPassword = "ghp_plantedForeignEntry0001";
const ghcrEntry = `{"username":"bot","password":"${ghcrPassword}","email":"bot@example.com","auth":"${Buffer.from(`bot:${ghcrPassword}`).toString("base64")}"}`;

const configText = (secret: V1Secret | undefined): string => Buffer.from(secret?.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8");

/** Replaces the secret's `.dockerconfigjson` with `edit` of its text, as a person with kubectl edit would. */
async function editConfig(namespace: string, edit: (text: string) => string): Promise<V1Secret> {
  const secret = await readSecret(core, namespace);
  assert.ok(secret, `no secret in ${namespace}`);
  const text = configText(secret);
  const edited = edit(text);
  assert.notEqual(edited, text, "the edit changed nothing");
  return core.replaceNamespacedSecret({
    name: secretName,
    namespace,
    body: { ...secret, data: { ".dockerconfigjson": Buffer.from(edited).toString("base64") } },
  });
}

const addGhcr = (text: string): string => text.replace('{"auths":{', `{"auths":{"ghcr.io":${ghcrEntry},`);
/** Our entry (flat: no nested object) taken out, the rest left as it is. */
const dropOurs = (text: string): string => text.replace(/"public\.ecr\.aws":\{[^{}]*\},?/, "").replace(/,\}\}$/, "}}");

/** Our writes to the secret in `namespace` since `mark`, as "verb code". */
const ourSecretWrites = (mark: number, namespace: string): string[] =>
  callsIn(mark, namespace)
    .filter(
      (c) => c.resource === "secrets" && c.verb !== "get" && c.verb !== "list" && c.verb !== "watch" && c.userAgent?.startsWith("ecr-public-creds-helper/"),
    )
    .map((c) => `${c.verb} ${c.code}`);

/** Whether the emulator issued `password` (others' tests may ask it for tokens too). */
const issued = async (password: string | undefined): Promise<boolean> =>
  password !== undefined && (await control.issued()).tokens.some((t) => t.password === password);

describe("another registry's entry in our secret", () => {
  test("survives sync --force byte for byte; our entry gets the new token", async () => {
    const ns = uniqueName("foreign-entry-sync");
    await createNamespaces(core, [ns]);
    const first = await runCli(["sync", "-n", ns]);
    assert.equal(first.code, 0, first.stderr);
    const before = dockerConfig(await readSecret(core, ns)).auths["public.ecr.aws"]?.password;
    await editConfig(ns, addGhcr);

    const forced = await runCli(["sync", "-n", ns, "--force"]);

    assert.equal(forced.code, 0, forced.stderr);
    const secret = await readSecret(core, ns);
    assert.ok(configText(secret).includes(`"ghcr.io":${ghcrEntry}`), "the ghcr.io entry, byte for byte");
    const ours = dockerConfig(secret).auths["public.ecr.aws"]?.password;
    assert.ok(await issued(ours));
    assert.notEqual(ours, before);
    assert.equal(secret?.metadata?.annotations?.[registriesAnnotation], "public.ecr.aws");
  });

  test("a secret written before the registries record: the ECR entry is ours, ghcr.io is kept", async () => {
    const ns = uniqueName("foreign-entry-old");
    await createNamespaces(core, [ns]);
    const first = await runCli(["sync", "-n", ns]);
    assert.equal(first.code, 0, first.stderr);
    await editConfig(ns, addGhcr);
    const read = await readSecret(core, ns);
    const { [registriesAnnotation]: _dropped, ...older } = read?.metadata?.annotations ?? {};
    await core.replaceNamespacedSecret({ name: secretName, namespace: ns, body: { ...read, metadata: { ...read?.metadata, annotations: older } } });

    const forced = await runCli(["sync", "-n", ns, "--force"]);

    assert.equal(forced.code, 0, forced.stderr);
    const secret = await readSecret(core, ns);
    assert.ok(configText(secret).includes(`"ghcr.io":${ghcrEntry}`), "the ghcr.io entry, byte for byte");
    assert.deepEqual(Object.keys(dockerConfig(secret).auths).sort(), ["ghcr.io", "public.ecr.aws"]);
    assert.ok(await issued(dockerConfig(secret).auths["public.ecr.aws"]?.password));
    assert.equal(secret?.metadata?.annotations?.[registriesAnnotation], "public.ecr.aws");
  });

  test("a plain sync leaves a fresh secret with another entry alone", async () => {
    const ns = uniqueName("foreign-entry-fresh");
    await createNamespaces(core, [ns]);
    assert.equal((await runCli(["sync", "-n", ns])).code, 0);
    const edited = await editConfig(ns, addGhcr);
    const mark = auditMark();

    const again = await runCli(["sync", "-n", ns]);

    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(ourSecretWrites(mark, ns), []);
    assert.equal((await readSecret(core, ns))?.metadata?.resourceVersion, edited.metadata?.resourceVersion);
  });
});

describe("another registry's entry under run", () => {
  const prefix = uniqueName("foreign-entry-run");
  let ctl: RunningController;

  before(async () => {
    ctl = await startController(["--namespaces", `${prefix}-*`]);
    // Generous: a busy machine starts the process, lists and gets a token slowly.
    await eventually("ready", async () => (await readyz(ctl)) === 200, 60_000);
  });
  after(async () => {
    await ctl.stop();
  });

  test("adding the entry makes no write; a repair of ours keeps it byte for byte", async () => {
    const [ns, barrier] = [`${prefix}-a`, `${prefix}-b`];
    await createNamespaces(core, [ns, barrier]);
    for (const namespace of [ns, barrier]) await eventually(`secret in ${namespace}`, () => readSecret(core, namespace), 60_000);
    const mark = auditMark();
    await editConfig(ns, addGhcr);

    // A barrier: the same watch delivers the other namespace's edit after this one, and the
    // controller repairs it; by then it has judged this edit.
    await editConfig(barrier, dropOurs);
    await eventually("barrier repaired", async () => dockerConfig(await readSecret(core, barrier)).auths["public.ecr.aws"], 60_000);
    assert.deepEqual(ourSecretWrites(mark, ns), [], "the added entry alone does not make the secret stale");

    // Our entry broken: the controller repairs it, keeping the other one.
    await editConfig(ns, dropOurs);
    const repaired = await eventually(
      "repaired",
      async () => {
        const secret = await readSecret(core, ns);
        return dockerConfig(secret).auths["public.ecr.aws"] ? secret : undefined;
      },
      60_000,
    );

    assert.ok(configText(repaired).includes(`"ghcr.io":${ghcrEntry}`), "the ghcr.io entry, byte for byte");
    assert.ok(await issued(dockerConfig(repaired).auths["public.ecr.aws"]?.password));
    assert.deepEqual(ourSecretWrites(mark, ns), ["update 200"], "one repair, no rewriting back and forth");
  });

  test("no output of ours carries the other registry's password", () => {
    assert.ok(!allOutput.join("\n").includes(ghcrPassword));
    for (const line of ctl.logs) assert.ok(!JSON.stringify(line).includes(ghcrPassword));
  });
});
