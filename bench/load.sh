#!/usr/bin/env bash
# Zone loading benchmark: dnsd (bench_load) against nsd-checkzone and
# named-checkzone on the same generated zone. Not a test; see
# bench/README.md ("Zone loading").
#
#   bench/load.sh [BUILD_DIR] [RECORDS]
#
# BUILD_DIR (default: build-release beside this script's parent) must hold
# bench/bench_load from a -DCMAKE_BUILD_TYPE=Release build. RECORDS
# defaults to 1000000. RUNS (environment, default 3) runs each tool that
# many times and keeps the fastest run and the smallest peak RSS.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-release}
records=${2:-1000000}
runs=${RUNS:-3}
bench_load=$build/bench/bench_load
origin=example.com

if [ ! -x "$bench_load" ]; then
	echo "no $bench_load: build first with" >&2
	echo "  cmake -S $src -B $build -DCMAKE_BUILD_TYPE=Release &&" \
	     "cmake --build $build --target bench_load" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zone=$tmp/$origin.zone

# SOA, NS, the name server's address, then host<N> A records.
awk -v n="$records" 'BEGIN {
	print "$TTL 3600"
	print "@ SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 3600"
	print "@ NS ns1"
	print "ns1 A 10.255.255.1"
	for (i = 0; i < n; i++)
		printf "host%d A 10.%d.%d.%d\n", i, int(i / 65536) % 256,
		       int(i / 256) % 256, i % 256
}' >"$zone"

# Prints "SECONDS PEAK_KB" for one run of a command (its output is
# discarded; a failing command fails the benchmark). /usr/bin/time (Debian
# package "time") when present, else the same numbers from python3's
# getrusage of the child.
measure() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" ||
			{ cat "$tmp/err" >&2; return 1; }
		cat "$tmp/time"
	else
		/usr/bin/python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
e = time.monotonic() - t
if r.returncode:
    sys.exit(r.returncode)
print("%.2f %d" % (e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
	fi
}

# Best of $runs: smallest time, smallest peak. Prints "SECONDS MB".
best() {
	local t m bt="" bm=""
	for _ in $(seq "$runs"); do
		read -r t m < <(measure "$@")
		if [ -z "$bt" ] || awk -v a="$t" -v b="$bt" 'BEGIN{exit !(a<b)}'; then
			bt=$t
		fi
		if [ -z "$bm" ] || [ "$m" -lt "$bm" ]; then
			bm=$m
		fi
	done
	awk -v t="$bt" -v m="$bm" 'BEGIN { printf "%.2f %.1f\n", t, m / 1024 }'
}

echo "zone: $records A records + SOA, NS, A ($(du -m "$zone" | cut -f1) MB)," \
     "best of $runs runs"
read -r dt dm < <(best "$bench_load" "$origin." "$zone")
"$bench_load" "$origin." "$zone" | sed 's/^/  bench_load: /'
read -r nt nm < <(best nsd-checkzone "$origin" "$zone")
read -r bt bm < <(best named-checkzone "$origin" "$zone")

awk -v dt="$dt" -v dm="$dm" -v nt="$nt" -v nm="$nm" -v bt="$bt" -v bm="$bm" '
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
BEGIN {
	printf "%-22s %9s %9s\n", "", "seconds", "peak MB"
	printf "%-22s %9.2f %9.1f\n", "dnsd (bench_load)", dt, dm
	printf "%-22s %9.2f %9.1f\n", "nsd-checkzone", nt, nm
	printf "%-22s %9.2f %9.1f\n", "named-checkzone", bt, bm
	printf "%-22s %9s %9s\n", "dnsd / nsd", ratio(dt, nt), ratio(dm, nm)
	printf "%-22s %9s %9s\n", "dnsd / named", ratio(dt, bt), ratio(dm, bm)
}'
