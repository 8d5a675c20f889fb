/* The answer engine (answer.h): one pass that writes the response straight
 * into the caller's buffer. Names are looked up once per step; RRsets come
 * from the zone store's ready-to-copy octets, copied whole when their
 * RDATA has no compressible names. Nothing here allocates: the state of
 * one answer lives on the stack. */
#include <dnsd/answer.h>
#include <dnsd/rrtype.h>
#include <dnsd/wire.h>

#define OPT_LEN   11  /* root owner, TYPE, CLASS, TTL, RDLENGTH 0 */
#define ADDL_MAX  32  /* targets followed up in the additional section */
#define UDP_PLAIN 512 /* RFC 1035 §4.2.1 without EDNS */
#define PTR_MAX   0x3fff

/* RDATA layout of the types whose names may be compressed on output: the
 * RFC 1035 types that RFC 3597 §4 freezes (NS MD MF CNAME SOA MB MG MR PTR
 * MINFO MX). Octets before the names, names, octets after. A table
 * indexed by type, as the set is closed and this runs per record. */
typedef struct rdata_shape {
	uint8_t pre, names, post;
} rdata_shape;

static const rdata_shape shapes[16] = {
    [DNSD_TYPE_NS] = {0, 1, 0},
    [3] = {0, 1, 0}, /* MD */
    [4] = {0, 1, 0}, /* MF */
    [DNSD_TYPE_CNAME] = {0, 1, 0},
    [DNSD_TYPE_SOA] = {0, 2, 20},
    [7] = {0, 1, 0}, /* MB */
    [8] = {0, 1, 0}, /* MG */
    [9] = {0, 1, 0}, /* MR */
    [DNSD_TYPE_PTR] = {0, 1, 0},
    [14] = {0, 2, 0}, /* MINFO */
    [DNSD_TYPE_MX] = {2, 1, 0},
};

static inline const rdata_shape *type_shape(uint16_t type)
{
	return type < 16 && shapes[type].names ? &shapes[type] : NULL;
}

/* Where the name whose addresses go in the additional section starts in
 * the RDATA of NS, MX and SRV; -1 for other types. */
static inline int target_offset(uint16_t type)
{
	switch (type) {
	case DNSD_TYPE_NS:
		return 0;
	case DNSD_TYPE_MX:
		return 2;
	case DNSD_TYPE_SRV:
		return 6;
	default:
		return -1;
	}
}

static inline void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

enum {
	ADDL_NS = 1 << 0,       /* from an NS RRset: glue may be used */
	ADDL_REQUIRED = 1 << 1, /* in-domain glue of a referral (RFC 9471) */
	ADDL_REFERRAL = 1 << 2, /* from a referral: the zone's own data only */
};

typedef struct addl_item {
	const uint8_t *name;   /* target, in zone data */
	const dnsd_zone *zone; /* zone of the RRset that named it */
	uint16_t ptr;          /* the name's offset in the message, or 0 */
	uint8_t flags;
} addl_item;

/* One answer in progress. w.len is the room for records: the size limit
 * minus the OPT record kept in reserve, so running out of it means the
 * RRset does not fit. */
typedef struct ans {
	dnsd_wire w;
	dnsd_compress comp;
	bool comp_ready; /* the question's name is in comp */
	uint16_t count[3];
	uint16_t qdcount;
	uint16_t flags;
	uint8_t rcode;
	bool tc; /* something required did not fit: stop adding */
	bool tcp;
	const dnsd_zonedb *db;
	const dnsd_query *q;
	size_t rdata_off; /* where the last record's RDATA went */
	int referral_cut; /* while writing a referral's NS: the cut as a
	                     suffix of key, else -1 */
	unsigned naddl;
	addl_item addl[ADDL_MAX];
	dnsd_name_key key; /* the name being resolved, for the lookups */
} ans;

/* The offset a compression pointer to the name written at `at` should
 * use: `at` itself when a label starts there, the pointer's target when
 * the name was compressed to a pointer (no pointer to a pointer), 0 when
 * unusable. */
static uint16_t name_ptr_at(const ans *a, size_t at)
{
	dnsd_wire r;
	dnsd_wire_init_read(&r, a->w.base, a->w.pos);
	r.pos = at;
	uint8_t b = dnsd_wire_u8(&r);
	if (b >= 0xc0) {
		uint8_t lo = dnsd_wire_u8(&r);
		return r.err ? 0 : (uint16_t)((b & 0x3f) << 8 | lo);
	}
	if (r.err || b == 0 || at > PTR_MAX)
		return 0;
	return (uint16_t)at;
}

/* How many octets of name (len octets) come before suffix i of k (the
 * origin, a cut), or -1 when name does not end with it. *last learns the
 * label right before the suffix (NULL when name is the suffix). */
