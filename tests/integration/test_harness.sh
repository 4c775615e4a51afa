#!/bin/bash
# The test harness itself: tests/ldap/slapd.sh (library and command),
# seed.ldif, the tenure schema in both forms, the shipped ACLs, and the PAM
# driver.  Everything else builds on these, so they get their own test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
# shellcheck source=tests/ldap/slapd.sh
. "$T_REPO/tests/ldap/slapd.sh"

# Client tools must not pick up /etc/ldap/ldap.conf or ~/.ldaprc settings.
# (LDAPNOINIT would also disable LDAPTLS_CACERT, so point LDAPCONF/LDAPRC at
# nothing instead.)
export LDAPCONF=/dev/null LDAPRC=/dev/null

t_begin harness
work=$(tmpdir_new)

slapd_start "$work/ldap" --tls
people=ou=people,$SLAPD_BASE
t_ok "slapd_start on $SLAPD_URI and $SLAPD_LDAPS_URI"

expect_eq "$(stat -c %a "$SLAPD_ADMIN_PW_FILE")" 600 "admin password file is 0600"
# shellcheck source=/dev/null
expect_eq "$(. "$SLAPD_DIR/env"; echo "$SLAPD_PORT")" "$SLAPD_PORT" "DIR/env matches the exported variables"

