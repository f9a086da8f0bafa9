// The controller's writer: the same in-place writes as `sync` (kube/apply.ts) and the prune
// steps (kube/prune.ts), against the API server.
import type { CoreV1Api } from "@kubernetes/client-node";
import { applyNamespacePlan } from "../kube/apply.ts";
import { pruneNamespace } from "../kube/prune.ts";
import type { Clock } from "../util/clock.ts";
import type { NamespaceWriter } from "./controller.ts";

export function kubeWriter(core: CoreV1Api, clock: Clock): NamespaceWriter {
  return {
    apply: (plan, desired, token) => applyNamespacePlan({ core, desired, token, clock }, plan),
    prune: (namespace, work) => pruneNamespace(core, namespace, work, clock),
  };
}
