/* The writer of outgoing zone transfers (xfr.h): AXFR, IXFR and the IXFR
 * "SOA only" answer as a stream of messages, each written by one call.
 *
 * A stream is a short list of steps (one record, a list of a diff, the
 * zone's body) and a position inside the current step, so a message ends
 * wherever the next record does not fit and the next call starts there.
 *
 * The hot path is the AXFR body: the zone keeps each RRset as the wire
 * octets that follow an owner name, so a record is its owner name and one
 * copy, or the fixed part and RDATA through the compressor for the types
 * whose RDATA names may be compressed. Owner names skip the general
 * compressor (dnsd_name_to_wire) in the two cases that make up nearly all
 * of a zone:
 *   - the owner of the previous record again: the form it was written in
 *     (a pointer to it when it is within reach, else the same octets);
 *   - one label above a suffix written before in the message (the names
 *     of one parent follow one another in canonical order): that label
 *     and the suffix's form.
 * Both forms are kept in the writer and are valid anywhere later in the
 * message, since pointers only point back. */
#include <dnsd/err.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfr.h>
#include <stdlib.h>
#include <string.h>

#define PTR_MAX 0x3fff /* the last offset a compression pointer reaches */

/* How names were written in the current message, for the next ones. */
typedef struct owner_cache {
	const uint8_t *name;        /* the last owner, NULL: none yet */
	uint8_t enc[DNSD_NAME_MAX]; /* its form in this message */
	size_t enclen;
	const uint8_t *sfx; /* a suffix written in this message, NULL: none */
	uint8_t sfxenc[DNSD_NAME_MAX];
	size_t sfxenclen;
} owner_cache;

struct dnsd_xfr {
	int kind;
	const dnsd_zone *z;
	dnsd_zdiff **diffs;
	size_t ndiffs;
	uint16_t id, qtype, qclass;
	uint8_t qname[DNSD_NAME_MAX];
	dnsd_xfr_rr soa; /* the zone's, owner its origin */
	/* position: the step, and inside it the list item or the body's
	 * node, RRset and offset of the record in the RRset */
	size_t step;
	size_t item;
	size_t node;
	unsigned set;
	uint32_t off;
	size_t messages, records;
	uint16_t last_type; /* type_compresses' answer for last_type */
	bool last_compress;
	/* the message being written */
	dnsd_msg_builder b;
	owner_cache oc;
};

/* ---- names ---- */

static void enc_ptr(uint8_t *enc, size_t *len, size_t at)
{
	enc[0] = (uint8_t)(0xc0 | at >> 8);
	enc[1] = (uint8_t)at;
	*len = 2;
}

/* The same octets (letter case included), walked label by label: the
 * usual names differ early or are short, and no length is needed. */
static inline bool same_name(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (a[0] != b[0])
			return false;
		if (!a[0])
			return true;
		if (memcmp(a + 1, b + 1, a[0]))
			return false;
		a += a[0] + 1u;
		b += b[0] + 1u;
	}
}

/* Writes an owner name; errors are left on the cursor. */
static void put_owner(dnsd_xfr *x, const uint8_t *name)
{
	dnsd_wire *w = &x->b.w;
	owner_cache *c = &x->oc;
	if (c->name && (name == c->name || same_name(name, c->name))) {
		dnsd_wire_put(w, c->enc, c->enclen);
		c->name = name;
		return;
	}
	size_t start = w->pos;
	size_t l1 = name[0] + 1u;
	if (name[0] && c->sfx &&
	    (name + l1 == c->sfx || same_name(name + l1, c->sfx))) {
		dnsd_wire_put(w, name, l1);
		dnsd_wire_put(w, c->sfxenc, c->sfxenclen);
		c->sfx = name + l1;
	} else {
		dnsd_name_to_wire(w, name, &x->b.comp);
		if (w->err)
			return;
		/* A first label written in full is followed by its
		 * suffix's form: a pointer to that, or the octets. */
		if (name[0] && w->pos - start > 2) {
			size_t at = start + l1, rest = w->pos - at;
			if (rest > 2 && at <= PTR_MAX)
				enc_ptr(c->sfxenc, &c->sfxenclen, at);
			else {
				memcpy(c->sfxenc, w->base + at, rest);
				c->sfxenclen = rest;
			}
			c->sfx = name + l1;
		}
	}
	if (w->err)
		return;
	c->name = name;
	/* a name written as a bare pointer is best repeated as that */
	if (start <= PTR_MAX && w->pos - start > 2)
		enc_ptr(c->enc, &c->enclen, start);
	else {
		c->enclen = w->pos - start;
		memcpy(c->enc, w->base + start, c->enclen);
	}
}

