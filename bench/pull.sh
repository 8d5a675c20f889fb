#!/usr/bin/env bash
# Pull benchmark: a dnsd git primary (workers 1) serving 20 zones, one of
# them NAMES names, pulls commits that each change one record of the big
# zone, on a signed NOTIFY; measured: NOTIFY to the new answer, the query
# rate and lost queries under dnsperf with and without pulls, and the
# fetch/reload times and parsed zones dnsd logs. Not a test; see
# bench/README.md ("Pulls from git").
#
#   bench/pull.sh [BUILD_DIR]
#
# BUILD_DIR (default build-pull in the source tree) is a Release build
# with dnsd, dnsd-notify and dnsd-keygen. Environment: ROUNDS (10 pulls
# per phase), NAMES (100000, the big zone), ZONES (20 in all), SMALL (100
# names in each other zone), DURATION (20 s per dnsperf window), QPS
# (50000, the capped windows' -Q), PORT (16000, on 127.0.0.1).
# Needs git, dnsperf, dig and /usr/bin/python3 with dnspython.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-pull}
rounds=${ROUNDS:-10}
names=${NAMES:-100000}
zones=${ZONES:-20}
small=${SMALL:-100}
duration=${DURATION:-20}
qps=${QPS:-50000}
port=${PORT:-16000}
py=/usr/bin/python3
measure=$src/bench/pull_measure.py
dnsd=$build/src/daemon/dnsd
notify=$build/src/tools/dnsd-notify
keygen=$build/src/tools/dnsd-keygen

for tool in git dnsperf dig "$py"; do
	command -v "$tool" >/dev/null || { echo "pull.sh: missing $tool" >&2; exit 1; }
done
"$py" -c 'import dns.message' 2>/dev/null ||
	{ echo "pull.sh: $py lacks dnspython (python3-dnspython)" >&2; exit 1; }
for bin in "$dnsd" "$notify" "$keygen"; do
	if [ ! -x "$bin" ]; then
		echo "pull.sh: no $bin; build first with" >&2
		echo "  cmake -S $src -B $build -DCMAKE_BUILD_TYPE=Release &&" \
		     "cmake --build $build -j2" >&2
		exit 2
	fi
done
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ "$type" = Release ] || echo "pull.sh: warning: $build is a '$type' build, not Release" >&2

tmp=$(mktemp -d)
pid=
cleanup() {
	local rc=$?
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT

# The repository: a bare one dnsd pulls from, and a clone to commit in.
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@invalid
git init -q --bare -b main "$tmp/zones.git"
git -C "$tmp/zones.git" config receive.unpackLimit 1000000
git clone -q "$tmp/zones.git" "$tmp/work" 2>/dev/null
git -C "$tmp/work" checkout -q -b main 2>/dev/null || true
echo "generating $zones zones (big.test: $names names, the others $small)" \
     "and 100000 queries..."
"$py" "$measure" gen "$tmp/work" "$names" "$zones" "$small" "$tmp/queries.txt"
keyname=pull._notify.big.test
"$keygen" -f dnskey "$keyname" >"$tmp/work/big.test._keys"
key=$keyname:SHA256:$(awk '{print $NF}' "$tmp/work/big.test._keys")
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m initial
git -C "$tmp/work" push -q origin main

mkdir -p "$tmp/dnsd"
cat >"$tmp/dnsd/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$port
workdir $tmp/dnsd
git-remote $tmp/zones.git
workers 1
log-level info
EOF
"$dnsd" -c "$tmp/dnsd/dnsd.conf" 2>"$tmp/dnsd/log" &
pid=$!
up=
for _ in $(seq 300); do
	if dig +time=1 +tries=1 -p "$port" @127.0.0.1 big.test SOA +short \
		2>/dev/null | grep -q ' 1 7200 '; then
		up=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$up" ]; then
	echo "pull.sh: dnsd did not come up; its log:" >&2
	cat "$tmp/dnsd/log" >&2
	exit 1
fi
grep -E 'pull:|serving' "$tmp/dnsd/log" | sed 's/^/dnsd: /'

"$py" "$measure" run --work "$tmp/work" --bare "$tmp/zones.git" --log "$tmp/dnsd/log" \
	--notify "$notify" --key "$key" --port "$port" \
	--queries "$tmp/queries.txt" --names "$names" --rounds "$rounds" \
	--duration "$duration" --qps "$qps"
if [ -n "${KEEP_LOG:-}" ]; then
	cp "$tmp/dnsd/log" "$KEEP_LOG"
fi
