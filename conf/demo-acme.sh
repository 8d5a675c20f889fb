#!/usr/bin/env bash
# The README's certificate demo, in one go on loopback: a test CA
# (pebble, with a CA and TLS certificate made here), a dnsd git primary
# with the example zones, the letsencrypt role as its hidden secondary,
# and dnsd-certify asking for a certificate for www.example.org and
# mail.example.org. Prints the certificate's subject, SANs and issuer,
# then stops everything (the files stay in DIR).
#
#   conf/demo-acme.sh [DIR]      default: a new temporary directory
#   DNSD_DEMO_PORT=5310          the primary's port; the role, pebble and
#                                its management port take the next three
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${DNSD_BUILD:-$top/build}
dnsd=$build/src/daemon/dnsd
tools=$build/src/tools
[ -x "$dnsd" ] || { echo "demo-acme: build dnsd first (cmake --build build)" >&2; exit 1; }
command -v pebble >/dev/null || { echo "demo-acme: needs pebble (.ci/deps installs it)" >&2; exit 1; }
port=${DNSD_DEMO_PORT:-5310}
le_port=$((port + 1)) acme=127.0.0.1:$((port + 2)) mgmt=127.0.0.1:$((port + 3))
dir=${1:-$(mktemp -d /tmp/dnsd-acme-demo.XXXXXX)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
export GIT_AUTHOR_NAME="dnsd demo" GIT_AUTHOR_EMAIL="demo@example.org"
export GIT_COMMITTER_NAME="dnsd demo" GIT_COMMITTER_EMAIL="demo@example.org"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
step() { printf '== %s\n' "$*"; }

step "a CA and a TLS certificate for pebble ($dir/pki)"
mkdir -p "$dir/pki" "$dir/primary" "$dir/letsencrypt" "$dir/service"
(
	cd "$dir/pki"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -subj /CN=demo-tls-ca -days 2 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tls.key -out tls.csr -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
	openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 2 -extfile ext -out tls.pem 2>/dev/null
)

step "pebble on $acme, checking DNS-01 at the primary"
cat >"$dir/pebble.json" <<EOF
{"pebble":{"listenAddress":"$acme","managementListenAddress":"$mgmt",
"certificate":"$dir/pki/tls.pem","privateKey":"$dir/pki/tls.key",
"httpPort":$((port + 4)),"tlsPort":$((port + 5)),"ocspResponderURL":"",
"externalAccountBindingRequired":false}}
EOF
PEBBLE_VA_NOSLEEP=1 pebble -config "$dir/pebble.json" \
	-dnsserver 127.0.0.1:$port >"$dir/pebble.log" 2>&1 &
pids+=("$!")

step "the git repository: the example zones, the role's keys and the service's"
if [ ! -d "$dir/zones.git" ]; then
	git init -q --bare -b main "$dir/zones.git"
	git clone -q "$dir/zones.git" "$dir/work" 2>/dev/null
	cp "$top"/conf/zones/* "$dir/work/"
	# the role: a root transfer key (learns every zone) and a root
	# update key (writes challenges and certificates)
	"$tools/dnsd-keygen" -f dnskey le._transfer >"$dir/work/_keys"
	"$tools/dnsd-keygen" -f dnskey le._update >>"$dir/work/_keys"
	# the service: may update example.org only
	"$tools/dnsd-keygen" -f dnskey service._update.example.org \
		>"$dir/work/example.org._keys"
	git -C "$dir/work" add -A
	git -C "$dir/work" commit -q -m "example zones and keys"
	git -C "$dir/work" push -q origin main
fi
secret() { awk -v k="$1." '$1 == k {print $NF}' "$2"; }
cat >"$dir/primary.conf" <<EOF
role primary
listen 127.0.0.1:$port
workdir $dir/primary
git-remote $dir/zones.git
git-author "dnsd demo <dnsd@example.org>"
notify-port $le_port
EOF
cat >"$dir/letsencrypt.conf" <<EOF
role letsencrypt
listen 127.0.0.1:$le_port
workdir $dir/letsencrypt
primary 127.0.0.1:$port
key le._transfer:SHA256:$(secret le._transfer "$dir/work/_keys")
key le._update:SHA256:$(secret le._update "$dir/work/_keys")
acme-directory https://$acme/dir
acme-ca-file $dir/pki/ca.pem
acme-email hostmaster@example.org
EOF

step "dnsd primary on 127.0.0.1:$port, letsencrypt role on 127.0.0.1:$le_port"
"$dnsd" -c "$dir/primary.conf" 2>"$dir/primary.log" &
pids+=("$!")
"$dnsd" -c "$dir/letsencrypt.conf" 2>"$dir/letsencrypt.log" &
pids+=("$!")
sleep 1

step "dnsd-certify: a key, a CSR in DNS, and the certificate the role publishes"
key=service._update.example.org:SHA256:$(secret service._update.example.org "$dir/work/example.org._keys")
(cd "$dir/service" && "$tools/dnsd-certify" 127.0.0.1:$port www.example.org \
	--additional mail.example.org --key "$key" --timeout 120)

pem=$dir/service/www.example.org.pem
step "the certificate ($pem)"
openssl x509 -in "$pem" -noout -subject -ext subjectAltName -issuer -enddate |
	sed 's/^/   /'
echo "The records it came in: dig @127.0.0.1 -p $port _letsencrypt._tcp.www.example.org TLSA"
echo "Logs: $dir/primary.log, $dir/letsencrypt.log, $dir/pebble.log"
