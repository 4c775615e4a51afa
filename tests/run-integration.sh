#!/bin/bash
# Run every tests/integration/test_*.sh (each standalone and executable),
# show its output, and finish with one total line:
#   integration: N passed, N failed
# N counts checks, summed from each script's closing line
# ("NAME: N passed, N failed[, N skipped]").  Exits non-zero if any script
# failed a check, exited non-zero, or ended without a closing line.
#
# Usage: tests/run-integration.sh [PATTERN]   (PATTERN filters script names)
# TENURE_BUILD (default build) is passed on to the scripts.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pattern=${1:-}
pass=0 fail=0 skip=0 bad_scripts=0 nscripts=0
declare -a broken=()

shopt -s nullglob
for t in "$here"/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	[[ -z $pattern || $name == *$pattern* ]] || continue
	nscripts=$((nscripts + 1))
	echo "=== $name"
	log=$(mktemp)
	rc=0
	# Output shown live and kept to find the closing line.  stdin from
	# /dev/null: a test must never wait for a terminal.  A script that hangs
	# is stopped after TENURE_TEST_TIMEOUT seconds (its EXIT trap still
	# stops its servers) and counts as failed.
	timeout --kill-after=15 "${TENURE_TEST_TIMEOUT:-600}" "$t" </dev/null 2>&1 | tee "$log" || rc=$?
	((rc != 124)) || echo "$name: stopped after ${TENURE_TEST_TIMEOUT:-600} s"
	closing=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1 || true)
	rm -f "$log"
	if [[ -z $closing ]]; then
		echo "$name: no closing line (exit $rc)"
		fail=$((fail + 1))
		bad_scripts=$((bad_scripts + 1))
		broken+=("$name")
		continue
	fi
	[[ $closing =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]
	pass=$((pass + BASH_REMATCH[1]))
	fail=$((fail + BASH_REMATCH[2]))
	skip=$((skip + ${BASH_REMATCH[4]:-0}))
	if ((rc != 0 || BASH_REMATCH[2] != 0)); then
		bad_scripts=$((bad_scripts + 1))
		broken+=("$name")
		# A script that exits non-zero with 0 failed checks still counts.
		((BASH_REMATCH[2] != 0)) || fail=$((fail + 1))
	fi
done

if ((nscripts == 0)); then
	echo "run-integration: no test scripts found" >&2
	exit 1
fi
((bad_scripts == 0)) || echo "failed scripts: ${broken[*]}"
line="integration: $pass passed, $fail failed"
((skip == 0)) || line+=", $skip skipped"
echo "$line"
((bad_scripts == 0))