admin() { ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" "$@"; }
anon() { ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" "$@"; }
as_nss() { ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -D "$SLAPD_NSS_DN" -y "$SLAPD_NSS_PW_FILE" "$@"; }
whoami_as() { ldapwhoami -x -H "$SLAPD_URI" -D "uid=$1,$people" -w "$2"; }

# --- every seed entry is there
want=$(sed -n 's/^dn: //p' "$T_REPO/tests/ldap/seed.ldif" | tr '[:upper:]' '[:lower:]' | sort)
have=$(admin -b "$SLAPD_BASE" dn | sed -n 's/^dn: //p' | tr '[:upper:]' '[:lower:]' | sort)
expect_eq "$have" "$want" "every seed entry is loaded ($(wc -l <<<"$want") entries)"

# --- binds and ppolicy
expect_rc 0 whoami_as alice alice-Secret-1
expect_match "^dn:uid=alice,$people" "$T_OUT" "ldapwhoami as alice"
expect_rc 49 whoami_as alice wrong-password
expect_rc 49 whoami_as locked locked-Secret-1
expect_rc 0 whoami_as disabled disabled-Secret-1 # refusal is tenure's job
expect_rc 0 ldapwhoami -x -H "$SLAPD_URI" -D "$SLAPD_SYNCD_DN" -y "$SLAPD_SYNCD_PW_FILE"
expect_rc 0 ldapwhoami -x -H "$SLAPD_URI" -D "$SLAPD_NSS_DN" -y "$SLAPD_NSS_PW_FILE"
# Failed binds must not lock an account (tenure's tally does that).
for _ in 1 2 3 4 5 6; do whoami_as bob nope >/dev/null 2>&1 || true; done
expect_rc 0 whoami_as bob bob-Secret-1

# --- TLS
expect_rc 0 env LDAPTLS_CACERT="$SLAPD_CA_FILE" ldapwhoami -x -H "$SLAPD_LDAPS_URI" \
	-D "uid=alice,$people" -w alice-Secret-1
expect_rc 0 env LDAPTLS_CACERT="$SLAPD_CA_FILE" ldapwhoami -x -ZZ -H "$SLAPD_URI" \
	-D "uid=alice,$people" -w alice-Secret-1

# --- schema
oc=$(anon -b cn=Subschema -s base objectClasses)
expect_match "NAME 'tenureAccount'.*AUXILIARY" "$oc" "subschema lists tenureAccount"
at=$(anon -b cn=Subschema -s base attributeTypes)
expect_match "NAME 'tenureLastEvent'" "$at" "subschema lists tenureLastEvent"

# --- placeholders
today=$(($(date -u +%s) / 86400))
v=$(as_nss -b "uid=pwwarn,$people" shadowLastChange | sed -n 's/^shadowLastChange: //p')
expect_eq "$v" "$((today - 87))" "@TODAY_MINUS_87@ substituted for pwwarn"

# --- ACLs
v=$(anon -b "uid=alice,$people" uidNumber gecos loginShell | grep -c -E '^(uidNumber|gecos|loginShell):')
expect_eq "$v" 3 "anonymous reads posix attributes"
v=$(anon -b "uid=expired,$people" userPassword shadowExpire shadowLastChange | grep -c -E '^(userPassword|shadow)' || true)
expect_eq "$v" 0 "anonymous reads no password or shadow attributes"
v=$(as_nss -b "uid=expired,$people" userPassword shadowExpire | grep -c -E '^(userPassword|shadowExpire):' || true)
expect_eq "$v" 1 "nss DN reads shadowExpire but not userPassword"
v=$(anon -b "ou=people,$SLAPD_BASE" -E pr=5/noprompt '(objectClass=posixAccount)' uid | grep -c '^dn:')
expect_eq "$v" 13 "anonymous paged search returns all people"

syncd_modify() {
	ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_SYNCD_DN" -y "$SLAPD_SYNCD_PW_FILE"
}
expect_rc 0 syncd_modify <<-EOF
	dn: uid=carol,$people
	changetype: modify
	add: objectClass
	objectClass: tenureAccount
	-
	replace: shadowExpire
	shadowExpire: 1
	-
	replace: pwdAccountLockedTime
	pwdAccountLockedTime: 000001010000Z
	-
	replace: tenureDisabledAt
	tenureDisabledAt: 20250102030405Z
	-
	replace: tenureDisabledReason
	tenureDisabledReason: leaver: test
	-
	add: tenureLastEvent
	tenureLastEvent: evt-harness-1
EOF
expect_rc 49 whoami_as carol carol-Secret-1
expect_rc 50 ldapdelete -x -H "$SLAPD_URI" -D "$SLAPD_SYNCD_DN" -y "$SLAPD_SYNCD_PW_FILE" "uid=bob,$people"
expect_rc 50 ldapmodify -x -H "$SLAPD_URI" -D "uid=bob,$people" -w bob-Secret-1 <<-EOF
	dn: uid=bob,$people
	changetype: modify
	replace: shadowExpire
	shadowExpire: 99999
EOF
# A user changes their own password (RFC 3062); slapd stores {ARGON2}.
expect_rc 0 ldappasswd -x -H "$SLAPD_URI" -D "uid=bob,$people" -w bob-Secret-1 \
	-a bob-Secret-1 -s bob-Changed-2
expect_rc 0 whoami_as bob bob-Changed-2
expect_match 'userPassword:: e0FSR09OMn0' "$(admin -b "uid=bob,$people" userPassword)" \
	"changed password is stored as {ARGON2}"

# --- restart keeps data and port
port=$SLAPD_PORT sport=$SLAPD_LDAPS_PORT oldpid=$SLAPD_PID
slapd_restart "$SLAPD_DIR"
expect_eq "$SLAPD_PORT/$SLAPD_LDAPS_PORT" "$port/$sport" "restart keeps the ports"
expect_eq "$(kill -0 "$oldpid" 2>/dev/null && echo alive || echo gone)" gone "old slapd gone after restart"
expect_rc 0 whoami_as bob bob-Changed-2
expect_match 'tenureLastEvent: evt-harness-1' "$(as_nss -b "uid=carol,$people" tenureLastEvent)" \
	"restart keeps the data"

# --- a crash (SIGKILL) and restart: mdb keeps committed data
slapd_kill "$SLAPD_DIR"
expect_eq "$(slapd_status "$SLAPD_DIR" || true)" stopped "status after kill"
slapd_restart "$SLAPD_DIR"
expect_rc 0 whoami_as bob bob-Changed-2

# --- stop leaves nothing behind
pid=$SLAPD_PID
slapd_stop "$SLAPD_DIR"
expect_eq "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)" gone "stop: slapd exited"
expect_eq "$(pgrep -f -- "$SLAPD_DIR/slapd.conf" || true)" "" "stop: no process runs the config"

# --- the command-line interface, with the generators
cli=$T_REPO/tests/ldap/slapd.sh
expect_rc 0 "$cli" start "$work/cli" --gen-users 50 --gen-groups 5 --big-group 40 --many-groups-user 8
expect_match 'SLAPD_URI=ldap://127\.0\.0\.1:[0-9]+/' "$T_OUT" "start prints SLAPD_URI"
(
	# A subshell, so this server's variables do not replace the first one's;
	# it counts its own checks and hands them back through a file.
	# shellcheck disable=SC2030
	T_PASS=0 T_FAILED=0
	# shellcheck source=/dev/null
	. "$work/cli/env"
	n=$(anon -b "ou=people,$SLAPD_BASE" -E pr=100/noprompt '(uid=u*)' uid | grep -c '^dn:')
	expect_eq "$n" 50 "--gen-users 50"
	n=$(anon -b "ou=groups,$SLAPD_BASE" '(cn=g*)' cn | grep -c '^dn:')
	expect_eq "$n" 8 "--many-groups-user 8 raises --gen-groups to 8"
	n=$(anon -b "ou=groups,$SLAPD_BASE" '(memberUid=manygroups)' cn | grep -c '^dn:')
	expect_eq "$n" 8 "manygroups is in 8 groups"
	n=$(anon -b "cn=biggroup,ou=groups,$SLAPD_BASE" memberUid | grep -c '^memberUid:')
	expect_eq "$n" 40 "--big-group 40"
	expect_rc 0 ldapwhoami -x -H "$SLAPD_URI" -D "uid=u00042,ou=people,$SLAPD_BASE" -w u00042-Secret-1
	t_end >/dev/null || true
	echo "$T_PASS $T_FAILED" >"$work/cli.counts"
)
read -r p f <"$work/cli.counts"
# shellcheck disable=SC2031
T_PASS=$((T_PASS + p)) T_FAILED=$((T_FAILED + f))
expect_rc 0 "$cli" status "$work/cli"
expect_rc 0 "$cli" stop "$work/cli"
expect_rc 3 "$cli" status "$work/cli"

# --- tenure.ldif loads into a cn=config server with ldapadd
cfg=$work/cfg
mkdir -p "$cfg/slapd.d"
sock=$cfg/ldapi
sock_url="ldapi://${sock//\//%2F}"
cat >"$cfg/config.ldif" <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $cfg/slapd.pid

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcRootDN: gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth
EOF
expect_rc 0 slapadd -n 0 -F "$cfg/slapd.d" -l "$cfg/config.ldif"
# timeout: even if this script is killed, that slapd goes within a minute.
timeout 60 slapd -d 0 -F "$cfg/slapd.d" -h "$sock_url" </dev/null >"$cfg/slapd.log" 2>&1 &
cfg_pid=$!
for _ in $(seq 100); do
	ldapsearch -Q -Y EXTERNAL -H "$sock_url" -b cn=config -s base dn >/dev/null 2>&1 && break
	sleep 0.05
done
expect_rc 0 ldapadd -Q -Y EXTERNAL -H "$sock_url" -f "$T_REPO/examples/ldap/tenure.ldif"
v=$(ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$sock_url" -b cn=schema,cn=config '(cn=*tenure)' olcObjectClasses 2>&1 || true)
expect_match "NAME 'tenureAccount'" "$v" "cn=config holds the tenure schema"
kill "$cfg_pid" 2>/dev/null || true
wait "$cfg_pid" 2>/dev/null || true

# --- the PAM driver
pamdriver=$(t_build_path tests/pamdriver)
if [[ -x $pamdriver ]]; then
	pamd=$work/pam.d
	mkdir -p "$pamd"
	printf '%s\n' "auth required pam_permit.so" "account required pam_permit.so" \
		"session required pam_permit.so" "password required pam_permit.so" >"$pamd/permit"
	printf '%s\n' "auth required pam_deny.so" "account required pam_deny.so" >"$pamd/deny"
	expect_rc 0 "$pamdriver" -D "$pamd" -s permit -u alice -r 192.0.2.1 -t pts/0 auth acct open close
	expect_match 'OP: auth = PAM_SUCCESS \(0\)' "$T_OUT" "pam_permit: auth = PAM_SUCCESS"
	expect_rc 7 "$pamdriver" -D "$pamd" -s deny -u alice auth acct
	expect_match 'OP: auth = PAM_AUTH_ERR \(7\)' "$T_OUT" "pam_deny: auth = PAM_AUTH_ERR"
	expect_eq "$(grep -c 'OP: acct' <<<"$T_OUT" || true)" 0 "pamdriver stops at the first failing op"
	expect_rc 0 "$pamdriver" -D "$pamd" -s permit -u alice -e TENURE_TEST=1 -E open
	expect_match 'ENV: TENURE_TEST=1' "$T_OUT" "pamdriver -e/-E"
	expect_rc 64 "$pamdriver" -D "$pamd" -s permit -u alice bogus-op
else
	t_fail "pamdriver not built at $pamdriver"
fi

t_end
