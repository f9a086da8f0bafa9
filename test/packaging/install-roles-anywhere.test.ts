// docs/install.md's IAM Roles Anywhere section, replayed: its AWS commands run as written (the
// real AWS CLI, openssl and jq) against a local endpoint that records what they send; the CA it
// makes is one Roles Anywhere takes as a trust anchor; the trust policy pins the CN the chart
// and the component put in the certificate; its Issuer, helm line and kustomization render
// from this checkout and the real API server accepts them against cert-manager's CRDs.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { before, describe, test } from "node:test";
import { loadAllYaml } from "@kubernetes/client-node";
import { repoRoot } from "../testenv/paths.ts";
import { shellWords } from "./chart-examples.ts";
import { installCertManagerCrds } from "./crds.ts";
import {
  deployDir,
  find,
  helmTemplate,
  kustomize,
  mainContainer,
  parseManifests,
  podTemplate,
  restrictedNamespace,
  rolesAnywhereArns,
  run,
  serverDryRun,
  type Manifest,
} from "./support.ts";

const heading = "### Outside AWS: IAM Roles Anywhere";

/** The section, from its heading to the next heading of its level or above (code blocks hold only "# " comments). */
function section(): string {
  const doc = readFileSync(join(repoRoot, "docs", "install.md"), "utf8");
  const start = doc.indexOf(heading);
  assert.ok(start >= 0, `docs/install.md has no "${heading}"`);
  const end = doc.slice(start + heading.length).search(/^#{2,3} /m);
  return end < 0 ? doc.slice(start) : doc.slice(start, start + heading.length + end);
}

function blocks(language: string): string[] {
  return [...section().matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === language).map((m) => m[2] ?? "");
}

interface TrustPolicy {
  Statement: Array<{ Effect: string; Principal: { Service: string }; Action: string[]; Condition: Record<string, Record<string, string>> }>;
}

function trustPolicy(): TrustPolicy {
  const [json, ...more] = blocks("json");
  assert.ok(json !== undefined && more.length === 0, "one JSON block: the trust policy");
  return JSON.parse(json) as TrustPolicy;
}

/** The YAML block whose text matches, as objects. */
function yamlBlock(pattern: RegExp): unknown[] {
  const block = blocks("yaml").find((b) => pattern.test(b));
  assert.ok(block, `no YAML block matching ${pattern}`);
  return loadAllYaml(block);
}

interface Recorded {
  readonly path: string;
  readonly body: string;
}

/** A stand-in for the AWS endpoints: records each request and answers as the API reference says. */
async function recordingEndpoint(): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const read = async (req: IncomingMessage): Promise<string> => {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    return body;
  };
  const server = createServer((req, res) => {
    void read(req).then((body) => {
      requests.push({ path: req.url ?? "", body });
      const action = new URLSearchParams(body).get("Action");
      if (action) {
        // IAM's query protocol answers in XML.
        res.setHeader("content-type", "text/xml");
        const role = `<Role><Path>/</Path><RoleName>ecr-public-creds-helper</RoleName><RoleId>AROAEXAMPLE</RoleId><Arn>${rolesAnywhereArns.role}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role>`;
        res.end(`<${action}Response><${action}Result>${action === "CreateRole" ? role : ""}</${action}Result></${action}Response>`);
        return;
      }
      res.setHeader("content-type", "application/json");
      if (req.url === "/trustanchors") res.end(JSON.stringify({ trustAnchor: { trustAnchorArn: rolesAnywhereArns.trustAnchor } }));
      else if (req.url === "/profiles") res.end(JSON.stringify({ profile: { profileArn: rolesAnywhereArns.profile } }));
      else res.writeHead(404).end("{}");
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

describe("docs/install.md: IAM Roles Anywhere", () => {
  before(async () => {
    await installCertManagerCrds();
  });

  test("the AWS side, run as written: a CA, the trust anchor holding it, the role with the trust policy, the profile listing the role", async () => {
    // The testenv installs them (test/testenv/packages.ts): missing is a broken set-up, not a skip.
    for (const tool of ["/usr/bin/aws", "/usr/bin/openssl", "/usr/bin/jq"]) assert.ok(existsSync(tool), `${tool} is not installed`);
    const dir = await mkdtemp(join(tmpdir(), "install-ra-"));
    // "Save it as trust-policy.json"
    const [policyText] = blocks("json");
    await writeFile(join(dir, "trust-policy.json"), policyText ?? "");
    const script = blocks("shell").filter((b) => !/\b(kubectl|helm)\b/.test(b));
    assert.ok(script.length >= 5, `only ${script.length} AWS/openssl blocks`);
    const endpoint = await recordingEndpoint();
    try {
      const result = await run("sh", ["-ec", `${script.join("\n")}\necho "TRUST_ANCHOR_ARN=$TRUST_ANCHOR_ARN ROLE_ARN=$ROLE_ARN PROFILE_ARN=$PROFILE_ARN"`], {
        cwd: dir,
        env: {
          PATH: process.env["PATH"],
          HOME: dir,
          AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
          AWS_SECRET_ACCESS_KEY: "example",
          AWS_ENDPOINT_URL: endpoint.url,
          POLICY_ARN: "arn:aws:iam::123456789012:policy/AmazonECRPublicAuthOnlyPolicy",
        },
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`TRUST_ANCHOR_ARN=${rolesAnywhereArns.trustAnchor} ROLE_ARN=${rolesAnywhereArns.role} PROFILE_ARN=${rolesAnywhereArns.profile}`),
      );
    } finally {
      endpoint.server.close();
    }
    const ca = await readFile(join(dir, "ca.crt"), "utf8");
    const [anchor, createRole, attach, profile, ...more] = endpoint.requests;
    assert.equal(more.length, 0, JSON.stringify(more));
    assert.equal(anchor?.path, "/trustanchors");
    assert.deepEqual(JSON.parse(anchor?.body ?? "{}"), {
      name: "ecr-public-creds-helper",
      enabled: true,
      source: { sourceType: "CERTIFICATE_BUNDLE", sourceData: { x509CertificateData: ca } },
    });
    const role = new URLSearchParams(createRole?.body);
    assert.equal(role.get("Action"), "CreateRole");
    assert.deepEqual(JSON.parse(role.get("AssumeRolePolicyDocument") ?? "{}"), trustPolicy());
    const attached = new URLSearchParams(attach?.body);
    assert.deepEqual(
      [attached.get("Action"), attached.get("RoleName"), attached.get("PolicyArn")],
      ["AttachRolePolicy", "ecr-public-creds-helper", "arn:aws:iam::123456789012:policy/AmazonECRPublicAuthOnlyPolicy"],
    );
    assert.equal(profile?.path, "/profiles");
    assert.deepEqual(JSON.parse(profile?.body ?? "{}"), {
      name: "ecr-public-creds-helper",
      enabled: true,
      roleArns: [rolesAnywhereArns.role],
      durationSeconds: 3600,
    });

    // The CA is one a trust anchor can be (CA:TRUE, keyCertSign, SHA-256), and a certificate it
    // signs the way cert-manager's CA issuer does (not a CA, digital signature) chains to it.
    const text = (await run("openssl", ["x509", "-in", "ca.crt", "-noout", "-text"], { cwd: dir })).stdout;
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    const leaf = [
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ecr-public-creds-helper -keyout tls.key -out tls.csr",
      "printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\n' > leaf.ext",
      "openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile leaf.ext -out tls.crt",
      "openssl verify -CAfile ca.crt tls.crt",
    ].join(" && ");
    const verified = await run("sh", ["-ec", leaf], { cwd: dir });
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /tls\.crt: OK/);
  });

  test("the trust policy lets only Roles Anywhere assume the role, for this trust anchor and the CN the chart and the component issue", async () => {
    const [statement, ...more] = trustPolicy().Statement;
    assert.ok(statement && more.length === 0);
    assert.equal(statement.Effect, "Allow");
    assert.equal(statement.Principal.Service, "rolesanywhere.amazonaws.com");
    assert.deepEqual([...statement.Action].sort(), ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]);
    const cn = statement.Condition["StringEquals"]?.["aws:PrincipalTag/x509Subject/CN"];
    assert.match(statement.Condition["ArnEquals"]?.["aws:SourceArn"] ?? "", /^arn:aws:rolesanywhere:[a-z0-9-]+:\d{12}:trust-anchor\/[0-9a-f-]{36}$/);
    const certificateCn = (manifests: Manifest[]): unknown => (find(manifests, "Certificate") as Manifest & { spec: { commonName: string } }).spec.commonName;
    assert.equal(certificateCn(parseManifests(await helmTemplate("ecr-public-creds-helper", documentedHelmSets()))), cn, "the chart's default CN");
    assert.equal(certificateCn(parseManifests(await kustomize(join(deployDir, "components", "roles-anywhere", "cert-manager")))), cn, "the component's CN");
  });

  test("the Issuer and the helm line: the Certificate asks that Issuer, and the API server accepts both (restricted namespace, no Pod Security warning)", async () => {
    const [issuer] = yamlBlock(/kind: Issuer/) as Array<Manifest & { spec: { ca: { secretName: string } } }>;
    assert.ok(issuer);
    // The CA Secret the shell block makes is the one the Issuer reads.
    assert.ok(blocks("shell").some((b) => b.includes(`create secret tls ${issuer.spec.ca.secretName} --cert=ca.crt --key=ca.key`)));
    const namespace = await restrictedNamespace("install-ra");
    const yaml = await helmTemplate(namespace, documentedHelmSets());
    const certificate = find(parseManifests(yaml), "Certificate") as Manifest & { spec: { issuerRef: { name: string; kind: string } } };
    assert.deepEqual([certificate.spec.issuerRef.kind, certificate.spec.issuerRef.name], [issuer.kind, issuer.metadata.name]);
    const result = await serverDryRun([JSON.stringify({ ...issuer, metadata: { ...issuer.metadata, namespace } }), yaml].join("\n---\n"));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /issuer\.cert-manager\.io\/roles-anywhere-ca created \(server dry run\)/);
    assert.doesNotMatch(result.stderr, /PodSecurity/);
  });

  test("the kustomization builds from this checkout: the patch's ARNs replace the component's, the Certificate comes along; accepted", async () => {
    const dir = await mkdtemp(join(tmpdir(), "install-ra-kustomize-"));
    const block = blocks("yaml").find((b) => b.includes("components:"));
    assert.ok(block);
    const local = block.replace(/https:\/\/github\.com\/OWNER\/ecr-public-creds-helper\/\/deploy\/([^?\s]+)\?ref=\S+/g, (_, path: string) =>
      relative(dir, join(deployDir, path)),
    );
    assert.doesNotMatch(local, /https:/);
    await writeFile(join(dir, "kustomization.yaml"), local);
    const yaml = await kustomize(dir);
    const manifests = parseManifests(yaml);
    const env = new Map((mainContainer(podTemplate(find(manifests, "Deployment"))).env ?? []).map((e) => [e.name, e.value]));
    const patched = (loadAllYaml(block)[0] as { patches: Array<{ patch: string }> }).patches[0]?.patch ?? "";
    for (const name of ["ROLES_ANYWHERE_TRUST_ANCHOR_ARN", "ROLES_ANYWHERE_PROFILE_ARN", "ROLES_ANYWHERE_ROLE_ARN"]) {
      assert.ok(env.get(name)?.includes(":123456789012:"), `${name} is still the component's placeholder: ${env.get(name)}`);
      assert.ok(patched.includes(env.get(name) ?? "?"), name);
    }
    assert.equal(env.get("ROLES_ANYWHERE_CERTIFICATE"), "/var/run/secrets/roles-anywhere/tls.crt");
    assert.equal(env.get("TARGET_NAMESPACES"), "default foo bar");
    assert.equal(
      trustPolicy().Statement[0]?.Condition["ArnEquals"]?.["aws:SourceArn"],
      env.get("ROLES_ANYWHERE_TRUST_ANCHOR_ARN"),
      "the policy and the patch name one trust anchor",
    );
    find(manifests, "Certificate");
    const namespace = await restrictedNamespace("install-ra-k");
    const objects = parseManifests(yaml.replaceAll("namespace: ecr-public-creds-helper\n", `namespace: ${namespace}\n`));
    const result = await serverDryRun(
      objects
        .filter((m) => m.kind !== "Namespace")
        .map((m) => JSON.stringify(m))
        .join("\n---\n"),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /PodSecurity/);
  });
});

/** The --set values of the section's helm install line, its shell variables filled in. */
function documentedHelmSets(): string[] {
  const lines = blocks("shell")
    .map((b) => b.replace(/\\\n/g, " "))
    .flatMap((b) => b.split("\n"))
    .map(shellWords)
    .filter((w) => w[0] === "helm" && w[1] === "install");
  assert.equal(lines.length, 1, "one helm install line");
  const values: Record<string, string> = {
    $ROLE_ARN: rolesAnywhereArns.role,
    $TRUST_ANCHOR_ARN: rolesAnywhereArns.trustAnchor,
    $PROFILE_ARN: rolesAnywhereArns.profile,
  };
  const words = lines[0] ?? [];
  return words.flatMap((word, i) => (words[i - 1] === "--set" ? [word.replace(/\$[A-Z_]+/g, (v) => values[v] ?? v)] : []));
}
