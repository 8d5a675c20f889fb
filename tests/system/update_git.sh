#!/usr/bin/env bash
# Dynamic UPDATE on a git primary (the first part of RFC 2136 into git):
# nsupdate's updates are answered with the rcode RFC 2136 gives, served,
# committed (author from git-author, the zone file edited, not rewritten)
# and pushed; refused when unsigned, signed for another zone, or on a
# zones-dir primary; an acknowledged update survives kill -9 and reaches
# the remote after the restart; a remote that is away gets the commits
# once it is back.
. "$(dirname "$0")/lib.sh"
need git nsupdate dig
PORT=15980
DIR_PORT=15981
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp

git init -q --bare -b main "$tmp/remote.git"
git clone -q "$tmp/remote.git" "$tmp/work" 2>/dev/null
cat >"$tmp/work/example.org" <<'EOF'
; the zone an UPDATE edits
$ORIGIN example.org.
$TTL 3600
@	SOA	ns1 hostmaster (
		1 ; serial
		3600 900 604800 300 )
@	NS	ns1
ns1	A	192.0.2.1
; web
www	A	192.0.2.80
EOF
"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey u._update.example.org >"$tmp/work/example.org._keys"
"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey o._update.other.org >"$tmp/work/other.org._keys"
SECRET=$(awk '{print $NF}' "$tmp/work/example.org._keys")
OTHER=$(awk '{print $NF}' "$tmp/work/other.org._keys")
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zone
git -C "$tmp/work" push -q origin main
cp "$tmp/work/example.org" "$tmp/before"

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
update-max-records 20
log-level debug
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/log"
check "serves the zone" wait_answer $PORT 192.0.2.80 www.example.org A

# nsu KEY RCODE DESCRIPTION: sends stdin's update lines with nsupdate
nsu() {
	local key=$1 want=$2 what=$3
	{
		echo "server 127.0.0.1 $PORT"
		echo "zone example.org"
		cat
		echo send
	} >"$tmp/nsu.in"
	if [ -n "$key" ]; then
		nsupdate -y "$key" "$tmp/nsu.in" >"$tmp/nsu.out" 2>&1
	else
		nsupdate "$tmp/nsu.in" >"$tmp/nsu.out" 2>&1
	fi
	local rc=$?
	if [ "$want" = NOERROR ]; then
		check "$what: NOERROR $(cat "$tmp/nsu.out")" [ "$rc" -eq 0 ]
	else
		check "$what: $want" grep -q "update failed: $want" "$tmp/nsu.out"
	fi
}
K=hmac-sha256:u._update.example.org:$SECRET

nsu "$K" NOERROR "add dyn" <<<"update add dyn.example.org 300 A 192.0.2.200"
check "dyn is served" wait_answer $PORT 192.0.2.200 dyn.example.org A
serial=$(dig +short -p $PORT @127.0.0.1 example.org SOA | awk '{print $3}')
check "serial 2 after the first update (got $serial)" [ "$serial" = 2 ]
nsu "$K" YXDOMAIN "prerequisite nxdomain on a name in use" <<'EOF'
prereq nxdomain dyn.example.org
update add x.example.org 300 A 192.0.2.9
EOF
nsu "$K" NXRRSET "prerequisite yxrrset on an absent RRset" <<'EOF'
prereq yxrrset www.example.org AAAA
update add x.example.org 300 A 192.0.2.9
EOF
nsu "$K" NXDOMAIN "prerequisite yxdomain on an absent name" <<'EOF'
prereq yxdomain nothere.example.org
update add x.example.org 300 A 192.0.2.9
EOF
nsu "$K" YXRRSET "prerequisite nxrrset on an RRset that exists" <<'EOF'
prereq nxrrset www.example.org A
update add x.example.org 300 A 192.0.2.9
EOF
check "no x after the failed prerequisites" \
	[ -z "$(dig +short -p $PORT @127.0.0.1 x.example.org A)" ]
nsu "" REFUSED "unsigned" <<<"update add u.example.org 300 A 192.0.2.9"
nsu "hmac-sha256:o._update.other.org:$OTHER" REFUSED "key of another zone" \
	<<<"update add o.example.org 300 A 192.0.2.9"
nsu "$K" NOERROR "delete www, add www2" <<'EOF'
update delete www.example.org A
update add www2.example.org 300 A 192.0.2.81
EOF
check "www2 is served" wait_answer $PORT 192.0.2.81 www2.example.org A
check "www is gone" [ -z "$(dig +short -p $PORT @127.0.0.1 www.example.org A)" ]
for i in $(seq 20); do echo "update add big$i.example.org 300 A 192.0.2.$i"; done >"$tmp/big"
nsu "$K" REFUSED "an UPDATE past update-max-records" <"$tmp/big"
check "the limit is logged" wait_log "$tmp/log" 'past the limit of 20' 1
check "none of it served" [ -z "$(dig +short -p $PORT @127.0.0.1 big1.example.org A)" ]

