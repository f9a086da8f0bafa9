// Flag definitions: one table of every flag, the commands it means something to, its
// environment variable and its default. A command offers (and accepts) only its own flags, and
// --help names each flag's variable and default; a flag without a default says nothing.
import { Option } from "commander";

export const commandNames = ["sync", "run", "status", "doctor"] as const;
export type CommandName = (typeof commandNames)[number];

export type Env = Readonly<Record<string, string | undefined>>;

interface Flag {
  /** commander's flag syntax: "-n, --namespaces <list>", "--force". */
  readonly flags: string;
  readonly description: string;
  /** The environment variable that sets it, if any. */
  readonly env?: string;
  /** The default when neither the flag nor the variable is given. */
  readonly fallback?: string;
  readonly commands: readonly CommandName[];
  /** Said when the flag is given to a command it is not for. */
  readonly elsewhere?: string;
}

const every = commandNames;
const oneShot = ["sync", "status", "doctor"] as const;

const flags: readonly Flag[] = [
  { flags: "--kubeconfig <path>", description: "kubeconfig file; in a pod the service account is used", env: "KUBECONFIG", commands: every },
  { flags: "--context <name>", description: "kubeconfig context to use", env: "KUBE_CONTEXT", commands: every },
  { flags: "-n, --namespaces <list>", description: "namespaces or globs (team-*), comma or space separated", env: "TARGET_NAMESPACES", commands: every },
  { flags: "-A, --all-namespaces", description: "select every namespace", env: "ALL_NAMESPACES", commands: every },
  { flags: "--exclude <globs>", description: "namespaces or globs to leave out", env: "EXCLUDE_NAMESPACES", commands: every },
  {
    flags: "-l, --namespace-selector <selector>",
    description: "label selector namespaces must match (alone: all matching)",
    env: "NAMESPACE_SELECTOR",
    commands: every,
  },
  { flags: "--secret-name <name>", description: "name of the pull secret", env: "SECRET_NAME", fallback: "ecr-public-token", commands: every },
  { flags: "--service-accounts <list>", description: "service accounts to add the secret to, or * for all", env: "SERVICE_ACCOUNTS", commands: every },
  {
    flags: "--ecr-registries <hosts>",
    description:
      "private ECR registries to add, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com or its dual-stack name 123456789012.dkr-ecr.eu-west-1.on.aws",
    env: "ECR_REGISTRIES",
    commands: every,
  },
  // Every command, like --ecr-registries: status and doctor compare the secret with the hosts
  // sync and run write, so one ConfigMap keeps them agreeing.
  {
    flags: "--ecr-public-dual-stack",
    description: "also write the ECR Public token for ecr-public.aws.com, its dual-stack (IPv6) name",
    env: "ECR_PUBLIC_DUAL_STACK",
    commands: every,
  },
  {
    flags: "--refresh-before <duration>",
    description: "refresh a secret whose token expires within this time",
    env: "REFRESH_BEFORE",
    fallback: "6h",
    commands: ["sync", "run", "status"],
  },
  {
    flags: "--force",
    description: "rewrite every secret even if its token is fresh",
    env: "FORCE",
    commands: ["sync"],
    elsewhere: "run writes whatever differs from the token it holds",
  },
  { flags: "--adopt", description: "take over a secret of the same name that another tool made", env: "ADOPT", commands: ["sync", "run"] },
  { flags: "--dry-run", description: "print the plan and write nothing", env: "DRY_RUN", commands: ["sync"], elsewhere: "use sync --dry-run to see the plan" },
  { flags: "--concurrency <n>", description: "parallel writes", env: "CONCURRENCY", fallback: "16", commands: ["sync", "run"] },
  { flags: "-o, --output <format>", description: "table, wide, json or yaml", fallback: "table", commands: ["status"] },
  { flags: "-o, --output <format>", description: "table, json or yaml", fallback: "table", commands: ["doctor"] },
  {
    flags: "--timeout <duration>",
    description: "give up, with one line, if the whole command has not finished within this",
    env: "TIMEOUT",
    fallback: "2m",
    commands: oneShot,
  },
  { flags: "--log-level <level>", description: "debug, info, warn or error", env: "LOG_LEVEL", fallback: "info", commands: every },
  {
    flags: "--log-format <format>",
    description: "auto (text on a terminal, JSON otherwise), json or text",
    env: "LOG_FORMAT",
    fallback: "auto",
    commands: every,
  },
  // `run` only: probes, metrics, leader election, refresh timing, fail-safe.
  {
    flags: "--health-probe-bind-address <addr>",
    description: "where /healthz and /readyz are served",
    env: "HEALTH_PROBE_BIND_ADDRESS",
    fallback: ":8081",
    commands: ["run"],
  },
  {
    flags: "--metrics-bind-address <addr>",
    description: "where /metrics is served; 0 turns it off",
    env: "METRICS_BIND_ADDRESS",
    fallback: ":8080",
    commands: ["run"],
  },
  { flags: "--leader-elect", description: "run several replicas; only the Lease holder writes", env: "LEADER_ELECT", commands: ["run"] },
  { flags: "--leader-election-namespace <ns>", description: "namespace of the Lease (default: this pod's)", env: "POD_NAMESPACE", commands: ["run"] },
  { flags: "--leader-election-id <name>", description: "name of the Lease", env: "LEADER_ELECTION_ID", fallback: "ecr-public-creds-helper", commands: ["run"] },
  {
    flags: "--lease-duration <duration>",
    description: "how long a standby waits before taking over",
    env: "LEASE_DURATION",
    fallback: "15s",
    commands: ["run"],
  },
  {
    flags: "--renew-deadline <duration>",
    description: "how long the leader retries renewing before it steps down",
    env: "RENEW_DEADLINE",
    fallback: "10s",
    commands: ["run"],
  },
  { flags: "--retry-period <duration>", description: "how often leader election acts", env: "RETRY_PERIOD", fallback: "2s", commands: ["run"] },
  {
    flags: "--resync-period <duration>",
    description: "full re-check of every namespace, as a safety net",
    env: "RESYNC_PERIOD",
    fallback: "10m",
    commands: ["run"],
  },
  {
    flags: "--refresh-at <percent>",
    description: "refresh the token when this share of its life has passed",
    env: "REFRESH_AT",
    fallback: "50",
    commands: ["run"],
  },
  { flags: "--no-fail-safe", description: "keep an expiring token instead of falling back to anonymous pulls", env: "FAIL_SAFE", commands: ["run"] },
  {
    flags: "--fail-safe-margin <duration>",
    description: "empty the secrets when the token expires within this and none can be had",
    env: "FAIL_SAFE_MARGIN",
    fallback: "15m",
    commands: ["run"],
  },
  { flags: "--prune", description: "remove our secret and service-account entry from namespaces no longer selected", env: "PRUNE", commands: ["run"] },
  // IAM Roles Anywhere as the AWS identity: for the commands that ask AWS (status never does).
  ...rolesAnywhereFlags(),
];

