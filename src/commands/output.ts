// kubectl's -o json and -o yaml for the documents `status` and `doctor` print: the same
// document either way, keys in the order the document gives them, ending with a newline.
// Not client-node's dumpYaml: it serializes a document with apiVersion/kind as a Kubernetes
// object, so a `metadata` of our own (StatusReport's) came out as `metadata: {}`.
import { dump } from "js-yaml";
import type { OutputFormat } from "../config.ts";

/** The document as JSON or YAML; undefined for the table formats, which each command renders itself. */
export function renderDocument(format: OutputFormat, document: unknown): string | undefined {
  if (format === "json") return `${JSON.stringify(document, null, 2)}\n`;
  if (format === "yaml") return dump(document, { noRefs: true });
  return undefined;
}
