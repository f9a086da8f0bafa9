// `testenv:up` / `testenv:down`: a real etcd + kube-apiserver (TLS, RBAC, service-account
// tokens) and the AWS emulator on free loopback ports, described by files under .testenv/.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { binaryPath, ensureControlPlaneBinaries } from "./binaries.ts";
import { ensureDebianPackages } from "./packages.ts";
import { base64File, createPki, type ClientCert, type Pki } from "./pki.ts";
import { repoRoot, stateDir, statePaths } from "./paths.ts";
import { freePort, isAlive, startDetached, stopProcess, waitUntil, type ManagedProcess } from "./processes.ts";

export interface TestenvState {
  readonly apiserverUrl: string;
  readonly etcdUrl: string;
  readonly emulatorUrl: string;
  readonly processes: readonly ManagedProcess[];
}

type Log = (line: string) => void;

export async function readState(): Promise<TestenvState | undefined> {
  if (!existsSync(statePaths.state)) return undefined;
  try {
    return JSON.parse(await readFile(statePaths.state, "utf8")) as TestenvState;
  } catch {
    return undefined;
  }
}

/** Starts the environment, or reuses a healthy running one. Returns the state. */
export async function up(log: Log): Promise<TestenvState> {
  const existing = await readState();
  if (existing?.processes.every(isAlive) && (await apiserverReady(existing.apiserverUrl))) {
    log(`testenv: already up (${existing.apiserverUrl})`);
    return existing;
  }
  if (existing) {
    log("testenv: found a half-started or stopped previous run; cleaning it up");
  }
  await down(() => undefined);
  await ensureDebianPackages(log);
  await ensureControlPlaneBinaries(log);

  await mkdir(statePaths.logs, { recursive: true });
  const pki = await createPki(statePaths.pki);
  const started: ManagedProcess[] = [];
  try {
    const state = await startAll(pki, started);
    await writeClientFiles(state, pki);
    await writeFile(statePaths.state, JSON.stringify(state, null, 2));
    return state;
  } catch (error) {
    for (const proc of started.reverse()) await stopProcess(proc);
    throw error;
  }
}

