// The signature IAM Roles Anywhere's CreateSession takes: SigV4's canonical request and string
// to sign, signed with the certificate's private key instead of an HMAC key
// (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/authentication-sign-process.html):
//
//   algorithm      AWS4-X509-RSA-SHA256 (RSA, PKCS#1 v1.5) or AWS4-X509-ECDSA-SHA256 (ECDSA, DER)
//   signature      hex(sign(SHA-256, string to sign))
//   credential     the certificate's serial number in decimal, then the SigV4 scope
//   headers        X-Amz-X509: base64 DER of the certificate; X-Amz-X509-Chain: the
//                  intermediates, base64 DER, comma-separated; both signed
//
// Pure: no clock, no files, no network. The caller gives the date and the key.
import { createHash, sign, type KeyObject } from "node:crypto";

export const signingService = "rolesanywhere";

export const SigningAlgorithm = {
  rsa: "AWS4-X509-RSA-SHA256",
  ecdsa: "AWS4-X509-ECDSA-SHA256",
} as const;
export type SigningAlgorithm = (typeof SigningAlgorithm)[keyof typeof SigningAlgorithm];

export interface CreateSessionSigningInput {
  /** The endpoint's URL of CreateSession: https://rolesanywhere.REGION.amazonaws.com/sessions. */
  readonly url: URL;
  readonly body: string;
  /** DER of the certificate that signs. */
  readonly certificate: Buffer;
  /** DER of each intermediate, leaf's issuer first; may be empty. */
  readonly chain: readonly Buffer[];
  /** The certificate's serial number as hex (X509Certificate.serialNumber). */
  readonly serialNumberHex: string;
  readonly privateKey: KeyObject;
  readonly region: string;
  readonly date: Date;
}

export interface SignedRequest {
  /** Every header to send, Authorization included, by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /** For tests and for reading along with the spec. */
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

/** The signing algorithm for a key, or undefined for a key Roles Anywhere does not take (Ed25519, RSA-PSS, …). */
export function signingAlgorithmFor(key: KeyObject): SigningAlgorithm | undefined {
  if (key.asymmetricKeyType === "rsa") return SigningAlgorithm.rsa;
  if (key.asymmetricKeyType === "ec") return SigningAlgorithm.ecdsa;
  return undefined;
}

/** 20211103T120000Z */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** The serial number as the Credential field carries it: decimal, as Go's big.Int prints it. */
export function decimalSerial(serialNumberHex: string): string {
  return BigInt(`0x${serialNumberHex}`).toString(10);
}

export function credentialScope(date: Date, region: string): string {
  return `${amzDate(date).slice(0, 8)}/${region}/${signingService}/aws4_request`;
}

const sha256Hex = (data: string): string => createHash("sha256").update(data, "utf8").digest("hex");

/**
 * SigV4's canonical request for headers given by lower-case name: every header is signed.
 * Values are trimmed and inner runs of spaces collapsed; the query is empty (CreateSession's
 * parameters travel in the body).
 */
export function canonicalRequest(
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  body: string,
): { text: string; signedHeaders: string } {
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${(headers[name] ?? "").trim().replace(/ +/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  return { text: [method, path, "", canonicalHeaders, signedHeaders, sha256Hex(body)].join("\n"), signedHeaders };
}

export function stringToSign(algorithm: SigningAlgorithm, date: Date, region: string, canonical: string): string {
  return [algorithm, amzDate(date), credentialScope(date, region), sha256Hex(canonical)].join("\n");
}

/** The headers of a signed CreateSession. Throws only for a key of a type signingAlgorithmFor refuses. */
export function signCreateSession(input: CreateSessionSigningInput): SignedRequest {
  const algorithm = signingAlgorithmFor(input.privateKey);
  if (!algorithm) throw new Error(`a ${input.privateKey.asymmetricKeyType ?? "symmetric"} key cannot sign for IAM Roles Anywhere`);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    host: input.url.host,
    "x-amz-date": amzDate(input.date),
    "x-amz-x509": input.certificate.toString("base64"),
  };
  if (input.chain.length > 0) headers["x-amz-x509-chain"] = input.chain.map((der) => der.toString("base64")).join(",");
  const canonical = canonicalRequest("POST", input.url.pathname, headers, input.body);
  const toSign = stringToSign(algorithm, input.date, input.region, canonical.text);
  // RSA: PKCS#1 v1.5 (node's default padding); EC: the DER-encoded (r, s) (node's default dsaEncoding).
  const signature = sign("sha256", Buffer.from(toSign, "utf8"), input.privateKey).toString("hex");
  const credential = `${decimalSerial(input.serialNumberHex)}/${credentialScope(input.date, input.region)}`;
  return {
    headers: { ...headers, authorization: `${algorithm} Credential=${credential}, SignedHeaders=${canonical.signedHeaders}, Signature=${signature}` },
    canonicalRequest: canonical.text,
    stringToSign: toSign,
  };
}
