#!/usr/bin/env bash
# Prometheus metrics (metrics-listen) on real processes: a git primary A
# and a secondary B of it, each with metrics-listen, scraped with curl
# before and after known traffic, the differences compared with what was
# sent:
# - a dnsperf run of a known query file over UDP (a bounded number of
#   queries): dnsd_queries_total{transport="udp"} grew by what dnsperf
#   sent, NXDOMAIN responses by the NXDOMAIN queries in it, the by-qtype
#   counters by the A, AAAA and SOA queries in it, the size histogram's
#   count by the responses; a scrape in the middle of a second run sees
#   part of it, and the total after it all of it;
# - a truncated UDP answer: dnsd_responses_truncated_total; dig +tcp
#   queries: the TCP count;
# - the zone's dnsd_zone_serial equals its SOA serial, before and after an
#   nsupdate, which also counts in dnsd_updates_total (NOERROR; an
#   unsigned one REFUSED); the commit pushed: dnsd_git_pushes_total;
# - a signed NOTIFY: dnsd_notify_in_total and a git fetch counted;
# - AXFR with TSIG: dnsd_transfers_out_total done, unsigned: refused;
# - the secondary: its transfers in, its zone serial following A's, A's
#   NOTIFY out acknowledged;
# - a broken zone file pushed: dnsd_zone_load_errors_total, the serial
#   served unchanged;
# - another path is 404; promtool check metrics passes on every scrape.
# A runs two query workers: each counts its own queries, the scrape sums.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need dig nsupdate dnsperf curl git promtool
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
A_PORT=16720
A_METRICS=16721
B_PORT=16722
B_METRICS=16723

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org

secret() { awk '{print $NF}' "$1"; }
AB=127.0.0.1.127.0.0.2._transfer.example.org
"$KEYGEN" -f dnskey u._update.example.org >"$tmp/u.dnskey"
"$KEYGEN" -f dnskey $AB >"$tmp/ab.dnskey"
U="hmac-sha256:u._update.example.org:$(secret "$tmp/u.dnskey")"

git init -q --bare -b main "$tmp/remote.git"
git init -q -b main "$tmp/work"
{
	cat <<'EOF'
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 7 3600 600 86400 300
	NS	ns1
ns1	A	192.0.2.53
www	A	192.0.2.80
EOF
	# more than 512 octets of TXT: truncated over UDP without EDNS
	for i in $(seq 12); do
		echo "big TXT \"$(printf 'x%.0s' $(seq 60)) $i\""
	done
} >"$tmp/work/example.org"
cat "$tmp/u.dnskey" "$tmp/ab.dnskey" >"$tmp/work/example.org._keys"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zone
git -C "$tmp/work" push -q "$tmp/remote.git" main

cat >"$tmp/a.conf" <<EOF
role primary
listen 127.0.0.1:$A_PORT
metrics-listen 127.0.0.1:$A_METRICS
workers 2
workdir $tmp/a
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
notify-port $B_PORT
EOF
cat >"$tmp/b.conf" <<EOF
role secondary
listen 127.0.0.2:$B_PORT
metrics-listen 127.0.0.2:$B_METRICS
workdir $tmp/b
primary 127.0.0.1:$A_PORT
key $AB:SHA256:$(secret "$tmp/ab.dnskey")
EOF
mkdir -p "$tmp/a" "$tmp/b"

# scrape PORT FILE [ADDR]: GET /metrics into FILE, checked by promtool
scrape() {
	curl -sf "http://${3:-127.0.0.1}:$1/metrics" -o "$2" &&
		promtool check metrics <"$2" >"$2.lint" 2>&1
}
# mval FILE SERIES: the value of SERIES (name{labels} as dnsd writes it),
# 0 when absent
mval() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"; }
# msum FILE NAME: the sum of every series of NAME
msum() { awk -v n="$1" 'index($1, n "{") == 1 || $1 == n { s += $2 } END { print s + 0 }' "$2"; }
# delta SERIES: its growth from $tmp/m0 to $tmp/m1
delta() { echo $(($(mval "$tmp/m1" "$1") - $(mval "$tmp/m0" "$1"))); }
# check_delta DESCRIPTION SERIES EXPECTED
check_delta() {
	local got
	got=$(delta "$2")
	check "$1: $2 grew by $3 (got $got)" [ "$got" = "$3" ]
}
# again: $tmp/m1 becomes the new starting point, a fresh $tmp/m1 scraped
again() {
	cp "$tmp/m1" "$tmp/m0"
	scrape $A_METRICS "$tmp/m1" || bad "scrape of A after $1"
}
soa_serial() { dig +short -p "$1" @"$2" example.org SOA | awk '{print $3}'; }

