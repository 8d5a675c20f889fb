#!/usr/bin/env bash
# Hidden secondaries (DESIGN.md, the deployment walk-through): a peer that
# sends a signed SOA query for the root with a transfer key at the root is
# told of every zone by NOTIFY, signed, on notify-port, and is remembered:
# a zone added to the repository later is NOTIFYed to it as well. An
# unsigned query, or one signed with an update key, teaches nothing.
. "$(dirname "$0")/lib.sh"
need git dig
PORT=15985
SINK=15986
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen

git init -q --bare -b main "$tmp/remote.git"
git clone -q "$tmp/remote.git" "$tmp/work" 2>/dev/null
for z in a.test b.test; do
	printf '$TTL 300\n@ SOA ns1.%s. h.%s. 1 3600 900 604800 300\n@ NS ns1\nns1 A 192.0.2.1\n' \
		"$z" "$z" >"$tmp/work/$z"
done
"$KEYGEN" -f dnskey sec._transfer. >"$tmp/work/_keys"
"$KEYGEN" -f dnskey u._update. >>"$tmp/work/_keys"
TSEC=$(awk '/^sec/ {print $NF}' "$tmp/work/_keys")
USEC=$(awk '/^u\./ {print $NF}' "$tmp/work/_keys")
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zones
git -C "$tmp/work" push -q origin main

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $tmp/remote.git
notify-port $SINK
log-level debug
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/log"
check "serves a.test" wait_answer $PORT ns1.a.test a.test SOA
$PY "$DNSD_SRC/tests/system/xfr_compare.py" notifysink "sec._transfer.:SHA256:$TSEC" $SINK 40 \
	>"$tmp/sink" 2>&1 &
pids+=($!)
sleep 0.5

dig +short -p $PORT @127.0.0.1 . SOA >/dev/null
dig +short -p $PORT @127.0.0.1 -y "hmac-sha256:u._update.:$USEC" . SOA >/dev/null
sleep 1.5
check "unsigned or update-key SOA queries teach nothing" [ ! -s "$tmp/sink" ]
check "nothing remembered for them" hasnt "$tmp/log" 'remembered as a secondary'

dig -p $PORT @127.0.0.1 -y "hmac-sha256:sec._transfer.:$TSEC" . SOA >"$tmp/dig" 2>&1
check "the root SOA query is answered (REFUSED, signed)" \
	bash -c "grep -q 'status: REFUSED' '$tmp/dig' && grep -q 'TSIG' '$tmp/dig'"
check "the sender is remembered" wait_log "$tmp/log" 'sec._transfer.) remembered as a secondary' 1
check "NOTIFY of a.test, signed" wait_log "$tmp/sink" '^notify a.test. signed sec._transfer.' 1
check "NOTIFY of b.test, signed" wait_log "$tmp/sink" '^notify b.test. signed sec._transfer.' 1
check "acknowledged" wait_log "$tmp/log" 'NOTIFY out zone b.test to 127.0.0.1#15986: acknowledged' 1

# a zone added later reaches the remembered secondary too
printf '$TTL 300\n@ SOA ns1.c.test. h.c.test. 1 3600 900 604800 300\n@ NS ns1\nns1 A 192.0.2.1\n' \
	>"$tmp/work/c.test"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m "c.test"
git -C "$tmp/work" push -q origin main
"$DNSD_BUILD/src/tools/dnsd-notify" 127.0.0.1:$PORT c.test --key "u._update.:SHA256:$USEC" >"$tmp/nout" 2>&1
check "NOTIFY for the new zone acknowledged: $(cat "$tmp/nout")" grep -q '^NOERROR' "$tmp/nout"
check "c.test served" wait_answer $PORT ns1.c.test c.test SOA
check "NOTIFY of the new zone c.test to the remembered secondary" \
	wait_log "$tmp/sink" '^notify c.test. signed sec._transfer.' 1
finish
