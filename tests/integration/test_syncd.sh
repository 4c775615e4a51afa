#!/bin/bash
# tenure-syncd against a real slapd over real HTTP: the signed webhook in its
# three schemes, forged/stale/replayed signatures, the error paths, dead
# letters, future-dated leavers, rehire restoring the entry, CSV drops (bad
# lines, mass change held and released), /healthz, /metrics, SIGHUP reload,
# SIGTERM, the audit chain and tenurectl events/audit.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../ldap/slapd.sh"
. "$here/test_syncd.lib"

t_begin test_syncd
syncd_need_build

d=$(tmpdir_new)
syncd_slapd_start "$d/ldap" --gen-users 12 || { t_fail "slapd starts"; t_end; exit 1; }
syncd_config "$d" "max_body 4096
mass_change_limit 3"
trap 'syncd_kill; slapd_cleanup; _t_cleanup' EXIT
syncd_start "$d" || { t_fail "tenure-syncd starts"; t_end; exit 1; }
t_ok "tenure-syncd starts and listens on a loopback port ($SYNCD_PORT)"
ctl() { "$CTL" --syncd -c "$d/syncd.conf" "$@"; }

# ---- /healthz, LDAP detected ----
wait_until 5 grep -q 'tenure_schema=yes' "$SYNCD_LOG" && t_ok "tenure schema detected in the subschema" ||
	t_fail "tenure schema detected in the subschema"
expect_match '"status":"ok".*"ldap":"up"' "$(curl -s "$SYNCD_URL/healthz")" "/healthz says ok, LDAP up"

# ---- webhook, tenure scheme ----
before_exp=$(ldap_get bob shadowExpire)
before_lock=$(ldap_get bob pwdAccountLockedTime)
t0=$(now_ms)
out=$(post_event '{"id":"wh-bob-1","type":"leaver","user":"bob","reason":"resigned"}')
expect_match '^202 .*"accepted"' "$out" "signed leaver accepted with 202"
applied() { [[ $(ldap_get "$1" pwdAccountLockedTime) == 000001010000Z ]]; }
if wait_until 5 applied bob; then
	t_ok "leaver applied to LDAP in $(($(now_ms) - t0)) ms"
else
	t_fail "leaver applied to LDAP"
fi
expect_eq "$(ldap_get bob shadowExpire)" 1 "shadowExpire: 1"
expect_match 'resigned.*wh-bob-1' "$(ldap_get bob tenureDisabledReason)" "tenureDisabledReason names the reason and the event"
expect_match '^[0-9]{14}Z$' "$(ldap_get bob tenureDisabledAt)" "tenureDisabledAt is a GeneralizedTime"
expect_eq "$(ldap_get bob tenureLastEvent)" wh-bob-1 "tenureLastEvent records the event id"

out=$(post_event '{"id":"wh-bob-1","type":"leaver","user":"bob","reason":"resigned"}')
expect_match '^200 .*"duplicate"' "$out" "replayed event id acknowledged as duplicate"
sleep 0.3
expect_eq "$(ldap_get bob tenureLastEvent | grep -c wh-bob-1)" 1 "replayed event not applied twice"

# rehire restores exactly the previous values; signed with the older secret (rotation)
out=$(post_event '{"id":"wh-bob-2","type":"rehire","user":"bob"}' "$SYNCD_SECRET_OLD")
expect_match '^202 ' "$out" "second secret in the file is accepted (rotation)"
restored() { [[ -z $(ldap_get bob pwdAccountLockedTime) ]]; }
wait_until 5 restored && t_ok "rehire applied" || t_fail "rehire applied"
expect_eq "$(ldap_get bob shadowExpire)" "$before_exp" "rehire restores shadowExpire exactly"
expect_eq "$(ldap_get bob pwdAccountLockedTime)" "$before_lock" "rehire restores pwdAccountLockedTime exactly"
expect_eq "$(ldap_get bob tenureDisabledAt)" "" "rehire removes tenureDisabledAt"

