#!/usr/bin/env bash
# TSIG error cases on the wire (tsig_errors.py crafts and signs the
# requests by hand): every RCODE, TSIG error and signed-or-not as RFC 8945
# wants, refused requests gaining no data; and the secret never in the
# log.
set -u
DNSD=${DNSD_BUILD:?}/src/daemon/dnsd
SRC=${DNSD_SRC:?}
PY=/usr/bin/python3
PORT=15710
KEY=personal._update.example.org
SECRET=kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9rv2xg=
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

mkdir -p "$tmp/zones"
{
	printf '$ORIGIN example.org.\n$TTL 300\n'
	printf '@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\n'
	printf 'ns1 A 192.0.2.1\nwww A 192.0.2.80\n'
	for i in $(seq 1 40); do
		printf 'big TXT "%s %d"\n' "$(printf 'x%.0s' $(seq 1 100))" "$i"
	done
} >"$tmp/zones/example.org"
echo "$KEY. DNSKEY 0 3 163 $SECRET" >"$tmp/zones/example.org._keys"
cat >"$tmp/dnsd.conf" <<CONF
role primary
listen 127.0.0.1:$PORT
zones-dir zones
CONF

"$DNSD" -c "$tmp/dnsd.conf" 2>"$tmp/log" &
pid=$!
for _ in $(seq 1 50); do
	grep -q 'started: role primary' "$tmp/log" && break
	sleep 0.1
done

$PY "$SRC/tests/system/tsig_errors.py" "$PORT" "$KEY" "$SECRET" example.org \
	>"$tmp/py.out" 2>&1
rc=$?
grep -v ' passed, ' "$tmp/py.out"
read -r pypass _ pyfail _ < <(grep ' passed, ' "$tmp/py.out" || echo "0 passed, 1 failed")

fail=0
if grep -q "kJJq" "$tmp/log"; then
	echo "FAIL: the secret is in the log"
	fail=$((fail + 1))
fi
if ! grep -q "TSIG from 127.0.0.1#[0-9]* key nobody.example.org.: BADKEY" "$tmp/log"; then
	echo "FAIL: BADKEY not logged"
	fail=$((fail + 1))
fi
if ! grep -q "NOTIFY in zone example.org from 127.0.0.1#[0-9]* key $KEY. serial 77" "$tmp/log"; then
	echo "FAIL: the NOTIFY not logged"
	fail=$((fail + 1))
fi
kill "$pid"
wait "$pid"
st=$?
pid=
if [ "$st" -ne 0 ]; then
	echo "FAIL: dnsd exited $st"
	cat "$tmp/log"
	fail=$((fail + 1))
fi
echo "$((pypass + 4 - fail)) passed, $((pyfail + fail)) failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
