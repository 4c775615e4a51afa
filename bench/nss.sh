#!/bin/bash
# bench/nss.sh -- libnss_tenure.so.2 side by side with its peers.
#
#   make bench-nss            (or: TENURE_BUILD=build bash bench/nss.sh)
#
# One slapd on loopback (tests/ldap/slapd.sh) with 10,000 users, 1,000
# groups, one user (manygroups) in 200 groups and one group (biggroup) of
# 10,000 members.  Against it, in the same run:
#   floor   a bare libldap loop: one connection, one indexed search per lookup
#   tenure  libnss_tenure.so.2 (cache on / cache off)
#   nscd    tenure behind glibc's nscd
#   nslcd   libnss-ldapd + nslcd            (if installed)
#   sss     libnss-sss + sssd, cold and warm (if installed)
#   files   /etc/passwd, for scale
#
# Peers are configured only through private files: each runs in its own
# mount and PID namespace (unshare) where a tmpfs covers /run and the
# daemon's state directories and its config is bind-mounted over the system
# path; when the namespace's last process exits, its daemons die with it.
# Nothing on the host is changed.  A peer that is not installed, or cannot
# be started, is reported as such and skipped; this script installs
# nothing.  Beware when installing the peers: Debian's libnss-sss and
# libpam-sss add "sss" to /etc/nsswitch.conf and pam_sss to
# /etc/pam.d/common-* in their maintainer scripts (libnss-ldapd asks first;
# preseed libnss-ldapd/nsswitch empty).  Save those files and restore them.
#
# Knobs: BENCH_N (in-process lookups, default 2000), BENCH_PROC (getent
# runs, default 200).  Prints a table with ratios to tenure; the numbers are
# not committed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
B=${TENURE_BUILD:-build}
[[ $B == /* ]] || B=$repo/$B
STRESS=$B/tests/nss_stress
FLOOR=$B/tests/nss_ldapfloor
N=${BENCH_N:-2000}
NPROC=${BENCH_PROC:-200}
PATH=$PATH:/usr/sbin:/sbin

# ---- inner: one measurement set, possibly inside a namespace ----

now_ns() { date +%s%N; }
R() { echo "R $1 $2 $3"; }

# proc_mean SVC CMD...: mean ms of CMD over NPROC runs (distinct users).
proc_mean() {
	local svc=$1 t0 t1 i
	shift
	t0=$(now_ns)
	for ((i = 1; i <= NPROC; i++)); do
		"$@" "$(printf 'u%05d' $((i * 37 % 10000 + 1)))" >/dev/null 2>&1
	done
	t1=$(now_ns)
	awk -v a="$t0" -v b="$t1" -v n="$NPROC" 'BEGIN { printf "%.2f", (b - a) / n / 1e6 }'
}

# time_ms CMD...: ms for one run (mean of 3 after a first unmeasured one).
time_ms() {
	local t0 t1
	"$@" >/dev/null 2>&1
	t0=$(now_ns)
	"$@" >/dev/null 2>&1
	"$@" >/dev/null 2>&1
	"$@" >/dev/null 2>&1
	t1=$(now_ns)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 3 / 1e6 }'
}

names() { # names FROM COUNT
	local i
	for ((i = $1; i < $1 + $2; i++)); do printf 'u%05d ' $((i % 10000 + 1)); done
}

# inproc TAG SVC NAMES...: nss_stress bench, per_s/p50/p99 as results.
inproc() {
	local tag=$1 svc=$2 line
	shift 2
	line=$(TENURE_BENCH_SAMPLES=$(bench_samples "nss-$tag") NSS_SERVICE=$svc "$STRESS" bench "$N" "$@")
	R "$tag" ps "$(sed -n 's/.*per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
	R "$tag" p50 "$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$line")"
	R "$tag" p99 "$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$line")"
	R "$tag" failed "$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")"
}

# conns SVC: LDAP connections slapd sees with 100 concurrent processes.
conns() {
	local svc=$1 i n
	for ((i = 1; i <= 100; i++)); do
		NSS_SERVICE=$svc "$STRESS" hold "$(printf 'u%05d' "$i")" 3 &
	done
	sleep 2
	n=$(ss -Htn state established "( sport = :$SLAPD_PORT )" | wc -l)
	wait
	echo "$n"
}

# measure TAG SVC: the full set for an NSS service already usable here.
measure() {
	local tag=$1 svc=$2 m
	inproc "$tag.first" "$svc" $(names 0 "$N")
	inproc "$tag.repeat" "$svc" $(names 0 10)
	R "$tag" proc_ms "$(proc_mean "$svc" getent -s "$svc" passwd)"
	R "$tag" initgr_ms "$(time_ms getent -s "$svc" initgroups manygroups)"
	R "$tag" initgr_n "$(getent -s "$svc" initgroups manygroups | wc -w)"
	R "$tag" biggrp_ms "$(time_ms getent -s "$svc" group biggroup)"
	R "$tag" biggrp_n "$(getent -s "$svc" group biggroup | awk -F: '{ print split($4, a, ",") }')"
	R "$tag" enum_ms "$(time_ms getent -s "$svc" passwd)"
	R "$tag" enum_n "$(getent -s "$svc" passwd | wc -l)"
	m=$(NSS_SERVICE=$svc "$STRESS" mem u00001)
	R "$tag" rss_kb "$(sed -n 's/.*rss_kb_added=\([-0-9]*\).*/\1/p' <<<"$m")"
	R "$tag" fds "$(sed -n 's/.*fds_added=\([-0-9]*\).*/\1/p' <<<"$m")"
	R "$tag" conns "$(conns "$svc")"
}

inner_tenure() {
	export LD_LIBRARY_PATH=$B
	export TENURE_CONF=$WORK/tenure-nocache.conf
	inproc tenure.nocache tenure $(names 5000 "$N")
	export TENURE_CONF=$WORK/tenure.conf
	measure tenure tenure
	export TENURE_CONF=$WORK/tenure-nocache.conf
	R tenure.nocache proc_ms "$(proc_mean tenure getent -s tenure passwd)"
	R files proc_ms "$(proc_mean files getent -s files passwd)"
	R floor x 0
	local line
	line=$(TENURE_BENCH_SAMPLES=$(bench_samples nss-floor.first) "$FLOOR" "$SLAPD_URI" "$SLAPD_BASE" "$N")
	R floor.first ps "$(sed -n 's/.*per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
	R floor.first p50 "$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$line")"
	R floor.first p99 "$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$line")"
}

