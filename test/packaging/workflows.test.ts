// The GitHub Actions workflows and the Dependabot configuration: actionlint (built from the Go
// module proxy, test/actionlint/go.mod) finds nothing in them and does report a broken copy,
// CI runs exactly the README's commands, and the release has what the README promises.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, test } from "node:test";
import { loadYaml } from "@kubernetes/client-node";
import { ensureActionlint } from "../actionlint/actionlint.ts";
import { repoRoot } from "../testenv/paths.ts";
import { run } from "./support.ts";

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly id?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string>>;
}
interface Job {
  readonly permissions?: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Readonly<Record<string, unknown>>;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}

const workflowsDir = join(repoRoot, ".github", "workflows");
const workflowFiles = readdirSync(workflowsDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => join(workflowsDir, name));
const text = (name: string): string => readFileSync(join(workflowsDir, name), "utf8");
const workflow = (name: string): Workflow => loadYaml<Workflow>(text(name));
const steps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps);

/** shellcheck checks the `run:` scripts when the machine has it (Debian's `shellcheck`). */
function shellcheck(): string | undefined {
  return (process.env["PATH"] ?? "")
    .split(delimiter)
    .map((dir) => join(dir, "shellcheck"))
    .find((path) => existsSync(path));
}

async function actionlint(files: readonly string[]): Promise<{ code: number; output: string }> {
  const path = await ensureActionlint();
  const result = await run(path, ["-no-color", `-shellcheck=${shellcheck() ?? ""}`, "-pyflakes=", ...files], { cwd: repoRoot });
  return { code: result.code, output: result.stdout + result.stderr };
}

/** The tools modules under test/: each one's go.sum. */
const toolsGoSums = readdirSync(join(repoRoot, "test"))
  .filter((dir) => existsSync(join(repoRoot, "test", dir, "go.mod")))
  .map((dir) => `test/${dir}/go.sum`)
  .sort();

