// One small interface for "get registry credentials", so sync and the controller do not care
// whether they come from ECR Public, private ECR, or both.
import type { RegistryToken } from "../domain/types.ts";
import { mergeTokens } from "../domain/token.ts";

export interface TokenSource {
  /** Registry hosts this source yields credentials for, known before any call. */
  readonly registries: readonly string[];
  fetchToken(): Promise<RegistryToken>;
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
  malformed: "malformed",
  other: "other",
} as const;
export type TokenFailureReason = (typeof TokenFailureReason)[keyof typeof TokenFailureReason];

/** Asks every source (once each, in parallel) and merges: earliest expiry wins. */
export function combineTokenSources(sources: readonly TokenSource[]): TokenSource {
  return {
    registries: sources.flatMap((source) => source.registries).sort(),
    async fetchToken(): Promise<RegistryToken> {
      return mergeTokens(await Promise.all(sources.map((source) => source.fetchToken())));
    },
  };
}
