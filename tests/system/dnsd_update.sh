#!/usr/bin/env bash
# dnsd-update against a dnsd git primary: the dynamic-DNS form replaces
# the A or the AAAA RRset (by the address's family, TTL 300 or --ttl);
# add, delete and replace of other types, several in one UPDATE and one
# commit; every prerequisite kind passing and failing with its RCODE and
# exit status; -k with a key file from tsig-keygen; a wrong secret, an
# unknown key and no key as the server answers them; the zone found by
# SOA queries (answer, authority section, walking up past a delegation)
# or given by --zone (relative names); TCP forced, and chosen for a large
# UPDATE; a closed port and a silent one (exit 3); the commits in the
# remote.
. "$(dirname "$0")/lib.sh"
need git dig tsig-keygen openssl "$PY"
PORT=16400
SILENT=16408 # answers nothing, over UDP and TCP
UDPONLY=16407 # answers nothing over UDP, refuses TCP
CLOSED=16409  # nobody listens
UPD=$DNSD_BUILD/src/tools/dnsd-update
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp

git init -q --bare -b main "$tmp/remote.git"
git clone -q "$tmp/remote.git" "$tmp/work" 2>/dev/null
cat >"$tmp/work/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 1 3600 900 604800 300
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.80
home	A	192.0.2.10
home	A	192.0.2.11
home	AAAA	2001:db8::10
home	TXT	"keep me"
deleg	NS	ns.elsewhere.test.
EOF
cat >"$tmp/work/sub.example.org" <<'EOF'
$ORIGIN sub.example.org.
$TTL 3600
@	SOA	ns1.example.org. hostmaster.example.org. 1 3600 900 604800 300
@	NS	ns1.example.org.
EOF
# one key from dnsd-keygen, one from tsig-keygen: dnsd knows both from
# the DNSKEY lines of example.org._keys
"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey u._update.example.org >"$tmp/work/example.org._keys"
SECRET=$(awk '{print $NF}' "$tmp/work/example.org._keys")
K=u._update.example.org:SHA256:$SECRET
tsig-keygen -a hmac-sha256 b._update.example.org >"$tmp/bind.key"
BSECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$tmp/bind.key")
echo "b._update.example.org. DNSKEY 0 3 163 $BSECRET" >>"$tmp/work/example.org._keys"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zones
git -C "$tmp/work" push -q origin main

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/log"
check "serves the zone" wait_answer $PORT 192.0.2.80 www.example.org A
check "serves the subzone" wait_answer $PORT hostmaster sub.example.org SOA

# upd RC OUT DESCRIPTION ARGS...: dnsd-update 127.0.0.1:PORT ARGS exits
# RC and prints the line OUT (nothing for OUT -); its stderr in
# $tmp/upd.err. An UPDATE that changed the zone (RC 0) is counted.
commits=1
upd() {
	local rc=$1 out=$2 what=$3 got
	shift 3
	"$UPD" "127.0.0.1:$PORT" "$@" >"$tmp/upd.out" 2>"$tmp/upd.err"
	got=$?
	[ "$out" = - ] && out=
	if [ "$got" -eq "$rc" ] && [ "$(cat "$tmp/upd.out")" = "$out" ]; then
		ok "$what"
	else
		bad "$what: exit $got (want $rc), printed '$(cat "$tmp/upd.out")' (want '$out'): $(cat "$tmp/upd.err")"
	fi
}
changed() { # changed ARGS...: as upd 0 NOERROR, one more change
	upd 0 NOERROR "$@"
	commits=$((commits + 1))
}
# rrset NAME TYPE: the RDATA served, sorted, space separated
rrset() {
	dig +short -p $PORT @127.0.0.1 "$1" "$2" | sort | tr '\n' ' ' | sed 's/ $//'
}
# is NAME TYPE WANT DESCRIPTION: the RRset served is WANT, within 10 s
# (an UPDATE is answered once durable, then served)
is() {
	local got
	for _ in $(seq 50); do
		got=$(rrset "$1" "$2")
		[ "$got" = "$3" ] && break
		sleep 0.2
	done
	if [ "$got" = "$3" ]; then ok "$4"; else bad "$4: '$got', want '$3'"; fi
}
ttl_of() { dig +noall +answer -p $PORT @127.0.0.1 "$1" "$2" | awk '{print $2}' | sort -u; }

