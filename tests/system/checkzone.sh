#!/usr/bin/env bash
# dnsd-checkzone end to end: exit codes and exact diagnostics for good and
# bad zones, --strict, --old with RFC 1982 serials, key files, --print,
# --git on a real repository, and the pre-receive hook in a bare repository
# refusing a bad push.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CZ=$DNSD_BUILD/src/tools/dnsd-checkzone
ZONES=$DNSD_SRC/tests/data/zones
cd "$tmp" || exit 1
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp # no user or system git config
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.org
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.org

# ok DESCRIPTION is lib.sh's; a failure shows what the command printed.
not_ok() {
	fail=$((fail + 1))
	echo "not ok - $1"
	[ -s out ] && sed 's/^/#   stdout: /' out
	[ -s err ] && sed 's/^/#   stderr: /' err
}

# run EXPECTED_STATUS DESCRIPTION CMD... : runs CMD with stdout in ./out and
# stderr in ./err and checks its exit status.
run() {
	local want=$1 what=$2 got
	shift 2
	"$@" >out 2>err
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$what (exit $got)"
	else
		not_ok "$what: exit $got, expected $want"
	fi
}

# has_lines FILE DESCRIPTION LINE... : FILE (out or err) holds these exact
# lines, one after another.
has_lines() {
	local file=$1 what=$2
	shift 2
	local want
	want=$(printf '%s\n' "$@")
	if /usr/bin/python3 -c '
import sys
have = open(sys.argv[1], errors="replace").read().splitlines()
want = sys.argv[2].splitlines()
sys.exit(0 if any(have[i:i + len(want)] == want
                  for i in range(len(have))) else 1)' "$file" "$want"; then
		ok "$what"
	else
		not_ok "$what: $file lacks: $want"
	fi
}

# lacks FILE DESCRIPTION TEXT : FILE does not contain TEXT anywhere.
lacks() {
	if grep -qF -- "$3" "$1"; then
		not_ok "$2: $1 contains '$3'"
	else
		ok "$2"
	fi
}

# zone FILE SERIAL : the good example zone with another serial.
zone() {
	sed "s/2026112501/$2/" "$ZONES/example.org" >"$1"
}

TAB=$'\t'

# ---- command line -----------------------------------------------------
run 0 "--help" "$CZ" --help
has_lines out "--help prints the usage" \
	"usage: dnsd-checkzone [--origin NAME] [--old FILE] [--strict] [--print] FILE..."
run 0 "--version" "$CZ" --version
if grep -qE '^dnsd-checkzone [0-9]+\.[0-9]+\.[0-9]+$' out; then
	ok "--version prints the version"
else
	not_ok "--version output"
fi
run 0 "-V" "$CZ" -V
run 2 "no FILE is a usage error" "$CZ"
run 2 "unknown option is a usage error" "$CZ" --frobnicate x
run 2 "--old with two files is a usage error" "$CZ" --old a b c
run 2 "--git needs three arguments" "$CZ" --git .

# ---- a good zone --------------------------------------------------------
cp "$ZONES/example.org" example.org
run 0 "good zone" "$CZ" example.org
has_lines out "summary line of a good zone" \
	"example.org: zone example.org. loaded, serial 2026112501, 5 records"
cp "$ZONES/example.org" example.org.zone
run 0 "origin from a .zone file name" "$CZ" example.org.zone
has_lines out "one .zone suffix stripped" \
	"example.org.zone: zone example.org. loaded, serial 2026112501, 5 records"
cp "$ZONES/example.org" primary.db
run 1 "origin from the file name applies" "$CZ" primary.db
has_lines err "wrong origin: data outside the zone" \
	"primary.db:4: error: out of zone data: example.org."
run 0 "--origin overrides the file name" "$CZ" --origin example.org primary.db
has_lines out "--origin summary" \
	"primary.db: zone example.org. loaded, serial 2026112501, 5 records"
run 0 "several files" "$CZ" example.org example.org.zone
run 1 "a missing file fails" "$CZ" example.org missing.example
has_lines err "missing file message" \
	"missing.example: error: cannot read the file: No such file or directory" \
	"missing.example: not loaded: 1 error, 0 warnings"

