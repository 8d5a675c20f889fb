#!/usr/bin/env bash
# Response rate limiting (rrl-rate, rrl-slip; ratelimit.c, src/lib/rrl.c)
# through a real dnsd: a flood of one name from one address over UDP
# (rrl_flood.py: 1000 queries in 2 s) gets about rrl-rate a second full
# answers plus the first second's burst, and every rrl-slip-th limited
# response truncated (TC, no records); meanwhile another name from the
# same address, the same name from another /24 and the same name over
# TCP are answered. Names that do not exist share their zone's bucket.
# The same over IPv6 (::1), and with two workers from one client port.
# Without rrl-rate nothing is limited; rrl-slip 0 only drops. The
# limiting is logged, naming the first response limited.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

flood=$DNSD_SRC/tests/system/rrl_flood.py
port_on=16740  # rrl-rate 20, rrl-slip 2
port_off=16741 # no rrl-rate
port_s0=16742  # rrl-rate 20, rrl-slip 0
port_w2=16752  # rrl-rate 20, workers 2

need "$DNSD" dig "$PY"

mkdir -p "$tmp/zones" "$tmp/work-on" "$tmp/work-off" "$tmp/work-s0" \
	"$tmp/work-w2"
cat >"$tmp/zones/example.test" <<'EOF2'
$ORIGIN example.test.
$TTL 300
@	SOA ns hostmaster 1 3600 600 86400 300
	NS ns
ns	A 127.0.0.1
www	A 192.0.2.1
mail	A 192.0.2.2
EOF2

start() { # start NAME PORT DIRECTIVE...
	local name=$1 port=$2
	shift 2
	{
		echo "role primary"
		echo "zones-dir $tmp/zones"
		echo "workdir $tmp/work-$name"
		echo "listen 127.0.0.1:$port"
		echo "listen [::1]:$port"
		for d in "$@"; do echo "$d"; done
	} >"$tmp/$name.conf"
	dnsd_start "$tmp/$name.conf" "$tmp/$name.log"
	if ! wait_answer "$port" '^192\.0\.2\.2$' mail.example.test A; then
		echo "not ok - dnsd ($name) did not start answering"
		sed 's/^/# /' "$tmp/$name.log"
		fail=$((fail + 1))
		finish
	fi
}
on_started=$(date +%s)
start on "$port_on" "rrl-rate 20" "rrl-slip 2"
start off "$port_off"
start s0 "$port_s0" "rrl-rate 20" "rrl-slip 0"
start w2 "$port_w2" "rrl-rate 20" "workers 2"
check "the rrl settings are logged" has "$tmp/on.log" \
	'rrl: 20 responses a second per /24 and /56, slip 2'

# in_range OUT FIELD LO HI: FIELD=N of the flood's output within [LO, HI]
in_range() {
	local v
	v=$(grep -o "$2=[0-9]*" "$1" | cut -d= -f2)
	[ -n "$v" ] && [ "$v" -ge "$3" ] && [ "$v" -le "$4" ]
}
# run_flood OUT PORT SOURCE QNAME [SERVER]: 1000 queries in 2 s, in the
# background
run_flood() {
	"$PY" "$flood" "${5:-127.0.0.1}" "$2" "$3" "$4" A 1000 2 >"$1" 2>&1 &
	flood_pid=$!
}

# 20 a second for 2 s plus the first second's 20: about 60 answers of
# 1000; of the ~940 limited, every second one truncated.
run_flood "$tmp/f1" "$port_on" 127.0.0.1 www.example.test
sleep 1
dig +short +tries=1 +time=1 -p "$port_on" @127.0.0.1 mail.example.test A \
	>"$tmp/other-name" 2>&1
dig +short +tries=1 +time=1 +ignore -b 127.0.1.1 -p "$port_on" @127.0.0.1 \
	www.example.test A >"$tmp/other-prefix" 2>&1
