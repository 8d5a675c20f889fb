/* TSIG (RFC 8945). The digest is fed piece by piece straight from the
 * packet: the header with the Original ID and the ARCOUNT the signer
 * saw, the records before the TSIG, then the TSIG variables. The order
 * of the checks is the RFC's and matters: a request learns nothing about
 * a key it cannot prove to hold (BADKEY/BADSIG are answered unsigned,
 * without data), and nothing is ever signed over a MAC that did not
 * verify. */
#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>
#include <dnsd/wire.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#define ALG_ROW(a, txt, dg, wire, len)                                         \
	{                                                                      \
		.alg = (a), .text = (txt), .digest = (dg),                     \
		.name = (const uint8_t *)(wire), .mac_len = (len),             \
		.min_len = (len) / 2 > 10 ? (len) / 2 : 10                     \
	}

/* §5.2.2.1: the shortest MAC is the larger of 10 octets and half the
 * output (all outputs here have an even length). */
static const dnsd_tsig_alg tsig_algs[] = {
    ALG_ROW(DNSD_ALG_HMAC_SHA1, "hmac-sha1", "SHA1", "\x09hmac-sha1", 20),
    ALG_ROW(DNSD_ALG_HMAC_SHA224, "hmac-sha224", "SHA224", "\x0bhmac-sha224",
            28),
    ALG_ROW(DNSD_ALG_HMAC_SHA256, "hmac-sha256", "SHA256", "\x0bhmac-sha256",
            32),
    ALG_ROW(DNSD_ALG_HMAC_SHA384, "hmac-sha384", "SHA384", "\x0bhmac-sha384",
            48),
    ALG_ROW(DNSD_ALG_HMAC_SHA512, "hmac-sha512", "SHA512", "\x0bhmac-sha512",
            64),
};
#define NALGS (sizeof tsig_algs / sizeof tsig_algs[0])

const dnsd_tsig_alg *dnsd_tsig_alg_get(uint8_t alg)
{
	for (size_t i = 0; i < NALGS; i++)
		if (tsig_algs[i].alg == alg)
			return &tsig_algs[i];
	return NULL;
}

const dnsd_tsig_alg *dnsd_tsig_alg_by_name(const uint8_t *name)
{
	for (size_t i = 0; i < NALGS; i++)
		if (dnsd_name_equal(tsig_algs[i].name, name))
			return &tsig_algs[i];
	return NULL;
}

static const struct {
	uint16_t code;
	const char *name;
} tsig_errors[] = {
    {0, "NOERROR"}, {1, "FORMERR"},   {2, "SERVFAIL"},   {3, "NXDOMAIN"},
    {4, "NOTIMP"},  {5, "REFUSED"},   {6, "YXDOMAIN"},   {7, "YXRRSET"},
    {8, "NXRRSET"}, {9, "NOTAUTH"},   {10, "NOTZONE"},   {16, "BADSIG"},
    {17, "BADKEY"}, {18, "BADTIME"},  {19, "BADMODE"},   {20, "BADNAME"},
    {21, "BADALG"}, {22, "BADTRUNC"}, {23, "BADCOOKIE"},
};

const char *dnsd_tsig_error_name(uint16_t error)
{
	for (size_t i = 0; i < sizeof tsig_errors / sizeof tsig_errors[0]; i++)
		if (tsig_errors[i].code == error)
			return tsig_errors[i].name;
	return "TSIG_ERROR";
}

