// charts/ecr-public-creds-helper with aws.auth=rolesAnywhere: the certificate Secret mounted
// read-only where the variables point, the ARNs passed through, the optional cert-manager
// Certificate (what Roles Anywhere asks of an end-entity certificate, the values that shape it),
// accepted by the real API server against cert-manager's CRDs in a namespace that warns on the
// restricted Pod Security Standard; values that cannot work fail with one line.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { installCertManagerCrds } from "./crds.ts";
import {
  chartDir,
  find,
  helm,
  helmTemplate,
  mainContainer,
  parseManifests,
  podTemplate,
  rolesAnywhereArns,
  rolesAnywhereCombinations,
  serverDryRun,
  workloads,
  type Manifest,
  restrictedNamespace,
} from "./support.ts";

interface Certificate extends Manifest {
  readonly spec: {
    secretName: string;
    commonName: string;
    subject?: Record<string, unknown>;
    duration: string;
    renewBefore: string;
    isCA: boolean;
    usages: string[];
    privateKey: { algorithm: string; size: number; rotationPolicy: string };
    issuerRef: { name: string; kind: string; group: string };
  };
}

const [plain, withCertificate] = rolesAnywhereCombinations;
assert.ok(plain && withCertificate);

function certificateOf(manifests: readonly Manifest[]): Certificate | undefined {
  return manifests.find((m) => m.kind === "Certificate") as Certificate | undefined;
}

/** What the pod sees of Roles Anywhere: its variables, and the Secret mounted where they point. */
function rolesAnywhereOf(manifests: readonly Manifest[]): {
  env: Map<string, string | undefined>;
  mountedSecret?: string;
  mount?: { mountPath: string; readOnly?: boolean };
} {
  const [workload] = workloads(manifests);
  assert.ok(workload, "no workload rendered");
  const pod = podTemplate(workload);
  const container = mainContainer(pod);
  const env = new Map((container.env ?? []).filter((e) => e.name.startsWith("ROLES_ANYWHERE_")).map((e) => [e.name, e.value]));
  const volume = pod.spec.volumes?.find((v) => v.name === "roles-anywhere") as { secret?: { secretName: string } } | undefined;
  const mount = (container.volumeMounts ?? []).find((m) => m.name === "roles-anywhere") as { mountPath: string; readOnly?: boolean } | undefined;
  return { env, ...(volume?.secret ? { mountedSecret: volume.secret.secretName } : {}), ...(mount ? { mount } : {}) };
}

