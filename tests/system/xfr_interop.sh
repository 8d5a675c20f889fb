#!/usr/bin/env bash
# Transfers out to real secondaries: a dnsd git primary feeds BIND named,
# Knot knotd and NSD, each on its own loopback port, over TSIG-signed
# AXFR and IXFR, told by dnsd's NOTIFYs (also-notify, signed with the
# transfer key that names 127.0.0.1 as the secondary):
# - the first AXFR: each secondary serves what dnsd serves, record by
#   record (every RR type the three store, delegations, glue, a wildcard);
# - a push and a NOTIFY to dnsd: each secondary follows by IXFR, within
#   seconds; again after dnsd restarted on the same workdir;
# - a zone of 100,000 names by kdig, dig and dnspython: complete, every
#   message signed and chained; dig IXFR=old gets the incremental answer;
# - refusals: unsigned, wrong secret (BADSIG), a key of another zone, UDP
#   (FORMERR), more than transfers-max; a reader that reads nothing is cut
#   off after tcp-idle-timeout without holding up anyone else;
# - allow-transfer (reloaded by SIGHUP) lets an unsigned AXFR through.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need named knotd nsd dig kdig git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
CMP=$DNSD_SRC/tests/system/xfr_compare.py
DATA=$DNSD_SRC/tests/data/xfr
PORT=16100
NAMED_PORT=16101
KNOT_PORT=16102
NSD_PORT=16103
SINK_PORT=16149 # notify-port: the secondary the key names, a NOTIFY sink
SEC_PORTS="$NAMED_PORT $KNOT_PORT $NSD_PORT"

# ---- the repository: example.org (every type), big.test, other.org ----
# The transfer key names 127.0.0.1 as primary and secondary, so dnsd
# signs its NOTIFYs to the secondaries with it.
KNAME=127.0.0.1.127.0.0.1._transfer.example.org
"$KEYGEN" -f dnskey "$KNAME" >"$tmp/k.dnskey"
SECRET=$(awk '{print $6}' "$tmp/k.dnskey")
KEY=$KNAME:SHA256:$SECRET
KEY_Y=hmac-sha256:$KNAME:$SECRET
BIGKEY=$("$KEYGEN" -f text b._transfer.big.test)
OTHERKEY=$("$KEYGEN" -f text x._transfer.other.org)
WRONGKEY=$KNAME:SHA256:$(head -c 32 /dev/urandom | base64)

git_src() { git -C "$tmp/src" -c user.name=test -c user.email=test@example.org "$@" >/dev/null 2>&1; }
git init -q --bare -b main "$tmp/repo.git"
git init -q -b main "$tmp/src"
git -C "$tmp/src" remote add origin "$tmp/repo.git"

example_org() { # example_org SERIAL: the zone, version 1
	printf '$ORIGIN example.org.\n$TTL 3600\n'
	printf '@ SOA ns1 hostmaster %s 7200 900 1209600 300\n' "$1"
	cat "$DATA/example.org.body"
	awk 'BEGIN { for (i = 1; i <= 300; i++) {
		printf "host%d 600 A 198.51.100.%d\n", i, i % 250 + 1
		if (i % 3 == 0) printf "host%d AAAA 2001:db8:1::%x\n", i, i
		if (i % 50 == 0) printf "host%d TXT \"host number %d\"\n", i, i
	} }'
}
set_serial() { sed -i -E "s/^(@ SOA ns1 hostmaster )[0-9]+/\\1$1/" "$tmp/src/example.org"; }
push() { # push MESSAGE
	git_src add -A && git_src commit -q -m "$1" && git_src push -q origin main
}

S1=2026120201
S2=2026120202
S3=2026120203
example_org $S1 >"$tmp/src/example.org"
cat "$tmp/k.dnskey" >"$tmp/src/example.org._keys"
{
	printf '$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n'
	awk 'BEGIN { for (i = 0; i < 100000; i++)
		printf "n%d A 10.%d.%d.%d\n", i, int(i / 65536), int(i / 256) % 256, i % 256 }'
} >"$tmp/src/big.test"
printf 'b._transfer.big.test. DNSKEY 0 3 163 %s\n' "${BIGKEY##*:}" >"$tmp/src/big.test._keys"
printf '$ORIGIN other.org.\n$TTL 300\n@ SOA ns1 hm 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.2\n' \
	>"$tmp/src/other.org"
