#!/usr/bin/env bash
# The README's demo: serves the example zones of conf/zones with
# conf/primary.conf on 127.0.0.1:5300 and [::1]:5300, in the foreground.
# Stop it with Ctrl-C.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${DNSD_BUILD:-$top/build}
dnsd=$build/src/daemon/dnsd
[ -x "$dnsd" ] || { echo "demo: build dnsd first (cmake --build build)" >&2; exit 1; }

"$dnsd" -c "$top/conf/primary.conf" -t
cat <<'TRY'

dnsd serves conf/zones/ on port 5300. In another shell, try:

  dig @127.0.0.1 -p 5300 example.org SOA
  dig @127.0.0.1 -p 5300 www.example.org A
  dig @::1 -p 5300 mirage ANY +tcp
  dig @127.0.0.1 -p 5300 nosuchname.example.org A      # NXDOMAIN, SOA in authority
  kdig @127.0.0.1 -p 5300 example.org MX
  dnsd-checkzone conf/zones/example.org                 # build/src/tools/dnsd-checkzone

Edit conf/zones/example.org (raise the serial), then reload without
dropping a query:  kill -HUP $(pgrep -f 'dnsd -c')

TRY
exec "$dnsd" -c "$top/conf/primary.conf"
