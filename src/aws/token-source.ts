// One small interface for "get registry credentials", so sync and the controller do not care
// whether they come from ECR Public, private ECR, or both.
import type { RegistryToken } from "../domain/types.ts";
import { mergeTokens } from "../domain/token.ts";

export interface TokenSource {
  /** Registry hosts this source yields credentials for, known before any call. */
  readonly registries: readonly string[];
  /**
   * One token, or a TokenUnavailableError. The call is bounded on its own (connect and request
   * timeouts, a few SDK retries: ./bounds.ts); `signal` lets a caller with a tighter deadline
   * end it sooner, which rejects it with reason "timeout".
   */
  fetchToken(signal?: AbortSignal): Promise<RegistryToken>;
}

/** Why a token could not be had; the message is one line for the user and holds no secret. */
export class TokenUnavailableError extends Error {
  override readonly name = "TokenUnavailableError";
  readonly reason: TokenFailureReason;
  constructor(message: string, reason: TokenFailureReason, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

export const TokenFailureReason = {
  noCredentials: "no-credentials",
  denied: "denied",
  throttled: "throttled",
  serverError: "server-error",
  network: "network",
  /** No answer in time: the SDK's request timeout, or the caller's signal. */
  timeout: "timeout",
  malformed: "malformed",
  other: "other",
} as const;
export type TokenFailureReason = (typeof TokenFailureReason)[keyof typeof TokenFailureReason];

/** Asks every source (once each, in parallel) and merges: earliest expiry wins. */
export function combineTokenSources(sources: readonly TokenSource[]): TokenSource {
  return {
    registries: sources.flatMap((source) => source.registries).sort(),
    async fetchToken(signal?: AbortSignal): Promise<RegistryToken> {
      return mergeTokens(await Promise.all(sources.map((source) => source.fetchToken(signal))));
    },
  };
}