run 0 "--print" "$CZ" --print example.org
has_lines out "--print: canonical order, one record a line" \
	"example.org. 3600 IN NS ns1.example.org." \
	"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 2026112501 7200 900 1209600 300" \
	"ns1.example.org. 3600 IN A 192.0.2.53" \
	"www.example.org. 3600 IN A 192.0.2.80" \
	"www.example.org. 3600 IN AAAA 2001:db8::80"
lacks out "--print keeps the summary off stdout" "loaded"
has_lines err "--print puts the summary on stderr" \
	"example.org: zone example.org. loaded, serial 2026112501, 5 records"

# ---- syntax errors: FILE:LINE:COL, message, the line, a caret ------------
cat >bad.example <<'EOF'
$TTL 300
@	SOA	ns hostmaster 1 3600 600 86400 60
	NS	ns
ns	A	192.0.2.1
www	A	192.0.2
mail	MX	10
ok	AAAA	2001:db8::zz
EOF
run 1 "syntax errors fail" "$CZ" bad.example
has_lines err "bad IPv4 address with line and caret" \
	"bad.example:5:7: error: expected an IPv4 address, found '192.0.2'" \
	"  www${TAB}A${TAB}192.0.2" \
	"     ${TAB} ${TAB}^"
has_lines err "missing field (parsing goes on after an error)" \
	"bad.example:6:11: error: missing field: expected a domain name" \
	"  mail${TAB}MX${TAB}10" \
	"      ${TAB}  ${TAB}  ^"
has_lines err "bad IPv6 address" \
	"bad.example:7:9: error: expected an IPv6 address, found '2001:db8::zz'" \
	"  ok${TAB}AAAA${TAB}2001:db8::zz" \
	"    ${TAB}    ${TAB}^"
has_lines err "error count" "bad.example: not loaded: 3 errors, 0 warnings"

# ---- zone checks ------------------------------------------------------------
cat >conflict.example <<'EOF'
$TTL 300
@	SOA	ns hostmaster 1 3600 600 86400 60
	NS	ns
ns	A	192.0.2.1
www	CNAME	ns
www	A	192.0.2.80
EOF
run 1 "CNAME and other data fails" "$CZ" conflict.example
has_lines err "CNAME conflict message" \
	"conflict.example:6: error: CNAME and other data at www.conflict.example."
# shellcheck disable=SC2016 # zone text, not shell
printf '$TTL 300\n@ NS ns\nns A 192.0.2.1\n' >nosoa.example
run 1 "a zone without SOA fails" "$CZ" nosoa.example
has_lines err "missing SOA message" \
	"nosoa.example: error: no SOA record at the zone apex"

# ---- warnings and --strict ---------------------------------------------------
cat >warn.example <<'EOF'
$TTL 300
@	SOA	ns hostmaster 1 3600 600 86400 60
	NS	ns
ns	A	192.0.2.1
@	MX	10 mail
EOF
run 0 "a warning alone passes" "$CZ" warn.example
has_lines err "the warning is printed" \
	"warn.example:5: warning: MX target mail.warn.example. of warn.example. has no address records (A or AAAA)"
has_lines out "the summary counts the warning" \
	"warn.example: zone warn.example. loaded, serial 1, 4 records, 1 warning"
run 1 "--strict makes the warning fatal" "$CZ" --strict warn.example
has_lines err "--strict verdict" "warn.example: not accepted: 1 warning (--strict)"
run 0 "--strict passes a clean zone" "$CZ" --strict example.org

# ---- --old: the serial must increase (RFC 1982) ------------------------------
# old new status
while read -r old new want; do
	zone old.zone "$old"
	zone example.org "$new"
	run "$want" "--old $old -> $new" "$CZ" --old old.zone example.org
	if [ "$want" -ne 0 ]; then
		has_lines err "--old $old -> $new names both serials" \
			"example.org:4: error: SOA serial $new is not greater than the old serial $old (RFC 1982 serial arithmetic)"
	fi
done <<'EOF'
2026112501 2026112500 1
2026112501 2026112501 1
2026112501 2026112502 0
4294967295 5 0
4294967000 4294967295 0
5 4294967295 1
1 2147483648 0
1 2147483649 1
EOF
zone old.zone 2026112501
zone example.org 2026112502
run 0 "a higher serial passes" "$CZ" --old old.zone example.org
has_lines out "the summary shows the old serial" \
	"example.org: zone example.org. loaded, serial 2026112502 (was 2026112501), 5 records"
