// A validating admission webhook the test controls, registered with the real API server, to
// make it answer our writes with real errors: a webhook that fails makes the API server
// answer 500 (failurePolicy: Fail), and one that denies with a status code makes it answer
// with that code (429 here). Scoped by a namespace label, so other tests never meet it.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { AddressInfo } from "node:net";
import { statePaths } from "../testenv/paths.ts";
import { adminClients } from "./testenv.ts";

export interface AdmissionRequest {
  readonly uid: string;
  readonly operation: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** What the webhook does with one request: let it through, fail (HTTP 500), or deny with a code. */
export type Verdict = { readonly kind: "allow" } | { readonly kind: "fail" } | { readonly kind: "deny"; readonly code: number; readonly message: string };

export interface SecretWebhook {
  readonly requests: AdmissionRequest[];
  stop(): Promise<void>;
}

/** `decide` may act on the cluster before it answers: the API server waits for the verdict. */
export async function startSecretWebhook(
  name: string,
  namespaceLabel: Readonly<Record<string, string>>,
  decide: (request: AdmissionRequest) => Verdict | Promise<Verdict>,
): Promise<SecretWebhook> {
  const requests: AdmissionRequest[] = [];
  // The API server's own serving certificate is valid for 127.0.0.1 and signed by the testenv CA.
  const server: Server = createServer(
    { cert: readFileSync(join(statePaths.pki, "apiserver.crt")), key: readFileSync(join(statePaths.pki, "apiserver.key")) },
    (req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", async () => {
        const review = JSON.parse(body) as { apiVersion: string; kind: string; request: AdmissionRequest };
        requests.push(review.request);
        const verdict = await decide(review.request);
        if (verdict.kind === "fail") {
          res.writeHead(500).end("webhook failing on purpose");
          return;
        }
        const response =
          verdict.kind === "allow"
            ? { uid: review.request.uid, allowed: true }
            : { uid: review.request.uid, allowed: false, status: { code: verdict.code, message: verdict.message } };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind, response }));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const admission = adminClients().kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  await admission.createValidatingWebhookConfiguration({
    body: {
      metadata: { name },
      webhooks: [
        {
          name: `${name}.testenv.invalid`,
          clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle: readFileSync(join(statePaths.pki, "ca.crt")).toString("base64") },
          rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["secrets"] }],
          namespaceSelector: { matchLabels: { ...namespaceLabel } },
          failurePolicy: "Fail",
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          timeoutSeconds: 5,
        },
      ],
    },
  });
  return {
    requests,
    async stop() {
      await admission.deleteValidatingWebhookConfiguration({ name });
      // The API server keeps its connections to a webhook open for reuse; close() alone
      // would wait for them to time out (about 90 s).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
