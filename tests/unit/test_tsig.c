/* Unit tests for TSIG (tsig.h), RFC 8945.
 *
 * - Messages signed by other implementations (tsig_vectors.h, made by
 *   tests/data/tsig/gen_vectors.py): dig -y and kdig -y requests with
 *   every HMAC, named's and knotd's signed answers, named's BADTIME and
 *   BADKEY answers, a multi-message AXFR from named, a stream with
 *   unsigned messages signed with Python's hmac, dnspython requests with
 *   mixed-case names. We verify them all, re-sign dig's requests
 *   bit-for-bit, and refuse every one of them with one bit changed.
 *   (RFC 8945 has no worked examples with MACs to take vectors from.)
 * - Requests forged here with OpenSSL's one-shot EVP_Q_mac (independent
 *   of tsig.c's digest code) for each error case: unknown key or
 *   algorithm, bad and empty MAC (CVE-2017-3142/3143, CVE-2017-11104),
 *   truncation below and above the minimum, class not ANY, time outside
 *   the fudge, replay, Error field set in a request.
 * - Our own sign/verify round trips and multi-message streams. */
#include "tap.h"
#include "tsig_vectors.h"

#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>

#include <openssl/evp.h>
#include <stdlib.h>

static const uint8_t root[1] = {0};

static dnsd_key mk_key(const char *name, uint8_t alg, const char *secret_b64)
{
	dnsd_key k;
	memset(&k, 0, sizeof k);
	CHECK(dnsd_name_from_text(name, strlen(name), root, k.name) > 0);
	dnsd_name_lower(k.name);
	k.alg = alg;
	int n = dnsd_key_b64_decode(secret_b64, strlen(secret_b64), k.secret,
	                            sizeof k.secret);
	CHECK(n > 0);
	k.secret_len = (uint16_t)(n > 0 ? n : 0);
	return k;
}

static const char *S256 = "kJJqipaQHQWqZL31Raar6uPnepGFIdtpjkXot9rv2xg=";
#define KEYNAME "personal._update.example.org"
#define T0      1700000000ull

static dnsd_keystore *store_with(const dnsd_key *k)
{
	dnsd_keystore *ks = dnsd_keystore_new();
	CHECK(ks != NULL);
	CHECK_INT(dnsd_keystore_add(ks, k), 0);
	return ks;
}

/* A query for www.example.org A, ID 0x4242, into buf; its length. */
static size_t mk_query(uint8_t *buf, size_t cap, uint16_t opcode)
{
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = 0x4242, .flags = (uint16_t)(opcode << 11)};
	uint8_t qn[DNSD_NAME_MAX];
	dnsd_name_from_text("www.example.org.", 16, NULL, qn);
	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, qn, DNSD_TYPE_A, DNSD_CLASS_IN);
	int n = dnsd_msg_finish(&b);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

/* ---- forging requests with OpenSSL directly ---- */

typedef struct forge {
	const char *key, *alg; /* text names, written as given */
	uint64_t time;
	uint16_t fudge, error, rclass;
	int mac_len;        /* -1: full */
	bool bad_mac;       /* flip a MAC bit */
	const char *digest; /* OpenSSL digest, "SHA256" */
	const dnsd_key *k;  /* the secret used */
	uint16_t other_len;
} forge;

