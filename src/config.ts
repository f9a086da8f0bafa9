// Flags and environment variables -> one validated, frozen Config. The only reader of
// process.env in the product; everything else receives what it needs from here.
import { commandName, programName } from "./program-name.ts";
import { Command, CommanderError } from "commander";
import { z } from "zod";
import { parseDuration } from "./domain/duration.ts";
import { type LabelSelector, LabelSelectorError, parseLabelSelector } from "./domain/label-selector.ts";
import { namespacePatternProblem, type NamespaceSelection } from "./domain/namespaces.ts";
import { ecrPublicServer } from "./domain/dockerconfig.ts";
import { ecrPublicDualStackServer, parsePrivateRegistry, type PrivateRegistry } from "./domain/registries.ts";
import { version } from "./version.ts";
import { commandNames, fallbacks, misplacedFlag, optionsOf, type CommandName, type Env } from "./config/options.ts";
import { ControllerConfigError, controllerSchema, toControllerConfig, type ControllerConfig } from "./config/controller.ts";
import { RolesAnywhereConfigError, rolesAnywhereSchema, toRolesAnywhereSettings } from "./config/roles-anywhere.ts";
import type { RolesAnywhereSettings } from "./domain/roles-anywhere.ts";
import type { AwsEnvironment } from "./domain/aws-identity.ts";

export type { CommandName } from "./config/options.ts";

export interface Config {
  readonly command: CommandName;
  readonly kube: { readonly kubeconfig: string | undefined; readonly context: string | undefined };
  readonly selection: NamespaceSelection;
  readonly secretName: string;
  readonly serviceAccounts: readonly string[];
  readonly ecrRegistries: readonly PrivateRegistry[];
  /** Write the ECR Public token for its dual-stack name ecr-public.aws.com too. */
  readonly ecrPublicDualStack: boolean;
  readonly refreshBeforeMs: number;
  readonly force: boolean;
  readonly adopt: boolean;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly log: { readonly level: LogLevel; readonly format: "json" | "text" };
  /** What status and doctor print on stdout: kubectl's -o. */
  readonly output: OutputFormat;
  /** How long sync, status or doctor may take in all; undefined for `run`, which does not end on its own. */
  readonly timeoutMs: number | undefined;
  /** Settings of `run`; undefined for the other commands. */
  readonly controller: ControllerConfig | undefined;
  /** IAM Roles Anywhere as the AWS identity; undefined: the SDK's default chain. Only for commands that ask AWS. */
  readonly rolesAnywhere: RolesAnywhereSettings | undefined;
  /** Which of the SDK's credential variables are set (names and paths, no secret): doctor names the identity from it. */
  readonly awsEnvironment: AwsEnvironment;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
export type OutputFormat = "table" | "wide" | "json" | "yaml";

/** A problem with the command line or environment: one line, exit code 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** --help / --version: print `output`, exit 0. */
export class EarlyExit extends Error {
  override readonly name = "EarlyExit";
  readonly output: string;
  constructor(output: string) {
    super("early exit");
    this.output = output;
  }
}

// What the API server takes as a Secret's name (an RFC 1123 subdomain): dot-separated labels of
// lowercase letters, digits and '-', each starting and ending with a letter or digit, so "a..b",
// "a.-b" and "-a" fail here, before any AWS call, not in every namespace afterwards.
const secretNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const rawSchema = z.object({
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  namespaces: z.string().optional(),
  allNamespaces: z.boolean(),
  exclude: z.string().default(""),
  namespaceSelector: z.string().default(""),
  secretName: z
    .string()
    .max(253, "must be a valid Kubernetes secret name: at most 253 characters")
    .regex(secretNamePattern, "must be a valid Kubernetes secret name"),
  serviceAccounts: z.string().default(""),
  ecrRegistries: z.string().default(""),
  ecrPublicDualStack: z.boolean().default(false),
  refreshBefore: z.string(),
  force: z.boolean().default(false),
  adopt: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  concurrency: z.coerce.number().int("must be a whole number").min(1).max(256),
  logLevel: z.enum(["debug", "info", "warn", "error"]),
  logFormat: z.enum(["auto", "json", "text"]),
  output: z.enum(["table", "wide", "json", "yaml"], "must be table, wide, json or yaml"),
  timeout: z.string().optional(),
});

/** Longer than any sensible wait, and short of the ~24.8 days past which a Node timer fires at once. */
const maxTimeoutMs = 24 * 3_600_000;

function timeoutFrom(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1_000 || ms > maxTimeoutMs) {
    throw new ConfigError(`--timeout "${text}" must be a duration from 1s to 24h, like 2m or 90s`);
  }
  return ms;
}

