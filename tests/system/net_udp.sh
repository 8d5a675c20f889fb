#!/usr/bin/env bash
# UDP listeners (src/daemon/net.c) and the dispatcher (dispatch.c) through
# a real dnsd with two workers (SO_REUSEPORT sockets each): thousands of
# queries answered correctly over 127.0.0.1 and [::1], by dnsperf and by a
# checking client; datagrams shorter than a header and responses (QR=1)
# get no answer; unknown opcodes NOTIMP; UPDATE REFUSED. The client side
# lives in net_client.py.
set -uo pipefail
: "${DNSD_BUILD:?DNSD_BUILD must name the build directory}"
: "${DNSD_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"

dnsd=$DNSD_BUILD/src/daemon/dnsd
client=$DNSD_SRC/tests/system/net_client.py
port=15401
py=/usr/bin/python3

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
# check NAME COMMAND...: one TAP-ish line, output shown on failure.
check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name"
		sed 's/^/# /' "$tmp/out"
	else
		failed=$((failed + 1))
		echo "not ok - $name"
		sed 's/^/# /' "$tmp/out"
	fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

for tool in "$dnsd" dig dnsperf "$py"; do
	if ! command -v "$tool" >/dev/null; then
		echo "missing $tool"
		failed=1
		finish
	fi
done

mkdir -p "$tmp/zones" "$tmp/work"
"$py" "$client" zone "$tmp/zones/example.test"
cat >"$tmp/dnsd.conf" <<EOF
role primary
zones-dir $tmp/zones
workdir $tmp/work
listen 127.0.0.1:$port
listen [::1]:$port
workers 2
log-level info
EOF

"$dnsd" -c "$tmp/dnsd.conf" 2>"$tmp/dnsd.log" &
pid=$!
up=
for _ in $(seq 50); do
	if [ "$(dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 \
		h1.example.test A 2>/dev/null)" = 10.0.0.1 ]; then
		up=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$up" ]; then
	echo "not ok - dnsd did not start answering"
	sed 's/^/# /' "$tmp/dnsd.log"
	failed=1
	finish
fi

check "3000 queries over 127.0.0.1, every answer right" \
	"$py" "$client" udp-many 127.0.0.1 "$port" 3000
check "1000 queries over [::1], every answer right" \
	"$py" "$client" udp-many ::1 "$port" 1000

# dnsperf for volume: two seconds of 20 outstanding queries; every
# response NOERROR, (almost) nothing lost.
dnsperf_run() {
	for i in $(seq 0 199); do echo "h$i.example.test A"; done >"$tmp/q"
	dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/q" -l 2 -q 20 -c 2 \
		>"$tmp/perf" 2>&1 || return 1
	cat "$tmp/perf"
	awk '
	/Queries sent:/ { sent = $3 }
	/Queries completed:/ { done = $3 }
	/Response codes:/ { codes = $0 }
	END {
		if (sent < 1000) { print "only " sent " sent"; exit 1 }
		if (done < sent * 0.99) { print "lost too many"; exit 1 }
		if (codes !~ /NOERROR/ || codes ~ /(FORMERR|SERVFAIL|NXDOMAIN|REFUSED|NOTIMP)/) {
			print "unexpected: " codes; exit 1
		}
	}' "$tmp/perf"
}
check "dnsperf -l 2: all NOERROR, nothing lost" dnsperf_run

check "a datagram shorter than a header gets no answer" \
	"$py" "$client" udp-short 127.0.0.1 "$port"
check "a response (QR=1) gets no answer" \
	"$py" "$client" udp-qr 127.0.0.1 "$port"
check "a response (QR=1) over [::1] gets no answer" \
	"$py" "$client" udp-qr ::1 "$port"
check "opcode 3 (unassigned): NOTIMP" \
	"$py" "$client" rcode 127.0.0.1 "$port" 3 NOTIMP
check "opcode 2 (STATUS): NOTIMP" \
	"$py" "$client" rcode ::1 "$port" 2 NOTIMP
check "UPDATE without a key: REFUSED" \
	"$py" "$client" rcode 127.0.0.1 "$port" 5 REFUSED
# A clean stop: exit status 0, and nothing from the sanitizers when the
# build has them (leaks of listener state would show here).
stop() {
	kill -TERM "$pid" && wait "$pid"
	local rc=$?
	pid=
	! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$tmp/dnsd.log" &&
		[ "$rc" -eq 0 ]
}
check "SIGTERM: dnsd stops cleanly" stop
finish
