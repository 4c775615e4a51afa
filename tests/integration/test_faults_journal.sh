#!/bin/bash
# Faults: tenure-syncd with its journal on a full filesystem.
#
# In a private mount namespace (unshare -m), a 2 MiB tmpfs holds the journal
# (and nothing else).  A filler file leaves little room, then signed webhook
# events are sent until the daemon refuses them: a refusal is a 5xx (503
# with Retry-After is what the issue asks for), and every event that was
# acknowledged 2xx is in the journal and applied to LDAP.  After the filler
# is removed, intake resumes and everything acknowledged is applied.  The
# tmpfs lives only inside the namespace; it is unmounted at the end and the
# host's mount table is checked.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

t_begin test_faults_journal
skip_all() {
	t_skip "journal on a full filesystem" "$1"
	t_end
	exit 0
}

if [[ ${1:-} != --inner ]]; then
	[[ -x $TENURE_BUILD/tenure-syncd && -x $TENURE_BUILD/tenurectl ]] || skip_all "tenure-syncd not built"
	[[ $(id -u) == 0 ]] || skip_all "needs root (mount namespace, tmpfs)"
	command -v unshare >/dev/null || skip_all "unshare not found (util-linux)"
	unshare -m --propagation private true 2>/dev/null ||
		skip_all "cannot create a mount namespace (unshare -m): not permitted here"
	t_mount_ns_outer
fi

# ---- inside the namespace ----
self_ns=$(readlink /proc/self/ns/mnt)
if [[ $self_ns == "$(readlink /proc/1/ns/mnt)" || $(findmnt -n -o PROPAGATION /) != private* ]]; then
	t_fail "refusing to mount: --inner needs a private mount namespace (unshare -m --propagation private)"
	t_end
	exit 1
fi
. "$here/../ldap/slapd.sh"
. "$here/test_syncd.lib"
export LDAPCONF=/dev/null LDAPRC=/dev/null
CTL=$TENURE_BUILD/tenurectl

d=${FAULTS_WORK:?}
jfs=$d/jfs
mkdir -p "$jfs"
unmount_jfs() { mountpoint -q "$jfs" 2>/dev/null && umount "$jfs"; return 0; }
trap 'syncd_kill; slapd_cleanup; unmount_jfs; _t_cleanup' EXIT
syncd_slapd_start "$d/ldap" --gen-users 400 || { t_fail "slapd starts"; t_end; exit 1; }
mount -t tmpfs -o size=2m,mode=0700 tenure-faults "$jfs" || { t_fail "mount a 2 MiB tmpfs"; t_end; exit 1; }
t_ok "2 MiB tmpfs mounted for the journal (private namespace)"
syncd_config "$d"
sed -i "s|^journal .*|journal $jfs/journal.db|" "$d/syncd.conf"
expect_eq "$(grep -c '^journal ' "$d/syncd.conf")" 1 "one journal line, on the tmpfs"
syncd_start "$d" || { t_fail "tenure-syncd starts"; t_end; exit 1; }
ctl() { "$CTL" --syncd -c "$d/syncd.conf" "$@"; }

# Leave ~600 KiB free: a dozen or so events (each commit appends WAL pages).
avail_kb() { df -k --output=avail "$jfs" | tail -n 1 | tr -d ' '; }
dd if=/dev/zero of="$jfs/filler" bs=1k count=$(($(avail_kb) - 600)) status=none 2>/dev/null
t_ok "filler leaves $(avail_kb) KiB free"

: >"$d/acked"
: >"$d/refused"
send() { # N: leaver for u<N>; records the id as acked or refused
	local id=full-$1 user out code
	user=$(printf 'u%05d' "$1")
	out=$(post_event "{\"id\":\"$id\",\"type\":\"leaver\",\"user\":\"$user\",\"reason\":\"full disk test\"}")
	code=${out%% *}
	case $code in
	2??) echo "$id $user" >>"$d/acked" ;;
	*) echo "$id $code" >>"$d/refused" ;;
	esac
	echo "$code"
}
first_refusal=""
for ((i = 1; i <= 300; i++)); do
	code=$(send "$i")
	if [[ $code != 2?? ]]; then
		first_refusal=$code
		break
	fi
done
nacked=$(wc -l <"$d/acked")
((nacked >= 1)) && t_ok "events acknowledged before the disk filled: $nacked" ||
	t_fail "events acknowledged before the disk filled (none: the filler left too little room)"
if [[ -n $first_refusal ]]; then
	t_ok "events refused once the filesystem is full (after $nacked acknowledged; $(avail_kb) KiB free)"
