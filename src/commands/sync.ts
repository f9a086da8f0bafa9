// `sync`: one pass of gather -> decide -> act over every selected namespace, then exit.
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
import { renderPlan } from "./render.ts";
import { tokenSourceFor } from "./token-source.ts";

export interface CommandIO {
  readonly log: Logger;
  readonly out: NodeJS.WritableStream;
  readonly progress: ((done: number, total: number) => void) | undefined;
}

async function fetchToken(source: TokenSource, log: Logger): Promise<RegistryToken | undefined> {
  try {
    const token = await source.fetchToken();
    const remaining = formatDuration(token.expiresAt.getTime() - Date.now());
    log.info(
      { registries: source.registries, expiresAt: token.expiresAt.toISOString() },
      `token obtained for ${source.registries.join(", ")}, expires in ${remaining}`,
    );
    return token;
  } catch (error) {
    if (error instanceof TokenUnavailableError) {
      log.error({ reason: error.reason }, `${error.message}; no secret was changed`);
      return undefined;
    }
    throw error;
  }
}

export async function sync(config: Config, io: CommandIO): Promise<ExitCode> {
  const { log } = io;
  const kc = loadKubeConfig(config.kube);
  const core = coreApi(kc);
  const tokenSource = tokenSourceFor(config);
  const desired = desiredStateFrom(config, tokenSource.registries);

  let snapshot: ClusterSnapshot;
  try {
    snapshot = await gatherCluster(core, config.secretName, config.serviceAccounts);
  } catch (error) {
    const { kind, line } = cannotReadCluster(serverUrl(kc), error);
    log.error({ reason: kind }, line);
    return ExitCode.attention;
  }

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
    token = await fetchToken(tokenSource, log);
    if (!token) return ExitCode.noToken;
  }

  const ctx = { core, desired, token, now: () => new Date() };
  let done = 0;
  const outcomes = await mapWithConcurrency(plans, config.concurrency, async (plan) => {
    const outcome = await applyNamespacePlan(ctx, plan);
    for (const entry of describeOutcome(outcome)) log[entry.level](entry.fields, entry.message);
    io.progress?.(++done, plans.length);
    return outcome;
  });

  const kinds = outcomes.map(resultKind);
  const patched = outcomes.reduce((sum, o) => sum + o.patchedServiceAccounts.length, 0);
  const code = exitCodeFor(kinds);
  const line = `sync done: ${summaryLine(kinds, { patchedServiceAccounts: patched, tokenFetched: token !== undefined })}`;
  if (code === ExitCode.ok) log.info({ exitCode: code }, line);
  else log.warn({ exitCode: code }, line);
  return code;
}
