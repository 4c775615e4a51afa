#!/bin/bash
# bench/pam_auth.sh -- auth round trip (pam_start, pam_authenticate, pam_end)
# p50/p99 of pam_tenure (LDAP bind + lockout tally) next to pam_ldap
# (libpam-ldapd through nslcd) and pam_sss (sssd), all against the same
# private slapd, in one run.
#
#   bench/pam_auth.sh [ROUNDS]          (default 2000; make bench-pam-auth)
#
# Nothing of the system is configured: each peer's config lives in a
# temporary directory, and the peers run inside a private mount namespace
# (unshare -m) where a copy of /etc with their config is bound over /etc,
# and private directories over their socket paths (/run/nslcd,
# /var/lib/sss).  pam_ldap.so and nslcd are taken from the Debian packages
# unpacked into the temporary directory when libpam-ldapd is not installed
# (installing it would rewrite the system's PAM stacks).  A peer that cannot
# be set up is reported as skipped; pam_tenure always runs.
#
# Needs root (mount namespace), slapd, and for the peers: nslcd (package
# nslcd), sssd-ldap and libpam-sss.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${1:-2000}
B=${TENURE_BUILD:-build}
case $B in /*) ;; *) B=$repo/$B ;; esac
bench=$B/tests/pam_login_bench
module=$B/pam_tenure.so
for f in "$bench" "$module"; do
	[[ -e $f ]] || { echo "pam_auth.sh: $f missing (make tests)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "pam_auth.sh: needs root (mount namespace)" >&2; exit 1; }
export LDAPCONF=/dev/null LDAPRC=/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/tenure-bench-pam.XXXXXX")
# shellcheck source=tests/ldap/slapd.sh
. "$repo/tests/ldap/slapd.sh"
. "$here/lib.sh"
bench_init pam_auth
trap 'slapd_cleanup; rm -rf -- "$work"' EXIT
bench_slapd "$work/ldap" >/dev/null
nsspw=$(cat "$SLAPD_NSS_PW_FILE")
mkdir -p "$work/pam" "$work/tally"

# --- pam_tenure
cat >"$work/tenure.conf" <<EOF
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
dir $work/tally
tally_key_file $work/tally.key
deny 3
EOF
echo "auth required $module conf=$work/tenure.conf" >"$work/pam/tenure"

# --- pam_ldap + nslcd
pam_ldap=""
nslcd=$(command -v nslcd || echo /usr/sbin/nslcd)
for p in /lib/*/security/pam_ldap.so /usr/lib/*/security/pam_ldap.so; do
	[[ -e $p ]] && pam_ldap=$p && break
done
if [[ -z $pam_ldap || ! -x $nslcd ]]; then
	(cd "$work" && apt-get download -q libpam-ldapd nslcd >/dev/null 2>&1) || true
	for d in "$work"/*.deb; do [[ -e $d ]] && dpkg-deb -x "$d" "$work/pkg"; done
	[[ -z $pam_ldap ]] && pam_ldap=$(find "$work/pkg" -name pam_ldap.so 2>/dev/null | head -n 1)
	[[ -x $nslcd ]] || nslcd=$work/pkg/usr/sbin/nslcd
fi
have_ldap=0
if [[ -n $pam_ldap && -x $nslcd ]]; then
	have_ldap=1
	echo "auth required $pam_ldap minimum_uid=1000" >"$work/pam/pam_ldap"
fi

# --- pam_sss + sssd
have_sss=0
sssd=$(command -v sssd || echo /usr/sbin/sssd)
pam_sss=""
for p in /lib/*/security/pam_sss.so /usr/lib/*/security/pam_sss.so; do
	[[ -e $p ]] && pam_sss=$p && break
done
if [[ -x $sssd && -n $pam_sss && -x /usr/libexec/sssd/sssd_pam ]]; then
	have_sss=1
	echo "auth required $pam_sss" >"$work/pam/pam_sss"
fi

# The private /etc: a copy, plus the peers' config.
cp -a /etc "$work/etc"
cat >"$work/etc/nslcd.conf" <<EOF
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw $nsspw
EOF
chmod 0600 "$work/etc/nslcd.conf"
mkdir -p "$work/etc/sssd"
cat >"$work/etc/sssd/sssd.conf" <<EOF
[sssd]
services = nss, pam
domains = bench

[pam]

[domain/bench]
id_provider = ldap
auth_provider = ldap
ldap_uri = $SLAPD_URI
ldap_search_base = $SLAPD_BASE
ldap_schema = rfc2307
ldap_default_bind_dn = $SLAPD_NSS_DN
ldap_default_authtok = $nsspw
ldap_auth_disable_tls_never_use_in_production = true
cache_credentials = false
min_id = 1000
EOF
chmod 0600 "$work/etc/sssd/sssd.conf"

cat >"$work/inside.sh" <<'EOF'
set -u
work=$1 rounds=$2 bench=$3 have_ldap=$4 have_sss=$5 nslcd=$6 sssd=$7
mount --bind "$work/etc" /etc
mkdir -p "$work/run" "$work/sss/pipes/private" "$work/sss/db" "$work/sss/mc" "$work/sss/pubconf" "$work/sss/keytabs" "$work/sss/gpo_cache" "$work/sss/secrets" "$work/sss/deskprofile"
mount --bind "$work/run" /run
mkdir -p /run/nslcd
[[ -d /var/lib/sss ]] && mount --bind "$work/sss" /var/lib/sss
[[ -d /var/log/sssd ]] && mkdir -p "$work/sslog" && mount --bind "$work/sslog" /var/log/sssd
pids=()
run() {
	TENURE_BENCH_SAMPLES=${BENCH_OUT:+$BENCH_OUT/pam_auth-$1.samples} \
		"$bench" -D "$work/pam" -s "$1" -u alice -p alice-Secret-1 -n "$rounds" -w 50
	TENURE_BENCH_SAMPLES=${BENCH_OUT:+$BENCH_OUT/pam_auth-$1.held.samples} \
		"$bench" -D "$work/pam" -s "$1" -u alice -p alice-Secret-1 -n "$rounds" -w 50 -H
}
run tenure
if [[ $have_ldap == 1 ]]; then
	"$nslcd" -d >"$work/nslcd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do [[ -S /run/nslcd/socket ]] && break; sleep 0.1; done
	if [[ -S /run/nslcd/socket ]]; then run pam_ldap; else echo "pam_ldap skipped: nslcd did not start"; fi
else
	echo "pam_ldap skipped: nslcd or pam_ldap.so not available"
fi
if [[ $have_sss == 1 ]]; then
	"$sssd" -i -c /etc/sssd/sssd.conf >"$work/sssd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [[ -S /var/lib/sss/pipes/pam ]] && break; sleep 0.1; done
	if [[ -S /var/lib/sss/pipes/pam ]]; then run pam_sss; else echo "pam_sss skipped: sssd did not start"; fi
else
	echo "pam_sss skipped: sssd-ldap or libpam-sss not installed"
fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
exit 0
EOF

echo "auth round trips against slapd $SLAPD_URI, $rounds rounds each (user alice)"
unshare -m --propagation private bash "$work/inside.sh" "$work" "$rounds" "$bench" \
	"$have_ldap" "$have_sss" "$nslcd" "$sssd" | tee "$work/out"
# Results for bench/report.sh: "SERVICE[ (one handle)] n=.. ok=.. p50_us=.." lines.
while read -r sys rest; do
	case $rest in "(one handle) "*) sys=$sys.held rest=${rest#"(one handle) "} ;; esac
	case $rest in
	n=*) bench_kv "$sys" "$rest" ;;
	skipped:*) bench_put skipped "$sys" "${rest#skipped: }" ;;
	esac
done <"$work/out"
