/* Dynamic UPDATE (update.h, RFC 2136).
 *
 * The old version is never written. The updates work on a copy of only
 * the names they touch: each touched name holds its RRsets as arrays of
 * pointers to RDATA (in the old version, in the message, or for a raised
 * SOA in our arena), found through a small hash table. The new version is
 * then fed to the zone builder: every untouched node as it was, every
 * touched name as it ended. */
#include <dnsd/err.h>
#include <dnsd/rrtype.h>
#include <dnsd/update.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct up_rd {
	const uint8_t *rdata;
	uint16_t rdlen;
} up_rd;

typedef struct up_set {
	uint16_t type;
	uint32_t ttl;
	up_rd *rd;
	uint32_t n, cap;
} up_set;

/* A touched name: its RRsets now, and what it held in the old version. */
typedef struct up_name {
	const uint8_t *name; /* the old node's spelling, else the update's */
	const dnsd_node *old;
	up_set *sets; /* empty sets (n == 0) are deleted RRsets */
	uint32_t n, cap;
	bool dirty; /* written to: compare with old at the end */
	struct up_name *chain, *next;
} up_name;

typedef struct up_ctx {
	const dnsd_zone *z;
	const uint8_t *origin;
	dnsd_update_result *res;
	dnsd_arena a;
	up_name **tab;
	size_t mask;
	up_name *names; /* every touched name, newest first */
	bool soa_raised;
	int err; /* DNSD_ENOMEM, sticky */
	char t1[DNSD_NAME_TEXT_MAX + 20];
} up_ctx;

/* ---- reasons ---- */

static int fail(up_ctx *c, int rcode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ignore(up_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets the rcode and the reason of a failure; returns the rcode. */
static int fail(up_ctx *c, int rcode, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->res->reason, sizeof c->res->reason, fmt, ap);
	va_end(ap);
	c->res->rcode = rcode;
	return rcode;
}

/* Counts an ignored update; the first one is the reason of a NOERROR. */
static void ignore(up_ctx *c, const char *fmt, ...)
{
	if (c->res->ignored++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->res->reason, sizeof c->res->reason, fmt, ap);
		va_end(ap);
	}
}

/* A name, escaped, in c->t1. */
static const char *name_text(up_ctx *c, const uint8_t *name)
{
	if (dnsd_name_to_text(name, c->t1, DNSD_NAME_TEXT_MAX) < 0)
		strcpy(c->t1, "?");
	return c->t1;
}

/* "NAME TYPE" of a record, escaped, in c->t1. */
static const char *rr_text(up_ctx *c, const uint8_t *owner, uint16_t type)
{
	char tb[16];
	size_t l = strlen(name_text(c, owner));
	snprintf(c->t1 + l, sizeof c->t1 - l, " %s",
	         dnsd_rrtype_to_text(type, tb));
	return c->t1;
}

static const char *class_text(uint16_t rclass, char buf[16])
{
	return dnsd_rrclass_to_text(rclass, buf);
}

/* ---- types ---- */

/* Types that are not data: the Q and meta range (RFC 6895 §3.1), OPT,
 * the table's meta rows, and type 0 (reserved, which no zone holds). */
static bool type_is_meta(uint16_t t)
{
	if (t == 0 || t == DNSD_TYPE_OPT || (t >= 128 && t <= 255))
		return true;
	const dnsd_rrtype_info *info = dnsd_rrtype_info_get(t);
	return info && (info->flags & DNSD_RRF_META);
}

/* As the zone checks (zone.c) allow beside a CNAME. */
static bool cname_may_coexist(uint16_t t)
{
	return t == DNSD_TYPE_CNAME || t == DNSD_TYPE_RRSIG ||
	       t == DNSD_TYPE_NSEC;
}

static bool type_is_singleton(uint16_t t)
{
	const dnsd_rrtype_info *info = dnsd_rrtype_info_get(t);
	return info && (info->flags & DNSD_RRF_SINGLETON);
}

/* ---- the working copy ---- */

