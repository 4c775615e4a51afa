#!/bin/bash
# bench/syncd.sh -- tenure-syncd under load, against a real slapd.
#
#   make bench-syncd            (or: TENURE_BUILD=build bench/syncd.sh [N] [SENDERS])
#
# 1. burst: N leaver events (default 10000, one per generated user) from
#    SENDERS concurrent senders (default 50), each on a keep-alive
#    connection, signed with X-Tenure-Signature.  Reports throughput, p50/p99
#    acknowledgement latency (every ack is after the SQLite commit), the time
#    until the last event is applied in LDAP, and p99 receipt-to-applied
#    from the journal's own timestamps.
# 2. paced: 1000 events at 100 events/s; p99 receipt-to-applied.
# 3. peak resident memory of the daemon (VmHWM) over both runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/tests/lib.sh"
. "$repo/tests/ldap/slapd.sh"
. "$repo/tests/integration/test_syncd.lib"
. "$here/lib.sh"
bench_init syncd
export LDAPCONF=/dev/null LDAPRC=/dev/null

N=${1:-10000}
SENDERS=${2:-50}
LOAD=$TENURE_BUILD/tests/syncd_load
for f in "$TENURE_BUILD/tenure-syncd" "$LOAD"; do
	[[ -x $f ]] || { echo "bench: $f missing (make tests first)" >&2; exit 1; }
done

d=$(tmpdir_new)
echo "# slapd with $N generated users..."
if [[ -n ${BENCH_SLAPD_ENV:-} ]]; then
	bench_slapd "$d/ldap"
else
	syncd_slapd_start "$d/ldap" --gen-users "$N"
fi
syncd_config "$d" "max_connections 256
per_ip_connections 128
http_threads 4
max_backlog 100000"
trap 'syncd_kill; slapd_cleanup; _t_cleanup' EXIT
syncd_start "$d"
printf '%s\n' "$SYNCD_SECRET" >"$d/one-secret"
wait_until 5 grep -q 'tenure_schema=' "$SYNCD_LOG"

count_applied() { sqlite3 "$d/journal.db" "SELECT count(*) FROM events WHERE state = 1 AND id LIKE '$1-%';"; }
p99_apply() {
	sqlite3 "$d/journal.db" "SELECT applied - received FROM events WHERE state = 1 AND id LIKE '$1-%'
		ORDER BY 1 LIMIT 1 OFFSET (SELECT CAST(count(*) * 0.99 AS INTEGER) FROM events
		WHERE state = 1 AND id LIKE '$1-%');"
}
rss_peak() { sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$SYNCD_PID/status"; }
rss_now() { sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$SYNCD_PID/status"; }

echo "# burst: $N leaver events from $SENDERS senders"
t0=$(now_ms)
burst=$(TENURE_BENCH_SAMPLES=$(bench_samples syncd-burst.ack) "$LOAD" -p "$SYNCD_PORT" -s "$d/one-secret" -n "$N" -c "$SENDERS" -i burst)
t_ack=$(now_ms)
for ((i = 0; i < 1200; i++)); do
	[[ $(count_applied burst) -ge $N ]] && break
	sleep 0.1
done
t_applied=$(now_ms)
echo "burst: $burst"
echo "burst: all $(count_applied burst)/$N applied $(((t_applied - t0)))ms after the first send" \
	"(acks done at $((t_ack - t0))ms); p99 receipt-to-applied $(p99_apply burst)s; RSS now $(rss_now)"

echo "# paced: 1000 events at 100 events/s"
paced=$(TENURE_BENCH_SAMPLES=$(bench_samples syncd-paced.ack) "$LOAD" -p "$SYNCD_PORT" -s "$d/one-secret" -n 1000 -c 10 -r 100 -i paced)
for ((i = 0; i < 100; i++)); do
	[[ $(count_applied paced) -ge 1000 ]] && break
	sleep 0.1
done
echo "paced: $paced"
echo "paced: $(count_applied paced)/1000 applied; p99 receipt-to-applied $(p99_apply paced)s"
echo "daemon peak RSS (VmHWM): $(rss_peak)"
bench_kv burst "$burst"
bench_kv burst "applied=$(count_applied burst) all_applied_ms=$((t_applied - t0)) acks_done_ms=$((t_ack - t0)) apply_p99_s=$(p99_apply burst)"
bench_kv paced "$paced"
bench_kv paced "applied=$(count_applied paced) apply_p99_s=$(p99_apply paced)"
bench_put tenure-syncd rss_peak_kb "$(rss_peak | awk '{ print $1 }')"
for run in burst paced; do
	sqlite3 "$d/journal.db" "SELECT printf('%.3f', (applied - received) * 1000) FROM events
		WHERE state = 1 AND id LIKE '$run-%' ORDER BY applied - received;" >"$(bench_samples "syncd-$run.apply")"
done
curl -s "$SYNCD_URL/metrics" | grep -E '^tenure_syncd_(events_(applied|received)_total\{source="webhook"|rejected|journal_backlog|apply_seconds_count)'
syncd_stop
