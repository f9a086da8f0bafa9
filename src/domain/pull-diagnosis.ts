// `doctor`'s answer to "why is this pod in ImagePullBackOff from an ECR registry?": for each
// container stuck pulling, what the pod status and its Events say went wrong (pull-failure.ts),
// and, for a failure a pull secret causes or cures, the first thing along the path from the
// namespace's selection to the token in the secret that explains it, with what would fix it.
// Pure: the gathered pods, Events and facts in; one diagnosis per stuck container out.
import { formatDuration } from "./duration.ts";
import { matchesLabels } from "./label-selector.ts";
import { recordedExpiry } from "./managed.ts";
import { isSelected, optOutAnnotation, type NamespaceSelection } from "./namespaces.ts";
import { recordedRegistries } from "./ownership.ts";
import { classifyPullMessage, ecrRegistryKind, imageRegistry, isCredentialFailure, PullFailure, type EcrRegistryKind } from "./pull-failure.ts";
import type { NamespaceInfo } from "./types.ts";

/** A container waiting in ErrImagePull or ImagePullBackOff. */
export interface StuckContainer {
  readonly name: string;
  readonly init: boolean;
  readonly image: string;
  readonly reason: string;
  readonly message: string;
}

export interface StuckPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly serviceAccount: string;
  readonly imagePullSecrets: readonly string[];
  readonly containers: readonly StuckContainer[];
}

/** A kubelet "Failed" Event about a pod: "Failed to pull image \"…\": <the runtime's error>". */
export interface PodEvent {
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string | undefined;
  /** spec.containers{name} or spec.initContainers{name}, when kubelet gave it. */
  readonly fieldPath: string | undefined;
  readonly message: string;
  /** When it last happened (epoch ms), for newest first; 0 when the Event does not say. */
  readonly at: number;
}

/** Our secret in one namespace as far as diagnosis goes: no credential leaves the adapter. */
export interface SecretSummary {
  readonly managed: boolean;
  readonly annotations: Readonly<Record<string, string>>;
  /** Registry hosts in its `.dockerconfigjson`; undefined when it holds none readable. */
  readonly hosts: readonly string[] | undefined;
}

/** What could be read about a namespace's secret or a service account: the object, none, or not allowed. */
export type Read<T> = T | "missing" | "unreadable";

export interface PullFacts {
  /** Every namespace, for the selection; undefined when they could not be listed. */
  readonly namespaces: ReadonlyMap<string, NamespaceInfo> | undefined;
  readonly selection: NamespaceSelection;
  readonly secretName: string;
  /** The hosts written beside public.ecr.aws: --ecr-registries, and ecr-public.aws.com with --ecr-public-dual-stack. */
  readonly ecrRegistries: readonly string[];
  /** --service-accounts: the ones sync patches ("*" for all). */
  readonly patchedServiceAccounts: readonly string[];
  /** By namespace; a namespace not read is not here. */
  readonly secrets: ReadonlyMap<string, Read<SecretSummary>>;
  /** By "namespace/name": the imagePullSecrets names. */
  readonly serviceAccounts: ReadonlyMap<string, Read<readonly string[]>>;
  readonly now: number;
}

export interface PullDiagnosis {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly initContainer: boolean;
  readonly image: string;
  readonly registry: string;
  readonly failure: PullFailure;
  readonly cause: string;
  readonly fix: string;
  /** The message the failure was read from (the runtime's words; no credential is in them). */
  readonly evidence: string;
}

const failureLabel: Record<PullFailure, string> = {
  [PullFailure.throttled]: "throttled (429)",
  [PullFailure.tokenExpired]: "token expired",
  [PullFailure.noCredentials]: "no credentials",
  [PullFailure.denied]: "denied (401/403)",
  [PullFailure.notFound]: "image not found",
  [PullFailure.unreachable]: "registry unreachable",
  [PullFailure.kubeletLimit]: "kubelet pull limit",
  [PullFailure.unknown]: "pull failed",
};

export function diagnosePulls(pods: readonly StuckPod[], events: readonly PodEvent[], facts: PullFacts): PullDiagnosis[] {
  const newestFirst = [...events].sort((a, b) => b.at - a.at);
  const out: PullDiagnosis[] = [];
  for (const pod of pods) {
    for (const container of pod.containers) {
      const registry = imageRegistry(container.image);
      const kind = ecrRegistryKind(registry, facts.ecrRegistries);
      if (!kind) continue;
      const texts = [container.message, ...newestFirst.filter((e) => isAbout(e, pod, container)).map((e) => e.message)].filter((t) => t !== "");
      const evidence = texts.find((t) => classifyPullMessage(t) !== PullFailure.unknown) ?? texts[0] ?? container.reason;
      const failure = classifyPullMessage(evidence);
      const { cause, fix } = isCredentialFailure(failure) ? credentialProblem(failure, pod, registry, kind, facts) : notOurs(failure, registry, pod);
      out.push({
        namespace: pod.namespace,
        pod: pod.name,
        container: container.name,
        initContainer: container.init,
        image: container.image,
        registry,
        failure,
        cause,
        fix,
        evidence,
      });
    }
  }
  return out;
}

