// `doctor` looks at the pods, against the real API server. The testenv has no kubelet, so the
// tests play its part: they create pods, write the waiting state through the status subresource
// and record the Events kubelet records, with the runtime's real words (their sources are in
// src/domain/pull-failure.test.ts). One namespace per cause, one healthy, and identities that
// may not list pods or Events.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { loadYaml, type CoreV1Api, type V1ContainerStatus } from "@kubernetes/client-node";
import { desiredSecret } from "../../src/domain/secret.ts";
import { expiresAtAnnotation } from "../../src/domain/managed.ts";
import { auditMark, countBy, ourCallsSince } from "../support/audit.ts";
import { allOutput, runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, createServiceAccount, uniqueName } from "../support/kube.ts";
import { serviceAccountIdentity } from "../kube/identity.ts";

const { core, rbac } = adminClients();
const control = emulator();

const publicImage = "public.ecr.aws/docker/library/nginx:1.27";
const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const privateImage = `${privateHost}/shop/cart:3`;

// The runtime's errors, in the forms of the real messages cited in pull-failure.test.ts.
const runtime = {
  throttled: (image: string) =>
    `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from HEAD request to https://public.ecr.aws/v2/docker/library/nginx/manifests/1.27: 429 Too Many Requests`,
  forbidden: (image: string) =>
    `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from HEAD request to https://public.ecr.aws/v2/docker/library/nginx/manifests/1.27: 403 Forbidden`,
  noCredentials: (image: string) =>
    `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
  notFound: (image: string) =>
    `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
};

interface StuckSpec {
  readonly image: string;
  readonly error: string;
  readonly imagePullSecrets?: string[];
  /** Leave out the Events: only the pod status says why (kubelet >= 1.32's back-off message). */
  readonly noEvents?: boolean;
}

/** A pod whose container kubelet left waiting in ImagePullBackOff, with the Events it records on the way. */
async function stuckPod(api: CoreV1Api, namespace: string, name: string, spec: StuckSpec): Promise<void> {
  const created = await api.createNamespacedPod({
    namespace,
    body: {
      metadata: { name },
      spec: {
        nodeName: "node-1",
        containers: [{ name: "app", image: spec.image }],
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets.map((n) => ({ name: n })) } : {}),
      },
    },
  });
  const waiting: V1ContainerStatus = {
    name: "app",
    image: spec.image,
    imageID: "",
    ready: false,
    restartCount: 0,
    state: {
      waiting: {
        reason: "ImagePullBackOff",
        message: spec.noEvents ? `Back-off pulling image "${spec.image}": ErrImagePull: ${spec.error}` : `Back-off pulling image "${spec.image}"`,
      },
    },
  };
  await api.replaceNamespacedPodStatus({ name, namespace, body: { ...created, status: { phase: "Pending", containerStatuses: [waiting] } } });
  if (spec.noEvents) return;
  const involved = { kind: "Pod", apiVersion: "v1", name, namespace, uid: created.metadata?.uid ?? "", fieldPath: "spec.containers{app}" };
  const said: Array<[string, string, string]> = [
    ["Warning", "Failed", `Failed to pull image "${spec.image}": ${spec.error}`],
    ["Warning", "Failed", "Error: ErrImagePull"],
    ["Normal", "BackOff", `Back-off pulling image "${spec.image}"`],
    ["Warning", "Failed", "Error: ImagePullBackOff"],
  ];
  const at = new Date();
  for (const [type, reason, message] of said) {
    await api.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: `${name}.${uniqueName("e")}` },
        involvedObject: involved,
        type,
        reason,
        message,
        source: { component: "kubelet", host: "node-1" },
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      },
    });
  }
}

