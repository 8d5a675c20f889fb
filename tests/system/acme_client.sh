#!/usr/bin/env bash
# The ACME client (src/daemon/acmeclient.c, driven by tests/system/acme_run)
# against a real pebble CA, with DNS-01 answered by a dnsd primary serving a
# zones-dir the test rewrites: an account created, then found again
# (onlyReturnExisting); an order for an apex, its wildcard and a name
# below ending valid, with a certificate whose SANs are exactly the names
# and that verifies against pebble's root; keys of every type (ES256,
# ES384, RS256); pebble rejecting half the nonces (badNonce retried) with
# an EAB account; and clean errors with the problem type when the DNS
# answer is wrong, when the CA requires EAB and none is given, and when
# pebble is down. What pebble 2.4.0 lacks (ARI, profiles, Retry-After,
# alreadyReplaced) against a fake CA of a few lines (python, plain http,
# signatures not checked). Ports 16600-16609 on 127.0.0.1.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
ACME_RUN=$DNSD_BUILD/tests/acme_run
ACME=127.0.0.1:16600 MGMT=127.0.0.1:16601 DNSPORT=16602 FAKEPORT=16603
DIR=https://$ACME/dir
need pebble openssl dig
# get URL [CAFILE]: its body on stdout, 1 when it does not answer 200 (no
# curl binary among the test dependencies: python's standard library)
get() {
	"$PY" -c 'import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None
sys.stdout.write(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=5).read().decode())' "$@" 2>/dev/null
}
[ -x "$ACME_RUN" ] || {
	echo "missing $ACME_RUN"
	exit 1
}

# --- a CA and a TLS leaf for pebble (the package ships none) ---
mkdir -p "$tmp/pki" "$tmp/zones" "$tmp/work" "$tmp/keys"
test_pki "$tmp/pki" || {
	echo "cannot make the test PKI"
	exit 1
}
CA=$tmp/pki/ca.pem
EAB_KID=kid-1
EAB_HMAC=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W

# pebble_start NONCEREJECT EAB(true|false): pebble on $ACME, its pid in
# $pebble_pid, waited for until its directory answers.
pebble_start() {
	local keys=
	if [ "$2" = true ]; then keys=",\"externalAccountMACKeys\":{\"$EAB_KID\":\"$EAB_HMAC\"}"; fi
	cat >"$tmp/pebble.json" <<EOF
{"pebble":{"listenAddress":"$ACME","managementListenAddress":"$MGMT",
"certificate":"$tmp/pki/leaf.pem","privateKey":"$tmp/pki/leaf.key",
"httpPort":16608,"tlsPort":16609,"ocspResponderURL":"",
"externalAccountBindingRequired":$2$keys}}
EOF
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=$1 PEBBLE_AUTHZREUSE=0 \
		pebble -config "$tmp/pebble.json" -dnsserver 127.0.0.1:$DNSPORT \
		>>"$tmp/pebble.log" 2>&1 &
	pebble_pid=$!
	pids+=("$pebble_pid")
	for _ in $(seq 50); do
		get "$DIR" "$CA" >/dev/null && return 0
		sleep 0.1
	done
	echo "pebble does not start"
	tail "$tmp/pebble.log"
	return 1
}
pebble_stop() {
	kill "$pebble_pid" 2>/dev/null
	wait "$pebble_pid" 2>/dev/null
}

# --- the DNS-01 answers: a dnsd primary serving $tmp/zones ---
serial=1
# zone TXT-LINES...: example.test with the next serial and those records
zone() {
	serial=$((serial + 1))
	{
		# shellcheck disable=SC2016 # $ORIGIN and $TTL are zone-file text
		printf '$ORIGIN example.test.\n$TTL 5\n@ SOA ns1 hostmaster %s 3600 600 86400 5\n' "$serial"
		printf '@ NS ns1\nns1 A 127.0.0.1\n'
		printf '%s\n' "$@"
	} >"$tmp/zones/example.test"
}
zone
cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$DNSPORT
zones-dir $tmp/zones
workdir $tmp/work
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/dnsd.log"
DNSD_PID=$pid
wait_answer $DNSPORT "hostmaster" example.test SOA || {
	echo "dnsd does not serve"
	cat "$tmp/dnsd.log"
	exit 1
}

