#!/usr/bin/env bash
# Dynamic UPDATE under kill -9: 4 clients (two over UDP, two over TCP,
# each its own key) send nsupdate after nsupdate, client c's step i
# adding the value "i" to the TXT RRset of c<c>.example.org, the next
# step only once this one was acknowledged (NOERROR); an update that was
# not answered (timeout, connection refused, SERVFAIL or REFUSED while
# dnsd is away or starting) is sent again until it is. Meanwhile dnsd is
# killed -9 at random moments, 3 to 5 times, and started again on the
# same workdir. Afterwards, with at least 50 updates acknowledged:
# - every acknowledged update is served;
# - in the history of dnsd's clone, and of the remote once dnsd pushed
#   its last commit there, every acknowledged step is added by exactly
#   one commit (a step sent again after it landed unanswered is a
#   duplicate add, which must change nothing: no second commit), nothing
#   is ever removed, and each client's steps are committed in the order
#   they were acknowledged; the pushed zone file has each record once;
# - each commit's message names the key of every update it holds, once;
# - the serial went up by one per update committed;
# - no ref lock is left behind in the clone or the remote (one left by a
#   kill -9 blocks every later commit or push).
# The history checker is checked too: a lost, a doubled, a reordered and
# a removed step and a key missing from a message must each make it
# fail. UPDATE_KILL_SEED replays a kill schedule (not its timing);
# UPDATE_KILL_KEEP=DIR keeps the files of a failed run.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need git nsupdate dig
PORT=16420
MIN=13  # steps each client makes at least (4 x 13 = 52 acknowledged)
MAX=120 # and at most
SEED=${UPDATE_KILL_SEED:-$(($(date +%s) % 32768))}
RANDOM=$SEED
echo "# seed $SEED (UPDATE_KILL_SEED=$SEED replays the kill schedule)"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
REMOTE=$tmp/remote.git
WD=$tmp/wd

git init -q --bare -b main "$REMOTE"
git init -q -b main "$tmp/work"
cat >"$tmp/work/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 1 3600 900 604800 300
@	NS	ns1
ns1	A	192.0.2.1
EOF
for c in 1 2 3 4; do
	"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey "c$c._update.example.org"
done >"$tmp/work/example.org._keys"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zone
git -C "$tmp/work" push -q "$REMOTE" main
FIRST=$(git -C "$REMOTE" rev-parse main)

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $WD
git-remote $REMOTE
git-author "dnsd test <dnsd@example.org>"
log-level debug
EOF
runs=1
dnsd_start "$tmp/dnsd.conf" "$tmp/log.$runs"
check "serves the zone" wait_answer $PORT 'ns1.example.org. hostmaster' example.org SOA

# client C [-v]: steps 1.. until $tmp/stop exists and MIN are done (at
# most MAX; given up 15 s after the last acknowledgement); "C I" appended
# to $tmp/acked for each step acknowledged, the output of each failed try
# to $tmp/fail.C.
client() {
	local c=$1 tcp=${2:-} i=1 secret last=$SECONDS
	secret=$(awk -v k="c$c._update.example.org." '$1 == k {print $NF}' "$tmp/work/example.org._keys")
	while [ $i -le $MAX ]; do
		[ $i -gt $MIN ] && [ -e "$tmp/stop" ] && break
		if [ $((SECONDS - last)) -gt 15 ]; then
			echo "client $c: gave up at step $i, nothing acknowledged for 15 s" >>"$tmp/fail.$c"
			break
		fi
		printf 'server 127.0.0.1 %s\nzone example.org\nupdate add c%s.example.org 300 TXT "%s"\nsend\n' \
			$PORT "$c" $i >"$tmp/in.$c"
		# one try each: -r 0, no UDP retransmission of the same
		# signed message (dnsd would leave it unanswered, so a
		# step is one message and one answer, or none)
		if nsupdate ${tcp:+"$tcp"} -t 3 -u 2 -r 0 -y "hmac-sha256:c$c._update.example.org:$secret" \
			"$tmp/in.$c" >"$tmp/out.$c" 2>&1 && ! grep -q failed "$tmp/out.$c"; then
			echo "$c $i" >>"$tmp/acked"
			i=$((i + 1))
			last=$SECONDS
		else
			{
				printf 'step %s: ' $i
				tr '\n' ' ' <"$tmp/out.$c"
				echo
			} >>"$tmp/fail.$c"
			sleep 0.05
		fi
	done
}
: >"$tmp/acked"
cpids=()
for c in 1 2 3 4; do
	: >"$tmp/fail.$c"
	if [ $((c % 2)) -eq 0 ]; then client $c -v & else client $c & fi
	cpids+=($!)