# ---- the dynamic-DNS form ----
changed "dyn A" --key "$K" home.example.org 192.0.2.20
is home.example.org A 192.0.2.20 "dyn A: both old A records replaced"
is home.example.org AAAA 2001:db8::10 "dyn A: AAAA untouched"
is home.example.org TXT '"keep me"' "dyn A: TXT untouched"
check "dyn A: TTL 300" [ "$(ttl_of home.example.org A)" = 300 ]
changed "dyn AAAA" --key "$K" home.example.org 2001:db8::20
is home.example.org AAAA 2001:db8::20 "dyn AAAA: old AAAA replaced"
is home.example.org A 192.0.2.20 "dyn AAAA: A untouched"
changed "dyn both with --ttl" --key "$K" --ttl 60 home.example.org 192.0.2.21 2001:db8::21 192.0.2.22
is home.example.org A "192.0.2.21 192.0.2.22" "dyn both: two A"
is home.example.org AAAA 2001:db8::21 "dyn both: one AAAA"
check "dyn both: TTL 60" [ "$(ttl_of home.example.org A)" = 60 ]
upd 2 - "dyn: not an address" --key "$K" home.example.org 192.0.2.300
check "dyn: not an address, said" has "$tmp/upd.err" "expected an IPv4 or IPv6 address"

# ---- add, delete, replace ----
changed "add TXT" --key "$K" add 'www.example.org 300 IN TXT "hi there"'
is www.example.org TXT '"hi there"' "TXT added"
changed "two MX and a replace in one UPDATE" --key "$K" \
	add 'example.org 3600 MX 10 mail' add 'example.org. 3600 MX 20 mx2.example.net.' \
	replace 'www 300 A 192.0.2.81' replace 'www.example.org 300 A 192.0.2.82'
is example.org MX "10 mail.example.org. 20 mx2.example.net." "MX added (relative and absolute)"
is www.example.org A "192.0.2.81 192.0.2.82" "replace: the old A gone, both new ones there"
check "MX TTL as given" [ "$(ttl_of example.org MX)" = 3600 ]
changed "delete one record" --key "$K" delete 'www.example.org A 192.0.2.81'
is www.example.org A 192.0.2.82 "delete one record: the other stays"
changed "delete an RRset (NAME TYPE as two arguments)" --key "$K" delete www.example.org TXT
is www.example.org TXT "" "delete an RRset: TXT gone"
is www.example.org A 192.0.2.82 "delete an RRset: A stays"
changed "delete an RRset (one argument)" --key "$K" delete 'example.org MX'
is example.org MX "" "delete MX RRset"
changed "delete a name" --key "$K" delete www.example.org
is www.example.org A "" "delete a name: no A"
check "delete a name: NXDOMAIN" bash -c "dig -p $PORT @127.0.0.1 www.example.org A | grep -q 'status: NXDOMAIN'"
upd 2 - "a bad record" --key "$K" add 'www A 1.2.3'
check "a bad record: the parser's message with a caret" \
	bash -c "grep -q 'add: expected an IPv4 address' '$tmp/upd.err' && grep -q '^        ^' '$tmp/upd.err'"
upd 2 - "a record in several arguments" --key "$K" add www 300 A 192.0.2.1
upd 2 - "a name outside --zone" --key "$K" --zone example.org add 'www.other.org. A 192.0.2.1'
check "a name outside --zone, said" has "$tmp/upd.err" "not in the zone example.org."

# ---- prerequisites: each kind passing and failing ----
# pre N RC OUT PREREQ: with PREREQ, add pN TXT; served only when it passed
pre() {
	local n=$1 rc=$2 out=$3 p=$4
	upd "$rc" "$out" "prereq '$p': $out" --key "$K" --prereq "$p" add "p$n.example.org TXT \"$n\""
	if [ "$rc" -eq 0 ]; then
		commits=$((commits + 1))
		is "p$n.example.org" TXT "\"$n\"" "prereq '$p': applied"
	else
		is "p$n.example.org" TXT "" "prereq '$p': not applied"
	fi
}
pre 1 0 NOERROR 'yxdomain home.example.org'
pre 2 1 NXDOMAIN 'yxdomain nothere.example.org'
pre 3 0 NOERROR 'nxdomain nothere'
pre 4 1 YXDOMAIN 'nxdomain home'
pre 5 0 NOERROR 'yxrrset home.example.org A'
pre 6 1 NXRRSET 'yxrrset home.example.org MX'
pre 7 0 NOERROR 'yxrrset home AAAA 2001:db8::21'
pre 8 1 NXRRSET 'yxrrset home AAAA 2001:db8::99'
pre 9 0 NOERROR 'nxrrset home MX'
pre 10 1 YXRRSET 'nxrrset home AAAA'
upd 1 NXRRSET "value-dependent yxrrset needs the whole RRset" --key "$K" \
	--prereq 'yxrrset home A 192.0.2.21' add 'p11.example.org TXT "11"'
