#!/bin/bash
# Faults: the LDAP server dies under the NSS and PAM modules.
# (group and shadow enumerations, over 10,000 groups and 10,000 users, get
# the same treatment as passwd, with direct calls.)
#
#  - NSS: slapd SIGKILLed (also: restarted, frozen with SIGSTOP) in the middle of an enumeration of 10,010 users
#    read in pages of 10.  Every call returns within the configured bounds,
#    nothing crashes, the module ends the list with UNAVAIL (never NOTFOUND,
#    which means "that was everything"), the part returned is a clean prefix
#    (no duplicate, no malformed entry), and after slapd is back the same
#    process and new ones list everything again.  Seen through glibc
#    (getpwent_r, and the real getent program) the list stops early, and
#    errno says so: EIO for a cut list, ENOENT at the true end.
#  - PAM: slapd killed, stopped, or replaced by a black hole between the auth
#    and the account phase of one PAM handle: the account phase returns
#    PAM_AUTHINFO_UNAVAIL (9) within the bounds, never success.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
export LDAPCONF=/dev/null LDAPRC=/dev/null
t_begin test_faults_nss

B=$TENURE_BUILD
FN=$B/tests/faults_nss
FP=$B/tests/faults_pam
for f in "$B/libnss_tenure.so.2" "$B/pam_tenure.so" "$FN" "$FP"; do
	if [[ ! -e $f ]]; then
		t_fail "missing $f (build first)"
		t_end
		exit 1
	fi
done
SLAPD_SH=$T_REPO/tests/ldap/slapd.sh
FULL=10010 # 10,000 generated users + the 10 seed users NSS shows
# Per call: connect + bind (bind_timelimit 2) and one operation
# (timelimit 2), plus slack for a loaded machine.
BOUND=5

tmp=$(tmpdir_new)
chmod 711 "$tmp"
start_ldap() {
	slapd_start "$tmp/ldap" --gen-users 10000 --gen-groups 10000 >/dev/null && return 0
	echo "# slapd failed to start once; retrying" >&2
	slapd_start "$tmp/ldap" --gen-users 10000 --gen-groups 10000 >/dev/null
}
start_ldap || { t_fail "slapd starts with 10,000 users and 10,000 groups"; t_end; exit 1; }
ldap_dir=$SLAPD_DIR
# The server is killed from other processes (faults_nss, the CLI): reload
# the variables (pid) after each restart.
reload_env() { . "$ldap_dir/env"; }
restart_ldap() { bash "$SLAPD_SH" restart "$ldap_dir" >/dev/null && reload_env; }
is_num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
# below X LIMIT: X is a number and X < LIMIT
below() { is_num "$1" && awk -v x="$1" -v l="$2" 'BEGIN { exit !(x < l) }'; }

C=$tmp/nss.conf
cat >"$C" <<EOF
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
timelimit 2
bind_timelimit 2
reconnect_sleeptime 1
reconnect_retrytime 2
pagesize 10
cache_ttl 0
cache_negative_ttl 0
EOF
chmod 644 "$C"
ge() { LD_LIBRARY_PATH=$B TENURE_CONF=$C timeout 60 getent -s tenure "$@"; }
fn() { LD_LIBRARY_PATH=$B TENURE_CONF=$C timeout 120 "$FN" "$@"; }
val() { printf '%s\n' "$2" | sed -n "s/^$1 //p"; }

expect_eq "$(ge passwd | wc -l)" "$FULL" "baseline: getent passwd lists all $FULL users in pages of 10"

# ---- direct calls: the exact NSS status ----
out=$(fn enum 100 "kill -9 $SLAPD_PID" "bash '$SLAPD_SH' restart '$ldap_dir' >/dev/null")
rc=$?
printf '%s\n' "$out" | sed 's/^/  | /' >&2
reload_env
expect_eq "$rc" 0 "enumeration with slapd killed: the process did not crash"
total=$(val total "$out")
if is_num "$total" && ((total >= 100 && total < FULL)); then
	t_ok "enumeration cut by the kill: $total of $FULL entries returned"
else
	t_fail "enumeration cut by the kill (total=$total)"
fi
expect_eq "$(val end "$out")" "UNAVAIL EIO" "the call after the last entry: UNAVAIL/EIO, not NOTFOUND/ENOENT (end of list)"
expect_eq "$(val after "$out")" "UNAVAIL UNAVAIL UNAVAIL" "further calls stay UNAVAIL: the list never resumes half-way"
expect_eq "$(val dups "$out")" 0 "no entry returned twice"
expect_eq "$(val bad "$out")" 0 "no malformed entry"
below "$(val maxcall "$out")" "$BOUND" && t_ok "every call within ${BOUND}s (slowest $(val maxcall "$out")s)" ||
	t_fail "every call within ${BOUND}s (slowest $(val maxcall "$out")s)"
