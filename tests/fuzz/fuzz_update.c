/* Fuzz target: dynamic UPDATE (update.h). A small zone is built once;
 * every input that parses as a message is applied to it (with limits or
 * without, by the low bit of the message ID), and a new version that
 * comes out is updated again with the same message. Checked: a failure
 * carries a reason and no zone; a new version has a greater serial and
 * as many records as the old one plus the diff's additions minus its
 * deletions; nothing leaks (the result is always cleared). */
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
	if (r.zone) {
		dnsd_update_result r2;
		rc = dnsd_update_apply(r.zone, &m, l, &r2);
		check(r.zone, &r2, rc);
		dnsd_update_result_clear(&r2);
	}
	dnsd_update_result_clear(&r);
	ASSERT(r.zone == NULL && r.diff == NULL);
	dnsd_arena_free(&a);
	return 0;
}
