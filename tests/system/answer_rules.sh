#!/usr/bin/env bash
# The answer rules (include/dnsd/answer.h) over a real dnsd, checked with
# both dig and kdig: flags, rcodes, sections, EDNS, truncation, letter
# case, and the malformed requests (raw packets from python).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=15500

mkdir "$tmp/zones"
cp "$DNSD_SRC"/tests/data/answer/* "$tmp/zones/"
cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
listen [::1]:$PORT
zones-dir $tmp/zones
log-level info
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"
wait_answer $PORT 2024010101 example.com SOA

# Tool output -> one normalized form for dig and kdig:
#   status X / flags <sorted> / edns V UDP FLAGS / QD name class type /
#   AN|NS|AR owner ttl class type rdata (whitespace collapsed)
norm() {
	awk '
	/->>HEADER<<-/ {
		if (match($0, /status: [A-Z]+/))
			print "status " substr($0, RSTART + 8, RLENGTH - 8)
		if (match($0, /opcode: [A-Z0-9]+/))
			print "opcode " substr($0, RSTART + 8, RLENGTH - 8)
	}
	/^;; [Ff]lags:/ {
		s = $0; sub(/^;; [Ff]lags:/, "", s); sub(/;.*/, "", s)
		n = split(s, f, " "); out = ""
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (f[j] < f[i]) { t = f[i]; f[i] = f[j]; f[j] = t }
		for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") f[i]
		print "flags " out
	}
	/^; EDNS: version:/ {
		v = $0; sub(/.*version: /, "", v); sub(/,.*/, "", v)
		fl = $0; sub(/.*flags:/, "", fl); sub(/;.*/, "", fl); gsub(/ /, "", fl)
		u = $0; sub(/.*udp: /, "", u); sub(/[^0-9].*/, "", u)
		print "edns " v " " u " " (fl == "" ? "-" : fl)
	}
	/^;; Version: / {
		v = $0; sub(/^;; Version: /, "", v); sub(/;.*/, "", v)
		fl = $0; sub(/.*flags:/, "", fl); sub(/;.*/, "", fl); gsub(/ /, "", fl)
		u = $0; sub(/.*UDP size: /, "", u); sub(/[^0-9].*/, "", u)
		print "edns " v " " u " " (fl == "" ? "-" : fl)
	}
	/^;; QUESTION SECTION:/ { sec = "QD"; next }
	/^;; ANSWER SECTION:/ { sec = "AN"; next }
	/^;; AUTHORITY SECTION:/ { sec = "NS"; next }
	/^;; ADDITIONAL SECTION:/ { sec = "AR"; next }
	/^;; [A-Z]+ PSEUDOSECTION:/ { sec = ""; next }
	/^$/ { sec = ""; next }
	sec == "QD" { s = $0; sub(/^;+ */, "", s); $0 = s; $1 = $1; print "QD " $0; next }
	/^;/ { next }
	sec != "" { $1 = $1; print sec " " $0 }
	'
}

# expect DESC "TOOL ARGS" EXPECT...
#   status=X  flags=F F  AN=n NS=n AR=n  edns=UDP  noedns  dobit
#   +PREFIX (a line starts with it)  !PREFIX (no line starts with it)
expect() {
	local desc=$1 args=$2
	shift 2
	local tool=${args%% *} rest=${args#* }
	local common
	case $tool in
	dig) common="+time=2 +tries=1 +nocookie" ;;
	kdig) common="+time=2 +retry=0" ;;
	esac
	local out
	# shellcheck disable=SC2086
	out=$($tool @127.0.0.1 -p $PORT $common $rest 2>&1 | norm)
	local e why=
	for e in "$@"; do
		case $e in
		status=*) grep -qx "status ${e#status=}" <<<"$out" || why="$why [$e]" ;;
		opcode=*) grep -qx "opcode ${e#opcode=}" <<<"$out" || why="$why [$e]" ;;
		flags=*) grep -qx "flags ${e#flags=}" <<<"$out" || why="$why [$e]" ;;
		AN=* | NS=* | AR=*)
			local n
			n=$(grep -c "^${e%%=*} " <<<"$out")
			[ "$n" = "${e#*=}" ] || why="$why [$e: $n]"
			;;
		edns=*) grep -q "^edns 0 ${e#edns=} " <<<"$out" || why="$why [$e]" ;;
		noedns) grep -q "^edns" <<<"$out" && why="$why [$e]" ;;
		dobit) grep -q "^edns 0 [0-9]* do" <<<"$out" || why="$why [$e]" ;;
		+*) awk -v p="${e#+}" 'index($0, p) == 1 { f = 1 } END { exit !f }' \
			<<<"$out" || why="$why [$e]" ;;
		!*) awk -v p="${e#!}" 'index($0, p) == 1 { f = 1 } END { exit !f }' \
			<<<"$out" && why="$why [$e]" ;;
		*) why="$why [bad expectation $e]" ;;
		esac
	done
	if [ -z "$why" ]; then
		ok
	else
		bad "$desc ($tool $rest):$why"
		printf '    %s\n' "${out//$'\n'/$'\n'    }"
	fi
}

