// Why an image pull failed, read from the words kubelet and the container runtime put in the
// pod status and its Events. Pure: text in, a kind out. The unit test holds real messages from
// containerd, CRI-O and dockershim, each with where it came from.
import { ecrPublicServer } from "./dockerconfig.ts";
import { ecrPublicDualStackServer, parsePrivateRegistry } from "./registries.ts";

export const PullFailure = {
  /** 429 / toomanyrequests / rate exceeded: the registry's pull limit. */
  throttled: "throttled",
  /** The registry says the token it was sent has expired. */
  tokenExpired: "token-expired",
  /** No credentials were sent to a registry that needs them (private ECR). */
  noCredentials: "no-credentials",
  /** 401/403, unauthorized, denied: the credentials sent (or none) were refused. */
  denied: "denied",
  /** The repository, tag or digest does not exist. */
  notFound: "not-found",
  /** The node could not reach the registry at all. */
  unreachable: "unreachable",
  /** kubelet's own pull limit (registryPullQPS), not the registry's. */
  kubeletLimit: "kubelet-limit",
  unknown: "unknown",
} as const;
export type PullFailure = (typeof PullFailure)[keyof typeof PullFailure];

// Checked in this order: a message may say several things ("pull access denied … no basic auth
// credentials"; "denied: Your authorization token has expired"), and the more specific wins.
const patterns: ReadonlyArray<readonly [PullFailure, RegExp]> = [
  [PullFailure.kubeletLimit, /pull QPS exceeded/i],
  [PullFailure.throttled, /\b429\b|too\s*many\s*requests|rate\s+exceeded|rate\s+limit/i],
  [PullFailure.tokenExpired, /authorization token has expired/i],
  [PullFailure.noCredentials, /no basic auth credentials/i],
  [PullFailure.denied, /\b40[13]\b|unauthori[sz]ed|\bdenied\b|forbidden|authentication required|insufficient_scope/i],
  [PullFailure.notFound, /\bnot found\b|manifest unknown|name unknown|code = NotFound/i],
  [PullFailure.unreachable, /dial tcp|i\/o timeout|timed out|no such host|connection refused|network is unreachable/i],
];

/** What one message says went wrong; unknown when it says nothing we recognise ("Back-off pulling image …"). */
export function classifyPullMessage(message: string): PullFailure {
  for (const [kind, pattern] of patterns) if (pattern.test(message)) return kind;
  return PullFailure.unknown;
}

/** The failures a pull secret can cause or cure; the others are not ours to fix. */
export function isCredentialFailure(kind: PullFailure): boolean {
  return kind === PullFailure.throttled || kind === PullFailure.tokenExpired || kind === PullFailure.noCredentials || kind === PullFailure.denied;
}

/**
 * The registry host of an image reference, as the runtime reads it: the first path part when it
 * looks like a host (has a dot or a port, or is localhost), else Docker Hub.
 */
export function imageRegistry(image: string): string {
  const slash = image.indexOf("/");
  if (slash < 0) return "docker.io";
  const first = image.slice(0, slash);
  return /[.:]/.test(first) || first === "localhost" ? first.toLowerCase() : "docker.io";
}

/**
 * Which ECR registry an image is on, if any: ECR Public (under its dual-stack name without
 * --ecr-public-dual-stack, the secret has no login for it), or a private ECR registry
 * (configured or not).
 */
export type EcrRegistryKind = "public" | "public-dual-stack-off" | "private" | "private-unconfigured";

/** `configured`: the hosts written beside public.ecr.aws (--ecr-registries, ecr-public.aws.com with --ecr-public-dual-stack). */
export function ecrRegistryKind(host: string, configured: readonly string[]): EcrRegistryKind | undefined {
  if (host === ecrPublicServer) return "public";
  if (host === ecrPublicDualStackServer) return configured.includes(host) ? "public" : "public-dual-stack-off";
  const registry = parsePrivateRegistry(host);
  if (!registry) return undefined;
  return configured.includes(registry.host) ? "private" : "private-unconfigured";
}
