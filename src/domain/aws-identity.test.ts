import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { awsIdentitySource, type AwsEnvironment } from "./aws-identity.ts";
import type { RolesAnywhereSettings } from "./roles-anywhere.ts";

const none: AwsEnvironment = { staticKeys: false, profile: undefined, webIdentity: undefined, containerCredentials: undefined };
const everything: AwsEnvironment = {
  staticKeys: true,
  profile: "ci",
  webIdentity: { roleArn: "arn:aws:iam::123456789012:role/irsa", tokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token" },
  containerCredentials: { uri: "http://169.254.170.23/v1/credentials", relative: false },
};
const rolesAnywhere: RolesAnywhereSettings = {
  certificateFile: "/etc/tls/tls.crt",
  privateKeyFile: "/etc/tls/tls.key",
  trustAnchorArn: "arn:aws:rolesanywhere:eu-central-1:123456789012:trust-anchor/0d6a2a4d-1111-4a2b-8c3d-123456789abc",
  profileArn: "arn:aws:rolesanywhere:eu-central-1:123456789012:profile/7e1b9c2f-2222-4d3e-9f4a-abcdef012345",
  roleArn: "arn:aws:iam::123456789012:role/helper",
  region: "eu-central-1",
  sessionDurationSeconds: 3600,
  endpoint: "https://rolesanywhere.eu-central-1.amazonaws.com",
};

describe("awsIdentitySource", () => {
  test("Roles Anywhere, when configured, comes before every variable (the clients get it directly)", () => {
    const source = awsIdentitySource(everything, rolesAnywhere);
    assert.equal(source.kind, "roles-anywhere");
    assert.match(
      source.description,
      /^IAM Roles Anywhere: role arn:aws:iam::123456789012:role\/helper through trust anchor arn:.*trust-anchor\/.*, certificate \/etc\/tls\/tls\.crt$/,
    );
    assert.doesNotMatch(source.description, /tls\.key/, "the key file is not named: nothing about the key is shown");
  });

  test("the SDK's order: AWS_PROFILE beats the key pair, then keys, web identity, container endpoint, instance metadata", () => {
    const kinds = [
      awsIdentitySource(everything, undefined),
      awsIdentitySource({ ...everything, profile: undefined }, undefined),
      awsIdentitySource({ ...everything, profile: undefined, staticKeys: false }, undefined),
      awsIdentitySource({ ...none, containerCredentials: everything.containerCredentials }, undefined),
      awsIdentitySource(none, undefined),
    ].map((source) => source.kind);
    assert.deepEqual(kinds, ["profile", "static-keys", "web-identity", "pod-identity", "default-chain"]);
  });

  test("each says what chose it", () => {
    assert.equal(
      awsIdentitySource(everything, undefined).description,
      "the profile ci (AWS_PROFILE) of the AWS config files (AWS_ACCESS_KEY_ID is set too and ignored while AWS_PROFILE is)",
    );
    assert.equal(awsIdentitySource({ ...none, profile: "dev" }, undefined).description, "the profile dev (AWS_PROFILE) of the AWS config files");
    assert.equal(
      awsIdentitySource({ ...none, staticKeys: true }, undefined).description,
      "static access keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
    assert.equal(
      awsIdentitySource({ ...none, webIdentity: everything.webIdentity }, undefined).description,
      "web identity (IRSA): role arn:aws:iam::123456789012:role/irsa with the token in /var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    );
    assert.equal(
      awsIdentitySource({ ...none, containerCredentials: { uri: "http://[fd00:ec2::23]/v1/credentials", relative: false } }, undefined).description,
      "EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI http://[fd00:ec2::23]/v1/credentials)",
    );
    assert.match(awsIdentitySource(none, undefined).description, /^the SDK's default chain \(.*instance metadata/);
  });

  test("another container endpoint is not called Pod Identity; the relative URI is ECS", () => {
    const other = awsIdentitySource({ ...none, containerCredentials: { uri: "http://127.0.0.1:9911/creds", relative: false } }, undefined);
    assert.deepEqual(other, {
      kind: "container",
      description: "the container credentials endpoint http://127.0.0.1:9911/creds (AWS_CONTAINER_CREDENTIALS_FULL_URI)",
    });
    assert.equal(awsIdentitySource({ ...none, containerCredentials: { uri: "/v2/credentials/x", relative: true } }, undefined).kind, "container");
    assert.equal(awsIdentitySource({ ...none, containerCredentials: { uri: "not a url", relative: false } }, undefined).kind, "container");
  });
});
