#!/usr/bin/env bash
# The git-backed primary on real processes: a bare repository made here
# (a work clone commits with a fixed author and pushes to it), reached by
# dnsd once as a plain path and once as file://.
# - `dnsd -t`: 0 with the remote there, 1 and "unreachable" without it;
# - serving: zone named after the file (".zone" dropped), the remote's
#   HEAD branch by default, git-branch otherwise; key files, dot-files,
#   README*, *.md, directories and .dnsdignore globs not served, and no
#   error logged for them;
# - NOTIFY: signed by a key that may notify the zone, acknowledged and a
#   pull; unsigned, REFUSED and no pull; a burst of 20 coalesced;
# - a pull: the "pull:" line with both short ids, serial changes, zones
#   added and removed, a broken zone kept at its last good version (its
#   FILE:LINE:COL and the commit on one line) while the other zones of the
#   push move on, keys added and removed without a restart;
# - remote down at start-up, with and without a previous clone, and back;
# - git-poll: a push picked up without NOTIFY.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need dig git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
P1=15900 # the run on the plain path
P2=15901 # the run on file://

# A git of our own: fixed author, no user or system configuration.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="dnsd tests" GIT_AUTHOR_EMAIL=tests@dnsd.invalid
export GIT_COMMITTER_NAME="dnsd tests" GIT_COMMITTER_EMAIL=tests@dnsd.invalid
REMOTE=$tmp/remote.git
W=$tmp/work # the work clone on main
A=$tmp/alt  # a second work clone on the branch alt

HAS_WAIT=
"$NOTIFY" --help 2>&1 | grep -q -- --wait && HAS_WAIT=1
echo "dnsd-notify --wait: ${HAS_WAIT:-absent, polling with dig}"

