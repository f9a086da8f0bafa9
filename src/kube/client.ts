// Kubernetes connection: an explicit --kubeconfig/--context, else client-node's default
// (KUBECONFIG, ~/.kube/config, or the in-cluster service account). Every call is bounded:
// each request but a watch by a deadline (./bounded-fetch.ts), each run of an exec credential
// plugin by another (./exec-plugin.ts).
import {
  CoreV1Api,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
  setHeaderMiddleware,
  type RequestContext,
  type SecurityAuthentication,
} from "@kubernetes/client-node";
import { delimiter } from "node:path";
import { systemClock, type Clock } from "../util/clock.ts";
import { version } from "../version.ts";
import { boundedHttpLibrary, kubeRequestTimeoutMs } from "./bounded-fetch.ts";
import { boundExecPlugins } from "./exec-plugin.ts";

/** Which cluster and identity: a kubeconfig path (or a KUBECONFIG-style path list) and a context. */
export interface KubeTarget {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
}

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

/** A path list, as kubectl takes in KUBECONFIG (a:b), merged; the first file's current context wins. */
function loadFiles(kc: KubeConfig, paths: string): void {
  const [first = "", ...rest] = paths.split(delimiter).filter((path) => path !== "");
  kc.loadFromFile(first);
  for (const path of rest) {
    const more = new KubeConfig();
    more.loadFromFile(path);
    kc.mergeConfig(more, true);
  }
}

/** Bounds on outside calls; tests shorten them and move time with a FakeClock. */
export interface KubeClientOptions {
  /** How long one request (not a watch) may take, headers and body; default kubeRequestTimeoutMs (30 s). */
  readonly requestTimeoutMs?: number | undefined;
  /** How long one run of an exec credential plugin may take; default execPluginTimeoutMs (60 s). */
  readonly execTimeoutMs?: number | undefined;
  /** The clock both deadlines run on; default systemClock. */
  readonly clock?: Clock | undefined;
  /** Asked as each write leaves; when it says no, the write fails with NotLeading unsent (run's leader election). */
  readonly mayWrite?: (() => boolean) | undefined;
}

export function loadKubeConfig(kube: KubeTarget, options: KubeClientOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  boundExecPlugins(kc, { execTimeoutMs: options.execTimeoutMs, clock: options.clock ?? systemClock });
  try {
    if (kube.kubeconfig) loadFiles(kc, kube.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    const where = kube.kubeconfig ?? "the default kubeconfig";
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new KubeConfigError(`cannot read ${where}: ${why}; pass --kubeconfig or set KUBECONFIG`, { cause: error });
  }
  if (kube.context) {
    if (!kc.getContextObject(kube.context)) {
      throw new KubeConfigError(`context "${kube.context}" is not in the kubeconfig; see kubectl config get-contexts`);
    }
    kc.setCurrentContext(kube.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError("no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a pod");
  }
  return kc;
}

export function serverUrl(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? "(unknown server)";
}

/**
 * KubeConfig's own authentication builds a new undici Agent, with a new TLS connection kept
 * alive, for every request (client-node 2.0.1): thousands of writes then cost a TLS handshake
 * each and hundreds of MB. This wrapper lets it apply headers as usual but sends every request
 * through the first dispatcher it made. See docs/adr/0002-shared-kubernetes-connection.md.
 */
class SharedConnectionAuth implements SecurityAuthentication {
  readonly #kc: KubeConfig;
  #dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
  }

  getName(): string {
    return "shared-connection";
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.#kc.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    if (this.#dispatcher === undefined) {
      this.#dispatcher = fresh;
    } else {
      context.setDispatcher(this.#dispatcher);
      void fresh.close();
    }
  }
}

type ApiConstructor<T> = new (config: ReturnType<typeof createConfiguration>) => T;

/** An API client that reuses one connection pool, bounds each request and names us in the User-Agent. */
export function apiClient<T>(kc: KubeConfig, api: ApiConstructor<T>, options: KubeClientOptions = {}): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError("no Kubernetes cluster configured");
  return new api(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: new SharedConnectionAuth(kc) },
      httpApi: boundedHttpLibrary(options.clock ?? systemClock, options.requestTimeoutMs ?? kubeRequestTimeoutMs, options.mayWrite),
      middleware: [setHeaderMiddleware("User-Agent", `ecr-public-creds-helper/${version}`)],
    }),
  );
}

export function coreApi(kc: KubeConfig, options: KubeClientOptions = {}): CoreV1Api {
  return apiClient(kc, CoreV1Api, options);
}
