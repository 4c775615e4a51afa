#!/bin/bash
# tenurectl report against the seed directory: each control says pass or
# fail and why; the findings name the accounts; JSON and CSV forms.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$T_REPO/tests/ldap/slapd.sh"

t_begin report
ctl=$TENURE_BUILD/tenurectl
d=$(tmpdir_new)
slapd_start "$d/slapd" >/dev/null
mkdir -m 0700 "$d/tally"
cat >"$d/tenure.conf" <<EOC
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
policy classic
dir $d/tally
journal $d/none.db
audit_log $d/none.log
EOC
chmod 0644 "$d/tenure.conf"
export TENURE_CONF=$d/tenure.conf

expect_rc 1 "$ctl" report
text=$T_OUT
expect_match '\[PASS\] C1 +Password complexity' "$text" "classic preset passes the complexity control"
expect_match '\[PASS\] C4 +Login-failure handling' "$text" "classic preset passes the lockout control"
expect_match '\[FAIL\] C6 +Passwords older than max_days' "$text" "an old password fails C6"
expect_match 'password too old +pwold +ldap' "$text" "pwold is named"
expect_match '\[FAIL\] C10 +No disabled account keeps sudo' "$text" "a disabled sudoer fails C10"
expect_match 'disabled in sudo +disabled +group sudo' "$text" "the disabled sudoer is named"
expect_match '\[FAIL\] C11 +Audit record intact' "$text" "a missing audit log fails C11"
expect_match 'minlen +12 +policy classic' "$text" "policy values show where they came from"

expect_rc 1 "$ctl" --json report
if jq -e '.controls | length >= 12' <<<"$T_OUT" >/dev/null 2>&1 ||
	grep -q '"failed_controls"' <<<"$T_OUT"; then t_ok "JSON report"; else t_fail "JSON report"; fi
expect_rc 1 "$ctl" report --csv
expect_match '^id,result,title,refs,why' "$T_OUT" "CSV header"
expect_match '"C6","fail"' "$T_OUT" "CSV control line"

# The NIST preset fails the rotation control by design, and says why.
sed -i 's/policy classic/policy nist/' "$d/tenure.conf"
expect_rc 1 "$ctl" report
expect_match '\[FAIL\] C2 .*no scheduled rotation' "$T_OUT" "nist: no scheduled rotation, explained"

# The directory down: the report says so and still covers the rest.
slapd_stop
expect_rc 1 "$ctl" report
expect_match '\[FAIL\] C0 +Directory reachable' "$T_OUT" "directory down is a failed control"
t_end
