#!/bin/bash
# The PAM login path end to end: pam_tenure.so in real PAM stacks read from a
# private directory (pam_start_confdir through pamdriver), against a real
# slapd loaded with the seed users; the tally in a temporary directory;
# tenurectl on the same files.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
# shellcheck source=tests/ldap/slapd.sh
. "$T_REPO/tests/ldap/slapd.sh"
export LDAPCONF=/dev/null LDAPRC=/dev/null

t_begin pam_login
work=$(tmpdir_new)
module=$(t_build_path pam_tenure.so)
driver=$(t_build_path tests/pamdriver)
ctl=$(t_build_path tenurectl)
for f in "$module" "$driver" "$ctl"; do
	if [[ ! -x $f && ! -r $f ]]; then
		t_fail "missing $f (build first)"
		t_end
		exit 1
	fi
done

# slapd logs every operation, so the tests can see what reached it.
SLAPD_DEBUG=stats slapd_start "$work/ldap" >/dev/null
mkdir -p "$work/pam"

# conf NAME [extra lines...]: a tenure.conf for this slapd.
conf() {
	local name=$1
	shift
	{
		echo "uri $SLAPD_URI"
		echo "base $SLAPD_BASE"
		echo "binddn $SLAPD_NSS_DN"
		echo "bindpw_file $SLAPD_NSS_PW_FILE"
		echo "bind_timelimit 2"
		echo "timelimit 2"
		echo "dir $work/tally"
		echo "tally_key_file $work/tally.key"
		echo "deny 3"
		echo "fail_interval 900"
		echo "unlock_time 2"
		echo "nodelay yes"
		echo "session_timeout 600"
		printf '%s\n' "$@"
	} >"$work/$name.conf"
}

# stack NAME CONF [module args...]: auth/account/session with pam_tenure.
stack() {
	local name=$1 c=$2
	shift 2
	{
		echo "auth     required $module conf=$work/$c.conf $*"
		echo "account  required $module conf=$work/$c.conf $*"
		echo "session  required $module conf=$work/$c.conf $*"
	} >"$work/pam/$name"
}

conf main
stack login main
conf silent "silent yes"
stack silent silent
conf many "deny 100"
stack many many

pd() { "$driver" -D "$work/pam" "$@"; }
# run CMD...: exit status in $RC, output in $T_OUT.
run() {
	RC=0
	T_OUT=$("$@" 2>&1) || RC=$?
}
binds() { grep -c "BIND dn=\"uid=$1,ou=people" "$SLAPD_LOG" || true; }
failures() { TENURE_CONF=$work/main.conf "$ctl" --json lockout show "$1" | sed -n 's/^  "failures": \([0-9]*\),*$/\1/p'; }
records() { TENURE_CONF=$work/main.conf "$ctl" --json lockout show "$1" | sed -n 's/^  "records": \([0-9]*\),*$/\1/p'; }

# --- a good login: auth, account, session, TMOUT
expect_rc 0 pd -s login -u alice -a alice-Secret-1 -E auth acct open close
expect_match 'OP: acct = PAM_SUCCESS' "$T_OUT" "alice: account phase allows"
expect_match 'ENV: TMOUT=600' "$T_OUT" "session exports TMOUT=session_timeout"

# --- wrong passwords, the same one twice counts once
expect_rc 7 pd -s login -u alice -a wrong-1 auth
expect_rc 7 pd -s login -u alice -a wrong-1 auth
expect_eq "$(failures alice)" 1 "the same wrong password twice counts once"
expect_eq "$(stat -c %a "$work/tally")" 700 "tally directory is 0700"
expect_eq "$(stat -c '%a %U' "$work/tally/alice")" "600 root" "tally file is root's, 0600"
expect_eq "$(stat -c %a "$work/tally.key")" 600 "HMAC key created 0600"
if grep -q -a 'wrong-1' "$work/tally/alice"; then t_fail "password stored in the tally"; else t_ok "no password in the tally"; fi

# --- lockout after deny failures; locked means no bind at all
expect_rc 7 pd -s login -u alice -r 192.0.2.10 -a wrong-2 auth
expect_rc 7 pd -s login -u alice -r 192.0.2.11 -a wrong-3 auth
expect_match 'ERROR: Account locked, 1 minute left' "$T_OUT" "the locking failure says so"
expect_eq "$(failures alice)" 3 "three distinct failures counted"
before=$(binds alice)
expect_rc 7 pd -s login -u alice -a alice-Secret-1 auth
expect_match 'ERROR: Account locked, [0-9]+ minutes? left' "$T_OUT" "locked: message with minutes left"
if [[ $T_OUT == *PROMPT* ]]; then t_fail "locked: password asked for"; else t_ok "locked: no password prompt"; fi
expect_rc 7 pd -s login -u alice -a wrong-4 auth
expect_eq "$(binds alice)" "$before" "locked: nothing sent to LDAP"
expect_eq "$(failures alice)" 3 "attempts while locked are not counted"
expect_rc 6 pd -s login -u alice acct
expect_match 'Account locked' "$T_OUT" "account phase refuses a locked-out user (SSH key)"
show=$(TENURE_CONF=$work/main.conf "$ctl" lockout show alice)
expect_match 'alice +failures=3 +locked=yes .*source=192\.0\.2\.11 service=login' "$show" "tenurectl lockout show"
run env TENURE_CONF="$work/main.conf" "$ctl" account alice
expect_eq "$RC" 1 "tenurectl account: locked-out exits 1"
expect_match 'locked-out' "$T_OUT" "tenurectl account says locked-out"

