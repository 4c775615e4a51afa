#!/bin/bash
# tenure-syncd's SCIM 2.0 endpoint against a real slapd: the replay of Okta's
# "SCIM 2.0 SPEC Test" steps, the PATCH/PUT/DELETE shapes Okta, Entra ID and
# SailPoint send, the error paths (401/400/404/409/413), discovery
# endpoints, uidNumber allocation under concurrency, and the end-to-end
# check: after PATCH active=false the PAM account phase refuses the user.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
. "$here/test_syncd.lib"
export LDAPCONF=/dev/null LDAPRC=/dev/null

t_begin test_syncd_scim
syncd_need_build

d=$(tmpdir_new)
syncd_slapd_start "$d/ldap" || { t_fail "slapd starts"; t_end; exit 1; }
syncd_config "$d" "max_body 8192
uid_min 40000
uid_max 40003
default_gid 10001"
trap 'syncd_kill; slapd_cleanup; _t_cleanup' EXIT
syncd_start "$d" || { t_fail "tenure-syncd starts"; t_end; exit 1; }

jget() { # jget KEY JSON: first string/number/bool value of "KEY"
	printf '%s' "$2" | grep -o "\"$1\":\(\"[^\"]*\"\|[0-9a-z]*\)" | head -n 1 | sed "s/^\"$1\"://; s/^\"//; s/\"$//"
}
code() { printf '%s' "${1%% *}"; }
body() { printf '%s' "${1#* }"; }
enc() { printf '%s' "$1" | sed 's/ /%20/g; s/"/%22/g'; }

# ---- Okta "SCIM 2.0 SPEC Test" replay ----
r=$(scim GET "/Users?count=1&startIndex=1")
expect_eq "$(code "$r")" 200 "okta 1: list users (count=1, startIndex=1): 200"
expect_match '"Resources":\[\{' "$(body "$r")" "okta 1: Resources is a non-empty array"
expect_match '"itemsPerPage":1' "$(body "$r")" "okta 1: itemsPerPage 1"
expect_match 'ListResponse' "$(body "$r")" "okta 1: ListResponse schema"
first_id=$(jget id "$(body "$r")")
expect_match '^[0-9a-f-]{36}$' "$first_id" "okta 1: id is the entryUUID"

r=$(scim GET "/Users/$first_id")
expect_eq "$(code "$r")" 200 "okta 2: get user by id: 200"
expect_eq "$(jget id "$(body "$r")")" "$first_id" "okta 2: same id back"
expect_match '"userName":"[a-z]+' "$(body "$r")" "okta 2: userName present"

rnd=okta-$RANDOM$RANDOM@example.com
r=$(scim GET "/Users?filter=$(enc "userName eq \"$rnd\"")")
expect_eq "$(code "$r")" 200 "okta 3: filter on an unknown userName: 200"
expect_match '"totalResults":0' "$(body "$r")" "okta 3: 0 results"

r=$(scim GET "/Users/010101010-0101-0101-0101-010101010101")
expect_eq "$(code "$r")" 404 "okta 4: unknown id: 404"
expect_match '"detail":"[^"]+' "$(body "$r")" "okta 4: 404 has a detail"
expect_match '"status":"404"' "$(body "$r")" "okta 4: status is the string \"404\""
expect_match 'messages:2.0:Error' "$(body "$r")" "okta 4: SCIM error schema"

okta_user="{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"$rnd\",
\"name\":{\"givenName\":\"Okta\",\"familyName\":\"Test\"},\"emails\":[{\"primary\":true,\"value\":\"$rnd\",\"type\":\"work\"}],
\"displayName\":\"Okta Test\",\"locale\":\"en-US\",\"externalId\":\"00u$RANDOM\",\"groups\":[],\"password\":\"1mz050nq\",\"active\":true}"
r=$(scim POST /Users "$okta_user")
expect_eq "$(code "$r")" 201 "okta 5: create user: 201"
new_id=$(jget id "$(body "$r")")
expect_match '^[0-9a-f-]{36}$' "$new_id" "okta 5: created user has an id"
expect_match '"active":true' "$(body "$r")" "okta 5: created user active"
expect_eq "$(ldap_get "$rnd" uidNumber)" 40000 "okta 5: uidNumber allocated from uid_min"
expect_eq "$(ldap_get "$rnd" objectClass | sort | tr '\n' ' ')" "inetOrgPerson posixAccount shadowAccount " \
	"okta 5: posixAccount + shadowAccount + inetOrgPerson"

