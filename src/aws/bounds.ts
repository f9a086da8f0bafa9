// How long one AWS token request may take. The SDK sets no request timeout of its own: a token
// endpoint (or an STS endpoint, or a proxy in front of either) that accepts the connection and
// never answers would hold `sync` until it is killed and leave the controller's refresh hanging.

/** A TCP (and TLS) connection to AWS is made in milliseconds; seconds mean it will not come. */
export const awsConnectTimeoutMs = 5_000;
/**
 * GetAuthorizationToken answers in well under a second. One attempt gets this long, headers
 * and body, from the moment it is sent.
 */
export const awsRequestTimeoutMs = 8_000;
/** What a test may shorten. */
export interface AwsCallOptions {
  /** Attempts per token request, the SDK's retries included; default awsMaxAttempts. */
  readonly maxAttempts?: number;
  /** How long one attempt may take; default awsRequestTimeoutMs. */
  readonly requestTimeoutMs?: number;
}

/** The SDK's own retries (throttling, 5xx, timeouts) included: three attempts in all. */
export const awsMaxAttempts = 3;

/**
 * Upper bound of one token request with its retries, once credentials are in hand: every
 * attempt at its timeout plus the SDK's short jittered pauses between them (well under a second
 * each at three attempts).
 */
export const awsCallBoundMs = awsMaxAttempts * awsRequestTimeoutMs + 2_000;

/**
 * The `requestHandler` option of an SDK client. The default credential chain hands the same
 * handler to the STS client it uses for IRSA (AssumeRoleWithWebIdentity), so those calls get
 * the same bounds; IMDS and the container endpoint have short timeouts of their own.
 */
export function boundedRequestHandler(requestTimeoutMs = awsRequestTimeoutMs): {
  connectionTimeout: number;
  requestTimeout: number;
  throwOnRequestTimeout: true;
} {
  // Without throwOnRequestTimeout, @smithy/node-http-handler only logs a warning at the timeout
  // and keeps waiting.
  return { connectionTimeout: awsConnectTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true };
}