else
	t_fail "events refused once the filesystem is full (none refused in 300)"
fi
expect_eq "$first_refusal" 503 "the refusal is 503 (retry later)"
out=$(curl -s -m 10 -D - -o /dev/null -X POST -H "Content-Type: application/json" \
	-H "X-Tenure-Signature: $(sig_tenure "$SYNCD_SECRET" '{"id":"full-hdr","type":"leaver","user":"u00399"}')" \
	--data-binary '{"id":"full-hdr","type":"leaver","user":"u00399"}' "$SYNCD_URL/v1/events")
expect_match $'Retry-After: [0-9]+\r' "$out" "the 503 carries Retry-After"
sid=$(scim GET "/Users?filter=userName%20eq%20%22u00398%22" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
out=$(scim PATCH "/Users/$sid" '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}')
expect_match '^503 ' "$out" "SCIM deactivation while full: 503 too"
# A few more while full: all refused, the daemon stays up.
for ((j = i + 1; j <= i + 5; j++)); do send "$j" >/dev/null; done
expect_eq "$(wc -l <"$d/acked")" "$nacked" "while full: nothing more acknowledged"
kill -0 "$SYNCD_PID" 2>/dev/null && t_ok "tenure-syncd still running with its journal disk full" ||
	t_fail "tenure-syncd still running with its journal disk full"
expect_match '"status":"ok"' "$(curl -s -m 5 "$SYNCD_URL/healthz")" "/healthz answers while full"

# Every acknowledged event is in the journal (read-only view).
journal_ids() { ctl events list 2>/dev/null | awk '$2 ~ /^full-/ { print $2 }' | sort; }
missing=$(comm -23 <(cut -d' ' -f1 "$d/acked" | sort) <(journal_ids))
expect_eq "$missing" "" "every acknowledged event is in the journal while the disk is full"
# The refused ones are not (they were never acknowledged).
extra=$(comm -12 <(cut -d' ' -f1 "$d/refused" | sort) <(journal_ids))
expect_eq "$extra" "" "no refused event is in the journal"

# The worker writes the entry's previous values to the journal before it
# modifies LDAP, so while the disk is full it waits; checked after space is
# freed.
applied_all() {
	local id user
	while read -r id user; do
		ldap_get "$user" tenureLastEvent | grep -qx "$id" || return 1
	done <"$d/acked"
}

# ---- space freed: intake resumes, everything drains ----
rm -f "$jfs/filler"
code=""
for ((k = 0; k < 40; k++)); do
	code=$(send $((300 + k)))
	[[ $code == 2?? ]] && break
	sleep 0.25
done
expect_match '^2[0-9][0-9]$' "$code" "space freed: intake resumes ($code)"
for ((n = 1; n <= 20; n++)); do send $((340 + n)) >/dev/null; done
expect_eq "$(grep -c "^full-3[4-6][0-9] " "$d/acked")" 20 "space freed: the next 20 events acknowledged"
wait_until 30 applied_all && t_ok "every acknowledged event applied in LDAP after space is freed" ||
	t_fail "every acknowledged event applied in LDAP after space is freed"
all_applied_in_journal() {
	local want got
	want=$(cut -d' ' -f1 "$d/acked" | sort)
	got=$(ctl events list --state applied 2>/dev/null | awk '$2 ~ /^full-/ { print $2 }' | sort)
	[[ $want == "$got" ]]
}
wait_until 30 all_applied_in_journal && t_ok "journal: every acknowledged event is applied" ||
	{ t_fail "journal: every acknowledged event is applied"; ctl events list | grep -v applied | head -20 >&2; }
dupl=$(while read -r id user; do
	c=$(ldap_get "$user" tenureLastEvent | grep -cx "$id")
	((c == 1)) || echo "$id:$c"
done <"$d/acked")
expect_eq "$dupl" "" "each applied once (tenureLastEvent holds each id once)"

syncd_stop && t_ok "SIGTERM: clean exit" || t_fail "SIGTERM: clean exit"
expect_rc 0 "$CTL" audit verify "$d/audit.log"
expect_eq "$(grep -c 'journal add failed: .*disk is full' "$SYNCD_LOG")" "$(($(wc -l <"$d/refused") + 2))" \
	"each refusal (webhook and SCIM) was logged with its cause (disk full)"
expect_eq "$(grep -c 'no transaction is active' "$SYNCD_LOG")" 0 "worker retries log the real cause, not a failed ROLLBACK"
slapd_cleanup
unmount_jfs
mountpoint -q "$jfs" && t_fail "tmpfs unmounted" || t_ok "tmpfs unmounted"
t_end
