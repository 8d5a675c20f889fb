#!/usr/bin/env bash
# The README's demo, on git: makes a bare repository from the example
# zones of conf/zones (plus a TSIG key for example.org), starts a dnsd
# primary on it on 127.0.0.1:5300 and [::1]:5300 (or DNSD_DEMO_PORT) in the foreground, and
# prints lines to try, a commit + push + signed NOTIFY round trip among
# them. Stop it with Ctrl-C.
#
#   conf/demo.sh [DIR]     DIR holds the repository, a work clone, the
#                          config and dnsd's state (default: a new
#                          temporary directory, kept afterwards)
#   DNSD_DEMO_PORT=5300    the port (the tests use another)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${DNSD_BUILD:-$top/build}
dnsd=$build/src/daemon/dnsd
tools=$build/src/tools
[ -x "$dnsd" ] || { echo "demo: build dnsd first (cmake --build build)" >&2; exit 1; }

port=${DNSD_DEMO_PORT:-5300}
dir=${1:-$(mktemp -d /tmp/dnsd-demo.XXXXXX)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
export GIT_AUTHOR_NAME="dnsd demo" GIT_AUTHOR_EMAIL="demo@example.org"
export GIT_COMMITTER_NAME="dnsd demo" GIT_COMMITTER_EMAIL="demo@example.org"

if [ ! -d "$dir/zones.git" ]; then
	git init -q --bare -b main "$dir/zones.git"
	git clone -q "$dir/zones.git" "$dir/work" 2>/dev/null
	cp "$top"/conf/zones/* "$dir/work/"
	"$tools/dnsd-keygen" -f dnskey personal._update.example.org \
		>"$dir/work/example.org._keys"
	# the transfer key of a secondary on 127.0.0.2, for every zone
	"$tools/dnsd-keygen" -f dnskey 127.0.0.1.127.0.0.2._transfer \
		>"$dir/work/_keys"
	git -C "$dir/work" add -A
	git -C "$dir/work" commit -q -m "example zones and a key"
	git -C "$dir/work" push -q origin main
fi
secret=$(awk '{print $NF}' "$dir/work/example.org._keys")
key=personal._update.example.org:SHA256:$secret
xsecret=$(awk '{print $NF}' "$dir/work/_keys")

cat >"$dir/dnsd.conf" <<EOF
# dnsd demo: a primary following the git repository $dir/zones.git
role primary
listen 127.0.0.1:$port
listen [::1]:$port
workdir $dir/state
git-remote $dir/zones.git
git-author "dnsd demo <dnsd@example.org>"
# NOTIFY the secondary of the transfer key (127.0.0.2) on this port
notify-port $port
log-level info
EOF
cat >"$dir/secondary.conf" <<EOF
# dnsd demo: a secondary of the demo primary on 127.0.0.2:$port; the root
# transfer key makes it learn every zone of the primary
role secondary
listen 127.0.0.2:$port
workdir $dir/secondary
primary 127.0.0.1:$port
key 127.0.0.1.127.0.0.2._transfer:SHA256:$xsecret
log-level info
EOF
mkdir -p "$dir/secondary"
"$dnsd" -c "$dir/dnsd.conf" -t

cat <<TRY

dnsd serves the zones of the git repository $dir/zones.git on port
$port (its clone is in $dir/state/git). In another shell, try:

  dig @127.0.0.1 -p $port example.org SOA
  dig @127.0.0.1 -p $port www.example.org A
  dig @::1 -p $port mirage ANY +tcp
  dig @127.0.0.1 -p $port nosuchname.example.org A      # NXDOMAIN, SOA in authority
  kdig @127.0.0.1 -p $port example.org MX

Change a record, commit, push, and tell dnsd with a signed NOTIFY; --wait
returns once dnsd serves the new serial:

  cd $dir/work
  echo 'demo A 192.0.2.77' >>example.org
  sed -i 's/2024010101 ; serial/2024010102 ; serial/' example.org
  $tools/dnsd-checkzone example.org
  git commit -qam 'add demo' && git push -q origin main
  $tools/dnsd-notify 127.0.0.1:$port example.org --key $key --zone-file example.org --wait 10
  dig @127.0.0.1 -p $port demo.example.org A +short      # 192.0.2.77

Or change it by dynamic UPDATE, signed with the same key: dnsd answers
once the change is committed, serves it, and pushes the commit:

  printf 'server 127.0.0.1 $port\nzone example.org\nupdate add dyn.example.org 300 A 192.0.2.99\nsend\n' | nsupdate -y hmac-sha256:personal._update.example.org:$secret
  dig @127.0.0.1 -p $port dyn.example.org A +short       # 192.0.2.99
  git -C $dir/zones.git log -1 --format='%an: %s%n%b' main

dnsd-update is the dynamic-DNS client: NAME's A and AAAA records become
these addresses (add, delete, replace and --prereq do the rest):

  $tools/dnsd-update 127.0.0.1:$port --key $key home.example.org 192.0.2.123 2001:db8::123
  dig @127.0.0.1 -p $port home.example.org AAAA +short   # 2001:db8::123

Run a dnsd secondary of it on 127.0.0.2 (another shell): it transfers
every zone, keeps a copy in $dir/secondary/zones, and gets each change
by IXFR on the primary's NOTIFY:

  $dnsd -c $dir/secondary.conf
  dig @127.0.0.2 -p $port ns1.example.org A +short      # 192.0.2.1
  dig @127.0.0.2 -p $port dyn.example.org A +short      # 192.0.2.99 after the UPDATE above

An unsigned NOTIFY is refused and pulls nothing:

  $tools/dnsd-notify 127.0.0.1:$port example.org        # REFUSED

TRY
exec "$dnsd" -c "$dir/dnsd.conf"
