// Exec credential plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) with a bound.
// client-node 2.0.1 runs the plugin without a timeout: one that hangs (a token service that
// never answers, a prompt nobody will see) holds every request, and the informers' watches,
// forever. It also puts the plugin's whole stderr in the error, and plugins print refresh
// tokens there. This authenticator keeps client-node's behaviour otherwise: the same kubeconfig
// fields, the plugin's env added to ours, the credential cached per user until its
// expirationTimestamp (for good when it has none), a token as a Bearer header, a client
// certificate and key for TLS.
import { spawn, type ChildProcess } from "node:child_process";
import type { KubeConfig, User } from "@kubernetes/client-node";
import { registerSecret, scrub } from "../observability/redact.ts";
import type { Clock } from "../util/clock.ts";

/**
 * A plugin usually asks a cloud's token service and answers in a second or two; the first run
 * may exchange a refresh token and be slower. It runs once per credential lifetime, so a
 * generous bound costs little; it only has to end what would otherwise never end.
 */
export const execPluginTimeoutMs = 60_000;

export class ExecPluginError extends Error {
  override readonly name = "ExecPluginError";
}

interface ExecConfig {
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

interface ExecCredential {
  readonly status: {
    readonly token?: string;
    readonly clientCertificateData?: string;
    readonly clientKeyData?: string;
    readonly expirationTimestamp?: string;
  };
}

/** What client-node's Authenticator receives: the request's TLS options and headers. */
interface RequestOptions {
  cert?: unknown;
  key?: unknown;
  headers?: unknown;
}

interface Authenticator {
  isAuthProvider(user: User): boolean;
  applyAuthentication(user: User, opts: RequestOptions): Promise<void>;
}

/** The kubeconfig's exec block, where client-node looks for it (user.exec wins over the legacy auth-provider). */
function execConfig(user: User): ExecConfig | undefined {
  const exec: unknown = user.exec ?? user.authProvider?.config?.exec;
  return exec && typeof exec === "object" ? (exec as ExecConfig) : undefined;
}

// Plugins print refresh tokens, bearer tokens and JWTs in their errors; the line keeps its words, not its secrets.
const secretAssignment =
  /(["']?[\w-]*(?:token|secret|password|passwd|key|credential|auth)[\w-]*["']?\s*[=:]\s*(?:(?:bearer|basic)\s+)?)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;
const bearer = /\b(bearer\s+)\S+/gi;
const jwt = /\beyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/** The first line of what a plugin said, secrets removed: all of it that may reach a log. */
export function pluginSaid(stderr: string): string {
  const line = stderr.split("\n").find((l) => l.trim() !== "") ?? "";
  const clean = scrub(line.trim().replace(secretAssignment, "$1[REDACTED]").replace(bearer, "$1[REDACTED]").replace(jwt, "[REDACTED]"));
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Ends the plugin and whatever it started (a shell script's children hold its output open). */
function killAll(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** Output beyond this is not a credential we could use, nor a first line worth keeping. */
const maxOutput = 1024 * 1024;

/** Runs the plugin without blocking the process; resolves with its stdout, or rejects in one line. */
function runPlugin(exec: ExecConfig, timeoutMs: number, clock: Clock): Promise<string> {
  const name = `exec credential plugin "${exec.command}"`;
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let done = false;
    const env = exec.env ? { ...process.env, ...Object.fromEntries(exec.env.map((e) => [e.name, e.value])) } : process.env;
    // Its own process group, so that a timeout ends the plugin's children too.
    const child = spawn(exec.command, [...(exec.args ?? [])], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      timer.cancel();
      if (error) reject(error);
      else resolve(stdout);
    };
    const timer = clock.schedule(timeoutMs, () => {
      killAll(child);
      finish(new ExecPluginError(`${name} did not finish within ${formatSeconds(timeoutMs)}`));
    });
    child.stdout.setEncoding("utf8").on("data", (data: string) => {
      if (stdout.length < maxOutput) stdout += data;
    });
    child.stderr.setEncoding("utf8").on("data", (data: string) => {
      if (stderr.length < maxOutput) stderr += data;
    });
    child.on("error", (error: NodeJS.ErrnoException) => finish(new ExecPluginError(`${name} could not run: ${error.code ?? "spawn failed"}`)));
    child.on("close", (code, signal) => {
      if (code === 0) return finish();
      const said = pluginSaid(stderr);
      finish(new ExecPluginError(`${name} failed (${code === null ? `killed by ${signal}` : `exit ${code}`})${said ? `: ${said}` : ""}`));
    });
  });
}

function parseCredential(stdout: string, command: string): ExecCredential {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    // Never the parser's message: it quotes what the plugin printed, which may be a token.
    throw new ExecPluginError(`exec credential plugin "${command}" printed no ExecCredential (not JSON)`);
  }
  const status = (parsed as { status?: unknown } | null)?.status;
  if (!status || typeof status !== "object") throw new ExecPluginError(`exec credential plugin "${command}" printed an ExecCredential without a status`);
  const credential = parsed as ExecCredential;
  if (credential.status.token) registerSecret(credential.status.token);
  return credential;
}

export interface ExecPluginOptions {
  /** How long one run of a plugin may take; default execPluginTimeoutMs. */
  readonly execTimeoutMs?: number | undefined;
  readonly clock: Clock;
}

/** client-node's ExecAuth with a bound on each run, one run at a time per user, and one-line errors. */
export class BoundedExecAuth implements Authenticator {
  readonly #cache = new Map<string, ExecCredential>();
  readonly #running = new Map<string, Promise<ExecCredential>>();
  readonly #timeoutMs: number;
  readonly #clock: Clock;

  constructor(options: ExecPluginOptions) {
    this.#timeoutMs = options.execTimeoutMs ?? execPluginTimeoutMs;
    this.#clock = options.clock;
  }

  isAuthProvider(user: User): boolean {
    if (!user) return false;
    if (user.exec) return true;
    if (!user.authProvider) return false;
    return user.authProvider.name === "exec" || Boolean(user.authProvider.config?.exec);
  }

  async applyAuthentication(user: User, opts: RequestOptions): Promise<void> {
    const { status } = await this.credential(user);
    if (status.clientCertificateData) opts.cert = status.clientCertificateData;
    if (status.clientKeyData) opts.key = status.clientKeyData;
    if (status.token) {
      opts.headers ??= {};
      (opts.headers as Record<string, string>)["Authorization"] = `Bearer ${status.token}`;
    }
  }

  credential(user: User): Promise<ExecCredential> {
    const cached = this.#cache.get(user.name);
    if (cached && !this.#expired(cached)) return Promise.resolve(cached);
    this.#cache.delete(user.name);
    // Sixteen workers starting at once would otherwise start sixteen plugins.
    const running = this.#running.get(user.name);
    if (running) return running;
    const run = this.#run(user).finally(() => this.#running.delete(user.name));
    this.#running.set(user.name, run);
    return run;
  }

  async #run(user: User): Promise<ExecCredential> {
    const exec = execConfig(user);
    if (!exec?.command) throw new ExecPluginError("No command was specified for exec authProvider!");
    const credential = parseCredential(await runPlugin(exec, this.#timeoutMs, this.#clock), exec.command);
    this.#cache.set(user.name, credential);
    return credential;
  }

  #expired(credential: ExecCredential): boolean {
    const expires = credential.status.expirationTimestamp;
    return expires !== undefined && Date.parse(expires) <= this.#clock.now();
  }
}

/**
 * Puts a BoundedExecAuth where client-node keeps its ExecAuth (a private list it consults
 * before any added authenticator, so addAuthenticator cannot override it).
 */
export function boundExecPlugins(kc: KubeConfig, options: ExecPluginOptions): void {
  const list = (kc as unknown as { authenticators?: unknown }).authenticators;
  if (!Array.isArray(list)) throw new Error("@kubernetes/client-node changed: its authenticators cannot be replaced, exec plugins would run unbounded");
  const probe = { name: "probe", exec: { command: "probe" } } as User;
  const index = (list as Authenticator[]).findIndex((a) => a.isAuthProvider(probe));
  const bounded = new BoundedExecAuth(options);
  if (index >= 0) list[index] = bounded;
  else list.unshift(bounded);
}
