#!/usr/bin/env bash
# Dynamic UPDATEs reach real secondaries by IXFR: a dnsd git primary with
# an update key and a transfer key (naming 127.0.0.1 as its secondary, so
# dnsd's NOTIFYs are signed with it) feeds a BIND named and a Knot knotd
# secondary, as xfr_interop.sh starts them. The first transfer is an
# AXFR; then nsupdate sends seven updates of different kinds (a name
# added; an RRset grown and a new type; a single record deleted; an
# RRset deleted; a name deleted with all its RRsets, glue and
# delegation changed; a TTL changed by delete and add; the serial raised
# by the update itself; several types in one update), the last one after
# dnsd restarted on its workdir. After each:
# - dnsd serves the new serial and NOTIFYs both secondaries, who
#   acknowledge;
# - both serve the new serial and, record by record (TTLs too), what dnsd
#   serves (xfr_compare.py same);
# - each logged an incremental IXFR from the serial before to this one
#   (named: "requesting IXFR for serial A", "got incremental response",
#   "transferred serial B"; knotd: "IXFR, incoming, ... finished" right
#   before "zone updated, ... serial A -> B"), and neither logged another
#   AXFR; dnsd logged two incremental IXFRs out.
# The log checks are checked too: the last transfer logged as an AXFR
# must fail them.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need named knotd nsupdate dig git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
CMP=$DNSD_SRC/tests/system/xfr_compare.py
PORT=16430
NAMED_PORT=16431
KNOT_PORT=16432
SINK_PORT=16433 # notify-port: where the transfer key's secondary is told (nobody)
SEC_PORTS="$NAMED_PORT $KNOT_PORT"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

# ---- the repository: example.org, its update key and transfer key ----
KNAME=127.0.0.1.127.0.0.1._transfer.example.org
"$KEYGEN" -f dnskey "$KNAME" >"$tmp/t.dnskey"
"$KEYGEN" -f dnskey u._update.example.org >"$tmp/u.dnskey"
SECRET=$(awk '{print $NF}' "$tmp/t.dnskey")
KEY=$KNAME:SHA256:$SECRET
UKEY=hmac-sha256:u._update.example.org:$(awk '{print $NF}' "$tmp/u.dnskey")
git init -q --bare -b main "$tmp/remote.git"
git init -q -b main "$tmp/work"
cat >"$tmp/work/example.org" <<'EOF'
; example.org, changed by UPDATE only
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 2026120201 7200 900 1209600 300
	NS	ns1
	MX	10 mail
	TXT	"v=spf1 mx -all"
ns1	A	192.0.2.53
mail	A	192.0.2.25
	AAAA	2001:db8::25
www	A	192.0.2.80
	A	192.0.2.81
	AAAA	2001:db8::80
old	A	192.0.2.99
	TXT	"to be deleted"
	MX	20 mail
sub	NS	ns.sub
ns.sub	A	192.0.2.153
_sip._udp	SRV	10 60 5060 sip
sip	A	192.0.2.60
EOF
cat "$tmp/t.dnskey" "$tmp/u.dnskey" >"$tmp/work/example.org._keys"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zone
git -C "$tmp/work" push -q "$tmp/remote.git" main
S=2026120201

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
notify-port $SINK_PORT
also-notify 127.0.0.1:$NAMED_PORT
also-notify 127.0.0.1:$KNOT_PORT
log-level debug
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"
DNSD_PID=$pid
check "dnsd serves example.org, serial $S" wait_answer $PORT " $S " example.org SOA