rec=$(val recover "$out")
below "$rec" 20 && t_ok "after slapd restarts, the same process resolves again (${rec}s: back-off window)" ||
	t_fail "after slapd restarts, the same process resolves again ($rec)"
expect_eq "$(val recount "$out")" "$FULL" "the same process then lists all $FULL users"

# ---- slapd restarted while the enumeration waits: no silent restart ----
# The paged-results cookie belongs to the dead connection: the module must
# fail, not start the list again from the top on the new server.
out=$(fn enum 100 "kill -9 $SLAPD_PID; bash '$SLAPD_SH' restart '$ldap_dir' >/dev/null" "true")
printf '%s\n' "$out" | sed 's/^/  | /' >&2
reload_env
total=$(val total "$out")
expect_eq "$(val dups "$out")" 0 "slapd restarted mid-enumeration: no entry returned twice"
if is_num "$total" && ((total < FULL)); then
	expect_eq "$(val end "$out")" "UNAVAIL EIO" "slapd restarted mid-enumeration: the cut list ends UNAVAIL"
else
	t_fail "slapd restarted mid-enumeration: list cut (total=$total)"
fi
expect_eq "$(val recount "$out")" "$FULL" "a new enumeration on the restarted server lists all $FULL"

# ---- slapd frozen (SIGSTOP) mid-enumeration: the server holds the
# connection and answers nothing, so only timelimit bounds the wait ----
out=$(fn enum 100 "kill -STOP $SLAPD_PID" "kill -CONT $SLAPD_PID")
rc=$?
printf '%s\n' "$out" | sed 's/^/  | /' >&2
expect_eq "$rc" 0 "slapd frozen mid-enumeration: no crash"
total=$(val total "$out")
if is_num "$total" && ((total >= 100 && total < FULL)); then
	t_ok "slapd frozen: the list is cut ($total of $FULL)"
else
	t_fail "slapd frozen: the list is cut (total=$total)"
fi
expect_eq "$(val end "$out") / $(val after "$out")" "UNAVAIL EIO / UNAVAIL UNAVAIL UNAVAIL" \
	"slapd frozen: UNAVAIL, and UNAVAIL again after it"
below "$(val maxcall "$out")" "$BOUND" && t_ok "slapd frozen: every call within ${BOUND}s (slowest $(val maxcall "$out")s, timelimit 2)" ||
	t_fail "slapd frozen: every call within ${BOUND}s ($(val maxcall "$out"))"
expect_eq "$(val dups "$out")" 0 "slapd frozen: no entry twice"
expect_eq "$(val recount "$out")" "$FULL" "slapd thawed (SIGCONT): the same process lists all $FULL again"

# ---- through glibc: what a program sees ----
out=$(fn glibc 100 "kill -9 $SLAPD_PID")
rc=$?
printf '%s\n' "$out" | sed 's/^/  | /' >&2
expect_eq "$rc" 0 "glibc getpwent_r with slapd killed: no crash"
total=$(val total "$out")
if is_num "$total" && ((total >= 100 && total < FULL)); then
	t_ok "glibc: the list stops early ($total of $FULL), nothing made up"
else
	t_fail "glibc: the list stops early (total=$total)"
fi
expect_eq "$(val dups "$out") $(val bad "$out")" "0 0" "glibc: no duplicate, no malformed entry"
below "$(val maxcall "$out")" "$BOUND" && t_ok "glibc: every getpwent_r within ${BOUND}s" ||
	t_fail "glibc: every getpwent_r within ${BOUND}s ($(val maxcall "$out"))"
# glibc turns every status but TRYAGAIN into the return value ENOENT, the
# same as the end of the list, and passes the module's errno on: a cut list
# leaves errno EIO (POSIX: getpwent sets errno on error), the end ENOENT.
expect_eq "$(val end "$out")" "ENOENT EIO" "glibc: getpwent_r returns ENOENT with errno EIO: the caller can tell the list was cut"
restart_ldap || t_fail "slapd restarts"
out=$(fn glibc 100000 "true")
expect_eq "$(val total "$out") $(val end "$out")" "$FULL ENOENT ENOENT" "glibc: the complete list ends with errno ENOENT, not EIO"

