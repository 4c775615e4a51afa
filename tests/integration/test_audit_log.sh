#!/bin/bash
# pam_tenure's decisions in the log: key=value lines (user= service= rhost=
# tty= result= reason=) for every decision, and never a password -- not the
# right one, not a wrong guess, not a refused or accepted new one.  Also the
# faillock rule: an unknown user name (often a password typed into the
# login prompt) is not logged unless `audit` is set.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$T_REPO/tests/ldap/slapd.sh"

t_begin audit_log
d=$(tmpdir_new)
slapd_start "$d/slapd" >/dev/null
mkdir -m 0700 "$d/tally" "$d/history" "$d/pam.d"
cat >"$d/tenure.conf" <<EOC
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
policy classic
enforce_for_root yes
dictpath $TENURE_BUILD/share/tenure/words
dir $d/tally
tally_key_file $d/tally.key
history_dir $d/history
history_m_cost 8192
EOC
chmod 0644 "$d/tenure.conf"
for svc in login login-audit; do
	extra=""
	[[ $svc == login-audit ]] && extra=" audit"
	{
		echo "auth     required $TENURE_BUILD/pam_tenure.so conf=$d/tenure.conf$extra"
		echo "account  required $TENURE_BUILD/pam_tenure.so conf=$d/tenure.conf$extra"
		echo "password required $TENURE_BUILD/pam_tenure.so conf=$d/tenure.conf$extra"
	} >"$d/pam.d/$svc"
done
export PAMDRIVER_LOG=$d/log
pd() { "$TENURE_BUILD/tests/pamdriver" -D "$d/pam.d" -s login -r 203.0.113.5 "$@"; }

wrong='Wr0ng-Guess-9137'
right='alice-Secret-1'
weak='Summ3r2024!!'
strong='Plum-Orbit-Candle-58'
expect_rc 7 pd -u alice -a "$wrong" auth
expect_rc 0 pd -u alice -a "$right" auth acct
expect_rc 0 pd -u alice -a "$right" -a "$weak" -a "$strong" -a "$strong" chauthtok
expect_rc 10 pd -u nosuchuser -a "$right" auth
expect_rc 10 "$TENURE_BUILD/tests/pamdriver" -D "$d/pam.d" -s login-audit -u typedpassword -a x auth

log=$(cat "$d/log")
printf '%s\n' "$log" | sed 's/^/  log: /'
lines=$(grep -c 'pam_tenure' <<<"$log" || true)
if ((lines >= 4)); then t_ok "decisions are logged ($lines lines)"; else t_fail "only $lines pam_tenure lines"; fi
kv='user=[^ ]+ service=[^ ]+ rhost=[^ ]* tty=[^ ]* result=[a-z]+ reason=[^ ]+'
bad=$(grep 'pam_tenure' <<<"$log" | grep -Ev "$kv" || true)
expect_eq "$bad" "" "every line carries user= service= rhost= tty= result= reason="
expect_match "pam_tenure\(login:auth\): user=alice service=login rhost=203.0.113.5 tty=[^ ]* result=fail reason=bad-password" "$log" "a wrong password: result=fail reason=bad-password with the source"
expect_match "user=alice service=login rhost=203.0.113.5 tty=[^ ]* result=allow" "$log" "a good login: result=allow"
expect_match "user=alice .*dictcheck" "$log" "a refused new password names the rules it failed"
for secret in "$wrong" "$right" "$weak" "$strong"; do
	if grep -qF -- "$secret" <<<"$log"; then t_fail "a password ($secret) reached the log"
	else t_ok "password '$secret' never in the log"; fi
done
if grep -q 'nosuchuser' <<<"$log"; then t_fail "an unknown user name was logged without audit"
else t_ok "an unknown user name is not logged without audit"; fi
expect_match 'typedpassword' "$log" "with audit, the unknown user name is logged"
if grep -qF "$(cat "$SLAPD_NSS_PW_FILE")" <<<"$log"; then t_fail "the bind password reached the log"
else t_ok "the bind password never in the log"; fi
t_end
