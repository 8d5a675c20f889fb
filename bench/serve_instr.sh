#!/usr/bin/env bash
# Instructions per query of dnsd's serving path, counted exactly by
# callgrind (user space only), for machines where perf has no hardware
# counters (virtual machines) and timings are too noisy to compare two
# builds. See bench/README.md ("Instructions per query").
#
#   bench/serve_instr.sh [-p PORT] [-q QUERIES] [-f FUNCTION] DNSD...
#
# Each DNSD binary (a Release build) serves the bench.test zone of
# bench/serve_gen.py (100,000 names) with `workers 1` on 127.0.0.1:PORT
# (15605) under valgrind --tool=callgrind, collecting only inside
# FUNCTION (dnsd_dispatch: parse, answer, count; udp_readable: the whole
# UDP path, whose own share depends on the batch sizes and so on the
# timing), while dnsperf sends the first QUERIES (20000) queries of the
# shuffled query file once, at 1000 a second. Prints the instructions
# collected divided by the queries answered (plus the one SOA query that
# found the server ready). Needs valgrind, dnsperf, dig, /usr/bin/python3.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
port=15605
queries=20000
fn=dnsd_dispatch
while getopts "p:q:f:" opt; do
	case $opt in
	p) port=$OPTARG ;;
	q) queries=$OPTARG ;;
	f) fn=$OPTARG ;;
	*) sed -n '2,18p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '2,18p' "$0" >&2; exit 2; }
for tool in valgrind callgrind_annotate dnsperf dig /usr/bin/python3; do
	command -v "$tool" >/dev/null || { echo "serve_instr.sh: missing $tool" >&2; exit 1; }
done

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
/usr/bin/python3 "$src/bench/serve_gen.py" "$tmp" 100000 100000
head -n "$queries" "$tmp/queries.txt" >"$tmp/q"
cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$port
zones-dir $tmp/zones
workdir $tmp
workers 1
log-level warning
EOF

for dnsd in "$@"; do
	valgrind --tool=callgrind --collect-atstart=no --toggle-collect="$fn" \
		--callgrind-out-file="$tmp/cg" "$dnsd" -c "$tmp/dnsd.conf" 2>"$tmp/vg" &
	pid=$!
	for _ in $(seq 300); do
		dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 bench.test SOA 2>/dev/null | grep -q . && break
		sleep 1
	done
	dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/q" -n 1 -c 4 -Q 1000 -t 10 >"$tmp/perf" 2>&1
	kill "$pid"
	wait "$pid" || true
	pid=
	done_q=$(awk '/Queries completed:/ {print $3}' "$tmp/perf")
	[ -n "${KEEP_CG:-}" ] && cp "$tmp/cg" "$KEEP_CG.$(basename "$(dirname "$(dirname "$(dirname "$dnsd")")")")"
	ir=$(callgrind_annotate "$tmp/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
	awk -v d="$dnsd" -v f="$fn" -v ir="$ir" -v q="$done_q" \
		'BEGIN { printf "%s: %s: %d instructions, %d queries answered, %.1f a query\n", d, f, ir, q, ir / (q + 1) }'
done
