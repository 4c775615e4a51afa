#!/bin/sh
# The PATCH Microsoft Entra ID sends to disable a user: op "Replace" (capital
# R), path "active", the boolean as the string "False".
# usage: scim-entra.sh TOKEN_FILE USERNAME
set -eu
SYNCD=${SYNCD:-http://127.0.0.1:8787}
auth="Authorization: Bearer $(head -n 1 "$1")"
id=$(curl -sS -H "$auth" "$SYNCD/scim/v2/Users?filter=userName%20eq%20%22$2%22" |
	sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
curl -sS -H "$auth" -H 'Content-Type: application/scim+json' -X PATCH "$SYNCD/scim/v2/Users/$id" \
	--data-binary '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}'
echo
