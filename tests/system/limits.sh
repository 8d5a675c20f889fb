#!/usr/bin/env bash
# max-records-per-type and max-types-per-name (as BIND 9.18.28 after
# CVE-2024-1737) wherever data enters, with real processes: a git
# primary A (127.0.0.1:16743, limits 5 and 4) and a dnsd secondary B
# (127.0.0.2:16744, max-records-per-type 3).
# - a zone file past a limit is not served (the other zone is), logged
#   with the zone, the name and the directive; dnsd -t says so and
#   exits 1;
# - an UPDATE that would grow an RRset or a name past a limit is
#   REFUSED and logged; nothing of it is served;
# - B transfers the zone while it fits; an UPDATE on A that makes an
#   RRset too large for B: B's transfer fails, logged, and B keeps
#   serving the version it had;
# - B restarted with max-records-per-type 2: its copy on disk is held to
#   it (not served, logged), and served again back at 3;
# - update-max-pending 2: a burst of UPDATEs sent at once, those past
#   two waiting for their commit REFUSED (logged), every one answered;
# - transfers-max-per-peer 1 on a zones-dir primary C (127.0.0.1:16745):
#   while a reader that reads nothing holds a transfer (of 200000 names), a second one
#   from the same address is REFUSED (logged), one from another address
#   (127.0.0.2) is served; once the first is gone, the address may
#   transfer again.
# - notify-max-pending 4 on B: a burst of signed NOTIFYs for 500 zones
#   under example.org (which B's key covers) in one go: while the main
#   loop takes them in, those past four zones waiting are REFUSED
#   (logged), the others NOERROR; every one answered.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need dig nsupdate git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
A_PORT=16743
B_PORT=16744
C_PORT=16745
CMP=$DNSD_SRC/tests/system/xfr_compare.py
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

secret() { awk '{print $NF}' "$1"; }
AB=127.0.0.1.127.0.0.2._transfer.example.org
"$KEYGEN" -f dnskey $AB >"$tmp/ab.dnskey"
"$KEYGEN" -f dnskey u._update.example.org >"$tmp/u.dnskey"

git init -q --bare -b main "$tmp/remote.git"
git init -q -b main "$tmp/work"
cat >"$tmp/work/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 1 3600 600 86400 300
	NS	ns1
ns1	A	192.0.2.53
www	A	192.0.2.1
www	A	192.0.2.2
www	A	192.0.2.3
EOF
# six addresses at one name: past max-records-per-type 5
{
	printf '$ORIGIN big.test.\n$TTL 60\n@ SOA ns1 hostmaster 1 60 60 600 60\n'
	printf '@ NS ns1\nns1 A 192.0.2.53\n'
	for i in 1 2 3 4 5 6; do echo "www A 192.0.2.$i"; done
} >"$tmp/work/big.test"
# five types at one name: past max-types-per-name 4
cat >"$tmp/work/wide.test" <<'EOF'
$ORIGIN wide.test.
$TTL 60
@	SOA	ns1 hostmaster 1 60 60 600 60
	NS	ns1
ns1	A	192.0.2.53
x	A	192.0.2.1
x	AAAA	2001:db8::1
x	TXT	"t"
x	MX	10 ns1
x	HINFO	"a" "b"
EOF
cat "$tmp/ab.dnskey" "$tmp/u.dnskey" >"$tmp/work/example.org._keys"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zones
git -C "$tmp/work" push -q "$tmp/remote.git" main

cat >"$tmp/a.conf" <<EOF
role primary
listen 127.0.0.1:$A_PORT
workdir $tmp/a
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
notify-port $B_PORT
max-records-per-type 5
max-types-per-name 4
EOF
cat >"$tmp/b.conf" <<EOF
role secondary
listen 127.0.0.2:$B_PORT
workdir $tmp/b
primary 127.0.0.1:$A_PORT
key $AB:SHA256:$(secret "$tmp/ab.dnskey")
max-records-per-type 3
notify-max-pending 4
EOF
mkdir -p "$tmp/a" "$tmp/b"

