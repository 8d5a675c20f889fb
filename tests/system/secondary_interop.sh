#!/usr/bin/env bash
# The secondary role against real primaries: a dnsd secondary of a BIND
# named primary (named.test; 127.0.0.1#16511, dnsd on 16510) and another
# of a Knot knotd primary (knot.test; 127.0.0.1#16512, dnsd on 16513),
# every transfer TSIG-signed (hmac-sha256, t._transfer.ZONE), the zone
# holding one or more records of every RR type of dnsd's table
# (src/lib/rrtype.c) that may stand in a zone
# (tests/data/xfr/secondary_interop.body). For each primary:
# 1. at start-up dnsd takes the zone by AXFR and serves exactly what the
#    primary serves: both AXFRs record by record (TTLs too), a query for
#    every name and type of the zone answered the same by both (rcode,
#    AA, answer section), and the NSEC3 owner name too (named and knotd
#    answer NXDOMAIN, as RFC 5155 7.2.8 says); dnsd holds every type of
#    the table (read from rrtype.c, so a type added there must be added
#    to the zone);
# 2. a change at the primary (a record added, one deleted, a TTL changed,
#    records of other types changed; rndc reload / knotc zone-reload of
#    the new file, named with ixfr-from-differences, knotd with
#    zonefile-load: difference) is NOTIFYed (named: unsigned, knotd:
#    signed with the transfer key); dnsd follows by IXFR 1 -> 2 (no
#    AXFR, no fallback) within seconds and serves what the primary does;
# 3. a second change likewise, IXFR 2 -> 3;
# 4. restarted (SIGTERM, started again), dnsd serves serial 3 from its
#    copy on disk (workdir/zones/ZONE.zone and .state), "loaded from
#    disk", without a transfer;
# 5. the primary stopped, a signed NOTIFY (dnsd-notify) makes dnsd
#    refresh: the refresh fails, logged, and dnsd keeps serving serial 3;
# 6. an UPDATE to the secondary (nsupdate, unsigned and signed with an
#    _update key of the zone) is REFUSED and changes nothing.
# RR types left out: the meta types of the table (OPT, TKEY, TSIG, IXFR,
# AXFR, MAILB, MAILA, ANY), which no zone holds; for named MD and MF
# (named rejects them as obsolete, also in RFC 3597 form). knotd's zone
# parser rejects the mnemonics of MD, MF, MB, MG, MR, SIG, NXT, PX and
# DLV ("unsupported record type"), so knotd is given those records in
# RFC 3597 form (TYPE3 \# ...), which it loads, serves and transfers as
# they are: every type of the table reaches a dnsd secondary from knotd.
# dnspython, which compares, lacks MD, MF, MB, MG, MR and MINFO; they
# are taught to it here (pycmp), for their names are compressed.
# SEC_KEEP=DIR keeps the temp dir (logs, configs, zone versions).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need named knotd knotc rndc nsupdate dig
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
CZ=$DNSD_BUILD/src/tools/dnsd-checkzone
CMP=$DNSD_SRC/tests/system/xfr_compare.py
BODY=$DNSD_SRC/tests/data/xfr/secondary_interop.body
SEC_NAMED=16510 # dnsd, secondary of named
NAMED_PORT=16511
KNOT_PORT=16512
SEC_KNOT=16513 # dnsd, secondary of knotd
RNDC_PORT=16514

secret() { "$KEYGEN" -f dnskey "$1" | awk '{print $NF}'; }
NSECRET=$(secret t._transfer.named.test)
KSECRET=$(secret t._transfer.knot.test)
USECRET=$(secret u._update.named.test)
RSECRET=$(head -c 32 /dev/urandom | base64)
NKEY=t._transfer.named.test:SHA256:$NSECRET
KKEY=t._transfer.knot.test:SHA256:$KSECRET

