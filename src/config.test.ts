import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ConfigError, EarlyExit, parseConfig } from "./config.ts";

const hour = 3_600_000;

/** Asserts parseConfig throws a one-line ConfigError matching `pattern`. */
function assertConfigError(args: string[], env: Record<string, string>, pattern: RegExp): void {
  assert.throws(
    () => parseConfig(args, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `${args.join(" ")}: ${String(error)}`);
      assert.equal(error.name, "ConfigError");
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"), `not one line: ${JSON.stringify(error.message)}`);
      assert.ok(!error.message.startsWith("error:"), error.message);
      return true;
    },
  );
}

describe("parseConfig: namespaces", () => {
  test("TARGET_NAMESPACES is space-delimited", () => {
    const config = parseConfig(["sync"], { TARGET_NAMESPACES: "team-a  team-b\tdefault" });
    assert.equal(config.command, "sync");
    assert.deepEqual(config.selection.include, ["team-a", "team-b", "default"]);
    assert.equal(config.selection.all, false);
    assert.deepEqual(config.selection.exclude, []);
    assert.deepEqual(config.selection.labelSelector.requirements, []);
  });

  test("--namespaces takes commas (and -n is the same)", () => {
    assert.deepEqual(parseConfig(["sync", "--namespaces", "a,b"], {}).selection.include, ["a", "b"]);
    assert.deepEqual(parseConfig(["sync", "-n", "a, b team-*"], {}).selection.include, ["a", "b", "team-*"]);
  });

  test("--namespaces overrides TARGET_NAMESPACES", () => {
    const config = parseConfig(["sync", "--namespaces", "flag-ns"], { TARGET_NAMESPACES: "env-ns" });
    assert.deepEqual(config.selection.include, ["flag-ns"]);
  });

  test("empty TARGET_NAMESPACES is an error, unless all namespaces are selected", () => {
    assertConfigError(["sync"], { TARGET_NAMESPACES: "" }, /TARGET_NAMESPACES \/ --namespaces is empty/);
    assertConfigError(["sync"], { TARGET_NAMESPACES: "  , " }, /is empty/);
    assertConfigError(["sync", "--namespaces", ""], {}, /is empty/);
    const config = parseConfig(["sync", "-A"], { TARGET_NAMESPACES: "" });
    assert.equal(config.selection.all, true);
  });

  test("nothing selected is an error", () => {
    assertConfigError(["sync"], {}, /^no namespaces selected/);
    assertConfigError(["status", "--exclude", "kube-system"], {}, /^no namespaces selected/);
  });

  test("--all-namespaces / -A / ALL_NAMESPACES", () => {
    assert.equal(parseConfig(["sync", "--all-namespaces"], {}).selection.all, true);
    assert.equal(parseConfig(["sync", "-A"], {}).selection.all, true);
    assert.equal(parseConfig(["sync"], { ALL_NAMESPACES: "true" }).selection.all, true);
    assert.equal(parseConfig(["sync"], { ALL_NAMESPACES: "1" }).selection.all, true);
    assertConfigError(["sync"], { ALL_NAMESPACES: "false" }, /no namespaces selected/);
  });

  test("exclude from flag or EXCLUDE_NAMESPACES", () => {
    assert.deepEqual(parseConfig(["sync", "-A", "--exclude", "kube-*,default"], {}).selection.exclude, ["kube-*", "default"]);
    assert.deepEqual(parseConfig(["sync", "-A"], { EXCLUDE_NAMESPACES: "kube-system kube-public" }).selection.exclude, ["kube-system", "kube-public"]);
  });

  test("a selector alone implies all namespaces", () => {
    const config = parseConfig(["sync", "-l", "env=prod,team in (a,b)"], {});
    assert.equal(config.selection.all, true);
    assert.deepEqual(config.selection.include, []);
    assert.deepEqual(config.selection.labelSelector.requirements, [
      { op: "eq", key: "env", value: "prod" },
      { op: "in", key: "team", values: ["a", "b"] },
    ]);
    assert.equal(parseConfig(["sync"], { NAMESPACE_SELECTOR: "env=prod" }).selection.all, true);
  });

  test("a selector with names narrows those names instead", () => {
    const config = parseConfig(["sync", "-n", "team-*", "--namespace-selector", "env=prod"], {});
    assert.equal(config.selection.all, false);
    assert.deepEqual(config.selection.include, ["team-*"]);
    assert.equal(config.selection.labelSelector.requirements.length, 1);
  });

  test("bad namespace names and globs", () => {
    assertConfigError(["sync", "-n", "Team-A"], {}, /"Team-A" is not a valid namespace name/);
    assertConfigError(["sync"], { TARGET_NAMESPACES: "ok bad_name" }, /"bad_name" is not a valid namespace name/);
    assertConfigError(["sync", "-n", "team.*"], {}, /"team\.\*" is not a valid namespace glob/);
    assertConfigError(["sync", "-A", "--exclude", "Kube-*"], {}, /"Kube-\*" is not a valid namespace glob/);
  });

  test("bad selector", () => {
    assertConfigError(["sync", "-l", "a in (x"], {}, /label selector "a in \(x"/);
    assertConfigError(["sync", "-A"], { NAMESPACE_SELECTOR: "a=b=c" }, /invalid label value "b=c"/);
  });
});

