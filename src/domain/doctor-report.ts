// What `doctor` prints: one line per check ("ok", "warn" or "FAIL"), then the pods stuck pulling from
// an ECR registry as a table; or, with -o json|yaml, the same as one document. Built only from
// check lines and diagnoses, which hold no credential.
import type { PullDiagnosis } from "./pull-diagnosis.ts";

/** The area a check belongs to, for scripts reading the document. */
export type CheckArea = "kubernetes" | "namespaces" | "rbac" | "aws" | "pods";

export interface DoctorCheck {
  readonly area: CheckArea;
  readonly ok: boolean;
  /** Passes, but needs attention soon (a certificate near its end): "warn" in the table; ok stays true. */
  readonly warning?: true;
  readonly message: string;
}

export const doctorReportApiVersion = "ecr-public-creds-helper/v1";

export interface DoctorReport {
  readonly apiVersion: typeof doctorReportApiVersion;
  readonly kind: "DoctorReport";
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
  readonly pods: readonly PullDiagnosis[];
}

export function doctorReport(checks: readonly DoctorCheck[], pods: readonly PullDiagnosis[]): DoctorReport {
  return { apiVersion: doctorReportApiVersion, kind: "DoctorReport", ok: checks.every((c) => c.ok) && pods.length === 0, checks, pods };
}

export function checkLine(check: DoctorCheck): string {
  return `${check.ok ? (check.warning ? "warn" : "ok  ") : "FAIL"}  ${check.message}\n`;
}

export const podsHeader = ["NAMESPACE/POD", "IMAGE", "CAUSE", "FIX"] as const;

export function podRow(d: PullDiagnosis): string[] {
  return [`${d.namespace}/${d.pod}`, d.image, d.cause, d.fix];
}

/** The check line that sums up the pods: which namespaces were looked at and how many containers are stuck. */
export function podsSummary(stuck: readonly PullDiagnosis[], where: string): DoctorCheck {
  if (stuck.length === 0) return { area: "pods", ok: true, message: `pods: none stuck pulling from ECR registries ${where}` };
  const pods = new Set(stuck.map((d) => `${d.namespace}/${d.pod}`)).size;
  const containers = stuck.length === 1 ? "1 container" : `${stuck.length} containers`;
  return {
    area: "pods",
    ok: false,
    message: `pods: ${containers} in ${pods === 1 ? "1 pod" : `${pods} pods`} cannot pull from ECR registries ${where}; each cause and fix below`,
  };
}