# a user with a contract end date: the rehire gives that date back
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" >/dev/null <<EOF
dn: uid=u00001,ou=people,$SLAPD_BASE
changetype: modify
replace: shadowExpire
shadowExpire: 30000
EOF
post_event '{"id":"wh-u1-l","type":"leaver","user":"u00001"}' >/dev/null
wait_until 5 applied u00001 || true
post_event '{"id":"wh-u1-r","type":"rehire","user":"u00001"}' >/dev/null
u1back() { [[ $(ldap_get u00001 shadowExpire) == 30000 && -z $(ldap_get u00001 pwdAccountLockedTime) ]]; }
wait_until 5 u1back && t_ok "rehire restores a pre-existing shadowExpire (30000)" ||
	t_fail "rehire restores a pre-existing shadowExpire (30000), got '$(ldap_get u00001 shadowExpire)'"

# ---- forged, stale, missing signatures ----
body='{"id":"wh-forged","type":"leaver","user":"carol"}'
out=$(post_event "$body" "not-the-secret")
expect_match '^401 .*does not match' "$out" "forged signature refused with 401"
out=$(post_event "$body" "$SYNCD_SECRET" $(($(date +%s) - 400)))
expect_match '^401 .*window' "$out" "stale timestamp (400 s old) refused"
out=$(post_event "$body" "$SYNCD_SECRET" $(($(date +%s) + 400)))
expect_match '^401 .*window' "$out" "timestamp 400 s in the future refused"
sig=$(sig_tenure "$SYNCD_SECRET" "$body")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Tenure-Signature: $sig" \
	--data-binary '{"id":"wh-forged","type":"leaver","user":"alice"}' "$SYNCD_URL/v1/events")
expect_eq "$code" 401 "signature of another body refused"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "$body" "$SYNCD_URL/v1/events")
expect_eq "$code" 401 "unsigned request refused"
expect_eq "$(ldap_get carol pwdAccountLockedTime)" "" "nothing applied for refused requests"

# ---- Standard Webhooks ----
body='{"type":"leaver","user":"carol","reason":"standard webhooks"}'
ts=$(date +%s)
key_hex=$SYNCD_WHSEC_KEY_HEX
mac=$(printf '%s' "msg_carol_1.$ts.$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | base64)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "webhook-id: msg_carol_1" -H "webhook-timestamp: $ts" \
	-H "webhook-signature: v1,AAAA v1,$mac" --data-binary "$body" "$SYNCD_URL/v1/events")
expect_eq "$code" 202 "Standard Webhooks signature (whsec_ key, id from webhook-id) accepted"
wait_until 5 applied carol && t_ok "Standard Webhooks leaver applied" || t_fail "Standard Webhooks leaver applied"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "webhook-id: msg_carol_1" -H "webhook-timestamp: $((ts - 301))" \
	-H "webhook-signature: v1,$mac" --data-binary "$body" "$SYNCD_URL/v1/events")
expect_eq "$code" 401 "Standard Webhooks: stale timestamp refused"

# ---- BambooHR: hex HMAC over body then timestamp; employee_id lookup ----
body='{"id":"bamboo-1","type":"leaver","employee_id":"E1004","reason":"bamboo"}'
ts=$(date +%s)
mac=$(printf '%s%s' "$body" "$ts" | openssl dgst -sha256 -hmac "$SYNCD_SECRET" -hex | sed 's/^.*= //')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-BambooHR-Timestamp: $ts" -H "X-BambooHR-Signature: $mac" \
	--data-binary "$body" "$SYNCD_URL/v1/events")
expect_eq "$code" 202 "BambooHR signature accepted"
wait_until 5 applied zhangwei && t_ok "leaver by employee_id (E1004) applied to zhangwei" ||
	t_fail "leaver by employee_id (E1004) applied to zhangwei"

# ---- 400 / 413 / 405 ----
expect_match '^400 ' "$(post_event '{"id":"x1","type":"leaver","user":')" "malformed JSON: 400"
expect_match '^400 .*repeats' "$(post_event '{"id":"x2","type":"rehire","type":"leaver","user":"alice"}')" \
	"duplicate JSON keys: 400"
expect_match '^400 .*type' "$(post_event '{"id":"x3","type":"joiner","user":"alice"}')" "unknown type: 400"
expect_match '^400 .*user' "$(post_event '{"id":"x4","type":"leaver","user":"-rf"}')" "invalid user name: 400"
expect_match '^400 .*effective' "$(post_event '{"id":"x5","type":"leaver","user":"alice","effective":"tomorrow"}')" \
	"bad effective date: 400"
big=$(head -c 5000 /dev/zero | tr '\0' a)
expect_match '^413 ' "$(post_event "{\"id\":\"x6\",\"type\":\"leaver\",\"user\":\"alice\",\"reason\":\"$big\"}")" \
	"body over max_body: 413"
