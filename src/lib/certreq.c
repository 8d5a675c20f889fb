/* certreq: CSRs, certificates, their keys and PEM, on OpenSSL. */
#include <dnsd/acme.h>
#include <dnsd/certreq.h>
#include <dnsd/err.h>

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* The longest CN a certificate may carry (RFC 5280 ub-common-name). */
#define CN_MAX 64

/* ---- names --------------------------------------------------------- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int dnsd_certreq_name(const char *in, char out[DNSD_CERTREQ_NAME_MAX])
{
	char buf[DNSD_CERTREQ_NAME_MAX];
	size_t len = strlen(in), label = 0, dots = 0;
	if (len > 1 && in[len - 1] == '.')
		len--;
	if (len == 0 || len >= DNSD_CERTREQ_NAME_MAX)
		return DNSD_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '.') {
			if (label == 0)
				return DNSD_ESYNTAX;
			label = 0;
			dots++;
			buf[i] = c;
			continue;
		}
		/* a wildcard is the whole first label, nowhere else */
		if (c == '*' ? i != 0 || (i + 1 < len && in[i + 1] != '.')
		             : !name_char(c))
			return DNSD_ESYNTAX;
		if (++label > 63)
			return DNSD_ESYNTAX;
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (label == 0 || (in[0] == '*' && dots == 0))
		return DNSD_ESYNTAX;
	buf[len] = 0;
	memcpy(out, buf, len + 1);
	return 0;
}

static bool names_have(char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

bool dnsd_certreq_names_equal(char *const *a, size_t na, char *const *b,
                              size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!names_have(b, nb, a[i]))
			return false;
	return true;
}

static void names_free(char ***v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

/* Appends name unless present. 0, DNSD_ENOMEM, or DNSD_ETOOMANY past
 * max. */
static int names_add(char ***v, size_t *n, const char *name, size_t max)
{
	if (names_have(*v, *n, name))
		return 0;
	if (*n >= max)
		return DNSD_ETOOMANY;
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return DNSD_ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(name)))
		return DNSD_ENOMEM;
	(*n)++;
	return 0;
}

/* An ASN.1 string (IA5 of a dNSName, or a CN of any string type in its
 * UTF-8 form) as a normalized name into out: 0 or DNSD_ESYNTAX. */
static int name_of_asn1(const unsigned char *data, int len,
                        char out[DNSD_CERTREQ_NAME_MAX])
{
	char buf[DNSD_CERTREQ_NAME_MAX + 1];
	if (len <= 0 || (size_t)len > DNSD_CERTREQ_NAME_MAX ||
	    memchr(data, 0, (size_t)len))
		return DNSD_ESYNTAX;
	memcpy(buf, data, (size_t)len);
	buf[len] = 0;
	return dnsd_certreq_name(buf, out);
}

static int cn_name(const X509_NAME_ENTRY *e, char out[DNSD_CERTREQ_NAME_MAX])
{
	unsigned char *utf8 = NULL;
	int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (len < 0)
		return DNSD_ESYNTAX;
	int r = name_of_asn1(utf8, len, out);
	OPENSSL_free(utf8);
	return r;
}

/* The CNs of subject into the list. strict: a CN that is no host name
 * is an error (a CSR), else it is skipped (a CA's "Example Root CA"). */
static int add_cns(const X509_NAME *subject, bool strict, char ***v, size_t *n,
                   size_t max)
{
	char name[DNSD_CERTREQ_NAME_MAX];
	for (int i = -1; (i = X509_NAME_get_index_by_NID(
	                      subject, NID_commonName, i)) >= 0;) {
		int r = cn_name(X509_NAME_get_entry(subject, i), name);
		if (r < 0 && !strict)
			continue;
		if (r < 0 || (r = names_add(v, n, name, max)) < 0)
			return r;
	}
	return 0;
}

/* The dNSNames of a SAN extension into the list; strict as for
 * add_cns, and then any other kind of name is DNSD_ENOTSUP. */