# Both tools, same arguments.
both() {
	local desc=$1 args=$2
	shift 2
	expect "$desc" "dig $args" "$@"
	expect "$desc" "kdig $args" "$@"
}

# --- positive answers, header bits ------------------------------------
both "positive A" "+norec www.example.com A" status=NOERROR "flags=aa qr" \
	AN=1 NS=0 "+AN www.example.com. 3600 IN A 192.0.2.80"
both "RD copied, RA never" "+rec www.example.com A" "flags=aa qr rd"
both "CD copied" "+norec +cdflag www.example.com AAAA" "flags=aa cd qr" \
	"+AN www.example.com. 3600 IN AAAA 2001:db8::80"
# kdig lowercases the names it sends: letter case is checked with dig
expect "mixed-case qname echoed" "dig +norec wWw.ExAmPlE.cOm A" \
	"+QD wWw.ExAmPlE.cOm. IN A" "+AN wWw.ExAmPlE.cOm. 3600 IN A 192.0.2.80"
both "QCLASS ANY: IN data, no AA" "+norec -c ANY www.example.com A" \
	status=NOERROR "flags=qr" AN=1
expect "IPv6 listener" "dig -6 @::1 +norec www.example.com A" status=NOERROR
if dig @::1 -p $PORT +time=2 +tries=1 +norec +short www.example.com A |
	grep -qx 192.0.2.80; then ok; else bad "IPv6 listener answers"; fi

# --- CNAME ------------------------------------------------------------
both "CNAME chain" "+norec chain1.example.com A" status=NOERROR "flags=aa qr" \
	AN=4 "+AN chain1.example.com. 3600 IN CNAME chain2.example.com." \
	"+AN www.example.com. 3600 IN A 192.0.2.80"
both "CNAME loop cut" "+norec loop1.example.com A" status=NOERROR AN=2
both "CNAME to itself" "+norec self.example.com A" status=NOERROR AN=1
both "CNAME chain bounded" "+norec c1.example.com A" status=NOERROR AN=17 \
	"!AN c20.example.com. 3600 IN A"
both "CNAME across zones" "+norec ext.example.com A" "flags=aa qr" AN=2 \
	"+AN www.example.net. 300 IN A 198.51.100.80"
both "CNAME back across zones" "+norec back.example.net A" AN=5 \
	"+AN www.example.com. 3600 IN A 192.0.2.80"
both "CNAME out of our zones" "+norec outside.example.com A" status=NOERROR \
	"flags=aa qr" AN=1 NS=0
both "CNAME to NXDOMAIN (RFC 6604)" "+norec dangling.example.com A" \
	status=NXDOMAIN "flags=aa qr" AN=1 "+NS example.com. 300 IN SOA"
both "CNAME to NXDOMAIN in other zone" "+norec tonx.example.com A" \
	status=NXDOMAIN AN=1 NS=1 "+NS example.net. 60 IN SOA"
both "CNAME then NODATA" "+norec alias.example.com MX" status=NOERROR AN=1 \
	"+NS example.com. 300 IN SOA"
both "CNAME into delegation" "+norec todeleg.example.com A" status=NOERROR \
	"flags=aa qr" AN=1 NS=3 "+AR ns1.child.example.com. 3600 IN A 192.0.2.201"
both "qtype CNAME not followed" "+norec alias.example.com CNAME" AN=1

# --- wildcards --------------------------------------------------------
both "wildcard synthesis" "+norec foo.wild.example.com A" status=NOERROR \
	"flags=aa qr" "+AN foo.wild.example.com. 3600 IN A 192.0.2.100"
expect "wildcard owner in client case" "dig +norec a.B.Wild.example.com TXT" \
	'+AN a.B.Wild.example.com. 3600 IN TXT "wild"'
both "wildcard NODATA" "+norec foo.wild.example.com MX" status=NOERROR AN=0 \
	"+NS example.com. 300 IN SOA"
both "existing name blocks wildcard" "+norec x.sub.wild.example.com A" \
	status=NXDOMAIN
