#!/usr/bin/env bash
# Differential test of the answer engine against NSD: both serve the
# zones of tests/data/answer, answer_differential.py sends each a few
# thousand queries and compares the responses (allowed differences are
# listed, with their reasons, in the python script).
set -u
BUILD=${DNSD_BUILD:?set DNSD_BUILD}
SRC=${DNSD_SRC:?set DNSD_SRC}
DPORT=15510
NPORT=15511
PY=/usr/bin/python3

if ! command -v nsd >/dev/null; then
	echo "nsd not installed"
	echo "0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d)
dpid=
npid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for p in $dpid $npid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/zones"
cp "$SRC"/tests/data/answer/* "$tmp/zones/"

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$DPORT
zones-dir $tmp/zones
log-level warning
EOF
"$BUILD/src/daemon/dnsd" -c "$tmp/dnsd.conf" >"$tmp/dnsd.log" 2>&1 &
dpid=$!

# NSD as a plain reference: no privilege drop or chroot, its state files
# in the temp dir, no rate limiting, no CHAOS identity answers.
{
	cat <<EOF
server:
	ip-address: 127.0.0.1@$NPORT
	username: ""
	chroot: ""
	zonesdir: "$tmp/zones"
	pidfile: "$tmp/nsd.pid"
	xfrdfile: "$tmp/xfrd.state"
	zonelistfile: "$tmp/zone.list"
	database: ""
	hide-version: yes
	hide-identity: yes
	server-count: 1
	verbosity: 0
EOF
	# rate limiting only when compiled in (the option is an error if not)
	printf 'server:\n\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n' >"$tmp/rrl.conf"
	if nsd-checkconf "$tmp/rrl.conf" >/dev/null 2>&1; then
		printf '\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n'
	fi
	printf 'remote-control:\n\tcontrol-enable: no\n'
	for f in "$tmp"/zones/*; do
		z=$(basename "$f")
		printf 'zone:\n\tname: %s\n\tzonefile: %s\n' "$z" "$z"
	done
} >"$tmp/nsd.conf"
nsd -d -c "$tmp/nsd.conf" >"$tmp/nsd.log" 2>&1 &
npid=$!

up() {
	dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short example.com SOA 2>/dev/null |
		grep -q 2024010101
}
uptcp() {
	dig @127.0.0.1 -p "$1" +tcp +time=1 +tries=1 +short example.com SOA 2>/dev/null |
		grep -q 2024010101
}
for _ in $(seq 50); do
	up $DPORT && up $NPORT && uptcp $DPORT && uptcp $NPORT && break
	sleep 0.2
done
for p in $DPORT $NPORT; do
	if ! up "$p"; then
		echo "server on port $p not answering"
		cat "$tmp/dnsd.log" "$tmp/nsd.log"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

"$PY" "$SRC/tests/system/answer_differential.py" "$tmp/zones" $DPORT $NPORT
rc=$?
if ! kill -0 "$dpid" 2>/dev/null; then
	echo "dnsd died:"
	cat "$tmp/dnsd.log"
	rc=1
fi
exit $rc