static bool type_compresses(dnsd_xfr *x, uint16_t type)
{
	/* RRsets of one type follow one another (a zone of A records) */
	if (type != x->last_type) {
		const dnsd_rrtype_info *i = dnsd_rrtype_info_get(type);
		x->last_type = type;
		x->last_compress = i && (i->flags & DNSD_RRF_COMPRESS);
	}
	return x->last_compress;
}

/* ---- records ---- */

/* Ends a record begun at mark: counted, or cut off (false) when it did
 * not fit. */
static bool record_end(dnsd_xfr *x, size_t mark, uint16_t comp_count)
{
	dnsd_wire *w = &x->b.w;
	if (w->err) {
		dnsd_wire_rewind(w, mark);
		x->b.comp.count = comp_count;
		return false;
	}
	x->b.count[1]++;
	x->records++;
	return true;
}

/* RDATA through the compressor, its length patched in front of it. */
static void put_rdata_compressed(dnsd_xfr *x, uint16_t type,
                                 const uint8_t *rdata, size_t rdlen)
{
	dnsd_wire *w = &x->b.w;
	size_t at = w->pos;
	dnsd_wire_put_u16(w, 0);
	dnsd_rdata_to_wire(type, rdata, rdlen, w, &x->b.comp);
	dnsd_wire_patch_u16(w, at, (uint16_t)(w->pos - at - 2));
}

/* One record of the zone: owner and its octets TYPE CLASS TTL RDLENGTH
 * RDATA as stored. */
static bool put_stored(dnsd_xfr *x, const uint8_t *owner, uint16_t type,
                       const uint8_t *rec, size_t rdlen, bool compress)
{
	dnsd_wire *w = &x->b.w;
	size_t mark = w->pos;
	uint16_t cc = x->b.comp.count;
	put_owner(x, owner);
	if (!compress)
		dnsd_wire_put(w, rec, 10 + rdlen);
	else {
		dnsd_wire_put(w, rec, 8);
		put_rdata_compressed(x, type, rec + 10, rdlen);
	}
	return record_end(x, mark, cc);
}

static bool put_rr(dnsd_xfr *x, const dnsd_xfr_rr *rr)
{
	dnsd_wire *w = &x->b.w;
	size_t mark = w->pos;
	uint16_t cc = x->b.comp.count;
	put_owner(x, rr->owner);
	dnsd_wire_put_u16(w, rr->type);
	dnsd_wire_put_u16(w, DNSD_CLASS_IN);
	dnsd_wire_put_u32(w, rr->ttl);
	if (type_compresses(x, rr->type))
		put_rdata_compressed(x, rr->type, rr->rdata, rr->rdlen);
	else {
		dnsd_wire_put_u16(w, rr->rdlen);
		dnsd_wire_put(w, rr->rdata, rr->rdlen);
	}
	return record_end(x, mark, cc);
}

/* Every record of the zone but the apex SOA, from the position on; false
 * when the message is full. */
