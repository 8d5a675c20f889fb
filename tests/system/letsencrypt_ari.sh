#!/usr/bin/env bash
# What pebble 2.4.0 lacks, through the letsencrypt role against a real
# pebble (127.0.0.1:16632, management 16633) whose directory is served
# by a front of a few lines (plain http, 16634) that adds ARI's
# renewalInfo (answered by the front, its window set by the test) and a
# profile list; the role (16631) on a dnsd git primary (16630):
# - acme-key-type ec384: the account key created is P-384 (ES384 JWS,
#   which pebble checks);
# - acme-profile: newOrder asks for the profile the directory lists;
# - ARI: renewalInfo is asked for the certificate issued, again after
#   its Retry-After; a suggested window far ahead holds the renewal back
#   though the last third of the certificate's lifetime has begun; the
#   window moved into the past renews at once, naming the certificate
#   replaced (the CertID renewalInfo was asked with), with the same key.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need pebble openssl dig git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
CERTIFY=$DNSD_BUILD/src/tools/dnsd-certify
A_PORT=16630
LE_PORT=16631
ACME=127.0.0.1:16632
MGMT=127.0.0.1:16633
FRONT=127.0.0.1:16634
VALIDITY=60 # s: the last third begins after 40 s
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
secret() { awk '{print $NF}' "$1"; }

mkdir -p "$tmp/le" "$tmp/a" "$tmp/svc"
test_pki "$tmp/pki" || {
	echo "cannot make the test PKI"
	exit 1
}
cat >"$tmp/pebble.json" <<EOF
{"pebble":{"listenAddress":"$ACME","managementListenAddress":"$MGMT",
"certificate":"$tmp/pki/leaf.pem","privateKey":"$tmp/pki/leaf.key",
"httpPort":16638,"tlsPort":16639,"ocspResponderURL":"",
"certificateValidityPeriod":$VALIDITY,
"externalAccountBindingRequired":false}}
EOF
PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 pebble -config "$tmp/pebble.json" \
	-dnsserver 127.0.0.1:$A_PORT >"$tmp/pebble.log" 2>&1 &
pids+=("$!")

# The front: GET /dir is pebble's directory plus renewalInfo and
# meta.profiles (every other URL still pebble's own); GET /ari/CERTID
# answers the window in $tmp/window ("START END" as seconds from now),
# with Retry-After: 2, and logs the CertID.
echo "86400 172800" >"$tmp/window"
cat >"$tmp/front.py" <<'EOF'
import http.server, json, ssl, sys, time, urllib.request
port, pebble, ca, window, log = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=ca)
def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, obj, extra=()):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/dir":
            d = json.load(urllib.request.urlopen("https://%s/dir" % pebble, context=ctx))
            d["renewalInfo"] = "http://127.0.0.1:%s/ari" % port
            d.setdefault("meta", {})["profiles"] = {"shortlived": "short", "classic": "long"}
            return self.reply(d)
        if self.path.startswith("/ari/"):
            start, end = (int(x) for x in open(window).read().split())
            now = time.time()
            with open(log, "a") as f:
                f.write("ari %s\n" % self.path[5:])
            return self.reply({"suggestedWindow": {"start": stamp(now + start), "end": stamp(now + end)}},
                              [("Retry-After", "2")])
        self.send_error(404)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H).serve_forever()
EOF
: >"$tmp/front.log"
"$PY" "$tmp/front.py" "${FRONT#*:}" "$ACME" "$tmp/pki/ca.pem" "$tmp/window" "$tmp/front.log" 2>"$tmp/front.err" &
pids+=("$!")
for _ in $(seq 50); do
	curl -sf "http://$FRONT/dir" >"$tmp/dir.json" 2>/dev/null && break
	sleep 0.1
done
check "the front serves pebble's directory with renewalInfo" grep -q '"renewalInfo"' "$tmp/dir.json"

