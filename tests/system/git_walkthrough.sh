#!/usr/bin/env bash
# The deployment walk-through that dnsd re-creates, step by step, with
# dnsd's names (ozone = dnsd-checkzone, onotify = dnsd-notify, the
# primary-git unikernel = dnsd with git-remote):
#   git-repo> cat mirage ... git add mirage && git commit -m initial && git push
#   $ ozone <git-repo>/mirage
#   (start the primary)  $ dig www.mirage           -> 1.1.1.1
#   git-repo> echo "personal._update.mirage. DNSKEY 0 3 163 ..." > mirage._keys
#   git-repo> git add mirage._keys && git commit -m "add hmac secret" && git push
#   (restart the primary to get the repository with the key)
#   $ onotify 127.0.0.1 mirage --key=personal._update.mirage:SHA256:...
#   git-repo> echo "foo A 127.0.0.1" >> mirage; (increment the serial)
#   git-repo> git commit -m 'add foo' . && git push
#   $ onotify 127.0.0.1 mirage --key=...
#   $ dig foo.mirage                                 -> 127.0.0.1
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need dig git
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
NOTIFY=$DNSD_BUILD/src/tools/dnsd-notify
CHECKZONE=$DNSD_BUILD/src/tools/dnsd-checkzone
PORT=15910

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="dnsd tests" GIT_AUTHOR_EMAIL=tests@dnsd.invalid
export GIT_COMMITTER_NAME="dnsd tests" GIT_COMMITTER_EMAIL=tests@dnsd.invalid

