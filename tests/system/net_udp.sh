#!/usr/bin/env bash
# UDP listeners (src/daemon/net.c) and the dispatcher (dispatch.c) through
# a real dnsd with two workers (SO_REUSEPORT sockets each): thousands of
# queries answered correctly over 127.0.0.1 and [::1], by dnsperf and by a
# checking client; datagrams shorter than a header and responses (QR=1)
# get no answer; unknown opcodes NOTIMP; UPDATE REFUSED. The client side
# lives in net_client.py.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

client=$DNSD_SRC/tests/system/net_client.py
port=15401

need "$DNSD" dig dnsperf "$PY"

mkdir -p "$tmp/zones" "$tmp/work"
"$PY" "$client" zone "$tmp/zones/example.test"
cat >"$tmp/dnsd.conf" <<EOF
role primary
zones-dir $tmp/zones
workdir $tmp/work
listen 127.0.0.1:$port
listen [::1]:$port
workers 2
log-level info
EOF

dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"
if ! wait_answer "$port" '^10\.0\.0\.1$' h1.example.test A; then
	echo "not ok - dnsd did not start answering"
	sed 's/^/# /' "$tmp/dnsd.log"
	fail=$((fail + 1))
	finish
fi

check_out "3000 queries over 127.0.0.1, every answer right" \
	"$PY" "$client" udp-many 127.0.0.1 "$port" 3000
check_out "1000 queries over [::1], every answer right" \
	"$PY" "$client" udp-many ::1 "$port" 1000

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
check_out "dnsperf -l 2: all NOERROR, nothing lost" dnsperf_run

check_out "a datagram shorter than a header gets no answer" \
	"$PY" "$client" udp-short 127.0.0.1 "$port"
check_out "a response (QR=1) gets no answer" \
	"$PY" "$client" udp-qr 127.0.0.1 "$port"
check_out "a response (QR=1) over [::1] gets no answer" \
	"$PY" "$client" udp-qr ::1 "$port"
check_out "opcode 3 (unassigned): NOTIMP" \
	"$PY" "$client" rcode 127.0.0.1 "$port" 3 NOTIMP
check_out "opcode 2 (STATUS): NOTIMP" \
	"$PY" "$client" rcode ::1 "$port" 2 NOTIMP
check_out "UPDATE without a key: REFUSED" \
	"$PY" "$client" rcode 127.0.0.1 "$port" 5 REFUSED
# A clean stop: exit status 0, and nothing from the sanitizers when the
# build has them (leaks of listener state would show here).
stop() {
	kill -TERM "$pid" && wait "$pid"
	local rc=$?
	pids=()
	! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$tmp/dnsd.log" &&
		[ "$rc" -eq 0 ]
}
check_out "SIGTERM: dnsd stops cleanly" stop
finish