# ---- a primary and the role ----
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
workdir $tmp/le
primary 127.0.0.1:$A_PORT
key l._transfer:SHA256:$(secret "$tmp/l.dnskey")
key le._update:SHA256:$(secret "$tmp/le.dnskey")
acme-directory http://$FRONT/dir
acme-ca-file $tmp/pki/ca.pem
acme-key-type ec384
acme-profile shortlived
log-level debug
EOF
"$DNSD" -c "$tmp/a.conf" 2>"$tmp/a.log" &
pids+=("$!")
wait_answer $A_PORT 192.0.2.80 www.example.org A || bad "the primary serves example.org"
"$DNSD" -c "$tmp/le.conf" -t >"$tmp/t.out" 2>&1
check "dnsd -t names the key type and the profile" has "$tmp/t.out" '(ec384 when created), profile shortlived'
"$DNSD" -c "$tmp/le.conf" 2>"$tmp/le.log" &
pids+=("$!")
wait_log "$tmp/le.log" "ACME account .* (created)" 1
check "acme-key-type ec384: a P-384 account key, mode 0600" \
	bash -c "openssl pkey -in '$tmp/le/acme-account.key' -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-384' && [ \"\$(stat -c %a '$tmp/le/acme-account.key')\" = 600 ]"

# ---- an order with the profile, no replaces ----
SVC=svc._update.example.org:SHA256:$(secret "$tmp/svc.dnskey")
(cd "$tmp/svc" && "$CERTIFY" 127.0.0.1:$A_PORT ari.example.org --key "$SVC" --timeout 60) \
	>"$tmp/svc/out" 2>&1
rc=$?
check "issued through the front (status $rc: $(tail -1 "$tmp/svc/out"))" [ "$rc" -eq 0 ]
t0=$(date +%s)
check "acme-profile: newOrder asks for it, with nothing to replace" \
	grep -q 'ari.example.org. (CSR [0-9a-f]*): newOrder for 1 name, profile shortlived$' "$tmp/le.log"
spki() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'; }
k1=$(spki "$tmp/svc/ari.example.org.pem")
first=$(openssl x509 -in "$tmp/svc/ari.example.org.pem" -noout -serial 2>/dev/null)

# ---- a window far ahead holds the renewal back past the last third ----
wait_log "$tmp/front.log" '^ari ' 1
certid=$(awk '/^ari /{print $2; exit}' "$tmp/front.log")
check "renewalInfo asked for the certificate issued ($certid)" [ -n "$certid" ]
check "the window logged with the time chosen in it" grep -q 'ari.example.org.: ARI window .* to .*, renewal at ' "$tmp/le.log"
sleep $((t0 + VALIDITY * 2 / 3 + 4 - $(date +%s)))
check "in the last third, a window ahead: no second order" \
	[ "$(grep -c 'ari.example.org. (CSR [0-9a-f]*): newOrder' "$tmp/le.log")" -eq 1 ]
check "renewalInfo asked again after its Retry-After" \
	[ "$(grep -c "^ari $certid\$" "$tmp/front.log")" -ge 3 ]

# ---- the window moved into the past: renewed at once ----
echo "-7200 -3600" >"$tmp/window"
for _ in $(seq 100); do
	[ "$(grep -c 'ari.example.org. (CSR [0-9a-f]*): certificate published' "$tmp/le.log")" -ge 2 ] && break
	sleep 0.2
done
check "renewal due by ARI's window, not the last third" \
	grep -q "ari.example.org. (CSR [0-9a-f]*): renewal due (ARI's window)" "$tmp/le.log"
check "the renewal's newOrder names the certificate replaced" \
	grep -q "ari.example.org. (CSR [0-9a-f]*): newOrder for 1 name, profile shortlived, replaces $certid\$" "$tmp/le.log"
check "a second certificate published" \
	[ "$(grep -c 'ari.example.org. (CSR [0-9a-f]*): certificate published' "$tmp/le.log")" -ge 2 ]
(cd "$tmp/svc" && "$CERTIFY" 127.0.0.1:$A_PORT ari.example.org --key "$SVC" --timeout 5) >/dev/null 2>&1
second=$(openssl x509 -in "$tmp/svc/ari.example.org.pem" -noout -serial 2>/dev/null)
check "renewed: a new certificate ($first / $second)" [ -n "$second" ] && [ "$first" != "$second" ]
check "renewed: with the same key" [ "$(spki "$tmp/svc/ari.example.org.pem")" = "$k1" ]

[ -n "${KEEP:-}" ] && cp -r "$tmp" "$KEEP"
finish
