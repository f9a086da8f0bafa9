// Every secret value we hold is registered here the moment it arrives, and every line we
// print passes through `scrub`: a token cannot reach a log line, an error or --dry-run output
// even through a code path nobody thought of.

const secrets = new Set<string>();

/** Registers a secret and the encodings it travels in (base64 of itself). */
export function registerSecret(value: string): void {
  if (value.length < 8) return; // too short to be a credential; would scrub ordinary words
  secrets.add(value);
  secrets.add(Buffer.from(value, "utf8").toString("base64"));
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
