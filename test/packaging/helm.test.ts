// charts/ecr-public-creds-helper: helm lint --strict, helm template for every mode and AWS auth
// and for every combination its README documents, and the real API server's server-side dry-run
// of what it renders (in a namespace that warns on the restricted Pod Security Standard); what
// each value renders to; bad values fail with one line.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { uniqueName } from "../support/kube.ts";
import { documentedExamples, templateExample, valueArgs } from "./chart-examples.ts";
import { installCertManagerCrds } from "./crds.ts";
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
  type PodTemplate,
  restrictedNamespace,
} from "./support.ts";

function envOf(manifests: readonly Manifest[]): Map<string, string> {
  const [workload] = workloads(manifests);
  assert.ok(workload, "no workload rendered");
  return new Map((mainContainer(podTemplate(workload)).env ?? []).map((e) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));
}

describe("helm chart", () => {
  before(async () => {
    // aws.auth=rolesAnywhere can render a cert-manager Certificate.
    await installCertManagerCrds();
  });

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
      assert.equal(env.has("ROLES_ANYWHERE_CERTIFICATE"), auth === "rolesAnywhere");
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

describe("helm chart: every combination the README documents", () => {
  const examples = documentedExamples();

  test("the README's examples cover every mode and AWS auth, and its helm command lines", () => {
    const files = examples.flatMap((e) => (e.values ? [e.values] : []));
    assert.ok(files.length >= 7, `only ${files.length} values examples found`);
    assert.ok(examples.filter((e) => e.sets).length >= 3, "the helm install/upgrade lines were not found");
    assert.deepEqual(new Set(files.map((v) => v["mode"] ?? "cronjob")), new Set(["cronjob", "controller"]));
    const auths = new Set(files.map((v) => (v["aws"] as { auth?: string } | undefined)?.auth ?? "none"));
    assert.deepEqual(auths, new Set(["none", "irsa", "podIdentity", "oidcFederation", "rolesAnywhere", "staticKeys"]));
  });

  test("helm lint --strict passes for each", async () => {
    for (const example of examples) {
      const result = await helm(["lint", "--strict", chartDir, ...(await valueArgs(example))]);
      assert.equal(result.code, 0, `${example.name}: ${result.stdout}${result.stderr}`);
    }
  });

  let namespace = "";
  before(async () => {
    await installCertManagerCrds();
    namespace = await restrictedNamespace("helm-doc");
  });

  for (const example of examples) {
    test(`${example.name}: the API server accepts what it renders, with no Pod Security warning`, async () => {
      const yaml = await templateExample(namespace, example);
      assert.equal(workloads(parseManifests(yaml)).length, 1);
      const result = await serverDryRun(yaml);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\(server dry run\)/);
      assert.doesNotMatch(result.stderr, /PodSecurity/);
    });
  }

  test("the Pod Security check can fail: a root container in the same namespace is warned about", async () => {
    const yaml = await helmTemplate(namespace, ["mode=controller", "podSecurityContext.runAsNonRoot=false", "podSecurityContext.runAsUser=0"]);
    const result = await serverDryRun(yaml);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /would violate PodSecurity "restricted:latest".*runAsNonRoot/s);
  });
});

function podOf(manifests: readonly Manifest[]): PodTemplate {
  const [workload] = workloads(manifests);
  assert.ok(workload, "no workload rendered");
  return podTemplate(workload);
}

function pdbOf(manifests: readonly Manifest[]): (Manifest & { spec: Record<string, unknown> }) | undefined {
  return manifests.find((m) => m.kind === "PodDisruptionBudget") as (Manifest & { spec: Record<string, unknown> }) | undefined;
}

