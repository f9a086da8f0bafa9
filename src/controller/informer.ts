// client-node's ListWatch keeps a cache and re-watches by itself after a 410 or a timeout, but
// stops for good on any other error (the API server restarting, a network cut). This wrapper
// restarts it with capped backoff, so the controller heals without a pod restart.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { backoffDelay } from "../domain/backoff.ts";
import type { Logger } from "../observability/logger.ts";

export interface Handlers<T> {
  readonly onChange: (obj: T) => void;
  readonly onDelete: (obj: T) => void;
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
    this.#listWatch = new ListWatch<T>(path, new Watch(kc), list, false, undefined, fieldSelector);
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
