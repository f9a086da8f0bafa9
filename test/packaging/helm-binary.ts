// Builds the helm CLI from the pinned tools module in test/helm with the machine's Go toolchain
// (Go module proxy only, like the control plane), once per version, into the shared cache.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../testenv/paths.ts";

const toolsDir = join(repoRoot, "test", "helm");

/** The helm release pinned in test/helm/go.mod: one place to bump it. */
export function helmVersion(): string {
  const goMod = readFileSync(join(toolsDir, "go.mod"), "utf8");
  const match = /^\s*helm\.sh\/helm\/v\d+ (v[0-9][^\s]*)/m.exec(goMod);
  if (!match?.[1]) throw new Error("test/helm/go.mod does not require helm.sh/helm");
  return match[1];
}

function cacheRoot(): string {
  // Same cache as the control plane (test/testenv/paths.ts), so a fresh clone reuses it.
  const xdg = process.env["XDG_CACHE_HOME"];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), ".cache"), "ecr-public-creds-helper");
}

export function helmPath(version = helmVersion()): string {
  return join(cacheRoot(), "helm", version, "helm");
}

/** Path of a built helm; builds it first (a few minutes on 2 cores) when the cache has none. */
export async function ensureHelm(log: (line: string) => void): Promise<string> {
  const version = helmVersion();
  const finalPath = helmPath(version);
  if (existsSync(finalPath)) return finalPath;
  const buildDir = join(cacheRoot(), "helm", `${version}.building-${process.pid}`);
  await mkdir(buildDir, { recursive: true });
  log(`packaging: building helm ${version} from the Go module proxy into ${finalPath} (once; a few minutes)`);
  const started = Date.now();
  const ticker = setInterval(() => {
    log(`packaging: still building helm (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 30_000);
  try {
    await goBuild(version, join(buildDir, "helm"));
    await mkdir(join(finalPath, ".."), { recursive: true });
    // Atomic move: a half-finished build is never taken for a cache hit.
    await rename(join(buildDir, "helm"), finalPath);
  } finally {
    clearInterval(ticker);
    await rm(buildDir, { recursive: true, force: true });
  }
  log(`packaging: helm ${version} built in ${Math.round((Date.now() - started) / 1000)} s`);
  return finalPath;
}

function goBuild(version: string, output: string): Promise<void> {
  // -X so `helm version` reports the release, as an upstream build does.
  const major = version.split(".")[0] ?? "v4";
  const pkg = `helm.sh/helm/${major}/internal/version`;
  const ldflags = ["-s", "-w", `-X ${pkg}.version=${version}`, `-X ${pkg}.gitTreeState=clean`].join(" ");
  const args = ["build", "-trimpath", `-ldflags=${ldflags}`, "-o", output, `helm.sh/helm/${major}/cmd/helm`];
  return new Promise((resolveBuild, reject) => {
    const child = spawn("go", args, {
      cwd: toolsDir,
      env: { ...process.env, CGO_ENABLED: "0" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (error) => reject(new Error(`cannot run 'go' (${error.message}): install Go 1.26 or newer`)));
    child.on("exit", (code) => (code === 0 ? resolveBuild() : reject(new Error(`go build of helm ${version} failed (exit ${code})`))));
  });
}
