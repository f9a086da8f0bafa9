import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { classifyPullMessage, ecrRegistryKind, imageRegistry, isCredentialFailure, PullFailure } from "./pull-failure.ts";

// Real messages, as kubelet put them in a "Failed" Event or a waiting container's message, with
// the public issue each was copied from (the runtime that wrote it in brackets).
const realMessages: ReadonlyArray<readonly [PullFailure, string, string]> = [
  [
    PullFailure.throttled,
    "containerd#5357 (containerd, CRI pod status)",
    'failed to pull and unpack image "docker.io/library/busybox:1.28": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/busybox/manifests/sha256:141c253bc4c3fd0a201d32dc1f493bcf3fff003b6df416dea4f41046e0f37d47: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
  ],
  [
    PullFailure.throttled,
    "kubeflow/trainer#1400 (dockershim, kubelet Event, public.ecr.aws)",
    'Failed to pull image "public.ecr.aws/j1r0q0g6/training/training-operator:5ef6c405df2bb1bf1d3ede988cd43433eff2e956": rpc error: code = Unknown desc = Error response from daemon: toomanyrequests: Rate exceeded',
  ],
  [
    PullFailure.throttled,
    "containerd/nerdctl#3601 (containerd resolver)",
    'failed to resolve reference "docker.io/library/nginx:latest": unexpected status from HEAD request to https://registry-1.docker.io/v2/library/nginx/manifests/latest: 429 Too Many Requests',
  ],
  [
    PullFailure.throttled,
    "arquillian/arquillian-cube#1423 (CRI-O, kubelet Event)",
    'Failed to pull image "openshift/hello-openshift:v3.6.0": rpc error: code = Unknown desc = reading manifest v3.6.0 in docker.io/openshift/hello-openshift: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
  ],
  [
    PullFailure.throttled,
    "kubernetes/kubernetes#127918 (kubelet >= 1.32 back-off message format, with the containerd#5357 error)",
    'Back-off pulling image "public.ecr.aws/docker/library/busybox:1.28": ErrImagePull: failed to pull and unpack image "public.ecr.aws/docker/library/busybox:1.28": failed to resolve reference "public.ecr.aws/docker/library/busybox:1.28": unexpected status from HEAD request to https://public.ecr.aws/v2/docker/library/busybox/manifests/1.28: 429 Too Many Requests',
  ],
  [
    PullFailure.tokenExpired,
    "aws/aws-sam-cli#2904 (dockerd, public.ecr.aws with a stale login)",
    "Error response from daemon: pull access denied for public.ecr.aws/sam/build-python3.8, repository does not exist or may require 'docker login': denied: Your authorization token has expired. Reauthenticate and try again.",
  ],
  [
    PullFailure.noCredentials,
    "aws-samples/eks-workshop#451 (dockershim, kubelet Event, private ECR)",
    'Failed to pull image "XXXXXXXX.dkr.ecr.ap-XXXXXX.amazonaws.com/isam:9.0.7.0": rpc error: code = Unknown desc = Error response from daemon: Get https://XXXXXXX.dkr.ecr.ap-XXXXX.amazonaws.com/v2/ndi-spcp-isam/manifests/9.0.7.0: no basic auth credentials',
  ],
  [
    PullFailure.noCredentials,
    "kubernetes/kops#16762 (containerd, private ECR)",
    'failed to pull and unpack image "123456789101.dkr.ecr.ap-southeast-2.amazonaws.com/k8s-example/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097": failed to resolve reference "123456789101.dkr.ecr.ap-southeast-2.amazonaws.com/k8s-example/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials',
  ],
  [
    PullFailure.denied,
    "kubernetes-sigs/aws-load-balancer-controller#3527 (containerd, kubelet Event, private ECR)",
    'Failed to pull image "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-load-balancer-controller:v2.4.1": rpc error: code = Unknown desc = failed to pull and unpack image "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-load-balancer-controller:v2.4.1": failed to resolve reference "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-load-balancer-controller:v2.4.1": pulling from host 602401143452.dkr.ecr.us-west-2.amazonaws.com failed with status code [manifests v2.4.1]: 401 Unauthorized',
  ],
  [
    PullFailure.denied,
    "aws/aws-lambda-base-images#220 (containerd resolver, public.ecr.aws)",
    'failed to resolve reference "public.ecr.aws/lambda/provided:al2023": unexpected status from HEAD request to https://public.ecr.aws/v2/lambda/provided/manifests/al2023: 403 Forbidden',
  ],
  [
    PullFailure.denied,
    "aws-samples/bedrock-access-gateway#114 (containerd resolver, private ECR)",
    "failed to resolve ref 366590864501.dkr.ecr.us-west-2.amazonaws.com/bedrock-proxy-api-ecs:latest@sha256:5de487da52320ad9978f3a7a4f6700910342956c7dcb3b6f955222b4cccbd600: unexpected status from HEAD request to https://366590864501.dkr.ecr.us-west-2.amazonaws.com/v2/bedrock-proxy-api-ecs/blobs/sha256:5de487da52320ad9978f3a7a4f6700910342956c7dcb3b6f955222b4cccbd600: 403 Forbidden",
  ],
  [
    PullFailure.denied,
    "kubernetes/kubernetes#41154 (dockershim, private ECR after a failed token refresh)",
    'Failed to pull image "123123123123.dkr.ecr.us-east-1.amazonaws.com/repo/imagename:latest": unauthorized: authentication required',
  ],
  [
    PullFailure.denied,
    "octarinesec/octarine-operator#15 (dockershim, kubelet Event)",
    "Failed to pull image \"octarinesec/guardrails-enforcer:20.7\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for octarinesec/guardrails-enforcer, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
  ],
  [
    PullFailure.denied,
    "cri-o/cri-o#2331 (CRI-O)",
    "rpc error: code = Unknown desc = Error reading manifest latest in docker.io/crio/busybox: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required",
  ],
  [
    PullFailure.notFound,
    "sympozium-ai/sympozium#5 (containerd, kubelet Event)",
    'Failed to pull image "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": failed to resolve reference "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": ghcr.io/alexsjones/sympozium/apiserver:v0.0.29: not found',
  ],
  [
    PullFailure.notFound,
    "kubevela/kubevela#981 (dockershim, kubelet Event)",
    'Failed to pull image "oamdev/vela-core:0.3.1": rpc error: code = Unknown desc = Error response from daemon: manifest for oamdev/vela-core:0.3.1 not found: manifest unknown: manifest unknown',
  ],
  [
    PullFailure.unreachable,
    "kubernetes/kubeadm#2936 (containerd)",
    'rpc error: code = Unknown desc = failed to pull and unpack image "registry.k8s.io/kube-proxy:v1.28.2": failed to resolve reference "registry.k8s.io/kube-proxy:v1.28.2": failed to do request: Head "https://registry.k8s.io/v2/kube-proxy/manifests/v1.28.2": dial tcp 34.96.108.209:443: connect: connection timed out',
  ],
  [PullFailure.kubeletLimit, "zalando-incubator/kubernetes-on-aws#8045 (kubelet's registryPullQPS)", "pull QPS exceeded"],
  [
    PullFailure.unknown,
    "kubeflow/trainer#1400 (kubelet BackOff Event: says nothing of why)",
    'Back-off pulling image "public.ecr.aws/j1r0q0g6/training/training-operator:5ef6c405df2bb1bf1d3ede988cd43433eff2e956"',
  ],
  [PullFailure.unknown, "kubeflow/trainer#1400 (kubelet Failed Event)", "Error: ImagePullBackOff"],
];

