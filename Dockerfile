# The Portico operator image.
#
# The operator is TypeScript that Node 24 runs as it is (type stripping): nothing is compiled.
# The build stage installs every locked dependency, type-checks the sources with them, then
# drops the dev dependencies; the runtime stage gets the operator's files and the production
# node_modules only, on a Node 24 image with no shell and no package manager.
#
#   buildah build -t portico .            (or docker build; e2e/image/build.sh builds it offline)
#
# Build arguments:
#   BUILD_IMAGE    a Node 24 image with npm and a POSIX shell
#   RUNTIME_IMAGE  a Node 24 image with node at /nodejs/bin/node (the distroless layout)
#   VERSION, REVISION, CREATED, SOURCE   the OCI labels below
#   TYPECHECK      "true" (default) runs tsc in the build stage; "false" skips it
ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
# Dependencies first, so that a source change reuses this layer. No install scripts: the one
# the lockfile allows is the npm `node` package fetching a Node binary the base image has.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
ARG TYPECHECK=true
RUN if [ "$TYPECHECK" = true ]; then node node_modules/typescript/bin/tsc -p .; fi
# What the operator loads at run time: its code (without tests and test data), the Envoy
# bootstrap and object templates, the CRD (its schema defaults are read from it), package.json
# ("type": "module") and the production dependencies.
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir /out \
 && cp -R package.json node_modules operator xds templates crds /out/ \
 && find /out/operator /out/xds \( -name '*.test.ts' -o -name testdata -o -name '*.md' \) -prune -exec rm -rf {} + \
 && find /out/node_modules -type d -empty -delete

FROM ${RUNTIME_IMAGE}
WORKDIR /app
# Owned by root and read-only to the operator's user.
COPY --from=build /out/ /app/
ENV NODE_ENV=production
# A numeric user, so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
# 8080: /healthz, /readyz, /metrics and /xds/proxies (HTTP); 18000: xDS (gRPC, mutual TLS).
EXPOSE 8080/tcp 18000/tcp
# Node is PID 1 and the operator handles SIGTERM itself (operator/main.ts): it stops serving,
# closes the xDS streams, releases its Lease and exits 0. It starts no child processes.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/nodejs/bin/node", "/app/operator/main.ts"]
CMD []

ARG RUNTIME_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=https://github.com/portico-dev/portico
LABEL org.opencontainers.image.title="portico" \
      org.opencontainers.image.description="A Kubernetes operator that runs whole Envoy gateways: a drop-in for Kourier that also serves Ingress and the Gateway API." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"