describe("parseConfig: other options", () => {
  test("defaults", () => {
    const config = parseConfig(["sync", "-A"], {});
    assert.deepEqual(
      { ...config, selection: { ...config.selection, labelSelector: config.selection.labelSelector.text } },
      {
        command: "sync",
        kube: { kubeconfig: undefined, context: undefined },
        selection: { include: [], all: true, exclude: [], labelSelector: "" },
        secretName: "ecr-public-token",
        serviceAccounts: [],
        ecrRegistries: [],
        ecrPublicDualStack: false,
        refreshBeforeMs: 6 * hour,
        force: false,
        adopt: false,
        dryRun: false,
        concurrency: 16,
        log: { level: "info", format: "json" },
        timeoutMs: 2 * 60_000,
        output: "table",
        controller: undefined,
        rolesAnywhere: undefined,
        awsEnvironment: { staticKeys: false, profile: undefined, webIdentity: undefined, containerCredentials: undefined },
      },
    );
    assert.ok(Object.isFrozen(config));
  });

  test("the AWS SDK's credential variables, as facts without the secret", () => {
    const env = {
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "the-secret-half",
      AWS_PROFILE: " ci ",
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/r",
      AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/token",
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials",
    };
    const { awsEnvironment } = parseConfig(["doctor", "-A"], env);
    assert.deepEqual(awsEnvironment, {
      staticKeys: true,
      profile: "ci",
      webIdentity: { roleArn: "arn:aws:iam::123456789012:role/r", tokenFile: "/var/run/token" },
      containerCredentials: { uri: "http://169.254.170.23/v1/credentials", relative: false },
    });
    assert.ok(!JSON.stringify(awsEnvironment).includes("the-secret-half"));
    const half = parseConfig(["doctor", "-A"], { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/r", AWS_PROFILE: "" });
    assert.deepEqual(half.awsEnvironment, { staticKeys: false, profile: undefined, webIdentity: undefined, containerCredentials: undefined });
    const ecs = parseConfig(["doctor", "-A"], { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/x", AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://a" });
    assert.deepEqual(ecs.awsEnvironment.containerCredentials, { uri: "/v2/credentials/x", relative: true });
  });

  test("every command is accepted", () => {
    for (const command of ["sync", "run", "status", "doctor"]) {
      assert.equal(parseConfig([command, "-A"], {}).command, command);
    }
  });

  test("environment variables", () => {
    const config = parseConfig(["sync"], {
      TARGET_NAMESPACES: "team-a",
      KUBECONFIG: "/tmp/kubeconfig",
      KUBE_CONTEXT: "kind-dev",
      SECRET_NAME: "pull.secret",
      SERVICE_ACCOUNTS: "default builder",
      ECR_REGISTRIES: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      REFRESH_BEFORE: "90m",
      FORCE: "yes",
      ADOPT: "TRUE",
      DRY_RUN: "1",
      CONCURRENCY: "4",
      LOG_LEVEL: "debug",
      LOG_FORMAT: "text",
    });
    assert.equal(config.command, "sync");
    assert.deepEqual(config.kube, { kubeconfig: "/tmp/kubeconfig", context: "kind-dev" });
    assert.equal(config.secretName, "pull.secret");
    assert.deepEqual(config.serviceAccounts, ["default", "builder"]);
    assert.deepEqual(config.ecrRegistries, [{ host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", accountId: "123456789012", region: "eu-west-1" }]);
    assert.equal(config.refreshBeforeMs, 90 * 60_000);
    assert.deepEqual([config.force, config.adopt, config.dryRun], [true, true, true]);
    assert.equal(config.concurrency, 4);
    assert.deepEqual(config.log, { level: "debug", format: "text" });
  });

  test("boolean environment variables other than 1/true/yes are false", () => {
    const config = parseConfig(["sync", "-A"], { FORCE: "false", ADOPT: "0", DRY_RUN: "" });
    assert.deepEqual([config.force, config.adopt, config.dryRun], [false, false, false]);
  });

  test("flags override the environment", () => {
    const config = parseConfig(
      [
        "sync",
        "-A",
        "--secret-name",
        "from-flag",
        "--refresh-before",
        "30m",
        "--concurrency",
        "2",
        "--log-level",
        "warn",
        "--log-format",
        "json",
        "--service-accounts",
        "*",
        "--context",
        "prod",
        "--force",
        "--adopt",
        "--dry-run",
      ],
      {
        SECRET_NAME: "from-env",
        REFRESH_BEFORE: "2h",
        CONCURRENCY: "8",
        LOG_LEVEL: "debug",
        LOG_FORMAT: "text",
        SERVICE_ACCOUNTS: "default",
        KUBE_CONTEXT: "dev",
      },
    );
    assert.equal(config.secretName, "from-flag");
    assert.equal(config.refreshBeforeMs, 30 * 60_000);
    assert.equal(config.concurrency, 2);
    assert.deepEqual(config.log, { level: "warn", format: "json" });
    assert.deepEqual(config.serviceAccounts, ["*"]);
    assert.equal(config.kube.context, "prod");
    assert.deepEqual([config.force, config.adopt, config.dryRun], [true, true, true]);
  });

  test("log format auto: text on a TTY, json otherwise", () => {
    assert.equal(parseConfig(["sync", "-A"], {}, true).log.format, "text");
    assert.equal(parseConfig(["sync", "-A"], {}, false).log.format, "json");
    assert.equal(parseConfig(["sync", "-A"], { LOG_FORMAT: "auto" }, true).log.format, "text");
    assert.equal(parseConfig(["sync", "-A", "--log-format", "json"], {}, true).log.format, "json");
    assert.equal(parseConfig(["sync", "-A", "--log-format", "text"], {}, false).log.format, "text");
  });

  test("several private registries, normalised", () => {
    const config = parseConfig(
      ["sync", "-A", "--ecr-registries", "123456789012.DKR.ECR.us-east-1.amazonaws.com,210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn"],
      {},
    );
    assert.deepEqual(
      config.ecrRegistries.map((r) => r.host),
      ["123456789012.dkr.ecr.us-east-1.amazonaws.com", "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn"],
    );
  });

  test("dual-stack private registries: the same account and region as the IPv4 name", () => {
    const config = parseConfig(["sync", "-A"], {
      ECR_REGISTRIES: "123456789012.dkr.ecr.eu-west-1.amazonaws.com 123456789012.DKR-ECR.eu-west-1.on.aws,210987654321.dkr-ecr-fips.us-gov-west-1.on.aws",
    });
    assert.deepEqual(config.ecrRegistries, [
      { host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", accountId: "123456789012", region: "eu-west-1" },
      { host: "123456789012.dkr-ecr.eu-west-1.on.aws", accountId: "123456789012", region: "eu-west-1" },
      { host: "210987654321.dkr-ecr-fips.us-gov-west-1.on.aws", accountId: "210987654321", region: "us-gov-west-1" },
    ]);
  });

  test("--ecr-public-dual-stack / ECR_PUBLIC_DUAL_STACK, for every command", () => {
    for (const command of ["sync", "run", "status", "doctor"]) {
      assert.equal(parseConfig([command, "-A"], {}).ecrPublicDualStack, false, command);
      assert.equal(parseConfig([command, "-A", "--ecr-public-dual-stack"], {}).ecrPublicDualStack, true, command);
      assert.equal(parseConfig([command, "-A"], { ECR_PUBLIC_DUAL_STACK: "true" }).ecrPublicDualStack, true, command);
    }
    assert.equal(parseConfig(["sync", "-A"], { ECR_PUBLIC_DUAL_STACK: "false" }).ecrPublicDualStack, false);
    assert.equal(parseConfig(["sync", "-A"], { ECR_PUBLIC_DUAL_STACK: "" }).ecrPublicDualStack, false);
  });

  test("bad --ecr-registries host", () => {
    for (const host of ["public.ecr.aws", "ECR-PUBLIC.AWS.COM"]) {
      assertConfigError(
        ["sync", "-A", "--ecr-registries", host],
        {},
        /is ECR Public, not a private registry: .*--ecr-public-dual-stack adds ecr-public\.aws\.com$/,
      );
    }
    assertConfigError(
      ["sync", "-A", "--ecr-registries", "123456789012.dkr-ecr.eu-west-1.on.aws.example"],
      {},
      /not a private ECR registry host \(.*dual-stack ACCOUNT\.dkr-ecr\.REGION\.on\.aws\)/,
    );
    assertConfigError(["sync", "-A"], { ECR_REGISTRIES: "123.dkr.ecr.eu-west-1.amazonaws.com" }, /is not a private ECR registry host/);
  });

  test("bad --refresh-before", () => {
    for (const value of ["soon", "6", "12h", "13h", "-1h"]) {
      assertConfigError(["sync", "-A", "--refresh-before", value], {}, /^--refresh-before ".*" must be a duration below 12h/);
    }
    assertConfigError(["sync", "-A"], { REFRESH_BEFORE: "1d" }, /--refresh-before "1d"/);
    assert.equal(parseConfig(["sync", "-A", "--refresh-before", "11h59m"], {}).refreshBeforeMs, 11 * hour + 59 * 60_000);
  });

  test("bad --concurrency", () => {
    for (const value of ["abc", "0", "-1", "1.5", "257"]) {
      assertConfigError(["sync", "-A", "--concurrency", value], {}, /^--concurrency: /);
    }
    assertConfigError(["sync", "-A"], { CONCURRENCY: "many" }, /^--concurrency: /);
    assert.equal(parseConfig(["sync", "-A", "--concurrency", "256"], {}).concurrency, 256);
    assert.equal(parseConfig(["sync", "-A", "--concurrency", "1"], {}).concurrency, 1);
  });

  test("bad secret name, log level and log format", () => {
    assertConfigError(["sync", "-A", "--secret-name", "Bad_Name"], {}, /^--secret-name: must be a valid Kubernetes secret name$/);
    assertConfigError(["sync", "-A", "--log-level", "trace"], {}, /^--log-level: /);
    assertConfigError(["sync", "-A"], { LOG_FORMAT: "xml" }, /^--log-format: /);
  });

  test("unknown flag, unknown command, missing argument", () => {
    assertConfigError(["sync", "-A", "--bogus"], {}, /^unknown option '--bogus'$/);
    assertConfigError(["sync", "-A", "--forse"], {}, /^unknown option '--forse' \(Did you mean --force\?\)$/);
    assertConfigError(["synk"], {}, /^unknown command 'synk'/);
    assertConfigError(["sync", "--refresh-before"], {}, /argument missing/);
  });

  test("no command", () => {
    assertConfigError([], {}, /^a command is required: sync, run, status, doctor/);
    assertConfigError([], { TARGET_NAMESPACES: "a" }, /^a command is required/);
  });

  test("--help and --version exit early with their output", () => {
    const packageVersion = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
    const cases: [string[], RegExp][] = [
      [["--help"], /^Usage: ecr-public-creds-helper \[options\] \[command\]/],
      [["-h"], /sync[\s\S]*one pass/],
      [["sync", "--help"], /--refresh-before <duration>[\s\S]*env REFRESH_BEFORE/],
      [["help", "run"], /^Usage: ecr-public-creds-helper run/],
      [["--version"], new RegExp(`^${packageVersion.replaceAll(".", "\\.")}\\n$`)],
      [["-V"], new RegExp(`^${packageVersion.replaceAll(".", "\\.")}`)],
    ];
    for (const [args, pattern] of cases) {
      assert.throws(
        () => parseConfig(args, {}),
        (error: unknown) => {
          assert.ok(error instanceof EarlyExit, `${args.join(" ")}: ${String(error)}`);
          assert.match(error.output, pattern);
          return true;
        },
      );
    }
  });
});

describe("parseConfig: --timeout", () => {
  test("sync, status and doctor end within 2m by default; the flag and TIMEOUT set it, the flag winning", () => {
    for (const command of ["sync", "status", "doctor"]) {
      assert.equal(parseConfig([command, "-A"], {}).timeoutMs, 120_000, command);
      assert.equal(parseConfig([command, "-A", "--timeout", "5s"], {}).timeoutMs, 5_000, command);
      assert.equal(parseConfig([command, "-A"], { TIMEOUT: "1h30m" }).timeoutMs, 90 * 60_000, command);
      assert.equal(parseConfig([command, "-A", "--timeout=90s"], { TIMEOUT: "10m" }).timeoutMs, 90_000, command);
    }
    assert.equal(parseConfig(["sync", "-A"], { TIMEOUT: "" }).timeoutMs, 120_000, "an empty variable counts as unset");
  });

  test("run, which never ends on its own, has no --timeout and ignores TIMEOUT", () => {
    assert.equal(parseConfig(["run", "-A"], { TIMEOUT: "5s" }).timeoutMs, undefined);
    assertConfigError(["run", "-A", "--timeout", "5s"], {}, /^--timeout applies to sync, status, doctor only, not to run$/);
  });

  test("anything but a duration from 1s to 24h is refused with one line", () => {
    for (const bad of ["0s", "500ms", "5", "two minutes", "25h", "-1m", ""]) {
      assertConfigError(["sync", "-A", "--timeout", bad], {}, /^--timeout ".*" must be a duration from 1s to 24h, like 2m or 90s$/);
    }
    assertConfigError(["status", "-A"], { TIMEOUT: "soon" }, /^--timeout "soon" must be a duration/);
    assert.equal(parseConfig(["doctor", "-A", "--timeout", "24h"], {}).timeoutMs, 24 * hour);
    assert.equal(parseConfig(["doctor", "-A", "--timeout", "1s"], {}).timeoutMs, 1_000);
  });

  test("--help names the flag, its variable and its default for the one-shot commands only", () => {
    const help = (command: string): string => {
      try {
        parseConfig([command, "--help"], {});
      } catch (error) {
        if (error instanceof EarlyExit) return error.output.replace(/\s+/g, " ");
      }
      assert.fail(`${command} --help did not exit early`);
    };
    for (const command of ["sync", "status", "doctor"]) assert.match(help(command), /--timeout <duration> .*\(env TIMEOUT\) \(default: "2m"\)/, command);
    assert.doesNotMatch(help("run"), /--timeout/);
  });
});

describe("parseConfig: each command has only its own flags", () => {
  const help = (command: string): string => {
    try {
      parseConfig([command, "--help"], {});
    } catch (error) {
      if (error instanceof EarlyExit) return error.output;
    }
    assert.fail(`${command} --help did not exit early`);
  };

  test("status and doctor offer no write flags; help has no empty defaults", () => {
    for (const command of ["status", "doctor"]) {
      for (const flag of ["--force", "--adopt", "--dry-run", "--concurrency"]) {
        assert.doesNotMatch(help(command), new RegExp(`${flag}\\b`), `${command} --help offers ${flag}`);
        assertConfigError([command, "-A", flag, ...(flag === "--concurrency" ? ["4"] : [])], {}, new RegExp(`^${flag} applies to sync(, run)? only`));
      }
    }
    assert.doesNotMatch(help("doctor"), /--refresh-before/);
    for (const command of ["sync", "run", "status", "doctor"]) assert.doesNotMatch(help(command), /\(default: ""\)/, command);
    assert.match(help("sync"), /--exclude <globs> +namespaces or globs to leave out \(env\s+EXCLUDE_NAMESPACES\)\n/);
  });

  test("a flag given to a command it is not for says where it belongs, in one line", () => {
    assertConfigError(["run", "-A", "--dry-run"], {}, /^--dry-run applies to sync only: use sync --dry-run to see the plan$/);
    assertConfigError(["sync", "-A", "--prune"], {}, /^--prune applies to run only, not to sync$/);
    assertConfigError(["sync", "-A", "-o", "json"], {}, /^unknown option '-o'$/);
  });

  test("the environment of another command's flags is ignored (one ConfigMap for a CronJob and a controller)", () => {
    const config = parseConfig(["status", "-A"], { FORCE: "true", DRY_RUN: "true", CONCURRENCY: "many", PRUNE: "true" });
    assert.deepEqual([config.force, config.dryRun, config.concurrency, config.controller], [false, false, 16, undefined]);
  });

  test("-o / --output: table by default; status takes wide, json and yaml, doctor json and yaml", () => {
    assert.equal(parseConfig(["status", "-A"], {}).output, "table");
    for (const output of ["table", "wide", "json", "yaml"] as const) {
      assert.equal(parseConfig(["status", "-A", "-o", output], {}).output, output);
      assert.equal(parseConfig(["status", "-A", `--output=${output}`], {}).output, output);
    }
    for (const output of ["json", "yaml", "table"] as const) assert.equal(parseConfig(["doctor", "-A", "-o", output], {}).output, output);
    assertConfigError(["status", "-A", "-o", "xml"], {}, /^--output: must be table, wide, json or yaml$/);
    assertConfigError(["doctor", "-A", "-o", "wide"], {}, /^--output: doctor prints table, json or yaml$/);
  });
});

describe("parseConfig: run", () => {
  test("controller defaults", () => {
    const { controller } = parseConfig(["run", "-A"], { POD_NAME: "helper-0", POD_NAMESPACE: "tools" });
    assert.deepEqual(controller, {
      healthProbeBindAddress: { host: "0.0.0.0", port: 8081 },
      metricsBindAddress: { host: "0.0.0.0", port: 8080 },
      leaderElect: false,
      leaderElectionNamespace: "tools",
      leaderElectionId: "ecr-public-creds-helper",
      identity: "helper-0",
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      resyncPeriodMs: 600_000,
      refreshFraction: 0.5,
      failSafe: true,
      failSafeMarginMs: 15 * 60_000,
      prune: false,
      pod: { name: "helper-0", namespace: "tools" },
    });
  });

  test("flags and FAIL_SAFE=false", () => {
    const { controller } = parseConfig(
      ["run", "-A", "--leader-elect", "--leader-election-namespace", "ns1", "--metrics-bind-address", "0", "--refresh-at", "75", "--prune"],
      { FAIL_SAFE: "false" },
    );
    assert.equal(controller?.leaderElect, true);
    assert.equal(controller?.leaderElectionNamespace, "ns1");
    assert.equal(controller?.metricsBindAddress, undefined);
    assert.equal(controller?.refreshFraction, 0.75);
    assert.equal(controller?.failSafe, false);
    assert.equal(controller?.prune, true);
    assert.equal(parseConfig(["run", "-A", "--no-fail-safe"], {}).controller?.failSafe, false);
  });

  test("bad controller settings are one-line ConfigErrors", () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [["run", "-A", "--force"], {}, /--force applies to sync only/],
      [["run", "-A", "--dry-run"], {}, /--dry-run applies to sync only/],
      [["run", "-A", "--leader-elect"], {}, /--leader-elect needs --leader-election-namespace/],
      [["run", "-A", "--lease-duration", "5s", "--renew-deadline", "10s"], {}, /lease-duration > --renew-deadline/],
      [["run", "-A", "--metrics-bind-address", "8080"], {}, /must look like :8080/],
      [["run", "-A", "--refresh-at", "100"], {}, /refresh-at: must be below 100/],
      [["run", "-A", "--fail-safe-margin", "soon"], {}, /--fail-safe-margin "soon"/],
    ];
    for (const [args, env, pattern] of cases) {
      assert.throws(
        () => parseConfig(args, env),
        (error: Error) => error instanceof ConfigError && pattern.test(error.message) && !error.message.includes("\n"),
        args.join(" "),
      );
    }
  });
});