# ---- the zone, three versions ----
# zone_text ORIGIN SERIAL SERVER: version SERIAL (1, 2 or 3) of the zone
# for SERVER (named or knot).
zone_text() {
	local origin=$1 serial=$2 server=$3
	# shellcheck disable=SC2016 # $ORIGIN and $TTL are the zone file's
	printf '$ORIGIN %s.\n$TTL 3600\n' "$origin"
	printf '@\t\tSOA\tns1 hostmaster %s 3600 900 604800 300\n' "$serial"
	{
		cat "$BODY"
		if [ "$serial" -ge 2 ]; then
			printf 'added2\t\tA\t192.0.2.102\n'
			printf '\t\tTXT\t"new in 2"\n'
		fi
		if [ "$serial" -ge 3 ]; then
			printf 'added3\t\tAAAA\t2001:db8::103\n'
			printf '\t\tEUI48\t00-00-5e-00-53-2b\n'
		fi
	} | case "$serial" in
	1) cat ;;
	2) # deleted: mail's AAAA; TTL: people's TXT 300 -> 900; changed:
		# an SRV weight, a CAA value, an MB target, an HTTPS param
		sed -E -e '/^\t\tAAAA\t2001:db8::25$/d' \
			-e 's/^people\t300\t/people\t900\t/' \
			-e 's/^(\t\tSRV\t10) 60 /\1 70 /' \
			-e 's/issue "letsencrypt.org"/issue "ca.example.net"/' \
			-e 's/^(mailbox\t\tMB\t)mail/\1www/' \
			-e 's/(alpn="h2,h3" port=)443/\18443/' ;;
	*) # as 2, and: deleted the DNAME and added2's TXT; changed a www A
		# record, sip's TTL (-> 120), the HINFO, a SIG's TTL field
		sed -E -e '/^\t\tAAAA\t2001:db8::25$/d' \
			-e 's/^people\t300\t/people\t900\t/' \
			-e 's/^(\t\tSRV\t10) 60 /\1 70 /' \
			-e 's/issue "letsencrypt.org"/issue "ca.example.net"/' \
			-e 's/^(mailbox\t\tMB\t)mail/\1www/' \
			-e 's/(alpn="h2,h3" port=)443/\18443/' \
			-e '/^old\t\tDNAME\t/d' -e '/^\t\tTXT\t"new in 2"$/d' \
			-e 's/^(\t600\tA\t192\.0\.2\.)81$/\182/' \
			-e 's/^sip\t\tA\t/sip\t120\tA\t/' \
			-e 's/"Debian GNU\/Linux 12"/"Debian GNU\/Linux 13"/' \
			-e 's/^(\t\tSIG\tA 13 3) 600 /\1 1200 /' ;;
	esac | if [ "$server" = named ]; then
		grep -v -E '^[^;].*; .*no-named'
	else
		to_generic "$origin"
	fi
}

