// Which namespaces a sync serves: globs, --exclude, label selector, opt-out annotation.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, readSecret, uniqueName } from "../support/kube.ts";

const { core } = adminClients();

describe("namespace selection", () => {
  const team = uniqueName("sel");
  const [a, b, skip, optOut] = [`${team}-a`, `${team}-b`, `${team}-skip`, `${team}-optout`];
  const labelled = uniqueName("lbl");

  before(async () => {
    await emulator().reset();
    await createNamespaces(core, [a, b, skip]);
    await createNamespaces(core, [optOut], {}, { "ecr-public-creds-helper/ignore": "true" });
    await createNamespaces(core, [labelled], { "ecr-pull": "yes", tier: "web" });
  });

  test("a glob with --exclude and an opted-out namespace", async () => {
    const result = await runCli(["sync", "--namespaces", `${team}-*`, "--exclude", `*-skip`]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(await readSecret(core, a));
    assert.ok(await readSecret(core, b));
    assert.equal(await readSecret(core, skip), undefined, "excluded");
    assert.equal(await readSecret(core, optOut), undefined, "opted out by annotation");
  });

  test("a label selector alone selects the matching namespaces of the whole cluster", async () => {
    const result = await runCli(["sync", "--namespace-selector", "ecr-pull=yes,tier in (web,api)"]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(await readSecret(core, labelled));
  });

  test("a selection that matches nothing is an error", async () => {
    const result = await runCli(["sync", "--namespaces", "nothing-matches-*"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no namespace matches the selection/);
  });
});
