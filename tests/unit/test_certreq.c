/* certreq: names, CSRs made here and by `openssl req` (every refusal
 * with its code, a broken signature), a certificate made by `openssl
 * x509 -req` (names, key, validity, serial, AKI, ARI identifier), when
 * a certificate is current for a CSR, keys, PEM and the ordered chain.
 * The fixtures are in tests/data/certreq/, made by its gen.sh. */
#include "tap.h"
#include <dnsd/certreq.h>
#include <dnsd/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define DATA DNSD_TEST_DATA "/certreq/"

/* The leaf's facts, as gen.sh printed them. */
#define LEAF_NOT_BEFORE 1796307175 /* Dec  3 14:12:55 2026 GMT */
#define LEAF_NOT_AFTER  1804083175 /* Mar  3 14:12:55 2027 GMT */
#define LEAF_ARI_ID     "kitlw3dyDTKbEWwYj05t1-2nPws.AIChssPU5fYHGA"

static const uint8_t leaf_serial[] = {0x00, 0x80, 0xa1, 0xb2, 0xc3,
                                      0xd4, 0xe5, 0xf6, 0x07, 0x18};
static const uint8_t leaf_aki[] = {0x92, 0x2b, 0x65, 0xc3, 0x77, 0x72, 0x0d,
                                   0x32, 0x9b, 0x11, 0x6c, 0x18, 0x8f, 0x4e,
                                   0x6d, 0xd7, 0xed, 0xa7, 0x3f, 0x0b};

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, DATA "%s", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	uint8_t *buf = malloc(1 << 16);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	buf[*len] = 0; /* PEM files are read as strings too */
	return buf;
}

static EVP_PKEY *key_file(const char *name)
{
	size_t len;
	uint8_t *pem = slurp(name, &len);
	EVP_PKEY *k = NULL;
	CHECK_INT(dnsd_certkey_from_pem((char *)pem, len, &k), 0);
	free(pem);
	return k;
}

static bool spki_is(const uint8_t *spki, size_t len, EVP_PKEY *k)
{
	uint8_t *want;
	size_t wlen;
	if (dnsd_certkey_spki(k, &want, &wlen) < 0)
		return false;
	bool same = wlen == len && memcmp(want, spki, len) == 0;
	free(want);
	return same;
}

static bool names_are(char *const *got, size_t n, const char *const *want,
                      size_t nwant)
{
	if (n != nwant)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(got[i], want[i]) != 0)
			return false;
	return true;
}

static int csr_code(const char *file)
{
	size_t len;
	uint8_t *der = slurp(file, &len);
	dnsd_csr c;
	int r = dnsd_csr_parse(der, len, &c);
	CHECK(c.nnames == 0 && !c.names && !c.spki);
	dnsd_csr_clear(&c);
	free(der);
	return r;
}

