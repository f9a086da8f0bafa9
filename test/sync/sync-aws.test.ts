// AWS access as it happens in clusters: EKS Pod Identity style container credentials, IRSA
// style web identity, and private ECR registries of other accounts and regions in one secret.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, beforeEach, describe, test } from "node:test";
import { runCli } from "../support/cli.ts";
import { emulator } from "../support/emulator.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { testenvVars, var_ } from "../support/testenv.ts";

const { core } = adminClients();
const control = emulator();
const vars = testenvVars();
const noStaticKeys = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };

describe("AWS credentials and registries", () => {
  const names = [uniqueName("aws-pod-id"), uniqueName("aws-irsa"), uniqueName("aws-private")];
  before(async () => {
    await createNamespaces(core, names);
  });
  beforeEach(async () => {
    await control.reset();
  });

  test("EKS Pod Identity: container credentials endpoint", async () => {
    const result = await runCli(["sync"], {
      ...noStaticKeys,
      TARGET_NAMESPACES: names[0],
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${var_(vars, "TESTENV_EMULATOR_URL")}/container-credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: var_(vars, "TESTENV_CONTAINER_AUTH_TOKEN"),
    });
    assert.equal(result.code, 0, result.stderr);
    const { tokens, credentials } = await control.issued();
    assert.equal(credentials[0]?.source, "container");
    assert.equal(tokens[0]?.accessKeyId, credentials[0]?.accessKeyId, "signed with the temporary key");
    assert.ok(await readSecret(core, names[0] ?? ""));
  });

  test("IRSA: web identity token file and role ARN, through STS", async () => {
    const dir = await mkdtemp(join(tmpdir(), "irsa-"));
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6eDp5In0.sig");
    const result = await runCli(["sync"], {
      ...noStaticKeys,
      TARGET_NAMESPACES: names[1],
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/ecr-public-creds-helper",
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    });
    assert.equal(result.code, 0, result.stderr);
    const { tokens, webIdentity } = await control.issued();
    assert.equal(webIdentity[0]?.roleArn, "arn:aws:iam::123456789012:role/ecr-public-creds-helper");
    assert.equal(tokens[0]?.accessKeyId, webIdentity[0]?.accessKeyId);
    assert.ok(await readSecret(core, names[1] ?? ""));
  });

  test("private ECR registries of two regions go into the same secret as ECR Public", async () => {
    const hosts = ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "210987654321.dkr.ecr.us-west-2.amazonaws.com"];
    const result = await runCli(["sync", "--ecr-registries", hosts.join(",")], { TARGET_NAMESPACES: names[2] });
    assert.equal(result.code, 0, result.stderr);
    const { tokens } = await control.issued();
    const auths = dockerConfig(await readSecret(core, names[2] ?? "")).auths;
    assert.deepEqual(Object.keys(auths).sort(), ["public.ecr.aws", ...hosts].sort());
    for (const host of hosts) {
      const issued = tokens.find((t) => t.api === "ecr" && t.proxyEndpoint === `https://${host}`);
      assert.ok(issued, `a private ECR token for ${host}`);
      assert.equal(auths[host]?.password, issued.password);
    }
    assert.deepEqual(
      tokens
        .filter((t) => t.api === "ecr")
        .map((t) => t.region)
        .sort(),
      ["eu-west-1", "us-west-2"],
    );
  });
});