# to_generic ORIGIN: the zone text on stdin with each record whose line
# says "; knot-generic" written in RFC 3597 form, for knotd.
to_generic() {
	$PY -c '
import sys
import dns.name, dns.rdata, dns.rdatatype
origin = dns.name.from_text(sys.argv[1])
NUM = {"MD": 3, "MF": 4, "MB": 7, "MG": 8, "MR": 9, "SIG": 24, "NXT": 30,
       "PX": 26, "DLV": 32769}
for line in sys.stdin:
    if line.startswith(";") or "; knot-generic" not in line:
        sys.stdout.write(line)
        continue
    text = line.split(";")[0]
    lead = "" if text[0] in " \t" else text.split()[0]
    f = text.split()[0 if not lead else 1:]
    ttl = ""
    if f[0].isdigit():
        ttl, f = f[0], f[1:]
    t, rd = f[0], f[1:]
    if t in ("MD", "MF", "MB", "MG", "MR"):
        wire = dns.name.from_text(rd[0], origin).to_wire()
    elif t == "NXT":
        bits = bytearray(16)
        for x in rd[1:]:
            n = dns.rdatatype.from_text(x)
            bits[n // 8] |= 0x80 >> (n % 8)
        wire = dns.name.from_text(rd[0], origin).to_wire() + \
            bytes(bits).rstrip(b"\0")
    else:  # SIG has the layout of RRSIG
        r = dns.rdata.from_text("IN", "RRSIG" if t == "SIG" else t,
                                " ".join(rd), origin=origin,
                                relativize=False)
        wire = r.to_wire()
    print(f"{lead}\t{ttl}\tTYPE{NUM[t]}\t\\# {len(wire)} {wire.hex()}")
' "$1"
}

mkdir -p "$tmp/named" "$tmp/knot" "$tmp/wd-named" "$tmp/wd-knot"
for v in 1 2 3; do
	zone_text named.test $v named >"$tmp/named.v$v"
	zone_text knot.test $v knot >"$tmp/knot.v$v"
done
# the test's own data: both versions the same zone but for the origin
# (and MD, MF, which named's copy lacks), and each a change
for v in 1 2 3; do
	"$CZ" --print --origin named.test "$tmp/named.v$v" >"$tmp/named.v$v.print" 2>/dev/null
	"$CZ" --print --origin knot.test "$tmp/knot.v$v" >"$tmp/knot.v$v.print" 2>/dev/null
	check_out "version $v: knotd's copy (RFC 3597 lines) is named's zone, MD and MF aside" \
		diff <(sed 's/named\.test\./Z./g' "$tmp/named.v$v.print") \
		<(sed 's/knot\.test\./Z./g' "$tmp/knot.v$v.print" | awk '$4 != "MD" && $4 != "MF"')
done
check "version 2 differs from 1" bash -c "! cmp -s '$tmp/named.v1.print' '$tmp/named.v2.print'"
check "version 3 differs from 2" bash -c "! cmp -s '$tmp/named.v2.print' '$tmp/named.v3.print'"
echo "# knot.test version 1: $(grep -c . "$tmp/knot.v1.print") records of $(awk '{print $4}' "$tmp/knot.v1.print" | sort -u | wc -l) types"
# the types of dnsd's table that a zone may hold (not M_, meta)
TABLE_TYPES=$(sed -n 's/^ *ROW([0-9]*, "\([A-Z0-9]*\)", \([^,]*\),.*/\1 \2/p' \
	"$DNSD_SRC/src/lib/rrtype.c" | awk '$2 !~ /M_/ {print $1}' | sort)
check "the type table read: $(wc -w <<<"$TABLE_TYPES") types" [ "$(wc -w <<<"$TABLE_TYPES")" -ge 50 ]

# ---- the primaries ----
cp "$tmp/named.v1" "$tmp/named/named.test.db"
cat >"$tmp/named/named.conf" <<EOF
options {
	directory "$tmp/named";
	listen-on port $NAMED_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile none;
	recursion no;
	dnssec-validation no;
	notify-delay 0;
};
key "rndc-key" { algorithm hmac-sha256; secret "$RSECRET"; };
controls {
	inet 127.0.0.1 port $RNDC_PORT allow { 127.0.0.1; } keys { "rndc-key"; };
};
key "t._transfer.named.test" { algorithm hmac-sha256; secret "$NSECRET"; };
zone "named.test" {
	type primary;
	file "named.test.db";
	ixfr-from-differences yes;
	allow-transfer { key "t._transfer.named.test"; };
	notify explicit;
	also-notify { 127.0.0.1 port $SEC_NAMED; };
};
EOF
cat >"$tmp/named/rndc.conf" <<EOF
key "rndc-key" { algorithm hmac-sha256; secret "$RSECRET"; };
options { default-key "rndc-key"; default-server 127.0.0.1; default-port $RNDC_PORT; };
EOF
check_out "named-checkconf" named-checkconf "$tmp/named/named.conf"
named -g -c "$tmp/named/named.conf" >"$tmp/named/log" 2>&1 &
NAMED_PID=$!
pids+=("$NAMED_PID")

cp "$tmp/knot.v1" "$tmp/knot/knot.test.zone"
cat >"$tmp/knot/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$KNOT_PORT
  rundir: $tmp/knot
control:
  listen: $tmp/knot/knot.sock
log:
  - target: stderr
    any: info
database:
  storage: $tmp/knot
key:
  - id: t._transfer.knot.test
    algorithm: hmac-sha256
    secret: $KSECRET
remote:
  - id: dnsd
    address: 127.0.0.1@$SEC_KNOT
    key: t._transfer.knot.test
acl:
  - id: xfr
    key: t._transfer.knot.test
    action: transfer
template:
  - id: default
    storage: $tmp/knot
zone:
  - domain: knot.test
    file: $tmp/knot/knot.test.zone
    zonefile-load: difference
    journal-content: changes
    notify: [dnsd]
    acl: [xfr]
EOF
knotd -c "$tmp/knot/knot.conf" >"$tmp/knot/log" 2>&1 &
KNOT_PID=$!
pids+=("$KNOT_PID")

# serial PORT ZONE: the serial 127.0.0.1#PORT serves, or nothing
serial() { dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 "$2" SOA 2>/dev/null | awk '{print $3}'; }
wait_serial() { # wait_serial PORT ZONE SERIAL: 1 after 10 s
	for _ in $(seq 50); do
		[ "$(serial "$1" "$2")" = "$3" ] && return 0
		sleep 0.2
	done
	return 1
}
check "named serves named.test serial 1" wait_serial $NAMED_PORT named.test 1
check "knotd serves knot.test serial 1" wait_serial $KNOT_PORT knot.test 1

# pycmp MODE ZONE KEY ARGS...: comparisons on dnspython and
# xfr_compare.py, with MD, MF, MB, MG, MR and MINFO taught to dnspython
# (it lacks them: their RDATA names, compressed by named and dnsd, would
# be compared as raw octets, pointers and all).
#   same ZONE KEY REF_PORT PORT   xfr_compare.py same: both AXFRs, record
#                                 by record, TTLs too
#   qsame ZONE KEY REF_PORT PORT  every name and type of REF_PORT's AXFR
#                                 but the NSEC3 owner names queried at
#                                 both (UDP, TCP when truncated): the same
#                                 rcode, AA and answer section, TTLs too
#   nsec3 ZONE KEY REF_PORT PORT  the same for the NSEC3 owner names (type
#                                 NSEC3 and A)
#   dump ZONE KEY PORT            the AXFR, sorted, canonical
# Prints the differences; exit 1 when there are any.
pycmp() {
	$PY - "$CMP" "$@" <<'EOF'
import os, sys, types
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import dns.flags, dns.immutable, dns.message, dns.query, dns.rcode
import dns.rdata, dns.rdataclass, dns.rdatatype
import dns.rdtypes.ANY.RP, dns.rdtypes.nsbase
import xfr_compare as xc

def teach(num, text, base):
    cls = dns.immutable.immutable(type(text, (base,), {}))
    dns.rdata.register_type(types.SimpleNamespace(**{text: cls}), num, text,
                            rdclass=dns.rdataclass.ANY)
for n, t in ((3, "MD"), (4, "MF"), (7, "MB"), (8, "MG"), (9, "MR")):
    teach(n, t, dns.rdtypes.nsbase.NSBase)
teach(14, "MINFO", dns.rdtypes.ANY.RP.RP)

mode, zone, key = sys.argv[2], sys.argv[3], sys.argv[4]
if mode == "same":
    sys.exit(xc.cmd_same(zone, key, *sys.argv[5:]))
if mode == "dump":
    for r in sorted(set(xc.canon(r) for r in xc.records(xc.axfr(zone, key, int(sys.argv[5]))))):
        print(r[0], r[1], r[2], r[4])
    sys.exit(0)
ref, port = int(sys.argv[5]), int(sys.argv[6])
recs = xc.records(xc.axfr(zone, key, ref))
pairs = {(r[0], r[3]) for r in recs}
# names with nothing but NSEC3
nsec3 = {n for n, t in pairs} - {n for n, t in pairs if t != dns.rdatatype.NSEC3}
if mode == "nsec3":
    pairs = {(n, t) for n in nsec3 for t in (dns.rdatatype.NSEC3, dns.rdatatype.A)}
else:
    pairs = {(n, t) for n, t in pairs if n not in nsec3}

def ask(p, name, t):
    q = dns.message.make_query(name, t, use_edns=0, payload=4096)
    q.flags &= ~dns.flags.RD
    r, _ = dns.query.udp_with_fallback(q, "127.0.0.1", timeout=3, port=p)
    ans = sorted(set(xc.canon((rs.name, rs.ttl, rs.rdclass, rs.rdtype, rd))
                     for rs in r.answer for rd in rs))
    return dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AA), ans

bad = 0
for name, t in sorted(pairs):
    want, got = ask(ref, name, t), ask(port, name, t)
    if want != got:
        bad += 1
        tt = dns.rdatatype.to_text(t)
        print(f"{name} {tt}: primary {want[0]} aa={want[1]}, dnsd {got[0]} aa={got[1]}")
        for r in sorted(set(want[2]) - set(got[2]))[:5]:
            print(f"  only primary: {r[0]} {r[1]} {r[2]} {r[4]}")
        for r in sorted(set(got[2]) - set(want[2]))[:5]:
            print(f"  only dnsd:    {r[0]} {r[1]} {r[2]} {r[4]}")
print(f"{len(pairs)} name/type pairs, {bad} answered differently")
sys.exit(1 if bad else 0)
EOF
}