# The remote has every change, by the configured author, as edits: the
# two UPDATEs that changed the zone, each named once in the messages (in
# one commit or two: the journal is committed once no UPDATE came for a
# while, and the two may come closer together than that).
named_in_remote() { git -C "$tmp/remote.git" log --format=%B main | grep -c '^UPDATE zone example.org key '; }
for _ in $(seq 50); do
	[ "$(named_in_remote)" -ge 2 ] && break
	sleep 0.1
done
check "both UPDATEs pushed, each once ($(named_in_remote))" [ "$(named_in_remote)" -eq 2 ]
check "in one or two commits ($(git -C "$tmp/remote.git" rev-list --count main) in all)" \
	bash -c "n=\$(git -C '$tmp/remote.git' rev-list --count main); [ \$n -ge 2 ] && [ \$n -le 3 ]"
check "author from git-author" \
	[ "$(git -C "$tmp/remote.git" log -1 --format='%an <%ae>' main)" = "dnsd test <dnsd@example.org>" ]
check "the commit names the key" \
	bash -c "git -C '$tmp/remote.git' log -1 --format=%B main | grep -q 'key u._update.example.org'"
git -C "$tmp/remote.git" show main:example.org >"$tmp/after"
check "comments kept" grep -q '^; the zone an UPDATE edits$' "$tmp/after"
check "the serial comment kept" grep -q '3 ; serial' "$tmp/after"
diff "$tmp/before" "$tmp/after" | grep '^[<>]' >"$tmp/diff"
check "a minimal diff: serial, www out, dyn and www2 in ($(wc -l <"$tmp/diff") lines)" \
	[ "$(wc -l <"$tmp/diff")" -eq 5 ]

# kill -9 right after the answer: the update is served after the restart
# and reaches the remote.
mv "$tmp/remote.git" "$tmp/away.git"
nsu "$K" NOERROR "add while the remote is away" <<<"update add away.example.org 300 A 192.0.2.55"
check "push failure logged with the commits waiting" wait_log "$tmp/log" 'commit.* wait to be pushed' 1
nsu "$K" NOERROR "add before kill -9" <<<"update add k9.example.org 300 A 192.0.2.99"
kill -9 "$pid"
wait "$pid" 2>/dev/null
mv "$tmp/away.git" "$tmp/remote.git"
dnsd_start "$tmp/dnsd.conf" "$tmp/log2"
check "after kill -9: served" wait_answer $PORT 192.0.2.99 k9.example.org A
check "after kill -9: the other one too" wait_answer $PORT 192.0.2.55 away.example.org A
check "after the restart: commits waiting said" wait_log "$tmp/log2" 'local commits* wait to be pushed' 1
for _ in $(seq 50); do
	git -C "$tmp/remote.git" show main:example.org 2>/dev/null | grep -q '^k9 ' && break
	sleep 0.1
done
git -C "$tmp/remote.git" show main:example.org >"$tmp/after2"
check "both reached the remote, in order" \
	bash -c "grep -n '^away \|^k9 ' '$tmp/after2' | cut -d: -f2 | cut -c1-3 | tr '\n' ' ' | grep -q '^awa k9 '"
kill "$pid"
wait "$pid"
rc=$?
check "stops cleanly on SIGTERM (exit $rc)" [ "$rc" -eq 0 ]

# A zones-dir primary refuses UPDATE.
mkdir "$tmp/zones"
cp "$tmp/before" "$tmp/zones/example.org"
cp "$tmp/work/example.org._keys" "$tmp/zones/"
cat >"$tmp/dir.conf" <<EOF
role primary
listen 127.0.0.1:$DIR_PORT
zones-dir $tmp/zones
EOF
dnsd_start "$tmp/dir.conf" "$tmp/log3"
wait_answer $DIR_PORT 192.0.2.80 www.example.org A
printf 'server 127.0.0.1 %s\nzone example.org\nupdate add z.example.org 300 A 192.0.2.1\nsend\n' $DIR_PORT >"$tmp/nsu.in"
nsupdate -y "$K" "$tmp/nsu.in" >"$tmp/nsu.out" 2>&1
check "zones-dir: REFUSED" grep -q 'update failed: REFUSED' "$tmp/nsu.out"
check "zones-dir: logged" wait_log "$tmp/log3" 'zones-dir is read-only, REFUSED' 1
finish
