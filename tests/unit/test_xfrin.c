/* Unit tests for incoming transfers (xfrin.h): the streams the outgoing
 * writer (xfr.h) makes, at several message sizes, read back into the
 * versions they carry (AXFR; IXFR of one and of two sequences; IXFR in
 * the AXFR form; the SOA alone), and every check of the list refusing a
 * stream made to break it: not a response, another ID or question, an
 * rcode, the first record not the SOA, a SOA of another owner or in the
 * middle of an AXFR, records outside the zone or of another class or a
 * meta type, records after the final SOA, an older serial, a sequence
 * from another serial, a deletion of what is not there, the limits. */
#include "../same.h"
#include "tap.h"
#include "zones.h"
#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfr.h>
#include <dnsd/xfrin.h>
#include <dnsd/zone.h>
#include <stdlib.h>

static dnsd_zone *build(const char *text)
{
	dnsd_zone *z = zone_from_text(N("example.org."), text);
	if (!z)
		abort();
	return z;
}

#define V1                                                                     \
	"$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 604800 300\n"              \
	"@ NS ns1\n@ NS ns2\n@ MX 10 mail\nns1 A 192.0.2.1\n"                  \
	"ns2 AAAA 2001:db8::2\nmail A 192.0.2.25\nwww A 192.0.2.80\n"          \
	"www A 192.0.2.81\nold TXT \"going\"\nsub NS ns.sub\n"                 \
	"ns.sub A 192.0.2.53\n*.w TXT \"wild\"\nalias CNAME www\n"
#define V2                                                                     \
	"$TTL 3600\n@ SOA ns1 hostmaster 2 3600 900 604800 300\n"              \
	"@ NS ns1\n@ NS ns2\n@ MX 10 mail\nns1 A 192.0.2.1\n"                  \
	"ns2 AAAA 2001:db8::2\nmail A 192.0.2.25\nwww A 192.0.2.80\n"          \
	"www A 192.0.2.82\nnew 60 TXT \"came\"\nsub NS ns.sub\n"               \
	"ns.sub A 192.0.2.53\n*.w TXT \"wild\"\nalias CNAME www\n"
#define V3                                                                     \
	"$TTL 3600\n@ SOA ns1 hostmaster 7 3600 900 604800 300\n"              \
	"@ NS ns1\n@ NS ns2\n@ 600 MX 10 mail\nns1 A 192.0.2.1\n"              \
	"ns2 AAAA 2001:db8::2\nmail A 192.0.2.25\nwww A 192.0.2.80\n"          \
	"www A 192.0.2.82\nnew 60 TXT \"came\"\nnew 60 TXT \"more\"\n"         \
	"sub NS ns.sub\nns.sub A 192.0.2.53\n*.w TXT \"wild\"\n"

/* A stream as the writer makes it, parsed message by message. */
typedef struct stream {
	dnsd_msg m[64];
	size_t len[64], n;
	dnsd_arena a;
	uint8_t *bufs[64];
} stream;

static void stream_make(stream *s, int kind, const dnsd_zone *z,
                        dnsd_zdiff *const *d, size_t nd, uint16_t qtype,
                        size_t cap)
{
	dnsd_xfr *x;
	memset(s, 0, sizeof *s);
	dnsd_arena_init(&s->a, 0);
	if (dnsd_xfr_new(&x, kind, z, d, nd, 77, N("example.org."), qtype,
	                 DNSD_CLASS_IN) < 0)
		abort();
	for (;;) {
		uint8_t *buf = malloc(65535);
		int len = dnsd_xfr_next(x, buf, cap, 0);
		if (len <= 0 || s->n == 64) {
			free(buf);
			break;
		}
		if (dnsd_msg_parse(buf, (size_t)len, &s->a, &s->m[s->n]) < 0)
			abort();
		s->bufs[s->n] = buf;
		s->len[s->n++] = (size_t)len;
	}
	dnsd_xfr_free(x);
}

static void stream_free(stream *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->bufs[i]);
	dnsd_arena_free(&s->a);
}

/* Feeds the stream; the first result other than MORE, and its reason. */
static int read_all(const stream *s, uint16_t qtype, uint16_t id,
                    const dnsd_zone *cur, const dnsd_xfrin_limits *lim,
                    dnsd_xfrin_result *res, char *why)
{
	dnsd_xfrin *x;
	int r = DNSD_XFRIN_MORE;
	if (dnsd_xfrin_new(N("example.org."), qtype, id, cur, lim, &x) < 0)
		abort();
	for (size_t i = 0; i < s->n && r == DNSD_XFRIN_MORE; i++)
		r = dnsd_xfrin_feed(x, &s->m[i], s->len[i], why, 200);
	if (r == 0)
		r = dnsd_xfrin_finish(x, res, why, 200);
	dnsd_xfrin_free(x);
	return r;
}

