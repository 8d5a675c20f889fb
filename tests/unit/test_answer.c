/* The answer engine: zones from tests/data/answer, queries made with the
 * message builder, responses read back with dnsd_msg_parse and checked
 * rule by rule (answer.h lists the rules and the choices). */
#include <dnsd/answer.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/zone.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* Counting allocator calls while dnsd_answer runs. Interposing malloc in
 * the test binary forwards to glibc's own entry points; sanitizer builds
 * interpose malloc themselves, so there the check is left out. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#if defined(__GLIBC__) || defined(__linux__)
#define COUNT_ALLOCS 1
#else
#define COUNT_ALLOCS 0
#endif
#endif

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static volatile int alloc_counting;
static volatile long alloc_calls;
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);
void *malloc(size_t n)
{
	if (alloc_counting)
		alloc_calls++;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
	if (alloc_counting)
		alloc_calls++;
	return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
	if (alloc_counting)
		alloc_calls++;
	return __libc_realloc(p, n);
}
void free(void *p)
{
	if (alloc_counting && p)
		alloc_calls++;
	__libc_free(p);
}
#endif

static dnsd_zonedb *db;
static dnsd_arena arena;
static dnsd_msg m;        /* the last response, parsed */
static uint8_t qbuf[600]; /* the last query */
static size_t qlen;
static uint8_t resp[65536];
static size_t resp_len;
static dnsd_verdict verdict;
#if COUNT_ALLOCS
static long answer_allocs;
#endif

typedef struct qopts {
	bool edns;
	uint16_t payload;
	uint8_t version;
	bool dnssec_ok;
	bool tcp;
	uint16_t qclass;
	uint16_t flags; /* RD, CD, opcode bits */
	uint16_t id;
	size_t cap; /* output room (0: all of resp) */
} qopts;

static int answer_raw(const uint8_t *pkt, size_t len, const qopts *o)
{
	dnsd_query q;
	int perr = dnsd_query_parse(pkt, len, &q);
	dnsd_answer_opts ao = {.tcp = o && o->tcp, .edns_payload = 1232};
	size_t cap = o && o->cap ? o->cap : sizeof resp;
#if COUNT_ALLOCS
	alloc_calls = 0;
	alloc_counting = 1;
#endif
	verdict = dnsd_answer(db, &q, perr, pkt, &ao, resp, cap, &resp_len);
#if COUNT_ALLOCS
	alloc_counting = 0;
	answer_allocs += alloc_calls;
#endif
	dnsd_arena_reset(&arena);
	memset(&m, 0, sizeof m);
	if (verdict == DNSD_VERDICT_DROP)
		return -1;
	CHECK(resp_len <= cap);
	int err = dnsd_msg_parse(resp, resp_len, &arena, &m);
	CHECK_INT(err, 0);
	return err;
}

/* Sends qname/qtype with options; the parsed response is in m. */
static int ask(const char *qname, uint16_t qtype, const qopts *o)
{
	qopts d = {.qclass = DNSD_CLASS_IN, .id = 0x1234};
	if (!o)
		o = &d;
	uint8_t name[DNSD_NAME_MAX];
	if (dnsd_name_from_text(qname, strlen(qname), NULL, name) < 0) {
		CHECK(!"bad test name");
		return -1;
	}
	dnsd_hdr h = {.id = o->id, .flags = o->flags};
	dnsd_msg_builder b;
	dnsd_msg_begin(&b, qbuf, sizeof qbuf, &h);
	dnsd_msg_question(&b, name, qtype, o->qclass ? o->qclass : 1);
	if (o->edns) {
		dnsd_msg_section(&b, DNSD_SEC_ADDITIONAL);
		dnsd_msg_opt(&b, o->payload ? o->payload : 1232, 0, o->version,
		             o->dnssec_ok ? DNSD_EDNS_DO : 0);
	}
	int n = dnsd_msg_finish(&b);
	CHECK(n > 0);
	if (n <= 0)
		return -1;
	qlen = (size_t)n;
	return answer_raw(qbuf, qlen, o);
}

static int rcode(void)
{
	return DNSD_RCODE(m.hdr.flags) | m.edns.ext_rcode << 4;
}

static bool flag(uint16_t f)
{
	return (m.hdr.flags & f) != 0;
}

/* Records of a section, OPT left out, as "owner TTL TYPE rdata". */
static unsigned count(int sec)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m.count[sec]; i++)
		if (m.sec[sec][i].type != DNSD_TYPE_OPT)
			n++;
	return n;
}

static const char *rr_text(const dnsd_rr *rr)
{
	static char buf[4096];
	char owner[DNSD_NAME_TEXT_MAX], t[16], rd[3000];
	dnsd_name_to_text(rr->owner, owner, sizeof owner);
	if (dnsd_rdata_to_text(rr->type, rr->rdata, rr->rdlen, false, rd,
	                       sizeof rd) < 0)
		strcpy(rd, "?");
	snprintf(buf, sizeof buf, "%s %u %s %s", owner, (unsigned)rr->ttl,
	         dnsd_rrtype_to_text(rr->type, t), rd);
	return buf;
}

