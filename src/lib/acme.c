/* The ACME message layer (acme.h): JSON with jansson, keys, digests and
 * signatures with OpenSSL. Parsers never trust their input: every field
 * is looked up by name, checked for its type and bounded before it is
 * copied. */
#include <dnsd/acme.h>
#include <dnsd/err.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACME_ERR_PREFIX "urn:ietf:params:acme:error:"
#define ACME_MAX_NAME   255 /* an identifier value: "*." + 253 */
#define ACME_MAX_WORD   128 /* a type, a profile name */
#define ACME_MAX_NONCE  512

/* --- base64url ------------------------------------------------------ */

static const char b64u_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t dnsd_acme_b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

int dnsd_acme_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t need = dnsd_acme_b64url_len(n);
	if (need >= cap || need > (size_t)0x7fffffff)
		return DNSD_ESPACE;
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		             in[i + 2];
		out[o++] = b64u_alphabet[v >> 18];
		out[o++] = b64u_alphabet[(v >> 12) & 63];
		out[o++] = b64u_alphabet[(v >> 6) & 63];
		out[o++] = b64u_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64u_alphabet[v >> 18];
		out[o++] = b64u_alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64u_alphabet[v >> 18];
		out[o++] = b64u_alphabet[(v >> 12) & 63];
		out[o++] = b64u_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return (int)o;
}

char *dnsd_acme_b64url(const uint8_t *in, size_t n)
{
	size_t cap = dnsd_acme_b64url_len(n) + 1;
	char *s = malloc(cap);
	if (s && dnsd_acme_b64url_encode(in, n, s, cap) < 0) {
		free(s);
		s = NULL;
	}
	return s;
}

static int b64u_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int dnsd_acme_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	if (n % 4 == 1)
		return DNSD_ESYNTAX;
	size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > cap || need > (size_t)0x7fffffff)
		return DNSD_ESPACE;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64u_value((unsigned char)in[i]);
		if (v < 0)
			return DNSD_ESYNTAX;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* the bits left over must be zero: one text per octet string */
	if (acc & ((1u << bits) - 1))
		return DNSD_ESYNTAX;
	return (int)o;
}

static bool is_b64url(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b64u_value((unsigned char)s[i]) < 0)
			return false;
	return true;
}

/* Printable ASCII without spaces: what a URL, a nonce, a name may be. */
static bool is_word(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

/* --- the account key ------------------------------------------------ */

/* The NID of an EC key's curve, NID_undef when it is none of ours. */
static int ec_curve(EVP_PKEY *key)
{
	char name[64];
	size_t n;
	if (EVP_PKEY_get_group_name(key, name, sizeof name, &n) != 1)
		return NID_undef;
	int nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	return nid;
}

int dnsd_acme_key_alg(EVP_PKEY *key, const char **alg)
{
	*alg = NULL;
	if (!key)
		return DNSD_EINVAL;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		switch (ec_curve(key)) {
		case NID_X9_62_prime256v1:
			*alg = "ES256";
			return 0;
		case NID_secp384r1:
			*alg = "ES384";
			return 0;
		}
		return DNSD_ENOTSUP;
	case EVP_PKEY_RSA:
		*alg = "RS256";
		return 0;
	}
	return DNSD_ENOTSUP;
}

/* The octets of an EC coordinate (padded to the field size) or an RSA
 * number (minimal), base64url, as a JSON string. */
static json_t *bn_param(EVP_PKEY *key, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
		return NULL;
	int n = pad ? pad : BN_num_bytes(bn);
	json_t *j = NULL;
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf &&
	    (pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf)) == n) {
		char *s = dnsd_acme_b64url(buf, (size_t)n);
		if (s)
			j = json_string(s);
		free(s);
	}
	free(buf);
	BN_free(bn);
	return j;
}

/* The JWK as a JSON object, members in the order RFC 7638 wants. */
static int jwk_object(EVP_PKEY *key, json_t **out)
{
	const char *alg;
	int rc = dnsd_acme_key_alg(key, &alg);
	*out = NULL;
	if (rc < 0)
		return rc;
	json_t *o = json_object();
	if (!o)
		return DNSD_ENOMEM;
	int fail;
	if (alg[0] == 'E') {
		int size = strcmp(alg, "ES256") == 0 ? 32 : 48;
		fail =
		    json_object_set_new(
		        o, "crv", json_string(size == 32 ? "P-256" : "P-384")) |
		    json_object_set_new(o, "kty", json_string("EC")) |
		    json_object_set_new(
		        o, "x", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, size)) |
		    json_object_set_new(
		        o, "y", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
	} else {
		fail = json_object_set_new(
		           o, "e", bn_param(key, OSSL_PKEY_PARAM_RSA_E, 0)) |
		       json_object_set_new(o, "kty", json_string("RSA")) |
		       json_object_set_new(
		           o, "n", bn_param(key, OSSL_PKEY_PARAM_RSA_N, 0));
	}
	if (fail) {
		json_decref(o);
		return DNSD_ENOMEM;
	}
	*out = o;
	return 0;
}

/* Compact, sorted: the canonical text of RFC 7638 §3.3 for a JWK (its
 * members are base64url strings, which need no escaping). */
static int dump(const json_t *j, char **out)
{
	*out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	return *out ? 0 : DNSD_ENOMEM;
}

int dnsd_acme_jwk(EVP_PKEY *key, char **out)
{
	json_t *j;
	*out = NULL;
	int rc = jwk_object(key, &j);
	if (rc < 0)
		return rc;
	rc = dump(j, out);
	json_decref(j);
	return rc;
}

