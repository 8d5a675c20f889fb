/* Incoming zone transfers (xfrin.h).
 *
 * An AXFR (or an IXFR answered in the AXFR form) streams its records into
 * a zone builder as they come. An IXFR's sequences are checked against a
 * table of the records they touch, keyed by owner, type and RDATA (a
 * record the version held has, looked up there the first time): a
 * deletion must find the record there, an addition makes it there. The
 * new version is then the held one's untouched records and the table's
 * present ones, built once. */
#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfrin.h>
#include <dnsd/zonefile.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A record an IXFR touched: whether the version it makes has it. */
typedef struct xi_rec {
	const uint8_t *owner;
	uint16_t type, rdlen;
	uint32_t ttl;
	const uint8_t *rdata;
	uint32_t hash;
	bool present;
	struct xi_rec *chain;
} xi_rec;

enum {
	S_FIRST,  /* the first record: the SOA */
	S_SECOND, /* IXFR: what follows it says the form */
	S_AXFR,   /* records of a whole zone, up to the final SOA */
	S_DEL,    /* IXFR: deletions of a sequence, up to its new SOA */
	S_ADD,    /* IXFR: additions, up to the next sequence or the end */
	S_END,    /* the final SOA was read */
};

struct dnsd_xfrin {
	uint8_t origin[DNSD_NAME_MAX];
	uint16_t qtype, id;
	const dnsd_zone *cur;
	dnsd_xfrin_limits lim;
	int state;
	bool failed;
	bool uptodate;        /* IXFR: the SOA alone, not newer */
	dnsd_zone_builder *b; /* the AXFR kinds */
	dnsd_arena a;
	/* the first SOA (the primary's version) */
	uint8_t *soa;
	uint16_t soa_len;
	uint32_t soa_ttl, serial;
	/* IXFR: the serial the sequences reached, and the touched records */
	uint32_t at;
	xi_rec **tab;
	size_t mask, nrec;
	size_t messages, records, bytes;
	char t[DNSD_NAME_TEXT_MAX + 16];
};

static int __attribute__((format(printf, 5, 6)))
fail(dnsd_xfrin *x, int code, char *why, size_t cap, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	x->failed = true;
	return code;
}

/* "NAME TYPE" of a record, for reasons. */
static const char *rr_text(dnsd_xfrin *x, const dnsd_rr *rr)
{
	char tb[16];
	if (dnsd_name_to_text(rr->owner, x->t, DNSD_NAME_TEXT_MAX) < 0)
		strcpy(x->t, "?");
	size_t l = strlen(x->t);
	snprintf(x->t + l, sizeof x->t - l, " %s",
	         dnsd_rrtype_to_text(rr->type, tb));
	return x->t;
}

static uint32_t soa_serial(const dnsd_rr *rr)
{
	uint32_t s = 0, v[4];
	dnsd_soa_fields(rr->rdata, rr->rdlen, &s, &v[0], &v[1], &v[2], &v[3]);
	return s;
}

int dnsd_xfrin_new(const uint8_t *origin, uint16_t qtype, uint16_t id,
                   const dnsd_zone *cur, const dnsd_xfrin_limits *lim,
                   dnsd_xfrin **out)
{
	*out = NULL;
	if (!origin || (qtype != DNSD_TYPE_AXFR && qtype != DNSD_TYPE_IXFR) ||
	    (cur && !dnsd_name_equal(dnsd_zone_origin(cur), origin)))
		return DNSD_EINVAL;
	dnsd_xfrin *x = calloc(1, sizeof *x);
	if (!x)
		return DNSD_ENOMEM;
	memcpy(x->origin, origin, dnsd_name_len(origin));
	x->qtype = qtype;
	x->id = id;
	x->cur = cur;
	if (lim)
		x->lim = *lim;
	dnsd_arena_init(&x->a, 0);
	*out = x;
	return 0;
}

void dnsd_xfrin_free(dnsd_xfrin *x)
{
	if (!x)
		return;
	dnsd_zone_builder_free(x->b);
	dnsd_arena_free(&x->a);
	free(x->tab);
	free(x);
}

/* ---- the records an IXFR touches ---- */

