#!/bin/sh
# How the fixtures of tests/unit/test_certreq.c were made (openssl 3.0);
# rerunning it makes new keys and dates: then give the test the LEAF_*
# values and leaf_serial, leaf_aki it prints last (SPKIs are read here).
set -e
cd "$(dirname "$0")"
req() { # req NAME KEYOPTS -subj ... [-addext ...]: NAME.key.pem, NAME.csr.der
	n=$1
	shift
	openssl req -new -nodes -keyout "$n.key.pem" -outform DER -out "$n.csr.der" "$@" 2>/dev/null
}
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
# CN and SANs in mixed case, a wildcard beside its apex, a duplicate
req ec $ec -subj /CN=Www.Example.ORG \
	-addext "subjectAltName=DNS:www.example.org,DNS:*.Example.org,DNS:example.org,DNS:WWW.example.org"
# RSA, no CN: the names are the SANs only
req rsa -newkey rsa:2048 -subj /O=dnsd -addext "subjectAltName=DNS:a.example.net,DNS:b.example.net"
req ip $ec -subj /CN=x.example.org -addext "subjectAltName=DNS:x.example.org,IP:192.0.2.1"
req email $ec -subj /CN=x.example.org -addext "subjectAltName=email:hostmaster@example.org"
req badcn $ec -subj "/CN=My Service"
req nonames $ec -subj /O=dnsd
req badsan $ec -subj /CN=x.example.org -addext "subjectAltName=DNS:x.exa mple.org"
rm -f ip.key.pem email.key.pem badcn.key.pem nonames.key.pem badsan.key.pem
# a root, an intermediate, and a leaf for ec.csr.der with its SANs
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout root.key.pem -subj "/CN=dnsd test root CA" -days 3650 \
	-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign \
	-outform DER -out root.crt.der 2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout inter.key.pem -subj "/CN=dnsd test intermediate CA" -out inter.csr.pem 2>/dev/null
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >ca.ext
openssl x509 -req -in inter.csr.pem -CA root.crt.der -CAform DER -CAkey root.key.pem \
	-set_serial 2 -days 1825 -extfile ca.ext -outform DER -out inter.crt.der 2>/dev/null
printf 'authorityKeyIdentifier=keyid\nbasicConstraints=CA:false\n' >leaf.ext
openssl x509 -req -inform DER -in ec.csr.der -CA inter.crt.der -CAform DER -CAkey inter.key.pem \
	-set_serial 0x80a1b2c3d4e5f60718 -days 90 -copy_extensions copy -extfile leaf.ext \
	-outform DER -out leaf.crt.der 2>/dev/null
rm -f inter.csr.pem ca.ext leaf.ext root.key.pem inter.key.pem
# what the test compares with
openssl x509 -inform DER -in leaf.crt.der -noout -dates -serial -ext authorityKeyIdentifier