static void sha256_b64(const void *data, size_t n, char *out)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256(data, n, md);
	dnsd_acme_b64url_encode(md, sizeof md, out, DNSD_ACME_B64_SHA256 + 1);
}

int dnsd_acme_thumbprint(EVP_PKEY *key, char *out)
{
	char *jwk;
	int rc = dnsd_acme_jwk(key, &jwk);
	if (rc < 0)
		return rc;
	sha256_b64(jwk, strlen(jwk), out);
	free(jwk);
	return 0;
}

/* --- signatures ----------------------------------------------------- */

/* A JWS signature of msg: RSASSA-PKCS1-v1_5, or ECDSA with the DER
 * signature OpenSSL makes turned into r||s of the field size each
 * (RFC 7518 §3.4). Malloc'd into *sig. */
static int sign(EVP_PKEY *key, const char *alg, const char *msg, uint8_t **sig,
                size_t *siglen)
{
	const EVP_MD *md =
	    strcmp(alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *der = NULL, *rs = NULL;
	size_t dlen = 0;
	int rc = DNSD_ENOMEM;
	*sig = NULL;
	if (!ctx || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &dlen, (const uint8_t *)msg,
	                   strlen(msg)) != 1 ||
	    !(der = malloc(dlen)) ||
	    EVP_DigestSign(ctx, der, &dlen, (const uint8_t *)msg,
	                   strlen(msg)) != 1)
		goto out;
	if (alg[0] == 'R') {
		*sig = der;
		*siglen = dlen;
		der = NULL;
		rc = 0;
		goto out;
	}
	int size = strcmp(alg, "ES256") == 0 ? 32 : 48;
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	const BIGNUM *r, *s;
	if (es && (rs = malloc(2 * (size_t)size))) {
		ECDSA_SIG_get0(es, &r, &s);
		if (BN_bn2binpad(r, rs, size) == size &&
		    BN_bn2binpad(s, rs + size, size) == size) {
			*sig = rs;
			*siglen = 2 * (size_t)size;
			rs = NULL;
			rc = 0;
		}
	}
	ECDSA_SIG_free(es);
out:
	ERR_clear_error();
	free(rs);
	free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* b64(protected) "." b64(payload), its signature made by sig_fn, and the
 * flattened JSON object of the three. */
static int jws_object(const json_t *protected_, const char *payload,
                      EVP_PKEY *key, const char *alg, const uint8_t *mac,
                      size_t maclen, json_t **out)
{
	char *ph = NULL, *p64 = NULL, *pl64 = NULL, *input = NULL;
	char *s64 = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int rc = dump(protected_, &ph);
	*out = NULL;
	if (rc < 0)
		return rc;
	rc = DNSD_ENOMEM;
	p64 = dnsd_acme_b64url((const uint8_t *)ph, strlen(ph));
	pl64 = dnsd_acme_b64url((const uint8_t *)payload, strlen(payload));
	if (!p64 || !pl64)
		goto out;
	size_t n = strlen(p64) + 1 + strlen(pl64) + 1;
	if (!(input = malloc(n)))
		goto out;
	snprintf(input, n, "%s.%s", p64, pl64);
	if (mac) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		if (!HMAC(EVP_sha256(), mac, (int)maclen,
		          (const uint8_t *)input, strlen(input), md, &mdlen))
			goto out;
		s64 = dnsd_acme_b64url(md, mdlen);
	} else {
		if ((rc = sign(key, alg, input, &sig, &siglen)) < 0)
			goto out;
		rc = DNSD_ENOMEM;
		s64 = dnsd_acme_b64url(sig, siglen);
	}
	if (!s64)
		goto out;
	*out = json_pack("{s:s,s:s,s:s}", "protected", p64, "payload", pl64,
	                 "signature", s64);
	rc = *out ? 0 : DNSD_ENOMEM;
out:
	free(ph);
	free(p64);
	free(pl64);
	free(input);
	free(sig);
	free(s64);
	return rc;
}

int dnsd_acme_jws_sign(const dnsd_acme_jws *j, char **out)
{
	const char *alg;
	*out = NULL;
	if (!j->key || !j->url || !j->nonce ||
	    !is_word(j->url, DNSD_ACME_MAX_URL) ||
	    !is_word(j->nonce, ACME_MAX_NONCE) ||
	    (j->kid && !is_word(j->kid, DNSD_ACME_MAX_URL)))
		return DNSD_EINVAL;
	int rc = dnsd_acme_key_alg(j->key, &alg);
	if (rc < 0)
		return rc;
	json_t *ph = json_pack("{s:s,s:s,s:s}", "alg", alg, "nonce", j->nonce,
	                       "url", j->url);
	if (!ph)
		return DNSD_ENOMEM;
	if (j->kid) {
		rc = json_object_set_new(ph, "kid", json_string(j->kid))
		         ? DNSD_ENOMEM
		         : 0;
	} else {
		json_t *jwk;
		rc = jwk_object(j->key, &jwk);
		if (rc == 0 && json_object_set_new(ph, "jwk", jwk))
			rc = DNSD_ENOMEM;
	}
	json_t *o = NULL;
	if (rc == 0)
		rc = jws_object(ph, j->payload ? j->payload : "", j->key, alg,
		                NULL, 0, &o);
	if (rc == 0)
		rc = dump(o, out);
	json_decref(o);
	json_decref(ph);
	return rc;
}

