# The PAM login path: benchmark of the auth round trip against pam_ldap
# (nslcd) and pam_sss (sssd) on one private slapd.  Needs root.
#   make bench-pam-auth [PAM_AUTH_ROUNDS=2000]
PAM_AUTH_ROUNDS ?= 2000

.PHONY: bench-pam-auth
bench-pam-auth: all $(B)/tests/pam_login_bench $(B)/tests/pamdriver
	TENURE_BUILD=$(B) bash bench/pam_auth.sh $(PAM_AUTH_ROUNDS)
