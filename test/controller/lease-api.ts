// A CoordinationV1Api on the testenv's real API server, as admin, that a test can hold up or
// cut off: a request can be kept from leaving, an answer kept from arriving after the API server
// has acted on the request (a late answer), or every request sent to a closed port (connection
// refused). The API server, TLS and HTTP are all real; the test only decides when bytes move.
import {
  CoordinationV1Api,
  createConfiguration,
  Observable,
  ServerConfiguration,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from "@kubernetes/client-node";
import { freePort } from "../testenv/processes.ts";
import { kubeConfig } from "../support/testenv.ts";

type Method = "GET" | "POST" | "PUT";

/** One hold: `arrived` resolves once a matching request (or its answer) is waiting; release() lets it go. */
export interface Hold {
  readonly arrived: Promise<void>;
  release(): void;
}

interface Pending {
  readonly method: Method;
  readonly arrive: () => void;
  readonly released: Promise<void>;
}

function pending(method: Method): { hold: Hold; pending: Pending } {
  let arrive = (): void => undefined;
  let release = (): void => undefined;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { hold: { arrived, release }, pending: { method, arrive, released } };
}

export class ControlledLeaseApi {
  readonly api: CoordinationV1Api;
  #requestHold: Pending | undefined;
  #answerHold: Pending | undefined;
  #answerHeldFor: Pending | undefined;
  #closedPortUrl: string | undefined;

  constructor(kubeconfigPath?: string) {
    const kc = kubeConfig(kubeconfigPath);
    const server = kc.getCurrentCluster()?.server ?? "";
    const middleware: ObservableMiddleware = {
      pre: (request) => new Observable(this.#beforeSending(request, server)),
      post: (response) => new Observable(this.#beforeAnswering(response)),
    };
    this.api = new CoordinationV1Api(
      createConfiguration({
        baseServer: new ServerConfiguration(server, {}),
        authMethods: { default: kc },
        middleware: [middleware],
      }),
    );
  }

  /** The next `method` request waits before it is sent, until release(). */
  holdRequest(method: Method): Hold {
    const { hold, pending: p } = pending(method);
    this.#requestHold = p;
    return hold;
  }

  /** The next `method` request reaches the API server; its answer waits until release(). */
  holdAnswer(method: Method): Hold {
    const { hold, pending: p } = pending(method);
    this.#answerHold = p;
    return hold;
  }

  /** From now on every request goes to a port nobody listens on. */
  async cutOff(): Promise<void> {
    this.#closedPortUrl = `https://127.0.0.1:${await freePort()}`;
  }

  reconnect(): void {
    this.#closedPortUrl = undefined;
  }

  async #beforeSending(request: RequestContext, server: string): Promise<RequestContext> {
    if (this.#closedPortUrl) request.setUrl(request.getUrl().replace(server, this.#closedPortUrl));
    const method = request.getHttpMethod() as string;
    const answerHold = this.#answerHold;
    if (answerHold?.method === method) {
      this.#answerHold = undefined;
      this.#answerHeldFor = answerHold;
    }
    const requestHold = this.#requestHold;
    if (requestHold?.method === method) {
      this.#requestHold = undefined;
      requestHold.arrive();
      await requestHold.released;
    }
    return request;
  }

  async #beforeAnswering(response: ResponseContext): Promise<ResponseContext> {
    // The elector makes one call at a time, so the answer after a held request is its answer.
    const held = this.#answerHeldFor;
    if (held) {
      this.#answerHeldFor = undefined;
      held.arrive();
      await held.released;
    }
    return response;
  }
}
