#!/bin/bash
# DESIGN's rules for a module in other people's processes, checked in one
# host process that uses both modules: nothing on stdout or stderr, umask,
# working directory, signal dispositions, signal mask and environment
# unchanged, every descriptor close-on-exec, and the process alive (no
# exit, no abort) -- with the directory up and with it gone.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$T_REPO/tests/ldap/slapd.sh"

t_begin host_process
d=$(tmpdir_new)
slapd_start "$d/slapd" >/dev/null
mkdir -m 0700 "$d/tally" "$d/history" "$d/pam.d"
cat >"$d/tenure.conf" <<EOC
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
bind_timelimit 2
timelimit 2
dir $d/tally
tally_key_file $d/tally.key
history_dir $d/history
history_m_cost 8192
session_timeout 600
EOC
chmod 0644 "$d/tenure.conf"
for phase in auth account password session; do
	echo "$phase required $TENURE_BUILD/pam_tenure.so conf=$d/tenure.conf"
done >"$d/pam.d/host"

export TENURE_CONF=$d/tenure.conf LD_LIBRARY_PATH=$TENURE_BUILD HOSTGUARD_DOWN=$d/down
"$TENURE_BUILD/tests/hostguard" "$d/pam.d" host alice alice-Secret-1 \
	>"$d/stdout" 2>"$d/stderr" 3>"$d/report" &
pid=$!
for _ in $(seq 1 300); do [[ -e $d/down ]] && break; sleep 0.1; done
slapd_stop
rm -f "$d/down"
rc=0
wait "$pid" || rc=$?
sed 's/^/  /' "$d/report"
expect_eq "$rc" 0 "the host process ends normally, every state check passed"
while read -r line; do
	case $line in
	"ok - "*) t_ok "${line#ok - }" ;;
	"FAIL - "*) t_fail "${line#FAIL - }" ;;
	esac
done <"$d/report"
expect_match 'alive after every step: yes' "$(cat "$d/report")" "alive after every step (no exit, no abort)"
expect_eq "$(wc -c <"$d/stdout")" 0 "nothing written to stdout"
expect_eq "$(wc -c <"$d/stderr")" 0 "nothing written to stderr"
t_end