static void test_names(void)
{
	char out[DNSD_CERTREQ_NAME_MAX];
	char big[300];
	CHECK_INT(dnsd_certreq_name("WWW.Example.org.", out), 0);
	CHECK_STR(out, "www.example.org");
	CHECK_INT(dnsd_certreq_name("*.Example.org", out), 0);
	CHECK_STR(out, "*.example.org");
	CHECK_INT(dnsd_certreq_name("_acme-x.example.org", out), 0);
	CHECK_INT(dnsd_certreq_name("localhost", out), 0);
	static const char *const bad[] = {
	    "",        ".",          "*",       "*.",
	    "a.*.org", "*a.org",     "a..org",  ".a.org",
	    "a.org..", "sp ace.org", "x\\.org", "caf\xc3\xa9.org",
	    "a/b.org",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_INT(dnsd_certreq_name(bad[i], out), DNSD_ESYNTAX);
	memset(big, 'a', 64);
	strcpy(big + 64, ".org");
	CHECK_INT(dnsd_certreq_name(big, out), DNSD_ESYNTAX); /* label 64 */
	strcpy(big + 63, ".org");
	CHECK_INT(dnsd_certreq_name(big, out), 0); /* label 63 */
	/* 253 octets is the longest name, 254 one too many */
	for (int i = 0; i < 253; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[253] = 0;
	CHECK_INT(dnsd_certreq_name(big, out), 0);
	big[253] = '.';
	big[254] = 0;
	CHECK_INT(dnsd_certreq_name(big, out), 0); /* the final dot */
	big[253] = 'a';
	CHECK_INT(dnsd_certreq_name(big, out), DNSD_ESYNTAX);

	char *a[] = {"a.org", "*.a.org"}, *b[] = {"*.a.org", "a.org"},
	     *c[] = {"a.org", "b.org"};
	CHECK(dnsd_certreq_names_equal(a, 2, b, 2));
	CHECK(!dnsd_certreq_names_equal(a, 2, c, 2));
	CHECK(!dnsd_certreq_names_equal(a, 2, b, 1));
}

/* A CSR made here for names with a key of type: it parses, with the
 * names in order and the key's SPKI; one flipped octet of its signature
 * (the last of the DER) no longer verifies. */
static void made_here(int type, char *const *names, size_t n,
                      const char *const *want, size_t nwant)
{
	EVP_PKEY *k = NULL;
	CHECK_INT(dnsd_certkey_new(type, &k), 0);
	CHECK_INT(dnsd_certkey_type(k), type);
	uint8_t *der = NULL;
	size_t len = 0;
	CHECK_INT(dnsd_csr_make(k, names, n, &der, &len), 0);
	dnsd_csr c;
	CHECK_INT(dnsd_csr_parse(der, len, &c), 0);
	CHECK(names_are(c.names, c.nnames, want, nwant));
	CHECK(spki_is(c.spki, c.spki_len, k));
	CHECK(dnsd_csr_matches(&c, c.spki, c.spki_len, names, n));
	CHECK(!dnsd_csr_matches(&c, c.spki, c.spki_len, names, n - 1));
	uint8_t *spki;
	size_t slen;
	CHECK_INT(dnsd_certkey_spki(k, &spki, &slen), 0);
	CHECK(dnsd_csr_matches(&c, spki, slen, names, n));
	free(spki);
	dnsd_csr_clear(&c);
	dnsd_csr_clear(&c); /* twice is fine */
	der[len - 1] ^= 0x01;
	CHECK_INT(dnsd_csr_parse(der, len, &c), DNSD_EDENIED);
	der[len - 1] ^= 0x01;
	/* trailing octets, a truncation */
	uint8_t *more = malloc(len + 1);
	memcpy(more, der, len);
	more[len] = 0;
	CHECK_INT(dnsd_csr_parse(more, len + 1, &c), DNSD_EMALFORM);
	CHECK_INT(dnsd_csr_parse(der, len - 1, &c), DNSD_EMALFORM);
	CHECK_INT(dnsd_csr_parse(der, 0, &c), DNSD_EMALFORM);
	free(more);
	free(der);
	EVP_PKEY_free(k);
}

static void test_make(void)
{
	char *three[] = {"www.example.org", "*.example.org", "example.org"};
	const char *const want3[] = {"www.example.org", "*.example.org",
	                             "example.org"};
	made_here(DNSD_CERTKEY_EC256, three, 3, want3, 3);
	made_here(DNSD_CERTKEY_EC384, three, 3, want3, 3);
	made_here(DNSD_CERTKEY_RSA2048, three, 3, want3, 3);
	/* a wildcard and its apex, the wildcard first */
	char *wild[] = {"*.example.net", "example.net"};
	const char *const wantw[] = {"*.example.net", "example.net"};
	made_here(DNSD_CERTKEY_EC256, wild, 2, wantw, 2);
	/* a first name too long for a CN: SANs only, still first */
	char longname[80];
	memset(longname, 'a', 60);
	strcpy(longname + 60, ".example.org");
	char *lng[] = {longname, "example.org"};
	const char *const wantl[] = {longname, "example.org"};
	made_here(DNSD_CERTKEY_EC256, lng, 2, wantl, 2);

	EVP_PKEY *k = NULL;
	uint8_t *der = NULL;
	size_t len;
	CHECK_INT(dnsd_certkey_new(DNSD_CERTKEY_EC256, &k), 0);
	char *upper[] = {"WWW.example.org"}, *dup[] = {"a.org", "a.org"},
	     *dotted[] = {"a.org."};
	CHECK_INT(dnsd_csr_make(k, upper, 1, &der, &len), DNSD_EINVAL);
	CHECK_INT(dnsd_csr_make(k, dup, 2, &der, &len), DNSD_EINVAL);
	CHECK_INT(dnsd_csr_make(k, dotted, 1, &der, &len), DNSD_EINVAL);
	CHECK_INT(dnsd_csr_make(k, upper, 0, &der, &len), DNSD_EINVAL);
	CHECK(der == NULL);
	EVP_PKEY_free(k);
	CHECK_INT(dnsd_certkey_new(99, &k), DNSD_EINVAL);
}

static void test_openssl_req(void)
{
	size_t len;
	uint8_t *der = slurp("ec.csr.der", &len);
	dnsd_csr c;
	CHECK_INT(dnsd_csr_parse(der, len, &c), 0);
	/* lower-cased, the CN first, the duplicate once */
	const char *const want[] = {"www.example.org", "*.example.org",
	                            "example.org"};
	CHECK(names_are(c.names, c.nnames, want, 3));
	EVP_PKEY *k = key_file("ec.key.pem");
	CHECK(spki_is(c.spki, c.spki_len, k));
	CHECK_INT(dnsd_certkey_type(k), DNSD_CERTKEY_EC256);
	EVP_PKEY_free(k);
	dnsd_csr_clear(&c);
	der[len - 1] ^= 0x80;
	CHECK_INT(dnsd_csr_parse(der, len, &c), DNSD_EDENIED);
	/* an octet of the signed part: the names as signed are not these */
	der[len - 1] ^= 0x80;
	uint8_t *w = memmem(der, len, "example.org", 11);
	CHECK(w != NULL);
	if (w) {
		w[0] = 'f';
		CHECK_INT(dnsd_csr_parse(der, len, &c), DNSD_EDENIED);
	}
	free(der);

	der = slurp("rsa.csr.der", &len);
	CHECK_INT(dnsd_csr_parse(der, len, &c), 0);
	const char *const wantr[] = {"a.example.net", "b.example.net"};
	CHECK(names_are(c.names, c.nnames, wantr, 2));
	k = key_file("rsa.key.pem");
	CHECK(spki_is(c.spki, c.spki_len, k));
	CHECK_INT(dnsd_certkey_type(k), DNSD_CERTKEY_RSA2048);
	EVP_PKEY_free(k);
	dnsd_csr_clear(&c);
	free(der);

	CHECK_INT(csr_code("ip.csr.der"), DNSD_ENOTSUP);
	CHECK_INT(csr_code("email.csr.der"), DNSD_ENOTSUP);
	CHECK_INT(csr_code("badcn.csr.der"), DNSD_ESYNTAX);
	CHECK_INT(csr_code("badsan.csr.der"), DNSD_ESYNTAX);
	CHECK_INT(csr_code("nonames.csr.der"), DNSD_ENOTFOUND);
	CHECK_INT(csr_code("leaf.crt.der"), DNSD_EMALFORM);
}

static void test_cert(void)
{
	size_t len, clen;
	uint8_t *der = slurp("leaf.crt.der", &len);
	uint8_t *cder = slurp("ec.csr.der", &clen);
	dnsd_cert x;
	dnsd_csr c;
	CHECK_INT(dnsd_cert_parse(der, len, &x), 0);
	CHECK_INT(dnsd_csr_parse(cder, clen, &c), 0);
	const char *const want[] = {"www.example.org", "*.example.org",
	                            "example.org"};
	CHECK(names_are(x.names, x.nnames, want, 3));
	CHECK(x.spki_len == c.spki_len &&
	      memcmp(x.spki, c.spki, c.spki_len) == 0);
	CHECK_INT(x.not_before, LEAF_NOT_BEFORE);
	CHECK_INT(x.not_after, LEAF_NOT_AFTER);
	CHECK(x.serial_len == sizeof leaf_serial &&
	      memcmp(x.serial, leaf_serial, sizeof leaf_serial) == 0);
	CHECK(x.aki_len == sizeof leaf_aki &&
	      memcmp(x.aki, leaf_aki, sizeof leaf_aki) == 0);
	char id[128];
	CHECK_INT(dnsd_cert_ari_id(&x, id, sizeof id),
	          (int)strlen(LEAF_ARI_ID));
	CHECK_STR(id, LEAF_ARI_ID);
	CHECK_INT(dnsd_cert_ari_id(&x, id, strlen(LEAF_ARI_ID)), DNSD_ESPACE);

	/* 90 days: renewal from day 60 */
	time_t renew = dnsd_cert_renew_at(&x);
	CHECK_INT(renew, LEAF_NOT_BEFORE + 60 * 86400);
	CHECK(dnsd_cert_current(&x, &c, renew, LEAF_NOT_BEFORE + 1));
	CHECK(dnsd_cert_current(&x, &c, renew, renew - 1));
	CHECK(!dnsd_cert_current(&x, &c, renew, renew));
	CHECK(dnsd_cert_current(&x, &c, renew, LEAF_NOT_BEFORE - 3600));
	/* an ARI window that opens earlier, or one past notAfter */
	CHECK(!dnsd_cert_current(&x, &c, LEAF_NOT_BEFORE + 86400,
	                         LEAF_NOT_BEFORE + 86400));
	CHECK(
	    !dnsd_cert_current(&x, &c, LEAF_NOT_AFTER + 86400, LEAF_NOT_AFTER));
	char *fewer[] = {"www.example.org", "example.org"},
	     *more[] = {"www.example.org", "example.org", "new.example.org"},
	     *sub[] = {"a.b.example.org"};
	CHECK(dnsd_cert_covers(&x, fewer, 2));
	CHECK(!dnsd_cert_covers(&x, more, 3));
	CHECK(!dnsd_cert_covers(&x, sub, 1)); /* not by its wildcard */
	/* another key, another name */
	dnsd_csr other;
	size_t olen;
	uint8_t *oder = slurp("rsa.csr.der", &olen);
	CHECK_INT(dnsd_csr_parse(oder, olen, &other), 0);
	CHECK(!dnsd_cert_current(&x, &other, renew, LEAF_NOT_BEFORE + 1));
	free(c.names[2]);
	c.names[2] = strdup("new.example.org");
	CHECK(!dnsd_cert_current(&x, &c, renew, LEAF_NOT_BEFORE + 1));
	dnsd_csr_clear(&other);
	free(oder);

	/* the issuer is the intermediate; CA names are no host names */
	size_t ilen;
	uint8_t *ider = slurp("inter.crt.der", &ilen);
	dnsd_cert ca;
	CHECK_INT(dnsd_cert_parse(ider, ilen, &ca), 0);
	CHECK_INT(ca.nnames, 0);
	CHECK(x.issuer_len == ca.subject_len &&
	      memcmp(x.issuer, ca.subject, ca.subject_len) == 0);
	dnsd_cert_clear(&ca);
	free(ider);

	dnsd_cert_clear(&x);
	CHECK_INT(dnsd_cert_parse(der, len - 1, &x), DNSD_EMALFORM);
	CHECK(x.nnames == 0 && !x.spki && !x.serial);
	CHECK_INT(dnsd_cert_parse(cder, clen, &x), DNSD_EMALFORM);
	dnsd_cert_clear(&x);
	dnsd_csr_clear(&c);
	free(der);
	free(cder);
}

/* The DER blocks of a PEM text, in order. */
static size_t pem_blocks(const char *pem, size_t len, uint8_t **der,
                         size_t *dlen, size_t max)
{
	size_t off = 0, n = 0;
	while (n < max && dnsd_certreq_pem_next(pem, len, &off, "CERTIFICATE",
	                                        &der[n], &dlen[n]) == 0)
		n++;
	return n;
}

static void test_chain(void)
{
	size_t ll, il, rl;
	uint8_t *leaf = slurp("leaf.crt.der", &ll);
	uint8_t *inter = slurp("inter.crt.der", &il);
	uint8_t *root = slurp("root.crt.der", &rl);
	/* as DNS may give the RRset: the root first */
	const uint8_t *cas[] = {root, inter};
	const size_t lens[] = {rl, il};
	char *pem = NULL;
	size_t plen;
	CHECK_INT(dnsd_cert_chain_pem(leaf, ll, cas, lens, 2, &pem, &plen), 2);
	uint8_t *der[4];
	size_t dl[4];
	size_t n = pem_blocks(pem, plen, der, dl, 4);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK(dl[0] == ll && memcmp(der[0], leaf, ll) == 0);
		CHECK(dl[1] == il && memcmp(der[1], inter, il) == 0);
		CHECK(dl[2] == rl && memcmp(der[2], root, rl) == 0);
	}
	for (size_t i = 0; i < n; i++)
		free(der[i]);
	CHECK(strlen(pem) == plen);
	free(pem);
	/* the root alone issues nothing of it; no CA at all */
	CHECK_INT(dnsd_cert_chain_pem(leaf, ll, cas, lens, 1, &pem, &plen), 0);
	CHECK_INT(pem_blocks(pem, plen, der, dl, 4), 1);
	free(der[0]);
	free(pem);
	CHECK_INT(dnsd_cert_chain_pem(leaf, ll, NULL, NULL, 0, &pem, &plen), 0);
	free(pem);
	/* the intermediate twice: once in the chain */
	const uint8_t *twice[] = {inter, inter, root};
	const size_t tl[] = {il, il, rl};
	CHECK_INT(dnsd_cert_chain_pem(leaf, ll, twice, tl, 3, &pem, &plen), 2);
	free(pem);
	const size_t short_lens[] = {rl - 1, il};
	CHECK_INT(
	    dnsd_cert_chain_pem(leaf, ll, cas, short_lens, 2, &pem, &plen),
	    DNSD_EMALFORM);
	free(leaf);
	free(inter);
	free(root);
}

static void test_pem(void)
{
	EVP_PKEY *k = NULL, *back = NULL;
	CHECK_INT(dnsd_certkey_new(DNSD_CERTKEY_EC256, &k), 0);
	char *pem;
	size_t len;
	CHECK_INT(dnsd_certkey_to_pem(k, &pem, &len), 0);
	CHECK(strstr(pem, "-----BEGIN PRIVATE KEY-----\n") == pem);
	CHECK_INT(dnsd_certkey_from_pem(pem, len, &back), 0);
	CHECK(back && EVP_PKEY_eq(k, back) == 1);
	EVP_PKEY_free(back);
	free(pem);
	CHECK_INT(dnsd_certkey_from_pem("nothing", 7, &back), DNSD_ENOTFOUND);
	CHECK(back == NULL);

	char *names[] = {"a.example.org"};
	uint8_t *der, *got;
	size_t dlen, glen, off = 0;
	CHECK_INT(dnsd_csr_make(k, names, 1, &der, &dlen), 0);
	CHECK_INT(
	    dnsd_certreq_pem("CERTIFICATE REQUEST", der, dlen, &pem, &len), 0);
	CHECK(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----\n") == pem);
	CHECK_INT(
	    dnsd_certreq_pem_next(pem, len, &off, "CERTIFICATE", &got, &glen),
	    DNSD_ENOTFOUND);
	off = 0;
	CHECK_INT(dnsd_certreq_pem_next(pem, len, &off, "CERTIFICATE REQUEST",
	                                &got, &glen),
	          0);
	CHECK(glen == dlen && memcmp(got, der, dlen) == 0);
	CHECK_INT(off, len);
	CHECK_INT(dnsd_certreq_pem_next(pem, len, &off, "CERTIFICATE REQUEST",
	                                &got, &glen),
	          DNSD_ENOTFOUND);
	free(got);
	free(pem);
	/* text around blocks, a block of another label skipped, a broken
	 * block */
	const char *mixed = "junk\n-----BEGIN FOO-----\nAAAA\n-----END "
	                    "FOO-----\nmore\n-----BEGIN CERTIFICATE-----\n"
	                    "AQID\n-----END CERTIFICATE-----\n";
	off = 0;
	CHECK_INT(dnsd_certreq_pem_next(mixed, strlen(mixed), &off,
	                                "CERTIFICATE", &got, &glen),
	          0);
	CHECK(glen == 3 && got[0] == 1 && got[2] == 3);
	free(got);
	const char *broken =
	    "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
	off = 0;
	CHECK_INT(dnsd_certreq_pem_next(broken, strlen(broken), &off,
	                                "CERTIFICATE", &got, &glen),
	          DNSD_EMALFORM);
	free(der);
	EVP_PKEY_free(k);

	int t;
	CHECK_INT(dnsd_certkey_type_from_text("rsa4096", &t), 0);
	CHECK_INT(t, DNSD_CERTKEY_RSA4096);
	CHECK_STR(dnsd_certkey_type_name(t), "rsa4096");
	CHECK_INT(dnsd_certkey_type_from_text("ec521", &t), DNSD_EINVAL);
	CHECK_STR(dnsd_certkey_type_name(-1), "?");
	/* a curve none of the types is */
	EVP_PKEY *k521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp521r1");
	CHECK(k521 && dnsd_certkey_type(k521) == DNSD_ENOTSUP);
	EVP_PKEY_free(k521);
}

int main(void)
{
	test_names();
	test_make();
	test_openssl_req();
	test_cert();
	test_chain();
	test_pem();
	return tap_done();
}
