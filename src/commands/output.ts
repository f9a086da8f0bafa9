// kubectl's -o json and -o yaml for the documents `status` and `doctor` print: the same
// document either way, keys in the order the document gives them, ending with a newline.
import { dumpYaml } from "@kubernetes/client-node";
import type { OutputFormat } from "../config.ts";

/** The document as JSON or YAML; undefined for the table formats, which each command renders itself. */
export function renderDocument(format: OutputFormat, document: unknown): string | undefined {
  if (format === "json") return `${JSON.stringify(document, null, 2)}\n`;
  if (format === "yaml") return dumpYaml(document);
  return undefined;
}