static int before_suffix(const uint8_t *name, size_t len,
                         const dnsd_name_key *k, unsigned i,
                         const uint8_t **last)
{
	size_t olen = (size_t)k->len - k->off[i];
	if (len < olen)
		return -1;
	size_t at = 0, end = len - olen;
	*last = NULL;
	while (at < end) {
		*last = name + at;
		at += name[at] + 1u;
	}
	if (at != end || !dnsd_name_key_match(k, i, name + at, olen))
		return -1;
	return (int)at;
}

/* The suffix of k that is len octets long, or -1. */
static int key_suffix(const dnsd_name_key *k, size_t len)
{
	for (unsigned i = 0; i <= k->labels; i++)
		if ((size_t)k->len - k->off[i] == len)
			return (int)i;
	return -1;
}

/* The offset of a suffix (an ancestor) of the name at message offset ptr,
 * found by walking its labels in the message: the zone origin for a SOA,
 * the cut for a referral, without running the compressor. 0 when there is
 * no such offset (the root, a name not in the message). */
static uint16_t suffix_ptr(const ans *a, uint16_t ptr, const uint8_t *name,
                           const uint8_t *suffix)
{
	/* the question as it came: the key of the name knows its labels */
	if (ptr == DNSD_HDR_LEN && name == a->q->qname) {
		int i = key_suffix(&a->key, dnsd_name_len(suffix));
		return i < 0 ? 0 : (uint16_t)(DNSD_HDR_LEN + a->key.off[i]);
	}
	int skip = dnsd_name_labels(name) - dnsd_name_labels(suffix);
	if (!ptr || skip < 0)
		return 0;
	dnsd_wire r;
	dnsd_wire_init_read(&r, a->w.base, a->w.pos);
	r.pos = ptr;
	/* our own pointers only go backwards; the bound is for safety */
	for (int steps = 0; steps < DNSD_NAME_MAX && !r.err; steps++) {
		size_t at = r.pos;
		uint8_t c = dnsd_wire_u8(&r);
		if (c >= 0xc0) {
			size_t to = (size_t)(c & 0x3f) << 8 | dnsd_wire_u8(&r);
			if (to >= at)
				return 0;
			r.pos = to;
			continue;
		}
		if (c == 0 || c > DNSD_LABEL_MAX)
			return 0;
		if (skip-- == 0)
			return at <= PTR_MAX ? (uint16_t)at : 0;
		dnsd_wire_skip(&r, c);
	}
	return 0;
}

/* The compression state, the question's name put in on first use: most
 * answers (an owner that is the question, RDATA without names) never
 * compress anything. */
static dnsd_compress *comp(ans *a)
{
	if (!a->comp_ready) {
		dnsd_compress_add(&a->comp, &a->w, DNSD_HDR_LEN, a->q->qname);
		a->comp_ready = true;
	}
	return &a->comp;
}

/* Owner name: a pointer when the name is already in the message, else the
 * name compressed; *ptr learns where it went for the next records. */
static void put_owner(ans *a, const uint8_t *name, uint16_t *ptr)
{
	if (*ptr) {
		dnsd_wire_put_u16(&a->w, (uint16_t)(0xc000 | *ptr));
		return;
	}
	size_t at = a->w.pos;
	dnsd_name_to_wire(&a->w, name, comp(a));
	*ptr = name_ptr_at(a, at);
}

static void queue_target(ans *a, uint16_t type, const uint8_t *rdata,
                         uint16_t rdlen, const dnsd_zone *z)
{
	int off = target_offset(type);
	if (a->naddl == ADDL_MAX || off < 0 || rdlen <= off)
		return;
	addl_item *it = &a->addl[a->naddl++];
	it->name = rdata + off;
	it->zone = z;
	it->ptr = name_ptr_at(a, a->rdata_off + (size_t)off);
	it->flags = 0;
	if (type == DNSD_TYPE_NS) {
		it->flags |= ADDL_NS;
		const uint8_t *last;
		if (a->referral_cut < 0)
			return;
		it->flags |= ADDL_REFERRAL;
		if (before_suffix(it->name, dnsd_name_len(it->name), &a->key,
		                  (unsigned)a->referral_cut, &last) >= 0)
			it->flags |= ADDL_REQUIRED;
	}
}

/* RDATA of a compressible type, names compressed: the store's names are
 * valid and uncompressed, so they go to the compressor as they are. Falls
 * back to the rrtype module when the octets do not fit the shape. */
