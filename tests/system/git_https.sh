#!/usr/bin/env bash
# The git-backed primary over https://, against a real TLS server started
# here on 127.0.0.1 (git_https_front.py: git http-backend behind Python's
# ssl), with a CA made by this test:
# - the fixture first, with plain git: clone and pull with the CA, a CA
#   that did not sign the server's certificate (same name, other key)
#   refused, and so is the system's bundle alone;
# - dnsd clones with git-ca-file and serves the zones; a commit and a
#   TSIG-signed NOTIFY: a pull ("pull:" with the commit) and the new data;
#   git-poll: a commit picked up without NOTIFY;
# - the remote named by its address (https://127.0.0.1:PORT) and a
#   certificate with that IP address in subjectAltName;
# - a CA that does not match: "certificate" logged, dnsd keeps running,
#   REFUSED for everything without a clone, the clone it had with one;
# - nothing listening: "unreachable", dnsd keeps running.
# shellcheck disable=SC2317 # functions run by check
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
FRONT=$DNSD_SRC/tests/system/git_https_front.py
FRONT_PORT=15940
DNS_PORT=15941 # one dnsd after the other, each on a port of its own: 15941..
DEAD_PORT=15949

need openssl git dig "$PY"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$tmp/gitconfig
printf '[user]\n\tname = dnsd test\n\temail = test@example.org\n' >"$GIT_CONFIG_GLOBAL"

# has_all FILE STRING...: a line of FILE holds every STRING (fixed strings)
has_all() {
	local f=$1 s
	shift
	local lines
	lines=$(cat "$f")
	for s in "$@"; do
		lines=$(grep -F -- "$s" <<<"$lines") || return 1
	done
	return 0
}
# wait_all FILE STRING...: until has_all; 1 after 15 s
wait_all() {
	for _ in $(seq 150); do
		has_all "$@" && return 0
		sleep 0.1
	done
	return 1
}

# ---- the repository ----
REPO=$tmp/root/repo.git
mkdir -p "$tmp/root"
git init -q --bare -b main "$REPO"
zone() { # zone SERIAL WWW-ADDRESS: example.org in the work tree
	cat >"$tmp/work/example.org" <<EOF
\$ORIGIN example.org.
\$TTL 300
@	SOA	ns1 hostmaster $1 3600 600 86400 300
@	NS	ns1
ns1	A	192.0.2.1
www	A	$2
EOF
}
# commit SERIAL WWW-ADDRESS: a commit of that zone pushed to the bare
# repository; its short id (7 hex) in $short
commit() {
	zone "$1" "$2"
	git -C "$tmp/work" commit -q -a -m "example.org: serial $1, www $2" &&
		git -C "$tmp/work" push -q origin main || return 1
	short=$(git -C "$tmp/work" rev-parse HEAD | cut -c1-7)
}
git init -q -b main "$tmp/work"
git -C "$tmp/work" remote add origin "$REPO"
zone 1 192.0.2.80
cat >"$tmp/work/mirage" <<'EOF'
$ORIGIN mirage.
$TTL 3600
@	SOA	ns1	hostmaster	1	86400	7200	1048576	3600
@	NS	ns1
ns1     A       127.0.0.1
www	A	1.1.1.1
EOF
"$KEYGEN" -f dnskey personal._update.example.org >"$tmp/work/example.org._keys"
TSIG=personal._update.example.org:SHA256:$(awk '{print $6}' "$tmp/work/example.org._keys")
git -C "$tmp/work" add example.org mirage example.org._keys
check "initial commit pushed to the bare repository" commit 1 192.0.2.80
short1=$short

# ---- the CAs and the server's certificate ----
P=$tmp/pki
mkdir -p "$P"
mkca() { # mkca NAME: a self-signed CA in $P/NAME.pem, its key in $P/NAME.key
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=dnsd test CA' \
		-addext 'basicConstraints=critical,CA:TRUE' \
		-addext 'keyUsage=critical,keyCertSign,cRLSign' \
		-keyout "$P/$1.key" -out "$P/$1.pem" 2>>"$P/openssl.log"
}
check "CA made" mkca ca
check "a second CA, same name, another key" mkca other-ca
printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=CA:FALSE' \
	'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >"$P/server.ext"
openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout "$P/server.key" \
	-out "$P/server.csr" 2>>"$P/openssl.log" &&
	openssl x509 -req -in "$P/server.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
		-days 2 -extfile "$P/server.ext" -out "$P/server.pem" 2>>"$P/openssl.log"
check "server certificate signed by the CA: $(cat "$P/openssl.log")" [ -s "$P/server.pem" ]
check "the certificate verifies against the CA" \
	openssl verify -CAfile "$P/ca.pem" "$P/server.pem" >/dev/null 2>&1
check "the certificate does not verify against the other CA" \
	bash -c "! openssl verify -CAfile '$P/other-ca.pem' '$P/server.pem' >/dev/null 2>&1"
