import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../config.ts";
import { parseRolesAnywhereArn, rolesAnywhereEndpoint } from "../domain/roles-anywhere.ts";

const trustAnchorArn = "arn:aws:rolesanywhere:eu-central-1:123456789012:trust-anchor/0d6a2a4d-1111-4a2b-8c3d-123456789abc";
const profileArn = "arn:aws:rolesanywhere:eu-central-1:123456789012:profile/7e1b9c2f-2222-4d3e-9f4a-abcdef012345";
const roleArn = "arn:aws:iam::123456789012:role/k8s/ecr-public-creds-helper";

const allEnv = {
  TARGET_NAMESPACES: "default",
  ROLES_ANYWHERE_CERTIFICATE: "/var/run/roles-anywhere/tls.crt",
  ROLES_ANYWHERE_PRIVATE_KEY: "/var/run/roles-anywhere/tls.key",
  ROLES_ANYWHERE_TRUST_ANCHOR_ARN: trustAnchorArn,
  ROLES_ANYWHERE_PROFILE_ARN: profileArn,
  ROLES_ANYWHERE_ROLE_ARN: roleArn,
};

function refused(args: string[], env: Record<string, string>): string {
  try {
    parseConfig(args, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    return error.message;
  }
  assert.fail(`${args.join(" ")} was accepted`);
}

describe("IAM Roles Anywhere settings", () => {
  test("all five from the environment make Roles Anywhere the identity, region from the trust anchor", () => {
    for (const command of ["sync", "run", "doctor"]) {
      const config = parseConfig([command], allEnv);
      assert.deepEqual(config.rolesAnywhere, {
        certificateFile: "/var/run/roles-anywhere/tls.crt",
        privateKeyFile: "/var/run/roles-anywhere/tls.key",
        trustAnchorArn,
        profileArn,
        roleArn,
        region: "eu-central-1",
        sessionDurationSeconds: 3600,
        endpoint: "https://rolesanywhere.eu-central-1.amazonaws.com",
      });
    }
  });

  test("flags win over variables; the session duration takes a duration", () => {
    const config = parseConfig(["sync", "--roles-anywhere-certificate", "/tmp/c.pem", "--roles-anywhere-session-duration", "12h"], allEnv);
    assert.equal(config.rolesAnywhere?.certificateFile, "/tmp/c.pem");
    assert.equal(config.rolesAnywhere?.sessionDurationSeconds, 43_200);
    assert.equal(parseConfig(["sync"], { ...allEnv, ROLES_ANYWHERE_SESSION_DURATION: "15m" }).rolesAnywhere?.sessionDurationSeconds, 900);
  });

  test("none given: the SDK's default chain (no Roles Anywhere)", () => {
    assert.equal(parseConfig(["sync"], { TARGET_NAMESPACES: "default" }).rolesAnywhere, undefined);
    // The duration alone has a default, so it alone turns nothing on.
    assert.equal(parseConfig(["sync", "--roles-anywhere-session-duration", "2h"], { TARGET_NAMESPACES: "default" }).rolesAnywhere, undefined);
  });

  test("a partial set is refused in one line naming every missing flag and its variable", () => {
    const { ROLES_ANYWHERE_ROLE_ARN: _role, ROLES_ANYWHERE_PRIVATE_KEY: _key, ...partial } = allEnv;
    assert.equal(
      refused(["sync"], partial),
      "IAM Roles Anywhere needs all five settings; missing --roles-anywhere-private-key (ROLES_ANYWHERE_PRIVATE_KEY), --roles-anywhere-role-arn (ROLES_ANYWHERE_ROLE_ARN)",
    );
    assert.match(
      refused(["run", "--roles-anywhere-certificate", "/tmp/c.pem"], { TARGET_NAMESPACES: "x" }),
      /missing --roles-anywhere-private-key .*--roles-anywhere-role-arn/,
    );
    // An empty variable counts as not set.
    assert.match(refused(["doctor"], { ...allEnv, ROLES_ANYWHERE_PROFILE_ARN: "" }), /missing --roles-anywhere-profile-arn \(ROLES_ANYWHERE_PROFILE_ARN\)$/);
  });

  test("a malformed ARN is refused in one line that shows the shape", () => {
    assert.equal(
      refused(["sync"], {
        ...allEnv,
        ROLES_ANYWHERE_TRUST_ANCHOR_ARN: "arn:aws:rolesanywhere:eu-central-1:123456789012:profile/0d6a2a4d-1111-4a2b-8c3d-123456789abc",
      }),
      '--roles-anywhere-trust-anchor-arn "arn:aws:rolesanywhere:eu-central-1:123456789012:profile/0d6a2a4d-1111-4a2b-8c3d-123456789abc" is not a trust-anchor ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)',
    );
    assert.match(refused(["sync"], { ...allEnv, ROLES_ANYWHERE_PROFILE_ARN: "profile-1" }), /^--roles-anywhere-profile-arn "profile-1" is not a profile ARN/);
    assert.match(
      refused(["sync"], { ...allEnv, ROLES_ANYWHERE_ROLE_ARN: "arn:aws:iam::12345:role/x" }),
      /^--roles-anywhere-role-arn .* is not a role ARN \(arn:aws:iam::ACCOUNT:role\/NAME\)$/,
    );
  });

  test("a profile of another region than its trust anchor is refused (CreateSession goes to one region)", () => {
    const otherRegion = profileArn.replace("eu-central-1", "us-east-1");
    assert.match(refused(["sync"], { ...allEnv, ROLES_ANYWHERE_PROFILE_ARN: otherRegion }), /profile-arn is in us-east-1, the trust anchor in eu-central-1/);
  });

  test("the session duration must be 15m to 12h", () => {
    for (const duration of ["10m", "13h", "soon", "1h0.5s"]) {
      assert.match(
        refused(["sync", "--roles-anywhere-session-duration", duration], allEnv),
        /^--roles-anywhere-session-duration ".*" must be whole seconds from 15m to 12h/,
      );
    }
  });

  test("AWS_ENDPOINT_URL_ROLESANYWHERE (then AWS_ENDPOINT_URL) moves the endpoint, as in the SDKs", () => {
    const endpoint = (env: Record<string, string>): string | undefined => parseConfig(["sync"], { ...allEnv, ...env }).rolesAnywhere?.endpoint;
    assert.equal(endpoint({ AWS_ENDPOINT_URL_ROLESANYWHERE: "http://127.0.0.1:4566/" }), "http://127.0.0.1:4566");
    assert.equal(endpoint({ AWS_ENDPOINT_URL: "https://vpce.example" }), "https://vpce.example");
    assert.equal(endpoint({ AWS_ENDPOINT_URL: "https://global.example", AWS_ENDPOINT_URL_ROLESANYWHERE: "https://ra.example" }), "https://ra.example");
    assert.match(refused(["sync"], { ...allEnv, AWS_ENDPOINT_URL_ROLESANYWHERE: "not a url" }), /^AWS_ENDPOINT_URL_ROLESANYWHERE "not a url" is not a URL$/);
  });

  test("status never asks AWS: it neither offers the flags nor reads the variables", () => {
    assert.equal(parseConfig(["status"], allEnv).rolesAnywhere, undefined);
    assert.equal(
      refused(["status", "--roles-anywhere-role-arn", roleArn], allEnv),
      "--roles-anywhere-role-arn applies to sync, run, doctor only: status never asks AWS",
    );
  });
});

describe("Roles Anywhere ARNs", () => {
  test("partition, region and account; China's endpoint", () => {
    assert.deepEqual(parseRolesAnywhereArn("trust-anchor", trustAnchorArn), { partition: "aws", region: "eu-central-1", accountId: "123456789012" });
    assert.deepEqual(parseRolesAnywhereArn("role", roleArn), { partition: "aws", region: "", accountId: "123456789012" });
    const china = parseRolesAnywhereArn("profile", profileArn.replace("arn:aws:", "arn:aws-cn:").replace("eu-central-1", "cn-north-1"));
    assert.ok(china);
    assert.equal(rolesAnywhereEndpoint(china), "https://rolesanywhere.cn-north-1.amazonaws.com.cn");
    assert.equal(parseRolesAnywhereArn("role", "arn:aws:iam::123456789012:user/x"), undefined);
    assert.equal(parseRolesAnywhereArn("trust-anchor", `${trustAnchorArn}x`), undefined);
  });
});
