#!/usr/bin/env bash
# The letsencrypt role end to end against a real pebble CA: a dnsd git
# primary (127.0.0.1:16620) holds example.org and the keys; the
# letsencrypt role (127.0.0.1:16621, a hidden secondary through a root
# transfer key, UPDATEs with a root update key) orders from pebble
# (16622, management 16623), which validates DNS-01 against the
# primary; dnsd-certify asks for certificates:
# - one name; two names; a wildcard and its apex: each ends with a
#   certificate that verifies against pebble's root with exactly the
#   names asked for, written by dnsd-certify ("issued"), the TXT records
#   gone afterwards, the CSR, certificate and CA records committed in the
#   git remote;
# - asked again: "already current", nothing ordered;
# - the role restarted in the middle of an order resumes it: one order
#   for the CSR, and the certificate still comes;
# - a CSR for a name outside every zone of the update key, and one whose
#   signature does not verify, are logged and never ordered, while the
#   other names are still served;
# - the primary refusing the role's UPDATE (a key it does not know, for
#   other.test): the reason logged, a backoff, nothing published, one
#   order;
# - the CA down: newOrder fails with the reason and a backoff;
# - renewal: pebble restarted with 30 s certificates (a new root, a new
#   account), a certificate renews after 20 s with the same key;
# - pebble rejects a quarter of the nonces throughout (badNonce retried);
# - the role answers no query (REFUSED), only NOTIFY;
# - its metrics (metrics-listen 127.0.0.1:16724): the order issued, the
#   certificate's expiry ahead, the refused one counted failed and its
#   request waiting to retry.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need pebble openssl dig nsupdate git curl promtool
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
CERTIFY=$DNSD_BUILD/src/tools/dnsd-certify
A_PORT=16620
LE_PORT=16621
LE_METRICS=16724 # of the ports of tests/system/metrics.sh
# le_metric SERIES-REGEX: the value of the role's first series matching
le_metric() {
	curl -sf "http://127.0.0.1:$LE_METRICS/metrics" | awk -v k="$1" '$1 ~ k { print $2; exit }'
}
ACME=127.0.0.1:16622
MGMT=127.0.0.1:16623
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
get() { # get URL CAFILE: the body, as python's standard library fetches it
	"$PY" -c 'import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
sys.stdout.write(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=5).read().decode())' "$@" 2>/dev/null
}
secret() { awk '{print $NF}' "$1"; }

# ---- pebble, with a CA and TLS leaf of the test's own ----
mkdir -p "$tmp/pki" "$tmp/le" "$tmp/a" "$tmp/svc"
test_pki "$tmp/pki" || {
	echo "cannot make the test PKI"
	exit 1
}
pebble_start() { # pebble_start [VALIDITY]: pebble (again), its root fetched
	local validity=
	[ -n "${1:-}" ] && validity="\"certificateValidityPeriod\":$1,"
	cat >"$tmp/pebble.json" <<EOF
{"pebble":{"listenAddress":"$ACME","managementListenAddress":"$MGMT",
"certificate":"$tmp/pki/leaf.pem","privateKey":"$tmp/pki/leaf.key",
"httpPort":16628,"tlsPort":16629,"ocspResponderURL":"",
$validity
"externalAccountBindingRequired":false}}
EOF
	# a quarter of the nonces rejected: every step of the role rides on
	# badNonce retries
	PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 PEBBLE_WFE_NONCEREJECT=25 \
		pebble -config "$tmp/pebble.json" \
		-dnsserver 127.0.0.1:$A_PORT >>"$tmp/pebble.log" 2>&1 &
	pebble_pid=$!
	pids+=("$pebble_pid")
	for _ in $(seq 50); do
		get "https://$ACME/dir" "$tmp/pki/ca.pem" >/dev/null && break
		sleep 0.1
	done
	get "https://$MGMT/roots/0" "$tmp/pki/ca.pem" >"$tmp/root.pem"
}
pebble_start
check "pebble's root from its management port" grep -q "BEGIN CERTIFICATE" "$tmp/root.pem"

