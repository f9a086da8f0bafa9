// The --roles-anywhere-* flags -> RolesAnywhereSettings, or undefined when none is given (the
// SDK's default chain is the identity then). All or nothing: a certificate without its role
// would silently fall back to whatever else the environment holds, so a partial set is refused.
import { z } from "zod";
import { formatDuration, parseDuration } from "../domain/duration.ts";
import {
  arnShapes,
  parseRolesAnywhereArn,
  rolesAnywhereEndpoint,
  sessionDurationBounds,
  type RolesAnywhereArn,
  type RolesAnywhereArnKind,
  type RolesAnywhereSettings,
} from "../domain/roles-anywhere.ts";
import type { Env } from "./options.ts";

export const rolesAnywhereSchema = z.object({
  rolesAnywhereCertificate: z.string().optional(),
  rolesAnywherePrivateKey: z.string().optional(),
  rolesAnywhereTrustAnchorArn: z.string().optional(),
  rolesAnywhereProfileArn: z.string().optional(),
  rolesAnywhereRoleArn: z.string().optional(),
  rolesAnywhereSessionDuration: z.string().default("1h"),
});

export class RolesAnywhereConfigError extends Error {
  override readonly name = "RolesAnywhereConfigError";
}

type Raw = z.infer<typeof rolesAnywhereSchema>;

/** Each setting that must be given, with its flag and variable as the user would type them. */
const required = [
  { key: "rolesAnywhereCertificate", flag: "--roles-anywhere-certificate", env: "ROLES_ANYWHERE_CERTIFICATE" },
  { key: "rolesAnywherePrivateKey", flag: "--roles-anywhere-private-key", env: "ROLES_ANYWHERE_PRIVATE_KEY" },
  { key: "rolesAnywhereTrustAnchorArn", flag: "--roles-anywhere-trust-anchor-arn", env: "ROLES_ANYWHERE_TRUST_ANCHOR_ARN" },
  { key: "rolesAnywhereProfileArn", flag: "--roles-anywhere-profile-arn", env: "ROLES_ANYWHERE_PROFILE_ARN" },
  { key: "rolesAnywhereRoleArn", flag: "--roles-anywhere-role-arn", env: "ROLES_ANYWHERE_ROLE_ARN" },
] as const;

function arn(kind: RolesAnywhereArnKind, text: string, flag: string): RolesAnywhereArn {
  const parsed = parseRolesAnywhereArn(kind, text);
  if (!parsed) throw new RolesAnywhereConfigError(`${flag} "${text}" is not a ${kind} ARN (${arnShapes[kind]})`);
  return parsed;
}

/**
 * The settings, or undefined when no --roles-anywhere-* flag (or variable) is set.
 * `env` gives AWS_ENDPOINT_URL_ROLESANYWHERE (then AWS_ENDPOINT_URL), the SDKs' names for an
 * endpoint override.
 */
export function toRolesAnywhereSettings(raw: Raw, env: Env): RolesAnywhereSettings | undefined {
  const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== "";
  const present = required.filter((setting) => given(raw[setting.key]));
  if (present.length === 0) return undefined;
  const missing = required.filter((setting) => !given(raw[setting.key]));
  if (missing.length > 0) {
    const names = missing.map((setting) => `${setting.flag} (${setting.env})`).join(", ");
    throw new RolesAnywhereConfigError(`IAM Roles Anywhere needs all five settings; missing ${names}`);
  }
  const value = (key: (typeof required)[number]["key"]): string => (raw[key] ?? "").trim();
  const trustAnchor = arn("trust-anchor", value("rolesAnywhereTrustAnchorArn"), "--roles-anywhere-trust-anchor-arn");
  const profile = arn("profile", value("rolesAnywhereProfileArn"), "--roles-anywhere-profile-arn");
  const role = arn("role", value("rolesAnywhereRoleArn"), "--roles-anywhere-role-arn");
  // The signing helper refuses this too: CreateSession is sent to one region, the trust anchor's.
  if (profile.region !== trustAnchor.region || profile.partition !== trustAnchor.partition) {
    throw new RolesAnywhereConfigError(
      `--roles-anywhere-profile-arn is in ${profile.region}, the trust anchor in ${trustAnchor.region}: a profile works only in its trust anchor's region`,
    );
  }
  if (role.partition !== trustAnchor.partition) {
    throw new RolesAnywhereConfigError(`--roles-anywhere-role-arn is in partition ${role.partition}, the trust anchor in ${trustAnchor.partition}`);
  }
  return {
    certificateFile: value("rolesAnywhereCertificate"),
    privateKeyFile: value("rolesAnywherePrivateKey"),
    trustAnchorArn: value("rolesAnywhereTrustAnchorArn"),
    profileArn: value("rolesAnywhereProfileArn"),
    roleArn: value("rolesAnywhereRoleArn"),
    region: trustAnchor.region,
    sessionDurationSeconds: sessionSeconds(raw.rolesAnywhereSessionDuration),
    endpoint: endpointOverride(env) ?? rolesAnywhereEndpoint(trustAnchor),
  };
}

function sessionSeconds(text: string): number {
  const ms = parseDuration(text);
  const { minSeconds, maxSeconds } = sessionDurationBounds;
  if (ms === undefined || ms % 1000 !== 0 || ms < minSeconds * 1000 || ms > maxSeconds * 1000) {
    throw new RolesAnywhereConfigError(
      `--roles-anywhere-session-duration "${text}" must be whole seconds from ${formatDuration(minSeconds * 1000)} to ${formatDuration(maxSeconds * 1000)}, like 1h`,
    );
  }
  return ms / 1000;
}

function endpointOverride(env: Env): string | undefined {
  for (const name of ["AWS_ENDPOINT_URL_ROLESANYWHERE", "AWS_ENDPOINT_URL"]) {
    const text = env[name]?.trim();
    if (!text) continue;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new RolesAnywhereConfigError(`${name} "${text}" is not a URL`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new RolesAnywhereConfigError(`${name} "${text}" must be an http(s) URL`);
    return text.replace(/\/+$/, "");
  }
  return undefined;
}