r=$(scim POST /Users "$okta_user")
expect_eq "$(code "$r")" 409 "okta 6: duplicate create: 409"
expect_match '"scimType":"uniqueness"' "$(body "$r")" "okta 6: scimType uniqueness"

upper=$(printf '%s' "$rnd" | tr '[:lower:]' '[:upper:]')
r=$(scim GET "/Users?filter=$(enc "userName eq \"$upper\"")")
expect_eq "$(code "$r")" 200 "okta 7: upper-case userName filter: 200"
expect_match '"totalResults":1' "$(body "$r")" "okta 7: finds the user case-insensitively"

r=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer wrong-token" "$SYNCD_URL/scim/v2/Users")
expect_eq "${r##*$'\n'}" 401 "okta 8: bad Authorization: 401"
expect_match '"status":"401"' "$r" "okta 8: status \"401\""
expect_match '"detail":"[^"]+' "$r" "okta 8: 401 has a detail"
r=$(curl -s -o /dev/null -w '%{http_code}' "$SYNCD_URL/scim/v2/Users")
expect_eq "$r" 401 "no Authorization header: 401"

# ---- filters and paging ----
r=$(scim GET "/Users?filter=$(enc 'externalId eq "E1002"')")
expect_match '"userName":"bob"' "$(body "$r")" "filter externalId eq → bob"
r=$(scim GET "/Users?filter=$(enc 'displayName co "x"')")
expect_eq "$(code "$r")" 400 "unsupported filter: 400"
expect_match '"scimType":"invalidFilter"' "$(body "$r")" "unsupported filter: scimType invalidFilter"
r=$(scim GET "/Users?startIndex=3&count=2")
expect_match '"startIndex":3,"itemsPerPage":2' "$(body "$r")" "startIndex/count honoured"

# ---- discovery ----
for p in ServiceProviderConfig Schemas ResourceTypes Groups; do
	r=$(scim GET "/$p")
	expect_eq "$(code "$r")" 200 "GET /$p: 200"
done
expect_match '"patch":\{"supported":true' "$(body "$(scim GET /ServiceProviderConfig)")" "ServiceProviderConfig: patch supported"
expect_match '"totalResults":0' "$(body "$(scim GET /Groups)")" "Groups: none"

# ---- error paths ----
id_of() { jget id "$(body "$(scim GET "/Users?filter=$(enc "userName eq \"$1\"")")")"; }
bob=$(id_of bob)
r=$(scim PATCH "/Users/$bob" '{"Operations":[{"op":"replace",')
expect_eq "$(code "$r")" 400 "malformed JSON: 400"
expect_match '"scimType":"invalidSyntax"' "$(body "$r")" "malformed JSON: invalidSyntax"
r=$(scim PATCH "/Users/$bob" '{"Operations":[{"op":"replace","path":"active","value":false,"value":true}]}')
expect_eq "$(code "$r")" 400 "duplicate JSON keys: 400"
r=$(scim PATCH "/Users/$bob" '{"Operations":[{"op":"explode","path":"active","value":false}]}')
expect_eq "$(code "$r")" 400 "unknown op: 400"
r=$(scim PATCH "/Users/$bob" '{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}')
expect_eq "$(code "$r")" 400 "active not a boolean: 400"
r=$(scim PATCH "/Users/00000000-0000-0000-0000-000000000000" '{"Operations":[{"op":"replace","path":"active","value":false}]}')
expect_eq "$(code "$r")" 404 "PATCH unknown id: 404"
big=$(head -c 9000 /dev/zero | tr '\0' a)
r=$(scim POST /Users "{\"userName\":\"big\",\"displayName\":\"$big\"}")
expect_eq "$(code "$r")" 413 "body over max_body: 413"
expect_match '"status":"413"' "$(body "$r")" "413 is a SCIM error body"
r=$(scim POST /Users '{"userName":"bad name"}')
expect_eq "$(code "$r")" 400 "invalid userName: 400"
expect_eq "$(ldap_get bob pwdAccountLockedTime)" "" "no error path touched bob"

