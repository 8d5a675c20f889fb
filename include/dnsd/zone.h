/* The zone store.
 *
 * A zone version (dnsd_zone) is immutable once built and lives in one
 * arena freed as a whole when its last reference goes. Names are kept in
 * canonical order with their empty non-terminals, so a lookup answers
 * exact match, closest encloser, the zone cut above a name, and the
 * canonical predecessor without allocating. A zone database (dnsd_zonedb)
 * is an immutable set of zone versions with longest-suffix lookup; the
 * daemon publishes a new one with a single pointer swap.
 *
 * RRsets are stored ready to copy into a response: for each record the
 * octets that follow its owner name on the wire, TYPE CLASS TTL RDLENGTH
 * RDATA, big-endian, RDATA names uncompressed. */
#ifndef DNSD_ZONE_H
#define DNSD_ZONE_H

#include <dnsd/name.h>
#include <dnsd/zonefile.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dnsd_zone dnsd_zone;
typedef struct dnsd_node dnsd_node;
typedef struct dnsd_zonedb dnsd_zonedb;

typedef struct dnsd_rrset {
	uint16_t type;
	uint16_t count;      /* records */
	uint32_t ttl;        /* TTL of the RRset (records share it) */
	uint32_t size;       /* octets at data */
	const uint8_t *data; /* count x [TYPE CLASS TTL RDLENGTH RDATA] */
} dnsd_rrset;

/* Walks the records of an RRset: rdata/rdlen of record i in order. */
typedef struct dnsd_rr_iter {
	const uint8_t *p, *end;
	const uint8_t *rdata;
	uint16_t rdlen;
} dnsd_rr_iter;
void dnsd_rrset_iter(const dnsd_rrset *s, dnsd_rr_iter *it);
/* Advances to the next record; false at the end. */
bool dnsd_rr_next(dnsd_rr_iter *it);

/* Node flags. */
enum {
	DNSD_NODE_APEX = 1 << 0,
	DNSD_NODE_DELEG = 1 << 1,     /* NS below the apex: a zone cut */
	DNSD_NODE_ENT = 1 << 2,       /* empty non-terminal, no RRsets */
	DNSD_NODE_WILDCHILD = 1 << 3, /* "*.this" exists */
	DNSD_NODE_GLUE = 1 << 4,      /* at or below a zone cut (occluded) */
	DNSD_NODE_CNAME = 1 << 5,     /* holds a CNAME */
	DNSD_NODE_NSEC3 = 1 << 7,     /* holds only NSEC3 (and RRSIG): a name
	                                 of the hashed space, answered as
	                                 absent (RFC 5155 §7.2.8) */
};

const uint8_t *dnsd_node_name(const dnsd_node *n); /* case as in the file */
unsigned dnsd_node_flags(const dnsd_node *n);
const dnsd_node *dnsd_node_parent(const dnsd_node *n); /* NULL at apex */
unsigned dnsd_node_rrset_count(const dnsd_node *n);
const dnsd_rrset *dnsd_node_rrset_at(const dnsd_node *n, unsigned i);
/* The RRset of a type at a node, NULL when none. */
const dnsd_rrset *dnsd_node_rrset(const dnsd_node *n, uint16_t type);

/* Result of a lookup of a name at or below the apex. */
typedef struct dnsd_lookup {
	const dnsd_node *node;     /* the name itself, NULL when absent */
	const dnsd_node *encloser; /* closest encloser (== node when found) */
	const dnsd_node *cut;      /* highest zone cut at or above the name
	                              (below the apex), NULL when none */
	const dnsd_node *wildcard; /* "*.<encloser>" when it exists */
} dnsd_lookup;

/* Looks name up (any letter case). DNSD_ENOTFOUND when name is not at or
 * below the apex. Never allocates. */
int dnsd_zone_lookup(const dnsd_zone *z, const uint8_t *name, dnsd_lookup *r);
/* Exact match only. */
const dnsd_node *dnsd_zone_find(const dnsd_zone *z, const uint8_t *name);
/* The same two for a name prepared as a lookup key (name.h): the query
 * path prepares its name once for the zone database and the zone. */
int dnsd_zone_lookup_key(const dnsd_zone *z, const dnsd_name_key *k,
                         dnsd_lookup *r);
const dnsd_node *dnsd_zone_find_key(const dnsd_zone *z, const dnsd_name_key *k);

/* Prefetching for a batch of lookups. In a zone larger than the cache a
 * lookup waits on three loads, each needing the one before (hash slot,
 * node, then the node's name and RRsets). A server holding several
 * queries starts one level for every query before the next level of any,
 * so that the misses overlap instead of being waited for one by one:
 * dnsd_zone_prefetch_start (the slot), then dnsd_zone_prefetch_step twice
 * (the node; its name and RRsets). Hints only: nothing is found or
 * checked, and a lookup is the same with or without. */
typedef struct dnsd_zone_prefetch {
	const dnsd_zone *zone; /* NULL: nothing (more) to prefetch */
	const dnsd_node *node; /* the node of the slot, once read */
	uint32_t hash;
} dnsd_zone_prefetch;

void dnsd_zone_prefetch_start(dnsd_zone_prefetch *pf, const dnsd_zone *z,
                              const dnsd_name_key *k);
void dnsd_zone_prefetch_step(dnsd_zone_prefetch *pf);

