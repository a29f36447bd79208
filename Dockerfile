# One image recipe for the four apps: docker build --build-arg APP=ingest .
# Production runs on Node 22 LTS (engines allow 20.19+, 22, 24).
FROM node:22.12.0-bookworm-slim AS build
WORKDIR /hub
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
# The emulators of NewStore and the ERP, for docker compose's demo (never used in production).
COPY tools ./tools
# npm prune keeps ts-node and typescript: typeorm names ts-node as an optional peer (for its CLI
# on .ts files), which npm counts as a production edge. The services run compiled JavaScript
# and load neither, so the image drops them (about 25 MB, and a compiler in production).
RUN npm run build && npm prune --omit=dev \
  && rm -rf node_modules/typescript node_modules/ts-node node_modules/.bin/tsc node_modules/.bin/tsserver node_modules/.bin/ts-node*

FROM node:22.12.0-bookworm-slim
ARG APP
ENV NODE_ENV=production APP=${APP}
# tini as PID 1: it forwards SIGTERM to node and reaps zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /hub
COPY --from=build /hub/node_modules ./node_modules
COPY --from=build /hub/dist ./dist
COPY package.json ./
# The example mapping; deployments mount their own and set ENRICHER_MAPPING_FILE.
COPY config ./config
# The image's node user by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
