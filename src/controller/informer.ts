// client-node's ListWatch keeps a cache and re-watches by itself after a 410 or a timeout, but
// stops for good on any other error (the API server restarting, a network cut). This wrapper
// restarts it with capped backoff, so the controller heals without a pod restart.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { backoffDelay } from "../domain/backoff.ts";
import { registryHosts } from "../domain/dockerconfig.ts";
import type { Logger } from "../observability/logger.ts";

export interface Handlers<T> {
  readonly onChange: (obj: T) => void;
  readonly onDelete: (obj: T) => void;
}

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

class SlimWatch extends Watch {
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(path, queryParams, (phase, apiObj, watchObj) => callback(phase, slim(apiObj as KubernetesObject), watchObj), done);
  }
}

export class RestartingInformer<T extends KubernetesObject> {
  readonly #listWatch: ListWatch<T>;
  readonly #name: string;
  readonly #log: Logger;
  #failures = 0;
  #stopped = false;
  #synced = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    kc: KubeConfig,
    name: string,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    handlers: Handlers<T>,
    log: Logger,
    fieldSelector?: string,
  ) {
    this.#name = name;
    this.#log = log;
    const slimList = async (): Promise<KubernetesListObject<T>> => {
      const result = await list();
      result.items.forEach(slim);
      return result;
    };
    this.#listWatch = new ListWatch<T>(path, new SlimWatch(kc), slimList, false, undefined, fieldSelector);
    this.#listWatch.on("add", handlers.onChange);
    this.#listWatch.on("update", handlers.onChange);
    this.#listWatch.on("delete", handlers.onDelete);
    this.#listWatch.on("connect", () => {
      this.#failures = 0;
    });
    this.#listWatch.on("error", (error: unknown) => this.#restartLater(error));
  }

  /** True once the first list has filled the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    await this.#listWatch.start();
    if (this.#listWatch.latestResourceVersion() !== "") this.#synced = true;
  }

  #restartLater(error: unknown): void {
    if (this.#stopped) return;
    this.#failures++;
    const delay = backoffDelay(this.#failures, { baseMs: 250, capMs: 8_000 }, Math.random);
    const reason = error instanceof Error ? error.message : String(error);
    this.#log.warn({ informer: this.#name, delayMs: delay }, `watch of ${this.#name} stopped (${reason}); restarting in ${delay} ms`);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.start().catch((e: unknown) => this.#restartLater(e));
    }, delay);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.#listWatch.list(namespace);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#listWatch.stop();
  }
}
