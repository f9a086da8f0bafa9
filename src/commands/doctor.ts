// `doctor`: can this work here? Each check prints one line, and a failed one says what to do.
// It reads and asks; it writes nothing (a SelfSubjectAccessReview stores nothing) and never
// prints the token. Ends within --timeout: past it, one line names the check left waiting.
import { VersionApi } from "@kubernetes/client-node";
import type { Config } from "../config.ts";
import { formatDuration } from "../domain/duration.ts";
import { ExitCode, noNamespaceMatches } from "../domain/outcome.ts";
import { TokenUnavailableError } from "../aws/token-source.ts";
import { describeAccess, mayI, type AccessQuestion } from "../kube/access.ts";
import { apiClient, coreApi, loadKubeConfig, serverUrl } from "../kube/client.ts";
import { kubeErrorMessage } from "../kube/errors.ts";
import { listNamespaces } from "../kube/gather.ts";
import { selectNamespaces } from "../domain/namespaces.ts";
import { Deadline, endSoonIfStuck } from "./deadline.ts";
import type { CommandIO } from "./sync.ts";
import { tokenSourceFor } from "./token-source.ts";

type Check = { ok: boolean; line: string };

function accessQuestions(config: Config, sampleNamespace: string | undefined): AccessQuestion[] {
  const name = config.secretName;
  const questions: AccessQuestion[] = [
    { verb: "list", resource: "namespaces" },
    { verb: "list", resource: "secrets", name },
    { verb: "create", resource: "secrets", ...(sampleNamespace ? { namespace: sampleNamespace } : {}) },
    { verb: "update", resource: "secrets", name, ...(sampleNamespace ? { namespace: sampleNamespace } : {}) },
  ];
  if (config.serviceAccounts.length > 0) {
    questions.push(
      { verb: "list", resource: "serviceaccounts" },
      { verb: "patch", resource: "serviceaccounts", ...(sampleNamespace ? { namespace: sampleNamespace } : {}) },
    );
  }
  return questions;
}

export async function doctor(config: Config, io: CommandIO): Promise<ExitCode> {
  const deadline = new Deadline(config.timeoutMs);
  const step = { now: "the Kubernetes API server" };
  try {
    return await deadline.race(checkAll(config, io, deadline, step));
  } catch (error) {
    if (!deadline.passed) throw error;
    endSoonIfStuck();
    io.log.error({ reason: "timeout", exitCode: ExitCode.attention }, `doctor did not finish ${deadline.within}: no answer from ${step.now} in time`);
    return ExitCode.attention;
  }
}

/** `step.now`: what is being asked, named in the line said when the deadline passes. */
async function checkAll(config: Config, io: CommandIO, deadline: Deadline, step: { now: string }): Promise<ExitCode> {
  const checks: Check[] = [];
  const report = (check: Check): void => {
    deadline.check();
    checks.push(check);
    io.out.write(`${check.ok ? "ok  " : "FAIL"}  ${check.line}\n`);
  };

  const kc = loadKubeConfig(config.kube);
  const server = serverUrl(kc);
  try {
    const version = await apiClient(kc, VersionApi).getCode();
    report({ ok: true, line: `Kubernetes API server ${server} answers (${version.gitVersion})` });
  } catch (error) {
    report({ ok: false, line: `Kubernetes API server ${server}: ${kubeErrorMessage(error)}; check --kubeconfig/--context` });
    return ExitCode.attention;
  }

  let sample: string | undefined;
  step.now = "the Kubernetes API server (namespace list)";
  try {
    const chosen = selectNamespaces(await listNamespaces(coreApi(kc)), config.selection);
    sample = chosen.selected[0];
    report({
      ok: chosen.selected.length > 0,
      line:
        chosen.selected.length > 0
          ? `${chosen.selected.length} namespaces selected (${chosen.selected.slice(0, 5).join(", ")}${chosen.selected.length > 5 ? ", …" : ""})`
          : noNamespaceMatches,
    });
    if (chosen.missing.length > 0) report({ ok: false, line: `named but missing: ${chosen.missing.join(", ")}` });
  } catch (error) {
    report({ ok: false, line: `cannot list namespaces: ${kubeErrorMessage(error)}` });
  }

  step.now = "the Kubernetes API server (access reviews)";
  for (const { question, allowed } of await mayI(kc, accessQuestions(config, sample))) {
    report({ ok: allowed, line: `RBAC: may ${describeAccess(question)}${allowed ? "" : " — no; apply deploy/base/rbac.yaml or the chart's RBAC"}` });
  }

  step.now = "AWS (token request)";
  try {
    const token = await tokenSourceFor(config).fetchToken(deadline.signal);
    const hosts = token.credentials.map((c) => c.server).join(", ");
    report({ ok: true, line: `AWS: token obtained for ${hosts}, expires in ${formatDuration(token.expiresAt.getTime() - Date.now())}` });
  } catch (error) {
    report({ ok: false, line: `AWS: ${error instanceof TokenUnavailableError ? error.message : String(error)}` });
  }

  deadline.check();
  const failed = checks.filter((c) => !c.ok).length;
  io.log.info(failed === 0 ? "doctor: all checks passed" : `doctor: ${failed} of ${checks.length} checks failed`);
  return failed === 0 ? ExitCode.ok : ExitCode.attention;
}
