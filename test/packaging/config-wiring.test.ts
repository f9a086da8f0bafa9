// The manifests speak the CLI's language: the args and environment of every shipped workload
// (kustomize and Helm) go through the product's own parseConfig, are accepted, and mean what
// the manifests intend; every variable set is one the CLI or the AWS SDK reads, and the
// container ports are the ones the controller binds by default. The chart's values (defaults,
// every example its README documents, and one with every CLI-facing value changed) reach the
// CLI as the same settings.
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { describe, test } from "node:test";
import { EarlyExit, parseConfig, type Config } from "../../src/config.ts";
import { parseDuration } from "../../src/domain/duration.ts";
import { defaultValues, documentedExamples, mergeValues, templateExample, type Values } from "./chart-examples.ts";
import {
  chartCombinations,
  deployDir,
  helmTemplate,
  kustomize,
  mainContainer,
  overlayNames,
  parseManifests,
  podTemplate,
  workloads,
  type Container,
  type Manifest,
} from "./support.ts";

/** Read by the AWS SDK's default credential chain, not by our CLI. */
const awsSdkVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"];

/** Every "(env NAME)" that `--help` documents for a command. */
function documentedVariables(command: string): Set<string> {
  try {
    parseConfig([command, "--help"], {});
  } catch (error) {
    if (error instanceof EarlyExit) return new Set([...error.output.replace(/\s+/g, " ").matchAll(/\(env ([A-Z0-9_]+)\)/g)].map((m) => m[1] ?? ""));
    throw error;
  }
  throw new Error(`${command} --help did not exit early`);
}

/** The container's environment as a pod would see it: downward API and Secret values filled in. */
function podEnv(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[e.name] = "ecr-public-creds-helper";
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") env[e.name] = "ecr-public-creds-helper-5d8f7-abcde";
    else if (e.valueFrom?.secretKeyRef) env[e.name] = `from-secret-${e.valueFrom.secretKeyRef.key}`;
    else assert.fail(`${e.name}: unexpected valueFrom ${JSON.stringify(e.valueFrom)}`);
  }
  return env;
}

/** A workload, where it came from, everything rendered with it, and the chart values it was made from (when known as a whole). */
type Found = [source: string, workload: Manifest, all: Manifest[], values?: Values];

/** Every value the CLI reads changed from its default, for both modes. */
const everyCliValue: Values = {
  allNamespaces: true,
  exclude: ["kube-system", "kube-*"],
  namespaceSelector: "ecr=on",
  serviceAccounts: ["default", "builder"],
  secretName: "ecr-pull",
  ecrRegistries: [
    "111122223333.dkr.ecr.eu-west-1.amazonaws.com",
    "444455556666.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
    "777788889999.dkr-ecr.ap-south-1.on.aws",
  ],
  ecrPublicDualStack: true,
  refreshBefore: "8h",
  logLevel: "debug",
  prune: true,
  refreshAt: 40,
  failSafe: { enabled: false, margin: "30m" },
  aws: {
    auth: "rolesAnywhere",
    roleArn: "arn:aws:iam::444455556666:role/pull-tokens",
    rolesAnywhere: {
      trustAnchorArn: "arn:aws:rolesanywhere:ap-southeast-2:444455556666:trust-anchor/0b8e0f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
      profileArn: "arn:aws:rolesanywhere:ap-southeast-2:444455556666:profile/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      sessionDuration: "2h",
      secretName: "pull-tokens-tls",
    },
  },
};

