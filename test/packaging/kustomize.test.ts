// deploy/: every overlay builds with `kubectl kustomize` and the real API server accepts what
// it builds (server-side dry-run: schema, validation and admission, nothing stored), and the
// manifests say what the issue asks of them.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import {
  deployDir,
  ensureServiceAccount,
  find,
  kustomize,
  mainContainer,
  overlayNames,
  parseManifests,
  podTemplate,
  serverDryRun,
  type Manifest,
} from "./support.ts";

const build = async (overlay: string): Promise<Manifest[]> => parseManifests(await kustomize(join(deployDir, "overlays", overlay)));

function env(manifest: Manifest): Map<string, string | undefined> {
  return new Map((mainContainer(podTemplate(manifest)).env ?? []).map((e) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));
}

describe("kustomize overlays", () => {
  test("the overlays docs/install.md names are all there", () => {
    const expected = ["controller", "cronjob", "eks-irsa", "eks-pod-identity", "namespaced", "oidc-federation", "roles-anywhere", "static-keys"];
    for (const name of expected) assert.ok(overlayNames().includes(name), `deploy/overlays/${name} is missing`);
  });

  for (const overlay of overlayNames()) {
    test(`overlays/${overlay} builds and the API server accepts it`, async () => {
      const yaml = await kustomize(join(deployDir, "overlays", overlay));
      const result = await serverDryRun(yaml);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\(server dry run\)/);
      // One workload per install, bound to the one service account.
      const workloads = parseManifests(yaml).filter((m) => m.kind === "CronJob" || m.kind === "Deployment");
      assert.equal(workloads.length, 1);
      assert.equal(podTemplate(workloads[0] as Manifest).spec.serviceAccountName, "ecr-public-creds-helper");
    });
  }

  test("the dry-run can fail: an invalid schedule is refused by the API server", async () => {
    const yaml = (await kustomize(join(deployDir, "overlays", "cronjob"))).replace("schedule: '*/10 * * * *'", "schedule: every ten minutes");
    assert.match(yaml, /every ten minutes/);
    const result = await serverDryRun(yaml);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /schedule/);
  });

  test("each credentials component fits the controller as well as the CronJob", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kustomize-"));
    const expectations: Record<string, (m: Manifest[]) => void> = {
      "eks-irsa": (m) => assert.match(find(m, "ServiceAccount").metadata.annotations?.["eks.amazonaws.com/role-arn"] ?? "", /^arn:aws:iam::\d{12}:role\//),
      "static-keys": (m) => assert.match(env(find(m, "Deployment")).get("AWS_SECRET_ACCESS_KEY") ?? "", /aws-credentials/),
      "oidc-federation": (m) =>
        assert.equal(env(find(m, "Deployment")).get("AWS_WEB_IDENTITY_TOKEN_FILE"), "/var/run/secrets/sts.amazonaws.com/serviceaccount/token"),
    };
    for (const [component, check] of Object.entries(expectations)) {
      // What docs/install.md tells users to write: the controller plus one component.
      await writeFile(
        join(dir, "kustomization.yaml"),
        [
          "apiVersion: kustomize.config.k8s.io/v1beta1",
          "kind: Kustomization",
          // kustomize takes only relative paths, even to directories outside the root.
          `resources: [${relative(dir, join(deployDir, "overlays", "controller"))}]`,
          `components: [${relative(dir, join(deployDir, "components", component))}]`,
          "",
        ].join("\n"),
      );
      const yaml = await kustomize(dir);
      check(parseManifests(yaml));
      // The selection survives the patch (a strategic merge keyed by env name).
      assert.equal(env(find(parseManifests(yaml), "Deployment")).get("TARGET_NAMESPACES"), "default foo bar");
      const result = await serverDryRun(yaml);
      assert.equal(result.code, 0, `${component}: ${result.stderr}`);
    }
  });

  test("base: restricted namespace, least-privilege ClusterRole bound to the service account", async () => {
    const base = parseManifests(await kustomize(join(deployDir, "base")));
    assert.equal(find(base, "Namespace").metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
    const role = find(base, "ClusterRole", "ecr-public-creds-helper") as Manifest & {
      rules: Array<{ resources: string[]; verbs: string[]; resourceNames?: string[] }>;
    };
    // Nothing may delete, and only `create` on secrets goes without a resourceName.
    for (const rule of role.rules) {
      assert.ok(!rule.verbs.includes("delete") && !rule.verbs.includes("*"), JSON.stringify(rule));
      if (rule.resources.includes("secrets") && !rule.resourceNames) assert.deepEqual(rule.verbs, ["create"]);
    }
    const binding = find(base, "ClusterRoleBinding", "ecr-public-creds-helper") as Manifest & { subjects: unknown[] };
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "ecr-public-creds-helper", namespace: "ecr-public-creds-helper" }]);
  });

  test("cronjob: the original's drop-in, every 10 minutes, never two at once", async () => {
    const cron = find(await build("cronjob"), "CronJob") as Manifest & { spec: { schedule: string; concurrencyPolicy: string } };
    assert.equal(cron.apiVersion, "batch/v1");
    assert.equal(cron.spec.schedule, "*/10 * * * *");
    assert.equal(cron.spec.concurrencyPolicy, "Forbid");
    assert.deepEqual(mainContainer(podTemplate(cron)).args, ["sync"]);
    assert.equal(env(cron).get("TARGET_NAMESPACES"), "default foo bar");
  });

  test("controller: run --leader-elect, 2 replicas, probes, metrics, downward API, lease Role", async () => {
    const manifests = await build("controller");
    const deployment = find(manifests, "Deployment") as Manifest & { spec: { replicas: number } };
    assert.equal(deployment.spec.replicas, 2);
    const container = mainContainer(podTemplate(deployment)) as ReturnType<typeof mainContainer> & {
      ports: Array<{ name: string; containerPort: number }>;
      livenessProbe: { httpGet: { path: string; port: string } };
      readinessProbe: { httpGet: { path: string; port: string } };
    };
    assert.deepEqual(container.args, ["run", "--leader-elect"]);
    assert.deepEqual(
      container.ports.map((p) => [p.name, p.containerPort]),
      [
        ["metrics", 8080],
        ["health", 8081],
      ],
    );
    assert.deepEqual([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path], ["/healthz", "/readyz"]);
    assert.equal(env(deployment).get("POD_NAMESPACE"), JSON.stringify({ fieldRef: { fieldPath: "metadata.namespace" } }));
    assert.equal(env(deployment).get("POD_NAME"), JSON.stringify({ fieldRef: { fieldPath: "metadata.name" } }));
    const role = find(manifests, "Role") as Manifest & { rules: Array<{ apiGroups: string[]; resourceNames?: string[]; verbs: string[] }> };
    assert.equal(role.metadata.namespace, "ecr-public-creds-helper");
    assert.deepEqual(
      role.rules.map((r) => [r.apiGroups, r.resourceNames ?? [], r.verbs]),
      [
        [["coordination.k8s.io"], [], ["create"]],
        [["coordination.k8s.io"], ["ecr-public-creds-helper"], ["get", "update"]],
      ],
    );
  });

  test("namespaced: no cluster-wide write right, and one Role per TARGET_NAMESPACES entry", async () => {
    const manifests = await build("namespaced");
    assert.ok(!manifests.some((m) => m.kind === "ClusterRole" && m.metadata.name === "ecr-public-creds-helper"), "base ClusterRole must be gone");
    const readRole = find(manifests, "ClusterRole", "ecr-public-creds-helper-read") as Manifest & { rules: Array<{ verbs: string[] }> };
    for (const rule of readRole.rules) assert.deepEqual(rule.verbs, ["list"]);
    const targets = (env(find(manifests, "CronJob")).get("TARGET_NAMESPACES") ?? "").split(" ").sort();
    const roleNamespaces = manifests
      .filter((m) => m.kind === "Role")
      .map((m) => m.metadata.namespace)
      .sort();
    const bindingNamespaces = manifests
      .filter((m) => m.kind === "RoleBinding")
      .map((m) => m.metadata.namespace)
      .sort();
    assert.deepEqual(roleNamespaces, targets);
    assert.deepEqual(bindingNamespaces, targets);
  });

  test("iam-permission.json allows exactly what the original's policy allowed", async () => {
    const policy = JSON.parse(await readFile(join(deployDir, "base", "iam-permission.json"), "utf8")) as {
      Statement: Array<{ Effect: string; Action: string[]; Resource: string }>;
    };
    assert.deepEqual(
      policy.Statement.map((s) => [s.Effect, [...s.Action].sort(), s.Resource]),
      [["Allow", ["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"], "*"]],
    );
  });

  test("examples/pod.yaml names the pull secret and is accepted", async () => {
    const yaml = await readFile(join(deployDir, "examples", "pod.yaml"), "utf8");
    const pod = find(parseManifests(yaml), "Pod") as Manifest & { spec: { imagePullSecrets: unknown[] } };
    assert.deepEqual(pod.spec.imagePullSecrets, [{ name: "ecr-public-token" }]);
    // A real cluster's controller manager makes this; the testenv has none.
    await ensureServiceAccount("default", "default");
    const result = await serverDryRun(yaml);
    assert.equal(result.code, 0, result.stderr);
  });
});
