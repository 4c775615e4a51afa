#!/bin/bash
# The host's own name and DNS.  libldap looks the host's name up once in
# every process that first uses it (pam_tenure in sshd's children,
# libnss_tenure in any process): when nsswitch.conf sends that lookup to a
# DNS server that does not answer, the process waits for the resolver's
# timeout.  `tenurectl config check` warns about such a host; lookups stay
# right either way.  tenure bounds the resolver around its own lookups
# (libldap's start-up, the server names in uri); the waits are printed and
# checked only against generous bounds far below the resolver's own 10 s.
#
# As root, in private mount, UTS and network namespaces (unshare -m -u -n):
# a host name of its own, /etc/hosts, /etc/nsswitch.conf and
# /etc/resolv.conf bind-mounted from the temp dir, a private slapd on the
# namespace's loopback and a name server on 127.0.0.2 that never answers
# (tests/tools/dns_blackhole).  The host's files and name are checked
# unchanged afterwards.  Skips when not root or without namespaces.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"

HOST_FILES=(/etc/hosts /etc/nsswitch.conf /etc/resolv.conf)
TEST_HOST=tenure-hostname-test

inner() {
	# shellcheck source=tests/ldap/slapd.sh
	. "$T_REPO/tests/ldap/slapd.sh"
	export LDAPCONF=/dev/null LDAPRC=/dev/null
	t_begin hostname-inner
	local work=$HN_WORK f ms t0 out
	if [[ $(readlink /proc/self/ns/mnt) == "$(readlink /proc/1/ns/mnt)" || -z $work ]]; then
		t_fail "refusing to run: --inner needs a private mount namespace"
		t_end
		return 1
	fi
	ip link set lo up
	hostname "$TEST_HOST"
	for f in hosts nsswitch.conf resolv.conf; do
		: >"$work/$f"
		chmod 0644 "$work/$f"
		mount --bind "$work/$f" "/etc/$f"
	done
	# glibc's defaults: 5 s per try, 2 tries.
	printf 'nameserver 127.0.0.2\n' >"$work/resolv.conf"
	"$TENURE_BUILD/tests/dns_blackhole" 127.0.0.2 >"$work/dns.out" 2>&1 &
	HN_SINK=$!
	trap 'kill "$HN_SINK" 2>/dev/null; slapd_cleanup; _t_cleanup' EXIT
	for _ in $(seq 50); do
		grep -q ready "$work/dns.out" && break
		sleep 0.1
	done
	expect_match ready "$(cat "$work/dns.out")" "a name server that never answers listens on 127.0.0.2:53"

	slapd_start "$work/ldap" >/dev/null || { t_fail "slapd starts"; return 1; }
	printf 'uri %s\nbase %s\n' "$SLAPD_URI" "$SLAPD_BASE" >"$work/tenure.conf"
	export TENURE_CONF=$work/tenure.conf LD_LIBRARY_PATH=$TENURE_BUILD
	ctl() { "$TENURE_BUILD/tenurectl" "$@"; }
	alice='alice:x:10001:10001:Alice Liddell:/home/alice:/bin/bash'

	# 1. The name in /etc/hosts, looked up in files first: no warning, and
	#    the first lookup of a process does not wait for the name server.
	printf '127.0.0.1 localhost\n127.0.1.1 %s.example.org %s\n' "$TEST_HOST" "$TEST_HOST" >"$work/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$work/nsswitch.conf"
	expect_rc 0 ctl config check
	if [[ $T_OUT == *warning* ]]; then t_fail "name in /etc/hosts: no warning ($T_OUT)"; else t_ok "name in /etc/hosts: no warning"; fi
	t0=$(date +%s%N)
	out=$(getent -s passwd:tenure passwd alice)
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_eq "$out" "$alice" "name in /etc/hosts: alice resolves"
	echo "# name in /etc/hosts, DNS not answering: first lookup of a process took $ms ms"

	# 2. The name only in DNS, which does not answer: the warning names the
	#    host, the hosts line and the fix; lookups are still right, after the
	#    resolver's timeout.
	printf '127.0.0.1 localhost\n' >"$work/hosts"
	expect_rc 0 ctl config check
	expect_match "warning: this host's name \"$TEST_HOST\" is not in /etc/hosts and is looked up in DNS \(/etc/nsswitch.conf hosts: files dns\)" \
		"$T_OUT" "name only in DNS: config check warns, naming the host and the hosts line"
	expect_match "add the name to /etc/hosts \(e.g. \"127.0.1.1 $TEST_HOST\"\)" "$T_OUT" "the warning says how to fix it"
	expect_match "OK" "$T_OUT" "the file itself is still OK (exit 0)"
	t0=$(date +%s%N)
	out=$(getent -s passwd:tenure passwd alice)
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_eq "$out" "$alice" "name only in DNS, DNS not answering: alice still resolves"
	echo "# name only in DNS, DNS not answering (resolver defaults: 5 s x 2): first lookup of a process took $ms ms"
	# The resolver alone would wait 10 s; tenure bounds libldap's start-up
	# lookup to about a second.
	((ms < 5000)) && t_ok "and within 5 s, not the resolver's 10" || t_fail "and within 5 s, not the resolver's 10: $ms ms"
	t0=$(date +%s%N)
	out=$(getent -s group:tenure group staff)
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_match '^staff:' "$out" "the next process: a group resolves too"
	((ms < 5000)) && t_ok "and within 5 s" || t_fail "and within 5 s: $ms ms"

	# 2b. A server named in uri by a DNS name, with DNS not answering: the
	#     name lookup is bounded by bind_timelimit, then the next uri serves.
	printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$TEST_HOST" >"$work/hosts"
	printf 'uri ldap://ldap-primary.example.org/ %s\nbase %s\nbind_timelimit 2\n' \
		"$SLAPD_URI" "$SLAPD_BASE" >"$work/tenure-dnsuri.conf"
	t0=$(date +%s%N)
	out=$(TENURE_CONF=$work/tenure-dnsuri.conf getent -s passwd:tenure passwd alice)
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_eq "$out" "$alice" "uri by DNS name first, DNS not answering: the second uri serves alice"
	echo "# first uri a DNS name, DNS not answering, bind_timelimit 2: lookup took $ms ms"
	((ms < 6000)) && t_ok "within bind_timelimit and a margin (6 s), not the resolver's 10" ||
		t_fail "within bind_timelimit and a margin (6 s), not the resolver's 10: $ms ms"
	printf '127.0.0.1 localhost\n' >"$work/hosts"

	# 3. Local answers before DNS: myhostname, resolve, files with
	#    [NOTFOUND=return].  No warning.
	for f in 'files myhostname dns' 'resolve [!UNAVAIL=return] files dns' 'files [NOTFOUND=return] dns'; do
		printf 'hosts: %s\n' "$f" >"$work/nsswitch.conf"
		expect_rc 0 ctl config check
		if [[ $T_OUT == *warning* ]]; then t_fail "hosts: $f: no warning ($T_OUT)"; else t_ok "hosts: $f: no warning"; fi
	done

	# 4. DNS asked first, even with the name in /etc/hosts; and no hosts
	#    line at all (glibc then asks DNS first).
	printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$TEST_HOST" >"$work/hosts"
	printf 'hosts: dns files\n' >"$work/nsswitch.conf"
	expect_rc 0 ctl config check
	expect_match 'hosts: dns files' "$T_OUT" "hosts: dns files: warns"
	printf 'passwd: files\n' >"$work/nsswitch.conf"
	expect_rc 0 ctl config check
	expect_match 'warning: .*looked up in DNS' "$T_OUT" "no hosts line: warns"

	# 5. tenure-syncd's config is not about this host's logins: no warning.
	printf 'hosts: dns\n' >"$work/nsswitch.conf"
	printf 'uri %s\nbase %s\nlisten 127.0.0.1:8080\njournal %s/j.db\nspool_dir %s/spool\naudit_log %s/audit.log\n' \
		"$SLAPD_URI" "$SLAPD_BASE" "$work" "$work" "$work" >"$work/syncd.conf"
	if ctl --syncd -c "$work/syncd.conf" config check >"$work/syncd.out" 2>&1; then
		if grep -q warning "$work/syncd.out"; then t_fail "--syncd config check: no host-name warning"; else t_ok "--syncd config check: no host-name warning"; fi
	else
		t_fail "--syncd config check accepts the file: $(cat "$work/syncd.out")"
	fi
	t_end
}

