#!/usr/bin/env bash
# The README's certificate demo (conf/demo-acme.sh) works as printed: it
# runs pebble, a dnsd git primary, the letsencrypt role and dnsd-certify,
# and prints a certificate for www.example.org and mail.example.org
# issued by pebble.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need pebble openssl git
DNSD_DEMO_PORT=16640 DNSD_BUILD=$DNSD_BUILD timeout 200 \
	bash "$DNSD_SRC/conf/demo-acme.sh" "$tmp/demo" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
check "demo-acme: exits 0 (status $rc)" [ "$rc" -eq 0 ]
check "demo-acme: dnsd-certify says issued" grep -q "^issued: " "$tmp/out"
check "demo-acme: the subject" grep -q "subject=CN *= *www.example.org" "$tmp/out"
check "demo-acme: exactly the two names" grep -q "DNS:www.example.org, DNS:mail.example.org$" "$tmp/out"
check "demo-acme: issued by pebble" grep -q "issuer=CN *= *Pebble Intermediate CA" "$tmp/out"
check "demo-acme: nothing left running (the primary's port is free)" bash -c "! dig +time=1 +tries=1 -p 16640 @127.0.0.1 example.org SOA >/dev/null"
finish
