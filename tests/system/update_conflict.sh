#!/usr/bin/env bash
# UPDATE commits and a remote that moved meanwhile: while dnsd's remote
# is away, nsupdate changes land as local commits and somebody else
# pushes to the remote from a laptop. Once the remote is back, dnsd's
# push is rejected; it fetches, replays the waiting UPDATEs on the
# laptop's commit (their prerequisites checked again), serves and pushes
# the result; an UPDATE whose prerequisite no longer holds goes to a
# branch dnsd/conflict-ZONE-TIME on the remote and is logged loudly. A
# NOTIFY-triggered pull that finds the same never drops a local commit;
# a kill -9 after the replay loses nothing.
. "$(dirname "$0")/lib.sh"
need git nsupdate dig
PORT=16450
export GIT_AUTHOR_NAME=laptop GIT_AUTHOR_EMAIL=laptop@example.org
export GIT_COMMITTER_NAME=laptop GIT_COMMITTER_EMAIL=laptop@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
R=$tmp/remote.git

git init -q --bare -b main "$R"
git clone -q "$R" "$tmp/laptop" 2>/dev/null
cat >"$tmp/laptop/example.org" <<'EOF'
; edited by people and by dnsd
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 1 3600 900 604800 300
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.80
EOF
{
	"$KEYGEN" -f dnskey u._update.example.org
	"$KEYGEN" -f dnskey n._notify.example.org
} >"$tmp/laptop/example.org._keys"
KU=hmac-sha256:u._update.example.org:$(awk '/_update/ {print $NF}' "$tmp/laptop/example.org._keys")
KN=n._notify.example.org:hmac-sha256:$(awk '/_notify/ {print $NF}' "$tmp/laptop/example.org._keys")
git -C "$tmp/laptop" add -A
git -C "$tmp/laptop" commit -q -m zone
git -C "$tmp/laptop" push -q origin main

# dnsd reaches the remote through a symlink: removing it takes the
# remote away from dnsd while the laptop still pushes to it.
ln -s "$R" "$tmp/link.git"
cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $tmp/link.git
git-author "dnsd <dnsd@example.org>"
allow-transfer 127.0.0.1
log-level debug
EOF
LOG=$tmp/log
dnsd_start "$tmp/dnsd.conf" "$LOG"
check "serves the zone" wait_answer $PORT 192.0.2.80 www.example.org A

