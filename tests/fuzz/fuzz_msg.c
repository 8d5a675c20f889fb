/* Fuzz target: message parsing. Every input goes through the query
 * reader and the full parser; a message that parses is rendered back
 * through the builder (in full, then into a small buffer to exercise
 * truncation) and must parse again to the same records. */
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <stdlib.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void check_query(const uint8_t *data, size_t size)
{
	dnsd_query q;
	int r = dnsd_query_parse(data, size, &q);
	ASSERT(r <= 0);
	ASSERT(q.msg_len == size);
	if (r < 0)
		return;
	ASSERT(q.question_end >= DNSD_HDR_LEN && q.question_end <= size);
	ASSERT(q.tsig_offset < size);
	if (q.hdr.qdcount)
		ASSERT(dnsd_name_check(q.qname, q.qname_len) == q.qname_len);
	if (q.edns.present)
		ASSERT(q.edns.payload >= 512);
}

/* Case-insensitive octet comparison: compression may point a name at an
 * earlier one spelt in another case. */
static bool same_folded(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dnsd_lower[a[i]] != dnsd_lower[b[i]])
			return false;
	return true;
}

static void check_rr_same(const dnsd_rr *a, const dnsd_rr *b)
{
	ASSERT(dnsd_name_equal(a->owner, b->owner));
	ASSERT(a->type == b->type && a->rclass == b->rclass &&
	       a->ttl == b->ttl);
	if (a->type == DNSD_TYPE_OPT)
		return; /* the builder writes OPT without options */
	ASSERT(a->rdlen == b->rdlen);
	ASSERT(same_folded(a->rdata, b->rdata, a->rdlen));
}

/* Renders m into buf; returns the builder's result and the number of
 * records that went in (all of them unless the buffer ran out). */
static int render(const dnsd_msg *m, uint8_t *buf, size_t cap, unsigned *added)
{
	dnsd_msg_builder b;
	dnsd_msg_begin(&b, buf, cap, &m->hdr);
	for (unsigned i = 0; i < m->hdr.qdcount; i++)
		dnsd_msg_question(&b, m->qd[i].qname, m->qd[i].qtype,
		                  m->qd[i].qclass);
	*added = 0;
	for (int s = 0; s < 3; s++) {
		dnsd_msg_section(&b, s);
		for (unsigned i = 0; i < m->count[s]; i++) {
			const dnsd_rr *rr = &m->sec[s][i];
			dnsd_msg_mark mk = dnsd_msg_mark_get(&b);
			int r;
			if (rr->type == DNSD_TYPE_OPT)
				r = dnsd_msg_opt(&b, rr->rclass,
				                 (uint8_t)(rr->ttl >> 24),
				                 (uint8_t)(rr->ttl >> 16),
				                 (uint16_t)rr->ttl);
			else
				r = dnsd_msg_rr(&b, rr->owner, rr->type,
				                rr->rclass, rr->ttl, rr->rdata,
				                rr->rdlen);
			if (r == DNSD_ESPACE) {
				/* nothing of the record was left behind */
				ASSERT(b.w.pos == mk.pos);
				ASSERT(b.comp.count == mk.comp_count);
				return dnsd_msg_finish(&b);
			}
			ASSERT(r == 0);
			(*added)++;
		}
	}
	return dnsd_msg_finish(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_query(data, size);

	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	dnsd_msg m;
	int r = dnsd_msg_parse(data, size, &a, &m);
	if (r < 0) {
		dnsd_arena_free(&a);
		return 0;
	}
	unsigned total = (unsigned)m.count[0] + m.count[1] + m.count[2];
	ASSERT(m.count[0] == m.hdr.ancount && m.count[1] == m.hdr.nscount &&
	       m.count[2] == m.hdr.arcount);

	static uint8_t out[65535];
	unsigned added;
	int len = render(&m, out, sizeof out, &added);
	if (len > 0 && added == total) {
		dnsd_msg m2;
		ASSERT(dnsd_msg_parse(out, (size_t)len, &a, &m2) == 0);
		check_query(out, (size_t)len);
		ASSERT(m2.hdr.id == m.hdr.id && m2.hdr.flags == m.hdr.flags);
		ASSERT(m2.hdr.qdcount == m.hdr.qdcount);
		for (unsigned i = 0; i < m.hdr.qdcount; i++)
			ASSERT(dnsd_name_equal(m.qd[i].qname, m2.qd[i].qname));
		for (int s = 0; s < 3; s++) {
			ASSERT(m2.count[s] == m.count[s]);
			for (unsigned i = 0; i < m.count[s]; i++)
				check_rr_same(&m.sec[s][i], &m2.sec[s][i]);
		}
		ASSERT(m2.opt_index == m.opt_index);
		ASSERT(m2.tsig_index == m.tsig_index);
	}

	/* into a buffer cut to a size taken from the input: whatever went
	 * in must still be a well-formed message */
	size_t cap = DNSD_HDR_LEN + (size ? data[size - 1] : 0) * 2;
	static uint8_t small[DNSD_HDR_LEN + 2 * 255];
	len = render(&m, small, cap, &added);
	if (len > 0) {
		dnsd_msg m3;
		ASSERT((size_t)len <= cap);
		ASSERT(dnsd_msg_parse(small, (size_t)len, &a, &m3) == 0);
		ASSERT((unsigned)m3.count[0] + m3.count[1] + m3.count[2] ==
		       added);
	} else {
		ASSERT(len == DNSD_ESPACE);
	}
	dnsd_arena_free(&a);
	return 0;
}