describe("helm chart: PodDisruptionBudget", () => {
  test("the controller with two replicas gets one that keeps one pod up and selects exactly its pods", async () => {
    const manifests = parseManifests(await helmTemplate("ns-a", ["mode=controller"]));
    const pdb = pdbOf(manifests);
    assert.ok(pdb, "no PodDisruptionBudget");
    assert.equal(pdb.metadata.namespace, "ns-a");
    assert.equal(pdb.spec["minAvailable"], 1);
    assert.equal("maxUnavailable" in pdb.spec, false);
    const deployment = find(manifests, "Deployment") as Manifest & { spec: { selector: { matchLabels: Record<string, string> } } };
    assert.deepEqual(pdb.spec["selector"], deployment.spec.selector);
    const labels = podOf(manifests).metadata?.labels ?? {};
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(labels[k], v, `pod label ${k}`);
  });

  test("made when asked or when replicas > 1; never for the CronJob or when turned off", async () => {
    const cases: Array<[string[], Record<string, unknown> | undefined]> = [
      [["mode=controller", "replicas=1"], undefined],
      [["mode=controller", "replicas=3", "podDisruptionBudget.enabled=false"], undefined],
      [["mode=controller", "replicas=1", "podDisruptionBudget.enabled=true"], { minAvailable: 1 }],
      [["mode=controller", "replicas=3", "podDisruptionBudget.maxUnavailable=1"], { maxUnavailable: 1 }],
      [["mode=controller", "podDisruptionBudget.minAvailable=50%"], { minAvailable: "50%" }],
      [["mode=cronjob", "podDisruptionBudget.enabled=true"], undefined],
    ];
    for (const [sets, expected] of cases) {
      const pdb = pdbOf(parseManifests(await helmTemplate("ns-a", sets)));
      if (expected === undefined) assert.equal(pdb, undefined, sets.join(" "));
      else {
        assert.ok(pdb, sets.join(" "));
        const { selector: _, ...budget } = pdb.spec;
        assert.deepEqual(budget, expected, sets.join(" "));
      }
    }
  });
});

