// The image without a container engine: the Dockerfile's stages are replayed in clean
// folders (their COPY and RUN lines, verbatim), and the result must run the CLI from its one
// bundled file with no node_modules beside it, carry the licence of every package bundled,
// and still obtain AWS credentials the way a pod does (a projected service-account token
// exchanged with STS: code the SDK loads only on that path, so a bundle could miss it).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { emulator } from "../support/emulator.ts";
import { imageRuntime } from "../support/image.ts";
import { uniqueName } from "../support/kube.ts";
import { testenvVars, var_ } from "../support/testenv.ts";
import { repoRoot } from "../testenv/paths.ts";
import { argsOf, contextFilter, parseDockerfile, replayStage, stage, type Stage } from "./dockerfile.ts";
import { kubectl, run, runOk } from "./support.ts";

interface Lockfile {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean }>;
}

const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(await readFile(join(repoRoot, "package-lock.json"), "utf8")) as Lockfile;
const stages: Stage[] = parseDockerfile(await readFile(join(repoRoot, "Dockerfile"), "utf8"));
const final = stage(stages, undefined);
const root = await mkdtemp(join(tmpdir(), "image-steps-"));
/** The final image's /app. */
const app = join(root, "app");

/** The image's CLI: the Node running this test (the same release the image pins) with the ENTRYPOINT's flags, in the image's folder. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof run> {
  return run(process.execPath, [...imageRuntime().nodeFlags, join(app, "dist", "cli.js"), ...args], {
    cwd: app,
    env: { ...imageRuntime().env, PATH: process.env["PATH"], ...env },
  });
}

describe("image steps", () => {
  before(async () => {
    // Each stage in a folder standing for its WORKDIR, its COPY and RUN lines as written: the
    // build stage (npm ci, the bundle) for real, then the final stage's COPY lines. Its one
    // RUN line only deletes npm from the base image, so it is skipped.
    const dirs = { build: join(root, "build"), final: app };
    // `node` on PATH is the Node running this test, as the base image's is its pinned Node.
    const path = `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`;
    const sh = async (line: string, cwd: string): Promise<void> =>
      void (await runOk("sh", ["-c", line], { cwd, env: { ...process.env, PATH: path, npm_config_loglevel: "error" } }));
    for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
    await replayStage(stages, "build", repoRoot, dirs, sh);
    await replayStage(stages, undefined, repoRoot, dirs, sh, { runLines: false });
  });

  after(() => rm(root, { recursive: true, force: true }));

  test("every stage starts from the pinned Node image of the Node the tests run on", () => {
    const node = lock.packages["node_modules/node"]?.version;
    assert.ok(node, "the node devDependency is not in package-lock.json");
    assert.equal(process.version, `v${node}`);
    assert.deepEqual(
      stages.map((s) => s.from),
      stages.map(() => `node:${node}-bookworm-slim`),
    );
    assert.deepEqual(
      stages.map((s) => s.name),
      ["build", undefined],
    );
  });

  test("the build stage is `npm ci --ignore-scripts`, then `npm run build`", () => {
    assert.deepEqual(argsOf(stage(stages, "build"), "RUN"), ["npm ci --ignore-scripts", "npm run build"]);
  });

  test("the final image holds the bundle, its licences and package.json, and no node_modules", async () => {
    assert.deepEqual((await readdir(app)).sort(), ["dist", "package.json"]);
    // The entry, the chunks it imports per command (scripts/build.ts), the licences.
    const dist = (await readdir(join(app, "dist"))).sort();
    assert.deepEqual(
      dist.filter((file) => !/^[a-z0-9-]+-[A-Z0-9]{8}\.js$/.test(file)),
      ["cli.js", "third-party-licenses.txt"],
    );
    assert.ok(dist.length > 2, "no chunks: the commands are not split from the entry");
    assert.deepEqual(
      argsOf(final, "RUN").map((line) => line.split(/\s+/)[0]),
      ["rm"],
    );
  });

  test("third-party-licenses.txt names every production dependency, with its licence text", async () => {
    const licences = await readFile(join(app, "dist", "third-party-licenses.txt"), "utf8");
    for (const name of Object.keys(pkg.dependencies)) {
      const version = lock.packages[`node_modules/${name}`]?.version;
      assert.match(licences, new RegExp(`^${name.replace("/", "\\/")}@${version} `, "m"), `${name}@${version} missing`);
    }
    assert.match(licences, /Permission is hereby granted, free of charge/, "no MIT licence text");
    assert.match(licences, /Apache License\s+Version 2\.0/, "no Apache licence text");
    // Only what is bundled: nothing that exists for the tests or the build.
    for (const name of ["typescript", "esbuild", "@aws-sdk/client-sts", "node"]) assert.doesNotMatch(licences, new RegExp(`^${name}@`, "m"), name);
  });

  test("the final image runs the CLI as a numeric non-root user, `sync` by default", () => {
    assert.deepEqual(argsOf(final, "USER"), ["65532:65532"]);
    assert.deepEqual(argsOf(final, "ENTRYPOINT"), ['["node", "--lite-mode", "/app/dist/cli.js"]']);
    assert.deepEqual(argsOf(final, "CMD"), ['["sync"]']);
    assert.deepEqual(argsOf(final, "WORKDIR"), ["/app"]);
    assert.deepEqual(argsOf(final, "COPY").sort(), ["--from=build /src/dist ./dist", "package.json ./"]);
  });

  test(".dockerignore keeps keys and local builds out of the context, and lets in what COPY needs", async () => {
    const inContext = await contextFilter(repoRoot);
    for (const path of [
      ".testenv/env",
      ".testenv/pki/sa.key",
      "node_modules/typescript",
      "dist/cli.js",
      ".git/config",
      "test/packaging/support.ts",
      "src/config.test.ts",
    ]) {
      assert.equal(inContext(path), false, `${path} would be sent to the builder`);
    }
    const copied = argsOf(stage(stages, "build"), "COPY").flatMap((a) => a.split(/\s+/).slice(0, -1));
    for (const path of copied) assert.equal(inContext(path), true, `COPY ${path} but .dockerignore leaves it out`);
  });

  test("node dist/cli.js --version prints package.json's version, and --help works", async () => {
    const version = await cli(["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);
    const help = await cli(["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /sync/);
    assert.match(help.stdout, /run/);
  });

  test("the bundle exchanges a projected service-account token for AWS credentials", async () => {
    const vars = testenvVars();
    const namespace = uniqueName("image");
    for (const args of [
      ["create", "namespace", namespace],
      ["-n", namespace, "create", "serviceaccount", "ecr-public-creds-helper"],
    ]) {
      const made = await kubectl(args);
      assert.equal(made.code, 0, made.stderr);
    }
    const token = await kubectl(["-n", namespace, "create", "token", "ecr-public-creds-helper", "--audience", "sts.amazonaws.com", "--duration", "1h"]);
    assert.equal(token.code, 0, token.stderr);
    const tokenFile = join(app, "web-identity-token");
    await writeFile(tokenFile, token.stdout.trim());
    const roleArn = "arn:aws:iam::111122223333:role/ecr-public-creds-helper";
    // What IRSA's webhook or the oidc-federation overlay gives the pod, and no static keys.
    const result = await cli(["sync", "--log-format", "json"], {
      KUBECONFIG: var_(vars, "KUBECONFIG"),
      TARGET_NAMESPACES: namespace,
      AWS_ROLE_ARN: roleArn,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_REGION: var_(vars, "AWS_REGION"),
      AWS_ENDPOINT_URL_ECR_PUBLIC: var_(vars, "AWS_ENDPOINT_URL_ECR_PUBLIC"),
      AWS_ENDPOINT_URL_STS: var_(vars, "AWS_ENDPOINT_URL_STS"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: join(app, "absent"),
      AWS_SHARED_CREDENTIALS_FILE: join(app, "absent"),
    });
    assert.equal(result.code, 0, result.stderr);
    const calls = (await emulator().issued()).webIdentity.filter((c) => c.webIdentityToken === token.stdout.trim());
    assert.deepEqual(
      calls.map((c) => [c.roleArn, c.accepted]),
      [[roleArn, true]],
    );
    const secret = await kubectl(["-n", namespace, "get", "secret", "ecr-public-token", "-o", "jsonpath={.type}"]);
    assert.equal(secret.stdout, "kubernetes.io/dockerconfigjson", secret.stderr);
  });
});
