// The AWS signing helper for IAM Roles Anywhere (github.com/aws/rolesanywhere-credential-helper),
// built from test/signing-helper/go.mod (one place to bump it) with the machine's Go, from the
// Go module proxy only, once, into the shared cache. Its PKCS#11 support needs cgo.
import { join } from "node:path";
import { ensureGoTool, requiredVersion, type GoTool } from "../support/go-tool.ts";
import { repoRoot } from "../testenv/paths.ts";

const moduleDir = join(repoRoot, "test", "signing-helper");
const modulePath = "github.com/aws/rolesanywhere-credential-helper";

export function signingHelperTool(): GoTool {
  const version = requiredVersion(moduleDir, modulePath);
  return {
    name: "aws_signing_helper",
    moduleDir,
    pkg: modulePath,
    version,
    // So `aws_signing_helper version` names the release, as the upstream Makefile builds it.
    ldflags: ["-s", "-w", `-X ${modulePath}/cmd.Version=${version.replace(/^v/, "")}`],
    cgo: true,
  };
}

/** Path of the built helper; builds it first (about half a minute on 2 cores) when the cache has none. */
export function ensureSigningHelper(log: (line: string) => void): Promise<string> {
  return ensureGoTool(signingHelperTool(), log);
}
