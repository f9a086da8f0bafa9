// What the user typed to start us, for help and usage lines. Installed with npm, the package
// gives two commands for the same file: `ecr-public-creds-helper`, and `kubectl-ecr_public`,
// which kubectl runs for `kubectl ecr-public …` (a dash in the command is an underscore in the
// file name). Node keeps the link's own path in process.argv[1], so its name tells us which.
import { basename } from "node:path";

export const commandName = "ecr-public-creds-helper";

/** `kubectl ecr-public` when started through the kubectl plugin link, else the command name. */
export function programName(scriptPath: string | undefined): string {
  const file = basename(scriptPath ?? "");
  const plugin = /^kubectl-([^.]+)$/.exec(file)?.[1];
  return plugin ? `kubectl ${plugin.replaceAll("_", "-")}` : commandName;
}
