#!/usr/bin/env bash
# TSIG interoperability, both ways:
# - dnsd-keygen's three forms, used by everything below;
# - dig -y, kdig -y and nsupdate -y/-k signed requests against dnsd, each
#   tool verifying dnsd's signed answers (and complaining with a wrong
#   key), every HMAC, UDP, TCP, IPv6, truncation;
# - dnsd-notify against dnsd (the key scheme: notify rights per zone),
#   against a real named and a real knotd holding the same key (both must
#   accept it and refuse a wrong one), and against fake servers whose
#   answers are unsigned or badly signed;
# - keys from _keys files, `key` lines and a BIND keys-file, reloaded on
#   SIGHUP, never in the log or in `dnsd -t` output.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
PORT=15700
NAMED_PORT=15701
KNOT_PORT=15702
FAKE_PORT=15703
DEAD_PORT=15704

wait_udp() { # wait_udp PORT: until something answers there
	for _ in $(seq 1 100); do
		dig +tries=1 +time=1 -p "$1" @127.0.0.1 example.org SOA >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	return 1
}

# ---- dnsd-keygen ----
"$KEYGEN" personal._update.example.org >"$tmp/k256" 2>"$tmp/err"
check "keygen exits 0" [ $? -eq 0 ]
check "keygen: no warning for a key with an operation" [ ! -s "$tmp/err" ]
check "keygen: DNSKEY line, alg 163" \
	grep -Eq '^personal\._update\.example\.org\. DNSKEY 0 3 163 [A-Za-z0-9+/]{43}=$' "$tmp/k256"
check "keygen: NAME:ALG:SECRET" \
	grep -Eq '^personal\._update\.example\.org:SHA256:[A-Za-z0-9+/]{43}=$' "$tmp/k256"
