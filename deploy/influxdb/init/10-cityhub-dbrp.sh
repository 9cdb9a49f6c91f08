#!/bin/bash
# Run once by the influxdb:2 image after its first setup (docker-compose.yml mounts this folder at
# /docker-entrypoint-initdb.d; the image runs only executable *.sh files there). The hub reads with InfluxQL
# through the v1 API, which finds a bucket by database and retention policy: map the bucket's own name,
# as the hub queries with db=<INFLUX_BUCKET> (store/src/influx/README.md). The image has already set the
# CLI's host and token, and exported the new bucket's id.
set -euo pipefail

influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --db "${DOCKER_INFLUXDB_INIT_BUCKET}" \
  --rp autogen \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --default
