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
