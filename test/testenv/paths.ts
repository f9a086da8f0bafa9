// Where the test environment keeps things. The control-plane build is cached outside the repo,
// keyed by version, so a fresh clone on the same machine reuses it.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
// ECR_TESTENV_DIR lets a test start a second, separate environment (to check up/down).
export const stateDir = process.env["ECR_TESTENV_DIR"] ?? join(repoRoot, ".testenv");

export const versions = {
  kubernetes: "v1.37.2",
  etcd: "v3.7.0",
} as const;

function cacheRoot(): string {
  // Test tooling may read the environment; the product's only reader is src/config.ts.
  const xdg = process.env["XDG_CACHE_HOME"];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), ".cache"), "ecr-public-creds-helper");
}

export function controlPlaneBinDir(): string {
  return join(cacheRoot(), "controlplane", `${versions.kubernetes}-etcd${versions.etcd.slice(1)}`);
}

export const statePaths = {
  state: join(stateDir, "state.json"),
  env: join(stateDir, "env"),
  kubeconfig: join(stateDir, "kubeconfig"),
  kubeconfigUser: join(stateDir, "kubeconfig-user"),
  pki: join(stateDir, "pki"),
  etcdData: join(stateDir, "etcd-data"),
  logs: join(stateDir, "logs"),
  auditPolicy: join(stateDir, "audit-policy.yaml"),
  auditLog: join(stateDir, "logs", "audit.log"),
} as const;