int dnsd_acme_eab_jws(EVP_PKEY *key, const char *eab_kid, const uint8_t *mac,
                      size_t maclen, const char *new_account_url, char **out)
{
	*out = NULL;
	if (!eab_kid || !mac || maclen == 0 || maclen > 1024 ||
	    !is_word(eab_kid, DNSD_ACME_MAX_URL) || !new_account_url ||
	    !is_word(new_account_url, DNSD_ACME_MAX_URL))
		return DNSD_EINVAL;
	char *jwk;
	int rc = dnsd_acme_jwk(key, &jwk);
	if (rc < 0)
		return rc;
	json_t *ph = json_pack("{s:s,s:s,s:s}", "alg", "HS256", "kid", eab_kid,
	                       "url", new_account_url);
	json_t *o = NULL;
	rc =
	    ph ? jws_object(ph, jwk, NULL, NULL, mac, maclen, &o) : DNSD_ENOMEM;
	if (rc == 0)
		rc = dump(o, out);
	json_decref(o);
	json_decref(ph);
	free(jwk);
	return rc;
}

/* --- request payloads ----------------------------------------------- */

static bool plain_email(const char *e)
{
	if (!is_word(e, 254) || !strchr(e, '@') || e[0] == '@')
		return false;
	return strpbrk(e, ",?;<>\"'\\()[]:") == NULL;
}

int dnsd_acme_account_payload(const char *email, bool only_existing,
                              const char *eab, char **out)
{
	*out = NULL;
	json_t *o;
	if (only_existing) {
		o = json_pack("{s:b}", "onlyReturnExisting", 1);
	} else {
		if (email && !plain_email(email))
			return DNSD_EINVAL;
		o = json_pack("{s:b}", "termsOfServiceAgreed", 1);
		if (o && email) {
			size_t n = strlen(email) + 8;
			char *m = malloc(n);
			if (m)
				snprintf(m, n, "mailto:%s", email);
			if (!m || json_object_set_new(o, "contact",
			                              json_pack("[s]", m))) {
				json_decref(o);
				o = NULL;
			}
			free(m);
		}
		if (o && eab) {
			json_t *e = json_loads(eab, 0, NULL);
			if (!json_is_object(e)) {
				json_decref(e);
				json_decref(o);
				return DNSD_EINVAL;
			}
			if (json_object_set_new(o, "externalAccountBinding",
			                        e)) {
				json_decref(o);
				o = NULL;
			}
		}
	}
	if (!o)
		return DNSD_ENOMEM;
	int rc = dump(o, out);
	json_decref(o);
	return rc;
}

int dnsd_acme_order_payload(const char *const *names, size_t n,
                            const char *replaces, const char *profile,
                            char **out)
{
	*out = NULL;
	if (n == 0 || n > DNSD_ACME_MAX_IDS ||
	    (replaces && !is_word(replaces, DNSD_ACME_MAX_URL)) ||
	    (profile && !is_word(profile, ACME_MAX_WORD)))
		return DNSD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!names[i] || !is_word(names[i], ACME_MAX_NAME))
			return DNSD_EINVAL;
	json_t *ids = json_array();
	json_t *o = json_object();
	int fail = !ids || !o;
	for (size_t i = 0; !fail && i < n; i++)
		fail = json_array_append_new(
		    ids,
		    json_pack("{s:s,s:s}", "type", "dns", "value", names[i]));
	if (!fail) {
		fail = json_object_set(o, "identifiers", ids);
		if (!fail && replaces)
			fail = json_object_set_new(o, "replaces",
			                           json_string(replaces));
		if (!fail && profile)
			fail = json_object_set_new(o, "profile",
			                           json_string(profile));
	}
	int rc = fail ? DNSD_ENOMEM : dump(o, out);
	json_decref(ids);
	json_decref(o);
	return rc;
}

int dnsd_acme_finalize_payload(const uint8_t *csr, size_t len, char **out)
{
	*out = NULL;
	if (!csr || len == 0 || len > DNSD_ACME_MAX_INPUT)
		return DNSD_EINVAL;
	char *s = dnsd_acme_b64url(csr, len);
	json_t *o = s ? json_pack("{s:s}", "csr", s) : NULL;
	free(s);
	if (!o)
		return DNSD_ENOMEM;
	int rc = dump(o, out);
	json_decref(o);
	return rc;
}

int dnsd_acme_key_authz(const char *token, const char *thumbprint, char **out)
{
	*out = NULL;
	if (!token || !thumbprint || !is_b64url(token, DNSD_ACME_MAX_TOKEN) ||
	    !is_b64url(thumbprint, DNSD_ACME_B64_SHA256))
		return DNSD_EINVAL;
	size_t n = strlen(token) + 1 + strlen(thumbprint) + 1;
	char *s = malloc(n);
	if (!s)
		return DNSD_ENOMEM;
	snprintf(s, n, "%s.%s", token, thumbprint);
	*out = s;
	return 0;
}

int dnsd_acme_dns01_txt(const char *token, const char *thumbprint, char *out)
{
	char *ka;
	int rc = dnsd_acme_key_authz(token, thumbprint, &ka);
	if (rc < 0)
		return rc;
	sha256_b64(ka, strlen(ka), out);
	free(ka);
	return 0;
}

/* --- statuses and times --------------------------------------------- */

static const char *const status_names[] = {
    [DNSD_ACME_PENDING] = "pending",
    [DNSD_ACME_READY] = "ready",
    [DNSD_ACME_PROCESSING] = "processing",
    [DNSD_ACME_VALID] = "valid",
    [DNSD_ACME_INVALID] = "invalid",
    [DNSD_ACME_DEACTIVATED] = "deactivated",
    [DNSD_ACME_EXPIRED] = "expired",
    [DNSD_ACME_REVOKED] = "revoked",
};
#define STATUS_COUNT (int)(sizeof status_names / sizeof status_names[0])

const char *dnsd_acme_status_name(int status)
{
	if (status <= 0 || status >= STATUS_COUNT)
		return "unknown";
	return status_names[status];
}