/** A pod that pulled and runs: nothing for doctor to say. */
async function runningPod(namespace: string, name: string): Promise<void> {
  const created = await core.createNamespacedPod({
    namespace,
    body: { metadata: { name }, spec: { nodeName: "node-1", containers: [{ name: "app", image: publicImage }] } },
  });
  const running: V1ContainerStatus = {
    name: "app",
    image: publicImage,
    imageID: "",
    ready: true,
    restartCount: 0,
    state: { running: { startedAt: new Date() } },
  };
  await core.replaceNamespacedPodStatus({ name, namespace, body: { ...created, status: { phase: "Running", containerStatuses: [running] } } });
}

function podLines(stdout: string): Map<string, string> {
  const table = stdout.split("\n\n")[1] ?? "";
  return new Map(
    table
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => [line.split(/\s+/)[0] ?? "", line]),
  );
}

describe("doctor looks at the pods", () => {
  const p = uniqueName("pods");
  const ns = {
    excluded: `${p}-excluded`,
    nosecret: `${p}-nosecret`,
    unnamed: `${p}-unnamed`,
    expired: `${p}-expired`,
    failsafe: `${p}-failsafe`,
    private: `${p}-private`,
    notfound: `${p}-notfound`,
    healthy: `${p}-healthy`,
  };
  const sick = ["--namespaces", `${p}-*`, "--exclude", `${ns.excluded},${ns.healthy}`];

  before(async () => {
    await control.reset();
    const all = Object.values(ns);
    await createNamespaces(core, all);
    for (const name of all) await createServiceAccount(core, name, "default");
    // Real secrets, written by sync, where a pod has one.
    const synced = await runCli(["sync", "--namespaces", [ns.unnamed, ns.expired, ns.healthy].join(",")]);
    assert.equal(synced.code, 0, synced.stderr);
    // An expired token: the secret as sync wrote it, with its recorded expiry in the past.
    await core.patchNamespacedSecret({
      name: "ecr-public-token",
      namespace: ns.expired,
      body: [
        { op: "replace", path: `/metadata/annotations/${expiresAtAnnotation.replace("/", "~1")}`, value: new Date(Date.now() - 2 * 3_600_000).toISOString() },
      ],
    });
    // What the controller writes when the fail-safe engages: our secret with no credentials.
    const failSafe = desiredSecret("ecr-public-token", ns.failsafe, { credentials: [], expiresAt: new Date(Date.now() - 60_000) });
    await core.createNamespacedSecret({ namespace: ns.failsafe, body: failSafe });

    await stuckPod(core, ns.excluded, "web", { image: publicImage, error: runtime.throttled(publicImage) });
    await stuckPod(core, ns.nosecret, "web", { image: publicImage, error: runtime.throttled(publicImage) });
    await stuckPod(core, ns.unnamed, "web", { image: publicImage, error: runtime.throttled(publicImage) });
    await stuckPod(core, ns.expired, "web", { image: publicImage, error: runtime.forbidden(publicImage), imagePullSecrets: ["ecr-public-token"] });
    await stuckPod(core, ns.failsafe, "web", { image: publicImage, error: runtime.throttled(publicImage), imagePullSecrets: ["ecr-public-token"] });
    await stuckPod(core, ns.private, "cart", { image: privateImage, error: runtime.noCredentials(privateImage) });
    await stuckPod(core, ns.notfound, "web", { image: publicImage, error: runtime.notFound(publicImage), imagePullSecrets: ["ecr-public-token"] });
    // Not on an ECR registry: not ours to diagnose.
    await stuckPod(core, ns.notfound, "hub", { image: "docker.io/library/redis:7", error: runtime.throttled("docker.io/library/redis:7") });
    await runningPod(ns.healthy, "web");
  });

  test("each stuck pod gets its cause and its fix; exit 1", async () => {
    const result = await runCli(["doctor", ...sick]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^FAIL\s+pods: 7 containers in 7 pods cannot pull from ECR registries in 8 namespaces; each cause and fix below$/m);
    const rows = podLines(result.stdout);
    assert.deepEqual(
      [...rows.keys()].sort(),
      [ns.excluded, ns.expired, ns.failsafe, ns.nosecret, ns.notfound, ns.private, ns.unnamed].map((n) => `${n}/${n === ns.private ? "cart" : "web"}`).sort(),
    );
    const row = (namespace: string, pod = "web"): string => rows.get(`${namespace}/${pod}`) ?? "";
    assert.match(
      row(ns.excluded),
      /throttled \(429\): anonymous pull: namespace not selected \(--exclude .*\), so it has no secret ecr-public-token\s+take .* out of --exclude \(EXCLUDE_NAMESPACES\)$/,
    );
    assert.match(row(ns.nosecret), /throttled \(429\): anonymous pull: no secret ecr-public-token in .*\s+run sync, or check that the controller is running/);
    assert.match(
      row(ns.unnamed),
      /anonymous pull: neither the pod nor its service account default names the secret ecr-public-token\s+add default to --service-accounts \(SERVICE_ACCOUNTS\), or imagePullSecrets/,
    );
    assert.match(
      row(ns.expired),
      /denied \(401\/403\): the token in the secret expired 2h ago\s+run sync, or check that the controller is running and refreshing/,
    );
    assert.match(row(ns.failsafe), /the fail-safe emptied the secret .*\s+fix the controller's token refresh/);
    assert.match(
      row(ns.private, "cart"),
      new RegExp(
        `no credentials: the registry is not in --ecr-registries.*add ${privateHost.replaceAll(".", "\\.")} to --ecr-registries \\(ECR_REGISTRIES\\), then run sync$`,
      ),
    );
    assert.match(row(ns.notfound), /image not found: .*\s+not a pull-secret problem: check the image name and tag$/);
    assert.doesNotMatch(result.stdout, /redis/, "an image on Docker Hub is not ours to diagnose");
    assert.match(result.stdout, /^NAMESPACE\/POD\s+IMAGE\s+CAUSE\s+FIX$/m);
  });

  test("reads only: pods where named, Events, the secret and service accounts only where a pod is stuck", async () => {
    const mark = auditMark();
    assert.equal((await runCli(["doctor", ...sick])).code, 1);
    const calls = ourCallsSince(mark);
    const counts = countBy(calls);
    assert.equal(counts["list pods"], 8, "one list per namespace named");
    assert.equal(counts["list events"], 7, "Events only where a pod is stuck");
    assert.equal(counts["get secrets"], 7);
    assert.equal(counts["get serviceaccounts"], 7);
    const writes = calls.filter((c) => !["get", "list"].includes(c.verb) && c.objectRef?.resource !== "selfsubjectaccessreviews");
    assert.deepEqual(writes, [], "doctor writes nothing");
  });

  test("a service account sync would patch: the fix is to run sync", async () => {
    const result = await runCli(["doctor", "--namespaces", ns.unnamed, "--service-accounts", "default"]);
    assert.equal(result.code, 1);
    assert.match(podLines(result.stdout).get(`${ns.unnamed}/web`) ?? "", /run sync: it adds ecr-public-token to service account default$/);
  });

  test("a healthy namespace shows no pod line; exit 0", async () => {
    const result = await runCli(["doctor", "--namespaces", ns.healthy]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ok\s+pods: none stuck pulling from ECR registries in 1 namespace$/m);
    assert.doesNotMatch(result.stdout, /NAMESPACE\/POD/);
  });

  test("-o json: one document with a header, the checks and the pods", async () => {
    const result = await runCli(["doctor", "-o", "json", ...sick]);
    assert.equal(result.code, 1);
    const doc = JSON.parse(result.stdout) as {
      apiVersion: string;
      kind: string;
      ok: boolean;
      checks: Array<{ area: string; ok: boolean; message: string }>;
      pods: Array<{
        namespace: string;
        pod: string;
        container: string;
        image: string;
        registry: string;
        failure: string;
        cause: string;
        fix: string;
        evidence: string;
      }>;
    };
    assert.equal(doc.apiVersion, "ecr-public-creds-helper/v1");
    assert.equal(doc.kind, "DoctorReport");
    assert.equal(doc.ok, false);
    assert.ok(doc.checks.some((c) => c.area === "kubernetes" && c.ok));
    assert.ok(doc.checks.some((c) => c.area === "pods" && !c.ok));
    const failures = Object.fromEntries(doc.pods.map((d) => [d.namespace, d.failure]));
    assert.deepEqual(failures, {
      [ns.excluded]: "throttled",
      [ns.nosecret]: "throttled",
      [ns.unnamed]: "throttled",
      [ns.expired]: "denied",
      [ns.failsafe]: "throttled",
      [ns.private]: "no-credentials",
      [ns.notfound]: "not-found",
    });
    const cart = doc.pods.find((d) => d.pod === "cart");
    assert.equal(cart?.registry, privateHost);
    assert.equal(cart?.container, "app");
    assert.match(cart?.evidence ?? "", /no basic auth credentials/);
    assert.doesNotMatch(result.stdout, /^(ok|FAIL) /m, "no table line in a document");
  });

  test("-o yaml: the same document", async () => {
    const result = await runCli(["doctor", "-o", "yaml", "--namespaces", ns.healthy]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const doc = loadYaml(result.stdout) as { kind: string; ok: boolean; pods: unknown[]; checks: Array<{ area: string }> };
    assert.equal(doc.kind, "DoctorReport");
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.pods, []);
    assert.ok(doc.checks.some((c) => c.area === "pods"));
  });

  test("the shipped role may not list pods: doctor says so in one line, does the rest, exit 1", async () => {
    const home = uniqueName("doctor-id");
    await createNamespaces(core, [home]);
    const identity = await serviceAccountIdentity(home, "helper", "shipped");
    const result = await runCli(["doctor", "-A", "--kubeconfig", identity.path]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const lines = result.stdout.split("\n").filter((line) => /^(ok|FAIL)\s+pods:/.test(line));
    assert.deepEqual(lines, [
      "FAIL  pods: doctor may not list pods (all namespaces) — it cannot see which pods are stuck pulling; grant it to the identity running doctor",
    ]);
    assert.match(result.stdout, /^ok\s+AWS: token obtained/m, "the other checks still ran");
    const perNamespace = await runCli(["doctor", "--namespaces", `${ns.nosecret},${ns.unnamed}`, "--kubeconfig", identity.path]);
    assert.match(perNamespace.stdout, new RegExp(`^FAIL  pods: doctor may not list pods in ${ns.nosecret}, ${ns.unnamed} — `, "m"));
  });

  test("an identity that may list pods but not Events: told so, and the pods still get a cause from their status", async () => {
    const home = uniqueName("doctor-id");
    await createNamespaces(core, [home]);
    const identity = await serviceAccountIdentity(home, "looker", "none");
    const role = uniqueName("pods-only");
    await rbac.createClusterRole({
      body: {
        metadata: { name: role },
        rules: [
          { apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["list"] },
          { apiGroups: [""], resources: ["secrets", "serviceaccounts"], verbs: ["get"] },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: role },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects: [{ kind: "ServiceAccount", name: "looker", namespace: home }],
      },
    });
    const quiet = uniqueName("pods-quiet");
    await createNamespaces(core, [quiet]);
    await createServiceAccount(core, quiet, "default");
    await stuckPod(core, quiet, "web", { image: publicImage, error: runtime.throttled(publicImage), noEvents: true });
    const result = await runCli(["doctor", "--namespaces", quiet, "--kubeconfig", identity.path]);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      new RegExp(`^FAIL  pods: doctor may not list events in ${quiet} — it reads why a pull failed from the pod status alone; `, "m"),
    );
    assert.match(podLines(result.stdout).get(`${quiet}/web`) ?? "", /throttled \(429\): anonymous pull: no secret ecr-public-token/);
  });

  test("prints no token", async () => {
    const output = allOutput.join("\n");
    const issued = (await control.issued()).tokens;
    assert.ok(issued.length > 0);
    for (const t of issued) assert.ok(t.password && !output.includes(t.password));
  });
});
