# shellcheck shell=bash
# tests/lib.sh -- helpers for tenure's integration tests (bash, sourced).
#
#   . "$(dirname "$0")/../lib.sh"
#   t_begin NAME                 start counting; NAME heads the closing line
#   t_ok DESC / t_fail DESC      record a pass / a failure
#   t_skip DESC REASON           record a skip
#   expect_eq ACTUAL EXPECTED DESC
#   expect_rc RC CMD [ARG...]    run CMD in a subshell, pass if its exit
#                                status is RC; its stdout+stderr are kept in
#                                $T_OUT (for a later expect_match) and shown
#                                on stderr when the check fails
#   expect_match REGEX TEXT DESC bash extended regex (=~)
#   t_end                        prints exactly one closing line
#                                "NAME: N passed, N failed[, N skipped]"
#                                and returns non-zero if anything failed
#   tmpdir_new                   prints a new temporary directory, removed
#                                when the test script exits (call it as
#                                d=$(tmpdir_new) -- the removal is registered
#                                in the calling shell through a list file)
#   t_build_path REL             $TENURE_BUILD/REL as an absolute path
#   t_mount_ns_outer             run "$0 --inner" in a private mount
#                                namespace, then check nothing was left
#   t_run_part CMD [ARG...]      run a part elsewhere (a namespace), count
#                                its results as ours; 0 if it ran to its end
#
# Results go to stdout as "ok - DESC", "FAIL - DESC", "skip - DESC (REASON)";
# details of failures go to stderr.  TENURE_BUILD (default "build", relative
# to the repository root) names the directory holding the built binaries.
#
# The EXIT trap is composed with any existing one, and runs after it, so a
# server started by tests/ldap/slapd.sh (whose trap runs first) is stopped
# before its directory is removed.

