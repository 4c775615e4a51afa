#!/bin/sh
# Rehire signed as BambooHR signs its webhooks.
# usage: webhook-bamboohr.sh SECRET_FILE USER
set -eu
SYNCD=${SYNCD:-http://127.0.0.1:8787}
secret=$(head -n 1 "$1")
body=$(printf '{"id":"bamboo-%s-%s","type":"rehire","user":"%s"}' "$(date +%s)" "$$" "$2")
t=$(date +%s)
sig=$(printf '%s%s' "$body" "$t" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.*= //')
curl -sS -X POST "$SYNCD/v1/events" -H 'Content-Type: application/json' \
	-H "X-BambooHR-Timestamp: $t" -H "X-BambooHR-Signature: $sig" --data-binary "$body"
echo
