// Carrying out one namespace's plan: create or update the secret in place (never delete and
// re-create), then add it to service accounts. A conflict means someone wrote in between: we
// re-read that namespace, decide again and retry. Each namespace succeeds or fails alone. An
// update keeps the registry entries others put in the secret, read from it just before writing:
// a plan holds only their hosts, and the controller's cache not even their credentials.
import type { CoreV1Api, V1Secret } from "@kubernetes/client-node";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { fieldManager } from "../domain/managed.ts";
import { planNamespace, SecretAction, type DesiredState, type NamespacePlan } from "../domain/plan.ts";
import { WriteResult, type NamespaceOutcome } from "../domain/report.ts";
import { desiredSecret, entriesKept } from "../domain/secret.ts";
import type { RegistryToken } from "../domain/types.ts";
import { systemClock, type Clock } from "../util/clock.ts";
import { toObservedSecret, toObservedServiceAccount } from "./convert.ts";
import { classifyKubeError, kubeErrorHint, kubeErrorMessage, KubeErrorKind } from "./errors.ts";
import { withKubeRetry } from "./retry.ts";

export interface ApplyContext {
  readonly core: CoreV1Api;
  readonly desired: DesiredState;
  readonly token: RegistryToken | undefined;
  /** The time a re-plan after a conflict judges freshness at; the clock's now when not given. */
  readonly now?: () => Date;
  /** Paces the retries of transient errors; systemClock when not given. */
  readonly clock?: Clock;
}

const conflictAttempts = 3;

export async function applyNamespacePlan(ctx: ApplyContext, initial: NamespacePlan): Promise<NamespaceOutcome> {
  let plan = initial;
  // What is done stays done across a re-plan: a conflict on a service account must not write
  // the secret again (with --force the new plan would say so) nor forget what was patched.
  // A secret left alone is not done: if it was deleted meanwhile, the new plan creates it.
  let written: WriteResult | undefined;
  const patched: string[] = [];
  // Deleted between our read and our patch: as missing as one we never found.
  const gone: string[] = [];
  const missing = (): string[] => [...new Set([...plan.missingServiceAccounts, ...gone])];
  for (let attempt = 1; ; attempt++) {
    try {
      const secret = written ?? (await writeSecret(ctx, plan));
      if (secret === WriteResult.created || secret === WriteResult.updated) written = secret;
      for (const sa of plan.patchServiceAccounts) {
        const found = await patchServiceAccountIfPresent(ctx.core, plan.namespace, sa.name, sa.resourceVersion, sa.imagePullSecrets, ctx.clock);
        (found ? patched : gone).push(sa.name);
      }
      return { namespace: plan.namespace, plan, secret, patchedServiceAccounts: patched, missingServiceAccounts: missing() };
    } catch (error) {
      const kind = classifyKubeError(error);
      if (kind === KubeErrorKind.conflict && attempt < conflictAttempts) {
        plan = await replan(ctx, plan.namespace);
        continue;
      }
      return {
        namespace: plan.namespace,
        plan,
        secret: WriteResult.failed,
        patchedServiceAccounts: patched,
        missingServiceAccounts: missing(),
        error: { kind, message: failureMessage(kind, error, plan.namespace, ctx.desired.secretName) },
      };
    }
  }
}

/** One line. Retrying cannot change an immutable secret, so the line says what will. */
function failureMessage(kind: KubeErrorKind, error: unknown, namespace: string, secretName: string): string {
  const message = kubeErrorMessage(error);
  if (kind !== KubeErrorKind.immutable) return message;
  return `secret ${secretName} cannot be updated: ${message}; ${kubeErrorHint(kind)} (kubectl -n ${namespace} delete secret ${secretName})`;
}

async function writeSecret(ctx: ApplyContext, plan: NamespacePlan): Promise<WriteResult> {
  const { core, desired, token } = ctx;
  const clock = ctx.clock ?? systemClock;
  const name = desired.secretName;
  const namespace = plan.namespace;
  switch (plan.secret) {
    case SecretAction.create: {
      if (!token) throw new Error("internal: a secret write was planned without a token");
      const body = desiredSecret(name, namespace, token) as V1Secret;
      await withKubeRetry(() => core.createNamespacedSecret({ namespace, body, fieldManager }), clock);
      return WriteResult.created;
    }
    case SecretAction.update:
    case SecretAction.adopt: {
      if (!token) throw new Error("internal: a secret write was planned without a token");
      // The observed resourceVersion rides along: a change we have not seen gives 409, also
      // one made between the plan and the read of the entries we keep.
      const kept = plan.existing ? entriesKept(plan.existing, token) : [];
      const current = kept.length > 0 ? await currentDockerConfigJson(ctx, namespace, clock) : undefined;
      const body = desiredSecret(name, namespace, token, plan.existing, current) as V1Secret;
      await withKubeRetry(() => core.replaceNamespacedSecret({ name, namespace, body, fieldManager }), clock);
      return WriteResult.updated;
    }
    case SecretAction.skipFresh:
      return WriteResult.unchanged;
    default:
      return WriteResult.skipped;
  }
}

/** The secret's `.dockerconfigjson` as the API server holds it now. Credentials: never logged. */
async function currentDockerConfigJson(ctx: ApplyContext, namespace: string, clock: Clock): Promise<string | undefined> {
  const secret = await withKubeRetry(() => ctx.core.readNamespacedSecret({ name: ctx.desired.secretName, namespace }), clock);
  return toObservedSecret(secret).dockerConfigJson;
}

/** patchServiceAccount, false when the service account no longer exists. */
async function patchServiceAccountIfPresent(
  core: CoreV1Api,
  namespace: string,
  name: string,
  resourceVersion: string,
  imagePullSecrets: readonly string[],
  clock: Clock | undefined,
): Promise<boolean> {
  try {
    await patchServiceAccount(core, namespace, name, resourceVersion, imagePullSecrets, clock);
    return true;
  } catch (error) {
    if (classifyKubeError(error) === KubeErrorKind.notFound) return false;
    throw error;
  }
}

/** Sets a service account's imagePullSecrets to `imagePullSecrets`, if it is still at `resourceVersion`. */
export async function patchServiceAccount(
  core: CoreV1Api,
  namespace: string,
  name: string,
  resourceVersion: string,
  imagePullSecrets: readonly string[],
  clock: Clock = systemClock,
): Promise<void> {
  // A merge patch replaces the whole list, so it carries the resourceVersion we read: if
  // another writer changed the account since, the server answers 409 and we re-read.
  const body = { metadata: { resourceVersion }, imagePullSecrets: imagePullSecrets.map((n) => ({ name: n })) };
  await withKubeRetry(
    () => core.patchNamespacedServiceAccount({ name, namespace, body, fieldManager }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch)),
    clock,
  );
}

/** Reads one namespace again (secret and service accounts) and decides anew. */
async function replan(ctx: ApplyContext, namespace: string): Promise<NamespacePlan> {
  const { core, desired } = ctx;
  const secret = await core.readNamespacedSecret({ name: desired.secretName, namespace }).then(toObservedSecret, (error: unknown) => {
    if (classifyKubeError(error) === KubeErrorKind.notFound) return undefined;
    throw error;
  });
  const serviceAccounts =
    desired.serviceAccounts.length === 0 ? [] : (await core.listNamespacedServiceAccount({ namespace })).items.map(toObservedServiceAccount);
  const now = ctx.now?.() ?? new Date((ctx.clock ?? systemClock).now());
  return planNamespace({ namespace, terminating: false, secret, serviceAccounts }, desired, now);
}