static uint32_t rec_hash(const uint8_t *owner, uint16_t type)
{
	return dnsd_name_hash(owner) * 31u + type;
}

static int tab_grow(dnsd_xfrin *x)
{
	size_t size = x->tab ? (x->mask + 1) * 2 : 256;
	xi_rec **t = calloc(size, sizeof *t);
	if (!t)
		return DNSD_ENOMEM;
	for (size_t i = 0; x->tab && i <= x->mask; i++)
		for (xi_rec *r = x->tab[i], *next; r; r = next) {
			next = r->chain;
			r->chain = t[r->hash & (size - 1)];
			t[r->hash & (size - 1)] = r;
		}
	free(x->tab);
	x->tab = t;
	x->mask = size - 1;
	return 0;
}

static xi_rec *rec_find(dnsd_xfrin *x, const uint8_t *owner, uint16_t type,
                        const uint8_t *rdata, uint16_t rdlen, uint32_t h)
{
	if (!x->tab)
		return NULL;
	for (xi_rec *r = x->tab[h & x->mask]; r; r = r->chain)
		if (r->hash == h && r->type == type &&
		    dnsd_name_equal(r->owner, owner) &&
		    dnsd_rdata_cmp(type, r->rdata, r->rdlen, rdata, rdlen) == 0)
			return r;
	return NULL;
}

/* Is the record in the version held? *ttl its RRset's TTL. */
static bool held(const dnsd_xfrin *x, const dnsd_rr *rr, uint32_t *ttl)
{
	const dnsd_node *n = x->cur ? dnsd_zone_find(x->cur, rr->owner) : NULL;
	const dnsd_rrset *s = n ? dnsd_node_rrset(n, rr->type) : NULL;
	if (!s)
		return false;
	dnsd_rr_iter it;
	dnsd_rrset_iter(s, &it);
	while (dnsd_rr_next(&it))
		if (dnsd_rdata_cmp(rr->type, it.rdata, it.rdlen, rr->rdata,
		                   rr->rdlen) == 0) {
			*ttl = s->ttl;
			return true;
		}
	return false;
}

/* The record's entry, made from the version held when there is none. */
static xi_rec *rec_get(dnsd_xfrin *x, const dnsd_rr *rr)
{
	uint32_t h = rec_hash(rr->owner, rr->type);
	xi_rec *r = rec_find(x, rr->owner, rr->type, rr->rdata, rr->rdlen, h);
	if (r)
		return r;
	if ((!x->tab || x->nrec >= x->mask + 1) && tab_grow(x))
		return NULL;
	r = dnsd_arena_alloc(&x->a, sizeof *r);
	if (!r)
		return NULL;
	*r = (xi_rec){
	    .owner =
	        dnsd_arena_memdup(&x->a, rr->owner, dnsd_name_len(rr->owner)),
	    .type = rr->type,
	    .rdlen = rr->rdlen,
	    .rdata = dnsd_arena_memdup(&x->a, rr->rdata, rr->rdlen + 1u),
	    .hash = h};
	if (!r->owner || !r->rdata)
		return NULL;
	r->present = held(x, rr, &r->ttl);
	r->chain = x->tab[h & x->mask];
	x->tab[h & x->mask] = r;
	x->nrec++;
	return r;
}

/* ---- reading ---- */

/* Every record but a SOA in its place: IN, a data type, in the zone. */
static int check_rr(dnsd_xfrin *x, const dnsd_rr *rr, char *why, size_t cap)
{
	const dnsd_rrtype_info *info = dnsd_rrtype_info_get(rr->type);
	if (rr->rclass != DNSD_CLASS_IN)
		return fail(x, DNSD_EMALFORM, why, cap, "%s: class %u, not IN",
		            rr_text(x, rr), rr->rclass);
	if (rr->type == 0 || rr->type == DNSD_TYPE_OPT ||
	    (rr->type >= 128 && rr->type <= 255) ||
	    (info && (info->flags & DNSD_RRF_META)))
		return fail(x, DNSD_EMALFORM, why, cap, "%s: not a data type",
		            rr_text(x, rr));
	if (!dnsd_name_is_subdomain(rr->owner, x->origin))
		return fail(x, DNSD_EMALFORM, why, cap, "%s: outside the zone",
		            rr_text(x, rr));
	return 0;
}