dnsd_start "$tmp/a.conf" "$tmp/a.log"
check "A serves the zone" wait_answer $A_PORT 192.0.2.80 www.example.org A
A_PID=$pid

serial=$(soa_serial $A_PORT 127.0.0.1)

# ---- the endpoint ----
check_out "A: a scrape that promtool accepts" scrape $A_METRICS "$tmp/m0"
cat "$tmp/m0.lint"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A_METRICS/other")
check "another path: 404 (got $code)" [ "$code" = 404 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$A_METRICS/metrics")
check "POST: refused (got $code)" [ "$code" = 501 ] || [ "$code" = 405 ]
check "HELP and TYPE lines" grep -q '^# TYPE dnsd_queries_total counter' "$tmp/m0"
check "a histogram" grep -q '^# TYPE dnsd_response_size_bytes histogram' "$tmp/m0"
check "dnsd_start_time_seconds" grep -q '^dnsd_start_time_seconds [0-9]' "$tmp/m0"
check "two workers" grep -q '^dnsd_workers 2$' "$tmp/m0"
check "the role" grep -q '^dnsd_build_info{version="[^"]*",role="primary"} 1' "$tmp/m0"
check "zone serial = SOA serial ($serial)" \
	[ "$(mval "$tmp/m0" 'dnsd_zone_serial{zone="example.org"}')" = "$serial" ]
check "zone records (16)" \
	[ "$(mval "$tmp/m0" 'dnsd_zone_records{zone="example.org"}')" = 16 ]
check "zone load time set" \
	[ "$(mval "$tmp/m0" 'dnsd_zone_last_load_timestamp_seconds{zone="example.org"}')" -gt 1700000000 ]
check "a fetch counted at start-up" \
	[ "$(mval "$tmp/m0" 'dnsd_git_fetches_total{result="ok"}')" -ge 1 ]

# ---- dnsperf: 5 passes over 40 queries ----
{
	for i in $(seq 20); do echo "www.example.org A"; done
	for i in $(seq 8); do echo "nx$i.example.org A"; done
	for i in $(seq 7); do echo "www.example.org AAAA"; done
	for i in $(seq 5); do echo "example.org SOA"; done
} >"$tmp/queries"
dnsperf -s 127.0.0.1 -p $A_PORT -d "$tmp/queries" -n 5 -c 4 -t 5 >"$tmp/perf.out" 2>&1
sent=$(awk '/Queries sent:/ {print $3}' "$tmp/perf.out")
completed=$(awk '/Queries completed:/ {print $3}' "$tmp/perf.out")
check "dnsperf sent 200 and all came back ($sent, $completed)" [ "$sent" = 200 ] && [ "$completed" = 200 ]
check_out "A: a scrape after dnsperf" scrape $A_METRICS "$tmp/m1"
check_delta "dnsperf" 'dnsd_queries_total{transport="udp",family="ipv4"}' 200
check_delta "dnsperf" 'dnsd_queries_total{transport="tcp",family="ipv4"}' 0
check_delta "dnsperf" 'dnsd_responses_total{rcode="NXDOMAIN"}' 40
check_delta "dnsperf" 'dnsd_responses_total{rcode="NOERROR"}' 160
check_delta "dnsperf" 'dnsd_query_types_total{qtype="A"}' 140
check_delta "dnsperf" 'dnsd_query_types_total{qtype="AAAA"}' 35
check_delta "dnsperf" 'dnsd_query_types_total{qtype="SOA"}' 25
check_delta "dnsperf" 'dnsd_response_size_bytes_count{transport="udp"}' 200
check_delta "dnsperf" 'dnsd_responses_truncated_total{transport="udp"}' 0

# ---- a scrape while dnsperf runs: 800 queries at 500 a second ----
dnsperf -s 127.0.0.1 -p $A_PORT -d "$tmp/queries" -n 20 -c 1 -Q 500 -t 5 >"$tmp/perf2.out" 2>&1 &
perf_pid=$!
sleep 0.8
again "a scrape during dnsperf"
mid=$(delta 'dnsd_queries_total{transport="udp",family="ipv4"}')
wait $perf_pid
check "during dnsperf: part of its queries counted ($mid of 800)" [ "$mid" -gt 0 ] && [ "$mid" -lt 800 ]
check "during dnsperf: promtool accepts the scrape" promtool check metrics <"$tmp/m1"
scrape $A_METRICS "$tmp/m1" || bad "scrape after the second dnsperf"
check_delta "after dnsperf" 'dnsd_queries_total{transport="udp",family="ipv4"}' 800
check_delta "after dnsperf" 'dnsd_responses_total{rcode="NXDOMAIN"}' 160

# ---- truncation and TCP ----
dig +noedns +ignore +tries=1 -p $A_PORT @127.0.0.1 big.example.org TXT >"$tmp/tc.out"
check "the big TXT answer is truncated" grep -q 'flags:.* tc' "$tmp/tc.out"
for i in 1 2 3; do dig +tcp +short -p $A_PORT @127.0.0.1 www.example.org A >/dev/null; done
again "TC and TCP"
check_delta "one truncated" 'dnsd_responses_truncated_total{transport="udp"}' 1
check_delta "three dig +tcp" 'dnsd_queries_total{transport="tcp",family="ipv4"}' 3
check_delta "three dig +tcp" 'dnsd_response_size_bytes_count{transport="tcp"}' 3
check_delta "one over UDP" 'dnsd_queries_total{transport="udp",family="ipv4"}' 1
check "the TCP answers' sizes summed" \
	[ "$(delta 'dnsd_response_size_bytes_sum{transport="tcp"}')" -gt 100 ]

# ---- the secondary ----
dnsd_start "$tmp/b.conf" "$tmp/b.log"
wait_b() { # wait_b: until B answers www.example.org (10 s)
	for _ in $(seq 50); do
		dig +short +time=1 +tries=1 -p $B_PORT @127.0.0.2 www.example.org A |
			grep -q 192.0.2.80 && return 0
		sleep 0.2
	done
	return 1
}
check "B serves the zone" wait_b
check_out "B: a scrape that promtool accepts" scrape $B_METRICS "$tmp/b0" 127.0.0.2
check "B: one AXFR in" [ "$(mval "$tmp/b0" 'dnsd_transfers_in_total{type="AXFR",result="done"}')" = 1 ]
check "B: zone serial $serial" [ "$(mval "$tmp/b0" 'dnsd_zone_serial{zone="example.org"}')" = "$serial" ]
again "B's AXFR"
check_delta "A served B" 'dnsd_transfers_out_total{type="AXFR",result="done"}' 1

# ---- UPDATE ----
printf 'server 127.0.0.1 %s\nzone example.org\nupdate add dyn.example.org 300 A 192.0.2.200\nsend\n' \
	$A_PORT >"$tmp/nsu.in"
check "a signed UPDATE" nsupdate -y "$U" "$tmp/nsu.in"
check "an unsigned UPDATE is refused" bash -c "! nsupdate '$tmp/nsu.in' 2>/dev/null"
wait_answer $A_PORT 192.0.2.200 dyn.example.org A
wait_log "$tmp/a.log" "push: " 1
sleep 0.5
again "UPDATE"
new=$(soa_serial $A_PORT 127.0.0.1)
check "the serial moved ($serial -> $new)" [ "$new" != "$serial" ]
check "zone serial = SOA serial ($new)" \
	[ "$(mval "$tmp/m1" 'dnsd_zone_serial{zone="example.org"}')" = "$new" ]
check_delta "UPDATE" 'dnsd_updates_total{rcode="NOERROR"}' 1
check_delta "UPDATE" 'dnsd_updates_total{rcode="REFUSED"}' 1
check "a push counted" [ "$(mval "$tmp/m1" 'dnsd_git_pushes_total{result="ok"}')" -ge 1 ]
check "nothing waits to be pushed" [ "$(mval "$tmp/m1" 'dnsd_update_commits_pending')" = 0 ]
check "the generation moved" [ "$(delta dnsd_snapshot_generation)" -ge 1 ]
for _ in $(seq 50); do
	scrape $B_METRICS "$tmp/b1" 127.0.0.2
	[ "$(mval "$tmp/b1" 'dnsd_zone_serial{zone="example.org"}')" = "$new" ] && break
	sleep 0.2
done
check "B: zone serial follows ($new)" [ "$(mval "$tmp/b1" 'dnsd_zone_serial{zone="example.org"}')" = "$new" ]
check "B: an IXFR in" [ "$(mval "$tmp/b1" 'dnsd_transfers_in_total{type="IXFR",result="done"}')" = 1 ]
check "B: the NOTIFY in" [ "$(mval "$tmp/b1" 'dnsd_notify_in_total{rcode="NOERROR"}')" -ge 1 ]
again "B's IXFR"
check "A: NOTIFY out acknowledged" [ "$(mval "$tmp/m1" 'dnsd_notify_out_total{result="acknowledged"}')" -ge 1 ]

# ---- NOTIFY in and transfers out ----
"$NOTIFY" 127.0.0.1:$A_PORT example.org --key "u._update.example.org:SHA256:$(secret "$tmp/u.dnskey")" >"$tmp/notify.out" 2>&1
check "a signed NOTIFY" grep -q NOERROR "$tmp/notify.out"
wait_log "$tmp/a.log" "pull: " 1
dig -y "$U" -p $A_PORT @127.0.0.1 example.org AXFR >"$tmp/axfr.out"
check "AXFR with TSIG" grep -q 'dyn.example.org' "$tmp/axfr.out"
dig -p $A_PORT @127.0.0.1 example.org AXFR >/dev/null
sleep 0.5
again "NOTIFY and AXFR"
check_delta "NOTIFY" 'dnsd_notify_in_total{rcode="NOERROR"}' 1
check "NOTIFY: a fetch counted" [ "$(delta 'dnsd_git_fetches_total{result="ok"}')" -ge 1 ]
check_delta "AXFR" 'dnsd_transfers_out_total{type="AXFR",result="done"}' 1
check_delta "AXFR" 'dnsd_transfers_out_total{type="AXFR",result="refused"}' 1
check_delta "AXFR" 'dnsd_query_types_total{qtype="AXFR"}' 2
check "promtool on the last scrape" promtool check metrics <"$tmp/m1"

# ---- the Grafana dashboard: JSON, every metric it names served ----
check_out "conf/grafana-dnsd.json: JSON, every metric it names exists" \
	$PY "$DNSD_SRC/tests/system/grafana_check.py" "$DNSD_SRC/conf/grafana-dnsd.json" "$tmp/m1" "$tmp/b1"

# every check above read the metrics, none of them logged a complaint
check "A: no error logged" bash -c "! grep -q '^error' '$tmp/a.log'"

# ---- a broken zone pushed: a load error, the last good version served ----
git -C "$tmp/work" pull -q "$tmp/remote.git" main
echo 'broken A 192.0.2.999' >>"$tmp/work/example.org"
git -C "$tmp/work" commit -q -am broken
git -C "$tmp/work" push -q "$tmp/remote.git" main
"$NOTIFY" 127.0.0.1:$A_PORT example.org --key "u._update.example.org:SHA256:$(secret "$tmp/u.dnskey")" >/dev/null 2>&1
wait_log "$tmp/a.log" "reload failed, keeping serial" 1
again "a broken zone"
check_delta "a broken zone" 'dnsd_zone_load_errors_total{zone="example.org"}' 1
check "a broken zone: the serial served stays $new" \
	[ "$(mval "$tmp/m1" 'dnsd_zone_serial{zone="example.org"}')" = "$new" ]
if [ -n "${METRICS_KEEP:-}" ]; then cp "$tmp/m1" "$tmp/b1" "$METRICS_KEEP/"; fi
kill "$A_PID"
finish