/* n decimal digits at s. */
static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no time zone or libc range is involved. */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int dnsd_acme_parse_time(const char *s, time_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, se, oh = 0, om = 0;
	*out = 0;
	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		return DNSD_ESYNTAX;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return DNSD_ESYNTAX;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int sign = 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	           digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
	           digits(p + 4, 2, &om) == 0) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return DNSD_ESYNTAX;
	}
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 60 ||
	    oh > 23 || om > 59)
		return DNSD_ERANGE;
	long long t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL +
	              mi * 60LL + se - sign * (oh * 3600LL + om * 60LL);
	if (sizeof(time_t) < 8 && (t < INT32_MIN || t > INT32_MAX))
		return DNSD_ERANGE;
	*out = (time_t)t;
	return 0;
}

/* --- parsing helpers ------------------------------------------------ */

static int malformed(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int malformed(char *why, size_t cap, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return DNSD_EMALFORM;
}

/* The JSON text as an object. */
static int load_object(const char *text, size_t len, json_t **out, char *why,
                       size_t cap)
{
	json_error_t e;
	*out = NULL;
	if (why && cap)
		why[0] = '\0';
	if (!text || len > DNSD_ACME_MAX_INPUT)
		return malformed(why, cap, "response too large");
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		return malformed(why, cap, "not JSON (line %d: %.60s)", e.line,
		                 e.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return malformed(why, cap, "not a JSON object");
	}
	*out = j;
	return 0;
}

enum {
	STR_TEXT,  /* any text: controls replaced, cut at MAX_TEXT */
	STR_URL,   /* http(s) URL, printable ASCII */
	STR_WORD,  /* printable ASCII, no spaces, ACME_MAX_WORD */
	STR_NAME,  /* an identifier value, ACME_MAX_NAME */
	STR_TOKEN, /* base64url */
};

static bool str_fits(int kind, const char *s)
{
	switch (kind) {
	case STR_URL:
		return is_word(s, DNSD_ACME_MAX_URL) &&
		       (strncmp(s, "https://", 8) == 0 ||
		        strncmp(s, "http://", 7) == 0);
	case STR_WORD:
		return is_word(s, ACME_MAX_WORD);
	case STR_NAME:
		return is_word(s, ACME_MAX_NAME);
	case STR_TOKEN:
		return is_b64url(s, DNSD_ACME_MAX_TOKEN);
	}
	return true;
}

static char *text_copy(const char *s, size_t n)
{
	if (n > DNSD_ACME_MAX_TEXT) {
		n = DNSD_ACME_MAX_TEXT;
		/* do not cut a UTF-8 sequence in two */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	char *c = malloc(n + 1);
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++)
		c[i] =
		    ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	c[n] = '\0';
	return c;
}

/* A string value of j checked for its kind and copied into *out; a
 * missing optional key leaves *out NULL. what names it in the reason. */
static int get_str(const json_t *j, const char *key, bool required, int kind,
                   char **out, char *why, size_t cap)
{
	json_t *v = json_object_get(j, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return malformed(why, cap, "no %s", key);
		return 0;
	}
	if (!json_is_string(v))
		return malformed(why, cap, "%s is not a string", key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (kind != STR_TEXT && (strlen(s) != n || !str_fits(kind, s)))
		return malformed(why, cap, "%s is not a valid %s", key,
		                 kind == STR_URL ? "URL" : "value");
	*out = kind == STR_TEXT ? text_copy(s, n) : strdup(s);
	return *out ? 0 : DNSD_ENOMEM;
}

static int get_status(const json_t *j, unsigned allowed, int *out, char *why,
                      size_t cap)
{
	json_t *v = json_object_get(j, "status");
	*out = 0;
	if (!json_is_string(v))
		return malformed(why, cap, "no status");
	const char *s = json_string_value(v);
	for (int i = 1; i < STATUS_COUNT; i++) {
		if (strcmp(s, status_names[i]) == 0 &&
		    (allowed & DNSD_ACME_BIT(i))) {
			*out = i;
			return 0;
		}
	}
	return malformed(why, cap, "unexpected status");
}

static int get_time(const json_t *j, const char *key, bool required,
                    time_t *out, char *why, size_t cap)
{
	json_t *v = json_object_get(j, key);
	*out = 0;
	if (!v || json_is_null(v))
		return required ? malformed(why, cap, "no %s", key) : 0;
	if (!json_is_string(v) || json_string_length(v) > 64 ||
	    dnsd_acme_parse_time(json_string_value(v), out) < 0)
		return malformed(why, cap, "%s is not a time", key);
	return 0;
}

static int get_bool(const json_t *j, const char *key, bool *out, char *why,
                    size_t cap)
{
	json_t *v = json_object_get(j, key);
	*out = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return malformed(why, cap, "%s is not a boolean", key);
	*out = json_is_true(v);
	return 0;
}

/* An array of strings of a kind (URLs). */
static int get_str_array(const json_t *j, const char *key, size_t max, int kind,
                         char ***out, size_t *n, char *why, size_t cap)
{
	json_t *a = json_object_get(j, key);
	*out = NULL;
	*n = 0;
	if (!json_is_array(a))
		return malformed(why, cap, "no %s list", key);
	size_t count = json_array_size(a);
	if (count > max)
		return malformed(why, cap, "too many %s", key);
	if (count == 0)
		return 0;
	char **v = calloc(count, sizeof *v);
	if (!v)
		return DNSD_ENOMEM;
	*out = v;
	for (size_t i = 0; i < count; i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_string(e) ||
		    !str_fits(kind, json_string_value(e)) ||
		    strlen(json_string_value(e)) != json_string_length(e))
			return malformed(why, cap, "%s[%zu] is not valid", key,
			                 i);
		if (!(v[i] = strdup(json_string_value(e))))
			return DNSD_ENOMEM;
		(*n)++;
	}
	return 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void identifier_free(dnsd_acme_identifier *id)
{
	free(id->type);
	free(id->value);
	id->type = id->value = NULL;
}

static int identifier_parse(const json_t *j, dnsd_acme_identifier *id,
                            char *why, size_t cap)
{
	int rc;
	if (!json_is_object(j))
		return malformed(why, cap, "identifier is not an object");
	if ((rc = get_str(j, "type", true, STR_WORD, &id->type, why, cap)) <
	        0 ||
	    (rc = get_str(j, "value", true, STR_NAME, &id->value, why, cap)) <
	        0)
		identifier_free(id);
	return rc;
}

/* --- problem documents ---------------------------------------------- */

void dnsd_acme_problem_free(dnsd_acme_problem *p)
{
	if (!p)
		return;
	free(p->type);
	free(p->detail);
	for (size_t i = 0; i < p->nsub; i++) {
		free(p->sub[i].type);
		free(p->sub[i].detail);
		identifier_free(&p->sub[i].id);
	}
	free(p->sub);
	memset(p, 0, sizeof *p);
}

static int problem_from(const json_t *j, dnsd_acme_problem *p, char *why,
                        size_t cap)
{
	int rc;
	memset(p, 0, sizeof *p);
	if (!json_is_object(j))
		return malformed(why, cap, "problem is not an object");
	if ((rc = get_str(j, "type", false, STR_TEXT, &p->type, why, cap)) <
	        0 ||
	    (rc = get_str(j, "detail", false, STR_TEXT, &p->detail, why, cap)) <
	        0)
		goto fail;
	/* a type is a URI: printable ASCII, or it is dropped as unusable */
	if (p->type && !is_word(p->type, DNSD_ACME_MAX_URL)) {
		rc = malformed(why, cap, "type is not a URI");
		goto fail;
	}
	json_t *st = json_object_get(j, "status");
	if (st && !json_is_null(st)) {
		if (!json_is_integer(st) || json_integer_value(st) < 100 ||
		    json_integer_value(st) > 599) {
			rc =
			    malformed(why, cap, "status is not an HTTP status");
			goto fail;
		}
		p->status = (int)json_integer_value(st);
	}
	json_t *sub = json_object_get(j, "subproblems");
	if (!sub || json_is_null(sub))
		return 0;
	if (!json_is_array(sub) || json_array_size(sub) > DNSD_ACME_MAX_SUB) {
		rc = malformed(why, cap, "subproblems is not a short list");
		goto fail;
	}
	size_t n = json_array_size(sub);
	if (n && !(p->sub = calloc(n, sizeof *p->sub))) {
		rc = DNSD_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(sub, i);
		dnsd_acme_subproblem *s = &p->sub[i];
		p->nsub++;
		if (!json_is_object(e)) {
			rc = malformed(why, cap, "subproblem is not an object");
			goto fail;
		}
		if ((rc = get_str(e, "type", false, STR_TEXT, &s->type, why,
		                  cap)) < 0 ||
		    (rc = get_str(e, "detail", false, STR_TEXT, &s->detail, why,
		                  cap)) < 0)
			goto fail;
		if (s->type && !is_word(s->type, DNSD_ACME_MAX_URL)) {
			rc =
			    malformed(why, cap, "subproblem type is not a URI");
			goto fail;
		}
		json_t *id = json_object_get(e, "identifier");
		if (id && !json_is_null(id) &&
		    (rc = identifier_parse(id, &s->id, why, cap)) < 0)
			goto fail;
	}
	return 0;
fail:
	dnsd_acme_problem_free(p);
	return rc;
}

int dnsd_acme_problem_parse(const char *json, size_t len,
                            dnsd_acme_problem *out, char *why, size_t cap)
{
	json_t *j;
	memset(out, 0, sizeof *out);
	int rc = load_object(json, len, &j, why, cap);
	if (rc < 0)
		return rc;
	rc = problem_from(j, out, why, cap);
	json_decref(j);
	return rc;
}

bool dnsd_acme_problem_is(const dnsd_acme_problem *p, const char *name)
{
	size_t n = sizeof ACME_ERR_PREFIX - 1;
	return p && p->type && strncmp(p->type, ACME_ERR_PREFIX, n) == 0 &&
	       strcmp(p->type + n, name) == 0;
}

/* An optional "error" member: a problem document of its own. */
static int get_problem(const json_t *j, dnsd_acme_problem **out, char *why,
                       size_t cap)
{
	json_t *e = json_object_get(j, "error");
	*out = NULL;
	if (!e || json_is_null(e))
		return 0;
	dnsd_acme_problem *p = malloc(sizeof *p);
	if (!p)
		return DNSD_ENOMEM;
	int rc = problem_from(e, p, why, cap);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static void problem_release(dnsd_acme_problem *p)
{
	dnsd_acme_problem_free(p);
	free(p);
}

/* --- directory ------------------------------------------------------ */

void dnsd_acme_directory_free(dnsd_acme_directory *d)
{
	if (!d)
		return;
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->terms_of_service);
	free_strs(d->profiles, d->nprofiles);
	memset(d, 0, sizeof *d);
}

static int directory_meta(const json_t *meta, dnsd_acme_directory *d, char *why,
                          size_t cap)
{
	int rc;
	if (!json_is_object(meta))
		return malformed(why, cap, "meta is not an object");
	if ((rc = get_str(meta, "termsOfService", false, STR_TEXT,
	                  &d->terms_of_service, why, cap)) < 0 ||
	    (rc = get_bool(meta, "externalAccountRequired", &d->eab_required,
	                   why, cap)) < 0)
		return rc;
	json_t *prof = json_object_get(meta, "profiles");
	if (!prof || json_is_null(prof))
		return 0;
	if (!json_is_object(prof) || json_object_size(prof) > 32)
		return malformed(why, cap, "profiles is not a short object");
	size_t n = json_object_size(prof);
	if (n && !(d->profiles = calloc(n, sizeof *d->profiles)))
		return DNSD_ENOMEM;
	const char *name;
	json_t *v;
	json_object_foreach(prof, name, v)
	{
		if (!is_word(name, ACME_MAX_WORD) || d->nprofiles == n)
			return malformed(why, cap,
			                 "a profile name is not valid");
		if (!(d->profiles[d->nprofiles] = strdup(name)))
			return DNSD_ENOMEM;
		d->nprofiles++;
	}
	return 0;
}

int dnsd_acme_directory_parse(const char *json, size_t len,
                              dnsd_acme_directory *d, char *why, size_t cap)
{
	json_t *j;
	memset(d, 0, sizeof *d);
	int rc = load_object(json, len, &j, why, cap);
	if (rc < 0)
		return rc;
	if ((rc = get_str(j, "newNonce", true, STR_URL, &d->new_nonce, why,
	                  cap)) < 0 ||
	    (rc = get_str(j, "newAccount", true, STR_URL, &d->new_account, why,
	                  cap)) < 0 ||
	    (rc = get_str(j, "newOrder", true, STR_URL, &d->new_order, why,
	                  cap)) < 0 ||
	    (rc = get_str(j, "revokeCert", false, STR_URL, &d->revoke_cert, why,
	                  cap)) < 0 ||
	    (rc = get_str(j, "keyChange", false, STR_URL, &d->key_change, why,
	                  cap)) < 0 ||
	    (rc = get_str(j, "renewalInfo", false, STR_URL, &d->renewal_info,
	                  why, cap)) < 0)
		goto out;
	json_t *meta = json_object_get(j, "meta");
	if (meta && !json_is_null(meta))
		rc = directory_meta(meta, d, why, cap);
out:
	if (rc < 0)
		dnsd_acme_directory_free(d);
	json_decref(j);
	return rc;
}

bool dnsd_acme_directory_has_profile(const dnsd_acme_directory *d,
                                     const char *name)
{
	for (size_t i = 0; d && name && i < d->nprofiles; i++)
		if (strcmp(d->profiles[i], name) == 0)
			return true;
	return false;
}

/* --- account -------------------------------------------------------- */

void dnsd_acme_account_free(dnsd_acme_account *a)
{
	if (!a)
		return;
	free(a->orders);
	memset(a, 0, sizeof *a);
}

int dnsd_acme_account_parse(const char *json, size_t len, dnsd_acme_account *a,
                            char *why, size_t cap)
{
	json_t *j;
	memset(a, 0, sizeof *a);
	int rc = load_object(json, len, &j, why, cap);
	if (rc < 0)
		return rc;
	unsigned ok = DNSD_ACME_BIT(DNSD_ACME_VALID) |
	              DNSD_ACME_BIT(DNSD_ACME_DEACTIVATED) |
	              DNSD_ACME_BIT(DNSD_ACME_REVOKED);
	if ((rc = get_status(j, ok, &a->status, why, cap)) < 0 ||
	    (rc = get_str(j, "orders", false, STR_URL, &a->orders, why, cap)) <
	        0)
		dnsd_acme_account_free(a);
	json_decref(j);
	return rc;
}

/* --- order ---------------------------------------------------------- */

void dnsd_acme_order_free(dnsd_acme_order *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nids; i++)
		identifier_free(&o->ids[i]);
	free(o->ids);
	free_strs(o->authz, o->nauthz);
	free(o->finalize);
	free(o->certificate);
	free(o->profile);
	problem_release(o->error);
	memset(o, 0, sizeof *o);
}

static int order_identifiers(const json_t *j, dnsd_acme_order *o, char *why,
                             size_t cap)
{
	json_t *a = json_object_get(j, "identifiers");
	if (!json_is_array(a) || json_array_size(a) == 0)
		return malformed(why, cap, "no identifiers");
	size_t n = json_array_size(a);
	if (n > DNSD_ACME_MAX_IDS)
		return malformed(why, cap, "too many identifiers");
	if (!(o->ids = calloc(n, sizeof *o->ids)))
		return DNSD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = identifier_parse(json_array_get(a, i), &o->ids[i], why,
		                          cap);
		if (rc < 0)
			return rc;
		o->nids++;
	}
	return 0;
}