static void put_rdata_compressed(ans *a, uint16_t type, const rdata_shape *sh,
                                 const uint8_t *rdata, uint16_t rdlen)
{
	dnsd_wire r;
	dnsd_wire_init_read(&r, rdata, rdlen);
	const uint8_t *pre = dnsd_wire_take(&r, sh->pre);
	const uint8_t *names[2];
	for (unsigned i = 0; i < sh->names; i++) {
		int n = dnsd_name_check(rdata + r.pos, dnsd_wire_left(&r));
		names[i] = n > 0 ? dnsd_wire_take(&r, (size_t)n) : NULL;
		if (!names[i])
			dnsd_wire_fail(&r, DNSD_EMALFORM);
	}
	const uint8_t *post = dnsd_wire_take(&r, sh->post);
	if (r.err || r.pos != rdlen) {
		dnsd_rdata_to_wire(type, rdata, rdlen, &a->w, comp(a));
		return;
	}
	dnsd_wire_put(&a->w, pre, sh->pre);
	for (unsigned i = 0; i < sh->names; i++)
		dnsd_name_to_wire(&a->w, names[i], comp(a));
	dnsd_wire_put(&a->w, post, sh->post);
}

/* Writes one record of an RRset; r is a read cursor over the RRset's
 * octets at the record's TYPE. ttl_cap lowers the TTL (negative answers). */
static void put_record(ans *a, dnsd_wire *r, uint16_t type, uint32_t ttl_cap,
                       const uint8_t **rdata, uint16_t *rdlen)
{
	const uint8_t *rec = dnsd_wire_take(r, 10);
	*rdlen = rec ? (uint16_t)(rec[8] << 8 | rec[9]) : 0;
	*rdata = dnsd_wire_take(r, *rdlen);
	if (r->err) {
		dnsd_wire_fail(&a->w, DNSD_EMALFORM);
		return;
	}
	const rdata_shape *sh = type_shape(type);
	if (!sh) {
		/* Names in these RDATA go out as stored: one copy. */
		a->rdata_off = a->w.pos + 10;
		dnsd_wire_put(&a->w, rec, 10 + (size_t)*rdlen);
		return;
	}
	/* TYPE CLASS TTL (capped) and a RDLENGTH patched once known */
	uint8_t head[10];
	memcpy(head, rec, 4);
	uint32_t ttl = (uint32_t)rec[4] << 24 | (uint32_t)rec[5] << 16 |
	               (uint32_t)rec[6] << 8 | rec[7];
	if (ttl > ttl_cap)
		ttl = ttl_cap;
	be16(head + 4, (uint16_t)(ttl >> 16));
	be16(head + 6, (uint16_t)ttl);
	head[8] = head[9] = 0;
	size_t len_at = a->w.pos + 8;
	dnsd_wire_put(&a->w, head, sizeof head);
	a->rdata_off = a->w.pos;
	put_rdata_compressed(a, type, sh, *rdata, *rdlen);
	dnsd_wire_patch_u16(&a->w, len_at, (uint16_t)(a->w.pos - a->rdata_off));
}

/* The common RRset: its owner already in the message and no names to
 * compress or follow in its RDATA (A, AAAA, TXT...). Each record is a
 * pointer and the stored octets, checked for room once. False when it
 * does not fit; nothing is written then. */
static bool put_rrset_plain(ans *a, uint16_t ptr, const dnsd_rrset *s)
{
	if (dnsd_wire_left(&a->w) < s->size + 2u * s->count)
		return false;
	uint8_t owner[2];
	be16(owner, (uint16_t)(0xc000 | ptr));
	const uint8_t *p = s->data, *end = s->data + s->size;
	for (unsigned i = 0; i < s->count; i++) {
		/* the store's own octets, still not trusted past their end */
		size_t n = end - p >= 10 ? 10 + (size_t)(p[8] << 8 | p[9]) : 0;
		if (!n || n > (size_t)(end - p))
			return false; /* zone data that does not parse: drop */
		dnsd_wire_put(&a->w, owner, 2);
		a->rdata_off = a->w.pos + 10;
		dnsd_wire_put(&a->w, p, n);
		p += n;
	}
	return true;
}

/* Appends a whole RRset with the given owner (ptr: its offset in the
 * message, 0 when not there yet), or nothing when it does not fit.
 * Targets of NS, MX and SRV are queued for the additional section unless
 * it is the additional section being written. */