static void test_axfr(void)
{
	dnsd_zone *v1 = build(V1);
	size_t caps[] = {200, 512, 65535};
	for (size_t c = 0; c < 3; c++) {
		stream s;
		dnsd_xfrin_result res;
		char why[200] = "";
		stream_make(&s, DNSD_XFR_AXFR, v1, NULL, 0, DNSD_TYPE_AXFR,
		            caps[c]);
		CHECK(s.n >= 1);
		CHECK_INT(
		    read_all(&s, DNSD_TYPE_AXFR, 77, NULL, NULL, &res, why), 0);
		CHECK_INT(res.kind, DNSD_XFRIN_AXFR);
		CHECK(res.zone && zones_same(res.zone, v1, false));
		CHECK_INT(res.messages, s.n);
		CHECK_INT(res.serial, 1);
		if (res.zone)
			dnsd_zone_unref(res.zone);
		stream_free(&s);
	}
	dnsd_zone_unref(v1);
}

static void test_ixfr(void)
{
	dnsd_zone *v1 = build(V1), *v2 = build(V2), *v3 = build(V3);
	dnsd_zdiff *d[2], *d13;
	CHECK_INT(dnsd_zdiff_compute(v1, v2, &d[0]), 0);
	CHECK_INT(dnsd_zdiff_compute(v2, v3, &d[1]), 0);
	CHECK_INT(dnsd_zdiff_compute(v1, v3, &d13), 0);
	size_t caps[] = {200, 65535};
	for (size_t c = 0; c < 2; c++) {
		stream s;
		dnsd_xfrin_result res;
		char why[200] = "";
		/* two sequences, v1 -> v2 -> v3 */
		stream_make(&s, DNSD_XFR_IXFR, v3, d, 2, DNSD_TYPE_IXFR,
		            caps[c]);
		CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v1, NULL, &res, why),
		          0);
		CHECK_INT(res.kind, DNSD_XFRIN_IXFR);
		CHECK(res.zone && zones_same(res.zone, v3, false));
		CHECK(res.diff && diff_same(res.diff, d13));
		if (res.zone)
			dnsd_zone_unref(res.zone);
		dnsd_zdiff_free(res.diff);
		/* the same answer to a client at v2: the first sequence
		 * does not start there */
		CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v2, NULL, &res, why),
		          DNSD_EINVAL);
		CHECK(strstr(why, "starts at serial 1") != NULL);
		stream_free(&s);
	}
	/* one sequence, to a client at v2 */
	stream s;
	dnsd_xfrin_result res;
	char why[200] = "";
	stream_make(&s, DNSD_XFR_IXFR, v3, &d[1], 1, DNSD_TYPE_IXFR, 65535);
	CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v2, NULL, &res, why), 0);
	CHECK(res.zone && zones_same(res.zone, v3, false));
	if (res.zone)
		dnsd_zone_unref(res.zone);
	dnsd_zdiff_free(res.diff);
	stream_free(&s);
	/* the AXFR form of an IXFR answer */
	stream_make(&s, DNSD_XFR_AXFR, v3, NULL, 0, DNSD_TYPE_IXFR, 1024);
	CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v1, NULL, &res, why), 0);
	CHECK_INT(res.kind, DNSD_XFRIN_AXFR);
	CHECK(res.zone && zones_same(res.zone, v3, false) && res.diff == NULL);
	if (res.zone)
		dnsd_zone_unref(res.zone);
	stream_free(&s);
	/* the SOA alone: up to date at v3 (and ahead of it); newer than
	 * v1: the server wants an AXFR */
	stream_make(&s, DNSD_XFR_SOA_ONLY, v3, NULL, 0, DNSD_TYPE_IXFR, 65535);
	CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v3, NULL, &res, why), 0);
	CHECK_INT(res.kind, DNSD_XFRIN_UPTODATE);
	CHECK(res.zone == NULL);
	CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v1, NULL, &res, why),
	          DNSD_EINVAL);
	CHECK(strstr(why, "SOA alone") != NULL);
	stream_free(&s);
	/* an AXFR older than the version held */
	stream_make(&s, DNSD_XFR_AXFR, v1, NULL, 0, DNSD_TYPE_AXFR, 65535);
	CHECK_INT(read_all(&s, DNSD_TYPE_AXFR, 77, v3, NULL, &res, why),
	          DNSD_EMALFORM);
	CHECK(strstr(why, "older") != NULL);
	stream_free(&s);
	dnsd_zdiff_free(d[0]);
	dnsd_zdiff_free(d[1]);
	dnsd_zdiff_free(d13);
	dnsd_zone_unref(v1);
	dnsd_zone_unref(v2);
	dnsd_zone_unref(v3);
}

