#!/bin/bash
# bench/run-all.sh -- every side-by-side benchmark in one run, against one
# slapd, then the report.
#
#   make bench                (or: TENURE_BUILD=build bash bench/run-all.sh)
#
# 1. Guard: a checksum of /etc/nsswitch.conf and /etc/pam.d (contents, modes,
#    owners, links, times; also the peers' /etc/nslcd.conf, /etc/nscd.conf
#    and /etc/sssd) before anything else; the same at the end, and the run
#    fails loudly (exit 3) if they differ.
# 2. Tools: gnuplot-nox is installed with apt-get if gnuplot is missing (it
#    only draws the charts).  The peers are NOT installed: their packages
#    (sssd-common, sssd-ldap, libnss-sss, libpam-sss, nslcd, libnss-ldapd,
#    libpam-ldapd and whatever they need that is not installed) are fetched
#    with `apt-get download` into $(B)/bench/peers and unpacked with
#    `dpkg -x`; no maintainer script ever runs (Debian's would add sss and
#    ldap to /etc/nsswitch.conf and /etc/pam.d/common-*).
# 3. Everything then runs in a private mount namespace (unshare -m) where the
#    unpacked packages are overlaid on /usr, /etc and /var (overlayfs; the
#    writable layers are temporary directories), so sssd, nslcd, pam_sss.so
#    and libnss_sss.so.2 are where they expect to be without the host seeing
#    any of it.  One slapd (tests/ldap/slapd.sh: seed data, 10,000 users,
#    1,000 groups, a 10,000-member group, a user in 200 groups) serves every
#    script through BENCH_SLAPD_ENV, in this order, because later ones
#    change the directory: nss (read only), pam_auth (binds as alice),
#    policy (changes alice's password 24 times), syncd (disables u00001..).
# 4. Each script writes $(B)/bench/NAME.tsv and latency samples; its output
#    goes to $(B)/bench/NAME.log.  bench/report.sh makes report.md and the
#    PNG charts from them.
#
# Knobs: PAM_AUTH_ROUNDS (default 2000), BENCH_N / BENCH_PROC (bench/nss.sh),
# SYNCD_EVENTS / SYNCD_SENDERS (default 10000 / 50), BENCH_PEERS=0 (no
# download; peers that are not installed are then skipped),
# BENCH_TIMEOUT (seconds per script, default 900).
# Timings are whatever the machine gives at the time; nothing asserts on them.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
B=${TENURE_BUILD:-build}
[[ $B == /* ]] || B=$repo/$B
OUT=$B/bench
PEERS=$OUT/peers
export TENURE_BUILD=$B BENCH_OUT=$OUT
PATH=$PATH:/usr/sbin:/sbin
PARTS=(nss pam_auth policy syncd)

say() { echo "bench: $*" >&2; }

# ---- inner: inside the private mount namespace ----

# overlay DIR: the unpacked packages' DIR over the host's DIR; writes go to
# a temporary upper layer.
overlay() {
	local d=$1 lower=$1
	[[ -d $PEERS/root$d ]] && lower=$PEERS/root$d:$d
	mkdir -p "$T/up$d" "$T/wk$d"
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$T/up$d,workdir=$T/wk$d" "$d"
}

# The daemons' system users, created in the overlaid /etc when the peers
# come from unpacked packages (their postinst would have made them).
peer_users() {
	local u
	for u in nslcd sssd; do
		getent passwd "$u" >/dev/null && continue
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$u" 2>/dev/null || say "could not add user $u (overlay)"
	done
}

inner() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/tenure-bench-all.XXXXXX")
	chmod 755 "$T"
	trap 'slapd_cleanup 2>/dev/null; umount -l /var /etc /usr 2>/dev/null; rm -rf "$T"' EXIT
	mount --make-rprivate / || { say "cannot make mounts private"; return 1; }
	if [[ -d $PEERS/root ]]; then
		overlay /usr && overlay /etc && overlay /var ||
			{ say "overlay mounts failed; peers not installed on the host are skipped"; }
		peer_users
	fi
	# shellcheck source=tests/ldap/slapd.sh
	. "$repo/tests/ldap/slapd.sh"
	export LDAPCONF=/dev/null LDAPRC=/dev/null
	say "one slapd: seed, 10,000 users, 1,000 groups, biggroup, manygroups"
	local opts=(--gen-users 10000 --gen-groups 1000 --big-group 10000 --many-groups-user 200)
	slapd_start "$T/ldap" "${opts[@]}" >/dev/null ||
		{ rm -rf "$T/ldap"; slapd_start "$T/ldap" "${opts[@]}" >/dev/null; } ||
		{ say "slapd did not start"; return 1; }
	export BENCH_SLAPD_ENV=$T/ldap/env
	local p rc t0 args
	for p in "${PARTS[@]}"; do
		args=()
		case $p in
		pam_auth) args=("${PAM_AUTH_ROUNDS:-2000}") ;;
		syncd) args=("${SYNCD_EVENTS:-10000}" "${SYNCD_SENDERS:-50}") ;;
		esac
		say "$p ... (log: $OUT/$p.log)"
		t0=$(date +%s)
		rc=0
		timeout --kill-after=10 "${BENCH_TIMEOUT:-900}" bash "$here/$p.sh" "${args[@]}" \
			>"$OUT/$p.log" 2>&1 </dev/null || rc=$?
		printf '%s\t%s\t%s\n' "$p" "$rc" "$(($(date +%s) - t0))" >>"$OUT/runs.tsv"
		((rc == 0)) || say "$p FAILED (exit $rc): $(tail -n 3 "$OUT/$p.log" | tr '\n' ' ')"
	done
	slapd_cleanup
	umount -l /var /etc /usr 2>/dev/null
	rm -rf "$T" 2>/dev/null
	return 0
}

if [[ ${1:-} == --inner ]]; then
	inner
	exit $?
fi

# ---- outer ----

[[ $(id -u) == 0 ]] || { say "needs root (mount namespaces, overlay)"; exit 1; }
for f in "$B/pam_tenure.so" "$B/libnss_tenure.so.2" "$B/tenure-syncd" "$B/tests/nss_stress" \
	"$B/tests/pam_login_bench" "$B/tests/syncd_load" "$B/bench/policy_filter"; do
	[[ -e $f ]] || { say "$f missing (make bench builds it)"; exit 1; }
done

# The system files no benchmark may change (those the peers' packages would
# edit or own; a missing one must stay missing).
GUARDED=(etc/nsswitch.conf etc/pam.d etc/nslcd.conf etc/nscd.conf etc/sssd)
guard() {
	tar -C / --sort=name --numeric-owner -cf - "${GUARDED[@]}" 2>/dev/null | sha256sum
}
guard_list() {
	local p
	for p in "${GUARDED[@]}"; do
		[[ -e /$p ]] || { echo "/$p absent"; continue; }
		find "/$p" -printf '%p %m %U:%G %y %l\n' | LC_ALL=C sort
		find "/$p" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	done
}
mkdir -p "$OUT"
rm -f "$OUT"/*.tsv "$OUT"/*.samples "$OUT"/*.log "$OUT"/*.png "$OUT"/*.dat "$OUT"/*.gp "$OUT"/report.md
before=$(guard)
guard_list >"$OUT/etc-guard.before"

if ! command -v gnuplot >/dev/null; then
	say "installing gnuplot-nox (charts only)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >"$OUT/apt.log" 2>&1 ||
		say "gnuplot-nox did not install; the report will have no charts"
fi

# Peers: download and unpack, never install.  Cached in $PEERS.
fetch_peers() {
	local want=(sssd-common sssd-ldap libnss-sss libpam-sss nslcd libnss-ldapd libpam-ldapd)
	local need d
	need=$(apt-get install -s -q --no-install-recommends "${want[@]}" 2>"$PEERS/apt.err" |
		awk '$1 == "Inst" { print $2 }') || true
	[[ -n $need ]] || { [[ -s $PEERS/apt.err ]] && say "apt-get: $(head -n 1 "$PEERS/apt.err")"; return 0; }
	if [[ -f $PEERS/root/.list && $(cat "$PEERS/root/.list") == "$need" ]]; then
		return 0
	fi
	say "fetching peer packages (unpacked only, never installed): $(echo $need)"
	rm -rf "$PEERS/debs" "$PEERS/root"
	mkdir -p "$PEERS/debs" "$PEERS/root"
	chmod 755 "$PEERS" "$PEERS/debs"
	# shellcheck disable=SC2086
	(cd "$PEERS/debs" && apt-get download -q $need >"$PEERS/download.log" 2>&1) ||
		{ say "apt-get download failed (see $PEERS/download.log); missing peers are skipped"; }
	for d in "$PEERS"/debs/*.deb; do
		[[ -e $d ]] && dpkg-deb -x "$d" "$PEERS/root"
	done
	# Debian 12 packages still ship /lib, /bin, /sbin: fold them into /usr.
	for d in lib lib64 bin sbin; do
		[[ -d $PEERS/root/$d && ! -L $PEERS/root/$d ]] || continue
		mkdir -p "$PEERS/root/usr/$d"
		cp -a "$PEERS/root/$d/." "$PEERS/root/usr/$d/" && rm -rf "${PEERS:?}/root/$d"
	done
	echo "$need" >"$PEERS/root/.list"
}
mkdir -p "$PEERS"
if [[ ${BENCH_PEERS:-1} != 0 ]]; then
	fetch_peers
fi
[[ -d $PEERS/root ]] || say "no unpacked peers; those not installed on the host are skipped"

: >"$OUT/runs.tsv"
started=$(date +%s)
unshare -m --propagation private bash "$0" --inner
inner_rc=$?
printf 'total\t%s\t%s\n' "$inner_rc" "$(($(date +%s) - started))" >>"$OUT/runs.tsv"

after=$(guard)
guard_list >"$OUT/etc-guard.after"
if [[ $before != "$after" ]]; then
	{
		echo "bench: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
		echo "bench: /etc/nsswitch.conf, /etc/pam.d or a peer's config CHANGED during the benchmark run:"
		diff "$OUT/etc-guard.before" "$OUT/etc-guard.after" | sed 's/^/bench:   /'
		echo "bench: compare with $OUT/etc-guard.before, restore them and find the cause"
		echo "bench: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	} >&2
	exit 3
fi
say "unchanged (checksum before and after): ${GUARDED[*]/#//}"

bash "$here/report.sh" "$OUT" >/dev/null || { say "report failed"; exit 1; }
say "report: $OUT/report.md"
fail=0
while IFS=$'\t' read -r p rc _; do
	[[ $rc == 0 ]] || { say "$p failed (exit $rc)"; fail=1; }
done <"$OUT/runs.tsv"
exit $fail
