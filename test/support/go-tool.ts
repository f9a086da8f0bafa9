// Builds a test tool from a pinned tools module (a go.mod under test/) with the machine's Go
// toolchain, from the Go module proxy only, once per version, into the shared cache that the
// control plane and helm use (~/.cache/ecr-public-creds-helper), so a fresh clone reuses it.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface GoTool {
  /** The binary's name, and its directory in the cache. */
  readonly name: string;
  /** The tools module that pins it, e.g. test/actionlint. */
  readonly moduleDir: string;
  /** The main package to build. */
  readonly pkg: string;
  /** The pinned version: the cache key. */
  readonly version: string;
  readonly ldflags?: readonly string[];
  /** Build with cgo (a C toolchain on the machine); off unless the tool cannot build without it. */
  readonly cgo?: boolean;
}

/** The version a tools module's go.mod requires of a module. */
export function requiredVersion(moduleDir: string, modulePath: string): string {
  const goMod = readFileSync(join(moduleDir, "go.mod"), "utf8");
  const escaped = modulePath.replaceAll(".", "\\.");
  const version = new RegExp(`^\\s*(?:require\\s+)?${escaped} (v[0-9][^\\s]*)`, "m").exec(goMod)?.[1];
  if (!version) throw new Error(`${join(moduleDir, "go.mod")} does not require ${modulePath}`);
  return version;
}

function cacheRoot(): string {
  const xdg = process.env["XDG_CACHE_HOME"];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), ".cache"), "ecr-public-creds-helper");
}

export function goToolPath(tool: GoTool): string {
  return join(cacheRoot(), tool.name, tool.version, tool.name);
}

/** Path of the built tool; builds it first when the cache has none. */
export async function ensureGoTool(tool: GoTool, log: (line: string) => void): Promise<string> {
  const finalPath = goToolPath(tool);
  if (existsSync(finalPath)) return finalPath;
  const buildDir = join(cacheRoot(), tool.name, `${tool.version}.building-${process.pid}`);
  await mkdir(buildDir, { recursive: true });
  log(`building ${tool.name} ${tool.version} from the Go module proxy into ${finalPath} (once)`);
  const started = Date.now();
  const ticker = setInterval(() => log(`still building ${tool.name} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await goBuild(tool, join(buildDir, tool.name));
    await mkdir(join(finalPath, ".."), { recursive: true });
    // Atomic move: a half-finished build is never taken for a cache hit.
    await rename(join(buildDir, tool.name), finalPath);
  } finally {
    clearInterval(ticker);
    await rm(buildDir, { recursive: true, force: true });
  }
  log(`${tool.name} ${tool.version} built in ${Math.round((Date.now() - started) / 1000)} s`);
  return finalPath;
}

function goBuild(tool: GoTool, output: string): Promise<void> {
  const args = ["build", "-trimpath", `-ldflags=${(tool.ldflags ?? ["-s", "-w"]).join(" ")}`, "-o", output, tool.pkg];
  return new Promise((resolveBuild, reject) => {
    const child = spawn("go", args, {
      cwd: tool.moduleDir,
      env: { ...process.env, CGO_ENABLED: tool.cgo ? "1" : "0" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (error) => reject(new Error(`cannot run 'go' (${error.message}): install Go 1.26 or newer`)));
    child.on("exit", (code) => (code === 0 ? resolveBuild() : reject(new Error(`go build of ${tool.name} ${tool.version} failed (exit ${code})`))));
  });
}
