#!/bin/bash
# The README's demo keeps working: run it and check each step's outcome.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

t_begin demo
out=$(TENURE_BUILD=$TENURE_BUILD timeout 300 bash "$T_REPO/scripts/demo.sh" 2>&1) && rc=0 || rc=$?
expect_eq "$rc" 0 "the demo runs to the end"
expect_match 'alice:x:10001:10001:Alice Liddell' "$out" "1: getent resolves a directory user"
expect_match 'alice +10001 10020' "$out" "1: initgroups lists alice's groups"
expect_match 'your password expires in 3 days' "$out" "2: the expiry warning is shown at login"
expect_match 'ENV: TMOUT=900' "$out" "2: the session gets the idle timeout"
expect_match 'dictcheck: ' "$out" "3: the weak password is refused with its reasons"
expect_match '密码长度少于 12 个字符' "$out" "3: the refusal in Chinese"
expect_match 'The password has been changed' "$out" "3: a strong password is accepted"
expect_match 'Account locked, [0-9]+ minutes? left' "$out" "4: three wrong passwords lock bob"
expect_match 'failures=3 +locked=yes' "$out" "4: tenurectl lockout show explains it"
expect_match "carol's login refused [0-9]+ ms after the HR request" "$out" "5: the SCIM deactivation refuses the next login"
expect_match 'chain intact' "$out" "6: the audit chain verifies"
expect_match '\[PASS\] C9 +Leavers disabled promptly' "$out" "6: the report shows the leaver"
work=$(sed -n 's/.*(data in \(.*\)\/slapd).*/\1/p' <<<"$out" | head -1)
if [[ -n $work && ! -e $work ]]; then t_ok "the demo leaves nothing behind ($work removed)"
else t_fail "the demo left $work behind"; fi
if pgrep -f "$work" >/dev/null 2>&1; then t_fail "a process of the demo is still running"
else t_ok "no process of the demo is left running"; fi
t_end
