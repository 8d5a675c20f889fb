#!/usr/bin/env bash
# `cmake --install BUILD --prefix /usr` into a DESTDIR, and what it laid
# out:
# - dnsd in sbin/, every tool of src/tools in bin/, executable;
# - every page of man/ in its section's directory (1, 5, 8);
# - dnsd@.service in lib/systemd/system with ExecStart naming the
#   installed dnsd, the sysusers.d entry of its user;
# - the examples in share/doc/dnsd/examples: every conf/*.conf, the
#   unit, the demo scripts and git hooks (executable), the zones;
# - the installed dnsd -V: dnsd's version from CMakeLists.txt and the
#   version of each library it runs on, as pkg-config knows them; each
#   tool's --version;
# - the installed dnsd -t on every installed sample config, each OK:
#   primary-dir.conf as installed; the others with what only a real
#   deployment has substituted (a local bare repository for the ssh
#   remote and no git-ssh-* lines, this user for `user dnsd`, key files
#   made here for /etc/dnsd/*.keys) and no workdir (it comes from
#   STATE_DIRECTORY, as under systemd).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need cmake git pkg-config
KEYGEN=$DNSD_BUILD/src/tools/dnsd-keygen
D=$tmp/dest
U=$D/usr
E=$U/share/doc/dnsd/examples

check_out "cmake --install into DESTDIR" env DESTDIR="$D" cmake --install "$DNSD_BUILD" --prefix /usr

# ---- the tree ----
isexe() { [ -f "$1" ] && [ -x "$1" ]; }
exe() { check "$1 is an executable" isexe "$1"; }
exe "$U/sbin/dnsd"
ntools=0
for src in "$DNSD_SRC"/src/tools/dnsd-*.c; do
	exe "$U/bin/$(basename "$src" .c)"
	ntools=$((ntools + 1))
done
check "tools found in src/tools ($ntools)" [ "$ntools" -ge 5 ]
for page in "$DNSD_SRC"/man/*.[158]; do
	n=$(basename "$page")
	check "man page $n in man${n##*.}" cmp -s "$page" "$U/share/man/man${n##*.}/$n"
done
UNIT=$U/lib/systemd/system/dnsd@.service
check "the unit installed" [ -f "$UNIT" ]
check "the unit starts the installed dnsd" has "$UNIT" '^ExecStart=/usr/sbin/dnsd -c /etc/dnsd/%i.conf$'
check "the unit is Type=notify" has "$UNIT" '^Type=notify$'
check "sysusers.d entry of the dnsd user" has "$U/lib/sysusers.d/dnsd.conf" '^u dnsd '
for c in "$DNSD_SRC"/conf/*.conf; do
	check "example $(basename "$c")" cmp -s "$c" "$E/$(basename "$c")"
done
check "example unit" cmp -s "$DNSD_SRC/conf/dnsd@.service" "$E/dnsd@.service"
for x in demo.sh demo-acme.sh hooks/pre-receive hooks/post-receive; do
	exe "$E/$x"
done
for z in "$DNSD_SRC"/conf/zones/*; do
	check "example zone $(basename "$z")" cmp -s "$z" "$E/zones/$(basename "$z")"
done

# ---- dnsd -V ----
"$U/sbin/dnsd" -V >"$tmp/v" 2>&1
check "dnsd -V exits 0" [ $? -eq 0 ]
sed 's/^/# /' "$tmp/v"
want=$(sed -n 's/^project(dnsd VERSION \([0-9.]*\).*/\1/p' "$DNSD_SRC/CMakeLists.txt")
check "dnsd -V: dnsd $want first" [ "$(head -1 "$tmp/v")" = "dnsd $want" ]
# vline NAME PKG: the line "NAME VERSION" where VERSION starts with what
# pkg-config says of PKG (libevent adds "-stable"; OpenSSL's line is
# "openssl OpenSSL 3.0.x DATE")
vline() {
	local v
	v=$(pkg-config --modversion "$2")
	check "dnsd -V: $1 $v" grep -Eq "^$1 (OpenSSL )?$v" "$tmp/v"
}
vline libevent libevent
vline libgit2 libgit2
vline libssh2 libssh2
vline openssl openssl
vline libcurl libcurl
vline jansson jansson
check "dnsd -V: 7 lines" [ "$(wc -l <"$tmp/v")" -eq 7 ]
for src in "$DNSD_SRC"/src/tools/dnsd-*.c; do
	t=$(basename "$src" .c)
	check "$t --version: $t $want" [ "$("$U/bin/$t" --version 2>&1)" = "$t $want" ]
done

# ---- dnsd -t on the installed samples ----
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$tmp
git init -q --bare -b main "$tmp/remote.git"
git init -q -b main "$tmp/w"
cp "$E"/zones/* "$tmp/w/"
git -C "$tmp/w" add -A &&
	git -C "$tmp/w" -c user.name=t -c user.email=t@example.org commit -q -m zones &&
	git -C "$tmp/w" push -q "$tmp/remote.git" main
"$KEYGEN" -f dnskey 10.0.42.2.10.0.42.3._transfer >"$tmp/secondary.keys"
"$KEYGEN" -f dnskey 10.0.42.2.10.0.42.4._transfer >"$tmp/letsencrypt.keys"
"$KEYGEN" -f dnskey letsencrypt._update >>"$tmp/letsencrypt.keys"
check_out "primary-dir.conf: dnsd -t as installed" "$U/sbin/dnsd" -c "$E/primary-dir.conf" -t
for c in primary secondary letsencrypt; do
	sed -e "s|^user dnsd$|user $(id -un)|" \
		-e "s|/etc/dnsd/$c.keys|$tmp/$c.keys|" \
		-e "s|^git-remote .*|git-remote $tmp/remote.git|" \
		-e '/^git-ssh-/d' "$E/$c.conf" >"$tmp/$c.conf"
	check "$c.conf: no workdir line" hasnt "$tmp/$c.conf" '^workdir'
	mkdir -p "$tmp/state-$c"
	check_out "$c.conf: dnsd -t (substituted: $(diff "$E/$c.conf" "$tmp/$c.conf" | grep -c '^[<>]') lines)" \
		env STATE_DIRECTORY="$tmp/state-$c" "$U/sbin/dnsd" -c "$tmp/$c.conf" -t
done
check "letsencrypt.conf: the workdir is \$STATE_DIRECTORY" has "$tmp/out" "account key $tmp/state-letsencrypt/acme-account.key"
finish
