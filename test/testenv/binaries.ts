// Builds kube-apiserver, etcd and kubectl from the pinned tools module in test/controlplane
// with the machine's Go toolchain (Go module proxy only), once per version.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { controlPlaneBinDir, repoRoot, versions } from "./paths.ts";

export const binaryNames = ["kube-apiserver", "etcd", "kubectl"] as const;
export type BinaryName = (typeof binaryNames)[number];

export function binaryPath(name: BinaryName): string {
  return join(controlPlaneBinDir(), name);
}

export function binariesPresent(): boolean {
  return binaryNames.every((name) => existsSync(binaryPath(name)));
}

/** -X flags so `kubectl version` reports the real release, as an upstream build does. */
function versionLdflags(): string {
  const [major, minor] = versions.kubernetes.slice(1).split(".");
  const flags = ["-s", "-w"];
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    flags.push(`-X ${pkg}.gitVersion=${versions.kubernetes}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`);
  }
  return flags.join(" ");
}

export async function ensureControlPlaneBinaries(log: (line: string) => void): Promise<void> {
  if (binariesPresent()) return;
  const finalDir = controlPlaneBinDir();
  const buildDir = `${finalDir}.building-${process.pid}`;
  await mkdir(buildDir, { recursive: true });
  log(
    `testenv: building kube-apiserver ${versions.kubernetes}, etcd ${versions.etcd} and kubectl ` +
      `from the Go module proxy into ${finalDir} (once; about 20-30 minutes on 2 cores)`,
  );
  const started = Date.now();
  const ticker = setInterval(() => {
    log(`testenv: still building the control plane (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 30_000);
  try {
    await runGoBuild(buildDir);
  } finally {
    clearInterval(ticker);
  }
  await mkdir(finalDir, { recursive: true });
  // Move each binary into place atomically so a half-finished build is never taken for a cache hit.
  for (const name of binaryNames) await rename(join(buildDir, name), join(finalDir, name));
  await rm(buildDir, { recursive: true, force: true });
  log(`testenv: control plane built in ${Math.round((Date.now() - started) / 1000)} s`);
}

function runGoBuild(outDir: string): Promise<void> {
  const args = [
    "build",
    "-trimpath",
    `-ldflags=${versionLdflags()}`,
    "-o",
    `${outDir}/`,
    "k8s.io/kubernetes/cmd/kube-apiserver",
    "k8s.io/kubernetes/cmd/kubectl",
    "./etcd",
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn("go", args, {
      cwd: join(repoRoot, "test", "controlplane"),
      env: { ...process.env, CGO_ENABLED: "0" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (error) => reject(new Error(`cannot run 'go' (${error.message}): install Go 1.26 or newer`)));
    child.on("exit", (code) => (code === 0 ? resolvePromise() : reject(new Error(`go build of the control plane failed (exit ${code})`))));
  });
}
