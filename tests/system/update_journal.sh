#!/usr/bin/env bash
# The UPDATE journal (WORKDIR/git/dnsd.journal): an UPDATE is answered
# once its record is appended and fdatasync'd, and committed to git
# soon after, with others.
# - UPDATEs that arrive together are answered together (one journal
#   append for the group) and committed together, each named once in
#   the commit message; one in the group that touches a $GENERATE record
#   is REFUSED alone, the others go through.
# - kill -9 right after an answer, before its commit: dnsd -t says the
#   journal holds it; after the restart it is served, committed once and
#   pushed, and the journal is empty again.
# - a record cut short (a write under way when the machine stopped) is
#   cut off at start-up, said in the log, and nothing else changes.
# - the journal is written ahead in zeros: an append changes no size.
# - a file there that is not a journal: dnsd does not start, says why,
#   and leaves it as it was.
# - a full disk (the workdir on a small tmpfs): while the journal can be
#   written the UPDATEs are answered NOERROR and served though their
#   commit fails (retried with backoff; a kill -9 then loses nothing);
#   once the journal cannot be written either, SERVFAIL and nothing
#   changes; with room again, every acknowledged UPDATE lands in git
#   once, and is pushed.
. "$(dirname "$0")/lib.sh"
need git nsupdate dig mount
PORT=16470
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp

git init -q --bare -b main "$tmp/remote.git"
git clone -q "$tmp/remote.git" "$tmp/work" 2>/dev/null
cat >"$tmp/work/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster 1 3600 900 604800 300
@	NS	ns1
ns1	A	192.0.2.1
$GENERATE 1-3 gen$ A 192.0.2.$
EOF
"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey u._update.example.org >"$tmp/work/example.org._keys"
SECRET=$(awk '{print $NF}' "$tmp/work/example.org._keys")
K=hmac-sha256:u._update.example.org:$SECRET
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zone
git -C "$tmp/work" push -q origin main

# the workdir on a tmpfs of its own, for the full disk (root, and a
# machine that lets root mount: CI's does; elsewhere those checks are
# skipped, and said)
mkdir -p "$tmp/wd"
FULL=1
if ! mount -t tmpfs -o size=4m tmpfs "$tmp/wd" 2>"$tmp/mount.err"; then
	FULL=0
	echo "# skip: no tmpfs for the workdir ($(cat "$tmp/mount.err")): the full-disk checks do not run"
fi
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; [ $FULL = 1 ] && umount "$tmp/wd" 2>/dev/null; cleanup' EXIT

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
log-level debug
EOF
JOURNAL=$tmp/wd/git/dnsd.journal
start() { dnsd_start "$tmp/dnsd.conf" "$tmp/log.$1"; }
start 1
check "serves the zone" wait_answer $PORT 192.0.2.1 ns1.example.org A

# nsu [-q] RR: adds RR with nsupdate over UDP, prints the rcode
nsu() {
	local out
	out=$(printf 'server 127.0.0.1 %s\nzone example.org\n%s\nsend\n' $PORT "$1" |
		nsupdate -t 10 -u 3 -y "$K" 2>&1)
	if [ $? -eq 0 ]; then
		echo NOERROR
	else
		sed -n 's/^update failed: //p' <<<"$out" | head -1
	fi
}
served() { dig +short -p $PORT @127.0.0.1 "$1" "${2:-A}"; }
# in_git N: the clone's commits name exactly N UPDATEs (within 10 s)
updates_in() { git --git-dir="$1" log --format=%B main | grep -c '^UPDATE zone example.org key '; }
in_git() {
	for _ in $(seq 100); do
		[ "$(updates_in "$tmp/wd/git")" -ge "$1" ] && break
		sleep 0.1
	done
	[ "$(updates_in "$tmp/wd/git")" -eq "$1" ]
}
total=0

# ---- a group: 20 UPDATEs queued while dnsd is stopped, one a culprit ----
# (the first one that is read makes a job of its own; the others arrive
# while it runs and make the next). Stopped for longer than nsupdate's
# UDP retry interval (-u 3), each UPDATE is in the socket twice: the
# retransmission, the same signed octets, goes unanswered (a BADTIME for
# it would reach nsupdate before the NOERROR and fail it) and is not
# applied twice.
G=20
kill -STOP "$pid"
for i in $(seq $G); do
	if [ "$i" = 5 ]; then
		nsu "update delete gen2.example.org A" >"$tmp/g.$i" &
	else
		nsu "update add g$i.example.org 300 A 192.0.2.$((100 + i))" >"$tmp/g.$i" &
	fi
done
sleep 4
kill -CONT "$pid"
wait_jobs() { for j in $(jobs -p); do [ "$j" = "$pid" ] || wait "$j"; done; }
wait_jobs
for i in $(seq $G); do
	[ "$i" = 5 ] && continue
	check "group: g$i NOERROR ($(cat "$tmp/g.$i"))" [ "$(cat "$tmp/g.$i")" = NOERROR ]
	check "group: g$i served" [ "$(served "g$i.example.org")" = "192.0.2.$((100 + i))" ]
