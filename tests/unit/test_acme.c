/* Unit tests for the ACME message layer (acme.h): base64url against
 * RFC 4648's vectors and its edge cases; the RFC 7638 §3.1 thumbprint;
 * JWKs and JWS bodies of every key type, verified with OpenSSL against a
 * key rebuilt from the JWK alone; External Account Binding checked by
 * recomputing its MAC; the DNS-01 value; the payloads as exact text; the
 * parsers on samples of every object (pebble's and Let's Encrypt's
 * shapes) and on hostile ones; RFC 3339 times; certificate chains; the
 * RFC 9773 CertID example and renewalInfo. */
#include "tap.h"
#include <dnsd/acme.h>
#include <dnsd/certreq.h>
#include <dnsd/err.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#define LEN(s) (sizeof(s) - 1)

/* --- base64url ------------------------------------------------------ */

static void test_b64url(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
	    {"", ""},
	    {"f", "Zg"},
	    {"fo", "Zm8"},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg"},
	    {"fooba", "Zm9vYmE"},
	    {"foobar", "Zm9vYmFy"},
	};
	char buf[64];
	uint8_t bin[64];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = strlen(v[i].in);
		CHECK_INT(dnsd_acme_b64url_len(n), strlen(v[i].out));
		CHECK_INT(dnsd_acme_b64url_encode((const uint8_t *)v[i].in, n,
		                                  buf, sizeof buf),
		          strlen(v[i].out));
		CHECK_STR(buf, v[i].out);
		CHECK_INT(dnsd_acme_b64url_decode(v[i].out, strlen(v[i].out),
		                                  bin, sizeof bin),
		          n);
		CHECK(memcmp(bin, v[i].in, n) == 0);
	}
	/* the two characters that differ from base64 */
	static const uint8_t hi[] = {0xfb, 0xff, 0xbf};
	CHECK_INT(dnsd_acme_b64url_encode(hi, 3, buf, sizeof buf), 4);
	CHECK_STR(buf, "-_-_");
	CHECK_INT(dnsd_acme_b64url_decode("-_-_", 4, bin, sizeof bin), 3);
	CHECK(memcmp(bin, hi, 3) == 0);
	char *s = dnsd_acme_b64url(hi, 2);
	CHECK_STR(s, "-_8");
	free(s);
	/* the NUL and the room for it */
	CHECK_INT(dnsd_acme_b64url_encode((const uint8_t *)"foo", 3, buf, 4),
	          DNSD_ESPACE);
	CHECK_INT(dnsd_acme_b64url_encode((const uint8_t *)"foo", 3, buf, 5),
	          4);
	/* no padding, no base64 characters, no stray bits, no 1 mod 4 */
	CHECK_INT(dnsd_acme_b64url_decode("Zg==", 4, bin, sizeof bin),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_b64url_decode("Zm+v", 4, bin, sizeof bin),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_b64url_decode("Zm/v", 4, bin, sizeof bin),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_b64url_decode("Zm9 v", 5, bin, sizeof bin),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_b64url_decode("Zh", 2, bin, sizeof bin),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_b64url_decode("Zm8", 3, bin, sizeof bin), 2);
	CHECK_INT(dnsd_acme_b64url_decode("Zm9", 3, bin, sizeof bin),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_b64url_decode("Zm9vY", 5, bin, sizeof bin),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_b64url_decode("Zm9vYmFy", 8, bin, 5), DNSD_ESPACE);
	CHECK_INT(dnsd_acme_b64url_decode("Zm9vYmFy", 8, bin, 6), 6);
	CHECK_INT(dnsd_acme_b64url_decode("", 0, bin, 0), 0);
	/* a NUL in the middle is outside the alphabet */
	CHECK_INT(dnsd_acme_b64url_decode("Zm\0v", 4, bin, sizeof bin),
	          DNSD_ESYNTAX);
	/* every octet value round-trips */
	uint8_t all[256], back[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	for (size_t n = 0; n <= 256; n += 37) {
		char *e = dnsd_acme_b64url(all, n);
		CHECK(e && strlen(e) == dnsd_acme_b64url_len(n));
		CHECK_INT(
		    dnsd_acme_b64url_decode(e, strlen(e), back, sizeof back),
		    n);
		CHECK(memcmp(all, back, n) == 0);
		free(e);
	}
}

/* --- keys ------------------------------------------------------------ */

static BIGNUM *b64_bn(const char *s)
{
	uint8_t buf[1024];
	int n = dnsd_acme_b64url_decode(s, strlen(s), buf, sizeof buf);
	return n < 0 ? NULL : BN_bin2bn(buf, n, NULL);
}

