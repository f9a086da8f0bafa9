// client-node's ListWatch keeps a cache and re-watches by itself after a 410 or a timeout, but
// stops for good on any other error (the API server restarting, a network cut, missing RBAC, a
// failing exec plugin). This wrapper restarts it with capped, jittered backoff on the injected
// clock, so the controller heals without a pod restart, and says so in a few lines, not one per
// attempt: one WARN when a failure streak starts, a reminder every few minutes, one INFO when
// it is over.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { formatDuration } from "../domain/duration.ts";
import { registryHosts } from "../domain/dockerconfig.ts";
import { kubeErrorMessage } from "../kube/errors.ts";
import type { Logger } from "../observability/logger.ts";
import { backoffDelay } from "../util/backoff.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { FailureStreak, StreakNews } from "../util/failure-streak.ts";

export interface Handlers<T> {
  readonly onChange: (obj: T) => void;
  readonly onDelete: (obj: T) => void;
}

export const informerRestarts = {
  backoff: { baseMs: 1_000, capMs: 60_000 },
  /**
   * A failure streak ends only once a watch has stayed connected this long. Resetting on every
   * connect (as before) or on a successful list would let a server that accepts and then drops
   * the watch, or RBAC that allows list but not watch, retry at full speed forever.
   */
  healthyAfterMs: 30_000,
  remindEveryMs: 5 * 60_000,
} as const;

/**
 * Keeps in the cache only what the decisions read, as client-go's SetTransform does (client-node
 * has no such hook, so the watch and the list are wrapped): no `managedFields`, and of a pull
 * secret's `.dockerconfigjson` only its registry hosts. With thousands of namespaces this is
 * most of the memory, and the token is then not held once per namespace.
 */
function slim<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) obj.metadata.managedFields = undefined;
  const secret = obj as T & { data?: Record<string, string> };
  const config = secret.data?.[".dockerconfigjson"];
  if (secret.data && config !== undefined) {
    const hosts = registryHosts(Buffer.from(config, "base64").toString("utf8"));
    const skeleton = hosts === undefined ? "" : JSON.stringify({ auths: Object.fromEntries(hosts.map((h) => [h, {}])) });
    secret.data = { ...secret.data, ".dockerconfigjson": Buffer.from(skeleton).toString("base64") };
  }
  return obj;
}

interface WatchObserver {
  /** The API server answered 200 and the stream is open. */
  established(): void;
  stopped(): boolean;
}

class SlimWatch extends Watch {
  readonly #observer: WatchObserver;

  constructor(kc: KubeConfig, observer: WatchObserver) {
    super(kc);
    this.#observer = observer;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    // ListWatch opens the watch after its list returns even if it was stopped meanwhile.
    if (this.#observer.stopped()) {
      done(null);
      return new AbortController();
    }
    let ended = false;
    const finish = (err: unknown): void => {
      ended = true;
      done(err);
    };
    try {
      const controller = await super.watch(path, queryParams, (phase, apiObj, watchObj) => callback(phase, slim(apiObj as KubernetesObject), watchObj), finish);
      if (!ended) this.#observer.established();
      return controller;
    } catch (error) {
      // Authentication (an exec plugin exiting non-zero) throws instead of calling done; on
      // ListWatch's own reconnect path that would be an unhandled rejection.
      if (!ended) finish(error);
      return new AbortController();
    }
  }
}

/** One line for a log: the status code and the API server's message, or what failed on the way. */
function describeFailure(error: unknown): string {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  const said = kubeErrorMessage(error);
  // A failed watch carries only the HTTP status (client-node does not read its body).
  return typeof status === "number" && !said.startsWith("HTTP ") ? `HTTP ${status}: ${said}` : said;
}

export class RestartingInformer<T extends KubernetesObject> {
  readonly #listWatch: ListWatch<T>;
  readonly #name: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #streak: FailureStreak;
  #stopped = false;
  #synced = false;
  #lastError: string | undefined;
  #restart: Timer | undefined;
  #healthy: Timer | undefined;
  #reconnectDelay: Timer | undefined;

