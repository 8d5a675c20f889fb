/* Dynamic UPDATE (update.h, RFC 2136).
 *
 * The old version is never written. The updates work on a copy of only
 * the names they touch: each touched name holds its RRsets as arrays of
 * pointers to RDATA (in the old version, or copied into our arena from
 * the message), found through a hash table. The new version is then fed
 * to the zone builder: every untouched node as it was, every touched
 * name as it ended.
 *
 * A group applies several messages to that one working copy, each judged
 * against the state the ones before it left. Before a message changes a
 * name, the name's sets are saved (once per message); a message that
 * fails after it began changing names (a limit) is undone from those
 * saves, and the names it brought in are dropped. Whether a message
 * changed anything, and the limits, are judged against the saves: the
 * state before that message. One message alone (dnsd_update_apply) is a
 * group of one. */
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
	const uint8_t *name; /* the old node's spelling, else the update's
	                        (copied) */
	const dnsd_node *old;
	up_set *sets; /* empty sets (n == 0) are deleted RRsets */
	uint32_t n, cap;
	uint32_t hash;
	bool dirty;   /* written to: compare with old at the end */
	unsigned gen; /* the message that last saved or brought it in */
	bool born;    /* brought in by message gen (nothing saved) */
	struct up_name *chain, *next;
} up_name;

/* A name as it was before the message now applied changed it, or
 * (born) one it brought in. Newest first: the order the message first
 * touched them in, reversed, as the limits are checked. */
typedef struct up_save {
	up_name *e;
	bool born;
	const uint8_t *name; /* its spelling then */
	up_set *sets;        /* a deep copy */
	uint32_t n;
	bool dirty;
	struct up_save *next;
} up_save;

typedef struct up_ctx {
	const dnsd_zone *z;
	const uint8_t *origin;
	dnsd_update_result *res;
	const dnsd_update_limits *lim;
	dnsd_arena a;
	up_name **tab;
	size_t mask, nnames;
	up_name *names;  /* every touched name, newest first */
	bool soa_raised; /* by the message now applied */
	unsigned gen;    /* messages applied */
	up_save *saves;  /* of the message now applied */
	size_t count;    /* records in the state after the messages so far */
	uint32_t serial; /* and its serial */
	bool changed;    /* some message changed the zone */
	int err;         /* DNSD_ENOMEM, sticky */
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
		if (e->hash == h && dnsd_name_equal(e->name, name))
			return e;
	return NULL;
}

/* A table four times as large once it holds twice as many names as
 * slots. */
static int tab_grow(up_ctx *c)
{
	size_t size = (c->mask + 1) * 4;
	up_name **t = calloc(size, sizeof *t);
	if (!t)
		return c->err = DNSD_ENOMEM;
	for (up_name *e = c->names; e; e = e->next) {
		e->chain = t[e->hash & (size - 1)];
		t[e->hash & (size - 1)] = e;
	}
	free(c->tab);
	c->tab = t;
	c->mask = size - 1;
	return 0;
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
	*e = (up_name){.hash = h, .gen = c->gen, .born = true};
	e->old = dnsd_zone_find(c->z, name);
	e->name = e->old ? dnsd_node_name(e->old)
	                 : dnsd_arena_memdup(&c->a, name, dnsd_name_len(name));
	if (!e->name) {
		c->err = DNSD_ENOMEM;
		return NULL;
	}
	if (name_fill(c, e))
		return NULL;
	if (c->nnames >= 2 * (c->mask + 1) && tab_grow(c))
		return NULL;
	up_save *sv = dnsd_arena_alloc(&c->a, sizeof *sv);
	if (!sv) {
		c->err = DNSD_ENOMEM;
		return NULL;
	}
	*sv = (up_save){.e = e, .born = true, .next = c->saves};
	c->saves = sv;
	e->chain = c->tab[h & c->mask];
	c->tab[h & c->mask] = e;
	e->next = c->names;
	c->names = e;
	c->nnames++;
	return e;
}

