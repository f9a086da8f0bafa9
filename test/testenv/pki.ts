// A throwaway PKI for the test control plane, made with the openssl CLI: a CA, the API
// server's serving certificate, client certificates for an admin (system:masters) and an
// unprivileged user, and the service-account signing key pair.
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  readonly caCert: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly saPublicKey: string;
  readonly saPrivateKey: string;
  readonly admin: ClientCert;
  readonly user: ClientCert;
}

export interface ClientCert {
  readonly cert: string;
  readonly key: string;
}

export const users = {
  admin: { name: "testenv-admin", group: "system:masters" },
  user: { name: "testenv-user", group: "testenv:unprivileged" },
} as const;

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run("openssl", [...args]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim().split("\n").at(-1) ?? ""}`, { cause: error });
  }
}

async function keyPair(dir: string, name: string): Promise<string> {
  const key = join(dir, `${name}.key`);
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  return key;
}

async function signedCert(dir: string, name: string, subject: string, extensions: string): Promise<ClientCert> {
  const key = await keyPair(dir, name);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-days",
    "30",
    "-extfile",
    ext,
    "-out",
    cert,
  ]);
  return { cert, key };
}

export async function createPki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const caKey = await keyPair(dir, "ca");
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    caKey,
    "-subj",
    "/CN=ecr-public-creds-helper-testenv-ca",
    "-days",
    "30",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    join(dir, "ca.crt"),
  ]);
  const serving = await signedCert(
    dir,
    "apiserver",
    "/CN=kube-apiserver",
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n",
  );
  const clientExt = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n";
  const admin = await signedCert(dir, "admin", `/O=${users.admin.group}/CN=${users.admin.name}`, clientExt);
  const user = await signedCert(dir, "user", `/O=${users.user.group}/CN=${users.user.name}`, clientExt);
  const saPrivateKey = await keyPair(dir, "sa");
  const saPublicKey = join(dir, "sa.pub");
  await openssl(["pkey", "-in", saPrivateKey, "-pubout", "-out", saPublicKey]);
  return {
    caCert: join(dir, "ca.crt"),
    servingCert: serving.cert,
    servingKey: serving.key,
    saPublicKey,
    saPrivateKey,
    admin,
    user,
  };
}

export async function base64File(path: string): Promise<string> {
  return (await readFile(path)).toString("base64");
}
