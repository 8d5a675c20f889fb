/* The zone store (zone.h): a version is built once from records and then
 * only read, by every query worker at once.
 *
 * Layout of a version, all in its arena:
 *   - names: owner names in wire form, packed in slabs as they arrived
 *     (an empty non-terminal points into the name of a child);
 *   - nodes: one per name, empty non-terminals included, in canonical
 *     order (a parent always sorts before its descendants, so a node
 *     finds its parent as an index distance);
 *   - rrsets: per node, sorted by type, each pointing into
 *   - rrdata: TYPE CLASS TTL RDLENGTH RDATA per record, ready to copy;
 *   - hash: open addressing over node indices, keyed on the
 *     case-insensitive name hash; the upper bits of each slot keep the
 *     upper bits of the hash so most mismatches never touch a node.
 *
 * Building keeps the records in three flat arrays (entries, records,
 * rdata blob) that grow without copying (mremap) and are unmapped as soon
 * as the next step no longer needs them, so a zone of a million records
 * loads in a fraction of a second and about its final size in memory.
 * The canonical sort is a radix sort on 64-bit words of the names (see
 * name_word), not a comparison sort: comparing names label by label from
 * the right is what makes a million-name qsort slow. */
#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/rrtype.h>
#include <dnsd/zone.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "name_priv.h"

/* Under AddressSanitizer the temporary arrays come from malloc, so that
 * overflows of them are caught; otherwise from malloc while small (a
 * zone of a few thousand records, rebuilt for every dynamic UPDATE: an
 * mmap and munmap each time would cost more than the build, a TLB
 * shootdown on every CPU per munmap) and from mmap once past
 * ZB_MAP_MIN, so that growing them never copies and freeing them gives
 * the memory back at once. */
#define ZB_MAP_MIN (1u << 20)
#if defined(__SANITIZE_ADDRESS__)
#define ZB_USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZB_USE_MALLOC 1
#endif
#endif

struct dnsd_node {
	const uint8_t *name;
	union {
		const dnsd_rrset *rrsets;
		uint64_t tmp; /* while building: hash << 32 | first entry,
		                 then the number of records */
	};
	uint32_t up; /* index distance to the parent; 0 at the apex */
	uint8_t flags;
	uint8_t namelen; /* octets of name: lookups compare it first */
	uint16_t nrrsets;
};

/* Private flags; dnsd_node_flags hides them. */
#define NODE_LOWER        (1u << 6) /* name all lowercase: compared as is */
#define NODE_ADDR         (1u << 7) /* has A or AAAA (while building) */
#define NODE_PUBLIC_FLAGS 0xbfu     /* DNSD_NODE_NSEC3 (1 << 7) is public */

struct dnsd_zone {
	atomic_uint refs;
	dnsd_arena arena;
	dnsd_node *nodes;
	size_t nnodes;
	size_t nrecords;
	uint32_t *hash;
	uint32_t hmask;
	uint32_t idx_mask; /* low bits of a slot: node index + 1 */
	int olabels;
	uint32_t serial;
	bool servfail; /* a stand-in: every query SERVFAIL */
};

/* ---- node and rrset accessors ---- */

const uint8_t *dnsd_node_name(const dnsd_node *n)
{
	return n->name;
}

unsigned dnsd_node_flags(const dnsd_node *n)
{
	return n->flags & NODE_PUBLIC_FLAGS;
}

const dnsd_node *dnsd_node_parent(const dnsd_node *n)
{
	return n->up ? n - n->up : NULL;
}

unsigned dnsd_node_rrset_count(const dnsd_node *n)
{
	return n->nrrsets;
}

const dnsd_rrset *dnsd_node_rrset_at(const dnsd_node *n, unsigned i)
{
	return i < n->nrrsets ? &n->rrsets[i] : NULL;
}

const dnsd_rrset *dnsd_node_rrset(const dnsd_node *n, uint16_t type)
{
	/* RRsets are sorted by type and nodes hold few of them. */
	for (unsigned i = 0; i < n->nrrsets; i++) {
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
		if (n->rrsets[i].type > type)
			break;
	}
	return NULL;
}

void dnsd_rrset_iter(const dnsd_rrset *s, dnsd_rr_iter *it)
{
	it->p = s->data;
	it->end = s->data + s->size;
	it->rdata = NULL;
	it->rdlen = 0;
}

bool dnsd_rr_next(dnsd_rr_iter *it)
{
	if (it->end - it->p < 10)
		return false;
	uint16_t rdlen = (uint16_t)(it->p[8] << 8 | it->p[9]);
	it->rdata = it->p + 10;
	it->rdlen = rdlen;
	it->p += 10 + (size_t)rdlen;
	return true;
}

/* ---- lookups ----
 *
 * The hash table is keyed on dnsd_name_hash. A query's lookup key
 * (dnsd_name_key) holds its name lowercased with the offsets of its
 * labels, so a suffix is hashed from words of that copy and compared
 * word for word, without walking or case folding. */

/* The node in slot chain of hash h whose name passes eq. */
#define ZPROBE(z, h, n, eq)                                                    \
	do {                                                                   \
		uint32_t tag_ = (h) & ~(z)->idx_mask;                          \
		for (uint32_t i_ = (h) & (z)->hmask;;                          \
		     i_ = (i_ + 1) & (z)->hmask) {                             \
			uint32_t e_ = (z)->hash[i_];                           \
			if (!e_) {                                             \
				n = NULL;                                      \
				break;                                         \
			}                                                      \
			if ((e_ & ~(z)->idx_mask) != tag_)                     \
				continue;                                      \
			n = &(z)->nodes[(e_ & (z)->idx_mask) - 1];             \
			/* the RRsets load while the name compares */          \
			__builtin_prefetch(n->rrsets);                         \
			if (eq)                                                \
				break;                                         \
		}                                                              \
	} while (0)

static const dnsd_node *zfind(const dnsd_zone *z, const uint8_t *name)
{
	size_t len = dnsd_name_len(name);
	const dnsd_node *n;
	ZPROBE(z, dnsd_name_hash(name), n,
	       n->namelen == len && dnsd_name_equal(n->name, name));
	return n;
}

/* Node n is suffix i of k. Names in zones are lowercase nearly always,
 * and then equal k's lowercased copy word for word. */
static inline bool node_is(const dnsd_node *n, const dnsd_name_key *k,
                           unsigned i)
{
	if (n->namelen != k->len - k->off[i])
		return false;
	const uint8_t *s = k->name + k->off[i];
	return n->flags & NODE_LOWER ? octets_eq(n->name, s, n->namelen)
	                             : octets_eq_ci(n->name, s, n->namelen);
}

/* Suffix i of k. */
static inline const dnsd_node *zfind_key(const dnsd_zone *z,
                                         const dnsd_name_key *k, unsigned i)
{
	const dnsd_node *n;
	ZPROBE(z, hash_lowered(k->name + k->off[i], (size_t)k->len - k->off[i]),
	       n, node_is(n, k, i));
	return n;
}

const dnsd_node *dnsd_zone_find(const dnsd_zone *z, const uint8_t *name)
{
	return zfind(z, name);
}

const dnsd_node *dnsd_zone_find_key(const dnsd_zone *z, const dnsd_name_key *k)
{
	return zfind_key(z, k, 0);
}

void dnsd_zone_prefetch_start(dnsd_zone_prefetch *pf, const dnsd_zone *z,
                              const dnsd_name_key *k)
{
	pf->zone = z;
	pf->node = NULL;
	pf->hash =
	    hash_lowered(k->name + k->off[0], (size_t)k->len - k->off[0]);
	__builtin_prefetch(&z->hash[pf->hash & z->hmask]);
}