/* A public key from a JWK's text alone: what a server does with it. */
static EVP_PKEY *key_from_jwk(const json_t *jwk)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	EVP_PKEY *k = NULL;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	uint8_t pt[1 + 2 * 66]; /* the EC point: read by BLD_to_param */
	if (!kty)
		goto out;
	if (strcmp(kty, "RSA") == 0) {
		n = b64_bn(json_string_value(json_object_get(jwk, "n")));
		e = b64_bn(json_string_value(json_object_get(jwk, "e")));
		if (!n || !e || !OSSL_PARAM_BLD_push_BN(b, "n", n) ||
		    !OSSL_PARAM_BLD_push_BN(b, "e", e))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		const char *crv =
		    json_string_value(json_object_get(jwk, "crv"));
		const char *x = json_string_value(json_object_get(jwk, "x"));
		const char *y = json_string_value(json_object_get(jwk, "y"));
		size_t size = crv && strcmp(crv, "P-256") == 0 ? 32 : 48;
		pt[0] = 4;
		if (!crv || !x || !y ||
		    dnsd_acme_b64url_decode(x, strlen(x), pt + 1, size) !=
		        (int)size ||
		    dnsd_acme_b64url_decode(y, strlen(y), pt + 1 + size,
		                            size) != (int)size ||
		    !OSSL_PARAM_BLD_push_utf8_string(b, "group", crv, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(b, "pub", pt,
		                                      1 + 2 * size))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	p = OSSL_PARAM_BLD_to_param(b);
	if (!ctx || !p || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) != 1)
		k = NULL;
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static void test_thumbprint_rfc7638(void)
{
	/* RFC 7638 §3.1 */
	json_t *jwk = json_pack(
	    "{s:s,s:s,s:s}", "kty", "RSA", "e", "AQAB", "n",
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu"
	    "1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4H"
	    "c5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqz"
	    "s8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
	    "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8a"
	    "wapJzKnqDKgw");
	EVP_PKEY *k = key_from_jwk(jwk);
	CHECK(k != NULL);
	char tp[DNSD_ACME_B64_SHA256 + 1];
	CHECK_INT(dnsd_acme_thumbprint(k, tp), 0);
	CHECK_STR(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	char *text;
	CHECK_INT(dnsd_acme_jwk(k, &text), 0);
	CHECK(text &&
	      strncmp(text, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7",
	              31) == 0);
	const char *alg;
	CHECK_INT(dnsd_acme_key_alg(k, &alg), 0);
	CHECK_STR(alg, "RS256");
	/* the DNS-01 value of a token with this thumbprint */
	char txt[DNSD_ACME_B64_SHA256 + 1];
	CHECK_INT(dnsd_acme_dns01_txt(
	              "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", tp, txt),
	          0);
	CHECK_STR(txt, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	char *ka;
	CHECK_INT(dnsd_acme_key_authz("tok_-en", tp, &ka), 0);
	CHECK_STR(ka, "tok_-en.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(ka);
	CHECK_INT(dnsd_acme_key_authz("", tp, &ka), DNSD_EINVAL);
	CHECK_INT(dnsd_acme_key_authz("a.b", tp, &ka), DNSD_EINVAL);
	CHECK_INT(dnsd_acme_key_authz("a/b", tp, &ka), DNSD_EINVAL);
	CHECK_INT(dnsd_acme_dns01_txt("tok", "not a thumbprint", txt),
	          DNSD_EINVAL);
	free(text);
	EVP_PKEY_free(k);
	json_decref(jwk);
}

/* Decoded base64url member of a JWS as text. */
static char *b64_text(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		return NULL;
	char *t = malloc(strlen(s) + 1);
	int n = dnsd_acme_b64url_decode(s, strlen(s), (uint8_t *)t, strlen(s));
	if (n < 0) {
		free(t);
		return NULL;
	}
	t[n] = '\0';
	return t;
}

/* The JWS signature of a flattened body verified with pub. */
static bool jws_verifies(const json_t *jws, const char *alg, EVP_PKEY *pub)
{
	const char *p = json_string_value(json_object_get(jws, "protected"));
	const char *pl = json_string_value(json_object_get(jws, "payload"));
	const char *s = json_string_value(json_object_get(jws, "signature"));
	if (!p || !pl || !s)
		return false;
	size_t n = strlen(p) + strlen(pl) + 2;
	char *input = malloc(n);
	snprintf(input, n, "%s.%s", p, pl);
	uint8_t sig[1024], *der = NULL;
	int slen = dnsd_acme_b64url_decode(s, strlen(s), sig, sizeof sig);
	size_t dlen = 0;
	bool ok = false;
	if (slen < 0)
		goto out;
	if (alg[0] == 'E') {
		int size = strcmp(alg, "ES256") == 0 ? 32 : 48;
		if (slen != 2 * size)
			goto out;
		ECDSA_SIG *es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(sig, size, NULL),
		               BN_bin2bn(sig + size, size, NULL));
		int l = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (l <= 0)
			goto out;
		dlen = (size_t)l;
	} else {
		der = OPENSSL_malloc((size_t)slen);
		memcpy(der, sig, (size_t)slen);
		dlen = (size_t)slen;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ok = EVP_DigestVerifyInit(ctx, NULL,
	                          strcmp(alg, "ES384") == 0 ? EVP_sha384()
	                                                    : EVP_sha256(),
	                          NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, der, dlen, (const uint8_t *)input,
	                      strlen(input)) == 1;
	EVP_MD_CTX_free(ctx);
out:
	OPENSSL_free(der);
	free(input);
	return ok;
}

static void check_jws_key(const char *type, const char *want_alg)
{
	EVP_PKEY *k;
	int t;
	CHECK_INT(dnsd_certkey_type_from_text(type, &t), 0);
	CHECK_INT(dnsd_certkey_new(t, &k), 0);
	const char *alg;
	CHECK_INT(dnsd_acme_key_alg(k, &alg), 0);
	CHECK_STR(alg, want_alg);

	/* the PEM round trip keeps the key */
	char *pem, tp1[DNSD_ACME_B64_SHA256 + 1], tp2[DNSD_ACME_B64_SHA256 + 1];
	size_t plen;
	EVP_PKEY *k2;
	CHECK_INT(dnsd_certkey_to_pem(k, &pem, &plen), 0);
	CHECK(strstr(pem, "BEGIN PRIVATE KEY") != NULL);
	CHECK_INT(dnsd_certkey_from_pem(pem, plen, &k2), 0);
	CHECK_INT(dnsd_acme_thumbprint(k, tp1), 0);
	CHECK_INT(dnsd_acme_thumbprint(k2, tp2), 0);
	CHECK_STR(tp1, tp2);
	CHECK_INT(strlen(tp1), DNSD_ACME_B64_SHA256);
	EVP_PKEY_free(k2);
	free(pem);

	/* the JWK alone rebuilds the public key, with the same thumbprint */
	char *jwktext;
	CHECK_INT(dnsd_acme_jwk(k, &jwktext), 0);
	json_t *jwk = json_loads(jwktext, 0, NULL);
	CHECK(jwk != NULL);
	EVP_PKEY *pub = key_from_jwk(jwk);
	CHECK(pub != NULL);
	CHECK_INT(dnsd_acme_thumbprint(pub, tp2), 0);
	CHECK_STR(tp1, tp2);
	if (want_alg[0] == 'E') {
		size_t size = strcmp(want_alg, "ES256") == 0 ? 43 : 64;
		CHECK_INT(json_object_size(jwk), 4);
		CHECK_INT(strlen(json_string_value(json_object_get(jwk, "x"))),
		          size);
		CHECK_INT(strlen(json_string_value(json_object_get(jwk, "y"))),
		          size);
	} else {
		CHECK_INT(json_object_size(jwk), 3);
	}

	/* newAccount: jwk in the header */
	char *body;
	dnsd_acme_jws j = {.key = k,
	                   .url = "https://ca.example/new-acct",
	                   .nonce = "nonce-1_A",
	                   .payload = "{\"onlyReturnExisting\":true}"};
	CHECK_INT(dnsd_acme_jws_sign(&j, &body), 0);
	json_t *o = json_loads(body, 0, NULL);
	CHECK(o && json_object_size(o) == 3);
	char *ph = b64_text(o, "protected"), *pl = b64_text(o, "payload");
	json_t *h = ph ? json_loads(ph, 0, NULL) : NULL;
	CHECK(h != NULL);
	CHECK_STR(json_string_value(json_object_get(h, "alg")), want_alg);
	CHECK_STR(json_string_value(json_object_get(h, "nonce")), "nonce-1_A");
	CHECK_STR(json_string_value(json_object_get(h, "url")),
	          "https://ca.example/new-acct");
	CHECK(json_object_get(h, "kid") == NULL);
	CHECK(json_equal(json_object_get(h, "jwk"), jwk));
	CHECK_STR(pl, "{\"onlyReturnExisting\":true}");
	CHECK(jws_verifies(o, want_alg, pub));
	/* a signature over another payload does not verify */
	json_object_set_new(o, "payload", json_string("e30"));
	CHECK(!jws_verifies(o, want_alg, pub));
	json_decref(h);
	json_decref(o);
	free(ph);
	free(pl);
	free(body);

	/* POST-as-GET with a kid */
	j.kid = "https://ca.example/acct/1";
	j.payload = NULL;
	j.url = "https://ca.example/order/7";
	CHECK_INT(dnsd_acme_jws_sign(&j, &body), 0);
	o = json_loads(body, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(o, "payload")), "");
	ph = b64_text(o, "protected");
	h = ph ? json_loads(ph, 0, NULL) : NULL;
	CHECK_STR(json_string_value(json_object_get(h, "kid")),
	          "https://ca.example/acct/1");
	CHECK(json_object_get(h, "jwk") == NULL);
	CHECK(jws_verifies(o, want_alg, pub));
	json_decref(h);
	json_decref(o);
	free(ph);
	free(body);

	/* arguments that cannot go into a header */
	j.nonce = NULL;
	CHECK_INT(dnsd_acme_jws_sign(&j, &body), DNSD_EINVAL);
	j.nonce = "bad nonce";
	CHECK_INT(dnsd_acme_jws_sign(&j, &body), DNSD_EINVAL);
	j.nonce = "ok";
	j.url = "https://ca.example/\n";
	CHECK_INT(dnsd_acme_jws_sign(&j, &body), DNSD_EINVAL);

	/* External Account Binding: the JWK signed HS256 with the MAC key */
	static const uint8_t mac[] = "0123456789abcdef0123456789abcdef";
	CHECK_INT(dnsd_acme_eab_jws(k, "kid-1", mac, 32,
	                            "https://ca.example/new-acct", &body),
	          0);
	o = json_loads(body, 0, NULL);
	ph = b64_text(o, "protected");
	pl = b64_text(o, "payload");
	h = ph ? json_loads(ph, 0, NULL) : NULL;
	CHECK_STR(json_string_value(json_object_get(h, "alg")), "HS256");
	CHECK_STR(json_string_value(json_object_get(h, "kid")), "kid-1");
	CHECK_STR(json_string_value(json_object_get(h, "url")),
	          "https://ca.example/new-acct");
	CHECK(json_object_get(h, "nonce") == NULL);
	CHECK_STR(pl, jwktext);
	{
		const char *p64 =
		    json_string_value(json_object_get(o, "protected"));
		const char *pl64 =
		    json_string_value(json_object_get(o, "payload"));
		char input[4096];
		uint8_t md[32];
		unsigned mdlen;
		snprintf(input, sizeof input, "%s.%s", p64, pl64);
		HMAC(EVP_sha256(), mac, 32, (uint8_t *)input, strlen(input), md,
		     &mdlen);
		char *want = dnsd_acme_b64url(md, mdlen);
		CHECK_STR(json_string_value(json_object_get(o, "signature")),
		          want);
		free(want);
	}
	/* and it goes into the newAccount payload as an object */
	char *acct;
	CHECK_INT(dnsd_acme_account_payload("hostmaster@example.org", false,
	                                    body, &acct),
	          0);
	json_t *a = json_loads(acct, 0, NULL);
	CHECK(json_equal(json_object_get(a, "externalAccountBinding"), o));
	CHECK_STR(
	    json_string_value(json_array_get(json_object_get(a, "contact"), 0)),
	    "mailto:hostmaster@example.org");
	CHECK(json_is_true(json_object_get(a, "termsOfServiceAgreed")));
	json_decref(a);
	free(acct);
	CHECK_INT(dnsd_acme_eab_jws(k, "kid-1", mac, 0, "https://x/", &acct),
	          DNSD_EINVAL);
	json_decref(h);
	json_decref(o);
	free(ph);
	free(pl);
	free(body);

	json_decref(jwk);
	free(jwktext);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void test_keys(void)
{
	check_jws_key("ec256", "ES256");
	check_jws_key("ec384", "ES384");
	check_jws_key("rsa2048", "RS256");
	/* a key of a kind no JWS here is signed with */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	CHECK(ed != NULL);
	const char *alg;
	CHECK_INT(dnsd_acme_key_alg(ed, &alg), DNSD_ENOTSUP);
	EVP_PKEY_free(ed);
	/* a P-521 key neither */
	EVP_PKEY *p521 = EVP_EC_gen("P-521");
	CHECK_INT(dnsd_acme_key_alg(p521, &alg), DNSD_ENOTSUP);
	EVP_PKEY_free(p521);
}

/* --- payloads ------------------------------------------------------- */

static void test_payloads(void)
{
	char *s;
	const char *names[] = {"example.org", "*.example.org"};
	CHECK_INT(dnsd_acme_order_payload(names, 2, NULL, NULL, &s), 0);
	CHECK_STR(s, "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	             "\"example.org\"},{\"type\":\"dns\",\"value\":\"*."
	             "example.org\"}]}");
	free(s);
	CHECK_INT(dnsd_acme_order_payload(names, 1,
	                                  "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
	                                  "shortlived", &s),
	          0);
	CHECK_STR(s, "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	             "\"example.org\"}],\"profile\":\"shortlived\","
	             "\"replaces\":\"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE\"}");
	free(s);
	const char *bad[] = {"exa mple.org"};
	CHECK_INT(dnsd_acme_order_payload(bad, 1, NULL, NULL, &s), DNSD_EINVAL);
	CHECK(s == NULL);
	const char *empty[] = {""};
	CHECK_INT(dnsd_acme_order_payload(empty, 1, NULL, NULL, &s),
	          DNSD_EINVAL);
	CHECK_INT(dnsd_acme_order_payload(names, 0, NULL, NULL, &s),
	          DNSD_EINVAL);
	CHECK_INT(dnsd_acme_order_payload(names, 1, NULL, "a b", &s),
	          DNSD_EINVAL);

	CHECK_INT(dnsd_acme_account_payload(NULL, true, NULL, &s), 0);
	CHECK_STR(s, "{\"onlyReturnExisting\":true}");
	free(s);
	CHECK_INT(dnsd_acme_account_payload("a@b.example", false, NULL, &s), 0);
	CHECK_STR(s, "{\"contact\":[\"mailto:a@b.example\"],"
	             "\"termsOfServiceAgreed\":true}");
	free(s);
	CHECK_INT(dnsd_acme_account_payload(NULL, false, NULL, &s), 0);
	CHECK_STR(s, "{\"termsOfServiceAgreed\":true}");
	free(s);
	CHECK_INT(dnsd_acme_account_payload("a@b,c@d", false, NULL, &s),
	          DNSD_EINVAL);
	CHECK_INT(dnsd_acme_account_payload("a@b?cc=x", false, NULL, &s),
	          DNSD_EINVAL);
	CHECK_INT(dnsd_acme_account_payload("nobody", false, NULL, &s),
	          DNSD_EINVAL);
	CHECK_INT(dnsd_acme_account_payload("a@b", false, "[1]", &s),
	          DNSD_EINVAL);

	static const uint8_t csr[] = {0x30, 0x82, 0xfb, 0xff};
	CHECK_INT(dnsd_acme_finalize_payload(csr, sizeof csr, &s), 0);
	CHECK_STR(s, "{\"csr\":\"MIL7_w\"}");
	free(s);
	CHECK_INT(dnsd_acme_finalize_payload(csr, 0, &s), DNSD_EINVAL);
}

/* --- times ---------------------------------------------------------- */

static void test_times(void)
{
	time_t t;
	CHECK_INT(dnsd_acme_parse_time("1970-01-01T00:00:00Z", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(dnsd_acme_parse_time("2021-01-03T00:00:00Z", &t), 0);
	CHECK_INT(t, 1609632000);
	CHECK_INT(dnsd_acme_parse_time("2016-01-20t14:09:07.99z", &t), 0);
	CHECK_INT(t, 1453298947);
	CHECK_INT(dnsd_acme_parse_time("2016-01-20T15:09:07+01:00", &t), 0);
	CHECK_INT(t, 1453298947);
	CHECK_INT(dnsd_acme_parse_time("2016-01-20T13:39:07-00:30", &t), 0);
	CHECK_INT(t, 1453298947);
	CHECK_INT(dnsd_acme_parse_time("2024-02-29T23:59:60Z", &t), 0);
	CHECK_INT(dnsd_acme_parse_time("2023-02-29T00:00:00Z", &t),
	          DNSD_ERANGE);
	CHECK_INT(dnsd_acme_parse_time("2023-13-01T00:00:00Z", &t),
	          DNSD_ERANGE);
	CHECK_INT(dnsd_acme_parse_time("2023-12-01T24:00:00Z", &t),
	          DNSD_ERANGE);
	CHECK_INT(dnsd_acme_parse_time("2023-12-01T00:00:00", &t),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_parse_time("2023-12-01 00:00:00Z", &t),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_parse_time("2023-12-01T00:00:00.Z", &t),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_parse_time("2023-12-01T00:00:00Zjunk", &t),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_parse_time("2023-12-01T00:00:00+0100", &t),
	          DNSD_ESYNTAX);
	CHECK_INT(dnsd_acme_parse_time("", &t), DNSD_ESYNTAX);
	CHECK_STR(dnsd_acme_status_name(DNSD_ACME_READY), "ready");
	CHECK_STR(dnsd_acme_status_name(99), "unknown");
}

/* --- parsers -------------------------------------------------------- */

static const char pebble_dir[] =
    "{\n   \"keyChange\": \"https://127.0.0.1:14000/rollover-account-key\",\n"
    "   \"meta\": {\n      \"externalAccountRequired\": false,\n"
    "      \"termsOfService\": \"data:text/plain,Do%20what%20thou%20wilt\"\n"
    "   },\n   \"newAccount\": \"https://127.0.0.1:14000/sign-me-up\",\n"
    "   \"newNonce\": \"https://127.0.0.1:14000/nonce-plz\",\n"
    "   \"newOrder\": \"https://127.0.0.1:14000/order-plz\",\n"
    "   \"revokeCert\": \"https://127.0.0.1:14000/revoke-cert\"\n}";

static const char le_dir[] =
    "{\"Ux3m1hYgR0Q\":\"https://community.letsencrypt.org/t/adding-random-"
    "entries-to-the-directory/33417\",\"keyChange\":\"https://acme-v02.api."
    "letsencrypt.org/acme/key-change\",\"meta\":{\"caaIdentities\":["
    "\"letsencrypt.org\"],\"profiles\":{\"classic\":\"https://letsencrypt."
    "org/docs/profiles#classic\",\"shortlived\":\"https://letsencrypt.org/"
    "docs/profiles#shortlived\",\"tlsserver\":\"https://letsencrypt.org/"
    "docs/profiles#tlsserver\"},\"termsOfService\":\"https://letsencrypt."
    "org/documents/LE-SA-v1.5-February-24-2025.pdf\",\"website\":\"https://"
    "letsencrypt.org\"},\"newAccount\":\"https://acme-v02.api.letsencrypt."
    "org/acme/new-acct\",\"newNonce\":\"https://acme-v02.api.letsencrypt."
    "org/acme/new-nonce\",\"newOrder\":\"https://acme-v02.api.letsencrypt."
    "org/acme/new-order\",\"renewalInfo\":\"https://acme-v02.api."
    "letsencrypt.org/acme/renewal-info\",\"revokeCert\":\"https://acme-v02."
    "api.letsencrypt.org/acme/revoke-cert\"}";

static int dir(const char *json, dnsd_acme_directory *d, char *why)
{
	return dnsd_acme_directory_parse(json, strlen(json), d, why, 100);
}

static void test_directory(void)
{
	dnsd_acme_directory d;
	char why[100];
	CHECK_INT(dir(pebble_dir, &d, why), 0);
	CHECK_STR(d.new_nonce, "https://127.0.0.1:14000/nonce-plz");
	CHECK_STR(d.new_account, "https://127.0.0.1:14000/sign-me-up");
	CHECK_STR(d.new_order, "https://127.0.0.1:14000/order-plz");
	CHECK_STR(d.revoke_cert, "https://127.0.0.1:14000/revoke-cert");
	CHECK(d.renewal_info == NULL && d.nprofiles == 0 && !d.eab_required);
	/* informational, never fetched: any text */
	CHECK_STR(d.terms_of_service,
	          "data:text/plain,Do%20what%20thou%20wilt");
	dnsd_acme_directory_free(&d);
	dnsd_acme_directory_free(&d); /* twice is fine */

	CHECK_INT(dir(le_dir, &d, why), 0);
	CHECK_STR(d.renewal_info,
	          "https://acme-v02.api.letsencrypt.org/acme/renewal-info");
	CHECK_INT(d.nprofiles, 3);
	CHECK(dnsd_acme_directory_has_profile(&d, "shortlived"));
	CHECK(!dnsd_acme_directory_has_profile(&d, "longlived"));
	CHECK(d.terms_of_service != NULL);
	dnsd_acme_directory_free(&d);

	CHECK_INT(dir("{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://"
	              "a/a\",\"newOrder\":\"https://a/o\",\"meta\":{"
	              "\"externalAccountRequired\":true}}",
	              &d, why),
	          0);
	CHECK(d.eab_required);
	dnsd_acme_directory_free(&d);

	static const struct {
		const char *json, *why;
	} hostile[] = {
	    {"", "not JSON"},
	    {"[]", "not a JSON object"},
	    {"\"x\"", "not JSON"},
	    {"{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\"}",
	     "no newOrder"},
	    {"{\"newNonce\":1,\"newAccount\":\"https://a/a\",\"newOrder\":"
	     "\"https://a/o\"}",
	     "newNonce is not a string"},
	    {"{\"newNonce\":\"file:///etc/passwd\",\"newAccount\":\"https://a/"
	     "a\",\"newOrder\":\"https://a/o\"}",
	     "newNonce is not a valid URL"},
	    {"{\"newNonce\":\"https://a/\\u0000\",\"newAccount\":\"https://a/"
	     "a\",\"newOrder\":\"https://a/o\"}",
	     "not JSON"},
	    {"{\"newNonce\":\"https://a/ n\",\"newAccount\":\"https://a/a\","
	     "\"newOrder\":\"https://a/o\"}",
	     "newNonce is not a valid URL"},
	    {"{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\","
	     "\"newOrder\":\"https://a/o\",\"meta\":[]}",
	     "meta is not an object"},
	    {"{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\","
	     "\"newOrder\":\"https://a/o\",\"meta\":{"
	     "\"externalAccountRequired\":\"yes\"}}",
	     "externalAccountRequired is not a boolean"},
	    {"{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\","
	     "\"newOrder\":\"https://a/o\",\"meta\":{\"profiles\":[\"a\"]}}",
	     "profiles is not a short object"},
	    {"{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\","
	     "\"newOrder\":\"https://a/o\",\"meta\":{\"profiles\":{\"a b\":"
	     "\"\"}}}",
	     "a profile name is not valid"},
	    {"{\"newNonce\":\"https://a/n\",\"newNonce\":\"https://a/m\","
	     "\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\"}",
	     "not JSON"},
	    {"{\"newNonce\":\"https://a/n\"", "not JSON"},
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		memset(&d, 0xff, sizeof d);
		CHECK_INT(dir(hostile[i].json, &d, why), DNSD_EMALFORM);
		CHECK(strncmp(why, hostile[i].why, strlen(hostile[i].why)) ==
		      0);
		CHECK(d.new_nonce == NULL && d.profiles == NULL);
		if (strncmp(why, hostile[i].why, strlen(hostile[i].why)) != 0)
			fprintf(stderr, "  hostile %zu: %s\n", i, why);
	}
	/* a URL at the bound and one over it */
	char big[DNSD_ACME_MAX_URL + 200];
	for (int over = 0; over < 2; over++) {
		char url[DNSD_ACME_MAX_URL + 2];
		size_t n = DNSD_ACME_MAX_URL + (size_t)over;
		memcpy(url, "https://", 8);
		memset(url + 8, 'a', n - 8);
		url[n] = '\0';
		snprintf(big, sizeof big,
		         "{\"newNonce\":\"%s\",\"newAccount\":\"https://a/a\","
		         "\"newOrder\":\"https://a/o\"}",
		         url);
		CHECK_INT(dir(big, &d, why), over ? DNSD_EMALFORM : 0);
		dnsd_acme_directory_free(&d);
	}
	/* deep nesting is only a parse error */
	char *deep = malloc(200001);
	memset(deep, '[', 200000);
	deep[200000] = '\0';
	CHECK_INT(dir(deep, &d, why), DNSD_EMALFORM);
	free(deep);
	/* input over the bound */
	CHECK_INT(dnsd_acme_directory_parse(pebble_dir, DNSD_ACME_MAX_INPUT + 1,
	                                    &d, why, sizeof why),
	          DNSD_EMALFORM);
}

static void test_account(void)
{
	dnsd_acme_account a;
	char why[100];
	const char *ok = "{\"status\":\"valid\",\"contact\":[\"mailto:a@b\"],"
	                 "\"orders\":\"https://ca/list-orderz/1\",\"key\":{}}";
	CHECK_INT(dnsd_acme_account_parse(ok, strlen(ok), &a, why, sizeof why),
	          0);
	CHECK_INT(a.status, DNSD_ACME_VALID);
	CHECK_STR(a.orders, "https://ca/list-orderz/1");
	dnsd_acme_account_free(&a);
	const char *bare = "{\"status\":\"deactivated\"}";
	CHECK_INT(
	    dnsd_acme_account_parse(bare, strlen(bare), &a, why, sizeof why),
	    0);
	CHECK_INT(a.status, DNSD_ACME_DEACTIVATED);
	CHECK(a.orders == NULL);
	const char *pend = "{\"status\":\"pending\"}";
	CHECK_INT(
	    dnsd_acme_account_parse(pend, strlen(pend), &a, why, sizeof why),
	    DNSD_EMALFORM);
	CHECK_STR(why, "unexpected status");
	const char *nost = "{\"orders\":\"https://x/\"}";
	CHECK_INT(
	    dnsd_acme_account_parse(nost, strlen(nost), &a, why, sizeof why),
	    DNSD_EMALFORM);
	CHECK_STR(why, "no status");
}

static const char pebble_order[] =
    "{\n   \"status\": \"pending\",\n   \"expires\": "
    "\"2025-06-01T12:00:00Z\",\n   \"identifiers\": [\n      {\n         "
    "\"type\": \"dns\",\n         \"value\": \"example.org\"\n      },\n   "
    "   {\n         \"type\": \"dns\",\n         \"value\": "
    "\"*.example.org\"\n      }\n   ],\n   \"finalize\": "
    "\"https://127.0.0.1:14000/finalize-order/abc\",\n   "
    "\"authorizations\": [\n      "
    "\"https://127.0.0.1:14000/authZ/x1\",\n      "
    "\"https://127.0.0.1:14000/authZ/x2\"\n   ]\n}";

static int order(const char *json, dnsd_acme_order *o, char *why)
{
	return dnsd_acme_order_parse(json, strlen(json), o, why, 100);
}

static void test_order(void)
{
	dnsd_acme_order o;
	char why[100];
	CHECK_INT(order(pebble_order, &o, why), 0);
	CHECK_INT(o.status, DNSD_ACME_PENDING);
	CHECK_INT(o.expires, 1748779200);
	CHECK_INT(o.nids, 2);
	CHECK_STR(o.ids[1].type, "dns");
	CHECK_STR(o.ids[1].value, "*.example.org");
	CHECK_INT(o.nauthz, 2);
	CHECK_STR(o.authz[1], "https://127.0.0.1:14000/authZ/x2");
	CHECK_STR(o.finalize, "https://127.0.0.1:14000/finalize-order/abc");
	CHECK(o.certificate == NULL && o.error == NULL && o.profile == NULL);
	dnsd_acme_order_free(&o);

	const char *valid =
	    "{\"status\":\"valid\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":"
	    "\"a.example\"}],\"authorizations\":[],\"finalize\":\"https://c/"
	    "f\","
	    "\"certificate\":\"https://c/cert/1\",\"profile\":\"classic\"}";
	CHECK_INT(order(valid, &o, why), 0);
	CHECK_STR(o.certificate, "https://c/cert/1");
	CHECK_STR(o.profile, "classic");
	CHECK_INT(o.nauthz, 0);
	dnsd_acme_order_free(&o);

	const char *invalid =
	    "{\"status\":\"invalid\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.example\"}],\"authorizations\":[\"https://c/a\"],"
	    "\"finalize\":\"https://c/"
	    "f\",\"error\":{\"type\":\"urn:ietf:params:"
	    "acme:error:unauthorized\",\"detail\":\"no TXT\\u0007 record\","
	    "\"status\":403}}";
	CHECK_INT(order(invalid, &o, why), 0);
	CHECK(o.error != NULL);
	CHECK(dnsd_acme_problem_is(o.error, "unauthorized"));
	CHECK_STR(o.error->detail, "no TXT? record");
	CHECK_INT(o.error->status, 403);
	dnsd_acme_order_free(&o);

	static const struct {
		const char *json, *why;
	} hostile[] = {
	    {"{\"status\":\"ready\",\"identifiers\":[],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\"}",
	     "no identifiers"},
	    {"{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\"}],"
	     "\"authorizations\":[],\"finalize\":\"https://c/f\"}",
	     "no value"},
	    {"{\"status\":\"ready\",\"identifiers\":[7],"
	     "\"authorizations\":[],\"finalize\":\"https://c/f\"}",
	     "identifier is not an object"},
	    {"{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"finalize\":\"https://c/f\"}",
	     "no authorizations list"},
	    {"{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[\"ftp://x/\"],"
	     "\"finalize\":\"https://c/f\"}",
	     "authorizations[0] is not valid"},
	    {"{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[null],"
	     "\"finalize\":\"https://c/f\"}",
	     "authorizations[0] is not valid"},
	    {"{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[]}",
	     "no finalize"},
	    {"{\"status\":\"done\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\"}",
	     "unexpected status"},
	    {"{\"status\":\"expired\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\"}",
	     "unexpected status"},
	    {"{\"status\":\"valid\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\"}",
	     "valid order without certificate"},
	    {"{\"status\":\"ready\",\"expires\":\"tomorrow\",\"identifiers\":[{"
	     "\"type\":\"dns\",\"value\":\"a\"}],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\"}",
	     "expires is not a time"},
	    {"{\"status\":\"ready\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a b\"}],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\"}",
	     "value is not a valid value"},
	    {"{\"status\":\"invalid\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\",\"error\":\"bad\"}",
	     "problem is not an object"},
	    {"{\"status\":\"invalid\",\"identifiers\":[{\"type\":\"dns\","
	     "\"value\":\"a\"}],\"authorizations\":[],"
	     "\"finalize\":\"https://c/f\",\"error\":{\"status\":\"403\"}}",
	     "status is not an HTTP status"},
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		CHECK_INT(order(hostile[i].json, &o, why), DNSD_EMALFORM);
		CHECK(strcmp(why, hostile[i].why) == 0);
		if (strcmp(why, hostile[i].why) != 0)
			fprintf(stderr, "  hostile order %zu: %s\n", i, why);
		CHECK(o.ids == NULL && o.authz == NULL && o.finalize == NULL);
	}
	/* more identifiers than the bound */
	size_t cap = 64 + (DNSD_ACME_MAX_IDS + 1) * 40;
	char *many = malloc(cap);
	size_t n = (size_t)snprintf(many, cap,
	                            "{\"status\":\"ready\",\"identifiers\":[");
	for (int i = 0; i <= DNSD_ACME_MAX_IDS; i++)
		n += (size_t)snprintf(many + n, cap - n,
		                      "%s{\"type\":\"dns\",\"value\":\"a%d\"}",
		                      i ? "," : "", i);
	snprintf(many + n, cap - n,
	         "],\"authorizations\":[],\"finalize\":\"https://c/f\"}");
	CHECK_INT(order(many, &o, why), DNSD_EMALFORM);
	CHECK_STR(why, "too many identifiers");
	free(many);
}

static const char pebble_authz[] =
    "{\n   \"status\": \"pending\",\n   \"identifier\": {\n      \"type\": "
    "\"dns\",\n      \"value\": \"example.org\"\n   },\n   \"challenges\": "
    "[\n      {\n         \"type\": \"dns-01\",\n         \"url\": "
    "\"https://127.0.0.1:14000/chalZ/c1\",\n         \"token\": "
    "\"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA\",\n         \"status\": "
    "\"pending\"\n      },\n      {\n         \"type\": \"http-01\",\n     "
    "    \"url\": \"https://127.0.0.1:14000/chalZ/c2\",\n         \"token\": "
    "\"abc\",\n         \"status\": \"pending\"\n      }\n   ],\n   "
    "\"expires\": \"2025-06-01T12:00:00Z\",\n   \"wildcard\": true\n}";

static int authz(const char *json, dnsd_acme_authz *a, char *why)
{
	return dnsd_acme_authz_parse(json, strlen(json), a, why, 100);
}

static void test_authz(void)
{
	dnsd_acme_authz a;
	char why[100];
	CHECK_INT(authz(pebble_authz, &a, why), 0);
	CHECK_INT(a.status, DNSD_ACME_PENDING);
	CHECK_STR(a.id.value, "example.org");
	CHECK(a.wildcard);
	CHECK_INT(a.nch, 2);
	const dnsd_acme_challenge *c = dnsd_acme_authz_challenge(&a, "dns-01");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->url, "https://127.0.0.1:14000/chalZ/c1");
		CHECK_STR(c->token,
		          "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
		CHECK_INT(c->status, DNSD_ACME_PENDING);
	}
	CHECK(dnsd_acme_authz_challenge(&a, "tls-alpn-01") == NULL);
	dnsd_acme_authz_free(&a);

	const char *invalid =
	    "{\"status\":\"invalid\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":"
	    "\"a.example\"},\"challenges\":[{\"type\":\"dns-01\",\"url\":"
	    "\"https://c/ch\",\"token\":\"t\",\"status\":\"invalid\","
	    "\"validated\":\"2025-01-01T00:00:00Z\",\"error\":{\"type\":"
	    "\"urn:ietf:params:acme:error:unauthorized\",\"detail\":"
	    "\"Incorrect "
	    "TXT record \\\"x\\\" found at _acme-challenge.a.example\","
	    "\"status\":403}}]}";
	CHECK_INT(authz(invalid, &a, why), 0);
	CHECK_INT(a.status, DNSD_ACME_INVALID);
	CHECK(!a.wildcard);
	CHECK(a.nch == 1 && a.ch[0].error &&
	      dnsd_acme_problem_is(a.ch[0].error, "unauthorized"));
	CHECK_INT(a.ch[0].validated, 1735689600);
	dnsd_acme_authz_free(&a);

	/* an unknown challenge type without a token is fine */
	const char *other =
	    "{\"status\":\"valid\",\"identifier\":{\"type\":\"dns\",\"value\":"
	    "\"a\"},\"challenges\":[{\"type\":\"new-99\",\"url\":\"https://c/"
	    "n\",\"status\":\"valid\"}]}";
	CHECK_INT(authz(other, &a, why), 0);
	dnsd_acme_authz_free(&a);

	static const struct {
		const char *json, *why;
	} hostile[] = {
	    {"{\"status\":\"pending\",\"challenges\":[]}", "no identifier"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"*.a\"},\"challenges\":[]}",
	     "identifier with a wildcard"},
	    {"{\"status\":\"processing\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"},\"challenges\":[]}",
	     "unexpected status"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"}}",
	     "no challenges list"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"},\"challenges\":[{\"type\":\"dns-01\",\"url\":"
	     "\"https://c/x\",\"status\":\"pending\"}]}",
	     "dns-01 challenge without token"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"},\"challenges\":[{\"type\":\"dns-01\",\"url\":"
	     "\"https://c/x\",\"status\":\"pending\",\"token\":\"../../x\"}]}",
	     "token is not a valid value"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"},\"challenges\":[{\"type\":\"dns-01\","
	     "\"status\":\"pending\",\"token\":\"x\"}]}",
	     "no url"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"},\"challenges\":[{\"type\":\"dns-01\",\"url\":"
	     "\"https://c/x\",\"status\":\"ready\",\"token\":\"x\"}]}",
	     "unexpected status"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"},\"wildcard\":1,\"challenges\":[]}",
	     "wildcard is not a boolean"},
	    {"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	     "\"value\":\"a\"},\"challenges\":[[]]}",
	     "challenge is not an object"},
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		CHECK_INT(authz(hostile[i].json, &a, why), DNSD_EMALFORM);
		CHECK(strcmp(why, hostile[i].why) == 0);
		if (strcmp(why, hostile[i].why) != 0)
			fprintf(stderr, "  hostile authz %zu: %s\n", i, why);
		CHECK(a.ch == NULL && a.id.value == NULL);
	}

	dnsd_acme_challenge ch;
	const char *resp = "{\"type\":\"dns-01\",\"url\":\"https://c/x\","
	                   "\"status\":\"processing\",\"token\":\"x\"}";
	CHECK_INT(
	    dnsd_acme_challenge_parse(resp, strlen(resp), &ch, why, sizeof why),
	    0);
	CHECK_INT(ch.status, DNSD_ACME_PROCESSING);
	dnsd_acme_challenge_free(&ch);
	CHECK_INT(dnsd_acme_challenge_parse("{}", 2, &ch, why, sizeof why),
	          DNSD_EMALFORM);
	CHECK_STR(why, "no type");
}

static void test_problem(void)
{
	dnsd_acme_problem p;
	char why[100];
	const char *rej =
	    "{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	    "\"detail\":\"Some of the identifiers requested were rejected\","
	    "\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:"
	    "malformed\",\"detail\":\"Invalid underscore in DNS name \\\"_"
	    "example.org\\\"\",\"identifier\":{\"type\":\"dns\",\"value\":\"_"
	    "example.org\"}},{\"type\":\"urn:ietf:params:acme:error:"
	    "rejectedIdentifier\",\"detail\":\"This CA will not issue for "
	    "\\\"example.net\\\"\",\"identifier\":{\"type\":\"dns\",\"value\":"
	    "\"example.net\"}}],\"status\":400}";
	CHECK_INT(
	    dnsd_acme_problem_parse(rej, strlen(rej), &p, why, sizeof why), 0);
	CHECK(dnsd_acme_problem_is(&p, "rejectedIdentifier"));
	CHECK(!dnsd_acme_problem_is(&p, "rejected"));
	CHECK_INT(p.status, 400);
	CHECK_INT(p.nsub, 2);
	CHECK_STR(p.sub[0].id.value, "_example.org");
	CHECK_STR(p.sub[1].type,
	          "urn:ietf:params:acme:error:rejectedIdentifier");
	dnsd_acme_problem_free(&p);

	const char *bare = "{}";
	CHECK_INT(dnsd_acme_problem_parse(bare, 2, &p, why, sizeof why), 0);
	CHECK(p.type == NULL && p.detail == NULL && p.status == 0);
	CHECK(!dnsd_acme_problem_is(&p, "badNonce"));
	CHECK(!dnsd_acme_problem_is(NULL, "badNonce"));

	/* a long detail with controls is cut and cleaned, not refused */
	char *long_ = malloc(5000);
	int n = snprintf(long_, 5000,
	                 "{\"type\":\"urn:ietf:params:acme:error:"
	                 "badNonce\",\"detail\":\"\\r\\n");
	memset(long_ + n, 'x', 3000);
	snprintf(long_ + n + 3000, 5000 - (size_t)n - 3000, "\"}");
	CHECK_INT(
	    dnsd_acme_problem_parse(long_, strlen(long_), &p, why, sizeof why),
	    0);
	CHECK(p.detail && strlen(p.detail) == DNSD_ACME_MAX_TEXT &&
	      strncmp(p.detail, "??xx", 4) == 0);
	CHECK(dnsd_acme_problem_is(&p, "badNonce"));
	dnsd_acme_problem_free(&p);
	free(long_);

	static const char *hostile[] = {
	    "{\"type\":7}",
	    "{\"type\":\"a b\"}",
	    "{\"status\":99}",
	    "{\"status\":400.5}",
	    "{\"subproblems\":{}}",
	    "{\"subproblems\":[1]}",
	    "{\"subproblems\":[{\"identifier\":{\"type\":\"dns\"}}]}",
	    "{\"detail\":[\"x\"]}",
	    "null",
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		CHECK_INT(dnsd_acme_problem_parse(hostile[i],
		                                  strlen(hostile[i]), &p, why,
		                                  sizeof why),
		          DNSD_EMALFORM);
		CHECK(p.type == NULL && p.sub == NULL);
	}
	/* why may be NULL */
	CHECK_INT(dnsd_acme_problem_parse("x", 1, &p, NULL, 0), DNSD_EMALFORM);
}

/* --- certificates --------------------------------------------------- */

/* A certificate for cn signed by issuer (NULL: self-signed), with a
 * subject key identifier and, when aki, an authority key identifier. */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *ikey, X509 *issuer,
                       const char *cn, long serial, bool aki)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	BIGNUM *bn = BN_new();
	BN_set_word(bn, (BN_ULONG)serial);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e =
	    X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (aki) {
		e = X509V3_EXT_conf_nid(
		    NULL, &ctx, NID_authority_key_identifier, "keyid:always");
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, ikey ? ikey : key, EVP_sha256());
	return x;
}

static char *pem_of(X509 *const *certs, size_t n, const char *between)
{
	BIO *b = BIO_new(BIO_s_mem());
	for (size_t i = 0; i < n; i++) {
		PEM_write_bio_X509(b, certs[i]);
		BIO_puts(b, between);
	}
	char *p;
	long len = BIO_get_mem_data(b, &p);
	char *s = malloc((size_t)len + 1);
	memcpy(s, p, (size_t)len);
	s[len] = '\0';
	BIO_free(b);
	return s;
}

static void test_chain_and_ari(void)
{
	char *id;
	/* RFC 9773 §4.1 */
	static const uint8_t kid[] = {0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
	                              0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0,
	                              0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
	static const uint8_t ser[] = {0x00, 0x87, 0x65, 0x43, 0x21};
	CHECK_INT(
	    dnsd_acme_ari_certid_raw(kid, sizeof kid, ser, sizeof ser, &id), 0);
	CHECK_STR(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	free(id);
	CHECK_INT(dnsd_acme_ari_certid_raw(kid, 0, ser, sizeof ser, &id),
	          DNSD_EINVAL);

	EVP_PKEY *cakey, *eekey;
	dnsd_certkey_new(DNSD_CERTKEY_EC256, &cakey);
	dnsd_certkey_new(DNSD_CERTKEY_EC256, &eekey);
	X509 *ca = make_cert(cakey, NULL, NULL, "test CA", 1, false);
	X509 *ee = make_cert(eekey, cakey, ca, "a.example", 0x87654321, true);
	uint8_t *der = NULL;
	int dlen = i2d_X509(ee, &der);
	CHECK_INT(dnsd_acme_ari_certid(der, (size_t)dlen, &id), 0);
	{
		const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
		char *want;
		dnsd_acme_ari_certid_raw(ASN1_STRING_get0_data(ski),
		                         (size_t)ASN1_STRING_length(ski), ser,
		                         sizeof ser, &want);
		CHECK_STR(id, want);
		CHECK(id && strstr(id, ".AIdlQyE") != NULL);
		free(want);
	}
	free(id);
	CHECK_INT(dnsd_acme_ari_certid(der, (size_t)dlen - 1, &id),
	          DNSD_EMALFORM);
	OPENSSL_free(der);
	der = NULL;
	dlen = i2d_X509(ca, &der);
	CHECK_INT(dnsd_acme_ari_certid(der, (size_t)dlen, &id), DNSD_ENOTFOUND);

	/* the chain: end entity first, as many certificates as sent */
	dnsd_acme_chain c;
	char why[100];
	X509 *both[] = {ee, ca};
	char *pem = pem_of(both, 2, "\n");
	CHECK_INT(dnsd_acme_chain_parse(pem, strlen(pem), &c, why, sizeof why),
	          0);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		CHECK_INT(c.certs[1].len, dlen);
		CHECK(memcmp(c.certs[1].der, der, (size_t)dlen) == 0);
		const uint8_t *p = c.certs[0].der;
		X509 *back = d2i_X509(NULL, &p, (long)c.certs[0].len);
		CHECK(back && X509_cmp(back, ee) == 0);
		X509_free(back);
	}
	dnsd_acme_chain_free(&c);
	/* cut in the middle of the second block */
	CHECK_INT(
	    dnsd_acme_chain_parse(pem, strlen(pem) - 40, &c, why, sizeof why),
	    DNSD_EMALFORM);
	CHECK(c.n == 0 && c.certs == NULL);
	free(pem);
	CHECK_INT(dnsd_acme_chain_parse("", 0, &c, why, sizeof why),
	          DNSD_EMALFORM);
	CHECK_STR(why, "no certificate");
	CHECK_INT(dnsd_acme_chain_parse("hello", 5, &c, why, sizeof why),
	          DNSD_EMALFORM);
	/* a private key among the certificates */
	char *keypem;
	size_t klen;
	dnsd_certkey_to_pem(eekey, &keypem, &klen);
	CHECK_INT(dnsd_acme_chain_parse(keypem, klen, &c, why, sizeof why),
	          DNSD_EMALFORM);
	CHECK_STR(why, "block 1 is not a certificate");
	free(keypem);
	/* base64 of no certificate under a CERTIFICATE label */
	const char *fake = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n"
	                   "-----END CERTIFICATE-----\n";
	CHECK_INT(
	    dnsd_acme_chain_parse(fake, strlen(fake), &c, why, sizeof why),
	    DNSD_EMALFORM);
	/* more certificates than the bound */
	X509 *many[DNSD_ACME_MAX_CHAIN + 1];
	for (size_t i = 0; i <= DNSD_ACME_MAX_CHAIN; i++)
		many[i] = ca;
	pem = pem_of(many, DNSD_ACME_MAX_CHAIN + 1, "");
	CHECK_INT(dnsd_acme_chain_parse(pem, strlen(pem), &c, why, sizeof why),
	          DNSD_EMALFORM);
	CHECK_STR(why, "chain too long");
	free(pem);
	pem = pem_of(many, DNSD_ACME_MAX_CHAIN, "");
	CHECK_INT(dnsd_acme_chain_parse(pem, strlen(pem), &c, why, sizeof why),
	          0);
	CHECK_INT(c.n, DNSD_ACME_MAX_CHAIN);
	dnsd_acme_chain_free(&c);
	free(pem);

	OPENSSL_free(der);
	X509_free(ee);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(eekey);

	dnsd_acme_renewal r;
	const char *ri = "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:"
	                 "00Z\",\"end\":\"2021-01-07T00:00:00Z\"},"
	                 "\"explanationURL\":\"https://acme.example.com/docs/"
	                 "ari\"}";
	CHECK_INT(dnsd_acme_renewal_parse(ri, strlen(ri), &r, why, sizeof why),
	          0);
	CHECK_INT(r.start, 1609632000);
	CHECK_INT(r.end, 1609977600);
	CHECK_STR(r.explanation_url, "https://acme.example.com/docs/ari");
	dnsd_acme_renewal_free(&r);
	static const struct {
		const char *json, *why;
	} hostile[] = {
	    {"{}", "no suggestedWindow"},
	    {"{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\"}}",
	     "no end"},
	    {"{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\","
	     "\"end\":\"2021-01-03T00:00:00Z\"}}",
	     "window ends before it starts"},
	    {"{\"suggestedWindow\":{\"start\":1609632000,\"end\":\"2021-01-03T"
	     "00:00:00Z\"}}",
	     "start is not a time"},
	    {"{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\","
	     "\"end\":\"2021-01-07T00:00:00Z\"},\"explanationURL\":\"mailto:"
	     "x\"}",
	     "explanationURL is not a valid URL"},
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		CHECK_INT(dnsd_acme_renewal_parse(hostile[i].json,
		                                  strlen(hostile[i].json), &r,
		                                  why, sizeof why),
		          DNSD_EMALFORM);
		CHECK_STR(why, hostile[i].why);
		CHECK(r.start == 0 && r.explanation_url == NULL);
	}
}

int main(void)
{
	test_b64url();
	test_thumbprint_rfc7638();
	test_keys();
	test_payloads();
	test_times();
	test_directory();
	test_account();
	test_order();
	test_authz();
	test_problem();
	test_chain_and_ari();
	return tap_done();
}
