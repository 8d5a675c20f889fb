/* DNS messages (msg.h): header, the allocation-free query reader, the full
 * parser into an arena, and the builder. All packet access goes through
 * the wire cursor. */
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>

int dnsd_hdr_parse(const uint8_t *pkt, size_t len, dnsd_hdr *h)
{
	dnsd_wire w;
	dnsd_wire_init_read(&w, pkt, len);
	const uint8_t *p = dnsd_wire_take(&w, DNSD_HDR_LEN);
	if (!p) {
		/* what there is of a short header, the rest zeros */
		dnsd_wire_init_read(&w, pkt, len);
		h->id = dnsd_wire_u16(&w);
		h->flags = dnsd_wire_u16(&w);
		h->qdcount = h->ancount = h->nscount = h->arcount = 0;
		return DNSD_EMALFORM;
	}
	/* one bounds check for the six fields: this runs per packet */
	h->id = (uint16_t)(p[0] << 8 | p[1]);
	h->flags = (uint16_t)(p[2] << 8 | p[3]);
	h->qdcount = (uint16_t)(p[4] << 8 | p[5]);
	h->ancount = (uint16_t)(p[6] << 8 | p[7]);
	h->nscount = (uint16_t)(p[8] << 8 | p[9]);
	h->arcount = (uint16_t)(p[10] << 8 | p[11]);
	return 0;
}

/* EDNS fields live in OPT's CLASS (payload) and TTL (RFC 6891 §6.1.3). */
static void edns_read(dnsd_edns *e, uint16_t rclass, uint32_t ttl)
{
	e->present = true;
	e->payload = rclass < 512 ? 512 : rclass;
	e->ext_rcode = (uint8_t)(ttl >> 24);
	e->version = (uint8_t)(ttl >> 16);
	e->flags = (uint16_t)ttl;
}

/* OPT RDATA is a list of {code, length, data} options filling it exactly. */
static bool opt_options_ok(const dnsd_wire *w, size_t at, size_t rdlen)
{
	dnsd_wire o = *w;
	o.pos = at;
	o.len = at + rdlen;
	while (!o.err && o.pos < o.len) {
		(void)dnsd_wire_u16(&o);
		dnsd_wire_skip(&o, dnsd_wire_u16(&o));
	}
	return !o.err;
}

/* The fixed part of a record after its owner. */
typedef struct rr_head {
	uint16_t type, rclass, rdlen;
	uint32_t ttl;
} rr_head;

static void rr_head_read(dnsd_wire *w, rr_head *h)
{
	h->type = dnsd_wire_u16(w);
	h->rclass = dnsd_wire_u16(w);
	h->ttl = dnsd_wire_u32(w);
	h->rdlen = dnsd_wire_u16(w);
	if (dnsd_wire_left(w) < h->rdlen)
		dnsd_wire_fail(w, DNSD_EMALFORM);
}

/* Section of the i-th record after the question. */
static int record_section(const dnsd_hdr *h, unsigned i)
{
	if (i < h->ancount)
		return DNSD_SEC_ANSWER;
	if (i < (unsigned)h->ancount + h->nscount)
		return DNSD_SEC_AUTHORITY;
	return DNSD_SEC_ADDITIONAL;
}

static unsigned record_total(const dnsd_hdr *h)
{
	return (unsigned)h->ancount + h->nscount + h->arcount;
}

/* OPT belongs once, at the root, in the additional section. */
static bool opt_placed_ok(int sec, const uint8_t *owner, bool seen)
{
	return sec == DNSD_SEC_ADDITIONAL && dnsd_name_is_root(owner) && !seen;
}

/* TSIG must be the very last record (RFC 8945 §5.1). */
static bool tsig_placed_ok(const dnsd_hdr *h, int sec, unsigned i)
{
	return sec == DNSD_SEC_ADDITIONAL && i + 1 == record_total(h);
}

/* The general reader: any number of questions and records, compressed
 * names, OPT and TSIG anywhere they may be. */
