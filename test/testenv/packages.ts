// The Debian packages the tests drive for real. Installed on demand when we are root (CI and
// a fresh machine of this kind run as root); otherwise one line says what to install.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Debian package -> a file it installs, to tell whether it is there. */
const required = {
  openssl: "/usr/bin/openssl",
  awscli: "/usr/bin/aws",
  "docker-registry": "/usr/bin/docker-registry",
  skopeo: "/usr/bin/skopeo",
  "apache2-utils": "/usr/bin/htpasswd",
  // promtool checks the shipped alert rules; Debian's package has no other way to get it.
  prometheus: "/usr/bin/promtool",
  // actionlint checks the workflows' run: scripts with it.
  shellcheck: "/usr/bin/shellcheck",
  // docs/install.md's Roles Anywhere commands read AWS's JSON answers with it, and its test runs them as written.
  jq: "/usr/bin/jq",
} as const;

export function missingPackages(): string[] {
  return Object.entries(required)
    .filter(([, file]) => !existsSync(file))
    .map(([pkg]) => pkg);
}

export async function ensureDebianPackages(log: (line: string) => void): Promise<void> {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages; run: sudo apt-get install -y ${missing.join(" ")}`);
  }
  log(`testenv: installing Debian packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const opts = { env, maxBuffer: 64 * 1024 * 1024 };
  try {
    await run("apt-get", ["update", "-qq"], opts);
    await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], opts);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "")
      .trim()
      .split("\n")
      .at(-1);
    throw new Error(`apt-get install ${missing.join(" ")} failed: ${stderr}`, { cause: error });
  }
  const still = missingPackages();
  if (still.length > 0) throw new Error(`Debian packages still missing after install: ${still.join(" ")}`);
}
