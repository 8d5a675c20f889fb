#!/usr/bin/env bash
# Zone transfer benchmark: AXFR of a large zone from dnsd (a git primary),
# NSD and Knot side by side, and IXFR from dnsd out of the git history
# (cold and cached) and out of the history a pull leaves in memory. Not a
# test; see bench/README.md ("Zone transfers").
#
#   bench/xfr.sh [BUILD_DIR]
#
# BUILD_DIR (default: build-release beside this script's parent) must hold
# src/daemon/dnsd from a -DCMAKE_BUILD_TYPE=Release build. Environment:
# RECORDS (1000000) host records in the zone, COMMITS (1000) versions of
# history behind its head, RUNS (10) AXFRs per server, SERVERS ("dnsd nsd
# knot") the AXFR side. Ports 16200-16203 on 127.0.0.1, everything in a
# temporary directory. Needs kdig, nsd, knotd, git and /usr/bin/python3.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-release}
records=${RECORDS:-1000000}
commits=${COMMITS:-1000}
runs=${RUNS:-10}
servers=${SERVERS:-dnsd nsd knot}
dnsd=$build/src/daemon/dnsd
py=/usr/bin/python3
measure=$src/bench/xfr_measure.py
origin=example.com
declare -A ports=([dnsd]=16200 [nsd]=16201 [knot]=16202 [ixfr]=16203)

for tool in kdig nsd knotd git "$py"; do
	command -v "$tool" >/dev/null || { echo "xfr.sh: missing $tool" >&2; exit 1; }
done
if [ ! -x "$dnsd" ]; then
	echo "no $dnsd: build first with" >&2
	echo "  cmake -S $src -B $build -DCMAKE_BUILD_TYPE=Release &&" \
	     "cmake --build $build -j2" >&2
	exit 2
fi
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ "$type" = Release ] || echo "xfr.sh: warning: $build is a '$type' build, not Release" >&2
[ "$commits" -ge 101 ] || { echo "xfr.sh: COMMITS must be at least 101" >&2; exit 2; }

tmp=$(mktemp -d)
declare -A pids
cleanup() {
	local rc=$?
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
results=$tmp/results.jsonl

echo "writing a $records-record zone with $commits commits of history..."
head=$("$py" "$measure" history "$tmp" "$records" "$commits")
echo "head serial $head"

# serving NAME SERIAL: true once the server answers the zone's SOA with
# SERIAL (loading a million records takes NSD and Knot seconds).
serving() {
	local port=${ports[$1]}
	for _ in $(seq 600); do
		if [ "$(kdig +short +timeout=1 +retry=0 -p "$port" @127.0.0.1 \
			"$origin" SOA 2>/dev/null | awk '{print $3}')" = "$2" ]; then
			return 0
		fi
		kill -0 "${pids[$1]}" 2>/dev/null || break
		sleep 0.2
	done
	echo "xfr.sh: $1 does not serve serial $2; its log:" >&2
	cat "$tmp/$1/log" >&2
	exit 1
}

stop() {
	kill "${pids[$1]}" 2>/dev/null || true
	wait "${pids[$1]}" 2>/dev/null || true
	unset "pids[$1]"
}

# dnsd NAME: a git primary on repo.git, started again on the clone of an
# earlier run (WORKDIR/git, as after a restart): a first start would clone
# through libgit2's local transport, which packs every object again.
start_dnsd() {
	mkdir -p "$tmp/$1"
	git clone -q --bare "$tmp/repo.git" "$tmp/$1/git"
	cat >"$tmp/$1/dnsd.conf" <<-EOF
		role primary
		git-remote $tmp/repo.git
		workdir $tmp/$1
		listen 127.0.0.1:${ports[$1]}
		allow-transfer 127.0.0.1
		workers 1
		log-level info
	EOF
	"$dnsd" -c "$tmp/$1/dnsd.conf" 2>"$tmp/$1/log" &
	pids[$1]=$!
	serving "$1" "$head"
}

start_nsd() {
	mkdir -p "$tmp/nsd"
	cat >"$tmp/nsd/nsd.conf" <<-EOF
		server:
			ip-address: 127.0.0.1@${ports[nsd]}
			server-count: 1
			username: ""
			chroot: ""
			zonesdir: "$tmp"
			database: ""
			pidfile: "$tmp/nsd/nsd.pid"
			xfrdfile: "$tmp/nsd/xfrd.state"
			zonelistfile: "$tmp/nsd/zone.list"
			xfrdir: "$tmp/nsd"
			logfile: "$tmp/nsd/log"
			verbosity: 0
			do-ip6: no
		remote-control:
			control-enable: no
		zone:
			name: $origin
			zonefile: $origin
			provide-xfr: 127.0.0.1 NOKEY
	EOF
	nsd -d -c "$tmp/nsd/nsd.conf" 2>>"$tmp/nsd/log" &
	pids[nsd]=$!
	serving nsd "$head"
}

start_knot() {
	mkdir -p "$tmp/knot/db"
	cat >"$tmp/knot/knot.conf" <<-EOF
		server:
		    rundir: "$tmp/knot"
		    listen: 127.0.0.1@${ports[knot]}
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
		acl:
		  - id: local
		    address: 127.0.0.1
		    action: transfer
		template:
		  - id: default
		    storage: "$tmp"
		    zonefile-sync: -1
		    journal-content: none
		zone:
		  - domain: $origin
		    file: $origin
		    acl: local
	EOF
	knotd -c "$tmp/knot/knot.conf" 2>"$tmp/knot/log" &
	pids[knot]=$!
	serving knot "$head"
}

# ---- AXFR ----------------------------------------------------------------
for s in $servers; do
	echo "starting $s..."
	"start_$s" "$s"
done
# one transfer each first, counted: the whole zone, and nothing else
want=$((records + 3 + 1))
for s in $servers; do
	got=$(kdig @127.0.0.1 -p "${ports[$s]}" "$origin" AXFR +timeout=60 |
		grep -cv -e '^;' -e '^$' || true)
	[ "$got" = "$want" ] || { echo "xfr.sh: $s sent $got records, not $want" >&2; exit 1; }
done
echo "AXFR, $runs in a row per server (each sends $want records):"
for s in $servers; do
	"$py" "$measure" axfr "$results" "$s" "${pids[$s]}" "${ports[$s]}" "$runs"
done
for s in $servers; do
	stop "$s"
done

# ---- IXFR ----------------------------------------------------------------
echo "starting a fresh dnsd for IXFR..."
start_dnsd ixfr
ixfr() { "$py" "$measure" ixfr "$results" "$1" "${ports[ixfr]}" "$2"; }
echo "IXFR (kdig wall time to the whole answer):"
ixfr "1 back, cold (git history)" $((head - 1))
ixfr "1 back, warm (cached step)" $((head - 1))
ixfr "100 back, cold (git history)" $((head - 100))
ixfr "100 back, warm (cached step)" $((head - 100))
new=$("$py" "$measure" commit "$tmp/repo.git")
t0=$(date +%s.%N)
kill -HUP "${pids[ixfr]}"
serving ixfr "$new"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v s="$new" \
	'BEGIN { printf "  pushed serial %d, SIGHUP: served after %.2f s\n", s, b - a }'
ixfr "1 back after a pull (in memory)" "$head"
ixfr "1 back after a pull, again" "$head"
ixfr "2 back after a pull (memory)" $((head - 1))
echo "dnsd's log of the transfers:"
grep -E "IXFR out|AXFR out" "$tmp/ixfr/log" | grep -v "^$" | sed 's/^/  /' | tail -n 20
echo
"$py" "$measure" report "$results"
