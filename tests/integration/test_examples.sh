#!/bin/bash
# Every example an admin may copy is exercised: configs parse with tenure's
# own parser, the pam-auth-update profile is well-formed, the systemd unit
# verifies, the profile.d snippet does what it says, the LDAP files load
# into slapd, and the HR samples get the answers their README promises from
# a real tenure-syncd.  (The pam.d stacks run through real PAM in
# test_pam_login.sh, test_pam_password.sh and test_sshd.sh.)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$T_REPO/tests/ldap/slapd.sh"

t_begin examples
ex=$T_REPO/examples
ctl=$TENURE_BUILD/tenurectl
d=$(tmpdir_new)

# --- configuration files, through the one parser
for f in tenure.conf tenure-classic.conf tenure-nist.conf; do
	install -m 0644 "$ex/$f" "$d/$f"
	expect_rc 0 "$ctl" -c "$d/$f" config check
done
install -m 0644 "$ex/syncd.conf" "$d/syncd.conf"
expect_rc 0 "$ctl" --syncd -c "$d/syncd.conf" config check
expect_rc 0 "$ctl" -c "$d/tenure-classic.conf" policy show
expect_match 'minclass +3' "$T_OUT" "the classic example gives 3 character classes"
expect_rc 0 "$ctl" -c "$d/tenure-nist.conf" policy show
expect_match 'minlen +1[5-9]' "$T_OUT" "the nist example gives 15+ characters"

# --- nsswitch.conf lines
for db in passwd group shadow initgroups; do
	if grep -Eq "^$db:.*[[:space:]]tenure([[:space:]]|$)" "$ex/nsswitch.conf"; then
		t_ok "nsswitch.conf: $db uses tenure"
	else
		t_fail "nsswitch.conf: $db does not use tenure"
	fi
done

# --- pam-auth-update profile
for field in Name Default Priority Auth-Type Auth Account-Type Account Password-Type Password Session-Type Session; do
	if grep -q "^$field:" "$ex/pam-configs/tenure"; then
		t_ok "pam-configs/tenure has $field:"
	else
		t_fail "pam-configs/tenure lacks $field:"
	fi
done

# --- systemd unit
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$d/unit"
	sed "s|/usr/sbin/tenure-syncd|$TENURE_BUILD/tenure-syncd|" "$ex/systemd/tenure-syncd.service" \
		>"$d/unit/tenure-syncd.service"
	out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$d/unit/tenure-syncd.service" 2>&1 || true)
	# No systemd as PID 1 here: only the unit's own findings count.
	bad=$(grep -i 'tenure-syncd.service' <<<"$out" | grep -vi "no such file\|failed to connect\|not booted\|bus\|command 'man " || true)
	expect_eq "$bad" "" "systemd-analyze verify finds nothing wrong in the unit"
	unit=$(cat "$ex/systemd/tenure-syncd.service")
	for k in Type=notify ProtectSystem=strict NoNewPrivileges=yes StateDirectory= CapabilityBoundingSet= User=; do
		expect_match "$k" "$unit" "unit sets $k"
	done
else
	t_skip "systemd-analyze verify" "systemd-analyze not installed"
fi

# --- profile.d snippet
out=$(env -i bash --norc -c "TMOUT=900; export TMOUT; . '$ex/profile.d/tenure-tmout.sh'; unset TMOUT 2>/dev/null; echo \"TMOUT=\$TMOUT\"")
expect_eq "$out" "TMOUT=900" "profile.d: TMOUT from the session is read-only"
out=$(env -i bash --norc -c ". '$ex/profile.d/tenure-tmout.sh'; echo \"TMOUT=\${TMOUT:-unset}\"")
expect_eq "$out" "TMOUT=unset" "profile.d: nothing happens without a timeout"
expect_rc 0 sh -n "$ex/profile.d/tenure-tmout.sh"

