// What a failed Kubernetes call means for us: 404 ends the work, 409 re-reads and retries,
// 401/403, an object that cannot be changed in place and an untrusted server certificate are
// reported with what to fix, 429/5xx/connection errors back off and retry. Every message is
// one line: people read it in a log or a terminal.
import { ApiException } from "@kubernetes/client-node";
import { scrub } from "../observability/redact.ts";

export const KubeErrorKind = {
  notFound: "not-found",
  conflict: "conflict",
  forbidden: "forbidden",
  unauthorized: "unauthorized",
  invalid: "invalid",
  transient: "transient",
  unreachable: "unreachable",
  untrustedCertificate: "untrusted-certificate",
  /** 422 "field is immutable": an `immutable: true` secret, or a type that cannot change. */
  immutable: "immutable",
  /** Not sent: this replica no longer leads (bounded-fetch.ts NotLeading). */
  notLeading: "not-leading",
  other: "other",
} as const;
export type KubeErrorKind = (typeof KubeErrorKind)[keyof typeof KubeErrorKind];

/** The ClusterRole deploy/base/rbac.yaml (and the chart) ships, named in the 403 hint. */
export const shippedClusterRole = "ecr-public-creds-helper";

const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const unreachableCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"]);

// Why Node (OpenSSL) refused the server's certificate, in the words of someone fixing a kubeconfig.
const certificateProblems: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "it is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "its chain ends in a self-signed CA that is not the kubeconfig's certificate-authority",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "it is not signed by the kubeconfig's certificate-authority",
  UNABLE_TO_GET_ISSUER_CERT: "its issuer is not the kubeconfig's certificate-authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its issuer is not the kubeconfig's certificate-authority",
  CERT_HAS_EXPIRED: "it has expired",
  CERT_NOT_YET_VALID: "it is not valid yet (is this machine's clock right?)",
  ERR_TLS_CERT_ALTNAME_INVALID: "it is not issued for the server address in the kubeconfig",
  CERT_SIGNATURE_FAILURE: "its signature does not verify",
  CERT_UNTRUSTED: "it is not trusted for serving",
  CERT_REJECTED: "it is rejected for serving",
};

/** The first error code on the cause chain (fetch wraps the socket's error) that `wanted` holds. */
function codeOnChain(error: unknown, wanted: (code: string) => boolean): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && wanted(code)) return code;
  }
  return undefined;
}

const networkCode = (error: unknown): string | undefined => codeOnChain(error, (code) => networkCodes.has(code));
const certificateCode = (error: unknown): string | undefined => codeOnChain(error, (code) => code in certificateProblems);

function classifyStatus(code: number): KubeErrorKind {
  if (code === 404) return KubeErrorKind.notFound;
  if (code === 409) return KubeErrorKind.conflict;
  if (code === 403) return KubeErrorKind.forbidden;
  if (code === 401) return KubeErrorKind.unauthorized;
  if (code === 400 || code === 422) return KubeErrorKind.invalid;
  if (code === 429 || code >= 500) return KubeErrorKind.transient;
  return KubeErrorKind.other;
}

/** Only deleting and re-creating the object can change it; retrying the update never will. */
function refusesChange(error: ApiException<unknown>): boolean {
  return error.code === 422 && /field is immutable/.test(apiMessage(error) ?? "");
}

export function classifyKubeError(error: unknown): KubeErrorKind {
  if (error instanceof ApiException) return refusesChange(error) ? KubeErrorKind.immutable : classifyStatus(error.code);
  if (certificateCode(error)) return KubeErrorKind.untrustedCertificate;
  if (ownError(error)?.name === "NotLeading") return KubeErrorKind.notLeading;
  const code = networkCode(error);
  if (code && unreachableCodes.has(code)) return KubeErrorKind.unreachable;
  return code ? KubeErrorKind.transient : KubeErrorKind.other;
}

export function isRetryableKubeError(error: unknown): boolean {
  const kind = classifyKubeError(error);
  return kind === KubeErrorKind.transient || kind === KubeErrorKind.unreachable;
}

/** One line, secrets scrubbed: "HTTP 403: <the API server's message>", or what failed on the way. */
export function kubeErrorMessage(error: unknown): string {
  return scrub(oneLine(describe(error)));
}

