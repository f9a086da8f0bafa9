// The token source a configuration asks for: ECR Public (under its dual-stack name too, if
// asked), plus private ECR registries if named.
import type { Config } from "../config.ts";
import { ecrPrivateTokenSource } from "../aws/ecr-private.ts";
import { ecrPublicTokenSource } from "../aws/ecr-public.ts";
import { combineTokenSources, type TokenSource } from "../aws/token-source.ts";

export function tokenSourceFor(config: Config): TokenSource {
  const sources = [ecrPublicTokenSource({ dualStack: config.ecrPublicDualStack })];
  if (config.ecrRegistries.length > 0) sources.push(ecrPrivateTokenSource(config.ecrRegistries));
  return sources.length === 1 ? (sources[0] as TokenSource) : combineTokenSources(sources);
}