done
total=$((G - 1))
check "group: the retransmissions were seen, not taken again, not answered" \
	grep -q 'the same request again (a retransmission?), not taken again; its answer is still to come' "$tmp/log.1"
check "group: the one deleting a \$GENERATE record REFUSED ($(cat "$tmp/g.5"))" [ "$(cat "$tmp/g.5")" = REFUSED ]
check "group: gen2 still served" [ "$(served gen2.example.org)" = 192.0.2.2 ]
check "group: answered from one journal append (a log line #a..#b)" \
	grep -qE 'UPDATE journal #([0-9]+)\.\.#([0-9]+) on' "$tmp/log.1"
check "group: several UPDATEs in one append" \
	bash -c "grep -oE 'UPDATE journal #[0-9]+\.\.#[0-9]+' '$tmp/log.1' | awk -F'[#.]+' '\$3 > \$2 { found = 1 } END { exit !found }'"
check "group: the $total in git, each named once" in_git $total
check "group: fewer commits than UPDATEs ($(git --git-dir="$tmp/wd/git" rev-list --count main))" \
	[ "$(git --git-dir="$tmp/wd/git" rev-list --count main)" -lt $G ]
check "group: the commit says which journal records it holds" \
	bash -c "git --git-dir='$tmp/wd/git' log -1 --format=%B main | grep -qE '^Dnsd-Journal: [0-9a-f]{16} [0-9]+$'"
git --git-dir="$tmp/wd/git" show main:example.org >"$tmp/file.1"
check "group: the \$GENERATE line is as it was" grep -q '^\$GENERATE 1-3 gen\$ A 192.0.2.\$$' "$tmp/file.1"
check "group: the zone file has the $total records" [ "$(grep -cE '^g[0-9]+ ' "$tmp/file.1")" -eq $total ]

# ---- a retransmission after the answer: the first one's answer again ----
# The very same signed UPDATE twice over UDP, the second once the first
# was answered (as when that answer is lost): both NOERROR, signed over
# the request's MAC (dnspython checks), the record added once.
again=$($PY - $PORT "$K" <<'PY'
import socket, sys
import dns.message, dns.rcode, dns.tsigkeyring, dns.update
port = int(sys.argv[1])
alg, name, secret = sys.argv[2].split(":")
ring = dns.tsigkeyring.from_text({name: (alg, secret)})
u = dns.update.UpdateMessage("example.org", keyring=ring, keyname=name)
u.add("again", 300, "A", "192.0.2.77")
wire = u.to_wire()
out = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(15)
    s.sendto(wire, ("127.0.0.1", port))
    try:
        r = dns.message.from_wire(s.recv(65535), keyring=ring, request_mac=u.mac)
        out.append(dns.rcode.to_text(r.rcode()))
    except socket.timeout:
        out.append("none")
    except Exception as e:
        out.append(type(e).__name__)
print(" ".join(out))
PY
)
total=$((total + 1))
check "an UPDATE again after its answer: answered as the first ($again)" [ "$again" = "NOERROR NOERROR" ]
check "... added once, in git once" in_git $total
check "... served" [ "$(served again.example.org)" = 192.0.2.77 ]
check "... logged with the first one's rcode" \
	grep -q 'not taken again; answered as the first one, NOERROR' "$tmp/log.1"

# ---- kill -9 after the answer, before the commit ----
before=$(git --git-dir="$tmp/wd/git" rev-parse main)
rc=$(nsu "update add k9.example.org 300 A 192.0.2.99")
kill -9 "$pid"
wait "$pid" 2>/dev/null
total=$((total + 1))
check "kill -9: NOERROR before it ($rc)" [ "$rc" = NOERROR ]
if [ "$(git --git-dir="$tmp/wd/git" rev-parse main)" = "$before" ]; then
	"$DNSD" -t -c "$tmp/dnsd.conf" >"$tmp/t.out" 2>&1
	check "kill -9: dnsd -t says the journal holds it" grep -q 'journal: 1 UPDATE in ' "$tmp/t.out"
	start 2
	check "kill -9: applied again at the start" wait_log "$tmp/log.2" 'journal: 1 UPDATE not in git yet, applied again' 1
else
	echo "# kill -9 came after the commit this time: the restart has nothing to apply"
	start 2
fi
check "kill -9: served after the restart" wait_answer $PORT 192.0.2.99 k9.example.org A
check "kill -9: in git once" in_git $total
check "kill -9: serial $((total + 1)), one step per UPDATE ($(served example.org SOA | awk '{print $3}'))" \
	[ "$(served example.org SOA | awk '{print $3}')" = $((total + 1)) ]
for _ in $(seq 50); do
	[ "$(git -C "$tmp/remote.git" rev-parse main)" = "$(git --git-dir="$tmp/wd/git" rev-parse main)" ] && break
	sleep 0.2
done
check "kill -9: pushed, the remote names all $total" [ "$(updates_in "$tmp/remote.git")" -eq $total ]
"$DNSD" -t -c "$tmp/dnsd.conf" >"$tmp/t.out" 2>&1
check "kill -9: the journal is empty after the commit" hasnt "$tmp/t.out" 'journal: '

