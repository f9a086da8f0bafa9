// promtool, from Debian's `prometheus` package: installed on demand when we are root, the way
// test/testenv/packages.ts installs the testenv's packages; otherwise one line says how.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const exec = promisify(execFile);

export const promtoolPath = "/usr/bin/promtool";

export const installHint = "promtool is missing; run: sudo apt-get install -y --no-install-recommends prometheus (Debian's package has promtool)";

let installing: Promise<string> | undefined;

/** The path of promtool, installing Debian's `prometheus` first when it is missing and we are root. */
export function ensurePromtool(log: (line: string) => void): Promise<string> {
  if (existsSync(promtoolPath)) return Promise.resolve(promtoolPath);
  if (process.getuid?.() !== 0) return Promise.reject(new Error(installHint));
  installing ??= install(log);
  return installing;
}

async function install(log: (line: string) => void): Promise<string> {
  log("monitoring: installing Debian package prometheus (for promtool)");
  // Without recommends: the node exporter is not wanted. Where no init system runs (containers,
  // CI) the package's service is not started.
  const options = { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, maxBuffer: 64 * 1024 * 1024 };
  try {
    await exec("apt-get", ["update", "-qq"], options);
    await exec("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "prometheus"], options);
  } catch (error) {
    const last = String((error as { stderr?: string }).stderr ?? "")
      .trim()
      .split("\n")
      .at(-1);
    throw new Error(`apt-get install prometheus failed: ${last}; ${installHint}`, { cause: error });
  }
  if (!existsSync(promtoolPath)) throw new Error(`the prometheus package did not install ${promtoolPath}; ${installHint}`);
  return promtoolPath;
}
