// One version everywhere: package.json's "version" is the chart's version and appVersion and
// the image tag both the chart and the kustomize overlays deploy. A release bumps them together.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../testenv/paths.ts";
import { chartDir, deployDir, helmTemplate, kustomize, mainContainer, parseManifests, podTemplate, workloads } from "./support.ts";

const { version } = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version: string };

function field(yaml: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*"?([^"\\s]+)"?\\s*$`, "m").exec(yaml)?.[1];
}

describe("versions move together", () => {
  test("Chart.yaml version and appVersion equal package.json version", async () => {
    const chart = await readFile(join(chartDir, "Chart.yaml"), "utf8");
    assert.equal(field(chart, "version"), version);
    assert.equal(field(chart, "appVersion"), version);
  });

  test("the chart deploys the image tagged with the version", async () => {
    for (const mode of ["cronjob", "controller"]) {
      const [workload] = workloads(parseManifests(await helmTemplate("default", [`mode=${mode}`])));
      assert.ok(workload);
      assert.equal(mainContainer(podTemplate(workload)).image, `ecr-public-creds-helper:${version}`);
    }
  });

  test("every kustomize overlay deploys the image tagged with the version", async () => {
    for (const overlay of ["cronjob", "controller"]) {
      const [workload] = workloads(parseManifests(await kustomize(join(deployDir, "overlays", overlay))));
      assert.ok(workload);
      assert.equal(mainContainer(podTemplate(workload)).image, `ecr-public-creds-helper:${version}`);
    }
  });
});