static bool put_body(dnsd_xfr *x)
{
	const dnsd_zone *z = x->z;
	size_t nn = dnsd_zone_node_count(z);
	for (; x->node < nn; x->node++, x->set = 0, x->off = 0) {
		const dnsd_node *n = dnsd_zone_node_at(z, x->node);
		unsigned ns = dnsd_node_rrset_count(n);
		if (!ns)
			continue;
		const uint8_t *owner = dnsd_node_name(n);
		for (; x->set < ns; x->set++, x->off = 0) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, x->set);
			if (x->node == 0 && s->type == DNSD_TYPE_SOA)
				continue;
			bool compress = type_compresses(x, s->type);
			while (x->off < s->size) {
				const uint8_t *r = s->data + x->off;
				size_t rdlen = (size_t)(r[8] << 8 | r[9]);
				if (!put_stored(x, owner, s->type, r, rdlen,
				                compress))
					return false;
				x->off += (uint32_t)(10 + rdlen);
			}
		}
	}
	return true;
}

/* ---- the steps of a stream ---- */

enum { ST_END, ST_ONE, ST_LIST, ST_BODY };

typedef struct xfr_step {
	int what;
	const dnsd_xfr_rr *rr; /* ST_ONE */
	const dnsd_zdiff *d;   /* ST_LIST: the diff's deletions or additions */
	bool added;
} xfr_step;

/* AXFR: SOA, body, SOA. SOA only: SOA. IXFR: SOA, per diff (from-SOA,
 * deletions, to-SOA, additions), SOA. */
static xfr_step step_at(const dnsd_xfr *x, size_t s)
{
	xfr_step st = {.what = ST_END};
	size_t last = x->kind == DNSD_XFR_AXFR   ? 2
	              : x->kind == DNSD_XFR_IXFR ? 4 * x->ndiffs + 1
	                                         : 0;
	if (s > last)
		return st;
	if (s == 0 || s == last) {
		st.what = ST_ONE;
		st.rr = &x->soa;
	} else if (x->kind == DNSD_XFR_AXFR) {
		st.what = ST_BODY;
	} else {
		st.d = x->diffs[(s - 1) / 4];
		switch ((s - 1) % 4) {
		case 0:
			st.what = ST_ONE;
			st.rr = dnsd_zdiff_from_soa(st.d);
			break;
		case 2:
			st.what = ST_ONE;
			st.rr = dnsd_zdiff_to_soa(st.d);
			break;
		default:
			st.what = ST_LIST;
			st.added = (s - 1) % 4 == 3;
		}
	}
	return st;
}

static bool put_list(dnsd_xfr *x, const dnsd_zdiff *d, bool added)
{
	size_t n = added ? dnsd_zdiff_added(d) : dnsd_zdiff_deleted(d);
	for (; x->item < n; x->item++)
		if (!put_rr(x, added ? dnsd_zdiff_added_at(d, x->item)
		                     : dnsd_zdiff_deleted_at(d, x->item)))
			return false;
	return true;
}

/* Records from the position on until the message is full (false) or the
 * stream ends (true). */
static bool put_steps(dnsd_xfr *x)
{
	for (;; x->step++, x->item = 0) {
		xfr_step st = step_at(x, x->step);
		bool more = true;
		switch (st.what) {
		case ST_END:
			return true;
		case ST_ONE:
			more = put_rr(x, st.rr);
			break;
		case ST_LIST:
			more = put_list(x, st.d, st.added);
			break;
		case ST_BODY:
			more = put_body(x);
			break;
		}
		if (!more)
			return false;
	}
}

/* ---- the stream ---- */

static int zone_soa(const dnsd_zone *z, dnsd_xfr_rr *out)
{
	const dnsd_rrset *s = dnsd_node_rrset(dnsd_zone_apex(z), DNSD_TYPE_SOA);
	if (!s)
		return DNSD_EINVAL;
	dnsd_rr_iter it;
	dnsd_rrset_iter(s, &it);
	if (!dnsd_rr_next(&it))
		return DNSD_EINVAL;
	*out = (dnsd_xfr_rr){.owner = dnsd_zone_origin(z),
	                     .type = DNSD_TYPE_SOA,
	                     .ttl = s->ttl,
	                     .rdlen = it.rdlen,
	                     .rdata = it.rdata};
	return 0;
}