# ---- the primary's repository ----
"$KEYGEN" -f dnskey l._transfer >"$tmp/l.dnskey"
"$KEYGEN" -f dnskey le._update >"$tmp/le.dnskey"
"$KEYGEN" -f dnskey svc._update.example.org >"$tmp/svc.dnskey"
git init -q --bare -b main "$tmp/remote.git"
git init -q -b main "$tmp/work"
cat >"$tmp/work/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 300
@	SOA	ns1 hostmaster 1 3600 600 86400 60
	NS	ns1
ns1	A	192.0.2.53
www	A	192.0.2.80
EOF
cat "$tmp/l.dnskey" "$tmp/le.dnskey" >"$tmp/work/_keys"
cp "$tmp/svc.dnskey" "$tmp/work/example.org._keys"
# other.test: the role's update key for it is one the primary does not
# know, so the primary refuses the role's UPDATEs there
cat >"$tmp/work/other.test" <<'EOF'
$ORIGIN other.test.
$TTL 300
@	SOA	ns1 hostmaster 1 3600 600 86400 60
	NS	ns1
ns1	A	192.0.2.53
EOF
"$KEYGEN" -f dnskey svc._update.other.test >"$tmp/work/other.test._keys"
"$KEYGEN" -f dnskey bad._update.other.test >"$tmp/bad.dnskey"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zone
git -C "$tmp/work" push -q "$tmp/remote.git" main
cat >"$tmp/a.conf" <<EOF
role primary
listen 127.0.0.1:$A_PORT
workdir $tmp/a
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
notify-port $LE_PORT
EOF
cat >"$tmp/le.conf" <<EOF
role letsencrypt
listen 127.0.0.1:$LE_PORT
metrics-listen 127.0.0.1:$LE_METRICS
workdir $tmp/le
primary 127.0.0.1:$A_PORT
key l._transfer:SHA256:$(secret "$tmp/l.dnskey")
key le._update:SHA256:$(secret "$tmp/le.dnskey")
key bad._update.other.test:SHA256:$(secret "$tmp/bad.dnskey")
acme-directory https://$ACME/dir
acme-ca-file $tmp/pki/ca.pem
acme-email hostmaster@example.org
log-level debug
EOF
SVC=svc._update.example.org:SHA256:$(secret "$tmp/svc.dnskey")
"$DNSD" -c "$tmp/a.conf" 2>"$tmp/a.log" &
pids+=("$!")
wait_answer $A_PORT 192.0.2.80 www.example.org A || bad "the primary serves example.org"
"$DNSD" -c "$tmp/le.conf" -t >"$tmp/t.out" 2>&1
check "dnsd -t on the letsencrypt config: $(tail -1 "$tmp/t.out")" grep -q "configuration OK" "$tmp/t.out"
le_start() {
	"$DNSD" -c "$tmp/le.conf" 2>>"$tmp/le.log" &
	le_pid=$!
	pids+=("$le_pid")
}
le_restart() { # a new pebble has a new root and no accounts: a new role
	kill "$le_pid"
	wait "$le_pid" 2>/dev/null
	le_start
}
le_start
for _ in $(seq 50); do
	grep -q "AXFR in zone example.org" "$tmp/le.log" && break
	sleep 0.2
done
check "the role replicates example.org through the root key" grep -q "AXFR in zone example.org" "$tmp/le.log"
check "the role answers no query" bash -c "dig +time=2 +tries=1 -p $LE_PORT @127.0.0.1 www.example.org A | grep -q 'status: REFUSED'"