static int add_sans(const GENERAL_NAMES *gens, bool strict, char ***v,
                    size_t *n, size_t max)
{
	char name[DNSD_CERTREQ_NAME_MAX];
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int r = DNSD_ENOTSUP;
		if (g->type == GEN_DNS)
			r = name_of_asn1(ASN1_STRING_get0_data(g->d.dNSName),
			                 ASN1_STRING_length(g->d.dNSName),
			                 name);
		if (r < 0 && !strict)
			continue;
		if (r < 0 || (r = names_add(v, n, name, max)) < 0)
			return r;
	}
	return 0;
}

/* ---- DER helpers --------------------------------------------------- */

/* OpenSSL's buffer as one of ours (malloc), so callers free() it. */
static int take_ossl(unsigned char *p, int len, uint8_t **out, size_t *out_len)
{
	if (len <= 0 || !p) {
		OPENSSL_free(p);
		return DNSD_ENOMEM;
	}
	*out = malloc((size_t)len);
	if (*out)
		memcpy(*out, p, (size_t)len);
	OPENSSL_free(p);
	if (!*out)
		return DNSD_ENOMEM;
	*out_len = (size_t)len;
	return 0;
}

static int spki_of(const EVP_PKEY *key, uint8_t **spki, size_t *len)
{
	unsigned char *p = NULL;
	int l = i2d_PUBKEY(key, &p);
	return take_ossl(p, l, spki, len);
}

static int name_der(const X509_NAME *nm, uint8_t **out, size_t *len)
{
	unsigned char *p = NULL;
	int l = i2d_X509_NAME(nm, &p);
	return take_ossl(p, l, out, len);
}

/* A failure leaves OpenSSL's error queue as it found it: the daemon
 * reads it after its own TLS calls. */
static int fail(int err)
{
	ERR_clear_error();
	return err;
}

/* ---- certificate signing requests ---------------------------------- */

void dnsd_csr_clear(dnsd_csr *c)
{
	names_free(&c->names, &c->nnames);
	free(c->spki);
	c->spki = NULL;
	c->spki_len = 0;
}

/* The SAN extension of a CSR, or NULL (*r 0: none, else the error). */
static GENERAL_NAMES *csr_sans(X509_REQ *req, int *r)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	int crit = -1;
	GENERAL_NAMES *gens =
	    exts ? X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL)
	         : NULL;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	/* crit -1: absent; -2: twice; otherwise present, and NULL means
	 * it did not decode */
	*r = !gens && crit != -1 ? DNSD_EMALFORM : 0;
	return gens;
}

static int csr_read(X509_REQ *req, dnsd_csr *out)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	if (!key)
		return DNSD_EMALFORM;
	if (X509_REQ_verify(req, key) != 1)
		return DNSD_EDENIED;
	int r = add_cns(X509_REQ_get_subject_name(req), true, &out->names,
	                &out->nnames, DNSD_CERTREQ_NAMES_MAX);
	if (r < 0)
		return r;
	GENERAL_NAMES *gens = csr_sans(req, &r);
	if (gens)
		r = add_sans(gens, true, &out->names, &out->nnames,
		             DNSD_CERTREQ_NAMES_MAX);
	GENERAL_NAMES_free(gens);
	if (r < 0)
		return r;
	if (out->nnames == 0)
		return DNSD_ENOTFOUND;
	return spki_of(key, &out->spki, &out->spki_len);
}

int dnsd_csr_parse(const uint8_t *der, size_t len, dnsd_csr *out)
{
	memset(out, 0, sizeof *out);
	if (len == 0 || len > LONG_MAX)
		return DNSD_EMALFORM;
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	/* trailing octets would make two CSRs of one */
	int r = req && p == der + len ? csr_read(req, out) : DNSD_EMALFORM;
	X509_REQ_free(req);
	if (r < 0) {
		dnsd_csr_clear(out);
		return fail(r);
	}
	return 0;
}

