// The helm CLI, built from the pinned tools module in test/helm with the machine's Go toolchain
// (Go module proxy only, like the control plane), once per version, into the shared cache.
import { join } from "node:path";
import { ensureGoTool, requiredVersion, type GoTool } from "../support/go-tool.ts";
import { repoRoot } from "../testenv/paths.ts";

const moduleDir = join(repoRoot, "test", "helm");

/** helm as the tools module pins it (test/helm/go.mod: one place to bump it). */
function helmTool(): GoTool {
  const version = requiredVersion(moduleDir, "helm.sh/helm/v4");
  const major = version.split(".")[0] ?? "v4";
  // -X so `helm version` reports the release, as an upstream build does.
  const versionPkg = `helm.sh/helm/${major}/internal/version`;
  return {
    name: "helm",
    moduleDir,
    pkg: `helm.sh/helm/${major}/cmd/helm`,
    version,
    ldflags: ["-s", "-w", `-X ${versionPkg}.version=${version}`, `-X ${versionPkg}.gitTreeState=clean`],
  };
}

/** Path of a built helm; builds it first (a few minutes on 2 cores) when the cache has none. */
export function ensureHelm(log: (line: string) => void): Promise<string> {
  return ensureGoTool(helmTool(), log);
}