async function startAll(pki: Pki, started: ManagedProcess[]): Promise<TestenvState> {
  const [etcdPort, peerPort, apiPort, emulatorPort] = await distinctFreePorts(4);
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = startDetached(
    "etcd",
    binaryPath("etcd"),
    [
      "--name=testenv",
      `--data-dir=${statePaths.etcdData}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=testenv=http://127.0.0.1:${peerPort}`,
      // Test data is disposable: skip fsync as controller-runtime's envtest does.
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ],
    statePaths.logs,
  );
  started.push(etcd);
  await waitUntil(
    "healthy",
    etcd,
    async () => {
      const res = await fetch(`${etcdUrl}/health`);
      return res.ok;
    },
    30_000,
  );

  const apiserverUrl = `https://127.0.0.1:${apiPort}`;
  // An audit log lets tests count the API calls a command makes (by its User-Agent).
  await writeFile(statePaths.auditPolicy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n");
  const apiserver = startDetached(
    "kube-apiserver",
    binaryPath("kube-apiserver"),
    [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      // No kubernetes Service endpoints: a loopback address cannot be advertised (as in envtest).
      "--endpoint-reconciler-type=none",
      `--secure-port=${apiPort}`,
      `--cert-dir=${statePaths.pki}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${apiserverUrl}`,
      `--service-account-key-file=${pki.saPublicKey}`,
      `--service-account-signing-key-file=${pki.saPrivateKey}`,
      "--service-cluster-ip-range=10.96.0.0/24",
      "--allow-privileged=true",
      `--audit-policy-file=${statePaths.auditPolicy}`,
      `--audit-log-path=${statePaths.auditLog}`,
      "--audit-log-maxsize=200",
      "--v=1",
    ],
    statePaths.logs,
  );
  started.push(apiserver);
  await waitUntil("ready", apiserver, () => apiserverReady(apiserverUrl, pki), 90_000);

  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const emulator = startDetached(
    "aws-emulator",
    process.execPath,
    [
      join(repoRoot, "test", "aws-emulator", "main.ts"),
      "--host=127.0.0.1",
      `--port=${emulatorPort}`,
      `--access-key-id=${awsKeys.accessKeyId}`,
      `--secret-access-key=${awsKeys.secretAccessKey}`,
      `--container-auth-token=${awsKeys.containerAuthToken}`,
    ],
    statePaths.logs,
  );
  started.push(emulator);
  await waitUntil(
    "listening",
    emulator,
    async () => {
      const res = await fetch(`${emulatorUrl}/_emulator/calls`);
      return res.ok;
    },
    30_000,
  );

  return { apiserverUrl, etcdUrl, emulatorUrl, processes: [...started] };
}

/** Static test credentials for the emulator; not secret, they exist only on loopback. */
export const awsKeys = {
  accessKeyId: "AKIATESTENV000000001",
  secretAccessKey: "testenv-secret-access-key-0000000000000",
  containerAuthToken: "testenv-container-auth-token",
} as const;

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** GET /readyz with the admin client certificate. */
export async function apiserverReady(url: string, pki?: Pki): Promise<boolean> {
  const ca = pki?.caCert ?? join(statePaths.pki, "ca.crt");
  const cert = pki?.admin.cert ?? join(statePaths.pki, "admin.crt");
  const key = pki?.admin.key ?? join(statePaths.pki, "admin.key");
  if (!existsSync(ca) || !existsSync(cert)) return false;
  const [caPem, certPem, keyPem] = await Promise.all([readFile(ca), readFile(cert), readFile(key)]);
  return new Promise((resolveReady) => {
    const req = request(`${url}/readyz`, { ca: caPem, cert: certPem, key: keyPem, timeout: 2_000 }, (res) => {
      res.resume();
      resolveReady(res.statusCode === 200);
    });
    req.on("error", () => resolveReady(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

async function kubeconfig(server: string, pki: Pki, userName: string, client: ClientCert): Promise<string> {
  // JSON is valid YAML, and kubectl and client-node read it as a kubeconfig.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "testenv", cluster: { server, "certificate-authority-data": await base64File(pki.caCert) } }],
    users: [
      {
        name: userName,
        user: {
          "client-certificate-data": await base64File(client.cert),
          "client-key-data": await base64File(client.key),
        },
      },
    ],
    contexts: [{ name: "testenv", context: { cluster: "testenv", user: userName } }],
    "current-context": "testenv",
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function writeClientFiles(state: TestenvState, pki: Pki): Promise<void> {
  await writeFile(statePaths.kubeconfig, await kubeconfig(state.apiserverUrl, pki, "admin", pki.admin), { mode: 0o600 });
  await writeFile(statePaths.kubeconfigUser, await kubeconfig(state.apiserverUrl, pki, "user", pki.user), { mode: 0o600 });
  const env: Record<string, string> = {
    KUBECONFIG: statePaths.kubeconfig,
    TESTENV_KUBECONFIG_USER: statePaths.kubeconfigUser,
    TESTENV_APISERVER_URL: state.apiserverUrl,
    TESTENV_KUBECTL: binaryPath("kubectl"),
    TESTENV_EMULATOR_URL: state.emulatorUrl,
    AWS_ENDPOINT_URL_ECR_PUBLIC: state.emulatorUrl,
    AWS_ENDPOINT_URL_ECR: state.emulatorUrl,
    AWS_ENDPOINT_URL_STS: state.emulatorUrl,
    // Roles Anywhere's CreateSession: with --roles-anywhere-* and a trust anchor configured on
    // the emulator (/_emulator/config), `source .testenv/env` is enough to try it by hand.
    AWS_ENDPOINT_URL_ROLESANYWHERE: state.emulatorUrl,
    AWS_ACCESS_KEY_ID: awsKeys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: awsKeys.secretAccessKey,
    // Not us-east-1 on purpose: ECR Public must be asked in us-east-1 whatever this says.
    AWS_REGION: "eu-west-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(stateDir, "aws-config-absent"),
    AWS_SHARED_CREDENTIALS_FILE: join(stateDir, "aws-credentials-absent"),
    TESTENV_CONTAINER_AUTH_TOKEN: awsKeys.containerAuthToken,
  };
  const lines = Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  await writeFile(statePaths.env, `${lines.join("\n")}\n`);
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * Stops the API server for `downMs` and starts it again on the same port with the same
 * flags, for tests of how clients live through an outage. etcd keeps the data.
 */
export async function restartApiserver(downMs: number): Promise<void> {
  const state = await readState();
  const old = state?.processes.find((p) => p.name === "kube-apiserver");
  if (!state || !old) throw new Error("testenv is not up");
  await stopProcess(old);
  await new Promise((resolveWait) => setTimeout(resolveWait, downMs));
  const restarted = startDetached(old.name, old.command, old.args, statePaths.logs);
  await waitUntil("ready again", restarted, () => apiserverReady(state.apiserverUrl), 90_000);
  const processes = state.processes.map((p) => (p.name === old.name ? restarted : p));
  await writeFile(statePaths.state, JSON.stringify({ ...state, processes }, null, 2));
}

/** Stops every process `up` started and removes .testenv/. Safe to call when nothing runs. */
export async function down(log: Log): Promise<void> {
  const state = await readState();
  if (state) {
    // Reverse start order: the emulator and API server before etcd.
    for (const proc of [...state.processes].reverse()) await stopProcess(proc);
    log(`testenv: stopped ${state.processes.map((p) => p.name).join(", ")}`);
  }
  await rm(stateDir, { recursive: true, force: true });
}
