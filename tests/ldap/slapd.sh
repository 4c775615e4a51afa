#!/bin/bash
# slapd.sh -- a throwaway OpenLDAP server for tenure's tests, benchmarks and demo.
#
# Everything lives in one directory DIR of your choosing; /etc/ldap and the
# system slapd are never touched.  The server listens on a free loopback port
# only.  It runs as the calling user (root in CI).
#
# As a command:
#   slapd.sh start DIR [options]   fresh database from seed.ldif (+ options),
#                                  start, print the variables below
#   slapd.sh stop DIR              SIGTERM, wait for exit
#   slapd.sh kill DIR              SIGKILL (crash tests), wait for exit
#   slapd.sh restart DIR           stop if running, start again with the same
#                                  data on the same port(s)
#   slapd.sh status DIR            "running PID URI" (exit 0) or "stopped" (3)
#
#   start options:
#     --ldif FILE            also load FILE (repeatable, after seed.ldif)
#     --tls                  also listen on ldaps:// (throwaway CA in DIR/tls)
#     --gen-users N          users u00001..uN: uidNumber 20000+i, gidNumber
#                            10001, password u00001-Secret-1 ...
#     --gen-groups N         groups g0001..gN: gidNumber 30000+i, memberUid
#                            u<i> (the user with the same number)
#     --big-group M          group biggroup (gidNumber 29999) with memberUid
#                            u00001..uM (whether or not those users exist)
#     --many-groups-user K   user manygroups (uidNumber 19999) in g0001..gK;
#                            raises --gen-groups to K if it was lower
#
# As a library (bash):
#   . tests/ldap/slapd.sh
#   slapd_start DIR [options]   same as above, and exports the variables
#   slapd_stop [DIR]  slapd_kill [DIR]  slapd_restart [DIR]  slapd_status [DIR]
#                               DIR defaults to $SLAPD_DIR (the last started)
#   slapd_cleanup               stops every server this shell started.  It is
#                               run from the EXIT trap that slapd_start installs
#                               (composed with any EXIT trap already set).  If
#                               you set your own EXIT trap afterwards, call
#                               slapd_cleanup from it.  A watchdog also stops
#                               the servers if the shell dies by SIGKILL.
#   Sourcing does not change your shell options.
#
# Variables (written to DIR/env as shell assignments, printed by `start`,
# exported by slapd_start/slapd_restart):
#   SLAPD_URI            ldap://127.0.0.1:PORT/
#   SLAPD_PORT  SLAPD_PID  SLAPD_DIR  SLAPD_CONF  SLAPD_LOG
#   SLAPD_BASE           dc=example,dc=org
#   SLAPD_ADMIN_DN       cn=admin,dc=example,dc=org (rootdn)
#   SLAPD_ADMIN_PW_FILE  mode 0600, no trailing newline (ldapsearch -y FILE)
#   SLAPD_SYNCD_DN  SLAPD_SYNCD_PW_FILE   cn=tenure-syncd,ou=services,...
#   SLAPD_NSS_DN    SLAPD_NSS_PW_FILE     cn=tenure-nss,ou=services,...
#   with --tls: SLAPD_LDAPS_URI (ldaps://127.0.0.1:PORT2/), SLAPD_LDAPS_PORT,
#               SLAPD_CA_FILE (PEM; the server cert names 127.0.0.1 and
#               localhost, and also serves StartTLS on SLAPD_URI)
#
# Environment knobs: SLAPD_DEBUG (slapd -d level, default 0; e.g. "stats"
# logs every operation to DIR/slapd.log), SLAPD_START_TIMEOUT (seconds,
# default 10), SLAPD_UNIQUE (0 leaves out the unique overlay).
#
# The server: back_mdb (dbnosync: fast, and still safe against a killed
# slapd, only not against a power cut), ppolicy overlay with the default
# policy cn=default,ou=policies (no lockout, so tenure's own tally is what is
# tested), {ARGON2} password hashing with tiny cost parameters so tests stay
# fast, the ACLs and limits of examples/ldap/acl.conf, the unique overlay on
# uidNumber of examples/ldap/unique.conf, and the tenure schema of
# examples/ldap/tenure.schema.
#
# LDIF placeholders, replaced in seed.ldif and --ldif files before loading:
# @TODAY@, @TODAY_MINUS_N@, @TODAY_PLUS_N@ = days since 1970-01-01 (UTC),
# the unit of shadowLastChange/shadowExpire.

