#!/bin/bash
# Faults: the lockout tally directory is full.
#
# In a private mount namespace (unshare -m) the tally `dir` is a tiny tmpfs,
# filled to the last block (and, in a second one, to the last inode).  A
# tally that cannot record the next failure cannot lock anyone out, so:
#   fail_closed yes (the default)  every LDAP login is refused, before the
#                                  password is even asked, right or wrong
#   fail_closed no                 the right password logs in, the wrong one
#                                  fails as always
# and both say why in the log (reason=tally-full, the directory and the
# error), which faults_pam captures by defining syslog() itself.  A user who
# is already locked stays locked with fail_closed no.  root, whom the tally
# does not lock (no even_deny_root), still logs in: a full disk never locks
# everyone out.  Once space is freed, logins and the lockout work again.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

t_begin test_faults_tally
skip_all() {
	t_skip "tally directory full" "$1"
	t_end
	exit 0
}

if [[ ${1:-} != --inner ]]; then
	for f in pam_tenure.so tests/faults_pam; do
		[[ -e $TENURE_BUILD/$f ]] || { t_fail "missing $TENURE_BUILD/$f (build first)"; t_end; exit 1; }
	done
	[[ $(id -u) == 0 ]] || skip_all "needs root (mount namespace, tmpfs, root-owned tally)"
	command -v unshare >/dev/null || skip_all "unshare not found (util-linux)"
	unshare -m --propagation private true 2>/dev/null ||
		skip_all "cannot create a mount namespace (unshare -m): not permitted here"
	t_mount_ns_outer
fi

# ---- inside the namespace ----
if [[ $(readlink /proc/self/ns/mnt) == "$(readlink /proc/1/ns/mnt)" || $(findmnt -n -o PROPAGATION /) != private* ]]; then
	t_fail "refusing to mount: --inner needs a private mount namespace (unshare -m --propagation private)"
	t_end
	exit 1
fi
. "$here/../ldap/slapd.sh"
export LDAPCONF=/dev/null LDAPRC=/dev/null
B=$TENURE_BUILD
FP=$B/tests/faults_pam

d=${FAULTS_WORK:?}
blk=$d/blk ino=$d/ino
mkdir -p "$blk" "$ino" "$d/pam"
unmount_all() {
	local m
	for m in "$blk" "$ino"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
	return 0
}
trap 'slapd_cleanup; unmount_all; _t_cleanup' EXIT
slapd_start "$d/ldap" >/dev/null || slapd_start "$d/ldap" >/dev/null || { t_fail "slapd starts"; t_end; exit 1; }
# Blocks: 64 KiB.  Inodes: 8 (the root directory takes one).
mount -t tmpfs -o size=64k,mode=0700 tenure-tally-blk "$blk" &&
	mount -t tmpfs -o size=1m,nr_inodes=8,mode=0700 tenure-tally-ino "$ino" ||
	{ t_fail "mount the tally tmpfs"; t_end; exit 1; }
t_ok "tally tmpfs mounted (64 KiB; 8 inodes) in a private namespace"

# conf NAME DIR [lines...]; a stack of the same name (auth + account).
conf() {
	local name=$1 dir=$2
	shift 2
	{
		echo "uri $SLAPD_URI"
		echo "base $SLAPD_BASE"
		echo "binddn $SLAPD_NSS_DN"
		echo "bindpw_file $SLAPD_NSS_PW_FILE"
		echo "timelimit 5"
		echo "bind_timelimit 2"
		echo "dir $dir"
		echo "tally_key_file $d/tally.key"
		echo "deny 3"
		echo "unlock_time 600"
		echo "nodelay yes"
		printf '%s\n' "$@"
	} >"$d/$name.conf"
	printf '%s required %s conf=%s\n' auth "$B/pam_tenure.so" "$d/$name.conf" \
		account "$B/pam_tenure.so" "$d/$name.conf" >"$d/pam/$name"
}
conf closed "$blk"
conf open "$blk" "fail_closed no"
conf iclosed "$ino"
conf iopen "$ino" "fail_closed no"
# root through the faillock placements around a stand-in for pam_unix.
cat >"$d/pam/root" <<EOF
auth     requisite                $B/pam_tenure.so conf=$d/closed.conf preauth
auth     [success=1 default=bad]  pam_permit.so
auth     [default=die]            $B/pam_tenure.so conf=$d/closed.conf authfail
auth     sufficient               $B/pam_tenure.so conf=$d/closed.conf authsucc
auth     required                 pam_deny.so
account  required                 pam_permit.so
EOF