CA=$P/ca.pem
OTHER_CA=$P/other-ca.pem

# ---- the TLS front ----
"$PY" "$FRONT" --port "$FRONT_PORT" --cert "$P/server.pem" --key "$P/server.key" \
	--root "$tmp/root" 2>"$tmp/front.log" &
pids+=($!)
FRONT_PID=$!
if ! wait_log "$tmp/front.log" "listening on 127.0.0.1:$FRONT_PORT" 1; then
	bad "the TLS front starts: $(cat "$tmp/front.log")"
	finish
fi
ok "the TLS front listens on 127.0.0.1:$FRONT_PORT"
URL=https://localhost:$FRONT_PORT/repo.git
IP_URL=https://127.0.0.1:$FRONT_PORT/repo.git

# ---- the fixture with plain git ----
for u in "$IP_URL" "$URL"; do
	rm -rf "$tmp/plain"
	GIT_SSL_CAINFO=$CA git clone -q "$u" "$tmp/plain" >"$tmp/plain.err" 2>&1
	check "plain git clone $u: $(cat "$tmp/plain.err")" \
		[ "$(git -C "$tmp/plain" rev-parse HEAD 2>/dev/null | cut -c1-7)" = "$short1" ]
done
check "commit 2 pushed" commit 2 192.0.2.81
GIT_SSL_CAINFO=$CA git -C "$tmp/plain" pull -q --ff-only >"$tmp/plain.err" 2>&1
check "plain git pull after commit 2: $(cat "$tmp/plain.err")" \
	[ "$(git -C "$tmp/plain" rev-parse HEAD | cut -c1-7)" = "$short" ]
GIT_SSL_CAINFO=$OTHER_CA git ls-remote "$IP_URL" >"$tmp/plain.out" 2>"$tmp/plain.err"
check "plain git with the other CA fails" [ ! -s "$tmp/plain.out" ]
check "plain git with the other CA: a certificate error ($(cat "$tmp/plain.err"))" \
	grep -qi 'certificate' "$tmp/plain.err"
git ls-remote "$IP_URL" >"$tmp/plain.out" 2>"$tmp/plain.err"
check "plain git with the system's CAs only fails" [ ! -s "$tmp/plain.out" ]
check "the front served git http-backend" has "$tmp/front.log" 'POST /repo.git/git-upload-pack HTTP/1.1" 200'

# ---- dnsd ----
if [ ! -x "$DNSD" ]; then
	bad "no dnsd at $DNSD"
	finish
