#!/usr/bin/env bash
# Serving benchmark: dnsd against NSD, Knot and an echo responder (the
# floor of the socket I/O), driven one at a time, each with one core's
# worth of workers, driven by the same dnsperf run over the same 100,000-name zone.
# See bench/README.md ("Serving benchmark") for what is measured.
#
#   bench/serve.sh [-l SECONDS] [-r ROUNDS] [-b BUILD_DIR] [-n NAMES]
#                  [-s "dnsd nsd knot echo rrl"] [-p PORT] [-R RATE]
#
# Every server is started first (dnsd, NSD, Knot, bench_echo, each on its
# own port), then each is driven in turn with `dnsperf -c 4 -q 500 -l
# SECONDS` (10 by default), for ROUNDS rounds (3); the report gives the
# median of the rounds.
# BUILD_DIR (default build-bench in the source tree) is configured as a
# Release build and dnsd and bench_echo are built in it when missing.
# Ports 15601-15605 on 127.0.0.1 (-p: from PORT on). The server rrl is
# dnsd with `rrl-rate RATE` (-R, 100000: more than any bucket of the
# query stream sees). Needs dnsperf, nsd, knotd, dig and
# /usr/bin/python3; run as root (NSD and Knot keep the invoking user).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-bench
seconds=10
names=100000
servers="dnsd nsd knot echo"
rounds=3
port=15601
rrl_rate=100000
while getopts "l:b:n:s:r:p:R:" opt; do
	case $opt in
	p) port=$OPTARG ;;
	R) rrl_rate=$OPTARG ;;
	r) rounds=$OPTARG ;;
	l) seconds=$OPTARG ;;
	b) build=$OPTARG ;;
	n) names=$OPTARG ;;
	s) servers=$OPTARG ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
done
py=/usr/bin/python3
measure=$src/bench/serve_measure.py
port_dnsd=$port
port_nsd=$((port + 1))
port_knot=$((port + 2))
port_echo=$((port + 3))
port_rrl=$((port + 4))

for tool in dnsperf nsd knotd dig "$py"; do
	command -v "$tool" >/dev/null || { echo "serve.sh: missing $tool" >&2; exit 1; }
done

if [ ! -x "$build/src/daemon/dnsd" ] || [ ! -x "$build/bench/bench_echo" ]; then
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j2 --target dnsd bench_echo >/dev/null 2>&1
fi
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ "$type" = Release ] || echo "serve.sh: warning: $build is a '$type' build, not Release" >&2

tmp=$(mktemp -d)
declare -A pids ports logs
cleanup() {
	local rc=$?
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
echo "generating a $names-name zone and 100000 queries..."
"$py" "$src/bench/serve_gen.py" "$tmp" "$names" 100000
results=$tmp/results.jsonl

# ready NAME: true once the server answers h1 (loading can take a while;
# the echo responder's NOERROR echo counts too).
ready() {
	for _ in $(seq 300); do
		if dig +time=1 +tries=1 -p "${ports[$1]}" @127.0.0.1 \
			h1.bench.test A 2>/dev/null | grep -q "status: NOERROR"; then
			return 0
		fi
		kill -0 "${pids[$1]}" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# started NAME PORT LOG: the server just started in the background is up.
started() {
	pids[$1]=$!
	ports[$1]=$2
	logs[$1]=$3
	if ! ready "$1"; then
		echo "serve.sh: $1 did not come up; its log:" >&2
		cat "$3" >&2
		exit 1
	fi
}

# dnsd_conf NAME PORT DIRECTIVE...: dnsd NAME on PORT, started
dnsd_conf() {
	local name=$1 p=$2
	shift 2
	mkdir -p "$tmp/$name"
	{
		echo "role primary"
		echo "zones-dir $tmp/zones"
		echo "workdir $tmp/$name"
		echo "listen 127.0.0.1:$p"
		echo "workers 1"
		echo "log-level warning"
		for d in "$@"; do echo "$d"; done
	} >"$tmp/$name/dnsd.conf"
	"$build/src/daemon/dnsd" -c "$tmp/$name/dnsd.conf" 2>"$tmp/$name/log" &
	started "$name" "$p" "$tmp/$name/log"
}

start_dnsd() { dnsd_conf dnsd "$port_dnsd"; }
start_rrl() { dnsd_conf rrl "$port_rrl" "rrl-rate $rrl_rate"; }

start_nsd() {
	mkdir -p "$tmp/nsd"
	cat >"$tmp/nsd/nsd.conf" <<-EOF
		server:
			ip-address: 127.0.0.1@$port_nsd
			server-count: 1
			username: ""
			chroot: ""
			zonesdir: "$tmp/zones"
			database: ""
			pidfile: "$tmp/nsd/nsd.pid"
			xfrdfile: "$tmp/nsd/xfrd.state"
			zonelistfile: "$tmp/nsd/zone.list"
			xfrdir: "$tmp/nsd"
			logfile: "$tmp/nsd/log"
			verbosity: 0
			rrl-ratelimit: 0
			rrl-whitelist-ratelimit: 0
			do-ip6: no
		remote-control:
			control-enable: no
		zone:
			name: bench.test
			zonefile: bench.test
	EOF
	nsd -d -c "$tmp/nsd/nsd.conf" 2>>"$tmp/nsd/log" &
	started nsd "$port_nsd" "$tmp/nsd/log"
}

start_knot() {
	mkdir -p "$tmp/knot/db"
	cat >"$tmp/knot/knot.conf" <<-EOF
		server:
		    rundir: "$tmp/knot"
		    listen: 127.0.0.1@$port_knot
		    udp-workers: 1
		    tcp-workers: 1
		    background-workers: 1
		database:
		    storage: "$tmp/knot/db"
		control:
		    listen: "$tmp/knot/knot.sock"
		log:
		  - target: stderr
		    any: warning
		template:
		  - id: default
		    storage: "$tmp/zones"
		    zonefile-sync: -1
		    journal-content: none
		zone:
		  - domain: bench.test
		    file: bench.test
	EOF
	knotd -c "$tmp/knot/knot.conf" 2>"$tmp/knot/log" &
	started knot "$port_knot" "$tmp/knot/log"
}

start_echo() {
	"$build/bench/bench_echo" 127.0.0.1 "$port_echo" 2>"$tmp/echo.log" &
	started echo "$port_echo" "$tmp/echo.log"
}

for s in $servers; do
	"start_$s"
done
# All are up, idle ones asleep in their event loops; rounds of one run
# each, in turn, so the machine's load drifts over every server alike.
echo "dnsperf -c 4 -q 500 -l $seconds against each server in turn," \
	"$rounds round(s)"
for r in $(seq "$rounds"); do
	for s in $servers; do
		"$py" "$measure" run "$s" "${pids[$s]}" 127.0.0.1 \
			"${ports[$s]}" "$tmp/queries.txt" "$seconds" "$results"
	done
done
echo
"$py" "$measure" report "$results"
