#!/bin/bash
# bench/report.sh -- report.md and PNG charts from the results of
# bench/run-all.sh (make bench; make bench-report redoes only this step).
#
#   bench/report.sh DIR        DIR = $(B)/bench: NAME.tsv (SYS<TAB>METRIC<TAB>VALUE,
#                              written by bench/nss.sh, pam_auth.sh, policy.sh,
#                              syncd.sh), TAG.samples (latency samples, one a
#                              line), runs.tsv (part, exit status, seconds)
#
# Every table gives absolute figures and, for a peer, the ratio tenure/peer
# (below 1 = tenure is smaller: faster for a time, fewer for a count; for a
# rate, above 1 = tenure is faster).  Charts need gnuplot; without it the
# report says so and has the tables only.
set -uo pipefail

OUT=${1:?usage: report.sh DIR}
OUT=$(cd "$OUT" && pwd) || exit 1
repo=$(cd "$(dirname "$0")/.." && pwd)
R=$OUT/report.md

# ---- helpers ----

val() { # val PART SYS METRIC: the value, or -
	[[ -r $OUT/$1.tsv ]] || { echo -; return; }
	awk -F '\t' -v s="$2" -v m="$3" '$1 == s && $2 == m { v = $3 } END { print (v == "" ? "-" : v) }' "$OUT/$1.tsv"
}
num() { # strip units such as "/s"
	sed 's,/s$,,' <<<"$1"
}
ratio() { # ratio TENURE PEER
	awk -v a="$(num "$1")" -v b="$(num "$2")" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "";
		else { r = a / b; printf (r < 0.1 ? " (%.2g)" : " (%.2f)"), r } }'
}
cell() { # cell TENURE PEER: "PEER (ratio)"
	[[ $2 == - ]] && { echo -; return; }
	echo "$2$(ratio "$1" "$2")"
}
pct() { # pct N TOTAL
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.1f %%", 100 * a / b }'
}
share() { # share N TOTAL: a fraction, for ratios
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.4f", a / b }'
}
skipped() { # lines "skipped<TAB>WHO<TAB>WHY" of PART
	[[ -r $OUT/$1.tsv ]] || return 0
	awk -F '\t' '$1 == "skipped" { printf "- skipped: %s: %s\n", $2, $3 }' "$OUT/$1.tsv"
}
has_samples() { [[ -s $OUT/$1.samples ]]; }
run_status() { # how PART ran
	awk -F '\t' -v p="$1" '$1 == p { printf "%s, %d s", ($2 == 0 ? "ran" : "FAILED (exit " $2 ")"), $3 }' "$OUT/runs.tsv" 2>/dev/null
}
pkgver() { # version of a peer package: installed, or unpacked for the run
	local v d
	v=$(dpkg-query -W -f '${db:Status-Abbrev}${Version}' "$1" 2>/dev/null)
	[[ $v == ii* ]] && { echo "${v#ii }" | tr -d ' ' | sed 's/$/ (installed)/'; return; }
	for d in "$OUT"/peers/debs/"$1"_*.deb; do
		[[ -e $d ]] && { dpkg-deb -f "$d" Version | sed 's/$/ (unpacked for the run)/'; return; }
	done
	echo "not available"
}

# ---- charts ----

