#!/bin/bash
# uidNumbers stay distinct when two tenure-syncd add joiners to one
# directory at the same time (an HA pair, or two HR feeds): each allocates
# "highest + 1" under its own mutex, so both may pick the same number.
#   - with the unique overlay (examples/ldap/unique.conf, the default of the
#     test server) slapd refuses the second add and tenure-syncd takes the
#     next number (the overlay checks before each write, so two adds at the
#     same moment can both pass it: the check below catches those too);
#   - without it (SLAPD_UNIQUE=0) tenure-syncd finds the duplicate after its
#     add and moves the later entry (by entryCSN) to a free number, logging
#     why.
# Either way: every create answers 201, every joiner has its own number, in
# the configured range, and both instances' logs name no failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
. "$here/test_syncd.lib"
export LDAPCONF=/dev/null LDAPRC=/dev/null

t_begin test_syncd_uid
syncd_need_build
d=$(tmpdir_new)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; slapd_cleanup; _t_cleanup' EXIT
N=12   # creates per instance, all at once

# race LABEL: two instances on the slapd started last, N creates each.
race() {
	local label=$1 a=$d/$1-a b=$d/$1-b urls=() p i code n
	for dir in "$a" "$b"; do
		mkdir -p "$dir"
		syncd_config "$dir" "uid_min 50000
uid_max 59999
default_gid 10001"
		syncd_start "$dir" || { t_fail "$label: tenure-syncd starts"; return 1; }
		PIDS+=("$SYNCD_PID")
		urls+=("$SYNCD_URL")
	done
	local pids=()
	for i in $(seq 1 "$N"); do
		for p in 0 1; do
			curl -s -m 30 -o /dev/null -w '%{http_code}\n' -X POST \
				-H "Authorization: Bearer $SYNCD_TOKEN" -H "Content-Type: application/scim+json" \
				--data-binary "{\"userName\":\"$label$p-$i\"}" \
				"${urls[$p]}/scim/v2/Users" >"$d/$label-$p-$i.code" &
			pids+=($!)
		done
	done
	wait "${pids[@]}"
	code=$(cat "$d/$label"-*.code | sort | uniq -c | sed 's/^ *//')
	expect_eq "$code" "$((2 * N)) 201" "$label: all $((2 * N)) creates through two instances answer 201"
	ldapsearch -LLL -o ldif-wrap=no -x -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" \
		-b "ou=people,$SLAPD_BASE" "(uid=$label*)" uidNumber 2>/dev/null |
		sed -n 's/^uidNumber: //p' | sort -n >"$d/$label.uids"
	n=$(wc -l <"$d/$label.uids")
	expect_eq "$n" "$((2 * N))" "$label: $((2 * N)) joiners in the directory"
	expect_eq "$(sort -u "$d/$label.uids" | wc -l)" "$n" "$label: every joiner has a uidNumber of its own"
	if awk '$1 < 50000 || $1 > 59999 { bad = 1 } END { exit bad }' "$d/$label.uids"; then
		t_ok "$label: every number is in uid_min..uid_max"
	else
		t_fail "$label: every number is in uid_min..uid_max ($(tr '\n' ' ' <"$d/$label.uids"))"
	fi
	if grep -q 'could not be checked unique\|create user=.* failed' "$a/syncd.log" "$b/syncd.log"; then
		t_fail "$label: no create failed in either log"
	else
		t_ok "$label: no create failed in either log"
	fi
	RACE_LOGS="$a/syncd.log $b/syncd.log"
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
}

# 1. The shipped directory: the unique overlay refuses a duplicate.
syncd_slapd_start "$d/ldap-unique" || { t_fail "slapd starts"; t_end; exit 1; }
race uq
# shellcheck disable=SC2086
n=$(cat $RACE_LOGS | grep -c 'taken meanwhile' || true)
m=$(cat $RACE_LOGS | grep -c 'moving to' || true)
echo "# with the unique overlay: $n adds refused by the directory and retried, $m entries the overlay let through moved after their add"
out=$(ldapadd -x -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" 2>&1 <<EOF
dn: uid=dupuid,ou=people,$SLAPD_BASE
objectClass: inetOrgPerson
objectClass: posixAccount
uid: dupuid
cn: dupuid
sn: dupuid
uidNumber: $(head -n 1 "$d/uq.uids")
gidNumber: 10001
homeDirectory: /home/dupuid
EOF
)
expect_match 'Constraint violation' "$out" "the overlay refuses an admin's add with a uidNumber in use"
slapd_cleanup

# 2. A directory without the overlay: tenure-syncd settles it itself.
SLAPD_UNIQUE=0 syncd_slapd_start "$d/ldap-plain" || { t_fail "slapd starts"; t_end; exit 1; }
race pl
# shellcheck disable=SC2086
n=$(cat $RACE_LOGS | grep -c 'moving to' || true)
echo "# without the overlay: $n entries moved to a free number after their add"
t_end
