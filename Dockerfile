# City Hub: one image for every `cityhub` command. By default all in one process (broker, ingest, API +
# dashboard, simulated fleet) on the embedded store (docker-compose.single.yml); docker-compose.yml runs
# `broker`, `api` and `devices simulate` from it as separate services.
FROM node:20-bookworm-slim
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
RUN npm run build
ENV CITYHUB_DATA_DIR=/data CITYHUB_HTTP_HOST=0.0.0.0 CITYHUB_MQTT_HOST=0.0.0.0
EXPOSE 8080 1883
VOLUME ["/data"]
CMD ["node", "bin/cityhub.js", "start"]
