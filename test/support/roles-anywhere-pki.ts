// A throwaway PKI for IAM Roles Anywhere tests, made with the openssl CLI: a root CA (the trust
// anchor), intermediates, and end-entity certificates with RSA or EC keys in the formats
// cert-manager writes (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY", PKCS#8 "PRIVATE KEY"),
// with chosen serial numbers and validity dates (`openssl ca`, which takes -startdate/-enddate).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type KeyFormat = "pkcs1" | "sec1" | "pkcs8-rsa" | "pkcs8-ec";

export interface Issued {
  /** PEM file of the certificate alone. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Hex, upper case, as X509Certificate.serialNumber gives it. */
  readonly serial: string;
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run("openssl", [...args]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim().split("\n").at(-1) ?? ""}`, { cause: error });
  }
}

async function newKey(file: string, format: KeyFormat): Promise<void> {
  switch (format) {
    case "pkcs1":
      return openssl(["genrsa", "-traditional", "-out", file, "2048"]);
    case "sec1":
      return openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", file]);
    case "pkcs8-rsa":
      return openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", file]);
    case "pkcs8-ec":
      return openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file]);
  }
}

/** openssl's ASN.1 time: YYYYMMDDHHMMSSZ. */
function asn1Time(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

/** A positive serial whose first byte has neither the top bit (a DER sign byte) nor a zero nibble. */
function serialHex(bytes: number): string {
  const value = randomBytes(bytes);
  value[0] = ((value[0] ?? 0) & 0x7f) | 0x10;
  return value.toString("hex").toUpperCase();
}

const caExtensions = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const leafExtensions =
  "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

export class TestPki {
  readonly dir: string;
  #count = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A self-signed root CA: what a trust anchor holds. */
  async rootCa(name: string, format: KeyFormat = "sec1"): Promise<Issued> {
    await mkdir(this.dir, { recursive: true });
    const keyFile = join(this.dir, `${name}.key`);
    const certFile = join(this.dir, `${name}.crt`);
    await newKey(keyFile, format);
    const serial = serialHex(8);
    await openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      keyFile,
      "-subj",
      `/O=ecr-public-creds-helper tests/CN=${name}`,
      "-days",
      "3650",
      "-set_serial",
      `0x${serial}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      certFile,
    ]);
    return { certFile, keyFile, certPem: await readFile(certFile, "utf8"), keyPem: await readFile(keyFile, "utf8"), serial };
  }

  /**
   * A certificate signed by `issuer`: an intermediate CA with `ca`, else a client certificate.
   * Valid from `notBefore` (default an hour ago) to `notAfter` (default 30 days on).
   */
  async issue(
    name: string,
    issuer: Issued,
    options: { format?: KeyFormat; ca?: boolean; notBefore?: Date; notAfter?: Date; serial?: string; subject?: string } = {},
  ): Promise<Issued> {
    const n = ++this.#count;
    const base = join(this.dir, `${name}-${n}`);
    const keyFile = `${base}.key`;
    await newKey(keyFile, options.format ?? (options.ca ? "sec1" : "pkcs1"));
    await openssl(["req", "-new", "-key", keyFile, "-subj", options.subject ?? `/O=ecr-public-creds-helper tests/CN=${name}`, "-out", `${base}.csr`]);
    const serial = (options.serial ?? serialHex(16)).toUpperCase();
    // openssl ca keeps a database; a fresh one per certificate keeps issuances independent.
    const db = `${base}.db`;
    await mkdir(db, { recursive: true });
    await writeFile(join(db, "index.txt"), "");
    await writeFile(join(db, "serial"), `${serial}\n`);
    await writeFile(`${base}.ext`, options.ca ? caExtensions : leafExtensions);
    await writeFile(
      `${base}.cnf`,
      [
        "[ca]",
        "default_ca = local",
        "[local]",
        `database = ${join(db, "index.txt")}`,
        `serial = ${join(db, "serial")}`,
        `new_certs_dir = ${db}`,
        "default_md = sha256",
        "policy = any",
        "unique_subject = no",
        "[any]",
        "commonName = supplied",
        "organizationName = optional",
        "",
      ].join("\n"),
    );
    const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
    const notAfter = options.notAfter ?? new Date(Date.now() + 30 * 86_400_000);
    await openssl([
      "ca",
      "-batch",
      "-notext",
      "-config",
      `${base}.cnf`,
      "-cert",
      issuer.certFile,
      "-keyfile",
      issuer.keyFile,
      "-in",
      `${base}.csr`,
      "-startdate",
      asn1Time(notBefore),
      "-enddate",
      asn1Time(notAfter),
      "-extfile",
      `${base}.ext`,
      "-out",
      `${base}.crt`,
    ]);
    const certFile = `${base}.crt`;
    return { certFile, keyFile, certPem: await readFile(certFile, "utf8"), keyPem: await readFile(keyFile, "utf8"), serial };
  }
}

/** The base64 body of a PEM block, without its armour: what must never appear in any output. */
export function pemBody(pem: string): string {
  return pem
    .split("\n")
    .filter((line) => line.length > 0 && !line.startsWith("-----"))
    .join("");
}

/** Lines of the PEM body long enough to be unmistakable: any one of them in output is a leak. */
export function pemLines(pem: string): string[] {
  return pem.split("\n").filter((line) => line.length >= 40 && !line.startsWith("-----"));
}

/** The ARNs the emulator's trust configuration and the tests' command lines share. */
export const trustAnchorArn = "arn:aws:rolesanywhere:eu-central-1:123456789012:trust-anchor/0d6a2a4d-1111-4a2b-8c3d-123456789abc";
export const profileArn = "arn:aws:rolesanywhere:eu-central-1:123456789012:profile/7e1b9c2f-2222-4d3e-9f4a-abcdef012345";
export const roleArn = "arn:aws:iam::123456789012:role/ecr-public-creds-helper";
