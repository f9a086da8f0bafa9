// How the image starts the CLI: the Dockerfile final stage's ENV lines and the Node flags
// between "node" and the script in its ENTRYPOINT. The CLI runner, the controller harness and
// the benchmark all start dist/cli.js this way, so what is tested and measured is what the
// image runs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { argsOf, parseDockerfile, stage } from "../packaging/dockerfile.ts";
import { repoRoot } from "../testenv/paths.ts";

export interface ImageRuntime {
  readonly nodeFlags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

let cached: ImageRuntime | undefined;

export function imageRuntime(): ImageRuntime {
  if (cached) return cached;
  const final = stage(parseDockerfile(readFileSync(join(repoRoot, "Dockerfile"), "utf8")), undefined);
  const entrypoint = JSON.parse(argsOf(final, "ENTRYPOINT")[0] ?? "[]") as string[];
  if (entrypoint[0] !== "node" || entrypoint.at(-1) !== "/app/dist/cli.js") {
    throw new Error(`the Dockerfile's ENTRYPOINT is ${JSON.stringify(entrypoint)}; expected ["node", ...flags, "/app/dist/cli.js"]`);
  }
  const env: Record<string, string> = {};
  for (const line of argsOf(final, "ENV")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) throw new Error(`the Dockerfile has ENV ${line}; only one KEY=value per ENV line is understood here`);
    env[match[1]] = match[2];
  }
  cached = { nodeFlags: entrypoint.slice(1, -1), env };
  return cached;
}