static bool put_rrset(ans *a, int sec, const uint8_t *owner, uint16_t ptr,
                      const dnsd_rrset *s, const dnsd_zone *z, uint32_t ttl_cap)
{
	bool follow = sec != DNSD_SEC_ADDITIONAL && target_offset(s->type) >= 0;
	if (ptr && !follow && !type_shape(s->type)) {
		size_t mark = a->w.pos;
		if (!put_rrset_plain(a, ptr, s)) {
			dnsd_wire_rewind(&a->w, mark);
			return false;
		}
		a->count[sec] = (uint16_t)(a->count[sec] + s->count);
		return true;
	}
	size_t mark = a->w.pos;
	uint16_t comp_mark = a->comp.count;
	unsigned addl_mark = a->naddl;
	dnsd_wire r;
	dnsd_wire_init_read(&r, s->data, s->size);

	for (unsigned i = 0; i < s->count && !a->w.err; i++) {
		const uint8_t *rdata;
		uint16_t rdlen;
		if (owner[0] == 0)
			dnsd_wire_put_u8(&a->w, 0); /* the root: 1 octet */
		else
			put_owner(a, owner, &ptr);
		put_record(a, &r, s->type, ttl_cap, &rdata, &rdlen);
		if (follow && !a->w.err)
			queue_target(a, s->type, rdata, rdlen, z);
	}
	if (a->w.err) {
		dnsd_wire_rewind(&a->w, mark);
		a->w.err = 0; /* zone data errors: drop the RRset, go on */
		a->comp.count = comp_mark;
		if (comp_mark == 0)
			a->comp_ready = false; /* the question went too */
		a->naddl = addl_mark;
		return false;
	}
	a->count[sec] = (uint16_t)(a->count[sec] + s->count);
	return true;
}

/* An RRset of the answer or authority section: all of it or TC. */
static bool put_required(ans *a, int sec, const uint8_t *owner, uint16_t ptr,
                         const dnsd_rrset *s, const dnsd_zone *z,
                         uint32_t ttl_cap)
{
	if (a->tc)
		return false;
	if (put_rrset(a, sec, owner, ptr, s, z, ttl_cap))
		return true;
	a->tc = true;
	return false;
}

static bool label_same(const uint8_t *x, const uint8_t *y)
{
	if (!x || !y || x[0] != y[0])
		return false;
	for (uint8_t i = 1; i <= x[0]; i++)
		if (dnsd_lower[x[i]] != dnsd_lower[y[i]])
			return false;
	return true;
}

/* The SOA of the common negative answer (nothing but the question in the
 * message, the question in the zone) written without the compressor:
 * its owner a pointer to the origin in the question, MNAME and RNAME as
 * their labels above the origin and the same pointer. That is what the
 * compressor would write, unless a name shares more than the origin with
 * the question or the other: then, and for anything unusual, false and
 * the general way. Nothing follows a negative answer's SOA, so its names
 * are not remembered for compression. */
static bool soa_quick(ans *a, const dnsd_zone *z, const dnsd_rrset *soa,
                      uint32_t ttl_cap)
{
	const dnsd_name_key *k = &a->key; /* the question's, at hop 0 */
	size_t olen = dnsd_name_len(dnsd_zone_origin(z));
	unsigned i = 0; /* the origin as a suffix of the question */
	while (i < k->labels && (size_t)k->len - k->off[i] > olen)
		i++;
	if (a->count[0] || a->count[1] || a->count[2] || soa->count != 1 ||
	    a->q->qname_len != k->len || soa->size < 10 + 22)
		return false;
	const uint8_t *rec = soa->data;
	size_t rdlen = (size_t)(rec[8] << 8 | rec[9]);
	if (rdlen + 10 != soa->size)
		return false;
	const uint8_t *rd = rec + 10;
	int ml = dnsd_name_check(rd, rdlen);
	int rl = ml > 0 ? dnsd_name_check(rd + ml, rdlen - (size_t)ml) : -1;
	if (rl <= 0 || (size_t)ml + (size_t)rl + 20 != rdlen)
		return false;
	const uint8_t *mname = rd, *rname = rd + ml, *mlast, *rlast;
	int mp = before_suffix(mname, (size_t)ml, k, i, &mlast);
	int rp = before_suffix(rname, (size_t)rl, k, i, &rlast);
	if (mp < 0 || rp < 0)
		return false;
	/* a longer common suffix would be found by the compressor */
	const uint8_t *qlast = i ? k->name + k->off[i - 1] : NULL;
	if (label_same(mlast, qlast) || label_same(rlast, qlast) ||
	    label_same(rlast, mlast))
		return false;
	uint8_t out[2 + 10 + 2 * (DNSD_NAME_MAX + 2) + 20];
	uint8_t p[2];
	be16(p, (uint16_t)(0xc000 | (DNSD_HDR_LEN + k->off[i])));
	size_t n = 0;
	memcpy(out, p, 2);
	memcpy(out + 2, rec, 4); /* TYPE CLASS */
	uint32_t ttl = soa->ttl < ttl_cap ? soa->ttl : ttl_cap;
	be16(out + 6, (uint16_t)(ttl >> 16));
	be16(out + 8, (uint16_t)ttl);
	n = 12;
	memcpy(out + n, mname, (size_t)mp);
	n += (size_t)mp;
	memcpy(out + n, p, 2);
	n += 2;
	memcpy(out + n, rname, (size_t)rp);
	n += (size_t)rp;
	memcpy(out + n, p, 2);
	n += 2;
	memcpy(out + n, rd + ml + rl, 20);
	n += 20;
	be16(out + 10, (uint16_t)(n - 12));
	if (dnsd_wire_left(&a->w) < n)
		return false;
	a->rdata_off = a->w.pos + 12;
	dnsd_wire_put(&a->w, out, n);
	return true;
}