ask() { dig +short +time=1 +tries=1 -p "$2" "@$1" "$3" "$4" 2>/dev/null; }
status() {
	dig +time=1 +tries=1 -p "$2" "@$1" "$3" "$4" 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
serial() { ask "$1" "$2" "$3" SOA | awk '{print $3}'; }

# ---- zone files ----
"$DNSD" -c "$tmp/a.conf" -t >"$tmp/t.out" 2>&1
rc=$?
check "dnsd -t of zones past the limits exits 1 (got $rc)" [ "$rc" -eq 1 ]
check "dnsd -t names the RRset and the directive" has "$tmp/t.out" \
	'big.test.*www.big.test. A has 6 records, past max-records-per-type 5'
check "dnsd -t names the name and the directive" has "$tmp/t.out" \
	'wide.test.*x.wide.test. has 5 RRsets, past max-types-per-name 4'
sed 's/^/# -t: /' "$tmp/t.out"

dnsd_start "$tmp/a.conf" "$tmp/a.log"
apid=$pid
check "A serves example.org" wait_answer $A_PORT 192.0.2.3 www.example.org A
check "big.test (6 A at www) is not served: REFUSED" \
	[ "$(status 127.0.0.1 $A_PORT www.big.test A)" = REFUSED ]
check "wide.test (5 types at x) is not served: REFUSED" \
	[ "$(status 127.0.0.1 $A_PORT x.wide.test A)" = REFUSED ]
check "A logged big.test past max-records-per-type" has "$tmp/a.log" \
	'zone big.test.*past max-records-per-type 5'
check "A logged wide.test past max-types-per-name" has "$tmp/a.log" \
	'zone wide.test.*past max-types-per-name 4'

# ---- UPDATE ----
K=hmac-sha256:u._update.example.org:$(secret "$tmp/u.dnskey")
nsu() { # nsu RCODE DESCRIPTION < update lines
	{
		echo "server 127.0.0.1 $A_PORT"
		echo "zone example.org"
		cat
		echo send
	} >"$tmp/nsu.in"
	nsupdate -y "$K" "$tmp/nsu.in" >"$tmp/nsu.out" 2>&1
	local rc=$?
	if [ "$1" = NOERROR ]; then
		check "$2: NOERROR $(cat "$tmp/nsu.out")" [ "$rc" -eq 0 ]
	else
		check "$2: $1 ($(cat "$tmp/nsu.out"))" \
			grep -q "update failed: $1" "$tmp/nsu.out"
	fi
}
nsu REFUSED "an UPDATE growing www to 6 A (max-records-per-type 5)" <<'EOF'
update add www.example.org 3600 A 192.0.2.4
update add www.example.org 3600 A 192.0.2.5
update add www.example.org 3600 A 192.0.2.6
EOF
check "the refusal is logged with the directive" wait_log "$tmp/a.log" \
	'www.example.org. A would hold 6 records, past the limit of 5 (max-records-per-type)' 1
check "nothing of it is served" \
	[ "$(ask 127.0.0.1 $A_PORT www.example.org A | wc -l)" -eq 3 ]
nsu REFUSED "an UPDATE giving a name 5 types (max-types-per-name 4)" <<'EOF'
update add y.example.org 60 A 192.0.2.9
update add y.example.org 60 AAAA 2001:db8::9
update add y.example.org 60 TXT "t"
update add y.example.org 60 MX 10 ns1.example.org.
update add y.example.org 60 HINFO "a" "b"
EOF
check "that refusal is logged too" wait_log "$tmp/a.log" \
	'y.example.org. would hold 5 RRsets, past the limit of 4 (max-types-per-name)' 1
check "y is not served" \
	[ "$(status 127.0.0.1 $A_PORT y.example.org A)" = NXDOMAIN ]
check "serial still 1" [ "$(serial 127.0.0.1 $A_PORT example.org)" = 1 ]

# ---- transfers in ----
dnsd_start "$tmp/b.conf" "$tmp/b.log"
bpid=$pid
for _ in $(seq 100); do
	[ "$(serial 127.0.0.2 $B_PORT example.org)" = 1 ] && break
	sleep 0.1
done
check "B transfers example.org (3 A at www: within its 3)" \
	[ "$(ask 127.0.0.2 $B_PORT www.example.org A | wc -l)" -eq 3 ]
nsu NOERROR "A takes a fourth A at www (within its 5)" \
	<<<"update add www.example.org 3600 A 192.0.2.4"
check "A serves serial 2" [ "$(serial 127.0.0.1 $A_PORT example.org)" = 2 ]
check "B's transfer of serial 2 fails on max-records-per-type 3" \
	wait_log "$tmp/b.log" \
	'example.org.*www.example.org. A has 4 records, past max-records-per-type 3' 1
sleep 0.5
check "B keeps serving serial 1" \
	[ "$(serial 127.0.0.2 $B_PORT example.org)" = 1 ]
check "B keeps the 3 A at www" \
	[ "$(ask 127.0.0.2 $B_PORT www.example.org A | wc -l)" -eq 3 ]
grep -E 'past|IXFR in|AXFR in' "$tmp/b.log" | sed 's/^/# B: /'

# ---- B's copy on disk, held to a limit lowered since ----
kill "$bpid"
wait "$bpid" 2>/dev/null
sed -i 's/^max-records-per-type 3$/max-records-per-type 2/' "$tmp/b.conf"
dnsd_start "$tmp/b.conf" "$tmp/b2.log"
bpid=$pid
check "B's copy on disk past max-records-per-type 2: not served, logged" \
	wait_log "$tmp/b2.log" \
	'zone example.org.*the copy on disk: www.example.org. A has 3 records, past max-records-per-type 2; not served' 1
check "B serves no example.org then (REFUSED)" \
	[ "$(status 127.0.0.2 $B_PORT example.org SOA)" = REFUSED ]
kill "$bpid"
wait "$bpid" 2>/dev/null
sed -i 's/^max-records-per-type 2$/max-records-per-type 3/' "$tmp/b.conf"
dnsd_start "$tmp/b.conf" "$tmp/b.log"
bpid=$pid
for _ in $(seq 50); do
	[ "$(ask 127.0.0.2 $B_PORT www.example.org A | wc -l)" -eq 3 ] && break
	sleep 0.2
done
check "back at 3, B serves its copy again" \
	[ "$(ask 127.0.0.2 $B_PORT www.example.org A | wc -l)" -eq 3 ]
check "A still runs" kill -0 "$apid"

# ---- UPDATEs waiting for their commit ----
# update-max-pending 2 (SIGHUP): of a burst of 30 UPDATEs sent at once,
# some wait for their commit and the ones past 2 are REFUSED at once.
echo "update-max-pending 2" >>"$tmp/a.conf"
kill -HUP "$apid"
check "A reloaded" wait_log "$tmp/a.log" 'SIGHUP' 1
sleep 1
"$PY" "$DNSD_SRC/tests/system/update_burst.py" 127.0.0.1 $A_PORT \
	example.org u._update.example.org "$(secret "$tmp/u.dnskey")" 30 \
	>"$tmp/burst" 2>&1
sed 's/^/# burst: /' "$tmp/burst"
check "a burst of 30: some taken (NOERROR)" grep -q 'NOERROR=[1-9]' "$tmp/burst"
check "a burst of 30: the ones past update-max-pending 2 REFUSED" \
	grep -q 'REFUSED=[1-9]' "$tmp/burst"
check "every UPDATE answered" grep -q 'lost=0' "$tmp/burst"
check "the refusal names update-max-pending" has "$tmp/a.log" \
	'too many updates waiting for their commit (update-max-pending), REFUSED'

# ---- transfers out per peer ----
mkdir -p "$tmp/czones" "$tmp/c"
{
	printf '$ORIGIN big.test.\n$TTL 60\n@ SOA ns1 hostmaster 1 60 60 600 60\n'
	printf '@ NS ns1\nns1 A 192.0.2.53\n'
	# big enough (about 6 MB of messages) to outlast the socket buffers
	seq 200000 | awk '{ printf "h%d A 10.%d.%d.%d\n", $1, $1 / 65536 % 256, $1 / 256 % 256, $1 % 256 }'
} >"$tmp/czones/big.test"
cat >"$tmp/c.conf" <<EOF
role primary
listen 127.0.0.1:$C_PORT
listen 127.0.0.2:$C_PORT
workdir $tmp/c
zones-dir $tmp/czones
allow-transfer 127.0.0.0/8
transfers-max-per-peer 1
tcp-idle-timeout 3
EOF
dnsd_start "$tmp/c.conf" "$tmp/c.log"
check "C serves big.test" wait_answer $C_PORT 10.0.0.1 h1.big.test A
"$PY" "$CMP" stall big.test - $C_PORT 6 >"$tmp/stall" 2>&1 &
pids+=($!)
check "a stalled reader is transferring" wait_log "$tmp/c.log" \
	'AXFR out zone big.test to 127.0.0.1#[0-9]*: AXFR' 1
"$PY" "$CMP" rcode big.test - $C_PORT >"$tmp/rc" 2>&1
check "a second transfer to 127.0.0.1: REFUSED ($(cat "$tmp/rc"))" \
	grep -qx REFUSED "$tmp/rc"
check "logged with transfers-max-per-peer" has "$tmp/c.log" \
	'to 127.0.0.1#[0-9]*: 1 transfers running to this address (transfers-max-per-peer), REFUSED'
dig -b 127.0.0.2 -p $C_PORT @127.0.0.2 big.test AXFR +tries=1 +time=5 \
	>"$tmp/dig2" 2>&1
check "a transfer to 127.0.0.2 meanwhile: the whole zone" \
	grep -q 'XFR size: 200004 records' "$tmp/dig2"
check "the stalled transfer ends (cut off)" wait_log "$tmp/c.log" \
	'AXFR out zone big.test to 127.0.0.1#.*cut short' 1
dig -p $C_PORT @127.0.0.1 big.test AXFR +tries=1 +time=5 >"$tmp/dig1" 2>&1
check "then 127.0.0.1 may transfer again" \
	grep -q 'XFR size: 200004 records' "$tmp/dig1"

# ---- notify-max-pending: a burst of NOTIFYs for many zones ----
cat >"$tmp/burst.py" <<'EOF'
import socket, sys
import dns.message, dns.opcode, dns.flags, dns.rdatatype, dns.tsig, dns.tsigkeyring
port, keyname, secret, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
kr = dns.tsigkeyring.from_text({keyname: secret})
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.connect(("127.0.0.2", port))
wires = []
for i in range(n):
    m = dns.message.make_query("z%d.example.org." % i, dns.rdatatype.SOA)
    m.set_opcode(dns.opcode.NOTIFY)
    m.flags |= dns.flags.AA
    m.use_tsig(kr, keyname, algorithm=dns.tsig.HMAC_SHA256)
    wires.append(m.to_wire())
for w in wires:
    s.send(w)
codes = {}
s.settimeout(2)
try:
    while sum(codes.values()) < n:
        d = s.recv(4096)
        rc = d[3] & 15
        codes[rc] = codes.get(rc, 0) + 1
except socket.timeout:
    pass
ok, ref = codes.get(0, 0), codes.get(5, 0)
print("NOERROR %d REFUSED %d other %d" % (ok, ref, sum(codes.values()) - ok - ref))
EOF
"$PY" "$tmp/burst.py" $B_PORT $AB "$(secret "$tmp/ab.dnskey")" 500 >"$tmp/burst" 2>&1
read -r _ nok _ nref _ nother <"$tmp/burst"
echo "# NOTIFY burst: $(cat "$tmp/burst")"
check "notify-max-pending: some NOTIFYs past four waiting REFUSED ($(cat "$tmp/burst"))" \
	[ "${nref:-0}" -gt 0 ]
check "notify-max-pending: the others taken" [ "${nok:-0}" -gt 0 ]
check "notify-max-pending: every NOTIFY answered" \
	[ $((${nok:-0} + ${nref:-0})) -eq 500 ] && [ "${nother:-1}" -eq 0 ]
check "notify-max-pending: logged" has "$tmp/b.log" 'too many NOTIFYs waiting'

finish
