// The connection to Kubernetes: which kubeconfig and context we load (and the one-line errors
// when we cannot), that every call names us in its User-Agent and reuses one connection, and
// that a server certificate we cannot trust is reported as such, against the real API server.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, test } from "node:test";
import { CoreV1Api, KubeConfig, VersionApi } from "@kubernetes/client-node";
import { apiClient, coreApi, KubeConfigError, loadKubeConfig, serverUrl } from "../../src/kube/client.ts";
import { classifyKubeError, kubeErrorMessage, KubeErrorKind } from "../../src/kube/errors.ts";
import { version } from "../../src/version.ts";
import { auditMark, ourCallsSince } from "../support/audit.ts";
import { adminClients, uniqueName } from "../support/kube.ts";
import { statePaths } from "../testenv/paths.ts";
import { apiProxy } from "./proxy.ts";

const { core: admin, kc: adminKc } = adminClients();
const testenvServer = adminKc.getCurrentCluster()?.server ?? "";

async function kubeconfigFile(config: object): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "kube-client-")), "kubeconfig");
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

/** A kubeconfig with one context `name`, current, for a cluster at `server`. */
function singleContext(name: string, server: string): object {
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": name,
    clusters: [{ name: `${name}-cluster`, cluster: { server } }],
    users: [{ name: `${name}-user`, user: { token: "not-a-real-token" } }],
    contexts: [{ name, context: { cluster: `${name}-cluster`, user: `${name}-user` } }],
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected a throw");
}

function assertOneLineKubeConfigError(error: unknown, pattern: RegExp): void {
  assert.ok(error instanceof KubeConfigError, String(error));
  assert.ok(!error.message.includes("\n"), error.message);
  assert.match(error.message, pattern);
}

describe("loadKubeConfig", () => {
  test("an explicit kubeconfig reaches the API server", async () => {
    const kc = loadKubeConfig({ kubeconfig: statePaths.kubeconfig });
    assert.equal(serverUrl(kc), testenvServer);
    const namespaces = await coreApi(kc).listNamespace();
    assert.ok(namespaces.items.some((ns) => ns.metadata?.name === "default"));
  });

  test("a path list is merged as kubectl does: the first file's current context wins, --context picks from any file", async () => {
    const first = await kubeconfigFile(singleContext("first", "https://first.example:6443"));
    const second = await kubeconfigFile(singleContext("second", "https://second.example:6443"));
    const list = ["", first, "", second].join(delimiter);
    assert.equal(serverUrl(loadKubeConfig({ kubeconfig: list })), "https://first.example:6443");
    assert.equal(serverUrl(loadKubeConfig({ kubeconfig: list, context: "second" })), "https://second.example:6443");
    assert.equal(serverUrl(loadKubeConfig({ kubeconfig: [second, first].join(delimiter) })), "https://second.example:6443");
  });

  test("a missing file: one line naming it", () => {
    const error = thrown(() => loadKubeConfig({ kubeconfig: "/nonexistent/kubeconfig" }));
    assertOneLineKubeConfigError(error, /^cannot read \/nonexistent\/kubeconfig: .*; pass --kubeconfig or set KUBECONFIG$/);
  });

  test("a file that is not a kubeconfig: one line", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "kube-client-")), "kubeconfig");
    await writeFile(path, "clusters: [\n  - : : :\n");
    assertOneLineKubeConfigError(
      thrown(() => loadKubeConfig({ kubeconfig: path })),
      new RegExp(`^cannot read ${path}: `),
    );
  });

  test("an unknown context: one line naming it", () => {
    const error = thrown(() => loadKubeConfig({ kubeconfig: statePaths.kubeconfig, context: "nope" }));
    assertOneLineKubeConfigError(error, /^context "nope" is not in the kubeconfig; see kubectl config get-contexts$/);
  });

  test("a kubeconfig without a cluster: one line", async () => {
    const empty = await kubeconfigFile({ apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] });
    assertOneLineKubeConfigError(
      thrown(() => loadKubeConfig({ kubeconfig: empty })),
      /^no Kubernetes cluster configured/,
    );
  });

  test("without --kubeconfig, KUBECONFIG is read (client-node's default)", async () => {
    const saved = process.env["KUBECONFIG"];
    process.env["KUBECONFIG"] = await kubeconfigFile(singleContext("from-env", "https://from-env.example:6443"));
    try {
      assert.equal(serverUrl(loadKubeConfig({})), "https://from-env.example:6443");
      assert.equal(serverUrl(loadKubeConfig({ kubeconfig: undefined, context: undefined })), "https://from-env.example:6443");
    } finally {
      if (saved === undefined) delete process.env["KUBECONFIG"];
      else process.env["KUBECONFIG"] = saved;
    }
  });
});

describe("apiClient", () => {
  test("every call names us in the User-Agent", async () => {
    const name = uniqueName("kube-ua");
    const mark = auditMark();
    await coreApi(adminKc).createNamespace({ body: { metadata: { name } } });
    await apiClient(adminKc, VersionApi).getCode();
    const created = ourCallsSince(mark).filter((e) => e.verb === "create" && e.objectRef?.name === name);
    assert.equal(created.length, 1, "the create carried our User-Agent");
    assert.equal(created[0]?.userAgent, `ecr-public-creds-helper/${version}`);
    // The same request through client-node's own client is not ours: the filter means something.
    const other = uniqueName("kube-ua-other");
    await admin.createNamespace({ body: { metadata: { name: other } } });
    assert.equal(ourCallsSince(mark).filter((e) => e.objectRef?.name === other).length, 0);
  });

  test("sequential calls share one connection (ADR 0002)", async () => {
    const proxy = await apiProxy(adminKc);
    await proxy.listen();
    try {
      const core = coreApi(proxy.kc);
      for (let i = 0; i < 10; i++) await core.listNamespace({ limit: 1 });
      assert.equal(proxy.connections, 1);
      // client-node's own client opens a connection per call: the count means something.
      const plain = proxy.kc.makeApiClient(CoreV1Api);
      for (let i = 0; i < 3; i++) await plain.listNamespace({ limit: 1 });
      assert.equal(proxy.connections, 4);
    } finally {
      await proxy.close();
    }
  });

  test("no cluster, no client", () => {
    assert.throws(() => apiClient(new KubeConfig(), CoreV1Api), KubeConfigError);
    assert.equal(serverUrl(new KubeConfig()), "(unknown server)");
  });
});

describe("a server certificate we cannot trust", () => {
  test("a kubeconfig without the cluster's CA: not trusted, not signed by the kubeconfig's CA", async () => {
    const path = await kubeconfigFile(singleContext("no-ca", testenvServer));
    const error = await coreApi(loadKubeConfig({ kubeconfig: path }))
      .listNamespace()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.equal(classifyKubeError(error), KubeErrorKind.untrustedCertificate, String(error));
    assert.match(
      kubeErrorMessage(error),
      /^the API server's certificate is not trusted: .*\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)$/,
    );
  });

  test("an address the certificate does not name", async () => {
    // 127.0.0.2 is this machine too, but the test API server's certificate names only 127.0.0.1.
    const proxy = await apiProxy(adminKc, "127.0.0.2");
    await proxy.listen();
    try {
      const error = await coreApi(proxy.kc)
        .listNamespace()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.equal(classifyKubeError(error), KubeErrorKind.untrustedCertificate, String(error));
      assert.equal(
        kubeErrorMessage(error),
        "the API server's certificate is not trusted: it is not issued for the server address in the kubeconfig (ERR_TLS_CERT_ALTNAME_INVALID)",
      );
    } finally {
      await proxy.close();
    }
  });
});