/** ECR Public's names, which a user may take for registries --ecr-registries adds. */
const publicNames = [ecrPublicServer, ecrPublicDualStackServer];

function list(text: string | undefined): string[] {
  return (text ?? "").split(/[\s,]+/).filter((item) => item.length > 0);
}

function toConfig(
  command: CommandName,
  raw: z.infer<typeof rawSchema>,
  controller: ControllerConfig | undefined,
  stderrIsTty: boolean,
): Omit<Config, "rolesAnywhere" | "awsEnvironment"> {
  const include = list(raw.namespaces);
  if (raw.namespaces !== undefined && include.length === 0 && !raw.allNamespaces) {
    throw new ConfigError("TARGET_NAMESPACES / --namespaces is empty: list at least one namespace, or use --all-namespaces");
  }
  const exclude = list(raw.exclude);
  for (const pattern of [...include, ...exclude]) {
    const problem = namespacePatternProblem(pattern);
    if (problem) throw new ConfigError(problem);
  }
  let labelSelector: LabelSelector;
  try {
    labelSelector = parseLabelSelector(raw.namespaceSelector);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw new ConfigError(error.message);
    throw error;
  }
  const all = raw.allNamespaces || (include.length === 0 && labelSelector.requirements.length > 0);
  if (!all && include.length === 0) {
    throw new ConfigError("no namespaces selected: set TARGET_NAMESPACES or --namespaces, or use --all-namespaces or --namespace-selector");
  }
  const refreshBeforeMs = parseDuration(raw.refreshBefore);
  if (refreshBeforeMs === undefined || refreshBeforeMs >= 12 * 3_600_000) {
    throw new ConfigError(`--refresh-before "${raw.refreshBefore}" must be a duration below 12h, like 6h or 90m`);
  }
  const serviceAccounts = [...new Set(list(raw.serviceAccounts))];
  const ecrRegistries = list(raw.ecrRegistries).map((host) => {
    const registry = parsePrivateRegistry(host);
    if (!registry && publicNames.includes(host.toLowerCase())) {
      throw new ConfigError(
        `"${host}" is ECR Public, not a private registry: public.ecr.aws is always written; --ecr-public-dual-stack adds ecr-public.aws.com`,
      );
    }
    if (!registry) {
      throw new ConfigError(`"${host}" is not a private ECR registry host (ACCOUNT.dkr.ecr.REGION.amazonaws.com, or dual-stack ACCOUNT.dkr-ecr.REGION.on.aws)`);
    }
    return registry;
  });
  return Object.freeze({
    command,
    kube: { kubeconfig: raw.kubeconfig, context: raw.context },
    selection: { include, all, exclude, labelSelector },
    secretName: raw.secretName,
    serviceAccounts,
    ecrRegistries,
    ecrPublicDualStack: raw.ecrPublicDualStack,
    refreshBeforeMs,
    force: raw.force,
    adopt: raw.adopt,
    dryRun: raw.dryRun,
    concurrency: raw.concurrency,
    log: {
      level: raw.logLevel,
      format: raw.logFormat === "auto" ? (stderrIsTty ? "text" : "json") : raw.logFormat,
    },
    // run never ends on its own: it has no --timeout (only the table's default would be here).
    timeoutMs: command === "run" ? undefined : timeoutFrom(raw.timeout),
    output: raw.output,
    controller,
  });
}

function zodProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  const flag = String(issue?.path[0] ?? "option").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return `--${flag}: ${issue?.message ?? "invalid value"}`;
}

const descriptions: Record<CommandName, string> = {
  sync: "one pass: get a token and write the pull secret into every selected namespace, then exit",
  run: "keep pull secrets fresh as a controller (watches namespaces, refreshes before expiry)",
  status: "show, per selected namespace, whether the secret is there, ours and fresh",
  doctor: "check that this can work here: cluster, RBAC, AWS credentials, token",
};

const commandRequired = `a command is required: ${commandNames.join(", ")} (see --help)`;