printf 'x._transfer.other.org. DNSKEY 0 3 163 %s\n' "${OTHERKEY##*:}" >"$tmp/src/other.org._keys"
push "version 1"
check "the repository has version 1" git -C "$tmp/repo.git" rev-parse -q --verify main >/dev/null
# the zone must be good for the secondaries' own checker too
check_out "named-checkzone accepts example.org" \
	named-checkzone -q -i none example.org "$tmp/src/example.org"

# ---- the dnsd primary ----
mkdir -p "$tmp/dnsd"
write_conf() { # write_conf [EXTRA LINE...]
	{
		echo "role primary"
		echo "listen 127.0.0.1:$PORT"
		echo "workdir $tmp/dnsd"
		echo "git-remote $tmp/repo.git"
		echo "notify-port $SINK_PORT"
		for p in $SEC_PORTS; do echo "also-notify 127.0.0.1:$p"; done
		echo "tcp-idle-timeout 3"
		echo "log-level debug"
		for l in "$@"; do echo "$l"; done
	} >"$tmp/dnsd.conf"
}
write_conf
# the key names 127.0.0.1 as a secondary: dnsd NOTIFYs it on notify-port,
# from the start, before any secondary asked anything
$PY "$CMP" notifysink "$KEY" $SINK_PORT 120 >"$tmp/sink" 2>&1 &
pids+=($!)
sleep 0.3
dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"
DNSD_PID=$pid
check "dnsd serves example.org" wait_answer $PORT "$S1" example.org SOA
for _ in $(seq 50); do grep -q 'big.test.*loaded serial 7' "$tmp/dnsd.log" && break; sleep 0.2; done
BIG_RECORDS=$(sed -n 's/.*big\.test.*loaded serial 7 (\([0-9]*\) records).*/\1/p' "$tmp/dnsd.log" | head -1)
check "dnsd loaded big.test: ${BIG_RECORDS:-nothing} records" [ "${BIG_RECORDS:-0}" -ge 100003 ]
check "at start-up, a signed NOTIFY to the key's secondary on notify-port" \
	wait_log "$tmp/sink" "^notify example.org. signed $KNAME" 1

# ---- the three secondaries ----
mkdir -p "$tmp/named" "$tmp/knot" "$tmp/nsd"
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
	allow-transfer { key "$KNAME"; };
};
controls { };
key "$KNAME" { algorithm hmac-sha256; secret "$SECRET"; };
zone "example.org" {
	type secondary;
	primaries { 127.0.0.1 port $PORT key "$KNAME"; };
	file "example.org.db";
	allow-notify { key "$KNAME"; };
};
EOF
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
  - id: $KNAME
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: primary
    address: 127.0.0.1@$PORT
    key: $KNAME
acl:
  - id: from_primary
    address: 127.0.0.1
    key: $KNAME
    action: notify
  - id: dump
    key: $KNAME
    action: transfer
template:
  - id: default
    storage: $tmp/knot
zone:
  - domain: example.org
    master: primary
    acl: [from_primary, dump]
EOF
cat >"$tmp/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: $NSD_PORT
  do-ip6: no
  server-count: 1
  reuseport: no
  username: ""
  chroot: ""
  database: ""
  zonesdir: "$tmp/nsd"
  zonelistfile: "$tmp/nsd/zone.list"
  xfrdfile: "$tmp/nsd/xfrd.state"
  xfrdir: "$tmp/nsd"
  pidfile: "$tmp/nsd/nsd.pid"
  logfile: "$tmp/nsd/log"
  verbosity: 2
remote-control:
  control-enable: no
key:
  name: "$KNAME"
  algorithm: hmac-sha256
  secret: "$SECRET"
