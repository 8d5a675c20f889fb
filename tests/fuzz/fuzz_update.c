/* Fuzz target: dynamic UPDATE (update.h). A small zone is built once;
 * every input that parses as a message is applied to it (with limits or
 * without, by the low bit of the message ID), and then again with the
 * same message to the version that came out (or to the zone, when none
 * did). Checked: a failure carries a reason and no zone; a new version
 * has a greater serial and as many records as the old one plus the
 * diff's additions minus its deletions; nothing leaks (the result is
 * always cleared). The message is also applied twice as a group of two
 * (dnsd_update_group_*), which must judge both as the two applications
 * one after the other did (rcode, reason, serial, ignored, changed) and
 * finish with the same zone, record for record and serial. */
#include "../same.h"
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/update.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static const char zone_text[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 100 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "@ NS ns2\n"
    "@ MX 10 mail\n"
    "ns1 A 192.0.2.1\n"
    "ns2 A 192.0.2.2\n"
    "mail A 192.0.2.25\n"
    "www A 192.0.2.10\n"
    "www A 192.0.2.11\n"
    "www TXT \"hello\"\n"
    "alias CNAME www\n"
    "x.ent A 192.0.2.99\n"
    "sub NS ns.sub\n"
    "ns.sub A 192.0.2.53\n";

static void no_diag(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	(void)d;
}

static int sink(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static dnsd_zone *zone(void)
{
	static dnsd_zone *z;
	if (z)
		return z;
	uint8_t origin[DNSD_NAME_MAX];
	ASSERT(dnsd_name_from_text("example.org.", 12, NULL, origin) > 0);
	dnsd_zf_opts o = {.origin = origin, .diag = no_diag};
	dnsd_zone_builder *b = dnsd_zone_builder_new(origin);
	dnsd_zf_result res;
	ASSERT(dnsd_zonefile_parse_mem("z", zone_text, strlen(zone_text), &o,
	                               sink, b, &res) == 0);
	ASSERT(dnsd_zone_builder_finish(b, no_diag, NULL, NULL, &z) == 0);
	return z; /* kept for the whole run */
}

static void check(const dnsd_zone *old, const dnsd_update_result *r, int rc)
{
	ASSERT(rc == 0 ||
	       (rc == DNSD_ENOMEM && r->rcode == DNSD_RCODE_SERVFAIL));
	ASSERT((r->zone == NULL) == (r->diff == NULL));
	if (r->rcode) {
		ASSERT(r->zone == NULL);
		ASSERT(r->reason[0] != 0);
		ASSERT(memchr(r->reason, 0, sizeof r->reason) != NULL);
		return;
	}
	if (!r->zone) {
		ASSERT(r->serial == dnsd_zone_serial(old));
		return;
	}
	ASSERT(r->serial == dnsd_zone_serial(r->zone));
	ASSERT(dnsd_serial_gt(r->serial, dnsd_zone_serial(old)));
	ASSERT(dnsd_zdiff_from_serial(r->diff) == dnsd_zone_serial(old));
	ASSERT(dnsd_zdiff_to_serial(r->diff) == r->serial);
	ASSERT(dnsd_zone_record_count(r->zone) ==
	       dnsd_zone_record_count(old) + dnsd_zdiff_added(r->diff) -
	           dnsd_zdiff_deleted(r->diff));
	ASSERT(
	    dnsd_name_equal(dnsd_zone_origin(r->zone), dnsd_zone_origin(old)));
}

/* Is every RRset of a in b, the same? *names: a's names with data. */
static bool zone_within(const dnsd_zone *a, const dnsd_zone *b, size_t *names)
{
	*names = 0;
	for (size_t i = 0; i < dnsd_zone_node_count(a); i++) {
		const dnsd_node *n = dnsd_zone_node_at(a, i);
		unsigned k = dnsd_node_rrset_count(n);
		if (!k)
			continue;
		++*names;
		const dnsd_node *m = dnsd_zone_find(b, dnsd_node_name(n));
		if (!m || dnsd_node_rrset_count(m) != k)
			return false;
		for (unsigned j = 0; j < k; j++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, j);
			if (!rrset_same(s, dnsd_node_rrset(m, s->type)))
				return false;
		}
	}
	return true;
}

static bool zone_same(const dnsd_zone *a, const dnsd_zone *b)
{
	size_t na, nb;
	return dnsd_zone_serial(a) == dnsd_zone_serial(b) &&
	       dnsd_zone_record_count(a) == dnsd_zone_record_count(b) &&
	       zone_within(a, b, &na) && zone_within(b, a, &nb) && na == nb;
}

static bool result_same(const dnsd_update_result *g,
                        const dnsd_update_result *s)
{
	return g->rcode == s->rcode && strcmp(g->reason, s->reason) == 0 &&
	       g->serial == s->serial && g->ignored == s->ignored &&
	       g->changed == s->changed && g->prereqs == s->prereqs &&
	       g->updates == s->updates && !g->zone && !g->diff;
}

static bool refused_by_checks(const dnsd_update_result *r)
{
	return r->rcode == DNSD_RCODE_REFUSED &&
	       (strstr(r->reason, "fails the zone checks") ||
	        strstr(r->reason, "would be too large"));
}

/* m twice as a group of two, against r1 and r2 (m applied to z, then to
 * what came out) and end (the version after both). */
static void check_group(const dnsd_zone *z, const dnsd_msg *m,
                        const dnsd_update_limits *l,
                        const dnsd_update_result *r1,
                        const dnsd_update_result *r2, const dnsd_zone *end)
{
	dnsd_update_group *g;
	if (dnsd_update_group_new(z, l, &g) != 0)
		return; /* out of memory */
	dnsd_update_result gr[2];
	const dnsd_update_result *sr[2] = {r1, r2};
	bool nomem = false;
	for (int i = 0; i < 2; i++) {
		if (dnsd_update_group_apply(g, m, &gr[i]) != 0)
			nomem = true;
		if (!nomem)
			ASSERT(result_same(&gr[i], sr[i]));
	}
	dnsd_zone *gz = NULL;
	dnsd_zdiff *gd = NULL, *wd = NULL;
	char why[160];
	int wrc = dnsd_update_group_diff(g, &wd);
	int rc = dnsd_update_group_finish(g, &gz, &gd, why, sizeof why);
	dnsd_update_group_free(g);
	/* the difference from the working copy is the built one's */
	if (rc == 0 && wrc == 0)
		ASSERT(diff_same(wd, gd));
	dnsd_zdiff_free(wd);
	ASSERT((gz == NULL) == (gd == NULL));
	if (nomem || rc == DNSD_ENOMEM) {
		ASSERT(gz == NULL);
		return;
	}
	bool changed = r1->changed || r2->changed;
	if (rc == DNSD_EZONE) {
		ASSERT(gz == NULL && why[0] != 0);
		ASSERT(refused_by_checks(r1) || refused_by_checks(r2));
		return;
	}
	ASSERT(rc == 0);
	if (!gz) {
		ASSERT(!changed);
		return;
	}
	ASSERT(changed);
	ASSERT(zone_same(gz, end));
	ASSERT(dnsd_zdiff_from_serial(gd) == dnsd_zone_serial(z));
	ASSERT(dnsd_zdiff_to_serial(gd) == dnsd_zone_serial(gz));
	ASSERT(dnsd_zone_record_count(gz) == dnsd_zone_record_count(z) +
	                                         dnsd_zdiff_added(gd) -
	                                         dnsd_zdiff_deleted(gd));
	dnsd_zdiff_free(gd);
	dnsd_zone_unref(gz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const dnsd_zone *z = zone();
	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	dnsd_msg m;
	if (dnsd_msg_parse(data, size, &a, &m) != 0) {
		dnsd_arena_free(&a);
		return 0;
	}
	int rcode;
	int zs = dnsd_update_zone_section(&m, &rcode);
	ASSERT((zs == 0) == (rcode == DNSD_RCODE_NOERROR));

	static const dnsd_update_limits lim = {24, 4, 4};
	const dnsd_update_limits *l = (m.hdr.id & 1) ? &lim : NULL;
	dnsd_update_result r;
	int rc = dnsd_update_apply(z, &m, l, &r);
	check(z, &r, rc);
	if (zs)
		ASSERT(r.rcode == DNSD_RCODE_FORMERR);
	const dnsd_zone *z1 = r.zone ? r.zone : z;
	dnsd_update_result r2;
	int rc2 = dnsd_update_apply(z1, &m, l, &r2);
	check(z1, &r2, rc2);
	if (rc == 0 && rc2 == 0)
		check_group(z, &m, l, &r, &r2, r2.zone ? r2.zone : z1);
	dnsd_update_result_clear(&r2);
	dnsd_update_result_clear(&r);
	ASSERT(r.zone == NULL && r.diff == NULL);
	dnsd_arena_free(&a);
	return 0;
}