GNUPLOT=$(command -v gnuplot || true)
# cdf TAG SCALE: "x percent" lines of TAG's samples in OUT/TAG.cdf.dat
cdf() {
	local f=$OUT/$1.samples
	sort -g "$f" | awk -v n="$(wc -l <"$f")" -v s="$2" '{ printf "%.4f %.3f\n", $1 * s, 100 * NR / n }' \
		>"$OUT/$1.cdf.dat"
}
# One colour per system in every chart.
C_TENURE='#6a3d9a' C_LDAP='#1b9e77' C_SSS='#d95f02' C_NSCD='#e7298a' C_FLOOR='#555555'
# chart NAME TITLE XLABEL SCALE TAG:LABEL[:DASH[:COLOUR]]...  -- a CDF, log x
chart() {
	local name=$1 title=$2 xlabel=$3 scale=$4 plot="" spec tag label dt lc
	shift 4
	[[ -n $GNUPLOT ]] || return 1
	for spec in "$@"; do
		IFS=: read -r tag label dt lc <<<"$spec"
		has_samples "$tag" || continue
		cdf "$tag" "$scale"
		plot+="${plot:+, }'$OUT/$tag.cdf.dat' using 1:2 with lines lw 2 dt ${dt:-1}${lc:+ lc rgb '$lc'} title '$label'"
	done
	[[ -n $plot ]] || return 1
	cat >"$OUT/$name.gp" <<-EOF
		set terminal pngcairo size 960,560 noenhanced font 'DejaVu Sans,11'
		set output '$OUT/$name.png'
		set title "$title"
		set xlabel "$xlabel"
		set ylabel 'share of operations at or below (%)'
		set logscale x
		set format x '%g'
		set yrange [0:100]
		set ytics 10
		set grid xtics mxtics ytics lc rgb '#dddddd'
		set key bottom right box opaque
		plot $plot
	EOF
	"$GNUPLOT" "$OUT/$name.gp" 2>>"$OUT/gnuplot.log" || return 1
	echo
	echo "![$title]($name.png)"
}

# ---- the report ----

exec 3>"$R"
w() { printf '%s\n' "$@" >&3; }

slapd_v=$(slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9.]*\).*/\1/p' | head -n 1)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- 2>/dev/null || commit="$commit (with uncommitted changes)"
w "# tenure benchmark report" ""
w "Made by \`make bench\` (bench/run-all.sh, bench/report.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit."
w "Machine: $(nproc) CPUs, $(uname -sr), load average at report time $(cut -d ' ' -f 1-3 /proc/loadavg); slapd ${slapd_v:-?} on loopback (back_mdb), one server for every part."
w ""
w "**These are figures from one run on a shared machine, with other work running at the same time: they are noisy.**"
w "Compare the columns of one table (same run, same server, minutes apart), not runs with each other."
w "Ratios in parentheses are **tenure / peer**: below 1 means tenure's figure is smaller (faster, for a time;"
w "fewer, for a count); for a rate (per s) above 1 means tenure is faster."
w ""
w "| part | status |" "|---|---|"
for p in nss pam_auth policy syncd total; do
	w "| $p | $(run_status "$p") |"
done
w ""
w "Peers: sssd $(pkgver sssd-common), nslcd $(pkgver nslcd), libpam-ldapd $(pkgver libpam-ldapd),"
w "nscd $(pkgver nscd), libpwquality-tools $(pkgver libpwquality-tools), passwdqc $(pkgver passwdqc)."
w "Packages not installed were fetched with \`apt-get download\`, unpacked with \`dpkg -x\` and overlaid on"
w "/usr, /etc and /var inside a private mount namespace; /etc/nsswitch.conf and /etc/pam.d were checksummed"
w "before and after the run and were unchanged (the run fails otherwise)."
[[ -n $GNUPLOT ]] || w "" "gnuplot is not installed: no charts."

