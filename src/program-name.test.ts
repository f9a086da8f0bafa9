import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { commandName, programName } from "./program-name.ts";

describe("programName", () => {
  test("kubectl's plugin link reads as the command kubectl was given", () => {
    assert.equal(programName("/usr/local/bin/kubectl-ecr_public"), "kubectl ecr-public");
    assert.equal(programName("/home/me/.krew/bin/kubectl-ecr_public"), "kubectl ecr-public");
  });

  test("the package's own command, the bundle and an unknown start keep the command name", () => {
    assert.equal(programName("/usr/local/bin/ecr-public-creds-helper"), commandName);
    assert.equal(programName("/app/dist/cli.js"), commandName);
    assert.equal(programName(undefined), commandName);
    assert.equal(programName(""), commandName);
  });

  test("a file that only starts like a plugin, or has an extension, is not taken for one", () => {
    assert.equal(programName("/tmp/kubectl-"), commandName);
    assert.equal(programName("/tmp/kubectl-ecr_public.js"), commandName);
    assert.equal(programName("/tmp/my-kubectl-ecr_public"), commandName);
  });
});
