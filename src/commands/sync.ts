// `sync`: one pass of gather -> decide -> act over every selected namespace, then exit, within
// --timeout (./deadline.ts): past it, one line says how far it got (exit 3 before anything was
// written, else 1 naming what was left undone).
import type { Config } from "../config.ts";
import { ExitCode, exitCodeFor, noNamespaceMatches, plannedKind, summaryLine } from "../domain/outcome.ts";
import { needsToken } from "../domain/plan.ts";
import { describeOutcome, resultKind } from "../domain/report.ts";
import { desiredStateFrom, planSync } from "../domain/sync-plan.ts";
import type { RegistryToken } from "../domain/types.ts";
import { TokenUnavailableError, type TokenSource } from "../aws/token-source.ts";
import { applyNamespacePlan } from "../kube/apply.ts";
import { coreApi, loadKubeConfig, serverUrl } from "../kube/client.ts";
import { gatherCluster } from "../kube/gather.ts";
import type { ClusterSnapshot } from "../domain/types.ts";
import { cannotReadCluster } from "../kube/errors.ts";
import type { Logger } from "../observability/logger.ts";
import { mapWithConcurrency } from "../util/concurrency.ts";
import { formatDuration } from "../domain/duration.ts";
import { Deadline, endSoonIfStuck } from "./deadline.ts";
import { renderPlan } from "./render.ts";
import { tokenSourceFor } from "./token-source.ts";
import { systemClock } from "../util/clock.ts";

export interface CommandIO {
  readonly log: Logger;
  readonly out: NodeJS.WritableStream;
  readonly progress: ((done: number, total: number) => void) | undefined;
}

async function fetchToken(source: TokenSource, log: Logger, deadline: Deadline): Promise<RegistryToken | undefined> {
  try {
    const token = await source.fetchToken(deadline.signal);
    deadline.check();
    const remaining = formatDuration(token.expiresAt.getTime() - systemClock.now());
    log.info(
      { registries: source.registries, expiresAt: token.expiresAt.toISOString() },
      `token obtained for ${source.registries.join(", ")}, expires in ${remaining}`,
    );
    return token;
  } catch (error) {
    // The deadline called the request off: sync says so itself, in its one line.
    deadline.check();
    if (error instanceof TokenUnavailableError) {
      log.error({ reason: error.reason }, `${error.message}; no secret was changed`);
      return undefined;
    }
    throw error;
  }
}

/** How far a sync got, for the line it says when its deadline passes. */
class SyncProgress {
  stage: "reading the cluster" | "getting a token" | "writing" = "reading the cluster";
  readonly pending = new Set<string>();
  done = 0;
}

/** The one line (and exit code) of a sync that ran out of time. */
function timedOut(progress: SyncProgress, deadline: Deadline, log: Logger): ExitCode {
  endSoonIfStuck();
  if (progress.stage !== "writing") {
    const waitingFor = progress.stage === "getting a token" ? "AWS did not answer the token request" : "the Kubernetes API server did not answer";
    log.error({ reason: "timeout", exitCode: ExitCode.noToken }, `sync did not finish ${deadline.within}: ${waitingFor} in time; no secret was changed`);
    return ExitCode.noToken;
  }
  const undone = [...progress.pending].sort();
  const named = `${undone.slice(0, 5).join(", ")}${undone.length > 5 ? ", …" : ""}`;
  log.error(
    { reason: "timeout", exitCode: ExitCode.attention, undone },
    `sync did not finish ${deadline.within}: ${progress.done} of ${progress.done + undone.length} namespaces done, ${undone.length} left undone (${named}); run sync again`,
  );
  return ExitCode.attention;
}

export async function sync(config: Config, io: CommandIO): Promise<ExitCode> {
  const deadline = new Deadline(config.timeoutMs);
  const progress = new SyncProgress();
  try {
    return await deadline.race(syncPass(config, io, deadline, progress));
  } catch (error) {
    if (deadline.passed) return timedOut(progress, deadline, io.log);
    throw error;
  }
}

async function syncPass(config: Config, io: CommandIO, deadline: Deadline, progress: SyncProgress): Promise<ExitCode> {
  const { log } = io;
  const kc = loadKubeConfig(config.kube);
  const core = coreApi(kc);
  const tokenSource = tokenSourceFor(config);
  const desired = desiredStateFrom(config, tokenSource.registries);

  let snapshot: ClusterSnapshot;
  try {
    snapshot = await gatherCluster(core, config.secretName, config.serviceAccounts);
  } catch (error) {
    deadline.check();
    const { kind, line } = cannotReadCluster(serverUrl(kc), error);
    log.error({ reason: kind }, line);
    return ExitCode.attention;
  }

  deadline.check();
  const plans = planSync(config, snapshot, desired, new Date());
  if (plans.length === 0) {
    log.error(noNamespaceMatches);
    return ExitCode.attention;
  }

  if (config.dryRun) {
    io.out.write(renderPlan(plans));
    const kinds = plans.map((p) => plannedKind(p.secret));
    log.info(`dry run, nothing written: ${summaryLine(kinds, { patchedServiceAccounts: 0, tokenFetched: false })}`);
    return exitCodeFor(kinds);
  }

  let token: RegistryToken | undefined;
  if (plans.some(needsToken)) {
    progress.stage = "getting a token";
    token = await fetchToken(tokenSource, log, deadline);
    deadline.check();
    if (!token) return ExitCode.noToken;
  }

  progress.stage = "writing";
  for (const plan of plans) progress.pending.add(plan.namespace);
  const ctx = { core, desired, token, now: () => new Date() };
  const outcomes = await mapWithConcurrency(plans, config.concurrency, async (plan) => {
    // Past the deadline nothing new is started, and what still finishes stays quiet: sync has
    // already said, in one line, what was left undone.
    if (deadline.passed) return undefined;
    const outcome = await applyNamespacePlan(ctx, plan);
    if (deadline.passed) return undefined;
    progress.pending.delete(plan.namespace);
    progress.done++;
    for (const entry of describeOutcome(outcome)) log[entry.level](entry.fields, entry.message);
    io.progress?.(progress.done, plans.length);
    return outcome;
  });

  deadline.check();
  const kinds = outcomes.filter((outcome) => outcome !== undefined).map(resultKind);
  const patched = outcomes.reduce((sum, o) => sum + (o?.patchedServiceAccounts.length ?? 0), 0);
  const code = exitCodeFor(kinds);
  const line = `sync done: ${summaryLine(kinds, { patchedServiceAccounts: patched, tokenFetched: token !== undefined })}`;
  if (code === ExitCode.ok) log.info({ exitCode: code }, line);
  else log.warn({ exitCode: code }, line);
  return code;
}