# login SERVICE USER PASSWORD: faults_pam output in $OUT, "auth acct" in $RES
login() {
	OUT=$(timeout 30 "$FP" -D "$d/pam" -s "$1" -u "$2" -a "$3" true 2>"$d/fp.err")
	RES="$(sed -n 's/^auth //p' <<<"$OUT") $(sed -n 's/^acct //p' <<<"$OUT")"
}
logs() { grep '^LOG: ' <<<"$OUT"; }

# ---- before: the tally works; mallory gets two failures, zhangwei is locked ----
login closed alice alice-Secret-1
expect_eq "$RES" "0 0" "space left: alice logs in"
for p in w1 w2 w3; do login closed zhangwei "$p"; done
login closed zhangwei zhangwei-Secret-1
expect_eq "$RES" "7 -1" "space left: zhangwei locked after 3 failures"
[[ -s $blk/zhangwei ]] && t_ok "zhangwei's tally file holds his failures" || t_fail "zhangwei's tally file holds his failures"

# ---- fill the blocks ----
dd if=/dev/zero of="$blk/filler" bs=4k status=none 2>/dev/null
expect_eq "$(df -k --output=avail "$blk" | tail -n 1 | tr -d ' ')" 0 "tally filesystem full (0 KiB free)"

login closed bob bob-Secret-1
expect_eq "$RES" "7 -1" "full, fail_closed yes: the right password is refused"
expect_match 'result=deny reason=tally-full dir=[^ ]+ error="No space left on device"' "$(logs)" \
	"full, fail_closed yes: logged result=deny reason=tally-full with the directory and the error"
if grep -q '^LOG: <8[0-9]>' <<<"$OUT"; then t_ok "logged to authpriv (facility 10)"; else t_fail "logged to authpriv: $(logs)"; fi
if grep -q 'password-ok' <<<"$OUT"; then t_fail "full, fail_closed yes: the directory was asked"; else t_ok "full, fail_closed yes: refused before the directory is asked"; fi
login closed bob wrong-1
expect_eq "$RES" "7 -1" "full, fail_closed yes: a wrong password is refused too"
login closed alice alice-Secret-1
expect_eq "$RES" "7 -1" "full, fail_closed yes: alice refused as well"

login open bob bob-Secret-1
expect_eq "$RES" "0 0" "full, fail_closed no: the right password logs in"
expect_match 'result=warn reason=tally-full' "$(logs)" "full, fail_closed no: logged result=warn reason=tally-full"
login open bob wrong-2
expect_eq "$RES" "7 -1" "full, fail_closed no: a wrong password still fails"
login open zhangwei zhangwei-Secret-1
expect_eq "$RES" "7 -1" "full, fail_closed no: zhangwei, already locked, stays locked"
expect_match 'reason=locked-out' "$(logs)" "full, fail_closed no: ... refused as locked-out"

login root root ignored
expect_eq "$RES" "0 0" "full, fail_closed yes: root (not subject to lockout) still logs in"

# ---- out of inodes: a new user's tally file cannot be made ----
for ((i = 0; i < 16; i++)); do { : >"$ino/f$i"; } 2>/dev/null || break; done
expect_eq "$(df --output=iavail "$ino" | tail -n 1 | tr -d ' ')" 0 "second tally filesystem out of inodes"
login iclosed carol carol-Secret-1
expect_eq "$RES" "7 -1" "no inode left, fail_closed yes: refused"
expect_match 'reason=tally-full' "$(logs)" "no inode left: logged reason=tally-full"
login iopen carol carol-Secret-1
expect_eq "$RES" "0 0" "no inode left, fail_closed no: logs in"

# ---- space freed: all back to normal ----
rm -f "$blk/filler" "$ino"/f*
login closed bob bob-Secret-1
expect_eq "$RES" "0 0" "space freed: bob logs in (fail_closed yes)"
login closed carol wrong-3
expect_match 'tally=counted failures=1' "$(logs)" "space freed: failures are counted again"
login closed zhangwei zhangwei-Secret-1
expect_eq "$RES" "7 -1" "space freed: zhangwei still locked"
if grep -rqa -e 'wrong-' -e 'Secret-1' "$blk" "$ino"; then t_fail "no password in the tally"; else t_ok "no password in the tally"; fi

slapd_cleanup
unmount_all
if mountpoint -q "$blk" || mountpoint -q "$ino"; then t_fail "tally tmpfs unmounted"; else t_ok "tally tmpfs unmounted"; fi
t_end
