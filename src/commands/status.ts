// `status`: per selected namespace, is the secret there, ours, fresh, may we write it, and are
// the service accounts patched; as a table, a wide table, or the StatusReport document
// (-o json|yaml, docs/status.schema.json). Reads only (lists and access reviews); never asks
// AWS; never prints a token. Ends within --timeout.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../config.ts";
import { ExitCode, noNamespaceMatches } from "../domain/outcome.ts";
import { statusReport } from "../domain/status.ts";
import type { StatusReport } from "../domain/status-document.ts";
import { statusHeader, statusRows, wideHeader } from "../domain/status-table.ts";
import { desiredStateFrom, planSync } from "../domain/sync-plan.ts";
import { writesNeeded, type WriteNeed } from "../domain/write-access.ts";
import { renderTable } from "../util/table.ts";
import { coreApi, loadKubeConfig, serverUrl } from "../kube/client.ts";
import { cannotReadCluster } from "../kube/errors.ts";
import { askWriteAccess, gatherCluster, gatherRefusedWrites } from "../kube/gather.ts";
import { Deadline, endSoonIfStuck } from "./deadline.ts";
import { renderDocument } from "./output.ts";
import type { CommandIO } from "./sync.ts";
import { tokenSourceFor } from "./token-source.ts";

export async function status(config: Config, io: CommandIO): Promise<ExitCode> {
  const deadline = new Deadline(config.timeoutMs);
  try {
    return await deadline.race(statusPass(config, io, deadline));
  } catch (error) {
    if (!deadline.passed) throw error;
    endSoonIfStuck();
    io.log.error(
      { reason: "timeout", exitCode: ExitCode.attention },
      `status did not finish ${deadline.within}: the Kubernetes API server did not answer in time`,
    );
    return ExitCode.attention;
  }
}

/** Gather (three lists, then access reviews for the writes the plans need), decide, report. */
async function gatherReport(config: Config, kc: KubeConfig, deadline: Deadline): Promise<StatusReport> {
  const registries = tokenSourceFor(config).registries;
  const desired = desiredStateFrom(config, registries);
  const snapshot = await gatherCluster(coreApi(kc), config.secretName, config.serviceAccounts);
  deadline.check();
  const now = new Date();
  const plans = planSync(config, snapshot, desired, now);
  const needs = new Map<string, WriteNeed[]>(plans.map((plan) => [plan.namespace, writesNeeded(plan, config.secretName)]));
  const refused = await gatherRefusedWrites(askWriteAccess(kc), needs);
  deadline.check();
  const found = (namespace: string) => ({ secret: snapshot.secrets.get(namespace), serviceAccounts: snapshot.serviceAccounts.get(namespace) ?? [] });
  return statusReport({ ...config, registries: desired.registries }, plans, found, refused, now);
}

async function statusPass(config: Config, io: CommandIO, deadline: Deadline): Promise<ExitCode> {
  const kc = loadKubeConfig(config.kube);
  let report: StatusReport;
  try {
    report = await gatherReport(config, kc, deadline);
  } catch (error) {
    deadline.check();
    const { kind, line } = cannotReadCluster(serverUrl(kc), error);
    io.log.error({ reason: kind }, line);
    return ExitCode.attention;
  }
  if (report.items.length === 0) io.log.error(noNamespaceMatches);
  const document = renderDocument(config.output, report);
  if (document !== undefined) io.out.write(document);
  else if (report.items.length > 0) {
    const wide = config.output === "wide";
    io.out.write(renderTable(wide ? wideHeader : statusHeader, statusRows(report, wide)));
  }
  return report.summary.exitCode === 0 ? ExitCode.ok : ExitCode.attention;
}
