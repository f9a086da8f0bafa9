// What a failed Kubernetes call means for us: 404 ends the work, 409 re-reads and retries,
// 403 is reported, 429/5xx/connection errors back off and retry.
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
  other: "other",
} as const;
export type KubeErrorKind = (typeof KubeErrorKind)[keyof typeof KubeErrorKind];

const networkCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && networkCodes.has(code)) return code;
  }
  return undefined;
}

export function classifyKubeError(error: unknown): KubeErrorKind {
  if (error instanceof ApiException) {
    const code = error.code;
    if (code === 404) return KubeErrorKind.notFound;
    if (code === 409) return KubeErrorKind.conflict;
    if (code === 403) return KubeErrorKind.forbidden;
    if (code === 401) return KubeErrorKind.unauthorized;
    if (code === 400 || code === 422) return KubeErrorKind.invalid;
    if (code === 429 || code >= 500) return KubeErrorKind.transient;
    return KubeErrorKind.other;
  }
  const code = networkCode(error);
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "EAI_AGAIN") {
    return KubeErrorKind.unreachable;
  }
  return code ? KubeErrorKind.transient : KubeErrorKind.other;
}

export function isRetryableKubeError(error: unknown): boolean {
  const kind = classifyKubeError(error);
  return kind === KubeErrorKind.transient || kind === KubeErrorKind.unreachable;
}

/** The API server's own message (body.message), on one line, with secrets scrubbed. */
export function kubeErrorMessage(error: unknown): string {
  let text: string;
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === "string" ? safeJson(error.body) : error.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    text = typeof message === "string" ? message : `HTTP ${error.code}`;
  } else {
    const code = networkCode(error);
    text = code ? `${code}` : error instanceof Error ? error.message : String(error);
  }
  return scrub(text.replace(/\s+/g, " ").trim());
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