/* RFC 2308: the zone's SOA in authority, TTL = min(SOA TTL, MINIMUM). */
static void negative(ans *a, const dnsd_zone *z, const uint8_t *name,
                     uint16_t ptr)
{
	const dnsd_rrset *soa =
	    dnsd_node_rrset(dnsd_zone_apex(z), DNSD_TYPE_SOA);
	if (!soa || soa->count == 0)
		return;
	dnsd_rr_iter it;
	dnsd_rrset_iter(soa, &it);
	if (!dnsd_rr_next(&it) || it.rdlen < 20)
		return;
	dnsd_wire r;
	dnsd_wire_init_read(&r, it.rdata, it.rdlen);
	dnsd_wire_skip(&r, it.rdlen - 4u);
	uint32_t minimum = dnsd_wire_u32(&r);
	const uint8_t *origin = dnsd_zone_origin(z);
	if (!a->tc && soa_quick(a, z, soa, minimum)) {
		a->count[DNSD_SEC_AUTHORITY]++;
		return;
	}
	put_required(a, DNSD_SEC_AUTHORITY, origin,
	             suffix_ptr(a, ptr, name, origin), soa, z, minimum);
}

/* A referral: the child's NS in authority, glue queued; AA is the
 * caller's business (cleared when the referral is the whole answer). */
static void referral(ans *a, const dnsd_zone *z, const dnsd_node *cut,
                     const uint8_t *name, uint16_t ptr)
{
	const dnsd_rrset *ns = dnsd_node_rrset(cut, DNSD_TYPE_NS);
	if (!ns)
		return;
	/* the name being resolved is at or below the cut: a suffix of key */
	const uint8_t *cn = dnsd_node_name(cut);
	a->referral_cut = key_suffix(&a->key, dnsd_name_len(cn));
	put_required(a, DNSD_SEC_AUTHORITY, cn, suffix_ptr(a, ptr, name, cn),
	             ns, z, UINT32_MAX);
	a->referral_cut = -1;
}

/* ANY (RFC 8482): over UDP the RRset of the lowest type, a minimal but
 * real answer; over TCP every RRset of the node. */
static void answer_any(ans *a, const dnsd_zone *z, const dnsd_node *n,
                       const uint8_t *name, uint16_t ptr)
{
	unsigned cnt = dnsd_node_rrset_count(n);
	if (cnt == 0) {
		negative(a, z, name, ptr);
		return;
	}
	if (!a->tcp) {
		const dnsd_rrset *best = dnsd_node_rrset_at(n, 0);
		for (unsigned i = 1; i < cnt; i++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, i);
			if (s->type < best->type)
				best = s;
		}
		put_required(a, DNSD_SEC_ANSWER, name, ptr, best, z,
		             UINT32_MAX);
		return;
	}
	for (unsigned i = 0; i < cnt; i++)
		if (!put_required(a, DNSD_SEC_ANSWER, name, ptr,
		                  dnsd_node_rrset_at(n, i), z, UINT32_MAX))
			return;
}

/* The zone that answers the name of k: the longest-suffix zone, except
 * that DS at a zone's apex belongs to the parent side (RFC 4035
 * §3.1.4.1) when the parent zone is served here too. */
static const dnsd_zone *zone_for(const dnsd_zonedb *db, const dnsd_name_key *k,
                                 uint16_t qtype)
{
	if (!db)
		return NULL; /* nothing published yet: REFUSED */
	const dnsd_zone *z = dnsd_zonedb_find_key(db, k, 0);
	/* the origin is a suffix of the name: equal when as long */
	if (z && qtype == DNSD_TYPE_DS && k->labels > 0 &&
	    dnsd_name_len(dnsd_zone_origin(z)) == k->len) {
		const dnsd_zone *pz = dnsd_zonedb_find_key(db, k, 1);
		if (pz)
			z = pz;
	}
	return z;
}