# ---- helpers ----
q() { dig +short +tries=1 +time=2 -p "$1" @127.0.0.1 "$2" "$3" 2>/dev/null; } # q PORT NAME TYPE
status() {                                                                   # status PORT NAME TYPE: the RCODE
	dig +tries=1 +time=2 -p "$1" @127.0.0.1 "$2" "$3" 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
serial() { q "$1" "$2" SOA | awk '{print $3}'; } # serial PORT ZONE
wait_serial() {                                  # wait_serial PORT ZONE N: until ZONE's SOA serial is N (10 s)
	wait_answer "$1" "^[^ ]* [^ ]* $3 " "$2" SOA
}
count() { grep -c -- "$1" "$LOG"; } # count PATTERN: lines of the current log
alive() { kill -0 "$pid" 2>/dev/null; } # alive: the last dnsd started still runs
# settle: until the number of "pull:" lines stays the same for 1 s (at
# most 10 s), so that counts are taken with no pull running.
settle() {
	local n m
	n=$(count 'pull:')
	for _ in $(seq 10); do
		sleep 1
		m=$(count 'pull:')
		[ "$m" = "$n" ] && return 0
		n=$m
	done
	return 1
}
# has_line PATTERN WORD: one line of the log matches PATTERN (ERE) and
# has WORD too
has_line() { grep -E -- "$1" "$LOG" | grep -qF -- "$2"; }
# wait_line PATTERN WORD: until has_line (10 s)
wait_line() {
	for _ in $(seq 100); do
		has_line "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}
# no_complaint WORD: no error or warning line of the log names WORD
no_complaint() { ! grep -E '^(error|warning):' "$LOG" | grep -qF -- "$1"; }

nt() { # nt EXPECTED-STATUS DESCRIPTION PORT ZONE [ARGS...]: dnsd-notify
	local want=$1 what=$2 port=$3
	shift 3
	"$NOTIFY" "127.0.0.1:$port" "$@" >"$tmp/nout" 2>&1
	local st=$?
	check "$what: exit $want (got $st: $(tr '\n' ' ' <"$tmp/nout"))" [ "$st" -eq "$want" ]
}
# pulled PORT ZONE KEY SERIAL: a signed NOTIFY, acknowledged, and ZONE
# served with SERIAL within 10 s (dnsd-notify --wait where it has it)
pulled() {
	local port=$1 zone=$2 key=$3 n=$4
	if [ -n "$HAS_WAIT" ]; then
		"$NOTIFY" "127.0.0.1:$port" "$zone" --key "$key" --serial "$n" \
			--wait=10 >"$tmp/nout" 2>&1 || return 1
	else
		"$NOTIFY" "127.0.0.1:$port" "$zone" --key "$key" --serial "$n" \
			>"$tmp/nout" 2>&1 || return 1
	fi
	wait_serial "$port" "$zone" "$n"
}

short() { git -C "$1" rev-parse HEAD | cut -c1-7; } # short CLONE: HEAD's short id
# commit MESSAGE [CLONE [BRANCH]]: commits all of CLONE (default the
# work clone on main) and pushes it; OLD and NEW are the short ids of the
# branch before and after.
NEW=
commit() {
	local c=${2:-$W} b=${3:-main}
	OLD=$NEW
	if git -C "$c" add -A && git -C "$c" commit -q -m "$1" &&
		git -C "$c" push -q origin "HEAD:$b" 2>"$tmp/push"; then
		ok
	else
		bad "git: commit and push '$1': $(cat "$tmp/push")"
	fi
	NEW=$(short "$c")
}
zone() { # zone FILE ORIGIN SERIAL [LINE...]: a zone of 6 lines, then LINEs
	local f=$1 o=$2 s=$3
	shift 3
	{
		# shellcheck disable=SC2016 # zone text, not shell
		printf '$ORIGIN %s.\n$TTL 300\n' "$o"
		printf '@\tSOA\tns1 hostmaster %s 3600 600 86400 300\n' "$s"
		printf '@\tNS\tns1\nns1\tA\t192.0.2.1\n'
		printf 'www\tA\t%s\n' "${WWW:-192.0.2.80}"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$f"
}
newkey() { # newkey NAME: the DNSKEY line in $tmp/NAME.key; prints NAME:SHA256:SECRET
	"$KEYGEN" -f dnskey "$1" >"$tmp/$1.key" || return 1
	echo "$1:SHA256:$(awk '{print $6}' "$tmp/$1.key")"
}
stop() { # stop: SIGTERM to the last dnsd; its exit status checked
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	wait "$pid"
	local rc=$?
	check "dnsd stops on SIGTERM with exit 0 (got $rc)" [ "$rc" -eq 0 ]
	local keep=() p
	for p in "${pids[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}
conf() { # conf FILE PORT WORKDIR REMOTE [DIRECTIVE...]
	local f=$1
	printf 'role primary\nlisten 127.0.0.1:%s\nworkdir %s\nlog-level debug\ngit-remote %s\n' \
		"$2" "$3" "$4" >"$f"
	shift 4
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$f"
	return 0
}
dump() { # dump LOG: the log, when something failed
	if [ "$fail" -ne 0 ]; then
		echo "--- $1"
		cat "$1"
	fi
}

# ---- the repository ----
KU=$(newkey personal._update.example.org)
KT=$(newkey x._transfer.example.org)
KROOT=$(newkey ops._notify)
KPARENT=$(newkey p._notify.org)
KOTHER=$(newkey o._update.other.org)
KADDED=$(newkey added._notify.example.org)
check "keygen made the keys" grep -q "^added._notify.example.org. DNSKEY 0 3 163 " "$tmp/added._notify.example.org.key"

git init -q --bare -b main "$REMOTE"
git clone -q "$REMOTE" "$W" 2>/dev/null
git -C "$W" symbolic-ref HEAD refs/heads/main
zone "$W/example.org" example.org 1
zone "$W/other.org.zone" other.org 1
cat "$tmp/personal._update.example.org.key" "$tmp/x._transfer.example.org.key" \
	>"$W/example.org._keys"
cat "$tmp/ops._notify.key" "$tmp/p._notify.org.key" >"$W/_keys"
cp "$tmp/o._update.other.org.key" "$W/other.org._keys"
{
	# shellcheck disable=SC2016 # zone text, not shell
	printf '$ORIGIN big.test.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 300\n'
	printf '@ NS ns\nns A 192.0.2.53\n'
	seq 0 59999 | awk '{printf "h%d A 10.%d.%d.%d\n", $1, int($1/65536), int($1/256)%256, $1%256}'
} >"$W/big.test"
# Not served, and never complained about: a dot-file, README*, *.md, a
# directory, .dnsdignore globs. Some hold good zones (they must not be
# served), some garbage (it must not be parsed).
zone "$W/.staging.org" staging.org 1
echo 'this is not a zone file (' >"$W/.hidden"
printf '# Zones\n\nOne file a zone; see the (docs).\n' >"$W/README.md"
echo 'Read me (' >"$W/README"
zone "$W/docs.md" docs.md 1
mkdir "$W/sub"
zone "$W/sub/inner.org" inner.org 1
zone "$W/ignored.org" ignored.org 1
zone "$W/scratch.draft" scratch.draft 1
echo 'garbage ( garbage' >"$W/broken.draft"
printf 'ignored.org\n*.draft\n' >"$W/.dnsdignore"
commit initial
FIRST=$NEW
# A second branch the default must not pick (it sorts before main).
git clone -q "$REMOTE" "$A" 2>/dev/null
git -C "$A" checkout -q -b alt
WWW=192.0.2.81 zone "$A/example.org" example.org 20
commit "alt: example.org serial 20" "$A" alt
NEW=$FIRST
check "the remote's HEAD is main" [ "$(git --git-dir="$REMOTE" symbolic-ref HEAD)" = refs/heads/main ]
check "the remote has main and alt" [ "$(git --git-dir="$REMOTE" for-each-ref --format='%(refname)' refs/heads | wc -l)" -eq 2 ]

# ---- dnsd -t ----
mkdir -p "$tmp/w1" "$tmp/w2"
conf "$tmp/path.conf" $P1 "$tmp/w1" "$REMOTE"
conf "$tmp/file.conf" $P2 "$tmp/w2" "file://$REMOTE" "git-branch alt" "git-poll 1"
conf "$tmp/nopath.conf" $P1 "$tmp/w1" "$tmp/nowhere.git"
conf "$tmp/nofile.conf" $P2 "$tmp/w2" "file://$tmp/nowhere.git"
"$DNSD" -c "$tmp/path.conf" -t >"$tmp/out" 2>&1
rc=$?
check "-t, remote as a path: exit 0 ($(cat "$tmp/out"))" [ "$rc" -eq 0 ]
"$DNSD" -c "$tmp/file.conf" -t >"$tmp/out" 2>&1
rc=$?
check "-t, remote as file://: exit 0 ($(cat "$tmp/out"))" [ "$rc" -eq 0 ]
"$DNSD" -c "$tmp/nopath.conf" -t >"$tmp/out" 2>&1
rc=$?
check "-t, no repository at the path: exit 1 ($(cat "$tmp/out"))" [ "$rc" -eq 1 ]
check "-t, no repository at the path: says unreachable" has "$tmp/out" unreachable
"$DNSD" -c "$tmp/nofile.conf" -t >"$tmp/out" 2>&1
rc=$?
check "-t, no repository at the file:// URL: exit 1 ($(cat "$tmp/out"))" [ "$rc" -eq 1 ]
check "-t, no repository at the file:// URL: says unreachable" has "$tmp/out" unreachable

# ---- run 1: the plain path, NOTIFY only ----
LOG=$tmp/log1
dnsd_start "$tmp/path.conf" "$LOG"
check "run 1: example.org served" wait_serial $P1 example.org 1
check "run 1: the remote's HEAD (main), not alt" [ "$(q $P1 www.example.org A)" = 192.0.2.80 ]
check "run 1: other.org.zone served as other.org" [ "$(serial $P1 other.org)" = 1 ]
check "run 1: the big zone" [ "$(q $P1 h1234.big.test A)" = 10.0.4.210 ]
check "run 1: a bare clone in WORKDIR/git" \
	[ "$(git --git-dir="$tmp/w1/git" rev-parse --is-bare-repository 2>&1)" = true ]
check "run 1: the clone is at the pushed commit" \
	[ "$(git --git-dir="$tmp/w1/git" rev-parse HEAD 2>/dev/null | cut -c1-7)" = "$FIRST" ]
for n in other.org.zone staging.org docs.md readme.md readme inner.org sub \
	ignored.org scratch.draft broken.draft dnsdignore example.org._keys _keys; do
	check "run 1: $n is not served" [ "$(status $P1 "$n" SOA)" = REFUSED ]
done
for f in .staging.org .hidden README docs.md inner.org ignored.org scratch.draft \
	broken.draft .dnsdignore _keys; do
	check "run 1: no error or warning about $f" no_complaint "$f"
done

# Unsigned NOTIFY: REFUSED, and no pull.
zone "$W/example.org" example.org 2
commit "example.org serial 2"
settle
before=$(count 'pull:')
nt 1 "unsigned NOTIFY" $P1 example.org --serial 2
check "unsigned NOTIFY: REFUSED" has "$tmp/nout" REFUSED
sleep 1.5
check "unsigned NOTIFY: no pull logged" [ "$(count 'pull:')" -eq "$before" ]
check "unsigned NOTIFY: serial 1 still served" [ "$(serial $P1 example.org)" = 1 ]

# Signed NOTIFY: acknowledged, pulled.
check "signed NOTIFY: acknowledged and serial 2 served ($(cat "$tmp/nout"))" \
	pulled $P1 example.org "$KU" 2
check "pull: logged with $OLD and $NEW" wait_line "pull:.*$OLD" "$NEW"
check "pull: logged the serial change" wait_log "$LOG" 'zone example.org serial 1 -> 2' 1
check "pull: other.org did not change" hasnt "$LOG" 'zone other.org serial'

# The key scheme: who may notify which zone.
nt 0 "NOTIFY example.org with its transfer key" $P1 example.org --key "$KT"
nt 0 "NOTIFY other.org with the root key from _keys" $P1 other.org --key "$KROOT"
nt 0 "NOTIFY other.org with the parent zone's key" $P1 other.org --key "$KPARENT"
nt 0 "NOTIFY other.org with its own key" $P1 other.org --key "$KOTHER"
nt 1 "NOTIFY other.org with example.org's key" $P1 other.org --key "$KU"
check "NOTIFY with another zone's key: REFUSED" has "$tmp/nout" REFUSED

# A broken zone in a push: the old version stays, the others move on.
zone "$W/example.org" example.org 3 "bad	A	192.0.2.300"
zone "$W/other.org.zone" other.org 2
commit "example.org broken, other.org serial 2"
check "broken push: other.org moves on to serial 2" pulled $P1 other.org "$KOTHER" 2
check "broken push: FILE:LINE:COL and commit $NEW on one line" \
	wait_line 'example\.org:7:[0-9]+:' "$NEW"
check "broken push: example.org still at serial 2" [ "$(serial $P1 example.org)" = 2 ]
check "broken push: example.org's data kept" [ "$(q $P1 www.example.org A)" = 192.0.2.80 ]
check "broken push: nothing at the broken name" [ -z "$(q $P1 bad.example.org A)" ]
check "broken push: logged other.org's change" has "$LOG" 'zone other.org serial 1 -> 2'

# Fixed.
zone "$W/example.org" example.org 4 "new	A	192.0.2.4"
commit "example.org fixed, serial 4"
check "fixed push: serial 4 served" pulled $P1 example.org "$KU" 4
check "fixed push: the new record" [ "$(q $P1 new.example.org A)" = 192.0.2.4 ]
check "fixed push: logged serial 2 -> 4" wait_log "$LOG" 'zone example.org serial 2 -> 4' 1

# A zone added, a zone removed.
zone "$W/new.org" new.org 7
git -C "$W" rm -q other.org.zone other.org._keys
commit "new.org added, other.org removed"
nt 0 "zone added: NOTIFY acknowledged" $P1 example.org --key "$KU"
check "zone added: new.org served" wait_serial $P1 new.org 7
check "zone removed: other.org REFUSED" [ "$(status $P1 other.org SOA)" = REFUSED ]
check "pull: logged new.org added" wait_log "$LOG" 'zone new.org added' 1
check "pull: logged other.org removed" wait_log "$LOG" 'zone other.org removed' 1
check "pull: logged with $OLD and $NEW" wait_line "pull:.*$OLD" "$NEW"
check "zone added: the others still served" [ "$(serial $P1 example.org)" = 4 ]

# A key added, then removed, without a restart.
nt 1 "NOTIFY with a key not in the repository yet" $P1 example.org --key "$KADDED"
check "key not there yet: NOTAUTH BADKEY" grep -q 'NOTAUTH.*BADKEY' "$tmp/nout"
cat "$tmp/added._notify.example.org.key" >>"$W/example.org._keys"
zone "$W/example.org" example.org 5 "new	A	192.0.2.4"
commit "key added"
check "key added: pulled (serial 5)" pulled $P1 example.org "$KU" 5
key_works() { # key_works KEY WANT-STATUS [PORT]: NOTIFY with KEY exits WANT-STATUS within 3 s
	for _ in $(seq 15); do
		"$NOTIFY" "127.0.0.1:${3:-$P1}" example.org --key "$1" >"$tmp/nout" 2>&1
		[ $? -eq "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
check "key added: NOTIFY with it acknowledged ($(cat "$tmp/nout"))" key_works "$KADDED" 0
grep -v '^added\.' "$W/example.org._keys" >"$tmp/k" && cp "$tmp/k" "$W/example.org._keys"
zone "$W/example.org" example.org 6 "new	A	192.0.2.4"
commit "key removed"
check "key removed: pulled (serial 6)" pulled $P1 example.org "$KU" 6
check "key removed: NOTIFY with it fails ($(cat "$tmp/nout"))" key_works "$KADDED" 1
check "key removed: NOTAUTH BADKEY" grep -q 'NOTAUTH.*BADKEY' "$tmp/nout"
check "key removed: the other keys still work" key_works "$KU" 0

# A burst of 20 NOTIFYs, sent back to back without waiting for the
# answers, while a large zone is fetched and reloaded: every one
# acknowledged at once, and far fewer pulls (one running, one queued).
sed -i '3s/ 1 3600/ 2 3600/' "$W/big.test"
commit "big.test serial 2"
check "settled before the burst" settle
before=$(count 'pull:')
acked=0
start=$(date +%s%N)
burst=()
for _ in $(seq 20); do
	"$NOTIFY" 127.0.0.1:$P1 big.test --key "$KROOT" >/dev/null 2>&1 &
	burst+=($!)
done
for b in "${burst[@]}"; do
	wait "$b" && acked=$((acked + 1))
done
ms=$((($(date +%s%N) - start) / 1000000))
check "burst: 20 of 20 acknowledged ($acked)" [ "$acked" -eq 20 ]
check "burst: acknowledged at once (20 in $ms ms)" [ "$ms" -lt 5000 ]
check "burst: big.test serial 2 served" wait_serial $P1 big.test 2
check "settled after the burst" settle
n=$(($(count 'pull:') - before))
echo "burst: 20 NOTIFYs in $ms ms, $n pulls"
check "burst: pulled at least once ($n)" [ "$n" -ge 1 ]
check "burst: coalesced, $n pulls for 20 NOTIFYs" [ "$n" -le 4 ]
check "run 1: alive" alive
stop
dump "$LOG"

# ---- the remote down at start-up, with a previous clone ----
mv "$REMOTE" "$tmp/away.git"
zone "$W/example.org" example.org 8 "new	A	192.0.2.4"
git -C "$W" add -A && git -C "$W" commit -q -m "while down" &&
	git -C "$W" push -q "$tmp/away.git" HEAD:main
check "pushed while the remote is away" [ $? -eq 0 ]
OLD=$NEW
NEW=$(short "$W")
LOG=$tmp/log1b
dnsd_start "$tmp/path.conf" "$LOG"
ok=
for _ in $(seq 15); do
	[ "$(serial $P1 example.org)" = 6 ] && ok=1 && break
	sleep 0.2
done
check "remote down, clone there: the clone served at once" [ -n "$ok" ]
check "remote down, clone there: the keys too" key_works "$KU" 0
check "remote down, clone there: logged unreachable" wait_log "$LOG" unreachable 1
mv "$tmp/away.git" "$REMOTE"
check "remote back: pulled within the backoff (serial 8)" wait_serial $P1 example.org 8
check "remote back: pull logged with $OLD and $NEW" wait_line "pull:.*$OLD" "$NEW"
stop
dump "$LOG"

# ---- run 2: file://, git-branch alt, git-poll 1; no clone, remote down ----
mv "$REMOTE" "$tmp/away.git"
LOG=$tmp/log2
dnsd_start "$tmp/file.conf" "$LOG"
check "remote down, no clone: logged unreachable" wait_log "$LOG" unreachable 1
sleep 0.5
check "remote down, no clone: dnsd keeps running" alive
check "remote down, no clone: REFUSED" [ "$(status $P2 example.org SOA)" = REFUSED ]
mv "$tmp/away.git" "$REMOTE"
check "remote back: cloned and served within the backoff" wait_serial $P2 example.org 20
check "git-branch alt: alt's data" [ "$(q $P2 www.example.org A)" = 192.0.2.81 ]
check "git-branch alt: main's changes absent" [ -z "$(q $P2 new.example.org A)" ]
check "run 2: a bare clone in WORKDIR/git" \
	[ "$(git --git-dir="$tmp/w2/git" rev-parse --is-bare-repository 2>&1)" = true ]
check "run 2: alt's keys work" key_works "$KU" 0 $P2
# git-poll: pushes picked up without a NOTIFY; main's pushes ignored.
zone "$W/example.org" example.org 9 "new	A	192.0.2.4"
commit "main: serial 9"
sleep 1.5 # a poll or more
check "git-branch alt: a push to main not served" [ "$(serial $P2 example.org)" = 20 ]
NEW=$(short "$A")
WWW=192.0.2.81 zone "$A/example.org" example.org 21 "polled	A	192.0.2.21"
commit "alt: serial 21" "$A" alt
check "git-poll: alt's push served without NOTIFY" wait_serial $P2 example.org 21
check "git-poll: the new record" [ "$(q $P2 polled.example.org A)" = 192.0.2.21 ]
check "git-poll: pull logged with $OLD and $NEW" wait_line "pull:.*$OLD" "$NEW"
check "git-poll: logged serial 20 -> 21" has "$LOG" 'zone example.org serial 20 -> 21'
check "git-poll: never main's serial 9" hasnt "$LOG" 'zone example.org serial [0-9]* -> 9'
stop
dump "$LOG"
finish