static int axfr_add(dnsd_xfrin *x, const dnsd_rr *rr)
{
	return dnsd_zone_builder_add_in(x->b, rr->owner, rr->type, rr->ttl,
	                                rr->rdata, rr->rdlen);
}

/* The whole-zone form from here on (the first SOA in the zone): not a
 * version older than the one held. */
static int axfr_begin(dnsd_xfrin *x, char *why, size_t cap)
{
	uint32_t have = x->cur ? dnsd_zone_serial(x->cur) : 0;
	if (x->cur && x->serial != have && !dnsd_serial_gt(x->serial, have))
		return fail(x, DNSD_EMALFORM, why, cap,
		            "serial %u is older than the %u held", x->serial,
		            have);
	x->b = dnsd_zone_builder_new(x->origin);
	if (!x->b)
		return DNSD_ENOMEM;
	dnsd_rr soa = {.owner = x->origin,
	               .type = DNSD_TYPE_SOA,
	               .rclass = DNSD_CLASS_IN,
	               .ttl = x->soa_ttl,
	               .rdlen = x->soa_len,
	               .rdata = x->soa};
	x->state = S_AXFR;
	return axfr_add(x, &soa);
}

static bool soa_is_first(const dnsd_xfrin *x, const dnsd_rr *rr)
{
	return rr->rdlen == x->soa_len &&
	       dnsd_rdata_cmp(DNSD_TYPE_SOA, rr->rdata, rr->rdlen, x->soa,
	                      x->soa_len) == 0;
}

/* One record of the answer, in the state the ones before left. */
static int one(dnsd_xfrin *x, const dnsd_rr *rr, char *why, size_t cap)
{
	bool soa = rr->type == DNSD_TYPE_SOA;
	if (x->state == S_END)
		return fail(x, DNSD_EMALFORM, why, cap,
		            "%s after the final SOA", rr_text(x, rr));
	if (++x->records > x->lim.max_records && x->lim.max_records)
		return fail(x, DNSD_ETOOMANY, why, cap,
		            "more than %zu records (xfr-max-records)",
		            x->lim.max_records);
	if (soa && (!dnsd_name_equal(rr->owner, x->origin) ||
	            rr->rclass != DNSD_CLASS_IN))
		return fail(x, DNSD_EMALFORM, why, cap,
		            "a SOA of %s, not of the zone's apex",
		            rr_text(x, rr));
	if (!soa && check_rr(x, rr, why, cap))
		return DNSD_EMALFORM;
	switch (x->state) {
	case S_FIRST: {
		if (!soa)
			return fail(x, DNSD_EMALFORM, why, cap,
			            "the first record is %s, not the SOA",
			            rr_text(x, rr));
		x->soa = dnsd_arena_memdup(&x->a, rr->rdata, rr->rdlen + 1u);
		if (!x->soa)
			return DNSD_ENOMEM;
		x->soa_len = rr->rdlen;
		x->soa_ttl = rr->ttl;
		x->serial = soa_serial(rr);
		if (x->qtype == DNSD_TYPE_AXFR)
			return axfr_begin(x, why, cap);
		x->state = S_SECOND;
		return 0;
	}
	case S_SECOND:
		if (!soa) {
			int r = axfr_begin(x, why, cap);
			return r ? r : axfr_add(x, rr);
		}
		if (!x->cur || soa_serial(rr) != dnsd_zone_serial(x->cur))
			return fail(x, DNSD_EINVAL, why, cap,
			            "the first sequence starts at serial %u, "
			            "not at the %u held",
			            soa_serial(rr),
			            x->cur ? dnsd_zone_serial(x->cur) : 0);
		if (!dnsd_serial_gt(x->serial, dnsd_zone_serial(x->cur)))
			return fail(x, DNSD_EMALFORM, why, cap,
			            "differences to serial %u, not newer than "
			            "the %u held",
			            x->serial, dnsd_zone_serial(x->cur));
		x->at = soa_serial(rr);
		x->state = S_DEL;
		return 0;
	case S_AXFR:
		if (!soa)
			return axfr_add(x, rr);
		if (!soa_is_first(x, rr))
			return fail(x, DNSD_EMALFORM, why, cap,
			            "a SOA inside the zone that is not the "
			            "first one");
		x->state = S_END;
		return 0;
	case S_DEL:
		if (soa) {
			uint32_t to = soa_serial(rr);
			if (!dnsd_serial_gt(to, x->at))
				return fail(x, DNSD_EMALFORM, why, cap,
				            "a sequence from serial %u to %u, "
				            "not forward",
				            x->at, to);
			x->at = to;
			x->state = S_ADD;
			return 0;
		} else {
			xi_rec *r = rec_get(x, rr);
			if (!r)
				return DNSD_ENOMEM;
			if (!r->present)
				return fail(x, DNSD_EINVAL, why, cap,
				            "deletes %s, which is not there",
				            rr_text(x, rr));
			r->present = false;
			return 0;
		}
	case S_ADD:
		if (soa) {
			uint32_t s = soa_serial(rr);
			if (x->at == x->serial && soa_is_first(x, rr)) {
				x->state = S_END;
				return 0;
			}
			if (s != x->at)
				return fail(x, DNSD_EINVAL, why, cap,
				            "a sequence starts at serial %u, "
				            "the one before ended at %u",
				            s, x->at);
			x->state = S_DEL;
			return 0;
		} else {
			xi_rec *r = rec_get(x, rr);
			if (!r)
				return DNSD_ENOMEM;
			r->present = true;
			r->ttl = rr->ttl;
			return 0;
		}
	}
	return fail(x, DNSD_EINVAL, why, cap, "bad state");
}

