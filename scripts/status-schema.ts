// docs/status.schema.json, the JSON Schema of `status -o json|yaml`, made from the one zod
// definition of the document (src/domain/status-document.ts), so the two cannot drift apart.
//
//   node scripts/status-schema.ts           rewrite docs/status.schema.json
//   node scripts/status-schema.ts --check   exit 1 when the committed file is not the one made now
//
// test/commands/status-output.test.ts runs the check inside npm test.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { statusJsonSchema } from "../src/domain/status-document.ts";

export const schemaPath = join(import.meta.dirname, "..", "docs", "status.schema.json");

/** Writes the schema, then lets Biome lay it out as `npm run lint` wants it. */
export function writeSchema(): void {
  writeFileSync(schemaPath, `${JSON.stringify(statusJsonSchema(), null, 2)}\n`);
  const biome = join(import.meta.dirname, "..", "node_modules", ".bin", "biome");
  const formatted = spawnSync(biome, ["format", "--write", schemaPath], { stdio: "inherit" });
  if (formatted.status !== 0) throw new Error("biome format failed on docs/status.schema.json");
}

/** Whether the committed file holds the schema made now (compared as JSON, not as text). */
export function schemaIsCurrent(): boolean {
  return isDeepStrictEqual(JSON.parse(readFileSync(schemaPath, "utf8")), statusJsonSchema());
}

if (import.meta.main) {
  if (process.argv.includes("--check")) {
    if (!schemaIsCurrent()) {
      console.error("docs/status.schema.json is stale: run node scripts/status-schema.ts");
      process.exitCode = 1;
    }
  } else {
    writeSchema();
    console.log(`wrote ${schemaPath}`);
  }
}