static bool chain_seen(const uint8_t *const *seen, unsigned n,
                       const uint8_t *name)
{
	for (unsigned i = 0; i < n; i++)
		if (dnsd_name_equal(seen[i], name))
			return true;
	return false;
}

/* The answer and authority sections: RFC 1034 §4.3.2 over the served
 * zones, CNAMEs followed across them up to DNSD_ANSWER_CHAIN_MAX links
 * and never to a name already visited. */
static void resolve(ans *a)
{
	const uint16_t qtype = a->q->qtype;
	const uint8_t *name = a->q->qname;
	uint16_t ptr = DNSD_HDR_LEN;
	const uint8_t *seen[DNSD_ANSWER_CHAIN_MAX + 1];
	unsigned hops = 0;

	for (;;) {
		dnsd_name_key_init(&a->key, name);
		const dnsd_zone *z = zone_for(a->db, &a->key, qtype);
		if (!z) {
			if (hops == 0)
				a->rcode = DNSD_RCODE_REFUSED;
			return; /* a chain leaving our zones ends here */
		}
		if (dnsd_zone_servfail(z)) {
			/* not loaded yet, or expired: nothing to vouch for
			 * (a chain into it ends with what it has) */
			if (hops == 0)
				a->rcode = DNSD_RCODE_SERVFAIL;
			return;
		}
		if (hops == 0 && a->q->qclass == DNSD_CLASS_IN)
			a->flags |=
			    DNSD_FLAG_AA; /* not for QCLASS ANY: we
			                     cannot vouch for all classes */
		dnsd_lookup lk;
		if (dnsd_zone_lookup_key(z, &a->key, &lk) < 0) {
			a->rcode = DNSD_RCODE_SERVFAIL;
			return;
		}
		if (lk.cut && !(qtype == DNSD_TYPE_DS && lk.cut == lk.node)) {
			if (hops == 0)
				a->flags &= (uint16_t)~DNSD_FLAG_AA;
			referral(a, z, lk.cut, name, ptr);
			return;
		}
		const dnsd_node *n = lk.node;
		if (n && (dnsd_node_flags(n) & DNSD_NODE_NSEC3)) {
			/* an NSEC3 owner is no name of the zone (RFC 5155
			 * §7.2.8, erratum 4622): NXDOMAIN, as BIND and Knot;
			 * no wildcard can stand for it either */
			a->rcode = DNSD_RCODE_NXDOMAIN;
			negative(a, z, name, ptr);
			return;
		}
		if (!n) {
			/* RFC 4592: only "*.<closest encloser>" may match;
			 * the store hands exactly that one over. */
			n = lk.wildcard;
			if (!n) {
				a->rcode = DNSD_RCODE_NXDOMAIN;
				negative(a, z, name, ptr);
				return;
			}
		}
		if (qtype != DNSD_TYPE_CNAME && qtype != DNSD_TYPE_ANY &&
		    (dnsd_node_flags(n) & DNSD_NODE_CNAME)) {
			const dnsd_rrset *cn =
			    dnsd_node_rrset(n, DNSD_TYPE_CNAME);
			if (!cn || !put_required(a, DNSD_SEC_ANSWER, name, ptr,
			                         cn, z, UINT32_MAX))
				return;
			dnsd_rr_iter it;
			dnsd_rrset_iter(cn, &it);
			if (!dnsd_rr_next(&it))
				return;
			seen[hops++] = name;
			name = it.rdata;
			if (hops > DNSD_ANSWER_CHAIN_MAX ||
			    chain_seen(seen, hops, name))
				return;
			ptr = name_ptr_at(a, a->rdata_off);
			continue;
		}
		if (qtype == DNSD_TYPE_ANY) {
			answer_any(a, z, n, name, ptr);
			return;
		}
		const dnsd_rrset *s = dnsd_node_rrset(n, qtype);
		if (s)
			put_required(a, DNSD_SEC_ANSWER, name, ptr, s, z,
			             UINT32_MAX);
		else
			negative(a, z, name, ptr);
		return;
	}
}

/* A and AAAA of one target. For a referral: the referring zone's own
 * data only, its glue (in-domain and sibling, RFC 9471) or its
 * authoritative addresses; a name server in another zone served here is
 * not glue (resolvers discard it, NSD and Knot leave it out). For an
 * answer: authoritative data of any served zone, or glue of the zone
 * whose NS named it. False when out of room. */