/* True when the section holds a record whose text starts with want. */
static bool has(int sec, const char *want)
{
	for (unsigned i = 0; i < m.count[sec]; i++)
		if (strncmp(rr_text(&m.sec[sec][i]), want, strlen(want)) == 0)
			return true;
	fprintf(stderr, "  missing in section %d: %s\n  have:\n", sec, want);
	for (unsigned i = 0; i < m.count[sec]; i++)
		fprintf(stderr, "    %s\n", rr_text(&m.sec[sec][i]));
	return false;
}

/* Count of records of a type in a section. */
static unsigned count_type(int sec, uint16_t type)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m.count[sec]; i++)
		if (m.sec[sec][i].type == type)
			n++;
	return n;
}

static void diag_quiet(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (d->severity == DNSD_DIAG_ERROR)
		dnsd_diag_print(stderr, d);
}

static dnsd_zone *load(const char *origin_text)
{
	uint8_t origin[DNSD_NAME_MAX];
	char path[512];
	snprintf(path, sizeof path, "%s/answer/%s", DNSD_TEST_DATA,
	         origin_text);
	dnsd_name_from_text(origin_text, strlen(origin_text),
	                    (const uint8_t *)"", origin);
	dnsd_zf_opts o = {.origin = origin, .diag = diag_quiet};
	dnsd_zone *z = NULL;
	int err = dnsd_zone_load(path, &o, NULL, &z);
	if (err) {
		fprintf(stderr, "loading %s: %s\n", path, dnsd_strerror(err));
		exit(1);
	}
	return z;
}