describe("helm chart: labels, scheduling, security and image values", () => {
  test("commonLabels reach every object, podLabels the pods; neither can replace the chart's own labels", async () => {
    const sets = [
      "mode=controller",
      "commonLabels.team=platform",
      "commonLabels.app\\.kubernetes\\.io/name=hijack",
      "podLabels.cost-center=cc-4711",
      "podLabels.app\\.kubernetes\\.io/component=hijack",
      "serviceAccount.labels.owner=me",
    ];
    const manifests = parseManifests(await helmTemplate("ns-a", sets));
    for (const m of manifests) {
      assert.equal(m.metadata.labels?.["team"], "platform", `${m.kind} ${m.metadata.name}`);
      assert.equal(m.metadata.labels?.["app.kubernetes.io/name"], "ecr-public-creds-helper", `${m.kind} ${m.metadata.name}`);
    }
    const pod = podOf(manifests).metadata?.labels ?? {};
    assert.equal(pod["team"], "platform");
    assert.equal(pod["cost-center"], "cc-4711");
    assert.equal(pod["app.kubernetes.io/name"], "ecr-public-creds-helper");
    assert.equal(pod["app.kubernetes.io/component"], "controller");
    assert.equal(find(manifests, "ServiceAccount").metadata.labels?.["owner"], "me");
    assert.equal(find(manifests, "Deployment").metadata.labels?.["cost-center"], undefined, "podLabels are for pods only");
  });

  test("priorityClassName, nodeSelector, tolerations, affinity and topology spread reach the pod spec", async () => {
    const sets = [
      "priorityClassName=platform-high",
      "tolerations[0].key=CriticalAddonsOnly,tolerations[0].operator=Exists",
      "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=pool",
      "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists",
      "topologySpreadConstraints[0].maxSkew=1,topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname,topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway",
      "topologySpreadConstraints[1].maxSkew=1,topologySpreadConstraints[1].topologyKey=zone,topologySpreadConstraints[1].whenUnsatisfiable=DoNotSchedule",
      "topologySpreadConstraints[1].labelSelector.matchLabels.own=selector",
    ];
    for (const mode of ["cronjob", "controller"]) {
      const spec = podOf(parseManifests(await helmTemplate("ns-a", [`mode=${mode}`, ...sets]))).spec;
      const component = mode === "cronjob" ? "sync" : "controller";
      assert.equal(spec["priorityClassName"], "platform-high");
      assert.deepEqual(spec["nodeSelector"], { "kubernetes.io/os": "linux" });
      assert.deepEqual(spec["tolerations"], [{ key: "CriticalAddonsOnly", operator: "Exists" }]);
      assert.ok(spec["affinity"], "affinity");
      assert.deepEqual(spec["topologySpreadConstraints"], [
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: {
            matchLabels: {
              "app.kubernetes.io/name": "ecr-public-creds-helper",
              "app.kubernetes.io/instance": "ecr-public-creds-helper",
              "app.kubernetes.io/component": component,
            },
          },
        },
        { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { own: "selector" } } },
      ]);
    }
    const plain = podOf(parseManifests(await helmTemplate("ns-a", []))).spec;
    for (const key of ["priorityClassName", "tolerations", "affinity", "topologySpreadConstraints"]) assert.equal(key in plain, false, `${key} rendered unset`);
  });

  test("the security contexts are the values, and the OpenShift line leaves the user to the platform", async () => {
    const spec = podOf(parseManifests(await helmTemplate("ns-a", []))).spec;
    assert.deepEqual(spec.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(mainContainer({ spec }).securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    const openshift = podOf(parseManifests(await helmTemplate("ns-a", ["podSecurityContext.runAsUser=null", "podSecurityContext.runAsGroup=null"]))).spec;
    assert.deepEqual(openshift.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const stricter = podOf(parseManifests(await helmTemplate("ns-a", ["containerSecurityContext.runAsNonRoot=true"]))).spec;
    assert.equal(mainContainer({ spec: stricter }).securityContext?.["runAsNonRoot"], true);
  });

  test("image.digest wins over the tag; name overrides name the objects and the Lease", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const pinned = mainContainer(
      podOf(parseManifests(await helmTemplate("ns-a", ["image.repository=ghcr.io/o/e", "image.tag=9.9.9", `image.digest=${digest}`]))),
    );
    assert.equal(pinned["image"], `ghcr.io/o/e@${digest}`);
    const tagged = mainContainer(podOf(parseManifests(await helmTemplate("ns-a", ["image.repository=ghcr.io/o/e", "image.tag=9.9.9"]))));
    assert.equal(tagged["image"], "ghcr.io/o/e:9.9.9");
    const named = parseManifests(await helmTemplate("ns-a", ["mode=controller", "fullnameOverride=ecr-helper"]));
    assert.equal(find(named, "Deployment").metadata.name, "ecr-helper");
    assert.equal(envOf(named).get("LEADER_ELECTION_ID"), "ecr-helper");
    const short = parseManifests(await helmTemplate("ns-a", ["nameOverride=ecrh"], "team"));
    assert.equal(find(short, "CronJob").metadata.name, "team-ecrh");
    assert.equal(find(short, "CronJob").metadata.labels?.["app.kubernetes.io/name"], "ecrh");
  });

  test("values that cannot work fail with one clear line: PodDisruptionBudget, registries, durations, unknown keys", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["mode=controller", "podDisruptionBudget.minAvailable=1", "podDisruptionBudget.maxUnavailable=1"], /set minAvailable or maxUnavailable, not both/],
      [["podDisruptionBudget.maxUnavailable=half"], /\/podDisruptionBudget\/maxUnavailable/],
      [["mode=controller", "leaderElect=false"], /replicas > 1 needs leaderElect=true/],
      [["ecrRegistries={public.ecr.aws}"], /\/ecrRegistries\/0/],
      [["refreshBefore=6 hours"], /\/refreshBefore/],
      [["refreshAt=100"], /\/refreshAt/],
      [["failSafe.margin=soon"], /\/failSafe\/margin/],
      [["replica=3"], /additional properties 'replica' not allowed/],
      [["image.digest=latest"], /\/image\/digest/],
    ];
    for (const [sets, message] of cases) {
      const result = await helm(["template", "x", chartDir, ...sets.flatMap((s) => ["--set", s])]);
      assert.notEqual(result.code, 0, `${sets.join(" ")} rendered`);
      assert.match(result.stderr, message);
    }
  });
});
