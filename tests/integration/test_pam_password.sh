#!/bin/bash
# The PAM password phase end to end: pam_tenure.so's chauthtok in real PAM
# stacks read from a private directory (pamdriver), against a real slapd
# with the seed users; history and data files in temporary directories.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
# shellcheck source=tests/ldap/slapd.sh
. "$T_REPO/tests/ldap/slapd.sh"
export LDAPCONF=/dev/null LDAPRC=/dev/null

t_begin pam_password
work=$(tmpdir_new)
module=$(t_build_path pam_tenure.so)
driver=$(t_build_path tests/pamdriver)
ctl=$(t_build_path tenurectl)
words=$(t_build_path share/tenure/words)
filter=$(t_build_path share/tenure/breached.filter)
for f in "$module" "$driver" "$ctl" "$words" "$filter"; do
	if [[ ! -r $f ]]; then
		t_fail "missing $f (build first)"
		t_end
		exit 1
	fi
done

# slapd now and then dies during start-up without a word: try once more.
if ! slapd_start "$work/ldap" >/dev/null; then
	echo "# slapd failed to start once; retrying on a fresh directory" >&2
	rm -rf "$work/ldap"
	slapd_start "$work/ldap" >/dev/null
fi
people=ou=people,$SLAPD_BASE
mkdir -p "$work/pam"
today=$(($(date -u +%s) / 86400))

# conf NAME [extra lines...]: a tenure.conf for this slapd (policy classic,
# refusals enforced for root, since the tests run as root).
conf() {
	local name=$1
	shift
	{
		echo "uri $SLAPD_URI"
		echo "base $SLAPD_BASE"
		echo "binddn $SLAPD_NSS_DN"
		echo "bindpw_file $SLAPD_NSS_PW_FILE"
		echo "bind_timelimit 2"
		echo "timelimit 5"
		echo "policy classic"
		echo "min_days 0"
		echo "enforce_for_root yes"
		echo "retry 1"
		echo "remember 3"
		echo "dictpath $words"
		echo "breached_filter $filter"
		echo "history_dir $work/history"
		printf '%s\n' "$@"
	} >"$work/$name.conf"
}

# stack NAME CONF: the password phase as the module's man page shows it.
stack() {
	echo "password requisite $module conf=$work/$2.conf" >"$work/pam/$1"
	echo "password required pam_permit.so" >>"$work/pam/$1"
}

conf main
stack passwd main
conf argon "passwd_hash argon2id" "history_m_cost 1024" "history_t_cost 1"
stack argon argon
conf retry3 "retry 3"
stack retry3 retry3
conf warn "enforcing no"
stack warn warn
conf mindays "min_days 1"
stack mindays mindays
conf rootfree "enforce_for_root no"
stack rootfree rootfree

pd() { "$driver" -D "$work/pam" -q "$@"; }
run() {
	RC=0
	T_OUT=$("$@" 2>&1) || RC=$?
}
whoami_as() { ldapwhoami -x -H "$SLAPD_URI" -D "uid=$1,$people" -w "$2" >/dev/null 2>&1; }
admin_get() {
	ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" \
		-y "$SLAPD_ADMIN_PW_FILE" -b "uid=$1,$people" -s base "$2" | sed -n "s/^$2:\{1,2\} //p"
}

strong1='tN4#vRq8-Lp2w!Zk'
strong2='Wq7%hJ3@xM9^bC5r'
strong3='pZ6&yK2*eV8(nG4u'

# --- wrong current password
run pd -s passwd -u alice -a wrong-password chauthtok
expect_eq "$RC" 7 "wrong current password: PAM_AUTH_ERR"
expect_match 'ERROR: The current password is wrong' "$T_OUT" "wrong current password: message"
expect_rc 0 whoami_as alice alice-Secret-1

# --- mismatched retype
run pd -s passwd -u alice -a alice-Secret-1 -a "$strong1" -a "${strong1}x" chauthtok
expect_eq "$RC" 11 "mismatched retype: PAM_MAXTRIES"
expect_match 'do not match' "$T_OUT" "mismatched retype: message"
expect_rc 0 whoami_as alice alice-Secret-1