run 1 "--old without a readable SOA fails" "$CZ" --old nosoa.example example.org
has_lines err "unreadable old serial" \
	"example.org: error: cannot read the SOA serial of the old version nosoa.example"
cp "$ZONES/example.org" example.org

# ---- key files ----------------------------------------------------------
SECRET1=kJJqpc1O3JDmqoC2SHoBDnNuIxjH2n9GsqVc6bbHflQ=
SECRET2=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0
cat >example.org._keys <<EOF
personal._update.example.org. DNSKEY 0 3 163 $SECRET1
1.0.0.127.2.0.0.127._transfer.example.org. DNSKEY 0 3 165 $SECRET2
EOF
run 0 "good key file" "$CZ" example.org._keys
has_lines out "key file summary" \
	"example.org._keys: key file for example.org. loaded, 2 keys"
run 0 "--print on a key file" "$CZ" --print example.org._keys
has_lines out "--print lists names and algorithms" \
	"personal._update.example.org. hmac-sha256 32-octet secret" \
	"1.0.0.127.2.0.0.127._transfer.example.org. hmac-sha512 48-octet secret"
lacks out "--print never shows a secret" "$SECRET1"
lacks out "--print never shows the other secret" "$SECRET2"
printf 'x._update. DNSKEY 0 3 164 %s\n' "$SECRET1" >_keys
run 0 "_keys holds keys for every zone" "$CZ" _keys
has_lines out "_keys summary" "_keys: key file for . loaded, 1 key"
cat >bad.example.org._keys <<EOF
k.other.org. DNSKEY 0 3 163 $SECRET1
k2.bad.example.org. DNSKEY 0 3 13 $SECRET1
k3.bad.example.org. A 192.0.2.1
EOF
run 1 "bad key file" "$CZ" bad.example.org._keys
has_lines err "a key outside the file's zone" \
	"bad.example.org._keys:1:1: error: key 'k.other.org.' is outside zone 'bad.example.org.' of this key file"
has_lines err "a non-HMAC algorithm" \
	"bad.example.org._keys:2:32: error: expected an HMAC algorithm 161..165 in a key file, found 13"
has_lines err "a record that is not a key" \
	"bad.example.org._keys:3:21: error: expected a DNSKEY record in a key file, found A"
lacks err "diagnostics never show a secret" "$SECRET1"
run 1 "--old with a key file fails" "$CZ" --old old.zone example.org._keys
has_lines err "--old with a key file message" \
	"example.org._keys: error: --old applies to zone files, not key files"

# ---- --git: a real repository, read without a checkout ------------------------
ZERO=0000000000000000000000000000000000000000
git init -q repo
cd repo || exit 1
zone example.org 2026112501
# shellcheck disable=SC2016 # zone text, not shell
printf '$INCLUDE inc/hosts\n' >>example.org
mkdir inc
printf 'host1 A 192.0.2.7\n' >inc/hosts
cp ../example.org._keys .
echo "zones of example.org" >README.md
echo "not a zone" >.gitattributes
git add -A && git commit -qm "first"
run 0 "--git: a new branch checks every file" "$CZ" --git . $ZERO HEAD
has_lines out "--git: the zone, read with its \$INCLUDE from the tree" \
	"example.org: zone example.org. loaded, serial 2026112501, 6 records"
has_lines out "--git: the key file" \
	"example.org._keys: key file for example.org. loaded, 2 keys"
lacks out "--git: README.md is not a zone" "README"
lacks out "--git: dotfiles are not zones" ".gitattributes"

sed -i 's/192.0.2.80/192.0.2/; s/2026112501/2026112502/' example.org
git commit -qam "broken"
run 1 "--git: a broken change fails" "$CZ" --git . HEAD~1 HEAD
has_lines err "--git: the error names the file in the repository" \
	"example.org:12:10: error: expected an IPv4 address, found '192.0.2'" \
	"  www${TAB}IN A${TAB}192.0.2" \
	"     ${TAB}    ${TAB}^"
lacks out "--git: an unchanged key file is not rechecked" "_keys"

