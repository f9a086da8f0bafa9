// `status`: per selected namespace, is the secret there, ours, fresh, and are the service
// accounts patched. Reads only; never asks AWS; never prints a token. Ends within --timeout.
import type { Config } from "../config.ts";
import type { ClusterSnapshot } from "../domain/types.ts";
import { ExitCode, noNamespaceMatches } from "../domain/outcome.ts";
import { namespaceStatus, statusHeader, statusRow } from "../domain/status.ts";
import { renderTable } from "../util/table.ts";
import { coreApi, loadKubeConfig, serverUrl } from "../kube/client.ts";
import { cannotReadCluster } from "../kube/errors.ts";
import { gatherCluster } from "../kube/gather.ts";
import { desiredStateFrom, planSync } from "../domain/sync-plan.ts";
import { Deadline, endSoonIfStuck } from "./deadline.ts";
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

async function statusPass(config: Config, io: CommandIO, deadline: Deadline): Promise<ExitCode> {
  const kc = loadKubeConfig(config.kube);
  const desired = desiredStateFrom(config, tokenSourceFor(config).registries);
  let snapshot: ClusterSnapshot;
  try {
    snapshot = await gatherCluster(coreApi(kc), config.secretName, config.serviceAccounts);
  } catch (error) {
    deadline.check();
    const { kind, line } = cannotReadCluster(serverUrl(kc), error);
    io.log.error({ reason: kind }, line);
    return ExitCode.attention;
  }
  deadline.check();
  const now = new Date();
  const rows = planSync(config, snapshot, desired, now).map((plan) => namespaceStatus(plan, snapshot.secrets.get(plan.namespace), now));
  if (rows.length === 0) {
    io.log.error(noNamespaceMatches);
    return ExitCode.attention;
  }
  io.out.write(renderTable(statusHeader, rows.map(statusRow)));
  return rows.every((r) => r.state === "ok" && r.serviceAccounts === "ok") ? ExitCode.ok : ExitCode.attention;
}