code=$(curl -s -o /dev/null -w '%{http_code}' "$SYNCD_URL/v1/events")
expect_eq "$code" 405 "GET /v1/events: 405"
code=$(curl -s -o /dev/null -w '%{http_code}' "$SYNCD_URL/nope")
expect_eq "$code" 404 "unknown path: 404"
expect_eq "$(ldap_get alice pwdAccountLockedTime)" "" "no rejected request touched alice"

# ---- dead letter ----
expect_match '^202 ' "$(post_event '{"id":"ghost-1","type":"leaver","user":"ghost"}')" "event for an unknown user accepted"
isdead() { ctl events list --state dead | grep -q ghost-1; }
wait_until 5 isdead && t_ok "unknown user goes to the dead letters" || t_fail "unknown user goes to the dead letters"
expect_match '"state": "dead"' "$(ctl events show ghost-1 --json)" "events show --json reports dead"
expect_match 'tenure_syncd_dead_letters 1' "$(curl -s "$SYNCD_URL/metrics")" "/metrics counts the dead letter"
expect_rc 0 ctl events retry ghost-1
wait_until 5 isdead && t_ok "retried dead letter is dead again (user still unknown)" || t_fail "retried dead letter is dead again"
expect_rc 1 ctl events retry no-such-event

# ---- future-dated leaver: scheduled, shadowExpire pre-written ----
eff=$(date -u -d '+3 days' +%Y-%m-%dT12:00:00Z)
day=$(($(date -u -d "$eff" +%s) / 86400))
expect_match '^202 ' "$(post_event "{\"id\":\"fut-1\",\"type\":\"leaver\",\"user\":\"pwwarn\",\"effective\":\"$eff\"}")" \
	"future-dated leaver accepted"
prew() { [[ $(ldap_get pwwarn shadowExpire) == "$day" ]]; }
wait_until 5 prew && t_ok "shadowExpire pre-written to the leaving day ($day)" || t_fail "shadowExpire pre-written to the leaving day"
expect_eq "$(ldap_get pwwarn pwdAccountLockedTime)" "" "future leaver not locked before the day"
expect_match '"state": "pending"' "$(ctl events show fut-1 --json)" "future leaver stays pending in the journal"
pw_exp_orig=$(ctl events show fut-1 --json | tr -d ' \n' | grep -o '"shadowExpire":\[[^]]*\]')
expect_match '^202 ' "$(post_event '{"id":"now-1","type":"leaver","user":"pwwarn"}')" "immediate leaver for the same user accepted"
wait_until 5 applied pwwarn && t_ok "immediate leaver not held back by the future-dated one" ||
	t_fail "immediate leaver not held back by the future-dated one"
expect_match '^202 ' "$(post_event '{"id":"re-1","type":"rehire","user":"pwwarn"}')" "rehire accepted"
iscancelled() { ctl events show fut-1 --json | grep -q '"state": "cancelled"'; }
wait_until 5 iscancelled && t_ok "rehire cancels the scheduled leaver" || t_fail "rehire cancels the scheduled leaver"
expect_eq "$(ldap_get pwwarn pwdAccountLockedTime)" "" "rehire unlocked pwwarn"
expect_eq "$(ldap_get pwwarn shadowExpire)" "$(printf '%s' "$pw_exp_orig" | grep -o '[0-9]\+' || true)" \
	"rehire gives back pwwarn's shadowExpire from before the pre-write ($pw_exp_orig)"

# ---- CSV drop ----
printf 'employee_id,user,action,effective\n,u00002,leaver,\nE1010,,leaver,\n' >"$d/spool/.good.tmp"
mv "$d/spool/.good.tmp" "$d/spool/good.csv"
wait_until 5 test -e "$d/spool/done/good.csv" && t_ok "good CSV moved to done/" || t_fail "good CSV moved to done/"
wait_until 5 applied u00002 && t_ok "CSV row by user applied" || t_fail "CSV row by user applied"
wait_until 5 applied mustchange && t_ok "CSV row by employee_id applied" || t_fail "CSV row by employee_id applied"