/** An Event about this pod (not an earlier one of the same name) and this container. */
function isAbout(event: PodEvent, pod: StuckPod, container: StuckContainer): boolean {
  if (event.namespace !== pod.namespace || event.pod !== pod.name) return false;
  if (event.uid && pod.uid && event.uid !== pod.uid) return false;
  if (event.fieldPath) return event.fieldPath === `spec.${container.init ? "initContainers" : "containers"}{${container.name}}`;
  // kubelet quotes the image as written, or with ":latest" added when it has no tag.
  return event.message.includes(`"${container.image}"`) || event.message.includes(`"${container.image}:latest"`);
}

type Finding = { readonly cause: string; readonly fix: string };

function notOurs(failure: PullFailure, registry: string, pod: StuckPod): Finding {
  const label = failureLabel[failure];
  switch (failure) {
    case PullFailure.notFound:
      return { cause: `${label}: no such repository, tag or digest`, fix: "not a pull-secret problem: check the image name and tag" };
    case PullFailure.unreachable:
      return { cause: `${label}: the node cannot reach ${registry}`, fix: "not a pull-secret problem: check the node's network, DNS and proxy" };
    case PullFailure.kubeletLimit:
      return {
        cause: `${label}: kubelet's own limit (registryPullQPS) was reached`,
        fix: "not a pull-secret problem: raise registryPullQPS in the kubelet configuration",
      };
    default:
      return { cause: `${label}: for a reason not recognised`, fix: `read kubectl describe pod -n ${pod.namespace} ${pod.name}` };
  }
}

const everyLabel = { text: "", requirements: [] };

/**
 * Whether --namespaces (or --all-namespaces) names the namespace, whatever --exclude, the label
 * selector and the opt-out annotation say: doctor looks at the pods there, and tells which of
 * those leaves a namespace out.
 */
export function namedBySelection(name: string, selection: NamespaceSelection): boolean {
  const bare: NamespaceInfo = { name, labels: {}, annotations: {}, terminating: false };
  return isSelected(bare, { include: selection.include, all: selection.all, exclude: [], labelSelector: everyLabel });
}

/** Why a namespace is not selected, in the flag's words, and what would select it; undefined when it is selected. */
export function whyNotSelected(ns: NamespaceInfo, selection: NamespaceSelection): Finding | undefined {
  if (isSelected(ns, selection) && !ns.terminating) return undefined;
  if (ns.terminating) return { cause: "it is being deleted", fix: "nothing to do: the namespace is being deleted" };
  if (ns.annotations[optOutAnnotation] === "true") {
    return { cause: `annotation ${optOutAnnotation}=true`, fix: `remove the annotation ${optOutAnnotation} from ${ns.name}` };
  }
  const only = (part: Partial<NamespaceSelection>): boolean =>
    isSelected({ ...ns, annotations: {} }, { include: [], all: true, exclude: [], labelSelector: everyLabel, ...part });
  if (!namedBySelection(ns.name, selection)) {
    return { cause: "not in --namespaces", fix: `add ${ns.name} to --namespaces (TARGET_NAMESPACES), or use --all-namespaces` };
  }
  const excludedBy = selection.exclude.find((pattern) => !only({ exclude: [pattern] }));
  if (excludedBy !== undefined) return { cause: `--exclude ${excludedBy}`, fix: `take ${ns.name} out of --exclude (EXCLUDE_NAMESPACES)` };
  if (!matchesLabels(selection.labelSelector, ns.labels)) {
    return {
      cause: `its labels do not match --namespace-selector ${selection.labelSelector.text}`,
      fix: `label ${ns.name} to match --namespace-selector (NAMESPACE_SELECTOR), or change the selector`,
    };
  }
  return { cause: "not selected", fix: "check --namespaces, --exclude and --namespace-selector" };
}

export type SecretState = "foreign" | "fail-safe" | "no-entry" | "expired" | "fresh";

/**
 * What our secret holds for `host`. The fail-safe writes a secret we manage whose registries
 * record is empty (no credentials at all, so pulls go anonymous): that is how it is told apart
 * from a secret that merely lacks this host.
 */
export function secretStateFor(secret: SecretSummary, host: string, now: number): SecretState {
  if (!secret.managed) return "foreign";
  const recorded = recordedRegistries(secret.annotations);
  if (recorded !== undefined && recorded.length === 0) return "fail-safe";
  if (!(secret.hosts ?? []).includes(host)) return "no-entry";
  const expiry = recordedExpiry(secret.annotations);
  return expiry !== undefined && expiry <= now ? "expired" : "fresh";
}