if [[ ${1:-} == --inner ]]; then
	inner
	exit
fi

t_begin hostname
skip_all() {
	t_skip "host name and DNS" "$1"
	t_end
	exit 0
}
[[ $(id -u) == 0 ]] || skip_all "needs root (namespaces, bind mounts)"
for tool in unshare hostname ip getent; do
	command -v "$tool" >/dev/null || skip_all "$tool not found"
done
for f in "${HOST_FILES[@]}"; do
	[[ -f $f ]] || skip_all "$f is missing (nothing to mount over)"
done
unshare -m -u -n --propagation private true 2>/dev/null ||
	skip_all "cannot create mount, UTS and network namespaces here"

host_state() {
	local f
	hostname
	for f in "${HOST_FILES[@]}"; do
		printf '%s %s\n' "$f" "$(md5sum <"$f" | cut -d' ' -f1)"
	done
}
work=$(tmpdir_new)
before=$(host_state)
if t_run_part env HN_WORK="$work" timeout -k 5 120 unshare -m -u -n --propagation private -- "$0" --inner; then
	t_ok "the namespace part ran to its end"
else
	t_fail "the namespace part ran to its end (exit $T_PART_RC)"
fi
expect_eq "$(host_state)" "$before" "host: name, /etc/hosts, nsswitch.conf and resolv.conf unchanged"
t_end