done

# the killer: 3 to 5 times, after 0.2 to 1.2 s, kill -9; up again after
# 0 to 0.3 s on the same workdir
kills=$((3 + RANDOM % 3))
for k in $(seq "$kills"); do
	sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
	sleep 0.2
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	# forget the pid: it may belong to another process by the end
	for j in "${!pids[@]}"; do [ "${pids[$j]}" = "$pid" ] && unset "pids[$j]"; done
	echo "# kill -9 number $k after $(grep -c . "$tmp/acked") acknowledged"
	sleep "$(printf '0.%03d' $((RANDOM % 300)))"
	runs=$((runs + 1))
	dnsd_start "$tmp/dnsd.conf" "$tmp/log.$runs"
	check "up again after kill -9 number $k" \
		wait_answer $PORT 'ns1.example.org. hostmaster' example.org SOA
done
sleep 1
touch "$tmp/stop"
for p in "${cpids[@]}"; do wait "$p"; done

nacked=$(grep -c . "$tmp/acked")
check "at least 50 updates acknowledged ($nacked)" [ "$nacked" -ge 50 ]
check "every client finished its steps" \
	[ -z "$(grep -h 'gave up' "$tmp/fail."[1-4])" ]
nfail=$(cat "$tmp/fail."[1-4] | grep -c .)
echo "# $kills kills, $nacked acknowledged, $nfail tries not acknowledged:"
cat "$tmp/fail."[1-4] | sed -n 's/^step [0-9]*: //p' |
	sed -E 's/.*(update failed: [A-Z]+).*/\1/; s/.*(connection refused|connection reset|timed out|end of file).*/\1/' |
	sort | uniq -c | sed 's/^/#   /'
check "the kills hit the clients: some tries not acknowledged" [ "$nfail" -gt 0 ]
others=$(grep -h -o 'update failed: [A-Z]*' "$tmp/fail."[1-4] | grep -v -E ': (SERVFAIL|REFUSED|NOTAUTH)$' | sort -u | tr '\n' ' ')
check "no try answered but SERVFAIL, REFUSED or NOTAUTH (${others:-none else})" [ -z "$others" ]
echo "# $(cat "$tmp/log."* | grep -c 'NOERROR, no change') tries found their update already there (landed, unanswered)"

# ---- served ----
for c in 1 2 3 4; do
	dig +tcp +short -p $PORT @127.0.0.1 "c$c.example.org" TXT | tr -d '"' | sort >"$tmp/served.$c"
	awk -v c=$c '$1 == c {print $2}' "$tmp/acked" | sort >"$tmp/want.$c"
	check "client $c: its $(wc -l <"$tmp/want.$c") acknowledged updates are served ($(comm -23 "$tmp/want.$c" "$tmp/served.$c" | wc -l) missing)" \
		[ -z "$(comm -23 "$tmp/want.$c" "$tmp/served.$c")" ]
done

# ---- pushed ----
# the journal is committed once no UPDATE came for a while: wait for the
# clone's commits to name as many UPDATEs as were acknowledged
named_in() { git -C "$1" log --format=%B "$2" | grep -c '^UPDATE zone example.org key '; }
for _ in $(seq 100); do
	[ "$(named_in "$WD/git" HEAD)" -ge "$(wc -l <"$tmp/acked")" ] && break
	sleep 0.2
