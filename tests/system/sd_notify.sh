#!/usr/bin/env bash
# systemd's notification protocol without systemd: dnsd runs with
# NOTIFY_SOCKET naming a datagram socket that sd_listen.py reads (a path
# for the primary, an abstract @name for the secondary), and every
# message must arrive, in order:
# - primary on git, first start (the clone is made after start-up):
#   READY=1 only once the zone is served (sd_listen.py asks the moment
#   READY=1 arrives; the log says the zone was served before READY=1 was
#   sent), STATUS= with the zone count and the last pull with its commit,
#   WATCHDOG=1 about every half WATCHDOG_USEC;
# - SIGHUP after a push: RELOADING=1 with a MONOTONIC_USEC taken just
#   before it arrived, then READY=1 once the reload job (which pulls)
#   ended: the new serial is served when it arrives;
# - a secondary: READY=1 (its copies on disk, none here: not waiting for
#   the transfer), STATUS= with the zone count and the AXFR's serial, and
#   no WATCHDOG=1 when WATCHDOG_PID names another process;
# - SIGTERM: STOPPING=1, the last message.
# shellcheck disable=SC2016 # zone text, and expressions for expect to eval
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need dig git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
P=16700 # primary
S=16702 # secondary, on 127.0.0.2
LISTEN=$DNSD_SRC/tests/system/sd_listen.py

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

XK=127.0.0.1.127.0.0.2._transfer.example.org
"$KEYGEN" -f dnskey $XK >"$tmp/xk.dnskey"
zone() { # zone SERIAL: the zone file of the work clone
	printf '$ORIGIN example.org.\n$TTL 300\n@ SOA ns1 hostmaster %s 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n' "$1" >"$tmp/work/example.org"
}
git init -q --bare -b main "$tmp/remote.git"
git init -q -b main "$tmp/work"
zone 1
cp "$tmp/xk.dnskey" "$tmp/work/example.org._keys"
git -C "$tmp/work" add -A && git -C "$tmp/work" commit -q -m one &&
	git -C "$tmp/work" push -q "$tmp/remote.git" main
C1=$(git -C "$tmp/work" rev-parse HEAD | cut -c1-7)

cat >"$tmp/p.conf" <<EOF
role primary
listen 127.0.0.1:$P
workdir $tmp/p
git-remote $tmp/remote.git
notify-port $S
log-level debug
EOF
cat >"$tmp/s.conf" <<EOF
role secondary
listen 127.0.0.2:$S
workdir $tmp/s
primary 127.0.0.1:$P
key $XK:SHA256:$(awk '{print $NF}' "$tmp/xk.dnskey")
log-level debug
EOF
mkdir -p "$tmp/p" "$tmp/s"