# ---- PATCH / PUT / DELETE shapes ----
locked() { [[ $(ldap_get "$1" pwdAccountLockedTime) == 000001010000Z && $(ldap_get "$1" shadowExpire) == 1 ]]; }
unlocked() { [[ -z $(ldap_get "$1" pwdAccountLockedTime) ]]; }
shape() { # shape DESC USER METHOD BODY WANT(locked|unlocked)
	local r
	r=$(scim "$3" "/Users/$(id_of "$2")" "$4")
	if [[ $(code "$r") != 200 ]]; then
		t_fail "$1: HTTP $(code "$r") $(body "$r")"
		return
	fi
	if wait_until 5 "$5" "$2"; then t_ok "$1"; else t_fail "$1"; fi
}
shape "Okta PATCH (no path, value {active:false}) disables" bob PATCH \
	'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}' locked
shape "Okta PUT active=true re-enables" bob PUT \
	'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","active":true}' unlocked
shape "Entra PATCH (op Replace, path active, \"False\") disables" carol PATCH \
	'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}' locked
shape "Entra PATCH (\"True\") re-enables" carol PATCH \
	'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}' unlocked
shape "SailPoint PATCH (op add, path active, false) disables" zhangwei PATCH \
	'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"active","value":false}]}' locked
shape "PUT active=false disables" pwwarn PUT '{"userName":"pwwarn","active":false}' locked
r=$(scim PATCH "/Users/$(id_of carol)" '{"Operations":[{"op":"replace","path":"displayName","value":"C"}]}')
expect_eq "$(code "$r")" 200 "PATCH of an attribute tenure does not manage: accepted, ignored"
expect_match '"active":false' "$(body "$(scim PATCH "/Users/$(id_of bob)" '{"Operations":[{"op":"replace","path":"active","value":false}]}')")" \
	"PATCH response shows active false"
wait_until 5 locked bob || true
expect_match '"active":false' "$(body "$(scim GET "/Users/$(id_of bob)")")" "GET after apply: active false"

new_dn_uid=$rnd
r=$(scim DELETE "/Users/$new_id")
expect_eq "$(code "$r")" 204 "DELETE: 204"
wait_until 5 locked "$new_dn_uid" && t_ok "DELETE disables the account" || t_fail "DELETE disables the account"
expect_eq "$(ldap_get "$new_dn_uid" uid)" "$new_dn_uid" "DELETE never erases the entry"

# ---- uidNumber allocation under concurrency ----
pids=()
for i in 1 2 3; do
	scim POST /Users "{\"userName\":\"conc$i\"}" >"$d/conc$i.out" &
	pids+=($!)
done
wait "${pids[@]}"
uids=$(for i in 1 2 3; do ldap_get "conc$i" uidNumber; done | sort | tr '\n' ' ')
expect_eq "$uids" "40001 40002 40003 " "3 concurrent creates get distinct uidNumbers"
r=$(scim POST /Users '{"userName":"conc4"}')
expect_eq "$(code "$r")" 409 "uid range exhausted: 409"

# ---- end to end: SCIM PATCH active=false → PAM account phase refuses ----
driver=$TENURE_BUILD/tests/pamdriver
module=$TENURE_BUILD/pam_tenure.so
if [[ -x $driver && -r $module ]]; then
	mkdir -p "$d/pam"
	cat >"$d/tenure.conf" <<EOF
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
bind_timelimit 2
timelimit 2
dir $d/tally
deny 0
EOF
	echo "account required $module conf=$d/tenure.conf" >"$d/pam/login"
	pd() { "$driver" -D "$d/pam" -s login -u "$1" -q acct >/dev/null 2>&1; }
	expect_rc 0 "$driver" -D "$d/pam" -s login -u alice acct
	t0=$(now_ms)
	r=$(scim PATCH "/Users/$(id_of alice)" '{"Operations":[{"op":"Replace","path":"active","value":"False"}]}')
	refused() { ! pd alice; }
	if wait_until 5 refused; then
		ms=$(($(now_ms) - t0))
		echo "# SCIM PATCH active=false -> PAM account phase refuses alice: $ms ms"
		((ms < 1000)) && t_ok "PAM account phase refuses alice within 1 s ($ms ms)" ||
			t_fail "PAM account phase refuses alice within 1 s ($ms ms)"
	else
		t_fail "PAM account phase refuses alice after SCIM PATCH active=false"
	fi
	expect_rc 13 "$driver" -D "$d/pam" -s login -u alice acct
else
	t_skip "PAM account phase after SCIM PATCH" "pam_tenure.so or pamdriver not built"
fi

syncd_stop && t_ok "SIGTERM: clean exit" || t_fail "SIGTERM: clean exit"
expect_rc 0 "$TENURE_BUILD/tenurectl" audit verify "$d/audit.log"
t_end