q() { dig +short +tries=1 +time=2 -p "$PORT" @127.0.0.1 "$1" "$2" 2>/dev/null; }
serial() { q "$1" SOA | awk '{print $3}'; }
short() { git -C "$tmp/git-repo" rev-parse HEAD | cut -c1-7; }
push() { # push MESSAGE GIT-COMMIT-ARGS...: commit and push in git-repo
	local m=$1
	shift
	git -C "$tmp/git-repo" commit -q -m "$m" "$@" &&
		git -C "$tmp/git-repo" push -q origin HEAD:main 2>"$tmp/push"
	rc=$?
	check "git: commit '$m' and push ($(cat "$tmp/push"))" [ "$rc" -eq 0 ]
}
stop() { # stop: SIGTERM to dnsd, its exit status checked
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	wait "$pid"
	local rc=$?
	check "dnsd stops on SIGTERM with exit 0 (got $rc)" [ "$rc" -eq 0 ]
	local keep=() p
	for p in "${pids[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# ---- Data preparation: the mirage zone, committed and pushed ----
git init -q --bare -b main "$tmp/mirage.git"
git clone -q "$tmp/mirage.git" "$tmp/git-repo" 2>/dev/null
git -C "$tmp/git-repo" symbolic-ref HEAD refs/heads/main
cat >"$tmp/git-repo/mirage" <<'EOF'
$ORIGIN mirage.
$TTL 3600
@	SOA	ns1	hostmaster	1	86400	7200	1048576	3600
@	NS	ns1
ns1     A       127.0.0.1
www	A	1.1.1.1
EOF
git -C "$tmp/git-repo" add mirage
push initial
INITIAL=$(short)

# ---- Validation of our zonefile (ozone) ----
"$CHECKZONE" "$tmp/git-repo/mirage" >"$tmp/out" 2>&1
rc=$?
check "dnsd-checkzone mirage: exit 0 ($(cat "$tmp/out"))" [ "$rc" -eq 0 ]

# ---- Getting the primary up ----
cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/work
log-level debug
git-remote $tmp/mirage.git
EOF
mkdir "$tmp/work"
"$DNSD" -c "$tmp/dnsd.conf" -t >"$tmp/out" 2>&1
rc=$?
check "dnsd -t: exit 0 ($(cat "$tmp/out"))" [ "$rc" -eq 0 ]
dnsd_start "$tmp/dnsd.conf" "$tmp/log"
check "dig www.mirage: 1.1.1.1" wait_answer $PORT '^1\.1\.1\.1$' www.mirage A
check "dig mirage SOA: serial 1" [ "$(serial mirage)" = 1 ]
check "dig mirage NS: ns1.mirage." [ "$(q mirage NS)" = ns1.mirage. ]
check "dig ns1.mirage: 127.0.0.1" [ "$(q ns1.mirage A)" = 127.0.0.1 ]
check "the clone in the workdir is at the initial commit $INITIAL" \
	[ "$(git --git-dir="$tmp/work/git" rev-parse HEAD 2>/dev/null | cut -c1-7)" = "$INITIAL" ]

# ---- Authentication: a key in mirage._keys, pushed ----
"$KEYGEN" personal._update.mirage -f dnskey >"$tmp/git-repo/mirage._keys"
check "dnsd-keygen: the DNSKEY line" \
	grep -Eq '^personal\._update\.mirage\. DNSKEY 0 3 163 [A-Za-z0-9+/]{43}=$' "$tmp/git-repo/mirage._keys"
KEY=personal._update.mirage:SHA256:$(awk '{print $6}' "$tmp/git-repo/mirage._keys")
git -C "$tmp/git-repo" add mirage._keys
push "add hmac secret"
KEYED=$(short)

# "now we need to restart the primary git to get the git repository with
# the key": SIGTERM, then again on the same workdir.
stop
dnsd_start "$tmp/dnsd.conf" "$tmp/log2"
check "restarted: www.mirage still 1.1.1.1" wait_answer $PORT '^1\.1\.1\.1$' www.mirage A
check "restarted: the key commit $KEYED pulled" wait_log "$tmp/log2" "$KEYED" 1
# "now test that a notify results in a git pull" (retried for 3 s: the
# key arrives with the pull that follows the start)
for _ in $(seq 15); do
	"$NOTIFY" 127.0.0.1:$PORT mirage --key "$KEY" >"$tmp/nout" 2>&1 && break
	sleep 0.2
done
check "dnsd-notify with the key: NOERROR ($(cat "$tmp/nout"))" grep -qx NOERROR "$tmp/nout"
check "the key file is not served" \
	bash -c "dig +tries=1 +time=2 -p $PORT @127.0.0.1 mirage._keys SOA | grep -q 'status: REFUSED'"
check "the secret is not in the log" bash -c "! grep -qF -- '${KEY##*:}' '$tmp/log' '$tmp/log2'"

# ---- Testing an update and propagation ----
echo "foo A 127.0.0.1" >>"$tmp/git-repo/mirage"
sed -i 's/^\(@\tSOA\tns1\thostmaster\t\)1\t/\12\t/' "$tmp/git-repo/mirage"
check "serial incremented in the file" grep -q "$(printf 'hostmaster\t2\t86400')" "$tmp/git-repo/mirage"
git -C "$tmp/git-repo" show HEAD:mirage >"$tmp/mirage.old"
"$CHECKZONE" --old "$tmp/mirage.old" "$tmp/git-repo/mirage" >"$tmp/out" 2>&1
rc=$?
check "dnsd-checkzone --old: the update is fine ($(cat "$tmp/out"))" [ "$rc" -eq 0 ]
push "add foo" .
FOO=$(short)
if "$NOTIFY" --help 2>&1 | grep -q -- --wait; then
	"$NOTIFY" 127.0.0.1:$PORT mirage --key "$KEY" --serial 2 --wait=10 >"$tmp/nout" 2>&1
	rc=$?
	check "dnsd-notify --wait: serial 2 served ($(cat "$tmp/nout"))" [ "$rc" -eq 0 ]
else
	"$NOTIFY" 127.0.0.1:$PORT mirage --key "$KEY" --serial 2 >"$tmp/nout" 2>&1
	rc=$?
	check "dnsd-notify: NOERROR ($(cat "$tmp/nout"))" [ "$rc" -eq 0 ]
fi
check "dig foo.mirage: 127.0.0.1" wait_answer $PORT '^127\.0\.0\.1$' foo.mirage A
check "dig mirage SOA: serial 2" [ "$(serial mirage)" = 2 ]
check "dig www.mirage: still 1.1.1.1" [ "$(q www.mirage A)" = 1.1.1.1 ]
check "log: pull: $KEYED -> $FOO" bash -c "grep 'pull:.*$KEYED' '$tmp/log2' | grep -q '$FOO'"
check "log: zone mirage serial 1 -> 2" wait_log "$tmp/log2" 'zone mirage serial 1 -> 2' 1
stop

if [ "$fail" -ne 0 ]; then
	for f in "$tmp/log" "$tmp/log2"; do
		echo "--- $f"
		cat "$f"
	done
fi
finish
