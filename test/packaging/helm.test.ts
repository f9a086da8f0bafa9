// charts/ecr-public-creds-helper: helm lint, helm template for every mode and AWS auth, and
// the real API server's server-side dry-run of what it renders; bad values fail with one line.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { uniqueName } from "../support/kube.ts";
import {
  chartCombinations,
  chartDir,
  find,
  helm,
  helmTemplate,
  mainContainer,
  parseManifests,
  podTemplate,
  serverDryRun,
  workloads,
  type Manifest,
} from "./support.ts";

function envOf(manifests: readonly Manifest[]): Map<string, string> {
  const [workload] = workloads(manifests);
  assert.ok(workload, "no workload rendered");
  return new Map((mainContainer(podTemplate(workload)).env ?? []).map((e) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));
}

describe("helm chart", () => {
  test("helm lint --strict passes with the default values and with every mode and auth", async () => {
    const plain = await helm(["lint", "--strict", chartDir]);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    for (const { name, sets } of chartCombinations) {
      const result = await helm(["lint", "--strict", chartDir, ...sets.flatMap((s) => ["--set", s])]);
      assert.equal(result.code, 0, `${name}: ${result.stdout}${result.stderr}`);
    }
  });

  for (const { name, sets } of chartCombinations) {
    test(`${name}: renders what the mode and auth need, and the API server accepts it`, async () => {
      const namespace = uniqueName("helm");
      const yaml = await helmTemplate(namespace, sets);
      const manifests = parseManifests(yaml);
      const [mode, auth] = name.split("/");
      assert.deepEqual(
        workloads(manifests).map((m) => m.kind),
        [mode === "cronjob" ? "CronJob" : "Deployment"],
      );
      assert.equal(
        manifests.some((m) => m.kind === "Role"),
        mode === "controller",
        "lease Role only for the controller",
      );
      for (const m of manifests.filter((m) => m.kind !== "ClusterRole" && m.kind !== "ClusterRoleBinding")) {
        assert.equal(m.metadata.namespace, namespace, `${m.kind} ${m.metadata.name} is not in the release namespace`);
      }
      const env = envOf(manifests);
      const annotations = find(manifests, "ServiceAccount").metadata.annotations ?? {};
      assert.equal("eks.amazonaws.com/role-arn" in annotations, auth === "irsa");
      assert.equal(env.has("AWS_ROLE_ARN") && env.has("AWS_WEB_IDENTITY_TOKEN_FILE"), auth === "oidcFederation");
      assert.equal(env.get("AWS_ACCESS_KEY_ID")?.includes('"name":"aws-credentials"') ?? false, auth === "staticKeys");
      const result = await serverDryRun(yaml);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\(server dry run\)/);
    });
  }

  test("secretName narrows the RBAC rules and reaches the container", async () => {
    const manifests = parseManifests(await helmTemplate("ns-a", ["secretName=ecr-pull"]));
    const role = find(manifests, "ClusterRole") as Manifest & { rules: Array<{ resourceNames?: string[] }> };
    assert.deepEqual(
      role.rules.flatMap((r) => r.resourceNames ?? []),
      ["ecr-pull"],
    );
    assert.equal(envOf(manifests).get("SECRET_NAME"), "ecr-pull");
  });

  test("selection values become the CLI's environment variables", async () => {
    const all = envOf(parseManifests(await helmTemplate("ns-a", ["allNamespaces=true", "exclude={kube-system,kube-public}", "serviceAccounts={default}"])));
    assert.equal(all.get("ALL_NAMESPACES"), "true");
    assert.equal(all.has("TARGET_NAMESPACES"), false, "allNamespaces wins; a leftover list would only confuse");
    assert.equal(all.get("EXCLUDE_NAMESPACES"), "kube-system kube-public");
    assert.equal(all.get("SERVICE_ACCOUNTS"), "default");
    const listed = envOf(parseManifests(await helmTemplate("ns-a", ["namespaces={default,team-*}", "namespaceSelector=ecr=on"])));
    assert.equal(listed.get("TARGET_NAMESPACES"), "default team-*");
    assert.equal(listed.get("NAMESPACE_SELECTOR"), "ecr=on");
  });

  test("leaderElect=false runs without --leader-elect and without the lease Role", async () => {
    const manifests = parseManifests(await helmTemplate("ns-a", ["mode=controller", "leaderElect=false", "replicas=1"]));
    assert.deepEqual(mainContainer(podTemplate(find(manifests, "Deployment"))).args, ["run"]);
    assert.equal(
      manifests.some((m) => m.kind === "Role"),
      false,
    );
  });

  test("values that cannot work fail with one clear line", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["aws.auth=irsa"], /aws\.auth=irsa needs aws\.roleArn/],
      [["aws.auth=oidcFederation"], /aws\.auth=oidcFederation needs aws\.roleArn/],
      [["aws.auth=staticKeys"], /aws\.auth=staticKeys needs aws\.existingSecret/],
      [["aws.auth=kiam"], /\/aws\/auth/],
      [["mode=daemonset"], /\/mode/],
      [["secretName=Not_A_Name"], /\/secretName/],
      [["aws.auth=irsa", "aws.roleArn=my-role"], /\/aws\/roleArn/],
    ];
    for (const [sets, message] of cases) {
      const result = await helm(["template", "x", chartDir, ...sets.flatMap((s) => ["--set", s])]);
      assert.notEqual(result.code, 0, `${sets.join(" ")} rendered`);
      assert.match(result.stderr, message);
    }
    const none = await helm(["template", "x", chartDir, "--set-json", "namespaces=[]"]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /select namespaces: set namespaces, allNamespaces=true or namespaceSelector/);
  });
});
