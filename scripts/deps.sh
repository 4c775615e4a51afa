#!/bin/sh
# Install the Debian packages tenure needs to build, test and demo, when
# they are missing.  Run as root on Debian 12; elsewhere, or as another user,
# it only lists what is missing.
#
#   build:  gcc make pkg-config libc6-dev libpam0g-dev libldap-dev
#           libargon2-dev libssl-dev libmicrohttpd-dev libjansson-dev
#           libsqlite3-dev libsystemd-dev gettext
#   tests:  check libsubunit-dev slapd ldap-utils pamtester curl openssl
#           sqlite3 wamerican (word list) john-data (common passwords)
#           procps psmisc iproute2
#   demo:   locales (the zh_CN.UTF-8 step)
#   sshd end-to-end test: openssh-server openssh-client sshpass expect
set -eu

PKGS="gcc make pkg-config libc6-dev libpam0g-dev libpam-modules libldap-dev
libargon2-dev libssl-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev
libsystemd-dev gettext check libsubunit-dev slapd ldap-utils pamtester curl
openssl sqlite3 wamerican john-data procps psmisc iproute2 locales
openssh-server openssh-client sshpass expect"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "tenure: missing Debian packages:$missing" >&2
	echo "tenure: install them as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "tenure: installing missing packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# slapd's maintainer scripts must not configure a system server, and no
# package may start a service (slapd, sshd): tests start their own.
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections 2>/dev/null || true
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# tenure scripts/deps.sh: no service starts while packages install\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	own_policy=1
fi
cleanup() { [ "$own_policy" = 0 ] || rm -f "$policy"; }
trap cleanup EXIT INT TERM
if ! apt-get install -y -q --no-install-recommends $missing; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
# An sshd installed only for the tests is not left enabled at boot.
case " $missing " in
*" openssh-server "*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable ssh.service ssh.socket >/dev/null 2>&1 || true
	fi ;;
esac