describe("GitHub Actions workflows", () => {
  test("actionlint finds nothing in .github/workflows", async (t) => {
    if (!shellcheck()) t.diagnostic("shellcheck is not installed: the run: scripts were not checked (apt-get install shellcheck)");
    assert.ok(workflowFiles.length >= 2, "ci.yml and release.yml");
    const { code, output } = await actionlint(workflowFiles);
    assert.equal(code, 0, output);
    assert.equal(output, "");
  });

  test("actionlint reports a broken workflow: a typo in a step's id and a permission level", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ecr-public-creds-helper-workflows-"));
    try {
      const release = text("release.yml").replace("steps.build.outputs.digest", "steps.biuld.outputs.digest");
      const ci = text("ci.yml").replace("contents: read", "contents: raed");
      assert.notEqual(release, text("release.yml"));
      assert.notEqual(ci, text("ci.yml"));
      await writeFile(join(dir, "release.yml"), release);
      await writeFile(join(dir, "ci.yml"), ci);
      const { code, output } = await actionlint([join(dir, "release.yml"), join(dir, "ci.yml")]);
      assert.equal(code, 1, output);
      assert.match(output, /release\.yml:\d+:\d+: property "biuld" is not defined .*\[expression\]/);
      assert.match(output, /ci\.yml:\d+:\d+: .*"raed".*\[permissions\]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("CI runs exactly the README's two commands, npm ci then npm test, on push and pull request", () => {
    const ci = workflow("ci.yml");
    assert.deepEqual(Object.keys(ci.on).sort(), ["pull_request", "push"]);
    assert.deepEqual(
      steps(ci).flatMap((step) => (step.run === undefined ? [] : [step.run.trim()])),
      ["npm ci", "npm test"],
    );
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    assert.match(readme, /^npm ci\b/m);
    assert.match(readme, /^npm test\b/m);
  });

  test("CI caches the built test tools and Go's caches, keyed on every tools module", () => {
    const ci = workflow("ci.yml");
    const setupGo = steps(ci).find((step) => step.uses?.startsWith("actions/setup-go@"));
    const cache = steps(ci).find((step) => step.uses?.startsWith("actions/cache@"));
    assert.deepEqual(String(setupGo?.with?.["cache-dependency-path"]).trim().split("\n").sort(), toolsGoSums);
    assert.equal(cache?.with?.["path"], "~/.cache/ecr-public-creds-helper");
    for (const goSum of toolsGoSums) assert.ok(String(cache?.with?.["key"]).includes(`'${goSum}'`), `cache key hashes ${goSum}`);
  });

  test("every action is pinned to a full commit SHA, with its version in a comment", () => {
    for (const file of workflowFiles) {
      const uses = readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => /^\s*(- )?uses:/.test(line));
      assert.ok(uses.length > 0, file);
      for (const line of uses) assert.match(line, /uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${file}: ${line.trim()}`);
    }
  });

  test("nothing is granted by default; each job asks for what it needs, OIDC only where it signs", () => {
    for (const file of workflowFiles) {
      const wf = loadYaml<Workflow>(readFileSync(file, "utf8"));
      assert.deepEqual(wf.permissions, {}, `${file}: top-level permissions`);
      for (const [name, job] of Object.entries(wf.jobs)) {
        assert.ok(job.permissions, `${file}: job ${name} states its permissions`);
        const signs = job.steps.some((step) => step.run?.includes("cosign sign"));
        assert.equal(job.permissions["id-token"] === "write", signs, `${file}: job ${name}: id-token: write if and only if it signs`);
        const publishes = signs || job.steps.some((step) => step.uses?.startsWith("docker/build-push-action@") || step.run?.includes("helm push"));
        assert.equal(job.permissions["packages"] === "write", publishes, `${file}: job ${name}: packages: write if and only if it publishes`);
      }
    }
  });

  test("a v* tag releases: both architectures with SBOM and provenance, signed by digest, the chart as OCI, a GitHub release", () => {
    const release = workflow("release.yml");
    assert.deepEqual(release.on, { push: { tags: ["v*"] } });
    const all = steps(release);
    const build = all.find((step) => step.uses?.startsWith("docker/build-push-action@"));
    assert.deepEqual(String(build?.with?.["platforms"]).split(",").sort(), ["linux/amd64", "linux/arm64"]);
    assert.equal(build?.with?.["push"], true);
    assert.equal(build?.with?.["sbom"], true);
    assert.equal(build?.with?.["provenance"], "mode=max");
    for (const uses of ["docker/setup-qemu-action@", "docker/setup-buildx-action@", "sigstore/cosign-installer@"]) {
      assert.ok(
        all.some((step) => step.uses?.startsWith(uses)),
        uses,
      );
    }
    const signs = all.filter((step) => step.run?.includes("cosign sign"));
    assert.equal(signs.length, 2, "the image and the chart");
    for (const sign of signs) {
      assert.match(sign.run ?? "", /^cosign sign --yes "\$\{\w+\}(\/[\w-]+)?@\$\{DIGEST\}"$/);
      assert.match(sign.env?.["DIGEST"] ?? "", /^\$\{\{ steps\.\w+\.outputs\.digest \}\}$/);
    }
    assert.ok(all.some((step) => /^helm push .* "oci:\/\/\$\{CHARTS\}"/m.test(step.run ?? "")));
    assert.match(text("release.yml"), /CHARTS: ghcr\.io\/\$\{\{ needs\.version\.outputs\.owner \}\}\/charts$/m);
    assert.ok(all.some((step) => step.run?.startsWith("gh release create ")));
  });

  test("the published chart deploys the published image, and nothing else in its values changes", async () => {
    const step = steps(workflow("release.yml")).find((s) => s.run?.includes("values.yaml"));
    const image = "ghcr.io/some-owner/ecr-public-creds-helper";
    const dir = await mkdtemp(join(tmpdir(), "ecr-public-creds-helper-chart-"));
    try {
      const values = join(dir, "charts", "ecr-public-creds-helper", "values.yaml");
      await cp(join(repoRoot, "charts", "ecr-public-creds-helper", "values.yaml"), values);
      const result = await run("bash", ["-eo", "pipefail", "-c", step?.run ?? "false"], { cwd: dir, env: { PATH: process.env["PATH"], IMAGE: image } });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      type Values = { image: Record<string, unknown> } & Record<string, unknown>;
      const before = loadYaml<Values>(readFileSync(join(repoRoot, "charts", "ecr-public-creds-helper", "values.yaml"), "utf8"));
      const after = loadYaml<Values>(readFileSync(values, "utf8"));
      assert.equal(after.image["repository"], image);
      assert.deepEqual(after, { ...before, image: { ...before.image, repository: image } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the release notes are the version's CHANGELOG section", async () => {
    const notesStep = steps(workflow("release.yml")).find((step) => step.run?.includes("CHANGELOG.md >"));
    // The script up to the awk that writes notes.md; what it appends after needs the jobs' outputs.
    const lines = notesStep?.run?.split("\n") ?? [];
    const script = lines.slice(0, lines.findIndex((line) => line.includes("CHANGELOG.md >")) + 1).join("\n");
    assert.match(script, /^\s*awk /m);
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    const dir = await mkdtemp(join(tmpdir(), "ecr-public-creds-helper-notes-"));
    try {
      const result = await run("bash", ["-eo", "pipefail", "-c", script], {
        cwd: repoRoot,
        env: { PATH: process.env["PATH"], VERSION: version, RUNNER_TEMP: dir },
      });
      assert.equal(result.code, 0, result.stderr);
      const notes = readFileSync(join(dir, "notes.md"), "utf8");
      const changelog = readFileSync(join(repoRoot, "CHANGELOG.md"), "utf8");
      assert.ok(notes.trim().length > 0, "the section is not empty");
      assert.ok(changelog.includes(`## [${version}]`), `CHANGELOG.md has a section for ${version}`);
      assert.ok(changelog.includes(notes.trim()), "the notes are taken from CHANGELOG.md");
      assert.doesNotMatch(notes, /^## /m, "no other version's section");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("Dependabot", () => {
  interface Update {
    readonly "package-ecosystem": string;
    readonly directory?: string;
    readonly directories?: readonly string[];
  }
  const config = loadYaml<{ version: number; updates: readonly Update[] }>(readFileSync(join(repoRoot, ".github", "dependabot.yml"), "utf8"));
  const dirs = (ecosystem: string): string[] =>
    config.updates.filter((u) => u["package-ecosystem"] === ecosystem).flatMap((u) => [...(u.directories ?? []), ...(u.directory ? [u.directory] : [])]);

  test("updates npm, every Go tools module, the Dockerfile's base image and the Actions", () => {
    assert.equal(config.version, 2);
    assert.deepEqual(dirs("npm"), ["/"]);
    assert.deepEqual(
      dirs("gomod").sort(),
      toolsGoSums.map((goSum) => `/${goSum.replace(/\/go\.sum$/, "")}`),
    );
    assert.deepEqual(dirs("docker"), ["/"]);
    assert.ok(existsSync(join(repoRoot, "Dockerfile")));
    assert.deepEqual(dirs("github-actions"), ["/"]);
  });
});
