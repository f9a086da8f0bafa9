// docs/install.md's migration, replayed: a namespace holds the secret the archived script
// made (`kubectl create secret docker-registry ecr-public-token`); the shipped CronJob's
// settings leave it alone until ADOPT=true, then take it over, and need ADOPT no more.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { logLines, runCli } from "../support/cli.ts";
import { adminClients, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { chartCombinations, deployDir, find, helmTemplate, kubectl, kustomize, mainContainer, overlayNames, parseManifests, podTemplate } from "./support.ts";

const { core } = adminClients();

/** The shipped CronJob's environment with the user's TARGET_NAMESPACES, as a migrating user sets it. */
async function cronjobEnv(namespace: string): Promise<Record<string, string>> {
  const cron = find(parseManifests(await kustomize(join(deployDir, "overlays", "cronjob"))), "CronJob");
  const env = Object.fromEntries((mainContainer(podTemplate(cron)).env ?? []).map((e) => [e.name, e.value ?? ""]));
  assert.ok("TARGET_NAMESPACES" in env);
  return { ...env, TARGET_NAMESPACES: namespace };
}

describe("migration from the archived script", () => {
  test("its secret is kept until ADOPT=true, then taken over for good", async () => {
    const namespace = uniqueName("legacy");
    assert.equal((await kubectl(["create", "namespace", namespace])).code, 0);
    // Exactly what the archived entrypoint.sh ran.
    const legacy = await kubectl([
      "-n",
      namespace,
      "create",
      "secret",
      "docker-registry",
      "ecr-public-token",
      "--docker-server=public.ecr.aws",
      "--docker-username=AWS",
      "--docker-password=legacy-token",
      "--docker-email=none",
    ]);
    assert.equal(legacy.code, 0, legacy.stderr);
    const env = await cronjobEnv(namespace);

    const untouched = await runCli(["sync"], env);
    assert.notEqual(untouched.code, 0, "a foreign secret left alone needs the user's attention");
    assert.match(untouched.stderr, /--adopt/);
    assert.equal(dockerConfig(await readSecret(core, namespace)).auths["public.ecr.aws"]?.password, "legacy-token");

    const adopted = await runCli(["sync"], { ...env, ADOPT: "true" });
    assert.equal(adopted.code, 0, adopted.stderr);
    assert.ok(
      logLines(adopted).some((l) => l["namespace"] === namespace && l["action"] === "adopt"),
      "no adopt in the log",
    );
    const secret = await readSecret(core, namespace);
    assert.equal(secret?.metadata?.labels?.["app.kubernetes.io/managed-by"], "ecr-public-creds-helper");
    assert.notEqual(dockerConfig(secret).auths["public.ecr.aws"]?.password, "legacy-token");

    const after = await runCli(["sync", "--force"], env);
    assert.equal(after.code, 0, `ADOPT should no longer be needed: ${after.stderr}`);
  });

  test("removing the old RBAC and service account cannot touch ours", async () => {
    const old = ["secrets-editor", "edit-secrets", "sa-secrets-editor"];
    const sources = [
      ...(await Promise.all(overlayNames().map((o) => kustomize(join(deployDir, "overlays", o))))),
      ...(await Promise.all(chartCombinations.map(({ sets }) => helmTemplate("ecr-public-creds-helper", sets)))),
    ];
    for (const yaml of sources) {
      for (const m of parseManifests(yaml)) assert.ok(!old.includes(m.metadata.name), `${m.kind} ${m.metadata.name} reuses an old name`);
    }
  });
});