static size_t put_name_text(uint8_t *p, const char *txt)
{
	int n = dnsd_name_from_text(txt, strlen(txt), root, p);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

/* Appends a TSIG made by f to the message msg/len; the new length. The
 * MAC covers msg, then key name, class, TTL, algorithm (lower-cased),
 * time, fudge, error, other (§4.3.3). */
static size_t forge_tsig(uint8_t *msg, size_t len, const forge *f)
{
	uint8_t d[70000], kn[DNSD_NAME_MAX], an[DNSD_NAME_MAX];
	size_t kl = put_name_text(kn, f->key), al = put_name_text(an, f->alg);
	uint8_t other[8] = {0, 0, 0x65, 0x53, 0xf1, 0x00, 0, 0};
	memcpy(d, msg, len);
	dnsd_wire w;
	dnsd_wire_init_write(&w, d, sizeof d);
	w.pos = len;
	uint8_t lkn[DNSD_NAME_MAX], lan[DNSD_NAME_MAX];
	memcpy(lkn, kn, kl);
	memcpy(lan, an, al);
	dnsd_name_lower(lkn);
	dnsd_name_lower(lan);
	dnsd_wire_put(&w, lkn, kl);
	dnsd_wire_put_u16(&w, f->rclass ? f->rclass : DNSD_CLASS_ANY);
	dnsd_wire_put_u32(&w, 0);
	dnsd_wire_put(&w, lan, al);
	dnsd_wire_put_u16(&w, (uint16_t)(f->time >> 32));
	dnsd_wire_put_u32(&w, (uint32_t)f->time);
	dnsd_wire_put_u16(&w, f->fudge);
	dnsd_wire_put_u16(&w, f->error);
	dnsd_wire_put_u16(&w, f->other_len);
	dnsd_wire_put(&w, other, f->other_len);
	uint8_t mac[64];
	size_t ml = 0;
	CHECK(EVP_Q_mac(NULL, "HMAC", NULL, f->digest, NULL, f->k->secret,
	                f->k->secret_len, d, w.pos, mac, sizeof mac,
	                &ml) != NULL);
	if (f->bad_mac)
		mac[3] ^= 0x10;
	size_t use = f->mac_len < 0 ? ml : (size_t)f->mac_len;

	dnsd_wire_init_write(&w, msg, 4096);
	w.pos = len;
	dnsd_wire_put(&w, kn, kl);
	dnsd_wire_put_u16(&w, DNSD_TYPE_TSIG);
	dnsd_wire_put_u16(&w, f->rclass ? f->rclass : DNSD_CLASS_ANY);
	dnsd_wire_put_u32(&w, 0);
	dnsd_wire_put_u16(&w, (uint16_t)(al + 16 + use + f->other_len));
	dnsd_wire_put(&w, an, al);
	dnsd_wire_put_u16(&w, (uint16_t)(f->time >> 32));
	dnsd_wire_put_u32(&w, (uint32_t)f->time);
	dnsd_wire_put_u16(&w, f->fudge);
	dnsd_wire_put_u16(&w, (uint16_t)use);
	dnsd_wire_put(&w, mac, use);
	dnsd_wire_put_u16(&w, 0x4242);
	dnsd_wire_put_u16(&w, f->error);
	dnsd_wire_put_u16(&w, f->other_len);
	dnsd_wire_put(&w, other, f->other_len);
	CHECK_INT(w.err, 0);
	dnsd_hdr h;
	dnsd_hdr_parse(msg, len, &h);
	dnsd_wire_patch_u16(&w, 10, (uint16_t)(h.arcount + 1));
	return w.pos;
}

static forge default_forge(const dnsd_key *k)
{
	forge f = {.key = KEYNAME ".",
	           .alg = "hmac-sha256.",
	           .time = T0,
	           .fudge = 300,
	           .mac_len = -1,
	           .digest = "SHA256",
	           .k = k};
	return f;
}

/* Verifies a forged request at now; the result, c filled. */
static int verify_forged(dnsd_tsig_ctx *c, dnsd_keystore *ks, uint8_t *msg,
                         size_t len, uint64_t now, unsigned flags)
{
	dnsd_query q;
	int perr = dnsd_query_parse(msg, len, &q);
	CHECK_INT(perr, 0);
	CHECK(q.tsig_offset > 0);
	dnsd_tsig_ctx_init(c);
	return dnsd_tsig_verify_request(c, ks, msg, len, q.tsig_offset, now,
	                                flags);
}

/* The TSIG of a response as written by sign_response. */
static void resp_tsig(const uint8_t *msg, size_t len, dnsd_tsig_rr *t)
{
	dnsd_query q;
	CHECK_INT(dnsd_query_parse(msg, len, &q), 0);
	CHECK(q.tsig_offset > 0);
	memset(t, 0, sizeof *t);
	CHECK_INT(dnsd_tsig_rr_parse(msg, len, q.tsig_offset, t), 0);
}

/* A response to the request in msg: the request turned around. */
static size_t mk_response(const uint8_t *req, size_t qlen, uint8_t *out,
                          size_t cap, int rcode)
{
	dnsd_query q;
	dnsd_query_parse(req, qlen, &q);
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = q.hdr.id,
	              .flags = (uint16_t)(DNSD_FLAG_QR | DNSD_FLAG_AA |
	                                  (q.hdr.flags & 0x7800) | rcode)};
	dnsd_msg_begin(&b, out, cap, &h);
	dnsd_msg_question(&b, q.qname, q.qtype, q.qclass);
	if (rcode == 0) {
		uint8_t a[4] = {192, 0, 2, 80};
		dnsd_msg_section(&b, DNSD_SEC_ANSWER);
		dnsd_msg_rr(&b, q.qname, DNSD_TYPE_A, DNSD_CLASS_IN, 300, a, 4);
	}
	int n = dnsd_msg_finish(&b);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

/* ---- vectors from other implementations ---- */

static uint8_t alg_of(const char *s)
{
	return dnsd_key_alg_from_text(s, strlen(s));
}

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof tsig_vectors / sizeof tsig_vectors[0];
	     i++) {
		const tsig_vector *v = &tsig_vectors[i];
		dnsd_key k = mk_key(v->key, alg_of(v->alg), v->secret);
		dnsd_keystore *ks = store_with(&k);
		dnsd_tsig_ctx c;
		uint8_t req[4096];
		memcpy(req, v->req, v->req_len);
		dnsd_query q;
		CHECK_INT(dnsd_query_parse(req, v->req_len, &q), 0);
		dnsd_tsig_rr t;
		CHECK_INT(
		    dnsd_tsig_rr_parse(req, v->req_len, q.tsig_offset, &t), 0);
		/* the request verifies at its own time signed */
		dnsd_tsig_ctx_init(&c);
		int r = dnsd_tsig_verify_request(&c, ks, req, v->req_len,
		                                 q.tsig_offset, t.time_signed,
		                                 DNSD_TSIG_NO_REPLAY);
		if (r != 0)
			fprintf(stderr, "vector %s: request: error %u\n",
			        v->label, c.error);
		CHECK_INT(r, 0);
		CHECK(c.verified);

		/* and the responses verify as a stream */
		for (size_t j = 0; j < v->nresp; j++) {
			r = dnsd_tsig_verify_response(&c, v->resp[j].p,
			                              v->resp[j].len, v->now);
			if (strcmp(v->flags, "badkey") == 0) {
				CHECK_INT(r, DNSD_ETSIG);
				CHECK_INT(c.error, DNSD_TSIG_BADKEY);
				continue;
			}
			if (r != 0)
				fprintf(stderr,
				        "vector %s: response %zu: error %u\n",
				        v->label, j, c.error);
			CHECK_INT(r, 0);
		}
		if (strcmp(v->flags, "badtime") == 0) {
			/* signed, with named's clock in Other Data */
			dnsd_tsig_rr rt;
			resp_tsig(v->resp[0].p, v->resp[0].len, &rt);
			CHECK_INT(c.error, DNSD_TSIG_BADTIME);
			CHECK_INT(rt.other_len, 6);
			CHECK_INT(rt.time_signed, t.time_signed);
			uint64_t srv = 0;
			for (int b = 0; b < 6 && rt.other; b++)
				srv = srv << 8 | rt.other[b];
			CHECK(srv >= v->now + 990 && srv <= v->now + 1010);
		} else if (strcmp(v->flags, "badkey") != 0) {
			CHECK_INT(c.error, 0);
			CHECK_INT(dnsd_tsig_verify_end(&c), 0);
		}
		dnsd_tsig_ctx_clear(&c);

		/* one flipped bit anywhere in a signed part: refused */
		size_t at[] = {2, q.question_end - 3, v->req_len - 12};
		for (size_t a = 0; a < 3; a++) {
			memcpy(req, v->req, v->req_len);
			req[at[a]] ^= 0x01;
			dnsd_tsig_ctx_init(&c);
			r = dnsd_tsig_verify_request(
			    &c, ks, req, v->req_len, q.tsig_offset,
			    t.time_signed, DNSD_TSIG_NO_REPLAY);
			CHECK_INT(r, DNSD_ETSIG);
			CHECK(!c.verified);
			dnsd_tsig_ctx_clear(&c);
		}
		if (strcmp(v->flags, "badkey") != 0) {
			uint8_t resp[65536];
			const tsig_msg *m = &v->resp[v->nresp - 1];
			memcpy(resp, m->p, m->len);
			/* (not the ID: the digest takes the Original ID; not
			 * letter case in the TSIG's names: canonical form) */
			resp[3] ^= 0x10;
			memcpy(req, v->req, v->req_len);
			dnsd_tsig_ctx_init(&c);
			CHECK_INT(dnsd_tsig_verify_request(
			              &c, ks, req, v->req_len, q.tsig_offset,
			              t.time_signed, DNSD_TSIG_NO_REPLAY),
			          0);
			for (size_t j = 0; j + 1 < v->nresp; j++)
				dnsd_tsig_verify_response(
				    &c, v->resp[j].p, v->resp[j].len, v->now);
			r = dnsd_tsig_verify_response(&c, resp, m->len, v->now);
			/* a changed unsigned last message passes here and
			 * fails at the end */
			CHECK(r != 0 || dnsd_tsig_verify_end(&c) != 0);
			dnsd_tsig_ctx_clear(&c);
		}

		/* dig's requests: our signer writes the same octets */
		if (strncmp(v->label, "dig_", 4) == 0) {
			uint8_t mine[4096];
			memcpy(mine, v->req, q.tsig_offset);
			dnsd_wire w;
			dnsd_wire_init_write(&w, mine, sizeof mine);
			w.pos = DNSD_HDR_LEN;
			dnsd_wire_patch_u16(&w, 10,
			                    (uint16_t)(q.hdr.arcount - 1));
			dnsd_tsig_ctx_init(&c);
			r = dnsd_tsig_sign_request(&c, &k, mine, q.tsig_offset,
			                           sizeof mine, t.time_signed,
			                           t.fudge);
			CHECK_INT(r, (int)v->req_len);
			CHECK(r == (int)v->req_len &&
			      memcmp(mine, v->req, v->req_len) == 0);
			dnsd_tsig_ctx_clear(&c);
		}
		dnsd_keystore_free(ks);
	}
}

