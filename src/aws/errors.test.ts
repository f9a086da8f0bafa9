import assert from "node:assert/strict";
import { test } from "node:test";
import { describeAwsError } from "./errors.ts";

test("a denial names the IAM actions of the call that was denied", () => {
  const denied = Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" });
  const publicCall = describeAwsError(denied, "the ECR Public token request", "ecr-public:GetAuthorizationToken, sts:GetServiceBearerToken");
  assert.match(publicCall.message, /check the IAM policy \(ecr-public:GetAuthorizationToken, sts:GetServiceBearerToken\)/);
  const privateCall = describeAwsError(denied, "the ECR token request for 123456789012 in eu-west-1", "ecr:GetAuthorizationToken");
  assert.match(privateCall.message, /check the IAM policy \(ecr:GetAuthorizationToken\) and the credentials/);
  assert.doesNotMatch(privateCall.message, /ecr-public/);
});

test("no answer in time is a timeout, told apart from a refused or reset connection", () => {
  const what = "the ECR Public token request (us-east-1)";
  const permissions = "ecr-public:GetAuthorizationToken";
  const sdkError = (message: string, fields: Record<string, unknown>): Error => Object.assign(new Error(message), fields);
  const cases = [
    {
      error: sdkError("@smithy/node-http-handler - [ERROR] a request has exceeded the configured 8000 ms requestTimeout.", {
        name: "TimeoutError",
        code: "ETIMEDOUT",
        $metadata: { attempts: 3 },
      }),
      reason: "timeout",
      message: `${what} got no answer from AWS within 8s after 3 attempts`,
    },
    {
      error: sdkError(
        "@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 5000 ms.",
        {
          name: "TimeoutError",
        },
      ),
      reason: "timeout",
      message: `cannot reach AWS for ${what}: no connection within 5s`,
    },
    { error: sdkError("Request aborted", { name: "AbortError" }), reason: "timeout", message: `${what} was called off before AWS answered` },
    // The SDK renames a reset connection TimeoutError too: that is the network, not a timeout.
    {
      error: sdkError("socket hang up", { name: "TimeoutError", code: "ECONNRESET" }),
      reason: "network",
      message: `cannot reach AWS for ${what} (ECONNRESET)`,
    },
  ];
  for (const { error, reason, message } of cases) {
    const described = describeAwsError(error, what, permissions);
    assert.equal(described.reason, reason, error.message);
    assert.equal(described.message, message);
  }
  const shortened = describeAwsError(cases[0]?.error, what, permissions, 300);
  assert.match(shortened.message, /within 300ms after 3 attempts$/);
});