static void *grow(up_ctx *c, void *p, uint32_t n, uint32_t *cap, size_t sz)
{
	if (n < *cap)
		return p;
	uint32_t nc = *cap ? *cap * 2 : 4;
	void *q = dnsd_arena_alloc(&c->a, (size_t)nc * sz);
	if (!q) {
		c->err = DNSD_ENOMEM;
		return NULL;
	}
	if (n)
		memcpy(q, p, (size_t)n * sz);
	*cap = nc;
	return q;
}

static up_set *set_find(up_name *e, uint16_t type)
{
	for (uint32_t i = 0; i < e->n; i++)
		if (e->sets[i].type == type && e->sets[i].n)
			return &e->sets[i];
	return NULL;
}

/* The set of a type, created empty (reusing a deleted slot) when none. */
static up_set *set_get(up_ctx *c, up_name *e, uint16_t type, uint32_t ttl)
{
	for (uint32_t i = 0; i < e->n; i++)
		if (e->sets[i].type == type) {
			if (!e->sets[i].n)
				e->sets[i].ttl = ttl;
			return &e->sets[i];
		}
	up_set *s = grow(c, e->sets, e->n, &e->cap, sizeof *s);
	if (!s)
		return NULL;
	e->sets = s;
	s = &e->sets[e->n++];
	*s = (up_set){.type = type, .ttl = ttl};
	return s;
}

static int set_push(up_ctx *c, up_set *s, const uint8_t *rdata, uint16_t len)
{
	up_rd *rd = grow(c, s->rd, s->n, &s->cap, sizeof *rd);
	if (!rd)
		return c->err;
	s->rd = rd;
	s->rd[s->n++] = (up_rd){rdata, len};
	return 0;
}

/* Index of a record equal to rdata (canonically), or -1. */
static long set_index(const up_set *s, const uint8_t *rdata, uint16_t len)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (dnsd_rdata_cmp(s->type, s->rd[i].rdata, s->rd[i].rdlen,
		                   rdata, len) == 0)
			return (long)i;
	return -1;
}

static int name_fill(up_ctx *c, up_name *e)
{
	unsigned k = e->old ? dnsd_node_rrset_count(e->old) : 0;
	for (unsigned i = 0; i < k; i++) {
		const dnsd_rrset *rs = dnsd_node_rrset_at(e->old, i);
		up_set *s = set_get(c, e, rs->type, rs->ttl);
		if (!s)
			return c->err;
		dnsd_rr_iter it;
		dnsd_rrset_iter(rs, &it);
		while (dnsd_rr_next(&it))
			if (set_push(c, s, it.rdata, it.rdlen))
				return c->err;
	}
	return 0;
}

static up_name *name_lookup(up_ctx *c, const uint8_t *name, uint32_t h)
{
	for (up_name *e = c->tab[h & c->mask]; e; e = e->chain)
		if (dnsd_name_equal(e->name, name))
			return e;
	return NULL;
}

/* The working state of a name (filled from the old version the first
 * time), or NULL when memory ran out. */
static up_name *name_get(up_ctx *c, const uint8_t *name)
{
	uint32_t h = dnsd_name_hash(name);
	up_name *e = name_lookup(c, name, h);
	if (e)
		return e;
	e = dnsd_arena_alloc(&c->a, sizeof *e);
	if (!e) {
		c->err = DNSD_ENOMEM;
		return NULL;
	}
	*e = (up_name){0};
	e->old = dnsd_zone_find(c->z, name);
	e->name = e->old ? dnsd_node_name(e->old) : name;
	if (name_fill(c, e))
		return NULL;
	e->chain = c->tab[h & c->mask];
	c->tab[h & c->mask] = e;
	e->next = c->names;
	c->names = e;
	return e;
}

/* ---- prerequisites (§3.2) ---- */

static const dnsd_rrset *old_rrset(up_ctx *c, const uint8_t *name,
                                   uint16_t type)
{
	const dnsd_node *n = dnsd_zone_find(c->z, name);
	return n ? dnsd_node_rrset(n, type) : NULL;
}

static bool old_name_in_use(up_ctx *c, const uint8_t *name)
{
	const dnsd_node *n = dnsd_zone_find(c->z, name);
	return n && dnsd_node_rrset_count(n) > 0;
}

