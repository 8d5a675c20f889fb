#!/usr/bin/env bash
# TCP listeners (src/daemon/net.c) as RFC 7766 wants them, through real
# dnsd processes: pipelined queries (several in one segment, one split
# over several) all answered in order; tcp-idle-timeout closes idle
# connections; tcp-max-queries closes after that many answers;
# tcp-max-clients refuses one connection more while the others go on; a
# client that floods queries and never reads is dropped while another is
# served promptly. The client side lives in net_client.py.
set -uo pipefail
: "${DNSD_BUILD:?DNSD_BUILD must name the build directory}"
: "${DNSD_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"

dnsd=$DNSD_BUILD/src/daemon/dnsd
client=$DNSD_SRC/tests/system/net_client.py
py=/usr/bin/python3
port_a=15411 # pipelining, slow reader
port_b=15412 # idle timeout, query limit
port_c=15413 # connection limit

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name"
	fi
	sed 's/^/# /' "$tmp/out"
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

for tool in "$dnsd" dig kdig "$py"; do
	if ! command -v "$tool" >/dev/null; then
		echo "missing $tool"
		failed=1
		finish
	fi
done

mkdir -p "$tmp/zones"
"$py" "$client" zone "$tmp/zones/example.test"

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
	"$dnsd" -c "$tmp/$name.conf" 2>"$tmp/$name.log" &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 50); do
		if [ "$(dig +tcp +short +time=1 +tries=1 -p "$port" \
			@127.0.0.1 h1.example.test A 2>/dev/null)" = 10.0.0.1 ]
		then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "not ok - dnsd $name did not start answering"
	sed 's/^/# /' "$tmp/$name.log"
	failed=$((failed + 1))
	return 1
}

start a "$port_a" "tcp-idle-timeout 2" "tcp-max-queries 65535" || finish
start b "$port_b" "tcp-idle-timeout 1" "tcp-max-queries 3" || finish
start c "$port_c" "tcp-max-clients 2" || finish

check "20 queries in one send, answered in order" \
	"$py" "$client" tcp-pipeline 127.0.0.1 "$port_a" 20
check "20 queries in one send over [::1]" \
	"$py" "$client" tcp-pipeline ::1 "$port_a" 20
check "a query split over four sends; a boundary inside a send" \
	"$py" "$client" tcp-split 127.0.0.1 "$port_a"
# kdig's own framing and parsing agree with ours on a large response.
kdig_big() {
	kdig +tcp +short -p "$port_a" @127.0.0.1 big.example.test TXT |
		grep -c xxxxxxxxxx | grep -qx 1
}
check "kdig: a 2 KiB TXT over TCP" kdig_big
check "a slow reader is dropped, another client answered meanwhile" \
	"$py" "$client" tcp-slow-reader 127.0.0.1 "$port_a" 2
check "... and dropped for not reading (its output at the bound)" \
	grep -q "dropped (not reading)" "$tmp/a.log"
check "tcp-idle-timeout 1: idle connection closed after about 1 s" \
	"$py" "$client" tcp-idle 127.0.0.1 "$port_b" 1
check "tcp-max-queries 3: closed after the third answer" \
	"$py" "$client" tcp-max-queries 127.0.0.1 "$port_b" 3
check "tcp-max-clients 2: a third connection is refused" \
	"$py" "$client" tcp-max-clients 127.0.0.1 "$port_c" 2
# A clean stop with connections still open (idle, half a request):
# exit status 0, and nothing from the sanitizers when the build has them.
"$py" - "$port_a" <<'EOF' &
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
check "SIGTERM with connections open: dnsd a stops cleanly" \
	stop a "${pids[0]}"
check "SIGTERM: dnsd b stops cleanly" stop b "${pids[1]}"
check "SIGTERM: dnsd c stops cleanly" stop c "${pids[2]}"
pids=("$holder")
finish
