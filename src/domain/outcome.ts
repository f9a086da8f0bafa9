// How a run went, counted from per-namespace results, and the exit code that says it.
import { SecretAction } from "./plan.ts";

export const ExitCode = {
  ok: 0,
  /** Some namespaces failed or need the user (foreign secret, missing namespace, forbidden). */
  attention: 1,
  usage: 2,
  /** No token could be obtained; nothing was written. */
  noToken: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What `sync` and `status` say when the selection takes no namespace at all. */
export const noNamespaceMatches =
  "no namespace matches the selection; check TARGET_NAMESPACES/--namespaces, --all-namespaces, --exclude, --namespace-selector and the ecr-public-creds-helper/ignore annotation";

/** One namespace's result in words the summary counts. */
export type ResultKind = "created" | "updated" | "fresh" | "planned" | "terminating" | "foreign" | "missing" | "failed";

const attentionKinds: ReadonlySet<ResultKind> = new Set(["foreign", "missing", "failed"]);

export function countResults(kinds: readonly ResultKind[]): Map<ResultKind, number> {
  const counts = new Map<ResultKind, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

export function exitCodeFor(kinds: readonly ResultKind[]): ExitCode {
  return kinds.some((kind) => attentionKinds.has(kind)) ? ExitCode.attention : ExitCode.ok;
}

export function summaryLine(kinds: readonly ResultKind[], extra: { patchedServiceAccounts: number; tokenFetched: boolean }): string {
  const counts = countResults(kinds);
  const order: ResultKind[] = ["created", "updated", "fresh", "planned", "terminating", "foreign", "missing", "failed"];
  const parts = order.filter((kind) => counts.has(kind)).map((kind) => `${counts.get(kind)} ${kind}`);
  const sa = extra.patchedServiceAccounts > 0 ? `; ${extra.patchedServiceAccounts} service accounts patched` : "";
  const aws = extra.tokenFetched ? "; 1 token request" : "; no token request";
  return `${kinds.length} namespaces: ${parts.join(", ") || "nothing to do"}${sa}${aws}`;
}

const plannedKinds: Record<SecretAction, ResultKind> = {
  [SecretAction.create]: "planned",
  [SecretAction.update]: "planned",
  [SecretAction.adopt]: "planned",
  [SecretAction.skipFresh]: "fresh",
  [SecretAction.skipForeign]: "foreign",
  [SecretAction.skipTerminating]: "terminating",
  [SecretAction.missingNamespace]: "missing",
};

/** What a --dry-run counts for a planned action. */
export function plannedKind(action: SecretAction): ResultKind {
  return plannedKinds[action];
}