# Inside "unshare -m -p -f": private /run, bind-mounted config.
private_run() {
	mount --make-rprivate / 2>/dev/null
	mount -t tmpfs -o mode=755 tmpfs /run || return 1
}

inner_nslcd() {
	command -v nslcd >/dev/null && [[ -e /lib/$(gcc -print-multiarch)/libnss_ldap.so.2 ]] ||
		{ echo "S nslcd not installed (apt-get install nslcd libnss-ldapd)"; return 0; }
	private_run || { echo "S nslcd cannot set up a namespace"; return 0; }
	cat >"$WORK/nslcd.conf" <<-EOF
		uid nslcd
		gid nslcd
		uri $SLAPD_URI
		base $SLAPD_BASE
		pagesize 500
		nss_min_uid 1000
	EOF
	chmod 600 "$WORK/nslcd.conf"
	mount --bind "$WORK/nslcd.conf" /etc/nslcd.conf
	mkdir -p /run/nslcd && chown nslcd:nslcd /run/nslcd
	nslcd || { echo "S nslcd did not start"; return 0; }
	for _ in $(seq 50); do [[ -S /run/nslcd/socket ]] && break; sleep 0.1; done
	measure nslcd ldap
}

inner_sss() {
	command -v sssd >/dev/null && [[ -e /lib/$(gcc -print-multiarch)/libnss_sss.so.2 ]] ||
		{ echo "S sss not installed (sssd-ldap libnss-sss; their install edits nsswitch.conf and pam.d)"; return 0; }
	private_run || { echo "S sss cannot set up a namespace"; return 0; }
	local d
	for d in /var/lib/sss /var/log/sssd /etc/sssd; do
		mount -t tmpfs -o mode=711 tmpfs "$d" || { echo "S sss cannot mount $d"; return 0; }
	done
	mkdir -p /var/lib/sss/{db,pipes/private,mc,pubconf,gpo_cache,secrets} /etc/sssd/conf.d
	chmod 700 /var/lib/sss/pipes/private
	cat >/etc/sssd/sssd.conf <<-EOF
		[sssd]
		services = nss
		domains = bench
		[nss]
		[domain/bench]
		id_provider = ldap
		auth_provider = none
		ldap_uri = $SLAPD_URI
		ldap_search_base = $SLAPD_BASE
		ldap_schema = rfc2307
		ldap_id_use_start_tls = false
		ldap_auth_disable_tls_never_use_in_production = true
		min_id = 1000
		cache_credentials = false
	EOF
	chmod 600 /etc/sssd/sssd.conf
	sssd -D 2>"$WORK/sssd.err" || { echo "S sssd did not start: $(head -c 200 "$WORK/sssd.err")"; return 0; }
	for _ in $(seq 100); do [[ -S /var/lib/sss/pipes/nss ]] && break; sleep 0.1; done
	# Cold: names never asked before (sssd goes to LDAP); warm: the same
	# names again (its memory cache in /var/lib/sss/mc).
	inproc sss.cold.first sss $(names 2000 "$N")
	inproc sss.warm.first sss $(names 2000 "$N")
	R sss.cold proc_ms "$(proc_mean sss getent -s sss passwd)"
	R sss.warm proc_ms "$(proc_mean sss getent -s sss passwd)"
	measure sss sss
}