/* diffs[0..n) chain to z's serial, all of z's zone. */
static bool chain_ok(const dnsd_zone *z, dnsd_zdiff *const *diffs, size_t n)
{
	if (!diffs || n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!diffs[i] ||
		    !dnsd_name_equal(dnsd_zdiff_to_soa(diffs[i])->owner,
		                     dnsd_zone_origin(z)))
			return false;
		uint32_t to = dnsd_zdiff_to_serial(diffs[i]);
		if (i + 1 < n ? to != dnsd_zdiff_from_serial(diffs[i + 1])
		              : to != dnsd_zone_serial(z))
			return false;
	}
	return true;
}

int dnsd_xfr_new(dnsd_xfr **out, int kind, const dnsd_zone *z,
                 dnsd_zdiff *const *diffs, size_t n, uint16_t id,
                 const uint8_t *qname, uint16_t qtype, uint16_t qclass)
{
	*out = NULL;
	if (!z || !qname ||
	    (kind != DNSD_XFR_AXFR && kind != DNSD_XFR_IXFR &&
	     kind != DNSD_XFR_SOA_ONLY) ||
	    (kind == DNSD_XFR_IXFR && !chain_ok(z, diffs, n)))
		return DNSD_EINVAL;
	dnsd_xfr *x = calloc(1, sizeof *x);
	if (!x)
		return DNSD_ENOMEM;
	int rc = zone_soa(z, &x->soa);
	if (rc) {
		free(x);
		return rc;
	}
	if (kind == DNSD_XFR_IXFR) {
		x->diffs = malloc(n * sizeof *x->diffs);
		if (!x->diffs) {
			free(x);
			return DNSD_ENOMEM;
		}
		memcpy(x->diffs, diffs, n * sizeof *x->diffs);
		x->ndiffs = n;
	}
	x->kind = kind;
	x->z = z;
	x->id = id;
	x->qtype = qtype;
	x->qclass = qclass;
	memcpy(x->qname, qname, dnsd_name_len(qname));
	*out = x;
	return 0;
}

/* The question as the client wrote it, uncompressed. Remembered for
 * compression only when it is the origin octet for octet, so that owner
 * names keep the zone's letter case. */
static void put_question(dnsd_xfr *x)
{
	dnsd_wire *w = &x->b.w;
	size_t at = w->pos, len = dnsd_name_len(x->qname);
	dnsd_wire_put(w, x->qname, len);
	dnsd_wire_put_u16(w, x->qtype);
	dnsd_wire_put_u16(w, x->qclass);
	if (w->err)
		return;
	x->b.count[0] = 1;
	const uint8_t *origin = dnsd_zone_origin(x->z);
	if (len == dnsd_name_len(origin) && !memcmp(x->qname, origin, len))
		dnsd_compress_add(&x->b.comp, w, at, x->qname);
}

int dnsd_xfr_next(dnsd_xfr *x, uint8_t *buf, size_t cap, size_t reserve)
{
	if (step_at(x, x->step).what == ST_END)
		return 0;
	if (cap > UINT16_MAX)
		cap = UINT16_MAX;
	if (cap < reserve || cap - reserve < DNSD_HDR_LEN)
		return DNSD_ESPACE;
	dnsd_hdr h = {.id = x->id, .flags = DNSD_FLAG_QR | DNSD_FLAG_AA};
	dnsd_msg_begin(&x->b, buf, cap - reserve, &h);
	x->oc.name = NULL;
	x->oc.sfx = NULL;
	if (x->messages == 0)
		put_question(x);
	if (x->b.w.err)
		return x->b.w.err;
	(void)put_steps(x);
	if (x->b.count[1] == 0)
		return DNSD_ESPACE;
	int len = dnsd_msg_finish(&x->b);
	if (len > 0)
		x->messages++;
	return len;
}

size_t dnsd_xfr_messages(const dnsd_xfr *x)
{
	return x->messages;
}

size_t dnsd_xfr_records(const dnsd_xfr *x)
{
	return x->records;
}

void dnsd_xfr_free(dnsd_xfr *x)
{
	if (!x)
		return;
	free(x->diffs);
	free(x);
}