function rolesAnywhereFlags(): Flag[] {
  const commands = ["sync", "run", "doctor"] as const;
  const elsewhere = "status never asks AWS";
  const flag = (flags: string, description: string, env: string, fallback?: string): Flag =>
    fallback === undefined ? { flags, description, env, commands, elsewhere } : { flags, description, env, fallback, commands, elsewhere };
  return [
    flag(
      "--roles-anywhere-certificate <path>",
      "IAM Roles Anywhere: PEM certificate (then its intermediates), read at every refresh",
      "ROLES_ANYWHERE_CERTIFICATE",
    ),
    flag("--roles-anywhere-private-key <path>", "IAM Roles Anywhere: PEM private key of the certificate (RSA or EC)", "ROLES_ANYWHERE_PRIVATE_KEY"),
    flag("--roles-anywhere-trust-anchor-arn <arn>", "IAM Roles Anywhere: trust anchor ARN (its region is used)", "ROLES_ANYWHERE_TRUST_ANCHOR_ARN"),
    flag("--roles-anywhere-profile-arn <arn>", "IAM Roles Anywhere: profile ARN", "ROLES_ANYWHERE_PROFILE_ARN"),
    flag("--roles-anywhere-role-arn <arn>", "IAM Roles Anywhere: role to assume", "ROLES_ANYWHERE_ROLE_ARN"),
    flag(
      "--roles-anywhere-session-duration <duration>",
      "IAM Roles Anywhere: life of the session credentials, 15m to 12h",
      "ROLES_ANYWHERE_SESSION_DURATION",
      "1h",
    ),
  ];
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value.trim());
}

function toOption(flag: Flag, env: Env): Option {
  const option = new Option(flag.flags, flag.env ? `${flag.description} (env ${flag.env})` : flag.description);
  // An empty variable counts as unset (as kubectl treats KUBECONFIG=""), except
  // TARGET_NAMESPACES, whose emptiness is a mistake worth saying.
  const raw = flag.env === undefined ? undefined : env[flag.env];
  const fromEnv = raw === "" && flag.env !== "TARGET_NAMESPACES" ? undefined : raw;
  if (fromEnv !== undefined) option.default(flag.flags.includes("<") ? fromEnv : envFlag(fromEnv));
  else if (flag.fallback !== undefined) option.default(flag.fallback);
  return option;
}

/** The flags of `command`, with defaults from `env`. */
export function optionsOf(command: CommandName, env: Env): Option[] {
  return flags.filter((flag) => flag.commands.includes(command)).map((flag) => toOption(flag, env));
}

/**
 * For a flag given to a command it is not for ("--force" to run), the line that says where it
 * belongs; undefined for a flag no command has.
 */
export function misplacedFlag(command: CommandName, given: string): string | undefined {
  const long = (flag: Flag): string | undefined => /--[a-z-]+/.exec(flag.flags)?.[0];
  const owner = flags.find((flag) => long(flag) === given && !flag.commands.includes(command));
  if (!owner || flags.some((flag) => long(flag) === given && flag.commands.includes(command))) return undefined;
  const only = `${given} applies to ${owner.commands.join(", ")} only`;
  return owner.elsewhere ? `${only}: ${owner.elsewhere}` : `${only}, not to ${command}`;
}

/**
 * Every flag's default by its option name (camelCase), whatever the command: the value a
 * setting has for a command that does not offer its flag (status plans with the default
 * --concurrency it never uses), so one table holds each default once.
 */
export function fallbacks(): Record<string, string> {
  return Object.fromEntries(flags.flatMap((flag) => (flag.fallback === undefined ? [] : [[new Option(flag.flags).attributeName(), flag.fallback]])));
}
