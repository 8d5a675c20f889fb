#!/usr/bin/env bash
# The transfer client of the daemon (src/daemon/xfrclient.c, driven by
# tests/xfr_fetch), against a dnsd primary, a BIND named primary and a
# Knot knotd primary, all TSIG-signed:
# - an AXFR of a zone of 8,000 records (several messages, every one
#   verified) makes exactly the zone served (dnsd-checkzone --print of
#   the primary's file);
# - after a change, the IXFR of named (ixfr-from-differences) and of
#   knotd (zonefile-load: difference), applied to the version held, makes
#   the new version; an IXFR from the newest serial says up to date;
# - unsigned, signed with a wrong secret, or a port nobody listens on:
#   an error that says which.
. "$(dirname "$0")/lib.sh"
need named knotd dig
PORT=16480
NAMED_PORT=16481
KNOT_PORT=16482
FETCH=$DNSD_BUILD/tests/xfr_fetch
CZ=$DNSD_BUILD/src/tools/dnsd-checkzone

mkdir -p "$tmp/zones" "$tmp/named" "$tmp/knot"
zone_v() { # zone_v SERIAL CHANGED-ADDRESS: the zone's text
	printf '$TTL 3600\n@ SOA ns1 hostmaster %s 3600 900 604800 300\n' "$1"
	printf '@ NS ns1\nns1 A 192.0.2.1\nwww A %s\n' "$2"
	printf 'mail MX 10 ns1\ntxt TXT "a string" "and another"\n'
	for i in $(seq 1 8000); do echo "h$i A 10.0.$((i / 256)).$((i % 256))"; done
}
zone_v 5 192.0.2.80 >"$tmp/zones/example.org"
cp "$tmp/zones/example.org" "$tmp/v5"
"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey t._transfer.example.org >"$tmp/zones/example.org._keys"
SECRET=$(awk '{print $NF}' "$tmp/zones/example.org._keys")
KEY=t._transfer.example.org:SHA256:$SECRET
# the same key's name with another secret
OTHER=$("$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey t._transfer.example.org | awk '{print $NF}')
"$CZ" --print --origin example.org "$tmp/v5" >"$tmp/v5.print" 2>/dev/null

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
zones-dir $tmp/zones
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/log"
check "dnsd serves the zone" wait_answer $PORT hostmaster example.org SOA

cp "$tmp/v5" "$tmp/named/example.org.db"
cat >"$tmp/named/named.conf" <<EOF
options {
	directory "$tmp/named";
	listen-on port $NAMED_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile none;
	recursion no;
	notify no;
	dnssec-validation no;
	allow-transfer { key "t._transfer.example.org"; };
	ixfr-from-differences yes;
};
controls { };
key "t._transfer.example.org" { algorithm hmac-sha256; secret "$SECRET"; };
zone "example.org" { type primary; file "example.org.db"; };
EOF
named -g -c "$tmp/named/named.conf" >"$tmp/named/log" 2>&1 &
NAMED_PID=$!
pids+=("$NAMED_PID")
check "named serves the zone" wait_answer $NAMED_PORT hostmaster example.org SOA

cp "$tmp/v5" "$tmp/knot/example.org.zone"
cat >"$tmp/knot/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$KNOT_PORT
  rundir: $tmp/knot
log:
  - target: stderr
    any: info
database:
  storage: $tmp/knot
key:
  - id: t._transfer.example.org
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: xfr
    key: t._transfer.example.org
    action: transfer
template:
  - id: default
    storage: $tmp/knot
zone:
  - domain: example.org
    file: $tmp/knot/example.org.zone
    zonefile-load: difference
    journal-content: changes
    acl: [xfr]
EOF
knotd -c "$tmp/knot/knot.conf" >"$tmp/knot/log" 2>&1 &
KNOT_PID=$!
pids+=("$KNOT_PID")
check "knotd serves the zone" wait_answer $KNOT_PORT hostmaster example.org SOA

# fetch NAME PORT KIND [KEY [HELD]]: the version on $tmp/NAME.out, the
# summary on $tmp/NAME.err; the exit status
fetch() {
	local name=$1 port=$2
	shift 2
	"$FETCH" 127.0.0.1 "$port" example.org. "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

for p in dnsd:$PORT named:$NAMED_PORT knotd:$KNOT_PORT; do
	s=${p%%:*} port=${p#*:}
	fetch "$s" "$port" AXFR "$KEY"
	check "$s AXFR, signed: fetched (exit $?)" [ $? -eq 0 ]
	check "$s AXFR: an AXFR of serial 5 ($(cat "$tmp/$s.err"))" grep -q '^axfr serial 5 messages [0-9]* records 8007$' "$tmp/$s.err"
	check "$s AXFR: several messages ($(cat "$tmp/$s.err"))" \
		bash -c "! grep -q 'messages 1 ' '$tmp/$s.err'"
	check "$s AXFR: exactly the zone served ($(diff "$tmp/v5.print" "$tmp/$s.out" | wc -l) lines differ)" \
		cmp -s "$tmp/v5.print" "$tmp/$s.out"
	fetch "$s.unsigned" "$port" AXFR
	check "$s AXFR, unsigned: REFUSED (BIND, dnsd) or NOTAUTH (Knot), said ($(cat "$tmp/$s.unsigned.err"))" \
		grep -q '^error -16: rcode [59] in message 1$' "$tmp/$s.unsigned.err"
	fetch "$s.badkey" "$port" AXFR "t._transfer.example.org:SHA256:$OTHER"
	check "$s AXFR, a wrong secret: failed ($(cat "$tmp/$s.badkey.err"))" grep -q '^error ' "$tmp/$s.badkey.err"
	check "$s AXFR, a wrong secret: no zone" [ ! -s "$tmp/$s.badkey.out" ]
done

# ---- IXFR from named and knotd ----
zone_v 6 192.0.2.81 >"$tmp/v6"
cp "$tmp/v6" "$tmp/named/example.org.db"
cp "$tmp/v6" "$tmp/knot/example.org.zone"
"$CZ" --print --origin example.org "$tmp/v6" >"$tmp/v6.print" 2>/dev/null
kill -HUP "$NAMED_PID" "$KNOT_PID"
for p in named:$NAMED_PORT knotd:$KNOT_PORT; do
	s=${p%%:*} port=${p#*:}
	check "$s serves serial 6" wait_answer "$port" " 6 3600 " example.org SOA
	fetch "$s.ixfr" "$port" IXFR "$KEY" "$tmp/v5"
	check "$s IXFR from 5: fetched (exit $?)" [ $? -eq 0 ]
	check "$s IXFR from 5: incremental, to 6 ($(cat "$tmp/$s.ixfr.err"))" grep -q '^ixfr serial 6 .* diff$' "$tmp/$s.ixfr.err"
	check "$s IXFR from 5: exactly version 6 ($(diff "$tmp/v6.print" "$tmp/$s.ixfr.out" | wc -l) lines differ)" \
		cmp -s "$tmp/v6.print" "$tmp/$s.ixfr.out"
	fetch "$s.uptodate" "$port" IXFR "$KEY" "$tmp/v6"
	check "$s IXFR from 6: fetched (exit $?)" [ $? -eq 0 ]
	check "$s IXFR from 6: up to date ($(cat "$tmp/$s.uptodate.err"))" grep -q '^uptodate serial 6 ' "$tmp/$s.uptodate.err"
done

# ---- nobody there ----
fetch refused 16489 AXFR "$KEY"
check "a port nobody listens on: said ($(cat "$tmp/refused.err"))" grep -q '^error -13: Connection refused$' "$tmp/refused.err"
finish
