#!/bin/bash
# make demo — the whole identity lifecycle against a throwaway directory.
#
# Starts a private slapd with a small sample organisation and tenure-syncd on
# loopback, then walks through: directory users on this host, a login with
# the password-expiry warning, a weak password refused (English and
# Chinese) and a strong one accepted, lockout after wrong passwords, an HR
# deactivation over SCIM refusing the next login (timed), and the audit
# chain and compliance report.  Everything lives in one temp directory and
# is stopped at the end; KEEP=1 leaves it running and says how to use it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
B=${TENURE_BUILD:-build}
case $B in /*) ;; *) B=$repo/$B ;; esac
KEEP=${KEEP:-0}
work=$(mktemp -d /tmp/tenure-demo.XXXXXX)
syncd_pid=""

bold=$(tput bold 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)

cleanup() {
	if [[ $KEEP == 1 ]]; then
		return
	fi
	[[ -n $syncd_pid ]] && kill "$syncd_pid" 2>/dev/null && wait "$syncd_pid" 2>/dev/null || true
	"$repo/tests/ldap/slapd.sh" stop "$work/slapd" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

step() {
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}

# Show a command, then its output indented; never stop the tour on its status.
show() {
	local words
	words=$(printf '%q ' "$@")
	printf '%s$ %s%s\n' "$bold" "${words% }" "$plain"
	"$@" 2>&1 | sed 's/^/    /' || true
}

# The same, for a command line that needs a shell (pipes, env).
show_sh() {
	printf '%s$ %s%s\n' "$bold" "$1" "$plain"
	bash -c "$1" 2>&1 | sed 's/^/    /' || true
}

need() {
	[[ -x $1 || -f $1 ]] || { echo "demo: $1 is missing; run make first" >&2; exit 1; }
}
need "$B/libnss_tenure.so.2"
need "$B/pam_tenure.so"
need "$B/tenurectl"
need "$B/tenure-syncd"
need "$B/tests/pamdriver"

ms_now() { date +%s%3N; }

# ---------------------------------------------------------------------------
step "A throwaway directory: slapd on loopback with a small organisation"
"$repo/tests/ldap/slapd.sh" start "$work/slapd" >/dev/null
# shellcheck disable=SC1091
. "$work/slapd/env"
echo "    $SLAPD_URI  base $SLAPD_BASE  (data in $work/slapd)"

mkdir -p "$work/tally" "$work/history" "$work/pam.d" "$work/spool"
chmod 0700 "$work/tally" "$work/history"
cat >"$work/tenure.conf" <<EOF
# tenure.conf for the demo: the classic preset (complexity, rotation, lockout)
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
policy classic
deny 3
unlock_time 120
dir $work/tally
tally_key_file $work/tally.key
history_dir $work/history
history_m_cost 8192
# the demo runs as root: apply the policy to root's changes too
enforce_for_root yes
dictpath $B/share/tenure/words
breached_filter $B/share/tenure/breached.filter
# where tenurectl report finds tenure-syncd's journal and audit log
journal $work/journal.db
audit_log $work/audit.log
EOF
chmod 0644 "$work/tenure.conf"
export TENURE_CONF=$work/tenure.conf

for svc in login passwd; do
	cat >"$work/pam.d/demo-$svc" <<EOF
auth     required $B/pam_tenure.so conf=$work/tenure.conf
account  required $B/pam_tenure.so conf=$work/tenure.conf
password required $B/pam_tenure.so conf=$work/tenure.conf
session  required $B/pam_tenure.so conf=$work/tenure.conf
EOF
done
pam() { "$B/tests/pamdriver" -D "$work/pam.d" -s demo-login "$@"; }
tenurectl() { "$B/tenurectl" "$@"; }
export -f tenurectl
export B

# The Chinese step needs the zh_CN.UTF-8 locale; generate it when missing.
if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf8'; then
	if [[ $(id -u) == 0 ]] && command -v localedef >/dev/null && [[ -e /usr/share/i18n/locales/zh_CN ]]; then
		localedef -i zh_CN -f UTF-8 zh_CN.UTF-8 2>/dev/null || true
	fi
fi

# ---------------------------------------------------------------------------
step "1. Directory users resolve on this host (NSS module, no per-host daemon)"
nss="LD_LIBRARY_PATH=$B TENURE_CONF=$work/tenure.conf"
show_sh "$nss getent -s tenure passwd alice zhangwei"
show_sh "$nss getent -s tenure group staff developers"
show_sh "$nss getent -s tenure initgroups alice"
echo "    (evilroot has uidNumber 0 in the directory and is never returned:)"
show_sh "$nss getent -s tenure passwd evilroot; echo \"exit \$?\""

# ---------------------------------------------------------------------------
step "2. pwwarn logs in and is told the password expires soon"
show pam -u pwwarn -r 192.0.2.10 -a pwwarn-Secret-1 -E auth acct open
echo "    (the session gets TMOUT from session_timeout: idle shells end by themselves)"

# ---------------------------------------------------------------------------
step "3. A weak password is refused with every reason, in English and in Chinese"
export TENURE_LOCALEDIR=$B/locale
show_sh "printf 'summer12345\\n' | tenurectl policy check --user alice"
show_sh "printf 'Summ3r2024!!\\n' | tenurectl policy check --user alice"
show_sh "printf 'summer12345\\n' | LANG=zh_CN.UTF-8 tenurectl policy check --user alice"
echo "    alice changes her password through PAM: the weak one is refused, a strong passphrase is accepted"
show pam -u alice -a alice-Secret-1 -a 'Summ3r2024!!' -a 'violet Harbour lantern 42' -a 'violet Harbour lantern 42' chauthtok
echo "    and the new password works:"
show pam -u alice -a 'violet Harbour lantern 42' auth acct

# ---------------------------------------------------------------------------
step "4. Three wrong passwords lock bob out"
for i in 1 2 3; do
	show pam -u bob -r 198.51.100.7 -a "guess-$i" auth
done
echo "    even the right password is refused now, without asking the directory:"
show pam -u bob -r 198.51.100.7 -a bob-Secret-1 auth
show "$B/tenurectl" lockout show bob

# ---------------------------------------------------------------------------
step "5. HR deactivates carol over SCIM; her next login is refused"
head -c 24 /dev/urandom | base64 >"$work/scim.token"
head -c 32 /dev/urandom | base64 >"$work/webhook.secret"
chmod 0600 "$work/scim.token" "$work/webhook.secret"
cat >"$work/syncd.conf" <<EOF
listen 127.0.0.1:0
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_SYNCD_DN
bindpw_file $SLAPD_SYNCD_PW_FILE
scim_token_file $work/scim.token
webhook_secret_file $work/webhook.secret
journal $work/journal.db
spool_dir $work/spool
audit_log $work/audit.log
EOF
chmod 0644 "$work/syncd.conf"
# Port 0: the kernel picks a free port, and the daemon logs which.
"$B/tenure-syncd" -c "$work/syncd.conf" 2>"$work/syncd.log" &
syncd_pid=$!
port=""
for _ in $(seq 1 200); do
	port=$(grep -o 'listening on .* port=[0-9]*' "$work/syncd.log" 2>/dev/null | grep -o '[0-9]*$' | tail -1 || true)
	[[ -n $port ]] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	kill -0 "$syncd_pid" 2>/dev/null || { echo "demo: tenure-syncd did not start:" >&2; cat "$work/syncd.log" >&2; exit 1; }
	sleep 0.05
done
token=$(cat "$work/scim.token")
echo "    tenure-syncd listens on http://127.0.0.1:$port (log: $work/syncd.log)"
show pam -u carol -a carol-Secret-1 auth acct
id=$(curl -s -H "Authorization: Bearer $token" \
	--get --data-urlencode 'filter=userName eq "carol"' \
	"http://127.0.0.1:$port/scim/v2/Users" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' | head -1)
echo "    SCIM id of carol: $id"
body='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":false}]}'
printf '%s$ curl -X PATCH .../scim/v2/Users/%s -d %s%s\n' "$bold" "$id" "$body" "$plain"
t0=$(ms_now)
curl -s -o "$work/patch.out" -w '    HTTP %{http_code}\n' -X PATCH \
	-H "Authorization: Bearer $token" -H 'Content-Type: application/scim+json' \
	-d "$body" "http://127.0.0.1:$port/scim/v2/Users/$id"
refused=""
for _ in $(seq 1 200); do
	if ! pam -q -u carol acct >/dev/null 2>&1; then
		refused=$(ms_now)
		break
	fi
	sleep 0.01
done
if [[ -n $refused ]]; then
	echo "    carol's login refused $((refused - t0)) ms after the HR request was sent"
else
	echo "    carol's login was NOT refused within 2 s"
fi
show pam -u carol -a carol-Secret-1 auth acct

# ---------------------------------------------------------------------------
step "6. The record: audit chain and compliance report"
show "$B/tenurectl" audit verify "$work/audit.log"
show "$B/tenurectl" report

if [[ $KEEP == 1 ]]; then
	cat <<EOF

The sandbox is still running (KEEP=1):
    export TENURE_CONF=$work/tenure.conf
    LD_LIBRARY_PATH=$B getent -s tenure passwd alice
    $B/tests/pamdriver -D $work/pam.d -s demo-login -u bob -a bob-Secret-1 auth acct
    curl -H "Authorization: Bearer \$(cat $work/scim.token)" http://127.0.0.1:$port/scim/v2/Users
    $B/tenurectl lockout show
To stop it:
    kill $syncd_pid; $repo/tests/ldap/slapd.sh stop $work/slapd; rm -rf $work
EOF
fi