/** Parses argv (without node and script) and env into a Config; throws ConfigError or EarlyExit. */
export function parseConfig(args: readonly string[], env: Env, stderrIsTty = false, name = commandName): Config {
  let output = "";
  let chosen: { command: CommandName; options: Record<string, unknown> } | undefined;
  const append = (text: string): void => {
    output += text;
  };
  const capture = { writeOut: append, writeErr: append };
  const program = new Command(name)
    .description("Keeps Kubernetes image pull secrets for Amazon ECR Public (and private ECR) valid.")
    .version(version)
    .exitOverride()
    .configureOutput(capture)
    .showSuggestionAfterError(true);
  for (const name of commandNames) {
    const sub = program.command(name).description(descriptions[name]).exitOverride();
    sub.configureOutput(capture);
    for (const option of optionsOf(name, env)) sub.addOption(option);
    sub.action((options: Record<string, unknown>) => {
      chosen = { command: name, options };
    });
  }
  try {
    program.parse([...args], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) throw new EarlyExit(output);
      // No command: commander shows help and fails with "(outputHelp)"; say what is missing instead.
      if (error.code === "commander.help") throw new ConfigError(commandRequired);
      const misplaced = error.code === "commander.unknownOption" ? misplacedHere(args, error.message) : undefined;
      if (misplaced) throw new ConfigError(misplaced);
      // One line: commander puts "(Did you mean …?)" on a line of its own.
      throw new ConfigError(error.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " "));
    }
    throw error;
  }
  if (!chosen) throw new ConfigError(commandRequired);
  const parsed = rawSchema.safeParse({ ...fallbacks(), allNamespaces: false, ...chosen.options });
  if (!parsed.success) throw new ConfigError(zodProblem(parsed.error));
  let controller: ControllerConfig | undefined;
  if (chosen.command === "run") {
    const parsedController = controllerSchema.safeParse(chosen.options);
    if (!parsedController.success) throw new ConfigError(zodProblem(parsedController.error));
    try {
      controller = toControllerConfig(parsedController.data, env);
    } catch (error) {
      if (error instanceof ControllerConfigError) throw new ConfigError(error.message);
      throw error;
    }
  }
  if (chosen.command === "doctor" && parsed.data.output === "wide") throw new ConfigError("--output: doctor prints table, json or yaml");
  const rolesAnywhere = rolesAnywhereFrom(chosen.command, chosen.options, env);
  return Object.freeze({ ...toConfig(chosen.command, parsed.data, controller, stderrIsTty), rolesAnywhere, awsEnvironment: awsEnvironmentFrom(env) });
}

/** The AWS SDK's credential variables, as facts: whether keys are set, never their values. */
function awsEnvironmentFrom(env: Env): AwsEnvironment {
  const set = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const roleArn = set("AWS_ROLE_ARN");
  const tokenFile = set("AWS_WEB_IDENTITY_TOKEN_FILE");
  const fullUri = set("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const relativeUri = set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  return Object.freeze({
    staticKeys: set("AWS_ACCESS_KEY_ID") !== undefined && set("AWS_SECRET_ACCESS_KEY") !== undefined,
    profile: set("AWS_PROFILE"),
    webIdentity: roleArn && tokenFile ? { roleArn, tokenFile } : undefined,
    // The SDK tries the relative URI (ECS) first.
    containerCredentials: relativeUri ? { uri: relativeUri, relative: true } : fullUri ? { uri: fullUri, relative: false } : undefined,
  });
}

/** The Roles Anywhere settings of a command that asks AWS; status never does, so it has none. */
function rolesAnywhereFrom(command: CommandName, options: Record<string, unknown>, env: Env): RolesAnywhereSettings | undefined {
  if (command === "status") return undefined;
  const parsed = rolesAnywhereSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(zodProblem(parsed.error));
  try {
    return toRolesAnywhereSettings(parsed.data, env);
  } catch (error) {
    if (error instanceof RolesAnywhereConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/** "--force applies to sync only: …" for commander's "unknown option '--force'" to run. */
function misplacedHere(args: readonly string[], message: string): string | undefined {
  const command = args.find((arg): arg is CommandName => (commandNames as readonly string[]).includes(arg));
  const given = /unknown option '(--[^'=]+)/.exec(message)?.[1];
  return command && given ? misplacedFlag(command, given) : undefined;
}

/** The Config of this process. */
export function loadConfig(): Config {
  return parseConfig(process.argv.slice(2), process.env, process.stderr.isTTY === true, programName(process.argv[1]));
}
