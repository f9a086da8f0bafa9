// `status` and `status -o wide` as table rows, drawn from the report document so the table
// and -o json never disagree. Wide adds, as kubectl's does, columns to the right.
import { formatDuration } from "./duration.ts";
import type { StatusItem, StatusReport } from "./status-document.ts";

export const statusHeader = ["NAMESPACE", "STATE", "EXPIRES", "REGISTRIES", "SERVICE ACCOUNTS"] as const;
export const wideHeader = [...statusHeader, "ALL REGISTRIES", "MANAGED BY", "AGE", "LAST WRITE", "REASON"] as const;

function expires(item: StatusItem): string {
  const seconds = item.secret?.expiresInSeconds;
  if (seconds === null || seconds === undefined) return "-";
  return seconds > 0 ? `in ${formatDuration(seconds * 1000)}` : "expired";
}

/** The hosts we manage; what others put in the secret is shown by -o wide. */
function ourRegistries(item: StatusItem): string {
  return (item.secret?.registries ?? []).flatMap((r) => (r.ours ? [r.host] : [])).join(",") || "-";
}

function allRegistries(item: StatusItem): string {
  return (item.secret?.registries ?? []).map((r) => (r.ours ? `${r.host}(ours)` : r.host)).join(",") || "-";
}

/** "ok" when every wanted one names the secret, else those that do not, with why; "-" for none looked at. */
function serviceAccounts(item: StatusItem): string {
  if (item.serviceAccounts.length === 0) return "-";
  const waiting = item.serviceAccounts.filter((sa) => sa.state !== "ok");
  return waiting.map((sa) => `${sa.name} (${sa.state})`).join(", ") || "ok";
}

/** How long before `at` the report was made, kubectl's AGE style; "-" when unknown. */
function since(at: string | null | undefined, generatedAt: string): string {
  if (!at) return "-";
  return formatDuration(Math.max(0, Date.parse(generatedAt) - Date.parse(at)));
}

export function statusRows(report: StatusReport, wide: boolean): string[][] {
  return report.items.map((item) => {
    const row = [item.namespace, item.state, expires(item), ourRegistries(item), serviceAccounts(item)];
    if (!wide) return row;
    const secret = item.secret;
    return [
      ...row,
      allRegistries(item),
      secret?.managedBy ?? "-",
      since(secret?.createdAt, report.metadata.generatedAt),
      secret?.lastWrittenAt ? `${since(secret.lastWrittenAt, report.metadata.generatedAt)} ago` : "-",
      item.reason,
    ];
  });
}
