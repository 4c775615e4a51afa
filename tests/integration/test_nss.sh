#!/bin/bash
# libnss_tenure.so.2 against a real slapd: getent -s tenure passwd|group|
# shadow|initgroups, and nss_stress for exact NSS status/errno, re-entrancy,
# descriptors, SIGPIPE, a server that is down and one that never answers,
# and a hostile ldaprc.  Threads and fork: test_nss_threads.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
t_begin test_nss

B=$TENURE_BUILD
STRESS=$B/tests/nss_stress
if [[ ! -e $B/libnss_tenure.so.2 || ! -x $STRESS ]]; then
	t_fail "build $B/libnss_tenure.so.2 and $STRESS first"
	t_end
	exit 1
fi

tmp=$(tmpdir_new)
chmod 711 "$tmp"
# biggroup: 10,000 memberUid values (the users need not exist); cyc1 and
# cyc2 name each other as members (a loop for nss_nested_groups).
cat >"$tmp/cycle.ldif" <<EOF
dn: cn=cyc1,ou=groups,dc=example,dc=org
objectClass: posixGroup
objectClass: extensibleObject
cn: cyc1
gidNumber: 10031
member: cn=cyc2,ou=groups,dc=example,dc=org
member: uid=pwwarn,ou=people,dc=example,dc=org

dn: cn=cyc2,ou=groups,dc=example,dc=org
objectClass: posixGroup
objectClass: extensibleObject
cn: cyc2
gidNumber: 10032
member: cn=cyc1,ou=groups,dc=example,dc=org
memberUid: mustchange
EOF
slapd_start "$tmp/ldap" --big-group 10000 --ldif "$tmp/cycle.ldif" || { t_fail "slapd start"; t_end; exit 1; }
today=$(($(date -u +%s) / 86400))

# conf NAME [extra lines...]: a config file in $tmp/conf, readable by all.
mkdir -p "$tmp/conf" && chmod 755 "$tmp/conf"
conf() {
	local f=$tmp/conf/$1.conf
	shift
	{
		echo "uri $SLAPD_URI"
		echo "base $SLAPD_BASE"
		echo "binddn $SLAPD_NSS_DN"
		echo "bindpw_file $SLAPD_NSS_PW_FILE"
		echo "timelimit 5"
		echo "bind_timelimit 3"
		printf '%s\n' "$@"
	} >"$f"
	chmod 644 "$f"
	echo "$f"
}
ge() { # ge CONF getent-args...
	local c=$1
	shift
	LD_LIBRARY_PATH=$B TENURE_CONF=$c getent -s tenure "$@"
}
st() { # st CONF nss_stress-args...
	local c=$1
	shift
	LD_LIBRARY_PATH=$B TENURE_CONF=$c "$STRESS" "$@"
}

C=$(conf default)

# ---- passwd ----
expect_eq "$(ge "$C" passwd alice)" "alice:x:10001:10001:Alice Liddell:/home/alice:/bin/bash" "passwd alice"
expect_eq "$(ge "$C" passwd 10002)" "bob:x:10002:10001:Bob Builder:/home/bob:/bin/bash" "passwd by uid 10002"
expect_eq "$(ge "$C" passwd zhangwei | cut -d: -f1,3,5)" "zhangwei:10004:Zhang Wei" "passwd zhangwei (gecos attribute preferred over cn)"
for k in ALICE Alice evilroot 0 lowuid 500 badgecos nosuchuser '*' 'alice)(uid=*' 'alice*'; do
	expect_rc 2 ge "$C" passwd "$k"
done
out=$(ge "$C" passwd)
expect_eq "$(printf '%s\n' "$out" | wc -l)" 10 "getent passwd: 10 entries (evilroot, lowuid, badgecos dropped)"
expect_eq "$(printf '%s\n' "$out" | awk -F: '$3 < 1000 || $2 != "x"' | wc -l)" 0 "getent passwd: no uid below 1000, password field x"
expect_eq "$(printf '%s\n' "$out" | awk -F: 'NF != 7' | wc -l)" 0 "getent passwd: every line has 7 fields"

# ---- group ----
expect_eq "$(ge "$C" group staff)" "staff:x:10001:alice,bob,carol,zhangwei" "group staff (memberUid)"
expect_eq "$(ge "$C" group developers)" "developers:x:10020:alice,bob" "group developers (member DNs, rfc2307bis)"
expect_eq "$(ge "$C" group admins)" "admins:x:10021:carol" "group admins: nested group not followed by default"
expect_eq "$(ge "$C" group 10023)" "projectx:x:10023:alice,zhangwei" "group by gid"
for k in wheel0 0 lowgid 500 STAFF nosuchgroup '*'; do
	expect_rc 2 ge "$C" group "$k"
