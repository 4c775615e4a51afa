#!/bin/bash
# The account phase never judges a directory account from an anonymous read
# unless told the directory shows the state markers to anonymous readers:
# the shipped ACLs hide shadowExpire, pwdAccountLockedTime and
# tenureDisabledAt from anonymous, and an anonymous read would let a
# disabled leaver in with an SSH key.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$T_REPO/tests/ldap/slapd.sh"

t_begin account_anonymous
d=$(tmpdir_new)
slapd_start "$d/slapd" >/dev/null
mkdir -m 0700 "$d/tally" "$d/pam.d"
conf() {   # conf NAME LINES...
	local name=$1 f=$d/$1.conf
	shift
	{ echo "uri $SLAPD_URI"; echo "base $SLAPD_BASE"; echo "dir $d/tally"
	  echo "tally_key_file $d/tally.key"; printf '%s\n' "$@"; } >"$f"
	chmod 0644 "$f"
	printf 'account required %s conf=%s\n' "$TENURE_BUILD/pam_tenure.so" "$f" >"$d/pam.d/$name"
}
pd() { "$TENURE_BUILD/tests/pamdriver" -D "$d/pam.d" "$@"; }

conf anon
conf anonok "account_anonymous yes"
conf svc "binddn $SLAPD_NSS_DN" "bindpw_file $SLAPD_NSS_PW_FILE"

# No binddn: refused as unavailable, for a disabled leaver and everyone else.
expect_rc 9 pd -s anon -u disabled acct
expect_rc 9 pd -s anon -u alice acct
expect_rc 0 "$TENURE_BUILD/tenurectl" -c "$d/svc.conf" account alice
TENURE_CONF=$d/anon.conf expect_rc 3 "$TENURE_BUILD/tenurectl" account alice
expect_match 'need binddn' "$T_OUT" "tenurectl account says why"

# With binddn: the leaver is refused, alice is let in.
expect_rc 6 pd -s svc -u disabled acct
expect_rc 0 pd -s svc -u alice acct

# account_anonymous yes on a directory that hides the markers: this is the
# hole the default closes (the leaver passes) -- documented, never default.
expect_rc 0 pd -s anonok -u disabled acct
t_ok "account_anonymous yes trusts the directory's anonymous view (the leaver passes here)"
t_end