printf 'employee_id,user,action,effective\n,u00003,leaver,\n,u00004,fire,\n,,leaver,\n,u00005,leaver,yesterday\n' >"$d/spool/bad.csv"
wait_until 5 test -e "$d/spool/failed/bad.csv" && t_ok "CSV with bad lines moved to failed/" || t_fail "CSV with bad lines moved to failed/"
rep=$(cat "$d/spool/failed/bad.csv.report" 2>/dev/null)
expect_match 'line 3: action' "$rep" "report names line 3 (bad action)"
expect_match 'line 4: employee_id or user' "$rep" "report names line 4 (no user)"
expect_match 'line 5: effective' "$rep" "report names line 5 (bad date)"
wait_until 5 applied u00003 && t_ok "good row of a partly bad CSV applied" || t_fail "good row of a partly bad CSV applied"

printf 'employee_id,user,action,effective\n,u00006,leaver,\n,u00007,leaver,\n,u00008,leaver,\n,u00009,leaver,\n' >"$d/spool/mass.csv"
wait_until 5 test -e "$d/spool/held/mass.csv" && t_ok "4 leavers > mass_change_limit 3: held" || t_fail "mass change held"
sleep 0.5
expect_eq "$(ldap_get u00006 pwdAccountLockedTime)" "" "held file not applied"
expect_rc 0 ctl events release mass.csv
wait_until 5 test -e "$d/spool/done/mass.csv" && t_ok "released file processed" || t_fail "released file processed"
wait_until 5 applied u00009 && t_ok "released rows applied" || t_fail "released rows applied"
cp "$d/spool/done/good.csv" "$d/spool/again.csv"
wait_until 5 test -e "$d/spool/done/again.csv" || true
expect_eq "$(grep -c 'source=csv.*result=duplicate' "$SYNCD_LOG")" 2 "same CSV content dropped again: rows are duplicates"

# ---- metrics ----
m=$(curl -s "$SYNCD_URL/metrics")
expect_match 'tenure_syncd_events_received_total\{source="webhook"\} [1-9]' "$m" "/metrics: received by source"
expect_match 'tenure_syncd_events_applied_total\{source="csv"\} [1-9]' "$m" "/metrics: applied by source"
expect_match 'tenure_syncd_apply_seconds_bucket\{le="\+Inf"\} [1-9]' "$m" "/metrics: receipt-to-applied histogram"
expect_match 'tenure_syncd_ldap_up 1' "$m" "/metrics: ldap up"

# ---- SIGHUP: bad config kept out, good one taken ----
cp "$d/syncd.conf" "$d/syncd.conf.good"
echo "no_such_key 1" >>"$d/syncd.conf"
kill -HUP "$SYNCD_PID"
wait_until 5 grep -q 'reload refused' "$SYNCD_LOG" && t_ok "SIGHUP with a bad config: refused, logged" || t_fail "bad reload refused"
expect_match '^202 ' "$(post_event '{"id":"after-bad-reload","type":"rehire","user":"u00002"}' "$SYNCD_SECRET_OLD")" \
	"old config still serving after the refused reload"
cp "$d/syncd.conf.good" "$d/syncd.conf"
printf '%s\n' "$SYNCD_SECRET" >"$d/secrets"
kill -HUP "$SYNCD_PID"
wait_until 5 grep -q 'reloaded' "$SYNCD_LOG" && t_ok "SIGHUP with a good config: reloaded" || t_fail "good reload"
expect_match '^401 ' "$(post_event '{"id":"old-secret","type":"rehire","user":"u00002"}' "$SYNCD_SECRET_OLD")" \
	"retired secret refused after reload"
expect_match '^20[02] ' "$(post_event '{"id":"new-secret","type":"rehire","user":"u00002"}')" "current secret accepted after reload"

# ---- SIGTERM ----
t0=$(now_ms)
syncd_stop
rc=$?
expect_eq "$rc" 0 "SIGTERM: clean exit 0 ($(($(now_ms) - t0)) ms)"

