/* Fuzz target: TSIG verification, with a fixed key ring (the keys of
 * tests/unit/tsig_vectors.h) and a fixed clock (the time those vectors
 * were made, so their seeds verify).
 *
 * Server side: a request that carries a TSIG is verified; whatever the
 * verdict, the answer the server would send is signed (or not) and must
 * come out exactly dnsd_tsig_reserve() longer; a signed answer must
 * verify on the client side with the request's MAC and carry the same
 * TSIG error; an unsigned one must carry no MAC. Client side: the input
 * as a response (twice, as a stream) to a fixed signed request. */
#include "../unit/tsig_vectors.h"

#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/tsig.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static dnsd_keystore *ring;
static dnsd_tsig_ctx client; /* a signed request waiting for answers */
static uint64_t now;

static void setup(void)
{
	static const uint8_t root[1] = {0};
	ring = dnsd_keystore_new();
	ASSERT(ring);
	for (size_t i = 0; i < sizeof tsig_vectors / sizeof tsig_vectors[0];
	     i++) {
		const tsig_vector *v = &tsig_vectors[i];
		dnsd_key k;
		memset(&k, 0, sizeof k);
		ASSERT(dnsd_name_from_text(v->key, strlen(v->key), root,
		                           k.name) > 0);
		k.alg = dnsd_key_alg_from_text(v->alg, strlen(v->alg));
		int n = dnsd_key_b64_decode(v->secret, strlen(v->secret),
		                            k.secret, sizeof k.secret);
		ASSERT(n > 0);
		k.secret_len = (uint16_t)n;
		(void)dnsd_keystore_add(ring, &k);
	}
	now = tsig_vectors[0].now;

	/* the client's request: a query signed with the first key */
	dnsd_key k;
	uint8_t name[DNSD_NAME_MAX], buf[512];
	ASSERT(dnsd_keystore_name_at(ring, 0, name) == 0);
	ASSERT(dnsd_keystore_get(ring, name, &k) == 0);
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = 0x4242};
	dnsd_msg_begin(&b, buf, sizeof buf, &h);
	dnsd_msg_question(&b, name, 1, 1);
	int len = dnsd_msg_finish(&b);
	ASSERT(len > 0);
	dnsd_tsig_ctx_init(&client);
	ASSERT(dnsd_tsig_sign_request(&client, &k, buf, (size_t)len, sizeof buf,
	                              now, 300) > len);
}

static void server_side(const uint8_t *data, size_t size)
{
	static uint8_t out[65536 + 512];
	dnsd_query q;
	if (dnsd_query_parse(data, size, &q) < 0 || q.tsig_offset == 0)
		return;
	dnsd_tsig_ctx sv;
	dnsd_tsig_ctx_init(&sv);
	unsigned flags = DNSD_TSIG_NO_REPLAY;
	if (size & 1)
		flags |= DNSD_TSIG_ALLOW_TRUNC;
	int r = dnsd_tsig_verify_request(&sv, ring, data, size, q.tsig_offset,
	                                 now, flags);
	ASSERT(r == 0 || r == DNSD_ETSIG);
	ASSERT(r == 0 ? sv.verified && sv.error == 0 && sv.rcode == 0
	              : sv.rcode != 0);
	size_t reserve = dnsd_tsig_reserve(&sv);
	if (reserve == 0) {
		ASSERT(r != 0 && !sv.verified);
		dnsd_tsig_ctx_clear(&sv);
		return;
	}
	/* the answer: the request without its TSIG, turned around */
	memcpy(out, data, q.tsig_offset);
	dnsd_wire w;
	dnsd_wire_init_write(&w, out, sizeof out);
	w.pos = DNSD_HDR_LEN;
	dnsd_wire_patch_u16(&w, 2, (uint16_t)(q.hdr.flags | DNSD_FLAG_QR));
	dnsd_wire_patch_u16(&w, 10, (uint16_t)(q.hdr.arcount - 1));
	int n =
	    dnsd_tsig_sign_response(&sv, out, q.tsig_offset, sizeof out, now);
	ASSERT(n == (int)(q.tsig_offset + reserve));

	dnsd_query rq;
	dnsd_tsig_rr t;
	ASSERT(dnsd_query_parse(out, (size_t)n, &rq) == 0);
	ASSERT(rq.tsig_offset == q.tsig_offset);
	ASSERT(dnsd_tsig_rr_parse(out, (size_t)n, rq.tsig_offset, &t) == 0);
	ASSERT(t.error == sv.error);
	if (!sv.verified) {
		ASSERT(t.mac_len == 0);
	} else {
		/* the client that sent this request accepts the answer */
		dnsd_tsig_ctx cl;
		dnsd_tsig_ctx_init(&cl);
		cl.key = sv.key;
		cl.alg = sv.alg;
		cl.have_key = cl.verified = true;
		/* the prior MAC is the request's, as it came */
		dnsd_tsig_rr qt;
		ASSERT(dnsd_tsig_rr_parse(data, size, q.tsig_offset, &qt) == 0);
		memcpy(cl.mac, qt.mac, qt.mac_len);
		cl.mac_len = qt.mac_len;
		/* after BADTIME the client checks against its own clock,
		 * which the request's time signed shows */
		uint64_t cnow =
		    sv.error == DNSD_TSIG_BADTIME ? qt.time_signed : now;
		ASSERT(dnsd_tsig_verify_response(&cl, out, (size_t)n, cnow) ==
		       0);
		ASSERT(cl.error == sv.error);
		ASSERT(dnsd_tsig_verify_end(&cl) == 0);
		dnsd_tsig_ctx_clear(&cl);
	}
	dnsd_tsig_ctx_clear(&sv);
}

static void client_side(const uint8_t *data, size_t size)
{
	dnsd_tsig_ctx cl = client;
	int r = dnsd_tsig_verify_response(&cl, data, size, now);
	ASSERT(r == 0 || r == DNSD_ETSIG || r == DNSD_EMALFORM);
	if (r == 0) {
		r = dnsd_tsig_verify_response(&cl, data, size, now);
		ASSERT(r == 0 || r == DNSD_ETSIG);
		(void)dnsd_tsig_verify_end(&cl);
	}
	dnsd_tsig_ctx_clear(&cl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ring)
		setup();
	server_side(data, size);
	client_side(data, size);
	/* the record parser at every offset of a short input */
	if (size < 300)
		for (size_t off = 0; off < size; off++) {
			dnsd_tsig_rr t;
			(void)dnsd_tsig_rr_parse(data, size, off, &t);
		}
	return 0;
}
