#!/bin/bash
# Faults: tenure-syncd killed with SIGKILL at random points, 200 times, while
# events flow.
#
# A background sender plays an HR system: for users u00001, u00002, ... it
# posts a signed leaver, and once that is acknowledged the rehire of the same
# user, retrying each event (same id) until it gets a 2xx, and records every
# id it got a 2xx for.  Meanwhile the daemon is started and SIGKILLed 200
# times: half of the kills land during start-up (journal open, replay), half
# at a random moment up to 0.3 s after it is ready.  At the end it is
# started once more and drained, and every acknowledged event must have been
# applied exactly once:
#   journal  every acknowledged id is there once, applied; nothing pending,
#            failed or dead; no id that was never sent
#   audit    the chain verifies (a second instance started by mistake is
#            refused and leaves it alone); every acknowledged id has an "apply" line,
#            at most one of them a fresh modify (a replay after a kill is
#            noted "already on the entry")
#   LDAP     slapd's own log counts the successful modifies of each entry:
#            one per applied event; tenureLastEvent holds each id once, and
#            every user whose rehire was acknowledged is enabled again
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
. "$here/test_syncd.lib"
export LDAPCONF=/dev/null LDAPRC=/dev/null

t_begin test_faults_kill9
syncd_need_build
ITER=${FAULTS_KILL9_ITER:-200}
NUSERS=1500

d=$(tmpdir_new)
SENDER_PID=""
stop_sender() {
	[[ -n $SENDER_PID ]] || return 0
	touch "$d/stop"
	wait "$SENDER_PID" 2>/dev/null
	SENDER_PID=""
}
# Also stops a daemon started by hand (the start-up kills).
kill_raw() { [[ -n ${RAW_PID:-} ]] && kill -9 "$RAW_PID" 2>/dev/null; wait "${RAW_PID:-}" 2>/dev/null; RAW_PID=""; }
trap 'stop_sender; kill_raw; syncd_kill; slapd_cleanup; _t_cleanup' EXIT

# stats: slapd logs every operation, so LDAP's own record counts modifies.
SLAPD_DEBUG=stats syncd_slapd_start "$d/ldap" --gen-users "$NUSERS" || { t_fail "slapd starts"; t_end; exit 1; }
syncd_config "$d"
# A fixed port, so the sender finds every incarnation of the daemon.
for _ in $(seq 1 50); do
	port=$((20000 + RANDOM % 40000))
	[[ -z $(ss -Htan "( sport = :$port )" 2>/dev/null) ]] && break
done
sed -i "s|^listen .*|listen 127.0.0.1:$port|" "$d/syncd.conf"
ctl() { "$CTL" --syncd -c "$d/syncd.conf" "$@"; }
start_daemon() { # syncd_start, retried while the port is still held
	local i
	for i in 1 2 3 4 5; do
		syncd_start "$d" 2>>"$d/start-errors" && return 0
		sleep 0.2
	done
	return 1
}
start_daemon || { t_fail "tenure-syncd starts on port $port"; t_end; exit 1; }
URL=http://127.0.0.1:$port
wait_until 5 grep -q 'tenure_schema=yes' "$SYNCD_LOG" || true

# ---- the sender (an HR system that retries until acknowledged) ----
sender() {
	local i kind id user body out code
	SYNCD_URL=$URL
	for ((i = 1; i <= NUSERS; i++)); do
		user=$(printf 'u%05d' "$i")
		for kind in leaver rehire; do
			id=k9-$kind-$i
			body="{\"id\":\"$id\",\"type\":\"$kind\",\"user\":\"$user\",\"reason\":\"kill -9 test\"}"
			echo "$id $user $kind" >>"$d/sent"
			while :; do
				[[ -e $d/stop ]] && return 0
				out=$(SYNCD_URL=$URL post_event "$body" 2>/dev/null)
				code=${out%% *}
				if [[ $code == 2?? ]]; then
					echo "$id $user $kind $code" >>"$d/acked"
					break
				fi
				sleep 0.02
			done
			# About 20 events a second: traffic for the whole kill loop.
			sleep 0.03
		done
	done
}
: >"$d/sent"
: >"$d/acked"
sender &
SENDER_PID=$!
sleep 0.5
syncd_kill

