# shellcheck shell=bash
# What the system tests share, sourced by each as . "$(dirname "$0")/lib.sh"
# (tests/CMakeLists.txt keeps this file out of the test list): the
# environment, a temp dir and the processes to stop on exit, the pass/fail
# counters with the final "N passed, M failed" line, and waiting for a
# server. Only what was the same in several scripts lives here; a helper
# that one script needs stays in that script.

: "${DNSD_BUILD:?DNSD_BUILD must name the build directory}"
: "${DNSD_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck disable=SC2034 # for the scripts
DNSD=$DNSD_BUILD/src/daemon/dnsd
# shellcheck disable=SC2034 # for the scripts
PY=/usr/bin/python3

# $tmp is removed and every pid in pids stopped when the script exits,
# however it exits: SIGTERM first (nsd stops its children only then), and
# SIGKILL for what is still there after 2 s, so the trap never hangs.
tmp=$(mktemp -d)
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p alive
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for _ in $(seq 20); do
		alive=
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

pass=0
fail=0
ok() { # ok [DESCRIPTION]: one check passed ("ok - DESCRIPTION" if given)
	pass=$((pass + 1))
	if [ $# -gt 0 ]; then echo "ok - $*"; fi
}
bad() { # bad DESCRIPTION: one check failed
	echo "FAIL: $*"
	fail=$((fail + 1))
}
check() { # check DESCRIPTION COMMAND...: passes if COMMAND succeeds
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}
# check_out DESCRIPTION COMMAND...: as check, with an "ok - "/"not ok - "
# line for every check and COMMAND's output under it as "# " lines.
check_out() {
	local what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$what"
	else
		fail=$((fail + 1))
		echo "not ok - $what"
	fi
	sed 's/^/# /' "$tmp/out"
}
has() { grep -q -- "$2" "$1"; }    # has FILE PATTERN
hasnt() { ! grep -q -- "$2" "$1"; } # hasnt FILE PATTERN

# finish: the final line, and exit 0 only if nothing failed.
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# need TOOL...: a missing tool is a failed test (finished at once), not a
# silent pass.
need() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null; then
			echo "missing $t"
			fail=$((fail + 1))
			finish
		fi
	done
}

# dnsd_start CONF LOG: dnsd -c CONF in the background, its log (stderr) in
# LOG; its pid in $pid, stopped on exit.
dnsd_start() {
	"$DNSD" -c "$1" 2>"$2" &
	pid=$!
	pids+=("$pid")
}

# wait_answer PORT PATTERN DIG-ARGS...: until `dig +short` of DIG-ARGS at
# 127.0.0.1#PORT prints a line matching PATTERN; 1 after 10 s, or at once
# when the dnsd last started by dnsd_start has died.
wait_answer() {
	local port=$1 pat=$2 out
	shift 2
	for _ in $(seq 50); do
		out=$(dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 "$@" 2>/dev/null)
		grep -q -- "$pat" <<<"$out" && return 0
		if [ -n "${pid:-}" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}

# wait_log FILE PATTERN N: until FILE has N lines matching PATTERN; 1
# after 10 s.
wait_log() {
	for _ in $(seq 1 100); do
		[ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# test_pki DIR: a CA (ca.pem, ca.key) and a TLS leaf for 127.0.0.1 and
# localhost signed by it (leaf.pem, leaf.key), for the TLS servers the
# tests start (pebble: its package ships no test certificates). 1 when
# openssl fails.
test_pki() {
	mkdir -p "$1" && (
		cd "$1" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.pem -subj /CN=dnsd-test-ca -days 2 \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign 2>/dev/null &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout leaf.key -out leaf.csr -subj /CN=127.0.0.1 2>/dev/null &&
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext &&
			openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key \
				-CAcreateserial -days 2 -extfile ext -out leaf.pem 2>/dev/null
	)
}