static bool add_addresses(ans *a, addl_item *it, const dnsd_node **done,
                          unsigned *ndone)
{
	/* Targets are mostly in the zone that names them: one probe there
	 * first. Authoritative data found there is the data to use (a served
	 * zone below would sit under a cut, found as glue); glue only serves
	 * NS, else the zone database says who is authoritative. */
	dnsd_name_key *k = &a->key; /* free once the answer is resolved */
	dnsd_name_key_init(k, it->name);
	const dnsd_node *n = dnsd_zone_find_key(it->zone, k);
	if (!n ||
	    ((dnsd_node_flags(n) & DNSD_NODE_GLUE) && !(it->flags & ADDL_NS))) {
		if (it->flags & ADDL_REFERRAL)
			return true;
		const dnsd_zone *tz = dnsd_zonedb_find_key(a->db, k, 0);
		if (!tz || tz == it->zone)
			return true;
		n = dnsd_zone_find_key(tz, k);
		if (!n || (dnsd_node_flags(n) & DNSD_NODE_GLUE))
			return true;
	}
	for (unsigned i = 0; i < *ndone; i++)
		if (done[i] == n)
			return true;
	done[(*ndone)++] = n;
	static const uint16_t types[] = {DNSD_TYPE_A, DNSD_TYPE_AAAA};
	for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++) {
		const dnsd_rrset *s = dnsd_node_rrset(n, types[i]);
		if (s && !put_rrset(a, DNSD_SEC_ADDITIONAL, it->name, it->ptr,
		                    s, NULL, UINT32_MAX))
			return false;
	}
	return true;
}

/* Additional section: in-domain glue of a referral first (RFC 9471: if
 * it does not fit, TC), then the other targets in order, dropped from the
 * end when room runs out (never TC). */
static void additional(ans *a)
{
	const dnsd_node *done[ADDL_MAX];
	unsigned ndone = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < a->naddl; i++) {
			addl_item *it = &a->addl[i];
			bool req = (it->flags & ADDL_REQUIRED) != 0;
			if (req != (pass == 0))
				continue;
			if (!add_addresses(a, it, done, &ndone)) {
				if (req)
					a->tc = true;
				return;
			}
		}
	}
}

static bool question_parsed(const dnsd_query *q, int perr)
{
	if (q->hdr.qdcount != 1 || q->qname_len == 0)
		return false;
	return perr == 0 || q->question_end >= DNSD_HDR_LEN + 5u;
}

/* Header (rewritten by finish) and the question as the client wrote it:
 * q->qname holds its octets, case kept. Assembled here and written with
 * one copy each, as this runs for every response. */
static void begin(ans *a, const dnsd_query *q, bool with_question)
{
	uint8_t hdr[DNSD_HDR_LEN] = {0};
	dnsd_wire_put(&a->w, hdr, sizeof hdr);
	if (with_question) {
		uint8_t tc[4];
		be16(tc, q->qtype);
		be16(tc + 2, q->qclass);
		dnsd_wire_put(&a->w, q->qname, q->qname_len);
		dnsd_wire_put(&a->w, tc, sizeof tc);
	}
	a->qdcount = with_question;
}

/* OPT, then the header with flags and counts; returns the length or 0. */
static size_t finish(ans *a, const dnsd_query *q, int rcode, uint16_t payload,
                     size_t limit)
{
	a->w.len = limit;
	uint16_t arcount = a->count[2];
	if (q->edns.present) {
		uint8_t opt[OPT_LEN] = {0};
		be16(opt + 1, DNSD_TYPE_OPT);
		be16(opt + 3, payload);
		opt[5] = (uint8_t)(rcode >> 4); /* version 0 in opt[6] */
		be16(opt + 7, q->edns.flags & DNSD_EDNS_DO);
		dnsd_wire_put(&a->w, opt, sizeof opt);
		arcount++;
	}
	if (a->w.err)
		return 0;
	uint16_t flags =
	    (uint16_t)(DNSD_FLAG_QR | a->flags |
	               (q->hdr.flags & (0x7800 | DNSD_FLAG_RD | DNSD_FLAG_CD)) |
	               (rcode & 0xf));
	if (a->tc)
		flags |= DNSD_FLAG_TC;
	uint8_t hdr[DNSD_HDR_LEN];
	be16(hdr, q->hdr.id);
	be16(hdr + 2, flags);
	be16(hdr + 4, a->qdcount);
	be16(hdr + 6, a->count[0]);
	be16(hdr + 8, a->count[1]);
	be16(hdr + 10, arcount);
	size_t end = a->w.pos;
	a->w.pos = 0;
	dnsd_wire_put(&a->w, hdr, sizeof hdr);
	a->w.pos = end;
	return end;
}

static uint16_t our_payload(const dnsd_answer_opts *o)
{
	uint16_t p =
	    o && o->edns_payload ? o->edns_payload : DNSD_EDNS_DEFAULT_PAYLOAD;
	return p < UDP_PLAIN ? UDP_PLAIN : p;
}