  constructor(
    kc: KubeConfig,
    name: string,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    handlers: Handlers<T>,
    log: Logger,
    clock: Clock,
    fieldSelector?: string,
  ) {
    this.#name = name;
    this.#log = log;
    this.#clock = clock;
    this.#streak = new FailureStreak(informerRestarts.remindEveryMs, clock);
    const slimList = async (): Promise<KubernetesListObject<T>> => {
      const result = await list();
      result.items.forEach(slim);
      return result;
    };
    const watch = new SlimWatch(kc, { established: () => this.#established(), stopped: () => this.#stopped });
    // ListWatch's own pause between re-watches after a clean close, on our clock. A cancelled
    // delay (stop()) never resolves, so that re-watch is abandoned rather than opened.
    const delayFn = (ms: number): Promise<void> => new Promise((resolve) => (this.#reconnectDelay = clock.schedule(ms, resolve)));
    this.#listWatch = new ListWatch<T>(path, watch, slimList, false, undefined, fieldSelector, { delayFn });
    this.#listWatch.on("add", handlers.onChange);
    this.#listWatch.on("update", handlers.onChange);
    this.#listWatch.on("delete", handlers.onDelete);
    this.#listWatch.on("error", (error: unknown) => this.#failed(error));
  }

  /** True once the first list has filled the cache (and from then on: the cache stays usable while re-watching). */
  get synced(): boolean {
    if (!this.#synced && this.#listWatch.latestResourceVersion() !== "") this.#synced = true;
    return this.#synced;
  }

  /** Why the watch is failing, one line, while a failure streak lasts; undefined when healthy. */
  /** The resource watched, as in log lines: "namespaces", "secrets", "serviceaccounts". */
  get name(): string {
    return this.#name;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Consecutive failed attempts to list or watch; 0 when healthy. */
  get failedAttempts(): number {
    return this.#streak.failures;
  }

  /** Lists and starts watching; a failure is retried in the background, never thrown. */
  async start(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#listWatch.start();
    } catch (error) {
      this.#failed(error);
    }
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.#listWatch.list(namespace);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of [this.#restart, this.#healthy, this.#reconnectDelay]) timer?.cancel();
    await this.#listWatch.stop();
  }

  #failed(error: unknown): void {
    if (this.#stopped) return;
    this.#healthy?.cancel();
    const why = describeFailure(error);
    this.#lastError = why;
    const news = this.#streak.fail();
    const attempts = this.#streak.failures;
    const delayMs = backoffDelay(attempts, informerRestarts.backoff, () => this.#clock.random());
    const fields = { informer: this.#name, attempts, delayMs };
    const next = `next attempt in ${formatDuration(delayMs)}`;
    if (news === StreakNews.started) {
      this.#log.warn(fields, `watch of ${this.#name} failed: ${why}; retrying with backoff, ${next}`);
    } else if (news === StreakNews.reminder) {
      const over = formatDuration(this.#streak.durationMs);
      this.#log.warn(fields, `watch of ${this.#name} still failing after ${attempts} attempts over ${over}: ${why}; ${next}`);
    } else {
      this.#log.debug(fields, `watch of ${this.#name} failed again: ${why}; ${next}`);
    }
    this.#restart?.cancel();
    this.#restart = this.#clock.schedule(delayMs, () => {
      this.#restart = undefined;
      void this.start();
    });
  }

  #established(): void {
    if (this.#stopped || this.#streak.failures === 0) return;
    const at = this.#clock.now();
    this.#healthy?.cancel();
    this.#healthy = this.#clock.schedule(informerRestarts.healthyAfterMs, () => this.#recovered(at));
  }

  #recovered(connectedAt: number): void {
    this.#healthy = undefined;
    this.#lastError = undefined;
    const ended = this.#streak.end(connectedAt);
    if (!ended) return;
    const attempts = ended.failures === 1 ? "1 failed attempt" : `${ended.failures} failed attempts`;
    this.#log.info(
      { informer: this.#name, attempts: ended.failures },
      `watch of ${this.#name} recovered after ${attempts} over ${formatDuration(ended.durationMs)}`,
    );
  }
}