# publish OUT [WRONG]: the TXT lines acme_run printed into the zone
# (WRONG: another value instead), served once dig sees the serial.
publish() {
	local lines=()
	while read -r _ name value; do
		[ -n "${2:-}" ] && value=wrong-value-$RANDOM
		lines+=("$name. TXT \"$value\"")
	done < <(grep '^txt ' "$1")
	zone "${lines[@]}"
	kill -HUP "$DNSD_PID"
	wait_answer $DNSPORT " $serial " example.test SOA
}

# acme NAME OUT-PREFIX [WRONG] -- ARGS...: acme_run ARGS through a whole
# order, its TXT values published when it asks; its stdout in
# OUT-PREFIX.out, stderr in .err, the chain in .pem; returns its status.
acme() {
	local out=$1 wrong=$2 fifo=$tmp/fifo.$RANDOM rc
	shift 3
	mkfifo "$fifo"
	"$ACME_RUN" --directory "$DIR" --ca-file "$CA" --out "$out.pem" --debug "$@" \
		<"$fifo" >"$out.out" 2>"$out.err" &
	local apid=$!
	pids+=("$apid")
	exec 3>"$fifo"
	for _ in $(seq 150); do
		grep -q '^publish\|^error\|^done' "$out.out" && break
		kill -0 "$apid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^publish' "$out.out"; then
		publish "$out.out" "$wrong"
	fi
	# in a subshell: acme_run may have ended, and SIGPIPE is its alone
	(echo go >&3) 2>/dev/null
	exec 3>&-
	wait "$apid"
	rc=$?
	rm -f "$fifo"
	sed 's/^/# /' "$out.out"
	return "$rc"
}

# sans PEM: the certificate's DNS names, sorted, one line
sans() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
		grep -o 'DNS:[^, ]*' | sed 's/^DNS://' | sort | tr '\n' ' '
}
# shellcheck disable=SC2317 # called through check
# verifies PEM: the first certificate of the chain file verifies against
# pebble's root with the rest of the chain as intermediates
verifies() {
	openssl x509 -in "$1" -out "$1.leaf" 2>/dev/null &&
		openssl verify -CAfile "$tmp/root.pem" -untrusted "$1" "$1.leaf" >/dev/null
}

t0=$(date +%s)

# --- 1. a new account, an apex, its wildcard, a name below ---
pebble_start 0 false || exit 1
get "https://$MGMT/roots/0" "$CA" >"$tmp/root.pem"
check "pebble's root from the management port" grep -q 'BEGIN CERTIFICATE' "$tmp/root.pem"
acme "$tmp/r1" "" -- --key "$tmp/keys/ec256.pem" --email hostmaster@example.test \
	example.test '*.example.test' www.example.test
check "order 1 succeeds" [ $? -eq 0 ]
check "account created" has "$tmp/r1.out" '^account created https://'
check "the order ends valid" has "$tmp/r1.out" '^order .* valid$'
check "two authorizations (the wildcard's on the apex)" \
	[ "$(grep -c '^txt _acme-challenge.example.test ' "$tmp/r1.out")" -eq 2 ]
check "and one below" has "$tmp/r1.out" '^txt _acme-challenge.www.example.test '
check "three valid authorizations" [ "$(grep -c '^valid ' "$tmp/r1.out")" -eq 3 ]
check "the chain downloaded and split (leaf + intermediate)" has "$tmp/r1.out" '^certificate 2$'
check "SANs exactly the names ($(sans "$tmp/r1.pem"))" \
	[ "$(sans "$tmp/r1.pem")" = "*.example.test example.test www.example.test " ]
check "the certificate verifies against pebble's root" verifies "$tmp/r1.pem"
check "pebble has no ARI: a clean ENOTSUP" has "$tmp/r1.out" '^ari .*no renewalInfo.*(not supported)'
check "key file mode 0600" [ "$(stat -c %a "$tmp/keys/ec256.pem")" = 600 ]
check "no secret in the log" hasnt "$tmp/r1.err" 'PRIVATE\|"protected"\|signature'
acct1=$(awk '/^account/{print $3}' "$tmp/r1.out")

# --- 2. the same key again: the account found, not created ---
acme "$tmp/r2" "" -- --key "$tmp/keys/ec256.pem" --email hostmaster@example.test \
	--profile shortlived b.example.test
check "order 2 succeeds" [ $? -eq 0 ]
check "a profile the CA does not list is left out" has "$tmp/r2.err" 'offers no profile "shortlived"'