# ---- a record cut short ----
kill "$pid"
wait "$pid"
# the journal is empty (its 16-octet header, then the zeros written
# ahead): a record cut short at its end
printf 'DJR1\000\000\000\100torn' | dd of="$JOURNAL" bs=1 seek=16 conv=notrunc 2>/dev/null
start 3
check "torn tail: serves" wait_answer $PORT 192.0.2.99 k9.example.org A
check "torn tail: cut off, said" wait_log "$tmp/log.3" 'journal .*: cut off 12 octets of a record' 1
rc=$(nsu "update add after.example.org 300 A 192.0.2.98")
total=$((total + 1))
check "torn tail: the next UPDATE NOERROR ($rc), in git" bash -c "[ '$rc' = NOERROR ]" && check "torn tail: in git" in_git $total
size1=$(stat -c %s "$JOURNAL")
rc=$(nsu "update add after2.example.org 300 A 192.0.2.97")
total=$((total + 1))
check "written ahead: an append changes no size ($size1, $(stat -c %s "$JOURNAL"))" \
	bash -c "[ '$rc' = NOERROR ] && [ $size1 -gt 16 ] && [ $size1 = \$(stat -c %s '$JOURNAL') ]"

# ---- a full disk ----
if [ $FULL = 1 ]; then
	dd if=/dev/zero of="$tmp/wd/fill" bs=64k 2>/dev/null
	# big records (12 strings of 250 octets): the room the journal has
	# written ahead (64 KiB) runs out after some twenty
	big() { for _ in $(seq 12); do printf '"%0250d" ' "$1"; done; }
	acked=0 refused=""
	for i in $(seq 1 80); do
		rc=$(nsu "update add full$i.example.org 300 TXT $(big "$i")")
		if [ "$rc" = NOERROR ]; then
			acked=$i
		else
			refused=$i:$rc
			break
		fi
	done
	check "full disk: NOERROR while the journal has room ($acked)" [ "$acked" -ge 1 ]
	check "full disk: SERVFAIL once it has none (${refused:-none})" [ "${refused#*:}" = SERVFAIL ]
	check "full disk: the commit fails, said" wait_log "$tmp/log.3" 'stay in the journal and served' 1
	check "full disk: not durable, said" grep -q 'not durable' "$tmp/log.3"
	check "full disk: the acknowledged are served" [ -n "$(served "full$acked.example.org" TXT)" ]
	check "full disk: the refused one is not" [ -z "$(served "full${refused%%:*}.example.org" TXT)" ]
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	start 4
	check "full disk, kill -9, restart: the acknowledged served" \
		wait_answer $PORT "$(printf '%0250d' "$acked")" "full$acked.example.org" TXT
	check "full disk, restart: the commit still fails" wait_log "$tmp/log.4" 'stay in the journal and served' 1
	rm -f "$tmp/wd/fill"
	total=$((total + acked))
	for _ in $(seq 150); do
		[ "$(updates_in "$tmp/wd/git")" -ge $total ] && break
		sleep 0.2
	done
	check "room again: every acknowledged UPDATE in git once ($(updates_in "$tmp/wd/git") of $total)" \
		[ "$(updates_in "$tmp/wd/git")" -eq $total ]
	check "room again: said" grep -q 'the journal is committed again' "$tmp/log.4"
	git --git-dir="$tmp/wd/git" show main:example.org >"$tmp/file.2"
	check "room again: the zone file has each record once" \
		[ "$(grep -c '^full[0-9]* ' "$tmp/file.2")" -eq "$acked" ]
	check "room again: not the refused one" hasnt "$tmp/file.2" "^full${refused%%:*} "
	for _ in $(seq 50); do
		[ "$(updates_in "$tmp/remote.git")" -ge $total ] && break
		sleep 0.2
	done
	check "room again: pushed" [ "$(updates_in "$tmp/remote.git")" -eq $total ]
fi
kill "$pid"
wait "$pid"
check "stops cleanly (exit $?)" [ $? -eq 0 ]

# ---- a journal that is not one: dnsd does not start over it ----
printf 'not a journal at all' | dd of="$JOURNAL" bs=1 seek=0 conv=notrunc 2>/dev/null
cp "$JOURNAL" "$tmp/spoilt"
timeout 10 "$DNSD" -c "$tmp/dnsd.conf" 2>"$tmp/log.5"
rc=$?
check "a spoilt journal header: dnsd exits with an error at once ($rc)" [ "$rc" -ne 0 -a "$rc" -ne 124 ]
check "a spoilt journal header: said, with the way out" grep -q 'not a dnsd journal (no header); move it away' "$tmp/log.5"
check "a spoilt journal header: the file left as it was" cmp -s "$JOURNAL" "$tmp/spoilt"
errs=$(grep -h 'Sanitizer' "$tmp/log."* | head -3)
check "no sanitizer report${errs:+: $errs}" [ -z "$errs" ]
[ -n "${UPDATE_JOURNAL_SHOW:-}" ] && cat "$tmp"/log.* >&2
finish