bool dnsd_csr_matches(const dnsd_csr *c, const uint8_t *spki, size_t spki_len,
                      char *const *names, size_t n)
{
	return c->spki_len == spki_len &&
	       memcmp(c->spki, spki, spki_len) == 0 &&
	       dnsd_certreq_names_equal(c->names, c->nnames, names, n);
}

static bool names_valid(char *const *names, size_t n)
{
	char norm[DNSD_CERTREQ_NAME_MAX];
	if (n == 0 || n > DNSD_CERTREQ_NAMES_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (dnsd_certreq_name(names[i], norm) < 0 ||
		    strcmp(norm, names[i]) != 0 || names_have(names, i, norm))
			return false;
	return true;
}

static GENERAL_NAMES *sans_make(char *const *names, size_t n)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	for (size_t i = 0; gens && i < n; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		if (!g || !s || !ASN1_STRING_set(s, names[i], -1)) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		if (!sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
	}
	return gens;
}

/* The unsigned request: version 1, CN, the SAN extension, the key. */
static int csr_fill(X509_REQ *req, EVP_PKEY *key, char *const *names, size_t n)
{
	X509_NAME *subject = X509_REQ_get_subject_name(req);
	if (!X509_REQ_set_version(req, 0) ||
	    (strlen(names[0]) <= CN_MAX &&
	     !X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
	                                 (const unsigned char *)names[0], -1,
	                                 -1, 0)))
		return DNSD_ENOMEM;
	GENERAL_NAMES *gens = sans_make(names, n);
	STACK_OF(X509_EXTENSION) *exts = NULL;
	int ok = gens &&
	         X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0,
	                         X509V3_ADD_DEFAULT) == 1 &&
	         X509_REQ_add_extensions(req, exts);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (!ok || !X509_REQ_set_pubkey(req, key))
		return DNSD_ENOMEM;
	return 0;
}

int dnsd_csr_make(EVP_PKEY *key, char *const *names, size_t n, uint8_t **der,
                  size_t *len)
{
	if (!key || !names_valid(names, n))
		return DNSD_EINVAL;
	X509_REQ *req = X509_REQ_new();
	int r = req ? csr_fill(req, key, names, n) : DNSD_ENOMEM;
	if (r == 0 && X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		r = DNSD_ENOTSUP;
	if (r == 0) {
		unsigned char *p = NULL;
		int l = i2d_X509_REQ(req, &p);
		r = take_ossl(p, l, der, len);
	}
	X509_REQ_free(req);
	return r < 0 ? fail(r) : 0;
}

/* ---- certificates -------------------------------------------------- */

void dnsd_cert_clear(dnsd_cert *c)
{
	names_free(&c->names, &c->nnames);
	free(c->spki);
	free(c->serial);
	free(c->aki);
	free(c->subject);
	free(c->issuer);
	memset(c, 0, sizeof *c);
}

static int time_of(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return DNSD_EMALFORM;
	*out = timegm(&tm);
	return 0;
}

/* The serial as ARI wants it: the INTEGER's content octets, what its
 * DER encoding holds after the tag and the length. */
static int serial_of(const ASN1_INTEGER *s, uint8_t **out, size_t *len)
{
	unsigned char *p = NULL;
	int l = i2d_ASN1_INTEGER(s, &p);
	if (l < 2 || !p) {
		OPENSSL_free(p);
		return DNSD_EMALFORM;
	}
	size_t hdr = p[1] < 0x80 ? 2 : 2 + (size_t)(p[1] & 0x7f);
	if ((size_t)l <= hdr) {
		OPENSSL_free(p);
		return DNSD_EMALFORM;
	}
	*len = (size_t)l - hdr;
	*out = malloc(*len);
	if (*out)
		memcpy(*out, p + hdr, *len);
	OPENSSL_free(p);
	return *out ? 0 : DNSD_ENOMEM;
}

static int cert_names(X509 *x, dnsd_cert *out)
{
	/* no limit but the certificate's size, which DNS bounds */
	int r = add_cns(X509_get_subject_name(x), false, &out->names,
	                &out->nnames, SIZE_MAX);
	if (r < 0)
		return r;
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens)
		r = add_sans(gens, false, &out->names, &out->nnames, SIZE_MAX);
	GENERAL_NAMES_free(gens);
	return r;
}