# --- weak: every failed rule in one message
run pd -s passwd -u alice -a alice-Secret-1 -a 'Summ3r2024!' chauthtok
expect_eq "$RC" 11 "weak password refused"
expect_match 'ERROR: The new password was refused: +- The password is shorter than 12 characters\. +- The password is based on dictionary' \
	"$T_OUT" "weak: minlen and dictcheck in one message"
run pd -s passwd -u alice -a alice-Secret-1 -a 'Sunshine#Football7' chauthtok
expect_match 'based on dictionary words' "$T_OUT" "Sunshine#Football7 refused as dictionary words"
run pd -s passwd -u alice -a alice-Secret-1 -a 'Alice#Wonder-2291x' chauthtok
expect_match 'user name' "$T_OUT" "user name in the password refused"

# --- empty, invalid UTF-8, 10,000 characters: refused cleanly
run pd -s passwd -u alice -a alice-Secret-1 -a '' chauthtok
expect_eq "$RC" 11 "empty password refused"
expect_match 'No password was given' "$T_OUT" "empty: message"
run pd -s passwd -u alice -a alice-Secret-1 -a "$(printf 'Abc\xff\xfe-defgh-1234')" chauthtok
expect_match 'not valid UTF-8' "$T_OUT" "invalid UTF-8 refused"
long=$(head -c 10000 /dev/zero | tr '\0' 'x')
run pd -s passwd -u alice -a alice-Secret-1 -a "$long" chauthtok
expect_eq "$RC" 11 "10,000-character password refused"
expect_match 'longer than 256 characters' "$T_OUT" "10,000 characters: message"
expect_rc 0 whoami_as alice alice-Secret-1

# --- retry: a weak one, then a strong one, in one call
run pd -s retry3 -u alice -a alice-Secret-1 -a 'password' -a "$strong1" -a "$strong1" chauthtok
expect_eq "$RC" 0 "retry: weak then strong succeeds"
expect_match 'INFO: The password has been changed' "$T_OUT" "strong: changed message"
expect_rc 0 whoami_as alice "$strong1"
expect_rc 49 whoami_as alice alice-Secret-1
expect_eq "$(admin_get alice shadowLastChange)" "$today" "shadowLastChange is today"
n=$(admin_get alice tenurePasswordHistory | grep -c '^\$argon2id\$v=19\$m=19456,t=2,p=1\$' || true)
expect_eq "$n" 2 "history on the entry: the old and the new password as argon2id PHC"
expect_match 'tenureAccount' "$(admin_get alice objectClass)" "tenureAccount class added"

# --- reuse of any of the last N refused
run pd -s passwd -u alice -a "$strong1" -a "$strong2" -a "$strong2" chauthtok
expect_eq "$RC" 0 "second change"
run pd -s passwd -u alice -a "$strong2" -a "$strong1" -a "$strong1" chauthtok
expect_eq "$RC" 11 "reuse of the previous password refused"
expect_match 'used recently' "$T_OUT" "reuse: message"
run pd -s passwd -u alice -a "$strong2" -a alice-Secret-1 -a alice-Secret-1 chauthtok
expect_match 'used recently' "$T_OUT" "reuse of the seed password refused"
run pd -s passwd -u alice -a "$strong2" -a "$strong3" -a "$strong3" chauthtok
expect_eq "$RC" 0 "third change"
n=$(admin_get alice tenurePasswordHistory | grep -c '^\$argon2id' || true)
expect_eq "$n" 3 "history trimmed to remember=3"
run pd -s passwd -u alice -a "$strong3" -a alice-Secret-1 -a alice-Secret-1 -a alice-Secret-1 chauthtok
expect_match 'shorter|dictionary|refused' "$T_OUT" "the seed password no longer in history is still checked by policy"

# --- min_days: a second change the same day is refused (root exempt)
run pd -s mindays -u alice -a "$strong3" -a "$strong1" -a "$strong1" chauthtok-expired
expect_eq "$RC" 20 "min_days: change too soon refused (PAM_AUTHTOK_ERR)"
expect_match 'cannot be changed yet' "$T_OUT" "min_days: message"

