// The document `status -o json|yaml` prints, defined once: the builder's types come from it and
// docs/status.schema.json is generated from it (scripts/status-schema.ts). apiVersion v1 is a
// promise: within v1 fields are only added, never renamed, removed or given another meaning;
// anything else is a v2. It holds no credential: registry hosts, never what a secret holds.
import { z } from "zod";

export const statusApiVersion = "ecr-public-creds-helper/v1";
export const statusKind = "StatusReport";

export const namespaceStates = ["ok", "refresh-due", "expired", "missing", "foreign", "terminating", "no-namespace", "forbidden"] as const;
export type NamespaceState = (typeof namespaceStates)[number];

export const serviceAccountStates = ["ok", "unpatched", "missing", "forbidden"] as const;
export type ServiceAccountState = (typeof serviceAccountStates)[number];

const time = z.iso.datetime();
const count = z.int().min(0);

const namespaceStateSchema = z.enum(namespaceStates).meta({
  description: [
    "ok: our secret is there, for the registries we write, with a token valid beyond --refresh-before (service accounts have their own state);",
    "refresh-due: ours, but the next sync rewrites it (expires within --refresh-before, registry list changed, unreadable);",
    "expired: ours, and its token has expired;",
    "missing: no secret of this name yet;",
    "foreign: a secret of this name that we did not make (no managed-by label): left alone unless --adopt;",
    "terminating: the namespace is being deleted: left alone;",
    "no-namespace: named in the selection but not in the cluster;",
    "forbidden: a write the namespace needs (create or update the secret, patch a service account) is refused to this identity by RBAC.",
  ].join(" "),
});

const registrySchema = z
  .object({
    host: z.string().meta({ description: "A registry host in the secret's .dockerconfigjson auths." }),
    ours: z.boolean().meta({ description: "Whether we wrote this entry (and so replace or remove it); others' entries are kept as they are." }),
  })
  .meta({ description: "One registry entry of the secret: its host only, never its credentials." });

const secretSchema = z
  .object({
    type: z.string().meta({ description: "The secret's type, kubernetes.io/dockerconfigjson when usable." }),
    managedBy: z
      .string()
      .nullable()
      .meta({ description: "The app.kubernetes.io/managed-by label: ecr-public-creds-helper when ours, another tool's name or null when foreign." }),
    createdAt: time.nullable().meta({ description: "When the secret was created (RFC 3339, UTC)." }),
    lastWrittenAt: time.nullable().meta({ description: "When we last wrote it (our field manager's managedFields time); null if we never did." }),
    expiresAt: time
      .nullable()
      .meta({ description: "When the token we wrote expires (RFC 3339, UTC), from the expires-at annotation; null when not recorded." }),
    expiresInSeconds: z
      .int()
      .nullable()
      .meta({ description: "Seconds from metadata.generatedAt to expiresAt, negative once expired; null when expiresAt is." }),
    registries: z.array(registrySchema).meta({ description: "Every registry host in the secret, sorted; empty when it holds no readable .dockerconfigjson." }),
  })
  .meta({ description: "The secret of our name in this namespace, as found." });

const serviceAccountSchema = z.object({
  name: z.string(),
  state: z.enum(serviceAccountStates).meta({
    description:
      "ok: its imagePullSecrets names the secret; unpatched: the next sync adds it; missing: no such service account; forbidden: adding it is refused to this identity.",
  }),
});

const itemSchema = z
  .object({
    namespace: z.string(),
    state: namespaceStateSchema,
    reason: z.string().meta({ description: "Why, in a few words, for a person; not for matching." }),
    secret: secretSchema.nullable().meta({ description: "null when the namespace holds no secret of this name (or does not exist)." }),
    serviceAccounts: z.array(serviceAccountSchema).meta({
      description: "The service accounts of --service-accounts in this namespace, sorted; empty without that flag or when we leave the namespace alone.",
    }),
  })
  .meta({ description: "One selected namespace." });

const stateCounts = z.object(Object.fromEntries(namespaceStates.map((state) => [state, count])) as Record<NamespaceState, typeof count>);

export const statusReportSchema = z
  .object({
    apiVersion: z.literal(statusApiVersion),
    kind: z.literal(statusKind),
    metadata: z.object({
      generatedAt: time.meta({ description: "When status looked (RFC 3339, UTC); expiresInSeconds counts from here." }),
      secretName: z.string().meta({ description: "The pull secret's name (--secret-name)." }),
      selection: z
        .object({
          namespaces: z.array(z.string()).meta({ description: "Names and globs of --namespaces." }),
          allNamespaces: z.boolean(),
          exclude: z.array(z.string()),
          namespaceSelector: z.string().meta({ description: "The label selector as given; empty for none." }),
        })
        .meta({ description: "Which namespaces were asked for." }),
      serviceAccounts: z.array(z.string()).meta({ description: "--service-accounts: names, or * for all; empty for none." }),
      registries: z.array(z.string()).meta({ description: "The registry hosts we write into the secret, sorted." }),
      refreshBeforeSeconds: count.meta({ description: "--refresh-before: a secret whose token expires within this is refresh-due." }),
    }),
    items: z.array(itemSchema).meta({ description: "One per selected namespace, sorted by name." }),
    summary: z.object({
      namespaces: count,
      states: stateCounts.meta({ description: "How many items are in each state; every state is present." }),
      serviceAccountsNeedingAttention: count.meta({ description: "Service accounts in a state other than ok." }),
      exitCode: z.union([z.literal(0), z.literal(1)]).meta({
        description:
          "The command's exit code: 0 when every item is ok and so are its service accounts; 1 when something needs doing, or when no namespace is selected.",
      }),
    }),
  })
  .meta({
    $id: "urn:ecr-public-creds-helper:status-report:v1",
    title: "ecr-public-creds-helper status report",
    description: `What \`status -o json\` and \`status -o yaml\` print. apiVersion ${statusApiVersion}: fields are only ever added within v1.`,
  });

export type StatusReport = z.infer<typeof statusReportSchema>;
export type StatusItem = StatusReport["items"][number];
export type SecretStatus = NonNullable<StatusItem["secret"]>;
export type ServiceAccountStatus = StatusItem["serviceAccounts"][number];

/** The JSON Schema of the document, as committed in docs/status.schema.json. */
export function statusJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(statusReportSchema, { target: "draft-2020-12", io: "output" });
}