static int cert_read(X509 *x, dnsd_cert *out)
{
	EVP_PKEY *key = X509_get0_pubkey(x);
	int r;
	if (!key || time_of(X509_get0_notBefore(x), &out->not_before) < 0 ||
	    time_of(X509_get0_notAfter(x), &out->not_after) < 0)
		return DNSD_EMALFORM;
	if ((r = cert_names(x, out)) < 0 ||
	    (r = spki_of(key, &out->spki, &out->spki_len)) < 0 ||
	    (r = serial_of(X509_get0_serialNumber(x), &out->serial,
	                   &out->serial_len)) < 0 ||
	    (r = name_der(X509_get_subject_name(x), &out->subject,
	                  &out->subject_len)) < 0 ||
	    (r = name_der(X509_get_issuer_name(x), &out->issuer,
	                  &out->issuer_len)) < 0)
		return r;
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	if (aki && ASN1_STRING_length(aki) > 0) {
		out->aki_len = (size_t)ASN1_STRING_length(aki);
		if (!(out->aki = malloc(out->aki_len)))
			return DNSD_ENOMEM;
		memcpy(out->aki, ASN1_STRING_get0_data(aki), out->aki_len);
	}
	return 0;
}

int dnsd_cert_parse(const uint8_t *der, size_t len, dnsd_cert *out)
{
	memset(out, 0, sizeof *out);
	if (len == 0 || len > LONG_MAX)
		return DNSD_EMALFORM;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int r = x && p == der + len ? cert_read(x, out) : DNSD_EMALFORM;
	X509_free(x);
	if (r < 0) {
		dnsd_cert_clear(out);
		return fail(r);
	}
	return 0;
}

time_t dnsd_cert_renew_at(const dnsd_cert *c)
{
	/* in 64 bits: a lifetime of decades times two must not overflow */
	int64_t nb = (int64_t)c->not_before, na = (int64_t)c->not_after;
	return (time_t)(nb + (na - nb) / 3 * 2 + (na - nb) % 3 * 2 / 3);
}

bool dnsd_cert_covers(const dnsd_cert *c, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!names_have(c->names, c->nnames, names[i]))
			return false;
	return true;
}

bool dnsd_cert_current(const dnsd_cert *c, const dnsd_csr *csr, time_t renew_at,
                       time_t now)
{
	return c->spki_len == csr->spki_len &&
	       memcmp(c->spki, csr->spki, c->spki_len) == 0 &&
	       dnsd_cert_covers(c, csr->names, csr->nnames) && now < renew_at &&
	       now < c->not_after;
}

/* base64url without padding of in into out (room for 4 * (n + 2) / 3
 * + 1); its length. */
/* The CertID is composed by the ACME layer, which sends it. */
int dnsd_cert_ari_id(const dnsd_cert *c, char *buf, size_t cap)
{
	char *id;
	if (!c->aki_len || !c->serial_len)
		return DNSD_ENOTFOUND;
	int r = dnsd_acme_ari_certid_raw(c->aki, c->aki_len, c->serial,
	                                 c->serial_len, &id);
	if (r == DNSD_EINVAL)
		return DNSD_ESPACE; /* an identifier longer than any here */
	if (r < 0)
		return r;
	size_t l = strlen(id);
	r = l < cap && l <= INT_MAX ? (int)l : DNSD_ESPACE;
	if (r > 0)
		memcpy(buf, id, l + 1);
	free(id);
	return r;
}

/* A memory BIO's contents as a NUL-terminated buffer of ours. */
static int bio_take(BIO *b, char **out, size_t *len)
{
	char *data;
	long l = BIO_get_mem_data(b, &data);
	if (l < 0 || !(*out = malloc((size_t)l + 1)))
		return DNSD_ENOMEM;
	memcpy(*out, data, (size_t)l);
	(*out)[l] = 0;
	*len = (size_t)l;
	return 0;
}

