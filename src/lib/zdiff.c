/* Differences between zone versions (xfr.h), for IXFR (RFC 1995).
 *
 * A diff owns copies of what it lists, in one arena: the IXFR history
 * outlives the versions it was computed from. Both lists are in one total
 * order, the zone's own (owner canonically, then type, then RDATA as
 * dnsd_rdata_cmp sorts it), with the TTL last, so that computing walks
 * the two versions' node arrays once and merging two diffs is a few
 * linear merges of sorted lists. */
#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfr.h>
#include <stdlib.h>
#include <string.h>

typedef struct rr_list {
	dnsd_xfr_rr *v;
	size_t n, cap;
} rr_list;

struct dnsd_zdiff {
	dnsd_arena arena;
	rr_list del, add;
	dnsd_xfr_rr from_soa, to_soa;
	uint32_t from_serial, to_serial;
	size_t wire; /* uncompressed octets of both lists */
	size_t origin_len;
};

/* Building state: the diff being made, the first error, and the arena
 * copy of the last owner (records come owner by owner, so one copy per
 * owner and list does). */
typedef struct zd_build {
	dnsd_zdiff *d;
	int err;
	const uint8_t *src_owner[2]; /* per list: the owner last copied */
	const uint8_t *own[2];       /* and its copy */
} zd_build;

static dnsd_zdiff *zd_new(void)
{
	dnsd_zdiff *d = calloc(1, sizeof *d);
	if (d)
		dnsd_arena_init(&d->arena, 0);
	return d;
}

void dnsd_zdiff_free(dnsd_zdiff *d)
{
	if (!d)
		return;
	dnsd_arena_free(&d->arena);
	free(d->del.v);
	free(d->add.v);
	free(d);
}

static int list_push(rr_list *l, const dnsd_xfr_rr *rr)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		dnsd_xfr_rr *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return DNSD_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *rr;
	return 0;
}

/* Copies rr into list which (0 deleted, 1 added) of the diff. */
static void zd_put(zd_build *b, int which, const uint8_t *owner, uint16_t type,
                   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	if (b->err)
		return;
	dnsd_zdiff *d = b->d;
	size_t olen = dnsd_name_len(owner);
	if (owner != b->src_owner[which] &&
	    !(b->own[which] && dnsd_name_len(b->own[which]) == olen &&
	      memcmp(b->own[which], owner, olen) == 0)) {
		b->own[which] = dnsd_arena_memdup(&d->arena, owner, olen);
		if (!b->own[which]) {
			b->err = DNSD_ENOMEM;
			return;
		}
	}
	b->src_owner[which] = owner;
	dnsd_xfr_rr rr = {.owner = b->own[which],
	                  .type = type,
	                  .ttl = ttl,
	                  .rdlen = rdlen,
	                  .rdata =
	                      rdlen ? dnsd_arena_memdup(&d->arena, rdata, rdlen)
	                            : dnsd_arena_alloc(&d->arena, 1)};
	if (!rr.rdata) {
		b->err = DNSD_ENOMEM;
		return;
	}
	int rc = list_push(which ? &d->add : &d->del, &rr);
	if (rc)
		b->err = rc;
	d->wire += olen + 10 + (size_t)rdlen;
}

/* Every record of an RRset into one list. */
static void zd_put_rrset(zd_build *b, int which, const uint8_t *owner,
                         const dnsd_rrset *s)
{
	dnsd_rr_iter it;
	dnsd_rrset_iter(s, &it);
	while (dnsd_rr_next(&it))
		zd_put(b, which, owner, s->type, s->ttl, it.rdata, it.rdlen);
}

static void zd_put_node(zd_build *b, int which, const dnsd_node *n, bool apex)
{
	for (unsigned i = 0; i < dnsd_node_rrset_count(n); i++) {
		const dnsd_rrset *s = dnsd_node_rrset_at(n, i);
		if (!(apex && s->type == DNSD_TYPE_SOA))
			zd_put_rrset(b, which, dnsd_node_name(n), s);
	}
}

