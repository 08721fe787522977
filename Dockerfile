# syntax=docker/dockerfile:1
# One image for every Gantry process. The command picks the process (scripts/docker-entrypoint.sh):
#   docker run gantry api | worker | gpu-sim | migrate
# Stages: manifests -> deps (npm ci) -> build (prisma generate + tsc via turbo, then prune dev deps)
#         -> runtime (node:20-bookworm-slim, non-root, no compilers, no dev dependencies).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- manifests: only the package.json files and the lockfile, so `npm ci` below stays cached
# --- until a dependency changes (a source edit changes nothing this stage outputs).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
 && cp package.json package-lock.json .npmrc /out/ \
 && for f in packages/*/package.json apps/*/package.json tooling/testing/package.json; do \
      mkdir -p "/out/$(dirname "$f")" && cp "$f" "/out/$f"; \
    done

# --- deps: every dependency, dev ones included (typescript, turbo, prisma are needed to build).
# --- --ignore-scripts: no install script is needed (platform binaries come as optional packages;
# --- @prisma/engines' postinstall would only download engines that generate does not use), and
# --- the repository's own scripts are not in this stage yet.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY --from=manifests /out/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund

# --- build: generate the Prisma client (offline: prisma-client generator, no engines download),
# --- compile every workspace to dist/ in dependency order, then drop dev dependencies.
FROM deps AS build
ENV TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
COPY . .
# `npm run build` = node scripts/prisma-generate.mjs && turbo run build
RUN npm run build \
 && test -f apps/api/dist/main.js \
 && test -f apps/api/node-flags \
 && test -f apps/worker/dist/main.js \
 && test -f apps/gpu-sim/dist/main.js \
 && test -f packages/db/dist/generated/client.js \
 && test -f apps/dashboard/dist/public/manifest.json \
 && test -f apps/cli/dist/main.js
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf .turbo node_modules/.cache

# --- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    GPU_SIM_HOST=0.0.0.0 \
    GPU_SIM_PORT=8188 \
    GANTRY_ARTIFACT_DIR=/data/artifacts
RUN groupadd --system --gid 10001 gantry \
 && useradd --system --uid 10001 --gid gantry --home-dir /app --no-create-home --shell /usr/sbin/nologin gantry \
 && mkdir -p /data/artifacts \
 && chown -R gantry:gantry /data
WORKDIR /app
# Owned by root and read-only for the app user; only /data/artifacts is writable (mount the
# artifact volume there: the API and the workers must share it).
COPY --from=build /app ./
USER gantry
EXPOSE 8080 8188
# Probes the API's /api/v1/health when the container runs `api`, a gpu-sim's /system_stats when
# it runs `gpu-sim`, Redis reachability for `worker`; always healthy for `migrate`.
# HEALTHCHECK_URL overrides the URL.
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
  CMD ["node", "/app/scripts/healthcheck.mjs"]
ENTRYPOINT ["/bin/sh", "/app/scripts/docker-entrypoint.sh"]
CMD ["api"]
