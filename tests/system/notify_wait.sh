#!/usr/bin/env bash
# dnsd-notify --wait against a dnsd primary: after the acknowledged
# NOTIFY it polls the SOA until the server serves the serial of --serial
# or --zone-file (RFC 1982 "at least"), exit 0; 3 on timeout with the
# last serial seen; --wait, --wait N and --wait=N; usage errors.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
PORT=15800
SERVER=127.0.0.1:$PORT
need dig

# shellcheck disable=SC2016 # $ORIGIN and $TTL are zone-file text
zone() { # zone FILE SERIAL: example.org with that serial
	printf '$ORIGIN example.org.\n$TTL 300\n@ SOA ns1 hostmaster %s 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n' \
		"$2" >"$1"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
alive() { kill -0 "$1" 2>/dev/null; }                   # alive PID
between() { [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; } # between N LOW HIGH
# serve SERIAL: the served zone raised (or lowered) to SERIAL, reloaded
serve() {
	zone "$tmp/zones/example.org" "$1"
	kill -HUP "$DNSD_PID"
}
# nw EXPECTED-STATUS DESCRIPTION ARGS...: dnsd-notify ARGS, its status
# checked, stdout in $tmp/nout, stderr in $tmp/nerr, time taken in $ms
nw() {
	local want=$1 what=$2 t0 st
	shift 2
	t0=$(now_ms)
	"$NOTIFY" "$@" >"$tmp/nout" 2>"$tmp/nerr"
	st=$?
	ms=$(($(now_ms) - t0))
	check "$what: exit $want (got $st in $ms ms: $(cat "$tmp/nout" "$tmp/nerr"))" [ "$st" -eq "$want" ]
}
# bg_start ARGS...: dnsd-notify ARGS in the background, its pid in $np
bg_start() {
	"$NOTIFY" "$@" >"$tmp/nout" 2>"$tmp/nerr" &
	np=$!
	pids+=("$np")
}
# bg_end: waits for $np; its status in $st, the time since $t0 in $ms
bg_end() {
	wait "$np"
	st=$?
	ms=$(($(now_ms) - t0))
}

mkdir -p "$tmp/zones" "$tmp/local"
zone "$tmp/zones/example.org" 1
"$KEYGEN" -f dnskey personal._update.example.org >"$tmp/zones/example.org._keys"
K=personal._update.example.org:SHA256:$(awk '{print $6}' "$tmp/zones/example.org._keys")
cat >"$tmp/dnsd.conf" <<EOF
role primary
listen $SERVER
zones-dir zones
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/log"
DNSD_PID=$pid
check "dnsd starts" wait_log "$tmp/log" 'started: role primary' 1
check "serves serial 1" wait_answer $PORT ' 1 3600 ' example.org SOA

# (1) the serial is there already: at once
nw 0 "--wait --serial 1" $SERVER example.org --key "$K" --serial 1 --wait
check "--wait --serial 1: at once" [ "$ms" -lt 1000 ]
check "--wait --serial 1: NOERROR, then the serial" \
	bash -c "[ \"\$(cat '$tmp/nout')\" = \"\$(printf 'NOERROR\nserial 1')\" ]"
check "--wait --serial 1: nothing on stderr" [ ! -s "$tmp/nerr" ]
# a bare --wait before SERVER does not eat SERVER
nw 0 "--wait first, then SERVER ZONE" --wait $SERVER example.org --key "$K" -s 1
nw 0 "--wait=5" $SERVER example.org --key "$K" --serial 1 --wait=5

# (2) waiting for a serial that comes with a reload
bg_start $SERVER example.org --key "$K" --wait 10 --serial 2
sleep 0.7
check "--wait 10 --serial 2: still waiting while serial 1 is served" alive "$np"
t0=$(now_ms)
serve 2
bg_end
check "--wait 10 --serial 2: exit 0 after the reload (got $st in $ms ms: $(cat "$tmp/nout" "$tmp/nerr"))" \
	[ "$st" -eq 0 ]
check "--wait 10 --serial 2: within 3 s of the reload" [ "$ms" -lt 3000 ]
check "--wait 10 --serial 2: prints serial 2" has "$tmp/nout" '^serial 2$'
check "the NOTIFY carried serial 2" wait_log "$tmp/log" 'NOTIFY in zone example.org from .* serial 2' 1

# (3) timeout: status 3 after about the time given, naming the serial seen
nw 3 "--wait 1 --serial 5" $SERVER example.org --key "$K" --wait 1 --serial 5
check "--wait 1: about 1 s (took $ms ms)" between "$ms" 900 2500
check "--wait 1: one line on stderr" [ "$(wc -l <"$tmp/nerr")" -eq 1 ]
check "--wait 1: names the wanted and the served serial" \
	has "$tmp/nerr" 'serial 5 not served after 1 s: it serves serial 2$'

# (4) --zone-file: the serial of a local copy, carried by the NOTIFY too
zone "$tmp/local/example.org" 3
bg_start $SERVER example.org --key "$K" --zone-file "$tmp/local/example.org" --wait 10
check "--zone-file: the NOTIFY carried the file's serial 3" \
	wait_log "$tmp/log" 'NOTIFY in zone example.org from .* serial 3' 1
check "--zone-file: still waiting while serial 2 is served" alive "$np"
t0=$(now_ms)
serve 3
bg_end
check "--zone-file: exit 0 after the reload (got $st in $ms ms: $(cat "$tmp/nout" "$tmp/nerr"))" \
	[ "$st" -eq 0 ]
check "--zone-file: prints serial 3" has "$tmp/nout" '^serial 3$'
# shellcheck disable=SC2016 # zone-file text
printf '$ORIGIN example.org.\n@ NS ns1\n' >"$tmp/local/broken"
nw 2 "--zone-file without a SOA" $SERVER example.org --key "$K" --zone-file "$tmp/local/broken" --wait 1
check "--zone-file without a SOA: says which file" has "$tmp/nerr" "$tmp/local/broken"
nw 2 "--zone-file missing" $SERVER example.org --key "$K" --zone-file "$tmp/local/nope" --wait 1

# (5) RFC 1982: 4294967295 is before 1, 1 is after 4294967295
serve 4294967295
check "serves serial 4294967295" wait_answer $PORT ' 4294967295 3600 ' example.org SOA
nw 3 "served 4294967295, wanted 1: not reached" $SERVER example.org --key "$K" --wait 1 --serial 1
check "served 4294967295: named in the message" has "$tmp/nerr" 'it serves serial 4294967295$'
serve 1
check "serves serial 1 again" wait_answer $PORT ' 1 3600 ' example.org SOA
nw 0 "served 1, wanted 4294967295: reached" $SERVER example.org --key "$K" --wait 1 --serial 4294967295
check "served 1, wanted 4294967295: at once" [ "$ms" -lt 1000 ]
nw 0 "served 1, wanted 4294967294: reached" $SERVER example.org --key "$K" --wait 1 --serial 4294967294

# (6) usage errors; a NOTIFY refused means no waiting
nw 2 "--wait without --serial or --zone-file" $SERVER example.org --key "$K" --wait 1
check "--wait alone: says what it needs" has "$tmp/nerr" '--wait needs --serial or --zone-file'
nw 2 "--wait=abc" $SERVER example.org --key "$K" --serial 1 --wait=abc
nw 2 "--wait=0" $SERVER example.org --key "$K" --serial 1 --wait=0
nw 2 "--serial with --zone-file" $SERVER example.org --key "$K" --serial 1 \
	--zone-file "$tmp/local/example.org" --wait
nw 1 "unsigned NOTIFY with --wait: REFUSED" $SERVER example.org --serial 1 --wait 5
check "refused NOTIFY: no waiting" [ "$ms" -lt 1000 ]
check "refused NOTIFY: no serial printed" hasnt "$tmp/nout" 'serial'
"$NOTIFY" --help >"$tmp/nout"
check "--help names --wait and exit status 3" \
	bash -c "grep -q -- '--wait \[S\]' '$tmp/nout' && grep -q '3 --wait timed out' '$tmp/nout'"

finish