_SLAPD_SH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_SLAPD_REPO=$(cd "$_SLAPD_SH_DIR/../.." && pwd)
_SLAPD_BASE="dc=example,dc=org"
_SLAPD_ADMIN_DN="cn=admin,$_SLAPD_BASE"
_SLAPD_SYNCD_DN="cn=tenure-syncd,ou=services,$_SLAPD_BASE"
_SLAPD_NSS_DN="cn=tenure-nss,ou=services,$_SLAPD_BASE"
# Fixed test passwords, the same as in seed.ldif (the admin one only lives
# in slapd.conf): tests are easier to debug by hand with known values.
_SLAPD_ADMIN_PW="admin-Secret-1"
_SLAPD_SYNCD_PW="syncd-Secret-1"
_SLAPD_NSS_PW="nss-Secret-1"
_SLAPD_VARS=(SLAPD_URI SLAPD_PORT SLAPD_PID SLAPD_DIR SLAPD_CONF SLAPD_LOG
	SLAPD_BASE SLAPD_ADMIN_DN SLAPD_ADMIN_PW_FILE SLAPD_SYNCD_DN
	SLAPD_SYNCD_PW_FILE SLAPD_NSS_DN SLAPD_NSS_PW_FILE
	SLAPD_LDAPS_URI SLAPD_LDAPS_PORT SLAPD_CA_FILE)
# Directories of the servers started by this shell, for slapd_cleanup.
_SLAPD_STARTED=()
_SLAPD_WATCHDOG=""

_slapd_err() {
	echo "slapd.sh: $*" >&2
	return 1
}

# Tools needed; slapd and slapadd are in /usr/sbin, not always in PATH.
_slapd_path() {
	case ":$PATH:" in
	*:/usr/sbin:*) ;;
	*) PATH="$PATH:/usr/sbin:/sbin" ;;
	esac
	local t
	for t in slapd slapadd ldapsearch openssl awk; do
		command -v "$t" >/dev/null ||
			_slapd_err "$t not found (apt-get install -y slapd ldap-utils openssl)" ||
			return 1
	done
}

_slapd_abs() {
	mkdir -p -- "$1" && (cd -- "$1" && pwd)
}

# True if PID is a live (not zombie) slapd run from DIR's config: a stale
# pidfile must never make us signal an unrelated process that reused the PID.
_slapd_alive() {
	local pid=$1 dir=$2 state cmd
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/stat ]] || return 1
	state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	if [[ $state == Z ]]; then
		wait "$pid" 2>/dev/null || true # our child: reap it
		return 1
	fi
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmd == *slapd*"$dir/slapd.conf"* ]]
}

_slapd_pid_of() {
	local dir=$1 pid=""
	[[ -r $dir/slapd.pid ]] && read -r pid <"$dir/slapd.pid"
	if [[ -z $pid && -r $dir/env ]]; then
		pid=$(sed -n 's/^SLAPD_PID=//p' "$dir/env")
	fi
	echo "$pid"
}

# Days since the epoch, UTC (shadow(5) unit).
_slapd_today() {
	echo $(($(date -u +%s) / 86400))
}

# Copy an LDIF file, replacing the @TODAY...@ placeholders, and make sure it
# ends with a blank line so that files can be concatenated.
_slapd_subst() {
	awk -v today="$(_slapd_today)" '
	{
		while (match($0, /@TODAY(_(MINUS|PLUS)_[0-9]+)?@/)) {
			tok = substr($0, RSTART + 1, RLENGTH - 2)
			n = split(tok, p, "_")
			v = today
			if (n == 3) v = (p[2] == "MINUS") ? today - p[3] : today + p[3]
			$0 = substr($0, 1, RSTART - 1) v substr($0, RSTART + RLENGTH)
		}
		print
	}
	END { print "" }' "$1"
}

