#!/usr/bin/env bash
# Every IXFR answer applies cleanly to the version the client had.
# A git primary serves a zone of ~300 names (A, AAAA, MX, TXT, CNAME, SRV,
# a delegation with glue, a wildcard); 12 commits follow, each a seeded
# random mix of added and deleted records, changed RDATA, changed RRset
# TTLs, deleted names, names added under the wildcard and SOA fields
# changed, the serial raised (once by 50000, once across 2^32: 4294967290
# -> 5, RFC 1982). After each commit a signed NOTIFY and, once the serial
# is served, its AXFR is recorded as that version's records
# (ixfr_apply.py, every message's TSIG verified) and the IXFR from the
# version before is checked. Then the IXFR from every older version to
# the newest, over TCP and UDP, first from the history in memory, then
# after a restart from the git history:
# - parsed per RFC 1995 (a SOA alone, the AXFR form, or old SOA,
#   deletions, new SOA, additions per sequence), TSIG on every message;
# - applied to the client's version: no deletion of an absent record, no
#   addition of a present one, each old SOA the one held, the serial
#   chain continuous, the result exactly the newest AXFR;
# - over UDP the whole incremental answer or exactly the SOA;
# - from the newest serial or ahead of it: the SOA alone; from a serial
#   never served: the zone in AXFR form over TCP, the SOA over UDP.
# 120 big TXT records make the AXFR two messages, and two commits that
# rewrite 45 of them make multi-message IXFR answers (TSIG chained). The
# checker is checked too: a good answer spoilt in six ways must fail.
# IXFR_APPLY_SEED picks another random mix.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need git dig
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
HELPER=$DNSD_SRC/tests/system/ixfr_apply.py
PORT=16300
NOTIFY_PORT=16301 # where dnsd NOTIFYs the hidden secondary (nobody listens)
SEED=${IXFR_APPLY_SEED:-20240601}
N=12

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="dnsd tests" GIT_AUTHOR_EMAIL=tests@dnsd.invalid
export GIT_COMMITTER_NAME="dnsd tests" GIT_COMMITTER_EMAIL=tests@dnsd.invalid
REMOTE=$tmp/remote.git
W=$tmp/work
V=$tmp/versions

# py ARGS...: the helper, its "ok - "/"FAIL: " lines counted as checks
py() {
	local line
	"$PY" "$HELPER" "$@" >"$tmp/py.out" 2>&1
	local rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"FAIL: "*) bad "${line#FAIL: }" ;;
		*) echo "$line" ;;
		esac
	done <"$tmp/py.out"
	check "ixfr_apply.py $1 exits 0 (got $rc)" [ "$rc" -eq 0 ]
}
serial_of() { sed -n "$(($1 + 1))p" "$V/serials"; }

# ---- the versions, the repository, dnsd ----
py gen "$V" "$SEED" "$N"
"$KEYGEN" -f dnskey t._transfer.example.org >"$tmp/key.dnskey"
KEY=t._transfer.example.org:SHA256:$(awk '{print $6}' "$tmp/key.dnskey")

git init -q --bare -b main "$REMOTE"
git init -q -b main "$W"
cp "$V/zone.0" "$W/example.org"
cp "$tmp/key.dnskey" "$W/example.org._keys"
git -C "$W" add -A
git -C "$W" commit -qm "version 0"
git -C "$W" push -q "$REMOTE" main
check "version 0 pushed" [ $? -eq 0 ]

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $REMOTE
notify-port $NOTIFY_PORT
log-level debug
EOF
mkdir -p "$tmp/wd"
LOG=$tmp/log
dnsd_start "$tmp/dnsd.conf" "$LOG"
check "dnsd serves version 0 (serial $(serial_of 0))" \
	wait_answer $PORT "^[^ ]* [^ ]* $(serial_of 0) " example.org SOA
py step "$V" $PORT "$KEY" 0

# ---- the commits ----
for k in $(seq 1 $N); do
	s=$(serial_of "$k")
	cp "$V/zone.$k" "$W/example.org"
	git -C "$W" commit -qam "version $k: $(paste -sd, "$V/changes.$k" | cut -c1-200)"
	git -C "$W" push -q "$REMOTE" main
	"$NOTIFY" 127.0.0.1:$PORT example.org --key "$KEY" --serial "$s" --wait 10 \
		>"$tmp/nout" 2>&1
	rc=$?
	check "version $k (serial $s, $(wc -l <"$V/changes.$k") changes): NOTIFY, served (exit $rc: $(tr '\n' ' ' <"$tmp/nout"))" \
		[ "$rc" -eq 0 ]
	py step "$V" $PORT "$KEY" "$k"
done

# ---- the checker catches what it should ----
py selftest "$V" $PORT "$KEY" $N

# ---- every older version to the newest, from the history in memory ----
py pairs "$V" $PORT "$KEY" $N memory
check "no error logged" bash -c "! grep -E '^(error|fatal)' '$LOG'"
check "IXFR answered incrementally from memory at least once" \
	has "$LOG" 'IXFR out zone example.org.* incremental$'

# ---- restart: the same from the git history ----
kill -TERM "$pid"
wait "$pid"
rc=$?
check "dnsd stops on SIGTERM (exit $rc)" [ "$rc" -eq 0 ]
cp "$LOG" "$tmp/log.1"
LOG=$tmp/log2
dnsd_start "$tmp/dnsd.conf" "$LOG"
check "dnsd restarted on the same workdir, serves serial $(serial_of $N)" \
	wait_answer $PORT "^[^ ]* [^ ]* $(serial_of $N) " example.org SOA
py pairs "$V" $PORT "$KEY" $N "git history"
check "after the restart: incremental answers from the git history" \
	has "$LOG" 'incremental (from the git history)'
check "no error logged after the restart" bash -c "! grep -E '^(error|fatal)' '$LOG'"
if [ "$fail" -ne 0 ]; then
	echo "# log before the restart (IXFR lines):"
	grep -E 'IXFR|error|warn' "$tmp/log.1" | tail -40 | sed 's/^/#   /'
	echo "# log after the restart (IXFR lines):"
	grep -E 'IXFR|error|warn' "$LOG" | tail -40 | sed 's/^/#   /'
fi
finish
