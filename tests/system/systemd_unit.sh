#!/usr/bin/env bash
# conf/dnsd@.service as systemd sees it, without running it (no systemd
# runs here): `systemd-analyze verify` of an instance (a copy whose
# ExecStart names the dnsd just built, the man pages of its
# Documentation= on MANPATH) has nothing to say, and `systemd-analyze
# security --offline=true` rates its exposure under 2.0, also as
# --threshold=19 (exposure x 10). The unit's contract: Type=notify, one
# config per instance, ExecReload by SIGHUP, StateDirectory per
# instance, the watchdog on. And the workdir a config leaves out is
# $STATE_DIRECTORY (dnsd -p prints it), /var/lib/dnsd without it.
# Skipped (77) only where systemd-analyze is absent.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
UNIT=$DNSD_SRC/conf/dnsd@.service

# ---- the workdir default (needs no systemd) ----
printf 'role primary\nlisten 127.0.0.1:16710\nzones-dir %s\n' "$DNSD_SRC/conf/zones" >"$tmp/p.conf"
env -u STATE_DIRECTORY "$DNSD" -c "$tmp/p.conf" -p >"$tmp/p0" 2>&1
check "no workdir, no STATE_DIRECTORY: /var/lib/dnsd" has "$tmp/p0" '^workdir /var/lib/dnsd$'
STATE_DIRECTORY=/var/lib/dnsd/primary:/var/lib/other "$DNSD" -c "$tmp/p.conf" -p >"$tmp/p1" 2>&1
check "no workdir: the first path of STATE_DIRECTORY" has "$tmp/p1" '^workdir /var/lib/dnsd/primary$'
printf 'workdir %s\n' "$tmp/w" >>"$tmp/p.conf"
STATE_DIRECTORY=/var/lib/dnsd/primary "$DNSD" -c "$tmp/p.conf" -p >"$tmp/p2" 2>&1
check "a workdir line wins over STATE_DIRECTORY" has "$tmp/p2" "^workdir $tmp/w\$"

# ---- the unit's contract ----
# shellcheck disable=SC2016 # $MAINPID is the unit's, not ours
for line in 'Type=notify' 'ExecStart=/usr/sbin/dnsd -c /etc/dnsd/%i.conf' \
	'ExecReload=/bin/kill -HUP $MAINPID' 'StateDirectory=dnsd/%i' \
	'User=dnsd' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' \
	'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes' \
	'LockPersonality=yes'; do
	check "unit: $line" grep -qxF -- "$line" "$UNIT"
done
check "unit: WatchdogSec set" grep -Eq '^WatchdogSec=[1-9]' "$UNIT"
check "the old conf/dnsd.service is gone" [ ! -e "$DNSD_SRC/conf/dnsd.service" ]

if ! command -v systemd-analyze >/dev/null; then
	echo "systemd-analyze absent: verify and security skipped"
	echo "$pass passed, $fail failed, skipped"
	[ "$fail" -eq 0 ] || exit 1
	exit 77
fi
systemd-analyze --version | head -1

# ---- systemd-analyze verify ----
mkdir -p "$tmp/units" "$tmp/man/man8" "$tmp/man/man5"
sed "s|^ExecStart=/usr/sbin/dnsd |ExecStart=$DNSD |" "$UNIT" >"$tmp/units/dnsd@.service"
cp "$DNSD_SRC/man/dnsd.8" "$tmp/man/man8/"
cp "$DNSD_SRC/man/dnsd.conf.5" "$tmp/man/man5/"
for inst in primary secondary letsencrypt; do
	(cd "$tmp/units" && MANPATH=$tmp/man systemd-analyze verify "./dnsd@$inst.service") >"$tmp/verify" 2>&1
	rc=$?
	check "verify dnsd@$inst.service: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "verify dnsd@$inst.service: nothing to say: $(cat "$tmp/verify")" [ ! -s "$tmp/verify" ]
done
# a unit systemd would complain about is seen as such: the test can fail
sed 's/^Type=notify$/Type=notifyy/' "$tmp/units/dnsd@.service" >"$tmp/units/bad@.service"
(cd "$tmp/units" && MANPATH=$tmp/man systemd-analyze verify ./bad@x.service) >"$tmp/verify" 2>&1
check "verify complains of a broken copy of the unit" has "$tmp/verify" 'notifyy'

# ---- systemd-analyze security ----
(cd "$tmp/units" && systemd-analyze security --offline=true --no-pager ./dnsd@primary.service) >"$tmp/sec" 2>&1
grep -E '✗|Overall' "$tmp/sec" | sed 's/^/# /'
score=$(sed -n 's/.*Overall exposure level for dnsd@primary.service: \([0-9.]*\).*/\1/p' "$tmp/sec")
echo "exposure: ${score:-none}"
check "exposure found in the output" [ -n "$score" ]
check "exposure ${score:-none} under 2.0" awk -v s="${score:-99}" 'BEGIN { exit !(s < 2.0) }'
(cd "$tmp/units" && systemd-analyze security --offline=true --threshold=19 ./dnsd@primary.service) >/dev/null 2>&1
check "systemd-analyze security --threshold=19 passes" [ $? -eq 0 ]
finish
