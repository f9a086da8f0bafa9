// Pod Security: real Pods (not a dry-run) made from every shipped pod template, kustomize and
// Helm, are admitted into a namespace labelled like deploy/base/namespace.yaml (restricted),
// and a template without runAsNonRoot is refused there. The testenv has no scheduler, so the
// pods stay Pending: admission is what is tested.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { uniqueName } from "../support/kube.ts";
import {
  chartCombinations,
  deployDir,
  ensureServiceAccount,
  find,
  helmTemplate,
  kubectl,
  kustomize,
  overlayNames,
  parseManifests,
  podTemplate,
  workloads,
  type PodTemplate,
} from "./support.ts";

const namespace = uniqueName("pss");

async function createPod(name: string, template: PodTemplate): Promise<{ code: number; stderr: string }> {
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name, labels: template.metadata?.labels ?? {} }, spec: template.spec };
  return kubectl(["create", "-n", namespace, "-f", "-"], JSON.stringify(pod));
}

async function templates(): Promise<Array<[string, PodTemplate]>> {
  const found: Array<[string, PodTemplate]> = [];
  for (const overlay of overlayNames()) {
    for (const w of workloads(parseManifests(await kustomize(join(deployDir, "overlays", overlay)))))
      found.push([`kustomize ${overlay} ${w.kind}`, podTemplate(w)]);
  }
  for (const { name, sets } of chartCombinations) {
    for (const w of workloads(parseManifests(await helmTemplate(namespace, sets)))) found.push([`helm ${name} ${w.kind}`, podTemplate(w)]);
  }
  return found;
}

describe("pod security: restricted", () => {
  let all: Array<[string, PodTemplate]> = [];

  before(async () => {
    // The labels the shipped namespace carries, not a copy of them written here.
    const shipped = find(parseManifests(await kustomize(join(deployDir, "base"))), "Namespace");
    assert.equal(shipped.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
    const labels = Object.entries(shipped.metadata.labels ?? {}).filter(([k]) => k.startsWith("pod-security.kubernetes.io/"));
    const made = await kubectl(["create", "namespace", namespace]);
    assert.equal(made.code, 0, made.stderr);
    const labelled = await kubectl(["label", "namespace", namespace, ...labels.map(([k, v]) => `${k}=${v}`)]);
    assert.equal(labelled.code, 0, labelled.stderr);
    all = await templates();
    // Pod admission looks the service account up; make each one a template names.
    for (const sa of new Set(all.map(([, t]) => t.spec.serviceAccountName ?? "default"))) await ensureServiceAccount(namespace, sa);
  });

  test("every CronJob and Deployment pod template, kustomize and Helm, is admitted", async () => {
    assert.ok(all.length >= 7 + chartCombinations.length, `only ${all.length} templates found`);
    const refused: string[] = [];
    for (const [index, [source, template]] of all.entries()) {
      const result = await createPod(`pod-${index}`, template);
      if (result.code !== 0) refused.push(`${source}: ${result.stderr.trim()}`);
    }
    assert.deepEqual(refused, []);
  });

  test("a template without runAsNonRoot is refused, so the check above can fail", async () => {
    const [, template] = all.find(([source]) => source.startsWith("kustomize controller")) ?? [];
    assert.ok(template);
    const weakened = structuredClone(template);
    delete weakened.spec.securityContext?.["runAsNonRoot"];
    delete weakened.spec.securityContext?.["runAsUser"];
    const result = await createPod("weakened", weakened);
    assert.notEqual(result.code, 0, "a pod that may run as root was admitted");
    assert.match(result.stderr, /violates PodSecurity "restricted:latest".*runAsNonRoot/s);
  });
});
