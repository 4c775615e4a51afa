#!/bin/bash
# The core LDAP client against a real slapd: fail-over, bounded time with
# every server down, back-off, a hostile ldaprc, descriptors across exec,
# SIGPIPE from a dead server, TLS checks.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$T_REPO/tests/ldap/slapd.sh"

t_begin ldap_client
client=$TENURE_BUILD/tests/ldapclient
d=$(tmpdir_new)
slapd_start "$d/slapd" --tls >/dev/null

# A port nothing listens on: bind a socket, note its port, close it.
dead_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}
DEAD=$(dead_port)

conf() {   # conf FILE LINES...
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
	chmod 0644 "$f"
}

conf "$d/ok.conf" "uri $SLAPD_URI" "base $SLAPD_BASE"
expect_rc 0 "$client" "$d/ok.conf" search "(uid=alice)"
expect_match "dn: uid=alice,ou=people,dc=example,dc=org" "$T_OUT" "finds alice"
expect_rc 3 "$client" "$d/ok.conf" search "(uid=nobody-here)"

# Fail-over: a dead first URI, a live second one.
conf "$d/failover.conf" "uri ldap://127.0.0.1:$DEAD/ $SLAPD_URI" "base $SLAPD_BASE" "bind_timelimit 3"
expect_rc 0 "$client" "$d/failover.conf" search "(uid=alice)"
expect_match "uri: $SLAPD_URI" "$T_OUT" "fail-over from a dead first URI to the live second one"

# Every server down: the first call within bind_timelimit, then 1,000 calls
# inside the back-off window within 1 s together.
conf "$d/down.conf" "uri ldap://127.0.0.1:$DEAD/ ldap://127.0.0.1:$DEAD/" "base $SLAPD_BASE" \
	"bind_timelimit 2" "reconnect_sleeptime 5" "reconnect_retrytime 30"
expect_rc 0 "$client" "$d/down.conf" down 1000
read -r _ first _ rest _ <<<"$T_OUT"
if awk -v f="$first" 'BEGIN { exit !(f < 2000) }'; then t_ok "first call with every server down: ${first} ms (< bind_timelimit 2 s)"; else t_fail "first call took ${first} ms"; fi
if awk -v r="$rest" 'BEGIN { exit !(r < 1000) }'; then t_ok "next 1000 calls in the back-off window: ${rest} ms (< 1 s)"; else t_fail "1000 calls took ${rest} ms"; fi

# A server whose accept queue is full: connect hangs, bounded by bind_timelimit.
conf "$d/hang.conf" "uri $SLAPD_URI" "base $SLAPD_BASE" "bind_timelimit 2" "timelimit 2"
expect_rc 0 timeout 20 "$client" "$d/hang.conf" hang
ms=$(sed -n 's/.*elapsed_ms \([0-9.]*\).*/\1/p' <<<"$T_OUT")
if awk -v m="$ms" 'BEGIN { exit !(m < 6000) }'; then t_ok "connect to a hung server bounded: ${ms} ms"; else t_fail "hung connect took ${ms} ms"; fi

# A server that accepts and never answers: bounded by timelimit.
expect_rc 0 timeout 20 "$client" "$d/hang.conf" blackhole
ms=$(sed -n 's/.*elapsed_ms \([0-9.]*\).*/\1/p' <<<"$T_OUT")
if awk -v m="$ms" 'BEGIN { exit !(m < 6000) }'; then t_ok "black-hole server bounded by timelimit: ${ms} ms"; else t_fail "black hole took ${ms} ms"; fi

# A hostile ldaprc in the current directory and LDAP* variables change
# neither the server, nor the TLS checks, nor the bind.
mkdir -p "$d/evil"
cat >"$d/evil/ldaprc" <<EOR
URI ldap://127.0.0.1:$DEAD/
BASE dc=evil
BINDDN cn=admin,dc=example,dc=org
TLS_REQCERT never
TLS_CACERT $SLAPD_CA_FILE
NETWORK_TIMEOUT 1000
EOR
cp "$d/evil/ldaprc" "$d/evil/.ldaprc"
conf "$d/tls-demand.conf" "uri ${SLAPD_LDAPS_URI}" "base $SLAPD_BASE" "tls_reqcert demand" \
	"tls_cacertfile $d/no-such-ca.pem"