async function allWorkloads(): Promise<Found[]> {
  const found: Found[] = [];
  const add = (source: string, manifests: Manifest[], values?: Values): void => {
    for (const w of workloads(manifests)) found.push([source, w, manifests, values]);
  };
  for (const overlay of overlayNames()) add(`kustomize ${overlay}`, parseManifests(await kustomize(join(deployDir, "overlays", overlay))));
  for (const { name, sets } of chartCombinations) add(`helm ${name}`, parseManifests(await helmTemplate("ecr-public-creds-helper", sets)));
  // Another release name and prune, where the Lease name and the RBAC rules must follow.
  add("helm other/prune", parseManifests(await helmTemplate("ecr-public-creds-helper", ["mode=controller", "prune=true"], "other")));
  for (const example of documentedExamples()) {
    const values = example.values && !example.sets?.length ? mergeValues(defaultValues(), example.values) : undefined;
    add(`helm README ${example.name}`, parseManifests(await templateExample("ecr-public-creds-helper", example)), values);
  }
  for (const mode of ["cronjob", "controller"]) {
    const values = { ...everyCliValue, mode };
    add(
      `helm every value/${mode}`,
      parseManifests(await templateExample("ecr-public-creds-helper", { name: mode, values })),
      mergeValues(defaultValues(), values),
    );
  }
  add("helm defaults", parseManifests(await helmTemplate("ecr-public-creds-helper", [])), defaultValues());
  return found;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** Whether some Role or ClusterRole among the manifests allows the verb on the named object. */
function allows(manifests: readonly Manifest[], kinds: readonly string[], group: string, resource: string, name: string, verb: string): boolean {
  return manifests
    .filter((m) => kinds.includes(m.kind))
    .flatMap((m) => (m as Manifest & { rules: Rule[] }).rules)
    .some(
      (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb) && (!r.resourceNames || r.resourceNames.includes(name)),
    );
}

function configOf(source: string, container: Container): Config {
  try {
    return parseConfig(container.args ?? [], podEnv(container));
  } catch (error) {
    assert.fail(`${source}: the CLI refuses args ${JSON.stringify(container.args)}: ${(error as Error).message}`);
  }
}

describe("manifests and the CLI agree", async () => {
  const found = await allWorkloads();

  test("every workload's args and environment are accepted by the CLI", () => {
    assert.ok(found.length >= 7 + chartCombinations.length);
    for (const [source, workload, manifests] of found) {
      const config = configOf(source, mainContainer(podTemplate(workload)));
      assert.equal(config.command, workload.kind === "CronJob" ? "sync" : "run", source);
      assert.ok(config.selection.include.length > 0 || config.selection.all, `${source} selects no namespace`);
      // The secret it writes is the one the shipped RBAC narrows its rights to.
      for (const verb of ["get", "update", "patch"]) {
        assert.ok(allows(manifests, ["ClusterRole", "Role"], "", "secrets", config.secretName, verb), `${source}: may not ${verb} secret ${config.secretName}`);
      }
    }
  });

  test("every variable set is one the CLI documents or the AWS SDK reads", () => {
    const known = { sync: documentedVariables("sync"), run: documentedVariables("run") };
    for (const [source, workload] of found) {
      const container = mainContainer(podTemplate(workload));
      const command = container.args?.[0] === "run" ? "run" : "sync";
      const unknown = (container.env ?? [])
        .map((e) => e.name)
        .filter((name) => !known[command].has(name) && !awsSdkVariables.includes(name) && name !== "POD_NAME");
      assert.deepEqual(unknown, [], `${source} sets variables nothing reads`);
    }
  });

  test("the controller leads through the Lease in its own namespace and serves on the ports the pod declares", () => {
    const controllers = found.filter(([, w]) => w.kind === "Deployment");
    assert.ok(controllers.length > 0);
    for (const [source, workload, manifests] of controllers) {
      const container = mainContainer(podTemplate(workload)) as Container & { ports: Array<{ name: string; containerPort: number }> };
      const controller = configOf(source, container).controller;
      assert.ok(controller, source);
      assert.equal(controller.leaderElect, true, source);
      assert.equal(controller.leaderElectionNamespace, "ecr-public-creds-helper", source);
      assert.equal(controller.identity, "ecr-public-creds-helper-5d8f7-abcde", `${source}: the Lease holder should be the pod's name`);
      const port = (name: string): number | undefined => container.ports.find((p) => p.name === name)?.containerPort;
      assert.equal(controller.healthProbeBindAddress.port, port("health"), source);
      assert.equal(controller.metricsBindAddress?.port, port("metrics"), source);
      // The Lease it will read, make and renew is the one its namespaced Role names.
      for (const verb of ["get", "create", "update"]) {
        assert.ok(
          allows(manifests, ["Role"], "coordination.k8s.io", "leases", controller.leaderElectionId, verb),
          `${source}: Role does not allow ${verb} on Lease ${controller.leaderElectionId}`,
        );
      }
      // --prune deletes the secret; without it, nothing may delete.
      assert.equal(
        allows(manifests, ["ClusterRole"], "", "secrets", configOf(source, container).secretName, "delete"),
        controller.prune,
        `${source}: delete on secrets must follow --prune`,
      );
    }
    assert.ok(
      controllers.some(([, w]) => configOf("", mainContainer(podTemplate(w))).controller?.prune),
      "no prune case was checked",
    );
  });

  test("the original's TARGET_NAMESPACES reaches the sync unchanged", () => {
    const [, cron] = found.find(([source]) => source === "kustomize cronjob") ?? [];
    assert.ok(cron);
    assert.deepEqual(configOf("kustomize cronjob", mainContainer(podTemplate(cron))).selection.include, ["default", "foo", "bar"]);
  });

  test("chart values mean the same to the CLI: defaults, every README example, every value changed", () => {
    const checked = found.filter((f): f is Required<Found> => f[3] !== undefined);
    assert.ok(checked.length >= 10, `only ${checked.length} workloads with known values`);
    for (const [source, workload, , values] of checked) {
      const config = configOf(source, mainContainer(podTemplate(workload)));
      assert.deepEqual(config, { ...config, ...expectedConfig(values) }, source);
      if (config.controller) assert.deepEqual(config.controller, { ...config.controller, ...expectedController(values) }, source);
      const rolesAnywhere = expectedRolesAnywhere(values);
      if (rolesAnywhere) assert.deepEqual(config.rolesAnywhere, { ...config.rolesAnywhere, ...rolesAnywhere }, source);
      else assert.equal(config.rolesAnywhere, undefined, source);
    }
    assert.ok(
      checked.some(([, , , values]) => expectedRolesAnywhere(values)),
      "no Roles Anywhere case was checked",
    );
  });

  test("Roles Anywhere: the certificate and key the CLI reads are tls.crt and tls.key of a Secret the pod mounts read-only, the one the Certificate writes", () => {
    let checked = 0;
    for (const [source, workload, manifests] of found) {
      const pod = podTemplate(workload);
      const container = mainContainer(pod);
      const settings = configOf(source, container).rolesAnywhere;
      if (!settings) continue;
      checked++;
      const dir = dirname(settings.certificateFile);
      assert.deepEqual(
        [basename(settings.certificateFile), basename(settings.privateKeyFile), dirname(settings.privateKeyFile)],
        ["tls.crt", "tls.key", dir],
        source,
      );
      const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === dir) as { name: string; readOnly?: boolean; subPath?: string } | undefined;
      assert.ok(mount, `${source}: nothing is mounted at ${dir}`);
      assert.equal(mount.readOnly, true, `${source}: the certificate's Secret is mounted writable`);
      // A subPath mount would never see a renewed certificate.
      assert.equal(mount.subPath, undefined, source);
      const secret = (pod.spec.volumes?.find((v) => v.name === mount.name) as { secret?: { secretName: string } } | undefined)?.secret?.secretName;
      assert.ok(secret, `${source}: the volume at ${dir} is not a Secret`);
      const certificate = manifests.find((m) => m.kind === "Certificate") as (Manifest & { spec: { secretName: string } }) | undefined;
      if (certificate) assert.equal(certificate.spec.secretName, secret, `${source}: the pod mounts another Secret than the Certificate writes`);
    }
    // Both modes of the chart with and without the Certificate, the README's, the overlay, every value changed.
    assert.ok(checked >= 9, `only ${checked} Roles Anywhere workloads`);
  });

  test("every CLI-facing value changed reaches the CLI (literal settings, not a copy of the mapping)", () => {
    for (const mode of ["cronjob", "controller"]) {
      const [source, workload] = found.find(([s]) => s === `helm every value/${mode}`) ?? [];
      assert.ok(source && workload);
      const config = configOf(source, mainContainer(podTemplate(workload)));
      assert.deepEqual(
        {
          include: config.selection.include,
          all: config.selection.all,
          exclude: config.selection.exclude,
          selector: config.selection.labelSelector.requirements.length,
          secretName: config.secretName,
          serviceAccounts: config.serviceAccounts,
          registries: config.ecrRegistries.map((r) => `${r.accountId} ${r.region}`),
          ecrPublicDualStack: config.ecrPublicDualStack,
          refreshBeforeMs: config.refreshBeforeMs,
          logLevel: config.log.level,
          rolesAnywhere: config.rolesAnywhere,
        },
        {
          include: [],
          all: true,
          exclude: ["kube-system", "kube-*"],
          selector: 1,
          secretName: "ecr-pull",
          serviceAccounts: ["default", "builder"],
          registries: ["111122223333 eu-west-1", "444455556666 us-gov-west-1", "777788889999 ap-south-1"],
          ecrPublicDualStack: true,
          refreshBeforeMs: 8 * 3_600_000,
          logLevel: "debug",
          rolesAnywhere: {
            certificateFile: "/var/run/secrets/roles-anywhere/tls.crt",
            privateKeyFile: "/var/run/secrets/roles-anywhere/tls.key",
            trustAnchorArn: "arn:aws:rolesanywhere:ap-southeast-2:444455556666:trust-anchor/0b8e0f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
            profileArn: "arn:aws:rolesanywhere:ap-southeast-2:444455556666:profile/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            roleArn: "arn:aws:iam::444455556666:role/pull-tokens",
            region: "ap-southeast-2",
            sessionDurationSeconds: 7200,
            endpoint: "https://rolesanywhere.ap-southeast-2.amazonaws.com",
          },
        },
        source,
      );
      if (mode === "controller") {
        const { prune, refreshFraction, failSafe, failSafeMarginMs } = config.controller ?? {};
        assert.deepEqual(
          { prune, refreshFraction, failSafe, failSafeMarginMs },
          { prune: true, refreshFraction: 0.4, failSafe: false, failSafeMarginMs: 30 * 60_000 },
        );
      } else assert.equal(config.controller, undefined);
    }
  });
});