# The big-data generators.  awk, not a loop of echos: 10,000 users take a
# fraction of a second.
_slapd_generate() {
	local users=$1 groups=$2 big=$3 many=$4
	awk -v users="$users" -v groups="$groups" -v big="$big" -v many="$many" \
		-v base="$_SLAPD_BASE" -v today="$(_slapd_today)" '
	BEGIN {
		for (i = 1; i <= users; i++) {
			u = sprintf("u%05d", i)
			printf "dn: uid=%s,ou=people,%s\n", u, base
			print "objectClass: inetOrgPerson"
			print "objectClass: posixAccount"
			print "objectClass: shadowAccount"
			printf "uid: %s\ncn: Generated User %05d\nsn: User %05d\n", u, i, i
			printf "employeeNumber: G%05d\n", i
			printf "uidNumber: %d\ngidNumber: 10001\n", 20000 + i
			printf "gecos: Generated User %05d\n", i
			printf "homeDirectory: /home/%s\nloginShell: /bin/bash\n", u
			printf "shadowLastChange: %d\nshadowMax: 90\nshadowWarning: 7\n", today - 10
			printf "userPassword: %s-Secret-1\n\n", u
		}
		if (many > 0) {
			printf "dn: uid=manygroups,ou=people,%s\n", base
			print "objectClass: inetOrgPerson"
			print "objectClass: posixAccount"
			print "objectClass: shadowAccount"
			print "uid: manygroups\ncn: Many Groups\nsn: Groups"
			print "uidNumber: 19999\ngidNumber: 10001\ngecos: Many Groups"
			print "homeDirectory: /home/manygroups\nloginShell: /bin/bash"
			printf "shadowLastChange: %d\nshadowMax: 90\n", today - 10
			print "userPassword: manygroups-Secret-1\n"
		}
		for (i = 1; i <= groups; i++) {
			printf "dn: cn=g%04d,ou=groups,%s\n", i, base
			print "objectClass: posixGroup"
			printf "cn: g%04d\ngidNumber: %d\n", i, 30000 + i
			if (i <= users) printf "memberUid: u%05d\n", i
			if (i <= many) print "memberUid: manygroups"
			print ""
		}
		if (big > 0) {
			printf "dn: cn=biggroup,ou=groups,%s\n", base
			print "objectClass: posixGroup"
			print "cn: biggroup\ngidNumber: 29999"
			for (i = 1; i <= big; i++) printf "memberUid: u%05d\n", i
			print ""
		}
	}'
}

# Throwaway CA and server certificate (EC P-256: instant to generate, and
# GnuTLS, which Debian links slapd with, reads the PEM files directly).
_slapd_make_tls() {
	local tls=$1/tls san h
	mkdir -p "$tls" && chmod 700 "$tls" || return 1
	(
		set -e
		cd "$tls"
		openssl req -x509 -new -nodes -days 30 \
			-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-keyout ca.key -out ca.pem -subj "/CN=tenure test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -new -nodes \
			-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-keyout server.key -out server.csr -subj "/CN=localhost"
		# libldap checks the name it gets back from a reverse lookup of the
		# peer address, which for 127.0.0.1 may be this machine's name.
		san="IP:127.0.0.1,DNS:localhost"
		for h in "$(hostname 2>/dev/null)" "$(hostname -f 2>/dev/null)"; do
			[[ -n $h && $h != localhost ]] && san+=",DNS:$h"
		done
		printf '%s\n' "subjectAltName=$san" \
			"basicConstraints=CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" >server.ext
		openssl x509 -req -days 30 -in server.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -out server.pem -extfile server.ext
		chmod 600 ca.key server.key
		chmod 644 ca.pem
	) >"$1/tls.log" 2>&1 || _slapd_err "certificate generation failed, see $1/tls.log"
}