int dnsd_tsig_rr_parse(const uint8_t *pkt, size_t len, size_t off,
                       dnsd_tsig_rr *t)
{
	dnsd_wire w;
	dnsd_wire_init_read(&w, pkt, len);
	if (off > len)
		return DNSD_EMALFORM;
	w.pos = off;
	int n = dnsd_name_from_wire(&w, t->key);
	if (n < 0)
		return n;
	uint16_t type = dnsd_wire_u16(&w);
	t->rclass = dnsd_wire_u16(&w);
	t->ttl = dnsd_wire_u32(&w);
	uint16_t rdlen = dnsd_wire_u16(&w);
	const uint8_t *rd = dnsd_wire_take(&w, rdlen);
	if (w.err)
		return w.err;
	if (type != DNSD_TYPE_TSIG)
		return DNSD_EMALFORM;

	/* RFC 8945 §4.2: the algorithm name is never compressed. */
	n = dnsd_name_check(rd, rdlen);
	if (n < 0)
		return n;
	memcpy(t->alg, rd, (size_t)n);
	dnsd_wire r;
	dnsd_wire_init_read(&r, rd, rdlen);
	dnsd_wire_skip(&r, (size_t)n);
	uint64_t hi = dnsd_wire_u16(&r);
	t->time_signed = hi << 32 | dnsd_wire_u32(&r);
	t->fudge = dnsd_wire_u16(&r);
	t->mac_len = dnsd_wire_u16(&r);
	t->mac = dnsd_wire_take(&r, t->mac_len);
	t->orig_id = dnsd_wire_u16(&r);
	t->error = dnsd_wire_u16(&r);
	t->other_len = dnsd_wire_u16(&r);
	t->other = dnsd_wire_take(&r, t->other_len);
	if (r.err)
		return r.err;
	if (r.pos != rdlen)
		return DNSD_EMALFORM;
	dnsd_name_lower(t->key);
	dnsd_name_lower(t->alg);
	t->end = w.pos;
	return 0;
}

void dnsd_tsig_ctx_init(dnsd_tsig_ctx *c)
{
	memset(c, 0, sizeof *c);
}

void dnsd_tsig_set_outcome(const dnsd_tsig_ctx *c, struct dnsd_keystore *ks,
                           int rcode)
{
	if (c->remembered)
		dnsd_keystore_set_outcome(ks, c->req_key, c->time_signed,
		                          c->mac, c->mac_len, rcode);
}

void dnsd_tsig_ctx_clear(dnsd_tsig_ctx *c)
{
	if (c->run)
		EVP_MAC_CTX_free(c->run);
	explicit_bzero(c, sizeof *c);
}

/* HMAC state for key k under algorithm a; NULL when OpenSSL fails. */
static EVP_MAC_CTX *hmac_start(const dnsd_tsig_alg *a, const dnsd_key *k)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!m)
		return NULL;
	EVP_MAC_CTX *x = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m); /* the context keeps its own reference */
	if (!x)
		return NULL;
	OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string(
	                       OSSL_MAC_PARAM_DIGEST, (char *)a->digest, 0),
	                   OSSL_PARAM_construct_end()};
	if (EVP_MAC_init(x, k->secret, k->secret_len, p) != 1) {
		EVP_MAC_CTX_free(x);
		return NULL;
	}
	return x;
}

static void hmac_put(EVP_MAC_CTX *x, const void *p, size_t n)
{
	if (n)
		EVP_MAC_update(x, p, n);
}