void dnsd_zone_prefetch_step(dnsd_zone_prefetch *pf)
{
	const dnsd_zone *z = pf->zone;
	if (!z)
		return;
	if (!pf->node) {
		/* The slot has arrived: the first one whose tag matches is
		 * nearly always the node (as in ZPROBE). */
		uint32_t tag = pf->hash & ~z->idx_mask;
		for (uint32_t i = pf->hash & z->hmask;;
		     i = (i + 1) & z->hmask) {
			uint32_t e = z->hash[i];
			if (!e) {
				pf->zone = NULL; /* not in the zone */
				return;
			}
			if ((e & ~z->idx_mask) == tag) {
				pf->node = &z->nodes[(e & z->idx_mask) - 1];
				/* 24 octets: may straddle two lines */
				__builtin_prefetch(pf->node);
				__builtin_prefetch(
				    (const uint8_t *)(pf->node + 1) - 1);
				return;
			}
		}
	}
	__builtin_prefetch(pf->node->name);
	/* RRset headers, and the records that follow them */
	__builtin_prefetch(pf->node->rrsets);
	__builtin_prefetch((const uint8_t *)pf->node->rrsets + 64);
	pf->zone = NULL;
}

static const dnsd_node *wild_child(const dnsd_zone *z, const dnsd_node *n)
{
	/* "*" sorts before letters and digits, so the wildcard is nearly
	 * always the node right after its parent. */
	size_t i = (size_t)(n - z->nodes) + 1;
	if (i < z->nnodes && z->nodes[i].up == 1 &&
	    dnsd_name_is_wildcard(z->nodes[i].name))
		return &z->nodes[i];
	static const uint8_t star[] = {1, '*', 0};
	uint8_t w[DNSD_NAME_MAX];
	if (dnsd_name_concat(star, n->name, w) < 0)
		return NULL;
	const dnsd_node *c;
	ZPROBE(z, dnsd_name_hash(w), c,
	       c->namelen == n->namelen + 2 && dnsd_name_equal(c->name, w));
	return c;
}

int dnsd_zone_lookup_key(const dnsd_zone *z, const dnsd_name_key *k,
                         dnsd_lookup *r)
{
	const dnsd_node *n = zfind_key(z, k, 0);
	r->node = n;
	if (!n) {
		/* Out-of-zone names are never in the table, so only a miss
		 * needs the suffix check. Empty non-terminals are nodes: the
		 * first suffix found is the closest encloser. */
		int extra = (int)k->labels - z->olabels;
		const dnsd_node *apex = &z->nodes[0];
		if (extra < 0 || !node_is(apex, k, (unsigned)extra)) {
			r->encloser = r->cut = r->wildcard = NULL;
			return DNSD_ENOTFOUND;
		}
		for (unsigned at = 1; at < (unsigned)extra && !n; at++)
			n = zfind_key(z, k, at);
		if (!n)
			n = apex;
	}
	r->encloser = n;
	r->cut = NULL;
	if (n->flags & DNSD_NODE_GLUE)
		for (const dnsd_node *q = n; q; q = dnsd_node_parent(q))
			if (q->flags & DNSD_NODE_DELEG)
				r->cut = q;
	r->wildcard =
	    (n->flags & DNSD_NODE_WILDCHILD) ? wild_child(z, n) : NULL;
	return 0;
}

int dnsd_zone_lookup(const dnsd_zone *z, const uint8_t *name, dnsd_lookup *r)
{
	dnsd_name_key k;
	dnsd_name_key_init(&k, name);
	return dnsd_zone_lookup_key(z, &k, r);
}

const uint8_t *dnsd_zone_origin(const dnsd_zone *z)
{
	return z->nodes[0].name;
}

const dnsd_node *dnsd_zone_apex(const dnsd_zone *z)
{
	return &z->nodes[0];
}

uint32_t dnsd_zone_serial(const dnsd_zone *z)
{
	return z->serial;
}

bool dnsd_zone_servfail(const dnsd_zone *z)
{
	return z->servfail;
}

size_t dnsd_zone_node_count(const dnsd_zone *z)
{
	return z->nnodes;
}

const dnsd_node *dnsd_zone_node_at(const dnsd_zone *z, size_t i)
{
	return i < z->nnodes ? &z->nodes[i] : NULL;
}