both "ENT blocks wildcard" "+norec y.b.ent.example.com TXT" status=NXDOMAIN \
	AN=0 "+NS example.com. 300 IN SOA"
both "ENT itself is NODATA" "+norec b.ent.example.com TXT" status=NOERROR AN=0
both "wildcard under ENT" "+norec x.ent.example.com TXT" \
	'+AN x.ent.example.com. 3600 IN TXT "wild-ent"'
both "wildcard CNAME followed" "+norec q.cw.example.com A" AN=2 \
	"+AN q.cw.example.com. 3600 IN CNAME www.example.com." \
	"+AN www.example.com. 3600 IN A 192.0.2.80"
both "wildcard below a cut not used" "+norec host.child.example.com A" \
	status=NOERROR "flags=qr" AN=0 NS=3

# --- delegations ------------------------------------------------------
both "referral" "+norec www.child.example.com A" status=NOERROR "flags=qr" \
	AN=0 NS=3 "+NS child.example.com. 3600 IN NS ns1.child.example.com." \
	"+AR ns1.child.example.com. 3600 IN A 192.0.2.201" \
	"+AR ns2.child.example.com. 3600 IN AAAA 2001:db8::202" \
	"+AR ns.sibling.example.com. 3600 IN A 192.0.2.210"
both "referral at the cut (NS)" "+norec child.example.com NS" "flags=qr" AN=0 \
	NS=3
both "referral for glue names" "+norec ns1.child.example.com A" "flags=qr" \
	AN=0 NS=3
both "DS at the cut from the parent" "+norec child.example.com DS" \
	status=NOERROR "flags=aa qr" AN=1 "+AN child.example.com. 3600 IN DS 12345 13 2"
both "no DS at the cut: NODATA" "+norec nods.example.com DS" status=NOERROR \
	"flags=aa qr" AN=0 "+NS example.com. 300 IN SOA"
both "DS below the cut: referral" "+norec x.child.example.com DS" "flags=qr" \
	NS=3
both "DS of a served child: parent" "+norec served.example.com DS" \
	"flags=aa qr" "+AN served.example.com. 3600 IN DS 54321"
both "served child's own data" "+norec served.example.com SOA" "flags=aa qr" \
	"+AN served.example.com. 600 IN SOA"
both "RFC 9471: glue must fit or TC" "+norec +noedns +ignore www.manyns.example.com A" \
	"flags=qr tc" NS=12
both "RFC 9471: all glue at 1232" "+norec +bufsize=1232 www.manyns.example.com A" \
	"flags=qr" NS=12 AR=24

# --- negative answers ----------------------------------------------------
both "NXDOMAIN with SOA, TTL min(TTL, MINIMUM)" "+norec nothere.example.com A" \
	status=NXDOMAIN "flags=aa qr" AN=0 NS=1 "+NS example.com. 300 IN SOA"
both "negative TTL from SOA TTL" "+norec nothere.example.net A" \
	status=NXDOMAIN "+NS example.net. 60 IN SOA"
both "NODATA" "+norec www.example.com MX" status=NOERROR "flags=aa qr" AN=0 \
	"+NS example.com. 300 IN SOA"
both "ENT is NODATA" "+norec ent.example.com A" status=NOERROR AN=0 NS=1

# --- additional section -----------------------------------------------
both "NS answer with addresses" "+norec example.com NS" AN=2 \
	"+AR ns1.example.com. 3600 IN A 192.0.2.53" \
	"+AR ns1.example.com. 3600 IN AAAA 2001:db8::53" \
	"+AR ns2.example.com. 3600 IN A 192.0.2.54"
both "MX targets, also in another zone" "+norec example.com MX" AN=3 \
	"+AR mail.example.com. 3600 IN A 192.0.2.25" \
	"+AR mail.example.net. 300 IN A 198.51.100.25"
both "SRV target" "+norec _sip._tcp.example.com SRV" \
	"+AR sip.example.com. 3600 IN A 192.0.2.60"
both "additional cut, never TC" "+norec +noedns +ignore mxmany.example.com MX" \
	"flags=aa qr" AN=10 "+AR m1.mxmany.example.com. 3600 IN A"

# --- ANY ------------------------------------------------------------------
# dig sends ANY over TCP unless told otherwise
both "ANY over UDP: one RRset" "+norec +notcp example.com ANY" status=NOERROR \
	"flags=aa qr" AN=1
both "ANY over TCP: all" "+norec +tcp example.com ANY" AN=8 \
	"+AN example.com. 3600 IN SOA" "+AN example.com. 3600 IN TXT"