# ---- the secondaries ----
# sec_conf NAME PORT PRIMARY_PORT KEY...: dnsd.conf of the secondary
sec_conf() {
	local name=$1 port=$2 pport=$3 k
	shift 3
	{
		echo "role secondary"
		echo "listen 127.0.0.1:$port"
		echo "workdir $tmp/wd-$name"
		echo "primary 127.0.0.1:$pport"
		for k in "$@"; do echo "key $k"; done
		echo "log-level debug"
	} >"$tmp/$name.conf"
}
sec_conf named $SEC_NAMED $NAMED_PORT "$NKEY" "u._update.named.test:SHA256:$USECRET"
sec_conf knot $SEC_KNOT $KNOT_PORT "$KKEY"
check_out "dnsd -t: the named secondary's config" "$DNSD" -c "$tmp/named.conf" -t
check_out "dnsd -t: the knotd secondary's config" "$DNSD" -c "$tmp/knot.conf" -t
dnsd_start "$tmp/named.conf" "$tmp/named.log"
DNSD_NAMED=$pid
dnsd_start "$tmp/knot.conf" "$tmp/knot.log"
DNSD_KNOT=$pid
unset pid

# compare NAME ZONE KEY PPORT SPORT WHEN: dnsd serves what the primary does
compare() {
	check_out "$1 $6: dnsd's AXFR is the primary's, record by record" \
		pycmp same "$2" "$3" "$4" "$5"
	check_out "$1 $6: every name and type answered as the primary does" \
		pycmp qsame "$2" "$3" "$4" "$5"
	# RFC 5155 7.2.8 (erratum 4622): NXDOMAIN, as if the name did not exist
	check_out "$1 $6: an NSEC3 owner name answered as the primary does (NXDOMAIN)" \
		pycmp nsec3 "$2" "$3" "$4" "$5"
}

