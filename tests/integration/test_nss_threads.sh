#!/bin/bash
# libnss_tenure.so.2 in threaded and forking processes, against a real
# slapd: 16 threads x 10,000 mixed lookups (cache on), 16 x 300 with the
# cache off (every lookup goes to LDAP), and lookups around fork() -- also
# forks while another thread is inside a lookup.  `make tsan-nss` runs this
# same script on a -fsanitize=thread build (NSS_TSAN=1).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
t_begin test_nss_threads

B=$TENURE_BUILD
STRESS=$B/tests/nss_stress
if [[ ! -e $B/libnss_tenure.so.2 || ! -x $STRESS ]]; then
	t_fail "build $B/libnss_tenure.so.2 and $STRESS first"
	t_end
	exit 1
fi
if [[ ${NSS_TSAN:-} == 1 ]]; then
	# Races reported by ThreadSanitizer fail the run (exit code 66).
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66 report_signal_unsafe=0 ${TSAN_OPTIONS:-}"
fi

tmp=$(tmpdir_new)
slapd_start "$tmp/ldap" || { t_fail "slapd start"; t_end; exit 1; }

conf() {
	local f=$tmp/$1.conf
	shift
	printf '%s\n' "uri $SLAPD_URI" "base $SLAPD_BASE" "timelimit 10" "bind_timelimit 5" "$@" >"$f"
	echo "$f"
}
run() { # run DESC CONF ARGS...
	local desc=$1 c=$2 out rc
	shift 2
	out=$(LD_LIBRARY_PATH=$B TENURE_CONF=$c timeout 600 "$STRESS" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /' >&2
	expect_eq "$rc" 0 "$desc"
}

C=$(conf cached)
C0=$(conf nocache "cache_ttl 0" "cache_negative_ttl 0")
run "16 threads x 10,000 mixed lookups (cache on)" "$C" threads 16 10000
run "16 threads x 300 mixed lookups (cache off: every one asks slapd)" "$C0" threads 16 300
run "fork: parent, child, parent; forks while a thread looks up (cache off)" "$C0" fork
run "fork (cache on)" "$C" fork

t_end