static bool name_empty(const up_name *e)
{
	for (uint32_t i = 0; i < e->n; i++)
		if (e->sets[i].n)
			return false;
	return true;
}

/* Before the message now applied changes a name: its sets saved, once.
 * A name without data takes the message's spelling (name, when given),
 * as it would were it not in the working copy. */
static int touch(up_ctx *c, up_name *e, const uint8_t *name)
{
	if (e->gen == c->gen)
		return 0;
	up_save *s = dnsd_arena_alloc(&c->a, sizeof *s);
	up_set *sets = dnsd_arena_alloc(&c->a, (size_t)e->n * sizeof *sets + 1);
	if (!s || !sets)
		return c->err = DNSD_ENOMEM;
	for (uint32_t i = 0; i < e->n; i++) {
		sets[i] = e->sets[i];
		sets[i].cap = sets[i].n;
		sets[i].rd =
		    dnsd_arena_memdup(&c->a, e->sets[i].rd,
		                      (size_t)e->sets[i].n * sizeof(up_rd) + 1);
		if (!sets[i].rd)
			return c->err = DNSD_ENOMEM;
	}
	*s = (up_save){e, false, e->name, sets, e->n, e->dirty, c->saves};
	c->saves = s;
	e->gen = c->gen;
	e->born = false;
	if (name && name_empty(e)) {
		const uint8_t *copy =
		    dnsd_arena_memdup(&c->a, name, dnsd_name_len(name));
		if (!copy)
			return c->err = DNSD_ENOMEM;
		e->name = copy;
	}
	return 0;
}

/* The message now applied undone: its saves back, its new names gone. */
static void undo(up_ctx *c)
{
	for (up_save *s = c->saves; s; s = s->next) {
		if (s->born)
			continue;
		s->e->sets = s->sets;
		s->e->n = s->e->cap = s->n;
		s->e->dirty = s->dirty;
		s->e->name = s->name;
	}
	c->saves = NULL;
	/* the names it brought in are the newest */
	while (c->names && c->names->gen == c->gen && c->names->born) {
		up_name *e = c->names, **pp = &c->tab[e->hash & c->mask];
		while (*pp != e)
			pp = &(*pp)->chain;
		*pp = e->chain;
		c->names = e->next;
		c->nnames--;
	}
}

/* ---- prerequisites (§3.2) ---- */

/* Prerequisites see the state the messages before left: a name they
 * touched as it is now, any other as the old version has it. */
static up_name *cur_name(up_ctx *c, const uint8_t *name)
{
	return name_lookup(c, name, dnsd_name_hash(name));
}

static const dnsd_rrset *old_rrset(up_ctx *c, const uint8_t *name,
                                   uint16_t type)
{
	const dnsd_node *n = dnsd_zone_find(c->z, name);
	return n ? dnsd_node_rrset(n, type) : NULL;
}

static bool cur_rrset_exists(up_ctx *c, const uint8_t *name, uint16_t type)
{
	up_name *e = cur_name(c, name);
	return e ? set_find(e, type) != NULL : old_rrset(c, name, type) != NULL;
}

