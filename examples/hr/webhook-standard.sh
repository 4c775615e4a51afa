#!/bin/sh
# Future-dated leaver signed the Standard Webhooks way (whsec_ secret).
# usage: webhook-standard.sh WHSEC_FILE EMPLOYEE_ID YYYY-MM-DD
set -eu
SYNCD=${SYNCD:-http://127.0.0.1:8787}
key_hex=$(head -n 1 "$1" | sed 's/^whsec_//' | base64 -d | od -An -tx1 | tr -d ' \n')
msg_id=msg_$(date +%s)$$
t=$(date +%s)
body=$(printf '{"type":"leaver","employee_id":"%s","effective":"%sT17:00:00Z","reason":"contract end"}' "$2" "$3")
sig=$(printf '%s.%s.%s' "$msg_id" "$t" "$body" |
	openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | base64)
curl -sS -X POST "$SYNCD/v1/events" -H 'Content-Type: application/json' \
	-H "webhook-id: $msg_id" -H "webhook-timestamp: $t" -H "webhook-signature: v1,$sig" \
	--data-binary "$body"
echo
