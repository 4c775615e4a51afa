# The benchmark table (issue 8): every side-by-side benchmark in one run.
#
#   make bench         bench/run-all.sh: bench/nss.sh, bench/pam_auth.sh,
#                      bench/policy.sh and bench/syncd.sh against one private
#                      slapd, the peers unpacked (never installed) and run in
#                      a private mount namespace; then bench/report.sh writes
#                      $(B)/bench/report.md and the PNG charts.  Needs root;
#                      installs gnuplot-nox if gnuplot is missing.  Fails if
#                      /etc/nsswitch.conf or /etc/pam.d changed during the run.
#   make bench-report  redo report.md and the charts from the last run's results
#
# Each part still has its own target (bench-nss, bench-pam-auth,
# bench-policy, bench-syncd) with its own slapd.

.PHONY: bench bench-report
bench: all tests $(B)/bench/policy_filter
	TENURE_BUILD=$(B) PAM_AUTH_ROUNDS=$(PAM_AUTH_ROUNDS) bash bench/run-all.sh

bench-report:
	bash bench/report.sh $(B)/bench
