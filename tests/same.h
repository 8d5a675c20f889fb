/* What the engine's tests compare (unit tests and fuzz targets alike):
 * two RRsets, two zone versions, two records of differences, two
 * differences. */
#ifndef DNSD_TESTS_SAME_H
#define DNSD_TESTS_SAME_H

#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdbool.h>
#include <string.h>

/* The same TTL and records (RDATA canonically), in any order. */
static inline bool rrset_same(const dnsd_rrset *a, const dnsd_rrset *b)
{
	if (!b || a->ttl != b->ttl || a->count != b->count)
		return false;
	dnsd_rr_iter i;
	dnsd_rrset_iter(a, &i);
	while (dnsd_rr_next(&i)) {
		bool found = false;
		dnsd_rr_iter j;
		dnsd_rrset_iter(b, &j);
		while (!found && dnsd_rr_next(&j))
			found = dnsd_rdata_cmp(a->type, i.rdata, i.rdlen,
			                       j.rdata, j.rdlen) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* The same serial and records; with spelled, every owner spelled the
 * same too (names compare case-insensitively otherwise). */
static inline bool zones_same(const dnsd_zone *a, const dnsd_zone *b,
                              bool spelled)
{
	if (dnsd_zone_record_count(a) != dnsd_zone_record_count(b) ||
	    dnsd_zone_serial(a) != dnsd_zone_serial(b))
		return false;
	for (size_t i = 0; i < dnsd_zone_node_count(a); i++) {
		const dnsd_node *n = dnsd_zone_node_at(a, i);
		unsigned k = dnsd_node_rrset_count(n);
		if (!k)
			continue;
		const dnsd_node *m = dnsd_zone_find(b, dnsd_node_name(n));
		if (!m || dnsd_node_rrset_count(m) != k)
			return false;
		if (spelled && memcmp(dnsd_node_name(n), dnsd_node_name(m),
		                      dnsd_name_len(dnsd_node_name(n))) != 0)
			return false;
		for (unsigned j = 0; j < k; j++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, j);
			if (!rrset_same(s, dnsd_node_rrset(m, s->type)))
				return false;
		}
	}
	return true;
}

static inline bool xrr_same(const dnsd_xfr_rr *a, const dnsd_xfr_rr *b)
{
	return a->type == b->type && a->ttl == b->ttl &&
	       dnsd_name_equal(a->owner, b->owner) &&
	       dnsd_rdata_cmp(a->type, a->rdata, a->rdlen, b->rdata,
	                      b->rdlen) == 0;
}

/* The same records in the same order (owners case-insensitively), the
 * same SOAs. */
static inline bool diff_same(const dnsd_zdiff *a, const dnsd_zdiff *b)
{
	if (!a || !b)
		return a == b;
	if (dnsd_zdiff_added(a) != dnsd_zdiff_added(b) ||
	    dnsd_zdiff_deleted(a) != dnsd_zdiff_deleted(b) ||
	    !xrr_same(dnsd_zdiff_from_soa(a), dnsd_zdiff_from_soa(b)) ||
	    !xrr_same(dnsd_zdiff_to_soa(a), dnsd_zdiff_to_soa(b)))
		return false;
	for (size_t i = 0; i < dnsd_zdiff_added(a); i++)
		if (!xrr_same(dnsd_zdiff_added_at(a, i),
		              dnsd_zdiff_added_at(b, i)))
			return false;
	for (size_t i = 0; i < dnsd_zdiff_deleted(a); i++)
		if (!xrr_same(dnsd_zdiff_deleted_at(a, i),
		              dnsd_zdiff_deleted_at(b, i)))
			return false;
	return true;
}

#endif
