// Issue 13, point 7: a managed secret someone made immutable cannot be updated in place, and
// retrying never helps. sync says so in one line, with what to do (delete it, and it is
// re-created), counts the namespace as failed, and leaves the secret as it is: no retry, no
// delete of ours.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { logLines, runCli } from "../support/cli.ts";
import { adminClients, createNamespaces, dockerConfig, readSecret, uniqueName } from "../support/kube.ts";
import { auditMark, callsIn } from "../kube/calls.ts";

const { core } = adminClients();
const secretName = "ecr-public-token";

describe("an immutable managed secret", () => {
  test("sync --force: exit 1, one error line with the delete hint, the secret untouched", async () => {
    const ns = uniqueName("immutable");
    await createNamespaces(core, [ns]);
    const first = await runCli(["sync", "-n", ns]);
    assert.equal(first.code, 0, first.stderr);
    const frozen = await core.patchNamespacedSecret({ name: secretName, namespace: ns, body: [{ op: "add", path: "/immutable", value: true }] });
    const mark = auditMark();

    const result = await runCli(["sync", "-n", ns, "--force"]);

    assert.equal(result.code, 1, result.stderr);
    const errors = logLines(result).filter((line) => Number(line["level"]) >= 50);
    assert.equal(errors.length, 1, result.stderr);
    const line = String(errors[0]?.["msg"]);
    assert.match(line, new RegExp(`^namespace ${ns}: secret ${secretName} cannot be updated: HTTP 422: .*field is immutable`));
    assert.match(line, new RegExp(`delete it so that it is re-created \\(kubectl -n ${ns} delete secret ${secretName}\\)$`));
    assert.ok(!line.includes("\n"));
    assert.ok(!/\n\s+at /.test(result.stderr), "no stack trace");
    assert.match(result.stdout + result.stderr, /1 failed/);

    const ours = callsIn(mark, ns).filter((c) => c.resource === "secrets" && c.userAgent?.startsWith("ecr-public-creds-helper/") && c.verb !== "list");
    assert.deepEqual(
      ours.map((c) => `${c.verb} ${c.code}`),
      ["update 422"],
      "one attempt, not retried, not deleted",
    );
    const after = await readSecret(core, ns);
    assert.equal(after?.metadata?.resourceVersion, frozen.metadata?.resourceVersion);
    assert.equal(dockerConfig(after).auths["public.ecr.aws"]?.password, dockerConfig(frozen).auths["public.ecr.aws"]?.password);
  });
});