# change NAME ZONE PPORT SPORT SERIAL: the new version to the primary,
# reloaded; dnsd must follow by IXFR
change() {
	local name=$1 zone=$2 pport=$3 sport=$4 v=$5 log=$tmp/$1.log
	local axfrs notifies how=
	axfrs=$(grep -c "AXFR in zone $zone " "$log")
	notifies=$(grep -c "NOTIFY in zone $zone from 127.0.0.1#" "$log")
	[ "$name" = knot ] && how=" key t._transfer.$zone."
	if [ "$name" = named ]; then
		cp "$tmp/named.v$v" "$tmp/named/named.test.db"
		check_out "rndc reload $zone" rndc -c "$tmp/named/rndc.conf" reload "$zone"
	else
		cp "$tmp/knot.v$v" "$tmp/knot/knot.test.zone"
		check_out "knotc zone-reload $zone" knotc -c "$tmp/knot/knot.conf" zone-reload "$zone"
	fi
	check "$name serves $zone serial $v" wait_serial "$pport" "$zone" "$v"
	check "$name: dnsd serves serial $v within 10 s (NOTIFY, IXFR)" \
		wait_serial "$sport" "$zone" "$v"
	check "$name: dnsd was NOTIFYed (${how:- unsigned}), serial $v" \
		wait_log "$log" "NOTIFY in zone $zone from 127.0.0.1#[0-9]*$how serial $v$" 1
	check "$name: one NOTIFY for the change" \
		[ "$(grep -c "NOTIFY in zone $zone from 127.0.0.1#" "$log")" -eq $((notifies + 1)) ]
	check "$name: dnsd logged 'IXFR in zone $zone from 127.0.0.1#$pport ...: serial $((v - 1)) -> $v'" \
		wait_log "$log" "IXFR in zone $zone from 127.0.0.1#$pport key t._transfer.$zone.: serial $((v - 1)) -> $v, " 1
	check "$name: no AXFR for version $v" [ "$(grep -c "AXFR in zone $zone " "$log")" -eq "$axfrs" ]
	check "$name: no fallback to AXFR" hasnt "$log" "falling back to AXFR"
	compare "$name" "$zone" "$6" "$pport" "$sport" "after serial $v"
}

for s in named:named.test:$NAMED_PORT:$SEC_NAMED:$NKEY knot:knot.test:$KNOT_PORT:$SEC_KNOT:$KKEY; do
	IFS=: read -r name zone pport sport key <<<"$s"
	log=$tmp/$name.log
	echo "# ---- dnsd secondary of $name, $zone"
	# 1. the first transfer
	check "$name: dnsd serves $zone serial 1" wait_serial "$sport" "$zone" 1
	check "$name: dnsd logged 'AXFR in zone $zone from 127.0.0.1#$pport key t._transfer.$zone.: serial 0 -> 1'" \
		wait_log "$log" "AXFR in zone $zone from 127.0.0.1#$pport key t._transfer.$zone.: serial 0 -> 1, " 1
	compare "$name" "$zone" "$key" "$pport" "$sport" "after the AXFR"
	pycmp dump "$zone" "$key" "$sport" >"$tmp/$name.dump1" 2>&1
	missing=$(comm -23 <(echo "$TABLE_TYPES") <(awk '{print $3}' "$tmp/$name.dump1" | sort -u) | tr '\n' ' ')
	want=
	[ "$name" = named ] && want="MD MF "
	check "$name: dnsd holds every type of the table${want:+ but $want}(missing: ${missing:-none})" \
		[ "$missing" = "$want" ]
	check "$name: and the unknown types TYPE65280, TYPE65281" \
		bash -c "grep -q ' TYPE65280 ' '$tmp/$name.dump1' && grep -q ' TYPE65281 ' '$tmp/$name.dump1'"
	# 2., 3. two changes
	change "$name" "$zone" "$pport" "$sport" 2 "$key"
	change "$name" "$zone" "$pport" "$sport" 3 "$key"
done
check "named: its log shows the IXFRs it sent" \
	wait_log "$tmp/named/log" "127.0.0.1#[0-9]*/key t._transfer.named.test (named.test): transfer of 'named.test/IN': IXFR ended" 2
check "knotd: its log shows the IXFRs it sent" \
	wait_log "$tmp/knot/log" "\[knot.test.\] IXFR, outgoing, remote 127.0.0.1@[0-9]*, finished" 2

# 4. restart on the copy on disk
for s in named:named.test:$SEC_NAMED:$DNSD_NAMED knot:knot.test:$SEC_KNOT:$DNSD_KNOT; do
	IFS=: read -r name zone sport dpid <<<"$s"
	check "$name: the copy on disk: $tmp/wd-$name/zones/$zone.zone" [ -s "$tmp/wd-$name/zones/$zone.zone" ]
	check "$name: the copy on disk: $tmp/wd-$name/zones/$zone.state" [ -s "$tmp/wd-$name/zones/$zone.state" ]
	kill "$dpid"
	wait "$dpid"
	check "$name: dnsd stops cleanly on SIGTERM" [ $? -eq 0 ]
	mv "$tmp/$name.log" "$tmp/$name.log.1"
	dnsd_start "$tmp/$name.conf" "$tmp/$name.log"
	eval "DNSD_${name^^}=\$pid"
	unset pid
	t0=$(date +%s%N)
	wait_serial "$sport" "$zone" 3
	rc=$? ms=$((($(date +%s%N) - t0) / 1000000))
	check "$name: after the restart dnsd serves serial 3" [ $rc -eq 0 ]
	check "$name: ... at once (in $ms ms, under 2 s)" [ $ms -lt 2000 ]
	check "$name: dnsd logged 'zone $zone: serial 3 loaded from disk'" \
		wait_log "$tmp/$name.log" "zone $zone: serial 3 loaded from disk" 1
done
sleep 1
for s in named:named.test:$NAMED_PORT:$SEC_NAMED:$NKEY knot:knot.test:$KNOT_PORT:$SEC_KNOT:$KKEY; do
	IFS=: read -r name zone pport sport key <<<"$s"
	check "$name: no transfer after the restart (up to date)" hasnt "$tmp/$name.log" "XFR in zone $zone "
	compare "$name" "$zone" "$key" "$pport" "$sport" "after the restart"
	$PY "$CMP" axfr "$zone" "$key" "$sport" >"$tmp/$name.axfr3" 2>&1
	check_out "$name: dnsd's AXFR of serial 3 signed and whole" grep "serial 3$" "$tmp/$name.axfr3"
	pycmp dump "$zone" "$key" "$sport" >"$tmp/$name.dump3" 2>&1
done

# 5. the primary gone: a NOTIFY, a failed refresh, still serving
kill "$NAMED_PID" "$KNOT_PID"
wait "$NAMED_PID" "$KNOT_PID" 2>/dev/null
for s in named:named.test:$NAMED_PORT:$SEC_NAMED:$NKEY knot:knot.test:$KNOT_PORT:$SEC_KNOT:$KKEY; do
	IFS=: read -r name zone pport sport key <<<"$s"
	log=$tmp/$name.log
	check_out "$name stopped: dnsd-notify to dnsd: NOERROR" \
		"$NOTIFY" "127.0.0.1:$sport" "$zone" --key "$key"
	check "$name stopped: dnsd logged the NOTIFY" wait_log "$log" "NOTIFY in zone $zone from 127.0.0.1" 1
	check "$name stopped: dnsd logged a failed refresh from 127.0.0.1#$pport" \
		wait_log "$log" "refresh zone $zone from 127.0.0.1#$pport key t._transfer.$zone.: .*; retry in [0-9]* s" 1
	grep "refresh zone $zone from" "$log" | sed 's/^/# /'
	check "$name stopped: dnsd still serves serial 3" wait_serial "$sport" "$zone" 3
	pycmp dump "$zone" "$key" "$sport" >"$tmp/$name.dump3b" 2>&1
	check_out "$name stopped: dnsd's AXFR is the same as before ($(wc -l <"$tmp/$name.dump3") records)" \
		diff "$tmp/$name.dump3" "$tmp/$name.dump3b"
	check "$name stopped: dnsd still running" kill -0 "$(eval echo "\$DNSD_${name^^}")"
done

# 6. UPDATE to a secondary: REFUSED
for how in unsigned "-y hmac-sha256:u._update.named.test:$USECRET"; do
	label="signed with u._update.named.test"
	[ "$how" = unsigned ] && how='' label=unsigned
	# shellcheck disable=SC2086 # how is options or nothing
	nsupdate $how >"$tmp/nsupdate" 2>&1 <<EOF
server 127.0.0.1 $SEC_NAMED
zone named.test
update add new.named.test 300 A 192.0.2.9
send
EOF
	check_out "nsupdate ($label) to the dnsd secondary: REFUSED" grep 'REFUSED' "$tmp/nsupdate"
done
check "after the UPDATEs: no new.named.test" \
	bash -c "[ -z \"\$(dig +short -p $SEC_NAMED @127.0.0.1 new.named.test A)\" ]"
check "after the UPDATEs: serial 3 still" wait_serial $SEC_NAMED named.test 3

check "no secret in dnsd's logs" \
	bash -c "! grep -qF -e '$NSECRET' -e '$KSECRET' -e '$USECRET' '$tmp'/named.log* '$tmp'/knot.log*"
if [ "$fail" -gt 0 ]; then
	for f in "$tmp/named.log.1" "$tmp/named.log" "$tmp/knot.log.1" "$tmp/knot.log" \
		"$tmp/named/log" "$tmp/knot/log"; do
		echo "# ---- last lines of $f"
		tail -n 30 "$f" | sed 's/^/# /'
	done
fi
# SEC_KEEP=DIR keeps the logs, configs and zone versions for a look
if [ -n "${SEC_KEEP:-}" ]; then rm -rf "$SEC_KEEP" && cp -a "$tmp" "$SEC_KEEP"; fi
finish
