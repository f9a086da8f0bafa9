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
/**
 * The SDK's own retries (throttling, 5xx, timeouts) included: three attempts in all, so one
 * token request, once credentials are in hand, ends within about 26 s (three attempts at their
 * timeout and the SDK's short pauses), inside the token keeper's 30 s per attempt.
 */
export const awsMaxAttempts = 3;

/** What a test may shorten. */
export interface AwsCallOptions {
  /** Attempts per token request, the SDK's retries included; default awsMaxAttempts. */
  readonly maxAttempts?: number;
  /** How long one attempt may take; default awsRequestTimeoutMs. */
  readonly requestTimeoutMs?: number;
}

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
