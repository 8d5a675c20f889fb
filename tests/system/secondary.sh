#!/usr/bin/env bash
# The secondary role against a dnsd git primary, and a chain of three:
# A (git primary, 127.0.0.1:16500) -> B (secondary, 127.0.0.2:16501)
# -> C (secondary of B, 127.0.0.3:16502), with the walk-through's
# address-named transfer keys (P.S._transfer.ZONE) for example.org and a
# root transfer key (l._transfer) with which B learns A's other zones.
# - B and C get example.org by AXFR; B learns short.test through the
#   root key (a signed SOA query for the root, then A's NOTIFY);
# - an UPDATE on A reaches B by IXFR within a second of the UPDATE's
#   answer, and C by IXFR from the difference B received;
# - a zone added to A's repository (pushed, A NOTIFYed) appears on B;
# - B refuses UPDATE, and a NOTIFY signed with a key that may not
#   notify the zone;
# - A down: B keeps serving; short.test (EXPIRE 4 s) turns SERVFAIL
#   while example.org (EXPIRE one day) still answers; A back: short.test
#   recovers by itself;
# - B killed (-9) and restarted while A is down serves example.org from
#   its copy on disk at once;
# - a copy on disk cut short is found out at start-up and replaced by a
#   fresh AXFR;
# - dnsd -t lists the zones and primaries of B's config.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need dig nsupdate git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
A_PORT=16500
B_PORT=16501
C_PORT=16502
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

secret() { awk '{print $NF}' "$1"; }
AB=127.0.0.1.127.0.0.2._transfer.example.org
BC=127.0.0.2.127.0.0.3._transfer.example.org
"$KEYGEN" -f dnskey $AB >"$tmp/ab.dnskey"
"$KEYGEN" -f dnskey $BC >"$tmp/bc.dnskey"
"$KEYGEN" -f dnskey l._transfer >"$tmp/l.dnskey"
"$KEYGEN" -f dnskey u._update.example.org >"$tmp/u.dnskey"
"$KEYGEN" -f dnskey n._notify.example.org >"$tmp/n.dnskey"

# ---- A's repository ----
git init -q --bare -b main "$tmp/remote.git"
git init -q -b main "$tmp/work"
cat >"$tmp/work/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 1 3600 600 86400 300
	NS	ns1
	MX	10 mail
ns1	A	192.0.2.53
mail	A	192.0.2.25
www	A	192.0.2.80
EOF
cat >"$tmp/work/short.test" <<'EOF'
$ORIGIN short.test.
$TTL 60
@	SOA	ns1 hostmaster 7 1 1 4 60
	NS	ns1
ns1	A	192.0.2.53
www	A	192.0.2.70
EOF
cat "$tmp/ab.dnskey" "$tmp/u.dnskey" >"$tmp/work/example.org._keys"
cp "$tmp/l.dnskey" "$tmp/work/_keys"
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
EOF
cat >"$tmp/b.conf" <<EOF
role secondary
listen 127.0.0.2:$B_PORT
workdir $tmp/b
primary 127.0.0.1:$A_PORT
notify-port $C_PORT
key $AB:SHA256:$(secret "$tmp/ab.dnskey")
key $BC:SHA256:$(secret "$tmp/bc.dnskey")
key l._transfer:SHA256:$(secret "$tmp/l.dnskey")
log-level debug
EOF
cat >"$tmp/c.conf" <<EOF
role secondary
listen 127.0.0.3:$C_PORT
workdir $tmp/c
primary 127.0.0.2:$B_PORT
key $BC:SHA256:$(secret "$tmp/bc.dnskey")
log-level debug
EOF
mkdir -p "$tmp/a" "$tmp/b" "$tmp/c"

