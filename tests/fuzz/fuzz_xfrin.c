/* Fuzz target: incoming transfers (xfrin.h). The input is a stream of
 * messages, each a 16-bit length and its octets, after one octet of
 * flags (bit 0: the request was an IXFR, bit 1: a version is held: the
 * fixed zone below). Each message that parses is fed; a stream that
 * completes is finished. Checked: no crash or leak, and a result that
 * holds together: the serial the primary's, an IXFR's difference from
 * the held version to the new one, its counts adding up. */
#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfrin.h>
#include <dnsd/zone.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static const char zone_text[] =
    "$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
    "@ NS ns1\n@ NS ns2\n@ MX 10 mail\nns1 A 192.0.2.1\n"
    "ns2 AAAA 2001:db8::2\nmail A 192.0.2.25\nwww A 192.0.2.80\n"
    "www A 192.0.2.81\nold TXT \"going\"\nsub NS ns.sub\n"
    "ns.sub A 192.0.2.53\n*.w TXT \"wild\"\nalias CNAME www\n";

static uint8_t origin[DNSD_NAME_MAX];

static void quiet(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	(void)d;
}

static int sink(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static const dnsd_zone *held(void)
{
	static dnsd_zone *z;
	if (z)
		return z;
	if (dnsd_name_from_text("example.org.", 12, NULL, origin) < 0)
		abort();
	dnsd_zf_opts o = {.origin = origin, .diag = quiet};
	dnsd_zone_builder *b = dnsd_zone_builder_new(origin);
	dnsd_zf_result res;
	if (dnsd_zonefile_parse_mem("z", zone_text, strlen(zone_text), &o, sink,
	                            b, &res) < 0 ||
	    dnsd_zone_builder_finish(b, quiet, NULL, NULL, &z) < 0)
		abort();
	return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const dnsd_zone *z = held();
	if (size < 1)
		return 0;
	uint16_t qtype = (data[0] & 1) ? DNSD_TYPE_IXFR : DNSD_TYPE_AXFR;
	const dnsd_zone *cur = (data[0] & 2) ? z : NULL;
	dnsd_xfrin *x;
	dnsd_xfrin_limits lim = {.max_records = 5000, .max_bytes = 1 << 20};
	if (dnsd_xfrin_new(origin, qtype, 77, cur, &lim, &x) < 0)
		return 0;
	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	size_t off = 1;
	int r = DNSD_XFRIN_MORE;
	char why[200];
	while (r == DNSD_XFRIN_MORE && off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			break;
		dnsd_msg m;
		dnsd_arena_reset(&a);
		if (dnsd_msg_parse(data + off, len, &a, &m) < 0)
			break;
		r = dnsd_xfrin_feed(x, &m, len, why, sizeof why);
		ASSERT(r == 0 || r == DNSD_XFRIN_MORE || why[0]);
		off += len;
	}
	if (r == 0) {
		dnsd_xfrin_result res;
		if (dnsd_xfrin_finish(x, &res, why, sizeof why) == 0) {
			ASSERT(res.kind == DNSD_XFRIN_UPTODATE || res.zone);
			if (res.zone)
				ASSERT(dnsd_zone_serial(res.zone) ==
				       res.serial);
			if (res.kind == DNSD_XFRIN_IXFR) {
				ASSERT(res.diff && cur);
				ASSERT(dnsd_zdiff_from_serial(res.diff) ==
				       dnsd_zone_serial(cur));
				ASSERT(dnsd_zdiff_to_serial(res.diff) ==
				       res.serial);
				ASSERT(dnsd_zone_record_count(res.zone) ==
				       dnsd_zone_record_count(cur) +
				           dnsd_zdiff_added(res.diff) -
				           dnsd_zdiff_deleted(res.diff));
			}
			if (res.zone)
				dnsd_zone_unref(res.zone);
			dnsd_zdiff_free(res.diff);
		}
	}
	dnsd_arena_free(&a);
	dnsd_xfrin_free(x);
	return 0;
}
