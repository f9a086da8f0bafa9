// IAM Roles Anywhere as the AWS identity of the SDK clients: a credential provider that trades
// the certificate for session credentials with CreateSession, signed here
// (./roles-anywhere-signing.ts; why not the AWS signing helper: docs/adr/0009). The certificate
// and key are read afresh at every refresh, so one rotated on disk (cert-manager renewing a
// Secret) is used at the next refresh without a restart; between refreshes the session
// credentials are served from memory until shortly before they expire, on the injected clock.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { RolesAnywhereSettings } from "../domain/roles-anywhere.ts";
import { registerSecret } from "../observability/redact.ts";
import { backoffDelay } from "../util/backoff.ts";
import { systemClock, type Clock } from "../util/clock.ts";
import { awsMaxAttempts, awsRequestTimeoutMs, type AwsCallOptions } from "./bounds.ts";
import type { CertificateFacts } from "../domain/certificate-expiry.ts";
import { CertificateProblem, certificateFacts, loadCertificateIdentity, type CertificateIdentity } from "./roles-anywhere-certificate.ts";
import { signCreateSession } from "./roles-anywhere-signing.ts";
import { TokenFailureReason, TokenUnavailableError } from "./token-source.ts";

/** Session credentials are renewed this long before they expire (the SDK's own margin). */
export const sessionRefreshMarginMs = 5 * 60_000;

const maxResponseBytes = 1024 * 1024;

export interface RolesAnywhereOptions extends AwsCallOptions {
  /** Decides when cached credentials are stale and whether the certificate is valid; systemClock when not given. */
  readonly clock?: Clock;
  /** Told the public facts of each certificate read for a refresh (the controller's expiry metric and Event). */
  readonly onCertificate?: (facts: CertificateFacts) => void;
}

export interface RolesAnywhereSession extends AwsCredentialIdentity {
  readonly expiration: Date;
}

/**
 * The SDK clients' `credentials`. Concurrent calls share one CreateSession. A failure is a
 * TokenUnavailableError whose one line holds no key material and no credential.
 */
export function rolesAnywhereCredentials(settings: RolesAnywhereSettings, options: RolesAnywhereOptions = {}): AwsCredentialIdentityProvider {
  const clock = options.clock ?? systemClock;
  let cached: RolesAnywhereSession | undefined;
  let inFlight: Promise<RolesAnywhereSession> | undefined;
  return async () => {
    if (cached && clock.now() < cached.expiration.getTime() - sessionRefreshMarginMs) return cached;
    inFlight ??= createSession(settings, options, clock)
      .then((session) => {
        cached = session;
        return session;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

function what(settings: RolesAnywhereSettings): string {
  return `IAM Roles Anywhere CreateSession (${settings.region})`;
}

async function createSession(settings: RolesAnywhereSettings, options: RolesAnywhereOptions, clock: Clock): Promise<RolesAnywhereSession> {
  let identity: CertificateIdentity;
  try {
    identity = await loadCertificateIdentity(settings, new Date(clock.now()));
  } catch (error) {
    if (error instanceof CertificateProblem) {
      throw new TokenUnavailableError(`IAM Roles Anywhere: ${error.message}`, TokenFailureReason.noCredentials, { cause: error });
    }
    throw error;
  }
  options.onCertificate?.(certificateFacts(settings.certificateFile, identity.certificate));
  const maxAttempts = options.maxAttempts ?? awsMaxAttempts;
  const timeoutMs = options.requestTimeoutMs ?? awsRequestTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await createSessionOnce(settings, identity, timeoutMs, clock);
    } catch (error) {
      const failure = describeFailure(error, settings, timeoutMs);
      if (!retryable.has(failure.reason) || attempt >= maxAttempts) {
        if (attempt > 1) throw new TokenUnavailableError(`${failure.message} after ${attempt} attempts`, failure.reason, { cause: error });
        throw failure;
      }
      await clock.sleep(backoffDelay(attempt, { baseMs: 200, capMs: 2_000 }, () => clock.random()));
    }
  }
}

const retryable = new Set<TokenFailureReason>([
  TokenFailureReason.network,
  TokenFailureReason.timeout,
  TokenFailureReason.serverError,
  TokenFailureReason.throttled,
]);

async function createSessionOnce(
  settings: RolesAnywhereSettings,
  identity: CertificateIdentity,
  timeoutMs: number,
  clock: Clock,
): Promise<RolesAnywhereSession> {
  const url = new URL(`${settings.endpoint.replace(/\/+$/, "")}/sessions`);
  const body = JSON.stringify({
    durationSeconds: settings.sessionDurationSeconds,
    profileArn: settings.profileArn,
    roleArn: settings.roleArn,
    trustAnchorArn: settings.trustAnchorArn,
  });
  const signed = signCreateSession({
    url,
    body,
    certificate: identity.certificate.raw,
    chain: identity.chain.map((certificate) => certificate.raw),
    serialNumberHex: identity.certificate.serialNumber,
    privateKey: identity.privateKey,
    region: settings.region,
    date: new Date(clock.now()),
  });
  const response = await post(url, signed.headers, body, timeoutMs, clock);
  if (response.status < 200 || response.status >= 300) throw new CreateSessionRefused(response);
  return sessionFrom(response.text);
}

/** The first credentials of credentialSet, as the SDK wants them; anything else is malformed. */
function sessionFrom(text: string): RolesAnywhereSession {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedAnswer("the answer is not JSON");
  }
  const credentials = (parsed as { credentialSet?: Array<{ credentials?: Record<string, unknown> }> }).credentialSet?.[0]?.credentials;
  const field = (name: string): string => {
    const value = credentials?.[name];
    if (typeof value !== "string" || value === "") throw new MalformedAnswer(`credentialSet[0].credentials.${name} is missing`);
    return value;
  };
  const expiration = new Date(field("expiration"));
  if (Number.isNaN(expiration.getTime())) throw new MalformedAnswer("credentialSet[0].credentials.expiration is not a date");
  const session = {
    accessKeyId: field("accessKeyId"),
    secretAccessKey: field("secretAccessKey"),
    sessionToken: field("sessionToken"),
    expiration,
  };
  registerSecret(session.secretAccessKey);
  registerSecret(session.sessionToken);
  return session;
}

class MalformedAnswer extends Error {
  override readonly name = "MalformedAnswer";
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

class CreateSessionRefused extends Error {
  override readonly name = "CreateSessionRefused";
  readonly status: number;
  readonly code: string;
  readonly serverMessage: string;
  constructor(answer: Answer) {
    let json: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
    try {
      json = JSON.parse(answer.text) as typeof json;
    } catch {
      // An answer without a JSON body (a proxy's HTML page) is named by its status alone.
    }
    const header = answer.headers["x-amzn-errortype"];
    // restJson error codes may carry a namespace or a ":"-suffix: keep the bare name.
    const raw = String((Array.isArray(header) ? header[0] : header) ?? json.__type ?? json.code ?? `HTTP ${answer.status}`);
    const code = raw.split(":")[0]?.split("#").pop() ?? raw;
    const message = String(json.message ?? json.Message ?? "");
    super(`${code}: ${message}`);
    this.status = answer.status;
    this.code = code;
    this.serverMessage = message.replace(/\s+/g, " ").trim().slice(0, 200);
  }
}

class RequestTimedOut extends Error {
  override readonly name = "RequestTimedOut";
}

/** One POST, its whole exchange (connect, headers, body) within `timeoutMs` on the clock. */
function post(url: URL, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number, clock: Clock): Promise<Answer> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const deadline = new AbortController();
    const timer = clock.schedule(timeoutMs, () => deadline.abort(new RequestTimedOut()));
    const fail = (error: unknown): void => {
      timer.cancel();
      reject(deadline.signal.aborted ? deadline.signal.reason : error);
    };
    const req = request(url, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, signal: deadline.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) res.destroy(new MalformedAnswer("the answer is larger than 1 MiB"));
        else chunks.push(chunk);
      });
      res.on("error", fail);
      res.on("end", () => {
        timer.cancel();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", fail);
    req.end(body);
  });
}