dig +short +tries=1 +time=2 +tcp -p "$port_on" @127.0.0.1 \
	www.example.test A >"$tmp/tcp" 2>&1
wait "$flood_pid"
sed 's/^/# flood: /' "$tmp/f1"
check "a flood of one name: about rate x seconds answers (40..90)" \
	in_range "$tmp/f1" answers 40 90
check "rrl-slip 2: about half the limited responses truncated (400..520)" \
	in_range "$tmp/f1" truncated 400 520
check "the answers that went out are NOERROR" has "$tmp/f1" 'rcode=NOERROR'
check "during the flood another name from the same address is answered" \
	grep -qx 192.0.2.2 "$tmp/other-name"
check "during the flood the name from another /24 is answered" \
	grep -qx 192.0.2.1 "$tmp/other-prefix"
check "during the flood the name over TCP is answered" \
	grep -qx 192.0.2.1 "$tmp/tcp"

# Every name that does not exist in the zone: one NXDOMAIN bucket.
sleep 1.1
run_flood "$tmp/f2" "$port_on" 127.0.0.1 'nx{i}.example.test'
wait "$flood_pid"
sed 's/^/# flood: /' "$tmp/f2"
check "a flood of names that do not exist: limited as one (40..90)" \
	in_range "$tmp/f2" answers 40 90
check "the NXDOMAIN answers are NXDOMAIN" has "$tmp/f2" 'rcode=NXDOMAIN'

# IPv6: the same from ::1 (its /56), a bucket apart from 127.0.0.1's.
run_flood "$tmp/f6" "$port_on" ::1 www.example.test ::1
wait "$flood_pid"
sed 's/^/# flood: /' "$tmp/f6"
check "a flood over IPv6: about rate x seconds answers (40..90)" \
	in_range "$tmp/f6" answers 40 90
check "over IPv6 too, about half the limited truncated (400..520)" \
	in_range "$tmp/f6" truncated 400 520

# Off by default: everything answered (a few lost datagrams allowed).
run_flood "$tmp/f3" "$port_off" 127.0.0.1 www.example.test
wait "$flood_pid"
sed 's/^/# flood: /' "$tmp/f3"
check "without rrl-rate the flood is answered in full" \
	in_range "$tmp/f3" answers 990 1000
check "without rrl-rate nothing is truncated" \
	in_range "$tmp/f3" truncated 0 0

# rrl-slip 0: the limited are dropped, none truncated.
run_flood "$tmp/f4" "$port_s0" 127.0.0.1 www.example.test
wait "$flood_pid"
sed 's/^/# flood: /' "$tmp/f4"
check "rrl-slip 0: about rate x seconds answers (40..90)" \
	in_range "$tmp/f4" answers 40 90
check "rrl-slip 0: nothing truncated" in_range "$tmp/f4" truncated 0 0

# Two workers, each with its own table: one client port meets one of
# them (SO_REUSEPORT hashes address and port), so it gets the rate, not
# twice it.
run_flood "$tmp/f5" "$port_w2" 127.0.0.1 www.example.test
wait "$flood_pid"
sed 's/^/# flood: /' "$tmp/f5"
check "workers 2, one client port: about rate x seconds answers (40..90)" \
	in_range "$tmp/f5" answers 40 90

# The limiting is logged: a line every 10 s at most, with the first
# response limited (the flood of www), written at the first batch after.
while [ $(($(date +%s) - on_started)) -lt 11 ]; do sleep 0.5; done
dig +short +tries=1 +time=1 -p "$port_on" @127.0.0.1 mail.example.test A >/dev/null
check "the limiting is logged, with the first name and client" \
	wait_log "$tmp/on.log" \
	'rrl: worker 0: [0-9]* responses dropped, [0-9]* truncated in 10 s; the first: answer www.example.test. to 127.0.0.1#' 1
grep 'rrl:' "$tmp/on.log" | sed 's/^/# /'

finish