changed "value-dependent yxrrset with the whole RRset" --key "$K" \
	--prereq 'yxrrset home A 192.0.2.21' --prereq 'yxrrset home A 192.0.2.22' \
	--prereq 'nxdomain p12' add 'p12.example.org TXT "12"'
is p12.example.org TXT '"12"' "several prerequisites: applied"
upd 2 - "an unknown prerequisite (no query sent)" --key "$K" --prereq 'exists home' add 'p13 TXT x'

# ---- keys ----
changed "-k with a tsig-keygen key file" -k "$tmp/bind.key" home.example.org 192.0.2.30
is home.example.org A 192.0.2.30 "-k: applied"
# a _keys-style file: of its keys, the one that may update the zone
{
	echo "n._notify.example.org. DNSKEY 0 3 163 $(openssl rand -base64 32)"
	cat "$tmp/work/example.org._keys"
} >"$tmp/two._keys"
changed "-k picks the key that may update" -k "$tmp/two._keys" home.example.org 192.0.2.32
is home.example.org A 192.0.2.32 "-k picks: applied"
upd 1 "NOTAUTH (BADSIG)" "a wrong secret" --key "u._update.example.org:SHA256:$(openssl rand -base64 32)" home.example.org 192.0.2.31
upd 1 "NOTAUTH (BADKEY)" "an unknown key" --key "x._update.example.org:SHA256:$(openssl rand -base64 32)" home.example.org 192.0.2.31
upd 1 REFUSED "no key" home.example.org 192.0.2.31
is home.example.org A 192.0.2.32 "refused updates changed nothing"
upd 2 - "a key that does not parse" --key "u._update.example.org:SHA256:not base64!" home.example.org 192.0.2.31

# ---- the zone: SOA discovery and --zone ----
changed "a new name in the subzone" --key "$K" -v add 'x.sub.example.org TXT "x"'
check "found in the authority section" has "$tmp/upd.err" \
	'zone sub.example.org. (the SOA in the authority section for x.sub.example.org.)'
is x.sub.example.org TXT '"x"' "the subzone has it"
changed "the apex" --key "$K" -v add 'example.org TXT "apex"'
check "found in the answer" has "$tmp/upd.err" 'zone example.org. (the SOA in the answer for example.org.)'
changed "below a delegation" --key "$K" -v add 'glue.deleg.example.org A 192.0.2.53'
check "walked up past the referrals" has "$tmp/upd.err" 'zone example.org. (the SOA in the answer for example.org.)'
changed "--zone with relative names" --key "$K" -v --zone sub.example.org add '@ TXT "sub apex"' add 'rel TXT "r"'
check "--zone: no discovery" has "$tmp/upd.err" 'zone sub.example.org. (--zone)'
check "--zone: relative names" has "$tmp/upd.err" $'^rel.sub.example.org.\t300\tIN\tTXT\t"r"$'
is rel.sub.example.org TXT '"r"' "--zone: rel.sub.example.org served"
is sub.example.org TXT '"sub apex"' "--zone: @ is the zone"
upd 1 NOTAUTH "--zone of a zone not served" --key "$K" --zone other.test add 'www A 192.0.2.1'
upd 1 - "no zone found" --key "$K" add 'www.other.test A 192.0.2.1'
check "no zone found, said" has "$tmp/upd.err" 'answered REFUSED: no zone found'

# ---- transport ----
"$PY" -c '
import socket, sys, time
p = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", p))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", p))
t.listen(4)
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v.bind(("127.0.0.1", int(sys.argv[2])))
time.sleep(120)
' $SILENT $UDPONLY &
pids+=($!)
sleep 0.5
changed "--tcp" --key "$K" --tcp home.example.org 192.0.2.40
is home.example.org A 192.0.2.40 "--tcp: applied"
"$UPD" 127.0.0.1:$UDPONLY --key "$K" --zone example.org --tcp home.example.org 192.0.2.41 >/dev/null 2>"$tmp/upd.err"
check "--tcp goes over TCP (refused where only UDP listens)" has "$tmp/upd.err" 'TCP: Connection refused'
big=()
for i in $(seq 1 12); do big+=(add "big.example.org TXT \"record $i: $(printf '%040d' "$i")\""); done
"$UPD" 127.0.0.1:$UDPONLY --key "$K" --zone example.org "${big[@]}" >/dev/null 2>"$tmp/upd.err"
check "an UPDATE over 512 octets goes over TCP" has "$tmp/upd.err" 'TCP: Connection refused'
changed "an UPDATE over 512 octets" --key "$K" "${big[@]}"
check "all 12 records served" [ "$(dig +short -p $PORT @127.0.0.1 big.example.org TXT | wc -l)" -eq 12 ]