int dnsd_xfrin_feed(dnsd_xfrin *x, const dnsd_msg *m, size_t len, char *why,
                    size_t cap)
{
	char qb[DNSD_NAME_TEXT_MAX];
	if (why && cap)
		why[0] = 0;
	if (!x || !m || x->failed || x->state == S_END)
		return DNSD_EINVAL;
	x->messages++;
	x->bytes += len;
	if (x->lim.max_bytes && x->bytes > x->lim.max_bytes)
		return fail(x, DNSD_ETOOMANY, why, cap,
		            "more than %zu octets (xfr-max-bytes)",
		            x->lim.max_bytes);
	if (!(m->hdr.flags & DNSD_FLAG_QR) || m->hdr.id != x->id ||
	    DNSD_OPCODE(m->hdr.flags) != DNSD_OPCODE_QUERY)
		return fail(x, DNSD_EMALFORM, why, cap,
		            "message %zu is not a response to the request (ID "
		            "%u, opcode %u)",
		            x->messages, m->hdr.id, DNSD_OPCODE(m->hdr.flags));
	int rcode = DNSD_RCODE(m->hdr.flags);
	if (rcode != DNSD_RCODE_NOERROR)
		return fail(x, DNSD_ENOTSUP, why, cap,
		            "rcode %d in message %zu", rcode, x->messages);
	if (m->hdr.qdcount > 1 || (x->messages == 1 && m->hdr.qdcount != 1) ||
	    (m->hdr.qdcount == 1 &&
	     (!dnsd_name_equal(m->qd[0].qname, x->origin) ||
	      m->qd[0].qtype != x->qtype)))
		return fail(
		    x, DNSD_EMALFORM, why, cap,
		    "message %zu: a question other than %s %s", x->messages,
		    dnsd_name_to_text(x->origin, qb, sizeof qb) < 0 ? "?" : qb,
		    x->qtype == DNSD_TYPE_AXFR ? "AXFR" : "IXFR");
	if (m->count[DNSD_SEC_ANSWER] == 0 && x->state == S_FIRST)
		return fail(x, DNSD_EMALFORM, why, cap, "an empty answer");
	for (size_t i = 0; i < m->count[DNSD_SEC_ANSWER]; i++) {
		int r = one(x, &m->sec[DNSD_SEC_ANSWER][i], why, cap);
		if (r)
			return x->failed ? r
			                 : fail(x, r, why, cap, "%s",
			                        dnsd_strerror(r));
	}
	if (x->state == S_SECOND) {
		/* the SOA alone: up to date, or an IXFR the server did not
		 * make (too large for it, or condensed): AXFR then */
		uint32_t have = x->cur ? dnsd_zone_serial(x->cur) : 0;
		if (x->cur && !dnsd_serial_gt(x->serial, have)) {
			x->state = S_END;
			x->uptodate = true;
			return 0;
		}
		return fail(x, DNSD_EINVAL, why, cap,
		            "the SOA alone, serial %u newer than the %u held",
		            x->serial, have);
	}
	return x->state == S_END ? 0 : DNSD_XFRIN_MORE;
}