function duration(text: unknown): number | undefined {
  return parseDuration(String(text));
}

/** The settings of Config the chart's values decide. */
function expectedConfig(values: Values): Partial<Config> {
  const namespaces = (values["namespaces"] as string[] | undefined) ?? [];
  const all = values["allNamespaces"] === true || (namespaces.length === 0 && values["namespaceSelector"] !== "");
  const selection = { include: values["allNamespaces"] === true ? [] : namespaces, all, exclude: values["exclude"] as string[] };
  return {
    selection: { ...selection, labelSelector: parseConfig(["sync", "-A", "-l", String(values["namespaceSelector"])], {}).selection.labelSelector },
    secretName: values["secretName"] as string,
    serviceAccounts: values["serviceAccounts"] as string[],
    ecrRegistries: parseConfig(["sync", "-A", "--ecr-registries", (values["ecrRegistries"] as string[]).join(",")], {}).ecrRegistries,
    ecrPublicDualStack: values["ecrPublicDualStack"] as boolean,
    refreshBeforeMs: duration(values["refreshBefore"]) ?? Number.NaN,
    log: { level: values["logLevel"] as Config["log"]["level"], format: "json" },
  };
}

/** The Roles Anywhere settings the chart's values name (the files are checked against the pod's mounts apart). */
function expectedRolesAnywhere(values: Values): Partial<NonNullable<Config["rolesAnywhere"]>> | undefined {
  const aws = values["aws"] as { auth: string; roleArn: string; rolesAnywhere: { trustAnchorArn: string; profileArn: string; sessionDuration: string } };
  if (aws.auth !== "rolesAnywhere") return undefined;
  const { trustAnchorArn, profileArn, sessionDuration } = aws.rolesAnywhere;
  return {
    trustAnchorArn,
    profileArn,
    roleArn: aws.roleArn,
    sessionDurationSeconds: sessionDuration === "" ? 3600 : (duration(sessionDuration) ?? Number.NaN) / 1000,
  };
}

function expectedController(values: Values): Partial<NonNullable<Config["controller"]>> {
  const failSafe = values["failSafe"] as { enabled: boolean; margin: string };
  return {
    leaderElect: values["leaderElect"] as boolean,
    prune: values["prune"] as boolean,
    refreshFraction: (values["refreshAt"] as number) / 100,
    failSafe: failSafe.enabled,
    failSafeMarginMs: duration(failSafe.margin) ?? Number.NaN,
  };
}
