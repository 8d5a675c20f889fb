#!/usr/bin/env bash
# Zone transfers in: dnsd, Knot and NSD, each in turn a fresh secondary of
# one Knot primary serving a large zone; time from the secondary's start
# until it serves the zone, and its peak memory. Not a test; see
# bench/README.md ("Zone transfers in (secondary)").
#
#   bench/xfr_in.sh [BUILD_DIR]
#
# BUILD_DIR (default: build-bench beside this script's parent) must hold
# src/daemon/dnsd from a -DCMAKE_BUILD_TYPE=Release build. Environment:
# RECORDS (1000000) host records in the zone, RUNS (3) starts of each
# secondary, SERVERS ("dnsd knot nsd") the secondaries, TIMEOUT (120)
# seconds each wait may take, PERF (unset) a file: after the runs, one
# more dnsd start under `perf record -g`, its report written there.
# Ports 16210-16213 on 127.0.0.1, everything in a temporary directory.
# Needs knotd, nsd, openssl and /usr/bin/python3 with dnspython.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-bench}
records=${RECORDS:-1000000}
runs=${RUNS:-3}
servers=${SERVERS:-dnsd knot nsd}
timeout=${TIMEOUT:-120}
dnsd=$build/src/daemon/dnsd
py=/usr/bin/python3
measure=$src/bench/xfr_in_measure.py
origin=example.com
serial=2026120301
keyname=t._transfer.$origin
declare -A ports=([primary]=16210 [dnsd]=16211 [knot]=16212 [nsd]=16213)

for tool in knotd nsd openssl "$py"; do
	command -v "$tool" >/dev/null || { echo "xfr_in.sh: missing $tool" >&2; exit 1; }
done
"$py" -c 'import dns.query' 2>/dev/null ||
	{ echo "xfr_in.sh: $py has no dnspython" >&2; exit 1; }
if [ ! -x "$dnsd" ]; then
	echo "no $dnsd: build first with" >&2
	echo "  cmake -S $src -B $build -DCMAKE_BUILD_TYPE=Release &&" \
	     "cmake --build $build -j2" >&2
	exit 2
fi
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ "$type" = Release ] || echo "xfr_in.sh: warning: $build is a '$type' build, not Release" >&2
for p in "${ports[@]}"; do
	if "$py" - "$p" <<-'EOF'
		import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		try:
		    s.bind(("127.0.0.1", int(sys.argv[1])))
		except OSError:
		    sys.exit(0)
		sys.exit(1)
	EOF
	then
		echo "xfr_in.sh: something already listens on 127.0.0.1:$p" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
