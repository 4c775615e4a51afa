#!/bin/bash
# A real OpenSSH server, end to end (issue 8): pam_tenure.so and
# libnss_tenure.so.2 inside /usr/sbin/sshd, tenure-syncd and a private slapd.
#
# As root, in a private mount namespace (unshare -m --propagation private),
# the test mounts over the system's files only inside that namespace:
#   /etc/nsswitch.conf       passwd/group/shadow: files tenure
#   /etc/pam.d/sshd          tenure's stack (auth/account/password/session)
#   /etc                     an overlay (upper layer on a tmpfs) that adds
#                            /etc/tenure.conf and /etc/pam.d/passwd (for
#                            the setuid passwd(1) sshd runs on a TTY), the
#                            shipped common-* stacks and two local accounts
#   /lib/<arch>/security     an overlay adding pam_tenure.so (part two)
#   /etc/ld.so.cache         a private cache (ldconfig -C) that also lists a
#                            copy of libnss_tenure.so.2 in the temp dir, so
#                            sshd and the user's session (which get no
#                            LD_LIBRARY_PATH) find the NSS module by name
#   /var/cache/ldconfig      tmpfs, so ldconfig's aux cache stays untouched
#                            (/var/cache when that directory is missing)
#   /run                     tmpfs with /run/sshd (privilege separation dir;
#                            also hides a host nscd socket)
#   /var/log                 tmpfs: btmp/wtmp/lastlog writes stay private
# and starts `sshd -D -e` on a loopback port with a private host key.  Then,
# with ssh, sshpass, expect and an SSH_ASKPASS helper (tests/sshd/askpass):
#   1. alice logs in with her password; `id` shows her directory groups;
#   2. three wrong passwords lock bob out (deny 3); then the right one fails,
#      and so does his SSH key (the account phase sees the lockout);
#   -  expired, locked, disabled, evilroot (uid 0) and lowuid (uid 500) never
#      get in with their right passwords;
#   3. pwold (password too old) is made to change it inside the
#      keyboard-interactive dialogue, gets in, and the new password works;
#      mustchange (pwdReset) changes it on a TTY through passwd(1), which
#      sshd runs after password authentication (answered by expect(1));
#   4. carol logs in by key and by password; after a SCIM PATCH active=false
#      to tenure-syncd both are refused by the account phase.  The time from
#      the PATCH to the first refused key login is printed ("# ..."), never
#      asserted.  A rehire (active=true) lets her in again.
# Part two, the shipped stacks: the distribution's own /etc/pam.d/sshd
# (@include common-*) with examples/pam.d's Debian files as common-auth,
# -account, -session and -password (password-debian), pam_tenure.so found
# by name (an overlay on the PAM module directory) and /etc/tenure.conf;
# local accounts localadm/localops added to the namespace's passwd/shadow:
#   -  LDAP users log in (password, key), locked-out bob's key is refused;
#   -  localadm logs in through pam_unix; three wrong passwords lock localops
#      (pam_tenure preauth/authfail around pam_unix);
#   -  with slapd stopped, LDAP users are refused and localadm still gets in.
# Afterwards, outside the namespace: the host's files are unchanged and no
# server started here is left running.  Skips (exit 0) when not root, or
# when mount namespaces, sshd, ssh or sshpass are unavailable.
#
# Packages: openssh-server openssh-client sshpass expect.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"

SSHD_BIN=/usr/sbin/sshd
# The system's PAM module directory (where pam_unix.so is).
PAM_MODDIR=$(dirname "$(readlink -f /lib/*/security/pam_unix.so /lib/security/pam_unix.so 2>/dev/null | head -n 1)")
# Host files the test must never change (compared before and after).
HOST_FILES=(/etc/nsswitch.conf /etc/pam.d/sshd /etc/pam.d/passwd /etc/tenure.conf
	/etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-session
	/etc/pam.d/common-password /etc/passwd /etc/group /etc/shadow
	"$PAM_MODDIR/pam_tenure.so" /run/sshd /var/log/btmp /var/log/wtmp /var/log/lastlog)
# Paths the namespace mounts over: on the host, whatever is (or is not)
# mounted there must stay as it was.
MOUNT_TARGETS=(/etc /etc/nsswitch.conf /etc/pam.d/sshd /etc/pam.d /etc/ld.so.cache
	"$PAM_MODDIR" /var/cache/ldconfig /var/cache /run /var/log)