static int rr_order(const void *pa, const void *pb)
{
	const dnsd_rr *a = *(const dnsd_rr *const *)pa;
	const dnsd_rr *b = *(const dnsd_rr *const *)pb;
	int d = dnsd_name_cmp(a->owner, b->owner);
	if (d)
		return d;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return dnsd_rdata_cmp(a->type, a->rdata, a->rdlen, b->rdata, b->rdlen);
}

static int rd_order(const void *pa, const void *pb, void *ctx)
{
	const up_rd *a = pa, *b = pb;
	return dnsd_rdata_cmp(*(const uint16_t *)ctx, a->rdata, a->rdlen,
	                      b->rdata, b->rdlen);
}

/* Sorted copy of an old RRset's records (arena). */
static up_rd *old_sorted(up_ctx *c, const dnsd_rrset *rs)
{
	up_rd *v = dnsd_arena_alloc(&c->a, (size_t)rs->count * sizeof *v + 1);
	if (!v) {
		c->err = DNSD_ENOMEM;
		return NULL;
	}
	dnsd_rr_iter it;
	dnsd_rrset_iter(rs, &it);
	size_t i = 0;
	while (i < rs->count && dnsd_rr_next(&it))
		v[i++] = (up_rd){it.rdata, it.rdlen};
	uint16_t type = rs->type;
	qsort_r(v, i, sizeof *v, rd_order, &type);
	return v;
}

/* Does the RRset equal the distinct records of g[0..n) (sorted)? */
static bool rrset_equals(up_ctx *c, const dnsd_rrset *rs,
                         const dnsd_rr *const *g, size_t n)
{
	if (!rs)
		return false;
	up_rd *v = old_sorted(c, rs);
	if (!v)
		return false;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && rr_order(&g[i - 1], &g[i]) == 0)
			continue; /* a set: duplicates fold */
		if (k == rs->count ||
		    dnsd_rdata_cmp(rs->type, v[k].rdata, v[k].rdlen,
		                   g[i]->rdata, g[i]->rdlen) != 0)
			return false;
		k++;
	}
	return k == rs->count;
}

/* §3.2.3, after all the other prerequisites as BIND does. */
static int prereq_values(up_ctx *c, const dnsd_rr **v, size_t n)
{
	qsort(v, n, sizeof *v, rr_order);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && v[j]->type == v[i]->type &&
		       dnsd_name_equal(v[j]->owner, v[i]->owner))
			j++;
		const dnsd_rrset *rs = old_rrset(c, v[i]->owner, v[i]->type);
		bool ok = rrset_equals(c, rs, v + i, j - i);
		if (c->err)
			return fail(c, DNSD_RCODE_SERVFAIL, "out of memory");
		if (!ok)
			return fail(c, DNSD_RCODE_NXRRSET,
			            "prerequisite 'RRset exists (value "
			            "dependent)' failed: %s differs",
			            rr_text(c, v[i]->owner, v[i]->type));
		i = j;
	}
	return 0;
}

static int prereq_one(up_ctx *c, const dnsd_rr *rr, const dnsd_rr **vals,
                      size_t *nvals)
{
	char cb[16];
	if (rr->ttl != 0)
		return fail(c, DNSD_RCODE_FORMERR,
		            "prerequisite %s: TTL %u is not 0",
		            rr_text(c, rr->owner, rr->type), rr->ttl);
	if (!dnsd_name_is_subdomain(rr->owner, c->origin))
		return fail(c, DNSD_RCODE_NOTZONE,
		            "prerequisite %s is outside the zone",
		            rr_text(c, rr->owner, rr->type));
	bool any = rr->type == DNSD_TYPE_ANY;
	switch (rr->rclass) {
	case DNSD_CLASS_ANY:
	case DNSD_CLASS_NONE: {
		bool none = rr->rclass == DNSD_CLASS_NONE;
		if (rr->rdlen)
			return fail(c, DNSD_RCODE_FORMERR,
			            "prerequisite %s class %s has RDATA",
			            rr_text(c, rr->owner, rr->type),
			            class_text(rr->rclass, cb));
		bool there = any ? old_name_in_use(c, rr->owner)
		                 : old_rrset(c, rr->owner, rr->type) != NULL;
		if (there == !none)
			return 0;
		if (any)
			return fail(
			    c, none ? DNSD_RCODE_YXDOMAIN : DNSD_RCODE_NXDOMAIN,
			    none ? "prerequisite 'name not in use' "
			           "failed: %s is in use"
			         : "prerequisite 'name in use' "
			           "failed: %s is not in use",
			    name_text(c, rr->owner));
		return fail(c, none ? DNSD_RCODE_YXRRSET : DNSD_RCODE_NXRRSET,
		            none ? "prerequisite 'RRset does not exist' "
		                   "failed: %s exists"
		                 : "prerequisite 'RRset exists' failed: %s "
		                   "does not exist",
		            rr_text(c, rr->owner, rr->type));
	}
	case DNSD_CLASS_IN:
		vals[(*nvals)++] = rr;
		return 0;
	default:
		return fail(c, DNSD_RCODE_FORMERR,
		            "prerequisite %s: class %s is not ANY, NONE or IN",
		            rr_text(c, rr->owner, rr->type),
		            class_text(rr->rclass, cb));
	}
}