describe("helm chart: aws.auth=rolesAnywhere", () => {
  let namespace = "";
  before(async () => {
    await installCertManagerCrds();
    namespace = await restrictedNamespace("helm-ra");
  });

  test("helm lint --strict passes with a Secret and with the Certificate, in both modes", async () => {
    for (const { name, sets } of rolesAnywhereCombinations) {
      const result = await helm(["lint", "--strict", chartDir, ...sets.flatMap((s) => ["--set", s])]);
      assert.equal(result.code, 0, `${name}: ${result.stdout}${result.stderr}`);
    }
  });

  for (const { name, sets } of rolesAnywhereCombinations) {
    test(`${name}: the Secret is mounted read-only where the variables point; the API server accepts it all, no Pod Security warning`, async () => {
      const yaml = await helmTemplate(namespace, sets);
      const manifests = parseManifests(yaml);
      const { env, mountedSecret, mount } = rolesAnywhereOf(manifests);
      assert.ok(mount, "the Secret is not mounted");
      assert.equal(mount.readOnly, true);
      assert.deepEqual(Object.fromEntries(env), {
        ROLES_ANYWHERE_CERTIFICATE: `${mount.mountPath}/tls.crt`,
        ROLES_ANYWHERE_PRIVATE_KEY: `${mount.mountPath}/tls.key`,
        ROLES_ANYWHERE_TRUST_ANCHOR_ARN: rolesAnywhereArns.trustAnchor,
        ROLES_ANYWHERE_PROFILE_ARN: rolesAnywhereArns.profile,
        ROLES_ANYWHERE_ROLE_ARN: rolesAnywhereArns.role,
      });
      const certificate = certificateOf(manifests);
      assert.equal(certificate !== undefined, name.endsWith("/certificate"), "a Certificate only when asked");
      // The pods mount exactly the Secret cert-manager writes, or the one the user named.
      assert.equal(mountedSecret, certificate?.spec.secretName ?? "roles-anywhere-tls");
      // No other identity is wired next to it.
      const names = (mainContainer(podTemplate(workloads(manifests)[0] as Manifest)).env ?? []).map((e) => e.name);
      for (const other of ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ACCESS_KEY_ID"]) assert.ok(!names.includes(other), other);
      assert.equal("eks.amazonaws.com/role-arn" in (find(manifests, "ServiceAccount").metadata.annotations ?? {}), false);
      const result = await serverDryRun(yaml);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /PodSecurity/);
      if (certificate) assert.match(result.stdout, /certificate\.cert-manager\.io\/\S+ created \(server dry run\)/);
    });
  }

  test("the Certificate is an end-entity client certificate for the pods' Secret, renewed with a new key", async () => {
    const manifests = parseManifests(await helmTemplate("ns-a", withCertificate.sets));
    const certificate = certificateOf(manifests);
    assert.ok(certificate);
    assert.equal(certificate.metadata.namespace, "ns-a");
    assert.equal(certificate.spec.secretName, "ecr-public-creds-helper-roles-anywhere");
    assert.equal(certificate.spec.commonName, find(manifests, "ServiceAccount").metadata.name, "the CN defaults to the service account's name");
    assert.equal(certificate.spec.isCA, false);
    assert.ok(certificate.spec.usages.includes("digital signature"), "Roles Anywhere requires the Digital Signature key usage");
    assert.deepEqual(certificate.spec.privateKey, { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" });
    assert.deepEqual(certificate.spec.issuerRef, { name: "roles-anywhere-ca", kind: "Issuer", group: "cert-manager.io" });
    assert.deepEqual([certificate.spec.duration, certificate.spec.renewBefore], ["720h", "240h"]);
  });

  test("the Certificate's values reach it, and the API server accepts them: AWS Private CA's issuer, RSA, a subject", async () => {
    const sets = [
      ...withCertificate.sets,
      "aws.rolesAnywhere.secretName=ra-tls",
      "aws.rolesAnywhere.certificate.issuerRef.name=private-ca",
      "aws.rolesAnywhere.certificate.issuerRef.kind=AWSPCAClusterIssuer",
      "aws.rolesAnywhere.certificate.issuerRef.group=awspca.cert-manager.io",
      "aws.rolesAnywhere.certificate.commonName=ecr-helper.cluster-a",
      "aws.rolesAnywhere.certificate.subject.organizations={Example}",
      "aws.rolesAnywhere.certificate.subject.organizationalUnits={platform}",
      "aws.rolesAnywhere.certificate.duration=168h",
      "aws.rolesAnywhere.certificate.renewBefore=48h",
      "aws.rolesAnywhere.certificate.privateKey.algorithm=RSA",
      "aws.rolesAnywhere.certificate.privateKey.size=4096",
      "aws.rolesAnywhere.sessionDuration=1h",
    ];
    const yaml = await helmTemplate(namespace, sets);
    const manifests = parseManifests(yaml);
    const certificate = certificateOf(manifests);
    assert.ok(certificate);
    assert.equal(certificate.spec.secretName, "ra-tls");
    assert.equal(rolesAnywhereOf(manifests).mountedSecret, "ra-tls");
    assert.equal(rolesAnywhereOf(manifests).env.get("ROLES_ANYWHERE_SESSION_DURATION"), "1h");
    assert.equal(certificate.spec.commonName, "ecr-helper.cluster-a");
    assert.deepEqual(certificate.spec.subject, { organizations: ["Example"], organizationalUnits: ["platform"] });
    assert.deepEqual([certificate.spec.duration, certificate.spec.renewBefore], ["168h", "48h"]);
    assert.deepEqual(certificate.spec.privateKey, { algorithm: "RSA", size: 4096, rotationPolicy: "Always" });
    assert.deepEqual(certificate.spec.issuerRef, { name: "private-ca", kind: "AWSPCAClusterIssuer", group: "awspca.cert-manager.io" });
    const result = await serverDryRun(yaml);
    assert.equal(result.code, 0, result.stderr);
  });

  test("without sessionDuration the variable is left out (the helper's default)", async () => {
    assert.equal(rolesAnywhereOf(parseManifests(await helmTemplate("ns-a", plain.sets))).env.has("ROLES_ANYWHERE_SESSION_DURATION"), false);
  });

  test("the validation can fail: the API server refuses a Certificate with a misspelt field, or a key algorithm cert-manager lacks", async () => {
    const yaml = await helmTemplate(namespace, withCertificate.sets);
    const misspelt = yaml.replace("  renewBefore: 240h", "  renewBefor: 240h");
    const unknownAlgorithm = yaml.replace("algorithm: ECDSA", "algorithm: DSA");
    assert.notEqual(misspelt, yaml);
    assert.notEqual(unknownAlgorithm, yaml);
    const refusedField = await serverDryRun(misspelt);
    assert.notEqual(refusedField.code, 0);
    assert.match(refusedField.stderr, /Certificate.*unknown field "spec\.renewBefor"/);
    const refusedValue = await serverDryRun(unknownAlgorithm);
    assert.notEqual(refusedValue.code, 0);
    assert.match(refusedValue.stderr, /spec\.privateKey\.algorithm: Unsupported value: "DSA"/);
  });

  test("the release notes say where the certificate comes from and what to pin in the trust policy", async () => {
    const notes = async (sets: readonly string[]): Promise<string> => {
      const result = await helm([
        "install",
        "ecr-public-creds-helper",
        chartDir,
        "--dry-run=client",
        "--namespace",
        "ns-a",
        ...sets.flatMap((s) => ["--set", s]),
      ]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.slice(result.stdout.indexOf("NOTES:"));
    };
    const own = await notes(plain.sets);
    assert.match(own, /kubectl -n ns-a create secret tls roles-anywhere-tls --cert=\S+ --key=\S+/);
    const managed = await notes(withCertificate.sets);
    assert.match(managed, /kubectl -n ns-a get certificate ecr-public-creds-helper-roles-anywhere/);
    assert.match(managed, /aws:PrincipalTag\/x509Subject\/CN\s+"ecr-public-creds-helper"/);
    assert.doesNotMatch(await notes([]), /Roles Anywhere/);
  });

  test("values that cannot work fail with one clear line", async () => {
    const [, , , anchor, profile] = plain.sets;
    const secret = "aws.rolesAnywhere.secretName=roles-anywhere-tls";
    const cases: Array<[string[], RegExp]> = [
      [["aws.auth=rolesAnywhere"], /aws\.auth=rolesAnywhere needs aws\.roleArn/],
      [
        ["aws.auth=rolesAnywhere", `aws.roleArn=${rolesAnywhereArns.role}`, secret],
        /needs aws\.rolesAnywhere\.trustAnchorArn and aws\.rolesAnywhere\.profileArn/,
      ],
      [
        ["aws.auth=rolesAnywhere", `aws.roleArn=${rolesAnywhereArns.role}`, `${anchor}`, secret],
        /needs aws\.rolesAnywhere\.trustAnchorArn and aws\.rolesAnywhere\.profileArn/,
      ],
      [[...plain.sets.slice(0, 4), profile?.replace("eu-west-1", "us-east-1") ?? "", secret], /profileArn is in us-east-1 but the trust anchor in eu-west-1/],
      [
        withCertificate.sets.filter((s) => !s.startsWith("aws.rolesAnywhere.certificate")),
        /needs aws\.rolesAnywhere\.secretName .* or aws\.rolesAnywhere\.certificate\.enabled=true/,
      ],
      [[...plain.sets, "aws.rolesAnywhere.certificate.enabled=true"], /certificate\.enabled needs aws\.rolesAnywhere\.certificate\.issuerRef\.name/],
      [["aws.auth=none", "aws.rolesAnywhere.certificate.enabled=true"], /certificate\.enabled needs aws\.auth=rolesAnywhere/],
      [[...withCertificate.sets, "aws.rolesAnywhere.certificate.privateKey.size=2048"], /privateKey\.size 2048 does not fit ECDSA: use 256 or 384/],
      [[...withCertificate.sets, "aws.rolesAnywhere.certificate.privateKey.algorithm=RSA"], /privateKey\.size 256 does not fit RSA: use 2048 or 4096/],
      [[...withCertificate.sets, "aws.rolesAnywhere.certificate.privateKey.algorithm=Ed25519"], /\/aws\/rolesAnywhere\/certificate\/privateKey\/algorithm/],
      [
        [...plain.sets, "aws.rolesAnywhere.trustAnchorArn=arn:aws:rolesanywhere:eu-west-1:111122223333:profile/4579702c-9abb-47c2-88b2-c734e0b29539"],
        /\/aws\/rolesAnywhere\/trustAnchorArn/,
      ],
      [[...plain.sets, "aws.rolesAnywhere.profileArn=my-profile"], /\/aws\/rolesAnywhere\/profileArn/],
      [[...plain.sets, "aws.rolesAnywhere.sessionDuration=3600"], /\/aws\/rolesAnywhere\/sessionDuration/],
      [[...plain.sets, "aws.rolesAnywhere.sessionDuration=1.5h"], /\/aws\/rolesAnywhere\/sessionDuration/],
      [[...plain.sets, "aws.rolesAnywhere.secretName=Not_A_Name"], /\/aws\/rolesAnywhere\/secretName/],
      [[...withCertificate.sets, "aws.rolesAnywhere.certificate.subject.organisation=Example"], /\/aws\/rolesAnywhere\/certificate\/subject/],
      [[...withCertificate.sets, `aws.rolesAnywhere.certificate.commonName=${"x".repeat(65)}`], /\/aws\/rolesAnywhere\/certificate\/commonName/],
    ];
    for (const [sets, message] of cases) {
      const result = await helm(["template", "x", chartDir, ...sets.flatMap((s) => ["--set", s])]);
      assert.notEqual(result.code, 0, `${sets.join(" ")} rendered`);
      assert.match(result.stderr, message, sets.join(" "));
      assert.equal(
        result.stderr
          .trim()
          .split("\n")
          .filter((l) => l.startsWith("Error")).length,
        1,
        result.stderr,
      );
    }
  });
});
