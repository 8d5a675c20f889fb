#!/usr/bin/env bash
# The secondary role against an evil primary (evil_primary.py): every
# transfer-in check of src/lib/xfrin.c (the NSD and BIND transfer
# advisories, as include/dnsd/xfrin.h lists them), the TSIG chain of the
# transfer client (src/daemon/xfrclient.c) and the SOA query, each as one
# broken answer.
# - dnsd first takes a good zone evil.test, serial 10 (AXFR in two signed
#   messages);
# - then, for every row of the table CASES in evil_primary.py, the primary
#   is switched to that case (a control file it reads for every request)
#   and sent an unsigned NOTIFY from 127.0.0.1: dnsd must log the
#   failure with the zone, the primary, the key and the expected reason
#   (and the IXFR fallback line first where the row says so, "keeping
#   serial 10" where the failure is not of I/O or TSIG), stay up, and
#   still serve serial 10 and www.evil.test A 192.0.2.10;
# - rows of kind AXFR-ok/IXFR-ok are streams dnsd must take (99 unsigned
#   messages between signed ones, RFC 8945 §5.3.1); the last one is a good
#   IXFR 10 -> 11, served at once and from the copy on disk after a
#   restart.
# The SOA of the zone has REFRESH and RETRY of an hour, so no timer of
# dnsd runs a refresh of its own: every one is a NOTIFY's. The row that
# stalls a transfer for the 60 s transfer timeout runs only with
# EVIL_SLOW=1.
set -u
. "$(dirname "$0")/lib.sh"
need dig
PORT=16520
EVIL_PORT=16521
EVIL=$DNSD_SRC/tests/system/evil_primary.py
KEYNAME=t._transfer.evil.test
SECRET=$("$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey "$KEYNAME" | awk '{print $NF}')
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
LOG=$tmp/log
# what names the zone, the primary and the key in dnsd's lines
ZP='zone evil\.test from 127\.0\.0\.1#16521'
ZPK="$ZP key t\\._transfer\\.evil\\.test\\."

set_case() { # set_case NAME: what the evil primary answers from now on
	echo "$1" >"$tmp/case.new" && mv "$tmp/case.new" "$tmp/case"
}
set_case good10
mkdir -p "$tmp/wd"
"$PY" "$EVIL" "$EVIL_PORT" "$KEYNAME" "$SECRET" "$tmp/case" 2>"$tmp/evil.log" &
pids+=("$!")
if ! wait_log "$tmp/evil.log" 'evil primary on' 1; then
	bad "the evil primary starts"
	cat "$tmp/evil.log"
	finish
fi

cat >"$tmp/dnsd.conf" <<EOF
role secondary
listen 127.0.0.1:$PORT
workdir $tmp/wd
primary 127.0.0.1:$EVIL_PORT
key $KEYNAME:SHA256:$SECRET
xfr-max-records 50
xfr-max-bytes 65536
log-level debug
EOF
# start_dnsd: a dnsd, its log in a file of its own ($LOG)
runs=0
start_dnsd() {
	runs=$((runs + 1))
	LOG=$tmp/log.$runs
	dnsd_start "$tmp/dnsd.conf" "$LOG"
}
# fresh_dnsd: a new dnsd with no copy on disk, once it holds the good
# zone (serial 10) again
fresh_dnsd() {
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
	fi
	wait "$pid" 2>/dev/null
	rm -rf "$tmp/wd"
	mkdir -p "$tmp/wd"
	set_case good10
	start_dnsd
	wait_log "$LOG" "AXFR in $ZPK: serial 0 -> 10, " 1 &&
		wait_answer $PORT '^192\.0\.2\.10$' www.evil.test A
}
pid=
if fresh_dnsd; then
	ok "dnsd takes the good zone, serial 10"
else
	bad "dnsd takes the good zone, serial 10"
	sed 's/^/# /' "$LOG" "$tmp/evil.log"
	finish
fi

# since LINE REGEX: the lines of dnsd's log after line LINE matching the
# extended REGEX
since() {
	tail -n +"$(($1 + 1))" "$LOG" | grep -E -- "$2"
}
# wait_since LINE REGEX SECONDS: until a line after LINE matches
wait_since() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		since "$1" "$2" >/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 1
}
# serving SERIAL: dnsd answers SOA serial SERIAL and www A 192.0.2.SERIAL
serving() {
	local s w
	s=$(dig +short +time=2 +tries=1 -p $PORT @127.0.0.1 evil.test SOA | awk '{print $3}')
	w=$(dig +short +time=2 +tries=1 -p $PORT @127.0.0.1 www.evil.test A)
	if [ "$s" = "$1" ] && [ "$w" = "192.0.2.$1" ]; then
		return 0
	fi
	echo "# serving SOA serial '$s', www A '$w'"
	return 1
}