# -- summary: one line per comparison, details below
sum_row() { # LABEL UNIT BETTER TENURE PEER=VALUE...
	local line="| $1 | $2 | $3 | $4 |" t=$4 kv i
	shift 4
	for ((i = $#; i < 3; i++)); do set -- "$@" ""; done
	for kv in "$@"; do
		if [[ -z $kv ]]; then line+=" |"
		elif [[ ${kv#*=} == - ]]; then line+=" ${kv%%=*}: - |"; else line+=" ${kv%%=*}: ${kv#*=}$(ratio "$t" "${kv#*=}") |"; fi
	done
	w "$line"
}
refused() { pct "$(val policy "$1" "${2}_refused")" "$(val policy "$1" "${2}_n")"; }
w "" "## Summary" ""
w "| measure | unit | better | tenure | peer | peer | peer |" "|---|---|---|---:|---:|---:|---:|"
sum_row "NSS getpwnam_r, first lookup, p50" µs lower "$(val nss tenure.first p50)" \
	"nslcd=$(val nss nslcd.first p50)" "sssd cold=$(val nss sss.cold.first p50)" "nscd=$(val nss nscd.first p50)"
sum_row "NSS getpwnam_r, repeated name, p50" µs lower "$(val nss tenure.repeat p50)" \
	"nslcd=$(val nss nslcd.repeat p50)" "sssd warm=$(val nss sss.warm.first p50)" "nscd=$(val nss nscd.repeat p50)"
sum_row "NSS getent passwd NAME (new process)" ms lower "$(val nss tenure proc_ms)" \
	"nslcd=$(val nss nslcd proc_ms)" "sssd warm=$(val nss sss.warm proc_ms)" "nscd=$(val nss nscd proc_ms)"
sum_row "PAM auth round trip, p50" µs lower "$(val pam_auth tenure p50_us)" \
	"pam_ldap=$(val pam_auth pam_ldap p50_us)" "pam_sss=$(val pam_auth pam_sss p50_us)"
sum_row "PAM auth round trip, p99" µs lower "$(val pam_auth tenure p99_us)" \
	"pam_ldap=$(val pam_auth pam_ldap p99_us)" "pam_sss=$(val pam_auth pam_sss p99_us)"
w "| disguised common passwords refused | % | higher | $(refused tenure disguised) | pwquality: $(refused pwquality disguised) | passwdqc: $(refused passwdqc disguised) | |"
w "| 4-word passphrases refused | % | lower | $(refused tenure passphrase) | pwquality: $(refused pwquality passphrase) | passwdqc: $(refused passwdqc passphrase) | |"
w "| tenure-syncd, 10,000 leavers from 50 senders | 1/s | higher | $(num "$(val syncd burst rate)") | (no peer) | | |"
w "| tenure-syncd, ack p99 in that burst | ms | lower | $(val syncd burst ack_p99_ms) | (no peer) | | |"

# -- NSS
w "" "## 1. NSS: libnss_tenure.so.2 vs nslcd, sssd, nscd and a bare libldap loop" ""
w "10,000 users, 1,000 groups; in-process getpwnam_r through glibc (tests/tools/nss_stress bench);"
w "\`getent\` as a new process per lookup; floor = one libldap connection, one indexed search per lookup."
w "nscd = tenure behind glibc's nscd.  sssd cold = names sssd has not cached; warm = the same names again."
w ""
cols=(floor nscd nslcd sss.cold sss.warm sss files)
heads=("libldap floor" "nscd (+tenure)" "nslcd" "sssd cold" "sssd warm" "sssd" "files")
line="| measure | unit | better | tenure | tenure, cache off |"
sep="|---|---|---|---:|---:|"
for h in "${heads[@]}"; do line+=" $h |"; sep+="---:|"; done
w "$line" "$sep"
nss_row() { # LABEL UNIT BETTER SUFFIX METRIC
	local t k line
	t=$(val nss "tenure$4" "$5")
	local nc=-
	case $4$5 in .firstps | .firstp50 | .firstp99) nc=$(val nss tenure.nocache "${5}") ;; proc_ms) nc=$(val nss tenure.nocache proc_ms) ;; esac
	line="| $1 | $2 | $3 | $t | $nc |"
	for k in "${cols[@]}"; do line+=" $(cell "$t" "$(val nss "$k$4" "$5")") |"; done
	w "$line"
}
nss_row "getpwnam_r, first lookup of a name" "1/s" higher .first ps
nss_row "  p50" "µs" lower .first p50
nss_row "  p99" "µs" lower .first p99
nss_row "getpwnam_r, repeated names" "1/s" higher .repeat ps
nss_row "  p50" "µs" lower .repeat p50
nss_row "  p99" "µs" lower .repeat p99
nss_row "getent passwd NAME (new process)" "ms" lower "" proc_ms
nss_row "getent initgroups (user in 200 groups)" "ms" lower "" initgr_ms
nss_row "  groups returned" "n" "201" "" initgr_n
nss_row "getent group biggroup (10,000 members)" "ms" lower "" biggrp_ms
nss_row "  members returned" "n" "10000" "" biggrp_n
nss_row "getent passwd (enumeration)" "ms" lower "" enum_ms
nss_row "  entries returned" "n" "all" "" enum_n
nss_row "RSS added by the first lookup" "kB" lower "" rss_kb
nss_row "descriptors added" "n" lower "" fds
nss_row "LDAP connections, 100 processes" "n" lower "" conns
w ""
skipped nss >&3
chart nss-first "getpwnam_r, first lookup of each name (N=$(wc -l <"$OUT/nss-tenure.first.samples" 2>/dev/null || echo ?) per system)" \
	"latency per lookup (µs, log scale)" 1 \
	nss-tenure.first:tenure:1:$C_TENURE nss-tenure.nocache:"tenure, cache off":2:$C_TENURE \
	nss-floor.first:"libldap floor (one connection)":3:$C_FLOOR nss-nscd.first:"nscd (+tenure)":1:$C_NSCD \
	nss-nslcd.first:nslcd:1:$C_LDAP nss-sss.cold.first:"sssd (cold)":1:$C_SSS >&3
chart nss-repeat "getpwnam_r, names already looked up" "latency per lookup (µs, log scale)" 1 \
	nss-tenure.repeat:tenure:1:$C_TENURE nss-nscd.repeat:"nscd (+tenure)":1:$C_NSCD \
	nss-nslcd.repeat:nslcd:1:$C_LDAP nss-sss.warm.first:"sssd (warm)":1:$C_SSS \
	nss-sss.repeat:"sssd (repeated)":2:$C_SSS >&3

# -- PAM
w "" "## 2. PAM: auth round trip, pam_tenure vs pam_ldap (nslcd) and pam_sss (sssd)" ""
w "User alice, $(val pam_auth tenure n) rounds per row after 50 warm-up rounds (tests/tools/pam_login_bench)."
w "Round trip = pam_start_confdir + pam_authenticate + pam_end (the module is loaded each time, as in a new"
w "sshd child); one handle = pam_authenticate only, on a handle started once.  pam_tenure: LDAP search, bind"
w "as the user, lockout tally.  pam_ldap and pam_sss: through their daemons on the same slapd."
w ""
w "| measure | unit | better | tenure | pam_ldap | pam_sss |" "|---|---|---|---:|---:|---:|"
pam_row() { # LABEL SUFFIX METRIC
	local t
	t=$(val pam_auth "tenure$2" "$3")
	w "| $1 | µs | lower | $t | $(cell "$t" "$(val pam_auth "pam_ldap$2" "$3")") | $(cell "$t" "$(val pam_auth "pam_sss$2" "$3")") |"
}
for m in p50_us p90_us p99_us mean_us max_us; do pam_row "round trip, ${m%_us}" "" "$m"; done
for m in p50_us p90_us p99_us mean_us max_us; do pam_row "one handle, ${m%_us}" ".held" "$m"; done
w "| successful rounds | n | all | $(val pam_auth tenure ok) / $(val pam_auth tenure.held ok) | $(val pam_auth pam_ldap ok) / $(val pam_auth pam_ldap.held ok) | $(val pam_auth pam_sss ok) / $(val pam_auth pam_sss.held ok) |"
w ""
skipped pam_auth >&3
chart pam-auth "PAM auth: pam_start + pam_authenticate + pam_end (solid); one handle (dashed)" \
	"latency per authentication (ms, log scale)" 0.001 \
	pam_auth-tenure:pam_tenure:1:$C_TENURE pam_auth-pam_ldap:"pam_ldap (nslcd)":1:$C_LDAP \
	pam_auth-pam_sss:"pam_sss (sssd)":1:$C_SSS pam_auth-tenure.held:"pam_tenure, one handle":2:$C_TENURE \
	pam_auth-pam_ldap.held:"pam_ldap, one handle":2:$C_LDAP pam_auth-pam_sss.held:"pam_sss, one handle":2:$C_SSS >&3

# -- policy
w "" "## 3. Password policy: refusal quality vs pam_pwquality and passwdqc, and its costs" ""
w "Disguised common passwords: john's password.lst capitalised, leetspeak, digits/year and a symbol appended,"
w "12+ characters and 3+ classes (composition rules alone cannot refuse them): a good judge refuses them."
w "Passphrases: 4 random wamerican words, a digit at the end: a good judge accepts them."
w "tenure = \`tenurectl policy check --batch\` with \`policy classic\`; pwquality = pwscore with Debian's"
w "defaults; passwdqc = pwqcheck with its defaults."
w ""
w "| measure | better | tenure | pwquality | passwdqc |" "|---|---|---:|---:|---:|"
pol_row() { # LABEL BETTER KIND
	local t tn ts line j
	t=$(val policy tenure "${3}_refused") tn=$(val policy tenure "${3}_n")
	ts=$(share "$t" "$tn")
	line="| $1 | $2 | $(pct "$t" "$tn") ($t / $tn) |"
	for j in pwquality passwdqc; do
		local v vn
		v=$(val policy "$j" "${3}_refused") vn=$(val policy "$j" "${3}_n")
		if [[ $v == - ]]; then line+=" - |"; else line+=" $(pct "$v" "$vn")$(ratio "$ts" "$(share "$v" "$vn")") |"; fi
	done
	w "$line"
}
pol_row "disguised common passwords refused" higher disguised
pol_row "4-word passphrases refused" lower passphrase
w ""
w "| cost (tenure) | value |" "|---|---:|"
w "| policy check, per candidate (batch, dictionary loaded once) | $(val policy tenure check_ms) ms |"
w "| breached-filter lookup, listed key (1,000,000-key filter) | $(val policy filter listed_us) µs |"
w "| breached-filter lookup, absent key | $(val policy filter absent_us) µs |"
w "| filter size | $(val policy filter bytes_per_key) bytes/key |"
w "| password change through PAM with remember 24: slowest of 24 | $(val policy change max_ms) ms |"
w "| the same: last (24 history entries checked) | $(val policy change last_ms) ms |"
w "| history values on the entry after 24 changes | $(val policy change history) |"
w ""
skipped policy >&3
if [[ -n $GNUPLOT && $(val policy tenure disguised_n) != - ]]; then
	for j in tenure pwquality passwdqc; do
		[[ $(val policy "$j" disguised_n) == - ]] && continue
		awk -v j="$j" -v a="$(val policy "$j" disguised_refused)" -v an="$(val policy "$j" disguised_n)" \
			-v b="$(val policy "$j" passphrase_refused)" -v bn="$(val policy "$j" passphrase_n)" \
			'BEGIN { printf "%s %.1f %.1f\n", j, 100 * a / an, 100 * b / bn }'
	done >"$OUT/policy-refusal.dat"
	cat >"$OUT/policy-refusal.gp" <<-EOF
		set terminal pngcairo size 960,420 noenhanced font 'DejaVu Sans,11'
		set output '$OUT/policy-refusal.png'
		set title 'Refused: disguised common passwords (should be all) and 4-word passphrases (should be none)'
		set ylabel '% refused'
		set yrange [0:110]
		set ytics 0,20,100
		set grid ytics lc rgb '#dddddd'
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set boxwidth 1
		set key below horizontal
		plot '$OUT/policy-refusal.dat' using 2:xtic(1) lc rgb '$C_TENURE' title 'disguised common passwords', \
		     '' using 3 lc rgb '$C_SSS' title '4-word passphrases', \
		     '' using (\$0 - 0.17):(\$2 + 4):(sprintf('%.1f %%', \$2)) with labels notitle, \
		     '' using (\$0 + 0.17):(\$3 + 4):(sprintf('%.1f %%', \$3)) with labels notitle
	EOF
	"$GNUPLOT" "$OUT/policy-refusal.gp" 2>>"$OUT/gnuplot.log" &&
		w "![Refusal quality](policy-refusal.png)" ""
fi
if [[ -n $GNUPLOT ]] && has_samples policy-change; then
	awk '{ print NR, $1 }' "$OUT/policy-change.samples" >"$OUT/policy-change.dat"
	cat >"$OUT/policy-change.gp" <<-EOF
		set terminal pngcairo size 960,420 noenhanced font 'DejaVu Sans,11'
		set output '$OUT/policy-change.png'
		set title 'Password change through PAM (pamdriver process), remember 24'
		set xlabel 'change number (history entries to check = number - 1)'
		set ylabel 'ms'
		set yrange [0:*]
		set xrange [0.5:24.5]
		set xtics 1,1,24
		set grid ytics lc rgb '#dddddd'
		set style fill solid 0.6
		set boxwidth 0.7
		plot '$OUT/policy-change.dat' using 1:2 with boxes lc rgb '#4477aa' notitle
	EOF
	"$GNUPLOT" "$OUT/policy-change.gp" 2>>"$OUT/gnuplot.log" &&
		w "![Password change through PAM, remember 24](policy-change.png)"
fi

# -- syncd
w "" "## 4. tenure-syncd: leaver events under load" ""
w "Signed leaver webhooks (tests/tools/syncd_load) over keep-alive HTTP/1.1 on loopback; an acknowledgement"
w "comes after the SQLite commit of the journal; applied = the account disabled in LDAP.  Burst: $(val syncd burst sent)"
w "events, one per generated user, from 50 senders as fast as they go; paced: 1,000 events at 100/s from 10 senders."
w "No peer: there is no comparable open-source daemon, so only absolute figures."
w ""
w "| measure | unit | burst | paced |" "|---|---|---:|---:|"
syn_row() { w "| $1 | $2 | $(num "$(val syncd burst "$3")") | $(num "$(val syncd paced "$3")") |"; }
ms_row() { # seconds in the results, ms in the table
	local b p
	b=$(val syncd burst "$3") p=$(val syncd paced "$3")
	w "| $1 | ms | $(awk -v v="$b" 'BEGIN { print (v == "-" ? "-" : sprintf("%.1f", v * 1000)) }') | $(awk -v v="$p" 'BEGIN { print (v == "-" ? "-" : sprintf("%.1f", v * 1000)) }') |"
}
syn_row "events sent" n sent
syn_row "acknowledged" n acked
syn_row "errors" n errors
syn_row "sending time" s seconds
syn_row "acknowledgement rate" "1/s" rate
syn_row "ack latency p50" ms ack_p50_ms
syn_row "ack latency p99" ms ack_p99_ms
syn_row "ack latency max" ms ack_max_ms
syn_row "503 retries (backlog full)" n retries_503
syn_row "applied in LDAP" n applied
syn_row "first send to last applied" ms all_applied_ms
ms_row "receipt to applied, p99" - apply_p99_s
w "| daemon peak RSS (VmHWM) | kB | $(val syncd tenure-syncd rss_peak_kb) | |"
w ""
chart syncd "tenure-syncd: acknowledgement (solid) and receipt-to-applied in LDAP (dashed)" \
	"latency per event (ms, log scale)" 1 \
	syncd-burst.ack:"burst, ack":1:$C_TENURE syncd-paced.ack:"paced 100/s, ack":1:$C_LDAP \
	syncd-burst.apply:"burst, applied":2:$C_TENURE syncd-paced.apply:"paced 100/s, applied":2:$C_LDAP >&3

w "" "## Logs" ""
w "Each part's own output: $(for p in nss pam_auth policy syncd; do printf '%s ' "\`$p.log\`"; done)in this directory."
exec 3>&-
echo "$R"
