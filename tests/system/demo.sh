#!/usr/bin/env bash
# The README's demo (conf/demo.sh) works as printed: it builds a git
# repository from conf/zones, serves it, and the commit + push + signed
# NOTIFY --wait round trip it prints makes the new record served.
. "$(dirname "$0")/lib.sh"
need git dig
PORT=15990
export DNSD_DEMO_PORT=$PORT
wait_answer_at() { # wait_answer_at ADDR NAME TYPE: any answer within 10 s
	for _ in $(seq 50); do
		[ -n "$(dig +short +time=1 +tries=1 -p $PORT "@$1" "$2" "$3")" ] && return 0
		sleep 0.2
	done
	return 1
}
bash "$DNSD_SRC/conf/demo.sh" "$tmp/demo" >"$tmp/out" 2>"$tmp/log" &
pid=$!
pids+=("$pid")
check "demo: serves the example zones from git" wait_answer $PORT 192.0.2.10 www.example.org A
check "demo: printed the lines to try" has "$tmp/out" "dig @127.0.0.1 -p $PORT www.example.org A"
# the round trip, line by line as printed
grep -A6 '^  cd ' "$tmp/out" | sed -n '1,6p' | sed 's/^  //' >"$tmp/try"
check "demo: the round trip has six lines" [ "$(wc -l <"$tmp/try")" -eq 6 ]
if (set -e; . "$tmp/try") >"$tmp/try.out" 2>&1; then ok "demo: round trip ran"; else bad "demo: round trip ran: $(cat "$tmp/try.out")"; fi
check "demo: the new record is served" wait_answer $PORT 192.0.2.77 demo.example.org A
check "demo: the pull was logged" has "$tmp/log" 'pull: .* zone example.org serial 2024010101 -> 2024010102'
# the dynamic UPDATE lines, as printed
need nsupdate
grep -E '^  (printf .*nsupdate|git -C .*log)' "$tmp/out" | sed 's/^  //' >"$tmp/upd"
check "demo: the UPDATE has two lines" [ "$(wc -l <"$tmp/upd")" -eq 2 ]
if (set -e; . <(head -1 "$tmp/upd")) >"$tmp/upd.out" 2>&1; then ok "demo: nsupdate ran"; else bad "demo: nsupdate ran: $(cat "$tmp/upd.out")"; fi
check "demo: the updated record is served" wait_answer $PORT 192.0.2.99 dyn.example.org A
for _ in $(seq 50); do
	(. <(tail -1 "$tmp/upd")) 2>/dev/null | grep -q 'dyn.example.org' && break
	sleep 0.1
done
(. <(tail -1 "$tmp/upd")) >"$tmp/gitlog" 2>&1
check "demo: the commit is in the repository by the demo's author ($(head -1 "$tmp/gitlog"))" \
	grep -q '^dnsd demo: dnsd: 1 dynamic update' "$tmp/gitlog"
check "demo: it names the key and the change" \
	bash -c "grep -q 'key personal._update.example.org.: serial 2024010102 -> 2024010103' '$tmp/gitlog' && grep -q '^  + dyn.example.org. 300 A 192.0.2.99' '$tmp/gitlog'"
ddns=$(grep -E '^  .*dnsd-update ' "$tmp/out" | sed 's/^  //')
out=$($ddns 2>&1)
check "demo: dnsd-update ran ($out)" [ "$out" = NOERROR ]
check "demo: its addresses are served" wait_answer $PORT 2001:db8::123 home.example.org AAAA
# the secondary, as printed: it has every zone, the UPDATE included
sec=$(grep -E '^  .*dnsd -c .*secondary.conf$' "$tmp/out" | sed 's/^  //')
check "demo: prints the secondary's command" [ -n "$sec" ]
$sec 2>"$tmp/sec.log" &
pids+=("$!")
for line in "ns1.example.org A +short      # 192.0.2.1" "dyn.example.org A +short      # 192.0.2.99"; do
	cmd=$(grep -F "dig @127.0.0.2 -p $PORT $line" "$tmp/out" | sed 's/^  //; s/ *#.*//')
	want=${line##*# }
	want=${want%% *}
	got=
	for _ in $(seq 50); do
		got=$($cmd 2>/dev/null)
		[ "$got" = "$want" ] && break
		sleep 0.2
	done
	check "demo: the secondary answers '$cmd' with $want (got '$got')" [ "$got" = "$want" ]
done
check "demo: the secondary learned mirage too" wait_answer_at 127.0.0.2 mirage SOA
unsigned=$(grep 'REFUSED$' "$tmp/out" | sed 's/^  //; s/ *#.*//')
out=$($unsigned 2>&1)
check "demo: the unsigned NOTIFY is refused" [ "$out" = REFUSED ]
finish
