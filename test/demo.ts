// npm run demo: start the local control plane and AWS emulator, make a few namespaces and
// service accounts, run a real `sync`, and show what it wrote (never the token).
import { spawnSync } from "node:child_process";
import { cliInvocation } from "./support/cli.ts";
import { adminClients } from "./support/testenv.ts";
import { statePaths } from "./testenv/paths.ts";
import { up } from "./testenv/testenv.ts";

const log = (line: string): void => void process.stdout.write(`${line}\n`);

await up((line) => log(line));
const { core } = adminClients();
const namespaces = ["demo-web", "demo-api", "demo-batch"];
for (const name of namespaces) {
  await core.createNamespace({ body: { metadata: { name } } }).catch((e: { code?: number }) => {
    if (e.code !== 409) throw e;
  });
  await core
    .createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: "default" }, imagePullSecrets: [{ name: "other-registry" }] } })
    .catch((e: { code?: number }) => {
      if (e.code !== 409) throw e;
    });
}

log(`\n$ TARGET_NAMESPACES="${namespaces.join(" ")}" ecr-public-creds-helper sync --service-accounts default\n`);
// Started as the image starts it, and as the tests do.
const {
  argv: [node = "", ...argv],
  env,
} = cliInvocation(["sync", "--service-accounts", "default", "--log-format", "text"], { TARGET_NAMESPACES: namespaces.join(" ") });
const result = spawnSync(node, argv, { env, stdio: "inherit" });

log("\nWhat is in the cluster now:");
for (const namespace of namespaces) {
  const secret = await core.readNamespacedSecret({ name: "ecr-public-token", namespace }).catch(() => undefined);
  const sa = await core.readNamespacedServiceAccount({ name: "default", namespace });
  const auths = secret?.data?.[".dockerconfigjson"]
    ? Object.keys((JSON.parse(Buffer.from(secret.data[".dockerconfigjson"], "base64").toString()) as { auths: object }).auths)
    : [];
  log(
    `  ${namespace}: secret ${
      secret
        ? `${secret.metadata?.name} (${secret.type}) for ${auths.join(", ")}, ` +
          `expires ${secret.metadata?.annotations?.["ecr-public-creds-helper/expires-at"]}`
        : "missing"
    }; ` + `service account default pulls with ${(sa.imagePullSecrets ?? []).map((r) => r.name).join(", ")}`,
  );
}
log(`\nThe control plane keeps running: export KUBECONFIG=${statePaths.kubeconfig} to look around;`);
log("run it again with 'npm run demo' (nothing is due, so no AWS call), stop it with 'npm run testenv:down'.");
process.exitCode = result.status ?? 1;