/* ---- the new version ---- */

static int feed_rr(dnsd_zone_builder *b, const uint8_t *owner, uint16_t type,
                   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	return dnsd_zone_builder_add_in(b, owner, type, ttl, rdata, rdlen);
}

/* The held version's untouched records, the table's present ones and
 * the final SOA. */
static int ixfr_feed(dnsd_xfrin *x, dnsd_zone_builder *b)
{
	int rc = feed_rr(b, x->origin, DNSD_TYPE_SOA, x->soa_ttl, x->soa,
	                 x->soa_len);
	size_t nn = dnsd_zone_node_count(x->cur);
	for (size_t i = 0; i < nn && !rc; i++) {
		const dnsd_node *n = dnsd_zone_node_at(x->cur, i);
		const uint8_t *name = dnsd_node_name(n);
		bool apex = i == 0;
		for (unsigned k = 0; k < dnsd_node_rrset_count(n) && !rc; k++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, k);
			if (apex && s->type == DNSD_TYPE_SOA)
				continue;
			uint32_t h = rec_hash(name, s->type);
			dnsd_rr_iter it;
			dnsd_rrset_iter(s, &it);
			while (!rc && dnsd_rr_next(&it))
				if (!rec_find(x, name, s->type, it.rdata,
				              it.rdlen, h))
					rc = feed_rr(b, name, s->type, s->ttl,
					             it.rdata, it.rdlen);
		}
	}
	for (size_t i = 0; x->tab && i <= x->mask && !rc; i++)
		for (xi_rec *r = x->tab[i]; r && !rc; r = r->chain)
			if (r->present)
				rc = feed_rr(b, r->owner, r->type, r->ttl,
				             r->rdata, r->rdlen);
	return rc;
}

int dnsd_xfrin_finish(dnsd_xfrin *x, dnsd_xfrin_result *res, char *why,
                      size_t cap)
{
	if (why && cap)
		why[0] = 0;
	*res = (dnsd_xfrin_result){0};
	if (!x || x->failed || x->state != S_END)
		return DNSD_EINVAL;
	res->serial = x->serial;
	res->messages = x->messages;
	res->records = x->records;
	res->bytes = x->bytes;
	if (x->uptodate) {
		res->kind = DNSD_XFRIN_UPTODATE;
		return 0;
	}
	dnsd_zone_builder *b = x->b;
	x->b = NULL;
	res->kind = b ? DNSD_XFRIN_AXFR : DNSD_XFRIN_IXFR;
	if (!b) {
		if (!(b = dnsd_zone_builder_new(x->origin)))
			return DNSD_ENOMEM;
		int rc = ixfr_feed(x, b);
		if (rc) {
			dnsd_zone_builder_free(b);
			return rc;
		}
	}
	char msg[160];
	int rc = dnsd_zone_builder_finish_why(b, msg, sizeof msg, &res->zone);
	if (rc == DNSD_EZONE || rc == DNSD_ETOOMANY) {
		if (why && cap)
			snprintf(why, cap,
			         "the new version fails the zone checks: %s",
			         msg[0] ? msg : dnsd_strerror(rc));
		return DNSD_EZONE;
	}
	if (rc)
		return rc;
	if (dnsd_zone_check_limits(res->zone, &x->lim.sizes, msg, sizeof msg) <
	    0) {
		if (why && cap)
			snprintf(why, cap, "the new version: %s", msg);
		dnsd_zone_unref(res->zone);
		res->zone = NULL;
		return DNSD_ETOOMANY;
	}
	if (res->kind == DNSD_XFRIN_IXFR &&
	    (rc = dnsd_zdiff_compute(x->cur, res->zone, &res->diff)) < 0) {
		dnsd_zone_unref(res->zone);
		res->zone = NULL;
		return rc;
	}
	return 0;
}