_slapd_write_conf() {
	local dir=$1 tls=$2
	local schema=/etc/ldap/schema ex=$_SLAPD_REPO/examples/ldap
	(
		umask 077
		cat >"$dir/slapd.conf" <<-EOF
			# Throwaway test server written by tests/ldap/slapd.sh; do not edit.
			include $schema/core.schema
			include $schema/cosine.schema
			include $schema/nis.schema
			include $schema/inetorgperson.schema
			include $ex/tenure.schema

			pidfile $dir/slapd.pid
			argsfile $dir/slapd.args

			modulepath /usr/lib/ldap
			moduleload back_mdb
			# ppolicy carries its own schema in 2.5 (no ppolicy.schema include).
			moduleload ppolicy
			# Tiny Argon2 cost (64 KiB, 1 pass) so that binds and password
			# changes of thousands of test users stay fast.
			moduleload argon2 m=64 t=1 p=1
			password-hash {ARGON2}
			moduleload unique

			# Root DSE and subschema: clients discover controls and schema.
			access to dn.base="" by * read
			access to dn.base="cn=Subschema" by * read
		EOF
		if [[ $tls == 1 ]]; then
			cat >>"$dir/slapd.conf" <<-EOF

				TLSCACertificateFile $dir/tls/ca.pem
				TLSCertificateFile $dir/tls/server.pem
				TLSCertificateKeyFile $dir/tls/server.key
			EOF
		fi
		cat >>"$dir/slapd.conf" <<-EOF

			database mdb
			suffix "$_SLAPD_BASE"
			rootdn "$_SLAPD_ADMIN_DN"
			rootpw $_SLAPD_ADMIN_PW
			directory $dir/db
			# Sparse file; the 10 MiB default is too small for the big-data tests.
			maxsize 4294967296
			dbnosync

			index objectClass eq
			index uid,uidNumber,gidNumber,memberUid,member,uniqueMember eq
			index cn,employeeNumber,entryUUID eq

			overlay ppolicy
			ppolicy_default "cn=default,ou=policies,$_SLAPD_BASE"
			ppolicy_use_lockout
			# Clear-text userPassword in an add/modify is stored as {ARGON2}.
			ppolicy_hash_cleartext

			include $ex/acl.conf
		EOF
		# One uidNumber per person (SLAPD_UNIQUE=0: a directory without it).
		if [[ ${SLAPD_UNIQUE:-1} != 0 ]]; then
			echo "include $ex/unique.conf" >>"$dir/slapd.conf"
		fi
	)
}

_slapd_write_secrets() {
	local dir=$1
	(
		umask 077
		# No trailing newline: ldapsearch -y uses the whole file as password.
		printf '%s' "$_SLAPD_ADMIN_PW" >"$dir/admin.pw"
		printf '%s' "$_SLAPD_SYNCD_PW" >"$dir/syncd.pw"
		printf '%s' "$_SLAPD_NSS_PW" >"$dir/nss.pw"
	)
}

# Random port in 20000-60000.
_slapd_random_port() {
	echo $((20000 + (RANDOM * 32768 + RANDOM) % 40001))
}

# Start slapd for DIR on the given port(s) and wait until it answers.
# Returns 0 when up (pid in _SLAPD_LAUNCHED_PID), 2 if a port was in use,
# 1 on any other failure.
_slapd_launch() {
	local dir=$1 port=$2 sport=$3 urls pid i limit
	urls="ldap://127.0.0.1:$port/"
	[[ -n $sport ]] && urls+=" ldaps://127.0.0.1:$sport/"
	rm -f "$dir/slapd.pid"
	echo "=== $(date -u +%FT%TZ) slapd.sh: starting on $urls" >>"$dir/slapd.log"
	# -d keeps slapd in the foreground, so $! is its pid and we see it die;
	# its output goes to the log, never to our stdout (which may be a pipe
	# that $(...) in the caller waits on).
	slapd -d "${SLAPD_DEBUG:-0}" -f "$dir/slapd.conf" -h "$urls" \
		</dev/null >>"$dir/slapd.log" 2>&1 &
	pid=$!
	limit=$((${SLAPD_START_TIMEOUT:-10} * 20))
	for ((i = 0; i < limit; i++)); do
		if ! kill -0 "$pid" 2>/dev/null || _slapd_zombie "$pid"; then
			wait "$pid" 2>/dev/null || true
			# At -d 0 slapd exits silently (status 1) when a port is
			# taken; a TIME-WAIT connection using it is enough.
			if grep -q -e 'errno=98' -e 'Address already in use' \
				<(tail -n 20 "$dir/slapd.log") ||
				[[ -n $(ss -Htan "( sport = :$port or sport = :${sport:-$port} )" 2>/dev/null) ]]; then
				return 2
			fi
			_slapd_err "slapd exited during start-up; last lines of $dir/slapd.log:"
			tail -n 15 "$dir/slapd.log" >&2
			return 1
		fi
		if LDAPNOINIT=1 ldapsearch -x -LLL -o nettimeout=2 -H "ldap://127.0.0.1:$port/" \
			-b "" -s base "(objectClass=*)" namingContexts >/dev/null 2>&1; then
			_SLAPD_LAUNCHED_PID=$pid
			return 0
		fi
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	_slapd_err "slapd did not answer within ${SLAPD_START_TIMEOUT:-10} s, see $dir/slapd.log"
}

_slapd_zombie() {
	[[ $(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) == Z ]]
}

