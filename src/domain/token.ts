// Checks an authorization token from ECR Public or ECR before anything is written with it.
// Error messages describe what is wrong with the token, never its content.
import type { RegistryCredential, RegistryToken } from "./types.ts";

export class MalformedTokenError extends Error {
  override readonly name = "MalformedTokenError";
}

const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes `base64(username:password)` as returned by GetAuthorizationToken into a credential
 * for `server`. Throws MalformedTokenError for anything a registry would refuse.
 */
export function parseAuthorizationToken(token: string | undefined, server: string): RegistryCredential {
  if (token === undefined || token.length === 0) {
    throw new MalformedTokenError(`the token for ${server} is empty`);
  }
  if (token.length % 4 !== 0 || !base64Pattern.test(token)) {
    throw new MalformedTokenError(`the token for ${server} is not base64`);
  }
  const decoded = Buffer.from(token, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) {
    throw new MalformedTokenError(`the token for ${server} has no "user:password" separator`);
  }
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (username.length === 0) throw new MalformedTokenError(`the token for ${server} has an empty user name`);
  if (password.length === 0) throw new MalformedTokenError(`the token for ${server} has an empty password`);
  return { server, username, password };
}

/** A token that is already expired (or has no expiry) must not be written. */
export function checkExpiry(expiresAt: Date | undefined, now: Date, server: string): Date {
  if (expiresAt === undefined || Number.isNaN(expiresAt.getTime())) {
    throw new MalformedTokenError(`the token for ${server} has no expiry time`);
  }
  if (expiresAt.getTime() <= now.getTime()) {
    throw new MalformedTokenError(`the token for ${server} expired at ${expiresAt.toISOString()}; check the clock of this machine`);
  }
  return expiresAt;
}

/** Several tokens as one: every credential, valid until the first of them expires. */
export function mergeTokens(tokens: readonly RegistryToken[]): RegistryToken {
  return {
    credentials: tokens.flatMap((token) => token.credentials),
    expiresAt: new Date(Math.min(...tokens.map((token) => token.expiresAt.getTime()))),
  };
}