primary_pid=
cleanup() {
	local rc=$?
	# a measurement's session (the helper stops it itself when signalled)
	for f in "$tmp"/*.sid; do
		if [ -e "$f" ]; then kill -KILL -- "-$(cat "$f")" 2>/dev/null || true; fi
	done
	if [ -n "$primary_pid" ]; then
		kill "$primary_pid" 2>/dev/null || true
		wait "$primary_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
results=$tmp/results.jsonl
secret=$(openssl rand -base64 32)

echo "writing a $records-record zone..."
read -r lastname lastaddr < <("$py" "$measure" zone "$tmp/$origin" "$records" "$serial")

# ---- the primary: Knot ------------------------------------------------------
mkdir -p "$tmp/primary/db"
cat >"$tmp/primary/knot.conf" <<EOF
server:
    rundir: "$tmp/primary"
    listen: 127.0.0.1@${ports[primary]}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$tmp/primary/db"
control:
    listen: "$tmp/primary/knot.sock"
log:
  - target: stderr
    any: warning
key:
  - id: $keyname
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: transfer
    address: 127.0.0.1
    key: $keyname
    action: transfer
template:
  - id: default
    storage: "$tmp"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $origin
    file: $origin
    acl: transfer
EOF
echo "starting the primary (knotd on ${ports[primary]})..."
knotd -c "$tmp/primary/knot.conf" 2>"$tmp/primary/log" &
primary_pid=$!
if ! secs=$("$py" "$measure" wait "${ports[primary]}" "$serial" "$lastname" \
		"$lastaddr" "$timeout"); then
	echo "xfr_in.sh: the primary does not serve $origin; its log:" >&2
	cat "$tmp/primary/log" >&2
	exit 1
fi
echo "the primary serves serial $serial after $secs s"

# ---- the secondaries ----------------------------------------------------------
# conf_NAME DIR: the secondary's config in DIR (empty, fresh each run);
# prints the file its copy on disk will be ("-": none measured).
conf_dnsd() {
	cat >"$1/dnsd.conf" <<-EOF
		role secondary
		listen 127.0.0.1:${ports[dnsd]}
		workdir $1
		primary 127.0.0.1:${ports[primary]}
		key $keyname:SHA256:$secret
		workers 1
		log-level info
	EOF
	echo "$1/zones/$origin.zone"
}
cmd_dnsd() { echo "$dnsd" -c "$1/dnsd.conf"; }

conf_knot() {
	mkdir -p "$1/db"
	cat >"$1/knot.conf" <<-EOF
		server:
		    rundir: "$1"
		    listen: 127.0.0.1@${ports[knot]}
		    udp-workers: 1
		    tcp-workers: 1
		    background-workers: 1
		database:
		    storage: "$1/db"
		control:
		    listen: "$1/knot.sock"
		log:
		  - target: stderr
		    any: info
		key:
		  - id: $keyname
		    algorithm: hmac-sha256
		    secret: $secret
		remote:
		  - id: primary
		    address: 127.0.0.1@${ports[primary]}
		    key: $keyname
		acl:
		  - id: notify
		    address: 127.0.0.1
		    key: $keyname
		    action: notify
		template:
		  - id: default
		    storage: "$1"
		zone:
		  - domain: $origin
		    file: "$1/$origin.zone"
		    master: primary
		    acl: notify
	EOF
	echo "$1/$origin.zone"
}
cmd_knot() { echo knotd -c "$1/knot.conf"; }

# NSD writes a secondary zone's file only every zonefiles-write (3600 s
# without a database): its copy on disk is not waited for.
conf_nsd() {
	cat >"$1/nsd.conf" <<-EOF
		server:
			ip-address: 127.0.0.1@${ports[nsd]}
			server-count: 1
			username: ""
			chroot: ""
			zonesdir: "$1"
			database: ""
			pidfile: "$1/nsd.pid"
			xfrdfile: "$1/xfrd.state"
			zonelistfile: "$1/zone.list"
			xfrdir: "$1"
			logfile: "$1/log"
			verbosity: 1
			do-ip6: no
		remote-control:
			control-enable: no
		key:
			name: $keyname
			algorithm: hmac-sha256
			secret: "$secret"
		zone:
			name: $origin
			zonefile: "$1/$origin.zone"
			request-xfr: 127.0.0.1@${ports[primary]} $keyname
			allow-notify: 127.0.0.1 $keyname
	EOF
	echo "-"
}
cmd_nsd() { echo nsd -d -c "$1/nsd.conf"; }

# one NAME RUN: a fresh state directory, one measurement, the directory
# removed (its log kept beside it for the report).
one() {
	local dir=$tmp/$1.$2
	mkdir -p "$dir"
	local disk
	disk=$("conf_$1" "$dir")
	# shellcheck disable=SC2046
	"$py" "$measure" run "$results" "$1" "$2" "${ports[$1]}" "$serial" \
		"$lastname" "$lastaddr" "$disk" "$tmp/$1.$2.log" "$tmp/$1.sid" \
		"$timeout" -- $("cmd_$1" "$dir") || {
		echo "xfr_in.sh: $1 run $2 failed; its log:" >&2
		tail -n 30 "$tmp/$1.$2.log" "$dir/log" 2>/dev/null >&2 || true
		exit 1
	}
	rm -rf "$dir"
}

read -ra list <<<"$servers"
n=${#list[@]}
echo "$runs runs, one secondary at a time, the order turning each run:"
for ((run = 1; run <= runs; run++)); do
	for ((k = 0; k < n; k++)); do
		one "${list[(run - 1 + k) % n]}" "$run"
	done
done

# ---- optional: where dnsd's time goes ----------------------------------------
# perf's cpu-clock (hardware counters are not available in this VM), call
# graphs from DWARF unwinding (a Release build keeps no frame pointers).
# The main thread (its tid is the pid) receives and builds the zone; the
# copy on disk is written by a thread of its own; the report splits them.
if [ -n "${PERF:-}" ]; then
	command -v perf >/dev/null || { echo "xfr_in.sh: no perf" >&2; exit 1; }
	echo "dnsd once more under perf record..."
	dir=$tmp/dnsd.perf
	mkdir -p "$dir"
	disk=$(conf_dnsd "$dir")
	"$py" "$measure" run "$tmp/perf.jsonl" dnsd 0 "${ports[dnsd]}" \
		"$serial" "$lastname" "$lastaddr" "$disk" "$tmp/dnsd.perf.log" \
		"$tmp/dnsd.sid" "$timeout" -- \
		perf record -q -e cpu-clock -F 2000 --call-graph dwarf,16384 \
		-o "$PERF.data" "$dnsd" -c "$dir/dnsd.conf" || true
	rep() { perf report -i "$PERF.data" --stdio "$@" 2>/dev/null || true; }
	{
		echo "# dnsd secondary, AXFR in of $records records"
		grep "AXFR in" "$tmp/dnsd.perf.log" || true
		echo "# samples per thread"
		rep --sort pid -g none
		echo "# self, per thread and symbol"
		rep --no-children --sort pid,dso,sym -g none --percent-limit 0.3
		echo "# inclusive (children), per thread and symbol"
		rep --children --sort pid,sym -g none --percent-limit 2
		echo "# call graphs, callers of the top symbols"
		rep --no-children --sort sym -g caller,0.5,callee --percent-limit 1.5
	} >"$PERF"
	echo "perf report written to $PERF (its data: $PERF.data)"
fi

echo
"$py" "$measure" report "$results"