_slapd_write_env() {
	local dir=$1 v
	(
		umask 022
		for v in "${_SLAPD_VARS[@]}"; do
			[[ -n ${!v:-} ]] || continue
			# Plain values stay unquoted (easy to read and to grep).
			if [[ ${!v} =~ ^[A-Za-z0-9_./:=,@+-]*$ ]]; then
				printf '%s=%s\n' "$v" "${!v}"
			else
				printf '%s=%q\n' "$v" "${!v}"
			fi
		done >"$dir/env.tmp"
		mv -f "$dir/env.tmp" "$dir/env"
	)
}

# Set and export the SLAPD_* variables of a running/started instance.
_slapd_set_vars() {
	local dir=$1 port=$2 sport=$3 pid=$4
	export SLAPD_DIR=$dir SLAPD_PORT=$port SLAPD_PID=$pid
	export SLAPD_URI="ldap://127.0.0.1:$port/"
	export SLAPD_CONF=$dir/slapd.conf SLAPD_LOG=$dir/slapd.log
	export SLAPD_BASE=$_SLAPD_BASE SLAPD_ADMIN_DN=$_SLAPD_ADMIN_DN
	export SLAPD_ADMIN_PW_FILE=$dir/admin.pw
	export SLAPD_SYNCD_DN=$_SLAPD_SYNCD_DN SLAPD_SYNCD_PW_FILE=$dir/syncd.pw
	export SLAPD_NSS_DN=$_SLAPD_NSS_DN SLAPD_NSS_PW_FILE=$dir/nss.pw
	if [[ -n $sport ]]; then
		export SLAPD_LDAPS_PORT=$sport SLAPD_LDAPS_URI="ldaps://127.0.0.1:$sport/"
		export SLAPD_CA_FILE=$dir/tls/ca.pem
	else
		unset SLAPD_LDAPS_PORT SLAPD_LDAPS_URI SLAPD_CA_FILE
	fi
}

