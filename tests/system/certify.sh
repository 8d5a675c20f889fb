#!/usr/bin/env bash
# dnsd-certify against a dnsd git primary, the test playing the
# letsencrypt role's part with an openssl CA and nsupdate: the CSR
# published as TLSA 3 255 0 at _letsencrypt._tcp.HOST with exactly the
# names asked (a wildcard beside its apex), replacing the CSRs there and
# keeping the other TLSA records, committed to the remote; the key made
# with mode 0600 and reused, --csr-file written and reused, no second
# UPDATE for a CSR already published; a certificate already published
# written as the PEM chain with the "already current" status and DNS
# untouched; a certificate published while dnsd-certify polls written
# with the "issued" status; --force publishing a new key's CSR; a wrong
# secret, an unknown key, a key that may not update, a zone not served
# ("refused"), no certificate ("timeout"), a closed port ("no answer");
# usage errors.
. "$(dirname "$0")/lib.sh"
need git dig nsupdate openssl xxd
PORT=16610
CLOSED=16619 # nobody listens
CERTIFY=$DNSD_BUILD/src/tools/dnsd-certify
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp
# exit statuses of dnsd-certify
ISSUED=0 LOCAL=1 REFUSED=2 CURRENT=3 TIMEOUT=4 NOANSWER=5

LE=_letsencrypt._tcp
# a TLSA record that is neither a CSR nor a certificate, kept throughout
OTHER="3 1 1 $(printf x | openssl dgst -sha256 -r | cut -d' ' -f1 | tr a-f A-F)"
git init -q --bare -b main "$tmp/remote.git"
git clone -q "$tmp/remote.git" "$tmp/work" 2>/dev/null
cat >"$tmp/work/example.org" <<EOF
\$ORIGIN example.org.
\$TTL 3600
@	SOA	ns1 hostmaster 1 3600 900 604800 300
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.80
$LE.www	TLSA	$OTHER
$LE.www	TLSA	3 255 0 0102
$LE.www	TLSA	3 255 0 0304
EOF
"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey u._update.example.org >"$tmp/work/example.org._keys"
"$DNSD_BUILD/src/tools/dnsd-keygen" -f dnskey n._notify.example.org >>"$tmp/work/example.org._keys"
secret_of() { awk -v k="$1." '$1 == k {print $NF}' "$tmp/work/example.org._keys"; }
K=u._update.example.org:SHA256:$(secret_of u._update.example.org)
NK=n._notify.example.org:SHA256:$(secret_of n._notify.example.org)
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -q -m zones
git -C "$tmp/work" push -q origin main

cat >"$tmp/dnsd.conf" <<EOF
role primary
listen 127.0.0.1:$PORT
workdir $tmp/wd
git-remote $tmp/remote.git
git-author "dnsd test <dnsd@example.org>"
EOF
dnsd_start "$tmp/dnsd.conf" "$tmp/log"
check "serves the zone" wait_answer $PORT 192.0.2.80 www.example.org A

# certify RC DESCRIPTION ARGS...: dnsd-certify 127.0.0.1:PORT ARGS in
# $tmp exits RC; stdout in $tmp/c.out, stderr in $tmp/c.err
certify() {
	local rc=$1 what=$2 got
	shift 2
	(cd "$tmp" && "$CERTIFY" "127.0.0.1:$PORT" "$@") >"$tmp/c.out" 2>"$tmp/c.err"
	got=$?
	if [ "$got" -eq "$rc" ]; then
		ok "$what"
	else
		bad "$what: exit $got (want $rc): $(cat "$tmp/c.out" "$tmp/c.err")"
	fi
}
serial() { dig +short -p $PORT @127.0.0.1 example.org SOA | awk '{print $3}'; }
# tlsa HOST KIND: the DATA hex of HOST's TLSA records of KIND ("3 255 0"),
# one a line, upper case
tlsa() {
	dig +short +tcp -p $PORT @127.0.0.1 "$LE.$1.example.org" TLSA |
		awk -v k="$2" '($1 " " $2 " " $3) == k { $1 = $2 = $3 = ""; gsub(/ /, ""); print toupper($0) }'
}
# der HEX FILE: the DER octets
der() { xxd -r -p <<<"$1" >"$2"; }
# sans FILE: the SANs of a DER CSR, as openssl prints them
sans() { openssl req -inform DER -in "$1" -noout -text | grep -A1 'Subject Alternative Name' | tail -1 | sed 's/^ *//'; }
pub_of_key() { openssl pkey -in "$1" -pubout -outform DER | xxd -p | tr -d '\n'; }
pub_of_csr() { openssl req -inform DER -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | xxd -p | tr -d '\n'; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | xxd -p | tr -d '\n'; }
# publish HOST CERT.der CA.der...: as the role does, the 3 0 0 and 2 0 0
# records added in one UPDATE (there are none before in this test)
publish() {
	local host=$1 cert=$2 ca
	shift 2
	{
		echo "server 127.0.0.1 $PORT"
		echo "zone example.org"
		echo "update add $LE.$host.example.org 300 TLSA 3 0 0 $(xxd -p "$cert" | tr -d '\n')"
		for ca in "$@"; do
			echo "update add $LE.$host.example.org 300 TLSA 2 0 0 $(xxd -p "$ca" | tr -d '\n')"
		done
		echo send
	} | nsupdate -y "hmac-sha256:u._update.example.org:$(secret_of u._update.example.org)" \
		>"$tmp/nsupdate.out" 2>&1
}
# sign CSR.der OUT.der: the test CA's certificate for the CSR, 90 days
sign() {
	openssl x509 -req -inform DER -in "$1" -CA "$tmp/ca/inter.pem" -CAkey "$tmp/ca/inter.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 90 -copy_extensions copy \
		-extfile <(printf 'basicConstraints=CA:false\nauthorityKeyIdentifier=keyid\n') \
		-outform DER -out "$2" 2>/dev/null
}
# the test CA: a root and an intermediate
mkdir "$tmp/ca"
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$tmp/ca/root.key" \
	-subj "/CN=certify test root" -days 30 -addext basicConstraints=critical,CA:true \
	-addext keyUsage=critical,keyCertSign -out "$tmp/ca/root.pem" 2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$tmp/ca/inter.key" \
	-subj "/CN=certify test intermediate" -out "$tmp/ca/inter.csr" 2>/dev/null