static bool cur_name_in_use(up_ctx *c, const uint8_t *name)
{
	up_name *e = cur_name(c, name);
	if (e) {
		for (uint32_t i = 0; i < e->n; i++)
			if (e->sets[i].n)
				return true;
		return false;
	}
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

/* Sorted copy of a working set's records (arena). */
static up_rd *set_sorted(up_ctx *c, const up_set *s)
{
	up_rd *v =
	    dnsd_arena_memdup(&c->a, s->rd, (size_t)s->n * sizeof *v + 1);
	if (!v) {
		c->err = DNSD_ENOMEM;
		return NULL;
	}
	uint16_t type = s->type;
	qsort_r(v, s->n, sizeof *v, rd_order, &type);
	return v;
}

/* Does the RRset of the current state equal the distinct records of
 * g[0..n) (sorted)? */
static bool rrset_equals(up_ctx *c, const uint8_t *owner, uint16_t type,
                         const dnsd_rr *const *g, size_t n)
{
	up_name *e = cur_name(c, owner);
	const up_set *s = e ? set_find(e, type) : NULL;
	const dnsd_rrset *rs = e ? NULL : old_rrset(c, owner, type);
	if (!s && !rs)
		return false;
	size_t count = s ? s->n : rs->count;
	up_rd *v = s ? set_sorted(c, s) : old_sorted(c, rs);
	if (!v)
		return false;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && rr_order(&g[i - 1], &g[i]) == 0)
			continue; /* a set: duplicates fold */
		if (k == count || dnsd_rdata_cmp(type, v[k].rdata, v[k].rdlen,
		                                 g[i]->rdata, g[i]->rdlen) != 0)
			return false;
		k++;
	}
	return k == count;
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
		bool ok =
		    rrset_equals(c, v[i]->owner, v[i]->type, v + i, j - i);
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
		bool there = any ? cur_name_in_use(c, rr->owner)
		                 : cur_rrset_exists(c, rr->owner, rr->type);
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
	/* a copy: a group outlives the message */
	const uint8_t *rd = dnsd_arena_memdup(&c->a, rr->rdata, rr->rdlen + 1u);
	if (!rd)
		return c->err = DNSD_ENOMEM;
	return set_push(c, s, rd, rr->rdlen);
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
		if (!e || touch(c, e, v[i].owner))
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

static const up_set *saved_set(const up_save *s, uint16_t type)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->sets[i].type == type && s->sets[i].n)
			return &s->sets[i];
	return NULL;
}

/* Does a name hold what its save held? */
static bool save_same(up_ctx *c, const up_save *sv)
{
	const up_name *e = sv->e;
	uint32_t k = 0, ks;
	for (uint32_t i = 0; i < e->n; i++) {
		const up_set *a = &e->sets[i];
		if (!a->n)
			continue;
		k++;
		const up_set *b = saved_set(sv, a->type);
		if (!b || b->ttl != a->ttl || b->n != a->n)
			return false;
		up_rd *x = set_sorted(c, a), *y = set_sorted(c, b);
		if (!x || !y)
			return false;
		for (uint32_t j = 0; j < a->n; j++)
			if (dnsd_rdata_cmp(a->type, x[j].rdata, x[j].rdlen,
			                   y[j].rdata, y[j].rdlen) != 0)
				return false;
	}
	ks = 0;
	for (uint32_t i = 0; i < sv->n; i++)
		ks += sv->sets[i].n > 0;
	return k == ks;
}

/* Did the message now applied change the state the ones before left? */
static bool changed(up_ctx *c)
{
	for (up_save *s = c->saves; s; s = s->next)
		if (s->born ? name_changed(c, s->e) : !save_same(c, s))
			return true;
	return false;
}

/* What a name held before the message now applied: from its save, or
 * (brought in by it) from the old version. */
typedef struct up_before {
	const up_save *s;
	const dnsd_node *old;
} up_before;

static uint32_t before_records(up_before b, uint32_t *rrsets)
{
	uint32_t r = 0, k = 0;
	if (b.s) {
		for (uint32_t i = 0; i < b.s->n; i++) {
			r += b.s->sets[i].n;
			k += b.s->sets[i].n > 0;
		}
	} else if (b.old) {
		r = (uint32_t)old_records(b.old);
		k = dnsd_node_rrset_count(b.old);
	}
	*rrsets = k;
	return r;
}

static uint32_t before_count(up_before b, uint16_t type)
{
	if (b.s) {
		const up_set *s = saved_set(b.s, type);
		return s ? s->n : 0;
	}
	const dnsd_rrset *rs = b.old ? dnsd_node_rrset(b.old, type) : NULL;
	return rs ? rs->count : 0;
}