# ---- the secondaries, as in xfr_interop.sh ----
mkdir -p "$tmp/named" "$tmp/knot"
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
check_out "named-checkconf" named-checkconf "$tmp/named/named.conf"
named -g -d 3 -c "$tmp/named/named.conf" >"$tmp/named/log" 2>&1 &
pids+=($!)
knotd -c "$tmp/knot/knot.conf" >"$tmp/knot/log" 2>&1 &
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
# What each secondary logs of its transfers, counted:
# named (-d 3): "got incremental response" for an IXFR applied as such,
# "got nonincremental response" for the whole zone (also an IXFR
# request answered in AXFR form), "requesting AXFR" for the first;
# knotd: "IXFR, incoming, ..., finished" and "AXFR, incoming, ...,
# finished" (an AXFR-style IXFR answer is logged as the AXFR it is).
NAMED_T="transfer of 'example.org/IN' from 127.0.0.1#$PORT"
named_ixfrs() { grep -c "$NAMED_T: got incremental response" "$tmp/named/log"; }
named_axfrs() { grep -c "$NAMED_T: got nonincremental response" "$tmp/named/log"; }
knot_ixfrs() { grep -c "IXFR, incoming, remote 127.0.0.1@$PORT.*finished" "$tmp/knot/log"; }
knot_axfrs() { grep -c "AXFR, incoming, remote 127.0.0.1@$PORT.*finished" "$tmp/knot/log"; }
# named_ixfr_to FROM TO [LOG]: one transfer of named's in which it requested an
# IXFR from FROM, got an incremental response and transferred TO
named_ixfr_to() {
	awk -v t="$NAMED_T: " -v from="$1" -v to="$2" '
	index($0 "|", t "requesting IXFR for serial " from "|") { req = 1; inc = 0 }
	index($0, t "got incremental response") { inc = 1 }
	index($0, "zone example.org/IN: transferred serial " to ":") && req && inc { found = 1 }
	index($0, t "Transfer status:") { req = 0; inc = 0 }
	END { exit !found }' "${3:-$tmp/named/log}"
}
# knot_ixfr_to FROM TO [LOG]: knotd's refresh FROM -> TO came right after
# an IXFR it finished (an AXFR-style answer is logged as an AXFR)
knot_ixfr_to() {
	grep -B1 "refresh, remote 127.0.0.1@$PORT, zone updated, .* serial $1 -> $2," "${3:-$tmp/knot/log}" |
		head -1 | grep -q "IXFR, incoming, remote 127.0.0.1@$PORT, finished"
}
dnsd_ixfrs() { grep -c "IXFR out zone example.org to 127.0.0.1#[0-9]*.*incremental" "$tmp/dnsd.log"; }

for p in $SEC_PORTS; do
	check "secondary on $p serves serial $S after the first transfer" wait_serial "$p" $S
done
check "named: the first transfer was an AXFR" \
	has "$tmp/named/log" "no database exists yet, requesting AXFR of initial version from 127.0.0.1#$PORT"
check "knotd: the first transfer was an AXFR" \
	wait_log "$tmp/knot/log" "AXFR, incoming, remote 127.0.0.1@$PORT.*finished" 1
check_out "first AXFR: both secondaries hold what dnsd holds" \
	$PY "$CMP" same example.org "$KEY" $PORT $SEC_PORTS
named_axfr0=$(named_axfrs)
knot_axfr0=$(knot_axfrs)
nsteps=0