const uint8_t *dnsd_zone_origin(const dnsd_zone *z);
const dnsd_node *dnsd_zone_apex(const dnsd_zone *z);
uint32_t dnsd_zone_serial(const dnsd_zone *z);
/* Nodes (including empty non-terminals) in canonical order. */
size_t dnsd_zone_node_count(const dnsd_zone *z);
const dnsd_node *dnsd_zone_node_at(const dnsd_zone *z, size_t i);
/* Index of the last node sorting <= name in canonical order (0, the apex,
 * for a name sorting before it). */
size_t dnsd_zone_prev_index(const dnsd_zone *z, const uint8_t *name);
size_t dnsd_zone_record_count(const dnsd_zone *z);
size_t dnsd_zone_memory(const dnsd_zone *z); /* octets held */

/* How large an RRset and a name may be (max-records-per-type and
 * max-types-per-name of dnsd.conf(5), as BIND 9.18.28 has them since
 * CVE-2024-1737): what a zone file, a transfer or an UPDATE brings in is
 * held to them. 0: no limit. */
typedef struct dnsd_zone_limits {
	size_t max_rrset_records; /* records of one type at one name */
	size_t max_name_rrsets;   /* types (RRsets) at one name */
} dnsd_zone_limits;
/* 0 when every name and RRset of z is within lim (NULL: no limits), or
 * DNSD_ETOOMANY with the first one past a limit named in why (cap
 * octets, `www.example.org. has 101 RRsets, past max-types-per-name
 * 100`). O(names). */
int dnsd_zone_check_limits(const dnsd_zone *z, const dnsd_zone_limits *lim,
                           char *why, size_t cap);

/* Reference counting (atomic: query workers share versions). A new zone
 * has one reference. */
void dnsd_zone_ref(dnsd_zone *z);
void dnsd_zone_unref(dnsd_zone *z);

/* Building a version. Records go in any order; finish sorts them, folds
 * duplicates (with a warning), and runs the zone checks: exactly one SOA,
 * at the apex (error); data outside the origin (error; glue below a
 * delegation is allowed); CNAME beside other data (error); in-zone NS, MX
 * and SRV targets without address records (warning); differing TTLs in an
 * RRset (warning, the first TTL wins as in BIND). */
typedef struct dnsd_zone_builder dnsd_zone_builder;
dnsd_zone_builder *dnsd_zone_builder_new(const uint8_t *origin);
/* Adds one record. file/line (may be NULL/0) locate it for diagnostics.
 * The data is copied. Returns 0 or DNSD_ENOMEM (DNSD_ETOOMANY past 2^31
 * records or 4 GiB of RDATA). A record of a class other than IN, of a
 * meta type (OPT, TSIG...) or outside the origin is not kept; finish
 * reports it as an error. */
int dnsd_zone_builder_add(dnsd_zone_builder *b, const dnsd_zf_rr *rr);
/* Checks and builds. Diagnostics go to diag (NULL: stderr). Returns 0 with
 * *out set, or DNSD_EZONE when a check failed (no zone made). Warnings
 * are counted in *warnings when not NULL. The builder is consumed. */
int dnsd_zone_builder_finish(dnsd_zone_builder *b, dnsd_diag_fn diag,
                             void *diag_ctx, unsigned *warnings,
                             dnsd_zone **out);
void dnsd_zone_builder_free(dnsd_zone_builder *b);

/* What the engine's producers of versions (UPDATE, incoming transfers)
 * share: one record of class IN added from its parts, and finish with
 * the first error's message in why (cap octets) instead of a diagnostic
 * callback; warnings are not reported. */
int dnsd_zone_builder_add_in(dnsd_zone_builder *b, const uint8_t *owner,
                             uint16_t type, uint32_t ttl, const uint8_t *rdata,
                             uint16_t rdlen);
int dnsd_zone_builder_finish_why(dnsd_zone_builder *b, char *why, size_t cap,
                                 dnsd_zone **out);

/* A stand-in version for a zone that must not be answered from: a
 * secondary's zone before its first transfer, or after it expired
 * (RFC 1035 §4.3.5: never serve expired data). It holds the SOA of from
 * (when not NULL) so the serial stays known; every query for a name of
 * the zone is answered SERVFAIL, transfers of it are refused. 0 or
 * DNSD_ENOMEM. */
int dnsd_zone_servfail_new(const uint8_t *origin, const dnsd_zone *from,
                           dnsd_zone **out);
bool dnsd_zone_servfail(const dnsd_zone *z);

/* Parses a zone file and builds a version: zonefile parse + builder.
 * o->origin is the zone's origin. Same returns as the two steps. */
int dnsd_zone_load(const char *path, const dnsd_zf_opts *o, unsigned *warnings,
                   dnsd_zone **out);

/* A zone database: an immutable set of zone versions (each referenced).
 * dnsd_zonedb_new takes a reference on each zone given. */
dnsd_zonedb *dnsd_zonedb_new(dnsd_zone *const *zones, size_t n);
void dnsd_zonedb_free(dnsd_zonedb *db); /* drops its references */
/* The zone whose origin is the longest suffix of name, or NULL. */
const dnsd_zone *dnsd_zonedb_find(const dnsd_zonedb *db, const uint8_t *name);
/* The same for suffix `from` of a lookup key (0: the whole name; 1: its
 * parent...), from <= k->labels. */
const dnsd_zone *dnsd_zonedb_find_key(const dnsd_zonedb *db,
                                      const dnsd_name_key *k, unsigned from);
size_t dnsd_zonedb_count(const dnsd_zonedb *db);
dnsd_zone *dnsd_zonedb_at(const dnsd_zonedb *db, size_t i);

#endif