describe("classifyPullMessage", () => {
  for (const [expected, source, message] of realMessages) {
    test(`${expected}: ${source}`, () => {
      assert.equal(classifyPullMessage(message), expected);
    });
  }

  test("a digest or an address holding 401, 403 or 429 inside other characters is not a status", () => {
    assert.equal(classifyPullMessage('pulling "public.ecr.aws/a/b@sha256:4290403401ab" failed oddly'), PullFailure.unknown);
  });
});

describe("isCredentialFailure", () => {
  test("only the failures a pull secret causes or cures", () => {
    const ours = Object.values(PullFailure).filter(isCredentialFailure);
    assert.deepEqual(ours.sort(), [PullFailure.denied, PullFailure.noCredentials, PullFailure.throttled, PullFailure.tokenExpired].sort());
  });
});

describe("imageRegistry", () => {
  test("reads the host the way the runtime does", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["public.ecr.aws/nginx/nginx:1.27", "public.ecr.aws"],
      ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abc", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
      ["PUBLIC.ECR.AWS/x/y", "public.ecr.aws"],
      ["localhost:5000/app", "localhost:5000"],
      ["localhost/app", "localhost"],
      ["nginx", "docker.io"],
      ["library/nginx:1", "docker.io"],
      ["bitnami/redis", "docker.io"],
    ];
    for (const [image, host] of cases) assert.equal(imageRegistry(image), host, image);
  });
});

describe("ecrRegistryKind", () => {
  const configured = ["123456789012.dkr.ecr.eu-west-1.amazonaws.com"];
  test("ECR Public, a configured private registry, an unconfigured one, and anything else", () => {
    assert.equal(ecrRegistryKind("public.ecr.aws", configured), "public");
    assert.equal(ecrRegistryKind("123456789012.dkr.ecr.eu-west-1.amazonaws.com", configured), "private");
    assert.equal(ecrRegistryKind("210987654321.dkr.ecr.us-east-1.amazonaws.com", configured), "private-unconfigured");
    assert.equal(ecrRegistryKind("docker.io", configured), undefined);
    assert.equal(ecrRegistryKind("ghcr.io", configured), undefined);
  });

  test("dual-stack names: ECR Public's only when --ecr-public-dual-stack writes it; a private one like the IPv4 name", () => {
    assert.equal(ecrRegistryKind("ecr-public.aws.com", configured), "public-dual-stack-off");
    assert.equal(ecrRegistryKind("ecr-public.aws.com", [...configured, "ecr-public.aws.com"]), "public");
    assert.equal(ecrRegistryKind("123456789012.dkr-ecr.eu-west-1.on.aws", configured), "private-unconfigured");
    assert.equal(ecrRegistryKind("123456789012.dkr-ecr.eu-west-1.on.aws", ["123456789012.dkr-ecr.eu-west-1.on.aws"]), "private");
  });
});