# --- a password the administrator reset (ppolicy pwdReset): the session may
# only change the password; shadowLastChange and the history still follow
run pd -s passwd -u mustchange -a mustchange-Secret-1 -a "$strong2" -a "$strong2" chauthtok-expired
expect_eq "$RC" 0 "pwdReset account: change"
expect_rc 0 whoami_as mustchange "$strong2"
expect_eq "$(admin_get mustchange shadowLastChange)" "$today" "pwdReset account: shadowLastChange is today"
n=$(admin_get mustchange tenurePasswordHistory | grep -c '^\$argon2id' || true)
expect_eq "$n" 2 "pwdReset account: history written"

# --- passwd_hash argon2id: userPassword written by the client
run pd -s argon -u bob -a bob-Secret-1 -a "$strong1" -a "$strong1" chauthtok
expect_eq "$RC" 0 "argon2id: change"
expect_match '^e0FSR09OMn0kYXJnb24yaWQk' "$(admin_get bob userPassword)" "argon2id: userPassword is {ARGON2}\$argon2id\$"
expect_rc 0 whoami_as bob "$strong1"

# --- translations: a refusal in Chinese
run env LC_ALL=C.UTF-8 LANGUAGE=zh_CN TENURE_LOCALEDIR="$(t_build_path locale)" \
	"$driver" -D "$work/pam" -s passwd -u carol -a carol-Secret-1 -a 'Summ3r2024!' chauthtok
expect_match '新密码被拒绝' "$T_OUT" "zh_CN: refusal header translated"
expect_match '密码长度少于 12 个字符' "$T_OUT" "zh_CN: reason translated"

# --- enforcing no: warned, accepted
run pd -s warn -u carol -a carol-Secret-1 -a 'Summer-Garden9' -a 'Summer-Garden9' chauthtok
expect_eq "$RC" 0 "enforcing no: weak password accepted"
expect_match 'Warning: the new password does not meet the policy' "$T_OUT" "enforcing no: warning shown"

# --- root without enforce_for_root: warned only (as pwquality)
run pd -s rootfree -u carol -a 'Summer-Garden9' -a 'abc12345XY' -a 'abc12345XY' chauthtok
expect_eq "$RC" 0 "root without enforce_for_root: accepted"
expect_match 'Warning' "$T_OUT" "root without enforce_for_root: warning shown"

# --- local account: checked, then handed on (pam_permit stands in for pam_unix)
run pd -s passwd -u daemon -a 'Summ3r2024!' chauthtok
expect_eq "$RC" 11 "local: weak password refused"
run pd -s passwd -u daemon -a "$strong1" -a "$strong1" chauthtok
expect_eq "$RC" 0 "local: strong password accepted"
expect_eq "$(stat -c %a "$work/history/daemon")" 600 "local history file is 0600"
expect_eq "$(stat -c %a "$work/history")" 700 "history_dir is 0700"
expect_eq "$(grep -c '^\$argon2id' "$work/history/daemon")" 1 "local history holds one PHC string"
run pd -s passwd -u daemon -a "$strong1" -a "$strong1" chauthtok
expect_match 'used recently' "$T_OUT" "local: reuse refused"

# --- the shipped stack form: LDAP accounts end at pam_tenure, local
# accounts go on to the next module.  pam_exec stands in for pam_unix (it
# runs in the update pass only) and notes whom it was run for.  (pam_exec
# of Linux-PAM 1.5 cannot show the token in this phase.)
printf '#!/bin/sh\necho "$PAM_USER" >"%s/token"\n' "$work" >"$work/save-token"
chmod 700 "$work/save-token"
{
	echo "password [success=done ignore=ignore user_unknown=ignore default=die] $module conf=$work/main.conf"
	echo "password required pam_exec.so $work/save-token"
} >"$work/pam/shipped"
run pd -s shipped -u carol -a 'abc12345XY' -a "$strong2" -a "$strong2" chauthtok
expect_eq "$RC" 0 "shipped stack: LDAP account changed"
expect_eq "$([[ -e $work/token ]] && echo reached || echo done)" done "shipped stack: LDAP account ends at pam_tenure"
run pd -s shipped -u daemon -a "$strong3" -a "$strong3" chauthtok
expect_eq "$RC" 0 "shipped stack: local account handed on"
expect_eq "$(cat "$work/token" 2>/dev/null || true)" daemon "shipped stack: the next module ran for the local account"
run pd -s shipped -u daemon -a 'Summ3r2024!' chauthtok
expect_match 'The new password was refused' "$T_OUT" "shipped stack: local weak password refused by pam_tenure"

