# syntax=docker/dockerfile:1
# ecr-public-creds-helper: `sync` by default, so the image drops into the archived script's
# CronJob unchanged; `run` for the controller. test/packaging/image-steps.test.ts replays the
# deps stage without a container engine, so keep its RUN line and COPY lines in step with it.

# One exact tag in every stage: the Node the tests run on (the `node` devDependency).
# Tag, not digest: bump all three with package.json.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here, and the `node`
# devDependency would download a second Node that the image already has.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; --ignore-scripts because `prepare` needs devDependencies.
RUN npm ci --omit=dev --ignore-scripts

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
# npm, npx and corepack are never used at run time: removing them removes their CVEs.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# package.json: "type": "module" for dist/*.js, and the version --version prints.
COPY package.json ./
# Numeric, so runAsNonRoot can be checked by the kubelet; no file here is writable by it,
# which is what a read-only root filesystem wants anyway.
USER 65532:65532
# A small young generation keeps the controller's resident memory down with thousands of
# namespaces (npm run bench measures it the same way); more GC work, which it has to spare.
ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/dist/cli.js"]
CMD ["sync"]
