/* What the group tests of dynamic UPDATE (tests/unit/test_update_group.c,
 * tests/fuzz/fuzz_update.c) compare: two RRsets, two records of
 * differences, two differences. */
#ifndef DNSD_TESTS_UPDATE_SAME_H
#define DNSD_TESTS_UPDATE_SAME_H

#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdbool.h>

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
