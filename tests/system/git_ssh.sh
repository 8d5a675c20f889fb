#!/usr/bin/env bash
# The git-backed primary over ssh://, against a real OpenSSH server that
# this test starts on 127.0.0.1 with host keys of its own, a git-shell
# user (dnsdgit, made when missing; the test runs as root) and a bare
# repository in $tmp:
# - the fixture first, with plain git and ssh (so that a broken fixture is
#   not taken for a broken dnsd): clones with ed25519, ECDSA P-256 and RSA
#   3072 client keys, a stranger key refused, the pinned fingerprint taken
#   from ssh-keyscan;
# - dnsd clones with each of the three client keys (a fresh workdir each)
#   and serves the zones; the host key it was offered is the ed25519 one
#   (sshd logs the negotiated algorithm). RSA: a libssh2 that signs with
#   ssh-rsa (SHA-1) only (before 1.11) is refused by a default OpenSSH,
#   "authentication refused", and clones from a second port of the same
#   sshd that still accepts ssh-rsa; a newer one must clone on the first;
# - a commit pushed to the bare repository and a TSIG-signed NOTIFY: dnsd
#   pulls (logs the commit) and serves the new data;
# - a wrong pinned fingerprint: "host key mismatch" with both
#   fingerprints, dnsd keeps running and serves the clone it had;
# - a client key the server does not know: "authentication refused",
#   dnsd keeps running, REFUSED for everything (it never cloned);
# - nothing listening: "unreachable", dnsd keeps running.
# shellcheck disable=SC2317 # functions run by check
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# libssh2 1.10 (Debian 12) leaks a few small OpenSSL objects per ECDSA and
# RSA authentication, and libgit2 1.5 a buffer per ssh connection: under
# the sanitizer build of CI those library leaks would fail every dnsd exit
# here. The other git tests check dnsd's own code for leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
SSH_PORT=15930
LEGACY_PORT=15938 # the same sshd, also accepting ssh-rsa (SHA-1) signatures
DNS_PORT=15931 # one dnsd after the other, each on a port of its own: 15931..15937
DEAD_PORT=15939
GITUSER=dnsdgit

need ssh ssh-keygen ssh-keyscan git git-shell dig /usr/sbin/sshd
if [ "$(id -u)" -ne 0 ]; then
	bad "this test runs as root (it makes the user $GITUSER and starts sshd)"
	finish
fi
# plain git and ssh here read nothing of the user's own settings
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$tmp/gitconfig
printf '[user]\n\tname = dnsd test\n\temail = test@example.org\n[safe]\n\tdirectory = *\n' \
	>"$GIT_CONFIG_GLOBAL"

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

# ---- the git user, the repository ----
if ! getent passwd "$GITUSER" >/dev/null; then
	useradd -M -d /nonexistent -s /usr/bin/git-shell "$GITUSER"
fi
# git-shell as the login shell; '*' and not useradd's '!': sshd without
# PAM refuses a locked account even for a public key
usermod -s /usr/bin/git-shell -p '*' "$GITUSER"
check "user $GITUSER exists with git-shell" \
	bash -c "getent passwd $GITUSER | grep -q ':/usr/bin/git-shell\$'"