int dnsd_acme_order_parse(const char *json, size_t len, dnsd_acme_order *o,
                          char *why, size_t cap)
{
	json_t *j;
	memset(o, 0, sizeof *o);
	int rc = load_object(json, len, &j, why, cap);
	if (rc < 0)
		return rc;
	unsigned ok =
	    DNSD_ACME_BIT(DNSD_ACME_PENDING) | DNSD_ACME_BIT(DNSD_ACME_READY) |
	    DNSD_ACME_BIT(DNSD_ACME_PROCESSING) |
	    DNSD_ACME_BIT(DNSD_ACME_VALID) | DNSD_ACME_BIT(DNSD_ACME_INVALID);
	if ((rc = get_status(j, ok, &o->status, why, cap)) < 0 ||
	    (rc = get_time(j, "expires", false, &o->expires, why, cap)) < 0 ||
	    (rc = order_identifiers(j, o, why, cap)) < 0 ||
	    (rc = get_str_array(j, "authorizations", DNSD_ACME_MAX_IDS, STR_URL,
	                        &o->authz, &o->nauthz, why, cap)) < 0 ||
	    (rc = get_str(j, "finalize", true, STR_URL, &o->finalize, why,
	                  cap)) < 0 ||
	    (rc = get_str(j, "certificate", false, STR_URL, &o->certificate,
	                  why, cap)) < 0 ||
	    (rc = get_str(j, "profile", false, STR_WORD, &o->profile, why,
	                  cap)) < 0 ||
	    (rc = get_problem(j, &o->error, why, cap)) < 0)
		goto out;
	if (o->status == DNSD_ACME_VALID && !o->certificate)
		rc = malformed(why, cap, "valid order without certificate");
out:
	if (rc < 0)
		dnsd_acme_order_free(o);
	json_decref(j);
	return rc;
}

