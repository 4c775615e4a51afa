# /etc/profile.d/tenure-tmout.sh — make the idle-session timeout stick.
#
# pam_tenure's session phase exports TMOUT=N when tenure.conf sets
# `session_timeout N` (MLPS 2.0 / GB/T 22239 8.1.4.1 b, PCI DSS 8.2.8: idle
# sessions end by themselves).  bash, ksh and zsh log an idle interactive
# shell out after TMOUT seconds; marking it read-only keeps users from
# unsetting it.  Nothing happens when TMOUT is not set.
if [ -n "${TMOUT:-}" ]; then
	readonly TMOUT 2>/dev/null
	export TMOUT
fi