static int query_parse_full(const uint8_t *pkt, size_t len, dnsd_query *q)
{
	dnsd_wire w;
	dnsd_wire_init_read(&w, pkt, len);
	w.pos = DNSD_HDR_LEN;
	uint8_t name[DNSD_NAME_MAX];
	for (unsigned i = 0; i < q->hdr.qdcount; i++) {
		int n = dnsd_name_from_wire(&w, i == 0 ? q->qname : name);
		uint16_t qtype = dnsd_wire_u16(&w);
		uint16_t qclass = dnsd_wire_u16(&w);
		if (w.err)
			return w.err;
		if (i == 0) {
			q->qname_len = (uint8_t)n;
			q->qtype = qtype;
			q->qclass = qclass;
			q->question_end = w.pos;
		}
	}

	/* The rest only matters for OPT and TSIG: skim it, RDATA unread. */
	unsigned total = record_total(&q->hdr);
	for (unsigned i = 0; i < total; i++) {
		int sec = record_section(&q->hdr, i);
		size_t start = w.pos;
		rr_head h;
		(void)dnsd_name_from_wire(&w, name);
		rr_head_read(&w, &h);
		if (w.err)
			return w.err;
		if (h.type == DNSD_TYPE_OPT) {
			if (!opt_placed_ok(sec, name, q->edns.present) ||
			    !opt_options_ok(&w, w.pos, h.rdlen))
				q->bad_opt = true;
			else
				edns_read(&q->edns, h.rclass, h.ttl);
		} else if (h.type == DNSD_TYPE_TSIG) {
			if (!tsig_placed_ok(&q->hdr, sec, i))
				return DNSD_EMALFORM;
			q->tsig_offset = start;
		}
		dnsd_wire_skip(&w, h.rdlen);
	}
	if (w.err)
		return w.err;
	return w.pos == len ? 0 : DNSD_EMALFORM;
}

static inline uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The query nearly every packet is: one question with an uncompressed
 * name, nothing after it but perhaps a root OPT. Read from one bounds
 * check per part instead of one per field; false (q untouched beyond
 * what the full reader sets again) for anything else. */
static bool query_parse_fast(const uint8_t *pkt, size_t len, dnsd_query *q)
{
	dnsd_wire w;
	dnsd_wire_init_read(&w, pkt, len);
	w.pos = DNSD_HDR_LEN;
	size_t left = len - DNSD_HDR_LEN, n = 0;
	const uint8_t *rest = dnsd_wire_take(&w, left);
	/* plain labels to the root inside the packet; anything else (a
	 * pointer, a bad label, too long) is the general reader's to judge */
	for (uint8_t c; n < left && (c = rest[n]) != 0; n += c + 1u)
		if (c > DNSD_LABEL_MAX || n + c + 1u >= DNSD_NAME_MAX)
			return false;
	if (n >= left || left - n < 5)
		return false;
	n++; /* the root */
	const uint8_t *t = rest + n;
	memcpy(q->qname, rest, n);
	q->qname_len = (uint8_t)n;
	q->qtype = be16_at(t);
	q->qclass = be16_at(t + 2);
	q->question_end = DNSD_HDR_LEN + n + 4;
	left = len - q->question_end;
	if (q->hdr.arcount == 0)
		return left == 0;
	/* root owner, TYPE OPT, CLASS, TTL, RDLENGTH, options */
	const uint8_t *o = t + 4;
	if (left < 11 || o[0] != 0 || be16_at(o + 1) != DNSD_TYPE_OPT ||
	    left != 11u + be16_at(o + 9))
		return false;
	if (left > 11) {
		dnsd_wire ow;
		dnsd_wire_init_read(&ow, o + 11, left - 11);
		if (!opt_options_ok(&ow, 0, left - 11))
			return false;
	}
	edns_read(&q->edns, be16_at(o + 3),
	          (uint32_t)be16_at(o + 5) << 16 | be16_at(o + 7));
	return true;
}

int dnsd_query_parse(const uint8_t *pkt, size_t len, dnsd_query *q)
{
	q->qname[0] = 0;
	q->qname_len = 0;
	q->qtype = q->qclass = 0;
	q->question_end = DNSD_HDR_LEN;
	q->edns = (dnsd_edns){0};
	q->bad_opt = false;
	q->tsig_offset = 0;
	q->msg_len = len;
	int err = dnsd_hdr_parse(pkt, len, &q->hdr);
	if (err) {
		q->hdr = (dnsd_hdr){0};
		return err;
	}
	const dnsd_hdr *h = &q->hdr;
	if (h->qdcount == 1 && h->ancount == 0 && h->nscount == 0 &&
	    h->arcount <= 1 && query_parse_fast(pkt, len, q))
		return 0;
	q->qname[0] = 0;
	q->qname_len = 0;
	q->qtype = q->qclass = 0;
	q->question_end = DNSD_HDR_LEN;
	q->edns = (dnsd_edns){0};
	return query_parse_full(pkt, len, q);
}

