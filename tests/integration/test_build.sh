#!/bin/bash
# The build's promises: shared objects export only their service functions
# and load with every symbol resolved; hardening flags are in the binaries;
# `make install` lays files out where Debian expects them.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

t_begin build
B=$TENURE_BUILD

check_exports() {   # check_exports SO REGEX
	local so=$1 re=$2 bad
	if [[ ! -e $so ]]; then
		t_skip "exports of $(basename "$so")" "not built yet"
		return
	fi
	bad=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBRVW]/ {print $3}' | grep -Ev "$re" || true)
	expect_eq "$bad" "" "$(basename "$so") exports only symbols matching $re"
	expect_rc 0 "$B/tests/dlopen_check" "$so"
	if readelf -d "$so" | grep -q BIND_NOW && readelf -lW "$so" | grep -q GNU_RELRO; then
		t_ok "$(basename "$so") is linked with relro and now"
	else
		t_fail "$(basename "$so") lacks relro/now"
	fi
	if readelf -lW "$so" | grep GNU_STACK | grep -q RWE; then
		t_fail "$(basename "$so") has an executable stack"
	else
		t_ok "$(basename "$so") has a non-executable stack"
	fi
}

check_exports "$B/pam_tenure.so" '^(pam_sm_(authenticate|setcred|acct_mgmt|open_session|close_session|chauthtok)|PAM_TENURE)(@.*)?$'
check_exports "$B/libnss_tenure.so.2" '^(_nss_tenure_[a-z_]+|NSS_TENURE)(@.*)?$'

for prog in tenurectl tenure-syncd; do
	if [[ -e $B/$prog ]]; then
		if readelf -h "$B/$prog" | grep -q 'DYN'; then t_ok "$prog is position-independent"; else t_fail "$prog is not PIE"; fi
		if readelf -d "$B/$prog" | grep -q BIND_NOW; then t_ok "$prog is linked with now"; else t_fail "$prog lacks -z now"; fi
	fi
done

# make install into a staging directory.
stage=$(tmpdir_new)
expect_rc 0 make -s -C "$T_REPO" B="$B" install DESTDIR="$stage"
ma=$(gcc -print-multiarch)
[[ -e $B/pam_tenure.so ]] && { [[ -f $stage/lib/$ma/security/pam_tenure.so ]] && t_ok "PAM module in /lib/$ma/security" || t_fail "PAM module not in /lib/$ma/security"; }
[[ -e $B/libnss_tenure.so.2 ]] && { [[ -f $stage/lib/$ma/libnss_tenure.so.2 ]] && t_ok "NSS module beside libc's in /lib/$ma" || t_fail "NSS module not in /lib/$ma"; }
[[ -e $B/tenurectl ]] && { [[ -x $stage/usr/sbin/tenurectl ]] && t_ok "tenurectl in /usr/sbin" || t_fail "tenurectl not in /usr/sbin"; }
[[ -f $stage/usr/share/tenure/ldap/tenure.schema ]] && t_ok "schema in /usr/share/tenure/ldap" || t_fail "schema not installed"
[[ -f $stage/usr/share/pam-configs/tenure ]] && t_ok "pam-auth-update profile in /usr/share/pam-configs" || t_fail "pam-configs/tenure not installed"
[[ -f $stage/etc/profile.d/tenure-tmout.sh ]] && t_ok "TMOUT snippet in /etc/profile.d" || t_fail "profile.d snippet not installed"
[[ -f $stage/usr/share/locale/zh_CN/LC_MESSAGES/tenure.mo ]] && t_ok "zh_CN catalogue installed" || t_fail "zh_CN catalogue not installed"
ls "$stage"/usr/share/man/man5/tenure.conf.5 "$stage"/usr/share/man/man8/pam_tenure.8 "$stage"/usr/share/man/man8/tenurectl.8 >/dev/null 2>&1 &&
	t_ok "man pages installed" || t_fail "man pages not installed"
[[ -d $stage/var/lib/tenure ]] && [[ $(stat -c %a "$stage/var/lib/tenure") == 700 ]] && t_ok "state dir /var/lib/tenure is 0700" || t_fail "state dir missing or not 0700"

# RHEL layout through the variables.
stage2=$(tmpdir_new)
expect_rc 0 make -s -C "$T_REPO" B="$B" install DESTDIR="$stage2" LIBDIR=/usr/lib64
[[ -e $B/pam_tenure.so ]] && { [[ -f $stage2/usr/lib64/security/pam_tenure.so ]] && t_ok "LIBDIR=/usr/lib64 puts the PAM module in /usr/lib64/security" || t_fail "RHEL PAM path"; }

t_end