done
for _ in $(seq 50); do
	[ "$(git -C "$REMOTE" rev-parse main)" = "$(git -C "$WD/git" rev-parse HEAD)" ] && break
	sleep 0.2
done
check "the remote has dnsd's last commit" \
	[ "$(git -C "$REMOTE" rev-parse main)" = "$(git -C "$WD/git" rev-parse HEAD)" ]
check "the history goes on from the first commit" \
	git -C "$REMOTE" merge-base --is-ancestor "$FIRST" main

# ---- the history ----
# verify HISTORY ACKED [MAX]: prints what is wrong (the first MAX
# problems, 20 by default) and fails, given the text of `git log
# --reverse -p` (each commit "commit ID", its message, its diff) and the
# acknowledged steps ("C I", in order per client).
verify() {
	awk -v acked="$2" -v max="${3:-20}" '
	function problem(what) { if (++bad <= max) print what }
	/^commit / { n++; next }
	/^UPDATE zone example\.org key c[0-9]+\._update\.example\.org\.: serial / {
		split($5, k, "."); msg[n, substr(k[1], 2)]++; next
	}
	/^\+c[0-9]+ [0-9]+ IN TXT "[0-9]+"$/ {
		c = substr($1, 3); i = $5; gsub(/"/, "", i)
		add[c, i]++; at[c, i] = n; lines[n, c]++; next
	}
	/^-c[0-9]+ / { problem("removed in commit " n ": " $0) }
	END {
		while ((getline l < acked) > 0) {
			split(l, f, " "); c = f[1]; i = f[2]
			if (add[c, i] != 1)
				problem("client " c " step " i ": acknowledged, added by " add[c, i] + 0 " commits")
			else if (c in last && at[c, i] < last[c])
				problem("client " c " step " i ": commit " at[c, i] ", before step " lasti[c] " in commit " last[c])
			if (add[c, i] == 1) { last[c] = at[c, i]; lasti[c] = i }
		}
		for (j = 1; j <= n; j++)
			for (c = 1; c <= 4; c++)
				if (lines[j, c] + 0 != msg[j, c] + 0)
					problem("commit " j ": " lines[j, c] + 0 " steps of client " c ", its key named " msg[j, c] + 0 " times")
		print n " commits checked, " bad + 0 " problems"
		exit bad > 0
	}' "$1"
}
# in dnsd's clone (each answered only once committed there), then in the
# remote
history() { git -C "$1" log --reverse --first-parent --format='commit %h%n%B' -p "$2" -- example.org; }
history "$WD/git" HEAD >"$tmp/hist"
history "$REMOTE" main >"$tmp/hist.remote"
check_out "in dnsd's clone: every acknowledged update in exactly one commit, in acknowledgement order, its key named ($(git -C "$WD/git" rev-list --count "$FIRST..HEAD") commits)" \
	verify "$tmp/hist" "$tmp/acked"
check_out "in the remote: the same ($(git -C "$REMOTE" rev-list --count "$FIRST..main") commits)" \
	verify "$tmp/hist.remote" "$tmp/acked" 5
git -C "$REMOTE" show main:example.org >"$tmp/final"
awk '{printf "c%s 300 IN TXT \"%s\"\n", $1, $2}' "$tmp/acked" | sort >"$tmp/want.lines"
grep '^c[0-9]' "$tmp/final" | sort >"$tmp/final.lines"
check "the pushed zone file has no record twice ($(uniq -d "$tmp/final.lines" | wc -l) are)" \
	[ -z "$(uniq -d "$tmp/final.lines")" ]
check "the pushed zone file has every acknowledged record ($(comm -23 "$tmp/want.lines" "$tmp/final.lines" | wc -l) missing)" \
	[ -z "$(comm -23 "$tmp/want.lines" "$tmp/final.lines")" ]
nupd=$(grep -c '^UPDATE zone example.org key ' "$tmp/hist")
serial=$(dig +short -p $PORT @127.0.0.1 example.org SOA | awk '{print $3}')
check "the serial went up once per update committed: 1 + $nupd (serves $serial)" [ "$serial" = $((1 + nupd)) ]

# ---- the checker catches what it should ----
first1=$(awk '$1 == 1 {print $2; exit}' "$tmp/acked")
{
	cat "$tmp/hist"
	printf 'commit spoilt\nUPDATE zone example.org key c1._update.example.org.: serial 1 -> 2\n+c1 300 IN TXT "%s"\n' "$first1"
} >"$tmp/hist.dup"
spoil() { # spoil WHAT HISTORY ACKED PATTERN: verify fails, saying PATTERN
	if verify "$2" "$3" 100000 >"$tmp/spoil.out"; then
		bad "checker: $1 passes"
	elif grep -q -- "$4" "$tmp/spoil.out"; then
		ok "checker: $1 fails: $(grep -m1 -- "$4" "$tmp/spoil.out")"
	else
		bad "checker: $1 fails, but not for it"
		head -5 "$tmp/spoil.out" | sed 's/^/# /'
	fi
}
spoil "a step added twice" "$tmp/hist.dup" "$tmp/acked" "^client 1 step $first1: acknowledged, added by 2 commits$"
{ cat "$tmp/acked"; echo "3 $((MAX + 1))"; } >"$tmp/acked.lost"
spoil "an acknowledged step in no commit" "$tmp/hist" "$tmp/acked.lost" "^client 3 step $((MAX + 1)): acknowledged, added by 0 commits$"
{ grep -v '^1 ' "$tmp/acked"; grep '^1 ' "$tmp/acked" | tac; } >"$tmp/acked.order"
spoil "client 1's steps in reverse order" "$tmp/hist" "$tmp/acked.order" "^client 1 step [0-9]*: commit [0-9]*, before step"
awk '/^UPDATE zone example.org key c2/ && !done { done = 1; next } { print }' "$tmp/hist" >"$tmp/hist.msg"
spoil "a commit whose message misses a key" "$tmp/hist.msg" "$tmp/acked" "^commit [0-9]*: [0-9]* steps of client 2, its key named [0-9]* times$"
awk '/^\+c4 / && !done { done = 1; print "-c4 300 IN TXT \"0\"" } { print }' "$tmp/hist" >"$tmp/hist.rm"
spoil "a record removed" "$tmp/hist.rm" "$tmp/acked" '^removed in commit [0-9]*: -c4 300 IN TXT "0"$'

kill "$pid"
wait "$pid"
rc=$?
check "stops cleanly on SIGTERM (exit $rc)" [ "$rc" -eq 0 ]
# a ref lock left after a clean stop is one a kill -9 left and nobody
# cleared: in the clone it stops every later commit, in the remote every
# later push (an index lock of a pack is litter, nothing waits for it)
reflocks() { # reflocks REPO: the ref lock files in REPO
	(cd "$1" && find HEAD.lock config.lock packed-refs.lock refs -name '*.lock' 2>/dev/null | tr '\n' ' ')
}
check "no ref lock left in the workdir clone: $(reflocks "$WD/git")" [ -z "$(reflocks "$WD/git")" ]
check "no ref lock left in the remote: $(reflocks "$REMOTE")" [ -z "$(reflocks "$REMOTE")" ]
errs=$(grep -h -E '^(error|fatal)|Sanitizer' "$tmp/log."* | head -3)
check "no sanitizer report, no error logged${errs:+: $errs}" [ -z "$errs" ]
if [ "$fail" -gt 0 ]; then
	for f in "$tmp/log."*; do
		echo "# ---- last lines of $f"
		tail -n 15 "$f" | sed 's/^/# /'
	done
	[ -n "${UPDATE_KILL_KEEP:-}" ] && rm -rf "$UPDATE_KILL_KEEP" && cp -a "$tmp" "$UPDATE_KILL_KEEP"
fi
finish