function credentialProblem(failure: PullFailure, pod: StuckPod, registry: string, kind: EcrRegistryKind, facts: PullFacts): Finding {
  const label = failureLabel[failure];
  const name = facts.secretName;
  const withoutLogin = kind === "public" || kind === "public-dual-stack-off" ? "anonymous pull" : "no credentials sent";
  if (kind === "public-dual-stack-off") {
    return {
      cause: `${label}: ${withoutLogin}: ${registry} is ECR Public's dual-stack name, and without --ecr-public-dual-stack the secret holds no login for it`,
      fix: "set --ecr-public-dual-stack (ECR_PUBLIC_DUAL_STACK), then run sync",
    };
  }
  if (kind === "private-unconfigured") {
    return {
      cause: `${label}: the registry is not in --ecr-registries, so the secret holds no login for it`,
      fix: `add ${registry} to --ecr-registries (ECR_REGISTRIES), then run sync`,
    };
  }
  const info = facts.namespaces?.get(pod.namespace);
  const notSelected = info ? whyNotSelected(info, facts.selection) : undefined;
  const secret = facts.secrets.get(pod.namespace);
  if (secret === "missing") {
    if (notSelected) {
      return { cause: `${label}: ${withoutLogin}: namespace not selected (${notSelected.cause}), so it has no secret ${name}`, fix: notSelected.fix };
    }
    return {
      cause: `${label}: ${withoutLogin}: no secret ${name} in ${pod.namespace}`,
      fix: "run sync, or check that the controller is running (its logs say why not)",
    };
  }
  if (secret !== undefined && secret !== "unreadable" && !secret.managed) {
    return {
      cause: `${label}: the secret ${name} in ${pod.namespace} is not managed by this helper`,
      fix: "fix it where it comes from, or let this helper take it over with --adopt",
    };
  }
  const unused = notNamed(pod, facts);
  if (unused) return { cause: `${label}: ${withoutLogin}: ${unused.cause}`, fix: unused.fix };
  if (secret === undefined || secret === "unreadable") {
    return { cause: `${label}: the secret ${name} could not be read`, fix: `let doctor get secrets/${name} in ${pod.namespace}, or look at it with kubectl` };
  }
  const state = secretStateFor(secret, registry, facts.now);
  const refresh = notSelected ? `${notSelected.fix}: nothing refreshes the secret while the namespace is not selected (${notSelected.cause})` : undefined;
  switch (state) {
    case "fail-safe":
      return {
        cause: `${label}: the fail-safe emptied the secret (no new token before the last one expired), so pulls go without credentials`,
        fix: "fix the controller's token refresh (its logs name the reason; alert EcrPublicCredsRefreshFailing): the next refresh restores the secret",
      };
    case "no-entry":
      return { cause: `${label}: the secret ${name} holds no login for ${registry}`, fix: refresh ?? "run sync" };
    case "expired": {
      const expiry = recordedExpiry(secret.annotations) ?? facts.now;
      return {
        cause: `${label}: the token in the secret expired ${formatDuration(facts.now - expiry)} ago`,
        fix: refresh ?? "run sync, or check that the controller is running and refreshing (its logs say why not)",
      };
    }
    default:
      return freshTokenProblem(failure, label, kind);
  }
}

/** Neither the pod nor its service account names the secret (as far as could be read). */
function notNamed(pod: StuckPod, facts: PullFacts): Finding | undefined {
  const name = facts.secretName;
  if (pod.imagePullSecrets.includes(name)) return undefined;
  const sa = facts.serviceAccounts.get(`${pod.namespace}/${pod.serviceAccount}`);
  if (sa === undefined || sa === "unreadable") return undefined;
  if (sa !== "missing" && sa.includes(name)) return undefined;
  const patched = facts.patchedServiceAccounts.includes("*") || facts.patchedServiceAccounts.includes(pod.serviceAccount);
  return {
    cause: `neither the pod nor its service account ${pod.serviceAccount} names the secret ${name}`,
    fix: patched
      ? `run sync: it adds ${name} to service account ${pod.serviceAccount}`
      : `add ${pod.serviceAccount} to --service-accounts (SERVICE_ACCOUNTS), or imagePullSecrets: [{name: ${name}}] to the pod`,
  };
}

function freshTokenProblem(failure: PullFailure, label: string, kind: EcrRegistryKind): Finding {
  if (failure === PullFailure.throttled) {
    return {
      cause: `${label}: throttled although the pod pulls with a fresh token`,
      fix: "not a pull-secret problem: the registry's authenticated limit; pull less often or mirror the image",
    };
  }
  return {
    cause: `${label}: the registry refused the fresh token in the secret`,
    fix:
      kind === "public"
        ? "run sync --force; if it persists, check what else the pod sends for public.ecr.aws (another pull secret)"
        : "check that the AWS identity may pull this repository (ecr:BatchGetImage, the repository policy), then run sync --force",
  };
}