/* One stream of v1's AXFR in one message, broken by `how`, read: the
 * result and the reason must say so. */
typedef void (*breaker)(dnsd_msg *m, dnsd_rr *rrs, size_t *n);

static dnsd_rr copy_rr(const dnsd_rr *rr)
{
	return *rr;
}

static void br_id(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)v, (void)n;
	m->hdr.id = 78;
}
static void br_qr(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)v, (void)n;
	m->hdr.flags &= (uint16_t)~DNSD_FLAG_QR;
}
static void br_rcode(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)v, (void)n;
	m->hdr.flags = (uint16_t)((m->hdr.flags & ~0xf) | DNSD_RCODE_NOTIMP);
}
static void br_question(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)v, (void)n;
	m->qd[0].qname = N("example.net.");
}
static void br_first(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m;
	dnsd_rr t = v[0];
	v[0] = v[1];
	v[1] = t;
	(void)n;
}
static void br_outside(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m;
	v[2].owner = N("www.example.net.");
	(void)n;
}
static void br_class(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m, (void)n;
	v[2].rclass = DNSD_CLASS_CH;
}
static void br_meta(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m, (void)n;
	v[2].type = DNSD_TYPE_OPT;
}
static void br_soa_owner(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m;
	v[*n - 1].owner = N("www.example.org.");
}
static void br_soa_middle(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m;
	/* the zone's SOA, another serial, in the middle */
	static uint8_t rd[512];
	memcpy(rd, v[0].rdata, v[0].rdlen);
	rd[v[0].rdlen - 20 + 3] ^= 1;
	v[3] = v[0];
	v[3].rdata = rd;
	(void)n;
}
static void br_after(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m;
	v[*n] = copy_rr(&v[2]);
	(*n)++;
}
static void br_no_end(dnsd_msg *m, dnsd_rr *v, size_t *n)
{
	(void)m, (void)v;
	(*n)--;
}

static void test_broken(void)
{
	dnsd_zone *v1 = build(V1);
	struct {
		const char *what;
		breaker how;
		int rc;
		const char *why;
	} cases[] = {
	    {"another ID", br_id, DNSD_EMALFORM, "not a response"},
	    {"not a response", br_qr, DNSD_EMALFORM, "not a response"},
	    {"an rcode", br_rcode, DNSD_ENOTSUP, "rcode 4"},
	    {"another question", br_question, DNSD_EMALFORM, "question"},
	    {"the first record not the SOA", br_first, DNSD_EMALFORM,
	     "not the SOA"},
	    {"a record outside the zone", br_outside, DNSD_EMALFORM,
	     "outside the zone"},
	    {"class CH", br_class, DNSD_EMALFORM, "not IN"},
	    {"a meta type", br_meta, DNSD_EMALFORM, "not a data type"},
	    {"a final SOA of another owner", br_soa_owner, DNSD_EMALFORM,
	     "not of the zone's apex"},
	    {"a SOA in the middle", br_soa_middle, DNSD_EMALFORM,
	     "not the first one"},
	    {"a record after the final SOA", br_after, DNSD_EMALFORM,
	     "after the final SOA"},
	    {"no final SOA", br_no_end, DNSD_XFRIN_MORE, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		stream s;
		stream_make(&s, DNSD_XFR_AXFR, v1, NULL, 0, DNSD_TYPE_AXFR,
		            65535);
		CHECK_INT(s.n, 1);
		dnsd_msg m = s.m[0];
		dnsd_question q = m.qd[0];
		dnsd_rr v[64];
		size_t n = m.count[DNSD_SEC_ANSWER];
		memcpy(v, m.sec[DNSD_SEC_ANSWER], n * sizeof *v);
		m.qd = &q;
		cases[i].how(&m, v, &n);
		m.sec[DNSD_SEC_ANSWER] = v;
		m.count[DNSD_SEC_ANSWER] = (uint16_t)n;
		dnsd_xfrin *x;
		char why[200] = "";
		CHECK_INT(dnsd_xfrin_new(N("example.org."), DNSD_TYPE_AXFR, 77,
		                         NULL, NULL, &x),
		          0);
		int r = dnsd_xfrin_feed(x, &m, s.len[0], why, sizeof why);
		if (r != cases[i].rc || !strstr(why, cases[i].why))
			printf("# %s: got %d (%s)\n", cases[i].what, r, why);
		CHECK_INT(r, cases[i].rc);
		CHECK(strstr(why, cases[i].why) != NULL);
		/* after an error nothing more goes in */
		if (r < 0)
			CHECK_INT(dnsd_xfrin_feed(x, &s.m[0], s.len[0], why,
			                          sizeof why),
			          DNSD_EINVAL);
		dnsd_xfrin_free(x);
		stream_free(&s);
	}
	dnsd_zone_unref(v1);
}

/* An IXFR deleting what the version held does not have. */
static void test_ixfr_absent(void)
{
	dnsd_zone *v1 = build(V1), *v2 = build(V2);
	dnsd_zone *other =
	    build("$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
	          "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.80\n");
	dnsd_zdiff *d;
	CHECK_INT(dnsd_zdiff_compute(v1, v2, &d), 0);
	stream s;
	dnsd_xfrin_result res;
	char why[200] = "";
	stream_make(&s, DNSD_XFR_IXFR, v2, &d, 1, DNSD_TYPE_IXFR, 65535);
	/* same serial 1, other records: "old TXT" is not there */
	CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, other, NULL, &res, why),
	          DNSD_EINVAL);
	CHECK(strstr(why, "which is not there") != NULL);
	stream_free(&s);
	dnsd_zdiff_free(d);
	dnsd_zone_unref(v1);
	dnsd_zone_unref(v2);
	dnsd_zone_unref(other);
}