/* Two RRsets of one type at one name: the records of only one side. The
 * zone keeps an RRset's records sorted by dnsd_rdata_cmp, so one merge
 * walk finds them. A TTL change replaces the whole RRset. */
static void zd_rrsets(zd_build *b, const uint8_t *oa, const dnsd_rrset *a,
                      const uint8_t *ob, const dnsd_rrset *bs)
{
	if (a->ttl == bs->ttl && a->size == bs->size &&
	    memcmp(a->data, bs->data, a->size) == 0)
		return;
	if (a->ttl != bs->ttl) {
		zd_put_rrset(b, 0, oa, a);
		zd_put_rrset(b, 1, ob, bs);
		return;
	}
	dnsd_rr_iter ia, ib;
	dnsd_rrset_iter(a, &ia);
	dnsd_rrset_iter(bs, &ib);
	bool ha = dnsd_rr_next(&ia), hb = dnsd_rr_next(&ib);
	while (ha || hb) {
		int c = !ha   ? 1
		        : !hb ? -1
		              : dnsd_rdata_cmp(a->type, ia.rdata, ia.rdlen,
		                               ib.rdata, ib.rdlen);
		if (c < 0)
			zd_put(b, 0, oa, a->type, a->ttl, ia.rdata, ia.rdlen);
		else if (c > 0)
			zd_put(b, 1, ob, bs->type, bs->ttl, ib.rdata, ib.rdlen);
		if (c <= 0)
			ha = dnsd_rr_next(&ia);
		if (c >= 0)
			hb = dnsd_rr_next(&ib);
	}
}