/* --- challenges and authorizations ---------------------------------- */

void dnsd_acme_challenge_free(dnsd_acme_challenge *c)
{
	if (!c)
		return;
	free(c->type);
	free(c->url);
	free(c->token);
	problem_release(c->error);
	memset(c, 0, sizeof *c);
}

static int challenge_from(const json_t *j, dnsd_acme_challenge *c, char *why,
                          size_t cap)
{
	int rc;
	unsigned ok = DNSD_ACME_BIT(DNSD_ACME_PENDING) |
	              DNSD_ACME_BIT(DNSD_ACME_PROCESSING) |
	              DNSD_ACME_BIT(DNSD_ACME_VALID) |
	              DNSD_ACME_BIT(DNSD_ACME_INVALID);
	memset(c, 0, sizeof *c);
	if (!json_is_object(j))
		return malformed(why, cap, "challenge is not an object");
	if ((rc = get_str(j, "type", true, STR_WORD, &c->type, why, cap)) < 0 ||
	    (rc = get_str(j, "url", true, STR_URL, &c->url, why, cap)) < 0 ||
	    (rc = get_status(j, ok, &c->status, why, cap)) < 0 ||
	    (rc = get_str(j, "token", false, STR_TOKEN, &c->token, why, cap)) <
	        0 ||
	    (rc = get_time(j, "validated", false, &c->validated, why, cap)) <
	        0 ||
	    (rc = get_problem(j, &c->error, why, cap)) < 0)
		goto fail;
	/* the challenges dnsd knows of all need their token */
	if (!c->token && (strcmp(c->type, "dns-01") == 0 ||
	                  strcmp(c->type, "http-01") == 0 ||
	                  strcmp(c->type, "tls-alpn-01") == 0)) {
		rc = malformed(why, cap, "%s challenge without token", c->type);
		goto fail;
	}
	return 0;
fail:
	dnsd_acme_challenge_free(c);
	return rc;
}

