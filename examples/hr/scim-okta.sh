#!/bin/sh
# The requests Okta's SCIM 2.0 provisioning sends for a joiner and a leaver.
# usage: scim-okta.sh TOKEN_FILE USERNAME
set -eu
SYNCD=${SYNCD:-http://127.0.0.1:8787}
auth="Authorization: Bearer $(head -n 1 "$1")"
ct='Content-Type: application/scim+json'
u=$2
# Does the user exist?
curl -sS -H "$auth" "$SYNCD/scim/v2/Users?filter=userName%20eq%20%22$u%22&startIndex=1&count=100"; echo
# Create (joiner): 201 with the new id, 409 if the userName exists.
created=$(curl -sS -H "$auth" -H "$ct" -X POST "$SYNCD/scim/v2/Users" --data-binary \
	"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"$u\",
	 \"name\":{\"givenName\":\"Test\",\"familyName\":\"User\"},
	 \"emails\":[{\"primary\":true,\"value\":\"$u@example.org\",\"type\":\"work\"}],
	 \"externalId\":\"00u1abcd\",\"active\":true}")
echo "$created"
id=$(printf '%s' "$created" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$id" ] || id=$(curl -sS -H "$auth" "$SYNCD/scim/v2/Users?filter=userName%20eq%20%22$u%22" |
	sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
# Deactivate (leaver): Okta sends no path, the value is an object.
curl -sS -H "$auth" -H "$ct" -X PATCH "$SYNCD/scim/v2/Users/$id" --data-binary \
	'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}'
echo
# Reactivate (rehire): PUT of the whole user.
curl -sS -H "$auth" -H "$ct" -X PUT "$SYNCD/scim/v2/Users/$id" --data-binary \
	"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"$u\",\"active\":true}"
echo
