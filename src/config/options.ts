// Flag definitions: each flag names its environment variable and default in --help.
import { Option } from "commander";

export type Env = Readonly<Record<string, string | undefined>>;

function envFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value.trim());
}

/** A flag whose default comes from `envName` when set, else `fallback`. */
function makeOption(env: Env, flags: string, description: string, envName: string, fallback?: string): Option {
  const option = new Option(flags, `${description} (env ${envName})`);
  // An empty variable counts as unset (as kubectl treats KUBECONFIG=""), except
  // TARGET_NAMESPACES, whose emptiness is a mistake worth saying.
  const raw = env[envName];
  const fromEnv = raw === "" && envName !== "TARGET_NAMESPACES" ? undefined : raw;
  if (fromEnv !== undefined) option.default(flags.includes("<") ? fromEnv : envFlag(fromEnv));
  else if (fallback !== undefined) option.default(fallback);
  return option;
}

type MakeOption = (flags: string, description: string, envName: string, fallback?: string) => Option;

function optionMaker(env: Env): MakeOption {
  return (flags, description, envName, fallback) => makeOption(env, flags, description, envName, fallback);
}

/** Every flag with its environment variable and default, shared by the commands. */
export function commonOptions(env: Env): Option[] {
  const opt = optionMaker(env);
  return [
    opt("--kubeconfig <path>", "kubeconfig file; in a pod the service account is used", "KUBECONFIG"),
    opt("--context <name>", "kubeconfig context to use", "KUBE_CONTEXT"),
    opt("-n, --namespaces <list>", "namespaces or globs (team-*), comma or space separated", "TARGET_NAMESPACES"),
    opt("-A, --all-namespaces", "select every namespace", "ALL_NAMESPACES"),
    opt("--exclude <globs>", "namespaces or globs to leave out", "EXCLUDE_NAMESPACES", ""),
    opt("-l, --namespace-selector <selector>", "label selector namespaces must match (alone: all matching)", "NAMESPACE_SELECTOR", ""),
    opt("--secret-name <name>", "name of the pull secret", "SECRET_NAME", "ecr-public-token"),
    opt("--service-accounts <list>", "service accounts to add the secret to, or * for all", "SERVICE_ACCOUNTS", ""),
    opt("--ecr-registries <hosts>", "private ECR registries to add, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com", "ECR_REGISTRIES", ""),
    opt("--refresh-before <duration>", "refresh a secret whose token expires within this time", "REFRESH_BEFORE", "6h"),
    opt("--force", "rewrite every secret even if its token is fresh", "FORCE"),
    opt("--adopt", "take over a secret of the same name that another tool made", "ADOPT"),
    opt("--dry-run", "print the plan and write nothing", "DRY_RUN"),
    opt("--concurrency <n>", "parallel writes", "CONCURRENCY", "16"),
    opt("--log-level <level>", "debug, info, warn or error", "LOG_LEVEL", "info"),
    opt("--log-format <format>", "auto (text on a terminal, JSON otherwise), json or text", "LOG_FORMAT", "auto"),
  ];
}

/** Flags of the commands that end on their own: sync, status and doctor. */
export function oneShotOptions(env: Env): Option[] {
  const opt = optionMaker(env);
  return [opt("--timeout <duration>", "give up, with one line, if the whole command has not finished within this", "TIMEOUT", "2m")];
}

/** Flags of `run` only. */
export function controllerOptions(env: Env): Option[] {
  const opt = optionMaker(env);
  return [
    opt("--health-probe-bind-address <addr>", "where /healthz and /readyz are served", "HEALTH_PROBE_BIND_ADDRESS", ":8081"),
    opt("--metrics-bind-address <addr>", "where /metrics is served; 0 turns it off", "METRICS_BIND_ADDRESS", ":8080"),
    opt("--leader-elect", "run several replicas; only the Lease holder writes", "LEADER_ELECT"),
    opt("--leader-election-namespace <ns>", "namespace of the Lease (default: this pod's)", "POD_NAMESPACE"),
    opt("--leader-election-id <name>", "name of the Lease", "LEADER_ELECTION_ID", "ecr-public-creds-helper"),
    opt("--lease-duration <duration>", "how long a standby waits before taking over", "LEASE_DURATION", "15s"),
    opt("--renew-deadline <duration>", "how long the leader retries renewing before it steps down", "RENEW_DEADLINE", "10s"),
    opt("--retry-period <duration>", "how often leader election acts", "RETRY_PERIOD", "2s"),
    opt("--resync-period <duration>", "full re-check of every namespace, as a safety net", "RESYNC_PERIOD", "10m"),
    opt("--refresh-at <percent>", "refresh the token when this share of its life has passed", "REFRESH_AT", "50"),
    opt("--no-fail-safe", "keep an expiring token instead of falling back to anonymous pulls", "FAIL_SAFE"),
    opt("--fail-safe-margin <duration>", "empty the secrets when the token expires within this and none can be had", "FAIL_SAFE_MARGIN", "15m"),
    opt("--prune", "remove our secret and service-account entry from namespaces no longer selected", "PRUNE"),
  ];
}