check "keygen: BIND clause" grep -q '^key "personal._update.example.org" {$' "$tmp/k256"
K256=$(grep ':SHA256:' "$tmp/k256")
S256=${K256##*:}
check "keygen: one secret in all three forms" [ "$(grep -c -- "$S256" "$tmp/k256")" -eq 3 ]
"$KEYGEN" personal._update.example.org -f text >"$tmp/k256b"
check "keygen: a fresh secret each time" [ "$(cat "$tmp/k256b")" != "$K256" ]
"$KEYGEN" -a sha512 -f text x._transfer.example.org >"$tmp/k512"
K512=$(cat "$tmp/k512")
check "keygen sha512: 64 octets" [ "$(echo "${K512##*:}" | base64 -d | wc -c)" -eq 64 ]
"$KEYGEN" --algorithm sha384 -f dnskey ops._notify >"$tmp/k384"
check "keygen sha384: alg 164, 48 octets" \
	bash -c "grep -q '^ops._notify. DNSKEY 0 3 164 ' '$tmp/k384' &&
	         [ \$(awk '{print \$6}' '$tmp/k384' | base64 -d | wc -c) -eq 48 ]"
"$KEYGEN" -f bind old._notify.example.org >"$tmp/notify.key"
check "keygen BIND clause: named-checkconf accepts it" named-checkconf "$tmp/notify.key"
"$KEYGEN" plain.example.org >/dev/null 2>"$tmp/err"
check "keygen: warns of a key without operation" has "$tmp/err" 'grants it nothing'
"$KEYGEN" --help >"$tmp/out"
check "keygen --help" has "$tmp/out" 'usage: dnsd-keygen'
"$KEYGEN" -a md5 x 2>/dev/null
check "keygen: bad algorithm is a usage error" [ $? -eq 2 ]
"$KEYGEN" 2>/dev/null
check "keygen: no NAME is a usage error" [ $? -eq 2 ]

# ---- dnsd with keys from every source ----
mkdir -p "$tmp/zones"
{
	printf '$ORIGIN example.org.\n$TTL 300\n'
	printf '@ SOA ns1 hostmaster 42 3600 600 86400 300\n@ NS ns1\n'
	printf 'ns1 A 192.0.2.1\nwww A 192.0.2.80\n'
	for i in $(seq 1 40); do
		printf 'big TXT "%s %d"\n' "$(printf 'x%.0s' $(seq 1 100))" "$i"
	done
} >"$tmp/zones/example.org"
printf '$ORIGIN other.org.\n$TTL 300\n@ SOA ns1 hm 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.2\n' \
	>"$tmp/zones/other.org"
grep DNSKEY "$tmp/k256" >"$tmp/zones/example.org._keys"
"$KEYGEN" -f dnskey o._update.other.org >"$tmp/zones/other.org._keys"
cp "$tmp/k384" "$tmp/zones/_keys"
K384=ops._notify:SHA384:$(awk '{print $6}' "$tmp/k384")
KOTHER=o._update.other.org:SHA256:$(awk '{print $6}' "$tmp/zones/other.org._keys")
S224=$(head -c 28 /dev/urandom | base64)
K224=n224._notify.example.org:SHA224:$S224
S1=$(head -c 20 /dev/urandom | base64)
printf 'key "sha1.key._notify.example.org" {\n\talgorithm hmac-sha1;\n\tsecret "%s";\n};\n' \
	"$S1" >>"$tmp/notify.key"
cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
listen [::1]:$PORT
zones-dir zones
key $K512
key $K224
keys-file notify.key
EOF

"$DNSD" -c "$tmp/dnsd.conf" -t >"$tmp/check" 2>&1
rc=$?
check "dnsd -t passes: $(cat "$tmp/check")" [ "$rc" -eq 0 ]
check "dnsd -t prints no secret" \
	bash -c "! grep -qF -e '$S256' -e '${K512##*:}' -e '$S224' -e '$S1' '$tmp/check'"

dnsd_start "$tmp/dnsd.conf" "$tmp/log"
DNSD_PID=$pid
check "dnsd starts" wait_log "$tmp/log" 'started: role primary' 1
check "dnsd loaded 7 keys" has "$tmp/log" 'serving 2 zones, 7 keys'

# ---- dig -y ----
dy() { # dy ALG:NAME:SECRET QNAME TYPE [dig options]
	local k=$1 n=$2 t=$3
	shift 3
	dig -y "$k" -p "$PORT" @127.0.0.1 "$n" "$t" +tries=1 +time=2 "$@" 2>&1
}
for k in "hmac-sha256:personal._update.example.org:$S256" \
	"hmac-sha512:${K512/:SHA512:/:}" "hmac-sha224:${K224/:SHA224:/:}" \
	"hmac-sha384:ops._notify:${K384##*:}" "hmac-sha1:sha1.key._notify.example.org:$S1"; do
	alg=${k%%:*}
	dy "$k" www.example.org A >"$tmp/dig"
	check "dig $alg: NOERROR" has "$tmp/dig" 'status: NOERROR'
	check "dig $alg: the data" grep -q '^www.example.org.*192.0.2.80' "$tmp/dig"
	check "dig $alg: answer signed" grep -q "TSIG.*$alg\. .* NOERROR 0" "$tmp/dig"
	check "dig $alg: dig verified it" hasnt "$tmp/dig" 'could not be validated'
done
dy "hmac-sha256:personal._update.example.org:$S256" www.example.org A +tcp >"$tmp/dig"
check "dig +tcp: verified" bash -c "grep -q 'status: NOERROR' '$tmp/dig' && ! grep -q 'could not be validated' '$tmp/dig'"
dy "hmac-sha256:personal._update.example.org:$S256" big.example.org TXT >"$tmp/dig"
check "dig: truncated, then TCP, all verified" \
	bash -c "grep -q 'Truncated, retrying in TCP' '$tmp/dig' && grep -q 'ANSWER: 40' '$tmp/dig' &&
	         ! grep -q 'could not be validated' '$tmp/dig'"
dy "hmac-sha256:personal._update.example.org:$S224" www.example.org A >"$tmp/dig"
check "dig wrong secret: NOTAUTH" has "$tmp/dig" 'status: NOTAUTH'
check "dig wrong secret: BADSIG, no data" \
	bash -c "grep -q 'BADSIG' '$tmp/dig' && grep -q 'ANSWER: 0' '$tmp/dig'"
check "dig wrong secret: dig says it could not validate" has "$tmp/dig" 'could not be validated'
dy "hmac-sha256:nobody.example.org:$S256" www.example.org A >"$tmp/dig"
check "dig unknown key: NOTAUTH BADKEY" \
	bash -c "grep -q 'status: NOTAUTH' '$tmp/dig' && grep -q 'BADKEY' '$tmp/dig'"

# ---- kdig -y ----
ky() {
	kdig -y "$1" -p "$PORT" "@$2" www.example.org A +retry=0 +timeout=2 "${@:3}" 2>&1
}
ky "hmac-sha512:${K512/:SHA512:/:}" 127.0.0.1 >"$tmp/kdig"
check "kdig sha512: NOERROR, data" \
	bash -c "grep -q 'status: NOERROR' '$tmp/kdig' && grep -q '192.0.2.80' '$tmp/kdig'"
check "kdig sha512: kdig verified it" hasnt "$tmp/kdig" 'WARNING'
ky "hmac-sha256:personal._update.example.org:$S256" ::1 +tcp >"$tmp/kdig"
check "kdig IPv6 TCP: verified" \
	bash -c "grep -q 'status: NOERROR' '$tmp/kdig' && ! grep -q 'WARNING' '$tmp/kdig'"
kdig -y "hmac-sha256:personal._update.example.org:$S256" -p "$PORT" @127.0.0.1 \
	big.example.org TXT +retry=0 +timeout=2 >"$tmp/kdig" 2>&1
check "kdig: truncated, TCP again with the same signed query, verified" \
	bash -c "grep -q 'retrying over TCP' '$tmp/kdig' && grep -q 'status: NOERROR' '$tmp/kdig' &&
	         ! grep -q 'reply verification' '$tmp/kdig'"
ky "hmac-sha512:x._transfer.example.org:$S256" 127.0.0.1 >"$tmp/kdig"
check "kdig wrong key: kdig refuses the answer" has "$tmp/kdig" 'reply verification'

# ---- nsupdate: UPDATE is REFUSED (not supported yet), signed properly ----
upd() {
	printf 'server 127.0.0.1 %s\nzone example.org\nupdate add x.example.org 300 A 192.0.2.9\nsend\n' \
		"$PORT" | nsupdate "$@" >"$tmp/nsupdate" 2>&1
}
upd -y "hmac-sha256:personal._update.example.org:$S256"
check "nsupdate -y: REFUSED" has "$tmp/nsupdate" 'update failed: REFUSED'
check "nsupdate -y: no TSIG complaint" hasnt "$tmp/nsupdate" 'TSIG'
upd -k "$tmp/notify.key"
check "nsupdate -k: REFUSED, no TSIG complaint" \
	bash -c "grep -q 'update failed: REFUSED' '$tmp/nsupdate' && ! grep -q 'TSIG' '$tmp/nsupdate'"
upd -y "hmac-sha256:personal._update.example.org:$S224"
check "nsupdate wrong key: NOTAUTH(BADSIG) and a TSIG error" \
	bash -c "grep -q 'NOTAUTH(BADSIG)' '$tmp/nsupdate' && grep -q 'TSIG error' '$tmp/nsupdate'"

# ---- dnsd-notify against dnsd: the key scheme ----
nt() { # nt EXPECTED-STATUS DESCRIPTION ARGS...
	local want=$1 what=$2
	shift 2
	"$NOTIFY" "$@" >"$tmp/nout" 2>"$tmp/nerr"
	local st=$?
	check "$what: exit $want (got $st: $(cat "$tmp/nout" "$tmp/nerr"))" [ "$st" -eq "$want" ]
}
nt 0 "notify with the update key" 127.0.0.1:$PORT example.org --key "$K256" --serial 42
check "notify: prints NOERROR" has "$tmp/nout" '^NOERROR$'
check "notify: logged with peer, key and serial" wait_log "$tmp/log" \
	'NOTIFY in zone example.org from 127.0.0.1#[0-9]* key personal._update.example.org. serial 42' 1
nt 0 "notify over IPv6 and TCP with a BIND key file" "[::1]:$PORT" example.org -k "$tmp/notify.key" --tcp
check "notify: logged the notify key, no serial" \
	has "$tmp/log" 'NOTIFY in zone example.org from ::1#[0-9]* key old._notify.example.org., no serial'
nt 0 "notify with a root key for another zone" 127.0.0.1:$PORT other.org --key "$K384"
nt 0 "notify with a sha224 key from the config" 127.0.0.1:$PORT example.org --key "$K224"
nt 1 "notify with a key of another zone" 127.0.0.1:$PORT example.org --key "$KOTHER"
check "notify, key of another zone: REFUSED" has "$tmp/nout" '^REFUSED$'
check "notify, key of another zone: logged" \
	has "$tmp/log" 'key o._update.other.org.: the key may not notify this zone, REFUSED'
nt 1 "notify with a transfer key of a sibling zone" 127.0.0.1:$PORT other.org --key "$K512"
nt 1 "notify unsigned" 127.0.0.1:$PORT example.org
check "notify unsigned: REFUSED" has "$tmp/nout" '^REFUSED$'
nt 1 "notify with a wrong secret" 127.0.0.1:$PORT example.org --key "personal._update.example.org:SHA256:$S224"
check "notify wrong secret: NOTAUTH (BADSIG)" has "$tmp/nout" '^NOTAUTH (BADSIG)$'
nt 1 "notify for a zone not served" 127.0.0.1:$PORT example.net --key "$K256"
check "notify zone not served: NOTAUTH" has "$tmp/nout" '^NOTAUTH$'
nt 1 "notify to a closed port" 127.0.0.1:$DEAD_PORT example.org --key "$K256"
check "notify closed port: no answer" has "$tmp/nerr" 'no answer'
nt 1 "notify over TCP to a closed port" 127.0.0.1:$DEAD_PORT example.org --key "$K256" --tcp
check "notify over TCP, closed port: the reason" has "$tmp/nerr" 'TCP: Connection refused'
nt 2 "notify: usage error" 127.0.0.1:$PORT
nt 2 "notify: bad key text" 127.0.0.1:$PORT example.org --key "x:MD5:Zm9v"
nt 2 "notify: bad port" 127.0.0.1:99999 example.org
nt 0 "notify --help" --help

# ---- fake servers: an unsigned and a badly signed NOERROR ----
for mode in unsigned badmac; do
	$PY - "$FAKE_PORT" "$mode" <<'EOF' &
import socket, struct, sys
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(10)
q, peer = s.recvfrom(65535)
# the request turned around: header with QR, the question, no TSIG
qd_end = 12
while q[qd_end]:
    qd_end += q[qd_end] + 1
qd_end += 5
r = q[:2] + struct.pack("!HHHHH", 0xa400, 1, 0, 0, 0) + q[12:qd_end]
if mode == "badmac":
    # the request's TSIG (last record) echoed back with a garbage MAC
    t = q.rindex(b"\x00\xfa\x00\xff")
    own = q.rindex(b"\x08personal", 0, t)
    rr = bytearray(q[own:])
    mac_at = len(q[own:t]) + 10 + len(b"\x0bhmac-sha256\x00") + 8
    for i in range(32):
        rr[mac_at + 2 + i] ^= 0x5a
    r = r[:10] + struct.pack("!H", 1) + r[12:] + bytes(rr)
s.sendto(r, peer)
EOF
	pids+=($!)
	sleep 0.3
	nt 1 "notify, fake server $mode" 127.0.0.1:$FAKE_PORT example.org --key "$K256"
	if [ "$mode" = unsigned ]; then
		check "notify, unsigned answer: says so" has "$tmp/nerr" 'is not signed'
	else
		check "notify, bad MAC: says so" has "$tmp/nerr" 'failed TSIG verification: BADSIG'
	fi
	check "notify, fake $mode: no NOERROR printed" hasnt "$tmp/nout" 'NOERROR'
	wait "${pids[-1]}" 2>/dev/null
done

# ---- dnsd-notify against named (secondary with allow-notify key) ----
mkdir -p "$tmp/named"
NKEY=$("$KEYGEN" -f text n._notify.example.org)
cat >"$tmp/named/named.conf" <<EOF
options {
	directory "$tmp/named";
	listen-on port $NAMED_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	recursion no;
	notify no;
};
controls { };
key "n._notify.example.org" { algorithm hmac-sha256; secret "${NKEY##*:}"; };
zone "example.org" {
	type secondary;
	primaries { 127.0.0.2 port $DEAD_PORT; };
	file "example.org.bk";
	allow-notify { key n._notify.example.org; };
};
EOF
named -g -c "$tmp/named/named.conf" >"$tmp/named/log" 2>&1 &
pids+=($!)
check "named starts" wait_udp $NAMED_PORT
nt 0 "notify to named with its key" 127.0.0.1:$NAMED_PORT example.org --key "$NKEY" --serial 5
check "named logged the signed notify" \
	wait_log "$tmp/named/log" "received notify for zone 'example.org': TSIG 'n._notify.example.org'" 1
nt 1 "notify to named with a wrong secret" 127.0.0.1:$NAMED_PORT example.org --key "n._notify.example.org:SHA256:$S256"
check "named: NOTAUTH (BADSIG)" has "$tmp/nout" '^NOTAUTH (BADSIG)$'
nt 1 "notify to named unsigned" 127.0.0.1:$NAMED_PORT example.org
check "named unsigned: REFUSED" has "$tmp/nout" '^REFUSED$'
nt 0 "notify to named over TCP" 127.0.0.1:$NAMED_PORT example.org --key "$NKEY" --tcp

# ---- dnsd-notify against knotd (acl: the key may notify) ----
mkdir -p "$tmp/knot"
cat >"$tmp/knot/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$KNOT_PORT
  rundir: $tmp/knot
database:
  storage: $tmp/knot
key:
  - id: n._notify.example.org
    algorithm: hmac-sha256
    secret: ${NKEY##*:}
remote:
  - id: primary
    address: 127.0.0.2@$DEAD_PORT
acl:
  - id: notify_acl
    key: n._notify.example.org
    action: notify
template:
  - id: default
    storage: $tmp/knot
zone:
  - domain: example.org
    master: primary
    acl: notify_acl
EOF
knotd -c "$tmp/knot/knot.conf" >"$tmp/knot/log" 2>&1 &
pids+=($!)
check "knotd starts" wait_udp $KNOT_PORT
nt 0 "notify to knotd with its key" 127.0.0.1:$KNOT_PORT example.org --key "$NKEY" --serial 6
check "knotd logged the notify" wait_log "$tmp/knot/log" 'notify, incoming, remote 127.0.0.1@[0-9]*, serial 6' 1
nt 1 "notify to knotd with a wrong secret" 127.0.0.1:$KNOT_PORT example.org --key "n._notify.example.org:SHA256:$S256"
check "knotd: NOTAUTH (BADSIG)" has "$tmp/nout" '^NOTAUTH (BADSIG)$'
nt 1 "notify to knotd unsigned" 127.0.0.1:$KNOT_PORT example.org
check "knotd unsigned: refused (NOTAUTH)" has "$tmp/nout" '^NOTAUTH$'

# ---- SIGHUP: a new secret in the key file replaces the old one ----
"$KEYGEN" -f dnskey personal._update.example.org >"$tmp/zones/example.org._keys"
NEW=personal._update.example.org:SHA256:$(awk '{print $6}' "$tmp/zones/example.org._keys")
kill -HUP "$DNSD_PID"
check "reloaded" wait_log "$tmp/log" 'serving 2 zones, 7 keys' 2
dy "hmac-sha256:personal._update.example.org:$S256" www.example.org A >"$tmp/dig"
check "after reload: the old secret is BADSIG" has "$tmp/dig" 'BADSIG'
dy "hmac-sha256:${NEW/:SHA256:/:}" www.example.org A >"$tmp/dig"
check "after reload: the new secret works" \
	bash -c "grep -q 'status: NOERROR' '$tmp/dig' && ! grep -q 'could not be validated' '$tmp/dig'"
# a broken keys-file on reload keeps the keys that were
echo 'key "broken" { algorithm hmac-sha256; };' >>"$tmp/notify.key"
kill -HUP "$DNSD_PID"
check "broken keys-file: said so" wait_log "$tmp/log" "keys-file .*notify.key:.* key 'broken' has no secret" 1
check "broken keys-file: previous keys kept" wait_log "$tmp/log" 'keeping the previous keys' 1
dy "hmac-sha256:${NEW/:SHA256:/:}" www.example.org A >"$tmp/dig"
check "broken keys-file: keys still work" has "$tmp/dig" 'status: NOERROR'
"$DNSD" -c "$tmp/dnsd.conf" -t >"$tmp/check" 2>&1
check "dnsd -t fails on the broken keys-file" [ $? -ne 0 ]
check "dnsd -t names the problem" has "$tmp/check" "key 'broken' has no secret"

# ---- secrets stay out of the log ----
check "no secret in the log" \
	bash -c "! grep -qF -e '$S256' -e '${K512##*:}' -e '$S224' -e '$S1' -e '${NEW##*:}' '$tmp/log'"
kill "$DNSD_PID"
wait "$DNSD_PID"
check "dnsd stops cleanly" [ $? -eq 0 ]

finish
