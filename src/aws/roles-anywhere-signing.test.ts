// The CreateSession signature against values computed by OpenSSL, not by this code: the payload
// and canonical-request hashes with sha256sum, the RSA signature (PKCS#1 v1.5 is deterministic)
// with `openssl dgst -sha256 -sign`, all over the canonical request written out below by hand
// from the spec. The keys are test fixtures made for this file (openssl genrsa -traditional,
// ecparam -genkey: PKCS#1 and SEC1, as cert-manager writes them) and sign nothing else.
import assert from "node:assert/strict";
import { createPrivateKey, verify, X509Certificate } from "node:crypto";
import { test } from "node:test";
import { amzDate, canonicalRequest, decimalSerial, signCreateSession, signingAlgorithmFor, stringToSign } from "./roles-anywhere-signing.ts";

const rsaKeyPem = `-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAtgdVlcut9O3EpWX8E6mGKrQg8s6RSOEAMjp0v1i0e45/jW4y
2kebdlk/l5Q2qghgeNUv98+BefGbbBmYO2P1SejbA4QIOU/n5ThinQgM6bnt4oz4
4tEVEo3jNwCAufoAbB7ahJt2emS6F4MqEdUjn2oMcDIwvGa81xWS85JCOovobDzr
Aho3OD9Bgdn9fS3PZHWxpWmxHXIOA4v7EmxPG28dFjbaIjLP8RV2jdrhukpGc0kh
PsrEDP6aeWMxeOQNu9qDCzZvkb0Qv4duULNz2WgsQx1oLyjsKnkOsTejVqLJhw67
2u9RJOHg42Z9WTnPF25xOBqnRESayk5uZAbSOQIDAQABAoIBABiXAI2KFI+eEB7M
2mL4l26M41eRpqg69vkSEwPnUohPbXU4YgfBPSPddhz+sWzCUW/5Uq/OGR5VUGrn
wTwiqnfnzDBbJXZCkF/TgGTYuc/YJWXhp9ySJJ/bSYq8V2doOabheyEHVFe/5DC5
cBU1HwkRvSjp6tIEqfV/TVj4lNhOJE0mqbWNz4pxkgxIHRk08ntUGTb2Tl/59Qi2
u8GzQnnMUdsa/Fi9fUWSVVPk7kWFXbIFPQeKn4LoVwB08OH/TZ/w06emtT3Yb3hK
Xel+ifbb8k+4z5/Umii9dyfb7cuGHN6Ri98+ALOgZYjPBLZUxkEmFE6RZnZLC1ou
dME6UXUCgYEA2wEse0DHZp2/4e6mnCirlVLVcJs8HceYyFGxuqVVgyxImevHfRxw
Z7oktH1KJz2w/KQH+m56C2hZ1UQ76RxXisH48nOAursar7P+v1rYQ002/qmMs+0Z
NSR9T+l/yTmCqgbM3kRccY+C6Aq8aCZd+LyG0jCIxwpAOv1CW/Y64oUCgYEA1Mck
C6u8t3uPv0qAWcQ9EaTFBtKwEDrEPioXe2UWCiq1bqFgyK1ePfAQgOGxPzKilBrq
Opdjz70ln1OPaeB6zA3XfB7q3T1aYGNORHPaAVo/5+Z+GAzSEt1s2H+r8tpL00mu
Ty0T2sIM7PhtULvToUSFe1fR7H7wItby/T/4USUCgYBg0MgFRMHhz2MAUiw9ZI1V
2eSZf0a4M4CLLfJP/L8s2erOgLkTyfq3IEcRs0GQz2jqhukwAJ7bZCoyaZPCndDl
epK/O+hwpD5L5lp75YEtX3ksY2/cKri2EYeESElBf7cPyynOKJJlcXgBdJ2NvUhV
qaJAUUxmEVYLveIUHWoysQKBgAoGmBw0q1+54rwQtpuEM5xxNxdrNgCNxFFpilG2
IaO4/3OHBxhtktM4TI7GE6P2rtJrsj2whHN1ZiBrv4YtnZufy1d93XMvQOLpyvZO
vybxKbGzmp1nfT6GUGqjGWcIAiqifiQc66KTIijIS95R+1bN87wsFygdkxMRLcHh
EcJBAoGAVbobHbtBAA8cCsQ8jSCt9WTK+Hjy8d1/1TPYU2Nkoyh53vQV3yMF1hSO
8TF79H6JZFnmiuqXQjG03OI7qvxRTFZNEshOnWCW5NmEEaYXMbtzo7MBYfAflH1e
pUZl5rqLIOQ1xOrfQMg2LlynLeqB2W6lMrFJX9yYJR9B8XoutbI=
-----END RSA PRIVATE KEY-----`;
const rsaCertificatePem = `-----BEGIN CERTIFICATE-----
MIIDETCCAfmgAwIBAgIGChssPU5fMA0GCSqGSIb3DQEBCwUAMB4xHDAaBgNVBAMM
E3NpZ25pbmctZml4dHVyZS1yc2EwIBcNMjYxMjA1MDc1NjAxWhgPMjEyNjExMTEw
NzU2MDFaMB4xHDAaBgNVBAMME3NpZ25pbmctZml4dHVyZS1yc2EwggEiMA0GCSqG
SIb3DQEBAQUAA4IBDwAwggEKAoIBAQC2B1WVy6307cSlZfwTqYYqtCDyzpFI4QAy
OnS/WLR7jn+NbjLaR5t2WT+XlDaqCGB41S/3z4F58ZtsGZg7Y/VJ6NsDhAg5T+fl
OGKdCAzpue3ijPji0RUSjeM3AIC5+gBsHtqEm3Z6ZLoXgyoR1SOfagxwMjC8ZrzX
FZLzkkI6i+hsPOsCGjc4P0GB2f19Lc9kdbGlabEdcg4Di/sSbE8bbx0WNtoiMs/x
FXaN2uG6SkZzSSE+ysQM/pp5YzF45A272oMLNm+RvRC/h25Qs3PZaCxDHWgvKOwq
eQ6xN6NWosmHDrva71Ek4eDjZn1ZOc8XbnE4GqdERJrKTm5kBtI5AgMBAAGjUzBR
MB0GA1UdDgQWBBTxQ4crD9P0cYbaD96HxHkcrFxOGzAfBgNVHSMEGDAWgBTxQ4cr
D9P0cYbaD96HxHkcrFxOGzAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUA
A4IBAQAxnCnkTSxUc/CuK4nKZp6aVdGzc0gePrQsNX2in+k3KqdGSbD/g20uu6oD
RPuepXGEDMMiNBxLKBVEln19zmOQDSXCXp09L2LXGkxG6kPUAOiWvVOg7QAo35vw
ReduTmt+sKldFmtiobfyYtCFsdckOIXybiDlpWwFV3F7ws44j+NqcIZeB9A06X1T
wJiXsSjplBFzwye9WSFZd/z9/xtNrsR0DbfSwDT+LEUYn0HayozVtl7jQunwJEMs
SGPHoxNIxyCjFeBgusW2zrE56pTyPOfgEypqfqPVhIcFU6aESIbkCzKu6VpPmsIs
8vgEpQtyN6YavoSf3Ezz03F6nkgc
-----END CERTIFICATE-----`;
const ecKeyPem = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIJQhtckOpSX53QmLAQkkYconoPmmtjbfX8nHiKsu8DW9oAoGCCqGSM49
AwEHoUQDQgAERUS+/hrz4SVsVZ+B2B5cLOgZGpqA9el6zEdZ6UYYOCkSYyGGkASI
1u6Qlg7BC4lXEPSs0nxN50K1uW1C4i7qog==
-----END EC PRIVATE KEY-----`;
const ecCertificatePem = `-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgICEAAwCgYIKoZIzj0EAwIwHTEbMBkGA1UEAwwSc2lnbmlu
Zy1maXh0dXJlLWVjMCAXDTI2MTIwNTA3NTYwMVoYDzIxMjYxMTExMDc1NjAxWjAd
MRswGQYDVQQDDBJzaWduaW5nLWZpeHR1cmUtZWMwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARFRL7+GvPhJWxVn4HYHlws6BkamoD16XrMR1npRhg4KRJjIYaQBIjW
7pCWDsELiVcQ9KzSfE3nQrW5bULiLuqio1MwUTAdBgNVHQ4EFgQUjivumVVTVzKJ
dCQ2/PKArbpDI+YwHwYDVR0jBBgwFoAUjivumVVTVzKJdCQ2/PKArbpDI+YwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBjfnpGfaIWnxWOXKTZIJwR
xThJZ5VobX/e507GbUz53wIhAKFrC9zGF6phzETlJDGTgITvOb2VWHCAuEcHFQkf
+DO4
-----END CERTIFICATE-----`;

const body =
  '{"durationSeconds":3600,"profileArn":"arn:aws:rolesanywhere:us-east-1:123456789012:profile/11111111-2222-3333-4444-555555555555","roleArn":"arn:aws:iam::123456789012:role/ecr-public-creds-helper","trustAnchorArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/66666666-7777-8888-9999-000000000000"}';
const date = new Date("2021-11-03T12:00:00.000Z");
const url = new URL("https://rolesanywhere.us-east-1.amazonaws.com/sessions");

/** From sha256sum over the body above. */
const payloadHash = "d48fa9f0de41f7e0d8f5a9136cdfe572b59a71dc64c277893e60aeb2efbf4d7a";
/** From sha256sum over expectedCanonical (RSA certificate). */
const canonicalHash = "c2ffbe854af9ff8bbb9b017475192c8ac0cfa44fbf354f31fb1122da97572f95";
/** From openssl dgst -sha256 -sign over expectedStringToSign, hex. */
const opensslSignature =
  "00798c6a84cd6e3a40ea3c3daae03ef1a5c9b1a62cc6f922c4738522edb901673841ac35586d83ea1cc5135cc5a00814931078d4e6427f923d29207cf1b121f878874fcecc9571e65649ef6c7d317704f4374bafd3587694c45acec7bbf87287d4ba6bf80447c4f86671420d71233674fc4cd4030c8a237c6ed6af150f090a2cd8ca715428be407fa9a1159e70356b5536e7c10344cf3631e46a39dd90298c73d54850434c25ed0b5b8b03719f89ec0a07b205d6b5bd4e509abb5490ab77b12d0b045a9e8ee881443771812c137834c796ca6a97aed080729f0afaea376be1300f8d05d1b09dfd6b41a335472af2d1a54960254e633a9f93f80d6549d72db66e";

const rsaCertificate = new X509Certificate(rsaCertificatePem);
const rsaDer = rsaCertificate.raw.toString("base64");

const expectedCanonical = [
  "POST",
  "/sessions",
  "",
  "content-type:application/json",
  "host:rolesanywhere.us-east-1.amazonaws.com",
  "x-amz-date:20211103T120000Z",
  `x-amz-x509:${rsaDer}`,
  "",
  "content-type;host;x-amz-date;x-amz-x509",
  payloadHash,
].join("\n");

const expectedStringToSign = ["AWS4-X509-RSA-SHA256", "20211103T120000Z", "20211103/us-east-1/rolesanywhere/aws4_request", canonicalHash].join("\n");

function signRsa(extra: Partial<Parameters<typeof signCreateSession>[0]> = {}): ReturnType<typeof signCreateSession> {
  return signCreateSession({
    url,
    body,
    certificate: rsaCertificate.raw,
    chain: [],
    serialNumberHex: rsaCertificate.serialNumber,
    privateKey: createPrivateKey(rsaKeyPem),
    region: "us-east-1",
    date,
    ...extra,
  });
}

test("the canonical request and string to sign are SigV4's, byte for byte", () => {
  const signed = signRsa();
  assert.equal(signed.canonicalRequest, expectedCanonical);
  assert.equal(signed.stringToSign, expectedStringToSign);
});

test("an RSA key signs with PKCS#1 v1.5 over SHA-256: the signature OpenSSL makes", () => {
  const signed = signRsa();
  assert.equal(
    signed.headers["authorization"],
    `AWS4-X509-RSA-SHA256 Credential=11111822610015/20211103/us-east-1/rolesanywhere/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-x509, Signature=${opensslSignature}`,
  );
  assert.equal(signed.headers["x-amz-x509"], rsaDer);
  assert.equal(signed.headers["x-amz-date"], "20211103T120000Z");
  assert.equal(signed.headers["host"], "rolesanywhere.us-east-1.amazonaws.com");
  assert.equal(signed.headers["x-amz-x509-chain"], undefined, "no chain header without intermediates");
});

test("an EC key signs with ECDSA (DER) over SHA-256, verifiable with the certificate's public key", () => {
  const certificate = new X509Certificate(ecCertificatePem);
  const signed = signCreateSession({
    url,
    body,
    certificate: certificate.raw,
    chain: [],
    serialNumberHex: certificate.serialNumber,
    privateKey: createPrivateKey(ecKeyPem),
    region: "eu-west-1",
    date,
  });
  const match = /^AWS4-X509-ECDSA-SHA256 Credential=4096\/20211103\/eu-west-1\/rolesanywhere\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
    signed.headers["authorization"] ?? "",
  );
  assert.ok(match, signed.headers["authorization"]);
  assert.equal(match[1], "content-type;host;x-amz-date;x-amz-x509");
  const signature = Buffer.from(match[2] ?? "", "hex");
  assert.equal(signature[0], 0x30, "a DER SEQUENCE (r, s), not the raw 64 bytes");
  assert.ok(verify("sha256", Buffer.from(signed.stringToSign), certificate.publicKey, signature));
  assert.ok(!verify("sha256", Buffer.from(`${signed.stringToSign}x`), certificate.publicKey, signature));
  assert.match(signed.stringToSign, /^AWS4-X509-ECDSA-SHA256\n20211103T120000Z\n20211103\/eu-west-1\/rolesanywhere\/aws4_request\n[0-9a-f]{64}$/);
});

test("intermediates travel as X-Amz-X509-Chain, base64 DER joined by commas, and are signed", () => {
  const intermediate = new X509Certificate(ecCertificatePem).raw;
  const signed = signRsa({ chain: [intermediate, intermediate] });
  const chain = `${intermediate.toString("base64")},${intermediate.toString("base64")}`;
  assert.equal(signed.headers["x-amz-x509-chain"], chain);
  assert.match(signed.headers["authorization"] ?? "", /SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain,/);
  assert.ok(signed.canonicalRequest.includes(`\nx-amz-x509:${rsaDer}\nx-amz-x509-chain:${chain}\n\n`));
});

test("a port in the endpoint is part of the signed host; a path prefix is part of the canonical URI", () => {
  const signed = signRsa({ url: new URL("http://127.0.0.1:4566/prefix/sessions") });
  assert.equal(signed.headers["host"], "127.0.0.1:4566");
  assert.ok(signed.canonicalRequest.startsWith("POST\n/prefix/sessions\n\n"));
  assert.ok(signed.canonicalRequest.includes("\nhost:127.0.0.1:4566\n"));
});

test("the pieces: date format, decimal serial, header canonicalisation, key types", () => {
  assert.equal(amzDate(new Date("2026-01-02T03:04:05.678Z")), "20260102T030405Z");
  assert.equal(decimalSerial("0A1B2C3D4E5F"), "11111822610015");
  // A 20-byte serial (what most CAs issue) is far beyond a double: it must stay exact.
  assert.equal(decimalSerial("7F3A9C2E1B4D5F60718293A4B5C6D7E8F9012345"), "726348876322027525895710059050177092467111830341");
  const { text, signedHeaders } = canonicalRequest("POST", "/sessions", { "x-b": "  two   spaces ", "x-a": "one" }, "");
  assert.equal(signedHeaders, "x-a;x-b");
  assert.equal(text, "POST\n/sessions\n\nx-a:one\nx-b:two spaces\n\nx-a;x-b\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(stringToSign("AWS4-X509-RSA-SHA256", date, "us-east-1", expectedCanonical), expectedStringToSign);
  assert.equal(signingAlgorithmFor(createPrivateKey(rsaKeyPem)), "AWS4-X509-RSA-SHA256");
  assert.equal(signingAlgorithmFor(createPrivateKey(ecKeyPem)), "AWS4-X509-ECDSA-SHA256");
  const ed25519 = createPrivateKey({ key: Buffer.from(`302e020100300506032b657004220420${"11".repeat(32)}`, "hex"), format: "der", type: "pkcs8" });
  assert.equal(signingAlgorithmFor(ed25519), undefined);
  assert.throws(() => signRsa({ privateKey: ed25519 }), /ed25519 key cannot sign/);
});