/** One line for a failed attempt, with the reason the token keeper and metrics count. */
function describeFailure(error: unknown, settings: RolesAnywhereSettings, timeoutMs: number): TokenUnavailableError {
  const call = what(settings);
  if (error instanceof TokenUnavailableError) return error;
  if (error instanceof RequestTimedOut) {
    return new TokenUnavailableError(
      `${call} got no answer from ${settings.endpoint} within ${timeoutMs < 1_000 ? `${timeoutMs}ms` : `${timeoutMs / 1000}s`}`,
      TokenFailureReason.timeout,
      {
        cause: error,
      },
    );
  }
  if (error instanceof MalformedAnswer) {
    return new TokenUnavailableError(`${call} returned an unusable answer: ${error.message}`, TokenFailureReason.malformed, { cause: error });
  }
  if (error instanceof CreateSessionRefused) return describeRefusal(error, settings);
  const code = (error as { code?: unknown }).code;
  return new TokenUnavailableError(
    `cannot reach ${settings.endpoint} for ${call} (${typeof code === "string" ? code : String(error)})`,
    TokenFailureReason.network,
    {
      cause: error,
    },
  );
}

function describeRefusal(refusal: CreateSessionRefused, settings: RolesAnywhereSettings): TokenUnavailableError {
  const call = what(settings);
  const said = refusal.serverMessage ? `${refusal.code}: ${refusal.serverMessage}` : refusal.code;
  if (refusal.status === 429 || /Throttl|TooManyRequests/i.test(refusal.code)) {
    return new TokenUnavailableError(`${call} was throttled (${said}); try again later`, TokenFailureReason.throttled, { cause: refusal });
  }
  if (refusal.status >= 500) {
    return new TokenUnavailableError(`${call} failed on the AWS side (${said}); try again later`, TokenFailureReason.serverError, { cause: refusal });
  }
  if (/untrusted/i.test(refusal.serverMessage)) {
    return new TokenUnavailableError(
      `${call} was denied (${said}): the certificate in ${settings.certificateFile} is not issued by the CA of trust anchor ${settings.trustAnchorArn} (put any intermediate after the certificate in the file)`,
      TokenFailureReason.denied,
      { cause: refusal },
    );
  }
  if (refusal.status === 403 || /AccessDenied/i.test(refusal.code)) {
    return new TokenUnavailableError(
      `${call} was denied (${said}); check that the profile names ${settings.roleArn}, that profile and trust anchor are enabled, and that the role's trust policy lets rolesanywhere.amazonaws.com call sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity`,
      TokenFailureReason.denied,
      { cause: refusal },
    );
  }
  if (refusal.status === 404 || /NotFound/i.test(refusal.code)) {
    return new TokenUnavailableError(
      `${call} was refused (${said}): check --roles-anywhere-trust-anchor-arn and --roles-anywhere-profile-arn`,
      TokenFailureReason.denied,
      {
        cause: refusal,
      },
    );
  }
  return new TokenUnavailableError(`${call} was refused (${said})`, TokenFailureReason.other, { cause: refusal });
}