inner_nscd() {
	local m
	command -v nscd >/dev/null || { echo "S nscd not installed (apt-get install nscd)"; return 0; }
	private_run || { echo "S nscd cannot set up a namespace"; return 0; }
	printf '%s\n' "passwd: files tenure" "group: files tenure" "hosts: files" >"$WORK/nsswitch.conf"
	mount --bind "$WORK/nsswitch.conf" /etc/nsswitch.conf
	printf '%s\n' "server-user root" "enable-cache passwd yes" "enable-cache group yes" \
		"positive-time-to-live passwd 600" "positive-time-to-live group 600" \
		"persistent passwd no" "persistent group no" "shared passwd yes" "shared group yes" \
		"enable-cache hosts no" "enable-cache services no" "enable-cache netgroup no" >"$WORK/nscd.conf"
	mkdir -p /run/nscd
	LD_LIBRARY_PATH=$B TENURE_CONF=$WORK/tenure.conf nscd -f "$WORK/nscd.conf" ||
		{ echo "S nscd did not start"; return 0; }
	for _ in $(seq 50); do [[ -S /run/nscd/socket ]] && break; sleep 0.1; done
	# Through nsswitch.conf (getent -s would bypass nscd).
	inproc nscd.first none $(names 3000 "$N")
	inproc nscd.repeat none $(names 3000 "$N")
	R nscd proc_ms "$(proc_mean none getent passwd)"
	R nscd initgr_ms "$(time_ms getent initgroups manygroups)"
	R nscd initgr_n "$(getent initgroups manygroups | wc -w)"
	R nscd biggrp_ms "$(time_ms getent group biggroup)"
	R nscd biggrp_n "$(getent group biggroup | awk -F: '{ print split($4, a, ",") }')"
	m=$(NSS_SERVICE=none "$STRESS" mem u00001)
	R nscd rss_kb "$(sed -n 's/.*rss_kb_added=\([-0-9]*\).*/\1/p' <<<"$m")"
	R nscd fds "$(sed -n 's/.*fds_added=\([-0-9]*\).*/\1/p' <<<"$m")"
	R nscd conns "$(conns none)"
}

. "$(dirname "$0")/lib.sh"
if [[ ${1:-} == --inner ]]; then
	"inner_$2"
	exit 0
fi

# ---- outer: slapd, configs, the runs, the table ----