start=$(date +%s)
"$UPD" 127.0.0.1:$CLOSED --key "$K" home.example.org 192.0.2.42 >"$tmp/upd.out" 2>"$tmp/upd.err"
rc=$?
check "a closed port: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "a closed port: said" has "$tmp/upd.err" 'Connection refused'
check "a closed port: nothing on stdout" [ ! -s "$tmp/upd.out" ]
"$UPD" 127.0.0.1:$CLOSED --key "$K" --tcp --zone example.org home.example.org 192.0.2.42 >/dev/null 2>&1
rc=$?
check "a closed port over TCP: exit 3 (got $rc)" [ "$rc" -eq 3 ]
"$UPD" 127.0.0.1:$SILENT --timeout 1 --key "$K" --zone example.org home.example.org 192.0.2.42 >/dev/null 2>"$tmp/upd.err"
rc=$?
check "a silent server: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "a silent server: timed out" has "$tmp/upd.err" 'no answer: timed out'
"$UPD" 127.0.0.1:$SILENT --timeout 1 --tcp --key "$K" --zone example.org home.example.org 192.0.2.42 >/dev/null 2>&1
rc=$?
check "a silent server over TCP: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "no waiting on a closed port, --timeout 1 on a silent one ($(($(date +%s) - start)) s)" \
	[ $(($(date +%s) - start)) -le 5 ]

# ---- usage ----
"$UPD" --help >"$tmp/help" 2>&1
check "--help: exit 0" [ $? -eq 0 ]
check "--help: names the prerequisites" has "$tmp/help" 'nxrrset NAME TYPE'
upd 2 - "a command without its argument" --key "$K" add
upd 2 - "nothing to do" --key "$K"

# ---- the commits in the remote ----
# each changing UPDATE is named once in the messages of the commits
# (journaled UPDATEs are committed together, soon after their answers)
remote_updates() { git -C "$tmp/remote.git" log --format=%B main | grep -c '^UPDATE zone '; }
for _ in $(seq 100); do
	[ "$(remote_updates)" -ge $((commits - 1)) ] && break
	sleep 0.1
done
got=$(remote_updates)
check "every changing UPDATE in a commit of the remote, once ($got, want $((commits - 1)))" [ "$got" -eq $((commits - 1)) ]
# the UPDATE that added mx2 is one entry of a commit message, with every
# command it held (UPDATEs answered together share a commit)
git -C "$tmp/remote.git" log --format=%B main |
	awk '/^UPDATE zone / { if (b ~ /mx2\.example\.net/) print b; b = $0 "\n"; next }
	     /^$/ { if (b ~ /mx2\.example\.net/) print b; b = ""; next }
	     { b = b $0 "\n" }' >"$tmp/multi"
check "several commands, one UPDATE in one commit ($(grep -c '^UPDATE zone' "$tmp/multi") entries)" \
	bash -c "[ \$(grep -c '^UPDATE zone' '$tmp/multi') = 1 ] &&
		grep -q '^  + example.org. 3600 MX 10 mail.example.org.$' '$tmp/multi' &&
		grep -q '^  + example.org. 3600 MX 20 mx2.example.net.$' '$tmp/multi' &&
		grep -q '^  + www.example.org. 300 A 192.0.2.81$' '$tmp/multi' &&
		grep -q '^  + www.example.org. 300 A 192.0.2.82$' '$tmp/multi' &&
		grep -q '^  - www.example.org. A (the RRset)$' '$tmp/multi'"
check "the -k commit names the tsig-keygen key" \
	bash -c "git -C '$tmp/remote.git' log --format=%B main | grep -q 'key b._update.example.org'"
git -C "$tmp/remote.git" show main:example.org >"$tmp/final"
git -C "$tmp/remote.git" show main:sub.example.org >"$tmp/final.sub"
check "the remote: home's last A" grep -q '^home .*A.*192\.0\.2\.40$' "$tmp/final"
check "the remote: home's old A gone" hasnt "$tmp/final" '192\.0\.2\.1[01]$'
check "the remote: www gone" hasnt "$tmp/final" '^www'
check "the remote: what passed its prerequisites" \
	bash -c "for n in 1 3 5 7 9 12; do grep -q \"^p\$n \" '$tmp/final' || exit 1; done"
check "the remote: nothing that failed them" \
	bash -c "! grep -q '^p\(2\|4\|6\|8\|10\|11\|13\) ' '$tmp/final'"
check "the remote: the subzone's records" bash -c "grep -q '^rel ' '$tmp/final.sub' && grep -q '^x ' '$tmp/final.sub'"
finish
