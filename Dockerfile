# syntax=docker/dockerfile:1
# ecr-public-creds-helper: `sync` by default, so the image drops into the archived script's
# CronJob unchanged; `run` for the controller. test/packaging/image-steps.test.ts replays the
# stages without a container engine, so keep their RUN and COPY lines in step with it.

# One exact tag in every stage: the Node the tests run on (the `node` devDependency).
# Tag, not digest: bump both with package.json.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here, and the `node`
# devDependency would download a second Node that the image already has.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
# The bundle, dist/cli.js with every dependency in it and one chunk per command it imports when
# that command runs, and their licences beside it (scripts/build.ts; docs/adr/0006 and 0010 say
# why): no node_modules at run time.
RUN npm run build

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
# glibc's malloc serves blocks of 32 KiB and more from their own mappings, returned to the
# system when freed. Otherwise V8's parser and compiler scratch memory, freed right after
# start-up, stays resident in the main heap's holes: about 23 MiB of the controller's memory.
ENV MALLOC_MMAP_THRESHOLD_=32768
# npm, npx and corepack are never used at run time: removing them removes their CVEs.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn*
WORKDIR /app
COPY --from=build /src/dist ./dist
# package.json: "type": "module" for dist/cli.js, and the version --version prints.
COPY package.json ./
# Numeric, so runAsNonRoot can be checked by the kubelet; no file here is writable by it,
# which is what a read-only root filesystem wants anyway.
USER 65532:65532
# --lite-mode: V8 without its optimising compilers, and with heap sizing that favours memory.
# The helper waits on the network almost all the time, so it gives up little speed, and with
# the bundle and the malloc setting above the controller's resident memory with 5,000
# namespaces falls from about 290 MiB to about 90 MiB (npm run bench starts the controller
# with this ENV and these flags; docs/adr/0006-bundle-and-lite-mode.md).
ENTRYPOINT ["node", "--lite-mode", "/app/dist/cli.js"]
CMD ["sync"]