done
out=$(ge "$C" group)
expect_eq "$(printf '%s\n' "$out" | wc -l)" 9 "getent group: 9 groups (wheel0, lowgid dropped)"
expect_eq "$(printf '%s\n' "$out" | awk -F: '$3 < 1000' | wc -l)" 0 "getent group: no gid below 1000"

expect_eq "$(ge "$C" group biggroup | awk -F: '{ print $3, split($4, m, ",") }')" "29999 10000" "a group of 10,000 members resolves (buffer grown on ERANGE)"
expect_match "^TRYAGAIN ERANGE" "$(st "$C" lookup group biggroup 65536)" "biggroup in 64 KiB: TRYAGAIN/ERANGE"
expect_match "^SUCCESS 0 biggroup:x:29999:u00001," "$(st "$C" lookup group biggroup 1048576)" "biggroup in 1 MiB: SUCCESS"

# ---- initgroups ----
expect_eq "$(ge "$C" initgroups alice | tr -s ' ')" "alice 10001 10020 10022 10023 10027" "initgroups alice (memberUid + member DN, no gid 0/500)"
expect_eq "$(ge "$C" initgroups carol | tr -s ' ')" "carol 10001 10021 10022" "initgroups carol"

# ---- shadow (root only) ----
expect_eq "$(ge "$C" shadow alice)" "alice:*:$((today - 10)):0:90:7:::" "shadow alice as root (service bind), password field *"
expect_rc 2 ge "$C" shadow evilroot
expect_rc 2 ge "$C" shadow lowuid
# badgecos is there: its shadow line carries no GECOS.
expect_eq "$(ge "$C" shadow | wc -l)" 11 "getent shadow: 11 entries (no uid below 1000)"
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	out=$(LD_LIBRARY_PATH=$B TENURE_CONF=$C setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$STRESS" lookup shadow alice 2>&1)
	expect_eq "$out" "UNAVAIL EACCES " "shadow as nobody: UNAVAIL/EACCES"
	out=$(LD_LIBRARY_PATH=$B TENURE_CONF=$C setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$STRESS" lookup passwd alice 2>&1)
	expect_match "^SUCCESS 0 alice:x:10001" "$out" "passwd as nobody (anonymous)"
else
	t_skip "shadow as nobody" "no nobody user or setpriv"
fi

# ---- options ----
C2=$(conf nested "nss_nested_groups yes")
expect_eq "$(ge "$C2" group admins)" "admins:x:10021:alice,bob,carol" "nss_nested_groups: admins holds developers' members"
expect_eq "$(ge "$C2" initgroups alice | tr -s ' ' '\n' | sort | xargs)" "10001 10020 10021 10022 10023 10027 alice" "nss_nested_groups: initgroups alice includes admins"
expect_eq "$(timeout 20 bash -c "LD_LIBRARY_PATH=$B TENURE_CONF=$C2 getent -s tenure group cyc1")" "cyc1:x:10031:mustchange,pwwarn" \
	"nested groups that name each other: bounded by the depth, members once"
expect_eq "$(ge "$C" group cyc1)" "cyc1:x:10031:pwwarn" "without nss_nested_groups: only direct members"
C2=$(conf nested1 "nss_nested_groups yes" "nss_nested_depth 1")
expect_eq "$(ge "$C2" initgroups bob | tr -s ' ')" "bob 10001 10020" "nss_nested_depth 1: one level only"
C2=$(conf noenum "enumerate no")
expect_eq "$(ge "$C2" passwd | wc -l)" 0 "enumerate no: getent passwd lists nothing"
expect_eq "$(ge "$C2" group | wc -l)" 0 "enumerate no: getent group lists nothing"
expect_eq "$(ge "$C2" passwd bob | cut -d: -f1)" "bob" "enumerate no: lookups by name still work"
C2=$(conf skip "nss_getgrent_skipmembers yes")
expect_eq "$(ge "$C2" group staff)" "staff:x:10001:" "nss_getgrent_skipmembers: no members"
C2=$(conf names 'validnames /^[b-z][a-z]*$/')
expect_rc 2 ge "$C2" passwd alice
expect_eq "$(ge "$C2" passwd bob | cut -d: -f1)" "bob" "validnames: bob accepted, alice refused"
C2=$(conf anyname 'validnames /^.*$/')
for k in '*' 'alice)(uid=*' 'a*' '\2a' 'alice)(|(uid=*'; do
	expect_rc 2 ge "$C2" passwd "$k"
done
# Unescaped, these would be filter syntax errors (UNAVAIL) or wildcards.
for k in 'a)(b' 'x*' 'al\69ce' '(uid=alice)'; do
	expect_eq "$(st "$C2" lookup passwd "$k")" "NOTFOUND ENOENT " "RFC 4515 escaping: passwd \"$k\" is NOTFOUND"
	expect_eq "$(st "$C2" lookup group "$k")" "NOTFOUND ENOENT " "RFC 4515 escaping: group \"$k\" is NOTFOUND"
done
C2=$(conf minuid "nss_min_uid 10003" "nss_min_gid 10021")
expect_eq "$(ge "$C2" passwd | awk -F: '$3 < 10003' | wc -l)" 0 "nss_min_uid 10003: no lower uid listed"
expect_rc 2 ge "$C2" passwd bob
expect_eq "$(ge "$C2" initgroups alice | tr -s ' ')" "alice 10022 10023 10027" "nss_min_gid 10021: initgroups drops lower gids"
C2=$(conf filter "filter_passwd (&(objectClass=posixAccount)(loginShell=/bin/sh))")
expect_eq "$(ge "$C2" passwd | cut -d: -f1)" "carol" "filter_passwd narrows the users"
C2=$(conf basegrp "base_group ou=people,$SLAPD_BASE")
expect_eq "$(ge "$C2" group | wc -l)" 0 "base_group elsewhere: no groups"

# ---- exact status and errno; ERANGE retries (named and enumeration) ----
out=$(st "$C" rules 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^ok' >&2
expect_eq "$rc" 0 "nss_stress rules ($(printf '%s\n' "$out" | grep -c '^ok') checks)"
C0=$(conf nocache "cache_ttl 0" "cache_negative_ttl 0")
out=$(st "$C0" rules 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^ok' >&2
expect_eq "$rc" 0 "nss_stress rules without the cache"

# ---- the cache: a change in LDAP is seen after cache_ttl, not before ----
modify_gecos() {
	printf 'dn: uid=bob,ou=people,%s\nchangetype: modify\nreplace: gecos\ngecos: %s\n' "$SLAPD_BASE" "$1" |
		ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" >/dev/null
}
export -f modify_gecos
export SLAPD_BASE SLAPD_URI SLAPD_ADMIN_DN SLAPD_ADMIN_PW_FILE
expect_eq "$(st "$C" twice bob bash -c 'modify_gecos "Bob Two"')" "Bob Builder|Bob Builder" "cache_ttl 30: the second lookup is answered from the cache"
expect_eq "$(st "$C0" twice bob bash -c 'modify_gecos "Bob Three"')" "Bob Two|Bob Three" "cache_ttl 0: the second lookup sees the change"
modify_gecos "Bob Builder"

# ---- no config, or a bad one: UNAVAIL, never a guess ----
expect_eq "$(st "$tmp/conf/missing.conf" lookup passwd alice)" "UNAVAIL ENOENT " "no config file: UNAVAIL"
CB=$(conf bad "nss_min_uid -5")
expect_eq "$(st "$CB" lookup passwd alice)" "UNAVAIL ENOENT " "invalid config: UNAVAIL"
chmod 666 "$CB"
sed -i '/nss_min_uid/d' "$CB"
expect_eq "$(st "$CB" lookup passwd alice)" "UNAVAIL ENOENT " "config writable by others, read by root: refused, UNAVAIL"

# ---- the config is read again when it changes (and the cache emptied) ----
CR=$(conf reload)
expect_eq "$(st "$CR" twice bob bash -c "sleep 1.2; echo 'nss_min_uid 20000' >>'$CR'")" "Bob Builder|-" \
	"config changed in a running process: the new nss_min_uid applies, cached entry gone"
CR=$(conf reload-bad)
expect_eq "$(st "$CR" twice bob bash -c "sleep 1.2; echo 'no_such_key 1' >>'$CR'")" "Bob Builder|Bob Builder" \
	"config changed to something invalid: the last good one stays"

# ---- an unsafe entry: dropped, logged once (syslog intercepted) ----
out=$(st "$C0" droplog 2>&1)
rc=$?
printf '%s\n' "$out" >&2
expect_eq "$rc" 0 "entry with ':' in a field: dropped on every path, logged once to authpriv"

# ---- re-entrancy, descriptors ----
out=$(st "$C0" reent 2>&1)
rc=$?
printf '%s\n' "$out" >&2
expect_eq "$rc" 0 "re-entrant lookup from inside a lookup: UNAVAIL, outer one fine"
out=$(st "$C0" fdexec 2>&1)
rc=$?
printf '%s\n' "$out" >&2
expect_eq "$rc" 0 "one descriptor added, none survives exec"

# ---- a hostile ldaprc / LDAP* environment in the cwd of a root process ----
hostile=$tmp/hostile
mkdir -p "$hostile"
for f in ldaprc .ldaprc; do
	printf '%s\n' "URI ldap://127.0.0.1:1/" "BASE o=evil" "BINDDN cn=evil" "SIZELIMIT 1" \
		"TIMELIMIT 1" "DEREF always" "TLS_REQCERT never" "NETWORK_TIMEOUT 0" >"$hostile/$f"
done
out=$(cd "$hostile" && LDAPURI=ldap://127.0.0.1:1/ LDAPBASE=o=evil LDAPSIZELIMIT=1 ge "$C0" passwd | wc -l)
expect_eq "$out" 10 "hostile ldaprc + LDAP* variables: enumeration unchanged"
out=$(cd "$hostile" && ge "$C0" passwd alice)
expect_eq "$out" "alice:x:10001:10001:Alice Liddell:/home/alice:/bin/bash" "hostile ldaprc: lookup unchanged"
# TLS: a hostile ldaprc must not switch off the certificate check.
slapd_start "$tmp/ldaps" --tls || t_fail "slapd --tls start"
if [[ -n ${SLAPD_LDAPS_URI:-} ]]; then
	CT=$(conf tls_noca "uri $SLAPD_LDAPS_URI" "cache_ttl 0")
	sed -i "0,/^uri /{/^uri ldap:/d}" "$CT"
	CA=$(conf tls_ca "uri $SLAPD_LDAPS_URI" "tls_cacertfile $SLAPD_CA_FILE" "cache_ttl 0")
	sed -i "0,/^uri /{/^uri ldap:/d}" "$CA"
	expect_match "^SUCCESS 0 alice:" "$(st "$CA" lookup passwd alice)" "ldaps with the test CA: works"
	expect_match "^UNAVAIL " "$(st "$CT" lookup passwd alice)" "ldaps without trusting the test CA: UNAVAIL"
	for f in ldaprc .ldaprc; do
		printf '%s\n' "TLS_REQCERT never" "TLS_CACERT $SLAPD_CA_FILE" >"$hostile/$f"
	done
	out=$(cd "$hostile" && LDAPTLS_REQCERT=never LDAPTLS_CACERT=$SLAPD_CA_FILE st "$CT" lookup passwd alice)
	expect_match "^UNAVAIL " "$out" "hostile ldaprc/LDAPTLS_* cannot switch the certificate check off"
	slapd_stop "$tmp/ldaps"
	. "$tmp/ldap/env"
fi

# ---- server gone: no SIGPIPE death, bounded time, black hole ----
out=$(st "$C0" sigpipe bash "$here/../ldap/slapd.sh" kill "$tmp/ldap" 2>&1)
rc=$?
printf '%s\n' "$out" >&2
expect_eq "$rc" 0 "slapd killed between lookups: process with default SIGPIPE survives, UNAVAIL"
out=$(st "$C0" resetter "$tmp/conf/resetter.conf" 2>&1)
rc=$?
printf '%s\n' "$out" >&2
expect_eq "$rc" 0 "server that resets connections: writes on a reset socket raise no SIGPIPE (exit 141 without the guard)"
out=$(st "$C0" down "$tmp/conf/down.conf" 2>&1)
rc=$?
printf '%s\n' "$out" >&2
expect_eq "$rc" 0 "server down: first lookup within bind_timelimit, next 1000 within 1 s"
out=$(st "$C0" blackhole "$tmp/conf/blackhole.conf" 2>&1)
rc=$?
printf '%s\n' "$out" >&2
expect_eq "$rc" 0 "server that accepts and never answers: bounded by timelimit"
slapd_restart "$tmp/ldap" || t_fail "slapd restart"
expect_eq "$(ge "$C0" passwd alice | cut -d: -f1)" "alice" "after restart: a new process resolves again"

t_end