# step WHAT SERIAL: sends stdin's update lines with nsupdate (update key),
# then the checks above for the change to SERIAL
step() {
	local what=$1 want=$2 p n0 k0 d0 nq0 kq0
	nsteps=$((nsteps + 1))
	n0=$(named_ixfrs)
	k0=$(knot_ixfrs)
	d0=$(dnsd_ixfrs)
	nq0=$(grep -c "NOTIFY out zone example.org to 127.0.0.1#$NAMED_PORT.*acknowledged" "$tmp/dnsd.log")
	kq0=$(grep -c "NOTIFY out zone example.org to 127.0.0.1#$KNOT_PORT.*acknowledged" "$tmp/dnsd.log")
	{
		echo "server 127.0.0.1 $PORT"
		echo "zone example.org"
		cat
		echo send
	} >"$tmp/nsu.in"
	nsupdate -y "$UKEY" "$tmp/nsu.in" >"$tmp/nsu.out" 2>&1
	rc=$?
	has "$tmp/nsu.out" failed && rc=2
	check "$what: NOERROR (exit $rc) $(tr '\n' ' ' <"$tmp/nsu.out")" [ "$rc" -eq 0 ]
	check "$what: dnsd serves serial $want" wait_answer $PORT " $want " example.org SOA
	check "$what: dnsd's NOTIFY acknowledged by named" \
		wait_log "$tmp/dnsd.log" "NOTIFY out zone example.org to 127.0.0.1#$NAMED_PORT.*acknowledged" $((nq0 + 1))
	check "$what: dnsd's NOTIFY acknowledged by knotd" \
		wait_log "$tmp/dnsd.log" "NOTIFY out zone example.org to 127.0.0.1#$KNOT_PORT.*acknowledged" $((kq0 + 1))
	for p in $SEC_PORTS; do
		check "$what: secondary on $p serves serial $want" wait_serial "$p" "$want"
	done
	check_out "$what: both secondaries hold what dnsd holds" \
		$PY "$CMP" same example.org "$KEY" $PORT $SEC_PORTS
	check "$what: named got it by IXFR (incremental responses $n0 -> $(named_ixfrs))" \
		wait_log "$tmp/named/log" "$NAMED_T: got incremental response" $((n0 + 1))
	check "$what: named asked IXFR from serial $S, the answer incremental, to serial $want" \
		named_ixfr_to "$S" "$want"
	check "$what: knotd got it by IXFR (IXFRs $k0 -> $(knot_ixfrs))" \
		wait_log "$tmp/knot/log" "IXFR, incoming, remote 127.0.0.1@$PORT.*finished" $((k0 + 1))
	check "$what: knotd's IXFR took it from serial $S to $want" knot_ixfr_to "$S" "$want"
	check "$what: dnsd sent two incremental IXFRs ($d0 -> $(dnsd_ixfrs))" \
		wait_log "$tmp/dnsd.log" "IXFR out zone example.org to 127.0.0.1#[0-9]*.*incremental" $((d0 + 2))
	check "$what: named: no AXFR since the first ($((named_axfr0)) -> $(named_axfrs))" \
		[ "$(named_axfrs)" -eq "$named_axfr0" ]
	check "$what: knotd: no AXFR since the first ($((knot_axfr0)) -> $(knot_axfrs))" \
		[ "$(knot_axfrs)" -eq "$knot_axfr0" ]
	prev=$S
	S=$want
}
sec_has() { # sec_has PATTERN DIG-ARGS: both secondaries answer so
	local p pat=$1
	shift
	for p in $SEC_PORTS; do
		dig +short +norec -p "$p" @127.0.0.1 "$@" | grep -q -- "$pat" || return 1
	done
}
sec_lacks() { # sec_lacks PATTERN DIG-ARGS: neither secondary answers so
	local p pat=$1
	shift
	for p in $SEC_PORTS; do
		dig +short +norec -p "$p" @127.0.0.1 "$@" | grep -q -- "$pat" && return 1
	done
	return 0
}
sec_ttl() { # sec_ttl TTL NAME TYPE RDATA: both secondaries answer exactly that
	local p
	for p in $SEC_PORTS; do
		[ "$(dig +norec +noall +answer -p "$p" @127.0.0.1 "$2" "$3" | awk '{print $2, $5}')" = "$1 $4" ] || return 1
	done
}
sec_hasnt() { # sec_hasnt DIG-ARGS: both secondaries have nothing there
	local p
	for p in $SEC_PORTS; do
		[ -z "$(dig +short +norec -p "$p" @127.0.0.1 "$@")" ] || return 1
	done
}

step "a name added" $((S + 1)) <<<"update add new.example.org 600 A 192.0.2.200"
check "secondaries: new A" sec_has 192.0.2.200 new.example.org A

step "an RRset grown, a new type at a name" $((S + 1)) <<'EOF'
update add www.example.org 3600 A 192.0.2.82
update add www.example.org 3600 TXT "web server"
EOF
check "secondaries: the third www A" sec_has 192.0.2.82 www.example.org A
check "secondaries: www TXT" sec_has '"web server"' www.example.org TXT

step "one record of an RRset deleted" $((S + 1)) <<<"update delete www.example.org A 192.0.2.80"
check "secondaries: www A 192.0.2.80 gone" sec_lacks 192.0.2.80 www.example.org A
check "secondaries: www A 192.0.2.81 kept" sec_has 192.0.2.81 www.example.org A

step "an RRset deleted, a name deleted, a delegation changed" $((S + 1)) <<'EOF'
update delete mail.example.org AAAA
update delete old.example.org
update delete ns.sub.example.org A
update add ns.sub.example.org 3600 A 192.0.2.154
update add sub.example.org 3600 NS ns2.sub.example.org
update add ns2.sub.example.org 3600 A 192.0.2.155
EOF
check "secondaries: mail AAAA gone" sec_hasnt mail.example.org AAAA
check "secondaries: mail A kept" sec_has 192.0.2.25 mail.example.org A
for t in A TXT MX; do
	check "secondaries: old $t gone" sec_hasnt old.example.org $t