both "ANY at a CNAME" "+norec alias.example.com ANY" AN=1 \
	"+AN alias.example.com. 3600 IN CNAME"

# --- refusals and errors ------------------------------------------------
both "not our zone: REFUSED" "+norec www.unserved.test A" status=REFUSED \
	"flags=qr" AN=0
both "class CH: REFUSED" "+norec -c CH version.bind TXT" status=REFUSED \
	"flags=qr"
expect "opcode STATUS: NOTIMP" "dig +norec +opcode=status www.example.com A" \
	status=NOTIMP opcode=STATUS

# --- EDNS -------------------------------------------------------------
both "our OPT, payload 1232" "+norec +bufsize=4096 www.example.com A" \
	edns=1232
both "DO bit copied" "+norec +dnssec www.example.com A" dobit
both "no EDNS, no OPT" "+norec +noedns www.example.com A" noedns
both "OPT on errors too" "+norec +bufsize=1232 www.unserved.test A" \
	status=REFUSED edns=1232
expect "BADVERS" "dig +norec +edns=1 +noednsneg www.example.com A" \
	status=BADVERS "flags=qr" AN=0 edns=1232
expect "BADVERS" "kdig +norec +edns=1 www.example.com A" status=BADVERS \
	"flags=qr" AN=0 edns=1232
both "unknown option ignored" "+norec +ednsopt=65001:abcd www.example.com A" \
	status=NOERROR AN=1

# --- truncation -----------------------------------------------------
both "TC at 512" "+norec +noedns +ignore mid.example.com TXT" \
	"flags=aa qr tc" AN=0
both "whole RRsets that fit, then TC" "+norec +noedns +ignore tomid.example.com TXT" \
	"flags=aa qr tc" AN=1 "+AN tomid.example.com. 3600 IN CNAME"
both "fits in 1232" "+norec +bufsize=1232 mid.example.com TXT" "flags=aa qr" \
	AN=10
both "TC at our 1232" "+norec +bufsize=4096 +ignore big.example.com TXT" \
	"flags=aa qr tc" AN=0 edns=1232
both "TCP gets everything" "+norec +tcp big.example.com TXT" "flags=aa qr" \
	AN=40

# --- malformed requests (raw packets) --------------------------------------
raw=$("$PY" - "$PORT" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
def ask(pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.7)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        r = s.recv(65535)
    except socket.timeout:
        return "silence"
    finally:
        s.close()
    if len(r) < 12:
        return "short"
    i, fl, qd, an, ns, ar = struct.unpack("!6H", r[:12])
    return "id=%d rcode=%d qr=%d qd=%d an=%d ar=%d" % (i, fl & 15, fl >> 15, qd, an, ar)
q = b"\x03com\x00\x00\x01\x00\x01"
print("qr-set", ask(struct.pack("!6H", 1, 0x8000, 1, 0, 0, 0) + q))
print("short-header", ask(b"\x00\x02\x01\x00\x00"))
print("cut-question", ask(struct.pack("!6H", 3, 0x0100, 1, 0, 0, 0) + b"\x07exam"))
print("trailing", ask(struct.pack("!6H", 4, 0, 1, 0, 0, 0) + q + b"\xff\xff"))
print("qdcount0", ask(struct.pack("!6H", 5, 0, 0, 0, 0, 0)))
print("qdcount2", ask(struct.pack("!6H", 6, 0, 2, 0, 0, 0) + q + q))
opt = b"\x00\x00\x29\x04\x00\x00\x00\x00\x00\x00\x00"
print("two-opt", ask(struct.pack("!6H", 7, 0, 1, 0, 0, 2) + q + opt + opt))
EOF
)
expect_raw() {
	if grep -qx "$1 $2" <<<"$raw"; then
		ok
	else
		bad "raw $1: want '$2', got '$(grep "^$1 " <<<"$raw")'"
	fi
}
expect_raw qr-set silence
expect_raw short-header silence
expect_raw cut-question "id=3 rcode=1 qr=1 qd=0 an=0 ar=0"
expect_raw trailing "id=4 rcode=1 qr=1 qd=1 an=0 ar=0"
expect_raw qdcount0 "id=5 rcode=1 qr=1 qd=0 an=0 ar=0"
expect_raw qdcount2 "id=6 rcode=1 qr=1 qd=0 an=0 ar=0"
expect_raw two-opt "id=7 rcode=1 qr=1 qd=1 an=0 ar=1"

if ! kill -0 "$pid" 2>/dev/null; then
	bad "dnsd died"
	cat "$tmp/dnsd.log"
fi
finish
