// What went wrong with the Lease, in one line, and how loudly to say it: one WARN when a
// streak of failures starts, a reminder every few minutes while it lasts, one INFO when the
// Lease answers again. A replica retrying every two seconds must not write a line each time.
import { formatDuration } from "../domain/duration.ts";
import { classifyKubeError, kubeErrorMessage, KubeErrorKind } from "../kube/errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { Clock } from "../util/clock.ts";
import { FailureStreak, StreakNews } from "../util/failure-streak.ts";
import { isMissingNamespace, LeaseCallTimeout } from "./lease-client.ts";

export const LeaseProblemKind = {
  ...KubeErrorKind,
  /** No answer within the attempt's bound. */
  timeout: "timeout",
  /** The Lease's namespace does not exist. */
  namespaceMissing: "namespace-missing",
} as const;
export type LeaseProblemKind = (typeof LeaseProblemKind)[keyof typeof LeaseProblemKind];

export interface LeaseProblem {
  readonly kind: LeaseProblemKind;
  /** Retrying cannot help: the namespace is missing, or we may not use the Lease. */
  readonly fatal: boolean;
  /** One line: what failed on which Lease and the API server's own message. */
  readonly detail: string;
}

const fatalKinds: ReadonlySet<LeaseProblemKind> = new Set([
  LeaseProblemKind.namespaceMissing,
  LeaseProblemKind.forbidden,
  LeaseProblemKind.unauthorized,
  LeaseProblemKind.invalid,
]);

export function leaseProblem(error: unknown, where: string): LeaseProblem {
  const kind: LeaseProblemKind =
    error instanceof LeaseCallTimeout ? LeaseProblemKind.timeout : isMissingNamespace(error) ? LeaseProblemKind.namespaceMissing : classifyKubeError(error);
  const message = kubeErrorMessage(error);
  const namespace = where.split("/")[0] ?? where;
  const detail =
    kind === LeaseProblemKind.namespaceMissing
      ? `cannot create the Lease ${where}: namespace ${namespace} does not exist`
      : kind === LeaseProblemKind.forbidden || kind === LeaseProblemKind.unauthorized
        ? `not allowed to use the Lease ${where}: ${message}`
        : kind === LeaseProblemKind.invalid
          ? `the API server refuses the Lease ${where}: ${message}`
          : `cannot reach the Lease ${where}: ${message}`;
  return { kind, fatal: fatalKinds.has(kind), detail };
}

const defaultReminderMs = 5 * 60_000;

/** Logs a streak of Lease failures once, with a reminder now and then, and its end once. */
export class ProblemLog {
  readonly #log: Logger;
  readonly #where: string;
  readonly #streak: FailureStreak;

  constructor(clock: Clock, log: Logger, where: string, reminderMs = defaultReminderMs) {
    this.#log = log;
    this.#where = where;
    this.#streak = new FailureStreak(reminderMs, clock);
  }

  failed(problem: LeaseProblem): void {
    const fields = { lease: this.#where, reason: problem.kind };
    const news = this.#streak.fail(problem.detail);
    if (news === StreakNews.started) this.#log.warn(fields, `leader election: ${problem.detail}`);
    if (news === StreakNews.reminder) {
      this.#log.warn(fields, `leader election: still failing after ${formatDuration(this.#streak.durationMs)}: ${problem.detail}`);
    }
  }

  answered(): void {
    const ended = this.#streak.end();
    if (ended) this.#log.info({ lease: this.#where }, `leader election: the Lease ${this.#where} answers again after ${formatDuration(ended.durationMs)}`);
  }
}