# ask ADDR PORT NAME TYPE: dig +short
ask() { dig +short +time=1 +tries=1 -p "$2" "@$1" "$3" "$4" 2>/dev/null; }
# status ADDR PORT NAME TYPE: the rcode dig reports
status() {
	dig +time=1 +tries=1 -p "$2" "@$1" "$3" "$4" 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
# serial ADDR PORT ZONE
serial() { ask "$1" "$2" "$3" SOA | awk '{print $3}'; }
# until_serial ADDR PORT ZONE SERIAL TRIES: polls every 0.1 s
until_serial() {
	for _ in $(seq "$5"); do
		[ "$(serial "$1" "$2" "$3")" = "$4" ] && return 0
		sleep 0.1
	done
	return 1
}
# until_status ADDR PORT NAME TYPE RCODE TRIES
until_status() {
	for _ in $(seq "$6"); do
		[ "$(status "$1" "$2" "$3" "$4")" = "$5" ] && return 0
		sleep 0.2
	done
	return 1
}
start() { # start NAME: dnsd -c NAME.conf, its log NAME.log (appended)
	"$DNSD" -c "$tmp/$1.conf" 2>>"$tmp/$1.log" &
	eval "${1}_pid=$!"
	pids+=("$!")
}

# ---- dnsd -t ----
"$DNSD" -c "$tmp/b.conf" -t >"$tmp/t.out" 2>"$tmp/t.err"
check "dnsd -t on the secondary config exits 0" [ $? -eq 0 ]
check "-t lists example.org, its primary and key" \
	grep -qx "zone example.org primary 127.0.0.1#$A_PORT key $AB." "$tmp/t.out"
check "-t says the root key learns zones" \
	grep -q "zones learned from primary 127.0.0.1#$A_PORT .* key l._transfer." "$tmp/t.out"
check "-t says which key is for B's own secondaries" \
	grep -q "key $BC. names this server as the primary" "$tmp/t.out"
check "-t prints no secret" bash -c "! grep -q '$(secret "$tmp/ab.dnskey")' '$tmp/t.out' '$tmp/t.err'"

# ---- start: A, then B and C ----
start a
wait_answer $A_PORT 192.0.2.80 www.example.org A || bad "A serves example.org"
start b
start c
if until_serial 127.0.0.2 $B_PORT example.org 1 100; then ok "B has example.org"; else bad "B has example.org"; fi
if until_serial 127.0.0.3 $C_PORT example.org 1 100; then ok "C has example.org from B"; else bad "C has example.org from B"; fi
check "B logged an AXFR of example.org from A" \
	grep -q "AXFR in zone example.org from 127.0.0.1#$A_PORT key $AB.: serial 0 -> 1" "$tmp/b.log"
check "C logged an AXFR from B" \
	grep -q "AXFR in zone example.org from 127.0.0.2#$B_PORT key $BC.: serial 0 -> 1" "$tmp/c.log"
if until_serial 127.0.0.2 $B_PORT short.test 7 100; then ok "B learned short.test through the root key"; else bad "B learned short.test through the root key"; fi
check "B logged short.test added by NOTIFY" grep -q "zone short.test: added (NOTIFY)" "$tmp/b.log"
check "B answers like A" [ "$(ask 127.0.0.2 $B_PORT example.org MX)" = "10 mail.example.org." ]
check "the copy is on disk" grep -q "^www.example.org. 3600 IN A 192.0.2.80" "$tmp/b/zones/example.org.zone"
check "the state is on disk" grep -qx "serial 1" "$tmp/b/zones/example.org.state"

# ---- UPDATE on A -> IXFR to B within a second, and on to C ----
ukey=hmac-sha256:u._update.example.org:$(secret "$tmp/u.dnskey")
printf 'server 127.0.0.1 %s\nzone example.org\nupdate add new.example.org 300 A 192.0.2.9\nsend\n' $A_PORT |
	nsupdate -y "$ukey" >"$tmp/nsupdate.out" 2>&1
check "nsupdate to A succeeded: $(cat "$tmp/nsupdate.out")" [ $? -eq 0 ]
if until_serial 127.0.0.2 $B_PORT example.org 2 10; then
	ok "B has the UPDATE within a second"
else
	bad "B has the UPDATE within a second (serial $(serial 127.0.0.2 $B_PORT example.org))"
fi
check "B serves the new record" [ "$(ask 127.0.0.2 $B_PORT new.example.org A)" = 192.0.2.9 ]
check "B got it by IXFR" grep -q "IXFR in zone example.org from 127.0.0.1#$A_PORT key $AB.: serial 1 -> 2" "$tmp/b.log"
if until_serial 127.0.0.3 $C_PORT example.org 2 30; then ok "C has the UPDATE"; else bad "C has the UPDATE"; fi
check "C got it by IXFR from B" grep -q "IXFR in zone example.org from 127.0.0.2#$B_PORT key $BC.: serial 1 -> 2" "$tmp/c.log"
check "B served C an incremental IXFR out" grep -q "IXFR out zone example.org to 127.0.0.3#[0-9]* key $BC.: incremental$" "$tmp/b.log"
check "A NOTIFYed B, B acknowledged" grep -q "NOTIFY out zone example.org to 127.0.0.2#$B_PORT.*acknowledged" "$tmp/a.log"

# ---- a zone added to the repository appears on B ----
# A pushes the UPDATE's commit after it answered: pulled before that, the
# laptop's push below would be rejected (as it should be).
for _ in $(seq 100); do
	git --git-dir="$tmp/remote.git" log --format=%B main | grep -q '^UPDATE zone example.org ' && break
	sleep 0.1
done
check "A pushed the UPDATE's commit" \
	bash -c "git --git-dir='$tmp/remote.git' log --format=%B main | grep -q '^UPDATE zone example.org '"
git -C "$tmp/work" pull -q "$tmp/remote.git" main
cat >"$tmp/work/added.test" <<'EOF'
$ORIGIN added.test.
$TTL 300
@	SOA	ns1 hostmaster 3 3600 600 86400 300
	NS	ns1
ns1	A	192.0.2.53
EOF
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m "added.test"
git -C "$tmp/work" push -q "$tmp/remote.git" main
"$NOTIFY" 127.0.0.1:$A_PORT added.test --key "l._transfer:SHA256:$(secret "$tmp/l.dnskey")" >/dev/null 2>&1
if until_serial 127.0.0.2 $B_PORT added.test 3 50; then ok "a zone added to the repository appears on B"; else bad "a zone added to the repository appears on B"; fi

# ---- what B refuses ----
printf 'server 127.0.0.2 %s\nzone example.org\nupdate add x.example.org 300 A 192.0.2.1\nsend\n' $B_PORT |
	nsupdate >"$tmp/nsupdate.out" 2>&1
check "UPDATE to the secondary is REFUSED" grep -q "update failed: REFUSED" "$tmp/nsupdate.out"
check "... and it changed nothing" [ -z "$(ask 127.0.0.2 $B_PORT x.example.org A)" ]
"$NOTIFY" 127.0.0.2:$B_PORT short.test --key "$BC:SHA256:$(secret "$tmp/bc.dnskey")" >"$tmp/notify.out" 2>&1
check "a NOTIFY with a key not covering the zone is REFUSED" grep -q REFUSED "$tmp/notify.out"
check "... and logged with zone and peer" grep -q "NOTIFY in zone short.test from 127.0.0.1#[0-9]*: its key may not notify the zone, REFUSED" "$tmp/b.log"

# ---- A down: expire, then recovery ----
kill "$a_pid"
wait "$a_pid" 2>/dev/null
check "B still serves short.test right after A went" [ "$(ask 127.0.0.2 $B_PORT www.short.test A)" = 192.0.2.70 ]
if until_status 127.0.0.2 $B_PORT www.short.test A SERVFAIL 50; then ok "short.test expires: SERVFAIL"; else bad "short.test expires: SERVFAIL"; fi
check "B logged the expiry" grep -q "zone short.test expired: no successful refresh from 127.0.0.1#$A_PORT" "$tmp/b.log"
check "example.org (EXPIRE one day) still answers" [ "$(ask 127.0.0.2 $B_PORT www.example.org A)" = 192.0.2.80 ]
check "C still answers example.org" [ "$(ask 127.0.0.3 $C_PORT new.example.org A)" = 192.0.2.9 ]
start a
if until_status 127.0.0.2 $B_PORT www.short.test A NOERROR 50; then ok "short.test recovers when A is back"; else bad "short.test recovers when A is back"; fi
check "B logged the recovery" grep -q "zone short.test: refreshed from 127.0.0.1#$A_PORT, serving again" "$tmp/b.log"

# ---- B restarted while A is down serves from disk ----
kill "$a_pid"
wait "$a_pid" 2>/dev/null
{
	kill -9 "$b_pid"
	wait "$b_pid"
} 2>/dev/null
: >"$tmp/b.log"
start b
if until_serial 127.0.0.2 $B_PORT example.org 2 20; then ok "restarted B serves example.org from disk while A is down"; else bad "restarted B serves example.org from disk while A is down"; fi
check "... the new record too" [ "$(ask 127.0.0.2 $B_PORT new.example.org A)" = 192.0.2.9 ]
check "B logged the copy loaded" grep -q "zone example.org: serial 2 loaded from disk" "$tmp/b.log"

# ---- a copy cut short is replaced by a fresh AXFR ----
kill "$b_pid"
wait "$b_pid" 2>/dev/null
head -n 3 "$tmp/b/zones/example.org.zone" >"$tmp/cut"
cp "$tmp/cut" "$tmp/b/zones/example.org.zone"
: >"$tmp/b.log"
start a
wait_answer $A_PORT 192.0.2.80 www.example.org A || bad "A serves example.org again"
start b
if until_serial 127.0.0.2 $B_PORT example.org 2 100; then ok "a cut copy is replaced by AXFR"; else bad "a cut copy is replaced by AXFR"; fi
check "B logged the cut copy" grep -q "zone example.org: the copy on disk is not usable (.*has no checksum line" "$tmp/b.log"
check "... and the AXFR" grep -q "AXFR in zone example.org from 127.0.0.1#$A_PORT key $AB.: serial 0 -> 2" "$tmp/b.log"
check "the copy on disk is whole again" grep -q "^new.example.org. 300 IN A 192.0.2.9" "$tmp/b/zones/example.org.zone"

[ -n "${KEEP:-}" ] && cp -r "$tmp" "$KEEP"
finish