# --- tenurectl policy check and filter round trip
run sh -c "printf '%s\n' 'Summ3r2024!' | TENURE_CONF=$work/main.conf $ctl policy check"
expect_eq "$RC" 1 "policy check: weak refused (exit 1)"
expect_match 'minlen:.*dictcheck:' "$(tr '\n' ' ' <<<"$T_OUT")" "policy check: every rule listed"
strong4='Hb3)sX7~qD5=mR9j'
run sh -c "printf '%s\n' '$strong4' | TENURE_CONF=$work/main.conf $ctl --json policy check --user alice"
expect_eq "$RC" 0 "policy check --json: strong accepted"
expect_match '"accepted":true' "$T_OUT" "policy check --json output"
# alice's history is on her entry (tenurePasswordHistory): policy check
# --user reads it there, as the module does, and refuses a recent one.
run sh -c "printf '%s\n' '$strong1' | TENURE_CONF=$work/main.conf $ctl policy check --user alice"
expect_eq "$RC" 1 "policy check --user: a password from the directory's history refused"
expect_match 'remember: The password was used recently \(it is one of the last 3\)' "$T_OUT" \
	"policy check --user: says it was used recently"
run sh -c "printf '%s\n' '$strong1' | TENURE_CONF=$work/main.conf $ctl policy check --user bob"
expect_eq "$RC" 1 "policy check --user bob: bob's current password (set above) refused too"
run sh -c "printf '%s\n' '$strong1' | TENURE_CONF=$work/main.conf $ctl policy check --user carol"
expect_eq "$RC" 0 "policy check --user carol: the same password is fine for someone else"
printf '%s\n' 'hunter2' 'correct horse' 'Tr0ub4dor&3' >"$work/list.txt"
expect_rc 0 "$ctl" filter build -o "$work/f.filter" "$work/list.txt"
run sh -c "printf '%s\n' hunter2 'correct horse' 'Tr0ub4dor&3' | $ctl filter check $work/f.filter"
expect_eq "$(tr '\n' ' ' <<<"$T_OUT")" "found found found " "filter: every listed password found"
run sh -c "printf '%s\n' hunter3 'x9#Lm2' | $ctl filter check $work/f.filter"
expect_eq "$RC" 0 "filter: others absent"
printf '%s:3\n' "$(printf 'hunter2' | sha1sum | cut -d' ' -f1 | tr a-f A-F)" >"$work/hibp.txt"
expect_rc 0 "$ctl" filter build --hibp -o "$work/h.filter" "$work/hibp.txt"
run sh -c "printf 'hunter2\n' | $ctl filter check $work/h.filter"
expect_eq "$T_OUT" found "filter --hibp: SHA-1 lines give the same keys"

# --- a directory whose subschema does not list tenureAccount (here: one
# that hides its subschema): the history of LDAP accounts goes to the local
# store
sed -i 's|^access to dn.base="cn=Subschema" by \* read|access to dn.base="cn=Subschema" by * none|' "$SLAPD_CONF"
slapd_restart "$SLAPD_DIR" >/dev/null || slapd_restart "$SLAPD_DIR" >/dev/null
run pd -s passwd -u zhangwei -a zhangwei-Secret-1 -a "$strong1" -a "$strong1" chauthtok
expect_eq "$RC" 0 "no schema: change"
expect_eq "$(admin_get zhangwei tenurePasswordHistory | wc -l)" 0 "no schema: nothing written to the entry"
expect_eq "$(grep -c '^\$argon2id' "$work/history/zhangwei" 2>/dev/null || true)" 2 "no schema: history in history_dir"
run pd -s passwd -u zhangwei -a "$strong1" -a zhangwei-Secret-1 -a zhangwei-Secret-1 chauthtok
expect_match 'used recently' "$T_OUT" "no schema: reuse refused from the local store"

slapd_stop "$work/ldap"
t_end