int dnsd_acme_challenge_parse(const char *json, size_t len,
                              dnsd_acme_challenge *out, char *why, size_t cap)
{
	json_t *j;
	memset(out, 0, sizeof *out);
	int rc = load_object(json, len, &j, why, cap);
	if (rc < 0)
		return rc;
	rc = challenge_from(j, out, why, cap);
	json_decref(j);
	return rc;
}

void dnsd_acme_authz_free(dnsd_acme_authz *a)
{
	if (!a)
		return;
	identifier_free(&a->id);
	for (size_t i = 0; i < a->nch; i++)
		dnsd_acme_challenge_free(&a->ch[i]);
	free(a->ch);
	memset(a, 0, sizeof *a);
}

static int authz_challenges(const json_t *j, dnsd_acme_authz *a, char *why,
                            size_t cap)
{
	json_t *l = json_object_get(j, "challenges");
	if (!json_is_array(l))
		return malformed(why, cap, "no challenges list");
	size_t n = json_array_size(l);
	if (n > DNSD_ACME_MAX_CHALL)
		return malformed(why, cap, "too many challenges");
	if (n && !(a->ch = calloc(n, sizeof *a->ch)))
		return DNSD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc =
		    challenge_from(json_array_get(l, i), &a->ch[i], why, cap);
		if (rc < 0)
			return rc;
		a->nch++;
	}
	return 0;
}

int dnsd_acme_authz_parse(const char *json, size_t len, dnsd_acme_authz *a,
                          char *why, size_t cap)
{
	json_t *j;
	memset(a, 0, sizeof *a);
	int rc = load_object(json, len, &j, why, cap);
	if (rc < 0)
		return rc;
	unsigned ok =
	    DNSD_ACME_BIT(DNSD_ACME_PENDING) | DNSD_ACME_BIT(DNSD_ACME_VALID) |
	    DNSD_ACME_BIT(DNSD_ACME_INVALID) |
	    DNSD_ACME_BIT(DNSD_ACME_DEACTIVATED) |
	    DNSD_ACME_BIT(DNSD_ACME_EXPIRED) | DNSD_ACME_BIT(DNSD_ACME_REVOKED);
	json_t *id = json_object_get(j, "identifier");
	if (!id) {
		rc = malformed(why, cap, "no identifier");
		goto out;
	}
	if ((rc = identifier_parse(id, &a->id, why, cap)) < 0 ||
	    (rc = get_status(j, ok, &a->status, why, cap)) < 0 ||
	    (rc = get_time(j, "expires", false, &a->expires, why, cap)) < 0 ||
	    (rc = get_bool(j, "wildcard", &a->wildcard, why, cap)) < 0 ||
	    (rc = authz_challenges(j, a, why, cap)) < 0)
		goto out;
	/* §7.1.4: the identifier of an authorization never has the "*." */
	if (strchr(a->id.value, '*'))
		rc = malformed(why, cap, "identifier with a wildcard");
out:
	if (rc < 0)
		dnsd_acme_authz_free(a);
	json_decref(j);
	return rc;
}