sed -i 's/192.0.2$/192.0.2.81/; s/2026112502/2026112503/' example.org
git commit -qam "fixed, serial up"
run 0 "--git: a good change passes" "$CZ" --git "$PWD" HEAD~1 HEAD
has_lines out "--git: the serial went up" \
	"example.org: zone example.org. loaded, serial 2026112503 (was 2026112502), 6 records"

sed -i 's/192.0.2.81/192.0.2.82/' example.org
git commit -qam "serial not raised"
run 1 "--git: a change without a higher serial fails" "$CZ" --git . HEAD~1 HEAD
has_lines err "--git: serial message" \
	"example.org:4: error: SOA serial 2026112503 is not greater than the old serial 2026112503 (RFC 1982 serial arithmetic)"
git reset -q --hard HEAD~1

printf 'host1 A 192.0.2\n' >inc/hosts
git commit -qam "broken include"
run 1 "--git: a broken included file fails the zone that includes it" \
	"$CZ" --git . HEAD~1 HEAD
has_lines err "--git: the error is in the included file" \
	"inc/hosts:1:9: error: expected an IPv4 address, found '192.0.2'"
git reset -q --hard HEAD~1

# The working tree must not matter: only the revisions' trees are read.
printf 'garbage\n' >inc/hosts
printf 'garbage\n' >example.org
run 0 "--git: the working tree is not read" "$CZ" --git . $ZERO HEAD
git checkout -q -- .
run 0 "--git: the .git directory works as REPO" "$CZ" --git .git $ZERO HEAD
run 1 "--git: an unknown revision fails" "$CZ" --git . nosuchrev HEAD
has_lines err "--git: the unknown revision is named" \
	"dnsd-checkzone: nosuchrev: revspec 'nosuchrev' not found"
run 1 "--git: a missing repository fails" "$CZ" --git "$tmp/nothere" $ZERO HEAD
run 0 "--git: a deleted ref checks nothing" "$CZ" --git . HEAD $ZERO
cd "$tmp" || exit 1

# ---- the pre-receive hook ----------------------------------------------------
git init -q --bare hub.git
install -m 755 "$DNSD_SRC/conf/hooks/pre-receive" hub.git/hooks/pre-receive
git clone -q hub.git work 2>/dev/null
cd work || exit 1
zone example.org 2026112501
cp ../example.org._keys .
git add -A && git commit -qm "first"
# The hook finds dnsd-checkzone on PATH, as on a server.
export PATH="$DNSD_BUILD/src/tools:$PATH"
run 0 "hook: a good first push is accepted" git push -q origin HEAD:main
sed -i 's/192.0.2.80/192.0.2/; s/2026112501/2026112502/' example.org
git commit -qam "broken"
run 1 "hook: a broken push is refused" git push -q origin HEAD:main
has_lines err "hook: the push shows the error" \
	"remote: example.org:12:10: error: expected an IPv4 address, found '192.0.2'        "
has_lines err "hook: the ref is named" \
	"remote: dnsd: refusing refs/heads/main: zone check failed (see above)        "
if [ "$(git -C ../hub.git rev-parse main)" = "$(git rev-parse HEAD~1)" ]; then
	ok "hook: the refused commit did not reach the branch"
else
	not_ok "hook: main moved despite the refusal"
fi
run 1 "hook: a new branch with a broken zone is refused" \
	git push -q origin HEAD:refs/heads/topic
git reset -q --hard HEAD~1
sed -i 's/2026112501/2026112502/' example.org
git commit -qam "serial up"
run 0 "hook: a good change is accepted" git push -q origin HEAD:main
if [ "$(git -C ../hub.git rev-parse main)" = "$(git rev-parse HEAD)" ]; then
	ok "hook: the accepted commit is on the branch"
else
	not_ok "hook: main did not move"
fi
sed -i 's/192.0.2.53/192.0.2.54/' example.org
git commit -qam "serial forgotten"
run 1 "hook: a change without a higher serial is refused" \
	git push -q origin HEAD:main
run 0 "hook: deleting a branch is not checked" \
	git push -q origin HEAD~1:refs/heads/old
run 0 "hook: ...and the delete itself" git push -q origin :refs/heads/old
cd "$tmp" || exit 1

finish