static X509 *x509_of(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	if (len == 0 || len > LONG_MAX)
		return NULL;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* ee then the CA certificates of cas issuing one another into b; the
 * number written after ee, or a negative error. */
static int chain_write(BIO *b, X509 *ee, X509 **cas, size_t ncas)
{
	if (!PEM_write_bio_X509(b, ee))
		return DNSD_ENOMEM;
	int count = 0;
	X509 *cur = ee;
	/* each CA certificate once, so this ends even on a loop of them */
	while (X509_NAME_cmp(X509_get_subject_name(cur),
	                     X509_get_issuer_name(cur)) != 0) {
		X509 *next = NULL;
		for (size_t i = 0; i < ncas && !next; i++)
			if (cas[i] &&
			    X509_check_issued(cas[i], cur) == X509_V_OK) {
				next = cas[i];
				cas[i] = NULL;
			}
		if (!next)
			break;
		int ok = PEM_write_bio_X509(b, next);
		if (cur != ee)
			X509_free(cur);
		cur = next;
		if (!ok) {
			X509_free(cur);
			return DNSD_ENOMEM;
		}
		count++;
	}
	if (cur != ee)
		X509_free(cur);
	return count;
}

int dnsd_cert_chain_pem(const uint8_t *ee, size_t ee_len,
                        const uint8_t *const *cas, const size_t *ca_lens,
                        size_t ncas, char **pem, size_t *pem_len)
{
	X509 **xs = calloc(ncas ? ncas : 1, sizeof *xs);
	X509 *x = x509_of(ee, ee_len);
	BIO *b = BIO_new(BIO_s_mem());
	int r = xs && b ? 0 : DNSD_ENOMEM;
	if (r == 0 && !x)
		r = DNSD_EMALFORM;
	for (size_t i = 0; r == 0 && i < ncas; i++)
		if (!(xs[i] = x509_of(cas[i], ca_lens[i])))
			r = DNSD_EMALFORM;
	if (r == 0)
		r = chain_write(b, x, xs, ncas);
	if (r >= 0) {
		int t = bio_take(b, pem, pem_len);
		if (t < 0)
			r = t;
	}
	for (size_t i = 0; xs && i < ncas; i++)
		X509_free(xs[i]);
	free(xs);
	X509_free(x);
	BIO_free(b);
	return r < 0 ? fail(r) : r;
}

/* ---- private keys -------------------------------------------------- */

static const struct certkey_row {
	const char *name;
	const char *alg;   /* OpenSSL's key type */
	const char *group; /* EC: the curve, as OpenSSL names it */
	size_t bits;
} certkeys[] = {
    [DNSD_CERTKEY_EC256] = {"ec256", "EC", "prime256v1", 256},
    [DNSD_CERTKEY_EC384] = {"ec384", "EC", "secp384r1", 384},
    [DNSD_CERTKEY_RSA2048] = {"rsa2048", "RSA", NULL, 2048},
    [DNSD_CERTKEY_RSA4096] = {"rsa4096", "RSA", NULL, 4096},
};
#define NCERTKEYS (sizeof certkeys / sizeof *certkeys)

int dnsd_certkey_type_from_text(const char *s, int *type)
{
	for (size_t i = 0; i < NCERTKEYS; i++)
		if (strcmp(certkeys[i].name, s) == 0) {
			*type = (int)i;
			return 0;
		}
	return DNSD_EINVAL;
}

const char *dnsd_certkey_type_name(int type)
{
	return type >= 0 && (size_t)type < NCERTKEYS ? certkeys[type].name
	                                             : "?";
}

int dnsd_certkey_new(int type, EVP_PKEY **out)
{
	if (type < 0 || (size_t)type >= NCERTKEYS)
		return DNSD_EINVAL;
	const struct certkey_row *k = &certkeys[type];
	*out = k->group ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", k->group)
	                : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", k->bits);
	return *out ? 0 : fail(DNSD_ENOMEM);
}

int dnsd_certkey_type(const EVP_PKEY *key)
{
	char group[64];
	bool ec = EVP_PKEY_is_a(key, "EC");
	if (ec && !EVP_PKEY_get_group_name(key, group, sizeof group, NULL))
		return fail(DNSD_ENOTSUP);
	for (size_t i = 0; i < NCERTKEYS; i++) {
		const struct certkey_row *k = &certkeys[i];
		if (!EVP_PKEY_is_a(key, k->alg))
			continue;
		if (ec ? strcmp(group, k->group) == 0
		       : (size_t)EVP_PKEY_get_bits(key) == k->bits)
			return (int)i;
	}
	return DNSD_ENOTSUP;
}

int dnsd_certkey_spki(const EVP_PKEY *key, uint8_t **spki, size_t *len)
{
	int r = spki_of(key, spki, len);
	return r < 0 ? fail(r) : 0;
}

int dnsd_certkey_to_pem(const EVP_PKEY *key, char **pem, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	/* PEM_write_bio_PrivateKey writes PKCS#8 */
	int r = b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
	            ? bio_take(b, pem, len)
	            : DNSD_ENOMEM;
	if (b) {
		/* the memory BIO holds the key: wipe it before it goes */
		char *data;
		long l = BIO_get_mem_data(b, &data);
		if (l > 0)
			OPENSSL_cleanse(data, (size_t)l);
	}
	BIO_free(b);
	return r < 0 ? fail(r) : 0;
}

/* Encrypted keys are not for a service that starts unattended: no
 * prompt for a passphrase (OpenSSL's default callback reads the
 * terminal). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int dnsd_certkey_from_pem(const char *pem, size_t len, EVP_PKEY **out)
{
	*out = NULL;
	if (len > INT_MAX)
		return DNSD_ENOTFOUND;
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return fail(DNSD_ENOMEM);
	*out = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	return *out ? 0 : fail(DNSD_ENOTFOUND);
}

/* ---- PEM ----------------------------------------------------------- */

int dnsd_certreq_pem(const char *label, const uint8_t *der, size_t len,
                     char **pem, size_t *pem_len)
{
	if (len > LONG_MAX)
		return DNSD_EINVAL;
	BIO *b = BIO_new(BIO_s_mem());
	int r = b && PEM_write_bio(b, label, "", der, (long)len) > 0
	            ? bio_take(b, pem, pem_len)
	            : DNSD_ENOMEM;
	BIO_free(b);
	return r < 0 ? fail(r) : 0;
}

int dnsd_certreq_pem_next(const char *pem, size_t len, size_t *off,
                          const char *label, uint8_t **der, size_t *der_len)
{
	if (*off >= len)
		return DNSD_ENOTFOUND;
	if (len - *off > INT_MAX)
		return DNSD_EMALFORM;
	BIO *b = BIO_new_mem_buf(pem + *off, (int)(len - *off));
	if (!b)
		return fail(DNSD_ENOMEM);
	int r = DNSD_ENOTFOUND;
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;
		if (!PEM_read_bio(b, &name, &header, &data, &dlen)) {
			unsigned long e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
			    ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
				r = DNSD_EMALFORM;
			break;
		}
		bool want = strcmp(name, label) == 0;
		if (want && dlen > 0 && dlen <= INT_MAX)
			r = take_ossl(data, (int)dlen, der, der_len);
		else if (want)
			r = DNSD_EMALFORM;
		if (!want || r == DNSD_EMALFORM)
			OPENSSL_free(data); /* else take_ossl freed it */
		OPENSSL_free(name);
		OPENSSL_free(header);
		if (want)
			break;
	}
	if (r == 0)
		*off = len - (size_t)BIO_ctrl_pending(b);
	BIO_free(b);
	if (r < 0)
		ERR_clear_error();
	return r;
}