static int prereqs(up_ctx *c, const dnsd_msg *m)
{
	size_t n = m->count[DNSD_SEC_ANSWER], nvals = 0;
	if (!n)
		return 0;
	const dnsd_rr **vals = dnsd_arena_alloc(&c->a, n * sizeof *vals);
	if (!vals) {
		c->err = DNSD_ENOMEM;
		return fail(c, DNSD_RCODE_SERVFAIL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		int rc =
		    prereq_one(c, &m->sec[DNSD_SEC_ANSWER][i], vals, &nvals);
		if (rc)
			return rc;
	}
	return prereq_values(c, vals, nvals);
}

/* ---- update prescan (§3.4.1) ---- */

static int prescan_one(up_ctx *c, const dnsd_rr *rr)
{
	char cb[16];
	if (!dnsd_name_is_subdomain(rr->owner, c->origin))
		return fail(c, DNSD_RCODE_NOTZONE,
		            "update %s is outside the zone",
		            rr_text(c, rr->owner, rr->type));
	bool meta = type_is_meta(rr->type);
	switch (rr->rclass) {
	case DNSD_CLASS_IN:
		if (meta)
			return fail(c, DNSD_RCODE_FORMERR,
			            "update adds %s: not a data type",
			            rr_text(c, rr->owner, rr->type));
		return 0;
	case DNSD_CLASS_ANY:
		if (rr->ttl != 0 || rr->rdlen != 0)
			return fail(c, DNSD_RCODE_FORMERR,
			            "update deletes %s (class ANY) with a "
			            "TTL or RDATA",
			            rr_text(c, rr->owner, rr->type));
		if (meta && rr->type != DNSD_TYPE_ANY)
			return fail(c, DNSD_RCODE_FORMERR,
			            "update deletes %s: not a data type",
			            rr_text(c, rr->owner, rr->type));
		return 0;
	case DNSD_CLASS_NONE:
		if (rr->ttl != 0)
			return fail(c, DNSD_RCODE_FORMERR,
			            "update deletes %s (class NONE) with TTL "
			            "%u, not 0",
			            rr_text(c, rr->owner, rr->type), rr->ttl);
		if (meta)
			return fail(c, DNSD_RCODE_FORMERR,
			            "update deletes a record %s: not a data "
			            "type",
			            rr_text(c, rr->owner, rr->type));
		return 0;
	default:
		return fail(c, DNSD_RCODE_FORMERR,
		            "update %s: class %s is not IN, ANY or NONE",
		            rr_text(c, rr->owner, rr->type),
		            class_text(rr->rclass, cb));
	}
}

/* ---- updates (§3.4.2) ---- */

static bool is_apex(up_ctx *c, const up_name *e)
{
	return dnsd_name_equal(e->name, c->origin);
}

static uint32_t soa_serial(const uint8_t *rdata, uint16_t len)
{
	uint32_t s = 0, x[4];
	dnsd_soa_fields(rdata, len, &s, &x[0], &x[1], &x[2], &x[3]);
	return s;
}

/* The checks before an add; true when the add is to be ignored. */
static bool add_ignored(up_ctx *c, up_name *e, const dnsd_rr *rr)
{
	const char *what = rr_text(c, rr->owner, rr->type);
	if (rr->type == DNSD_TYPE_CNAME) {
		for (uint32_t i = 0; i < e->n; i++)
			if (e->sets[i].n &&
			    !cname_may_coexist(e->sets[i].type)) {
				ignore(c, "add %s ignored: other data there",
				       what);
				return true;
			}
	} else if (!cname_may_coexist(rr->type) &&
	           set_find(e, DNSD_TYPE_CNAME)) {
		ignore(c, "add %s ignored: a CNAME there", what);
		return true;
	}
	if (rr->type == DNSD_TYPE_NS && dnsd_name_is_wildcard(rr->owner)) {
		ignore(c, "add %s ignored: NS at a wildcard", what);
		return true;
	}
	/* The DS of a zone is the parent's data (RFC 4034 §5), which the
	 * answer engine gives the parent side too (answer.c zone_for). */
	if (rr->type == DNSD_TYPE_DS && is_apex(c, e)) {
		ignore(c, "add %s ignored: DS at the zone apex", what);
		return true;
	}
	if (rr->type == DNSD_TYPE_SOA) {
		const up_set *s = set_find(e, DNSD_TYPE_SOA);
		if (!s || !is_apex(c, e)) {
			ignore(c, "add %s ignored: not the zone apex", what);
			return true;
		}
		uint32_t now = soa_serial(s->rd[0].rdata, s->rd[0].rdlen);
		uint32_t add = soa_serial(rr->rdata, rr->rdlen);
		if (!dnsd_serial_gt(add, now)) {
			ignore(c, "add %s ignored: serial %u not above %u",
			       what, add, now);
			return true;
		}
	}
	return false;
}

static int up_add(up_ctx *c, up_name *e, const dnsd_rr *rr)
{
	if (add_ignored(c, e, rr))
		return 0;
	/* RFC 2181 §8: a TTL with the top bit set is taken as 0 (a zone
	 * file could not hold it either) */
	uint32_t ttl = rr->ttl & 0x80000000u ? 0 : rr->ttl;
	up_set *s = set_get(c, e, rr->type, ttl);
	if (!s)
		return c->err;
	long i = set_index(s, rr->rdata, rr->rdlen);
	if (i >= 0 && s->ttl == ttl)
		return 0; /* already there */
	e->dirty = true;
	s->ttl = ttl;
	if (rr->type == DNSD_TYPE_SOA)
		c->soa_raised = true;
	if (i >= 0)
		return 0; /* only the TTL changed */
	if (type_is_singleton(rr->type))
		s->n = 0; /* SOA, CNAME, DNAME: the new one replaces */
	return set_push(c, s, rr->rdata, rr->rdlen);
}

static void up_delete_rrset(up_ctx *c, up_name *e, const dnsd_rr *rr)
{
	bool apex = is_apex(c, e);
	for (uint32_t i = 0; i < e->n; i++) {
		up_set *s = &e->sets[i];
		if (!s->n || (rr->type != DNSD_TYPE_ANY && s->type != rr->type))
			continue;
		if (apex &&
		    (s->type == DNSD_TYPE_SOA || s->type == DNSD_TYPE_NS)) {
			if (rr->type != DNSD_TYPE_ANY)
				ignore(c, "delete %s ignored: the zone apex",
				       rr_text(c, rr->owner, rr->type));
			continue;
		}
		s->n = 0;
		e->dirty = true;
	}
}

static void up_delete_rr(up_ctx *c, up_name *e, const dnsd_rr *rr)
{
	up_set *s = set_find(e, rr->type);
	if (!s)
		return;
	if (is_apex(c, e) && (rr->type == DNSD_TYPE_SOA ||
	                      (rr->type == DNSD_TYPE_NS && s->n == 1))) {
		ignore(c, "delete %s ignored: %s",
		       rr_text(c, rr->owner, rr->type),
		       rr->type == DNSD_TYPE_SOA ? "the zone's SOA"
		                                 : "the last apex NS");
		return;
	}
	long i = set_index(s, rr->rdata, rr->rdlen);
	if (i < 0)
		return;
	s->rd[i] = s->rd[--s->n];
	e->dirty = true;
}

static int updates(up_ctx *c, const dnsd_msg *m)
{
	size_t n = m->count[DNSD_SEC_AUTHORITY];
	const dnsd_rr *v = m->sec[DNSD_SEC_AUTHORITY];
	for (size_t i = 0; i < n; i++) {
		int rc = prescan_one(c, &v[i]);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < n; i++) {
		up_name *e = name_get(c, v[i].owner);
		if (!e)
			break;
		if (v[i].rclass == DNSD_CLASS_IN)
			up_add(c, e, &v[i]);
		else if (v[i].rclass == DNSD_CLASS_ANY)
			up_delete_rrset(c, e, &v[i]);
		else
			up_delete_rr(c, e, &v[i]);
		if (c->err)
			break;
	}
	if (c->err)
		return fail(c, DNSD_RCODE_SERVFAIL, "out of memory");
	return 0;
}

/* ---- the end state ---- */

static uint32_t name_records(const up_name *e, uint32_t *rrsets)
{
	uint32_t r = 0, k = 0;
	for (uint32_t i = 0; i < e->n; i++) {
		r += e->sets[i].n;
		k += e->sets[i].n > 0;
	}
	*rrsets = k;
	return r;
}

static size_t old_records(const dnsd_node *n)
{
	size_t r = 0;
	unsigned k = n ? dnsd_node_rrset_count(n) : 0;
	for (unsigned i = 0; i < k; i++)
		r += dnsd_node_rrset_at(n, i)->count;
	return r;
}

/* Does a set hold exactly the records of the old RRset? */
static bool set_same(up_ctx *c, up_set *s, const dnsd_rrset *rs)
{
	if (!rs || rs->ttl != s->ttl || rs->count != s->n)
		return false;
	up_rd *v = old_sorted(c, rs);
	if (!v)
		return false;
	qsort_r(s->rd, s->n, sizeof *s->rd, rd_order, &s->type);
	for (uint32_t i = 0; i < s->n; i++)
		if (dnsd_rdata_cmp(s->type, v[i].rdata, v[i].rdlen,
		                   s->rd[i].rdata, s->rd[i].rdlen) != 0)
			return false;
	return true;
}

static bool name_changed(up_ctx *c, up_name *e)
{
	if (!e->dirty)
		return false;
	uint32_t k;
	name_records(e, &k);
	if (k != (e->old ? dnsd_node_rrset_count(e->old) : 0))
		return true;
	for (uint32_t i = 0; i < e->n; i++)
		if (e->sets[i].n &&
		    !set_same(c, &e->sets[i],
		              dnsd_node_rrset(e->old, e->sets[i].type)))
			return true;
	return false;
}

static bool changed(up_ctx *c)
{
	for (up_name *e = c->names; e; e = e->next)
		if (name_changed(c, e))
			return true;
	return false;
}

static int check_limits(up_ctx *c, const dnsd_update_limits *lim)
{
	size_t before = dnsd_zone_record_count(c->z), after = before;
	for (up_name *e = c->names; e; e = e->next) {
		uint32_t k, r = name_records(e, &k);
		unsigned ok = e->old ? dnsd_node_rrset_count(e->old) : 0;
		after = after - old_records(e->old) + r;
		if (lim->max_name_rrsets && k > lim->max_name_rrsets && k > ok)
			return fail(c, DNSD_RCODE_REFUSED,
			            "%s would hold %u RRsets, past the limit "
			            "of %zu RRsets per name",
			            name_text(c, e->name), k,
			            lim->max_name_rrsets);
		for (uint32_t i = 0; i < e->n; i++) {
			const up_set *s = &e->sets[i];
			const dnsd_rrset *rs =
			    e->old ? dnsd_node_rrset(e->old, s->type) : NULL;
			if (lim->max_rrset_records &&
			    s->n > lim->max_rrset_records &&
			    s->n > (rs ? rs->count : 0))
				return fail(c, DNSD_RCODE_REFUSED,
				            "%s would hold %u records, past "
				            "the limit of %zu per RRset",
				            rr_text(c, e->name, s->type), s->n,
				            lim->max_rrset_records);
		}
	}
	if (lim->max_zone_records && after > lim->max_zone_records &&
	    after > before)
		return fail(c, DNSD_RCODE_REFUSED,
		            "the zone would hold %zu records, past the limit "
		            "of %zu",
		            after, lim->max_zone_records);
	return 0;
}

/* Raises the serial by one unless the update raised it (§3.6). */
static int bump_serial(up_ctx *c)
{
	up_name *e = name_get(c, c->origin);
	up_set *s = e ? set_find(e, DNSD_TYPE_SOA) : NULL;
	if (!s)
		return e ? DNSD_EZONE : c->err;
	uint32_t serial = soa_serial(s->rd[0].rdata, s->rd[0].rdlen);
	if (!c->soa_raised) {
		uint16_t len = s->rd[0].rdlen;
		uint8_t *p = dnsd_arena_memdup(&c->a, s->rd[0].rdata, len);
		if (!p)
			return c->err = DNSD_ENOMEM;
		serial = serial + 1 ? serial + 1 : 1; /* BIND skips 0 */
		uint8_t *q = p + len - 20;
		q[0] = (uint8_t)(serial >> 24);
		q[1] = (uint8_t)(serial >> 16);
		q[2] = (uint8_t)(serial >> 8);
		q[3] = (uint8_t)serial;
		s->rd[0].rdata = p;
		e->dirty = true;
	}
	c->res->serial = serial;
	return 0;
}

/* ---- the new version ---- */

typedef struct up_diag {
	char msg[120];
} up_diag;

static void first_error(void *ctx, const dnsd_diag *d)
{
	up_diag *u = ctx;
	if (d->severity == DNSD_DIAG_ERROR && !u->msg[0])
		snprintf(u->msg, sizeof u->msg, "%s", d->msg);
}

static int feed(dnsd_zone_builder *b, const uint8_t *owner, uint16_t type,
                uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	dnsd_zf_rr rr = {.owner = owner,
	                 .type = type,
	                 .rclass = DNSD_CLASS_IN,
	                 .ttl = ttl,
	                 .rdata = rdata,
	                 .rdlen = rdlen};
	return dnsd_zone_builder_add(b, &rr);
}

static int feed_all(up_ctx *c, dnsd_zone_builder *b)
{
	size_t nn = dnsd_zone_node_count(c->z);
	int rc = 0;
	for (size_t i = 0; i < nn && !rc; i++) {
		const dnsd_node *n = dnsd_zone_node_at(c->z, i);
		const uint8_t *name = dnsd_node_name(n);
		unsigned k = dnsd_node_rrset_count(n);
		if (!k || name_lookup(c, name, dnsd_name_hash(name)))
			continue;
		for (unsigned j = 0; j < k && !rc; j++) {
			const dnsd_rrset *rs = dnsd_node_rrset_at(n, j);
			dnsd_rr_iter it;
			dnsd_rrset_iter(rs, &it);
			while (!rc && dnsd_rr_next(&it))
				rc = feed(b, name, rs->type, rs->ttl, it.rdata,
				          it.rdlen);
		}
	}
	for (up_name *e = c->names; e && !rc; e = e->next)
		for (uint32_t i = 0; i < e->n && !rc; i++) {
			const up_set *s = &e->sets[i];
			for (uint32_t j = 0; j < s->n && !rc; j++)
				rc = feed(b, e->name, s->type, s->ttl,
				          s->rd[j].rdata, s->rd[j].rdlen);
		}
	return rc;
}

static int build(up_ctx *c)
{
	dnsd_zone_builder *b = dnsd_zone_builder_new(c->origin);
	if (!b)
		return DNSD_ENOMEM;
	int rc = feed_all(c, b);
	if (rc) {
		dnsd_zone_builder_free(b);
		if (rc != DNSD_ETOOMANY)
			return rc;
		fail(c, DNSD_RCODE_REFUSED, "the zone would be too large");
		return 0;
	}
	up_diag d = {{0}};
	dnsd_zone *nz = NULL;
	rc = dnsd_zone_builder_finish(b, first_error, &d, NULL, &nz);
	if (rc == DNSD_EZONE || rc == DNSD_ETOOMANY) {
		fail(c, DNSD_RCODE_REFUSED,
		     "the new version fails the zone "
		     "checks: %s",
		     d.msg[0] ? d.msg : dnsd_strerror(rc));
		return 0;
	}
	if (rc)
		return rc;
	dnsd_zdiff *diff = NULL;
	rc = dnsd_zdiff_compute(c->z, nz, &diff);
	if (rc) {
		dnsd_zone_unref(nz);
		return rc;
	}
	c->res->zone = nz;
	c->res->diff = diff;
	c->res->serial = dnsd_zone_serial(nz);
	return 0;
}

/* ---- entry points ---- */

int dnsd_update_zone_section(const dnsd_msg *m, int *rcode)
{
	*rcode = DNSD_RCODE_NOERROR;
	if (m->hdr.qdcount != 1 || !m->qd || m->qd[0].qtype != DNSD_TYPE_SOA ||
	    m->qd[0].qclass != DNSD_CLASS_IN) {
		*rcode = DNSD_RCODE_FORMERR;
		return DNSD_EMALFORM;
	}
	return 0;
}

static int zone_section(up_ctx *c, const dnsd_msg *m)
{
	int rcode;
	char tb[16], cb[16];
	if (m->hdr.qdcount != 1 || !m->qd)
		return fail(c, DNSD_RCODE_FORMERR,
		            "zone section holds %u entries, not 1",
		            m->hdr.qdcount);
	if (dnsd_update_zone_section(m, &rcode))
		return fail(c, rcode, "zone section %s %s, not SOA IN",
		            dnsd_rrtype_to_text(m->qd[0].qtype, tb),
		            class_text(m->qd[0].qclass, cb));
	if (!dnsd_name_equal(m->qd[0].qname, c->origin))
		return fail(c, DNSD_RCODE_NOTAUTH,
		            "zone section names %s, not this zone",
		            name_text(c, m->qd[0].qname));
	return 0;
}

static int finish(up_ctx *c, const dnsd_update_limits *lim)
{
	if (!changed(c))
		return c->err ? DNSD_ENOMEM : 0;
	if (c->err)
		return c->err;
	if (check_limits(c, lim))
		return 0;
	int rc = bump_serial(c);
	if (rc == DNSD_EZONE) {
		fail(c, DNSD_RCODE_REFUSED, "the zone has no SOA");
		return 0;
	}
	return rc ? rc : build(c);
}

int dnsd_update_apply(const dnsd_zone *z, const dnsd_msg *m,
                      const dnsd_update_limits *lim, dnsd_update_result *res)
{
	if (!res)
		return DNSD_EINVAL;
	*res = (dnsd_update_result){0};
	if (!z || !m)
		return DNSD_EINVAL;
	static const dnsd_update_limits none;
	up_ctx c = {.z = z, .origin = dnsd_zone_origin(z), .res = res};
	res->serial = dnsd_zone_serial(z);
	res->prereqs = m->count[DNSD_SEC_ANSWER];
	res->updates = m->count[DNSD_SEC_AUTHORITY];
	dnsd_arena_init(&c.a, 0);
	size_t size = 16;
	while (size < 2 * (size_t)res->updates)
		size *= 2;
	c.mask = size - 1;
	c.tab = calloc(size, sizeof *c.tab);
	int rc = c.tab ? 0 : DNSD_ENOMEM;
	if (!rc && !zone_section(&c, m) && !prereqs(&c, m) && !updates(&c, m))
		rc = finish(&c, lim ? lim : &none);
	if (!rc && c.err)
		rc = c.err;
	if (rc) {
		dnsd_update_result_clear(res);
		res->rcode = DNSD_RCODE_SERVFAIL;
		snprintf(res->reason, sizeof res->reason, "%s",
		         dnsd_strerror(rc));
		res->serial = dnsd_zone_serial(z);
		rc = DNSD_ENOMEM;
	} else if (res->rcode) {
		res->ignored = 0;
		res->serial = dnsd_zone_serial(z);
		if (!res->reason[0])
			snprintf(res->reason, sizeof res->reason, "failed");
	}
	if (res->rcode == DNSD_RCODE_SERVFAIL && !rc)
		rc = DNSD_ENOMEM;
	free(c.tab);
	dnsd_arena_free(&c.a);
	return rc;
}

void dnsd_update_result_clear(dnsd_update_result *res)
{
	if (!res)
		return;
	if (res->zone)
		dnsd_zone_unref(res->zone);
	if (res->diff)
		dnsd_zdiff_free(res->diff);
	res->zone = NULL;
	res->diff = NULL;
}