done

step "a TTL changed (delete and add)" $((S + 1)) <<'EOF'
update delete sip.example.org A
update add sip.example.org 60 A 192.0.2.61
EOF
check "secondaries: sip A 192.0.2.61 with TTL 60" sec_ttl 60 sip.example.org A 192.0.2.61

step "the serial raised by the update" $((S + 100)) <<EOF
update add example.org 3600 SOA ns1.example.org. hostmaster.example.org. $((S + 100)) 7200 900 1209600 300
EOF

# dnsd restarts on its workdir: the next IXFR is built from the git history
kill "$DNSD_PID"
wait "$DNSD_PID"
rc=$?
check "dnsd stops cleanly (exit $rc)" [ "$rc" -eq 0 ]
mv "$tmp/dnsd.log" "$tmp/dnsd.log.1"
dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"
DNSD_PID=$pid
check "dnsd serves $S again after the restart" wait_answer $PORT " $S " example.org SOA
step "after a restart: several types in one update" $((S + 1)) <<'EOF'
update add example.org 3600 MX 20 mail2.example.org.
update add mail2.example.org 3600 A 192.0.2.26
update add _sip._udp.example.org 3600 SRV 20 0 5060 sip2.example.org.
update add alias.example.org 3600 CNAME www.example.org.
update add example.org 3600 CAA 0 issue "letsencrypt.org"
EOF
check "secondaries: the CNAME" sec_has 'www.example.org.' alias.example.org CNAME
check "secondaries: the second MX" sec_has '20 mail2.example.org.' example.org MX

check "named: never a transfer other than the first AXFR and the IXFRs" \
	[ "$(grep -c "$NAMED_T: Transfer status: success" "$tmp/named/log")" -eq $((1 + nsteps)) ]
check "knotd: one AXFR in all ($(knot_axfrs))" [ "$(knot_axfrs)" -eq 1 ]
check "knotd: $nsteps IXFRs in all ($(knot_ixfrs))" [ "$(knot_ixfrs)" -eq "$nsteps" ]
# the log checks catch the last transfer made an AXFR-form answer
not() { ! "$@"; }
tac "$tmp/named/log" | awk -v t="$NAMED_T: got incremental response" '
	!done && index($0, t) { sub(/got incremental response/, "got nonincremental response"); done = 1 } { print }' |
	tac >"$tmp/named.spoilt"
check "checker: named's last transfer as nonincremental fails" not named_ixfr_to "$prev" "$S" "$tmp/named.spoilt"
check "checker: named's last transfer unspoilt passes" named_ixfr_to "$prev" "$S"
tac "$tmp/knot/log" | awk -v t="IXFR, incoming, remote 127.0.0.1@$PORT, finished" '
	!done && index($0, t) { sub(/IXFR, incoming/, "AXFR, incoming"); done = 1 } { print }' |
	tac >"$tmp/knot.spoilt"
check "checker: knotd's last transfer as AXFR fails" not knot_ixfr_to "$prev" "$S" "$tmp/knot.spoilt"
check "checker: knotd's last transfer unspoilt passes" knot_ixfr_to "$prev" "$S"
errs=$(grep -h -E '^(error|fatal)|Sanitizer' "$tmp/dnsd.log.1" "$tmp/dnsd.log" | head -3)
check "no error in dnsd's logs${errs:+: $errs}" [ -z "$errs" ]
if [ "$fail" -gt 0 ]; then
	for f in "$tmp/dnsd.log.1" "$tmp/dnsd.log" "$tmp/named/log" "$tmp/knot/log"; do
		echo "# ---- last lines of $f"
		tail -n 25 "$f" | sed 's/^/# /'
	done
fi
kill "$DNSD_PID"
wait "$DNSD_PID"
rc=$?
check "dnsd stops cleanly at the end (exit $rc)" [ "$rc" -eq 0 ]
[ -n "${SEC_KEEP:-}" ] && rm -rf "$SEC_KEEP" && cp -a "$tmp" "$SEC_KEEP"
finish
