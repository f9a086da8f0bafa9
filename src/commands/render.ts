// Text a person reads on stdout: the --dry-run plan. Built only from plan fields, which hold
// no secret material.
import type { NamespacePlan } from "../domain/plan.ts";
import { renderTable } from "../util/table.ts";

export function renderPlan(plans: readonly NamespacePlan[]): string {
  const rows = plans.map((plan) => [
    plan.namespace,
    plan.secret,
    [...plan.patchServiceAccounts.map((sa) => `patch-sa ${sa.name}`), ...plan.missingServiceAccounts.map((name) => `missing-sa ${name}`)].join(", ") || "-",
    plan.reason,
  ]);
  return renderTable(["NAMESPACE", "SECRET", "SERVICE ACCOUNTS", "REASON"], rows);
}