/* Reads one record into rr, owner and RDATA copied into the arena. */
static int msg_rr_read(dnsd_wire *w, dnsd_arena *a, dnsd_rr *rr, rr_head *h,
                       uint8_t *owner, uint8_t *scratch, size_t cap)
{
	int n = dnsd_name_from_wire(w, owner);
	rr_head_read(w, h);
	if (w->err)
		return w->err;
	rr->owner = dnsd_arena_memdup(a, owner, (size_t)n);
	rr->type = h->type;
	rr->rclass = h->rclass;
	rr->ttl = h->ttl;
	int len;
	if (h->type == DNSD_TYPE_OPT) {
		/* EDNS options are opaque here; only their framing is checked
		 */
		if (!opt_options_ok(w, w->pos, h->rdlen))
			return DNSD_EMALFORM;
		dnsd_wire_read(w, scratch, h->rdlen);
		len = h->rdlen;
	} else if (h->rdlen == 0 && (h->rclass == DNSD_CLASS_ANY ||
	                             h->rclass == DNSD_CLASS_NONE)) {
		/* UPDATE deletions and prerequisites (RFC 2136 §2.4, §2.5) */
		len = 0;
	} else {
		len = dnsd_rdata_from_wire(h->type, w, h->rdlen, scratch, cap);
		if (len < 0)
			return len;
		if (len > UINT16_MAX)
			return DNSD_EMALFORM;
	}
	if (w->err)
		return w->err;
	rr->rdlen = (uint16_t)len;
	rr->rdata = dnsd_arena_memdup(a, scratch, (size_t)len);
	if (!rr->owner || !rr->rdata)
		return DNSD_ENOMEM;
	return 0;
}

/* Allocates n items of size sz, after checking the message could hold
 * n items of at least min octets each (no huge arrays for bogus counts). */
static void *msg_array(dnsd_arena *a, const dnsd_wire *w, size_t n, size_t sz,
                       size_t min, int *err)
{
	if (n == 0)
		return NULL;
	if (n > dnsd_wire_left(w) / min) {
		*err = DNSD_EMALFORM;
		return NULL;
	}
	void *p = dnsd_arena_alloc(a, n * sz);
	if (!p)
		*err = DNSD_ENOMEM;
	return p;
}

static int msg_questions(dnsd_wire *w, dnsd_arena *a, dnsd_msg *m)
{
	int err = 0;
	m->qd = msg_array(a, w, m->hdr.qdcount, sizeof *m->qd, 5, &err);
	if (err)
		return err;
	uint8_t name[DNSD_NAME_MAX];
	for (unsigned i = 0; i < m->hdr.qdcount; i++) {
		int n = dnsd_name_from_wire(w, name);
		m->qd[i].qtype = dnsd_wire_u16(w);
		m->qd[i].qclass = dnsd_wire_u16(w);
		if (w->err)
			return w->err;
		m->qd[i].qname = dnsd_arena_memdup(a, name, (size_t)n);
		if (!m->qd[i].qname)
			return DNSD_ENOMEM;
	}
	return 0;
}

int dnsd_msg_parse(const uint8_t *pkt, size_t len, dnsd_arena *a, dnsd_msg *m)
{
	*m = (dnsd_msg){0};
	m->opt_index = m->tsig_index = -1;
	int err = dnsd_hdr_parse(pkt, len, &m->hdr);
	if (err)
		return err;
	dnsd_wire w;
	dnsd_wire_init_read(&w, pkt, len);
	w.pos = DNSD_HDR_LEN;
	err = msg_questions(&w, a, m);
	if (err)
		return err;

	const uint16_t counts[3] = {m->hdr.ancount, m->hdr.nscount,
	                            m->hdr.arcount};
	/* a record is at least a root owner and ten octets */
	if (record_total(&m->hdr) > dnsd_wire_left(&w) / 11)
		return DNSD_EMALFORM;
	for (int s = 0; s < 3; s++) {
		m->sec[s] =
		    msg_array(a, &w, counts[s], sizeof(dnsd_rr), 11, &err);
		if (err)
			return err;
	}

	/* RDATA grows when its names are decompressed; a whole RDLENGTH
	 * worth of scratch is the one bound that holds for every type. */
	uint8_t scratch[UINT16_MAX];
	uint8_t owner[DNSD_NAME_MAX];
	unsigned total = record_total(&m->hdr);
	for (unsigned i = 0; i < total; i++) {
		int sec = record_section(&m->hdr, i);
		uint16_t k = m->count[sec];
		dnsd_rr *rr = &m->sec[sec][k];
		size_t start = w.pos;
		rr_head h;
		err =
		    msg_rr_read(&w, a, rr, &h, owner, scratch, sizeof scratch);
		if (err)
			return err;
		if (h.type == DNSD_TYPE_OPT) {
			if (!opt_placed_ok(sec, owner, m->edns.present))
				return DNSD_EMALFORM;
			edns_read(&m->edns, h.rclass, h.ttl);
			m->opt_index = k;
		} else if (h.type == DNSD_TYPE_TSIG) {
			if (!tsig_placed_ok(&m->hdr, sec, i))
				return DNSD_EMALFORM;
			m->tsig_index = k;
			m->tsig_offset = start;
		}
		m->count[sec]++;
	}
	return w.pos == len ? 0 : DNSD_EMALFORM;
}