# ===========================================================================
# Inside the namespace.
inner() {
	# shellcheck source=tests/ldap/slapd.sh
	. "$T_REPO/tests/ldap/slapd.sh"
	# shellcheck source=tests/integration/test_syncd.lib
	. "$here/test_syncd.lib"
	export LDAPCONF=/dev/null LDAPRC=/dev/null
	t_begin sshd-inner
	# Everything below mounts over system paths: only ever in a private
	# mount namespace of our own, never in init's.
	local self_ns
	self_ns=$(readlink /proc/self/ns/mnt)
	if [[ $self_ns == "$(readlink /proc/1/ns/mnt)" || $self_ns == "$(readlink "/proc/$PPID/ns/mnt")" ||
		$(findmnt -n -o PROPAGATION /) != private* || -z ${SSHD_T_WORK:-} ]]; then
		t_fail "refusing to run: --inner needs a private mount namespace (unshare -m --propagation private)"
		t_end
		return 1
	fi
	local work=$SSHD_T_WORK B=$TENURE_BUILD
	SSHD_T_B=$B
	SSHD_PID=""
	# The outer part looks for processes left in this namespace.
	readlink /proc/self/ns/mnt >"$work/mntns"
	trap 'sshd_stop; syncd_kill; slapd_cleanup; _t_cleanup' EXIT

	slapd_start "$work/ldap" >/dev/null || { t_fail "slapd starts"; return 1; }

	# --- tenure.conf, world-readable: the user's session reads it too
	mkdir -p "$work/tally" "$work/history"
	chmod 0700 "$work/tally" "$work/history"
	cat >"$work/tenure.conf" <<EOF
uri $SLAPD_URI
base $SLAPD_BASE
binddn $SLAPD_NSS_DN
bindpw_file $SLAPD_NSS_PW_FILE
bind_timelimit 2
timelimit 5
dir $work/tally
tally_key_file $work/tally.key
deny 3
fail_interval 900
unlock_time 600
nodelay yes
history_dir $work/history
dictpath $B/share/tenure/words
breached_filter $B/share/tenure/breached.filter
EOF
	chmod 0644 "$work/tenure.conf"
	export TENURE_CONF=$work/tenure.conf

	# --- the NSS module, findable by name through a private ld.so.cache
	mkdir -p "$work/lib"
	cp "$B/libnss_tenure.so.2" "$work/lib/"
	chmod 0755 "$work/lib" "$work/lib/libnss_tenure.so.2"
	{
		cat /etc/ld.so.conf 2>/dev/null || echo 'include /etc/ld.so.conf.d/*.conf'
		echo "$work/lib"
	} >"$work/ld.so.conf"
	# ldconfig writes its aux cache (and would create the directory).
	local auxdir=/var/cache/ldconfig
	[[ -d $auxdir ]] || auxdir=/var/cache
	if ! mount -t tmpfs -o mode=0755,size=4m tenure-test "$auxdir"; then
		t_fail "tmpfs on $auxdir"
		return 1
	fi
	# -X: never touch the symlinks in the system's library directories.
	if ! ldconfig -X -C "$work/ld.so.cache" -f "$work/ld.so.conf"; then
		t_fail "ldconfig builds a private cache"
		return 1
	fi
	chmod 0644 "$work/ld.so.cache"

	# --- nsswitch.conf and the PAM stack
	printf '%s\n' "passwd: files tenure" "group: files tenure" "shadow: files tenure" \
		"hosts: files" >"$work/nsswitch.conf"
	mkdir -p "$work/pam.d"
	local m="$B/pam_tenure.so conf=$work/tenure.conf"
	printf '%s\n' "auth     required $m" "account  required $m" \
		"password required $m" "session  required $m" >"$work/pam.d/sshd"
	chmod 0644 "$work/nsswitch.conf" "$work/pam.d/sshd"

	# /etc/tenure.conf and /etc/pam.d/passwd do not exist on the host (or
	# must not be touched): an overlay on /etc, its upper layer on a tmpfs,
	# adds them in the namespace.  The setuid passwd(1) that sshd runs for
	# a password change on a TTY ignores TENURE_CONF (secure_getenv), so
	# its NSS lookups need /etc/tenure.conf.
	local etc_overlay=0
	printf '%s\n' "auth     required $m" "account  required $m" \
		"password required $m" "session  required $m" >"$work/pam.d/passwd"
	# For the second part (the shipped stacks): examples/pam.d's Debian
	# files as common-auth/-account/-session/-password, and two local
	# accounts (localadm, localops; password <name>-Secret-1) in copies of
	# passwd/group/shadow -- all in the namespace's /etc only.
	mkdir -p "$work/ovl"
	if mount -t tmpfs -o mode=0755,size=8m tenure-test "$work/ovl" &&
		mkdir -p "$work/ovl/up/pam.d" "$work/ovl/work" &&
		cp "$work/tenure.conf" "$work/ovl/up/tenure.conf" &&
		cp "$work/pam.d/passwd" "$work/ovl/up/pam.d/passwd" &&
		local_accounts "$work/ovl/up" &&
		shipped_stacks "$work/ovl/up/pam.d" &&
		mount -t overlay tenure-test \
			-o "lowerdir=/etc,upperdir=$work/ovl/up,workdir=$work/ovl/work" /etc 2>"$work/overlay.err"; then
		etc_overlay=1
	fi
	# pam_tenure.so where PAM looks for modules named without a path, by an
	# overlay on the system's module directory (the shipped stacks say
	# plain "pam_tenure.so").
	local secdir=$PAM_MODDIR sec_overlay=0
	if [[ -d $secdir && $secdir != . ]] &&
		mkdir -p "$work/ovl/sec-up" "$work/ovl/sec-work" &&
		cp "$B/pam_tenure.so" "$work/ovl/sec-up/pam_tenure.so" &&
		mount -t overlay tenure-test \
			-o "lowerdir=$secdir,upperdir=$work/ovl/sec-up,workdir=$work/ovl/sec-work" "$secdir" 2>>"$work/overlay.err"; then
		sec_overlay=1
	fi
	local pam_target=/etc/pam.d/sshd pam_source=$work/pam.d/sshd
	if [[ ! -e $pam_target ]]; then
		pam_target=/etc/pam.d pam_source=$work/pam.d
	fi
	if ! { mount --bind "$work/ld.so.cache" /etc/ld.so.cache &&
		mount --bind "$work/nsswitch.conf" /etc/nsswitch.conf &&
		mount --bind "$pam_source" "$pam_target" &&
		mount -t tmpfs -o mode=0755,size=4m tenure-test /run &&
		mkdir -m 0755 /run/sshd &&
		mount -t tmpfs -o mode=0755,size=16m tenure-test /var/log; }; then
		t_fail "mounts inside the namespace"
		return 1
	fi
	t_ok "private nsswitch.conf, pam.d/sshd, ld.so.cache, /run, /var/log mounted"

	local out
	out=$(env -u LD_LIBRARY_PATH getent passwd alice 2>&1)
	expect_match '^alice:x:10001:10001:' "$out" "getent passwd alice through nsswitch.conf (no LD_LIBRARY_PATH)"

	# --- sshd
	mkdir -p "$work/ssh/keys"
	chmod 0755 "$work/ssh" "$work/ssh/keys"
	local u
	for u in host_ed25519 bob carol; do
		if ! ssh-keygen -q -t ed25519 -N '' -C "tenure-test-$u" -f "$work/ssh/$u"; then
			t_fail "ssh-keygen $u"
			return 1
		fi
	done
	for u in bob carol; do
		cp "$work/ssh/$u.pub" "$work/ssh/keys/$u"
		chmod 0644 "$work/ssh/keys/$u"
	done

	local port
	for _ in 1 2 3 4 5; do
		port=$(shuf -i 20000-59999 -n 1)
		cat >"$work/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $work/ssh/host_ed25519
PidFile $work/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication yes
PermitEmptyPasswords no
AuthorizedKeysFile $work/ssh/keys/%u
StrictModes no
PermitRootLogin no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
MaxAuthTries 10
MaxStartups 50
LoginGraceTime 30
LogLevel VERBOSE
SetEnv TENURE_CONF=$work/tenure.conf
EOF
		if ! "$SSHD_BIN" -t -f "$work/sshd_config" 2>"$work/sshd-t.log"; then
			t_fail "sshd -t accepts the config"
			sed 's/^/  | /' "$work/sshd-t.log" >&2
			return 1
		fi
		: >"$work/sshd.log"
		"$SSHD_BIN" -D -e -f "$work/sshd_config" >>"$work/sshd.log" 2>&1 &
		SSHD_PID=$!
		# Listening, or gone (a taken port: retry on another).
		wait_until 10 sshd_up_or_gone "$port"
		sshd_ready "$port" && break
		sshd_stop
		grep -q 'Address already in use' "$work/sshd.log" || break
	done
	if [[ -z $SSHD_PID ]]; then
		t_fail "sshd starts on 127.0.0.1"
		sed 's/^/  | /' "$work/sshd.log" >&2
		return 1
	fi
	t_ok "sshd -D listens on 127.0.0.1:$port"
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$work/ssh/host_ed25519.pub")" \
		>"$work/ssh/known_hosts"

	SSH=(ssh -F /dev/null -p "$port" -o ConnectTimeout=5 -o ServerAliveInterval=5
		-o ServerAliveCountMax=2 -o UserKnownHostsFile="$work/ssh/known_hosts"
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes
		-o UpdateHostKeys=no -o LogLevel=ERROR)

	# ---------------------------------------------------------------------
	# 1. alice: password login, `id` shows the directory's groups via NSS.
	# shellcheck disable=SC2016 # expanded by the remote shell
	run pw_ssh alice alice-Secret-1 'id; echo "conf=$TENURE_CONF"'
	expect_eq "$RC" 0 "alice logs in with her password"
	expect_match 'uid=10001\(alice\) gid=10001\(staff\)' "$OUT" "id: alice's uid and primary group from LDAP"
	expect_match 'groups=.*10020\(developers\)' "$OUT" "id: rfc2307bis group developers (member DN)"
	expect_match 'groups=.*10022\(ops\).*10023\(projectx\)|groups=.*10023\(projectx\).*10022\(ops\)' \
		"$OUT" "id: memberUid groups ops and projectx"
	expect_match "conf=$work/tenure.conf" "$OUT" "the session got TENURE_CONF from sshd's SetEnv"
	expect_match 'Accepted password for alice from 127\.0\.0\.1' "$(cat "$work/sshd.log")" \
		"sshd logs: Accepted password for alice"

	# ---------------------------------------------------------------------
	# 2. bob: three wrong passwords lock him out; then the right one fails,
	#    and so does his key (the account phase sees the lockout).
	run pw_ssh bob bob-Secret-1 true
	expect_eq "$RC" 0 "bob logs in with his password (before the lockout)"
	run key_ssh bob true
	expect_eq "$RC" 0 "bob logs in with his key (before the lockout)"
	local i
	for i in 1 2 3; do
		run pw_ssh bob "bob-wrong-$i" true
		if ((RC != 0)); then t_ok "bob: wrong password $i refused (exit $RC)"; else t_fail "bob: wrong password $i refused"; fi
	done
	out=$("$B/tenurectl" lockout show bob 2>&1)
	expect_match 'bob +failures=3 +locked=yes' "$out" "tenurectl lockout show: bob has 3 failures, locked"
	run pw_ssh bob bob-Secret-1 'echo should-not-run'
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "bob: the right password is refused while locked (exit $RC)"
	else
		t_fail "bob: the right password is refused while locked (exit $RC)"
		printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
	fi
	expect_eq "$(grep -c 'Failed password for bob from 127\.0\.0\.1' "$work/sshd.log")" 4 \
		"sshd logs four failed passwords for bob"
	run key_ssh bob 'echo should-not-run'
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "bob: his key is refused too while locked (exit $RC)"
	else
		t_fail "bob: his key is refused too while locked (exit $RC)"
		printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
	fi
	expect_match 'Access denied for user bob by PAM account configuration' "$(cat "$work/sshd.log")" \
		"sshd: bob's key accepted, the PAM account phase refused (lockout)"

	# ---------------------------------------------------------------------
	# Accounts that must never get in, each with its right password:
	# expired (shadowExpire), locked (ppolicy), disabled (tenure attributes
	# only: the bind works), evilroot (uidNumber 0) and lowuid (uidNumber
	# 500): the last two are never returned by NSS, so sshd sees no user.
	for u in expired locked disabled evilroot lowuid; do
		run pw_ssh "$u" "$u-Secret-1" 'echo should-not-run'
		if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
			t_ok "$u: refused with the right password (exit $RC)"
		else
			t_fail "$u: refused with the right password (exit $RC)"
			printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
		fi
	done
	out=$(grep -E 'Accepted [a-z]+ for (expired|locked|disabled|evilroot|lowuid) ' "$work/sshd.log" || true)
	expect_eq "$out" "" "sshd accepted none of them"
	for u in expired disabled; do
		expect_match "Access denied for user $u by PAM account configuration" "$(cat "$work/sshd.log")" \
			"sshd: $u's password was right, the PAM account phase refused"
	done
	expect_match 'Invalid user evilroot from 127\.0\.0\.1' "$(cat "$work/sshd.log")" \
		"sshd: evilroot (uid 0 in LDAP) is no user at all"
	expect_match 'Invalid user lowuid from 127\.0\.0\.1' "$(cat "$work/sshd.log")" \
		"sshd: lowuid (uid 500 in LDAP) is no user at all"

	# ---------------------------------------------------------------------
	# 3. pwold: the password is too old; sshd runs the change inside the
	#    keyboard-interactive dialogue (PAM_NEW_AUTHTOK_REQD).
	local newpw='violet Harbour lantern 42'
	run pw_ssh pwold pwold-Secret-1 'echo should-not-run'
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "pwold: no session with the expired password over plain password auth"
	else
		t_fail "pwold: no session with the expired password over plain password auth (exit $RC)"
		printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
	fi
	expect_match 'Your password has expired.*Password change required' "$OUT" \
		"pwold: over password auth sshd says the password must change (and needs a TTY for it)"
	: >"$work/askpass.log"
	RC=0
	OUT=$(ASKPASS_LOG=$work/askpass.log ASKPASS_OLD=pwold-Secret-1 ASKPASS_NEW=$newpw \
		SSH_ASKPASS="$T_REPO/tests/sshd/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY='' \
		timeout 20 "${SSH[@]}" -o PreferredAuthentications=keyboard-interactive \
		-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 \
		pwold@127.0.0.1 'echo changed-and-in' </dev/null 2>&1) || RC=$?
	local prompts
	prompts=$(cat "$work/askpass.log")
	expect_match 'You are required to change your password immediately' "$prompts" \
		"pwold: told to change the password (pam_tenure's message, relayed by sshd)"
	expect_match 'Current password' "$prompts" "pwold: asked for the current password"
	expect_match 'New password' "$prompts" "pwold: sshd asks for a new password"
	expect_match 'Retype new password' "$prompts" "pwold: and asks for it again"
	expect_eq "$RC" 0 "pwold: the change succeeds and the session starts"
	expect_match 'changed-and-in' "$OUT" "pwold: the command runs after the change"
	expect_eq "$(ldap_get pwold shadowLastChange)" "$(($(date -u +%s) / 86400))" \
		"pwold: shadowLastChange is today"
	run pw_ssh pwold "$newpw" 'echo new-works'
	expect_eq "$RC" 0 "pwold: the new password logs in"
	expect_match 'new-works' "$OUT" "pwold: and runs the command"
	run pw_ssh pwold pwold-Secret-1 true
	if ((RC != 0)); then t_ok "pwold: the old password is refused"; else t_fail "pwold: the old password is refused"; fi

	# The other path: password authentication on a TTY (ssh -tt), where
	# sshd runs passwd(1) -- setuid, with the namespace's /etc/pam.d/passwd
	# (pam_tenure) and /etc/tenure.conf -- in the session, as with clients
	# that do not use keyboard-interactive.  mustchange (pwdReset: the
	# directory demands the change at bind time) answers through tty_chat.
	if ((etc_overlay == 1)); then
		local newpw2='amber Kestrel window 77'
		tty_chat "$work/tty.log" mustchange-Secret-1 "$newpw2" \
			mustchange@127.0.0.1 'echo should-not-run'
		out=$(tr -d '\r' <"$work/tty.log")
		expect_eq "$RC" 0 "mustchange: passwd on the TTY succeeds (ssh exit 0)"
		expect_match 'You must change your password now' "$out" \
			"mustchange: sshd says the password must change now"
		expect_match 'Current password: .*New password: .*Retype new password: ' "$out" \
			"mustchange: pam_tenure in passwd(1) asks current, new and retyped password"
		expect_match 'passwd: password updated successfully' "$out" "mustchange: passwd(1) reports success"
		if [[ $out == *should-not-run* ]]; then
			t_fail "mustchange: the session ends after the change (log in again)"
		else
			t_ok "mustchange: the session ends after the change (log in again)"
		fi
		expect_eq "$(ldap_get mustchange shadowLastChange)" "$(($(date -u +%s) / 86400))" \
			"mustchange: shadowLastChange is today"
		run pw_ssh mustchange "$newpw2" 'echo new-works'
		expect_eq "$RC" 0 "mustchange: the new password logs in, no change asked"
		expect_match 'new-works' "$OUT" "mustchange: and runs the command"
	else
		t_skip "password change through passwd(1) on a TTY" \
			"no overlay on /etc in the namespace: $(head -c 200 "$work/overlay.err" 2>/dev/null)"
	fi

	# ---------------------------------------------------------------------
	# 4. carol: key and password logins work; after SCIM active=false to
	#    tenure-syncd both are refused.
	local k0 key_ms
	k0=$(now_ms)
	run key_ssh carol 'echo key-ok'
	key_ms=$(($(now_ms) - k0))
	expect_eq "$RC" 0 "carol logs in with her key"
	echo "# one whole ssh key login (connect, auth, account, session, command): $key_ms ms"
	expect_match 'key-ok' "$OUT" "carol: key session runs the command"
	run pw_ssh carol carol-Secret-1 'echo pw-ok'
	expect_eq "$RC" 0 "carol logs in with her password"

	syncd_config "$work/syncd"
	if ! syncd_start "$work/syncd"; then
		t_fail "tenure-syncd starts"
		return 1
	fi
	local r id
	r=$(scim GET '/Users?filter=userName%20eq%20%22carol%22')
	id=$(printf '%s' "${r#* }" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
	expect_match '^[0-9a-f-]{36}$' "$id" "SCIM: carol's id"
	local t0 refused_ms="" i
	t0=$(now_ms)
	r=$(scim PATCH "/Users/$id" \
		'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}')
	expect_eq "${r%% *}" 200 "SCIM PATCH active=false for carol: 200"
	# Measured, not asserted: from the HR request to a refused key login.
	for ((i = 0; i < 100; i++)); do
		if ! key_ssh carol true >/dev/null 2>&1; then
			refused_ms=$(($(now_ms) - t0))
			break
		fi
		sleep 0.1
	done
	if [[ -n $refused_ms ]]; then
		t_ok "carol: a key login is refused after the PATCH"
		echo "# from the SCIM PATCH sent to the first refused ssh key login: $refused_ms ms"
	else
		t_fail "carol: a key login is refused within 10 s of the PATCH"
	fi
	if wait_until 10 carol_disabled; then
		t_ok "tenure-syncd disabled carol in LDAP"
	else
		t_fail "tenure-syncd disabled carol in LDAP"
	fi
	local before
	before=$(grep -c 'Access denied for user carol by PAM account configuration' "$work/sshd.log")
	run key_ssh carol 'echo should-not-run'
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "carol: key login refused after the deactivation (exit $RC)"
	else
		t_fail "carol: key login refused after the deactivation (exit $RC)"
		printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
	fi
	expect_eq "$(grep -c 'Access denied for user carol by PAM account configuration' "$work/sshd.log")" \
		$((before + 1)) "sshd: the key was accepted, the PAM account phase refused"
	run pw_ssh carol carol-Secret-1 'echo should-not-run'
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "carol: password login refused after the deactivation (exit $RC)"
	else
		t_fail "carol: password login refused after the deactivation (exit $RC)"
		printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
	fi

	# A rehire (active=true) lets carol in again, by key and by password.
	r=$(scim PATCH "/Users/$id" \
		'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}')
	expect_eq "${r%% *}" 200 "SCIM PATCH active=true for carol (rehire): 200"
	if wait_until 10 carol_enabled; then
		t_ok "tenure-syncd re-enabled carol in LDAP"
	else
		t_fail "tenure-syncd re-enabled carol in LDAP"
	fi
	run key_ssh carol 'echo key-again'
	expect_eq "$RC" 0 "carol: key login works again after the rehire"
	run pw_ssh carol carol-Secret-1 'echo pw-again'
	expect_eq "$RC" 0 "carol: password login works again after the rehire"

	# alice is untouched by all this.
	run pw_ssh alice alice-Secret-1 'echo still-ok'
	expect_eq "$RC" 0 "alice still logs in at the end"

	# ---------------------------------------------------------------------
	# Part two: the shipped stacks.  The distribution's own /etc/pam.d/sshd
	# (@include common-auth ...) with examples/pam.d's Debian files as the
	# common-* files and pam_tenure.so found by name; /etc/tenure.conf is
	# the test's.  LDAP and local accounts side by side, then LDAP down:
	# local accounts must still get in.
	if ((etc_overlay == 1 && sec_overlay == 1)) && [[ $pam_target == /etc/pam.d/sshd ]] &&
		umount /etc/pam.d/sshd && grep -q '^@include common-auth' /etc/pam.d/sshd; then
		shipped_part
	else
		t_skip "the shipped stacks under the distribution's pam.d/sshd" \
			"needs overlays on /etc and the PAM module dir, and a Debian /etc/pam.d/sshd"
	fi
	if ((T_FAILED > 0)); then
		echo "--- last lines of sshd's log ($work/sshd.log):" >&2
		tail -n 40 "$work/sshd.log" | sed 's/^/  sshd.log | /' >&2
	fi

	# --- stop everything started here
	if sshd_stop; then t_ok "sshd stopped"; else t_fail "sshd stopped"; fi
	if syncd_stop; then t_ok "tenure-syncd stopped"; else t_fail "tenure-syncd stopped"; fi
	slapd_stop "$SLAPD_DIR" >/dev/null 2>&1 || true
	t_end
}

# run CMD...: exit status in $RC, stdout+stderr in $OUT.
run() {
	RC=0
	OUT=$("$@" 2>&1) || RC=$?
}

# pw_ssh USER PASSWORD CMD: one password attempt through sshpass.
pw_ssh() {
	local user=$1 pw=$2
	shift 2
	SSHPASS=$pw timeout 20 sshpass -e "${SSH[@]}" -o PreferredAuthentications=password \
		-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 "$user@127.0.0.1" "$@" </dev/null
}

# key_ssh USER CMD: public-key login only, with the key in $work/ssh/USER.
key_ssh() {
	local user=$1
	shift
	timeout 20 "${SSH[@]}" -o BatchMode=yes -o PreferredAuthentications=publickey \
		-o IdentitiesOnly=yes -o IdentityFile="$SSHD_T_WORK/ssh/$user" \
		"$user@127.0.0.1" "$@" </dev/null
}

# local_accounts DIR: DIR/passwd, group, shadow = the host's + localadm
# (uid 4242) and localops (uid 4243), passwords <name>-Secret-1.
local_accounts() {
	local dir=$1 u id hash
	cp -p /etc/passwd /etc/group /etc/shadow "$dir/" || return 1
	for u in localadm:4242 localops:4243; do
		id=${u#*:} u=${u%%:*}
		hash=$(openssl passwd -6 "$u-Secret-1") || return 1
		echo "$u:x:$id:$id:Local account $u:/nonexistent:/bin/bash" >>"$dir/passwd"
		echo "$u:x:$id:" >>"$dir/group"
		echo "$u:$hash:$(($(date -u +%s) / 86400)):0:99999:7:::" >>"$dir/shadow"
	done
}

# shipped_stacks DIR: the Debian files of examples/pam.d as DIR/common-*.
shipped_stacks() {
	local ex=$T_REPO/examples/pam.d f
	for f in common-auth common-account common-session; do
		cp "$ex/$f" "$1/$f" || return 1
	done
	cp "$ex/password-debian" "$1/common-password" &&
		chmod 0644 "$1"/common-*
}

shipped_part() {
	local work=$SSHD_T_WORK out t0 ms
	t_ok "the distribution's /etc/pam.d/sshd now includes examples/pam.d's common-* files"
	# shellcheck disable=SC2016 # expanded by the remote shell
	run pw_ssh alice alice-Secret-1 'id -un; id -Gn'
	expect_eq "$RC" 0 "shipped stacks: alice (LDAP) logs in with her password"
	expect_match 'developers' "$OUT" "shipped stacks: alice's directory groups"
	run key_ssh carol 'echo key-ok'
	expect_eq "$RC" 0 "shipped stacks: carol (LDAP) logs in with her key"
	run key_ssh bob 'echo should-not-run'
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "shipped stacks: locked-out bob's key is refused (common-account)"
	else
		t_fail "shipped stacks: locked-out bob's key is refused (common-account) (exit $RC)"
	fi
	run pw_ssh localadm localadm-Secret-1 'id -un'
	expect_eq "$RC" 0 "shipped stacks: localadm (local, pam_unix) logs in"
	expect_match $'(^|\n)localadm($|\n)' "$OUT" "shipped stacks: the session is localadm's"
	# pam_unix delays a failure by about 2 s: the three wrong passwords go
	# at once (the tally file is flock'ed, so all three must count).
	local i pids=() rc
	for i in 1 2 3; do
		pw_ssh localops "localops-wrong-$i" true >"$work/localops-$i.out" 2>&1 &
		pids+=($!)
	done
	for i in 1 2 3; do
		rc=0
		wait "${pids[i - 1]}" || rc=$?
		if ((rc != 0)); then t_ok "localops: wrong password $i refused"; else t_fail "localops: wrong password $i refused"; fi
	done
	out=$("$SSHD_T_B/tenurectl" lockout show localops 2>&1)
	expect_match 'localops +failures=3 +locked=yes' "$out" "tenurectl lockout show: local localops locked (authfail placement)"
	run pw_ssh localops localops-Secret-1 'echo should-not-run'
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "localops: the right password is refused while locked"
	else
		t_fail "localops: the right password is refused while locked (exit $RC)"
	fi

	# LDAP down: LDAP users fail, local accounts still get in.
	slapd_stop "$SLAPD_DIR" >/dev/null 2>&1
	t0=$(now_ms)
	run pw_ssh alice alice-Secret-1 'echo should-not-run'
	ms=$(($(now_ms) - t0))
	if ((RC != 0)) && [[ $OUT != *should-not-run* ]]; then
		t_ok "LDAP down: alice is refused"
	else
		t_fail "LDAP down: alice is refused (exit $RC)"
	fi
	echo "# LDAP down: alice's refused ssh password login took $ms ms"
	t0=$(now_ms)
	run pw_ssh localadm localadm-Secret-1 'id -un'
	ms=$(($(now_ms) - t0))
	expect_eq "$RC" 0 "LDAP down: localadm (local) still logs in with the shipped stacks"
	expect_match $'(^|\n)localadm($|\n)' "$OUT" "LDAP down: the session is localadm's"
	echo "# LDAP down: localadm's ssh password login took $ms ms"
}

# tty_chat LOG OLD NEW USER@HOST CMD: log in with password authentication
# (the password comes from tests/sshd/askpass), on a remote TTY (ssh -tt on
# a pseudo-terminal of expect(1)), and answer the password-change prompts
# that arrive on that TTY, each only once its prompt has been seen
# (tests/sshd/tty_chat.exp; every wait there is bounded).  Everything seen
# goes to LOG; exit status in $RC (124: a prompt or the end never came).
tty_chat() {
	local log=$1 old=$2 new=$3
	shift 3
	RC=0
	ASKPASS_LOG=$SSHD_T_WORK/askpass.log ASKPASS_OLD=$old \
		SSH_ASKPASS="$T_REPO/tests/sshd/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY='' \
		timeout -k 5 90 expect -f "$T_REPO/tests/sshd/tty_chat.exp" "$log" "$old" "$new" \
		timeout 30 "${SSH[@]}" -tt -o PreferredAuthentications=password \
		-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 "$@" \
		</dev/null >/dev/null 2>&1 || RC=$?
	((RC == 0)) || sed 's/^/  tty.log | /' "$log" >&2
}

sshd_ready() {
	grep -q "Server listening on 127.0.0.1 port $1" "$SSHD_T_WORK/sshd.log"
}

sshd_up_or_gone() {
	sshd_ready "$1" || ! kill -0 "$SSHD_PID" 2>/dev/null
}

carol_disabled() {
	[[ $(ldap_get carol shadowExpire) == 1 ]]
}

carol_enabled() {
	[[ -z $(ldap_get carol shadowExpire) && -z $(ldap_get carol pwdAccountLockedTime) ]]
}

sshd_stop() {
	local i
	[[ -n ${SSHD_PID:-} ]] || return 0
	kill -TERM "$SSHD_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SSHD_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$SSHD_PID" 2>/dev/null; then
		kill -KILL "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
		SSHD_PID=""
		return 1
	fi
	wait "$SSHD_PID" 2>/dev/null || true
	SSHD_PID=""
}

if [[ ${1:-} == --inner ]]; then
	inner
	exit
fi

# ===========================================================================
# Outside: checks, then the namespace, then the host is verified.
t_begin sshd
skip_all() {
	t_skip "sshd end to end" "$1"
	t_end
	exit 0
}
[[ $(id -u) == 0 ]] || skip_all "needs root (mount namespace, sshd)"
# sshd is not built with the sanitizers, so it cannot load sanitized modules;
# the sanitized run covers the modules through pamdriver and getent.
[[ ! -f $TENURE_BUILD/.sanitize ]] || skip_all "sanitized build ($(cat "$TENURE_BUILD/.sanitize")): sshd cannot load sanitized modules"
command -v unshare >/dev/null || skip_all "unshare not found (util-linux)"
[[ -x $SSHD_BIN ]] || skip_all "$SSHD_BIN not found (apt-get install -y openssh-server)"
for tool in ssh ssh-keygen sshpass expect ldconfig curl shuf timeout; do
	command -v "$tool" >/dev/null ||
		skip_all "$tool not found (apt-get install -y openssh-client sshpass expect)"
done
unshare -m --propagation private true 2>/dev/null ||
	skip_all "cannot create a mount namespace (unshare -m): not permitted here"
for f in pam_tenure.so libnss_tenure.so.2 tenure-syncd tenurectl share/tenure/words; do
	if [[ ! -e $TENURE_BUILD/$f ]]; then
		t_fail "missing $TENURE_BUILD/$f (build first)"
		t_end
		exit 1
	fi
done

host_state() {
	local f
	for f in "${HOST_FILES[@]}"; do
		if [[ -d $f ]]; then
			printf '%s dir %s\n' "$f" "$(stat -c '%a %U' "$f")"
		elif [[ -e $f ]]; then
			printf '%s %s %s\n' "$f" "$(stat -c '%s %Y' "$f")" "$(md5sum <"$f" | cut -d' ' -f1)"
		else
			printf '%s absent\n' "$f"
		fi
	done
	for f in "${MOUNT_TARGETS[@]}"; do
		printf '%s mounted: %s\n' "$f" "$(findmnt -rn -o SOURCE,FSTYPE --mountpoint "$f" || true)"
	done
}

work=$(tmpdir_new)
# The users' sessions read tenure.conf and the NSS module from here.
chmod 0755 "$work"
before=$(host_state)

# The namespace part takes about 15 s; every ssh in it is bounded by its
# own timeout, and the whole part by this generous budget.
NS_BUDGET=300
if t_run_part env SSHD_T_WORK="$work" timeout -k 5 "$NS_BUDGET" unshare -m --propagation private -- \
	"$0" --inner; then
	t_ok "the namespace part ran to its end (exit $T_PART_RC)"
else
	((T_PART_RC == 124)) && echo "# the namespace part was stopped after $NS_BUDGET s" >&2
	t_fail "the namespace part ran to its end (exit $T_PART_RC)"
	[[ -r $work/sshd.log ]] && tail -n 30 "$work/sshd.log" | sed 's/^/  sshd.log | /' >&2
fi

after=$(host_state)
expect_eq "$after" "$before" "host: nsswitch.conf, pam.d, passwd/group/shadow, PAM module dir, btmp/wtmp/lastlog unchanged, nothing mounted over them"
# The private cache names the temp dir; the host's caches never do.
n=$(cat /etc/ld.so.cache /var/cache/ldconfig/aux-cache 2>/dev/null | grep -a -c -F -- "$work" || true)
expect_eq "$n" 0 "host: ld.so.cache and ldconfig's aux cache do not list the test's library"
# Every process of the namespace (sshd and its per-connection children,
# slapd, tenure-syncd, helpers) must be gone: look them up by namespace.
# (slapd.sh's watchdog may leave its `sleep 1` for up to a second.)
leftovers() {
	local p ns out=""
	if [[ -s $work/mntns ]]; then
		ns=$(cat "$work/mntns")
		for p in /proc/[0-9]*; do
			[[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$ns" ]] &&
				out+="${p#/proc/} $(tr '\0' ' ' 2>/dev/null <"$p/cmdline")"$'\n'
		done
	fi
	out+=$(pgrep -a -f -- "$work" || true)
	printf '%s' "$out"
}
for _ in $(seq 1 50); do
	left=$(leftovers)
	[[ -z $left ]] && break
	sleep 0.1
done
expect_eq "$left" "" "no process of the test's namespace (sshd, slapd, tenure-syncd) left running"
t_end
