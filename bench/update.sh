#!/usr/bin/env bash
# Dynamic UPDATE benchmark: signed updates over TCP, each durable before
# its answer, against a dnsd git primary and BIND named (journal), in the
# same run. Not a test; see bench/README.md ("Dynamic UPDATE").
#
#   bench/update.sh [BUILD_DIR]
#
# UPDATES (2000) distinct updates (`add dNNNNN.example.org 300 A ...`)
# to a zone of three records (and NAMES more, `hN A`, if set), sent by
# `dnsperf -u -m tcp -c 10 -q 10` and by `-c 1 -q 1`, each measurement
# against a fresh server (the zone as it started, a directory of its
# own), RUNS (3) rounds that take the servers in turn; the report gives
# each figure's median. After each measurement: every update answered
# NOERROR (dnsperf's rcode counts), every name served (AXFR), and for
# dnsd the commits pushed to the remote hold them all (for named, its
# journal).
# BUILD_DIR (default build-rel in the source tree) is a Release build
# with dnsd and dnsd-keygen. Environment: RUNS, UPDATES, NAMES (0),
# SERVERS ("dnsd named"), CLIENTS ("10 1"), LIMIT (120 s,
# dnsperf's -l: a measurement that takes longer fails), PORT (16440:
# dnsd, PORT+1: named, on 127.0.0.1). Needs dnsperf, named, dig,
# named-journalprint, git and /usr/bin/python3; named runs as the
# invoking user with everything in the temporary directory.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-rel}
runs=${RUNS:-3}
servers=${SERVERS:-dnsd named}
clients=${CLIENTS:-10 1}
updates=${UPDATES:-2000}
names=${NAMES:-0}
limit=${LIMIT:-120}
port=${PORT:-16440}
py=/usr/bin/python3
dnsd=$build/src/daemon/dnsd
keygen=$build/src/tools/dnsd-keygen
declare -A ports=([dnsd]=$port [named]=$((port + 1)))

for tool in dnsperf named named-journalprint dig git "$py"; do
	command -v "$tool" >/dev/null || { echo "update.sh: missing $tool" >&2; exit 1; }
done
for bin in "$dnsd" "$keygen"; do
	if [ ! -x "$bin" ]; then
		echo "update.sh: no $bin; build first with" >&2
		echo "  cmake -S $src -B $build -DCMAKE_BUILD_TYPE=Release &&" \
		     "cmake --build $build -j2" >&2
		exit 2
	fi
done
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ "$type" = Release ] || echo "update.sh: warning: $build is a '$type' build, not Release" >&2

tmp=$(mktemp -d)
pid=
nrun=0
run=
stop() {
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
}
cleanup() {
	local rc=$?
	stop
	if [ -n "${KEEP:-}" ]; then echo "update.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@invalid
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp

# The zone, its update key, the initial commit, and the updates.
cat >"$tmp/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 1 3600 900 604800 300
@	NS	ns1
ns1	A	192.0.2.1
EOF
awk -v n="$names" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "h%d\tA\t198.%d.%d.%d\n", i, 18 + int(i / 65536) % 2,
		    int(i / 256) % 256, i % 256
}' >>"$tmp/example.org"
keyname=u._update.example.org
"$keygen" -f dnskey "$keyname" >"$tmp/example.org._keys"
secret=$(awk '{print $NF}' "$tmp/example.org._keys")
git init -q -b main "$tmp/work"
cp "$tmp/example.org" "$tmp/example.org._keys" "$tmp/work/"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zone
git clone -q --bare "$tmp/work" "$tmp/initial.git"
awk -v n="$updates" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "example.org\nadd d%05d 300 A 10.%d.%d.%d\nsend\n", i,
		    int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >"$tmp/updates.txt"

