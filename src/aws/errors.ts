// Turns AWS SDK failures into one line a person can act on. SDK error messages do not carry
// credentials, but we still build our own text rather than pass theirs through blindly.
import { formatDuration } from "../domain/duration.ts";
import { MalformedTokenError } from "../domain/token.ts";
import { awsConnectTimeoutMs, awsRequestTimeoutMs } from "./bounds.ts";
import { TokenFailureReason, TokenUnavailableError } from "./token-source.ts";

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/**
 * `permissions`: the IAM actions the call needs, named when AWS denies it; `requestTimeoutMs`:
 * the client's timeout per attempt, named when it ran out.
 */
export function describeAwsError(error: unknown, what: string, permissions: string, requestTimeoutMs = awsRequestTimeoutMs): TokenUnavailableError {
  if (error instanceof TokenUnavailableError) return error;
  if (error instanceof MalformedTokenError) {
    return new TokenUnavailableError(`${what} returned an unusable token: ${error.message}`, TokenFailureReason.malformed, { cause: error });
  }
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? "Error";
  const attempts = e.$metadata?.attempts;
  const after = attempts && attempts > 1 ? ` after ${attempts} attempts` : "";
  const message = oneLine(e.message ?? String(error));
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return new TokenUnavailableError(
      `no AWS credentials found for ${what}: set up IRSA, EKS Pod Identity, a profile or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
      TokenFailureReason.noCredentials,
      { cause: error },
    );
  }
  if (name === "ThrottlingException" || name === "TooManyRequestsException") {
    return new TokenUnavailableError(`${what} was throttled (${name})${after}; try again later`, TokenFailureReason.throttled, { cause: error });
  }
  if (/AccessDenied|UnrecognizedClient|InvalidSignature|SignatureDoesNotMatch|ExpiredToken|InvalidClientTokenId/.test(name)) {
    return new TokenUnavailableError(
      `${what} was denied (${name}: ${message}); check the IAM policy (${permissions}) and the credentials`,
      TokenFailureReason.denied,
      { cause: error },
    );
  }
  const timedOut = timeoutProblem(e, what, requestTimeoutMs);
  if (timedOut) return new TokenUnavailableError(`${timedOut}${after}`, TokenFailureReason.timeout, { cause: error });
  if (e.$fault === "server" || (e.$metadata?.httpStatusCode ?? 0) >= 500) {
    return new TokenUnavailableError(`${what} failed on the AWS side (${name})${after}; try again later`, TokenFailureReason.serverError, { cause: error });
  }
  if (e.code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)$/.test(e.code)) {
    return new TokenUnavailableError(`cannot reach AWS for ${what} (${e.code})${after}`, TokenFailureReason.network, { cause: error });
  }
  return new TokenUnavailableError(`${what} failed (${name}: ${message})`, TokenFailureReason.other, { cause: error });
}

/**
 * The SDK's words for "no answer in time": its connect and request timeouts (both named
 * TimeoutError) and a caller's abort. A reset connection is also named TimeoutError by the
 * SDK; that one is a network failure and is left to the code check.
 */
function timeoutProblem(e: SdkErrorShape, what: string, requestTimeoutMs: number): string | undefined {
  if (e.name === "AbortError") return `${what} was called off before AWS answered`;
  if (e.name !== "TimeoutError" || e.code === "ECONNRESET" || e.code === "EPIPE") return undefined;
  if (/establish a connection/i.test(e.message ?? "")) return `cannot reach AWS for ${what}: no connection within ${inWords(awsConnectTimeoutMs)}`;
  return `${what} got no answer from AWS within ${inWords(requestTimeoutMs)}`;
}

/** formatDuration, but a timeout below a second (tests shorten them) is not "0s". */
function inWords(ms: number): string {
  return ms < 1_000 ? `${ms}ms` : formatDuration(ms);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}
