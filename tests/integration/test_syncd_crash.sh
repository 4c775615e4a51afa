#!/bin/bash
# Nothing lost, nothing applied twice: LDAP stopped, an event accepted (so it
# is in the journal), tenure-syncd killed with SIGKILL, both restarted -> the
# event is applied exactly once.  Also: a crash between the LDAP modify and
# the journal update is replayed as a no-op thanks to tenureLastEvent, and
# the back-off while LDAP is down shows in /metrics and the journal.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
. "$here/test_syncd.lib"
export LDAPCONF=/dev/null LDAPRC=/dev/null

t_begin test_syncd_crash
syncd_need_build

d=$(tmpdir_new)
syncd_slapd_start "$d/ldap" || { t_fail "slapd starts"; t_end; exit 1; }
syncd_config "$d" "max_backlog 1"
trap 'syncd_kill; slapd_cleanup; _t_cleanup' EXIT
syncd_start "$d" || { t_fail "tenure-syncd starts"; t_end; exit 1; }
ctl() { "$CTL" --syncd -c "$d/syncd.conf" "$@"; }
applied() { [[ $(ldap_get "$1" pwdAccountLockedTime) == 000001010000Z ]]; }
wait_until 5 grep -q 'tenure_schema=yes' "$SYNCD_LOG" || true

# ---- LDAP down, event accepted, daemon killed, both restarted ----
slapd_stop >/dev/null
expect_match '^202 ' "$(post_event '{"id":"crash-1","type":"leaver","user":"alice","reason":"crash test"}')" \
	"event accepted while LDAP is down"
wait_until 10 grep -q 'event=crash-1 result=retry' "$SYNCD_LOG" && t_ok "worker backs off while LDAP is down" ||
	t_fail "worker backs off while LDAP is down"
expect_match '^503 ' "$(post_event '{"id":"crash-full","type":"leaver","user":"carol"}')" \
	"backlog full (max_backlog 1): 503, not queued"
expect_match 'tenure_syncd_ldap_up 0' "$(curl -s "$SYNCD_URL/metrics")" "/metrics: ldap_up 0"
expect_match 'tenure_syncd_journal_backlog 1' "$(curl -s "$SYNCD_URL/metrics")" "/metrics: backlog 1"
expect_match '"ldap":"down"' "$(curl -s "$SYNCD_URL/healthz")" "/healthz: ldap down"
syncd_kill
t_ok "tenure-syncd killed with SIGKILL"
expect_match 'crash-1 .* pending' "$(ctl events list)" "journal holds the event as pending after kill -9"
expect_eq "$(ctl events list | grep -c crash-full)" 0 "the 503'd event was not journaled"

slapd_restart >/dev/null || t_fail "slapd restarts"
syncd_start "$d" || t_fail "tenure-syncd restarts"
expect_match 'backlog=1' "$(grep 'ready journal' "$SYNCD_LOG" | tail -n 1)" "restart resumes with a backlog of 1"
wait_until 10 applied alice && t_ok "event applied after both restarted" || t_fail "event applied after both restarted"
sleep 0.5
expect_eq "$(ldap_get alice tenureLastEvent | grep -c '^crash-1$')" 1 "tenureLastEvent holds crash-1 once"
expect_eq "$(grep -c '"action":"apply","id":"crash-1"' "$d/audit.log")" 1 "audit: applied exactly once"
expect_match '"state": "applied"' "$(ctl events show crash-1 --json)" "journal: applied"

# ---- crash between the LDAP modify and the journal update ----
expect_match '^202 ' "$(post_event '{"id":"crash-2","type":"leaver","user":"bob"}')" "second event accepted"
wait_until 5 applied bob && t_ok "second event applied" || t_fail "second event applied"
syncd_stop
# Make the journal believe it never finished (what a kill -9 right after the
# modify leaves behind).
sqlite3 "$d/journal.db" "UPDATE events SET state = 0, applied = 0 WHERE id = 'crash-2';"
syncd_start "$d" || t_fail "tenure-syncd restarts"
notedone() { grep -q 'event=crash-2 .*already on the entry' "$SYNCD_LOG"; }
wait_until 5 notedone && t_ok "replayed event recognised by tenureLastEvent" || t_fail "replayed event recognised"
expect_eq "$(ldap_get bob tenureLastEvent | grep -c '^crash-2$')" 1 "replay did not write the entry again"
expect_eq "$(ldap_get bob tenureDisabledAt | wc -l)" 1 "one tenureDisabledAt"

syncd_stop && t_ok "SIGTERM: clean exit" || t_fail "SIGTERM: clean exit"

# ---- sd_notify: READY=1 at start, RELOADING/READY on SIGHUP, STOPPING=1 ----
notify=$TENURE_BUILD/tests/syncd_notify
if [[ -x $notify ]]; then
	"$notify" "$d/notify.sock" 30 >"$d/notify.out" &
	npid=$!
	wait_until 5 test -S "$d/notify.sock" || true
	NOTIFY_SOCKET=$d/notify.sock syncd_start "$d" || t_fail "tenure-syncd starts under a notify socket"
	wait_until 5 grep -q '^READY=1' "$d/notify.out" && t_ok "sd_notify READY=1 once listening" ||
		t_fail "sd_notify READY=1 once listening"
	kill -HUP "$SYNCD_PID"
	wait_until 5 grep -q '^RELOADING=1' "$d/notify.out" && t_ok "sd_notify RELOADING=1 on SIGHUP" ||
		t_fail "sd_notify RELOADING=1 on SIGHUP"
	syncd_stop
	wait "$npid" 2>/dev/null || true
	expect_eq "$(tr '\n' ' ' <"$d/notify.out")" "READY=1 RELOADING=1 READY=1 STOPPING=1 " \
		"notification sequence: ready, reload, ready, stopping"
else
	t_skip "sd_notify" "syncd_notify not built"
fi

# ---- the audit chain survived the kill ----
expect_rc 0 "$CTL" audit verify "$d/audit.log"
t_end
