#!/usr/bin/env bash
# Differential test of the answer engine against NSD: both serve the
# zones of tests/data/answer, answer_differential.py sends each a few
# thousand queries and compares the responses (allowed differences are
# listed, with their reasons, in the python script).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
DPORT=15510
NPORT=15511

need nsd

mkdir "$tmp/zones"
cp "$DNSD_SRC"/tests/data/answer/* "$tmp/zones/"

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$DPORT
zones-dir $tmp/zones
log-level warning
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"

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
pids+=($!)

# Both servers answering, over UDP and over TCP.
for p in $DPORT $NPORT; do
	if ! wait_answer "$p" 2024010101 example.com SOA ||
		! wait_answer "$p" 2024010101 +tcp example.com SOA; then
		echo "server on port $p not answering"
		cat "$tmp/dnsd.log" "$tmp/nsd.log"
		fail=$((fail + 1))
		finish
	fi
done

"$PY" "$DNSD_SRC/tests/system/answer_differential.py" "$tmp/zones" $DPORT $NPORT
rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
	echo "dnsd died:"
	cat "$tmp/dnsd.log"
	rc=1
fi
exit $rc
