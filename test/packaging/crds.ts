// Third-party CRDs for the server-side validation of what we ship: the files come from the
// project's Go module (the Go module proxy, checked against the checksum database; no other
// network), and are installed into the testenv so the API server validates custom objects
// against their real schemas.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubectl, run } from "./support.ts";

export interface GoModule {
  readonly module: string;
  readonly version: string;
}

/** The unpacked module zip (Go's module cache keeps it, so this downloads once). */
export async function goModuleDir({ module, version }: GoModule): Promise<string> {
  // Outside any module, so nothing here is a build: the zip is only downloaded and unpacked.
  const scratch = await mkdtemp(join(tmpdir(), "ecr-go-module-"));
  const result = await run("go", ["mod", "download", "-json", `${module}@${version}`], { cwd: scratch, env: { ...process.env, GOFLAGS: "-mod=mod" } });
  const info = JSON.parse(result.stdout || "{}") as { Dir?: string; Error?: string };
  if (result.code !== 0 || !info.Dir) throw new Error(`go mod download ${module}@${version} failed: ${info.Error ?? result.stderr.trim()}`);
  return info.Dir;
}

/** Applies CRD files and waits until the API server serves each (named `crd/<plural>.<group>`). */
export async function installCrds(files: readonly string[], names: readonly string[]): Promise<void> {
  // Server-side: CRDs are too large for the last-applied annotation; idempotent on a shared testenv.
  const applied = await kubectl(["apply", "--server-side", "--force-conflicts", ...files.flatMap((f) => ["-f", f])]);
  if (applied.code !== 0) throw new Error(`applying ${files.join(", ")}: ${applied.stderr.trim()}`);
  const established = await kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]);
  if (established.code !== 0) throw new Error(`${names.join(", ")} not established: ${established.stderr.trim()}`);
}

/** The cert-manager release whose CRDs validate the Certificate (and Issuer) we render and document. */
export const certManager = { module: "github.com/cert-manager/cert-manager", version: "v1.21.2" } as const;

/** Installs cert-manager's Certificate and Issuer CRDs (deploy/crds of the release's module). */
export async function installCertManagerCrds(): Promise<void> {
  const crds = join(await goModuleDir(certManager), "deploy", "crds");
  await installCrds(
    ["cert-manager.io_certificates.yaml", "cert-manager.io_issuers.yaml", "cert-manager.io_clusterissuers.yaml"].map((f) => join(crds, f)),
    ["crd/certificates.cert-manager.io", "crd/issuers.cert-manager.io", "crd/clusterissuers.cert-manager.io"],
  );
}