# certify NAME [ARGS...]: dnsd-certify for NAME in $tmp/svc; its exit
# status in $rc, its output in $tmp/svc/NAME.out
certify() {
	local name=$1
	shift
	(cd "$tmp/svc" && "$CERTIFY" 127.0.0.1:$A_PORT "$name" --key "$SVC" --timeout 90 "$@") \
		>"$tmp/svc/$name.out" 2>&1
	rc=$?
}
# verified NAME SANS: the chain dnsd-certify wrote verifies against
# pebble's root and its SANs are exactly SANS (", "-separated, in order)
verified() {
	local pem=$tmp/svc/$1.pem
	awk '/BEGIN/{n++} n==1' "$pem" >"$tmp/ee.pem"
	awk '/BEGIN/{n++} n>1' "$pem" >"$tmp/chain.pem"
	openssl verify -CAfile "$tmp/root.pem" -untrusted "$tmp/chain.pem" "$tmp/ee.pem" >/dev/null 2>&1 || return 1
	local got
	got=$(openssl x509 -in "$tmp/ee.pem" -noout -ext subjectAltName 2>/dev/null | tail -1 | sed 's/^ *//')
	[ "$got" = "$2" ] || {
		echo "# SANs: $got, wanted $2"
		return 1
	}
}
no_txt() { # no_txt NAME: no TXT left at _acme-challenge.NAME on the primary
	[ -z "$(dig +short -p $A_PORT @127.0.0.1 "_acme-challenge.$1" TXT)" ]
}
in_git() { # in_git NAME: the CSR, certificate and CA records in the remote
	local f o=_letsencrypt._tcp.${1%.example.org}
	[ "$1" = example.org ] && o=_letsencrypt._tcp
	f=$(git -C "$tmp/remote.git" show main:example.org)
	grep -q "^$o .* TLSA 3 255 0 " <<<"$f" &&
		grep -q "^$o .* TLSA 3 0 0 " <<<"$f" &&
		grep -q "^$o .* TLSA 2 0 0 " <<<"$f"
}

# ---- one name ----
certify www.example.org
check "one name: issued (status $rc: $(tail -1 "$tmp/svc/www.example.org.out"))" [ "$rc" -eq 0 ]
check "one name: verifies, SANs exactly the name" verified www.example.org "DNS:www.example.org"
for _ in $(seq 30); do no_txt www.example.org && break; sleep 0.2; done
check "one name: the TXT is gone" no_txt www.example.org
for _ in $(seq 50); do in_git www.example.org && break; sleep 0.2; done
check "one name: CSR, certificate and CA committed in the remote" in_git www.example.org
check "the role logged the order and the publication" \
	bash -c "grep -q 'letsencrypt _letsencrypt._tcp.www.example.org. (CSR [0-9a-f]*): order https://' '$tmp/le.log' && grep -q 'letsencrypt _letsencrypt._tcp.www.example.org. (CSR [0-9a-f]*): certificate published' '$tmp/le.log'"

curl -sf "http://127.0.0.1:$LE_METRICS/metrics" >"$tmp/le.metrics"
check "metrics: promtool accepts the role's" promtool check metrics <"$tmp/le.metrics"
check "metrics: an order issued" \
	[ "$(le_metric '^dnsd_acme_orders_total[{]result="issued"[}]$')" -ge 1 ]
expiry=$(le_metric '^dnsd_acme_certificate_expiry_seconds[{]certificate="_letsencrypt._tcp.www.example.org."[}]$')
check "metrics: the certificate expires in the future ($expiry s)" \
	awk -v e="${expiry:-0}" 'BEGIN { exit !(e > 0) }'
check "metrics: the request is idle" \
	[ "$(le_metric '^dnsd_acme_requests[{]state="idle"[}]$')" -ge 1 ]

# ---- asked again: current, nothing ordered ----
orders=$(grep -c ': order https://' "$tmp/le.log")
certify www.example.org
check "asked again: already current (status $rc)" [ "$rc" -eq 3 ]
sleep 1
check "asked again: no new order" [ "$(grep -c ': order https://' "$tmp/le.log")" -eq "$orders" ]

# ---- two names ----
certify mail.example.org --additional smtp.example.org
check "two names: issued (status $rc: $(tail -1 "$tmp/svc/mail.example.org.out"))" [ "$rc" -eq 0 ]
check "two names: verifies, SANs exactly both" verified mail.example.org "DNS:mail.example.org, DNS:smtp.example.org"
for _ in $(seq 50); do in_git mail.example.org && break; sleep 0.2; done
check "two names: committed in the remote" in_git mail.example.org
check "two names: the TXTs are gone" bash -c "$(declare -f no_txt); A_PORT=$A_PORT; no_txt mail.example.org && no_txt smtp.example.org"

# ---- a wildcard and its apex ----
certify example.org --additional '*.example.org'
check "wildcard and apex: issued (status $rc: $(tail -1 "$tmp/svc/example.org.out"))" [ "$rc" -eq 0 ]
check "wildcard and apex: verifies, SANs exactly both" verified example.org "DNS:example.org, DNS:*.example.org"
check "wildcard and apex: the TXTs are gone" no_txt example.org
for _ in $(seq 50); do in_git example.org && break; sleep 0.2; done
check "wildcard and apex: committed in the remote" in_git example.org

