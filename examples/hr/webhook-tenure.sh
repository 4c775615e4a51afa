#!/bin/sh
# Leaver event signed with tenure's own scheme.
# usage: webhook-tenure.sh SECRET_FILE USER [EVENT_ID]
set -eu
SYNCD=${SYNCD:-http://127.0.0.1:8787}
secret=$(head -n 1 "$1")
user=$2
id=${3:-hr-$(date +%s)-$$}
body=$(printf '{"id":"%s","type":"leaver","user":"%s","reason":"resigned"}' "$id" "$user")
t=$(date +%s)
sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.*= //')
curl -sS -X POST "$SYNCD/v1/events" -H 'Content-Type: application/json' \
	-H "X-Tenure-Signature: t=$t,v1=$sig" --data-binary "$body"
echo