chmod 711 "$tmp" # sshd and git-shell run as $GITUSER below $tmp
mkdir -p "$tmp/srv"
REPO=$tmp/srv/repo.git
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
# commit SERIAL WWW-ADDRESS: a commit of that zone pushed (as root,
# straight to the path) into the bare repository, handed back to
# $GITUSER; its short id (7 hex) in $short
commit() {
	zone "$1" "$2"
	git -C "$tmp/work" commit -q -a -m "example.org: serial $1, www $2" &&
		git -C "$tmp/work" push -q origin main &&
		chown -R "$GITUSER:" "$REPO" || return 1
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

# ---- keys ----
mkdir -p "$tmp/host" "$tmp/keys"
ssh-keygen -q -t ed25519 -N '' -C host-ed25519 -f "$tmp/host/ed25519"
ssh-keygen -q -t rsa -b 3072 -N '' -C host-rsa -f "$tmp/host/rsa"
ssh-keygen -q -t ed25519 -N '' -C client-ed25519 -f "$tmp/keys/ed25519"
ssh-keygen -q -t ecdsa -b 256 -N '' -C client-ecdsa -f "$tmp/keys/ecdsa"
ssh-keygen -q -t rsa -b 3072 -N '' -C client-rsa -f "$tmp/keys/rsa"
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$tmp/keys/stranger"
ssh-keygen -q -t ed25519 -N '' -C other-host -f "$tmp/keys/other-host"
check "client keys are OpenSSH-format private keys" \
	bash -c "grep -l -- '-----BEGIN OPENSSH PRIVATE KEY-----' '$tmp'/keys/{ed25519,ecdsa,rsa} | wc -l | grep -qx 3"
cat "$tmp/keys/ed25519.pub" "$tmp/keys/ecdsa.pub" "$tmp/keys/rsa.pub" >"$tmp/authorized_keys"
chmod 644 "$tmp/authorized_keys"
fp() { ssh-keygen -l -E sha256 -f "$1" | awk '{print $2}'; } # fp PUBKEY-FILE

# ---- sshd ----
cat >"$tmp/sshd_config" <<EOF
Port $SSH_PORT
Port $LEGACY_PORT
ListenAddress 127.0.0.1
HostKey $tmp/host/ed25519
HostKey $tmp/host/rsa
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $GITUSER
PidFile $tmp/sshd.pid
# DEBUG1: the negotiated host key algorithm and the accepted key, checked below
LogLevel DEBUG1
# OpenSSH 8.8 and later refuse ssh-rsa (RSA with SHA-1) signatures;
# libssh2 before 1.11 signs RSA keys with nothing else
Match LocalPort $LEGACY_PORT
	PubkeyAcceptedAlgorithms +ssh-rsa
EOF
mkdir -p /run/sshd
/usr/sbin/sshd -t -f "$tmp/sshd_config" >"$tmp/sshd.t" 2>&1
rc=$?
check "sshd_config is valid: $(cat "$tmp/sshd.t")" [ "$rc" -eq 0 ]
/usr/sbin/sshd -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
pids+=($!)
SSHD_PID=$!
if ! wait_log "$tmp/sshd.log" "Server listening on 127.0.0.1 port $SSH_PORT" 1 ||
	! wait_log "$tmp/sshd.log" "Server listening on 127.0.0.1 port $LEGACY_PORT" 1; then
	bad "sshd starts: $(cat "$tmp/sshd.log")"
	finish
fi
ok "sshd listens on 127.0.0.1:$SSH_PORT and :$LEGACY_PORT"

# The pin: what ssh-keyscan shows of the ed25519 host key. libssh2 lists
# ecdsa-sha2-* first, then ssh-ed25519, then RSA (1.10: ssh-rsa only,
# which OpenSSH no longer offers for a host key; 1.11: rsa-sha2-* after
# ed25519); the server has no ECDSA host key, so ed25519 it is (checked
# in sshd's log at every dnsd connection).
PIN=$(ssh-keyscan -t ed25519 -p "$SSH_PORT" 127.0.0.1 2>/dev/null | ssh-keygen -l -E sha256 -f - | awk '{print $2}')
check "ssh-keyscan: the fingerprint ($PIN) is the ed25519 host key's" [ "$PIN" = "$(fp "$tmp/host/ed25519.pub")" ]
RSA_PIN=$(ssh-keyscan -t rsa -p "$SSH_PORT" 127.0.0.1 2>/dev/null | ssh-keygen -l -E sha256 -f - | awk '{print $2}')
check "ssh-keyscan: the RSA host key too" [ "$RSA_PIN" = "$(fp "$tmp/host/rsa.pub")" ]
WRONG_PIN=$(fp "$tmp/keys/other-host.pub")

# ---- the fixture with plain git ----
{
	printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$tmp/host/ed25519.pub")"
	printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$tmp/host/rsa.pub")"
	printf '[127.0.0.1]:%s %s\n' "$LEGACY_PORT" "$(cut -d' ' -f1,2 "$tmp/host/ed25519.pub")"
} >"$tmp/known_hosts"
URL=ssh://$GITUSER@127.0.0.1:$SSH_PORT$REPO
LEGACY_URL=ssh://$GITUSER@127.0.0.1:$LEGACY_PORT$REPO
# gitssh KEY GIT-ARGS...: git over ssh with KEY and nothing else (and the
# ssh options in $ssh_opts)
gitssh() {
	local key=$1
	shift
	GIT_SSH_COMMAND="ssh -F /dev/null ${ssh_opts:-} -i $key -o IdentitiesOnly=yes -o BatchMode=yes \
-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$tmp/known_hosts \
-o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5" git "$@"
}
for k in ed25519 ecdsa rsa; do
	gitssh "$tmp/keys/$k" clone -q "$URL" "$tmp/plain-$k" >"$tmp/plain.err" 2>&1
	check "plain git clone over ssh, $k key: $(cat "$tmp/plain.err")" \
		[ "$(git -C "$tmp/plain-$k" rev-parse HEAD 2>/dev/null | cut -c1-7)" = "$short1" ]
	check "sshd accepted the $k key" wait_all "$tmp/sshd.log" "Accepted publickey for $GITUSER" "$(fp "$tmp/keys/$k.pub")"
done
ssh_opts="-o PubkeyAcceptedAlgorithms=ssh-rsa" gitssh "$tmp/keys/rsa" ls-remote "$URL" >/dev/null 2>"$tmp/plain.err"
check "plain git: an ssh-rsa (SHA-1) signature is refused on :$SSH_PORT" has "$tmp/plain.err" 'Permission denied (publickey)'
ssh_opts="-o PubkeyAcceptedAlgorithms=ssh-rsa" gitssh "$tmp/keys/rsa" ls-remote "$LEGACY_URL" >"$tmp/plain.out" 2>"$tmp/plain.err"
check "plain git: an ssh-rsa (SHA-1) signature is accepted on :$LEGACY_PORT: $(cat "$tmp/plain.err")" has "$tmp/plain.out" "^$(git -C "$tmp/work" rev-parse HEAD)"
gitssh "$tmp/keys/stranger" clone -q "$URL" "$tmp/plain-stranger" >"$tmp/plain.err" 2>&1
check "plain git clone with a stranger key fails" [ ! -d "$tmp/plain-stranger/.git" ]
check "plain git: the server refused the stranger key" has "$tmp/plain.err" 'Permission denied (publickey)'
GIT_SSH_COMMAND="ssh -F /dev/null -i $tmp/keys/ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null" \
	git ls-remote "$URL" >/dev/null 2>"$tmp/plain.err"
check "plain git: an unknown host key fails" has "$tmp/plain.err" 'Host key verification failed'

# ---- dnsd ----
if [ ! -x "$DNSD" ]; then
	bad "no dnsd at $DNSD"
	finish
fi
if "$NOTIFY" --help 2>&1 | grep -q -- --wait; then NOTIFY_WAIT=1; else NOTIFY_WAIT=; fi
n=0
# run_dnsd KEY PIN [URL]: a dnsd on the next port with a fresh workdir
# (or $reuse when set), log in $log, pid in $pid, port in $port
run_dnsd() {
	n=$((n + 1))
	port=$((DNS_PORT + n - 1))
	local wd=${reuse:-$tmp/dnsd$n}
	mkdir -p "$wd"
	cat >"$tmp/dnsd$n.conf" <<EOF
role primary
listen 127.0.0.1:$port
workdir $wd
log-level debug
git-remote ${3:-$URL}
git-ssh-key $1
git-ssh-host-key $2
EOF
	log=$tmp/dnsd$n.log
	: >"$log"
	mark=$(wc -l <"$tmp/sshd.log")
	dnsd_start "$tmp/dnsd$n.conf" "$log"
}
# stop_dnsd WHAT: it is still running, and stops cleanly on SIGTERM
stop_dnsd() {
	check "$1: dnsd still running" kill -0 "$pid" 2>/dev/null
	kill "$pid" 2>/dev/null
	wait "$pid"
	check "$1: dnsd stops cleanly on SIGTERM" [ $? -eq 0 ]
}
sshd_since() { tail -n +"$((mark + 1))" "$tmp/sshd.log" >"$tmp/sshd.since"; }
# logged WHAT PATTERN: a line of the log matches PATTERN within 10 s
logged() {
	if wait_log "$log" "$2" 1; then ok; else bad "$1 (log: $(tail -n 3 "$log"))"; fi
}
# pulled WHAT SHORT: dnsd logged a pull of commit SHORT
pulled() {
	if wait_all "$log" 'pull:' "$2"; then ok; else bad "$1: dnsd logs 'pull:' with $2: $(tail -n 5 "$log")"; fi
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
www() { dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 www.example.org A; }
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

# served WHAT KEY WWW: dnsd cloned (the commit $short), serves the zones
# with www.example.org at WWW, and sshd saw KEY and offered its ed25519 key
served() {
	pulled "$1" "$short"
	check "$1: no 'not implemented'" hasnt "$log" 'not implemented'
	if wait_answer "$port" "^${3//./\\.}\$" www.example.org A; then ok; else bad "$1: dnsd serves www.example.org at $3 (got $(www))"; fi
	check "$1: dnsd serves mirage" wait_answer "$port" '^1\.1\.1\.1$' www.mirage A
	sshd_since
	check "$1: sshd accepted dnsd's key" has_all "$tmp/sshd.since" "Accepted publickey for $GITUSER" "$(fp "$2.pub")"
	check "$1: the negotiated host key was ed25519" has "$tmp/sshd.since" 'kex: host key algorithm: ssh-ed25519'
}

run_dnsd "$tmp/keys/ed25519" "$PIN"
served "ed25519 key" "$tmp/keys/ed25519" 192.0.2.80
# a commit pushed, a NOTIFY: the new data
check "commit 2 pushed" commit 2 192.0.2.81
notify "after commit 2" 2
pulled "pull after NOTIFY" "$short"
check "after the pull: the new www" wait_answer "$port" '^192\.0\.2\.81$' www.example.org A
check "after the pull: the new serial" wait_answer "$port" ' 2 3600 600 ' example.org SOA
check "after the pull: mirage still there" wait_answer "$port" '^1\.1\.1\.1$' www.mirage A
WD_CLONED=$tmp/dnsd$n
stop_dnsd "ed25519 key"

run_dnsd "$tmp/keys/ecdsa" "$PIN"
served "ECDSA key" "$tmp/keys/ecdsa" 192.0.2.81
stop_dnsd "ECDSA key"

# RSA: rsa-sha2-256/512 (RFC 8332) where libssh2 has them (1.11 on); an
# older libssh2 signs with ssh-rsa only, which a default OpenSSH refuses:
# then dnsd must say "authentication refused", and clone from the port
# that still accepts ssh-rsa.
run_dnsd "$tmp/keys/rsa" "$PIN"
for _ in $(seq 150); do
	grep -q -e 'pull:' -e 'authentication refused' "$log" && break
	sleep 0.1
done
sshd_since
if grep -q 'signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms' "$tmp/sshd.since"; then
	ok "RSA key: this libssh2 signs with ssh-rsa (SHA-1) only, which sshd refuses by default"
	logged "RSA key, ssh-rsa refused: 'authentication refused' logged" 'authentication refused'
	check "RSA key, ssh-rsa refused: nothing cloned, REFUSED" wait_status REFUSED
	stop_dnsd "RSA key, ssh-rsa refused"
	run_dnsd "$tmp/keys/rsa" "$PIN" "$LEGACY_URL"
	served "RSA key (ssh-rsa, on :$LEGACY_PORT)" "$tmp/keys/rsa" 192.0.2.81
	stop_dnsd "RSA key (ssh-rsa)"
else
	served "RSA key" "$tmp/keys/rsa" 192.0.2.81
	check "RSA key: signed with rsa-sha2-*" grep -q 'pkalg rsa-sha2-' "$tmp/sshd.since"
	stop_dnsd "RSA key"
fi

# ---- a wrong pin, over the workdir of the first clone ----
reuse=$WD_CLONED run_dnsd "$tmp/keys/ed25519" "$WRONG_PIN"
if wait_all "$log" 'host key mismatch' "$PIN" "$WRONG_PIN"; then ok; else
	bad "wrong pin: 'host key mismatch' with the offered $PIN and the pinned $WRONG_PIN (log: $(tail -n 3 "$log"))"
fi
check "wrong pin: still serves the clone it had" wait_answer "$port" '^192\.0\.2\.81$' www.example.org A
check "commit 3 pushed" commit 3 192.0.2.82
before=$(grep -c 'host key mismatch' "$log")
"$NOTIFY" 127.0.0.1:"$port" example.org --key "$TSIG" >"$tmp/notify.out" 2>&1
rc=$?
check "wrong pin: the NOTIFY is answered: $(cat "$tmp/notify.out")" [ "$rc" -eq 0 ]
check "wrong pin: the next attempt (after the NOTIFY) refused too" more_lines 'host key mismatch' "$before"
check "wrong pin: the old data, not commit 3" wait_answer "$port" '^192\.0\.2\.81$' www.example.org A
check "wrong pin: commit 3 never pulled" hasnt "$log" "pull:.*$short"
check "wrong pin: no authentication was attempted" \
	bash -c "sleep 0.2; tail -n +$((mark + 1)) '$tmp/sshd.log' | grep -q 'Accepted publickey' && exit 1 || exit 0"
stop_dnsd "wrong pin"

# ---- a key the server does not know, a fresh workdir ----
run_dnsd "$tmp/keys/stranger" "$PIN"
logged "stranger key: 'authentication refused' logged" 'authentication refused'
check "stranger key: nothing cloned, REFUSED" wait_status REFUSED
stop_dnsd "stranger key"

# ---- nothing listening ----
run_dnsd "$tmp/keys/ed25519" "$PIN" "ssh://$GITUSER@127.0.0.1:$DEAD_PORT$REPO"
logged "dead port: 'unreachable' logged" 'unreachable'
check "dead port: REFUSED" wait_status REFUSED
stop_dnsd "dead port"

check "sshd still running" kill -0 "$SSHD_PID"
finish