. "$repo/tests/ldap/slapd.sh"
bench_init nss
for f in "$STRESS" "$FLOOR" "$B/libnss_tenure.so.2"; do
	[[ -e $f ]] || { echo "bench/nss.sh: $f missing: make bench-nss" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tenure-bench.XXXXXX")
chmod 755 "$WORK"
trap 'slapd_cleanup; rm -rf "$WORK"' EXIT
export WORK B STRESS FLOOR N NPROC

echo "bench/nss.sh: loading 10,000 users, 1,000 groups ..." >&2
bench_slapd "$WORK/ldap" --gen-users 10000 --gen-groups 1000 --big-group 10000 \
	--many-groups-user 200 >/dev/null || exit 1
for c in tenure tenure-nocache; do
	printf '%s\n' "uri $SLAPD_URI" "base $SLAPD_BASE" >"$WORK/$c.conf"
done
echo "cache_ttl 0" >>"$WORK/tenure-nocache.conf"
echo "cache_negative_ttl 0" >>"$WORK/tenure-nocache.conf"
chmod 644 "$WORK"/*.conf

results=$WORK/results
: >"$results"
run_inner() { # run_inner PART [namespace]
	if [[ ${2:-} == ns ]]; then
		unshare -m -p -f --mount-proc bash "$0" --inner "$1" >>"$results" 2>>"$WORK/inner.err" ||
			echo "S $1 namespace run failed: $(tail -n 2 "$WORK/inner.err" | tr '\n' ' ')" >>"$results"
	else
		bash "$0" --inner "$1" >>"$results" 2>>"$WORK/inner.err"
	fi
}
echo "bench/nss.sh: tenure and floor ..." >&2
run_inner tenure
echo "bench/nss.sh: nscd ..." >&2
run_inner nscd ns
echo "bench/nss.sh: nslcd ..." >&2
run_inner nslcd ns
echo "bench/nss.sh: sssd ..." >&2
run_inner sss ns

# ---- table ----
get() { awk -v k="$1" -v m="$2" '$1 == "R" && $2 == k && $3 == m { v = $4 } END { print (v == "" ? "-" : v) }' "$results"; }
ratio() { # ratio A B: A/B, or -
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
row() { # row LABEL UNIT KEY METRIC [better: hi|lo]
	local label=$1 unit=$2 metric=$4 t v k
	t=$(get "tenure${3}" "$metric")
	printf '%-34s %-6s %10s' "$label" "$unit" "$t"
	for k in floor nscd nslcd sss.cold sss.warm sss files; do
		v=$(get "$k${3}" "$metric")
		[[ $v == - ]] && { printf ' %18s' "-"; continue; }
		printf ' %10s (x%s)' "$v" "$(ratio "$v" "$t")"
	done
	printf '\n'
}
echo
echo "libnss_tenure.so.2 vs peers -- slapd $(slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9.]*\).*/\1/p' | head -1), $(nproc) CPUs; (xR) = peer / tenure"
printf '%-34s %-6s %10s' "measure" "unit" "tenure"
for k in floor nscd nslcd sss.cold sss.warm sss files; do printf ' %18s' "$k"; done
printf '\n'
row "getpwnam_r first lookup, per s" "1/s" ".first" ps
row "getpwnam_r first lookup, p50" "us" ".first" p50
row "getpwnam_r first lookup, p99" "us" ".first" p99
row "getpwnam_r repeated names, per s" "1/s" ".repeat" ps
row "getpwnam_r repeated names, p50" "us" ".repeat" p50
row "getent passwd NAME (process)" "ms" "" proc_ms
row "getent initgroups (200 groups)" "ms" "" initgr_ms
row "  groups returned" "n" "" initgr_n
row "getent group biggroup (10,000)" "ms" "" biggrp_ms
row "  members returned" "n" "" biggrp_n
row "getent passwd (enumerate)" "ms" "" enum_ms
row "  entries returned" "n" "" enum_n
row "RSS added by first lookup" "kB" "" rss_kb
row "descriptors added" "n" "" fds
row "LDAP conns, 100 processes" "n" "" conns
echo
printf 'tenure, cache off: getpwnam_r %s/s p50 %s us p99 %s us; getent %s ms\n' \
	"$(get tenure.nocache ps)" "$(get tenure.nocache p50)" "$(get tenure.nocache p99)" \
	"$(get tenure.nocache proc_ms)"
echo "nscd: tenure behind glibc's nscd (first = nscd asks tenure; repeated = nscd's cache)."
echo "sss.cold/sss.warm: names sssd has not / has already cached; sss: the full set after that."
grep '^S ' "$results" | sed 's/^S /skipped: /' || true
awk '$1 == "R" { print $2 "\t" $3 "\t" $4 } $1 == "S" { $1 = ""; print "skipped\t" $2 "\t" substr($0, 2) }' \
	"$results" >>"$BENCH_TSV"
exit 0
