#!/bin/bash
# The InfluxDB token of the hub's services (docker-compose.yml, service `influxdb-token`; README, "InfluxDB 2").
# Run with the influxdb:2 image's `influx` CLI before the hub starts, at every `docker compose up`, with
# InfluxDB's admin token in INFLUX_TOKEN and the hub's organisation and bucket in HUB_INFLUX_ORG and
# HUB_INFLUX_BUCKET (not in the CLI's own INFLUX_ORG, which would clash with the --org-id given below).
# It leaves in HUB_TOKEN_FILE a token that may read and write the hub's bucket and nothing else (no other
# bucket, no user, token, task or organisation setting), readable by the hub's user (HUB_UID) only. A token an
# earlier run left there that still reaches the bucket is kept; a missing, revoked or deleted one is replaced,
# and the authorization it replaces is deleted. The admin token stays with InfluxDB and this one-shot
# service; the hub's token is never printed.
set -euo pipefail
: "${INFLUX_HOST:?}" "${INFLUX_TOKEN:?}" "${HUB_INFLUX_ORG:?}" "${HUB_INFLUX_BUCKET:?}" "${HUB_TOKEN_FILE:?}" "${HUB_UID:?}"

# The 16-hex-digit IDs of one JSON key ($1) in the CLI's output, one a line, except the ID $2.
ids() {
  grep -o "\"$1\": *\"[0-9a-f]\{16\}\"" | grep -o '[0-9a-f]\{16\}' | grep -vxF -e "${2:-none}" || true
}

bucket=$(influx bucket list --org "$HUB_INFLUX_ORG" --name "$HUB_INFLUX_BUCKET" --json)
bucket_id=$(ids id <<<"$bucket" | sed -n 1p)
org_id=$(ids orgID <<<"$bucket" | sed -n 1p)
if [ -z "$bucket_id" ] || [ -z "$org_id" ]; then
  echo "influxdb-token: no bucket \"$HUB_INFLUX_BUCKET\" in the organisation \"$HUB_INFLUX_ORG\"" >&2
  exit 1
fi

old_id=$(cat "$HUB_TOKEN_FILE.id" 2>/dev/null || true)
if [ -s "$HUB_TOKEN_FILE" ]; then
  # What the hub does with it: reach the bucket. An all-access token would too, but only this script writes here.
  seen=$(INFLUX_TOKEN="$(<"$HUB_TOKEN_FILE")" influx bucket list --org-id "$org_id" --id "$bucket_id" --hide-headers 2>/dev/null || true)
  if grep -q "^$bucket_id\b" <<<"$seen"; then
    echo "influxdb-token: the hub's token ($HUB_TOKEN_FILE, authorization ${old_id:-unknown}) still reaches bucket $HUB_INFLUX_BUCKET: kept"
    exit 0
  fi
fi

created=$(influx auth create --org-id "$org_id" --read-bucket "$bucket_id" --write-bucket "$bucket_id" \
  --description "City Hub: read and write bucket $HUB_INFLUX_BUCKET" --json)
token=$(grep -o '"token": *"[^"]*"' <<<"$created" | sed -n '1s/^"token": *"\(.*\)"$/\1/p' || true)
auth_id=$(ids id "$bucket_id" <<<"$created" | sed -n 1p)
if [ -z "$token" ] || [ -z "$auth_id" ]; then
  echo "influxdb-token: influx auth create answered without a token or an id" >&2
  exit 1
fi

# Written beside its final name, then renamed: the hub never reads half a token.
umask 077
tmp=$(mktemp "$(dirname "$HUB_TOKEN_FILE")/.influx-token.XXXXXX")
printf '%s\n' "$token" >"$tmp"
chown "$HUB_UID" "$tmp"
chmod 0400 "$tmp"
mv -f "$tmp" "$HUB_TOKEN_FILE"
printf '%s\n' "$auth_id" >"$HUB_TOKEN_FILE.id"
chmod 0444 "$HUB_TOKEN_FILE.id"
if [ -n "$old_id" ] && [ "$old_id" != "$auth_id" ]; then
  influx auth delete --id "$old_id" >/dev/null 2>&1 || true
fi
echo "influxdb-token: made the hub's token (authorization $auth_id: read and write bucket $HUB_INFLUX_BUCKET only) in $HUB_TOKEN_FILE"
