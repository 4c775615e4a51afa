#!/bin/bash
# bench/policy.sh — the password policy against its peers, and its costs.
#
#   make bench-policy B=build        (or TENURE_BUILD=build bash bench/policy.sh)
#
# 1. Refusal quality.  Corpus: john's password.lst (Debian package john-data,
#    ~3,500 common passwords).  Each entry is disguised the way users meet
#    composition rules: capitalised, leetspeak (a->@ o->0 e->3), a digit or a
#    year and a symbol appended.  Only candidates of at least 12 characters
#    and 3 character classes are kept, so composition rules alone cannot
#    refuse them.  Judges: tenure's `policy classic` (tenurectl policy check
#    --batch), libpwquality with Debian's defaults (pwscore, dictcheck on;
#    package libpwquality-tools) and passwdqc's defaults (pwqcheck; package
#    passwdqc).  Second corpus: 1,000 random 4-word passphrases from
#    wamerican, first word capitalised, a digit at the end.
# 2. Cost: a breached-filter lookup (1,000,000-key filter), and a full
#    password change through PAM against a real slapd with remember 24.
#
# Peers that are not installed are reported as skipped.  Nothing here needs
# the network.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
B=${TENURE_BUILD:-build}
case $B in /*) ;; *) B=$repo/$B ;; esac
ctl=$B/tenurectl
words=$B/share/tenure/words
filter=$B/share/tenure/breached.filter
list=/usr/share/john/password.lst
dict=/usr/share/dict/american-english
work=$(mktemp -d "${TMPDIR:-/tmp}/tenure-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$repo/bench/lib.sh"
bench_init policy

for f in "$ctl" "$words" "$filter" "$list" "$dict"; do
	[[ -r $f ]] || { echo "bench/policy.sh: missing $f (make; scripts/deps.sh)" >&2; exit 2; }
done

# Keep candidates of 12+ characters with 3+ classes.
composed() {
	LC_ALL=C awk 'length($0) >= 12 {
		c = ($0 ~ /[A-Z]/) + ($0 ~ /[a-z]/) + ($0 ~ /[0-9]/) + ($0 ~ /[^A-Za-z0-9]/)
		if (c >= 3) print }'
}

grep -v '^#!comment' "$list" | LC_ALL=C awk '
	function cap(s) { return toupper(substr(s, 1, 1)) substr(s, 2) }
	function leet(s) { gsub(/a/, "@", s); gsub(/o/, "0", s); gsub(/e/, "3", s); return s }
	{ w = tolower($0)
	  print cap(w) "1!"; print cap(w) "2024!"; print cap(leet(w)) "2024!"
	  print cap(leet(w)) "7#"; print cap(w) "#" "99" }' | composed | LC_ALL=C sort -u >"$work/disguised"

seeded() { openssl enc -aes-128-ctr -pass pass:tenure-bench -nosalt </dev/zero 2>/dev/null; }
LC_ALL=C grep -E '^[a-z]{4,8}$' "$dict" | shuf -n 4000 --random-source=<(seeded) |
	awk 'BEGIN { srand(4) }
	     { w[NR % 4] = $0 }
	     NR % 4 == 0 { print toupper(substr(w[1], 1, 1)) substr(w[1], 2) w[2] w[3] w[0] int(rand() * 10) }' |
	composed >"$work/passphrases"

printf 'policy classic\ndictpath %s\nbreached_filter %s\n' "$words" "$filter" >"$work/classic.conf"

judge_tenure() { "$ctl" -c "$work/classic.conf" policy check --batch <"$1" | grep -c '^refused' || true; }
judge_pwquality() {
	local n=0 pw
	while IFS= read -r pw; do
		printf '%s\n' "$pw" | pwscore >/dev/null 2>&1 || n=$((n + 1))
	done <"$1"
	echo "$n"
}
judge_passwdqc() { pwqcheck -1 --multi <"$1" 2>/dev/null | grep -vc '^OK: ' || true; }

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%5.1f %%", b ? 100 * a / b : 0 }'; }

echo "== refusal quality (share refused; higher is better on the disguised list, lower on passphrases)"
nd=$(wc -l <"$work/disguised")
np=$(wc -l <"$work/passphrases")
printf '%-28s %22s %22s\n' judge "disguised common ($nd)" "4-word passphrases ($np)"
for j in tenure pwquality passwdqc; do
	case $j in
	pwquality) command -v pwscore >/dev/null || { printf '%-28s skipped (apt-get install libpwquality-tools)\n' "$j"; bench_put skipped "$j" "not installed"; continue; } ;;
	passwdqc) command -v pwqcheck >/dev/null || { printf '%-28s skipped (apt-get install passwdqc)\n' "$j"; bench_put skipped "$j" "not installed"; continue; } ;;
	esac
	d=$("judge_$j" "$work/disguised")
	p=$("judge_$j" "$work/passphrases")
	label=$j
	[[ $j == tenure ]] && label="tenure (policy classic)"
	[[ $j == pwquality ]] && label="pwquality (pwscore, defaults)"
	[[ $j == passwdqc ]] && label="passwdqc (pwqcheck, defaults)"
	printf '%-28s %14s %5d/%-5d %11s %4d/%-4d\n' "$label" "$(pct "$d" "$nd")" "$d" "$nd" "$(pct "$p" "$np")" "$p" "$np"
	bench_kv "$j" "disguised_refused=$d disguised_n=$nd passphrase_refused=$p passphrase_n=$np"
done
echo "samples of the disguised list: $(shuf -n 4 --random-source=<(seeded) "$work/disguised" | tr '\n' ' ')"
echo "samples of the passphrases:    $(head -n 3 "$work/passphrases" | tr '\n' ' ')"
t0=$(date +%s.%N)
"$ctl" -c "$work/classic.conf" policy check --batch <"$work/disguised" >/dev/null || true
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v n="$nd" 'BEGIN { printf "tenure policy check: %.2f ms per candidate (batch, dictionary loaded once)\n", 1000 * (b - a) / n }' |
	tee "$work/check_ms"
bench_put tenure check_ms "$(awk '{ print $4 }' "$work/check_ms")"

echo
echo "== breached-filter lookup"
"$B/bench/policy_filter" 1000000 | tee "$work/filter"
bench_put filter listed_us "$(awk '/^lookup \(listed\)/ { print $3 }' "$work/filter")"
bench_put filter absent_us "$(awk '/^lookup \(absent\)/ { print $3 }' "$work/filter")"
bench_put filter bytes_per_key "$(sed -n 's/.*(\([0-9.]*\) bytes\/key).*/\1/p' "$work/filter")"