# ---- 200 kills at random points ----
start=$SECONDS
up_kills=0 boot_kills=0 start_fail=0
for ((it = 1; it <= ITER; it++)); do
	if ((it % 2)); then
		# During start-up: anywhere from exec to a little after ready.
		"$TENURE_BUILD/tenure-syncd" -c "$d/syncd.conf" >>"$SYNCD_LOG" 2>&1 &
		RAW_PID=$!
		sleep "0.$(printf '%03d' $((RANDOM % 120)))"
		kill_raw
		boot_kills=$((boot_kills + 1))
	else
		if ! start_daemon; then
			start_fail=$((start_fail + 1))
			continue
		fi
		sleep "0.$(printf '%03d' $((RANDOM % 300)))"
		syncd_kill
		up_kills=$((up_kills + 1))
	fi
done
kill_elapsed=$((SECONDS - start))
expect_eq "$start_fail" 0 "tenure-syncd restarted after every kill"
t_ok "$ITER SIGKILLs ($boot_kills during start-up, $up_kills while serving) in ${kill_elapsed}s"
start_daemon || t_fail "final start"
# A second instance on the same files (started twice by mistake) must not
# touch the audit chain the running one continues.
timeout 10 "$TENURE_BUILD/tenure-syncd" -c "$d/syncd.conf" >"$d/second.log" 2>&1
expect_eq "$?" 1 "a second tenure-syncd on the same files refuses to start"
expect_match 'audit_log: .*in use by another process' "$(cat "$d/second.log")" "... and says the audit log is in use"
# Let the sender get a few more through the last incarnation, then stop it.
sleep 1
stop_sender
nsent=$(wc -l <"$d/sent")
nacked=$(wc -l <"$d/acked")
if ((nacked >= 20)); then t_ok "events flowed: $nacked acknowledged of $nsent sent"; else t_fail "events flowed ($nacked acknowledged)"; fi

# ---- drain ----
pending() { ctl events list --state pending 2>/dev/null | awk 'NR > 1' | wc -l; }
drained() { [[ $(pending) == 0 ]]; }
wait_until 60 drained && t_ok "journal drained after the final restart" ||
	t_fail "journal drained after the final restart ($(pending) pending)"
syncd_stop && t_ok "SIGTERM: clean exit" || t_fail "SIGTERM: clean exit"

# ---- journal ----
ctl events list | awk 'NR > 1 && $2 ~ /^k9-/ { print $2, $6 }' | sort >"$d/journal"
awk '{ print $1 }' "$d/acked" | sort >"$d/acked.ids"
awk '{ print $1 }' "$d/sent" | sort >"$d/sent.ids"
expect_eq "$(sort -u "$d/acked.ids" | wc -l)" "$nacked" "each event acknowledged once by the sender"
expect_eq "$(comm -23 "$d/acked.ids" <(awk '$2 == "applied" { print $1 }' "$d/journal"))" "" \
	"journal: every acknowledged event is there, applied"
expect_eq "$(awk '$2 != "applied"' "$d/journal")" "" "journal: nothing pending, failed or dead"
expect_eq "$(awk '{ print $1 }' "$d/journal" | uniq -d)" "" "journal: each id once"
expect_eq "$(comm -13 "$d/sent.ids" <(awk '{ print $1 }' "$d/journal"))" "" "journal: no id that was never sent"

# ---- audit ----
expect_rc 0 "$CTL" audit verify "$d/audit.log"
grep '"action":"apply"' "$d/audit.log" |
	sed -n 's/.*"id":"\(k9-[^"]*\)".*"detail":"\([^"]*\)".*/\1 \2/p' >"$d/applies"
expect_eq "$(grep -c '"action":"apply"' "$d/audit.log")" "$(wc -l <"$d/applies")" "audit: every apply line parsed"
fresh_twice=$(awk '$2 == "" { print $1 }' "$d/applies" | sort | uniq -d)
expect_eq "$fresh_twice" "" "audit: no event applied fresh twice"
no_apply=$(comm -23 "$d/acked.ids" <(awk '{ print $1 }' "$d/applies" | sort -u))
expect_eq "$no_apply" "" "audit: every acknowledged event has an apply line"
replays=$(awk '$2 != ""' "$d/applies" | wc -l)
t_ok "audit: $(wc -l <"$d/applies") apply lines, $replays of them replays noted 'already on the entry'"