check "the account found again (onlyReturnExisting)" has "$tmp/r2.out" "^account existing $acct1\$"
check "SAN b.example.test" [ "$(sans "$tmp/r2.pem")" = "b.example.test " ]
check "certificate 2 verifies" verifies "$tmp/r2.pem"
check "the key file kept" [ "$(grep -c 'created' "$tmp/r2.err")" -eq 0 ]

# --- 3. an RS256 account key ---
acme "$tmp/r3" "" -- --key "$tmp/keys/rsa.pem" --key-type rsa2048 c.example.test
check "order with an RSA account key succeeds" [ $? -eq 0 ]
check "RSA key created" has "$tmp/r3.err" 'account key .* created (rsa2048)'
check "certificate 3 verifies" verifies "$tmp/r3.pem"

# --- 4. a wrong DNS answer: the authorization fails with its problem ---
acme "$tmp/r4" wrong -- --key "$tmp/keys/ec256.pem" d.example.test '*.d.example.test' \
	dd.example.test
check "a wrong TXT value fails the order" [ $? -eq 1 ]
check "with the problem type" has "$tmp/r4.out" \
	'^error authorization: .*urn:ietf:params:acme:error:unauthorized: authorization is invalid'
check "and no certificate" hasnt "$tmp/r4.out" '^certificate'
pebble_stop

# --- 5. half the nonces rejected, the CA requiring EAB ---
pebble_start 50 true || exit 1
get "https://$MGMT/roots/0" "$CA" >"$tmp/root.pem"
acme "$tmp/r5" "" -- --key "$tmp/keys/ec384.pem" --key-type ec384 --account-only
check "without EAB: refused" [ $? -eq 1 ]
check "saying why" has "$tmp/r5.out" 'error account: .*requires external account binding'
acme "$tmp/r6" "" -- --key "$tmp/keys/ec384.pem" --eab "$EAB_KID:$EAB_HMAC" \
	e.example.test '*.e.example.test'
check "with EAB and badNonces: the order succeeds" [ $? -eq 0 ]
check "EAB account created" has "$tmp/r6.out" '^account created'
check "badNonce was retried" has "$tmp/r6.err" 'badNonce at'
check "SANs of order 6" [ "$(sans "$tmp/r6.pem")" = "*.e.example.test e.example.test " ]
check "certificate 6 verifies" verifies "$tmp/r6.pem"
check "the EAB key is never logged" hasnt "$tmp/r6.err" "$EAB_HMAC"
pebble_stop

# --- 6. what pebble lacks, against a fake CA: ARI, profiles, replaces,
# alreadyReplaced, a 503 retried after its Retry-After, a 429 reported
# with its Retry-After, a badNonce on the account lookup ---
cat >"$tmp/fake_ca.py" <<'EOF'
import base64, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
port = int(sys.argv[1])
log = open(sys.argv[2], "a")
B = "http://127.0.0.1:%d" % port
n = {"nonce": 0, "acct": 0, "order": 0}
def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def send(self, code, body=None, ctype="application/json", headers={}):
        self.send_response(code)
        n["nonce"] += 1
        self.send_header("Replay-Nonce", "nonce%d" % n["nonce"])
        for k, v in headers.items():
            self.send_header(k, v)
        data = json.dumps(body).encode() if body is not None else b""
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    def problem(self, code, t, detail, headers={}):
        self.send(code, {"type": "urn:ietf:params:acme:error:" + t,
                         "detail": detail, "status": code},
                  "application/problem+json", headers)
    def do_HEAD(self):
        self.send(200)
    def do_GET(self):
        if self.path == "/dir":
            self.send(200, {"newNonce": B + "/nonce", "newAccount": B + "/acct",
                            "newOrder": B + "/order",
                            "renewalInfo": B + "/renewal-info",
                            "meta": {"profiles": {"shortlived": "6 days"}}})
        elif self.path.startswith("/renewal-info/"):
            log.write("ari %s\n" % self.path[len("/renewal-info/"):])
            log.flush()
            self.send(200, {"suggestedWindow": {"start": "2030-01-01T00:00:00Z",
                                                "end": "2030-01-02T00:00:00Z"}},
                      headers={"Retry-After": "21600"})
        else:
            self.send(404)
    def do_POST(self):
        jws = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prot = json.loads(b64d(jws["protected"]))
        payload = b64d(jws["payload"]).decode()
        log.write("%s %s %s\n" % (self.path, prot.get("nonce"), payload))
        log.flush()
        if self.path == "/acct":
            n["acct"] += 1
            if n["acct"] == 1:
                return self.problem(400, "badNonce", "stale nonce")
            return self.send(200, {"status": "valid"},
                             headers={"Location": B + "/acct/1"})
        n["order"] += 1
        if n["order"] == 1:
            return self.problem(503, "serverInternal", "busy", {"Retry-After": "1"})
        if n["order"] == 2:
            return self.problem(409, "alreadyReplaced", "replaced already")
        return self.problem(429, "rateLimited", "too many new orders",
                            {"Retry-After": "3600"})
HTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
"$PY" "$tmp/fake_ca.py" $FAKEPORT "$tmp/fake.log" 2>"$tmp/fake.err" &
pids+=("$!")
for _ in $(seq 50); do
	get "http://127.0.0.1:$FAKEPORT/dir" >/dev/null && break
	sleep 0.1
done
# the CertID of certificate 1 as RFC 9773 makes it, from openssl's view
certid() {
	local aki serial
	aki=$(openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | sed 1d |
		grep -o '[0-9A-F][0-9A-F]\(:[0-9A-F][0-9A-F]\)*' | head -1 | tr -d ':')
	serial=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	"$PY" -c 'import base64,sys
h=lambda x: base64.urlsafe_b64encode(bytes.fromhex(x)).decode().rstrip("=")
s=sys.argv[2]
s=("0"+s) if len(s)%2 else s
s=("00"+s) if int(s[0],16)>=8 else s
print(h(sys.argv[1])+"."+h(s))' "$aki" "$serial"
}
id1=$(certid "$tmp/r1.pem")
acme "$tmp/r8" "" -- --http --directory "http://127.0.0.1:$FAKEPORT/dir" \
	--key "$tmp/keys/ec256.pem" --ari "$tmp/r1.pem" --replaces "$id1" \
	--profile shortlived g.example.test
check "the fake CA refuses the order at last" [ $? -eq 1 ]
check "badNonce on the account lookup retried with a fresh nonce" \
	[ "$(grep -c '^/acct .* {"onlyReturnExisting":true}' "$tmp/fake.log")" -eq 2 ]
check "the two lookups with different nonces" \
	[ "$(grep '^/acct' "$tmp/fake.log" | awk '{print $2}' | sort -u | wc -l)" -eq 2 ]
check "the account found" has "$tmp/r8.out" "^account existing http://127.0.0.1:$FAKEPORT/acct/1\$"
check "renewalInfo asked with the RFC 9773 CertID ($id1)" has "$tmp/fake.log" "^ari $id1\$"
check "the ARI window and its Retry-After" \
	has "$tmp/r8.out" '^ari window 1893456000 1893542400 retry-after +2160[0-9]$'
check "newOrder with the profile and replaces" \
	[ "$(grep -c "^/order .*\"profile\":\"shortlived\",\"replaces\":\"$id1\"" "$tmp/fake.log")" -eq 2 ]
check "the 503 retried after its Retry-After" has "$tmp/r8.err" 'HTTP 503, retrying after 1 s'
check "alreadyReplaced: ordered again without replaces" \
	[ "$(grep '^/order' "$tmp/fake.log" | tail -1 | grep -c replaces)" -eq 0 ]
check "three newOrders in all" [ "$(grep -c '^/order' "$tmp/fake.log")" -eq 3 ]
check "the 429 reported with its type and Retry-After" has "$tmp/r8.out" \
	'^error newOrder: HTTP 429 urn:ietf:params:acme:error:rateLimited: newOrder: too many new orders (limit reached) retry-after +3[56][0-9][0-9]$'

# --- 7. pebble down: a clean transport error at once ---
s=$(date +%s)
acme "$tmp/r7" "" -- --key "$tmp/keys/ec256.pem" f.example.test
check "pebble down: fails" [ $? -eq 1 ]
check "with the transport error" has "$tmp/r7.out" '^error account: directory: .*(input/output error)'
check "quickly" [ $(($(date +%s) - s)) -lt 10 ]

# a sanitizer build (.ci/run) reports into the stderr of acme_run
check "no sanitizer report" hasnt <(cat "$tmp"/r*.err) 'Sanitizer'
echo "# $(($(date +%s) - t0)) s"
finish