/* ---- our own round trips ---- */

static const struct {
	uint8_t alg;
	const char *digest;
	size_t len;
} algs[] = {
    {DNSD_ALG_HMAC_SHA1, "SHA1", 20},     {DNSD_ALG_HMAC_SHA224, "SHA224", 28},
    {DNSD_ALG_HMAC_SHA256, "SHA256", 32}, {DNSD_ALG_HMAC_SHA384, "SHA384", 48},
    {DNSD_ALG_HMAC_SHA512, "SHA512", 64},
};

static void test_round_trip(void)
{
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		dnsd_key k = mk_key(KEYNAME, algs[i].alg, S256);
		dnsd_keystore *ks = store_with(&k);
		uint8_t buf[1024], resp[1024];
		size_t len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
		dnsd_tsig_ctx cl, sv;
		dnsd_tsig_ctx_init(&cl);
		int n = dnsd_tsig_sign_request(&cl, &k, buf, len, sizeof buf,
		                               T0, 300);
		CHECK(n > (int)len);
		CHECK_INT(cl.mac_len, algs[i].len);

		CHECK_INT(verify_forged(&sv, ks, buf, (size_t)n, T0 + 10, 0),
		          0);
		CHECK(sv.verified);
		size_t rl = mk_response(buf, (size_t)n, resp, sizeof resp, 0);
		size_t reserve = dnsd_tsig_reserve(&sv);
		int m = dnsd_tsig_sign_response(&sv, resp, rl, sizeof resp,
		                                T0 + 11);
		CHECK_INT(m, (int)(rl + reserve));
		CHECK_INT(
		    dnsd_tsig_verify_response(&cl, resp, (size_t)m, T0 + 12),
		    0);
		CHECK(cl.last_signed);
		CHECK_INT(cl.error, 0);
		CHECK_INT(dnsd_tsig_verify_end(&cl), 0);

		/* the same request again: a replay, BADTIME, signed */
		dnsd_tsig_ctx sv2;
		CHECK_INT(verify_forged(&sv2, ks, buf, (size_t)n, T0 + 20, 0),
		          DNSD_ETSIG);
		CHECK_INT(sv2.error, DNSD_TSIG_BADTIME);
		CHECK_INT(sv2.rcode, DNSD_RCODE_NOTAUTH);
		CHECK(sv2.verified);
		dnsd_tsig_ctx_clear(&sv2);
		/* ...but not when the replay memory is not asked */
		CHECK_INT(verify_forged(&sv2, ks, buf, (size_t)n, T0 + 20,
		                        DNSD_TSIG_NO_REPLAY),
		          0);
		dnsd_tsig_ctx_clear(&sv2);

		/* the response checked against the wrong request MAC */
		dnsd_tsig_ctx other;
		uint8_t buf2[1024];
		size_t len2 = mk_query(buf2, sizeof buf2, DNSD_OPCODE_QUERY);
		dnsd_tsig_ctx_init(&other);
		dnsd_tsig_sign_request(&other, &k, buf2, len2, sizeof buf2,
		                       T0 + 1, 300);
		CHECK_INT(
		    dnsd_tsig_verify_response(&other, resp, (size_t)m, T0 + 12),
		    DNSD_ETSIG);
		CHECK_INT(other.error, DNSD_TSIG_BADSIG);
		/* a failed stream stays failed */
		CHECK_INT(
		    dnsd_tsig_verify_response(&other, resp, (size_t)m, T0 + 12),
		    DNSD_ETSIG);
		dnsd_tsig_ctx_clear(&other);

		/* the response, too late for the client */
		dnsd_tsig_ctx_init(&cl);
		len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
		n = dnsd_tsig_sign_request(&cl, &k, buf, len, sizeof buf, T0,
		                           300);
		CHECK_INT(verify_forged(&sv, ks, buf, (size_t)n, T0,
		                        DNSD_TSIG_NO_REPLAY),
		          0);
		rl = mk_response(buf, (size_t)n, resp, sizeof resp, 0);
		m = dnsd_tsig_sign_response(&sv, resp, rl, sizeof resp, T0);
		CHECK_INT(
		    dnsd_tsig_verify_response(&cl, resp, (size_t)m, T0 + 301),
		    DNSD_ETSIG);
		CHECK_INT(cl.error, DNSD_TSIG_BADTIME);
		dnsd_tsig_ctx_clear(&cl);
		dnsd_tsig_ctx_clear(&sv);
		dnsd_keystore_free(ks);
	}
}

