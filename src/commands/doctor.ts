// `doctor`: can this work here, and why are pods stuck pulling from an ECR registry? Each check
// prints one line, and a failed one says what to do; then the stuck pods, each with its likely
// cause and fix (doctor-pods.ts). -o json|yaml prints the same as one document. It reads and
// asks; it writes nothing (a SelfSubjectAccessReview stores nothing) and never prints the
// token. Ends within --timeout: past it, one line names the check left waiting.
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
import { checkLine, doctorReport, podRow, podsHeader, type CheckArea, type DoctorCheck } from "../domain/doctor-report.ts";
import type { NamespaceInfo } from "../domain/types.ts";
import type { PullDiagnosis } from "../domain/pull-diagnosis.ts";
import { renderTable } from "../util/table.ts";
import { lookAtPods } from "./doctor-pods.ts";
import { renderDocument } from "./output.ts";
import { Deadline, endSoonIfStuck } from "./deadline.ts";
import type { CommandIO } from "./sync.ts";
import { tokenSourceFor } from "./token-source.ts";
import { systemClock } from "../util/clock.ts";
import { awsIdentitySource } from "../domain/aws-identity.ts";
import { certificateCheck } from "../domain/certificate-expiry.ts";
import { CertificateProblem, readCertificateFacts } from "../aws/roles-anywhere-certificate.ts";

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
  const checks: DoctorCheck[] = [];
  const table = config.output === "table";
  // The table is written line by line as the checks answer; a document only once, whole.
  const say = (check: DoctorCheck): void => {
    deadline.check();
    checks.push(check);
    if (table) io.out.write(checkLine(check));
  };
  const inArea =
    (area: CheckArea) =>
    ({ ok, line }: { ok: boolean; line: string }): void =>
      say({ area, ok, message: line });

  const kc = loadKubeConfig(config.kube);
  const server = serverUrl(kc);
  const kubernetes = inArea("kubernetes");
  try {
    const version = await apiClient(kc, VersionApi).getCode();
    kubernetes({ ok: true, line: `Kubernetes API server ${server} answers (${version.gitVersion})` });
  } catch (error) {
    kubernetes({ ok: false, line: `Kubernetes API server ${server}: ${kubeErrorMessage(error)}; check --kubeconfig/--context` });
    return finish(config, io, checks, []);
  }

  let sample: string | undefined;
  let namespaces: NamespaceInfo[] | undefined;
  const selection = inArea("namespaces");
  step.now = "the Kubernetes API server (namespace list)";
  try {
    namespaces = await listNamespaces(coreApi(kc));
    const chosen = selectNamespaces(namespaces, config.selection);
    sample = chosen.selected[0];
    selection({
      ok: chosen.selected.length > 0,
      line:
        chosen.selected.length > 0
          ? `${chosen.selected.length} namespaces selected (${chosen.selected.slice(0, 5).join(", ")}${chosen.selected.length > 5 ? ", …" : ""})`
          : noNamespaceMatches,
    });
    if (chosen.missing.length > 0) selection({ ok: false, line: `named but missing: ${chosen.missing.join(", ")}` });
  } catch (error) {
    selection({ ok: false, line: `cannot list namespaces: ${kubeErrorMessage(error)}` });
  }

  step.now = "the Kubernetes API server (access reviews)";
  for (const { question, allowed } of await mayI(kc, accessQuestions(config, sample))) {
    inArea("rbac")({ ok: allowed, line: `RBAC: may ${describeAccess(question)}${allowed ? "" : " — no; apply deploy/base/rbac.yaml or the chart's RBAC"}` });
  }

  // Which identity the token request below acts as; for Roles Anywhere, the certificate's
  // public facts and dates (its key is not read here; the token request checks that it fits).
  say({ area: "aws", ok: true, message: `AWS identity: ${awsIdentitySource(config.awsEnvironment, config.rolesAnywhere).description}` });
  if (config.rolesAnywhere) say(await rolesAnywhereCertificate(config.rolesAnywhere.certificateFile));

  step.now = "AWS (token request)";
  const aws = inArea("aws");
  try {
    const token = await tokenSourceFor(config).fetchToken(deadline.signal);
    const hosts = token.credentials.map((c) => c.server).join(", ");
    aws({ ok: true, line: `AWS: token obtained for ${hosts}, expires in ${formatDuration(token.expiresAt.getTime() - systemClock.now())}` });
  } catch (error) {
    aws({ ok: false, line: `AWS: ${error instanceof TokenUnavailableError ? error.message : String(error)}` });
  }

  step.now = "the Kubernetes API server (pods and their Events)";
  const stuck = await lookAtPods(config, kc, namespaces, say);
  deadline.check();
  return finish(config, io, checks, stuck);
}

async function rolesAnywhereCertificate(file: string): Promise<DoctorCheck> {
  try {
    return certificateCheck(await readCertificateFacts(file), new Date(systemClock.now()));
  } catch (error) {
    if (error instanceof CertificateProblem) return { area: "aws", ok: false, message: `Roles Anywhere: ${error.message}` };
    throw error;
  }
}

/** Prints the pods table, or the whole document; logs the summary; the exit code. */
function finish(config: Config, io: CommandIO, checks: readonly DoctorCheck[], stuck: readonly PullDiagnosis[]): ExitCode {
  const document = renderDocument(config.output, doctorReport(checks, stuck));
  if (document !== undefined) io.out.write(document);
  else if (stuck.length > 0) io.out.write(`\n${renderTable(podsHeader, stuck.map(podRow))}`);
  const failed = checks.filter((c) => !c.ok).length;
  const warned = checks.filter((c) => c.ok && c.warning).length;
  const warnings = warned === 0 ? "" : warned === 1 ? ", 1 with a warning" : `, ${warned} with a warning`;
  io.log.info(failed === 0 ? `doctor: all checks passed${warnings}` : `doctor: ${failed} of ${checks.length} checks failed${warnings}`);
  return failed === 0 && stuck.length === 0 ? ExitCode.ok : ExitCode.attention;
}