# ---- audit chain ----
expect_rc 0 "$CTL" audit verify "$d/audit.log"
n=$(wc -l <"$d/audit.log")
expect_match 'action":"(intake|apply|dead_letter|held|reload|retry)' "$(cat "$d/audit.log")" "audit log records intake/apply/..."
cp "$d/audit.log" "$d/tampered.log"
sed -i '5s/"user":"[a-z0-9]*"/"user":"mallory"/; 5s/"action":"[a-z_]*"/"action":"tampered"/' "$d/tampered.log"
expect_rc 1 "$CTL" audit verify "$d/tampered.log"
expect_match 'line 5' "$T_OUT" "audit verify names line 5 of $n as the first bad line"
sed '7d' "$d/audit.log" >"$d/deleted.log"
expect_rc 1 "$CTL" audit verify "$d/deleted.log"
expect_match 'line 7' "$T_OUT" "deleting line 7 is detected at line 7"
# The last lines cut off: the chain alone cannot tell, the head tenure-syncd
# logged (its anchor, for a remote log collector) can.
anchor=$(grep -o 'audit head seq=[0-9]* sha256=[0-9a-f]*' "$SYNCD_LOG" | tail -n 1)
expect_match "^audit head seq=$n sha256=[0-9a-f]{64}\$" "$anchor" "tenure-syncd logs the audit head at stop (seq $n)"
expect_rc 0 "$CTL" audit verify "$d/audit.log" --head "$anchor"
expect_match "line $n matches the anchor" "$T_OUT" "audit verify --head: the log matches the logged head"
head -n $((n - 2)) "$d/audit.log" >"$d/cut.log"
expect_rc 0 "$CTL" audit verify "$d/cut.log"
expect_rc 1 "$CTL" audit verify "$d/cut.log" --head "$anchor"
expect_match "line $((n - 1)): missing: the log ends at line $((n - 2)) but the anchor names line $n" "$T_OUT" \
	"audit verify --head: two lines cut from the end are caught"
expect_rc 2 "$CTL" audit verify "$d/audit.log" --head "12:nothex"

# ---- restart continues the audit chain; non-loopback without TLS refused ----
printf 'per_ip_connections 2\nconnection_timeout 2\naudit_anchor_interval 0\n' >>"$d/syncd.conf"
syncd_start "$d" && t_ok "restart on the same journal" || t_fail "restart on the same journal"
# audit_anchor_interval 0: the head is logged after every record.
expect_match '^20[02] ' "$(post_event '{"id":"anchor-1","type":"rehire","user":"u00002"}')" "an event after the restart"
wait_until 5 grep -q "audit head seq=$((n + 2)) " "$SYNCD_LOG" &&
	t_ok "audit_anchor_interval 0: the head is logged right after each record" ||
	t_fail "audit_anchor_interval 0: the head is logged right after each record ($(grep 'audit head' "$SYNCD_LOG" | tail -n 2 | tr '\n' ' '))"
# two idle connections use up per_ip_connections 2: a third is refused ...
exec 7<>"/dev/tcp/127.0.0.1/$SYNCD_PORT" 8<>"/dev/tcp/127.0.0.1/$SYNCD_PORT"
sleep 0.2
expect_eq "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$SYNCD_URL/healthz")" 000 \
	"per_ip_connections 2: a third connection from the same address is refused"
# ... until connection_timeout (2 s) closes the idle ones
healthy() { [[ $(curl -s -m 2 -o /dev/null -w '%{http_code}' "$SYNCD_URL/healthz") == 200 ]]; }
wait_until 10 healthy && t_ok "idle connections closed after connection_timeout" ||
	t_fail "idle connections closed after connection_timeout"
exec 7>&- 8>&-
syncd_stop
expect_rc 0 "$CTL" audit verify "$d/audit.log"
# HTTPS: a throwaway certificate for 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
chmod 600 "$d/key.pem"
printf 'tls_cert %s\ntls_key %s\n' "$d/cert.pem" "$d/key.pem" >>"$d/syncd.conf"
if syncd_start "$d"; then
	expect_match 'tls=yes' "$(grep 'listening on' "$SYNCD_LOG" | tail -n 1)" "TLS configured: serves HTTPS"
	expect_match '"status":"ok"' "$(curl -s --cacert "$d/cert.pem" "https://127.0.0.1:$SYNCD_PORT/healthz")" \
		"GET https://.../healthz with the server's certificate"
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SYNCD_PORT/healthz")" 000 \
		"plain HTTP refused on the TLS port"
	syncd_stop
else
	t_fail "tenure-syncd starts with tls_cert/tls_key"
fi
sed -i '/^tls_/d' "$d/syncd.conf"
sed -i 's/^listen .*/listen 0.0.0.0:0/' "$d/syncd.conf"
expect_rc 1 timeout 10 "$TENURE_BUILD/tenure-syncd" -c "$d/syncd.conf"
expect_match 'not a loopback address' "$T_OUT" "plain HTTP off loopback refused at start"
expect_rc 2 "$TENURE_BUILD/tenure-syncd"

t_end