# --- automatic unlock after unlock_time (2 s), success clears the tally
sleep 2.5
expect_rc 0 pd -s login -u alice -a alice-Secret-1 auth acct
expect_eq "$(failures alice)" 0 "success clears the tally"

# --- silent: a locked user looks like any failed login
for p in s1 s2 s3; do pd -s silent -u bob -a "wrong-$p" auth >/dev/null || true; done
expect_rc 7 pd -s silent -u bob -a bob-Secret-1 auth
locked_out=$T_OUT
expect_rc 10 pd -s silent -u nosuchuser -a whatever auth
unknown_out=$T_OUT
expect_eq "$locked_out" "PROMPT: Password: 
OP: auth = PAM_AUTH_ERR (7)" "silent: locked user: a prompt and nothing else"
expect_eq "${unknown_out%%OP:*}" "${locked_out%%OP:*}" "silent: unknown user: the same conversation"

# --- reset with tenurectl
expect_rc 0 env TENURE_CONF="$work/main.conf" "$ctl" lockout reset bob
expect_eq "$(failures bob)" 0 "tenurectl lockout reset clears the tally"
expect_rc 0 pd -s login -u bob -a bob-Secret-1 auth

# --- 50 concurrent failing logins leave exactly 50 records
pids=()
for i in $(seq 1 50); do
	pd -s many -u carol -a "wrong-concurrent-$i" auth >/dev/null 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
expect_eq "$(records carol)" 50 "50 concurrent failures: exactly 50 records"
"$ctl" -c "$work/main.conf" lockout reset carol >/dev/null

# --- an empty password never reaches a bind
before=$(binds carol)
expect_rc 7 pd -s login -u carol -a "" auth
expect_eq "$(binds carol)" "$before" "empty password: no bind"

# --- LDAP state in the account phase (also without auth, as with SSH keys)
expect_rc 13 pd -s login -u expired acct
expect_match 'account has expired' "$T_OUT" "expired: message"
expect_rc 6 pd -s login -u disabled acct
expect_match 'disabled' "$T_OUT" "disabled: message"
expect_rc 0 pd -s login -u disabled -a disabled-Secret-1 auth
expect_rc 6 pd -s login -u disabled -a disabled-Secret-1 auth acct
expect_rc 6 pd -s login -u locked acct
expect_rc 7 pd -s login -u locked -a locked-Secret-1 auth
expect_match 'account is locked' "$T_OUT" "ppolicy-locked entry refused at bind"
expect_rc 12 pd -s login -u pwold -a pwold-Secret-1 auth acct
expect_rc 0 pd -s login -u pwwarn -a pwwarn-Secret-1 auth acct
expect_match 'INFO: Warning: your password expires in 3 days' "$T_OUT" "warning window: days left"
expect_rc 12 pd -s login -u mustchange acct
expect_rc 12 pd -s login -u mustchange -a mustchange-Secret-1 auth acct
run "$ctl" -c "$work/main.conf" --json account disabled
expect_eq "$RC" 1 "tenurectl account disabled exits 1"
expect_match '"verdict": "disabled"' "$T_OUT" "tenurectl --json account: verdict"
expect_match 'evt-seed-0001' "$T_OUT" "tenurectl account: the reason from the directory"
run "$ctl" -c "$work/main.conf" account pwwarn
expect_eq "$RC" 0 "tenurectl account pwwarn exits 0"
expect_match 'warn \(password-expiring\)' "$T_OUT" "tenurectl account pwwarn: warn"

# Live: disable alice in the directory, the next account check refuses.
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_SYNCD_DN" -y "$SLAPD_SYNCD_PW_FILE" >/dev/null <<EOF
dn: uid=alice,ou=people,$SLAPD_BASE
changetype: modify
replace: shadowExpire
shadowExpire: 1
EOF
expect_rc 13 pd -s login -u alice acct

