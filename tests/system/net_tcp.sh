#!/usr/bin/env bash
# TCP listeners (src/daemon/net.c) as RFC 7766 wants them, through real
# dnsd processes: pipelined queries (several in one segment, one split
# over several) all answered in order; tcp-idle-timeout closes idle
# connections; tcp-max-queries closes after that many answers;
# tcp-max-clients refuses one connection more while the others go on; a
# client that floods queries and never reads is dropped while another is
# served promptly. The client side lives in net_client.py.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

client=$DNSD_SRC/tests/system/net_client.py
port_a=15411 # pipelining, slow reader
port_b=15412 # idle timeout, query limit
port_c=15413 # connection limit

need "$DNSD" dig kdig "$PY"

mkdir -p "$tmp/zones"
"$PY" "$client" zone "$tmp/zones/example.test"

# start NAME PORT DIRECTIVE...: a dnsd with those extra directives,
# answering over TCP before this returns.
start() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$tmp/$name"
	{
		echo "role primary"
		echo "zones-dir $tmp/zones"
		echo "workdir $tmp/$name"
		echo "listen 127.0.0.1:$port"
		echo "listen [::1]:$port"
		echo "log-level debug"
		printf '%s\n' "$@"
	} >"$tmp/$name.conf"
	dnsd_start "$tmp/$name.conf" "$tmp/$name.log"
	wait_answer "$port" '^10\.0\.0\.1$' +tcp h1.example.test A && return 0
	echo "not ok - dnsd $name did not start answering"
	sed 's/^/# /' "$tmp/$name.log"
	fail=$((fail + 1))
	return 1
}

start a "$port_a" "tcp-idle-timeout 2" "tcp-max-queries 65535" || finish
start b "$port_b" "tcp-idle-timeout 1" "tcp-max-queries 3" || finish
start c "$port_c" "tcp-max-clients 2" || finish

check_out "20 queries in one send, answered in order" \
	"$PY" "$client" tcp-pipeline 127.0.0.1 "$port_a" 20
check_out "20 queries in one send over [::1]" \
	"$PY" "$client" tcp-pipeline ::1 "$port_a" 20
check_out "a query split over four sends; a boundary inside a send" \
	"$PY" "$client" tcp-split 127.0.0.1 "$port_a"
# kdig's own framing and parsing agree with ours on a large response.
kdig_big() {
	kdig +tcp +short -p "$port_a" @127.0.0.1 big.example.test TXT |
		grep -c xxxxxxxxxx | grep -qx 1
}
check_out "kdig: a 2 KiB TXT over TCP" kdig_big
check_out "a slow reader is dropped, another client answered meanwhile" \
	"$PY" "$client" tcp-slow-reader 127.0.0.1 "$port_a" 2
check_out "... and dropped for not reading (its output at the bound)" \
	grep -q "dropped (not reading)" "$tmp/a.log"
check_out "tcp-idle-timeout 1: idle connection closed after about 1 s" \
	"$PY" "$client" tcp-idle 127.0.0.1 "$port_b" 1
check_out "tcp-max-queries 3: closed after the third answer" \
	"$PY" "$client" tcp-max-queries 127.0.0.1 "$port_b" 3
check_out "tcp-max-clients 2: a third connection is refused" \
	"$PY" "$client" tcp-max-clients 127.0.0.1 "$port_c" 2
# A clean stop with connections still open (idle, half a request):
# exit status 0, and nothing from the sanitizers when the build has them.
"$PY" - "$port_a" <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
idle = socket.create_connection(("127.0.0.1", port))
half = socket.create_connection(("127.0.0.1", port))
half.sendall(b"\x00\x40\x12\x34")
time.sleep(3)
EOF
holder=$!
sleep 0.5
stop() {
	local name=$1 pid=$2
	kill -TERM "$pid" && wait "$pid"
	local rc=$?
	! grep -E "AddressSanitizer|LeakSanitizer|runtime error" \
		"$tmp/$name.log" && [ "$rc" -eq 0 ]
}
check_out "SIGTERM with connections open: dnsd a stops cleanly" \
	stop a "${pids[0]}"
check_out "SIGTERM: dnsd b stops cleanly" stop b "${pids[1]}"
check_out "SIGTERM: dnsd c stops cleanly" stop c "${pids[2]}"
pids=("$holder")
finish
