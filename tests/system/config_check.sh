#!/usr/bin/env bash
# Golden tests of the config file (dnsd.conf(5)), through the real binary:
# - every tests/data/config/NAME.conf with a NAME.err: `dnsd -c NAME.conf
#   -t` exits 1 and prints exactly NAME.err (one file per error message),
#   with no key secret anywhere in the output;
# - every NAME.conf with a NAME.out: `dnsd -p` prints NAME.out (the data
#   directory written @DIR@), from any current directory, and its output
#   parses again to the same output (the round trip is idempotent);
# - command-line errors and unreadable files.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
data=$(cd "$DNSD_SRC/tests/data/config" && pwd -P)

# Secrets used in the test configs; none may ever appear in -t output.
secrets='kJJqipaQHQWqZL31|cDK6sKyvlt8UBerZ|zWNDZM6eQGHWpSRT|not\*base64'

cd "$data" || exit 1
for conf in *.conf; do
	name=${conf%.conf}
	if [ -f "$name.err" ]; then
		"$DNSD" -c "$conf" -t >"$tmp/out" 2>"$tmp/err"
		rc=$?
		check "$conf: -t exits $rc, expected 1" [ "$rc" -eq 1 ]
		if diff -u "$name.err" "$tmp/err"; then ok; else
			bad "$conf: messages differ from $name.err"
		fi
		check "$conf: -t wrote to stdout" [ ! -s "$tmp/out" ]
		if grep -Eq "$secrets" "$tmp/err"; then
			bad "$conf: a secret appears in the -t output"
		else ok; fi
	elif [ -f "$name.out" ]; then
		# From another directory, by absolute path: relative values
		# must still resolve against the config's own directory.
		(cd "$tmp" && "$DNSD" -c "$data/$conf" -p) >"$tmp/p1" 2>"$tmp/e1"
		rc=$?
		check "$conf: -p failed: $(cat "$tmp/e1")" [ "$rc" -eq 0 ]
		if sed "s|$data|@DIR@|g" "$tmp/p1" | diff -u "$name.out" -; then
			ok
		else
			bad "$conf: -p output differs from $name.out"
		fi
		"$DNSD" -c "$tmp/p1" -p >"$tmp/p2" 2>"$tmp/e2"
		rc=$?
		check "$conf: -p of -p failed: $(cat "$tmp/e2")" [ "$rc" -eq 0 ]
		check "$conf: -p is not idempotent" cmp -s "$tmp/p1" "$tmp/p2"
	else
		bad "$conf has neither $name.err nor $name.out"
	fi
done

# The golden set covers every directive of the contract.
for d in role listen workdir user log-level notify-port key keys-file \
	primary zones-dir git-remote git-branch git-ssh-key git-ssh-host-key \
	git-author git-poll acme-directory acme-ca-file acme-email acme-eab \
	edns-payload workers tcp-idle-timeout tcp-max-clients \
	tcp-max-queries xfr-max-records xfr-max-bytes rrl-rate rrl-slip \
	rrl-ipv4-prefix rrl-ipv6-prefix rrl-table-size max-records-per-type \
	max-types-per-name transfers-max-per-peer update-max-pending notify-max-pending acme-key-type acme-profile metrics-listen; do
	check "no round-trip output has '$d'" \
		grep -q "^$d " roundtrip-*.out
done

# Keys are printed by -p (the operator's own file), not by -t.
"$DNSD" -c roundtrip-secondary.conf -p >"$tmp/p" 2>&1
check "-p prints the keys" grep -q '^key personal._update.example.org:SHA512:kJJq' "$tmp/p"

# Files that cannot be read.
"$DNSD" -c no-such.conf -t >"$tmp/out" 2>"$tmp/err"
check "missing file exits 1" [ $? -eq 1 ]
check "missing file message" grep -qx 'no-such.conf: No such file or directory' "$tmp/err"
"$DNSD" -c inc -t >"$tmp/out" 2>"$tmp/err"
check "directory as config exits 1" [ $? -eq 1 ]
check "directory message" grep -qx 'inc: not a regular file' "$tmp/err"

# -p of a bad config prints the errors, no config.
"$DNSD" -c unknown-keyword.conf -p >"$tmp/out" 2>"$tmp/err"
check "-p of a bad config exits 1" [ $? -eq 1 ]
check "-p of a bad config prints nothing" [ ! -s "$tmp/out" ]
check "-p of a bad config gives the error" cmp -s unknown-keyword.err "$tmp/err"

# Command line.
"$DNSD" -x >/dev/null 2>&1
check "unknown option exits 2" [ $? -eq 2 ]
"$DNSD" -c a.conf extra >/dev/null 2>&1
check "extra argument exits 2" [ $? -eq 2 ]
"$DNSD" -h >"$tmp/out" 2>&1
check "-h exits 0 with usage" grep -q '^usage: dnsd' "$tmp/out"

finish
