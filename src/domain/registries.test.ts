import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isIpv4PrivateRegistry, parsePrivateRegistry } from "./registries.ts";

describe("parsePrivateRegistry", () => {
  test("parses an ordinary host", () => {
    assert.deepEqual(parsePrivateRegistry("123456789012.dkr.ecr.eu-west-1.amazonaws.com"), {
      host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      accountId: "123456789012",
      region: "eu-west-1",
    });
  });

  test("accepts FIPS, GovCloud and China partitions", () => {
    assert.equal(parsePrivateRegistry("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com")?.region, "us-east-1");
    assert.equal(parsePrivateRegistry("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com")?.region, "us-gov-west-1");
    assert.deepEqual(parsePrivateRegistry("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn"), {
      host: "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn",
      accountId: "210987654321",
      region: "cn-north-1",
    });
  });

  test("accepts the dual-stack names, FIPS too: the same account and region", () => {
    assert.deepEqual(parsePrivateRegistry("123456789012.dkr-ecr.eu-west-1.on.aws"), {
      host: "123456789012.dkr-ecr.eu-west-1.on.aws",
      accountId: "123456789012",
      region: "eu-west-1",
    });
    assert.deepEqual(parsePrivateRegistry(" 123456789012.DKR-ECR-FIPS.us-gov-west-1.ON.AWS"), {
      host: "123456789012.dkr-ecr-fips.us-gov-west-1.on.aws",
      accountId: "123456789012",
      region: "us-gov-west-1",
    });
  });

  test("normalises case and whitespace", () => {
    assert.equal(parsePrivateRegistry("  123456789012.DKR.ECR.EU-WEST-1.AMAZONAWS.COM ")?.host, "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  });

  test("rejects anything else", () => {
    for (const host of [
      "",
      "public.ecr.aws",
      "12345678901.dkr.ecr.eu-west-1.amazonaws.com", // 11 digits
      "1234567890123.dkr.ecr.eu-west-1.amazonaws.com", // 13 digits
      "123456789012.dkr.ecr.eu-west.amazonaws.com",
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo",
      "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      "123456789012.dkr.ecr.eu-west-1.example.com",
      "xx123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      // Dual-stack: the dash is part of the name; no .cn, no amazonaws.com, nothing after on.aws.
      "123456789012.dkr-ecr.eu-west-1.amazonaws.com",
      "123456789012.dkr.ecr.eu-west-1.on.aws",
      "123456789012.dkr-ecr.cn-north-1.on.aws.cn",
      "123456789012.dkr-ecr.eu-west-1.on.aws.evil.example",
      "123456789012.dkr-ecr.eu-west-1.on.aws:443",
      "12345678901.dkr-ecr.eu-west-1.on.aws",
      "123456789012.dkr-ecr.on.aws",
      "ecr-public.aws.com",
    ]) {
      assert.equal(parsePrivateRegistry(host), undefined, host);
    }
  });
});

describe("isIpv4PrivateRegistry: the names versions before dual-stack accepted", () => {
  for (const [host, expected] of [
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", true],
    ["123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", true],
    ["210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn", true],
    ["123456789012.dkr-ecr.eu-west-1.on.aws", false],
    ["123456789012.dkr-ecr-fips.us-east-1.on.aws", false],
    ["public.ecr.aws", false],
  ] as const) {
    test(`${host}: ${expected}`, () => assert.equal(isIpv4PrivateRegistry(host), expected));
  }
});