# --- boundaries of shadowExpire and rotation, with entries made for them
today=$(($(date -u +%s) / 86400))
mkuser() { # name uid attrs...
	local n=$1 u=$2
	shift 2
	{
		echo "dn: uid=$n,ou=people,$SLAPD_BASE"
		printf 'objectClass: %s\n' inetOrgPerson posixAccount shadowAccount
		echo "uid: $n"; echo "cn: $n"; echo "sn: $n"
		echo "uidNumber: $u"; echo "gidNumber: 10001"
		echo "homeDirectory: /home/$n"
		echo "userPassword: $n-Secret-1"
		printf '%s\n' "$@"
	} | ldapadd -x -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" >/dev/null
}
mkuser exptoday 11001 "shadowExpire: $today"
mkuser exptomorrow 11002 "shadowExpire: $((today + 1))"
mkuser expzero 11003 "shadowExpire: 0"
mkuser age90 11004 "shadowLastChange: $((today - 90))" "shadowMax: 90" "shadowWarning: 7"
mkuser age91 11005 "shadowLastChange: $((today - 91))" "shadowMax: 90"
mkuser inact 11006 "shadowLastChange: $((today - 96))" "shadowMax: 90" "shadowInactive: 5"
mkuser inact95 11007 "shadowLastChange: $((today - 95))" "shadowMax: 90" "shadowInactive: 5"
mkuser lc0 11008 "shadowLastChange: 0" "shadowMax: 90"
mkuser confmax 11009 "shadowLastChange: $((today - 40))"
expect_rc 13 pd -s login -u exptoday acct
expect_rc 0 pd -s login -u exptomorrow acct
expect_rc 13 pd -s login -u expzero acct
expect_rc 0 pd -s login -u age90 acct
expect_match 'expires in 0 days' "$T_OUT" "last day: 0 days left"
expect_rc 12 pd -s login -u age91 acct
expect_rc 12 pd -s login -u inact95 acct
expect_rc 27 pd -s login -u inact acct
expect_rc 12 pd -s login -u lc0 acct
expect_rc 0 pd -s login -u confmax acct
conf max30 "max_days 30"
stack max30 max30
expect_rc 12 pd -s max30 -u confmax acct

# --- injection names and entries that must never log in
long=$(printf 'a%.0s' $(seq 1 300))
for u in '*' 'alice)(uid=*' 'alice*' '(uid=alice)' 'Alice' 'alice ' "$long" 'evilroot' 'lowuid' $'ali\x01ce'; do
	run pd -s login -u "$u" -a evilroot-Secret-1 auth
	expect_eq "$RC" 10 "auth refuses user name $(printf %q "${u:0:40}")"
	run pd -s login -u "$u" acct
	expect_eq "$RC" 10 "account refuses user name $(printf %q "${u:0:40}")"
done
n=$(find "$work/tally" -type f | wc -l)
leftover=$(find "$work/tally" -type f -printf '%f\n' | grep -v -x -E 'alice|bob|carol' || true)
expect_eq "$leftover" "" "no tally file for refused names ($n files)"

# --- local accounts: faillock placements around pam_unix
conf local "unlock_time 600"
cat >"$work/pam/local" <<EOF
auth     requisite           $module conf=$work/local.conf preauth
auth     [success=1 default=bad] pam_unix.so nodelay
auth     [default=die]       $module conf=$work/local.conf authfail
auth     sufficient          $module conf=$work/local.conf authsucc
auth     required            pam_deny.so
account  required            $module conf=$work/local.conf
EOF
cat >"$work/pam/local-ok" <<EOF
auth     requisite           $module conf=$work/local.conf preauth
auth     [success=1 default=bad] pam_permit.so
auth     [default=die]       $module conf=$work/local.conf authfail
auth     sufficient          $module conf=$work/local.conf authsucc
auth     required            pam_deny.so
EOF
# daemon's password is '*': pam_unix always refuses it.
for p in l1 l2 l3; do pd -s local -u daemon -a "$p" auth >/dev/null || true; done
expect_eq "$(failures daemon)" 3 "pam_unix failures counted by authfail"
expect_rc 7 pd -s local -u daemon -a l4 auth
expect_match 'Account locked' "$T_OUT" "preauth refuses a locked local user"
if [[ $T_OUT == *PROMPT* ]]; then t_fail "preauth: pam_unix still asked"; else t_ok "preauth stops before pam_unix asks"; fi
expect_rc 7 pd -s local-ok -u daemon auth
"$ctl" -c "$work/main.conf" lockout reset daemon >/dev/null
pd -s local -u daemon -a l5 auth >/dev/null || true
expect_eq "$(failures daemon)" 1 "one failure after reset"
expect_rc 0 pd -s local-ok -u daemon auth
expect_eq "$(failures daemon)" 0 "authsucc clears the tally"
expect_rc 0 pd -s local -u daemon acct
for p in r1 r2 r3 r4; do pd -s local -u root -a "$p" auth >/dev/null || true; done
expect_rc 0 pd -s local-ok -u root auth
expect_match 'OP: auth = PAM_SUCCESS' "$T_OUT" "root is not locked without even_deny_root"