/* Two nodes of one name: RRsets sorted by type on both sides. */
static void zd_nodes(zd_build *b, const dnsd_node *na, const dnsd_node *nb,
                     bool apex)
{
	unsigned ca = dnsd_node_rrset_count(na), cb = dnsd_node_rrset_count(nb);
	const uint8_t *oa = dnsd_node_name(na), *ob = dnsd_node_name(nb);
	unsigned i = 0, j = 0;
	while (i < ca || j < cb) {
		const dnsd_rrset *sa =
		    i < ca ? dnsd_node_rrset_at(na, i) : NULL;
		const dnsd_rrset *sb =
		    j < cb ? dnsd_node_rrset_at(nb, j) : NULL;
		int c = !sa ? 1 : !sb ? -1 : (int)sa->type - (int)sb->type;
		uint16_t type = c <= 0 ? sa->type : sb->type;
		if (!(apex && type == DNSD_TYPE_SOA)) {
			if (c < 0)
				zd_put_rrset(b, 0, oa, sa);
			else if (c > 0)
				zd_put_rrset(b, 1, ob, sb);
			else
				zd_rrsets(b, oa, sa, ob, sb);
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
}

/* Canonical order of two names, the same octets (the usual case between
 * two versions) settled without walking labels. */
static int name_order(const uint8_t *a, const uint8_t *b)
{
	if (a == b)
		return 0;
	/* octet by octet up to a's root label, as long as both agree */
	for (size_t i = 0, next = 0;; i++) {
		if (a[i] != b[i])
			break;
		if (i == next) {
			if (!a[i])
				return 0;
			next = i + a[i] + 1u;
		}
	}
	return dnsd_name_cmp(a, b);
}

static int zd_soa(dnsd_zdiff *d, const dnsd_zone *z, dnsd_xfr_rr *out)
{
	const dnsd_node *apex = dnsd_zone_apex(z);
	const dnsd_rrset *s = dnsd_node_rrset(apex, DNSD_TYPE_SOA);
	if (!s)
		return DNSD_EINVAL;
	dnsd_rr_iter it;
	dnsd_rrset_iter(s, &it);
	if (!dnsd_rr_next(&it))
		return DNSD_EINVAL;
	const uint8_t *origin = dnsd_zone_origin(z);
	*out = (dnsd_xfr_rr){
	    .owner =
	        dnsd_arena_memdup(&d->arena, origin, dnsd_name_len(origin)),
	    .type = DNSD_TYPE_SOA,
	    .ttl = s->ttl,
	    .rdlen = it.rdlen,
	    .rdata = dnsd_arena_memdup(&d->arena, it.rdata, it.rdlen)};
	return out->owner && out->rdata ? 0 : DNSD_ENOMEM;
}

static int zd_finish(zd_build *b, dnsd_zdiff **out)
{
	if (b->err) {
		dnsd_zdiff_free(b->d);
		return b->err;
	}
	*out = b->d;
	return 0;
}

int dnsd_zdiff_compute(const dnsd_zone *from, const dnsd_zone *to,
                       dnsd_zdiff **out)
{
	*out = NULL;
	if (!from || !to ||
	    !dnsd_name_equal(dnsd_zone_origin(from), dnsd_zone_origin(to)))
		return DNSD_EINVAL;
	zd_build b = {.d = zd_new()};
	if (!b.d)
		return DNSD_ENOMEM;
	dnsd_zdiff *d = b.d;
	d->from_serial = dnsd_zone_serial(from);
	d->to_serial = dnsd_zone_serial(to);
	d->origin_len = dnsd_name_len(dnsd_zone_origin(to));
	if ((b.err = zd_soa(d, from, &d->from_soa)) ||
	    (b.err = zd_soa(d, to, &d->to_soa)))
		return zd_finish(&b, out);
	size_t na = dnsd_zone_node_count(from), nb = dnsd_zone_node_count(to);
	size_t i = 0, j = 0;
	while ((i < na || j < nb) && !b.err) {
		const dnsd_node *a = i < na ? dnsd_zone_node_at(from, i) : NULL;
		const dnsd_node *c = j < nb ? dnsd_zone_node_at(to, j) : NULL;
		int o = !a   ? 1
		        : !c ? -1
		             : name_order(dnsd_node_name(a), dnsd_node_name(c));
		if (o < 0)
			zd_put_node(&b, 0, a, i == 0);
		else if (o > 0)
			zd_put_node(&b, 1, c, j == 0);
		else
			zd_nodes(&b, a, c, i == 0);
		if (o <= 0)
			i++;
		if (o >= 0)
			j++;
	}
	return zd_finish(&b, out);
}

/* ---- made by a producer that knows the difference ---- */

static int soa_copy(dnsd_zdiff *d, const dnsd_xfr_rr *soa, dnsd_xfr_rr *out,
                    uint32_t *serial)
{
	*out = (dnsd_xfr_rr){
	    .owner = dnsd_arena_memdup(&d->arena, soa->owner,
	                               dnsd_name_len(soa->owner)),
	    .type = DNSD_TYPE_SOA,
	    .ttl = soa->ttl,
	    .rdlen = soa->rdlen,
	    .rdata = dnsd_arena_memdup(&d->arena, soa->rdata, soa->rdlen + 1u)};
	if (!out->owner || !out->rdata)
		return DNSD_ENOMEM;
	uint32_t x[4];
	if (dnsd_soa_fields(soa->rdata, soa->rdlen, serial, &x[0], &x[1], &x[2],
	                    &x[3]) < 0)
		return DNSD_EINVAL;
	return 0;
}

int dnsd_zdiff_start(const dnsd_xfr_rr *from_soa, const dnsd_xfr_rr *to_soa,
                     dnsd_zdiff **out)
{
	*out = NULL;
	if (!from_soa || !to_soa ||
	    !dnsd_name_equal(from_soa->owner, to_soa->owner))
		return DNSD_EINVAL;
	dnsd_zdiff *d = zd_new();
	if (!d)
		return DNSD_ENOMEM;
	d->origin_len = dnsd_name_len(to_soa->owner);
	int rc = soa_copy(d, from_soa, &d->from_soa, &d->from_serial);
	if (!rc)
		rc = soa_copy(d, to_soa, &d->to_soa, &d->to_serial);
	if (rc) {
		dnsd_zdiff_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int dnsd_zdiff_append(dnsd_zdiff *d, bool added, const dnsd_xfr_rr *rr)
{
	zd_build b = {.d = d};
	zd_put(&b, added, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	return b.err;
}

/* ---- merging ---- */

/* The lists' total order: owner, type, RDATA, TTL. */
static int rr_order(const dnsd_xfr_rr *a, const dnsd_xfr_rr *b)
{
	int c = name_order(a->owner, b->owner);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	c = dnsd_rdata_cmp(a->type, a->rdata, a->rdlen, b->rdata, b->rdlen);
	if (c)
		return c;
	return a->ttl < b->ttl ? -1 : a->ttl > b->ttl;
}

/* A sorted list of pointers to records of other diffs. */
typedef struct ref_list {
	const dnsd_xfr_rr **v;
	size_t n;
} ref_list;

enum { KEEP_A = 1, KEEP_B = 2, KEEP_BOTH = 4 };

/* One merge walk of two sorted lists into out (room for a.n + b.n),
 * keeping what `keep` says of the records only in a, only in b, in both
 * (once). */
static void ref_merge(ref_list a, ref_list b, unsigned keep, ref_list *out)
{
	size_t i = 0, j = 0;
	out->n = 0;
	while (i < a.n || j < b.n) {
		int c = i >= a.n ? 1 : j >= b.n ? -1 : rr_order(a.v[i], b.v[j]);
		if (c < 0 && (keep & KEEP_A))
			out->v[out->n++] = a.v[i];
		else if (c > 0 && (keep & KEEP_B))
			out->v[out->n++] = b.v[j];
		else if (c == 0 && (keep & KEEP_BOTH))
			out->v[out->n++] = a.v[i];
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
}

static ref_list ref_of(const rr_list *l, const dnsd_xfr_rr **store)
{
	for (size_t i = 0; i < l->n; i++)
		store[i] = &l->v[i];
	return (ref_list){store, l->n};
}

static void zd_put_refs(zd_build *b, int which, ref_list l)
{
	for (size_t i = 0; i < l.n; i++)
		zd_put(b, which, l.v[i]->owner, l.v[i]->type, l.v[i]->ttl,
		       l.v[i]->rdata, l.v[i]->rdlen);
}

static int zd_copy_soa(dnsd_zdiff *d, const dnsd_xfr_rr *s, dnsd_xfr_rr *out)
{
	*out = *s;
	out->owner =
	    dnsd_arena_memdup(&d->arena, s->owner, dnsd_name_len(s->owner));
	out->rdata = dnsd_arena_memdup(&d->arena, s->rdata, s->rdlen);
	return out->owner && out->rdata ? 0 : DNSD_ENOMEM;
}

/* a->c from a->b and b->c, with D and A the deleted and added lists:
 *   deleted = D1 + (D2 - A1), added = (A1 - D2) + A2,
 * then what is in both (deleted and added back unchanged) dropped from
 * both. D2 - A1 and D1 are disjoint (D2 lists records of b, D1 none of
 * them), and so are A1 - D2 and A2. */
static int zd_merge_lists(zd_build *b, const dnsd_zdiff *ab,
                          const dnsd_zdiff *bc)
{
	size_t nd1 = ab->del.n, na1 = ab->add.n;
	size_t nd2 = bc->del.n, na2 = bc->add.n;
	size_t total = 2 * (nd1 + na1 + nd2 + na2) + 2;
	const dnsd_xfr_rr **mem = malloc(total * sizeof *mem);
	if (!mem)
		return DNSD_ENOMEM;
	const dnsd_xfr_rr **p = mem;
	ref_list d1 = ref_of(&ab->del, p);
	p += nd1;
	ref_list a1 = ref_of(&ab->add, p);
	p += na1;
	ref_list d2 = ref_of(&bc->del, p);
	p += nd2;
	ref_list a2 = ref_of(&bc->add, p);
	p += na2;
	/* scratch: d2 - a1 and a1 - d2 (at most nd2 and na1), then the two
	 * final lists, in the room left (nd1 + nd2 and na1 + na2) */
	ref_list t1 = {p, 0}, t2 = {p + nd2, 0};
	ref_merge(d2, a1, KEEP_A, &t1);
	ref_merge(a1, d2, KEEP_A, &t2);
	/* the sources are no longer needed: their room takes the unions */
	ref_list del = {mem, 0}, add = {mem + nd1 + nd2, 0};
	const dnsd_xfr_rr **tmp =
	    malloc((nd1 + nd2 + na1 + na2 + 2) * sizeof *tmp);
	if (!tmp) {
		free(mem);
		return DNSD_ENOMEM;
	}
	ref_list u1 = {tmp, 0}, u2 = {tmp + nd1 + nd2, 0};
	ref_merge(d1, t1, KEEP_A | KEEP_B | KEEP_BOTH, &u1);
	ref_merge(t2, a2, KEEP_A | KEEP_B | KEEP_BOTH, &u2);
	ref_merge(u1, u2, KEEP_A, &del);
	ref_merge(u2, u1, KEEP_A, &add);
	zd_put_refs(b, 0, del);
	zd_put_refs(b, 1, add);
	free(tmp);
	free(mem);
	return 0;
}

int dnsd_zdiff_merge(const dnsd_zdiff *ab, const dnsd_zdiff *bc,
                     dnsd_zdiff **out)
{
	*out = NULL;
	if (!ab || !bc || ab->to_serial != bc->from_serial ||
	    !dnsd_name_equal(ab->to_soa.owner, bc->from_soa.owner))
		return DNSD_EINVAL;
	zd_build b = {.d = zd_new()};
	if (!b.d)
		return DNSD_ENOMEM;
	b.d->from_serial = ab->from_serial;
	b.d->to_serial = bc->to_serial;
	b.d->origin_len = bc->origin_len;
	if ((b.err = zd_copy_soa(b.d, &ab->from_soa, &b.d->from_soa)) ||
	    (b.err = zd_copy_soa(b.d, &bc->to_soa, &b.d->to_soa)))
		return zd_finish(&b, out);
	int rc = zd_merge_lists(&b, ab, bc);
	if (rc && !b.err)
		b.err = rc;
	return zd_finish(&b, out);
}

/* ---- accessors ---- */

uint32_t dnsd_zdiff_from_serial(const dnsd_zdiff *d)
{
	return d->from_serial;
}

uint32_t dnsd_zdiff_to_serial(const dnsd_zdiff *d)
{
	return d->to_serial;
}

size_t dnsd_zdiff_deleted(const dnsd_zdiff *d)
{
	return d->del.n;
}

size_t dnsd_zdiff_added(const dnsd_zdiff *d)
{
	return d->add.n;
}

const dnsd_xfr_rr *dnsd_zdiff_deleted_at(const dnsd_zdiff *d, size_t i)
{
	return i < d->del.n ? &d->del.v[i] : NULL;
}

const dnsd_xfr_rr *dnsd_zdiff_added_at(const dnsd_zdiff *d, size_t i)
{
	return i < d->add.n ? &d->add.v[i] : NULL;
}

size_t dnsd_zdiff_wire_size(const dnsd_zdiff *d)
{
	return d->wire + 2 * (d->origin_len + 10) + d->from_soa.rdlen +
	       d->to_soa.rdlen;
}

const dnsd_xfr_rr *dnsd_zdiff_from_soa(const dnsd_zdiff *d)
{
	return &d->from_soa;
}

const dnsd_xfr_rr *dnsd_zdiff_to_soa(const dnsd_zdiff *d)
{
	return &d->to_soa;
}

size_t dnsd_xfr_zone_wire_size(const dnsd_zone *z)
{
	size_t size = 0;
	for (size_t i = 0; i < dnsd_zone_node_count(z); i++) {
		const dnsd_node *n = dnsd_zone_node_at(z, i);
		size_t olen = dnsd_name_len(dnsd_node_name(n));
		for (unsigned k = 0; k < dnsd_node_rrset_count(n); k++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, k);
			unsigned times =
			    i == 0 && s->type == DNSD_TYPE_SOA ? 2 : 1;
			size += times * (s->size + s->count * olen);
		}
	}
	return size;
}