# --- LDAP files
slapd_start "$d/slapd" >/dev/null
sed 's/cn=default,/cn=example-default,/; s/^cn: default/cn: example-default/' "$ex/ldap/ppolicy-default.ldif" >"$d/ppolicy.ldif"
expect_rc 0 ldapadd -x -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -f "$d/ppolicy.ldif"
expect_rc 0 ldapmodify -n -f "$ex/ldap/indexes.ldif"
expect_rc 0 ldapmodify -n -f "$ex/ldap/unique.ldif"
expect_rc 0 grep -q "tenureAccount" "$ex/ldap/tenure.schema"

# --- HR samples against a real tenure-syncd
printf 'example-token-1\n' >"$d/scim.token"
printf 'example-webhook-secret\nwhsec_%s\n' "$(printf 'standard-webhooks-key' | base64)" >"$d/webhook.secrets"
printf 'whsec_%s\n' "$(printf 'standard-webhooks-key' | base64)" >"$d/whsec"
printf 'example-webhook-secret\n' >"$d/plain.secret"
chmod 0600 "$d"/scim.token "$d"/webhook.secrets "$d"/whsec "$d"/plain.secret
mkdir -p "$d/spool"
cat >"$d/hr-syncd.conf" <<EOC
listen 127.0.0.1:0
uri $SLAPD_URI
base $SLAPD_BASE
base_passwd ou=people,$SLAPD_BASE
mass_change_percent 50
binddn $SLAPD_SYNCD_DN
bindpw_file $SLAPD_SYNCD_PW_FILE
scim_token_file $d/scim.token
webhook_secret_file $d/webhook.secrets
journal $d/journal.db
spool_dir $d/spool
audit_log $d/audit.log
EOC
chmod 0644 "$d/hr-syncd.conf"
"$TENURE_BUILD/tenure-syncd" -c "$d/hr-syncd.conf" 2>"$d/syncd.log" &
syncd=$!
trap 'kill $syncd 2>/dev/null; wait $syncd 2>/dev/null; slapd_cleanup' EXIT
port=""
for _ in $(seq 1 200); do
	port=$(grep -o 'listening on .* port=[0-9]*' "$d/syncd.log" 2>/dev/null | grep -o '[0-9]*$' | tail -1 || true)
	[[ -n $port ]] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.05
done
export SYNCD=http://127.0.0.1:$port

expect_rc 0 timeout 20 sh "$ex/hr/webhook-tenure.sh" "$d/plain.secret" bob
expect_match '"(status|state)" *: *"?(accepted|202)' "$T_OUT" "webhook-tenure.sh: the leaver is accepted"
expect_rc 0 timeout 20 sh "$ex/hr/webhook-bamboohr.sh" "$d/plain.secret" bob
expect_match '"(status|state)" *: *"?(accepted|202)' "$T_OUT" "webhook-bamboohr.sh: the rehire is accepted"
expect_rc 0 timeout 20 sh "$ex/hr/webhook-standard.sh" "$d/whsec" E1003 2030-01-31
expect_match '"(status|state)" *: *"?(accepted|202)' "$T_OUT" "webhook-standard.sh: the future leaver is accepted"
expect_rc 0 timeout 20 sh "$ex/hr/scim-okta.sh" "$d/scim.token" newhire
expect_match '"userName" *: *"newhire"' "$T_OUT" "scim-okta.sh: the joiner is created"
expect_match '"active" *: *false' "$T_OUT" "scim-okta.sh: the leaver is deactivated"
expect_rc 0 timeout 20 sh "$ex/hr/scim-entra.sh" "$d/scim.token" carol
expect_match '"active" *: *false' "$T_OUT" "scim-entra.sh: carol is deactivated"
cp "$ex/hr/leavers.csv" "$d/spool/.leavers.tmp"
mv "$d/spool/.leavers.tmp" "$d/spool/leavers.csv"
for _ in $(seq 1 50); do [[ -e $d/spool/leavers.csv ]] || break; sleep 0.1; done
if ls "$d/spool/done/"*leavers* >/dev/null 2>&1; then t_ok "leavers.csv is taken and moved to done/"
else t_fail "leavers.csv not in done/ ($(ls -R "$d/spool" | tr '\n' ' '))"; fi
t_end
