// What a test needs to reach the running test environment: the variables from .testenv/env
// and an admin Kubernetes client.
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { statePaths } from "../testenv/paths.ts";

export type TestenvVars = Readonly<Record<string, string>>;

export function testenvVars(): TestenvVars {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(statePaths.env, "utf8").split("\n")) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const raw = match[2];
    vars[match[1]] = raw.startsWith("'") ? raw.slice(1, -1).replaceAll("'\\''", "'") : raw;
  }
  return vars;
}

export function var_(vars: TestenvVars, name: string): string {
  const value = vars[name];
  if (value === undefined) throw new Error(`.testenv/env has no ${name}; is the testenv up?`);
  return value;
}

export function kubeConfig(path = statePaths.kubeconfig): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function adminClients(): { core: k8s.CoreV1Api; rbac: k8s.RbacAuthorizationV1Api; kc: k8s.KubeConfig } {
  const kc = kubeConfig();
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api) };
}
