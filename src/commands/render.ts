// Text a person reads on stdout: the --dry-run plan. Built only from plan fields, which hold
// no secret material.
import type { NamespacePlan } from "../domain/plan.ts";

export function renderPlan(plans: readonly NamespacePlan[]): string {
  const rows = plans.map((plan) => [
    plan.namespace,
    plan.secret,
    [
      ...plan.patchServiceAccounts.map((sa) => `patch-sa ${sa.name}`),
      ...plan.missingServiceAccounts.map((name) => `missing-sa ${name}`),
    ].join(", ") || "-",
    plan.reason,
  ]);
  const header = ["NAMESPACE", "SECRET", "SERVICE ACCOUNTS", "REASON"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ");
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}
