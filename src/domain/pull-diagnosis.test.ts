import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseLabelSelector } from "./label-selector.ts";
import { expiresAtAnnotation, registriesAnnotation } from "./managed.ts";
import { optOutAnnotation, type NamespaceSelection } from "./namespaces.ts";
import {
  diagnosePulls,
  namedBySelection,
  secretStateFor,
  whyNotSelected,
  type PodEvent,
  type PullFacts,
  type Read,
  type SecretSummary,
  type StuckPod,
} from "./pull-diagnosis.ts";
import { PullFailure } from "./pull-failure.ts";
import type { NamespaceInfo } from "./types.ts";

const now = Date.parse("2026-05-01T12:00:00Z");
const hour = 3_600_000;
const privateHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const image = "public.ecr.aws/nginx/nginx:1.27";
const dualStackImage = "ecr-public.aws.com/nginx/nginx:1.27";

// The runtime's words (sources in pull-failure.test.ts).
const said = {
  throttled: `Failed to pull image "${image}": rpc error: code = Unknown desc = Error response from daemon: toomanyrequests: Rate exceeded`,
  forbidden: `Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from HEAD request to https://public.ecr.aws/v2/nginx/nginx/manifests/1.27: 403 Forbidden`,
  noCredentials: `Failed to pull image "${privateHost}/app:1": rpc error: code = Unknown desc = Error response from daemon: Get https://${privateHost}/v2/app/manifests/1: no basic auth credentials`,
  notFound: `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
};

const selection = (text: Partial<NamespaceSelection> = {}): NamespaceSelection => ({
  include: [],
  all: true,
  exclude: [],
  labelSelector: parseLabelSelector(""),
  ...text,
});

const namespace = (name: string, more: Partial<NamespaceInfo> = {}): NamespaceInfo => ({ name, labels: {}, annotations: {}, terminating: false, ...more });

const pod = (more: Partial<StuckPod> = {}, containerImage = image, message = `Back-off pulling image "${containerImage}"`): StuckPod => ({
  namespace: "team-a",
  name: "web",
  uid: "uid-1",
  serviceAccount: "default",
  imagePullSecrets: [],
  containers: [{ name: "app", init: false, image: containerImage, reason: "ImagePullBackOff", message }],
  ...more,
});

const event = (message: string, more: Partial<PodEvent> = {}): PodEvent => ({
  namespace: "team-a",
  pod: "web",
  uid: "uid-1",
  fieldPath: "spec.containers{app}",
  message,
  at: now - 60_000,
  ...more,
});

const ourSecret = (more: { expiresIn?: number; hosts?: string[]; registries?: string } = {}): SecretSummary => {
  const hosts = more.hosts ?? ["public.ecr.aws"];
  return {
    managed: true,
    annotations: {
      [expiresAtAnnotation]: new Date(now + (more.expiresIn ?? 10 * hour)).toISOString(),
      [registriesAnnotation]: more.registries ?? hosts.join(","),
    },
    hosts,
  };
};

function facts(more: {
  selection?: NamespaceSelection;
  namespaces?: NamespaceInfo[];
  secret?: Read<SecretSummary>;
  saSecrets?: Read<readonly string[]>;
  patched?: string[];
  registries?: string[];
}): PullFacts {
  return {
    namespaces: new Map((more.namespaces ?? [namespace("team-a")]).map((ns) => [ns.name, ns])),
    selection: more.selection ?? selection(),
    secretName: "ecr-public-token",
    ecrRegistries: more.registries ?? [],
    patchedServiceAccounts: more.patched ?? [],
    secrets: new Map([["team-a", more.secret ?? ourSecret()]]),
    serviceAccounts: new Map([["team-a/default", more.saSecrets ?? ["ecr-public-token"]]]),
    now,
  };
}

function one(pods: StuckPod[], events: PodEvent[], f: PullFacts): { failure: string; cause: string; fix: string; evidence: string } {
  const found = diagnosePulls(pods, events, f);
  assert.equal(found.length, 1, JSON.stringify(found));
  return found[0] as { failure: string; cause: string; fix: string; evidence: string };
}

describe("diagnosePulls: the cause and the fix", () => {
  const cases: ReadonlyArray<{
    readonly name: string;
    readonly pods?: StuckPod[];
    readonly events: PodEvent[];
    readonly facts: PullFacts;
    readonly failure: PullFailure;
    readonly cause: RegExp;
    readonly fix: RegExp;
  }> = [
    {
      name: "throttled: the namespace is left out by --exclude, so there is no secret",
      events: [event(said.throttled)],
      facts: facts({ selection: selection({ exclude: ["team-*"] }), secret: "missing" }),
      failure: PullFailure.throttled,
      cause: /^throttled \(429\): anonymous pull: namespace not selected \(--exclude team-\*\), so it has no secret ecr-public-token$/,
      fix: /^take team-a out of --exclude \(EXCLUDE_NAMESPACES\)$/,
    },
    {
      name: "throttled: opted out by the annotation",
      events: [event(said.throttled)],
      facts: facts({ namespaces: [namespace("team-a", { annotations: { [optOutAnnotation]: "true" } })], secret: "missing" }),
      failure: PullFailure.throttled,
      cause: /namespace not selected \(annotation ecr-public-creds-helper\/ignore=true\)/,
      fix: /^remove the annotation ecr-public-creds-helper\/ignore from team-a$/,
    },
    {
      name: "throttled: the labels do not match the selector",
      events: [event(said.throttled)],
      facts: facts({ selection: selection({ labelSelector: parseLabelSelector("ecr=yes") }), secret: "missing" }),
      failure: PullFailure.throttled,
      cause: /namespace not selected \(its labels do not match --namespace-selector ecr=yes\)/,
      fix: /--namespace-selector \(NAMESPACE_SELECTOR\)/,
    },
    {
      name: "throttled: selected but the secret is missing",
      events: [event(said.throttled)],
      facts: facts({ secret: "missing" }),
      failure: PullFailure.throttled,
      cause: /anonymous pull: no secret ecr-public-token in team-a$/,
      fix: /^run sync, or check that the controller is running/,
    },
    {
      name: "throttled: neither the pod nor its service account names the secret",
      events: [event(said.throttled)],
      facts: facts({ saSecrets: ["other"] }),
      failure: PullFailure.throttled,
      cause: /^throttled \(429\): anonymous pull: neither the pod nor its service account default names the secret ecr-public-token$/,
      fix: /^add default to --service-accounts \(SERVICE_ACCOUNTS\), or imagePullSecrets: \[\{name: ecr-public-token\}\] to the pod$/,
    },
    {
      name: "throttled: the service account is one sync patches, not patched yet",
      events: [event(said.throttled)],
      facts: facts({ saSecrets: [], patched: ["default"] }),
      failure: PullFailure.throttled,
      cause: /neither the pod nor its service account default names/,
      fix: /^run sync: it adds ecr-public-token to service account default$/,
    },
    {
      name: "throttled although the pod names the secret and the token is fresh",
      pods: [pod({ imagePullSecrets: ["ecr-public-token"] })],
      events: [event(said.throttled)],
      facts: facts({ saSecrets: "missing" }),
      failure: PullFailure.throttled,
      cause: /throttled although the pod pulls with a fresh token/,
      fix: /^not a pull-secret problem/,
    },
    {
      name: "denied: the token in the secret has expired",
      events: [event(said.forbidden)],
      facts: facts({ secret: ourSecret({ expiresIn: -2 * hour }) }),
      failure: PullFailure.denied,
      cause: /^denied \(401\/403\): the token in the secret expired 2h ago$/,
      fix: /^run sync, or check that the controller is running and refreshing/,
    },
    {
      name: "denied: expired in a namespace no longer selected: nothing refreshes it",
      events: [event(said.forbidden)],
      facts: facts({ secret: ourSecret({ expiresIn: -hour }), selection: selection({ exclude: ["team-a"] }) }),
      failure: PullFailure.denied,
      cause: /expired 1h ago/,
      fix: /^take team-a out of --exclude \(EXCLUDE_NAMESPACES\): nothing refreshes the secret/,
    },
    {
      name: "the fail-safe emptied the secret",
      events: [event(said.forbidden)],
      facts: facts({ secret: ourSecret({ hosts: [], registries: "", expiresIn: -hour }) }),
      failure: PullFailure.denied,
      cause: /the fail-safe emptied the secret/,
      fix: /token refresh.*EcrPublicCredsRefreshFailing/,
    },
    {
      name: "denied with a fresh token the pod uses",
      events: [event(said.forbidden)],
      facts: facts({}),
      failure: PullFailure.denied,
      cause: /the registry refused the fresh token in the secret/,
      fix: /^run sync --force/,
    },
    {
      name: "a secret of our name that another tool manages",
      events: [event(said.forbidden)],
      facts: facts({ secret: { managed: false, annotations: {}, hosts: ["public.ecr.aws"] } }),
      failure: PullFailure.denied,
      cause: /the secret ecr-public-token in team-a is not managed by this helper/,
      fix: /--adopt/,
    },
    {
      name: "no credentials: a private registry not in --ecr-registries",
      pods: [pod({}, `${privateHost}/app:1`)],
      events: [event(said.noCredentials)],
      facts: facts({}),
      failure: PullFailure.noCredentials,
      cause: /^no credentials: the registry is not in --ecr-registries, so the secret holds no login for it$/,
      fix: /^add 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com to --ecr-registries \(ECR_REGISTRIES\), then run sync$/,
    },
    {
      name: "no credentials: a configured private registry the secret holds no login for yet",
      pods: [pod({}, `${privateHost}/app:1`)],
      events: [event(said.noCredentials)],
      facts: facts({ registries: [privateHost] }),
      failure: PullFailure.noCredentials,
      cause: /the secret ecr-public-token holds no login for 123456789012\.dkr\.ecr/,
      fix: /^run sync$/,
    },
    {
      name: "throttled on ecr-public.aws.com without --ecr-public-dual-stack: anonymous, however fresh the secret",
      pods: [pod({}, dualStackImage)],
      events: [event(said.throttled.replaceAll(image, dualStackImage))],
      facts: facts({}),
      failure: PullFailure.throttled,
      cause:
        /^throttled \(429\): anonymous pull: ecr-public\.aws\.com is ECR Public's dual-stack name, and without --ecr-public-dual-stack the secret holds no login for it$/,
      fix: /^set --ecr-public-dual-stack \(ECR_PUBLIC_DUAL_STACK\), then run sync$/,
    },
    {
      name: "throttled on ecr-public.aws.com with the option, before a sync wrote it",
      pods: [pod({}, dualStackImage)],
      events: [event(said.throttled.replaceAll(image, dualStackImage))],
      facts: facts({ registries: ["ecr-public.aws.com"] }),
      failure: PullFailure.throttled,
      cause: /the secret ecr-public-token holds no login for ecr-public\.aws\.com$/,
      fix: /^run sync$/,
    },
    {
      name: "image not found is not ours to fix",
      events: [event(said.notFound)],
      facts: facts({ secret: "missing" }),
      failure: PullFailure.notFound,
      cause: /^image not found/,
      fix: /^not a pull-secret problem: check the image name and tag$/,
    },
    {
      name: "the secret could not be read: said so, not guessed",
      events: [event(said.forbidden)],
      facts: facts({ secret: "unreadable" }),
      failure: PullFailure.denied,
      cause: /the secret ecr-public-token could not be read/,
      fix: /get secrets\/ecr-public-token in team-a/,
    },
    {
      name: "no Event, but kubelet >= 1.32 puts the error in the waiting message",
      pods: [pod({}, image, `Back-off pulling image "${image}": ErrImagePull: ${said.throttled}`)],
      events: [],
      facts: facts({ secret: "missing" }),
      failure: PullFailure.throttled,
      cause: /^throttled/,
      fix: /run sync/,
    },
    {
      name: "nothing recognised: says where to look",
      events: [],
      facts: facts({}),
      failure: PullFailure.unknown,
      cause: /^pull failed: for a reason not recognised$/,
      fix: /^read kubectl describe pod -n team-a web$/,
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const d = one(c.pods ?? [pod()], c.events, c.facts);
      assert.equal(d.failure, c.failure);
      assert.match(d.cause, c.cause);
      assert.match(d.fix, c.fix);
    });
  }
});

describe("diagnosePulls: which Events speak for which container", () => {
  test("the newest recognised Event about this pod and container wins; others' are ignored", () => {
    const events = [
      event(said.forbidden, { at: now - 10 * 60_000 }),
      event(said.throttled, { at: now - 60_000 }),
      event(said.notFound, { fieldPath: "spec.containers{sidecar}", at: now }),
      event(said.notFound, { uid: "uid-of-an-earlier-pod", at: now }),
      event(said.notFound, { pod: "other", at: now }),
      event("Error: ErrImagePull", { at: now }),
    ];
    const d = one([pod()], events, facts({ secret: "missing" }));
    assert.equal(d.failure, PullFailure.throttled);
    assert.equal(d.evidence, said.throttled);
  });

  test("without a fieldPath, an Event is matched by the image it quotes (kubelet adds :latest to an untagged one)", () => {
    const untagged = "public.ecr.aws/nginx/nginx";
    const quoted = `Failed to pull image "${untagged}:latest": 429 Too Many Requests`;
    const d = one([pod({}, untagged)], [event(quoted, { fieldPath: undefined })], facts({ secret: "missing" }));
    assert.equal(d.failure, PullFailure.throttled);
    assert.equal(one([pod({}, untagged)], [event(said.notFound, { fieldPath: undefined })], facts({})).failure, PullFailure.unknown);
  });

  test("an init container is told apart by its fieldPath", () => {
    const init = pod({ containers: [{ name: "setup", init: true, image, reason: "ErrImagePull", message: "" }] });
    const d = diagnosePulls([init], [event(said.throttled, { fieldPath: "spec.initContainers{setup}" })], facts({ secret: "missing" }));
    assert.equal(d[0]?.failure, PullFailure.throttled);
    assert.equal(d[0]?.initContainer, true);
  });

  test("images on registries other than ECR are not ours: no diagnosis", () => {
    assert.deepEqual(diagnosePulls([pod({}, "docker.io/library/nginx:1")], [event(said.throttled)], facts({})), []);
    assert.deepEqual(diagnosePulls([pod({}, "ghcr.io/x/y:1")], [], facts({})), []);
  });

  test("one diagnosis per stuck container, in the pod's order", () => {
    const two = pod({
      containers: [
        { name: "setup", init: true, image, reason: "ErrImagePull", message: said.notFound },
        { name: "app", init: false, image, reason: "ImagePullBackOff", message: said.throttled },
      ],
    });
    assert.deepEqual(
      diagnosePulls([two], [], facts({ secret: "missing" })).map((d) => [d.container, d.failure]),
      [
        ["setup", PullFailure.notFound],
        ["app", PullFailure.throttled],
      ],
    );
  });
});

describe("secretStateFor", () => {
  test("foreign, fail-safe, no entry, expired, fresh", () => {
    assert.equal(secretStateFor({ managed: false, annotations: {}, hosts: ["public.ecr.aws"] }, "public.ecr.aws", now), "foreign");
    assert.equal(secretStateFor(ourSecret({ hosts: [], registries: "" }), "public.ecr.aws", now), "fail-safe");
    // The fail-safe keeps entries it does not own: still the fail-safe.
    assert.equal(secretStateFor(ourSecret({ hosts: ["ghcr.io"], registries: "" }), "public.ecr.aws", now), "fail-safe");
    assert.equal(secretStateFor(ourSecret(), privateHost, now), "no-entry");
    assert.equal(secretStateFor(ourSecret({ expiresIn: -1 }), "public.ecr.aws", now), "expired");
    assert.equal(secretStateFor(ourSecret({ expiresIn: 1 }), "public.ecr.aws", now), "fresh");
    // Written before the registries record existed: not the fail-safe.
    assert.equal(secretStateFor({ managed: true, annotations: {}, hosts: ["public.ecr.aws"] }, "public.ecr.aws", now), "fresh");
  });
});

describe("whyNotSelected and namedBySelection", () => {
  test("selected: no reason", () => {
    assert.equal(whyNotSelected(namespace("team-a"), selection()), undefined);
  });

  test("each reason names its flag", () => {
    assert.match(whyNotSelected(namespace("team-a", { terminating: true }), selection())?.cause ?? "", /being deleted/);
    assert.match(whyNotSelected(namespace("team-b"), selection({ all: false, include: ["team-a"] }))?.fix ?? "", /--namespaces \(TARGET_NAMESPACES\)/);
    assert.equal(whyNotSelected(namespace("team-a"), selection({ exclude: ["kube-*", "team-?"] }))?.cause, "--exclude team-?");
  });

  test("named by --namespaces or -A, whatever else leaves it out", () => {
    assert.equal(namedBySelection("team-a", selection({ all: false, include: ["team-*"], exclude: ["team-a"] })), true);
    assert.equal(namedBySelection("ops", selection({ all: false, include: ["team-*"] })), false);
    assert.equal(namedBySelection("ops", selection({ labelSelector: parseLabelSelector("x=y") })), true);
  });
});