/* ---- the request checks, one by one ---- */

static void test_request_errors(void)
{
	dnsd_key k = mk_key(KEYNAME, DNSD_ALG_HMAC_SHA256, S256);
	dnsd_keystore *ks = store_with(&k);
	uint8_t buf[4096], resp[4096];
	dnsd_tsig_ctx c;
	size_t len, n;
	forge f;

	/* well-formed: verifies; Error field set in the request: ignored */
	f = default_forge(&k);
	f.time = T0 + 1;
	f.error = DNSD_TSIG_BADSIG;
	f.other_len = 6;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), 0);
	CHECK_INT(c.error, 0);
	dnsd_tsig_ctx_clear(&c);

	/* mixed-case key and algorithm names: canonical in the digest */
	f = default_forge(&k);
	f.key = "Personal._UPDATE.Example.ORG.";
	f.alg = "HMAC-SHA256.";
	f.time = T0 + 2;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), 0);
	dnsd_tsig_ctx_clear(&c);

	/* unknown key: BADKEY, unsigned answer naming the request's key */
	f = default_forge(&k);
	f.key = "other._update.example.org.";
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.rcode, DNSD_RCODE_NOTAUTH);
	CHECK_INT(c.error, DNSD_TSIG_BADKEY);
	CHECK(!c.verified);
	{
		size_t rl =
		    mk_response(buf, n, resp, sizeof resp, DNSD_RCODE_NOTAUTH);
		int m = dnsd_tsig_sign_response(&c, resp, rl, sizeof resp, T0);
		CHECK_INT(m, (int)(rl + dnsd_tsig_reserve(&c)));
		dnsd_tsig_rr t;
		resp_tsig(resp, (size_t)m, &t);
		CHECK_INT(t.mac_len, 0);
		CHECK_INT(t.error, DNSD_TSIG_BADKEY);
		uint8_t want[DNSD_NAME_MAX];
		dnsd_name_from_text("other._update.example.org.", 26, root,
		                    want);
		CHECK(dnsd_name_equal(t.key, want));
	}
	dnsd_tsig_ctx_clear(&c);

	/* known key, other algorithm: BADKEY */
	f = default_forge(&k);
	f.alg = "hmac-sha512.";
	f.digest = "SHA512";
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADKEY);
	dnsd_tsig_ctx_clear(&c);

	/* an algorithm we do not have (hmac-md5): BADKEY */
	f = default_forge(&k);
	f.alg = "hmac-md5.sig-alg.reg.int.";
	f.digest = "MD5";
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADKEY);
	dnsd_tsig_ctx_clear(&c);

	/* no key store at all: BADKEY */
	f = default_forge(&k);
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, NULL, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADKEY);
	dnsd_tsig_ctx_clear(&c);

	/* bad MAC: BADSIG, not verified, answered unsigned */
	f = default_forge(&k);
	f.bad_mac = true;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.rcode, DNSD_RCODE_NOTAUTH);
	CHECK_INT(c.error, DNSD_TSIG_BADSIG);
	CHECK(!c.verified);
	{
		size_t rl =
		    mk_response(buf, n, resp, sizeof resp, DNSD_RCODE_NOTAUTH);
		int m = dnsd_tsig_sign_response(&c, resp, rl, sizeof resp, T0);
		dnsd_tsig_rr t;
		resp_tsig(resp, (size_t)m, &t);
		CHECK_INT(t.mac_len, 0);
		CHECK_INT(t.error, DNSD_TSIG_BADSIG);
	}
	dnsd_tsig_ctx_clear(&c);

	/* wrong secret: BADSIG */
	{
		dnsd_key wrong = mk_key(KEYNAME, DNSD_ALG_HMAC_SHA256,
		                        "cDK6sKyvlt8UBerZlmxuD84ih2KookJGDagJ"
		                        "lLVNo20=");
		f = default_forge(&wrong);
		len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
		n = forge_tsig(buf, len, &f);
		CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
		CHECK_INT(c.error, DNSD_TSIG_BADSIG);
		dnsd_tsig_ctx_clear(&c);
	}

	/* empty MAC with a valid key name (CVE-2017-11104, CVE-2017-3142
	 * shapes): BADSIG, never verified, even with the Error field set
	 * as a server's unsigned error answer would have it */
	for (int e = 0; e < 2; e++) {
		f = default_forge(&k);
		f.mac_len = 0;
		f.error = e ? DNSD_TSIG_BADSIG : 0;
		len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
		n = forge_tsig(buf, len, &f);
		CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
		CHECK_INT(c.rcode, DNSD_RCODE_NOTAUTH);
		CHECK_INT(c.error, DNSD_TSIG_BADSIG);
		CHECK(!c.verified);
		dnsd_tsig_ctx_clear(&c);
	}

	/* MAC longer than the output (a SHA512 MAC cut to 40 under the
	 * name hmac-sha256): FORMERR, nothing to sign with */
	{
		forge g = default_forge(&k);
		g.digest = "SHA512";
		g.mac_len = 40;
		len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
		n = forge_tsig(buf, len, &g);
		CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
		CHECK_INT(c.rcode, DNSD_RCODE_FORMERR);
		CHECK_INT(dnsd_tsig_reserve(&c), 0);
		CHECK(!c.verified);
		dnsd_tsig_ctx_clear(&c);
	}

	/* truncated below the minimum (16 for SHA256): FORMERR */
	f = default_forge(&k);
	f.mac_len = 15;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.rcode, DNSD_RCODE_FORMERR);
	CHECK_INT(dnsd_tsig_reserve(&c), 0);
	dnsd_tsig_ctx_clear(&c);

	/* truncated at the minimum, valid: BADTRUNC, signed; allowed with
	 * DNSD_TSIG_ALLOW_TRUNC; a bad truncated MAC stays BADSIG */
	f = default_forge(&k);
	f.mac_len = 16;
	f.time = T0 + 3;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.rcode, DNSD_RCODE_NOTAUTH);
	CHECK_INT(c.error, DNSD_TSIG_BADTRUNC);
	CHECK(c.verified);
	{
		size_t rl =
		    mk_response(buf, n, resp, sizeof resp, DNSD_RCODE_NOTAUTH);
		int m = dnsd_tsig_sign_response(&c, resp, rl, sizeof resp, T0);
		dnsd_tsig_rr t;
		resp_tsig(resp, (size_t)m, &t);
		CHECK_INT(t.mac_len, 32);
		CHECK_INT(t.error, DNSD_TSIG_BADTRUNC);
	}
	dnsd_tsig_ctx_clear(&c);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, DNSD_TSIG_ALLOW_TRUNC), 0);
	dnsd_tsig_ctx_clear(&c);
	f.bad_mac = true;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADSIG);
	CHECK(!c.verified);
	dnsd_tsig_ctx_clear(&c);

	/* class other than ANY: FORMERR */
	f = default_forge(&k);
	f.rclass = DNSD_CLASS_IN;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0, 0), DNSD_ETSIG);
	CHECK_INT(c.rcode, DNSD_RCODE_FORMERR);
	dnsd_tsig_ctx_clear(&c);

	/* time: inside the fudge on both sides, then outside: BADTIME,
	 * signed over the request's time with ours in Other Data */
	f = default_forge(&k);
	f.time = T0 + 4;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(
	    verify_forged(&c, ks, buf, n, T0 + 4 + 300, DNSD_TSIG_NO_REPLAY),
	    0);
	dnsd_tsig_ctx_clear(&c);
	CHECK_INT(
	    verify_forged(&c, ks, buf, n, T0 + 4 - 300, DNSD_TSIG_NO_REPLAY),
	    0);
	dnsd_tsig_ctx_clear(&c);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0 + 4 + 301, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADTIME);
	CHECK(c.verified);
	{
		size_t rl =
		    mk_response(buf, n, resp, sizeof resp, DNSD_RCODE_NOTAUTH);
		int m = dnsd_tsig_sign_response(&c, resp, rl, sizeof resp,
		                                T0 + 4 + 301);
		CHECK_INT(m, (int)(rl + dnsd_tsig_reserve(&c)));
		dnsd_tsig_rr t;
		resp_tsig(resp, (size_t)m, &t);
		CHECK_INT(t.error, DNSD_TSIG_BADTIME);
		CHECK_INT(t.time_signed, T0 + 4);
		CHECK_INT(t.other_len, 6);
		CHECK(t.other && t.other[5] == (uint8_t)(T0 + 305));
		CHECK_INT(t.mac_len, 32);
	}
	dnsd_tsig_ctx_clear(&c);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0 + 4 - 301, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADTIME);
	CHECK(!c.replayed); /* out of time, not a replay */
	dnsd_tsig_ctx_clear(&c);

	/* key, MAC, time, in that order: a bad MAC far out of time is
	 * BADSIG, an unknown key with a bad MAC is BADKEY */
	f = default_forge(&k);
	f.bad_mac = true;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0 + 100000, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADSIG);
	dnsd_tsig_ctx_clear(&c);
	f.key = "nobody.";
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0 + 100000, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADKEY);
	dnsd_tsig_ctx_clear(&c);

	/* replay: a new request passes once, then BADTIME */
	f = default_forge(&k);
	f.time = T0 + 5;
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_NOTIFY);
	n = forge_tsig(buf, len, &f);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0 + 5, 0), 0);
	CHECK(!c.replayed);
	dnsd_tsig_ctx_clear(&c);
	CHECK_INT(verify_forged(&c, ks, buf, n, T0 + 6, 0), DNSD_ETSIG);
	CHECK_INT(c.error, DNSD_TSIG_BADTIME);
	CHECK(c.replayed); /* said, so that UDP may drop it (dispatch.c) */
	dnsd_tsig_ctx_clear(&c);

	/* the record must parse and end the message */
	f = default_forge(&k);
	len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	n = forge_tsig(buf, len, &f);
	{
		dnsd_query q;
		dnsd_query_parse(buf, n, &q);
		dnsd_tsig_ctx_init(&c);
		CHECK_INT(dnsd_tsig_verify_request(&c, ks, buf, n - 1,
		                                   q.tsig_offset, T0, 0),
		          DNSD_ETSIG);
		CHECK_INT(c.rcode, DNSD_RCODE_FORMERR);
		CHECK_INT(dnsd_tsig_verify_request(&c, ks, buf, n, 0, T0, 0),
		          DNSD_ETSIG);
		CHECK_INT(c.rcode, DNSD_RCODE_FORMERR);
		dnsd_tsig_ctx_clear(&c);
	}
	dnsd_keystore_free(ks);
}