echo
echo "== full password change through PAM, remember 24 (slapd on loopback)"
driver=$B/tests/pamdriver
module=$B/pam_tenure.so
# shellcheck source=tests/ldap/slapd.sh
. "$repo/tests/ldap/slapd.sh"
export LDAPCONF=/dev/null LDAPRC=/dev/null
bench_slapd "$work/ldap" >/dev/null || { rm -rf "$work/ldap"; slapd_start "$work/ldap" >/dev/null; }
trap 'slapd_stop "$work/ldap" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/pam"
{
	echo "uri $SLAPD_URI"
	echo "base $SLAPD_BASE"
	echo "binddn $SLAPD_NSS_DN"
	echo "bindpw_file $SLAPD_NSS_PW_FILE"
	echo "policy classic"
	echo "min_days 0"
	echo "remember 24"
	echo "enforce_for_root yes"
	echo "dictpath $words"
	echo "breached_filter $filter"
	echo "history_dir $work/history"
} >"$work/change.conf"
echo "password requisite $module conf=$work/change.conf" >"$work/pam/passwd"
old=alice-Secret-1
max=0
for i in $(seq 1 24); do
	new="$(openssl rand -base64 12 | tr -d '/+=')#7a$i"
	t0=$(date +%s%N)
	"$driver" -D "$work/pam" -q -s passwd -u alice -a "$old" -a "$new" -a "$new" chauthtok >"$work/out" ||
		{ cat "$work/out"; exit 1; }
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "$ms" >>"$work/change_ms"
	((ms > max)) && max=$ms
	old=$new
done
hist=$(ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" \
	-b "uid=alice,ou=people,$SLAPD_BASE" -s base tenurePasswordHistory | grep -c '^tenurePasswordHistory:')
echo "24 changes; history on the entry: $hist values (argon2id m=19456 KiB t=2 p=1)"
echo "slowest change (bind, policy, 24 history verifications on 2 threads, write, history): ${max} ms"
echo "last change: ${ms} ms (target: under 1000 ms)"
bench_kv change "history=$hist max_ms=$max last_ms=$ms"
s=$(bench_samples policy-change) && [[ -n $s ]] && cp "$work/change_ms" "$s"
[[ -n ${BENCH_SLAPD_ENV:-} ]] || slapd_stop "$work/ldap" >/dev/null