# even_deny_root / admin_group through the placements
conf rootdeny "unlock_time 600" "even_deny_root yes"
sed "s|$work/local.conf|$work/rootdeny.conf|" "$work/pam/local" >"$work/pam/rootdeny"
for p in r1 r2 r3; do pd -s rootdeny -u root -a "$p" auth >/dev/null || true; done
expect_rc 7 pd -s rootdeny -u root -a r4 auth
expect_match 'Account locked' "$T_OUT" "even_deny_root locks root"
"$ctl" -c "$work/rootdeny.conf" lockout reset root >/dev/null
conf admins "unlock_time 600" "admin_group daemon"
sed "s|$work/local.conf|$work/admins.conf|" "$work/pam/local" >"$work/pam/admins"
sed "s|$work/local.conf|$work/admins.conf|" "$work/pam/local-ok" >"$work/pam/admins-ok"
for p in a1 a2 a3 a4; do pd -s admins -u daemon -a "$p" auth >/dev/null || true; done
expect_rc 0 pd -s admins-ok -u daemon auth
expect_match 'OP: auth = PAM_SUCCESS' "$T_OUT" "admin_group members are treated like root"

# --- deny_per_rhost: one address cannot lock the user out from everywhere
conf perhost "deny 5" "deny_per_rhost 2" "unlock_time 600"
stack perhost perhost
pd -s perhost -u zhangwei -r 203.0.113.66 -a guess-1 auth >/dev/null || true
expect_rc 7 pd -s perhost -u zhangwei -r 203.0.113.66 -a guess-2 auth
expect_match 'Account locked' "$T_OUT" "deny_per_rhost locks the source"
for g in 3 4 5 6; do pd -s perhost -u zhangwei -r 203.0.113.66 -a "guess-$g" auth >/dev/null || true; done
expect_rc 7 pd -s perhost -u zhangwei -r 203.0.113.66 -a zhangwei-Secret-1 auth
expect_rc 0 pd -s perhost -u zhangwei -r 198.51.100.7 -a zhangwei-Secret-1 auth
expect_match 'OP: auth = PAM_SUCCESS' "$T_OUT" "the user still logs in from elsewhere"

# --- the shipped Debian stack (examples/pam.d/common-auth), as written
sed "s|pam_tenure\.so|$module conf=$work/local.conf|" "$T_REPO/examples/pam.d/common-auth" >"$work/pam/common-auth"
sed "s|pam_tenure\.so|$module conf=$work/local.conf|" "$T_REPO/examples/pam.d/common-account" >"$work/pam/common-account"
expect_rc 0 pd -s common-auth -u pwwarn -a pwwarn-Secret-1 auth
expect_rc 7 pd -s common-auth -u pwwarn -a wrong-x auth
expect_rc 7 pd -s common-auth -u daemon -a wrong-y auth
expect_eq "$(failures daemon)" 1 "common-auth example: local failure counted"
expect_rc 7 pd -s common-auth -u nosuchuser -a wrong-z auth
expect_rc 13 pd -s common-account -u expired acct
# (pam_unix's account check of an LDAP user needs libnss_tenure in the
# system's nsswitch.conf, which tests never touch: only local users here.)
expect_rc 0 pd -s common-account -u daemon acct

# --- the tally cannot be written: fail_closed refuses, and says why in the log
: >"$work/notadir"
conf closed "dir $work/notadir/tally"
stack closed closed
conf open "dir $work/notadir/tally" "fail_closed no"
stack open open
expect_rc 7 pd -s closed -u bob -a bob-Secret-1 auth
expect_rc 6 pd -s closed -u bob acct
expect_rc 0 pd -s open -u bob -a bob-Secret-1 auth acct

# --- LDAP down: PAM_AUTHINFO_UNAVAIL, quickly
slapd_stop
start=$SECONDS
expect_rc 9 pd -s login -u bob -a bob-Secret-1 auth
expect_rc 9 pd -s login -u bob acct
expect_rc 3 "$ctl" -c "$work/main.conf" account bob
conf blackhole "uri ldap://192.0.2.1:389/" "bind_timelimit 1" "timelimit 1"
stack blackhole blackhole
expect_rc 9 pd -s blackhole -u bob -a bob-Secret-1 auth
expect_rc 9 pd -s blackhole -u bob acct
elapsed=$((SECONDS - start))
if ((elapsed < 30)); then t_ok "LDAP down: answers within a generous bound (${elapsed}s)"; else t_fail "LDAP down took ${elapsed}s"; fi

t_end