# listen SOCKET OUT ADDR PORT: sd_listen.py in the background until bound
listen() {
	$PY "$LISTEN" "$1" "$2" "$3" "$4" example.org 2>"$2.err" &
	pids+=($!)
	for _ in $(seq 50); do
		[ -e "$2.bound" ] && return 0
		sleep 0.1
	done
	return 1
}
msgs() { grep '^M ' "$1" | cut -d' ' -f3-; } # msgs OUT: the messages
# wait_msg OUT PATTERN N: until N messages match PATTERN (10 s)
wait_msg() {
	for _ in $(seq 100); do
		[ "$(msgs "$1" | grep -c -- "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
# expect DESCRIPTION EXPR: as check, for a shell expression of several tests
expect() { if eval "$2"; then ok; else bad "$1"; fi; }
# kinds OUT: the message kinds in order, WATCHDOG=1 and STATUS= left out
kinds() { msgs "$1" | tr '|' '\n' | grep -E '^(READY|RELOADING|STOPPING)=' | tr '\n' ' '; }

# ---- primary ----
PO=$tmp/p.out
check "listener for the primary bound" listen "$tmp/notify.sock" "$PO" 127.0.0.1 $P
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=1000000 dnsd_start "$tmp/p.conf" "$tmp/p.log"
PPID_=$pid
check "primary: READY=1" wait_msg "$PO" 'READY=1' 1
check "primary: zone served when READY=1 arrived ($(grep -m1 '^Q' "$PO"))" \
	[ "$(grep -m1 '^Q' "$PO")" = "Q NOERROR 1" ]
served=$(grep -n 'serving 1 zone' "$tmp/p.log" | head -1 | cut -d: -f1)
sent=$(grep -n 'systemd: sent READY=1' "$tmp/p.log" | head -1 | cut -d: -f1)
expect "primary: the zone published before READY=1 was sent (log lines ${served:-none} < ${sent:-none})" \
	'[ -n "$served" ] && [ -n "$sent" ] && [ "$served" -lt "$sent" ]'
check "primary: STATUS= with the zone count" wait_msg "$PO" 'STATUS=serving 1 zone' 1
check "primary: STATUS= with the last pull and its commit" \
	wait_msg "$PO" "STATUS=serving 1 zone; last pull ok ($C1) at [0-9:]* UTC" 1
check "primary: watchdog announced in the log" has "$tmp/p.log" 'systemd: watchdog every 0.5 s'
n0=$(msgs "$PO" | grep -c 'WATCHDOG=1')
sleep 2.2
n1=$(msgs "$PO" | grep -c 'WATCHDOG=1')
expect "primary: WATCHDOG=1 every 0.5 s ($((n1 - n0)) in 2.2 s)" '[ $((n1 - n0)) -ge 3 ] && [ $((n1 - n0)) -le 6 ]'

# ---- secondary, on an abstract socket, watchdog meant for another pid ----
SO=$tmp/s.out
SOCK2=@dnsd-test-sdnotify-$$
check "listener for the secondary bound" listen "$SOCK2" "$SO" 127.0.0.2 $S
NOTIFY_SOCKET=$SOCK2 WATCHDOG_USEC=200000 WATCHDOG_PID=1 dnsd_start "$tmp/s.conf" "$tmp/s.log"
SPID=$pid
check "secondary: READY=1" wait_msg "$SO" 'READY=1' 1
check "secondary: STATUS= with the zone count and the transfer" \
	wait_msg "$SO" 'STATUS=serving 1 zone; zone example.org: serial 1 by AXFR in at' 1
sleep 0.6
check "secondary: no WATCHDOG=1 with WATCHDOG_PID of another process" \
	[ "$(msgs "$SO" | grep -c 'WATCHDOG=1')" -eq 0 ]
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null
check "secondary: READY=1 then STOPPING=1 ($(kinds "$SO"))" [ "$(kinds "$SO")" = "READY=1 STOPPING=1 " ]

# ---- primary: SIGHUP reloads (a push first: the reload pulls) ----
zone 2
git -C "$tmp/work" commit -q -am two && git -C "$tmp/work" push -q "$tmp/remote.git" main
C2=$(git -C "$tmp/work" rev-parse HEAD | cut -c1-7)
pid=$PPID_
kill -HUP "$PPID_"
check "primary: READY=1 after SIGHUP" wait_msg "$PO" 'READY=1' 2
rl=$(grep '^M .*RELOADING=1' "$PO" | head -1)
at=$(cut -d' ' -f2 <<<"$rl")
mono=$(sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' <<<"$rl")
expect "primary: RELOADING=1 with MONOTONIC_USEC (${mono:-none}) at most 5 s before it arrived (${at:-none})" \
	'[ -n "$mono" ] && [ -n "$at" ] && [ "$mono" -le "$at" ] && [ $((at - mono)) -lt 5000000 ]'
check "primary: the new serial served when the reload's READY=1 arrived ($(grep '^Q' "$PO" | sed -n 2p))" \
	[ "$(grep '^Q' "$PO" | sed -n 2p)" = "Q NOERROR 2" ]
check "primary: STATUS= with the reload's pull" \
	wait_msg "$PO" "STATUS=serving 1 zone; last pull ok ($C2)" 1

# ---- primary: SIGTERM ----
kill -TERM "$PPID_"
wait "$PPID_" 2>/dev/null
sleep 0.2
check "primary: the messages in order ($(kinds "$PO"))" \
	[ "$(kinds "$PO")" = "READY=1 RELOADING=1 READY=1 STOPPING=1 " ]
check "primary: STOPPING=1 is the last message" [ "$(msgs "$PO" | tail -1)" = "STOPPING=1" ]
finish