/* A MAC as it is digested in front of a message: 2-octet length, MAC. */
static void hmac_prior(EVP_MAC_CTX *x, const uint8_t *mac, uint16_t len)
{
	uint8_t l[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	hmac_put(x, l, 2);
	hmac_put(x, mac, len);
}

/* The message up to end, with the ID replaced by orig_id and, when
 * strip, ARCOUNT one lower (the TSIG itself removed, §4.3.1). */
static int hmac_msg(EVP_MAC_CTX *x, const uint8_t *pkt, size_t end,
                    uint16_t orig_id, bool strip)
{
	dnsd_wire r;
	dnsd_wire_init_read(&r, pkt, end);
	uint8_t h[DNSD_HDR_LEN];
	dnsd_wire hw;
	dnsd_wire_init_write(&hw, h, sizeof h);
	(void)dnsd_wire_u16(&r);
	dnsd_wire_put_u16(&hw, orig_id);
	for (int i = 0; i < 4; i++)
		dnsd_wire_put_u16(&hw, dnsd_wire_u16(&r));
	uint16_t ar = dnsd_wire_u16(&r);
	if (strip && ar == 0)
		return DNSD_EMALFORM;
	dnsd_wire_put_u16(&hw, strip ? (uint16_t)(ar - 1) : ar);
	const uint8_t *rest = dnsd_wire_take(&r, end - r.pos);
	if (r.err || hw.err)
		return DNSD_EMALFORM;
	hmac_put(x, h, sizeof h);
	hmac_put(x, rest, end - DNSD_HDR_LEN);
	return 0;
}

/* The TSIG variables of §4.3.3, or only the timers (§4.3.2, later
 * messages of a stream). Names are already lower-case. */
typedef struct tsig_vars {
	const uint8_t *key, *alg;
	uint16_t rclass;
	uint32_t ttl;
	uint64_t time_signed;
	uint16_t fudge, error, other_len;
	const uint8_t *other;
} tsig_vars;

static void hmac_vars(EVP_MAC_CTX *x, const tsig_vars *v, bool timers_only)
{
	uint8_t b[2 * DNSD_NAME_MAX + 32];
	dnsd_wire w;
	dnsd_wire_init_write(&w, b, sizeof b);
	if (!timers_only) {
		dnsd_wire_put(&w, v->key, dnsd_name_len(v->key));
		dnsd_wire_put_u16(&w, v->rclass);
		dnsd_wire_put_u32(&w, v->ttl);
		dnsd_wire_put(&w, v->alg, dnsd_name_len(v->alg));
	}
	dnsd_wire_put_u16(&w, (uint16_t)(v->time_signed >> 32));
	dnsd_wire_put_u32(&w, (uint32_t)v->time_signed);
	dnsd_wire_put_u16(&w, v->fudge);
	if (!timers_only) {
		dnsd_wire_put_u16(&w, v->error);
		dnsd_wire_put_u16(&w, v->other_len);
	}
	hmac_put(x, b, w.pos);
	if (!timers_only)
		hmac_put(x, v->other, v->other_len);
}

/* Finishes x (and frees it) into mac; the MAC length or DNSD_ENOMEM. */
static int hmac_end(EVP_MAC_CTX *x, uint8_t mac[DNSD_TSIG_MAC_MAX])
{
	size_t n = 0;
	int ok = EVP_MAC_final(x, mac, &n, DNSD_TSIG_MAC_MAX);
	EVP_MAC_CTX_free(x);
	return ok == 1 ? (int)n : DNSD_ENOMEM;
}

static bool time_ok(uint64_t now, uint64_t t, uint16_t fudge)
{
	return now + fudge >= t && t + fudge >= now;
}

/* Header of a message: its ID; DNSD_EMALFORM when shorter. */
static int msg_id(const uint8_t *pkt, size_t len, uint16_t *id)
{
	dnsd_hdr h;
	int err = dnsd_hdr_parse(pkt, len, &h);
	if (!err)
		*id = h.id;
	return err;
}

int dnsd_tsig_verify_request(dnsd_tsig_ctx *c, struct dnsd_keystore *ks,
                             const uint8_t *pkt, size_t len, size_t tsig_off,
                             uint64_t now, unsigned flags)
{
	dnsd_tsig_rr t;

	c->verified = c->have_key = false;
	c->error = 0;
	c->rcode = DNSD_RCODE_FORMERR;
	if (tsig_off < DNSD_HDR_LEN ||
	    dnsd_tsig_rr_parse(pkt, len, tsig_off, &t) < 0 || t.end != len)
		return DNSD_ETSIG;
	/* RFC 8945 §4.2: class ANY; anything else is not a TSIG at all */
	if (t.rclass != DNSD_CLASS_ANY)
		return DNSD_ETSIG;
	memcpy(c->req_key, t.key, dnsd_name_len(t.key));
	memcpy(c->req_alg, t.alg, dnsd_name_len(t.alg));
	c->time_signed = t.time_signed;
	c->fudge = t.fudge;
	c->orig_id = t.orig_id;

	/* 1. The key (§5.2.1): name and algorithm both known. */
	c->rcode = DNSD_RCODE_NOTAUTH;
	c->alg = dnsd_tsig_alg_by_name(t.alg);
	if (!c->alg || !ks || dnsd_keystore_get(ks, t.key, &c->key) < 0 ||
	    c->key.alg != c->alg->alg) {
		explicit_bzero(&c->key, sizeof c->key);
		c->alg = NULL;
		c->error = DNSD_TSIG_BADKEY;
		return DNSD_ETSIG;
	}
	c->have_key = true;

	/* 2. The MAC (§5.2.2), its length first (§5.2.2.1). An empty MAC
	 * proves nothing (CVE-2017-11104, CVE-2017-3142/3143): BADSIG. */
	if (t.mac_len > c->alg->mac_len ||
	    (t.mac_len > 0 && t.mac_len < c->alg->min_len)) {
		c->rcode = DNSD_RCODE_FORMERR;
		return DNSD_ETSIG;
	}
	c->error = DNSD_TSIG_BADSIG;
	if (t.mac_len == 0)
		return DNSD_ETSIG;
	EVP_MAC_CTX *x = hmac_start(c->alg, &c->key);
	if (!x)
		return DNSD_ETSIG;
	if (hmac_msg(x, pkt, tsig_off, t.orig_id, true) < 0) {
		EVP_MAC_CTX_free(x);
		return DNSD_ETSIG;
	}
	tsig_vars v = {t.key,   t.alg,   t.rclass,    t.ttl,  t.time_signed,
	               t.fudge, t.error, t.other_len, t.other};
	hmac_vars(x, &v, false);
	uint8_t mac[DNSD_TSIG_MAC_MAX];
	int n = hmac_end(x, mac);
	bool good =
	    n == c->alg->mac_len && CRYPTO_memcmp(mac, t.mac, t.mac_len) == 0;
	explicit_bzero(mac, sizeof mac);
	if (!good)
		return DNSD_ETSIG;

	/* Verified: from here on every answer is signed, over this MAC. */
	c->verified = true;
	memcpy(c->mac, t.mac, t.mac_len);
	c->mac_len = t.mac_len;

	/* 3. Truncation policy: the full length unless allowed. */
	if (t.mac_len < c->alg->mac_len && !(flags & DNSD_TSIG_ALLOW_TRUNC)) {
		c->error = DNSD_TSIG_BADTRUNC;
		return DNSD_ETSIG;
	}
	/* 4. Time (§5.2.3), then the replay memory. */
	c->error = DNSD_TSIG_BADTIME;
	if (!time_ok(now, t.time_signed, t.fudge))
		return DNSD_ETSIG;
	if (!(flags & DNSD_TSIG_NO_REPLAY)) {
		if (dnsd_keystore_replayed(ks, t.key, t.time_signed, t.fudge,
		                           t.mac, t.mac_len, now)) {
			c->replayed = true;
			c->replay_outcome = dnsd_keystore_outcome(
			    ks, t.key, t.time_signed, t.mac, t.mac_len);
			return DNSD_ETSIG;
		}
		c->remembered = true;
	}
	c->error = 0;
	c->rcode = 0;
	return 0;
}

/* What the response TSIG names: our key when verified, else the
 * request's names (BADKEY: we may not know them). */
static const uint8_t *resp_key(const dnsd_tsig_ctx *c)
{
	return c->verified ? c->key.name : c->req_key;
}

static const uint8_t *resp_alg(const dnsd_tsig_ctx *c)
{
	return c->verified ? c->alg->name : c->req_alg;
}

static bool resp_possible(const dnsd_tsig_ctx *c)
{
	if (c->verified)
		return true;
	/* an unsigned error answer, for a request that named a key */
	return c->rcode == DNSD_RCODE_NOTAUTH &&
	       (c->error == DNSD_TSIG_BADKEY || c->error == DNSD_TSIG_BADSIG);
}

size_t dnsd_tsig_reserve(const dnsd_tsig_ctx *c)
{
	if (!resp_possible(c))
		return 0;
	size_t n =
	    dnsd_name_len(resp_key(c)) + 10 + dnsd_name_len(resp_alg(c)) + 16;
	if (c->verified)
		n += c->alg->mac_len;
	if (c->error == DNSD_TSIG_BADTIME)
		n += 6;
	return n;
}

/* Writes one TSIG record at the cursor. */
static void put_tsig(dnsd_wire *w, const tsig_vars *v, const uint8_t *mac,
                     uint16_t mac_len, uint16_t orig_id)
{
	size_t alen = dnsd_name_len(v->alg);
	dnsd_wire_put(w, v->key, dnsd_name_len(v->key));
	dnsd_wire_put_u16(w, DNSD_TYPE_TSIG);
	dnsd_wire_put_u16(w, v->rclass);
	dnsd_wire_put_u32(w, v->ttl);
	dnsd_wire_put_u16(w, (uint16_t)(alen + 16 + mac_len + v->other_len));
	dnsd_wire_put(w, v->alg, alen);
	dnsd_wire_put_u16(w, (uint16_t)(v->time_signed >> 32));
	dnsd_wire_put_u32(w, (uint32_t)v->time_signed);
	dnsd_wire_put_u16(w, v->fudge);
	dnsd_wire_put_u16(w, mac_len);
	dnsd_wire_put(w, mac, mac_len);
	dnsd_wire_put_u16(w, orig_id);
	dnsd_wire_put_u16(w, v->error);
	dnsd_wire_put_u16(w, v->other_len);
	dnsd_wire_put(w, v->other, v->other_len);
}

/* Appends the record to buf and bumps ARCOUNT; the new length. */
static int append_tsig(uint8_t *buf, size_t len, size_t cap, const tsig_vars *v,
                       const uint8_t *mac, uint16_t mac_len, uint16_t orig_id)
{
	dnsd_hdr h;
	int err = dnsd_hdr_parse(buf, len, &h);
	if (err)
		return err;
	if (h.arcount == UINT16_MAX)
		return DNSD_ESPACE;
	dnsd_wire w;
	dnsd_wire_init_write(&w, buf, cap < 65535 ? cap : 65535);
	w.pos = len;
	put_tsig(&w, v, mac, mac_len, orig_id);
	if (w.err)
		return w.err;
	dnsd_wire_patch_u16(&w, 10, (uint16_t)(h.arcount + 1));
	return (int)w.pos;
}

static void put48(uint8_t *p, uint64_t v)
{
	dnsd_wire w;
	dnsd_wire_init_write(&w, p, 6);
	dnsd_wire_put_u16(&w, (uint16_t)(v >> 32));
	dnsd_wire_put_u32(&w, (uint32_t)v);
}

int dnsd_tsig_sign_response(dnsd_tsig_ctx *c, uint8_t *buf, size_t len,
                            size_t cap, uint64_t now)
{
	uint16_t id;
	uint8_t other[6];
	int err = msg_id(buf, len, &id);
	if (err)
		return err;
	if (!resp_possible(c))
		return DNSD_EINVAL;

	tsig_vars v = {.key = resp_key(c),
	               .alg = resp_alg(c),
	               .rclass = DNSD_CLASS_ANY,
	               .time_signed = now,
	               .fudge = DNSD_TSIG_FUDGE,
	               .error = c->error};
	if (c->error == DNSD_TSIG_BADTIME) {
		/* §5.2.3: signed over the request's time, so the client's
		 * own check passes; our clock goes in Other Data. */
		v.time_signed = c->time_signed;
		put48(other, now);
		v.other = other;
		v.other_len = 6;
	}
	if (!c->verified)
		return append_tsig(buf, len, cap, &v, NULL, 0, id);

	EVP_MAC_CTX *x = hmac_start(c->alg, &c->key);
	if (!x)
		return DNSD_ENOMEM;
	hmac_prior(x, c->mac, c->mac_len);
	if (hmac_msg(x, buf, len, id, false) < 0) {
		EVP_MAC_CTX_free(x);
		return DNSD_EMALFORM;
	}
	hmac_vars(x, &v, c->nmsg > 0);
	uint8_t mac[DNSD_TSIG_MAC_MAX];
	int n = hmac_end(x, mac);
	if (n < 0)
		return n;
	int r = append_tsig(buf, len, cap, &v, mac, (uint16_t)n, id);
	if (r >= 0) {
		memcpy(c->mac, mac, (size_t)n);
		c->mac_len = (uint16_t)n;
		c->nmsg++;
	}
	return r;
}

int dnsd_tsig_sign_request(dnsd_tsig_ctx *c, const dnsd_key *k, uint8_t *buf,
                           size_t len, size_t cap, uint64_t now, uint16_t fudge)
{
	uint16_t id;
	int err = msg_id(buf, len, &id);
	if (err)
		return err;
	const dnsd_tsig_alg *a = dnsd_tsig_alg_get(k->alg);
	if (!a || k->secret_len == 0)
		return DNSD_EINVAL;
	if (c->run)
		EVP_MAC_CTX_free(c->run);
	dnsd_tsig_ctx_init(c);
	c->key = *k;
	dnsd_name_lower(c->key.name);
	c->alg = a;
	c->have_key = true;

	tsig_vars v = {.key = c->key.name,
	               .alg = a->name,
	               .rclass = DNSD_CLASS_ANY,
	               .time_signed = now,
	               .fudge = fudge};
	EVP_MAC_CTX *x = hmac_start(a, &c->key);
	if (!x)
		return DNSD_ENOMEM;
	if (hmac_msg(x, buf, len, id, false) < 0) {
		EVP_MAC_CTX_free(x);
		return DNSD_EMALFORM;
	}
	hmac_vars(x, &v, false);
	int n = hmac_end(x, c->mac);
	if (n < 0)
		return n;
	c->mac_len = (uint16_t)n;
	c->time_signed = now;
	c->fudge = fudge;
	c->orig_id = id;
	c->verified = true; /* our own request: responses chain on it */
	return append_tsig(buf, len, cap, &v, c->mac, c->mac_len, id);
}

/* Marks a client stream failed with TSIG error e. */
static int stream_fail(dnsd_tsig_ctx *c, uint16_t e)
{
	c->rcode = DNSD_RCODE_NOTAUTH;
	c->error = e;
	c->last_signed = false;
	return DNSD_ETSIG;
}

static int stream_malformed(dnsd_tsig_ctx *c)
{
	(void)stream_fail(c, 0);
	return DNSD_EMALFORM;
}

/* An unsigned message inside a stream: digested into the running MAC
 * until the next signed one (§5.3.1). */
static int verify_unsigned(dnsd_tsig_ctx *c, const uint8_t *pkt, size_t len)
{
	if (c->nmsg == 0 || ++c->unsigned_run > DNSD_TSIG_UNSIGNED_MAX)
		return stream_fail(c, DNSD_TSIG_BADSIG);
	if (!c->run) {
		c->run = hmac_start(c->alg, &c->key);
		if (!c->run)
			return stream_fail(c, DNSD_TSIG_BADSIG);
		hmac_prior(c->run, c->mac, c->mac_len);
	}
	hmac_put(c->run, pkt, len);
	c->last_signed = false;
	return 0;
}

int dnsd_tsig_verify_response(dnsd_tsig_ctx *c, const uint8_t *pkt, size_t len,
                              uint64_t now)
{
	dnsd_query q;
	dnsd_tsig_rr t;

	if (c->rcode || !c->have_key || !c->verified)
		return DNSD_ETSIG; /* failed before, or nothing was signed */
	int err = dnsd_query_parse(pkt, len, &q);
	if (err)
		return stream_malformed(c);
	if (q.tsig_offset == 0)
		return verify_unsigned(c, pkt, len);
	if (dnsd_tsig_rr_parse(pkt, len, q.tsig_offset, &t) < 0 ||
	    t.rclass != DNSD_CLASS_ANY)
		return stream_malformed(c);
	/* The key: ours, with our algorithm. */
	if (!dnsd_name_equal(t.key, c->key.name) ||
	    !dnsd_name_equal(t.alg, c->alg->name))
		return stream_fail(c, DNSD_TSIG_BADKEY);
	/* The peer refused us without a MAC (BADKEY, BADSIG): nothing of
	 * this message can be trusted but the refusal itself. */
	if (t.mac_len == 0)
		return stream_fail(c, t.error ? t.error : DNSD_TSIG_BADSIG);
	if (t.mac_len != c->alg->mac_len)
		return stream_fail(c, DNSD_TSIG_BADTRUNC);

	EVP_MAC_CTX *x = c->run;
	c->run = NULL;
	if (!x) {
		x = hmac_start(c->alg, &c->key);
		if (!x)
			return stream_fail(c, DNSD_TSIG_BADSIG);
		hmac_prior(x, c->mac, c->mac_len);
	}
	if (hmac_msg(x, pkt, q.tsig_offset, t.orig_id, true) < 0) {
		EVP_MAC_CTX_free(x);
		return stream_malformed(c);
	}
	tsig_vars v = {t.key,   t.alg,   t.rclass,    t.ttl,  t.time_signed,
	               t.fudge, t.error, t.other_len, t.other};
	hmac_vars(x, &v, c->nmsg > 0);
	uint8_t mac[DNSD_TSIG_MAC_MAX];
	int n = hmac_end(x, mac);
	bool good = n == t.mac_len && CRYPTO_memcmp(mac, t.mac, t.mac_len) == 0;
	explicit_bzero(mac, sizeof mac);
	if (!good)
		return stream_fail(c, DNSD_TSIG_BADSIG);
	if (!time_ok(now, t.time_signed, t.fudge))
		return stream_fail(c, DNSD_TSIG_BADTIME);
	memcpy(c->mac, t.mac, t.mac_len);
	c->mac_len = t.mac_len;
	c->nmsg++;
	c->unsigned_run = 0;
	c->last_signed = true;
	c->error = t.error;
	return 0;
}

int dnsd_tsig_verify_end(const dnsd_tsig_ctx *c)
{
	return !c->rcode && c->nmsg > 0 && c->last_signed ? 0 : DNSD_ETSIG;
}