# ---- group and shadow enumerations: the same rules ----
dbs=(group shadow)
# shadow is for root only (the service bind).
[[ $(id -u) == 0 ]] || { dbs=(group); t_skip "shadow enumeration with slapd killed" "needs root"; }
for db in "${dbs[@]}"; do
	full=$(ge "$db" | wc -l)
	out=$(fn enum "$db" 100 "kill -9 $SLAPD_PID" "bash '$SLAPD_SH' restart '$ldap_dir' >/dev/null")
	rc=$?
	printf '%s\n' "$out" | sed "s/^/  | $db /" >&2
	reload_env
	total=$(val total "$out")
	if ((rc == 0 && full > 10000)) && is_num "$total" && ((total >= 100 && total < full)); then
		t_ok "$db: slapd killed mid-enumeration: cut at $total of $full, no crash"
	else
		t_fail "$db: slapd killed mid-enumeration (rc=$rc, total=$total of $full)"
	fi
	expect_eq "$(val end "$out") / $(val after "$out")" "UNAVAIL EIO / UNAVAIL UNAVAIL UNAVAIL" "$db: UNAVAIL/EIO, and it stays UNAVAIL"
	expect_eq "$(val dups "$out") $(val bad "$out")" "0 0" "$db: no entry twice, none malformed"
	below "$(val maxcall "$out")" "$BOUND" && t_ok "$db: every call within ${BOUND}s" ||
		t_fail "$db: every call within ${BOUND}s ($(val maxcall "$out"))"
	expect_eq "$(val recount "$out")" "$full" "$db: after the restart the same process lists all $full"
done

# ---- the real getent, killed under it while it prints ----
# getent writes into a pipe; the reader kills slapd after 50 lines.  The
# pipe holds at most ~1,000 more lines, so the kill lands mid-list.
kill_after() {
	local n=0 line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		n=$((n + 1))
		((n == 50)) && kill -9 "$SLAPD_PID"
	done
}
start=$SECONDS
ge passwd | kill_after >"$tmp/getent.out"
st=("${PIPESTATUS[@]}")
elapsed=$((SECONDS - start))
lines=$(wc -l <"$tmp/getent.out")
expect_eq "${st[0]}" 0 "getent with slapd killed: exits normally (no crash, no hang: ${elapsed}s)"
if ((lines >= 50 && lines < FULL)); then t_ok "getent: $lines lines, cut short"; else t_fail "getent: cut short ($lines lines)"; fi
expect_eq "$(awk -F: 'NF != 7 || $3 < 1000' "$tmp/getent.out" | wc -l)" 0 "getent: every line well-formed"
expect_eq "$(cut -d: -f1 "$tmp/getent.out" | sort | uniq -d | wc -l)" 0 "getent: no user twice"
restart_ldap || t_fail "slapd restarts"
expect_eq "$(ge passwd alice | cut -d: -f1,3)" "alice:10001" "after restart: a new getent resolves alice"
expect_eq "$(ge passwd | wc -l)" "$FULL" "after restart: getent passwd lists all $FULL again"

# ---- PAM: the server goes away between auth and account ----
mkdir -p "$tmp/pam"
cat >"$tmp/pam.conf" <<EOF
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
timelimit 2
bind_timelimit 2
dir $tmp/tally
tally_key_file $tmp/tally.key
EOF
printf '%s required %s conf=%s\n' auth "$B/pam_tenure.so" "$tmp/pam.conf" \
	account "$B/pam_tenure.so" "$tmp/pam.conf" >"$tmp/pam/login"
fp() { timeout 60 "$FP" -D "$tmp/pam" -s login -u alice -a alice-Secret-1 "$@"; }
pam_case() { # DESC faults_pam-args...
	local desc=$1 out rc
	shift
	out=$(fp "$@" 2>"$tmp/fp.err")
	rc=$?
	expect_eq "$rc $(val auth "$out") $(val acct "$out")" "0 0 9" \
		"PAM, $desc between auth and account: auth ok, account PAM_AUTHINFO_UNAVAIL"
	below "$(val acct_secs "$out")" "$BOUND" && t_ok "PAM, $desc: account answered in $(val acct_secs "$out")s" ||
		t_fail "PAM, $desc: account within ${BOUND}s ($(val acct_secs "$out"))"
	restart_ldap || t_fail "slapd restarts"
}
out=$(fp true 2>&1)
expect_eq "$(val auth "$out") $(val acct "$out")" "0 0" "PAM: auth and account succeed with the server up"
pam_case "slapd SIGKILLed" "kill -9 $SLAPD_PID"
pam_case "slapd stopped (SIGTERM)" "bash '$SLAPD_SH' stop '$ldap_dir' 2>/dev/null"
pam_case "slapd replaced by a black hole" -b "$SLAPD_PORT" "kill -9 $SLAPD_PID"
out=$(fp true 2>&1)
expect_eq "$(val auth "$out") $(val acct "$out")" "0 0" "PAM: after the restart, a new handle logs in again"

slapd_cleanup
left=$(pgrep -a -f -- "$tmp" || true)
expect_eq "$left" "" "no slapd or helper left running"
t_end
