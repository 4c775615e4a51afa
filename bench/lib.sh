# bench/lib.sh -- shared by the bench/*.sh scripts (sourced, bash).
# shellcheck shell=bash
#
#   bench_init NAME          results of this script go to $BENCH_OUT/NAME.tsv
#                            (truncated); BENCH_OUT defaults to
#                            $TENURE_BUILD/bench
#   bench_put SYS METRIC V   one result line: SYS<TAB>METRIC<TAB>V
#   bench_kv SYS LINE        every key=value of LINE as a result of SYS
#                            (units stay in the key: p50_us, rate, ...)
#   bench_samples TAG        path for the samples of TAG, e.g. nss-tenure.first
#                            ($BENCH_OUT/TAG.samples; for TENURE_BENCH_SAMPLES)
#   bench_slapd DIR OPTS...  slapd_start DIR OPTS..., or, when BENCH_SLAPD_ENV
#                            names the env file of a server already running
#                            (bench/run-all.sh), use that server instead; it
#                            is then not this script's to stop
#
# The .tsv files and the samples are what bench/report.sh turns into
# report.md and the charts.  The scripts still print their own tables.

bench_init() {
	local b=${TENURE_BUILD:-build}
	[[ $b == /* ]] || b=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/$b
	export BENCH_OUT=${BENCH_OUT:-$b/bench}
	mkdir -p "$BENCH_OUT"
	export BENCH_TSV=$BENCH_OUT/$1.tsv
	: >"$BENCH_TSV"
}

bench_put() {
	[[ -n ${BENCH_TSV:-} ]] || return 0
	printf '%s\t%s\t%s\n' "$1" "$2" "${3:--}" >>"$BENCH_TSV"
}

bench_kv() {
	local sys=$1 kv
	for kv in $2; do
		[[ $kv == *=* ]] || continue
		bench_put "$sys" "${kv%%=*}" "${kv#*=}"
	done
}

bench_samples() {
	[[ -n ${BENCH_OUT:-} ]] || return 0
	echo "$BENCH_OUT/$1.samples"
}

bench_slapd() {
	if [[ -n ${BENCH_SLAPD_ENV:-} ]]; then
		[[ -r $BENCH_SLAPD_ENV ]] || { echo "bench: $BENCH_SLAPD_ENV unreadable" >&2; return 1; }
		set -a
		# shellcheck disable=SC1090
		. "$BENCH_SLAPD_ENV"
		set +a
		return 0
	fi
	slapd_start "$@"
}