# Install the EXIT trap (once per shell), composed with an existing one, and
# a watchdog that cleans up if this shell is killed without running traps.
_slapd_arm_cleanup() {
	local old owner=$BASHPID
	if [[ ${_SLAPD_TRAPPED:-} != "$BASHPID" ]]; then
		old=$(trap -p EXIT)
		old=${old#"trap -- '"}
		old=${old%"' EXIT"}
		old=${old//"'\\''"/"'"}
		# shellcheck disable=SC2064 # expand the old trap now, on purpose
		trap "slapd_cleanup; $old" EXIT
		# Without these, SIGINT/SIGTERM would kill the shell without EXIT.
		[[ -z $(trap -p INT) ]] && trap 'exit 130' INT
		[[ -z $(trap -p TERM) ]] && trap 'exit 143' TERM
		_SLAPD_TRAPPED=$BASHPID
	fi
	if [[ -z $_SLAPD_WATCHDOG ]] || ! kill -0 "$_SLAPD_WATCHDOG" 2>/dev/null; then
		# $BASHPID expanded here: after "&" it would be the child's own pid.
		_slapd_watchdog "$owner" </dev/null >/dev/null 2>&1 &
		_SLAPD_WATCHDOG=$!
	fi
}

# Runs in the background; DIRs come from a file because the list grows after
# the watchdog has started.
_slapd_watchdog() {
	local owner=$1 dir pid
	trap - EXIT INT TERM
	# A killed owner may stay a zombie for a while (or for good, under an
	# init that does not reap), so a zombie counts as gone.
	while kill -0 "$owner" 2>/dev/null && ! _slapd_zombie "$owner"; do
		sleep 1
	done
	[[ -r ${_SLAPD_LIST:-} ]] || exit 0
	while read -r dir; do
		pid=$(_slapd_pid_of "$dir")
		_slapd_alive "$pid" "$dir" && kill -9 "$pid"
	done <"$_SLAPD_LIST"
	rm -f "$_SLAPD_LIST"
}

_slapd_remember() {
	local d
	for d in "${_SLAPD_STARTED[@]}"; do
		[[ $d == "$1" ]] && return 0
	done
	_SLAPD_STARTED+=("$1")
	# The list file is for the watchdog, which only sourced use starts.
	[[ ${_SLAPD_CLI:-} == 1 ]] && return 0
	if [[ -z ${_SLAPD_LIST:-} ]]; then
		_SLAPD_LIST=$(mktemp "${TMPDIR:-/tmp}/slapd-sh.XXXXXX") || return 1
	fi
	printf '%s\n' "$1" >>"$_SLAPD_LIST"
}

# slapd_start DIR [options]: see the header.
slapd_start() {
	local dir="" tls=0 users=0 groups=0 big=0 many=0 f rc port sport
	local -a ldifs=()
	while (($#)); do
		case $1 in
		--ldif) ldifs+=("${2:?--ldif needs a file}"); shift 2 ;;
		--tls) tls=1; shift ;;
		--gen-users) users=${2:?}; shift 2 ;;
		--gen-groups) groups=${2:?}; shift 2 ;;
		--big-group) big=${2:?}; shift 2 ;;
		--many-groups-user) many=${2:?}; shift 2 ;;
		-*) _slapd_err "start: unknown option $1"; return 1 ;;
		*)
			[[ -z $dir ]] || { _slapd_err "start: one DIR only"; return 1; }
			dir=$1; shift ;;
		esac
	done
	[[ -n $dir ]] || { _slapd_err "start: DIR missing"; return 1; }
	for f in "$users" "$groups" "$big" "$many"; do
		[[ $f =~ ^[0-9]+$ ]] || { _slapd_err "start: not a count: $f"; return 1; }
	done
	((groups < many)) && groups=$many
	for f in "${ldifs[@]}"; do
		[[ -r $f ]] || { _slapd_err "start: cannot read $f"; return 1; }
	done
	_slapd_path || return 1
	dir=$(_slapd_abs "$dir") || return 1
	if _slapd_alive "$(_slapd_pid_of "$dir")" "$dir"; then
		_slapd_err "start: a server is already running in $dir (stop it first)"
		return 1
	fi
	chmod 700 "$dir"
	rm -rf "$dir/db" "$dir/tls" "$dir/env" "$dir/slapd.pid"
	mkdir -p "$dir/db" || return 1
	: >"$dir/slapd.log"
	_slapd_write_secrets "$dir" || return 1
	if [[ $tls == 1 ]]; then _slapd_make_tls "$dir" || return 1; fi
	_slapd_write_conf "$dir" "$tls" || return 1

	# One LDIF, one slapadd -q (quick mode: no per-entry fsync or
	# consistency re-checks; 10,000 users load in a few seconds).
	{
		_slapd_subst "$_SLAPD_SH_DIR/seed.ldif"
		for f in "${ldifs[@]}"; do _slapd_subst "$f"; done
		_slapd_generate "$users" "$groups" "$big" "$many"
	} >"$dir/load.ldif" || return 1
	if ! slapadd -q -f "$dir/slapd.conf" -l "$dir/load.ldif" >"$dir/slapadd.log" 2>&1; then
		_slapd_err "slapadd failed:"
		tail -n 15 "$dir/slapadd.log" >&2
		return 1
	fi

	# Random ports; retry with others if one is taken.
	for ((f = 0; f < 30; f++)); do
		port=$(_slapd_random_port) sport=""
		if [[ $tls == 1 ]]; then
			sport=$(_slapd_random_port)
			[[ $sport == "$port" ]] && continue
		fi
		rc=0
		_slapd_launch "$dir" "$port" "$sport" || rc=$?
		((rc == 2)) && continue
		((rc == 0)) || return 1
		_slapd_set_vars "$dir" "$port" "$sport" "$_SLAPD_LAUNCHED_PID"
		_slapd_write_env "$dir"
		_slapd_remember "$dir"
		[[ ${_SLAPD_CLI:-} == 1 ]] || _slapd_arm_cleanup
		return 0
	done
	_slapd_err "start: no free port found after 30 tries"
}

# Read DIR/env into the current shell's SLAPD_* variables (exported).
_slapd_load_env() {
	local dir=$1 line
	[[ -r $dir/env ]] || { _slapd_err "no $dir/env: never started?"; return 1; }
	unset SLAPD_LDAPS_PORT SLAPD_LDAPS_URI SLAPD_CA_FILE
	while IFS= read -r line; do
		[[ $line =~ ^SLAPD_[A-Z_]+= ]] || continue
		eval "export $line"
	done <"$dir/env"
}

_slapd_dir_arg() {
	local dir=${1:-${SLAPD_DIR:-}}
	[[ -n $dir ]] || { _slapd_err "DIR missing"; return 1; }
	[[ -d $dir ]] || { _slapd_err "$dir: no such directory"; return 1; }
	(cd -- "$dir" && pwd)
}