openssl x509 -req -in "$tmp/ca/inter.csr" -CA "$tmp/ca/root.pem" -CAkey "$tmp/ca/root.key" -set_serial 2 -days 30 \
	-extfile <(printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n') \
	-out "$tmp/ca/inter.pem" 2>/dev/null
openssl x509 -in "$tmp/ca/root.pem" -outform DER -out "$tmp/ca/root.der"
openssl x509 -in "$tmp/ca/inter.pem" -outform DER -out "$tmp/ca/inter.der"

# ---- usage ----
"$CERTIFY" --help >"$tmp/help" 2>&1
check "--help: exit 0" [ $? -eq 0 ]
check "--help: says the exit statuses" has "$tmp/help" '3 already current'
certify $LOCAL "no --key" www.example.org
check "no --key: said" has "$tmp/c.err" 'the TSIG key is required'
certify $LOCAL "a wildcard HOSTNAME" '*.example.org' --key "$K"
certify $LOCAL "an unknown --key-type" www.example.org --key "$K" --key-type dsa
certify $LOCAL "a name that is no host name" www.example.org -a 'a b.example.org' --key "$K"
check "usage errors made no key file" [ ! -e "$tmp/www.example.org.key" ]

# ---- no certificate: the CSR published, "timeout" ----
s0=$(serial)
start=$(date +%s)
certify $TIMEOUT "no certificate: timeout" www.example.org -a '*.example.org' -a Example.ORG. \
	--key "$K" --csr-file www.csr --timeout 3
took=$(($(date +%s) - start))
check "timeout: after --timeout 3 ($took s)" [ "$took" -ge 3 -a "$took" -le 8 ]
check "timeout: said" has "$tmp/c.err" "_letsencrypt._tcp.www.example.org.: no current certificate after 3 s"
check "timeout: nothing on stdout" [ ! -s "$tmp/c.out" ]
check "the key file made (HOSTNAME.key), mode 0600" [ "$(stat -c %a "$tmp/www.example.org.key")" = 600 ]
check "no certificate file" [ ! -e "$tmp/www.example.org.pem" ]
mapfile -t csrs < <(tlsa www "3 255 0")
check "one CSR at the name (the two there replaced): ${#csrs[@]}" [ "${#csrs[@]}" -eq 1 ]
der "${csrs[0]}" "$tmp/www.csr.der"
check "the CSR verifies" openssl req -inform DER -in "$tmp/www.csr.der" -noout -verify 2>/dev/null
check "the CSR has exactly the names: $(sans "$tmp/www.csr.der")" \
	[ "$(sans "$tmp/www.csr.der")" = "DNS:www.example.org, DNS:*.example.org, DNS:example.org" ]
check "the CSR's subject is the HOSTNAME" bash -c \
	"openssl req -inform DER -in '$tmp/www.csr.der' -noout -subject | grep -q 'CN = www.example.org$'"
check "the CSR has the key's public key" [ "$(pub_of_csr "$tmp/www.csr.der")" = "$(pub_of_key "$tmp/www.example.org.key")" ]
check "the other TLSA record kept" [ "$(dig +short -p $PORT @127.0.0.1 $LE.www.example.org TLSA | grep -c '^3 1 1 ')" -eq 1 ]
check "--csr-file written: the CSR published" bash -c \
	"openssl req -in '$tmp/www.csr' -outform DER | cmp -s - '$tmp/www.csr.der'"
s1=$(serial)
check "one UPDATE ($s0 -> $s1)" [ "$s1" -eq $((s0 + 1)) ]

for _ in $(seq 100); do
	git -C "$tmp/remote.git" show main:example.org 2>/dev/null | grep -qi "${csrs[0]:0:40}" && break
	sleep 0.1
done
git -C "$tmp/remote.git" show main:example.org >"$tmp/remote.zone"
check "the CSR committed to the remote" grep -qi "TLSA.*3 255 0 ${csrs[0]:0:40}" "$tmp/remote.zone"
check "the remote: the old CSRs gone" bash -c "! grep -qiE '3 255 0 (0102|0304)\$' '$tmp/remote.zone'"

# the same again: key and CSR reused, the CSR in DNS ours, no UPDATE
sum=$(sha256sum <"$tmp/www.example.org.key")
certify $TIMEOUT "again: timeout" www.example.org -a '*.example.org' -a example.org --key "$K" \
	--csr-file www.csr --timeout 0 -v
check "again: the key reused" [ "$(sha256sum <"$tmp/www.example.org.key")" = "$sum" ]
check "again: the CSR file reused" has "$tmp/c.err" 'CSR www.csr: reused'
check "again: the CSR published is ours" has "$tmp/c.err" 'the CSR published is ours'
check "again: no UPDATE" [ "$(serial)" -eq "$s1" ]
# without --csr-file, and the names in another order: still ours
certify $TIMEOUT "again, names reordered" www.example.org -a example.org -a '*.example.org' --key "$K" --timeout 0
check "names reordered: no UPDATE" [ "$(serial)" -eq "$s1" ]
check "names reordered: the same CSR" [ "$(tlsa www "3 255 0")" = "${csrs[0]}" ]
certify $LOCAL "another --key-type than the key's" www.example.org --key "$K" --key-type rsa2048 --timeout 0
check "another --key-type: said" has "$tmp/c.err" 'an ec256 key, not rsa2048'

# ---- a certificate already published: written, "already current" ----
sign "$tmp/www.csr.der" "$tmp/www.crt.der"
publish www "$tmp/www.crt.der" "$tmp/ca/root.der" "$tmp/ca/inter.der"
check "the CA published the certificate: $(cat "$tmp/nsupdate.out")" [ -n "$(tlsa www "3 0 0")" ]
s2=$(serial)
certify $CURRENT "a current certificate: already current" www.example.org -a '*.example.org' -a example.org \
	--key "$K" --cert-file www.pem --timeout 5
check "already current: DNS untouched" [ "$(serial)" -eq "$s2" ]
check "already current: said on stdout" has "$tmp/c.out" '^current: www.pem (valid until '
check "already current: the PEM is the certificate, then its chain" bash -c "
	openssl crl2pkcs7 -nocrl -certfile '$tmp/www.pem' | openssl pkcs7 -print_certs -noout |
		grep '^subject' >'$tmp/subjects'
	[ \"\$(cat '$tmp/subjects')\" = \"\$(printf 'subject=CN = www.example.org\nsubject=CN = certify test intermediate\nsubject=CN = certify test root')\" ]"
check "already current: the PEM's certificate is the one published" bash -c \
	"openssl x509 -in '$tmp/www.pem' -outform DER | cmp -s - '$tmp/www.crt.der'"
check "already current: the chain verifies" openssl verify -CAfile "$tmp/ca/root.pem" \
	-untrusted "$tmp/www.pem" "$tmp/www.pem" >/dev/null
check "already current: the certificate has the key" [ "$(pub_of_cert "$tmp/www.pem")" = "$(pub_of_key "$tmp/www.example.org.key")" ]
check "the PEM mode 0644" [ "$(stat -c %a "$tmp/www.pem")" = 644 ]
check "no temporary file left" bash -c "! ls '$tmp' | grep -q tmp"
# for fewer names the certificate is current too; for one more it is not
certify $CURRENT "a current certificate covers fewer names" www.example.org --key "$K" --csr-file www2.csr --timeout 0
certify $TIMEOUT "not for a name more" www.example.org -a '*.example.org' -a example.org -a new.example.org \
	--key "$K" --timeout 0
mapfile -t csrs2 < <(tlsa www "3 255 0")
check "a name more: a new CSR published in place of the old" \
	[ "${#csrs2[@]}" -eq 1 -a "${csrs2[0]}" != "${csrs[0]}" ]

# ---- published while dnsd-certify waits: "issued" ----
rm -f "$tmp/mail.example.org.key"
(cd "$tmp" && exec "$CERTIFY" "127.0.0.1:$PORT" mail.example.org --key "$K" --key-type ec384 --timeout 30) \
	>"$tmp/wait.out" 2>"$tmp/wait.err" &
waiter=$!
pids+=("$waiter")
for _ in $(seq 100); do
	[ -n "$(tlsa mail "3 255 0")" ] && break
	sleep 0.1
done
der "$(tlsa mail "3 255 0")" "$tmp/mail.csr.der"
check "waiting: the CSR published" openssl req -inform DER -in "$tmp/mail.csr.der" -noout -verify 2>/dev/null
check "waiting: the CSR for the one name" [ "$(sans "$tmp/mail.csr.der")" = "DNS:mail.example.org" ]
check "waiting: an ec384 key" bash -c "openssl pkey -in '$tmp/mail.example.org.key' -noout -text | grep -q 'NIST CURVE: P-384'"
sleep 1
kill -0 "$waiter" 2>/dev/null
check "waiting: still waiting" [ $? -eq 0 ]
sign "$tmp/mail.csr.der" "$tmp/mail.crt.der"
publish mail "$tmp/mail.crt.der" "$tmp/ca/inter.der"
wait "$waiter"
rc=$?
check "waiting: issued (exit $rc, want $ISSUED): $(cat "$tmp/wait.err")" [ "$rc" -eq $ISSUED ]
check "issued: said on stdout" has "$tmp/wait.out" '^issued: mail.example.org.pem (valid until '
check "issued: the PEM is the certificate published" bash -c \
	"openssl x509 -in '$tmp/mail.example.org.pem' -outform DER | cmp -s - '$tmp/mail.crt.der'"
check "issued: the chain verifies" openssl verify -CAfile "$tmp/ca/root.pem" \
	-untrusted "$tmp/mail.example.org.pem" "$tmp/mail.example.org.pem" >/dev/null
check "issued: the certificate has the key" [ "$(pub_of_cert "$tmp/mail.example.org.pem")" = "$(pub_of_key "$tmp/mail.example.org.key")" ]

# ---- --force: a new key and CSR, though a certificate is current ----
certify $CURRENT "mail: current" mail.example.org --key "$K" --timeout 5
old=$(pub_of_key "$tmp/mail.example.org.key")
certify $TIMEOUT "--force: a new order, timeout" mail.example.org --key "$K" --force --timeout 1
check "--force: a new key" [ "$(pub_of_key "$tmp/mail.example.org.key")" != "$old" ]
der "$(tlsa mail "3 255 0")" "$tmp/mail2.csr.der"
check "--force: its CSR published" [ "$(pub_of_csr "$tmp/mail2.csr.der")" = "$(pub_of_key "$tmp/mail.example.org.key")" ]
check "--force: the old certificate left to the role" \
	[ "$(tlsa mail "3 0 0")" = "$(xxd -p "$tmp/mail.crt.der" | tr -d '\n' | tr a-f A-F)" ]

# ---- refused ----
s3=$(serial)
certify $REFUSED "a wrong secret: refused" www.example.org --key "u._update.example.org:SHA256:$(openssl rand -base64 32)" \
	--key-file wrong2.key --timeout 1
check "a wrong secret: said" has "$tmp/c.err" 'BADSIG'
certify $REFUSED "an unknown key: refused" www.example.org --key "x._update.example.org:SHA256:$(openssl rand -base64 32)" \
	--key-file wrong2.key --timeout 1
check "an unknown key: said" has "$tmp/c.err" 'BADKEY'
certify $REFUSED "a key that may not update: refused" www.example.org --key "$NK" --key-file wrong.key --timeout 1
check "a key that may not update: the UPDATE refused" has "$tmp/c.err" 'the UPDATE of the CSR at _letsencrypt._tcp.www.example.org.: answered'
check "refused: DNS unchanged" [ "$(serial)" -eq "$s3" ]
check "refused by the key: the new key not written before" [ ! -e "$tmp/wrong2.key" ]
certify $REFUSED "a zone not served: refused" www.other.test --key "$K" --timeout 1
check "a zone not served: said" has "$tmp/c.err" 'the SOA query for _letsencrypt._tcp.www.other.test.: answered REFUSED'

# ---- no answer ----
(cd "$tmp" && "$CERTIFY" "127.0.0.1:$CLOSED" www.example.org --key "$K" --timeout 1) >/dev/null 2>"$tmp/c.err"
rc=$?
check "a closed port: exit $NOANSWER (got $rc)" [ "$rc" -eq $NOANSWER ]
check "a closed port: said" has "$tmp/c.err" 'no answer: TCP: Connection refused'
finish
