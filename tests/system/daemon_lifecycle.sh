#!/usr/bin/env bash
# dnsd's life as an operator sees it: start on a zones-dir, answer, reload
# on SIGHUP without dropping queries, keep the last good version of a
# broken zone, stop serving a removed zone, check mode (-t), version (-V),
# clean stop on SIGTERM (exit 0; under ASan this includes the leak check).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=15300

q() { # q NAME TYPE [ADDR]: the answer section, short
	dig +short +tries=1 +time=2 -p "$PORT" "@${3:-127.0.0.1}" "$1" "$2"
}
status() { # status NAME TYPE: the response's RCODE
	dig +tries=1 +time=2 -p "$PORT" @127.0.0.1 "$1" "$2" |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
serial() { q "$1" SOA | awk '{print $3}'; }
count() { grep -c -- "$1" "$tmp/log"; }

zone() { # zone SERIAL [EXTRA LINE]: writes example.org
	cat >"$tmp/zones/example.org" <<EOF
\$ORIGIN example.org.
\$TTL 300
@	SOA	ns1 hostmaster $1 3600 600 86400 300
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.80
${2:-}
EOF
}

mkdir -p "$tmp/zones"
zone 1
cat >"$tmp/zones/mirage" <<'EOF'
$ORIGIN mirage.
$TTL 3600
@	SOA	ns1	hostmaster	1	86400	7200	1048576	3600
@	NS	ns1
ns1	A	127.0.0.1
www	A	1.1.1.1
EOF
# A larger zone, so that a reload takes a while and queries do arrive
# during it.
$PY - "$tmp/zones/big.test.zone" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("$ORIGIN big.test.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 300\n"
            "@ NS ns\nns A 192.0.2.53\n")
    for i in range(60000):
        f.write("h%d A 10.%d.%d.%d\n" % (i, i >> 16, (i >> 8) & 255, i & 255))
EOF
# A key file: loaded for TSIG, never served.
echo 'personal._update.example.org. DNSKEY 0 3 163 kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9rv2xg=' \
	>"$tmp/zones/example.org._keys"
echo "ignored" >"$tmp/zones/.hidden"

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
listen [::1]:$PORT
zones-dir zones
workers 2
log-level debug
EOF

# -V and -t before anything runs.
"$DNSD" -V >"$tmp/out" 2>&1
check "-V prints the version" grep -Eq '^dnsd [0-9]+\.[0-9]+' "$tmp/out"
"$DNSD" -c "$tmp/dnsd.conf" -t >"$tmp/out" 2>&1
rc=$?
check "-t on a good config exits 0: $(cat "$tmp/out")" [ "$rc" -eq 0 ]
check "-t says OK" grep -q 'configuration OK' "$tmp/out"

dnsd_start "$tmp/dnsd.conf" "$tmp/log"
check "dnsd starts and says so" wait_log "$tmp/log" 'started: role primary' 1

# Serving.
check "SOA of example.org" [ "$(serial example.org)" = 1 ]
check "SOA of mirage over IPv6" [ "$(q mirage SOA ::1 | awk '{print $3}')" = 1 ]
check "A in the big zone" [ "$(q h1234.big.test A)" = 10.0.4.210 ]
check "AA set" bash -c "dig -p $PORT @127.0.0.1 example.org SOA | grep -q 'flags: qr aa'"
check "an unserved zone is REFUSED" [ "$(status example.net SOA)" = REFUSED ]
check "the key file is not served" [ "$(status example.org._keys SOA)" = REFUSED ]
check "the hidden file is not read" bash -c "! grep -q hidden '$tmp/log'"
check "log: loaded serial" grep -q 'zone example.org: loaded serial 1 (4 records)' "$tmp/log"
check "log: big.test named without .zone" grep -q 'zone big.test: loaded serial 1 (60003 records)' "$tmp/log"
check "log: the key was loaded" grep -q 'serving 3 zones, 1 key' "$tmp/log"
check "no secret in the log" bash -c "! grep -q kJJq '$tmp/log'"

# Reload under load: queries fired all along, every one answered, serials
# only ever 1 then 2.
zone 2 "new	A	192.0.2.99"
$PY - "$PORT" >"$tmp/load" <<'EOF' &
import sys, time
import dns.message, dns.query, dns.rcode
port = int(sys.argv[1])
end = time.time() + 2.5
answered = lost = 0
serials = []
while time.time() < end:
    q = dns.message.make_query("example.org", "SOA")
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
    except Exception:
        lost += 1
        continue
    if r.rcode() != dns.rcode.NOERROR or not r.answer:
        lost += 1
        continue
    answered += 1
    s = r.answer[0][0].serial
    if not serials or serials[-1] != s:
        serials.append(s)
print(answered, lost, ",".join(map(str, serials)))
EOF
loader=$!
sleep 0.5
kill -HUP "$pid"
check "reload finishes" wait_log "$tmp/log" 'serving 3 zones' 2
wait "$loader"
read -r answered lost serials <"$tmp/load"
echo "reload under load: $answered answered, $lost lost, serials $serials"
check "queries answered during the reload ($answered)" [ "${answered:-0}" -gt 100 ]
check "no query lost during the reload ($lost lost)" [ "${lost:-1}" -eq 0 ]
check "serials seen in order: $serials" [ "$serials" = "1,2" ]
check "new serial served" [ "$(serial example.org)" = 2 ]
check "new record served" [ "$(q new.example.org A)" = 192.0.2.99 ]
check "log: serial 2" grep -q 'zone example.org: loaded serial 2' "$tmp/log"

# A broken zone keeps its last good version; the log says where and why.
zone 3 "bad	A	192.0.2.300"
kill -HUP "$pid"
check "reload with a broken zone finishes" wait_log "$tmp/log" 'serving 3 zones' 3
check "the old serial is still served" [ "$(serial example.org)" = 2 ]
check "the old data is still served" [ "$(q new.example.org A)" = 192.0.2.99 ]
check "log: the error names file and line" grep -q "$tmp/zones/example.org:7:" "$tmp/log"
check "log: keeping serial 2" grep -q 'zone example.org: reload failed, keeping serial 2' "$tmp/log"
check "the other zones reloaded" [ "$(count 'zone mirage: loaded serial 1')" -ge 3 ]
# No query came since: both workers are idle, and the old database is
# freed all the same (the main loop nudges idle workers).
check "old databases freed with idle workers" wait_log "$tmp/log" 'old zone database freed (generation 2)' 1

# -t on the broken zone: exit 1, file:line named.
"$DNSD" -c "$tmp/dnsd.conf" -t >"$tmp/out" 2>&1
check "-t on a broken zone exits 1" [ $? -eq 1 ]
check "-t names file:line:col" grep -q "$tmp/zones/example.org:7:[0-9]*: error" "$tmp/out"
check "-t does not say OK" bash -c "! grep -q 'configuration OK' '$tmp/out'"

# -t on a bad key file: the problem is named, the secret never shown.
mkdir "$tmp/kz"
cp "$tmp/zones/example.org" "$tmp/kz/"
echo 'k._update.example.org. DNSKEY 0 3 199 kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9rv2xg=' \
	>"$tmp/kz/example.org._keys"
printf 'role primary\nzones-dir kz\n' >"$tmp/kz.conf"
"$DNSD" -c "$tmp/kz.conf" -t >"$tmp/out" 2>&1
check "-t on a bad key file exits 1" [ $? -eq 1 ]
check "-t names the key file and line" grep -q "$tmp/kz/example.org._keys:1:" "$tmp/out"
check "-t shows no secret" bash -c "! grep -q kJJq '$tmp/out'"

# A removed zone file: that zone is no longer served.
zone 3
rm "$tmp/zones/mirage"
kill -HUP "$pid"
check "reload after removal finishes" wait_log "$tmp/log" 'serving 2 zones' 1
check "removed zone is REFUSED" [ "$(status mirage SOA)" = REFUSED ]
check "log: the file is gone" grep -q 'zone mirage: its file is gone' "$tmp/log"
check "fixed zone served again" [ "$(serial example.org)" = 3 ]

# A broken config on SIGHUP: the running one stays, the zones reload.
cp "$tmp/dnsd.conf" "$tmp/good.conf"
echo "lisen 127.0.0.1" >>"$tmp/dnsd.conf"
zone 4
kill -HUP "$pid"
check "reload with a bad config finishes" wait_log "$tmp/log" 'serving 2 zones' 2
check "log: config error as file:line" grep -q "dnsd.conf:7: unknown keyword 'lisen'" "$tmp/log"
check "log: keeping the running config" grep -q 'keeping the running configuration' "$tmp/log"
check "zones reloaded anyway" [ "$(serial example.org)" = 4 ]
"$DNSD" -c "$tmp/dnsd.conf" -t >"$tmp/out" 2>&1
check "-t on a bad config exits 1" [ $? -eq 1 ]
check "-t on a bad config names the line" grep -qx "$tmp/dnsd.conf:7: unknown keyword 'lisen'" "$tmp/out"

# A changed listen set needs a restart, and says so.
sed "s/^listen 127.0.0.1:$PORT/listen 127.0.0.1:$((PORT + 1))/" "$tmp/good.conf" >"$tmp/dnsd.conf"
kill -HUP "$pid"
check "reload with new listen finishes" wait_log "$tmp/log" 'serving 2 zones' 3
check "log: listen needs a restart" grep -q 'listen addresses changed; they take effect at the next restart' "$tmp/log"
check "still answering on the old port" [ "$(serial example.org)" = 4 ]

# SIGTERM: exit 0 within a second.
kill -TERM "$pid"
for _ in $(seq 1 10); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	bad "still running 1 s after SIGTERM"
	kill -9 "$pid"
else
	ok
fi
wait "$pid"
rc=$?
pids=()
check "exit status 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]
check "log: stopped" grep -q '^info: stopped' "$tmp/log"
check "port closed" bash -c "! dig +tries=1 +time=1 -p $PORT @127.0.0.1 example.org SOA >/dev/null"

# Privilege drop (needs root): `user nobody` binds as root, then serves as
# nobody, reading the zone files after the switch.
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
	chmod 755 "$tmp" "$tmp/zones"
	chmod 644 "$tmp"/zones/*
	printf 'role primary\nlisten 127.0.0.1:%s\nzones-dir zones\nuser nobody\n' \
		$((PORT + 1)) >"$tmp/user.conf"
	dnsd_start "$tmp/user.conf" "$tmp/log"
	check "dnsd with user starts" wait_log "$tmp/log" 'started: role primary' 1
	check "log: running as nobody" grep -q 'running as user nobody' "$tmp/log"
	uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$pid/status")
	nobody=$(id -u nobody)
	check "every uid is nobody's ($uid)" [ "$uid" = "$nobody$nobody$nobody$nobody" ]
	s=$(dig +short +tries=1 +time=2 -p $((PORT + 1)) @127.0.0.1 example.org SOA)
	check "serving as nobody" [ "$(echo "$s" | awk '{print $3}')" = 4 ]
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pids=()
	check "exit status 0 after SIGTERM as nobody (got $rc)" [ "$rc" -eq 0 ]
else
	echo "skipped: privilege drop (not root)"
fi

if [ "$fail" -ne 0 ]; then
	echo "--- dnsd log"
	cat "$tmp/log"
fi
finish
