// The token source a configuration asks for: ECR Public (under its dual-stack name too, if
// asked), plus private ECR registries if named; with IAM Roles Anywhere's certificate as the
// AWS identity when configured, else the SDK's default chain.
import type { Config } from "../config.ts";
import { ecrPrivateTokenSource } from "../aws/ecr-private.ts";
import { ecrPublicTokenSource } from "../aws/ecr-public.ts";
import { rolesAnywhereCredentials, type RolesAnywhereOptions } from "../aws/roles-anywhere.ts";
import { combineTokenSources, type TokenSource } from "../aws/token-source.ts";

/** `rolesAnywhere`: the provider's clock and its onCertificate (run watches the certificate's expiry). */
export function tokenSourceFor(config: Config, rolesAnywhere: RolesAnywhereOptions = {}): TokenSource {
  // One provider for both clients: one CreateSession serves ECR Public and private ECR.
  const credentials = config.rolesAnywhere ? rolesAnywhereCredentials(config.rolesAnywhere, rolesAnywhere) : undefined;
  const sources = [ecrPublicTokenSource({ dualStack: config.ecrPublicDualStack, credentials })];
  if (config.ecrRegistries.length > 0) sources.push(ecrPrivateTokenSource(config.ecrRegistries, { credentials }));
  return sources.length === 1 ? (sources[0] as TokenSource) : combineTokenSources(sources);
}
