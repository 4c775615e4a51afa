#!/bin/bash
# Documentation that must not drift: every configuration key is in
# tenure.conf(5), every man page is well-formed roff.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

t_begin docs
ctl=$TENURE_BUILD/tenurectl
man5=$TENURE_BUILD/man/tenure.conf.5
d=$(tmpdir_new)
: >"$d/empty.conf"
chmod 0644 "$d/empty.conf"

keys=$(TENURE_CONF=$d/empty.conf "$ctl" config show | awk '{print $1}')
missing=""
for k in $keys; do
	grep -qx ".B $k" "$man5" || missing="$missing $k"
done
expect_eq "$missing" "" "every configuration key ($(wc -w <<<"$keys")) is documented in tenure.conf(5)"

for m in "$man5" "$T_REPO"/man/*.[0-9]; do
	[[ -e $m ]] || continue
	if command -v groff >/dev/null; then
		warn=$(groff -man -Tutf8 -ww -z "$m" 2>&1 || true)
		expect_eq "$warn" "" "$(basename "$m") formats without warnings"
	else
		grep -q '^\.TH ' "$m" && t_ok "$(basename "$m") has a .TH header" || t_fail "$(basename "$m") lacks .TH"
	fi
done
t_end