# Send SIG to DIR's slapd and wait (10 s) for it to go; SIGKILL after that.
_slapd_signal_wait() {
	local dir=$1 sig=$2 pid i
	pid=$(_slapd_pid_of "$dir")
	_slapd_alive "$pid" "$dir" || { rm -f "$dir/slapd.pid"; return 0; }
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		_slapd_alive "$pid" "$dir" || { rm -f "$dir/slapd.pid"; return 0; }
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		_slapd_alive "$pid" "$dir" || { rm -f "$dir/slapd.pid"; return 0; }
		sleep 0.05
	done
	_slapd_err "pid $pid will not die"
}

slapd_stop() {
	local dir
	dir=$(_slapd_dir_arg "${1:-}") || return 1
	_slapd_signal_wait "$dir" TERM
}

slapd_kill() {
	local dir
	dir=$(_slapd_dir_arg "${1:-}") || return 1
	_slapd_signal_wait "$dir" KILL
}

# Same data, same port(s).  The port may still be held for a moment by the
# old process (or, on some kernels, TIME_WAIT despite SO_REUSEADDR), so a
# busy port is retried for up to 10 s rather than replaced by another one.
slapd_restart() {
	local dir port sport i rc
	dir=$(_slapd_dir_arg "${1:-}") || return 1
	_slapd_path || return 1
	_slapd_signal_wait "$dir" TERM || return 1
	_slapd_load_env "$dir" || return 1
	port=$SLAPD_PORT sport=${SLAPD_LDAPS_PORT:-}
	for ((i = 0; i < 20; i++)); do
		rc=0
		_slapd_launch "$dir" "$port" "$sport" || rc=$?
		((rc == 0)) && break
		((rc == 2)) || return 1
		sleep 0.5
	done
	((rc == 0)) || { _slapd_err "restart: port $port still in use"; return 1; }
	_slapd_set_vars "$dir" "$port" "$sport" "$_SLAPD_LAUNCHED_PID"
	_slapd_write_env "$dir"
	_slapd_remember "$dir"
	[[ ${_SLAPD_CLI:-} == 1 ]] || _slapd_arm_cleanup
	return 0
}

# Prints "running PID URI" and returns 0, or "stopped" and returns 3.
slapd_status() {
	local dir pid uri
	dir=$(_slapd_dir_arg "${1:-}") || return 1
	pid=$(_slapd_pid_of "$dir")
	if _slapd_alive "$pid" "$dir"; then
		uri=$(sed -n 's/^SLAPD_URI=//p' "$dir/env" 2>/dev/null)
		echo "running $pid $uri"
		return 0
	fi
	echo "stopped"
	return 3
}

# Stop every server this shell started (SIGTERM, then SIGKILL), and the
# watchdog.  Safe to call more than once.
slapd_cleanup() {
	local dir
	for dir in "${_SLAPD_STARTED[@]}"; do
		_slapd_signal_wait "$dir" TERM || true
	done
	_SLAPD_STARTED=()
	if [[ -n $_SLAPD_WATCHDOG ]]; then
		kill "$_SLAPD_WATCHDOG" 2>/dev/null || true
		wait "$_SLAPD_WATCHDOG" 2>/dev/null || true
		_SLAPD_WATCHDOG=""
	fi
	[[ -n ${_SLAPD_LIST:-} ]] && rm -f "$_SLAPD_LIST"
	_SLAPD_LIST=""
	return 0
}

_slapd_usage() {
	cat >&2 <<-EOF
		usage: slapd.sh start DIR [--ldif FILE]... [--tls] [--gen-users N]
		                 [--gen-groups N] [--big-group M] [--many-groups-user K]
		       slapd.sh stop|kill|restart|status DIR
	EOF
	return 2
}

_slapd_main() {
	set -euo pipefail
	_SLAPD_CLI=1
	local cmd=${1:-}
	(($# >= 2)) || _slapd_usage || exit
	shift
	case $cmd in
	start)
		slapd_start "$@" || exit 1
		cat "$SLAPD_DIR/env"
		;;
	restart)
		[[ $# == 1 ]] || _slapd_usage || exit
		slapd_restart "$1" || exit 1
		cat "$SLAPD_DIR/env"
		;;
	stop | kill | status)
		[[ $# == 1 ]] || _slapd_usage || exit
		"slapd_$cmd" "$1" || exit
		;;
	*) _slapd_usage || exit ;;
	esac
}

# Run as a command unless sourced.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	_slapd_main "$@"
fi