/* A zone from text, through the streaming parser and the builder. */
static int sink_add(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static dnsd_zone *from_text(const char *origin_text, const char *text)
{
	uint8_t origin[DNSD_NAME_MAX];
	dnsd_name_from_text(origin_text, strlen(origin_text),
	                    (const uint8_t *)"", origin);
	dnsd_zone_builder *b = dnsd_zone_builder_new(origin);
	dnsd_zf_opts o = {
	    .origin = origin, .default_ttl = 3600, .diag = diag_quiet};
	dnsd_zf_result res;
	int err = dnsd_zonefile_parse_mem("inline", text, strlen(text), &o,
	                                  sink_add, b, &res);
	CHECK_INT(err, 0);
	dnsd_zone *z = NULL;
	err = dnsd_zone_builder_finish(b, diag_quiet, NULL, NULL, &z);
	CHECK_INT(err, 0);
	if (!z)
		exit(1);
	return z;
}

static void test_positive(void)
{
	qopts o = {
	    .qclass = 1, .id = 0xbeef, .flags = DNSD_FLAG_RD | DNSD_FLAG_CD};
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(m.hdr.id, 0xbeef);
	CHECK(flag(DNSD_FLAG_QR) && flag(DNSD_FLAG_AA));
	CHECK(flag(DNSD_FLAG_RD) && flag(DNSD_FLAG_CD));
	CHECK(!flag(DNSD_FLAG_RA) && !flag(DNSD_FLAG_TC) &&
	      !flag(DNSD_FLAG_AD));
	CHECK_INT(m.hdr.qdcount, 1);
	CHECK_INT(count(0), 1);
	CHECK(has(0, "www.example.com. 3600 A 192.0.2.80"));
	CHECK_INT(count(1), 0);
	CHECK_INT(m.count[2], 0); /* no EDNS in the query: no OPT */
	/* owner compressed to the question: 12 + 17 + 4 + 2 + 10 + 4 */
	CHECK_INT(resp_len, 49);
	CHECK_INT(resp[33], 0xc0);
	CHECK_INT(resp[34], 0x0c);

	ask("www.example.com.", DNSD_TYPE_AAAA, NULL);
	CHECK(has(0, "www.example.com. 3600 AAAA 2001:db8::80"));
	CHECK(!flag(DNSD_FLAG_RD));

	ask("example.com.", DNSD_TYPE_TXT, NULL);
	CHECK(has(0, "example.com. 3600 TXT \"v=spf1 -all\""));

	/* QCLASS ANY is answered from the IN data, without AA */
	o = (qopts){.qclass = DNSD_CLASS_ANY};
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK(has(0, "www.example.com. 3600 A 192.0.2.80"));
}

static void test_case(void)
{
	ask("wWw.ExAmPlE.cOm.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	/* the question octets as the client sent them */
	CHECK(resp_len > qlen && memcmp(resp + 12, qbuf + 12, qlen - 12) == 0);
	char t[DNSD_NAME_TEXT_MAX];
	dnsd_name_to_text(m.qd[0].qname, t, sizeof t);
	CHECK_STR(t, "wWw.ExAmPlE.cOm.");
	/* owners equal to the qname point at the question: client's case */
	CHECK(has(0, "wWw.ExAmPlE.cOm. 3600 A 192.0.2.80"));

	ask("mixed.EXAMPLE.com.", DNSD_TYPE_A, NULL);
	CHECK(has(0, "mixed.EXAMPLE.com. 3600 A 192.0.2.81"));
}

static void test_cname(void)
{
	ask("alias.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 2);
	CHECK(has(0, "alias.example.com. 3600 CNAME www.example.com."));
	CHECK(has(0, "www.example.com. 3600 A 192.0.2.80"));

	ask("chain1.example.com.", DNSD_TYPE_AAAA, NULL);
	CHECK_INT(count(0), 4);
	CHECK(has(0, "chain3.example.com. 3600 CNAME www.example.com."));
	CHECK(has(0, "www.example.com. 3600 AAAA 2001:db8::80"));

	/* qtype CNAME: the CNAME itself, not followed */
	ask("alias.example.com.", DNSD_TYPE_CNAME, NULL);
	CHECK_INT(count(0), 1);

	/* loops: cut, each name once */
	ask("loop1.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 2);
	ask("self.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 1);

	/* a 20-link chain stops at DNSD_ANSWER_CHAIN_MAX + 1 CNAMEs */
	ask("c1.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), DNSD_ANSWER_CHAIN_MAX + 1);
	CHECK_INT(count_type(0, DNSD_TYPE_A), 0);

	/* across zones, both ways */
	ask("ext.example.com.", DNSD_TYPE_A, NULL);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK(has(0, "ext.example.com. 3600 CNAME www.example.net."));
	CHECK(has(0, "www.example.net. 300 A 198.51.100.80"));
	ask("back.example.net.", DNSD_TYPE_A, NULL);
	CHECK_INT(count(0), 5);
	CHECK(has(0, "www.example.com. 3600 A 192.0.2.80"));

	/* leaving the served zones: the CNAME alone, NOERROR, AA */
	ask("outside.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 1);
	CHECK_INT(count(1), 0);

	/* RFC 6604: rcode and SOA of the last name */
	ask("dangling.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 1);
	CHECK(has(1, "example.com. 300 SOA"));
	ask("tonx.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK_INT(count(0), 1);
	CHECK_INT(count(1), 1);
	CHECK(has(1, "example.net. 60 SOA"));
	/* NODATA after a chain */
	ask("alias.example.com.", DNSD_TYPE_MX, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 1);
	CHECK(has(1, "example.com. 300 SOA"));

	/* into a delegation: CNAME plus referral, AA from the first name */
	ask("todeleg.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 1);
	CHECK_INT(count_type(1, DNSD_TYPE_NS), 3);
	CHECK(has(2, "ns1.child.example.com. 3600 A 192.0.2.201"));
}

static void test_wildcard(void)
{
	ask("foo.wild.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK(has(0, "foo.wild.example.com. 3600 A 192.0.2.100"));
	/* synthesized owner is the qname, in the client's case */
	ask("a.B.Wild.example.com.", DNSD_TYPE_TXT, NULL);
	CHECK(has(0, "a.B.Wild.example.com. 3600 TXT \"wild\""));
	/* wildcard NODATA */
	ask("foo.wild.example.com.", DNSD_TYPE_MX, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 0);
	CHECK(has(1, "example.com. 300 SOA"));
	/* an existing name blocks: no synthesis below sub.wild */
	ask("x.sub.wild.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	ask("sub.wild.example.com.", DNSD_TYPE_TXT, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 0);
	/* the wildcard's parent is an empty non-terminal: NODATA */
	ask("wild.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 0);
	CHECK_INT(count(1), 1);
	/* the literal "*" name */
	ask("*.wild.example.com.", DNSD_TYPE_A, NULL);
	CHECK(has(0, "*.wild.example.com. 3600 A 192.0.2.100"));

	/* an empty non-terminal blocks the wildcard above it */
	ask("x.ent.example.com.", DNSD_TYPE_TXT, NULL);
	CHECK(has(0, "x.ent.example.com. 3600 TXT \"wild-ent\""));
	ask("b.ent.example.com.", DNSD_TYPE_TXT, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 0);
	ask("y.b.ent.example.com.", DNSD_TYPE_TXT, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK_INT(count(0), 0);
	CHECK(has(1, "example.com. 300 SOA"));

	/* wildcard CNAME, followed */
	ask("q.cw.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(count(0), 2);
	CHECK(has(0, "q.cw.example.com. 3600 CNAME www.example.com."));
	CHECK(has(0, "www.example.com. 3600 A 192.0.2.80"));
	ask("q.cwx.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK_INT(count(0), 1);

	/* no synthesis across a zone cut: "*.child" is occluded */
	ask("host.child.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK_INT(count_type(1, DNSD_TYPE_NS), 3);
}

static void test_delegation(void)
{
	ask("www.child.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK_INT(count(1), 3);
	CHECK(has(1, "child.example.com. 3600 NS ns1.child.example.com."));
	CHECK(has(1, "child.example.com. 3600 NS ns.sibling.example.com."));
	/* in-bailiwick glue and sibling glue from the same zone */
	CHECK(has(2, "ns1.child.example.com. 3600 A 192.0.2.201"));
	CHECK(has(2, "ns2.child.example.com. 3600 A 192.0.2.202"));
	CHECK(has(2, "ns2.child.example.com. 3600 AAAA 2001:db8::202"));
	CHECK(has(2, "ns.sibling.example.com. 3600 A 192.0.2.210"));
	CHECK_INT(count(2), 4);

	/* the cut itself, for NS and other types: the referral */
	ask("child.example.com.", DNSD_TYPE_NS, NULL);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK_INT(count(1), 3);
	ask("child.example.com.", DNSD_TYPE_A, NULL);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(1), 3);
	/* glue names themselves get the referral */
	ask("ns1.child.example.com.", DNSD_TYPE_A, NULL);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);

	/* DS at the cut: the parent answers, authoritatively */
	ask("child.example.com.", DNSD_TYPE_DS, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK(has(0, "child.example.com. 3600 DS 12345 13 2"));
	CHECK_INT(count(1), 0);
	ask("nods.example.com.", DNSD_TYPE_DS, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK(has(1, "example.com. 300 SOA"));
	/* DS below the cut: referral */
	ask("x.child.example.com.", DNSD_TYPE_DS, NULL);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(1), 3);
	/* the child zone is served too: DS from the parent, rest from it */
	ask("served.example.com.", DNSD_TYPE_DS, NULL);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK(has(0, "served.example.com. 3600 DS 54321"));
	ask("served.example.com.", DNSD_TYPE_SOA, NULL);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK(has(0, "served.example.com. 600 SOA"));
	ask("nx.served.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK(has(1, "served.example.com. 120 SOA"));
	/* DS at an apex whose parent is not served: NODATA from the zone */
	ask("example.com.", DNSD_TYPE_DS, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK(has(1, "example.com. 300 SOA"));

	/* an NS target in another served zone is not glue: left out */
	ask("nods.example.com.", DNSD_TYPE_A, NULL);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(1), 1);
	CHECK(has(1, "nods.example.com. 3600 NS ns.example.net."));
	CHECK_INT(count(2), 0);

	/* RFC 9471: in-domain glue that does not fit sets TC */
	ask("www.manyns.example.com.", DNSD_TYPE_A, NULL);
	CHECK(flag(DNSD_FLAG_TC));
	CHECK_INT(count(1), 12);
	CHECK(resp_len <= 512);
	qopts o = {.edns = true, .payload = 1232};
	ask("www.manyns.example.com.", DNSD_TYPE_A, &o);
	CHECK(!flag(DNSD_FLAG_TC));
	CHECK_INT(count(1), 12);
	CHECK_INT(count(2), 24);
}

/* Referrals carry the referring zone's own glue only (RFC 9471);
 * answers of type NS and MX carry addresses from any served zone. */
static void test_referral_glue(void)
{
	/* in-domain glue: kept */
	ask("www.mixed.example.org.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(!flag(DNSD_FLAG_AA) && !flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 0);
	CHECK_INT(count(1), 2);
	CHECK(has(1, "mixed.example.org. 900 NS ns.mixed.example.org."));
	CHECK(has(1, "mixed.example.org. 900 NS www.example.com."));
	CHECK(has(2, "ns.mixed.example.org. 900 A 203.0.113.1"));
	CHECK(has(2, "ns.mixed.example.org. 900 AAAA 2001:db8:113::1"));
	/* its other name server lives in example.com: not glue */
	CHECK_INT(count(2), 2);

	/* sibling glue of the same zone and the zone's own address: kept */
	ask("www.sib.example.org.", DNSD_TYPE_A, NULL);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(count(1), 2);
	CHECK(has(2, "ns.mixed.example.org. 900 A 203.0.113.1"));
	CHECK(has(2, "ns.mixed.example.org. 900 AAAA 2001:db8:113::1"));
	CHECK(has(2, "ns.example.org. 900 A 203.0.113.53"));
	CHECK_INT(count(2), 3);

	/* every name server in another served zone: no additional at all,
	 * at the cut, below it, over TCP, and at the end of a CNAME chain */
	qopts tcp = {.tcp = true};
	const char *names[] = {"cross.example.org.", "www.cross.example.org.",
	                       "tocross.example.org."};
	for (unsigned i = 0; i < 3; i++) {
		ask(names[i], DNSD_TYPE_A, i == 1 ? &tcp : NULL);
		CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
		CHECK(!flag(DNSD_FLAG_TC));
		CHECK_INT(count(1), 2);
		CHECK(has(1, "cross.example.org. 900 NS ns1.example.com."));
		CHECK(has(1, "cross.example.org. 900 NS ns.example.net."));
		CHECK_INT(count(2), 0);
	}
	CHECK(flag(DNSD_FLAG_AA)); /* the chain's first name is ours */
	CHECK(has(0, "tocross.example.org. 900 CNAME host.cross.example.org."));

	/* NS answer: the addresses of a name server in another served zone
	 * are authoritative data there, and go in */
	ask("example.org.", DNSD_TYPE_NS, NULL);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 2);
	CHECK(has(2, "ns.example.org. 900 A 203.0.113.53"));
	CHECK(has(2, "ns1.example.com. 3600 A 192.0.2.53"));
	CHECK(has(2, "ns1.example.com. 3600 AAAA 2001:db8::53"));
	CHECK_INT(count(2), 3);
	/* MX answer, the exchange in another served zone */
	ask("example.org.", DNSD_TYPE_MX, NULL);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK(has(0, "example.org. 900 MX 10 mail.example.net."));
	CHECK(has(2, "mail.example.net. 300 A 198.51.100.25"));
	CHECK_INT(count(2), 1);
	/* and over TCP ANY, which holds the NS RRset as an answer */
	ask("example.org.", DNSD_TYPE_ANY, &tcp);
	CHECK(has(2, "ns1.example.com. 3600 A 192.0.2.53"));
	CHECK(has(2, "mail.example.net. 300 A 198.51.100.25"));
}

static void test_negative(void)
{
	ask("nothere.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK_INT(count(1), 1);
	/* TTL = min(SOA TTL 3600, MINIMUM 300) */
	CHECK(has(1, "example.com. 300 SOA ns1.example.com. "
	             "hostmaster.example.com. 2024010101 7200 3600 1209600 "
	             "300"));
	ask("www.example.com.", DNSD_TYPE_MX, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK(has(1, "example.com. 300 SOA"));
	/* TTL = min(SOA TTL 60, MINIMUM 600) */
	ask("nothere.example.net.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK(has(1, "example.net. 60 SOA"));
	/* empty non-terminals: NODATA */
	ask("ent.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 0);
	ask("_tcp.example.com.", DNSD_TYPE_SRV, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(1), 1);
}

static void test_additional(void)
{
	ask("example.com.", DNSD_TYPE_NS, NULL);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 2);
	CHECK(has(2, "ns1.example.com. 3600 A 192.0.2.53"));
	CHECK(has(2, "ns1.example.com. 3600 AAAA 2001:db8::53"));
	CHECK(has(2, "ns2.example.com. 3600 A 192.0.2.54"));
	CHECK_INT(count(2), 3);

	/* MX targets in this zone and in another served zone; none for a
	 * target nobody serves */
	ask("example.com.", DNSD_TYPE_MX, NULL);
	CHECK_INT(count(0), 3);
	CHECK(has(2, "mail.example.com. 3600 A 192.0.2.25"));
	CHECK(has(2, "mail.example.com. 3600 AAAA 2001:db8::25"));
	CHECK(has(2, "mail.example.net. 300 A 198.51.100.25"));
	CHECK_INT(count(2), 3);

	ask("_sip._tcp.example.com.", DNSD_TYPE_SRV, NULL);
	CHECK(has(0, "_sip._tcp.example.com. 3600 SRV 0 5 5060 "
	             "sip.example.com."));
	CHECK(has(2, "sip.example.com. 3600 A 192.0.2.60"));

	/* not all fits in 512: dropped from the end, never TC */
	ask("mxmany.example.com.", DNSD_TYPE_MX, NULL);
	CHECK(!flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 10);
	CHECK(count(2) > 0 && count(2) < 20);
	CHECK(has(2, "m1.mxmany.example.com. 3600 A 198.51.100.1"));
	CHECK(resp_len <= 512);
	qopts o = {.edns = true, .payload = 4096};
	ask("mxmany.example.com.", DNSD_TYPE_MX, &o);
	CHECK_INT(count(2), 20);
}

static void test_any(void)
{
	/* UDP: one RRset, the lowest type (A at the apex) */
	ask("example.com.", DNSD_TYPE_ANY, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA) && !flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 1);
	CHECK(has(0, "example.com. 3600 A 192.0.2.1"));
	/* TCP: everything */
	qopts o = {.tcp = true};
	ask("example.com.", DNSD_TYPE_ANY, &o);
	CHECK_INT(count_type(0, DNSD_TYPE_SOA), 1);
	CHECK_INT(count_type(0, DNSD_TYPE_NS), 2);
	CHECK_INT(count_type(0, DNSD_TYPE_MX), 3);
	CHECK_INT(count_type(0, DNSD_TYPE_A), 1);
	CHECK_INT(count_type(0, DNSD_TYPE_TXT), 1);
	CHECK_INT(count(0), 8);
	/* ANY at a CNAME: the CNAME, not followed */
	ask("alias.example.com.", DNSD_TYPE_ANY, NULL);
	CHECK_INT(count(0), 1);
	CHECK(has(0, "alias.example.com. 3600 CNAME"));
	/* ANY at an empty non-terminal: NODATA; at a wildcard: synthesized */
	ask("ent.example.com.", DNSD_TYPE_ANY, NULL);
	CHECK_INT(count(0), 0);
	CHECK_INT(count(1), 1);
	ask("x.wild.example.com.", DNSD_TYPE_ANY, &o);
	CHECK_INT(count(0), 2);
	CHECK(has(0, "x.wild.example.com. 3600 TXT"));
	/* NXDOMAIN stays NXDOMAIN */
	ask("nothere.example.com.", DNSD_TYPE_ANY, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
}

static void test_truncation(void)
{
	/* 512 without EDNS: mid does not fit, nothing partial */
	ask("mid.example.com.", DNSD_TYPE_TXT, NULL);
	CHECK(flag(DNSD_FLAG_TC));
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK(resp_len <= 512);
	/* the complete RRsets that fit: the CNAME, then TC */
	ask("tomid.example.com.", DNSD_TYPE_TXT, NULL);
	CHECK(flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 1);
	CHECK(has(0, "tomid.example.com. 3600 CNAME mid.example.com."));
	/* EDNS 1232 fits mid; an OPT is there */
	qopts o = {.edns = true, .payload = 1232};
	ask("mid.example.com.", DNSD_TYPE_TXT, &o);
	CHECK(!flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 10);
	CHECK(m.edns.present);
	CHECK_INT(m.edns.payload, 1232);
	CHECK(resp_len > 512 && resp_len <= 1232);
	/* the client's smaller size wins; and ours caps a larger one */
	o.payload = 600;
	ask("mid.example.com.", DNSD_TYPE_TXT, &o);
	CHECK(flag(DNSD_FLAG_TC));
	CHECK(resp_len <= 600);
	CHECK(m.edns.present);
	o.payload = 4096;
	ask("big.example.com.", DNSD_TYPE_TXT, &o);
	CHECK(flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 0);
	CHECK(resp_len <= 1232);
	CHECK(m.edns.present);
	/* a payload below 512 counts as 512 */
	o.payload = 100;
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK(!flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 1);
	/* TCP: all of it */
	o = (qopts){.tcp = true};
	ask("big.example.com.", DNSD_TYPE_TXT, &o);
	CHECK(!flag(DNSD_FLAG_TC));
	CHECK_INT(count(0), 40);
	CHECK(resp_len > 1232);
	/* a small output buffer is a limit too */
	o = (qopts){.tcp = true, .cap = 300};
	ask("big.example.com.", DNSD_TYPE_TXT, &o);
	CHECK(flag(DNSD_FLAG_TC));
	CHECK(resp_len <= 300);
}

static void test_edns(void)
{
	qopts o = {.edns = true, .payload = 4096, .dnssec_ok = true};
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(m.edns.present);
	CHECK_INT(m.edns.payload, 1232);
	CHECK_INT(m.edns.version, 0);
	CHECK(m.edns.flags & DNSD_EDNS_DO);
	CHECK_INT(count(2), 0);
	o.dnssec_ok = false;
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK(!(m.edns.flags & DNSD_EDNS_DO));
	/* OPT on negative answers and errors */
	ask("nothere.example.com.", DNSD_TYPE_A, &o);
	CHECK(m.edns.present);
	ask("www.unserved.test.", DNSD_TYPE_A, &o);
	CHECK_INT(rcode(), DNSD_RCODE_REFUSED);
	CHECK(m.edns.present);

	/* BADVERS: extended rcode 16 through OPT, no data */
	o.version = 1;
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK_INT(rcode(), DNSD_RCODE_BADVERS);
	CHECK_INT(DNSD_RCODE(m.hdr.flags), 0);
	CHECK_INT(m.edns.ext_rcode, 1);
	CHECK(m.edns.present);
	CHECK_INT(m.edns.version, 0);
	CHECK_INT(count(0) + count(1) + count(2), 0);
	CHECK_INT(m.hdr.qdcount, 1);

	/* an unknown option is ignored */
	static const uint8_t withopt[] = {
	    0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x01, 3,    'w',  'w',  'w',  7,    'e',  'x',  'a',
	    'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0,    0x00,
	    0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x06, 0xfd, 0xe9, 0x00, 0x02, 0xab, 0xcd};
	answer_raw(withopt, sizeof withopt, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(count(0), 1);
	CHECK(m.edns.present);
}

static void test_errors(void)
{
	/* not ours */
	ask("www.unserved.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_REFUSED);
	CHECK(!flag(DNSD_FLAG_AA));
	CHECK_INT(m.hdr.qdcount, 1);
	CHECK_INT(count(0) + count(1) + count(2), 0);
	ask("com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_REFUSED);
	/* class CH */
	qopts o = {.qclass = DNSD_CLASS_CH, .id = 9};
	ask("version.bind.", DNSD_TYPE_TXT, &o);
	CHECK_INT(rcode(), DNSD_RCODE_REFUSED);
	CHECK(!flag(DNSD_FLAG_AA));
	o.qclass = DNSD_CLASS_CH;
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK_INT(rcode(), DNSD_RCODE_REFUSED);
	/* transfers are not answered here; other meta types find no data */
	ask("example.com.", DNSD_TYPE_AXFR, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_REFUSED);
	ask("example.com.", DNSD_TYPE_TSIG, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(count(0), 0);
	CHECK_INT(count(1), 1);
	/* opcode STATUS: NOTIMP, opcode copied */
	o = (qopts){.qclass = 1, .flags = (uint16_t)(DNSD_OPCODE_STATUS << 11)};
	ask("www.example.com.", DNSD_TYPE_A, &o);
	CHECK_INT(rcode(), DNSD_RCODE_NOTIMP);
	CHECK_INT(DNSD_OPCODE(m.hdr.flags), DNSD_OPCODE_STATUS);
	/* dnsd_answer_error directly, as the dispatcher uses it */
	dnsd_query q;
	ask("www.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(dnsd_query_parse(qbuf, qlen, &q), 0);
	size_t n = dnsd_answer_error(&q, 0, DNSD_RCODE_NOTAUTH, NULL, resp,
	                             sizeof resp);
	CHECK_INT(n, qlen);
	CHECK_INT(resp[3] & 0xf, DNSD_RCODE_NOTAUTH);
	CHECK_INT(resp[2] & 0x80, 0x80);

	/* QR set: silence */
	static uint8_t qr[] = {0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x00,
	                       0x00, 0x00, 0x00, 0x00, 0x00, 3,    'c',
	                       'o',  'm',  0,    0x00, 0x01, 0x00, 0x01};
	CHECK_INT(answer_raw(qr, sizeof qr, NULL), -1);
	CHECK_INT(verdict, DNSD_VERDICT_DROP);
	/* a header cut short: silence */
	CHECK_INT(answer_raw(qr, 11, NULL), -1);
	CHECK_INT(verdict, DNSD_VERDICT_DROP);
	/* a question cut short: FORMERR without question */
	static uint8_t cut[] = {0x00, 0x02, 0x01, 0x00, 0x00, 0x01,
	                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                        7,    'e',  'x',  'a',  'm'};
	answer_raw(cut, sizeof cut, NULL);
	CHECK_INT(verdict, DNSD_VERDICT_ANSWER);
	CHECK_INT(rcode(), DNSD_RCODE_FORMERR);
	CHECK_INT(m.hdr.id, 2);
	CHECK_INT(m.hdr.qdcount, 0);
	CHECK(flag(DNSD_FLAG_RD));
	/* trailing garbage after a good question: FORMERR, question echoed */
	static uint8_t trail[] = {0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
	                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                          3,    'c',  'o',  'm',  0,    0x00,
	                          0x01, 0x00, 0x01, 0xff, 0xff};
	answer_raw(trail, sizeof trail, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_FORMERR);
	CHECK_INT(m.hdr.qdcount, 1);
	/* QDCOUNT 0 and 2 */
	static uint8_t qd0[] = {0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
	                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	answer_raw(qd0, sizeof qd0, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_FORMERR);
	CHECK_INT(m.hdr.qdcount, 0);
	static uint8_t qd2[] = {0x00, 0x05, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
	                        0x00, 0x00, 0x00, 0x00, 3,    'c',  'o',  'm',
	                        0,    0x00, 0x01, 0x00, 0x01, 3,    'c',  'o',
	                        'm',  0,    0x00, 0x01, 0x00, 0x01};
	answer_raw(qd2, sizeof qd2, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_FORMERR);
	CHECK_INT(m.hdr.qdcount, 0);
	/* two OPT records: FORMERR with our OPT */
	static uint8_t opt2[] = {
	    0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x02, 3,    'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01, 0x00,
	    0x00, 0x29, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x29, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	answer_raw(opt2, sizeof opt2, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_FORMERR);
	CHECK_INT(m.hdr.id, 6);
	CHECK(m.edns.present);
}

/* A zone built from text, to check the store-facing corner cases: a zone
 * of its own, the root label, TTL rewrite, DS at a cut with no parent
 * data. */
static void test_inline_zone(void)
{
	dnsd_zone *z =
	    from_text("inline.test.", "@ 100 IN SOA ns hm 1 2 3 4 5000\n"
	                              "@ NS ns\n"
	                              "ns A 10.0.0.1\n"
	                              "x.y.z A 10.0.0.2\n");
	dnsd_zonedb *saved = db;
	db = dnsd_zonedb_new(&z, 1);
	dnsd_zone_unref(z);
	ask("y.z.inline.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(has(1, "inline.test. 100 SOA"));
	ask("q.y.z.inline.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	ask("www.example.com.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_REFUSED);
	dnsd_zonedb_free(db);
	db = saved;
}

/* A secondary's zone not loaded yet, or expired: a stand-in version
 * answers SERVFAIL without AA for every name and type in it, keeps the
 * SOA's serial, and a CNAME into it ends there. */
static void test_servfail_zone(void)
{
	dnsd_zone *live =
	    from_text("live.test.", "@ 100 IN SOA ns hm 7 2 3 4 5\n"
	                            "@ NS ns\n"
	                            "ns A 10.0.0.1\n"
	                            "c CNAME www.gone.test.\n");
	dnsd_zone *gone =
	    from_text("gone.test.", "@ 100 IN SOA ns hm 9 2 3 4 5\n"
	                            "@ NS ns\n"
	                            "www A 10.0.0.2\n");
	dnsd_zone *stub = NULL, *none = NULL;
	CHECK_INT(dnsd_zone_servfail_new(dnsd_zone_origin(gone), gone, &stub),
	          0);
	CHECK_INT(dnsd_zone_servfail_new(dnsd_zone_origin(gone), NULL, &none),
	          0);
	CHECK(dnsd_zone_servfail(stub) && dnsd_zone_servfail(none));
	CHECK(!dnsd_zone_servfail(gone));
	CHECK_INT(dnsd_zone_serial(stub), 9);
	CHECK_INT(dnsd_zone_serial(none), 0);
	CHECK_INT(dnsd_zone_record_count(stub), 1);
	dnsd_zone *v[2] = {live, stub};
	dnsd_zonedb *saved = db;
	db = dnsd_zonedb_new(v, 2);
	ask("www.gone.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_SERVFAIL);
	CHECK(!(m.hdr.flags & DNSD_FLAG_AA));
	CHECK_INT(m.count[DNSD_SEC_ANSWER], 0);
	ask("gone.test.", DNSD_TYPE_SOA, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_SERVFAIL);
	ask("nothing.gone.test.", DNSD_TYPE_TXT, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_SERVFAIL);
	ask("c.live.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK(m.hdr.flags & DNSD_FLAG_AA);
	CHECK_INT(m.count[DNSD_SEC_ANSWER], 1);
	ask("ns.live.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	dnsd_zonedb_free(db);
	/* the same zone live again answers */
	v[1] = gone;
	db = dnsd_zonedb_new(v, 2);
	ask("www.gone.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(m.count[DNSD_SEC_ANSWER], 1);
	dnsd_zonedb_free(db);
	db = saved;
	dnsd_zone_unref(live);
	dnsd_zone_unref(gone);
	dnsd_zone_unref(stub);
	dnsd_zone_unref(none);
}

/* A name holding only NSEC3 (and RRSIG) is of the hashed name space,
 * not of the zone: NXDOMAIN for every type, NSEC3 included (RFC 5155
 * §7.2.8 with erratum 4622), as BIND and Knot answer. A name holding
 * NSEC3 beside other data stays a name. */
static void test_nsec3_owner(void)
{
	dnsd_zone *z = from_text(
	    "h.test.", "@ 100 IN SOA ns hm 1 2 3 4 5\n"
	               "@ NS ns\n"
	               "ns A 10.0.0.1\n"
	               "4r1csa6gruac04654l907e45pek1n40o NSEC3 1 1 5 cafebabe "
	               "kgdp1a34acg26271j8a46gofi5b3vih2 A RRSIG\n"
	               "mixed A 10.0.0.2\n"
	               "mixed NSEC3 1 1 5 cafebabe "
	               "kgdp1a34acg26271j8a46gofi5b3vih2 A\n");
	dnsd_zonedb *saved = db;
	db = dnsd_zonedb_new(&z, 1);
	dnsd_zone_unref(z);
	ask("4R1CSA6GRUAC04654L907E45PEK1N40O.h.test.", DNSD_TYPE_NSEC3, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	CHECK(flag(DNSD_FLAG_AA));
	CHECK_INT(m.count[DNSD_SEC_ANSWER], 0);
	CHECK(has(1, "h.test. 5 SOA"));
	ask("4r1csa6gruac04654l907e45pek1n40o.h.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NXDOMAIN);
	ask("mixed.h.test.", DNSD_TYPE_A, NULL);
	CHECK_INT(rcode(), DNSD_RCODE_NOERROR);
	CHECK_INT(m.count[DNSD_SEC_ANSWER], 1);
	dnsd_zonedb_free(db);
	db = saved;
}

int main(void)
{
	dnsd_arena_init(&arena, 0);
	dnsd_zone *zones[4] = {load("example.com"), load("example.net"),
	                       load("served.example.com"), load("example.org")};
	db = dnsd_zonedb_new(zones, 4);
	for (int i = 0; i < 4; i++)
		dnsd_zone_unref(zones[i]);

	test_positive();
	test_case();
	test_cname();
	test_wildcard();
	test_delegation();
	test_referral_glue();
	test_negative();
	test_additional();
	test_any();
	test_truncation();
	test_edns();
	test_errors();
	test_inline_zone();
	test_servfail_zone();
	test_nsec3_owner();
#if COUNT_ALLOCS
	CHECK_INT(answer_allocs, 0);
	/* the counter itself sees allocations */
	alloc_calls = 0;
	alloc_counting = 1;
	free(malloc(16));
	alloc_counting = 0;
	CHECK_INT(alloc_calls, 2);
#endif

	dnsd_zonedb_free(db);
	dnsd_arena_free(&arena);
	return tap_done();
}