/* One name the message touched against the limits; *after adjusted. */
static int name_limits(up_ctx *c, const up_name *e, up_before b, size_t *after)
{
	const dnsd_update_limits *lim = c->lim;
	uint32_t k, kb, r = name_records(e, &k);
	*after = *after - before_records(b, &kb) + r;
	if (lim->max_name_rrsets && k > lim->max_name_rrsets && k > kb)
		return fail(c, DNSD_RCODE_REFUSED,
		            "%s would hold %u RRsets, past the limit "
		            "of %zu (max-types-per-name)",
		            name_text(c, e->name), k, lim->max_name_rrsets);
	for (uint32_t i = 0; i < e->n; i++) {
		const up_set *s = &e->sets[i];
		if (lim->max_rrset_records && s->n > lim->max_rrset_records &&
		    s->n > before_count(b, s->type))
			return fail(c, DNSD_RCODE_REFUSED,
			            "%s would hold %u records, past "
			            "the limit of %zu (max-records-per-type)",
			            rr_text(c, e->name, s->type), s->n,
			            lim->max_rrset_records);
	}
	return 0;
}

/* The limits, on what the message now applied touched: a zone, an RRset
 * or a name past its limit and larger than before it. */
static int check_limits(up_ctx *c, size_t *after)
{
	*after = c->count;
	for (up_save *s = c->saves; s; s = s->next)
		if (name_limits(c, s->e,
		                s->born ? (up_before){NULL, s->e->old}
		                        : (up_before){s, NULL},
		                after))
			return c->res->rcode;
	if (c->lim->max_zone_records && *after > c->lim->max_zone_records &&
	    *after > c->count)
		return fail(c, DNSD_RCODE_REFUSED,
		            "the zone would hold %zu records, past the limit "
		            "of %zu",
		            *after, c->lim->max_zone_records);
	return 0;
}

