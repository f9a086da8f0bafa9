// promtool, from Debian's `prometheus` package, which the testenv installs with its other
// packages (test/testenv/packages.ts) when running as root; otherwise one line says how.
import { existsSync } from "node:fs";
import { ensureDebianPackages } from "../testenv/packages.ts";

export const promtoolPath = "/usr/bin/promtool";

export const installHint = "promtool is missing; run: sudo apt-get install -y --no-install-recommends prometheus (Debian's package has promtool)";

/** The path of promtool, installing the testenv's Debian packages first when it is missing and we are root. */
export async function ensurePromtool(log: (line: string) => void): Promise<string> {
  if (existsSync(promtoolPath)) return promtoolPath;
  if (process.getuid?.() !== 0) throw new Error(installHint);
  await ensureDebianPackages(log);
  if (!existsSync(promtoolPath)) throw new Error(`the prometheus package did not install ${promtoolPath}; ${installHint}`);
  return promtoolPath;
}
