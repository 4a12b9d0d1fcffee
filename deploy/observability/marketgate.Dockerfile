# marketgate for the local observability stack (deploy/observability/compose.yaml).
#
# Build context: the repository root, so from there:
#   docker build -f deploy/observability/marketgate.Dockerfile -t marketgate:local .
# The exclusions beside this file (marketgate.Dockerfile.dockerignore) keep the host's
# node_modules, data/ and .git out of the context.
#
# This is the `npm ci && npm start` of a bare machine, in a node:24 image:
# - `npm ci --omit=dev` installs exactly the lockfile's runtime dependencies (the
#   workspace packages' `dependencies`); the dev tools (vitest, tsc, and the `node@24`
#   binary package the repository uses on Node 20 hosts) are not needed: the image's
#   own Node is 24;
# - the command is the `start` script, `node packages/server/src/main.ts`: Node 24 runs
#   the TypeScript sources directly (type stripping), there is no build step.
FROM node:24.11.1-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/app/data

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
COPY packages/domain/package.json packages/domain/package.json
COPY packages/server/package.json packages/server/package.json
COPY packages/web/package.json packages/web/package.json
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY packages/domain/src packages/domain/src
COPY packages/server/src packages/server/src
COPY packages/web/src packages/web/src

# DATA_DIR is only written when DATABASE_URL is unset (embedded PGlite).
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 8080
# /health touches no dependency: it says the process answers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM from `docker compose stop` reaches node directly (exec form): the service
# drains in-flight requests and jobs, then exits 0.
CMD ["node", "packages/server/src/main.ts"]
