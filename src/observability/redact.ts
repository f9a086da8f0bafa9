// Every secret value we hold is registered here the moment it arrives, and every line we
// print passes through `scrub`: a token cannot reach a log line, an error or --dry-run output
// even through a code path nobody thought of.

const secrets = new Set<string>();
/** A controller refreshes for months: keep the newest values only (tokens live 12 h). */
const maxSecrets = 64;

function remember(value: string): void {
  secrets.delete(value);
  secrets.add(value);
  if (secrets.size > maxSecrets) secrets.delete(secrets.values().next().value as string);
}

/** Registers a secret and the encodings it travels in (base64 of itself). */
export function registerSecret(value: string): void {
  if (value.length < 8) return; // too short to be a credential; would scrub ordinary words
  remember(value);
  remember(Buffer.from(value, "utf8").toString("base64"));
}

/** A registry credential as it travels: the password, and `user:password` (base64 in `auth`). */
export function registerCredential(credential: { readonly username: string; readonly password: string }): void {
  registerSecret(credential.password);
  registerSecret(`${credential.username}:${credential.password}`);
}

export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.replaceAll(secret, "[REDACTED]");
  }
  return out;
}

/** Field names pino removes outright, wherever they appear. */
export const redactedPaths = [
  "password",
  "token",
  "auth",
  "authorizationToken",
  "dockerConfigJson",
  "data",
  "*.password",
  "*.token",
  "*.auth",
  "*.authorizationToken",
  "*.dockerConfigJson",
  "*.data",
];