fi
if "$NOTIFY" --help 2>&1 | grep -q -- --wait; then NOTIFY_WAIT=1; else NOTIFY_WAIT=; fi
n=0
# run_dnsd CA-FILE [URL [MORE-CONFIG]]: a dnsd on the next port with a
# fresh workdir (or $reuse when set), log in $log, pid in $pid, port in
# $port; CA-FILE - for no git-ca-file
run_dnsd() {
	n=$((n + 1))
	port=$((DNS_PORT + n - 1))
	local wd=${reuse:-$tmp/dnsd$n}
	mkdir -p "$wd"
	{
		printf 'role primary\nlisten 127.0.0.1:%s\nworkdir %s\nlog-level debug\n' "$port" "$wd"
		printf 'git-remote %s\n' "${2:-$URL}"
		[ "$1" = - ] || printf 'git-ca-file %s\n' "$1"
		[ -z "${3:-}" ] || printf '%s\n' "$3"
	} >"$tmp/dnsd$n.conf"
	log=$tmp/dnsd$n.log
	: >"$log"
	mark=$(wc -l <"$tmp/front.log")
	dnsd_start "$tmp/dnsd$n.conf" "$log"
}
# stop_dnsd WHAT: it is still running, and stops cleanly on SIGTERM
stop_dnsd() {
	check "$1: dnsd still running" kill -0 "$pid" 2>/dev/null
	kill "$pid" 2>/dev/null
	wait "$pid"
	check "$1: dnsd stops cleanly on SIGTERM" [ $? -eq 0 ]
}
# logged WHAT PATTERN: a line of the log matches PATTERN within 10 s
logged() {
	if wait_log "$log" "$2" 1; then ok; else bad "$1 (log: $(tail -n 3 "$log"))"; fi
}
# pulled WHAT SHORT: dnsd logged a pull of commit SHORT
pulled() {
	if wait_all "$log" 'pull:' "$2"; then ok; else bad "$1: dnsd logs 'pull:' with $2: $(tail -n 5 "$log")"; fi
}
www() { dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 www.example.org A; }
# serves WHAT WWW: www.example.org at WWW, and mirage
serves() {
	if wait_answer "$port" "^${2//./\\.}\$" www.example.org A; then ok; else bad "$1: dnsd serves www.example.org at $2 (got $(www))"; fi
	check "$1: dnsd serves mirage" wait_answer "$port" '^1\.1\.1\.1$' www.mirage A
}
# wait_status STATUS: until dnsd answers a query for www.example.org with
# STATUS; 1 after 10 s or when dnsd has died
wait_status() {
	for _ in $(seq 50); do
		dig +time=1 +tries=1 -p "$port" @127.0.0.1 www.example.org A 2>&1 |
			grep -q "status: $1," && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
# more_lines PATTERN N: until the log has more than N lines matching
# PATTERN; 1 after 15 s
more_lines() {
	for _ in $(seq 150); do
		[ "$(grep -c -- "$1" "$log")" -gt "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# notify WHAT SERIAL: a signed NOTIFY for example.org announcing SERIAL
notify() {
	local args=(127.0.0.1:"$port" example.org --key "$TSIG")
	if [ -n "$NOTIFY_WAIT" ]; then args+=(--serial "$2" --wait=15); fi
	"$NOTIFY" "${args[@]}" >"$tmp/notify.out" 2>&1
	rc=$?
	check "$1: signed NOTIFY answered NOERROR: $(cat "$tmp/notify.out")" [ "$rc" -eq 0 ]
}
front_since() { tail -n +"$((mark + 1))" "$tmp/front.log" >"$tmp/front.since"; }

# clone, NOTIFY, pull
run_dnsd "$CA"
pulled "clone over https" "$short"
check "clone: no 'not implemented'" hasnt "$log" 'not implemented'
serves "clone" 192.0.2.81
front_since
check "clone: dnsd fetched through the front" has "$tmp/front.since" 'POST /repo.git/git-upload-pack HTTP/1.1" 200'
check "commit 3 pushed" commit 3 192.0.2.82
notify "after commit 3" 3
pulled "pull after NOTIFY" "$short"
serves "after the pull" 192.0.2.82
check "after the pull: the new serial" wait_answer "$port" ' 3 3600 600 ' example.org SOA
WD_CLONED=$tmp/dnsd$n
stop_dnsd "clone and pull"

# git-poll: no NOTIFY
run_dnsd "$CA" "$URL" 'git-poll 1'
pulled "git-poll: clone" "$short"
serves "git-poll: clone" 192.0.2.82
check "commit 4 pushed" commit 4 192.0.2.83
pulled "git-poll: pull without NOTIFY" "$short"
serves "git-poll: after the pull" 192.0.2.83
stop_dnsd "git-poll"

# the remote by IP address: the certificate's subjectAltName has
# IP:127.0.0.1 (libgit2 on mbedTLS 2.x matches DNS names only; dnsd must
# not take that for an untrusted certificate)
run_dnsd "$CA" "$IP_URL"
pulled "by IP address: clone" "$short"
check "by IP address: no certificate complaint" hasnt "$log" 'certificate'
serves "by IP address" 192.0.2.83
stop_dnsd "by IP address"

# a CA that does not match, fresh workdir
run_dnsd "$OTHER_CA"
logged "other CA: 'certificate' logged" 'certificate'
check "other CA: no pull" hasnt "$log" 'pull:'
check "other CA: nothing cloned, REFUSED" wait_status REFUSED
stop_dnsd "other CA"

# no git-ca-file: the system's CAs do not know the test CA
run_dnsd -
logged "system CAs only: 'certificate' logged" 'certificate'
check "system CAs only: REFUSED" wait_status REFUSED
stop_dnsd "system CAs only"

# a CA that does not match, over the clone of the first run
check "commit 5 pushed" commit 5 192.0.2.84
reuse=$WD_CLONED run_dnsd "$OTHER_CA"
logged "other CA, old clone: 'certificate' logged" 'certificate'
check "other CA, old clone: serves the clone it had" wait_answer "$port" '^192\.0\.2\.82$' www.example.org A
before=$(grep -c certificate "$log")
"$NOTIFY" 127.0.0.1:"$port" example.org --key "$TSIG" >"$tmp/notify.out" 2>&1
rc=$?
check "other CA, old clone: the NOTIFY is answered: $(cat "$tmp/notify.out")" [ "$rc" -eq 0 ]
check "other CA, old clone: the next attempt (after the NOTIFY) refused too" more_lines certificate "$before"
check "other CA, old clone: still the old data" wait_answer "$port" '^192\.0\.2\.82$' www.example.org A
check "other CA, old clone: commit 5 never pulled" hasnt "$log" "pull:.*$short"
stop_dnsd "other CA, old clone"

# nothing listening
run_dnsd "$CA" "https://localhost:$DEAD_PORT/repo.git"
logged "dead port: 'unreachable' logged" 'unreachable'
check "dead port: REFUSED" wait_status REFUSED
stop_dnsd "dead port"

check "the front still running" kill -0 "$FRONT_PID"
finish
