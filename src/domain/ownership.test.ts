import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mergeDockerConfigJson, registryHosts } from "./dockerconfig.ts";
import { foreignRegistries, formatRegistries, isEcrRegistry, ourRegistries, ownsRegistry, recordedRegistries } from "./ownership.ts";

const key = "ecr-public-creds-helper/registries";
const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

describe("recordedRegistries", () => {
  const cases: Array<[string, Record<string, string>, string[] | undefined]> = [
    ["no annotation: an older version wrote the secret", {}, undefined],
    ["empty: the fail-safe wrote no entry of ours", { [key]: "" }, []],
    ["one host", { [key]: "public.ecr.aws" }, ["public.ecr.aws"]],
    ["several, with stray spaces and commas", { [key]: ` ${privateHost} ,,public.ecr.aws ` }, [privateHost, "public.ecr.aws"]],
  ];
  for (const [name, annotations, expected] of cases) test(name, () => assert.deepEqual(recordedRegistries(annotations), expected));
});

test("formatRegistries sorts and joins with commas, and round-trips", () => {
  assert.equal(formatRegistries(["public.ecr.aws", privateHost]), `${privateHost},public.ecr.aws`);
  assert.equal(formatRegistries([]), "");
  assert.deepEqual(recordedRegistries({ [key]: formatRegistries(["z.example", "a.example"]) }), ["a.example", "z.example"]);
});

describe("isEcrRegistry: what an older version can have written", () => {
  const cases: Array<[string, boolean]> = [
    ["public.ecr.aws", true],
    [privateHost, true],
    ["123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", true],
    ["210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn", true],
    ["ghcr.io", false],
    ["https://index.docker.io/v1/", false],
    ["https://public.ecr.aws", false],
    ["public.ecr.aws.example.com", false],
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example", false],
    // Older versions never wrote a dual-stack name: one in their secret is someone else's.
    ["123456789012.dkr-ecr.eu-west-1.on.aws", false],
    ["ecr-public.aws.com", false],
  ];
  for (const [host, expected] of cases) test(`${host}: ${expected}`, () => assert.equal(isEcrRegistry(host), expected));
});

describe("ownsRegistry", () => {
  test("with the annotation, exactly the recorded hosts are ours, ECR or not", () => {
    const ours = ownsRegistry({ [key]: "public.ecr.aws,registry.example" });
    assert.deepEqual(["public.ecr.aws", "registry.example", privateHost, "ghcr.io"].map(ours), [true, true, false, false]);
  });

  test("an empty record owns nothing, not even public.ecr.aws", () => {
    assert.equal(ownsRegistry({ [key]: "" })("public.ecr.aws"), false);
  });

  test("without the annotation, the ECR hosts are ours and nothing else", () => {
    const ours = ownsRegistry({});
    assert.deepEqual(["public.ecr.aws", privateHost, "ghcr.io", "quay.io"].map(ours), [true, true, false, false]);
  });
});

describe("ourRegistries and foreignRegistries", () => {
  const hosts = ["ghcr.io", privateHost, "public.ecr.aws"];
  const cases: Array<[string, Record<string, string>, string[], string[], string[]]> = [
    // name, annotations, writing, ours, foreign (kept)
    [
      "recorded public only: a private ECR entry someone added is kept",
      { [key]: "public.ecr.aws" },
      ["public.ecr.aws"],
      ["public.ecr.aws"],
      [privateHost, "ghcr.io"],
    ],
    ["recorded both: only ghcr.io is kept", { [key]: `${privateHost},public.ecr.aws` }, ["public.ecr.aws"], [privateHost, "public.ecr.aws"], ["ghcr.io"]],
    ["older version: the ECR hosts are ours", {}, ["public.ecr.aws"], [privateHost, "public.ecr.aws"], ["ghcr.io"]],
    ["a host we now write is not kept even if it was someone else's", { [key]: "" }, ["public.ecr.aws", privateHost], [], ["ghcr.io"]],
  ];
  for (const [name, annotations, writing, ours, foreign] of cases) {
    test(name, () => {
      assert.deepEqual(ourRegistries(annotations, hosts), ours);
      assert.deepEqual(foreignRegistries(annotations, hosts, writing), foreign);
    });
  }
});

describe("dual-stack names in a rewrite", () => {
  const dualPublic = "ecr-public.aws.com";
  const dualPrivate = "123456789012.dkr-ecr.eu-west-1.on.aws";
  const current = JSON.stringify({ auths: Object.fromEntries([dualPublic, dualPrivate, "public.ecr.aws", "ghcr.io"].map((h) => [h, { auth: "eA==" }])) });
  const publicOnly = [{ server: "public.ecr.aws", username: "AWS", password: "new" }];

  test("turned off: the dual-stack names we recorded are removed, someone's ghcr.io is kept", () => {
    const annotations = { [key]: formatRegistries([dualPublic, dualPrivate, "public.ecr.aws"]) };
    assert.deepEqual(registryHosts(mergeDockerConfigJson(current, publicOnly, ownsRegistry(annotations))), ["ghcr.io", "public.ecr.aws"]);
  });

  test("an older version's secret: dual-stack entries are someone else's and kept", () => {
    assert.deepEqual(registryHosts(mergeDockerConfigJson(current, publicOnly, ownsRegistry({}))), [dualPrivate, dualPublic, "ghcr.io", "public.ecr.aws"]);
  });
});