# ready PORT: true once the server answers the zone's SOA.
ready() {
	for _ in $(seq 100); do
		if dig +time=1 +tries=1 -p "$1" @127.0.0.1 example.org SOA \
			+short 2>/dev/null | grep -q ' 1 3600 '; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# free NAME: nothing listens on the server's port yet (named binds with
# SO_REUSEPORT, so a leftover server there would silently take part of
# the connections).
free() {
	if command -v ss >/dev/null &&
		[ -n "$(ss -Hltn "sport = :${ports[$1]}" 2>/dev/null)" ]; then
		echo "update.sh: port ${ports[$1]} is in use:" >&2
		ss -ltnp "sport = :${ports[$1]}" >&2
		exit 1
	fi
}

# started NAME LOG: the server just started in the background is up.
started() {
	pid=$!
	if ! ready "${ports[$1]}"; then
		echo "update.sh: $1 did not come up; its log:" >&2
		cat "$2" >&2
		exit 1
	fi
}

# A git primary on a bare repository of its own (the remote it pushes
# to), cloned into a fresh workdir; log-level info, a line per update,
# as BIND's default logging writes one. No limit of queries per TCP
# connection that a run reaches (dnsd closes one after 1,000 by default,
# BIND never): dnsperf does not send again what a closing connection
# left unanswered (README "A lost update").
start_dnsd() {
	local d=$run/dnsd
	free dnsd
	mkdir -p "$d"
	cp -a "$tmp/initial.git" "$d/remote.git"
	cat >"$d/dnsd.conf" <<-EOF
		role primary
		listen 127.0.0.1:${ports[dnsd]}
		workdir $d/wd
		git-remote $d/remote.git
		git-author "bench <bench@invalid>"
		allow-transfer 127.0.0.1
		log-level info
		tcp-max-queries 65535
	EOF
	"$dnsd" -c "$d/dnsd.conf" 2>"$d/log" &
	started dnsd "$d/log"
}

# A primary zone with allow-update by the same key and its journal
# (BIND's default: example.org.jnl, fsync'd at each commit), default
# threads (one per core), logging to stderr as -g does.
start_named() {
	local d=$run/named
	free named
	mkdir -p "$d"
	cp "$tmp/example.org" "$d/"
	cat >"$d/named.conf" <<-EOF
		options {
			directory "$d";
			pid-file "$d/named.pid";
			listen-on port ${ports[named]} { 127.0.0.1; };
			listen-on-v6 { none; };
			recursion no;
			notify no;
			allow-transfer { 127.0.0.1; };
		};
		controls { };
		key "$keyname" { algorithm hmac-sha256; secret "$secret"; };
		zone "example.org" {
			type primary;
			file "example.org";
			allow-update { key "$keyname"; };
		};
	EOF
	named -g -c "$d/named.conf" >"$d/log" 2>&1 &
	started named "$d/log"
}

# cpu: utime + stime of the server, in clock ticks (every thread, those
# that ended included).
cpu() { sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'; }

# checked SERVER: after a measurement, what the server holds; prints
# "names N history H groups G" (H: updates the git history or the
# journal records, G: dnsd's commits, 0 for named).
checked() {
	local names hist groups=0 d=$run/$1
	names=$(dig +tcp +time=10 -p "${ports[$1]}" @127.0.0.1 example.org AXFR 2>/dev/null |
		grep -c '^d[0-9]*\.example\.org\..*	A	' || true)
	if [ "$1" = dnsd ]; then
		local git="git -C $d/wd/git"
		# the journal is committed once no UPDATE came for 50 ms, and
		# pushed then; wait for the remote to hold them all
		for _ in $(seq 100); do
			[ "$(git -C "$d/remote.git" rev-parse main)" = "$($git rev-parse main)" ] &&
				[ "$(git -C "$d/remote.git" log --format=%B main | grep -c '^UPDATE zone example.org key ')" -ge "$updates" ] &&
				break
			sleep 0.1
		done
		if [ "$(git -C "$d/remote.git" rev-parse main)" != "$($git rev-parse main)" ]; then
			echo "update.sh: dnsd's remote is not at the clone's head" >&2
			hist=0
		else
			hist=$(git -C "$d/remote.git" log --format=%B main |
				grep -c '^UPDATE zone example.org key ' || true)
			local infile
			infile=$(git -C "$d/remote.git" show main:example.org | grep -c '^d[0-9]' || true)
			[ "$infile" = "$hist" ] || hist="$hist/$infile"
		fi
		groups=$(($(git -C "$d/remote.git" rev-list --count main) - 1))
	else
		hist=$(named-journalprint "$d/example.org.jnl" 2>/dev/null |
			grep -c '^add d[0-9]*\.example\.org\..*	A	' || true)
	fi
	echo "names $names history $hist groups $groups"
}

# measure SERVER CLIENTS ROUND: a fresh server, one dnsperf run, checks;
# a line of the results file.
measure() {
	local s=$1 c=$2 round=$3 out=$tmp/dnsperf.out
	# a directory for each measurement, all removed at the end: on ext4
	# without a journal, as here, inodes freed in the last minute or
	# more make every file creation slower (find_inode_bit skips them
	# one by one), and a git primary creates a dozen files a commit
	nrun=$((nrun + 1))
	run=$tmp/run$nrun
	"start_$s"
	local before after
	before=$(cpu)
	timeout $((limit + 30)) dnsperf -u -m tcp -c "$c" -q "$c" -n 1 \
		-l "$limit" -t 10 -s 127.0.0.1 -p "${ports[$s]}" \
		-d "$tmp/updates.txt" -y "hmac-sha256:$keyname:$secret" \
		>"$out" 2>&1 || true
	after=$(cpu)
	local check
	check=$(checked "$s")
	stop
	awk -v s="$s" -v c="$c" -v r="$round" -v cpu=$((after - before)) \
		-v hz="$(getconf CLK_TCK)" -v check="$check" '
		/Updates completed:/ { done = $3 }
		/Response codes:/ { sub(/^ *Response codes: */, ""); gsub(/ /, "_"); rc = $0 }
		/Updates per second:/ { qps = $4 }
		/Average Latency/ && !lat { lat = $4; mx = $8; sub(/\)/, "", mx) }
		END {
			# a dnsperf that failed outright still makes a row
			if (qps == "") { qps = 0; lat = 0; mx = 0; done = 0 }
			if (rc == "") rc = "none"
			split(check, k, " ")
			printf "%s %d %d %s %s %s %s %s %.4f %s %s %s\n", s, c, r,
			    qps, lat, mx, done, rc, cpu / hz, k[2], k[4], k[6]
		}' "$out" | tee -a "$tmp/results.txt" | awk '{
		printf "  %-5s -c %-2s round %s: %8.1f updates/s, latency avg %.4f max %.4f s, %s answered (%s), names %s, history %s%s\n",
		    $1, $2, $3, $4, $5, $6, $7, $8, $10, $11, ($12 > 0 ? ", commits " $12 : "")
	}'
}

echo "$updates distinct signed updates over TCP to a zone of" \
     "$((names + 3)) records, fresh servers, $runs round(s), servers in turn"
for round in $(seq "$runs"); do
	order=$servers
	[ $((round % 2)) -eq 0 ] && order=$(echo "$servers" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}')
	for c in $clients; do
		for s in $order; do
			measure "$s" "$c" "$round"
		done
	done
done
echo
"$py" - "$tmp/results.txt" "$updates" <<'EOF'
import statistics, sys

rows = [l.split() for l in open(sys.argv[1])]
want = int(sys.argv[2])
med = statistics.median
ok = True
res = {}
for s, c, r, qps, lat, mx, done, rc, cpu, names, hist, groups in rows:
    res.setdefault((s, int(c)), []).append(
        dict(qps=float(qps), lat=float(lat), max=float(mx), cpu=float(cpu),
             groups=int(groups)))
    good = (done == str(want) and rc.startswith('NOERROR_%d_' % want)
            and names == str(want) and hist == str(want))
    if not good:
        ok = False
        print('FAILED: %s -c %s round %s: %s completed, rcodes %s, '
              '%s names served, history %s' % (s, c, r, done, rc, names, hist))
# c / avg latency: the rate with the window of c updates always full
# (Little's law); dnsperf's own rate falls below it when dnsperf is slow
# to send the next update (with -q 1 it often waits for its 100 ms poll).
print('%-6s %3s %10s %9s %11s %11s %11s %9s %s' % (
    'server', '-c', 'updates/s', 'c/avg lat', 'avg lat ms', 'max lat ms',
    'worst max', 'CPU us/u', 'updates/s of the rounds'))
for (s, c), v in sorted(res.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
    print('%-6s %3d %10.0f %9.0f %11.2f %11.2f %11.2f %9.0f %s' % (
        s, c, med(x['qps'] for x in v), c / med(x['lat'] for x in v),
        1000 * med(x['lat'] for x in v),
        1000 * med(x['max'] for x in v), 1000 * max(x['max'] for x in v),
        1e6 * med(x['cpu'] for x in v) / want,
        ' '.join('%.0f' % x['qps'] for x in v)))
    if s == 'dnsd':
        g = med(x['groups'] for x in v)
        print('%-6s %3s %s commits, %.1f updates a commit' % ('', '', g, want / g if g else 0))
for c in sorted({c for _, c in res}, reverse=True):
    if ('dnsd', c) in res and ('named', c) in res:
        d = med(x['qps'] for x in res[('dnsd', c)])
        n = med(x['qps'] for x in res[('named', c)])
        dl = med(x['lat'] for x in res[('dnsd', c)])
        nl = med(x['lat'] for x in res[('named', c)])
        print('-c %-2d dnsd / named: updates/s %.2f, c/avg lat %.2f, '
              'avg latency %.2f' % (c, d / n, nl / dl, dl / nl))
print('all updates answered NOERROR, served and recorded' if ok else
      'SOME MEASUREMENTS FAILED (above)')
sys.exit(0 if ok else 1)
EOF
