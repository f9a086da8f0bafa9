// "May I?" questions to the API server (SelfSubjectAccessReview), for `doctor`.
import { AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { apiClient } from "./client.ts";

export interface AccessQuestion {
  readonly verb: string;
  readonly resource: string;
  readonly group?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export function describeAccess(q: AccessQuestion): string {
  const what = `${q.resource}${q.group ? `.${q.group}` : ""}${q.name ? `/${q.name}` : ""}`;
  return `${q.verb} ${what}${q.namespace ? ` in ${q.namespace}` : " (all namespaces)"}`;
}

export async function mayI(kc: KubeConfig, questions: readonly AccessQuestion[]): Promise<Array<{ question: AccessQuestion; allowed: boolean }>> {
  const api = apiClient(kc, AuthorizationV1Api);
  return Promise.all(
    questions.map(async (question) => {
      const review = await api.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: {
              verb: question.verb,
              resource: question.resource,
              group: question.group ?? "",
              ...(question.namespace ? { namespace: question.namespace } : {}),
              ...(question.name ? { name: question.name } : {}),
            },
          },
        },
      });
      return { question, allowed: review.status?.allowed === true };
    }),
  );
}