size_t dnsd_zone_prev_index(const dnsd_zone *z, const uint8_t *name)
{
	const dnsd_node *n = zfind(z, name);
	if (n)
		return (size_t)(n - z->nodes);
	/* Last node <= name; names before the apex get the apex. */
	size_t lo = 0, hi = z->nnodes;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (dnsd_name_cmp(z->nodes[mid].name, name) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

size_t dnsd_zone_record_count(const dnsd_zone *z)
{
	return z->nrecords;
}

size_t dnsd_zone_memory(const dnsd_zone *z)
{
	return z->arena.total;
}

int dnsd_zone_check_limits(const dnsd_zone *z, const dnsd_zone_limits *lim,
                           char *why, size_t cap)
{
	if (lim == NULL || (!lim->max_rrset_records && !lim->max_name_rrsets))
		return 0;
	char name[DNSD_NAME_TEXT_MAX], type[16];
	for (size_t i = 0; i < z->nnodes; i++) {
		const dnsd_node *n = dnsd_zone_node_at(z, i);
		unsigned k = dnsd_node_rrset_count(n);
		size_t over = 0;
		const dnsd_rrset *big = NULL;
		if (lim->max_name_rrsets && k > lim->max_name_rrsets)
			over = k;
		for (unsigned j = 0; !over && lim->max_rrset_records && j < k;
		     j++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, j);
			if (s->count > lim->max_rrset_records)
				big = s;
			if (big)
				break;
		}
		if (!over && !big)
			continue;
		if (why == NULL || cap == 0)
			return DNSD_ETOOMANY;
		if (dnsd_name_to_text(dnsd_node_name(n), name, sizeof name) < 0)
			snprintf(name, sizeof name, "(a name)");
		if (over)
			snprintf(
			    why, cap,
			    "%s has %u RRsets, past max-types-per-name %zu",
			    name, k, lim->max_name_rrsets);
		else
			snprintf(why, cap,
			         "%s %s has %u records, past "
			         "max-records-per-type %zu",
			         name, dnsd_rrtype_to_text(big->type, type),
			         (unsigned)big->count, lim->max_rrset_records);
		return DNSD_ETOOMANY;
	}
	return 0;
}

void dnsd_zone_ref(dnsd_zone *z)
{
	atomic_fetch_add_explicit(&z->refs, 1, memory_order_relaxed);
}

void dnsd_zone_unref(dnsd_zone *z)
{
	if (!z)
		return;
	if (atomic_fetch_sub_explicit(&z->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* The zone struct lives in its own arena: copy the arena out first. */
	dnsd_arena a = z->arena;
	dnsd_arena_free(&a);
}

/* ---- temporary arrays ---- */

typedef struct vec {
	uint8_t *p;
	size_t len, cap; /* octets */
	size_t released; /* octets at the start given back (read once) */
	bool mapped;     /* p is an mmap, else malloc'd */
} vec;

static int vec_reserve(vec *v, size_t need)
{
	if (v->cap - v->len >= need)
		return 0;
	size_t cap = v->cap ? v->cap : 16384;
	while (cap - v->len < need) {
		if (cap > SIZE_MAX / 4)
			return DNSD_ENOMEM;
		cap *= 2;
	}
#ifdef ZB_USE_MALLOC
	void *p = realloc(v->p, cap);
	if (!p)
		return DNSD_ENOMEM;
#else
	void *p;
	if (cap < ZB_MAP_MIN) {
		if (!(p = realloc(v->p, cap)))
			return DNSD_ENOMEM;
	} else if (v->mapped) {
		p = mremap(v->p, v->cap, cap, MREMAP_MAYMOVE);
		if (p == MAP_FAILED)
			return DNSD_ENOMEM;
	} else {
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return DNSD_ENOMEM;
		if (v->p)
			memcpy(p, v->p, v->len);
		free(v->p);
		v->mapped = true;
	}
#endif
	v->p = p;
	v->cap = cap;
	return 0;
}

/* Gives back the memory of the first upto octets, no longer needed by a
 * pass that reads the array front to back (the array stays usable
 * beyond). Keeps the peak low while one array is copied into another. */
static void vec_release_prefix(vec *v, size_t upto)
{
#ifdef ZB_USE_MALLOC
	(void)v;
	(void)upto;
#else
	size_t page = 1u << 20; /* in big steps: a call per MiB */
	upto &= ~(page - 1);
	if (v->mapped && upto > v->released) {
		madvise(v->p + v->released, upto - v->released, MADV_DONTNEED);
		v->released = upto;
	}
#endif
}

static void vec_free(vec *v)
{
#ifdef ZB_USE_MALLOC
	free(v->p);
#else
	if (v->mapped)
		munmap(v->p, v->cap);
	else
		free(v->p);
#endif
	v->p = NULL;
	v->len = v->cap = v->released = 0;
	v->mapped = false;
}

/* ---- the builder ---- */

/* A run of consecutive records with the same owner, as they arrived.
 * key is the sort key while sorting, then what the node pass needs. */
typedef struct zb_entry {
	uint64_t key;
	uint32_t name; /* slab << SLAB_BITS | offset */
	uint32_t rec;  /* first record */
} zb_entry;

typedef struct zb_rec {
	uint32_t rdoff; /* in blob: TTL (4 octets, host order) then RDATA */
	uint32_t line;  /* | REC_FIRST on the first record of an entry */
	uint16_t type;
	uint16_t rdlen;
} zb_rec;

#define REC_FIRST  0x80000000u
#define SLAB_BITS  20
#define SLAB_MAX   (1u << SLAB_BITS)
#define SLAB_FIRST 4096u
#define SLABS_MAX  (1u << (32 - SLAB_BITS))
#define PEND_MAX   1000
#define LABELS_MAX 128

/* A diagnostic found while adding, reported by finish. */
typedef struct zb_pend {
	int severity;
	uint32_t file;
	uint32_t line;
	char msg[DNSD_NAME_TEXT_MAX + 64];
} zb_pend;

typedef struct zb_mark {
	uint32_t rec;  /* records from here on */
	uint32_t file; /* come from this file */
} zb_mark;

struct dnsd_zone_builder {
	dnsd_arena arena; /* becomes the zone's */
	uint8_t origin[DNSD_NAME_MAX];
	size_t olen;
	int olabels;
	uint8_t **slabs;
	uint32_t nslabs, slabs_cap;
	size_t slab_used, slab_size;
	const uint8_t *last; /* owner of the last entry */
	size_t last_len;
	vec ent, rec, blob, marks;
	char **files;
	uint32_t nfiles;
	const char *last_file;
	uint32_t cur_file;
	zb_pend *pend;
	size_t npend;
	size_t pend_lost;
	int err;         /* sticky allocation failure */
	int32_t ok_type; /* the last type found fit for a zone */
};

#define ENT(b)  ((zb_entry *)(b)->ent.p)
#define REC(b)  ((zb_rec *)(b)->rec.p)
#define NENT(b) ((b)->ent.len / sizeof(zb_entry))
#define NREC(b) ((b)->rec.len / sizeof(zb_rec))

static inline const uint8_t *zb_name(const dnsd_zone_builder *b, uint32_t ref)
{
	return b->slabs[ref >> SLAB_BITS] + (ref & (SLAB_MAX - 1));
}

static inline uint32_t zb_ttl(const dnsd_zone_builder *b, uint32_t r)
{
	uint32_t ttl;
	memcpy(&ttl, b->blob.p + REC(b)[r].rdoff, 4);
	return ttl;
}

static inline const uint8_t *zb_rdata(const dnsd_zone_builder *b, uint32_t r)
{
	return b->blob.p + REC(b)[r].rdoff + 4;
}

dnsd_zone_builder *dnsd_zone_builder_new(const uint8_t *origin)
{
	if (!origin)
		return NULL;
	dnsd_zone_builder *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	dnsd_arena_init(&b->arena, 0);
	b->olen = dnsd_name_len(origin);
	memcpy(b->origin, origin, b->olen);
	b->olabels = dnsd_name_labels(origin);
	b->ok_type = -1;
	return b;
}

void dnsd_zone_builder_free(dnsd_zone_builder *b)
{
	if (!b)
		return;
	vec_free(&b->ent);
	vec_free(&b->rec);
	vec_free(&b->blob);
	vec_free(&b->marks);
	for (uint32_t i = 0; i < b->nfiles; i++)
		free(b->files[i]);
	free(b->files);
	free(b->slabs);
	free(b->pend);
	dnsd_arena_free(&b->arena);
	free(b);
}

static int file_index(dnsd_zone_builder *b, const char *file, uint32_t *idx)
{
	const char *f = file ? file : "";
	/* The pointer alone is not enough: a caller may reuse a buffer (or
	 * a freed name's address) for another file; the name check costs
	 * one short strcmp per record. */
	if (file == b->last_file && b->nfiles &&
	    strcmp(b->files[b->cur_file], f) == 0) {
		*idx = b->cur_file;
		return 0;
	}
	for (uint32_t i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i], f) == 0) {
			b->last_file = file;
			*idx = b->cur_file = i;
			return 0;
		}
	char **nf = realloc(b->files, (b->nfiles + 1) * sizeof *nf);
	if (!nf)
		return DNSD_ENOMEM;
	b->files = nf;
	if (!(nf[b->nfiles] = strdup(f)))
		return DNSD_ENOMEM;
	b->last_file = file;
	*idx = b->cur_file = b->nfiles++;
	return 0;
}

static void pend(dnsd_zone_builder *b, int severity, uint32_t file,
                 uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void pend(dnsd_zone_builder *b, int severity, uint32_t file,
                 uint32_t line, const char *fmt, ...)
{
	if (b->npend == PEND_MAX) {
		b->pend_lost++;
		return;
	}
	if (!b->pend && !(b->pend = malloc(PEND_MAX * sizeof *b->pend))) {
		b->err = DNSD_ENOMEM;
		return;
	}
	zb_pend *p = &b->pend[b->npend++];
	p->severity = severity;
	p->file = file;
	p->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
}

static bool in_zone(const dnsd_zone_builder *b, const uint8_t *name, size_t len)
{
	if (len < b->olen)
		return false;
	size_t at = len - b->olen, i = 0;
	while (i < at)
		i += name[i] + 1u;
	return i == at && dnsd_name_equal(name + at, b->origin);
}

static int store_name(dnsd_zone_builder *b, const uint8_t *name, size_t len,
                      uint32_t *ref)
{
	if (b->slab_size - b->slab_used < len) {
		if (b->nslabs == SLABS_MAX)
			return DNSD_ETOOMANY;
		if (b->nslabs == b->slabs_cap) {
			uint32_t cap = b->slabs_cap ? b->slabs_cap * 2 : 16;
			uint8_t **s = realloc(b->slabs, cap * sizeof *s);
			if (!s)
				return DNSD_ENOMEM;
			b->slabs = s;
			b->slabs_cap = cap;
		}
		/* Small zones stay small; big ones get 1 MiB slabs. */
		size_t size = b->slab_size ? b->slab_size * 2 : SLAB_FIRST;
		if (size > SLAB_MAX)
			size = SLAB_MAX;
		uint8_t *s = dnsd_arena_alloc(&b->arena, size);
		if (!s)
			return DNSD_ENOMEM;
		b->slabs[b->nslabs++] = s;
		b->slab_size = size;
		b->slab_used = 0;
	}
	uint8_t *p = b->slabs[b->nslabs - 1] + b->slab_used;
	memcpy(p, name, len);
	*ref = (b->nslabs - 1) << SLAB_BITS | (uint32_t)b->slab_used;
	b->slab_used += len;
	b->last = p;
	b->last_len = len;
	return 0;
}

static int add_record(dnsd_zone_builder *b, const dnsd_zf_rr *rr, uint32_t file)
{
	size_t olen = dnsd_name_len(rr->owner);
	size_t nrec = NREC(b);
	bool first = false;
	if (nrec >= REC_FIRST || b->blob.len + 4 + rr->rdlen > UINT32_MAX)
		return DNSD_ETOOMANY;
	if (!b->last || olen != b->last_len ||
	    memcmp(rr->owner, b->last, olen) != 0) {
		if (!in_zone(b, rr->owner, olen)) {
			char txt[DNSD_NAME_TEXT_MAX];
			dnsd_name_to_text(rr->owner, txt, sizeof txt);
			pend(b, DNSD_DIAG_ERROR, file, rr->line,
			     "out of zone data: %s", txt);
			return 0;
		}
		zb_entry e = {0, 0, (uint32_t)nrec};
		int rc = vec_reserve(&b->ent, sizeof e);
		if (!rc)
			rc = store_name(b, rr->owner, olen, &e.name);
		if (rc)
			return rc;
		memcpy(b->ent.p + b->ent.len, &e, sizeof e);
		b->ent.len += sizeof e;
		first = true;
	}
	int rc = vec_reserve(&b->rec, sizeof(zb_rec));
	if (!rc)
		rc = vec_reserve(&b->blob, 4 + (size_t)rr->rdlen);
	if (rc)
		return rc;
	zb_rec *r = (zb_rec *)(b->rec.p + b->rec.len);
	r->rdoff = (uint32_t)b->blob.len;
	r->line = (rr->line & ~REC_FIRST) | (first ? REC_FIRST : 0);
	r->type = rr->type;
	r->rdlen = rr->rdlen;
	b->rec.len += sizeof *r;
	memcpy(b->blob.p + b->blob.len, &rr->ttl, 4);
	if (rr->rdlen)
		memcpy(b->blob.p + b->blob.len + 4, rr->rdata, rr->rdlen);
	b->blob.len += 4 + (size_t)rr->rdlen;
	return 0;
}

int dnsd_zone_builder_add(dnsd_zone_builder *b, const dnsd_zf_rr *rr)
{
	if (b->err)
		return b->err;
	uint32_t file;
	int rc = file_index(b, rr->file, &file);
	if (rc)
		return b->err = rc;
	char buf[16];
	if (rr->rclass != DNSD_CLASS_IN) {
		pend(b, DNSD_DIAG_ERROR, file, rr->line,
		     "class %s not supported (only IN)",
		     dnsd_rrclass_to_text(rr->rclass, buf));
		return b->err;
	}
	const dnsd_rrtype_info *info =
	    rr->type == b->ok_type ? NULL : dnsd_rrtype_info_get(rr->type);
	if (rr->type == 0 || (info && (info->flags & DNSD_RRF_META))) {
		pend(b, DNSD_DIAG_ERROR, file, rr->line,
		     "type %s is not zone data",
		     dnsd_rrtype_to_text(rr->type, buf));
		return b->err;
	}
	b->ok_type = rr->type;
	/* A record arriving from another file than the last one opens a
	 * mark, so diagnostics after sorting still know its file. */
	size_t nm = b->marks.len / sizeof(zb_mark);
	if (!nm || ((zb_mark *)b->marks.p)[nm - 1].file != file) {
		if ((rc = vec_reserve(&b->marks, sizeof(zb_mark))))
			return b->err = rc;
		zb_mark m = {(uint32_t)NREC(b), file};
		memcpy(b->marks.p + b->marks.len, &m, sizeof m);
		b->marks.len += sizeof m;
	}
	if ((rc = add_record(b, rr, file)))
		b->err = rc;
	return rc;
}

/* ---- canonical sort ----
 *
 * A name's sort key is a sequence of 64-bit words: its labels below the
 * origin from the rightmost, each cut in 7-octet pieces (lowercased,
 * zero-padded) followed by one octet telling how many of the label's
 * octets are left, plus 1 (1..8); a 0 word ends the name. Comparing
 * these words in order is comparing names in RFC 4034 §6.1 order: a
 * label that is a prefix of another has fewer octets left at the point
 * where they part, and the end of a name (0) sorts before any label. */

static int rel_offsets(const dnsd_zone_builder *b, const uint8_t *name,
                       uint8_t off[LABELS_MAX])
{
	int n = 0;
	for (unsigned i = 0; name[i]; i += name[i] + 1u)
		off[n++] = (uint8_t)i;
	return n - b->olabels;
}

static uint64_t name_word(const dnsd_zone_builder *b, const uint8_t *name,
                          unsigned depth)
{
	uint8_t off[LABELS_MAX];
	for (int l = rel_offsets(b, name, off) - 1; l >= 0; l--) {
		const uint8_t *lab = name + off[l];
		unsigned len = lab[0], words = len / 7 + 1;
		if (depth >= words) {
			depth -= words;
			continue;
		}
		unsigned start = depth * 7, rem = len - start;
		unsigned cnt = rem < 7 ? rem : 7;
		uint64_t w = 0;
		for (unsigned i = 0; i < 7; i++)
			w = w << 8 |
			    (i < cnt ? dnsd_lower[lab[1 + start + i]] : 0);
		return w << 8 | (cnt + 1);
	}
	return 0;
}

static void key_isort(zb_entry *e, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		zb_entry v = e[i];
		size_t j = i;
		while (j > 0 && e[j - 1].key > v.key) {
			e[j] = e[j - 1];
			j--;
		}
		e[j] = v;
	}
}

/* In-place MSD radix sort on key, starting at the highest octet that
 * differs (so constant prefixes cost one scan, not one pass each). */
static void key_sort(zb_entry *e, size_t n)
{
	if (n < 48) {
		key_isort(e, n);
		return;
	}
	uint64_t diff = 0, k0 = e[0].key;
	for (size_t i = 1; i < n; i++)
		diff |= e[i].key ^ k0;
	if (!diff)
		return;
	unsigned shift = (unsigned)(63 - __builtin_clzll(diff)) & ~7u;
	size_t cnt[256] = {0}, next[256], end[256];
	for (size_t i = 0; i < n; i++)
		cnt[(e[i].key >> shift) & 0xff]++;
	for (size_t d = 0, s = 0; d < 256; d++) {
		next[d] = s;
		s += cnt[d];
		end[d] = s;
	}
	for (unsigned d = 0; d < 256; d++) {
		while (next[d] < end[d]) {
			zb_entry v = e[next[d]];
			unsigned x = (v.key >> shift) & 0xff;
			while (x != d) {
				zb_entry t = e[next[x]];
				e[next[x]++] = v;
				v = t;
				x = (v.key >> shift) & 0xff;
			}
			e[next[d]++] = v;
		}
	}
	if (!shift)
		return;
	for (size_t d = 0, s = 0; d < 256; s += cnt[d], d++)
		if (cnt[d] > 1)
			key_sort(e + s, cnt[d]);
}

/* After sorting, key says how the entry relates to the one before it. */
#define KEY_NEW  0u /* a name not seen before */
#define KEY_SAME 1u /* the same name as the previous entry */

static void sort_names(const dnsd_zone_builder *b, zb_entry *e, size_t n,
                       unsigned depth)
{
	for (size_t i = 0; i < n; i++)
		e[i].key = name_word(b, zb_name(b, e[i].name), depth);
	key_sort(e, n);
	for (size_t i = 0; i < n;) {
		uint64_t k = e[i].key;
		size_t j = i + 1;
		while (j < n && e[j].key == k)
			j++;
		if (j - i > 1 && k != 0) {
			sort_names(b, e + i, j - i, depth + 1);
		} else {
			e[i].key = KEY_NEW;
			for (size_t m = i + 1; m < j; m++)
				e[m].key = KEY_SAME;
		}
		i = j;
	}
}

/* ---- finishing ---- */

typedef struct zb_diag {
	dnsd_diag_fn fn;
	void *ctx;
	unsigned warnings, errors;
} zb_diag;

static void report(zb_diag *d, int severity, const char *file, unsigned line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(zb_diag *d, int severity, const char *file, unsigned line,
                   const char *fmt, ...)
{
	char msg[2 * DNSD_NAME_TEXT_MAX + 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dnsd_diag g = {
	    severity, file && *file ? file : NULL, line, 0, msg, NULL, 0};
	if (severity == DNSD_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->fn)
		d->fn(d->ctx, &g);
	else
		dnsd_diag_print(stderr, &g);
}

static const char *rec_file(const dnsd_zone_builder *b, uint32_t r)
{
	const zb_mark *m = (const zb_mark *)b->marks.p;
	size_t lo = 0, hi = b->marks.len / sizeof *m;
	if (!hi)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (m[mid].rec <= r)
			lo = mid;
		else
			hi = mid;
	}
	return b->files[m[lo].file];
}

static inline unsigned rec_line(const dnsd_zone_builder *b, uint32_t r)
{
	return REC(b)[r].line & ~REC_FIRST;
}

/* State of one finish run. */
typedef struct zb_build {
	dnsd_zone_builder *b;
	dnsd_zone *z;
	zb_diag d;
	vec order;   /* kept record indices, node by node, type by type */
	vec scratch; /* one node's record indices */
	size_t nrrsets;
	size_t rrdata;
	size_t soa;
} zb_build;

static void node_text(const dnsd_node *n, char buf[DNSD_NAME_TEXT_MAX])
{
	dnsd_name_to_text(n->name, buf, DNSD_NAME_TEXT_MAX);
}

/* Pass 1 over the sorted entries: how many nodes, with their empty
 * non-terminals. Each new name's key is set to the index of its closest
 * existing ancestor and the number of non-terminals between them, so the
 * second pass fills the nodes without comparing names again. */
typedef struct zb_path {
	const uint8_t *name;
	uint32_t idx;
	int labels; /* below the origin */
} zb_path;

static size_t skip_apex(const dnsd_zone_builder *b, const zb_entry *e, size_t n)
{
	uint8_t off[LABELS_MAX];
	if (!n || rel_offsets(b, zb_name(b, e[0].name), off) != 0)
		return 0;
	size_t i = 1;
	while (i < n && e[i].key == KEY_SAME)
		i++;
	return i;
}

static size_t plan_nodes(const dnsd_zone_builder *b, zb_entry *e, size_t n)
{
	zb_path path[LABELS_MAX + 1];
	int top = 0;
	uint32_t count = 1;
	path[0] = (zb_path){b->origin, 0, 0};
	for (size_t i = skip_apex(b, e, n); i < n; i++) {
		if (e[i].key == KEY_SAME)
			continue;
		const uint8_t *x = zb_name(b, e[i].name);
		uint8_t off[LABELS_MAX];
		int cx = rel_offsets(b, x, off);
		/* Canonical order is a depth-first walk: pop what is not an
		 * ancestor of x; the apex always is. */
		while (top > 0 &&
		       (path[top].labels >= cx ||
		        !dnsd_name_equal(x + off[cx - path[top].labels],
		                         path[top].name)))
			top--;
		uint64_t ents = (uint64_t)(cx - path[top].labels - 1);
		e[i].key = (uint64_t)path[top].idx << 8 | ents << 1 | KEY_NEW;
		for (int c = path[top].labels + 1; c <= cx; c++) {
			top++;
			path[top] = (zb_path){x + off[cx - c], count++, c};
		}
	}
	return count;
}

/* A node's length and lowercase flag come from its parent's. */
static void link_node(dnsd_node *nodes, uint32_t k, uint32_t parent,
                      const uint8_t *name, uint32_t entry, uint8_t flags)
{
	uint32_t h = dnsd_name_hash(name);
	size_t len =
	    k ? nodes[parent].namelen + name[0] + 1u : dnsd_name_len(name);
	bool lower = !k || (nodes[parent].flags & NODE_LOWER);
	for (size_t i = 1; lower && i < (k ? name[0] + 1u : len); i++)
		lower = dnsd_lower[name[i]] == name[i];
	if (lower)
		flags |= NODE_LOWER;
	nodes[k] = (dnsd_node){.name = name,
	                       .tmp = (uint64_t)h << 32 | entry,
	                       .up = k - parent,
	                       .flags = flags,
	                       .namelen = (uint8_t)len};
	if (k && dnsd_name_is_wildcard(name))
		nodes[parent].flags |= DNSD_NODE_WILDCHILD;
}

static void fill_nodes(const dnsd_zone_builder *b, const zb_entry *e, size_t n,
                       const uint8_t *apex, dnsd_node *nodes)
{
	size_t i = skip_apex(b, e, n);
	link_node(nodes, 0, 0, apex, 0,
	          DNSD_NODE_APEX | (i ? 0 : DNSD_NODE_ENT));
	uint32_t k = 1;
	for (; i < n; i++) {
		if (e[i].key == KEY_SAME)
			continue;
		const uint8_t *x = zb_name(b, e[i].name);
		uint8_t off[LABELS_MAX];
		int cx = rel_offsets(b, x, off);
		int ents = (int)(e[i].key >> 1 & 0x7f);
		uint32_t parent = (uint32_t)(e[i].key >> 8);
		for (int c = cx - ents; c < cx; c++, k++) {
			link_node(nodes, k, parent, x + off[cx - c],
			          (uint32_t)i, DNSD_NODE_ENT);
			parent = k;
		}
		link_node(nodes, k++, parent, x, (uint32_t)i, 0);
	}
}

static int build_hash(dnsd_zone *z, dnsd_arena *a)
{
	size_t size = 8;
	while (size < z->nnodes + z->nnodes / 3 + 1)
		size *= 2;
	z->hash = dnsd_arena_alloc(a, size * sizeof *z->hash);
	if (!z->hash)
		return DNSD_ENOMEM;
	memset(z->hash, 0, size * sizeof *z->hash);
	z->hmask = (uint32_t)(size - 1);
	uint32_t bits = 32 - (uint32_t)__builtin_clz((uint32_t)z->nnodes);
	z->idx_mask = (uint32_t)((1ull << bits) - 1);
	/* Hashes were taken while the names were in cache (fill_nodes);
	 * prefetching the slots a few nodes ahead overlaps the misses. */
	const dnsd_node *nodes = z->nodes;
	for (size_t k = 0; k < z->nnodes; k++) {
		if (k + 8 < z->nnodes)
			__builtin_prefetch(
			    &z->hash[(uint32_t)(nodes[k + 8].tmp >> 32) &
			             z->hmask],
			    1);
		uint32_t h = (uint32_t)(nodes[k].tmp >> 32);
		uint32_t i = h & z->hmask;
		while (z->hash[i])
			i = (i + 1) & z->hmask;
		z->hash[i] = (h & ~z->idx_mask) | (uint32_t)(k + 1);
	}
	return 0;
}

static int rec_cmp(const void *pa, const void *pb, void *ctx)
{
	const dnsd_zone_builder *b = ctx;
	uint32_t i = *(const uint32_t *)pa, j = *(const uint32_t *)pb;
	const zb_rec *ri = &REC(b)[i], *rj = &REC(b)[j];
	if (ri->type != rj->type)
		return ri->type < rj->type ? -1 : 1;
	int c = dnsd_rdata_cmp(ri->type, zb_rdata(b, i), ri->rdlen,
	                       zb_rdata(b, j), rj->rdlen);
	if (c)
		return c;
	return i < j ? -1 : i > j;
}

static void sort_recs(dnsd_zone_builder *b, uint32_t *r, size_t n)
{
	if (n > 16) {
		qsort_r(r, n, sizeof *r, rec_cmp, b);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t v = r[i];
		size_t j = i;
		while (j > 0 && rec_cmp(&r[j - 1], &v, b) > 0) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = v;
	}
}

static int push_u32(vec *v, uint32_t x)
{
	int rc = vec_reserve(v, 4);
	if (rc)
		return rc;
	memcpy(v->p + v->len, &x, 4);
	v->len += 4;
	return 0;
}

/* What one node holds, for the checks that look across its RRsets. */
typedef struct zb_node_sum {
	uint32_t cname; /* a CNAME record, or UINT32_MAX */
	uint32_t other; /* a record beside which CNAME is not allowed */
	unsigned nrrsets;
	size_t kept;
} zb_node_sum;

static bool cname_may_coexist(uint16_t type)
{
	return type == DNSD_TYPE_CNAME || type == DNSD_TYPE_RRSIG ||
	       type == DNSD_TYPE_NSEC;
}

/* Dedups and checks one RRset: sorted records r[0..n) of one type. */
static int take_rrset(zb_build *bd, dnsd_node *node, bool apex,
                      const uint32_t *r, size_t n, zb_node_sum *sum)
{
	dnsd_zone_builder *b = bd->b;
	uint16_t type = REC(b)[r[0]].type;
	char name[DNSD_NAME_TEXT_MAX], tname[16];
	/* The first TTL in file order wins, as in BIND. */
	uint32_t first = r[0];
	for (size_t i = 1; i < n; i++)
		if (r[i] < first)
			first = r[i];
	uint32_t ttl = zb_ttl(b, first);
	bool ttl_warned = false;
	size_t kept = 0;
	uint32_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t x = r[i];
		const zb_rec *rx = &REC(b)[x];
		if (kept &&
		    dnsd_rdata_cmp(type, zb_rdata(b, prev), REC(b)[prev].rdlen,
		                   zb_rdata(b, x), rx->rdlen) == 0) {
			node_text(node, name);
			dnsd_rrtype_to_text(type, tname);
			report(&bd->d, DNSD_DIAG_WARNING, rec_file(b, x),
			       rec_line(b, x),
			       "duplicate record %s %s ignored (first at "
			       "%s:%u)",
			       name, tname, rec_file(b, prev),
			       rec_line(b, prev));
			continue;
		}
		uint32_t t = zb_ttl(b, x);
		if (t != ttl) {
			if (!ttl_warned) {
				node_text(node, name);
				dnsd_rrtype_to_text(type, tname);
				report(&bd->d, DNSD_DIAG_WARNING,
				       rec_file(b, x), rec_line(b, x),
				       "TTL %u of %s %s differs from the "
				       "RRset's TTL %u (line %u); using %u",
				       t, name, tname, ttl, rec_line(b, first),
				       ttl);
				ttl_warned = true;
			}
			memcpy(b->blob.p + rx->rdoff, &ttl, 4);
		}
		int rc = push_u32(&bd->order, x);
		if (rc)
			return rc;
		bd->rrdata += 10 + (size_t)rx->rdlen;
		prev = x;
		kept++;
	}
	sum->kept += kept;
	sum->nrrsets++;
	const dnsd_rrtype_info *info =
	    kept > 1 ? dnsd_rrtype_info_get(type) : NULL;
	if (kept > UINT16_MAX || (info && (info->flags & DNSD_RRF_SINGLETON))) {
		node_text(node, name);
		dnsd_rrtype_to_text(type, tname);
		report(&bd->d, DNSD_DIAG_ERROR, rec_file(b, r[1]),
		       rec_line(b, r[1]),
		       kept > UINT16_MAX ? "too many %s records at %s"
		                         : "more than one %s record at %s",
		       tname, name);
	}
	if (type == DNSD_TYPE_SOA) {
		if (!apex) {
			node_text(node, name);
			report(&bd->d, DNSD_DIAG_ERROR, rec_file(b, first),
			       rec_line(b, first),
			       "SOA record not at the zone apex (%s)", name);
		} else {
			uint32_t x[4];
			bd->soa = first;
			if (dnsd_soa_fields(zb_rdata(b, first),
			                    REC(b)[first].rdlen, &bd->z->serial,
			                    &x[0], &x[1], &x[2], &x[3]) < 0)
				report(&bd->d, DNSD_DIAG_ERROR,
				       rec_file(b, first), rec_line(b, first),
				       "malformed SOA record");
		}
	}
	if (type == DNSD_TYPE_CNAME)
		sum->cname = first;
	else if (!cname_may_coexist(type) && sum->other == UINT32_MAX)
		sum->other = first;
	if (type == DNSD_TYPE_NS && !apex)
		node->flags |= DNSD_NODE_DELEG;
	if (type == DNSD_TYPE_A || type == DNSD_TYPE_AAAA)
		node->flags |= NODE_ADDR;
	if (type == DNSD_TYPE_CNAME)
		node->flags |= DNSD_NODE_CNAME;
	return 0;
}

/* A name holding NSEC3 records and their RRSIGs only: it lives in the
 * hashed name space, not in the zone's (RFC 5155 §7.2.8). */
static bool nsec3_only(const dnsd_node *n)
{
	bool nsec3 = false;

	for (unsigned i = 0; i < n->nrrsets; i++) {
		if (n->rrsets[i].type == DNSD_TYPE_NSEC3)
			nsec3 = true;
		else if (n->rrsets[i].type != DNSD_TYPE_RRSIG)
			return false;
	}
	return nsec3;
}

/* Gathers a node's records from its entries into bd->scratch. */
static int gather(zb_build *bd, size_t s, size_t t)
{
	dnsd_zone_builder *b = bd->b;
	const zb_entry *e = ENT(b);
	size_t nrec = NREC(b);
	bd->scratch.len = 0;
	for (size_t j = s; j < t; j++) {
		uint32_t r = e[j].rec;
		do {
			int rc = push_u32(&bd->scratch, r);
			if (rc)
				return rc;
		} while (++r < nrec && !(REC(b)[r].line & REC_FIRST));
	}
	return 0;
}

/* Pass over the nodes in order: records sorted and folded per node,
 * RRsets counted, node flags and the per-node checks. Afterwards a
 * node's tmp is its number of kept records. */
static int take_records(zb_build *bd)
{
	dnsd_zone_builder *b = bd->b;
	dnsd_node *nodes = bd->z->nodes;
	size_t m = bd->z->nnodes, nent = NENT(b);
	bd->soa = UINT32_MAX;
	for (size_t k = 0; k < m; k++) {
		dnsd_node *node = &nodes[k];
		size_t t = k + 1 < m ? (uint32_t)nodes[k + 1].tmp : nent;
		int rc = gather(bd, (uint32_t)node->tmp, t);
		if (rc)
			return rc;
		uint32_t *r = (uint32_t *)bd->scratch.p;
		size_t n = bd->scratch.len / 4;
		sort_recs(b, r, n);
		zb_node_sum sum = {UINT32_MAX, UINT32_MAX, 0, 0};
		for (size_t i = 0; i < n;) {
			size_t j = i + 1;
			while (j < n && REC(b)[r[j]].type == REC(b)[r[i]].type)
				j++;
			if ((rc = take_rrset(bd, node, k == 0, r + i, j - i,
			                     &sum)))
				return rc;
			i = j;
		}
		if (sum.cname != UINT32_MAX && sum.other != UINT32_MAX) {
			char name[DNSD_NAME_TEXT_MAX];
			node_text(node, name);
			report(&bd->d, DNSD_DIAG_ERROR, rec_file(b, sum.other),
			       rec_line(b, sum.other),
			       "CNAME and other data at %s", name);
		}
		if (sum.nrrsets > UINT16_MAX)
			return DNSD_ETOOMANY;
		node->nrrsets = (uint16_t)sum.nrrsets;
		node->tmp = sum.kept;
		bd->nrrsets += sum.nrrsets;
		/* Parents come first, so theirs is already final. */
		const dnsd_node *p = dnsd_node_parent(node);
		if ((node->flags & DNSD_NODE_DELEG) ||
		    (p && (p->flags & DNSD_NODE_GLUE)))
			node->flags |= DNSD_NODE_GLUE;
	}
	if (bd->soa == UINT32_MAX)
		report(&bd->d, DNSD_DIAG_ERROR, b->nfiles ? b->files[0] : NULL,
		       0, "no SOA record at the zone apex");
	return 0;
}

/* In-zone NS, MX and SRV targets should have addresses here. A target
 * below some other zone cut has them in the child zone instead. */
static void check_target(zb_build *bd, const dnsd_node *owner, uint32_t x)
{
	dnsd_zone_builder *b = bd->b;
	const zb_rec *rx = &REC(b)[x];
	if (rx->type != DNSD_TYPE_NS && rx->type != DNSD_TYPE_MX &&
	    rx->type != DNSD_TYPE_SRV)
		return;
	const uint8_t *t =
	    dnsd_rdata_target(rx->type, zb_rdata(b, x), rx->rdlen);
	if (!t || dnsd_name_is_root(t) || !in_zone(b, t, dnsd_name_len(t)))
		return;
	dnsd_lookup l;
	if (dnsd_zone_lookup(bd->z, t, &l) < 0)
		return;
	if (l.node && (l.node->flags & NODE_ADDR))
		return;
	if (l.cut && (rx->type != DNSD_TYPE_NS || l.cut != owner))
		return;
	char tname[DNSD_NAME_TEXT_MAX], oname[DNSD_NAME_TEXT_MAX], tb[16];
	dnsd_name_to_text(t, tname, sizeof tname);
	node_text(owner, oname);
	report(&bd->d, DNSD_DIAG_WARNING, rec_file(b, x), rec_line(b, x),
	       "%s target %s of %s has no address records (A or AAAA)",
	       dnsd_rrtype_to_text(rx->type, tb), tname, oname);
}

static void check_targets(zb_build *bd)
{
	const uint32_t *order = (const uint32_t *)bd->order.p;
	size_t at = 0;
	for (size_t k = 0; k < bd->z->nnodes; k++) {
		const dnsd_node *node = &bd->z->nodes[k];
		for (size_t i = 0; i < node->tmp; i++)
			check_target(bd, node, order[at + i]);
		at += node->tmp;
	}
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* Writes the kept records as wire octets (TYPE CLASS TTL RDLENGTH
 * RDATA) into a temporary array, node by node, type by type. */
static int write_rrdata(zb_build *bd, vec *data)
{
	dnsd_zone_builder *b = bd->b;
	int rc = vec_reserve(data, bd->rrdata ? bd->rrdata : 1);
	if (rc)
		return rc;
	const uint32_t *order = (const uint32_t *)bd->order.p;
	size_t n = bd->order.len / 4;
	uint8_t *p = data->p;
	for (size_t i = 0; i < n; i++) {
		const zb_rec *r = &REC(b)[order[i]];
		p = put16(p, r->type);
		p = put16(p, DNSD_CLASS_IN);
		p = put32(p, zb_ttl(b, order[i]));
		p = put16(p, r->rdlen);
		memcpy(p, zb_rdata(b, order[i]), r->rdlen);
		p += r->rdlen;
	}
	data->len = (size_t)(p - data->p);
	bd->z->nrecords = n;
	return 0;
}

/* Octets of a node's n records at p. */
static size_t records_size(const uint8_t *p, size_t n)
{
	const uint8_t *q = p;
	while (n--)
		q += 10 + (size_t)(q[8] << 8 | q[9]);
	return (size_t)(q - p);
}

static size_t align_up(size_t x)
{
	size_t a = _Alignof(dnsd_rrset);
	return (x + a - 1) & ~(a - 1);
}

/* Each node's RRset headers followed by its records, node after node: an
 * answer reads the headers and then the records, and finding both in the
 * same cache lines saves a memory access per lookup in a zone larger
 * than the cache. Copied from the temporary array once the builder's
 * other temporaries are gone, so the peak stays low. */
static int write_blocks(zb_build *bd, vec *data)
{
	dnsd_zone *z = bd->z;
	size_t size = 0;
	const uint8_t *p = data->p;
	for (size_t k = 0; k < z->nnodes; k++) {
		size_t d = records_size(p, z->nodes[k].tmp);
		size = align_up(size) +
		       z->nodes[k].nrrsets * sizeof(dnsd_rrset) + d;
		p += d;
	}
	uint8_t *area = dnsd_arena_alloc(&bd->b->arena, size ? size : 1);
	if (!area)
		return DNSD_ENOMEM;
	uint8_t *out = area;
	p = data->p;
	for (size_t k = 0; k < z->nnodes; k++) {
		dnsd_node *node = &z->nodes[k];
		size_t left = node->tmp;
		out = area + align_up((size_t)(out - area));
		dnsd_rrset *s = (dnsd_rrset *)(void *)out;
		node->rrsets = s;
		out += node->nrrsets * sizeof *s;
		size_t d = records_size(p, left);
		memcpy(out, p, d);
		p += d;
		vec_release_prefix(data, (size_t)(p - data->p));
		for (unsigned i = 0; i < node->nrrsets; i++, s++) {
			uint16_t type = (uint16_t)(out[0] << 8 | out[1]);
			*s = (dnsd_rrset){.type = type,
			                  .ttl = (uint32_t)out[4] << 24 |
			                         (uint32_t)out[5] << 16 |
			                         (uint32_t)out[6] << 8 | out[7],
			                  .data = out};
			const uint8_t *q = out;
			while (left && (uint16_t)(q[0] << 8 | q[1]) == type) {
				q += 10 + (size_t)(q[8] << 8 | q[9]);
				s->count++;
				left--;
			}
			s->size = (uint32_t)(q - out);
			out += s->size;
		}
	}
	return 0;
}

static void report_pending(zb_build *bd)
{
	dnsd_zone_builder *b = bd->b;
	for (size_t i = 0; i < b->npend; i++) {
		const zb_pend *p = &b->pend[i];
		report(&bd->d, p->severity, b->files[p->file], p->line, "%s",
		       p->msg);
	}
	if (b->pend_lost)
		report(&bd->d, DNSD_DIAG_ERROR, NULL, 0,
		       "%zu more errors not shown", b->pend_lost);
	bd->d.errors += (unsigned)b->pend_lost;
}

static int make_nodes(zb_build *bd)
{
	dnsd_zone_builder *b = bd->b;
	zb_entry *e = ENT(b);
	size_t n = NENT(b);
	sort_names(b, e, n, 0);
	size_t m = plan_nodes(b, e, n);
	if (m >= (1u << 31))
		return DNSD_ETOOMANY;
	dnsd_zone *z = bd->z;
	z->nodes = dnsd_arena_alloc(&b->arena, m * sizeof *z->nodes);
	if (!z->nodes)
		return DNSD_ENOMEM;
	z->nnodes = m;
	const uint8_t *apex =
	    skip_apex(b, e, n)
	        ? zb_name(b, e[0].name)
	        : dnsd_arena_memdup(&b->arena, b->origin, b->olen);
	if (!apex)
		return DNSD_ENOMEM;
	fill_nodes(b, e, n, apex, z->nodes);
	return build_hash(z, &b->arena);
}

static int finish_steps(zb_build *bd)
{
	dnsd_zone_builder *b = bd->b;
	int rc;
	report_pending(bd);
	if ((rc = make_nodes(bd)) || (rc = take_records(bd)))
		return rc;
	vec_free(&b->ent);
	vec_free(&bd->scratch);
	check_targets(bd);
	vec data = {0};
	if ((rc = write_rrdata(bd, &data))) {
		vec_free(&data);
		return rc;
	}
	vec_free(&bd->order);
	vec_free(&b->blob);
	vec_free(&b->rec);
	rc = write_blocks(bd, &data);
	vec_free(&data);
	if (rc)
		return rc;
	for (size_t k = 0; k < bd->z->nnodes; k++) {
		dnsd_node *n = &bd->z->nodes[k];
		n->flags &= (NODE_PUBLIC_FLAGS & ~DNSD_NODE_NSEC3) | NODE_LOWER;
		if (nsec3_only(n))
			n->flags |= DNSD_NODE_NSEC3;
	}
	return 0;
}

int dnsd_zone_builder_finish(dnsd_zone_builder *b, dnsd_diag_fn diag,
                             void *diag_ctx, unsigned *warnings,
                             dnsd_zone **out)
{
	*out = NULL;
	if (warnings)
		*warnings = 0;
	if (!b)
		return DNSD_EINVAL;
	if (b->err) {
		int err = b->err;
		dnsd_zone_builder_free(b);
		return err;
	}
	zb_build bd = {.b = b, .d = {diag, diag_ctx, 0, 0}};
	int rc = DNSD_ENOMEM;
	bd.z = dnsd_arena_alloc(&b->arena, sizeof *bd.z);
	if (bd.z) {
		memset(bd.z, 0, sizeof *bd.z);
		bd.z->olabels = b->olabels;
		rc = finish_steps(&bd);
	}
	vec_free(&bd.order);
	vec_free(&bd.scratch);
	if (warnings)
		*warnings = bd.d.warnings;
	if (!rc && bd.d.errors)
		rc = DNSD_EZONE;
	if (rc) {
		dnsd_zone_builder_free(b);
		return rc;
	}
	dnsd_zone *z = bd.z;
	atomic_init(&z->refs, 1);
	z->arena = b->arena; /* the zone owns the arena from here on */
	dnsd_arena_init(&b->arena, 0);
	dnsd_zone_builder_free(b);
	*out = z;
	return 0;
}

/* ---- loading a file ---- */

static int load_sink(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

int dnsd_zone_load(const char *path, const dnsd_zf_opts *o, unsigned *warnings,
                   dnsd_zone **out)
{
	*out = NULL;
	if (warnings)
		*warnings = 0;
	dnsd_zone_builder *b = dnsd_zone_builder_new(o->origin);
	if (!b)
		return DNSD_ENOMEM;
	dnsd_zf_result res = {0};
	int rc = dnsd_zonefile_parse(path, o, load_sink, b, &res);
	if (warnings)
		*warnings = res.warnings;
	if (rc < 0) {
		dnsd_zone_builder_free(b);
		return rc;
	}
	unsigned w = 0;
	rc = dnsd_zone_builder_finish(b, o->diag, o->diag_ctx, &w, out);
	if (warnings)
		*warnings += w;
	return rc;
}

int dnsd_zone_builder_add_in(dnsd_zone_builder *b, const uint8_t *owner,
                             uint16_t type, uint32_t ttl, const uint8_t *rdata,
                             uint16_t rdlen)
{
	dnsd_zf_rr rr = {.owner = owner,
	                 .type = type,
	                 .rclass = DNSD_CLASS_IN,
	                 .ttl = ttl,
	                 .rdata = rdata,
	                 .rdlen = rdlen};
	return dnsd_zone_builder_add(b, &rr);
}

typedef struct first_error {
	char *why;
	size_t cap;
	bool seen;
} first_error;

static void first_error_diag(void *ctx, const dnsd_diag *d)
{
	first_error *f = ctx;
	if (d->severity == DNSD_DIAG_ERROR && !f->seen && f->cap) {
		snprintf(f->why, f->cap, "%s", d->msg);
		f->seen = true;
	}
}

int dnsd_zone_builder_finish_why(dnsd_zone_builder *b, char *why, size_t cap,
                                 dnsd_zone **out)
{
	first_error f = {why, why ? cap : 0, false};
	if (f.cap)
		why[0] = 0;
	return dnsd_zone_builder_finish(b, first_error_diag, &f, NULL, out);
}

int dnsd_zone_servfail_new(const uint8_t *origin, const dnsd_zone *from,
                           dnsd_zone **out)
{
	/* MNAME and RNAME the root, the five numbers 0: a SOA no one reads */
	static const uint8_t none[22] = {0};
	const dnsd_rrset *soa =
	    from ? dnsd_node_rrset(dnsd_zone_apex(from), DNSD_TYPE_SOA) : NULL;
	dnsd_zone_builder *b = dnsd_zone_builder_new(origin);
	dnsd_rr_iter it;
	int rc;

	if (b == NULL)
		return DNSD_ENOMEM;
	if (soa != NULL) {
		dnsd_rrset_iter(soa, &it);
		dnsd_rr_next(&it);
		rc = dnsd_zone_builder_add_in(b, origin, DNSD_TYPE_SOA,
		                              soa->ttl, it.rdata, it.rdlen);
	} else {
		rc = dnsd_zone_builder_add_in(b, origin, DNSD_TYPE_SOA, 0, none,
		                              sizeof(none));
	}
	if (rc < 0) {
		dnsd_zone_builder_free(b);
		return rc;
	}
	rc = dnsd_zone_builder_finish_why(b, NULL, 0, out);
	if (rc == 0)
		(*out)->servfail = true;
	return rc;
}