conf "$d/tls-ca.conf" "uri ${SLAPD_LDAPS_URI}" "base $SLAPD_BASE" "tls_reqcert demand" \
	"tls_cacertfile $SLAPD_CA_FILE"
evil=(env -C "$d/evil" HOME="$d/evil" LDAPURI="ldap://127.0.0.1:$DEAD/" LDAPTLS_REQCERT=never
	LDAPBINDDN=cn=evil LDAPTLS_CACERT="$SLAPD_CA_FILE")
expect_rc 0 "${evil[@]}" "$client" "$d/ok.conf" search "(uid=alice)"
expect_match "uri: $SLAPD_URI" "$T_OUT" "hostile ldaprc and LDAP* variables do not change the server"
expect_rc 1 "${evil[@]}" "$client" "$d/tls-demand.conf" search "(uid=alice)"
expect_match "TLS" "$T_OUT" "hostile TLS_REQCERT never does not disable the certificate check"
conf "$d/tls-noca.conf" "uri ${SLAPD_LDAPS_URI}" "base $SLAPD_BASE" "tls_reqcert demand"
expect_rc 1 "${evil[@]}" "$client" "$d/tls-noca.conf" search "(uid=alice)"
expect_match "TLS" "$T_OUT" "hostile TLS_CACERT does not make an untrusted server trusted"
expect_rc 0 "${evil[@]}" "$client" "$d/tls-ca.conf" search "(uid=alice)"
expect_match "uri: ${SLAPD_LDAPS_URI}" "$T_OUT" "ldaps with the configured CA works in the hostile directory"

# StartTLS on the plain port.
conf "$d/starttls.conf" "uri $SLAPD_URI" "base $SLAPD_BASE" "ssl start_tls" "tls_cacertfile $SLAPD_CA_FILE"
expect_rc 0 "$client" "$d/starttls.conf" search "(uid=alice)"

# Service bind with a root-only bind password file.
conf "$d/svc.conf" "uri $SLAPD_URI" "base $SLAPD_BASE" "binddn $SLAPD_NSS_DN" "bindpw_file $SLAPD_NSS_PW_FILE"
expect_rc 0 "$client" "$d/svc.conf" search "(uid=alice)" uid shadowLastChange
expect_match "shadowLastChange: [0-9]+" "$T_OUT" "service bind reads shadow attributes"
chmod 0644 "$SLAPD_NSS_PW_FILE"
expect_rc 1 "$client" "$d/svc.conf" search "(uid=alice)"
expect_match "must be owned by root and not readable" "$T_OUT" "a readable bind password file is refused"
chmod 0600 "$SLAPD_NSS_PW_FILE"

# User binds: right, wrong, empty password, and ppolicy's locked account.
expect_rc 0 "$client" "$d/ok.conf" bind "uid=alice,ou=people,$SLAPD_BASE" alice-Secret-1
expect_rc 1 "$client" "$d/ok.conf" bind "uid=alice,ou=people,$SLAPD_BASE" wrong
expect_match "Permission denied" "$T_OUT" "wrong password: invalid credentials"
expect_rc 1 "$client" "$d/ok.conf" bind "uid=alice,ou=people,$SLAPD_BASE" ""
expect_match "Invalid argument" "$T_OUT" "an empty password never reaches a bind"
expect_rc 1 "$client" "$d/ok.conf" bind "uid=locked,ou=people,$SLAPD_BASE" locked-Secret-1
expect_match "error=1 " "$T_OUT" "ppolicy accountLocked is reported"

# Schema detection.
expect_rc 0 "$client" "$d/ok.conf" schema tenureAccount
expect_rc 1 "$client" "$d/ok.conf" schema noSuchClass

# No descriptor of the client survives exec.
expect_rc 0 "$client" "$d/ok.conf" fds
expect_match "no descriptor inherited" "$T_OUT" "no descriptor survives exec"
expect_rc 0 "$client" "$d/tls-ca.conf" fds

# slapd killed between two calls: the process (default SIGPIPE) survives.
expect_rc 0 "$client" "$d/ok.conf" sigpipe "$SLAPD_PID"
expect_match "survived" "$T_OUT" "killing slapd between calls does not kill the process (plain)"
slapd_restart >/dev/null
expect_rc 0 "$client" "$d/tls-ca.conf" sigpipe "$SLAPD_PID"
expect_match "survived" "$T_OUT" "killing slapd between calls does not kill the process (TLS)"

t_end