# One row: the primary switched to it, a NOTIFY, then dnsd's log and
# answers checked.
run_case() {
	local name=$1 kind=$2 reason=$3 fallback=$4 sends=$5
	local start want line secs=10 serial=10
	start=$(wc -l <"$LOG")
	case $kind in
	refresh) want="^.*refresh $ZPK: ($reason); retry in [0-9]+ s$" ;;
	older) want="^.*refresh $ZPK: ($reason)$" ;;
	AXFR | IXFR) want="^.*$kind in $ZPK: ($reason); retry in [0-9]+ s$" ;;
	AXFR-ok | IXFR-ok)
		want="^.*${kind%-ok} in $ZPK: $reason, "
		serial=${reason##*-> }
		;;
	*)
		bad "$name: unknown kind '$kind' in the table"
		return
		;;
	esac
	case $name in
	*-stall) secs=75 ;;
	esac
	set_case "$name"
	if ! "$NOTIFY" 127.0.0.1:$PORT evil.test >"$tmp/notify.out" 2>&1; then
		bad "$name: NOTIFY answered: $(cat "$tmp/notify.out")"
	fi
	# until the refresh is over: a failure with its retry, a success, or
	# the SOA query's "older than ours"
	wait_since "$start" "(refresh|[AI]XFR in) $ZPK: .*; retry in [0-9]+ s$|[AI]XFR in $ZPK: serial [0-9]+ -> [0-9]+, [0-9]+ records|refresh $ZPK: .*older than ours" "$secs"
	if since "$start" "$want" >/dev/null; then
		line=$(since "$start" "$want" | head -n 1)
		ok "$name: $sends -> ${line#*: }"
	else
		bad "$name: $sends: no line /$want/ in dnsd's log; it logged:"
		tail -n +"$((start + 1))" "$LOG" | sed 's/^/#   /'
		echo "#   the evil primary:"
		tail -n 3 "$tmp/evil.log" | sed 's/^/#   /'
	fi
	if [ "$fallback" != - ]; then
		if since "$start" "IXFR in $ZPK: ($fallback); falling back to AXFR$" >/dev/null; then
			ok
		else
			bad "$name: no IXFR fallback line /$fallback/"
		fi
	fi
	# a transfer that failed but for I/O or TSIG says what it keeps
	if [ "$kind" = AXFR ] || [ "$kind" = IXFR ]; then
		if ! grep -Eq 'TSIG of the answer|the last message is not signed|closed by the primary|timed out' <<<"$reason"; then
			if since "$start" 'zone evil\.test: keeping serial 10$' >/dev/null; then
				ok
			else
				bad "$name: no 'zone evil.test: keeping serial 10' line"
			fi
		fi
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		bad "$name: dnsd died; the end of its log ($LOG):"
		tail -n 20 "$LOG" | sed 's/^/#   /'
		wait "$pid"
		echo "#   exit status $?"
	elif serving "$serial"; then
		ok
		return
	else
		bad "$name: dnsd does not serve serial $serial any more"
	fi
	# the next rows against a fresh dnsd holding serial 10
	fresh_dnsd || bad "$name: a fresh dnsd takes serial 10 again"
}

t0=$SECONDS
while IFS=$'\t' read -r name kind reason fallback sends; do
	[ "$name" = good10 ] && continue
	if [ "$name" = axfr-stall ] && [ "${EVIL_SLOW:-0}" != 1 ]; then
		echo "# skipped $name (60 s; EVIL_SLOW=1 runs it)"
		continue
	fi
	run_case "$name" "$kind" "$reason" "$fallback" "$sends"
done < <("$PY" "$EVIL" --list)
echo "# the rows took $((SECONDS - t0)) s"

# The good IXFR (the last row) made serial 11: its additions are served,
# and it is the copy on disk a restarted dnsd serves.
check "IXFR 10 -> 11: new.evil.test served" wait_answer $PORT '^192\.0\.2\.111$' new.evil.test A
kill "$pid"
wait "$pid" 2>/dev/null
start_dnsd
if wait_since 0 'zone evil\.test: serial 11 loaded from disk' 10 &&
	wait_answer $PORT '^192\.0\.2\.11$' www.evil.test A; then
	ok "after a restart: serial 11 from the copy on disk"
else
	bad "after a restart: serial 11 from the copy on disk"
	sed 's/^/#   /' "$LOG"
fi
finish