/* ---- multi-message streams ---- */

/* Streams signed by our signer, which signs every message (the signing
 * side of §5.3.1); unsigned messages between signed ones are checked
 * with the vectors (python_stream_unsigned) and here by their limits. */
static void test_streams(void)
{
	dnsd_key k =
	    mk_key("x.1.2.3.4._transfer.example.org", DNSD_ALG_HMAC_SHA384,
	           "ukfSJe6UITaVeN4Pui6ZugfHv3Am2QPkiYxubVFyTjZsmeIY+"
	           "e5QYvNN1Xe08S0x");
	dnsd_keystore *ks = store_with(&k);
	uint8_t req[512], msgs[5][512];
	int mlen[5];
	dnsd_tsig_ctx cl, sv;

	size_t len = mk_query(req, sizeof req, DNSD_OPCODE_QUERY);
	dnsd_tsig_ctx_init(&cl);
	int n = dnsd_tsig_sign_request(&cl, &k, req, len, sizeof req, T0, 300);
	CHECK_INT(verify_forged(&sv, ks, req, (size_t)n, T0, 0), 0);
	for (int i = 0; i < 5; i++) {
		size_t rl =
		    mk_response(req, (size_t)n, msgs[i], sizeof msgs[i], 0);
		mlen[i] = dnsd_tsig_sign_response(&sv, msgs[i], rl,
		                                  sizeof msgs[i], T0 + 1);
		CHECK(mlen[i] > (int)rl);
	}
	CHECK_INT(sv.nmsg, 5);
	dnsd_tsig_ctx_clear(&sv);
	dnsd_tsig_ctx saved = cl;

	for (int i = 0; i < 5; i++)
		CHECK_INT(dnsd_tsig_verify_response(&cl, msgs[i],
		                                    (size_t)mlen[i], T0 + 2),
		          0);
	CHECK_INT(dnsd_tsig_verify_end(&cl), 0);

	/* out of order: the chain breaks */
	cl = saved;
	CHECK_INT(
	    dnsd_tsig_verify_response(&cl, msgs[0], (size_t)mlen[0], T0 + 2),
	    0);
	CHECK_INT(
	    dnsd_tsig_verify_response(&cl, msgs[2], (size_t)mlen[2], T0 + 2),
	    DNSD_ETSIG);

	/* the first message unsigned: refused */
	cl = saved;
	uint8_t plain[512];
	size_t pl = mk_response(req, (size_t)n, plain, sizeof plain, 0);
	CHECK_INT(dnsd_tsig_verify_response(&cl, plain, pl, T0 + 2),
	          DNSD_ETSIG);

	/* after a signed one: 99 unsigned may follow, the 100th not; and
	 * a stream ending unsigned fails at the end */
	cl = saved;
	CHECK_INT(
	    dnsd_tsig_verify_response(&cl, msgs[0], (size_t)mlen[0], T0 + 2),
	    0);
	for (int i = 0; i < DNSD_TSIG_UNSIGNED_MAX; i++)
		CHECK_INT(dnsd_tsig_verify_response(&cl, plain, pl, T0 + 2), 0);
	CHECK_INT(dnsd_tsig_verify_end(&cl), DNSD_ETSIG);
	CHECK_INT(dnsd_tsig_verify_response(&cl, plain, pl, T0 + 2),
	          DNSD_ETSIG);
	dnsd_tsig_ctx_clear(&cl);

	/* an unsigned message slipped into a signed stream: the next MAC
	 * no longer covers what was received */
	cl = saved;
	CHECK_INT(
	    dnsd_tsig_verify_response(&cl, msgs[0], (size_t)mlen[0], T0 + 2),
	    0);
	CHECK_INT(dnsd_tsig_verify_response(&cl, plain, pl, T0 + 2), 0);
	CHECK_INT(
	    dnsd_tsig_verify_response(&cl, msgs[1], (size_t)mlen[1], T0 + 2),
	    DNSD_ETSIG);
	dnsd_tsig_ctx_clear(&cl);
	explicit_bzero(&saved, sizeof saved);
	dnsd_keystore_free(ks);
}