T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_REPO=$(cd "$T_LIB_DIR/.." && pwd)
TENURE_BUILD=${TENURE_BUILD:-build}
case $TENURE_BUILD in
/*) ;;
*) TENURE_BUILD=$T_REPO/$TENURE_BUILD ;;
esac
export TENURE_BUILD

# A sanitized build (make SANITIZE=address,undefined): system binaries that
# load our sanitized modules (getent, id) need the runtime preloaded, so
# wrappers that preload it come first on PATH; everything else (slapd,
# curl, bash) runs untouched.  Integration tests check memory errors there;
# leaks are checked by the unit tests (LeakSanitizer, make valgrind), since
# PAM unloads modules (and libldap) before a leak report could name them.
if [[ -f $TENURE_BUILD/.sanitize ]]; then
	T_SAN_PRELOAD=""
	case $(cat "$TENURE_BUILD/.sanitize") in
	*address*) T_SAN_PRELOAD=$(gcc -print-file-name=libasan.so) ;;
	esac
	case $(cat "$TENURE_BUILD/.sanitize") in
	*undefined*) T_SAN_PRELOAD="$T_SAN_PRELOAD $(gcc -print-file-name=libubsan.so)" ;;
	esac
	t_sanbin=$TENURE_BUILD/sanbin
	mkdir -p "$t_sanbin"
	# A script that runs another (e.g. itself in a namespace) sources this
	# again with sanbin already on PATH: the wrappers must name the real
	# programs, never themselves.
	t_path_real=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$t_sanbin" | paste -sd: -)
	for t_prog in getent id; do
		printf '#!/bin/sh\nLD_PRELOAD="%s${LD_PRELOAD:+ $LD_PRELOAD}" exec %s "$@"\n' \
			"${T_SAN_PRELOAD# }" "$(PATH=$t_path_real command -v "$t_prog")" >"$t_sanbin/$t_prog.$$"
		chmod +x "$t_sanbin/$t_prog.$$"
		mv -f "$t_sanbin/$t_prog.$$" "$t_sanbin/$t_prog"
	done
	export PATH=$t_sanbin:$t_path_real
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:verify_asan_link_order=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_PASS=0
T_FAILED=0
T_SKIPPED=0
T_OUT=""

t_begin() {
	T_NAME=$1
	T_PASS=0 T_FAILED=0 T_SKIPPED=0
}

t_ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $1"
}

t_fail() {
	T_FAILED=$((T_FAILED + 1))
	echo "FAIL - $1"
}

t_skip() {
	T_SKIPPED=$((T_SKIPPED + 1))
	echo "skip - $1 (${2:-no reason given})"
}

expect_eq() {
	if [[ $1 == "$2" ]]; then
		t_ok "$3"
	else
		t_fail "$3"
		printf '  expected: %q\n  actual:   %q\n' "$2" "$1" >&2
	fi
}

expect_rc() {
	local want=$1 got=0
	shift
	T_OUT=$("$@" 2>&1) || got=$?
	if [[ $got == "$want" ]]; then
		t_ok "exit $want: $*"
	else
		t_fail "exit $want: $* (got $got)"
		printf '%s\n' "$T_OUT" | sed 's/^/  | /' >&2
	fi
}

expect_match() {
	if [[ $2 =~ $1 ]]; then
		t_ok "$3"
	else
		t_fail "$3"
		printf '  regex: %s\n  text:\n' "$1" >&2
		printf '%s\n' "$2" | sed 's/^/  | /' >&2
	fi
}

t_end() {
	local line="$T_NAME: $T_PASS passed, $T_FAILED failed"
	((T_SKIPPED == 0)) || line+=", $T_SKIPPED skipped"
	echo "$line"
	((T_FAILED == 0))
}

t_build_path() {
	echo "$TENURE_BUILD/$1"
}

# t_mount_ns_outer: the outer half of a test that runs "$0 --inner" in a
# private mount namespace (tmpfs mounts and the like): the inner part gets
# its work directory in FAULTS_WORK, prints its checks and closing line,
# and is stopped after 300 s.  Afterwards nothing it started may be left
# running and the host's tmpfs mounts must be as before.  Exits with the
# inner part's status (1 when either after-check fails).
t_mount_ns_outer() {
	local before after work rc left
	before=$(grep -c ' tmpfs ' /proc/self/mounts)
	# The work directory is made out here, so that whatever the inner part
	# leaves running (if it is killed) can be found and stopped.
	work=$(tmpdir_new)
	FAULTS_WORK=$work timeout -k 5 300 unshare -m --propagation private -- "$0" --inner
	rc=$?
	left=$(pgrep -f -- "$work" | xargs)
	if [[ -n $left ]]; then
		# shellcheck disable=SC2086 # a list of pids
		kill -9 $left 2>/dev/null
		echo "FAIL - processes of the namespace part left running: $left"
		rc=1
	fi
	after=$(grep -c ' tmpfs ' /proc/self/mounts)
	if [[ $before != "$after" ]]; then
		echo "FAIL - the host's mount table changed (tmpfs mounts: $before -> $after)"
		echo "$T_NAME-host: 0 passed, 1 failed"
		exit 1
	fi
	exit "$rc"
}

# t_run_part CMD [ARG...]: run a part of this test elsewhere (e.g. the
# script itself in a namespace: unshare ... "$0" --inner) and take its
# results as ours: its ok/FAIL/skip lines are shown and counted, its
# closing line is swallowed.  Returns 0 when that closing line came (the
# part ran to its end), else 1; the part's exit status is in T_PART_RC.
t_run_part() {
	local closing='^[^ ]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' line got=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) T_PASS=$((T_PASS + 1)) ;;
		"FAIL - "*) T_FAILED=$((T_FAILED + 1)) ;;
		"skip - "*) T_SKIPPED=$((T_SKIPPED + 1)) ;;
		esac
		if [[ $line =~ $closing ]]; then
			got=1
			continue
		fi
		printf '%s\n' "$line"
	done < <("$@" 2>&1)
	wait $! 2>/dev/null
	T_PART_RC=$?
	((got == 1))
}

# Temporary directories are listed in a file so that tmpdir_new works from a
# $(...) subshell: the list lives in the test's shell, which removes them.
_T_TMPLIST=$(mktemp "${TMPDIR:-/tmp}/tenure-test-tmp.XXXXXX")

_t_cleanup() {
	local d
	if [[ -r $_T_TMPLIST ]]; then
		while IFS= read -r d; do
			[[ -n $d && -d $d ]] && rm -rf -- "$d"
		done <"$_T_TMPLIST"
		rm -f -- "$_T_TMPLIST"
	fi
	return 0
}

tmpdir_new() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/tenure-test.XXXXXX") || return 1
	printf '%s\n' "$d" >>"$_T_TMPLIST"
	echo "$d"
}

_t_arm_trap() {
	local old
	old=$(trap -p EXIT)
	old=${old#"trap -- '"}
	old=${old%"' EXIT"}
	old=${old//"'\\''"/"'"}
	# shellcheck disable=SC2064 # expand the old trap now, on purpose
	trap "${old:+$old; }_t_cleanup" EXIT
	[[ -n $(trap -p INT) ]] || trap 'exit 130' INT
	[[ -n $(trap -p TERM) ]] || trap 'exit 143' TERM
}
_t_arm_trap