nsu() { # nsu RCODE DESCRIPTION < update lines
	local want=$1 what=$2
	{
		echo "server 127.0.0.1 $PORT"
		echo "zone example.org"
		cat
		echo send
	} >"$tmp/nsu.in"
	nsupdate -y "$KU" "$tmp/nsu.in" >"$tmp/nsu.out" 2>&1
	local rc=$?
	if [ "$want" = NOERROR ]; then
		check "$what: NOERROR $(cat "$tmp/nsu.out")" [ "$rc" -eq 0 ]
	else
		check "$what: $want" grep -q "update failed: $want" "$tmp/nsu.out"
	fi
}
# laptop DESCRIPTION SERIAL SED-SCRIPT: an edit pushed from the laptop
laptop() {
	git -C "$tmp/laptop" pull -q --rebase origin main
	sed -i -e "s/hostmaster [0-9]* /hostmaster $2 /" -e "$3" "$tmp/laptop/example.org"
	git -C "$tmp/laptop" commit -q -am "$1"
	git -C "$tmp/laptop" push -q origin main
}
wait_long() { # wait_long LOG REGEX: a line within 30 s (push backoff)
	for _ in $(seq 300); do
		grep -q -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
serial() { dig +short -p $PORT @127.0.0.1 example.org SOA | awk '{print $3}'; }
# remote_has REGEX: the remote's main holds a line of example.org
remote_has() { git -C "$R" show main:example.org | grep -q "$1"; }
wait_remote() { # wait_remote REGEX: within 15 s
	for _ in $(seq 150); do
		remote_has "$1" && return 0
		sleep 0.1
	done
	return 1
}

# ---- the remote moves while two UPDATEs wait ----
rm "$tmp/link.git"
nsu NOERROR "a1 added while the remote is away" <<<"update add a1.example.org 300 A 192.0.2.11"
nsu NOERROR "c1 added if absent" <<'EOF'
prereq nxdomain c1.example.org
update add c1.example.org 300 A 192.0.2.12
EOF
check "both served" wait_answer $PORT 192.0.2.12 c1.example.org A
check "serial 3 after two updates ($(serial))" [ "$(serial)" = 3 ]
check "they wait to be pushed" wait_log "$LOG" '[12] commits* wait to be pushed' 1
dig +nocmd +nostats +noquestion -p $PORT @127.0.0.1 example.org AXFR >"$tmp/axfr.3"
# the laptop, from serial 1: adds l1 and c1 (so c1's prerequisite fails
# on its version) and takes serial 3, the one dnsd served
laptop "laptop: l1 and c1" 3 '$a l1\tA\t192.0.2.21\nc1\tA\t192.0.2.77'
laptop_commit=$(git -C "$R" rev-parse main)
ln -s "$R" "$tmp/link.git"

check "the push is rejected and replayed" wait_long "$LOG" 'push rejected'
check "the replay is said" wait_long "$LOG" 'replaying their 2 UPDATEs'
check "a1 replayed" wait_long "$LOG" 'UPDATE zone example.org key u._update.example.org.: replayed on'
check "the conflict is logged loudly" wait_long "$LOG" 'error: UPDATE CONFLICT: zone example.org key u._update.example.org. .*YXDOMAIN.*branch dnsd/conflict-example.org-'
check "the laptop's l1 is served" wait_answer $PORT 192.0.2.21 l1.example.org A
check "a1 is still served" wait_answer $PORT 192.0.2.11 a1.example.org A
check "c1 is the laptop's" wait_answer $PORT 192.0.2.77 c1.example.org A
check "serial 4: past the laptop's 3 ($(serial))" [ "$(serial)" = 4 ]
check "the replay reaches the remote" wait_remote '^a1 '
# A secondary at serial 3 (dnsd's version before the replay) asks for
# IXFR: the step applies to what it has and gives the new zone.
dig +nocmd +nostats +noquestion -p $PORT @127.0.0.1 example.org IXFR=3 >"$tmp/ixfr.3"
dig +nocmd +nostats +noquestion -p $PORT @127.0.0.1 example.org AXFR >"$tmp/axfr.4"
cat >"$tmp/apply.py" <<'EOF'
import sys
def rrs(path):
    out = []
    for line in open(path):
        f = line.split(None, 4)
        if len(f) == 5 and not line.startswith(';'):
            out.append((f[0].lower(), f[1], f[3], f[4].strip()))
    return out
cur = set(r for r in rrs(sys.argv[1]) if r[2] != 'SOA')
after = set(r for r in rrs(sys.argv[3]) if r[2] != 'SOA')
ix = rrs(sys.argv[2])
if len(ix) < 4 or ix[1][2] != 'SOA':
    sys.exit('not an incremental answer')
mode = 'add'
for r in ix[1:-1]:
    if r[2] == 'SOA':
        mode = 'del' if mode == 'add' else 'add'
    elif mode == 'del':
        cur.discard(r)
    else:
        cur.add(r)
sys.exit(0 if cur == after else 'differs: %s' % (cur ^ after))
EOF
check "IXFR from the pre-replay serial applies ($(python3 "$tmp/apply.py" "$tmp/axfr.3" "$tmp/ixfr.3" "$tmp/axfr.4" 2>&1))" \
	python3 "$tmp/apply.py" "$tmp/axfr.3" "$tmp/ixfr.3" "$tmp/axfr.4"
check "the replay commit is on the laptop's" \
	[ "$(git -C "$R" rev-parse main^)" = "$laptop_commit" ]
check "by git-author" [ "$(git -C "$R" log -1 --format='%an' main)" = dnsd ]
check "its message says it was replayed" \
	bash -c "git -C '$R' log -1 --format=%s main | grep -q '1 dynamic update (1 replayed on '"
git -C "$R" diff main^ main -- example.org | grep '^[-+][^-+]' >"$tmp/diff"
check "a minimal diff on the laptop's version: serial and a1 ($(tr '\n' '|' <"$tmp/diff"))" \
	[ "$(wc -l <"$tmp/diff")" -eq 3 ]
check "only one c1 on main" [ "$(git -C "$R" show main:example.org | grep -c '^c1')" -eq 1 ]
branch=$(git -C "$R" for-each-ref --format='%(refname:short)' 'refs/heads/dnsd/')
check "the conflict branch is on the remote ($branch)" \
	bash -c "[[ '$branch' == dnsd/conflict-example.org-2026* || '$branch' == dnsd/conflict-example.org-2* ]]"
check "it holds the acknowledged c1" \
	bash -c "git -C '$R' show '$branch:example.org' | grep -q '^c1.*192.0.2.12'"
check "and the UPDATE that made it" \
	bash -c "git -C '$R' log -1 --format=%B '$branch' | grep -q 'Dnsd-Update: u._update.example.org. '"
check "the laptop's commit is kept" \
	bash -c "git -C '$R' merge-base --is-ancestor $laptop_commit main"

# ---- a NOTIFY-triggered pull finds the same: nothing dropped ----
rm "$tmp/link.git"
nsu NOERROR "n1 added while the remote is away" <<<"update add n1.example.org 300 A 192.0.2.31"
check "n1 waits" wait_long "$LOG" '1 commit wait to be pushed'
laptop "laptop: l2" 10 '$a l2\tA\t192.0.2.22'
ln -s "$R" "$tmp/link.git"
"$NOTIFY" "127.0.0.1:$PORT" example.org --key "$KN" >"$tmp/nout" 2>&1
check "NOTIFY acknowledged ($(cat "$tmp/nout"))" [ $? -eq 0 ]
check "l2 served after the NOTIFY" wait_answer $PORT 192.0.2.22 l2.example.org A
check "n1 still served" wait_answer $PORT 192.0.2.31 n1.example.org A
check "n1 reaches the remote" wait_remote '^n1 '
check "l2 is kept there" remote_has '^l2'
check "serial 11 after the laptop's 10 ($(serial))" [ "$(serial)" = 11 ]
check "no second conflict branch" \
	[ "$(git -C "$R" for-each-ref 'refs/heads/dnsd/' | wc -l)" -eq 1 ]

# ---- kill -9 right after the answer, the remote moved meanwhile ----
rm "$tmp/link.git"
nsu NOERROR "k1 before kill -9" <<<"update add k1.example.org 300 A 192.0.2.41"
kill -9 "$pid"
wait "$pid" 2>/dev/null
laptop "laptop: l3" 20 '$a l3\tA\t192.0.2.23'
ln -s "$R" "$tmp/link.git"
LOG=$tmp/log2
dnsd_start "$tmp/dnsd.conf" "$LOG"
check "after kill -9: k1 served" wait_answer $PORT 192.0.2.41 k1.example.org A
check "after kill -9: l3 served" wait_answer $PORT 192.0.2.23 l3.example.org A
check "after kill -9: k1 on the remote" wait_remote '^k1 '
check "every acknowledged update on main or the conflict branch" \
	bash -c "git -C '$R' show main:example.org | grep -c '^\(a1\|n1\|k1\) ' | grep -qx 3"
check "no UPDATE twice on main" \
	[ "$(git -C "$R" log -p main -- example.org | grep -c '^+\(a1\|n1\|k1\) ')" -eq 3 ]
# A second dnsd on the same workdir is turned away, the first unharmed.
sed "s/^listen .*/listen 127.0.0.1:$((PORT + 1))/" "$tmp/dnsd.conf" >"$tmp/second.conf"
"$DNSD" -c "$tmp/second.conf" 2>"$tmp/second.log" &
second=$!
pids+=("$second")
for _ in $(seq 50); do kill -0 $second 2>/dev/null || break; sleep 0.1; done
wait $second
st=$?
check "a second dnsd on the workdir exits with an error ($st)" [ "$st" -ne 0 ]
check "it says the workdir is in use" grep -q 'is in use by another dnsd' "$tmp/second.log"
check "the first still serves" wait_answer $PORT 192.0.2.41 k1.example.org A
kill "$pid"
wait "$pid"
rc=$?
check "stops cleanly on SIGTERM (exit $rc)" [ "$rc" -eq 0 ]
if [ "$fail" -ne 0 ]; then
	cat "$tmp/log" "$tmp/log2"
fi
finish