/* Raises the serial by one unless the update raised it (§3.6). */
static int bump_serial(up_ctx *c)
{
	up_name *e = name_get(c, c->origin);
	if (e && touch(c, e, NULL))
		return c->err;
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

static int feed(dnsd_zone_builder *b, const uint8_t *owner, uint16_t type,
                uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	return dnsd_zone_builder_add_in(b, owner, type, ttl, rdata, rdlen);
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

/* The new version: every record fed to the builder once. DNSD_EZONE or
 * DNSD_ETOOMANY (why says what) when it fails the zone checks. */
static int build(up_ctx *c, dnsd_zone **zone, dnsd_zdiff **diff, char *why,
                 size_t cap)
{
	dnsd_zone_builder *b = dnsd_zone_builder_new(c->origin);
	if (!b)
		return DNSD_ENOMEM;
	int rc = feed_all(c, b);
	if (rc) {
		dnsd_zone_builder_free(b);
		if (rc == DNSD_ETOOMANY)
			snprintf(why, cap, "the zone would be too large");
		return rc;
	}
	char msg[120];
	dnsd_zone *nz = NULL;
	rc = dnsd_zone_builder_finish_why(b, msg, sizeof msg, &nz);
	if (rc == DNSD_EZONE || rc == DNSD_ETOOMANY) {
		snprintf(why, cap, "the new version fails the zone checks: %s",
		         msg[0] ? msg : dnsd_strerror(rc));
		return DNSD_EZONE;
	}
	if (rc)
		return rc;
	rc = dnsd_zdiff_compute(c->z, nz, diff);
	if (rc) {
		dnsd_zone_unref(nz);
		return rc;
	}
	*zone = nz;
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

/* The end of one message: when it changed the state, the limits and the
 * serial; undone when they fail. */
static int finish(up_ctx *c)
{
	size_t after;
	if (!changed(c))
		return c->err ? DNSD_ENOMEM : 0;
	if (c->err)
		return c->err;
	if (check_limits(c, &after))
		return 0;
	int rc = bump_serial(c);
	if (rc == DNSD_EZONE) {
		fail(c, DNSD_RCODE_REFUSED, "the zone has no SOA");
		return 0;
	}
	if (rc)
		return rc;
	c->count = after;
	c->serial = c->res->serial;
	c->changed = true;
	c->res->changed = true;
	return 0;
}

struct dnsd_update_group {
	up_ctx c;
};

static const dnsd_update_limits no_limits;

int dnsd_update_group_new(const dnsd_zone *z, const dnsd_update_limits *lim,
                          dnsd_update_group **out)
{
	*out = NULL;
	if (!z)
		return DNSD_EINVAL;
	dnsd_update_group *g = calloc(1, sizeof *g);
	if (!g)
		return DNSD_ENOMEM;
	up_ctx *c = &g->c;
	c->z = z;
	c->origin = dnsd_zone_origin(z);
	c->lim = lim ? lim : &no_limits;
	c->count = dnsd_zone_record_count(z);
	c->serial = dnsd_zone_serial(z);
	c->mask = 15;
	c->tab = calloc(c->mask + 1, sizeof *c->tab);
	dnsd_arena_init(&c->a, 0);
	if (!c->tab) {
		dnsd_update_group_free(g);
		return DNSD_ENOMEM;
	}
	*out = g;
	return 0;
}

int dnsd_update_group_apply(dnsd_update_group *g, const dnsd_msg *m,
                            dnsd_update_result *res)
{
	if (!res)
		return DNSD_EINVAL;
	*res = (dnsd_update_result){0};
	if (!g || !m)
		return DNSD_EINVAL;
	up_ctx *c = &g->c;
	c->res = res;
	c->gen++;
	c->saves = NULL;
	c->soa_raised = false;
	res->serial = c->serial;
	res->prereqs = m->count[DNSD_SEC_ANSWER];
	res->updates = m->count[DNSD_SEC_AUTHORITY];
	int rc = c->err;
	if (!rc && !zone_section(c, m) && !prereqs(c, m) && !updates(c, m))
		rc = finish(c);
	if (!rc && c->err)
		rc = c->err;
	if (rc) {
		/* the group is spoilt: nothing more goes in */
		c->err = c->err ? c->err : rc;
		res->rcode = DNSD_RCODE_SERVFAIL;
		snprintf(res->reason, sizeof res->reason, "%s",
		         dnsd_strerror(rc));
		rc = DNSD_ENOMEM;
	} else if (res->rcode) {
		undo(c);
		res->ignored = 0;
		if (!res->reason[0])
			snprintf(res->reason, sizeof res->reason, "failed");
	}
	if (res->rcode) {
		res->changed = false;
		res->serial = c->serial;
	}
	c->res = NULL;
	return rc;
}

int dnsd_update_group_finish(dnsd_update_group *g, dnsd_zone **zone,
                             dnsd_zdiff **diff, char *why, size_t cap)
{
	char none[1];
	if (!why || !cap) {
		why = none;
		cap = sizeof none;
	}
	why[0] = 0;
	*zone = NULL;
	*diff = NULL;
	if (!g)
		return DNSD_EINVAL;
	if (g->c.err)
		return g->c.err;
	if (!g->c.changed)
		return 0;
	return build(&g->c, zone, diff, why, cap);
}

/* ---- the difference without the new version ---- */

static int type_order(const void *pa, const void *pb)
{
	const up_set *a = *(const up_set *const *)pa;
	const up_set *b = *(const up_set *const *)pb;
	return (int)a->type - (int)b->type;
}

static int owner_order(const void *pa, const void *pb)
{
	const up_name *a = *(const up_name *const *)pa;
	const up_name *b = *(const up_name *const *)pb;
	return dnsd_name_cmp(a->name, b->name);
}

static int put_old(dnsd_zdiff *d, const uint8_t *owner, const dnsd_rrset *rs)
{
	dnsd_rr_iter it;
	int rc = 0;
	dnsd_rrset_iter(rs, &it);
	while (!rc && dnsd_rr_next(&it)) {
		dnsd_xfr_rr rr = {.owner = owner,
		                  .type = rs->type,
		                  .ttl = rs->ttl,
		                  .rdata = it.rdata,
		                  .rdlen = it.rdlen};
		rc = dnsd_zdiff_append(d, false, &rr);
	}
	return rc;
}

static int put_new(dnsd_zdiff *d, const uint8_t *owner, const up_set *s,
                   const up_rd *v)
{
	int rc = 0;
	for (uint32_t i = 0; i < s->n && !rc; i++) {
		dnsd_xfr_rr rr = {.owner = owner,
		                  .type = s->type,
		                  .ttl = s->ttl,
		                  .rdata = v[i].rdata,
		                  .rdlen = v[i].rdlen};
		rc = dnsd_zdiff_append(d, true, &rr);
	}
	return rc;
}

/* One name's records of only one side, as dnsd_zdiff_compute lists them
 * (zdiff.c zd_nodes). */
static int diff_name(up_ctx *c, dnsd_zdiff *d, const up_name *e)
{
	const dnsd_node *o = e->old;
	bool apex = dnsd_name_equal(e->name, c->origin);
	unsigned na = o ? dnsd_node_rrset_count(o) : 0, nb = 0;
	const up_set **nv = dnsd_arena_alloc(&c->a, (e->n + 1) * sizeof *nv);
	if (!nv)
		return DNSD_ENOMEM;
	for (uint32_t i = 0; i < e->n; i++)
		if (e->sets[i].n)
			nv[nb++] = &e->sets[i];
	qsort(nv, nb, sizeof *nv, type_order);
	const uint8_t *oa = o ? dnsd_node_name(o) : e->name;
	unsigned i = 0, j = 0;
	int rc = 0;
	while ((i < na || j < nb) && !rc) {
		const dnsd_rrset *sa = i < na ? dnsd_node_rrset_at(o, i) : NULL;
		const up_set *sb = j < nb ? nv[j] : NULL;
		int k = !sa ? 1 : !sb ? -1 : (int)sa->type - (int)sb->type;
		uint16_t type = k <= 0 ? sa->type : sb->type;
		const up_rd *v = k >= 0 ? set_sorted(c, sb) : NULL;
		if (k >= 0 && !v)
			return DNSD_ENOMEM;
		if (apex && type == DNSD_TYPE_SOA) {
			/* in neither list */
		} else if (k < 0) {
			rc = put_old(d, oa, sa);
		} else if (k > 0) {
			rc = put_new(d, e->name, sb, v);
		} else if (sa->ttl != sb->ttl) {
			rc = put_old(d, oa, sa);
			if (!rc)
				rc = put_new(d, e->name, sb, v);
		} else {
			dnsd_rr_iter it;
			dnsd_rrset_iter(sa, &it);
			bool ha = dnsd_rr_next(&it);
			uint32_t x = 0;
			while ((ha || x < sb->n) && !rc) {
				int m = !ha ? 1
				        : x >= sb->n
				            ? -1
				            : dnsd_rdata_cmp(
				                  type, it.rdata, it.rdlen,
				                  v[x].rdata, v[x].rdlen);
				dnsd_xfr_rr rr;
				if (m < 0) {
					rr = (dnsd_xfr_rr){.owner = oa,
					                   .type = type,
					                   .ttl = sa->ttl,
					                   .rdata = it.rdata,
					                   .rdlen = it.rdlen};
					rc = dnsd_zdiff_append(d, false, &rr);
				} else if (m > 0) {
					rr = (dnsd_xfr_rr){.owner = e->name,
					                   .type = type,
					                   .ttl = sb->ttl,
					                   .rdata = v[x].rdata,
					                   .rdlen = v[x].rdlen};
					rc = dnsd_zdiff_append(d, true, &rr);
				}
				if (m <= 0)
					ha = dnsd_rr_next(&it);
				if (m >= 0)
					x++;
			}
		}
		if (k <= 0)
			i++;
		if (k >= 0)
			j++;
	}
	return rc;
}

int dnsd_update_group_diff(dnsd_update_group *g, dnsd_zdiff **diff)
{
	*diff = NULL;
	if (!g)
		return DNSD_EINVAL;
	up_ctx *c = &g->c;
	if (c->err)
		return c->err;
	if (!c->changed)
		return 0;
	up_name **v = calloc(c->nnames + 1, sizeof *v);
	if (!v)
		return DNSD_ENOMEM;
	size_t n = 0;
	for (up_name *e = c->names; e; e = e->next)
		if (e->dirty)
			v[n++] = e;
	qsort(v, n, sizeof *v, owner_order);
	up_name *apex = name_lookup(c, c->origin, dnsd_name_hash(c->origin));
	const up_set *soa = apex ? set_find(apex, DNSD_TYPE_SOA) : NULL;
	const dnsd_rrset *old = old_rrset(c, c->origin, DNSD_TYPE_SOA);
	int rc = DNSD_EINVAL;
	if (soa && old) {
		dnsd_rr_iter it;
		dnsd_rrset_iter(old, &it);
		if (dnsd_rr_next(&it)) {
			dnsd_xfr_rr from = {.owner = c->origin,
			                    .type = DNSD_TYPE_SOA,
			                    .ttl = old->ttl,
			                    .rdata = it.rdata,
			                    .rdlen = it.rdlen};
			dnsd_xfr_rr to = {.owner = c->origin,
			                  .type = DNSD_TYPE_SOA,
			                  .ttl = soa->ttl,
			                  .rdata = soa->rd[0].rdata,
			                  .rdlen = soa->rd[0].rdlen};
			rc = dnsd_zdiff_start(&from, &to, diff);
		}
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = diff_name(c, *diff, v[i]);
	free(v);
	if (rc) {
		dnsd_zdiff_free(*diff);
		*diff = NULL;
	}
	return rc;
}

void dnsd_update_group_free(dnsd_update_group *g)
{
	if (!g)
		return;
	free(g->c.tab);
	dnsd_arena_free(&g->c.a);
	free(g);
}

int dnsd_update_apply(const dnsd_zone *z, const dnsd_msg *m,
                      const dnsd_update_limits *lim, dnsd_update_result *res)
{
	if (!res)
		return DNSD_EINVAL;
	*res = (dnsd_update_result){0};
	if (!z || !m)
		return DNSD_EINVAL;
	dnsd_update_group *g;
	int rc = dnsd_update_group_new(z, lim, &g);
	if (rc == 0)
		rc = dnsd_update_group_apply(g, m, res);
	if (rc == 0 && res->changed) {
		char why[sizeof res->reason];
		rc = dnsd_update_group_finish(g, &res->zone, &res->diff, why,
		                              sizeof why);
		if (rc == DNSD_EZONE || rc == DNSD_ETOOMANY) {
			res->rcode = DNSD_RCODE_REFUSED;
			snprintf(res->reason, sizeof res->reason, "%s", why);
			res->changed = false;
			res->ignored = 0;
			res->serial = dnsd_zone_serial(z);
			rc = 0;
		} else if (rc == 0) {
			res->serial = dnsd_zone_serial(res->zone);
		}
	}
	if (rc) {
		dnsd_update_result_clear(res);
		res->rcode = DNSD_RCODE_SERVFAIL;
		res->changed = false;
		snprintf(res->reason, sizeof res->reason, "%s",
		         dnsd_strerror(rc));
		res->serial = dnsd_zone_serial(z);
		rc = DNSD_ENOMEM;
	}
	dnsd_update_group_free(g);
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