function describe(error: unknown): string {
  if (error instanceof ApiException) {
    const said = apiMessage(error);
    return said ? `HTTP ${error.code}: ${said}` : `HTTP ${error.code}`;
  }
  // Our own bounded request and exec plugin errors already say it in one line; their
  // ETIMEDOUT code alone ("ETIMEDOUT") would say less.
  const own = ownError(error);
  if (own) return firstLine(own.message);
  const certificate = certificateCode(error);
  if (certificate) return `the API server's certificate is not trusted: ${certificateProblems[certificate]} (${certificate})`;
  const code = networkCode(error);
  if (code) return code;
  return error instanceof Error ? withCause(error) : firstLine(String(error));
}

const ownErrorNames: ReadonlySet<string> = new Set(["KubeRequestTimeout", "ExecPluginError", "NotLeading"]);

function ownError(error: unknown): Error | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error && ownErrorNames.has(e.name)) return e;
  }
  return undefined;
}

/** Whether the kubeconfig's exec credential plugin failed (it, not the API server, needs looking at). */
export function isExecPluginFailure(error: unknown): boolean {
  return ownError(error)?.name === "ExecPluginError";
}

/** fetch says only "fetch failed"; the reason (a refused port, a proxy's answer) is its cause. */
function withCause(error: Error): string {
  const said = firstLine(error.message);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && said === "fetch failed" ? `${said}: ${firstLine(cause.message)}` : said;
}

/** What the API server said: a Status body's message, else the reason client-node recorded. */
function apiMessage(error: ApiException<unknown>): string | undefined {
  const body: unknown = typeof error.body === "string" ? parseJson(error.body) : error.body;
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === "string" && message.trim() !== "") return message;
  // A plain-text answer (a proxy's, or "404 page not found") is worth its first line; HTML is not.
  if (typeof error.body === "string" && body === undefined && !error.body.trimStart().startsWith("<")) {
    const line = firstLine(error.body);
    if (line) return line;
  }
  // client-node's own message is "HTTP-Code: 401\nMessage: Unauthorized\nBody: …\nHeaders: …".
  const recorded = /^Message: (.*)$/m.exec(error.message)?.[1]?.trim();
  return recorded && recorded !== "Unknown API Status Code!" ? recorded : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "") ?? "";
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/** What to check next, in one line, for an error of `kind`. */
export function kubeErrorHint(kind: KubeErrorKind): string {
  switch (kind) {
    case KubeErrorKind.unauthorized:
      return "the API server does not accept the credentials in the kubeconfig (expired token or wrong client certificate)";
    case KubeErrorKind.forbidden:
      return `this identity lacks a permission: bind it to the ClusterRole ${shippedClusterRole} (deploy/base/rbac.yaml or the chart)`;
    case KubeErrorKind.untrustedCertificate:
      return "set certificate-authority(-data) in the kubeconfig to the CA that signed the API server's certificate, and use an address the certificate names";
    case KubeErrorKind.transient:
      return "the API server is overloaded or restarting; try again shortly";
    case KubeErrorKind.notFound:
      return "the object or namespace no longer exists";
    case KubeErrorKind.conflict:
      return "someone else changed the object at the same time; the next run picks it up";
    case KubeErrorKind.invalid:
      return "the API server rejected the object as invalid; please report this";
    case KubeErrorKind.immutable:
      return "it cannot be changed in place (immutable: true, or a type that cannot change): delete it so that it is re-created";
    case KubeErrorKind.notLeading:
      return "another replica leads now and writes instead";
    case KubeErrorKind.unreachable:
    case KubeErrorKind.other:
      return "check --kubeconfig/--context and that the API server is up";
  }
}

/** The one line `sync`, `status` and `doctor` print when the first read of the cluster fails. */
export function cannotReadCluster(server: string, error: unknown): { readonly kind: KubeErrorKind; readonly line: string } {
  const kind = classifyKubeError(error);
  const hint = isExecPluginFailure(error) ? "the kubeconfig's exec credential plugin failed: run its command by hand to see why" : kubeErrorHint(kind);
  return { kind, line: `cannot read the cluster at ${server}: ${kubeErrorMessage(error)}; ${hint}` };
}