static void test_limits(void)
{
	dnsd_zone *v1 = build(V1);
	stream s;
	dnsd_xfrin_result res;
	char why[200] = "";
	stream_make(&s, DNSD_XFR_AXFR, v1, NULL, 0, DNSD_TYPE_AXFR, 200);
	size_t all = dnsd_zone_record_count(v1) + 1; /* the SOA twice */
	dnsd_xfrin_limits lim = {.max_records = all};
	CHECK_INT(read_all(&s, DNSD_TYPE_AXFR, 77, NULL, &lim, &res, why), 0);
	if (res.zone)
		dnsd_zone_unref(res.zone);
	lim.max_records = all - 1;
	CHECK_INT(read_all(&s, DNSD_TYPE_AXFR, 77, NULL, &lim, &res, why),
	          DNSD_ETOOMANY);
	CHECK(strstr(why, "xfr-max-records") != NULL);
	/* room for the first message only */
	CHECK(s.n >= 2);
	lim = (dnsd_xfrin_limits){.max_bytes = s.len[0]};
	CHECK_INT(read_all(&s, DNSD_TYPE_AXFR, 77, NULL, &lim, &res, why),
	          DNSD_ETOOMANY);
	CHECK(strstr(why, "xfr-max-bytes") != NULL);
	/* the sizes of the new version: 2 records at www and at the apex NS,
	 * 3 RRsets at the apex (SOA NS MX) */
	lim = (dnsd_xfrin_limits){
	    .sizes = {.max_rrset_records = 2, .max_name_rrsets = 3}};
	CHECK_INT(read_all(&s, DNSD_TYPE_AXFR, 77, NULL, &lim, &res, why), 0);
	if (res.zone)
		dnsd_zone_unref(res.zone);
	lim.sizes.max_rrset_records = 1;
	CHECK_INT(read_all(&s, DNSD_TYPE_AXFR, 77, NULL, &lim, &res, why),
	          DNSD_ETOOMANY);
	CHECK(res.zone == NULL);
	CHECK(strstr(why, "has 2 records, past max-records-per-type 1") !=
	      NULL);
	lim.sizes = (dnsd_zone_limits){.max_name_rrsets = 2};
	CHECK_INT(read_all(&s, DNSD_TYPE_AXFR, 77, NULL, &lim, &res, why),
	          DNSD_ETOOMANY);
	CHECK_STR(why, "the new version: example.org. has 3 RRsets, past "
	               "max-types-per-name 2");
	stream_free(&s);
	/* an IXFR making an RRset too large fails the same way */
	dnsd_zone *v3 = build(V3);
	dnsd_zdiff *d13 = NULL;
	CHECK_INT(dnsd_zdiff_compute(v1, v3, &d13), 0);
	stream_make(&s, DNSD_XFR_IXFR, v3, &d13, 1, DNSD_TYPE_IXFR, 512);
	lim = (dnsd_xfrin_limits){.sizes = {.max_rrset_records = 2}};
	CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v1, &lim, &res, why), 0);
	if (res.zone)
		dnsd_zone_unref(res.zone);
	if (res.diff)
		dnsd_zdiff_free(res.diff);
	lim.sizes.max_rrset_records = 1;
	CHECK_INT(read_all(&s, DNSD_TYPE_IXFR, 77, v1, &lim, &res, why),
	          DNSD_ETOOMANY);
	CHECK_STR(why, "the new version: example.org. NS has 2 records, past "
	               "max-records-per-type 1");
	stream_free(&s);
	dnsd_zdiff_free(d13);
	dnsd_zone_unref(v3);
	dnsd_zone_unref(v1);
}

int main(void)
{
	test_axfr();
	test_ixfr();
	test_broken();
	test_ixfr_absent();
	test_limits();
	return tap_done();
}
