#!/bin/bash
# Local accounts are found in /etc/passwd read directly (never through NSS),
# also behind a line longer than any fixed buffer: a long GECOS must not
# hide the accounts after it (they would be taken for directory accounts).
# /etc/passwd is replaced only inside a private mount namespace.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

t_begin local_passwd
if [[ $(id -u) != 0 ]] || ! unshare -m --propagation private true 2>/dev/null; then
	t_skip "local accounts behind a long /etc/passwd line" "needs root and unshare -m"
	t_end
	exit 0
fi
d=$(tmpdir_new)
before=$(md5sum </etc/passwd)
cp /etc/passwd "$d/passwd"
printf 'longgecos:x:4999:4999:%s:/nonexistent:/usr/sbin/nologin\nafterlong:x:5001:5001::/nonexistent:/usr/sbin/nologin\n' \
	"$(head -c 9000 /dev/zero | tr '\0' g)" >>"$d/passwd"
: >"$d/tenure.conf"
chmod 0644 "$d/tenure.conf"
out=$(unshare -m --propagation private bash -c \
	"mount --bind '$d/passwd' /etc/passwd && TENURE_CONF='$d/tenure.conf' '$TENURE_BUILD/tenurectl' --json account afterlong" 2>&1) && rc=0 || rc=$?
expect_eq "$rc" 0 "tenurectl account answers for a local account after a 9,000-byte line"
expect_match '"verdict": "ok"' "$out" "afterlong is read as a local account (no directory needed)"
expect_eq "$(md5sum </etc/passwd)" "$before" "the host's /etc/passwd is untouched"
t_end