size_t dnsd_answer_error(const dnsd_query *q, int perr, int rcode,
                         const dnsd_answer_opts *o, uint8_t *out, size_t cap)
{
	ans a;
	size_t limit = cap < 65535 ? cap : 65535;
	dnsd_wire_init_write(&a.w, out, limit);
	a.count[0] = a.count[1] = a.count[2] = 0;
	a.flags = 0;
	a.tc = false;
	begin(&a, q, question_parsed(q, perr));
	return finish(&a, q, rcode, our_payload(o), limit);
}

void dnsd_answer_prefetch(const dnsd_zonedb *db, const uint8_t *pkt, size_t len,
                          dnsd_zone_prefetch *pf)
{
	dnsd_query q;
	dnsd_name_key k;
	pf->zone = NULL;
	if (!db || dnsd_query_parse(pkt, len, &q) < 0 || q.hdr.qdcount != 1)
		return;
	dnsd_name_key_init(&k, q.qname);
	const dnsd_zone *z = dnsd_zonedb_find_key(db, &k, 0);
	if (z)
		dnsd_zone_prefetch_start(pf, z, &k);
}

/* Transfers reach the transfer writer through the dispatcher; one that
 * gets here (or any other use of those QTYPEs) is refused. Other meta
 * QTYPEs (OPT, TSIG, MAILA...) just find no data, as in NSD. */
static bool qtype_refused(uint16_t t)
{
	return t == DNSD_TYPE_AXFR || t == DNSD_TYPE_IXFR;
}

dnsd_verdict dnsd_answer(const dnsd_zonedb *db, const dnsd_query *q, int perr,
                         const uint8_t *pkt, const dnsd_answer_opts *o,
                         uint8_t *out, size_t cap, size_t *outlen)
{
	(void)pkt; /* the question is echoed from q->qname, the same octets
	              decompressed, case kept */
	*outlen = 0;
	if (q->msg_len < DNSD_HDR_LEN || (q->hdr.flags & DNSD_FLAG_QR))
		return DNSD_VERDICT_DROP;

	int rcode = -1;
	if (perr < 0 || q->hdr.qdcount != 1 || q->bad_opt)
		rcode = DNSD_RCODE_FORMERR;
	else if (DNSD_OPCODE(q->hdr.flags) != DNSD_OPCODE_QUERY)
		rcode = DNSD_RCODE_NOTIMP;
	else if (q->edns.present && q->edns.version > 0)
		rcode = DNSD_RCODE_BADVERS; /* RFC 6891 §6.1.3 */
	else if (q->qclass != DNSD_CLASS_IN && q->qclass != DNSD_CLASS_ANY)
		rcode = DNSD_RCODE_REFUSED;
	else if (qtype_refused(q->qtype))
		rcode = DNSD_RCODE_REFUSED;
	if (rcode >= 0) {
		*outlen = dnsd_answer_error(q, perr, rcode, o, out, cap);
		return *outlen ? DNSD_VERDICT_ANSWER : DNSD_VERDICT_DROP;
	}

	bool tcp = o && o->tcp;
	uint16_t payload = our_payload(o);
	size_t limit = 65535;
	if (!tcp) {
		limit = UDP_PLAIN;
		if (q->edns.present && q->edns.payload > UDP_PLAIN)
			limit = q->edns.payload < payload ? q->edns.payload
			                                  : payload;
	}
	if (limit > cap)
		limit = cap;
	size_t room = limit;
	if (q->edns.present) {
		if (room < OPT_LEN)
			return DNSD_VERDICT_DROP;
		room -= OPT_LEN;
	}

	ans a;
	dnsd_wire_init_write(&a.w, out, room);
	dnsd_compress_init(&a.comp);
	a.comp_ready = false;
	a.count[0] = a.count[1] = a.count[2] = 0;
	a.flags = 0;
	a.rcode = DNSD_RCODE_NOERROR;
	a.tc = false;
	a.tcp = tcp;
	a.db = db;
	a.q = q;
	a.rdata_off = 0;
	a.referral_cut = -1;
	a.naddl = 0;

	begin(&a, q, true);
	if (a.w.err)
		return DNSD_VERDICT_DROP;
	resolve(&a);
	if (a.rcode == DNSD_RCODE_REFUSED) {
		*outlen = dnsd_answer_error(q, perr, a.rcode, o, out, cap);
		return *outlen ? DNSD_VERDICT_ANSWER : DNSD_VERDICT_DROP;
	}
	if (!a.tc && a.naddl)
		additional(&a);
	*outlen = finish(&a, q, a.rcode, payload, limit);
	return *outlen ? DNSD_VERDICT_ANSWER : DNSD_VERDICT_DROP;
}