/* Room: a response that does not fit with its TSIG is an error, and
 * nothing is half-written. */
static void test_space(void)
{
	dnsd_key k = mk_key(KEYNAME, DNSD_ALG_HMAC_SHA512, S256);
	uint8_t buf[512];
	size_t len = mk_query(buf, sizeof buf, DNSD_OPCODE_QUERY);
	dnsd_tsig_ctx c;
	dnsd_tsig_ctx_init(&c);
	CHECK_INT(dnsd_tsig_sign_request(&c, &k, buf, len, len + 20, T0, 300),
	          DNSD_ESPACE);
	dnsd_hdr h;
	dnsd_hdr_parse(buf, len, &h);
	CHECK_INT(h.arcount, 0);
	dnsd_tsig_ctx_clear(&c);
	/* an unknown algorithm cannot sign */
	k.alg = 99;
	CHECK_INT(dnsd_tsig_sign_request(&c, &k, buf, len, sizeof buf, T0, 300),
	          DNSD_EINVAL);
	dnsd_tsig_ctx_clear(&c);
	CHECK_STR(dnsd_tsig_error_name(DNSD_TSIG_BADTRUNC), "BADTRUNC");
	CHECK_STR(dnsd_tsig_error_name(9), "NOTAUTH");
	CHECK_INT(dnsd_tsig_alg_get(DNSD_ALG_HMAC_SHA224)->min_len, 14);
	CHECK_INT(dnsd_tsig_alg_get(DNSD_ALG_HMAC_SHA1)->min_len, 10);
	CHECK_INT(dnsd_tsig_alg_get(DNSD_ALG_HMAC_SHA512)->min_len, 32);
}

int main(void)
{
	test_vectors();
	test_round_trip();
	test_request_errors();
	test_streams();
	test_space();
	return tap_done();
}
