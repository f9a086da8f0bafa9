// actionlint, the linter for GitHub Actions workflows, built from test/actionlint/go.mod (one
// place to bump it) and run by test/packaging/workflows.test.ts.
import { join } from "node:path";
import { ensureGoTool, type GoTool, requiredVersion } from "../support/go-tool.ts";
import { repoRoot } from "../testenv/paths.ts";

const moduleDir = join(repoRoot, "test", "actionlint");
const version = requiredVersion(moduleDir, "github.com/rhysd/actionlint");

export const actionlintTool: GoTool = {
  name: "actionlint",
  moduleDir,
  pkg: "github.com/rhysd/actionlint/cmd/actionlint",
  version,
  // So `actionlint -version` names the release, as an upstream build does.
  ldflags: ["-s", "-w", `-X github.com/rhysd/actionlint.version=${version}`],
};

export function ensureActionlint(): Promise<string> {
  return ensureGoTool(actionlintTool, (line) => void process.stderr.write(`packaging: ${line}\n`));
}
