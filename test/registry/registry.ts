// A real, local Docker distribution registry with htpasswd auth, so e2e tests
// can prove that a dockerconfigjson written by the product authenticates a pull.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeOciImage } from "./oci-image.ts";

const run = promisify(execFile);

const REGISTRY_BIN = "/usr/bin/docker-registry";
const START_TIMEOUT_MS = 15_000;
const SKOPEO_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
/** Attempts with a fresh port: the free-port probe can race with other processes. */
const START_ATTEMPTS = 3;
const BCRYPT_MAX_BYTES = 72;

export type RunningRegistry = {
  /** "127.0.0.1:PORT" */
  host: string;
  /** `${host}/demo/hello:1`, already pushed. */
  image: string;
  stop(): Promise<void>;
};

export type PullResult = { ok: boolean; stderr: string };

/**
 * Starts docker-registry on a free 127.0.0.1 port with htpasswd auth for one
 * user and pushes a tiny image to `image`. Call `stop()` when done.
 */
export async function startRegistry(options: { username: string; password: string; dir?: string }): Promise<RunningRegistry> {
  // bcrypt only looks at the first 72 bytes, so a longer password (e.g. a real
  // ECR token) would let a truncated or corrupted one pull: a false pass.
  if (Buffer.byteLength(options.password) > BCRYPT_MAX_BYTES) {
    throw new Error(`registry password must be at most ${BCRYPT_MAX_BYTES} bytes (bcrypt ignores the rest)`);
  }
  const work = await mkdtemp(join(options.dir ?? tmpdir(), "registry-"));
  let child: ChildProcess | undefined;
  try {
    const htpasswd = join(work, "htpasswd");
    // Distribution only accepts bcrypt entries; args as an array, never a shell string.
    const { stdout } = await run("htpasswd", ["-Bbn", options.username, options.password]);
    await writeFile(htpasswd, `${stdout.trim()}\n`, { mode: 0o600 });

    let host = "";
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < START_ATTEMPTS && !child; attempt++) {
      host = `127.0.0.1:${await freePort()}`;
      const config = join(work, `config-${attempt}.yml`);
      await writeFile(config, registryConfig(host, join(work, "storage"), htpasswd));
      const started = spawnRegistry(config);
      try {
        await waitUntilReady(host, started);
        child = started.child;
      } catch (error) {
        lastError = error as Error;
        await stopChild(started.child);
        // Only a lost port race is worth another try; anything else would fail again.
        if (!/address already in use/i.test(started.stderrTail())) break;
      }
    }
    if (!child) throw lastError ?? new Error("registry did not start");

    const layout = join(work, "oci");
    const { tag } = await writeOciImage(layout);
    const image = `${host}/demo/hello:1`;
    const policy = await writePolicy(work);
    await skopeo(work, [
      "--policy",
      policy,
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      "--dest-creds",
      `${options.username}:${options.password}`,
      `oci:${layout}:${tag}`,
      `docker://${image}`,
    ]).catch((error: unknown) => {
      throw new Error(`pushing ${image} failed: ${redact(String(error), [options.password])}`);
    });

    let stopped: Promise<void> | undefined;
    const running = child;
    return {
      host,
      image,
      stop: () => (stopped ??= stopChild(running).finally(() => rm(work, { recursive: true, force: true }))),
    };
  } catch (error) {
    if (child) await stopChild(child);
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Pulls `image` (manifest and blobs, not just an inspect) using only the given
 * dockerconfigjson as credentials. `ok` is false if skopeo fails for any reason.
 * Note: skopeo reads only the `auth` field of an entry; `username`/`password`
 * without `auth` count as anonymous here (kubelet would accept them).
 * `proxy`: an HTTP proxy (./name-proxy.ts) through which `image` may name a registry by a
 * real name, e.g. ecr-public.aws.com/demo/hello:1.
 */
export async function pullWithAuthFile(image: string, dockerConfigJson: string, options: { proxy?: string } = {}): Promise<PullResult> {
  const work = await mkdtemp(join(tmpdir(), "registry-pull-"));
  try {
    const authFile = join(work, "auth.json");
    await writeFile(authFile, dockerConfigJson, { mode: 0o600 });
    const policy = await writePolicy(work);
    try {
      await skopeo(
        work,
        ["--policy", policy, "copy", "--quiet", "--src-tls-verify=false", "--src-authfile", authFile, `docker://${image}`, `dir:${join(work, "image")}`],
        options.proxy,
      );
      return { ok: true, stderr: "" };
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      return { ok: false, stderr: redact(stderr, secretsOf(dockerConfigJson)) };
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Renames the `auths` entry `fromHost` to `toHost`; everything else is kept as is. */
export function rewriteAuthHost(dockerConfigJson: string, fromHost: string, toHost: string): string {
  const config = JSON.parse(dockerConfigJson) as { auths?: Record<string, unknown> };
  const auths = config.auths;
  if (!auths || !Object.hasOwn(auths, fromHost)) {
    throw new Error(`dockerconfigjson has no auths entry for ${fromHost}`);
  }
  // Keeps key order; an existing `toHost` entry is replaced, not duplicated.
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(auths)) {
    if (key === fromHost) renamed[toHost] = value;
    else if (key !== toHost) renamed[key] = value;
  }
  return JSON.stringify({ ...config, auths: renamed });
}

function registryConfig(host: string, storage: string, htpasswd: string): string {
  // JSON is valid YAML, and JSON.stringify quotes paths safely.
  return JSON.stringify({
    version: 0.1,
    log: { level: "warn", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: storage } },
    http: { addr: host, secret: "local-test-registry" },
    auth: { htpasswd: { realm: "local-test-registry", path: htpasswd } },
  });
}

type Started = { child: ChildProcess; stderrTail: () => string; exited: Promise<string> };

function spawnRegistry(config: string): Started {
  // Drop REGISTRY_* variables: distribution reads them as config overrides.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("REGISTRY_")));
  const child = spawn(REGISTRY_BIN, ["serve", config], { env, stdio: ["ignore", "ignore", "pipe"] });
  let tail = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
  });
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(`failed to spawn: ${error.message}`));
    child.once("exit", (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  return { child, stderrTail: () => tail, exited };
}

/** Ready means `GET /v2/` answers 401: listening, and auth is really enforced. */
async function waitUntilReady(host: string, started: Started): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitReason: string | undefined;
  void started.exited.then((reason) => (exitReason = reason));
  let last = "no answer yet";
  while (Date.now() < deadline && exitReason === undefined) {
    try {
      const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.status === 401) return;
      last = `GET /v2/ answered ${response.status}, expected 401`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const why = exitReason ?? `not ready after ${START_TIMEOUT_MS} ms (${last})`;
  throw new Error(`docker-registry on ${host} ${why}; stderr tail:\n${started.stderrTail()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: spawn failed and "exit" will never come.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not get a free port");
  return address.port;
}

async function writePolicy(dir: string): Promise<string> {
  const policy = join(dir, "policy.json");
  await writeFile(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  return policy;
}

/**
 * Runs skopeo with a private HOME/XDG dirs and an empty registries.conf, so no
 * ambient credentials (~/.docker/config.json, $REGISTRY_AUTH_FILE, ...) can
 * make a pull succeed that the given auth file alone would not.
 */
async function skopeo(work: string, args: string[], proxy?: string): Promise<void> {
  const registriesConf = join(work, "registries.conf");
  await writeFile(registriesConf, "");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: work,
    XDG_CONFIG_HOME: work,
    XDG_RUNTIME_DIR: work,
    TMPDIR: work,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    ...(proxy ? { HTTP_PROXY: proxy, HTTPS_PROXY: proxy } : {}),
  };
  await run("skopeo", args, { env, timeout: SKOPEO_TIMEOUT_MS, killSignal: "SIGKILL" });
}

/** Secret strings in a dockerconfigjson, so they can be cut out of error text. */
function secretsOf(dockerConfigJson: string): string[] {
  try {
    const auths = (JSON.parse(dockerConfigJson) as { auths?: Record<string, Record<string, unknown>> }).auths ?? {};
    return Object.values(auths).flatMap((entry) =>
      ["password", "auth", "identitytoken"].map((key) => entry?.[key]).filter((v): v is string => typeof v === "string" && v !== ""),
    );
  } catch {
    return [];
  }
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => (secret ? out.replaceAll(secret, "***") : out), text);
}
