// The certificate, its intermediates and its private key, read from files the way cert-manager
// writes them (tls.crt: the certificate then its chain; tls.key: PKCS#1 "RSA PRIVATE KEY", SEC1
// "EC PRIVATE KEY" or PKCS#8 "PRIVATE KEY"), and checked before anything is signed: the key
// belongs to the certificate and the certificate is valid now. Every problem is one line that
// names the file and never its contents.
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { oneLineName, type CertificateFacts } from "../domain/certificate-expiry.ts";
import { signingAlgorithmFor } from "./roles-anywhere-signing.ts";

export interface CertificateIdentity {
  readonly certificate: X509Certificate;
  /** The intermediates that followed the certificate in its file. */
  readonly chain: readonly X509Certificate[];
  readonly privateKey: KeyObject;
}

/** A certificate or key that cannot be used; the message is one line and holds no key material. */
export class CertificateProblem extends Error {
  override readonly name = "CertificateProblem";
}

interface PemBlock {
  readonly type: string;
  readonly text: string;
}

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    blocks.push({ type: match[1] ?? "", text: match[0] });
  }
  return blocks;
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "a directory" : String(code ?? "unreadable");
    throw new CertificateProblem(`cannot read the ${what} file ${path} (${why})`);
  }
}

function parseCertificates(path: string, text: string): X509Certificate[] {
  const blocks = pemBlocks(text).filter((block) => block.type === "CERTIFICATE");
  if (blocks.length === 0) throw new CertificateProblem(`${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block.text);
    } catch {
      throw new CertificateProblem(`${path}: certificate ${index + 1} cannot be parsed`);
    }
  });
}

function parsePrivateKey(path: string, text: string): KeyObject {
  const block = pemBlocks(text).find((candidate) => candidate.type.endsWith("PRIVATE KEY"));
  if (!block) throw new CertificateProblem(`${path} holds no PEM private key (-----BEGIN … PRIVATE KEY-----)`);
  if (block.type === "ENCRYPTED PRIVATE KEY")
    throw new CertificateProblem(`${path} holds an encrypted private key; give it unencrypted (as cert-manager writes it)`);
  let key: KeyObject;
  try {
    key = createPrivateKey(block.text);
  } catch {
    // node's own message names the decoder, never the key; ours names only the file.
    throw new CertificateProblem(`${path}: the ${block.type} cannot be parsed`);
  }
  if (!signingAlgorithmFor(key)) {
    throw new CertificateProblem(`${path} holds a ${key.asymmetricKeyType ?? "symmetric"} key; IAM Roles Anywhere takes RSA or EC keys`);
  }
  return key;
}

/** Reads and checks both files; `now` is the injected clock's time, for the validity dates. */
export async function loadCertificateIdentity(
  files: { readonly certificateFile: string; readonly privateKeyFile: string },
  now: Date,
): Promise<CertificateIdentity> {
  const [certificateText, keyText] = await Promise.all([readPem(files.certificateFile, "certificate"), readPem(files.privateKeyFile, "private key")]);
  const [certificate, ...chain] = parseCertificates(files.certificateFile, certificateText);
  if (!certificate) throw new CertificateProblem(`${files.certificateFile} holds no PEM certificate`);
  const privateKey = parsePrivateKey(files.privateKeyFile, keyText);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new CertificateProblem(`the private key in ${files.privateKeyFile} does not belong to the certificate in ${files.certificateFile}`);
  }
  if (now < certificate.validFromDate) {
    throw new CertificateProblem(`the certificate in ${files.certificateFile} is not valid yet: valid from ${certificate.validFromDate.toISOString()}`);
  }
  if (now > certificate.validToDate) {
    throw new CertificateProblem(`the certificate in ${files.certificateFile} has expired: valid until ${certificate.validToDate.toISOString()}`);
  }
  return { certificate, chain, privateKey };
}

/** The public facts of a certificate read from `file`, for doctor, the metric and the Event. */
export function certificateFacts(file: string, certificate: X509Certificate): CertificateFacts {
  return {
    file,
    subject: oneLineName(certificate.subject),
    issuer: oneLineName(certificate.issuer),
    serial: certificate.serialNumber,
    validFrom: certificate.validFromDate,
    validTo: certificate.validToDate,
  };
}

/**
 * The first certificate of the file, without the key and without judging its dates: doctor
 * shows an expired or not yet valid certificate's facts and says what is wrong with them.
 */
export async function readCertificateFacts(file: string): Promise<CertificateFacts> {
  const [certificate] = parseCertificates(file, await readPem(file, "certificate"));
  if (!certificate) throw new CertificateProblem(`${file} holds no PEM certificate`);
  return certificateFacts(file, certificate);
}