zone:
  name: example.org
  zonefile: "$tmp/nsd/example.org.zone"
  request-xfr: 127.0.0.1@$PORT $KNAME
  allow-notify: 127.0.0.1 $KNAME
  provide-xfr: 127.0.0.1 $KNAME
  store-ixfr: yes
EOF
check_out "named-checkconf" named-checkconf "$tmp/named/named.conf"
check_out "nsd-checkconf" nsd-checkconf "$tmp/nsd/nsd.conf"
named -g -d 3 -c "$tmp/named/named.conf" >"$tmp/named/log" 2>&1 &
pids+=($!)
knotd -c "$tmp/knot/knot.conf" >"$tmp/knot/log" 2>&1 &
pids+=($!)
nsd -d -c "$tmp/nsd/nsd.conf" >"$tmp/nsd/out" 2>&1 &
pids+=($!)

wait_serial() { # wait_serial PORT SERIAL: until 127.0.0.1#PORT serves it; 1 after 15 s
	local s
	for _ in $(seq 75); do
		s=$(dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 example.org SOA 2>/dev/null | awk '{print $3}')
		[ "$s" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
for p in $SEC_PORTS; do
	check "secondary on $p serves serial $S1 after the first AXFR" wait_serial "$p" $S1
done
check "dnsd logged three signed AXFRs" \
	wait_log "$tmp/dnsd.log" "AXFR out zone example.org to 127.0.0.1#[0-9]* key $KNAME.*done" 3
check_out "first AXFR: every secondary holds what dnsd holds, record by record" \
	$PY "$CMP" same example.org "$KEY" $PORT $SEC_PORTS
check "named: the first transfer was an AXFR" \
	has "$tmp/named/log" "no database exists yet, requesting AXFR of initial version from 127.0.0.1#$PORT"
check "named: transfer status success" \
	wait_log "$tmp/named/log" "transfer of 'example.org/IN' from 127.0.0.1#$PORT: Transfer status: success" 1
check "knotd: the first transfer was an AXFR" \
	wait_log "$tmp/knot/log" "AXFR, incoming, remote 127.0.0.1@$PORT.*finished" 1
check "nsd: received the zone" \
	wait_log "$tmp/nsd/log" "zone example.org.*serial $S1" 1

# ---- a push, a NOTIFY to dnsd: every secondary follows by IXFR ----
# How each says it: named (at -d 3) "got incremental response", knotd
# "IXFR, incoming, ... finished"; nsd names no transfer type in its log,
# so for nsd: it stores what it received (store-ixfr) and serves it as
# an IXFR of its own, which it can only do from an IXFR it got (it was
# not told to create-ixfr from differences).
ixfr_lines() { # ixfr_lines: "named knot" counts of IXFR evidence
	echo "$(grep -c "transfer of 'example.org/IN' from 127.0.0.1#$PORT: got incremental response" "$tmp/named/log")" \
		"$(grep -c "IXFR, incoming, remote 127.0.0.1@$PORT.*finished" "$tmp/knot/log")"
}
nsd_ixfr() { # nsd_ixfr FROM TO: nsd serves an incremental IXFR FROM -> TO
	$PY "$CMP" ixfr example.org "$KEY" $NSD_PORT "$1" >"$tmp/nsd.ixfr" 2>&1
	cat "$tmp/nsd.ixfr"
	grep -q '^incremental' "$tmp/nsd.ixfr" && grep -q "^step $1 -> $2" "$tmp/nsd.ixfr"
}
change_to() { # change_to SERIAL: push, NOTIFY dnsd, wait for every secondary
	local serial=$1 p
	set_serial "$serial"
	push "serial $serial"
	"$NOTIFY" 127.0.0.1:$PORT example.org --key "$KEY" --serial "$serial" --wait=10 >"$tmp/nout" 2>&1
	check "dnsd pulled and serves $serial: $(cat "$tmp/nout")" wait_answer $PORT "$serial" example.org SOA
	for p in $SEC_PORTS; do
		check "secondary on $p follows to $serial" wait_serial "$p" "$serial"
	done
}
read -r named_ixfr0 knot_ixfr0 <<<"$(ixfr_lines)"
sed -i -e 's/^\(\t\tA\t\)192\.0\.2\.81$/\1192.0.2.82/' \
	-e '/^mail/{n; /AAAA/d}' "$tmp/src/example.org"
echo 'added A 192.0.2.111' >>"$tmp/src/example.org"
echo 'added TXT "new in 2"' >>"$tmp/src/example.org"
change_to $S2
check "named: dnsd's NOTIFY was signed with the transfer key" \
	has "$tmp/named/log" "received notify for zone 'example.org': TSIG '$KNAME'"
check "dnsd NOTIFYd each secondary (acknowledged)" \
	bash -c "for p in $SEC_PORTS; do grep -q \"NOTIFY out zone example.org to 127.0.0.1#\$p.*acknowledged\" '$tmp/dnsd.log' || exit 1; done"
check "dnsd sent three incremental IXFRs" \
	wait_log "$tmp/dnsd.log" "IXFR out zone example.org to 127.0.0.1#[0-9]*.*incremental" 3
sleep 0.5
read -r named_ixfr knot_ixfr <<<"$(ixfr_lines)"
check "named logged an IXFR ($named_ixfr0 -> $named_ixfr)" [ "$named_ixfr" -gt "$named_ixfr0" ]
check "knotd logged an IXFR ($knot_ixfr0 -> $knot_ixfr)" [ "$knot_ixfr" -gt "$knot_ixfr0" ]
check "named wrote a journal (it does for an IXFR)" [ -s "$tmp/named/example.org.db.jnl" ]
nsd_bytes=$(sed -n "s/.*zone example.org. received update to serial $S2 .* of \([0-9]*\) bytes.*/\1/p" "$tmp/nsd/log")
check "nsd received serial $S2 in ${nsd_bytes:-?} bytes, not the whole zone" [ "${nsd_bytes:-99999}" -lt 2000 ]
check_out "nsd got an IXFR: it serves one itself, $S1 -> $S2" nsd_ixfr $S1 $S2
check_out "after the IXFR: every secondary holds what dnsd holds" \
	$PY "$CMP" same example.org "$KEY" $PORT $SEC_PORTS
for p in $SEC_PORTS; do
	check "secondary on $p: the changed www" wait_answer "$p" '192.0.2.82' www.example.org A
	check "secondary on $p: the added record" wait_answer "$p" '192.0.2.111' added.example.org A
done

# ---- dnsd restarts on its workdir; the next change still goes by IXFR ----
kill "$DNSD_PID"
wait "$DNSD_PID"
check "dnsd stops cleanly" [ $? -eq 0 ]
mv "$tmp/dnsd.log" "$tmp/dnsd.log.1"
dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"
DNSD_PID=$pid
check "dnsd serves $S2 again after the restart" wait_answer $PORT "$S2" example.org SOA
check "dnsd: big.test loaded again" wait_log "$tmp/dnsd.log" 'big.test.*loaded serial 7' 1
read -r named_ixfr0 knot_ixfr0 <<<"$(ixfr_lines)"
sed -i -e '/^host7 /d' -e 's/^host8 600 A/host8 900 A/' "$tmp/src/example.org"
echo 'restarted AAAA 2001:db8::3' >>"$tmp/src/example.org"
change_to $S3
check "after the restart: three incremental IXFRs" \
	wait_log "$tmp/dnsd.log" "IXFR out zone example.org to 127.0.0.1#[0-9]*.*incremental" 3
sleep 0.5
read -r named_ixfr knot_ixfr <<<"$(ixfr_lines)"
check "after the restart: named by IXFR" [ "$named_ixfr" -gt "$named_ixfr0" ]
check "after the restart: knotd by IXFR" [ "$knot_ixfr" -gt "$knot_ixfr0" ]
check_out "after the restart: nsd by IXFR" nsd_ixfr $S2 $S3
check_out "after the restart: every secondary holds what dnsd holds" \
	$PY "$CMP" same example.org "$KEY" $PORT $SEC_PORTS

# ---- dig IXFR=old ----
dig -y "$KEY_Y" -p $PORT @127.0.0.1 example.org IXFR=$S2 +tries=1 +time=5 >"$tmp/dig" 2>&1
check "dig IXFR=$S2: incremental (new SOA, old SOA, ...)" \
	bash -c "grep -v '^;' '$tmp/dig' | awk 'NF' | awk 'NR<=2 && \$4==\"SOA\" {n++} END {exit n!=2}'"
check "dig IXFR=$S2: the old SOA second" \
	bash -c "grep -v '^;' '$tmp/dig' | awk 'NF' | sed -n 2p | grep -q ' $S2 '"
check "dig IXFR=$S2: deleted host7 is in it" grep -q '^host7\.example\.org\.' "$tmp/dig"
check "dig IXFR=$S2: verified" hasnt "$tmp/dig" 'ould not be verified\|ouldn.t verify\|tsig'
$PY "$CMP" ixfr example.org "$KEY" $PORT $S2 >"$tmp/ixfr" 2>&1
check_out "dnspython IXFR from $S2: one step, signed" \
	bash -c "grep -q '^incremental' '$tmp/ixfr' && grep -q '^step $S2 -> $S3' '$tmp/ixfr' &&
	         grep -q '^- host7.example.org. 600 A' '$tmp/ixfr' &&
	         grep -q '^+ restarted.example.org. 3600 AAAA 2001:db8::3' '$tmp/ixfr' && cat '$tmp/ixfr'"
$PY "$CMP" ixfr example.org "$KEY" $PORT $S1 >"$tmp/ixfr1" 2>&1
check_out "IXFR from $S1 (before the restart): incremental or the whole zone" \
	bash -c "grep -q '^incremental\|^axfr-form' '$tmp/ixfr1' && head -3 '$tmp/ixfr1'"
$PY "$CMP" ixfr example.org "$KEY" $PORT $S3 >"$tmp/ixfr3" 2>&1
check_out "IXFR from the current serial: just the SOA" grep "^up-to-date $S3" "$tmp/ixfr3"

# ---- 100,000 names ----
rrs() { grep -v '^;\|^$' "$1" | awk '$4 != "TSIG"'; } # rrs FILE: dig/kdig records, no TSIG
BIGKEY_Y=hmac-sha256:${BIGKEY/:SHA256:/:}
start=$(date +%s.%N)
kdig -y "$BIGKEY_Y" -p $PORT @127.0.0.1 big.test AXFR +timeout=20 >"$tmp/kdig.big" 2>&1
check "kdig big.test AXFR: records = dnsd's $BIG_RECORDS + closing SOA" \
	[ "$(rrs "$tmp/kdig.big" | wc -l)" -eq $((BIG_RECORDS + 1)) ]
check "kdig big.test: SOA first and last" \
	[ "$(rrs "$tmp/kdig.big" | sed -n '1p;$p' | awk '$4 == "SOA"' | wc -l)" -eq 2 ]
check "kdig big.test: every message signed ($(grep -c 'TSIG.*NOERROR' "$tmp/kdig.big") TSIGs)" \
	[ "$(grep -c "^b._transfer.big.test.*TSIG.*NOERROR" "$tmp/kdig.big")" -eq "$(sed -n 's/.*(\([0-9]*\) messages.*/\1/p' "$tmp/kdig.big")" ]
check "kdig big.test: verified" hasnt "$tmp/kdig.big" 'WARNING\|failed'
dig -y "$BIGKEY_Y" -p $PORT @127.0.0.1 big.test AXFR +tries=1 +time=20 >"$tmp/dig.big" 2>&1
check "dig big.test AXFR: records = $((BIG_RECORDS + 1))" \
	[ "$(rrs "$tmp/dig.big" | wc -l)" -eq $((BIG_RECORDS + 1)) ]
check "dig big.test: XFR size line" grep -q "XFR size: $((BIG_RECORDS + 1)) records" "$tmp/dig.big"
check "dig big.test: a TSIG on every message" \
	[ "$(grep -c "^b._transfer.big.test.*TSIG.*NOERROR" "$tmp/dig.big")" -eq "$(sed -n 's/.*XFR size: .*(messages \([0-9]*\),.*/\1/p' "$tmp/dig.big")" ]
check "dig big.test: no TSIG complaint" \
	bash -c "! grep -qi 'verify\|tsig.*fail\|Transfer failed' '$tmp/dig.big'"
$PY "$CMP" axfr big.test "$BIGKEY" $PORT >"$tmp/py.big" 2>&1
check_out "dnspython big.test: every message signed, chain verified, complete" \
	bash -c "grep -q '^records $((BIG_RECORDS + 1)) messages ' '$tmp/py.big' && cat '$tmp/py.big'"
# A client that starts reading 4 s late (past tcp-idle-timeout 3): it
# may be given up on (knotd does so too), but then not logged as a
# transfer done: "done" must mean the client could have it all.
$PY "$CMP" late big.test "$BIGKEY" $PORT 4 >"$tmp/late" 2>&1
late_port=$(sed -n 's/^port //p' "$tmp/late")
check_out "a client reading 4 s late: the whole zone, or not logged as done" \
	bash -c "cat '$tmp/late'; grep \"big.test to 127.0.0.1#$late_port \" '$tmp/dnsd.log';
	         grep -q '^records $((BIG_RECORDS + 1)) ' '$tmp/late' ||
	         ! grep -q \"big.test to 127.0.0.1#$late_port .*: done\" '$tmp/dnsd.log'"
echo "# 100k-name transfers took $(echo "$(date +%s.%N) - $start" | bc) s"

# ---- refusals ----
dig -p $PORT @127.0.0.1 example.org AXFR +tries=1 +time=3 >"$tmp/dig" 2>&1
check "unsigned AXFR: dig says Transfer failed" has "$tmp/dig" 'Transfer failed'
check "unsigned AXFR: REFUSED" bash -c "$PY '$CMP' rcode example.org - $PORT | grep -qx REFUSED"
check "unsigned AXFR: logged" wait_log "$tmp/dnsd.log" 'AXFR out zone example.org to 127.0.0.1#[0-9]*.*REFUSED' 1
dig -y "hmac-sha256:${WRONGKEY/:SHA256:/:}" -p $PORT @127.0.0.1 example.org AXFR +tries=1 +time=3 >"$tmp/dig" 2>&1
check "wrong secret: dig fails" has "$tmp/dig" 'Transfer failed\|BADSIG\|tsig'
$PY "$CMP" rcode example.org "$WRONGKEY" $PORT >"$tmp/rc" 2>&1
check "wrong secret: BADSIG ($(cat "$tmp/rc"))" grep -qx BADSIG "$tmp/rc"
$PY "$CMP" rcode example.org "$OTHERKEY" $PORT >"$tmp/rc" 2>&1
check "a key of other.org for example.org: REFUSED ($(cat "$tmp/rc"))" grep -qx REFUSED "$tmp/rc"
$PY "$CMP" rcode other.org "$OTHERKEY" $PORT >"$tmp/rc" 2>&1
check "that key for other.org itself: NOERROR ($(cat "$tmp/rc"))" grep -qx NOERROR "$tmp/rc"
$PY "$CMP" udp example.org "$KEY" $PORT >"$tmp/rc" 2>&1
check "AXFR over UDP: FORMERR ($(cat "$tmp/rc"))" grep -qx FORMERR "$tmp/rc"

# transfers-max 2 (SIGHUP): two readers that read nothing, a third is REFUSED
write_conf "transfers-max 2"
kill -HUP "$DNSD_PID"
check "SIGHUP: reloaded" wait_log "$tmp/dnsd.log" 'SIGHUP: reloading' 1
sleep 0.5
n_big=$(grep -c "AXFR out zone big.test to 127.0.0.1#[0-9]* key b._transfer.big.test.: AXFR" "$tmp/dnsd.log")
n_cut=$(grep -c 'AXFR out zone big.test to .*cut short' "$tmp/dnsd.log")
for i in 1 2; do
	$PY "$CMP" stall big.test "$BIGKEY" $PORT 8 >"$tmp/stall$i" 2>&1 &
	pids+=($!)
done
check "two stalled readers connected" \
	bash -c "for _ in \$(seq 50); do grep -q connected '$tmp/stall1' && grep -q connected '$tmp/stall2' && exit 0; sleep 0.1; done; exit 1"
check "both are transferring" wait_log "$tmp/dnsd.log" "AXFR out zone big.test to 127.0.0.1#[0-9]* key b._transfer.big.test.: AXFR" $((n_big + 2))
t0=$(date +%s%N)
dig +short +tries=1 +time=2 -p $PORT @127.0.0.1 www.example.org A +tcp >"$tmp/q" 2>&1
t1=$(date +%s%N)
check "meanwhile another client gets an answer over TCP at once ($(((t1 - t0) / 1000000)) ms)" \
	bash -c "grep -q 192.0.2.80 '$tmp/q' && [ $(((t1 - t0) / 1000000)) -lt 1000 ]"
$PY "$CMP" rcode example.org "$KEY" $PORT >"$tmp/rc" 2>&1
check "a third transfer past transfers-max 2: REFUSED ($(cat "$tmp/rc"))" grep -qx REFUSED "$tmp/rc"
check "dnsd logged transfers-max" has "$tmp/dnsd.log" 'transfers-max'
check "the stalled transfers are cut short after the idle timeout" \
	wait_log "$tmp/dnsd.log" 'AXFR out zone big.test to .*cut short' $((n_cut + 2))
$PY "$CMP" rcode example.org "$KEY" $PORT >"$tmp/rc" 2>&1
check "once they are gone, a transfer goes through ($(cat "$tmp/rc"))" grep -qx NOERROR "$tmp/rc"

# ---- allow-transfer (SIGHUP): unsigned AXFR accepted ----
write_conf "allow-transfer 127.0.0.1"
kill -HUP "$DNSD_PID"
check "SIGHUP again" wait_log "$tmp/dnsd.log" 'SIGHUP: reloading' 2
sleep 0.5
dig -p $PORT @127.0.0.1 example.org AXFR +tries=1 +time=5 >"$tmp/dig" 2>&1
check "allow-transfer: unsigned dig AXFR goes through" \
	bash -c "! grep -q 'Transfer failed' '$tmp/dig' && grep -q '^added\.example\.org\.' '$tmp/dig'"
check "allow-transfer: the whole zone" \
	[ "$(rrs "$tmp/dig" | wc -l)" -eq "$(rrs <(dig -y "$KEY_Y" -p $PORT @127.0.0.1 example.org AXFR) | wc -l)" ]
check "allow-transfer: unsigned answer" hasnt "$tmp/dig" 'TSIG'

check "dnsd still running" kill -0 "$DNSD_PID"
check "no secret in dnsd's log" \
	bash -c "! grep -qF -e '$SECRET' -e '${BIGKEY##*:}' '$tmp/dnsd.log' '$tmp/dnsd.log.1'"
if [ "$fail" -gt 0 ]; then
	for f in "$tmp/dnsd.log.1" "$tmp/dnsd.log" "$tmp/named/log" "$tmp/knot/log" "$tmp/nsd/log"; do
		echo "# ---- last lines of $f"
		tail -n 25 "$f" | sed 's/^/# /'
	done
fi
kill "$DNSD_PID"
wait "$DNSD_PID"
check "dnsd stops cleanly" [ $? -eq 0 ]
# XFR_KEEP=DIR keeps the logs and configs for a look afterwards
if [ -n "${XFR_KEEP:-}" ]; then rm -rf "$XFR_KEEP" && cp -a "$tmp" "$XFR_KEEP"; fi
finish
