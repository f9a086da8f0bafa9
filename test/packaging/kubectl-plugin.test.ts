// The kubectl plugin: installing the package puts `kubectl-ecr_public` on PATH, so kubectl
// runs it for `kubectl ecr-public …`. The package is laid out the way `npm install -g` lays it
// out (the `files` of package.json under lib/node_modules, each `bin` entry a symlink in bin/,
// its target made executable) and driven by the testenv's real kubectl.
import assert from "node:assert/strict";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { adminClients, createNamespaces, uniqueName } from "../support/kube.ts";
import { testenvVars, var_ } from "../support/testenv.ts";
import { repoRoot } from "../testenv/paths.ts";
import { type RunResult, run } from "./support.ts";

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly bin: Readonly<Record<string, string>>;
  readonly files: readonly string[];
}

const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as PackageJson;
const pluginName = "kubectl-ecr_public";

/** A global install of the package under `prefix`; returns the directory of its commands. */
async function installGlobally(prefix: string): Promise<string> {
  const packageDir = join(prefix, "lib", "node_modules", pkg.name);
  const binDir = join(prefix, "bin");
  await mkdir(binDir, { recursive: true });
  for (const entry of ["package.json", ...pkg.files]) await cp(join(repoRoot, entry), join(packageDir, entry), { recursive: true });
  for (const [name, target] of Object.entries(pkg.bin)) {
    await chmod(join(packageDir, target), 0o755);
    await symlink(relative(binDir, join(packageDir, target)), join(binDir, name));
  }
  return binDir;
}

describe("kubectl plugin", () => {
  const vars = testenvVars();
  const kubectlPath = var_(vars, "TESTENV_KUBECTL");
  const namespace = uniqueName("plugin");
  let prefix = "";
  let env: NodeJS.ProcessEnv = {};

  const kubectl = (args: readonly string[]): Promise<RunResult> => run(kubectlPath, args, { env });

  before(async () => {
    prefix = await mkdtemp(join(tmpdir(), "ecr-public-creds-helper-global-"));
    const binDir = await installGlobally(prefix);
    // Only the install's commands, Node 24 (for the `#!/usr/bin/env node` line) and the system:
    // kubectl looks for plugins on PATH, and no other kubectl-* may answer for ours.
    env = { ...vars, HOME: prefix, LOG_FORMAT: "json", PATH: [binDir, dirname(process.execPath), "/usr/bin", "/bin"].join(":") };
    await createNamespaces(adminClients().core, [namespace]);
  });

  after(async () => {
    await rm(prefix, { recursive: true, force: true });
  });

  test("the package installs kubectl-ecr_public, the same program as ecr-public-creds-helper", () => {
    assert.equal(pkg.bin[pluginName], pkg.bin["ecr-public-creds-helper"]);
  });

  test("kubectl plugin list finds it", async () => {
    const result = await kubectl(["plugin", "list"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`/bin/${pluginName}$`, "m"));
  });

  test("kubectl ecr-public --version prints the package's version", async () => {
    const result = await kubectl(["ecr-public", "--version"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), pkg.version);
  });

  test("kubectl ecr-public status and sync work against the cluster, with their exit codes", async () => {
    const missing = await kubectl(["ecr-public", "status", "-n", namespace]);
    assert.equal(missing.code, 1, missing.stdout + missing.stderr);
    assert.match(missing.stdout, new RegExp(`^${namespace}\\s+missing\\b`, "m"));

    const synced = await kubectl(["ecr-public", "sync", "-n", namespace]);
    assert.equal(synced.code, 0, synced.stderr);

    const ok = await kubectl(["ecr-public", "status", "-n", namespace]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`^${namespace}\\s+ok\\b`, "m"));
  });

  test("kubectl passes every argument after the plugin's name through, flags included", async () => {
    const result = await kubectl(["ecr-public", "status", "--no-such-flag"]);
    assert.equal(result.code, 2, "a usage error, from our parser, not kubectl's");
    assert.match(result.stderr, /unknown option '--no-such-flag'/);
  });

  test("help and usage name the command as it was typed", async () => {
    const help = await kubectl(["ecr-public", "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: kubectl ecr-public /m);
    const direct = await run("ecr-public-creds-helper", ["--help"], { env });
    assert.match(direct.stdout, /^Usage: ecr-public-creds-helper /m);
  });
});