void dnsd_msg_begin(dnsd_msg_builder *b, uint8_t *buf, size_t cap,
                    const dnsd_hdr *h)
{
	dnsd_wire_init_write(&b->w, buf, cap);
	dnsd_compress_init(&b->comp);
	for (int i = 0; i < 4; i++)
		b->count[i] = 0;
	b->section = DNSD_SEC_ANSWER;
	dnsd_wire_put_u16(&b->w, h->id);
	dnsd_wire_put_u16(&b->w, h->flags);
	for (int i = 0; i < 4; i++)
		dnsd_wire_put_u16(&b->w, 0);
}

void dnsd_msg_question(dnsd_msg_builder *b, const uint8_t *qname,
                       uint16_t qtype, uint16_t qclass)
{
	/* questions come before every record */
	if (b->count[1] || b->count[2] || b->count[3])
		dnsd_wire_fail(&b->w, DNSD_EINVAL);
	dnsd_name_to_wire(&b->w, qname, &b->comp);
	dnsd_wire_put_u16(&b->w, qtype);
	dnsd_wire_put_u16(&b->w, qclass);
	if (!b->w.err)
		b->count[0]++;
}

void dnsd_msg_section(dnsd_msg_builder *b, int section)
{
	if (section < b->section || section > DNSD_SEC_ADDITIONAL)
		dnsd_wire_fail(&b->w, DNSD_EINVAL);
	else
		b->section = section;
}

dnsd_msg_mark dnsd_msg_mark_get(const dnsd_msg_builder *b)
{
	dnsd_msg_mark m = {.pos = b->w.pos,
	                   .comp_count = b->comp.count,
	                   .section = b->section};
	for (int i = 0; i < 4; i++)
		m.count[i] = b->count[i];
	return m;
}

void dnsd_msg_rewind(dnsd_msg_builder *b, dnsd_msg_mark m)
{
	dnsd_wire_rewind(&b->w, m.pos);
	for (int i = 0; i < 4; i++)
		b->count[i] = m.count[i];
	b->comp.count = m.comp_count;
	b->section = m.section;
}

/* Ends a record begun at mark: counts it, or cuts it off when it did not
 * fit. Any other error stays on the cursor for dnsd_msg_finish. */
static int record_end(dnsd_msg_builder *b, dnsd_msg_mark mark)
{
	int err = b->w.err;
	if (err == DNSD_ESPACE)
		dnsd_msg_rewind(b, mark);
	if (err)
		return err;
	b->count[1 + b->section]++;
	return 0;
}

int dnsd_msg_rr(dnsd_msg_builder *b, const uint8_t *owner, uint16_t type,
                uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
                size_t rdlen)
{
	/* an earlier failure (a question that did not fit) stands */
	if (b->w.err)
		return b->w.err;
	dnsd_msg_mark mark = dnsd_msg_mark_get(b);
	dnsd_name_to_wire(&b->w, owner, &b->comp);
	dnsd_wire_put_u16(&b->w, type);
	dnsd_wire_put_u16(&b->w, rclass);
	dnsd_wire_put_u32(&b->w, ttl);
	size_t len_at = b->w.pos;
	dnsd_wire_put_u16(&b->w, 0);
	dnsd_rdata_to_wire(type, rdata, rdlen, &b->w, &b->comp);
	size_t written = b->w.pos - len_at - 2;
	if (!b->w.err && written > UINT16_MAX)
		dnsd_wire_fail(&b->w, DNSD_ESPACE);
	dnsd_wire_patch_u16(&b->w, len_at, (uint16_t)written);
	return record_end(b, mark);
}

int dnsd_msg_opt(dnsd_msg_builder *b, uint16_t payload, uint8_t ext_rcode,
                 uint8_t version, uint16_t flags)
{
	if (b->w.err)
		return b->w.err;
	dnsd_msg_mark mark = dnsd_msg_mark_get(b);
	if (b->section < DNSD_SEC_ADDITIONAL)
		b->section = DNSD_SEC_ADDITIONAL;
	dnsd_wire_put_u8(&b->w, 0);
	dnsd_wire_put_u16(&b->w, DNSD_TYPE_OPT);
	dnsd_wire_put_u16(&b->w, payload);
	dnsd_wire_put_u32(&b->w, (uint32_t)ext_rcode << 24 |
	                             (uint32_t)version << 16 | flags);
	dnsd_wire_put_u16(&b->w, 0);
	return record_end(b, mark);
}

void dnsd_msg_set_flags(dnsd_msg_builder *b, uint16_t flags)
{
	dnsd_wire_patch_u16(&b->w, 2, flags);
}

int dnsd_msg_finish(dnsd_msg_builder *b)
{
	if (b->w.err)
		return b->w.err;
	for (int i = 0; i < 4; i++)
		dnsd_wire_patch_u16(&b->w, 4 + 2 * (size_t)i, b->count[i]);
	return (int)b->w.pos;
}