const dnsd_acme_challenge *dnsd_acme_authz_challenge(const dnsd_acme_authz *a,
                                                     const char *type)
{
	for (size_t i = 0; a && i < a->nch; i++)
		if (strcmp(a->ch[i].type, type) == 0)
			return &a->ch[i];
	return NULL;
}

/* --- certificate chains --------------------------------------------- */

void dnsd_acme_chain_free(dnsd_acme_chain *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->certs[i].der);
	free(c->certs);
	memset(c, 0, sizeof *c);
}

/* One DER certificate that parses and has nothing after it. */
static bool is_certificate(const uint8_t *der, long len)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, len);
	bool ok = x && p == der + len;
	X509_free(x);
	return ok;
}

int dnsd_acme_chain_parse(const char *pem, size_t len, dnsd_acme_chain *out,
                          char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	if (why && cap)
		why[0] = '\0';
	if (!pem || len > DNSD_ACME_MAX_INPUT)
		return malformed(why, cap, "chain too large");
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return DNSD_ENOMEM;
	int rc = 0;
	for (;;) {
		char *name = NULL, *header = NULL;
		uint8_t *data = NULL;
		long dlen = 0;
		ERR_clear_error();
		if (PEM_read_bio(b, &name, &header, &data, &dlen) != 1) {
			unsigned long e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
			    ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
				rc = malformed(why, cap,
				               "a PEM block does "
				               "not decode");
			break;
		}
		if (strcmp(name, "CERTIFICATE") != 0 || header[0] ||
		    !is_certificate(data, dlen)) {
			rc = malformed(why, cap,
			               "block %zu is not a certificate",
			               out->n + 1);
		} else if (out->n == DNSD_ACME_MAX_CHAIN) {
			rc = malformed(why, cap, "chain too long");
		} else {
			dnsd_acme_cert *nc = realloc(
			    out->certs, (out->n + 1) * sizeof *out->certs);
			if (!nc) {
				rc = DNSD_ENOMEM;
			} else {
				out->certs = nc;
				nc[out->n].der = data;
				nc[out->n].len = (size_t)dlen;
				out->n++;
				data = NULL;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (rc < 0)
			break;
	}
	ERR_clear_error();
	BIO_free(b);
	if (rc == 0 && out->n == 0)
		rc = malformed(why, cap, "no certificate");
	if (rc < 0)
		dnsd_acme_chain_free(out);
	return rc;
}

/* --- ARI ------------------------------------------------------------ */

int dnsd_acme_ari_certid_raw(const uint8_t *akid, size_t akid_len,
                             const uint8_t *serial, size_t serial_len,
                             char **out)
{
	*out = NULL;
	if (!akid || !serial || akid_len == 0 || serial_len == 0 ||
	    akid_len > 256 || serial_len > 256)
		return DNSD_EINVAL;
	size_t a = dnsd_acme_b64url_len(akid_len);
	size_t n = a + 1 + dnsd_acme_b64url_len(serial_len) + 1;
	char *s = malloc(n);
	if (!s)
		return DNSD_ENOMEM;
	dnsd_acme_b64url_encode(akid, akid_len, s, n);
	s[a] = '.';
	dnsd_acme_b64url_encode(serial, serial_len, s + a + 1, n - a - 1);
	*out = s;
	return 0;
}

int dnsd_acme_ari_certid(const uint8_t *der, size_t len, char **out)
{
	*out = NULL;
	if (!der || len > DNSD_ACME_MAX_INPUT)
		return DNSD_EMALFORM;
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		ERR_clear_error();
		return DNSD_EMALFORM;
	}
	int rc = DNSD_ENOTFOUND;
	const ASN1_OCTET_STRING *kid = X509_get0_authority_key_id(x);
	uint8_t *ser = NULL;
	int slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &ser);
	/* the content octets of the INTEGER: after its tag and length */
	size_t hdr = 2;
	if (slen > 2 && (ser[1] & 0x80))
		hdr += ser[1] & 0x7f;
	if (slen <= 0 || (size_t)slen <= hdr)
		rc = DNSD_EMALFORM;
	else if (kid && ASN1_STRING_length(kid) > 0)
		rc = dnsd_acme_ari_certid_raw(
		    ASN1_STRING_get0_data(kid), (size_t)ASN1_STRING_length(kid),
		    ser + hdr, (size_t)slen - hdr, out);
	OPENSSL_free(ser);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

void dnsd_acme_renewal_free(dnsd_acme_renewal *r)
{
	if (!r)
		return;
	free(r->explanation_url);
	memset(r, 0, sizeof *r);
}

int dnsd_acme_renewal_parse(const char *json, size_t len, dnsd_acme_renewal *r,
                            char *why, size_t cap)
{
	json_t *j;
	memset(r, 0, sizeof *r);
	int rc = load_object(json, len, &j, why, cap);
	if (rc < 0)
		return rc;
	json_t *w = json_object_get(j, "suggestedWindow");
	if (!json_is_object(w))
		rc = malformed(why, cap, "no suggestedWindow");
	else if ((rc = get_time(w, "start", true, &r->start, why, cap)) < 0 ||
	         (rc = get_time(w, "end", true, &r->end, why, cap)) < 0)
		;
	else if (r->end <= r->start)
		rc = malformed(why, cap, "window ends before it starts");
	else
		rc = get_str(j, "explanationURL", false, STR_URL,
		             &r->explanation_url, why, cap);
	if (rc < 0)
		dnsd_acme_renewal_free(r);
	json_decref(j);
	return rc;
}
