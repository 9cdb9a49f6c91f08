# City Hub: one image for every `cityhub` command. By default all in one process (broker, ingest, API +
# dashboard, simulated fleet) on the embedded store (docker-compose.single.yml); docker-compose.yml runs
# `broker`, `api` and `devices simulate` from it as separate services.
#
# Two stages: the build (every dependency, tsc and vite), then the runtime on Node.js 22 LTS with production
# dependencies only, run by the unprivileged `node` user under tini (signals reach the hub, zombies are reaped).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY state/package.json state/
COPY store/package.json store/
COPY broker/package.json broker/
COPY ingest/package.json ingest/
COPY alerts/package.json alerts/
COPY api/package.json api/
COPY devices/package.json devices/
COPY simulator/package.json simulator/
COPY dashboard/package.json dashboard/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/* \
  && mkdir /data && chown node:node /data
WORKDIR /app
# Read-only for the hub: the code belongs to root, only /data to the `node` user.
COPY --from=build /app /app
# --max-semi-space-size=8: a young generation of 16 MiB rather than V8's 32 (README, "Memory").
ENV NODE_OPTIONS=--max-semi-space-size=8 NODE_ENV=production CITYHUB_DATA_DIR=/data CITYHUB_HTTP_HOST=0.0.0.0 CITYHUB_MQTT_HOST=0.0.0.0
USER node
EXPOSE 8080 1883
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CITYHUB_HTTP_PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/cityhub.js", "start"]
