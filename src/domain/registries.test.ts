import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parsePrivateRegistry } from "./registries.ts";

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
    ]) {
      assert.equal(parsePrivateRegistry(host), undefined, host);
    }
  });
});
