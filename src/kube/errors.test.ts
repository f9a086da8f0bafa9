import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ApiException, loadAllYaml } from "@kubernetes/client-node";
import { registerSecret } from "../observability/redact.ts";
import { cannotReadCluster, classifyKubeError, isRetryableKubeError, kubeErrorHint, kubeErrorMessage, KubeErrorKind, shippedClusterRole } from "./errors.ts";

/** An ApiException as client-node 2.x throws it: the body is the response text. */
function apiError(code: number, body: unknown, reason = "Unknown API Status Code!"): ApiException<unknown> {
  return new ApiException(code, reason, body, { "content-type": "application/json" });
}

function status(code: number, message: string): ApiException<unknown> {
  return apiError(code, JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, code }));
}

/** What undici's fetch rejects with: "fetch failed", the socket's error as the cause. */
function fetchFailed(code: string, message: string): TypeError {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
}

describe("classifyKubeError", () => {
  const statuses: Array<[number, KubeErrorKind]> = [
    [404, KubeErrorKind.notFound],
    [409, KubeErrorKind.conflict],
    [403, KubeErrorKind.forbidden],
    [401, KubeErrorKind.unauthorized],
    [400, KubeErrorKind.invalid],
    [422, KubeErrorKind.invalid],
    [429, KubeErrorKind.transient],
    [500, KubeErrorKind.transient],
    [503, KubeErrorKind.transient],
    [418, KubeErrorKind.other],
  ];
  for (const [code, kind] of statuses) {
    test(`HTTP ${code} is ${kind}`, () => assert.equal(classifyKubeError(status(code, "x")), kind));
  }

  test("422 'field is immutable' (an immutable secret, or a type that cannot change) is immutable, not retried; another 422 is invalid", () => {
    // Both bodies as the real API server answers a replace.
    const immutable = status(422, 'Secret "x" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    const type = status(422, 'Secret "y" is invalid: type: Invalid value: "kubernetes.io/dockerconfigjson": field is immutable');
    for (const error of [immutable, type]) {
      assert.equal(classifyKubeError(error), KubeErrorKind.immutable);
      assert.equal(isRetryableKubeError(error), false);
    }
    assert.equal(classifyKubeError(status(422, 'Secret "z" is invalid: metadata.name: Invalid value')), KubeErrorKind.invalid);
    assert.equal(classifyKubeError(status(400, "field is immutable")), KubeErrorKind.invalid);
  });

  test("connection errors on the cause chain: refused or unresolvable is unreachable, a reset is transient", () => {
    assert.equal(classifyKubeError(fetchFailed("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1")), KubeErrorKind.unreachable);
    assert.equal(classifyKubeError(fetchFailed("ENOTFOUND", "getaddrinfo ENOTFOUND nowhere")), KubeErrorKind.unreachable);
    assert.equal(classifyKubeError(fetchFailed("ECONNRESET", "socket hang up")), KubeErrorKind.transient);
    const deep = new Error("outer", { cause: new Error("middle", { cause: Object.assign(new Error("inner"), { code: "EHOSTUNREACH" }) }) });
    assert.equal(classifyKubeError(deep), KubeErrorKind.unreachable);
  });

  const certificateCodes = [
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "CERT_HAS_EXPIRED",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "CERT_NOT_YET_VALID",
  ];
  for (const code of certificateCodes) {
    test(`${code} is an untrusted certificate, not retried`, () => {
      const error = fetchFailed(code, "certificate trouble");
      assert.equal(classifyKubeError(error), KubeErrorKind.untrustedCertificate);
      assert.equal(isRetryableKubeError(error), false);
    });
  }

  test("anything else is other, and not retried", () => {
    assert.equal(classifyKubeError(new Error("boom")), KubeErrorKind.other);
    assert.equal(classifyKubeError("a string"), KubeErrorKind.other);
    assert.equal(classifyKubeError(Object.assign(new Error("x"), { code: 42 })), KubeErrorKind.other);
    assert.equal(isRetryableKubeError(new Error("boom")), false);
  });

  test("only transient and unreachable errors are retried", () => {
    assert.equal(isRetryableKubeError(status(503, "x")), true);
    assert.equal(isRetryableKubeError(fetchFailed("ECONNREFUSED", "x")), true);
    for (const code of [400, 401, 403, 404, 409]) assert.equal(isRetryableKubeError(status(code, "x")), false, `HTTP ${code}`);
  });
});

describe("kubeErrorMessage: one line, status code and the API server's message", () => {
  test("a Status body gives its message after the code", () => {
    const error = status(403, 'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" at the cluster scope');
    assert.equal(kubeErrorMessage(error), 'HTTP 403: secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" at the cluster scope');
  });

  test("a 401 (no body in client-node) gives the reason client-node recorded", () => {
    assert.equal(kubeErrorMessage(apiError(401, undefined, "Unauthorized")), "HTTP 401: Unauthorized");
  });

  test("a multi-line message is joined onto one line", () => {
    assert.equal(
      kubeErrorMessage(status(422, 'Secret "x" is invalid:\n  data: too long\n  type: bad')),
      'HTTP 422: Secret "x" is invalid: data: too long type: bad',
    );
  });

  test("a plain-text body gives its first line; an HTML or empty body gives the code alone", () => {
    assert.equal(kubeErrorMessage(apiError(404, "404 page not found\n")), "HTTP 404: 404 page not found");
    assert.equal(kubeErrorMessage(apiError(502, "<html>\n<body>Bad gateway</body>\n</html>\n")), "HTTP 502");
    assert.equal(kubeErrorMessage(apiError(503, "")), "HTTP 503");
    assert.equal(kubeErrorMessage(apiError(500, JSON.stringify({ kind: "Status" }))), "HTTP 500");
  });

  test("never a raw body, however long", () => {
    const message = kubeErrorMessage(status(500, "x".repeat(5_000)));
    assert.ok(message.length <= 300, `${message.length} characters`);
    assert.ok(!message.includes("\n"));
  });

  test("a connection error names its code", () => {
    assert.equal(kubeErrorMessage(fetchFailed("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:6443")), "ECONNREFUSED");
  });

  test("a certificate error says the server's certificate is not trusted, and why (not just 'fetch failed')", () => {
    assert.equal(
      kubeErrorMessage(fetchFailed("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate")),
      "the API server's certificate is not trusted: it is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)",
    );
    assert.match(kubeErrorMessage(fetchFailed("CERT_HAS_EXPIRED", "certificate has expired")), /not trusted: it has expired \(CERT_HAS_EXPIRED\)$/);
    assert.match(
      kubeErrorMessage(fetchFailed("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match certificate's altnames")),
      /not trusted: it is not issued for the server address in the kubeconfig/,
    );
    assert.match(kubeErrorMessage(fetchFailed("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify")), /not signed by the kubeconfig's certificate-authority/);
  });

  test("other errors give their first line only", () => {
    assert.equal(kubeErrorMessage(new Error("first line\n    at somewhere (file.ts:1:1)")), "first line");
    assert.equal(kubeErrorMessage("plain"), "plain");
  });

  test("registered secrets are scrubbed", () => {
    registerSecret("s3cr3t-password-value");
    assert.equal(kubeErrorMessage(status(400, "bad value s3cr3t-password-value")), "HTTP 400: bad value [REDACTED]");
  });
});

describe("kubeErrorHint", () => {
  test("every kind has a one-line hint", () => {
    for (const kind of Object.values(KubeErrorKind)) {
      const hint = kubeErrorHint(kind);
      assert.ok(hint.length > 10 && !hint.includes("\n"), `${kind}: ${hint}`);
    }
  });

  test("401 is about the kubeconfig's credentials, not RBAC", () => {
    const hint = kubeErrorHint(KubeErrorKind.unauthorized);
    assert.match(hint, /credentials in the kubeconfig/);
    assert.match(hint, /expired token/);
    assert.doesNotMatch(hint, /RBAC|ClusterRole|rbac/);
  });

  test("403 is RBAC and names the ClusterRole that deploy/base/rbac.yaml ships", () => {
    const hint = kubeErrorHint(KubeErrorKind.forbidden);
    const docs = loadAllYaml(readFileSync(join(import.meta.dirname, "..", "..", "deploy", "base", "rbac.yaml"), "utf8")) as Array<{
      kind: string;
      metadata: { name: string };
    }>;
    const role = docs.find((d) => d.kind === "ClusterRole");
    assert.equal(role?.metadata.name, shippedClusterRole);
    assert.ok(hint.includes(`ClusterRole ${shippedClusterRole}`), hint);
    assert.match(hint, /deploy\/base\/rbac\.yaml/);
  });

  test("an immutable object: delete it so that it is re-created", () => {
    assert.match(kubeErrorHint(KubeErrorKind.immutable), /immutable: true.*delete it so that it is re-created/);
  });

  test("unreachable points at --kubeconfig/--context and the API server", () => {
    assert.equal(kubeErrorHint(KubeErrorKind.unreachable), "check --kubeconfig/--context and that the API server is up");
  });

  test("an untrusted certificate points at the kubeconfig's certificate-authority", () => {
    assert.match(kubeErrorHint(KubeErrorKind.untrustedCertificate), /certificate-authority/);
  });
});

describe("kubeErrorMessage for fetch's own failures", () => {
  test('"fetch failed" carries its cause\'s first line; another message is left as it is', () => {
    assert.equal(kubeErrorMessage(new TypeError("fetch failed", { cause: new Error("bad port\nmore") })), "fetch failed: bad port");
    assert.equal(kubeErrorMessage(new TypeError("fetch failed")), "fetch failed");
    assert.equal(kubeErrorMessage(new Error("something else", { cause: new Error("inner") })), "something else");
  });
});

describe("our own bounded-call errors", () => {
  test("a request timeout says so in words, not only ETIMEDOUT, and stays a transient failure", () => {
    const timeout = Object.assign(new Error("the API server did not answer within 30 s"), { name: "KubeRequestTimeout", code: "ETIMEDOUT" });
    assert.equal(kubeErrorMessage(timeout), "the API server did not answer within 30 s");
    assert.equal(kubeErrorMessage(new TypeError("fetch failed", { cause: timeout })), "the API server did not answer within 30 s");
    assert.equal(classifyKubeError(timeout), KubeErrorKind.transient);
  });

  test("a failed exec plugin gets the hint to run it by hand", () => {
    const plugin = Object.assign(new Error("exec plugin aws-iam-authenticator exited with 1: [REDACTED]"), { name: "ExecPluginError" });
    assert.match(
      cannotReadCluster("https://k", plugin).line,
      /^cannot read the cluster at https:\/\/k: exec plugin .*; the kubeconfig's exec credential plugin failed/,
    );
    assert.doesNotMatch(cannotReadCluster("https://k", new Error("x")).line, /exec credential plugin/);
  });
});
