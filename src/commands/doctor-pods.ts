// `doctor`'s look at the pods: gather (pods stuck pulling, then only where one is stuck: the
// Events about them, our secret, their service accounts), decide (pull-diagnosis.ts), and say
// which permission doctor lacks, in one line each, when a read is forbidden.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../config.ts";
import { podsSummary, type DoctorCheck } from "../domain/doctor-report.ts";
import { diagnosePulls, namedBySelection, type PullDiagnosis, type StuckPod } from "../domain/pull-diagnosis.ts";
import { ecrRegistryKind, imageRegistry } from "../domain/pull-failure.ts";
import { ecrPublicDualStackServer } from "../domain/registries.ts";
import { isGlob } from "../domain/namespaces.ts";
import type { NamespaceInfo } from "../domain/types.ts";
import { coreApi } from "../kube/client.ts";
import { kubeErrorMessage } from "../kube/errors.ts";
import { listPullEvents, listStuckPods, readSecretSummaries, readServiceAccountSecrets, type PodScope } from "../kube/pods.ts";
import { systemClock } from "../util/clock.ts";

/** The namespaces --namespaces or --all-namespaces names; without a namespace list, the plain names given. */
export function podScope(config: Config, namespaces: readonly NamespaceInfo[] | undefined): PodScope {
  if (config.selection.all) return { all: true };
  const names = namespaces
    ? namespaces.map((ns) => ns.name).filter((name) => namedBySelection(name, config.selection))
    : config.selection.include.filter((p) => !isGlob(p));
  return { all: false, namespaces: names.sort() };
}

function listed(names: readonly string[]): string {
  if (names.includes("*")) return "(all namespaces)";
  return `in ${names.slice(0, 5).join(", ")}${names.length > 5 ? `, … (${names.length})` : ""}`;
}

/** "pods: doctor may not list pods in a, b — …": what is missing, where, and what it costs. */
function lacking(permission: string, names: readonly string[], cost: string): DoctorCheck {
  return { area: "pods", ok: false, message: `pods: doctor may not ${permission} ${listed(names)} — ${cost}; grant it to the identity running doctor` };
}

/** The hosts the secret holds beside public.ecr.aws: the private registries, and ECR Public's dual-stack name if asked. */
function writtenBesidePublic(config: Config): string[] {
  return [...config.ecrRegistries.map((r) => r.host), ...(config.ecrPublicDualStack ? [ecrPublicDualStackServer] : [])];
}

const onEcr =
  (config: Config) =>
  (pod: StuckPod): boolean =>
    pod.containers.some((c) => ecrRegistryKind(imageRegistry(c.image), writtenBesidePublic(config)) !== undefined);

export async function lookAtPods(
  config: Config,
  kc: KubeConfig,
  namespaces: readonly NamespaceInfo[] | undefined,
  report: (check: DoctorCheck) => void,
): Promise<PullDiagnosis[]> {
  const core = coreApi(kc);
  const scope = podScope(config, namespaces);
  try {
    const pods = await listStuckPods(core, scope);
    const seen = scope.all ? (pods.forbidden.length > 0 ? 0 : undefined) : scope.namespaces.length - pods.forbidden.length;
    const where = seen === undefined ? "in any namespace" : `in ${seen === 1 ? "1 namespace" : `${seen} namespaces`}`;
    if (pods.forbidden.length > 0) report(lacking("list pods", pods.forbidden, "it cannot see which pods are stuck pulling"));
    const stuck = pods.items.filter(onEcr(config));
    const stuckNamespaces = [...new Set(stuck.map((pod) => pod.namespace))].sort();
    const saKeys = [...new Set(stuck.map((pod) => `${pod.namespace}/${pod.serviceAccount}`))].sort();
    const [events, secrets, serviceAccounts] = await Promise.all([
      listPullEvents(core, { all: false, namespaces: stuckNamespaces }),
      readSecretSummaries(core, stuckNamespaces, config.secretName),
      readServiceAccountSecrets(core, saKeys),
    ]);
    if (events.forbidden.length > 0) report(lacking("list events", events.forbidden, "it reads why a pull failed from the pod status alone"));
    const noSecret = [...secrets].filter(([, read]) => read === "unreadable").map(([ns]) => ns);
    if (noSecret.length > 0) report(lacking(`get secrets/${config.secretName}`, noSecret, "it cannot tell whether the token there is fresh"));
    const noSa = [...serviceAccounts].filter(([, read]) => read === "unreadable").map(([key]) => key.split("/")[0] ?? "");
    if (noSa.length > 0) report(lacking("get serviceaccounts", [...new Set(noSa)], "it cannot tell whether they name the secret"));
    const diagnoses = diagnosePulls(stuck, events.items, {
      namespaces: namespaces ? new Map(namespaces.map((ns) => [ns.name, ns])) : undefined,
      selection: config.selection,
      secretName: config.secretName,
      ecrRegistries: writtenBesidePublic(config),
      patchedServiceAccounts: config.serviceAccounts,
      secrets,
      serviceAccounts,
      now: systemClock.now(),
    });
    // Where the pod list was forbidden everywhere, "none stuck" would claim what doctor did not see.
    if (diagnoses.length > 0 || seen !== 0) report(podsSummary(diagnoses, where));
    return diagnoses;
  } catch (error) {
    report({ area: "pods", ok: false, message: `pods: cannot look at the pods: ${kubeErrorMessage(error)}` });
    return [];
  }
}
