// deploy/components/roles-anywhere (and its cert-manager Certificate): what docs/install.md
// tells users to write, the CronJob or the controller plus the component(s), builds with
// `kubectl kustomize`; the pods mount the certificate Secret read-only where the variables
// point, the Certificate writes that Secret, and the real API server accepts it all against
// cert-manager's CRDs, in a namespace that warns on the restricted Pod Security Standard.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { before, describe, test } from "node:test";
import { installCertManagerCrds } from "./crds.ts";
import {
  deployDir,
  find,
  kustomize,
  mainContainer,
  parseManifests,
  podTemplate,
  serverDryRun,
  workloads,
  type Manifest,
  restrictedNamespace,
} from "./support.ts";

const component = join(deployDir, "components", "roles-anywhere");
const certManagerComponent = join(component, "cert-manager");

/** `kubectl kustomize` of a kustomization with the overlay as its resource and the components. */
async function build(overlay: string, components: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kustomize-ra-"));
  await writeFile(
    join(dir, "kustomization.yaml"),
    [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      // kustomize takes only relative paths, even to directories outside the root.
      `resources: [${relative(dir, join(deployDir, "overlays", overlay))}]`,
      `components: [${components.map((c) => relative(dir, c)).join(", ")}]`,
      "",
    ].join("\n"),
  );
  return kustomize(dir);
}

interface RolesAnywhereWiring {
  readonly env: Record<string, string | undefined>;
  readonly mount?: { mountPath: string; readOnly?: boolean };
  readonly secret?: string;
  readonly selection?: string;
}

function wiringOf(workload: Manifest): RolesAnywhereWiring {
  const pod = podTemplate(workload);
  const container = mainContainer(pod);
  const env = Object.fromEntries((container.env ?? []).filter((e) => e.name.startsWith("ROLES_ANYWHERE_")).map((e) => [e.name, e.value]));
  const mount = (container.volumeMounts ?? []).find((m) => m.name === "roles-anywhere") as RolesAnywhereWiring["mount"];
  const volume = pod.spec.volumes?.find((v) => v.name === "roles-anywhere") as { secret?: { secretName: string } } | undefined;
  const selection = (container.env ?? []).find((e) => e.name === "TARGET_NAMESPACES")?.value;
  return { env, ...(mount ? { mount } : {}), ...(volume?.secret ? { secret: volume.secret.secretName } : {}), ...(selection ? { selection } : {}) };
}

describe("kustomize: the roles-anywhere component", () => {
  before(async () => {
    await installCertManagerCrds();
  });

  for (const overlay of ["cronjob", "controller"]) {
    test(`${overlay} + roles-anywhere: the Secret mounted read-only where the variables point, the selection kept; accepted`, async () => {
      const yaml = await build(overlay, [component]);
      const [workload, ...more] = workloads(parseManifests(yaml));
      assert.ok(workload && more.length === 0);
      const { env, mount, secret, selection } = wiringOf(workload);
      assert.ok(mount, "the Secret is not mounted");
      assert.equal(mount.readOnly, true);
      assert.equal(secret, "ecr-public-creds-helper-roles-anywhere");
      assert.equal(env["ROLES_ANYWHERE_CERTIFICATE"], `${mount.mountPath}/tls.crt`);
      assert.equal(env["ROLES_ANYWHERE_PRIVATE_KEY"], `${mount.mountPath}/tls.key`);
      for (const arn of ["TRUST_ANCHOR_ARN", "PROFILE_ARN", "ROLE_ARN"]) assert.match(env[`ROLES_ANYWHERE_${arn}`] ?? "", /^arn:aws:/, arn);
      // The selection survives the patch (a strategic merge keyed by env name).
      assert.equal(selection, "default foo bar");
      const result = await serverDryRun(yaml);
      assert.equal(result.code, 0, result.stderr);
    });
  }

  test("the CronJob's and the Deployment's patches wire the same: one place to look when editing the ARNs", async () => {
    const cron = wiringOf(find(parseManifests(await build("cronjob", [component])), "CronJob"));
    const deployment = wiringOf(find(parseManifests(await build("controller", [component])), "Deployment"));
    assert.deepEqual(cron, deployment);
    assert.equal(Object.keys(cron.env).length, 5);
  });

  test("+ cert-manager: the Certificate writes the mounted Secret in the install namespace; the API server accepts it (restricted namespace, no Pod Security warning)", async () => {
    const yaml = await build("controller", [component, certManagerComponent]);
    const manifests = parseManifests(yaml);
    const certificate = find(manifests, "Certificate") as Manifest & {
      spec: { secretName: string; commonName: string; isCA: boolean; usages: string[]; privateKey: Record<string, unknown>; issuerRef: { name: string } };
    };
    const deployment = find(manifests, "Deployment");
    assert.equal(certificate.metadata.namespace, deployment.metadata.namespace);
    assert.equal(certificate.spec.secretName, wiringOf(deployment).secret);
    assert.equal(certificate.spec.commonName, podTemplate(deployment).spec.serviceAccountName);
    assert.equal(certificate.spec.isCA, false);
    assert.ok(certificate.spec.usages.includes("digital signature"), "Roles Anywhere requires the Digital Signature key usage");
    assert.equal(certificate.spec.privateKey["rotationPolicy"], "Always");
    // Into a namespace of its own that warns on the restricted standard (the shared testenv's
    // ecr-public-creds-helper is left as it is).
    const namespace = await restrictedNamespace("kustomize-ra");
    const moved = yaml.replaceAll("namespace: ecr-public-creds-helper\n", `namespace: ${namespace}\n`);
    const objects = parseManifests(moved).filter((m) => m.kind !== "Namespace");
    const result = await serverDryRun(objects.map((m) => JSON.stringify(m)).join("\n---\n"));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /certificate\.cert-manager\.io\/ecr-public-creds-helper-roles-anywhere (created|configured|unchanged) \(server dry run\)/);
    assert.doesNotMatch(result.stderr, /PodSecurity/);
  });

  test("the dry-run can fail: a Certificate without issuerRef is refused", async () => {
    const yaml = await build("cronjob", [component, certManagerComponent]);
    const broken = yaml.replace(/\n {2}issuerRef:\n(?: {4}.*\n)+/, "\n");
    assert.notEqual(broken, yaml);
    const result = await serverDryRun(broken);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /spec\.issuerRef: Required value/);
  });
});