# ---- the role restarted mid-order resumes it ----
: >"$tmp/le.log.2"
(cd "$tmp/svc" && "$CERTIFY" 127.0.0.1:$A_PORT api.example.org --key "$SVC" --timeout 120) \
	>"$tmp/svc/api.out" 2>&1 &
cpid=$!
# pebble frozen the moment the order exists, so the role is stopped with
# the order surely in flight
for _ in $(seq 500); do
	grep -q "_letsencrypt._tcp.api.example.org. (CSR [0-9a-f]*): order https://" "$tmp/le.log" && break
	sleep 0.02
done
kill -STOP "$pebble_pid"
kill "$le_pid"
wait "$le_pid" 2>/dev/null
check "restart: the order was written to the state file" grep -q '"order": "https://' "$tmp/le/letsencrypt.state"
le_start
kill -CONT "$pebble_pid"
wait "$cpid"
rc=$?
check "restart: issued all the same (status $rc: $(tail -1 "$tmp/svc/api.out"))" [ "$rc" -eq 0 ]
check "restart: the order was resumed" grep -q "_letsencrypt._tcp.api.example.org. (CSR [0-9a-f]*): resuming order https://" "$tmp/le.log"
check "restart: one order for the CSR" [ "$(grep -c "_letsencrypt._tcp.api.example.org. (CSR [0-9a-f]*): order https://" "$tmp/le.log")" -eq 1 ]
check "restart: verifies" verified api.example.org "DNS:api.example.org"

# ---- requests never ordered ----
ukey=hmac-sha256:svc._update.example.org:$(secret "$tmp/svc.dnskey")
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/o.key" \
	-subj /CN=www.example.com -outform DER -out "$tmp/outside.der" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/b.key" \
	-subj /CN=bad.example.org -outform DER -out "$tmp/bad.der" 2>/dev/null
# a byte of the signature flipped: the last octet of the DER
"$PY" -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[-1]^=1; open(sys.argv[1],"wb").write(d)' "$tmp/bad.der"
{
	echo "server 127.0.0.1 $A_PORT"
	echo "zone example.org"
	echo "update add _letsencrypt._tcp.outside.example.org 300 TLSA 3 255 0 $(xxd -p "$tmp/outside.der" | tr -d '\n')"
	echo "update add _letsencrypt._tcp.bad.example.org 300 TLSA 3 255 0 $(xxd -p "$tmp/bad.der" | tr -d '\n')"
	echo send
} | nsupdate -y "$ukey" >"$tmp/nsupdate.out" 2>&1
check "the two bad requests are published" [ $? -eq 0 ]
for _ in $(seq 50); do
	grep -q "_letsencrypt._tcp.bad.example.org.*never ordered" "$tmp/le.log" &&
		grep -q "_letsencrypt._tcp.outside.example.org.*never ordered" "$tmp/le.log" && break
	sleep 0.2
done
check "a CSR with a bad signature: logged, never ordered" \
	grep -q "_letsencrypt._tcp.bad.example.org. (CSR [0-9a-f]*): the CSR signature does not verify.*never ordered" "$tmp/le.log"
check "a CSR for a name outside the update key's zones: logged, never ordered" \
	grep -q "_letsencrypt._tcp.outside.example.org. (CSR [0-9a-f]*): name www.example.com is in no zone replicated here; never ordered" "$tmp/le.log"
check "... neither was ordered" bash -c "! grep -q '_letsencrypt._tcp.\(bad\|outside\).example.org. (CSR [0-9a-f]*): order' '$tmp/le.log'"
certify www.example.org
check "the other names are still served (status $rc)" [ "$rc" -eq 3 ]

# ---- the primary refuses the role's UPDATE: logged, backoff, nothing
# published, the TXT never there ----
okey=hmac-sha256:svc._update.other.test:$(awk '{print $NF}' "$tmp/work/other.test._keys")
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/r.key" \
	-subj /CN=www.other.test -outform DER -out "$tmp/refused.der" 2>/dev/null
printf 'server 127.0.0.1 %s\nzone other.test\nupdate add _letsencrypt._tcp.www.other.test 300 TLSA 3 255 0 %s\nsend\n' \
	$A_PORT "$(xxd -p "$tmp/refused.der" | tr -d '\n')" | nsupdate -y "$okey" >/dev/null 2>&1
for _ in $(seq 100); do
	grep -q "_letsencrypt._tcp.www.other.test. (CSR [0-9a-f]*): the UPDATE adding the challenge TXT at _acme-challenge.www.other.test.: .*; next try in 60 s" "$tmp/le.log" && break
	sleep 0.2
done
check "a refused UPDATE: logged with the reason and a backoff" \
	grep -q "_letsencrypt._tcp.www.other.test. (CSR [0-9a-f]*): the UPDATE adding the challenge TXT at _acme-challenge.www.other.test.: .*; next try in 60 s" "$tmp/le.log"
check "a refused UPDATE: nothing published" bash -c "! grep -q '_letsencrypt._tcp.www.other.test. (CSR [0-9a-f]*): certificate published' '$tmp/le.log'"
check "a refused UPDATE: no TXT there" [ -z "$(dig +short -p $A_PORT @127.0.0.1 _acme-challenge.www.other.test TXT)" ]
check "metrics: the failed order counted, the request waits to retry" \
	[ "$(le_metric '^dnsd_acme_orders_total[{]result="failed"[}]$')" -ge 1 ] &&
	[ "$(le_metric '^dnsd_acme_requests[{]state="retry_wait"[}]$')" -ge 1 ]
check "a refused UPDATE: one order, not one per retry" [ "$(grep -c '_letsencrypt._tcp.www.other.test. (CSR [0-9a-f]*): order https' "$tmp/le.log")" -eq 1 ]

# ---- the CA down: a clear log line and a backoff, no order ----
kill "$pebble_pid"
wait "$pebble_pid" 2>/dev/null
(cd "$tmp/svc" && "$CERTIFY" 127.0.0.1:$A_PORT down.example.org --key "$SVC" --timeout 0) >/dev/null 2>&1
for _ in $(seq 100); do
	grep -q "_letsencrypt._tcp.down.example.org. (CSR [0-9a-f]*): newOrder: .*; next try in [0-9]* s" "$tmp/le.log" && break
	sleep 0.2
done
check "the CA down: newOrder fails with the reason and a backoff" \
	grep -q "_letsencrypt._tcp.down.example.org. (CSR [0-9a-f]*): newOrder: .*; next try in 60 s" "$tmp/le.log"
check "the CA down: no order made" bash -c "! grep -q '_letsencrypt._tcp.down.example.org. (CSR [0-9a-f]*): order https' '$tmp/le.log'"

# ---- renewal: certificates valid for 30 s renew after 20 s, same key ----
pebble_start 30
le_restart
certify renew.example.org
check "renewal: issued (status $rc)" [ "$rc" -eq 0 ]
first=$(openssl x509 -in "$tmp/svc/renew.example.org.pem" -noout -serial 2>/dev/null)
spki() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'; }
k1=$(spki "$tmp/svc/renew.example.org.pem")
renewed=
for _ in $(seq 60); do
	if [ "$(grep -c '_letsencrypt._tcp.renew.example.org. (CSR [0-9a-f]*): certificate published' "$tmp/le.log")" -ge 2 ]; then
		renewed=1
		break
	fi
	sleep 0.5
done
check "renewal: a second certificate is published within its lifetime" [ -n "$renewed" ]
(cd "$tmp/svc" && "$CERTIFY" 127.0.0.1:$A_PORT renew.example.org --key "$SVC" --timeout 5) >/dev/null 2>&1
second=$(openssl x509 -in "$tmp/svc/renew.example.org.pem" -noout -serial 2>/dev/null)
check "renewal: the certificate in DNS is a new one ($first / $second)" [ -n "$second" ] && [ "$first" != "$second" ]
check "renewal: with the same key" [ "$(spki "$tmp/svc/renew.example.org.pem")" = "$k1" ]

[ -n "${KEEP:-}" ] && cp -r "$tmp" "$KEEP"
finish
