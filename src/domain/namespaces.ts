// Which namespaces get the pull secret. Names, globs, --all-namespaces, --exclude, a label
// selector and an opt-out annotation combine here, as one pure decision.
import { matchesGlob } from "node:path";
import { matchesLabels, type LabelSelector } from "./label-selector.ts";
import type { NamespaceInfo } from "./types.ts";

/** Set this annotation to "true" on a namespace to keep the helper out of it. */
export const optOutAnnotation = "ecr-public-creds-helper/ignore";

export interface NamespaceSelection {
  /** Names or globs; empty together with `all` false selects nothing. */
  readonly include: readonly string[];
  readonly all: boolean;
  readonly exclude: readonly string[];
  readonly labelSelector: LabelSelector;
}

export interface SelectedNamespaces {
  /** Selected and able to hold the secret, sorted. */
  readonly selected: readonly string[];
  /** Selected but being deleted: skipped with a warning. */
  readonly terminating: readonly string[];
  /** Named explicitly (not by a glob) but absent from the cluster. */
  readonly missing: readonly string[];
  /** Matched but opted out by annotation. */
  readonly optedOut: readonly string[];
}

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const globPattern = /^[-a-z0-9*?[\]!]+$/;

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Why a name or glob is not acceptable, or undefined when it is fine. */
export function namespacePatternProblem(pattern: string): string | undefined {
  if (isGlob(pattern)) {
    return globPattern.test(pattern) ? undefined : `"${pattern}" is not a valid namespace glob`;
  }
  if (pattern.length > 63 || !namePattern.test(pattern)) {
    return `"${pattern}" is not a valid namespace name (lower-case letters, digits and '-', at most 63)`;
  }
  return undefined;
}

function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (isGlob(pattern) ? matchesGlob(name, pattern) : name === pattern));
}

/** Whether one namespace is served, as the controller asks it on every namespace event. */
export function isSelected(ns: NamespaceInfo, selection: NamespaceSelection): boolean {
  return (
    (selection.all || matchesAny(ns.name, selection.include)) &&
    !matchesAny(ns.name, selection.exclude) &&
    matchesLabels(selection.labelSelector, ns.labels) &&
    ns.annotations[optOutAnnotation] !== "true"
  );
}

export function selectNamespaces(namespaces: readonly NamespaceInfo[], selection: NamespaceSelection): SelectedNamespaces {
  const selected: string[] = [];
  const terminating: string[] = [];
  const optedOut: string[] = [];
  for (const ns of namespaces) {
    if (!isSelected(ns, selection)) {
      const optOutOnly = isSelected({ ...ns, annotations: {} }, selection);
      if (optOutOnly) optedOut.push(ns.name);
      continue;
    }
    (ns.terminating ? terminating : selected).push(ns.name);
  }
  const present = new Set(namespaces.map((ns) => ns.name));
  const missing = selection.include.filter((pattern) => !isGlob(pattern) && !present.has(pattern) && !matchesAny(pattern, selection.exclude));
  return {
    selected: selected.sort(),
    terminating: terminating.sort(),
    missing: [...new Set(missing)].sort(),
    optedOut: optedOut.sort(),
  };
}
