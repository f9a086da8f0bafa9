// What the packaging tests share: the real kubectl (kustomize, server-side dry-run) and
// helm, manifests parsed into objects, and the pod templates inside workloads.
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readdirSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { loadYaml } from "@kubernetes/client-node";
import { repoRoot } from "../testenv/paths.ts";
import { uniqueName } from "../support/kube.ts";
import { testenvVars, var_ } from "../support/testenv.ts";
import { ensureHelm } from "./helm-binary.ts";

export const deployDir = join(repoRoot, "deploy");
export const chartDir = join(repoRoot, "charts", "ecr-public-creds-helper");

/** A Kubernetes object as plain data: only the fields a test reads are typed. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [key: string]: unknown;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; resolves with its exit code and output instead of throwing. */
export function run(file: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const child = execFile(
      file,
      [...args],
      { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolveRun({ code, stdout, stderr: stderr || (error && typeof error.code !== "number" ? error.message : "") });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like run, but a non-zero exit is an error that shows the command's stderr. */
export async function runOk(file: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  const result = await run(file, args, options);
  if (result.code !== 0) throw new Error(`${file} ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

function kubectlEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"], HOME: process.env["HOME"], KUBECONFIG: var_(testenvVars(), "KUBECONFIG") };
}

export function kubectl(args: readonly string[], input?: string): Promise<RunResult> {
  return run(var_(testenvVars(), "TESTENV_KUBECTL"), args, { env: kubectlEnv(), ...(input === undefined ? {} : { input }) });
}

/** `kubectl kustomize DIR`: the kustomize users get with their kubectl. */
export async function kustomize(dir: string): Promise<string> {
  return runOk(var_(testenvVars(), "TESTENV_KUBECTL"), ["kustomize", dir], { env: kubectlEnv() });
}

export async function helm(args: readonly string[]): Promise<RunResult> {
  const path = await ensureHelm((line) => void process.stderr.write(`${line}\n`));
  // No repositories, no plugins, no cache in $HOME: only the chart on disk matters.
  const home = join(tmpdir(), "ecr-public-creds-helper-helm");
  const env = { PATH: process.env["PATH"], HELM_CACHE_HOME: join(home, "cache"), HELM_CONFIG_HOME: join(home, "config"), HELM_DATA_HOME: join(home, "data") };
  return run(path, args, { env });
}

/** `helm template` of the chart with --set values; throws with helm's message on failure. */
export async function helmTemplate(namespace: string, sets: readonly string[], release = "ecr-public-creds-helper"): Promise<string> {
  const result = await helm(["template", release, chartDir, "--namespace", namespace, ...sets.flatMap((s) => ["--set", s])]);
  if (result.code !== 0) throw new Error(`helm template ${sets.join(" ")}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Every object in a multi-document YAML stream; documents with only comments are skipped. */
export function parseManifests(yaml: string): Manifest[] {
  return yaml
    .split(/^---\s*$/m)
    .filter((doc) => doc.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("#")))
    .map((doc) => JSON.parse(JSON.stringify(loadYaml(doc))) as Manifest);
}

export function find(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ""} in the manifests`);
  return found;
}

export interface PodTemplate {
  readonly metadata?: { labels?: Record<string, string> };
  readonly spec: PodSpec;
}

export interface PodSpec {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Array<Record<string, unknown> & { name: string }>;
  [key: string]: unknown;
}

export interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

/** The pod template of a CronJob or a Deployment. */
export function podTemplate(workload: Manifest): PodTemplate {
  const spec = workload["spec"] as { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } };
  const template = workload.kind === "CronJob" ? spec.jobTemplate?.spec.template : spec.template;
  if (!template) throw new Error(`${workload.kind} ${workload.metadata.name} has no pod template`);
  return template;
}

export function workloads(manifests: readonly Manifest[]): Manifest[] {
  return manifests.filter((m) => m.kind === "CronJob" || m.kind === "Deployment");
}

/** The helper's container in a pod template. */
export function mainContainer(template: PodTemplate): Container {
  const container = template.spec.containers.find((c) => c.name === "ecr-public-creds-helper");
  if (!container) throw new Error("no container named ecr-public-creds-helper");
  return container;
}

/** Namespaces the namespaced objects go into (so they can be made before a dry-run). */
export function namespacesUsed(manifests: readonly Manifest[]): string[] {
  return [...new Set(manifests.flatMap((m) => (m.metadata.namespace ? [m.metadata.namespace] : [])))];
}

/** Makes namespaces for real if absent: a server-side dry-run cannot put objects in a namespace that is not there. */
export async function ensureNamespaces(names: readonly string[]): Promise<void> {
  for (const name of names) {
    const got = await kubectl(["get", "namespace", name, "-o", "name"]);
    if (got.code === 0) continue;
    const made = await kubectl(["create", "namespace", name]);
    if (made.code !== 0 && !made.stderr.includes("AlreadyExists")) throw new Error(`create namespace ${name}: ${made.stderr.trim()}`);
  }
}

/** Makes a service account if absent: Pod admission looks it up, and the testenv has no controller manager to make `default`. */
export async function ensureServiceAccount(namespace: string, name: string): Promise<void> {
  if ((await kubectl(["-n", namespace, "get", "serviceaccount", name, "-o", "name"])).code === 0) return;
  const made = await kubectl(["-n", namespace, "create", "serviceaccount", name]);
  if (made.code !== 0 && !made.stderr.includes("AlreadyExists")) throw new Error(`create serviceaccount ${namespace}/${name}: ${made.stderr.trim()}`);
}

/** A new namespace where the API server enforces, and warns about, the restricted Pod Security Standard. */
export async function restrictedNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const made = await kubectl(["create", "namespace", name]);
  if (made.code !== 0) throw new Error(`create namespace ${name}: ${made.stderr.trim()}`);
  const labelled = await kubectl(["label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/warn=restricted"]);
  if (labelled.code !== 0) throw new Error(`label namespace ${name}: ${labelled.stderr.trim()}`);
  return name;
}

/** `kubectl apply --dry-run=server`: the API server validates and admits, and stores nothing. */
export async function serverDryRun(yaml: string): Promise<RunResult> {
  await ensureNamespaces(namespacesUsed(parseManifests(yaml)));
  return kubectl(["apply", "--dry-run=server", "-f", "-"], yaml);
}

/** IAM Roles Anywhere ARNs in the form AWS gives them (one region), for rendering the chart. */
export const rolesAnywhereArns = {
  trustAnchor: "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/4579702c-9abb-47c2-88b2-c734e0b29539",
  profile: "arn:aws:rolesanywhere:eu-west-1:111122223333:profile/6f4d42cc-5dd1-4bbb-a8b4-1fa2b6bd3b0f",
  role: "arn:aws:iam::111122223333:role/ecr-public-creds-helper",
} as const;

/**
 * aws.auth=rolesAnywhere in both modes: with a Secret the user makes, and with the cert-manager
 * Certificate the chart renders (its server-side validation needs the cert-manager CRDs).
 */
export const rolesAnywhereCombinations: ReadonlyArray<{ readonly name: string; readonly sets: readonly string[] }> = ["cronjob", "controller"].flatMap(
  (mode) => {
    const sets = [
      `mode=${mode}`,
      "aws.auth=rolesAnywhere",
      `aws.roleArn=${rolesAnywhereArns.role}`,
      `aws.rolesAnywhere.trustAnchorArn=${rolesAnywhereArns.trustAnchor}`,
      `aws.rolesAnywhere.profileArn=${rolesAnywhereArns.profile}`,
    ];
    return [
      { name: `${mode}/rolesAnywhere`, sets: [...sets, "aws.rolesAnywhere.secretName=roles-anywhere-tls"] },
      {
        name: `${mode}/rolesAnywhere/certificate`,
        sets: [...sets, "aws.rolesAnywhere.certificate.enabled=true", "aws.rolesAnywhere.certificate.issuerRef.name=roles-anywhere-ca"],
      },
    ];
  },
);

/** Every `--set` combination of mode and AWS auth the chart supports, with what each needs (rolesAnywhere's Certificate needs cert-manager's CRDs to be validated). */
export const chartCombinations: ReadonlyArray<{ readonly name: string; readonly sets: readonly string[] }> = [
  ...["cronjob", "controller"].flatMap((mode) =>
    [
      { auth: "none", extra: [] },
      { auth: "irsa", extra: ["aws.roleArn=arn:aws:iam::111122223333:role/ecr-public-creds-helper"] },
      { auth: "podIdentity", extra: [] },
      { auth: "oidcFederation", extra: ["aws.roleArn=arn:aws:iam::111122223333:role/ecr-public-creds-helper"] },
      { auth: "staticKeys", extra: ["aws.existingSecret=aws-credentials"] },
    ].map(({ auth, extra }) => ({ name: `${mode}/${auth}`, sets: [`mode=${mode}`, `aws.auth=${auth}`, ...extra] })),
  ),
  ...rolesAnywhereCombinations,
];

/** Every overlay directory under deploy/overlays, so a new one is tested without a list to update. */
export function overlayNames(): string[] {
  return readdirSync(join(deployDir, "overlays"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** A kubeconfig that authenticates as a service account with a TokenRequest token, as a pod does. */
export async function tokenKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  const token = await kubectl(["-n", namespace, "create", "token", serviceAccount, "--duration", "1h"]);
  if (token.code !== 0) throw new Error(`create token ${namespace}/${serviceAccount}: ${token.stderr.trim()}`);
  const admin = JSON.parse(await readFile(var_(testenvVars(), "KUBECONFIG"), "utf8")) as { clusters: Array<{ name: string }> };
  const config = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "sa",
    clusters: admin.clusters,
    users: [{ name: "sa", user: { token: token.stdout.trim() } }],
    contexts: [{ name: "sa", context: { cluster: admin.clusters[0]?.name ?? "testenv", user: "sa" } }],
  };
  const path = join(await mkdtemp(join(tmpdir(), "sa-kubeconfig-")), "kubeconfig");
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}