# ---- LDAP ----
# Modifies per entry, from slapd's stats log: "MOD dn=..." then, on the same
# conn/op, "RESULT tag=103 err=N".  A modify whose client was killed while
# it ran has no RESULT line at all: slapd abandons the operations of a
# closed connection and logs no result for them, even when the backend
# already committed the change (the restarted daemon then finds its id in
# tenureLastEvent and notes the event as 'already on the entry').  So per
# user: "ok" = modifies with err=0, "cut" = modifies with no result.
awk '
	/ MOD dn="uid=u[0-9]+,/ { match($0, /conn=[0-9]+ op=[0-9]+/); k = substr($0, RSTART, RLENGTH)
		match($0, /uid=u[0-9]+/); dn[k] = substr($0, RSTART + 4, RLENGTH - 4); seen[dn[k]] = 1 }
	/ RESULT tag=103 / { match($0, /conn=[0-9]+ op=[0-9]+/); k = substr($0, RSTART, RLENGTH)
		if (k in dn) { if ($0 ~ / err=0 /) ok[dn[k]]++; delete dn[k] } }
	END { for (k in dn) cut[dn[k]]++
		for (u in seen) print u, ok[u] + 0, cut[u] + 0 }' "$SLAPD_LOG" | sort >"$d/mods"
# Applied events per user, from the journal.
awk '$2 == "applied" { split($1, p, "-"); printf "u%05d\n", p[3] }' "$d/journal" | sort | uniq -c |
	awk '{ print $2, $1 }' >"$d/want-mods"
# Every applied event is one committed modify: at least the logged
# successes (a second modify for one event would exceed it; the
# tenureLastEvent add makes it fail in the directory anyway), at most the
# logged successes plus the modifies cut off by a kill.
bad=$(awk 'NR == FNR { want[$1] = $2; next }
	{ w = want[$1] + 0; if (w < $2 || w > $2 + $3) printf "%s:want=%d,ok=%d,cut=%d ", $1, w, $2, $3; delete want[$1] }
	END { for (u in want) printf "%s:want=%d,no-modify ", u, want[u] }' "$d/want-mods" "$d/mods")
expect_eq "$bad" "" "LDAP: one committed modify per applied event, per entry (slapd's log)"
echo "# modifies cut off by a kill (no result logged): $(awk '{ n += $3 } END { print n + 0 }' "$d/mods")"
# One search for every user: "uid attr value" lines.
ldapsearch -LLL -o ldif-wrap=no -x -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" \
	-b "ou=people,$SLAPD_BASE" "(uid=u*)" uid tenureLastEvent pwdAccountLockedTime 2>/dev/null |
	awk '/^uid: / { u = $2 } /^(tenureLastEvent|pwdAccountLockedTime): / { print u, $1, $2 }' >"$d/entries"
# acked id -> times it is in its user's tenureLastEvent
bad=$(awk 'NR == FNR { if ($2 == "tenureLastEvent:") n[$1 " " $3]++; next }
	{ c = n[$2 " " $1] + 0; if (c != 1) printf "%s:%d ", $1, c }' "$d/entries" "$d/acked")
expect_eq "$bad" "" "LDAP: tenureLastEvent holds every acknowledged id once"
bad=$(awk 'NR == FNR { if ($2 == "pwdAccountLockedTime:") locked[$1] = 1; next }
	$3 == "rehire" && locked[$2] { printf "%s ", $2 }' "$d/entries" "$d/acked")
expect_eq "$bad" "" "LDAP: every user whose rehire was acknowledged is enabled (no leaver re-applied after it)"
bad=$(awk 'NR == FNR { if ($2 == "pwdAccountLockedTime:") locked[$1] = 1; next }
	$3 == "rehire" { r[$2] = 1; next } { l[$2] = 1 }
	END { for (u in l) if (!(u in r) && !locked[u]) printf "%s ", u }' "$d/entries" "$d/acked")
expect_eq "$bad" "" "LDAP: a user whose leaver (only) was acknowledged is disabled"

slapd_cleanup
left=$(pgrep -a -f -- "$d" || true)
expect_eq "$left" "" "no tenure-syncd, slapd or sender left running"
t_end
