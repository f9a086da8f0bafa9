// Kubernetes connection: an explicit --kubeconfig/--context, else client-node's default
// (KUBECONFIG, ~/.kube/config, or the in-cluster service account).
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../config.ts";

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

export function loadKubeConfig(kube: Config["kube"]): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kube.kubeconfig) kc.loadFromFile(kube.kubeconfig);
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

export function coreApi(kc: KubeConfig): CoreV1Api {
  return kc.makeApiClient(CoreV1Api);
}
