/* Unit tests for dynamic UPDATE (update.h): the zone section, every kind
 * of prerequisite (pass and fail), the prescan's FORMERR and NOTZONE
 * cases, every kind of update with the apex SOA/NS protections, CNAME
 * exclusion, duplicates, TTLs, the serial rule with its wrap-around, the
 * limits, all-or-nothing, and the diff of the new version. UPDATE
 * messages are written with dnsd_msg_builder from presentation text and
 * read back with dnsd_msg_parse, as the daemon will receive them. */
#include "tap.h"
#include "zones.h"
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/update.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdlib.h>

/* ---- helpers ---- */

static void quiet(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (d->severity == DNSD_DIAG_ERROR)
		fprintf(stderr, "zone: %s\n", d->msg);
}

static int sink(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static const char base[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 100 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "@ NS ns2\n"
    "@ MX 10 mail\n"
    "@ A 192.0.2.80\n"
    "ns1 A 192.0.2.1\n"
    "ns2 A 192.0.2.2\n"
    "mail A 192.0.2.25\n"
    "www A 192.0.2.10\n"
    "www A 192.0.2.11\n"
    "www TXT \"hello world\"\n"
    "alias CNAME www\n"
    "x.ent A 192.0.2.99\n"; /* ent.example.org.: empty non-terminal */
#define BASE_RECORDS 13

/* Builds example.org. from text. */
static dnsd_zone *zone_of(const char *text)
{
	dnsd_zf_opts o = {.origin = N("example.org."), .diag = quiet};
	dnsd_zone_builder *b = dnsd_zone_builder_new(o.origin);
	dnsd_zf_result res;
	if (dnsd_zonefile_parse_mem("z", text, strlen(text), &o, sink, b,
	                            &res) < 0) {
		dnsd_zone_builder_free(b);
		abort();
	}
	dnsd_zone *z = NULL;
	if (dnsd_zone_builder_finish(b, quiet, NULL, NULL, &z) < 0)
		abort();
	return z;
}

static dnsd_zone *zone_base(void)
{
	return zone_of(base);
}

/* A zone with base's records and another serial. */
static dnsd_zone *zone_serial(uint32_t serial)
{
	static char text[2048];
	char soa[96];
	snprintf(soa, sizeof soa,
	         "@ SOA ns1 hostmaster %u 7200 3600 1209600 300\n", serial);
	const char *p = strstr(base, "@ SOA"), *q = strchr(p, '\n') + 1;
	snprintf(text, sizeof text, "%.*s%s%s", (int)(p - base), base, soa, q);
	return zone_of(text);
}

/* The message being written. */
static uint8_t mbuf[65535];
static dnsd_msg_builder mb;
static int cur_sec;

static void msg_hdr(uint16_t flags)
{
	dnsd_hdr h = {.id = 4242, .flags = flags};
	dnsd_msg_begin(&mb, mbuf, sizeof mbuf, &h);
	cur_sec = -1;
}

/* Starts an UPDATE for zone (type SOA class IN). */
static void msg(const char *zone)
{
	msg_hdr(DNSD_OPCODE_UPDATE << 11);
	dnsd_msg_question(&mb, N(zone), DNSD_TYPE_SOA, DNSD_CLASS_IN);
}

/* Splits text into tokens (double quotes group, no escapes inside). */
static size_t tokens(const char *s, dnsd_token *t, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		bool q = *s == '"';
		const char *b = s + q;
		const char *e = b;
		while (*e && (q ? *e != '"' : *e != ' '))
			e++;
		t[n++] = (dnsd_token){.s = b,
		                      .len = (uint32_t)(e - b),
		                      .line = 1,
		                      .col = 1,
		                      .quoted = q};
		s = *e ? e + 1 : e;
	}
	return n;
}

/* Appends "OWNER CLASS TTL TYPE RDATA" to section sec (answer:
 * prerequisites, authority: updates); rdata NULL: RDLENGTH 0. */
static void rr(int sec, const char *owner, const char *cls, uint32_t ttl,
               const char *type, const char *rdata)
{
	if (sec != cur_sec)
		dnsd_msg_section(&mb, cur_sec = sec);
	uint16_t t, c;
	if (dnsd_rrtype_from_text(type, strlen(type), &t) < 0 ||
	    dnsd_rrclass_from_text(cls, strlen(cls), &c) < 0)
		abort();
	uint8_t rd[4096];
	int len = 0;
	if (rdata) {
		dnsd_token tk[32];
		size_t n = tokens(rdata, tk, 32);
		dnsd_rdata_error err;
		len = dnsd_rdata_from_text(t, tk, n, N("example.org."), rd,
		                           sizeof rd, &err);
		if (len < 0) {
			fprintf(stderr, "rdata '%s': %s\n", rdata, err.msg);
			abort();
		}
	}
	if (dnsd_msg_rr(&mb, N(owner), t, c, ttl, rd, (size_t)len) < 0)
		abort();
}

#define PRE(o, c, ttl, t, rd) rr(DNSD_SEC_ANSWER, o, c, ttl, t, rd)
#define UPD(o, c, ttl, t, rd) rr(DNSD_SEC_AUTHORITY, o, c, ttl, t, rd)
#define ADD(o, ttl, t, rd)    UPD(o, "IN", ttl, t, rd)
#define DEL_RRSET(o, t)       UPD(o, "ANY", 0, t, NULL)
#define DEL_RR(o, t, rd)      UPD(o, "NONE", 0, t, rd)

static dnsd_update_result res;
static dnsd_arena marena;
static dnsd_msg m;

/* Finishes and parses the message, applies it to z; returns the rcode. */
static int run_lim(const dnsd_zone *z, const dnsd_update_limits *lim)
{
	dnsd_update_result_clear(&res);
	int len = dnsd_msg_finish(&mb);
	if (len < 0)
		abort();
	dnsd_arena_reset(&marena);
	if (dnsd_msg_parse(mbuf, (size_t)len, &marena, &m) != 0) {
		fprintf(stderr, "message does not parse\n");
		abort();
	}
	int rc = dnsd_update_apply(z, &m, lim, &res);
	CHECK(rc == 0 || res.rcode == DNSD_RCODE_SERVFAIL);
	if (res.rcode)
		CHECK(res.reason[0] != 0 && res.zone == NULL &&
		      res.diff == NULL);
	CHECK((res.zone == NULL) == (res.diff == NULL));
	if (res.zone)
		CHECK_INT(res.serial, dnsd_zone_serial(res.zone));
	return res.rcode;
}

static int run(const dnsd_zone *z)
{
	return run_lim(z, NULL);
}

static bool has_reason(const char *s)
{
	if (!strstr(res.reason, s)) {
		fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", res.reason, s);
		return false;
	}
	return true;
}

static const dnsd_rrset *rrset(const dnsd_zone *z, const char *name,
                               const char *type)
{
	uint16_t t;
	if (!z || dnsd_rrtype_from_text(type, strlen(type), &t) < 0)
		return NULL;
	const dnsd_node *n = dnsd_zone_find(z, N(name));
	return n ? dnsd_node_rrset(n, t) : NULL;
}

static int count(const dnsd_zone *z, const char *name, const char *type)
{
	const dnsd_rrset *s = rrset(z, name, type);
	return s ? s->count : 0;
}

static long ttl(const dnsd_zone *z, const char *name, const char *type)
{
	const dnsd_rrset *s = rrset(z, name, type);
	return s ? (long)s->ttl : -1;
}

/* Is the record there (RDATA as text, compared canonically)? */
static bool has(const dnsd_zone *z, const char *name, const char *type,
                const char *rdata)
{
	const dnsd_rrset *s = rrset(z, name, type);
	if (!s)
		return false;
	dnsd_token tk[32];
	size_t n = tokens(rdata, tk, 32);
	uint8_t rd[4096];
	dnsd_rdata_error err;
	int len = dnsd_rdata_from_text(s->type, tk, n, N("example.org."), rd,
	                               sizeof rd, &err);
	if (len < 0)
		abort();
	dnsd_rr_iter it;
	dnsd_rrset_iter(s, &it);
	while (dnsd_rr_next(&it))
		if (dnsd_rdata_cmp(s->type, it.rdata, it.rdlen, rd,
		                   (size_t)len) == 0)
			return true;
	return false;
}

static bool name_exists(const dnsd_zone *z, const char *name)
{
	const dnsd_node *n = dnsd_zone_find(z, N(name));
	return n && dnsd_node_rrset_count(n) > 0;
}

/* ---- zone section ---- */

static void test_zone_section(void)
{
	dnsd_zone *z = zone_base();
	int rcode = -1;

	msg_hdr(DNSD_OPCODE_UPDATE << 11); /* no zone section */
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(has_reason("zone section"));
	CHECK_INT(dnsd_update_zone_section(&m, &rcode), DNSD_EMALFORM);
	CHECK_INT(rcode, DNSD_RCODE_FORMERR);

	msg("example.org."); /* two entries */
	dnsd_msg_question(&mb, N("example.org."), DNSD_TYPE_SOA, DNSD_CLASS_IN);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK_INT(dnsd_update_zone_section(&m, &rcode), DNSD_EMALFORM);

	msg_hdr(DNSD_OPCODE_UPDATE << 11);
	dnsd_msg_question(&mb, N("example.org."), DNSD_TYPE_A, DNSD_CLASS_IN);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(has_reason("zone section A IN"));

	msg_hdr(DNSD_OPCODE_UPDATE << 11);
	dnsd_msg_question(&mb, N("example.org."), DNSD_TYPE_SOA, DNSD_CLASS_CH);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK_INT(dnsd_update_zone_section(&m, &rcode), DNSD_EMALFORM);
	CHECK_INT(rcode, DNSD_RCODE_FORMERR);

	msg("EXAMPLE.org."); /* any letter case */
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(dnsd_update_zone_section(&m, &rcode), 0);
	CHECK_INT(rcode, DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.serial, 100);

	msg("other.example.org."); /* not this zone */
	CHECK_INT(run(z), DNSD_RCODE_NOTAUTH);
	CHECK(has_reason("other.example.org."));

	CHECK_INT(dnsd_update_apply(NULL, &m, NULL, &res), DNSD_EINVAL);
	CHECK_INT(dnsd_update_apply(z, NULL, NULL, &res), DNSD_EINVAL);
	CHECK_INT(dnsd_update_apply(z, &m, NULL, NULL), DNSD_EINVAL);
	dnsd_update_result_clear(NULL);
	dnsd_zone_unref(z);
}

/* ---- prerequisites ---- */

static void test_prereq_rrset_exists(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	PRE("www.example.org.", "ANY", 0, "A", NULL);
	PRE("WWW.Example.ORG.", "ANY", 0, "TXT", NULL);
	PRE("example.org.", "ANY", 0, "MX", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.prereqs, 3);
	CHECK_INT(res.updates, 0);
	CHECK(res.zone == NULL);

	msg("example.org.");
	PRE("www.example.org.", "ANY", 0, "A", NULL);
	PRE("www.example.org.", "ANY", 0, "AAAA", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NXRRSET);
	CHECK(has_reason("'RRset exists'"));
	CHECK(has_reason("www.example.org. AAAA"));

	msg("example.org."); /* absent name */
	PRE("nope.example.org.", "ANY", 0, "A", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NXRRSET);
	dnsd_zone_unref(z);
}

static void test_prereq_rrset_absent(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	PRE("www.example.org.", "NONE", 0, "AAAA", NULL);
	PRE("nope.example.org.", "NONE", 0, "A", NULL);
	PRE("ent.example.org.", "NONE", 0, "A", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);

	msg("example.org.");
	PRE("www.example.org.", "NONE", 0, "TXT", NULL);
	CHECK_INT(run(z), DNSD_RCODE_YXRRSET);
	CHECK(has_reason("'RRset does not exist'"));
	CHECK(has_reason("www.example.org. TXT"));
	dnsd_zone_unref(z);
}

static void test_prereq_name_in_use(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	PRE("www.example.org.", "ANY", 0, "ANY", NULL);
	PRE("alias.example.org.", "ANY", 0, "ANY", NULL);
	PRE("example.org.", "ANY", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);

	msg("example.org.");
	PRE("nope.example.org.", "ANY", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NXDOMAIN);
	CHECK(has_reason("'name in use'"));
	CHECK(has_reason("nope.example.org."));

	msg("example.org."); /* an empty non-terminal is not in use */
	PRE("ent.example.org.", "ANY", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NXDOMAIN);

	msg("example.org."); /* names in the reason are escaped */
	PRE("a\\.b\\032c.example.org.", "ANY", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NXDOMAIN);
	CHECK(has_reason("a\\.b\\032c.example.org."));
	dnsd_zone_unref(z);
}

static void test_prereq_name_not_in_use(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	PRE("nope.example.org.", "NONE", 0, "ANY", NULL);
	PRE("ent.example.org.", "NONE", 0, "ANY", NULL);
	PRE("deep.below.nope.example.org.", "NONE", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);

	msg("example.org.");
	PRE("x.ent.example.org.", "NONE", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_YXDOMAIN);
	CHECK(has_reason("'name not in use'"));
	CHECK(has_reason("x.ent.example.org."));
	dnsd_zone_unref(z);
}

static void test_prereq_value_dependent(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org."); /* exact set, any order, duplicates fold */
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.11");
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.10");
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.11");
	PRE("example.org.", "IN", 0, "MX", "10 MAIL.Example.Org.");
	PRE("example.org.", "IN", 0, "NS", "NS2.example.org.");
	PRE("Example.org.", "IN", 0, "NS", "ns1.EXAMPLE.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);

	msg("example.org."); /* a subset */
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_NXRRSET);
	CHECK(has_reason("'RRset exists (value dependent)'"));
	CHECK(has_reason("www.example.org. A"));

	msg("example.org."); /* a superset */
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.10");
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.11");
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.12");
	CHECK_INT(run(z), DNSD_RCODE_NXRRSET);

	msg("example.org."); /* other values */
	PRE("www.example.org.", "IN", 0, "TXT", "\"hello World\"");
	CHECK_INT(run(z), DNSD_RCODE_NXRRSET);

	msg("example.org."); /* absent */
	PRE("www.example.org.", "IN", 0, "AAAA", "2001:db8::1");
	CHECK_INT(run(z), DNSD_RCODE_NXRRSET);

	/* value-dependent ones are checked after the others (BIND) */
	msg("example.org.");
	PRE("www.example.org.", "IN", 0, "A", "192.0.2.99");
	PRE("nope.example.org.", "ANY", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NXDOMAIN);
	dnsd_zone_unref(z);
}

static void test_prereq_formerr_notzone(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	PRE("www.example.org.", "ANY", 300, "A", NULL);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(has_reason("TTL 300"));

	msg("example.org.");
	PRE("www.example.org.", "IN", 60, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org.");
	PRE("www.example.org.", "ANY", 0, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(has_reason("RDATA"));

	msg("example.org.");
	PRE("www.example.org.", "NONE", 0, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org.");
	PRE("www.example.org.", "CH", 0, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(has_reason("class CH"));

	msg("example.org.");
	PRE("www.example.com.", "ANY", 0, "A", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NOTZONE);
	CHECK(has_reason("www.example.com. A"));

	msg("example.org."); /* the parent is outside too */
	PRE("org.", "NONE", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NOTZONE);

	msg("example.org."); /* in order: the first bad one decides */
	PRE("nope.example.org.", "ANY", 0, "ANY", NULL);
	PRE("www.example.com.", "ANY", 0, "A", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NXDOMAIN);
	dnsd_zone_unref(z);
}

/* Prerequisites are checked before any update: nothing applies. */
static void test_prereq_blocks_updates(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	PRE("www.example.org.", "ANY", 0, "A", NULL);
	PRE("www.example.org.", "NONE", 0, "TXT", NULL);
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	CHECK_INT(run(z), DNSD_RCODE_YXRRSET);
	CHECK(res.zone == NULL);
	CHECK_INT(res.updates, 1);
	CHECK(!name_exists(z, "new.example.org."));

	/* a failing prerequisite beats a bad update */
	msg("example.org.");
	PRE("nope.example.org.", "ANY", 0, "A", NULL);
	ADD("www.example.com.", 60, "A", "192.0.2.50");
	CHECK_INT(run(z), DNSD_RCODE_NXRRSET);

	/* passing prerequisites with the update */
	msg("example.org.");
	PRE("new.example.org.", "NONE", 0, "ANY", NULL);
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(has(res.zone, "new.example.org.", "A", "192.0.2.50"));
	dnsd_zone_unref(z);
}

/* ---- prescan ---- */

static void test_prescan(void)
{
	dnsd_zone *z = zone_base();
	static const char *const meta_add[] = {"ANY",   "AXFR",  "IXFR",
	                                       "MAILA", "MAILB", "TYPE128"};
	for (size_t i = 0; i < sizeof meta_add / sizeof *meta_add; i++) {
		msg("example.org.");
		ADD("www.example.org.", 60, meta_add[i], "\\# 2 abcd");
		CHECK_INT(run(z), DNSD_RCODE_FORMERR);
		CHECK(has_reason(meta_add[i]));
	}

	msg("example.org."); /* class ANY with a TTL */
	UPD("www.example.org.", "ANY", 60, "A", NULL);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org."); /* class ANY with RDATA */
	UPD("www.example.org.", "ANY", 0, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org."); /* class ANY, a meta type other than ANY */
	UPD("www.example.org.", "ANY", 0, "AXFR", NULL);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org.");
	UPD("www.example.org.", "ANY", 0, "MAILB", NULL);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org."); /* class NONE with a TTL */
	UPD("www.example.org.", "NONE", 60, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(has_reason("TTL 60"));

	msg("example.org."); /* class NONE, type ANY */
	UPD("www.example.org.", "NONE", 0, "ANY", NULL);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org.");
	UPD("www.example.org.", "NONE", 0, "IXFR", NULL);
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);

	msg("example.org."); /* another class */
	UPD("www.example.org.", "CH", 60, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(has_reason("class CH"));

	msg("example.org."); /* outside the zone */
	UPD("www.example.net.", "IN", 60, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_NOTZONE);
	CHECK(has_reason("www.example.net. A"));

	/* the whole section is scanned before anything applies */
	msg("example.org.");
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	DEL_RRSET("www.example.org.", "A");
	UPD("new.example.org.", "NONE", 5, "A", "192.0.2.50");
	CHECK_INT(run(z), DNSD_RCODE_FORMERR);
	CHECK(res.zone == NULL);
	CHECK(!name_exists(z, "new.example.org."));
	CHECK_INT(count(z, "www.example.org.", "A"), 2);
	dnsd_zone_unref(z);
}

/* ---- updates ---- */

static void test_add(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	ADD("new.example.org.", 60, "AAAA", "2001:db8::50");
	ADD("www.example.org.", 3600, "A", "192.0.2.12");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_STR(res.reason, "");
	CHECK_INT(res.ignored, 0);
	CHECK(res.zone != NULL);
	CHECK_INT(res.serial, 101);
	CHECK_INT(dnsd_zone_record_count(res.zone), BASE_RECORDS + 3);
	CHECK(has(res.zone, "new.example.org.", "A", "192.0.2.50"));
	CHECK(has(res.zone, "new.example.org.", "AAAA", "2001:db8::50"));
	CHECK_INT(count(res.zone, "www.example.org.", "A"), 3);
	CHECK_INT(ttl(res.zone, "new.example.org.", "A"), 60);
	/* the diff lists what was added, SOA aside */
	CHECK_INT(dnsd_zdiff_added(res.diff), 3);
	CHECK_INT(dnsd_zdiff_deleted(res.diff), 0);
	CHECK_INT(dnsd_zdiff_from_serial(res.diff), 100);
	CHECK_INT(dnsd_zdiff_to_serial(res.diff), 101);
	/* the old version is untouched */
	CHECK_INT(dnsd_zone_serial(z), 100);
	CHECK_INT(dnsd_zone_record_count(z), BASE_RECORDS);
	CHECK(!name_exists(z, "new.example.org."));
	CHECK_INT(count(z, "www.example.org.", "A"), 2);

	/* the new version can be updated in turn */
	dnsd_zone *z2 = res.zone;
	dnsd_zone_ref(z2);
	msg("example.org.");
	DEL_RRSET("new.example.org.", "AAAA");
	CHECK_INT(run(z2), DNSD_RCODE_NOERROR);
	CHECK_INT(res.serial, 102);
	CHECK_INT(count(res.zone, "new.example.org.", "AAAA"), 0);
	CHECK_INT(count(res.zone, "new.example.org.", "A"), 1);
	dnsd_zone_unref(z2);

	/* an existing name keeps its spelling */
	msg("example.org.");
	ADD("WWW.EXAMPLE.ORG.", 3600, "A", "192.0.2.13");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	const dnsd_node *n = dnsd_zone_find(res.zone, N("www.example.org."));
	CHECK(n && memcmp(dnsd_node_name(n), "\3www", 4) == 0);
	dnsd_zone_unref(z);
}

static void test_duplicate_and_ttl(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org."); /* present already, same TTL: no-op */
	ADD("www.example.org.", 3600, "A", "192.0.2.10");
	ADD("example.org.", 3600, "MX", "10 MAIL.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.serial, 100);
	CHECK_INT(res.updates, 2);

	msg("example.org."); /* a new TTL sets the RRset's TTL */
	ADD("www.example.org.", 600, "A", "192.0.2.12");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(count(res.zone, "www.example.org.", "A"), 3);
	CHECK_INT(ttl(res.zone, "www.example.org.", "A"), 600);
	CHECK_INT(ttl(res.zone, "www.example.org.", "TXT"), 3600);
	/* a TTL change is a delete and an add of every record */
	CHECK_INT(dnsd_zdiff_deleted(res.diff), 2);
	CHECK_INT(dnsd_zdiff_added(res.diff), 3);

	msg("example.org."); /* a duplicate with another TTL changes it */
	ADD("www.example.org.", 60, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone != NULL);
	CHECK_INT(count(res.zone, "www.example.org.", "A"), 2);
	CHECK_INT(ttl(res.zone, "www.example.org.", "A"), 60);

	msg("example.org."); /* the last add's TTL wins */
	ADD("n.example.org.", 60, "A", "192.0.2.1");
	ADD("n.example.org.", 120, "A", "192.0.2.2");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(ttl(res.zone, "n.example.org.", "A"), 120);
	CHECK_INT(count(res.zone, "n.example.org.", "A"), 2);

	msg("example.org."); /* RFC 2181 §8: the top bit set is TTL 0 */
	ADD("msb.example.org.", 0x80000010u, "A", "192.0.2.1");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(ttl(res.zone, "msb.example.org.", "A"), 0);
	msg("example.org."); /* ... also for a record already there */
	ADD("www.example.org.", 0xffffffffu, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(ttl(res.zone, "www.example.org.", "A"), 0);

	msg("example.org."); /* added then deleted: no change at all */
	ADD("tmp.example.org.", 60, "A", "192.0.2.1");
	DEL_RR("tmp.example.org.", "A", "192.0.2.1");
	DEL_RR("www.example.org.", "A", "192.0.2.10");
	ADD("www.example.org.", 3600, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	dnsd_zone_unref(z);
}

static void test_cname(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org."); /* CNAME beside other data: ignored */
	ADD("www.example.org.", 60, "CNAME", "mail.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.ignored, 1);
	CHECK(has_reason("www.example.org. CNAME"));

	msg("example.org."); /* other data beside a CNAME: ignored */
	ADD("alias.example.org.", 60, "A", "192.0.2.1");
	ADD("alias.example.org.", 60, "TXT", "x");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.ignored, 2);
	CHECK(has_reason("alias.example.org. A"));

	msg("example.org."); /* at the apex (SOA, NS there) */
	ADD("example.org.", 60, "CNAME", "www.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);

	msg("example.org."); /* a CNAME replaces a CNAME */
	ADD("alias.example.org.", 60, "CNAME", "mail.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(count(res.zone, "alias.example.org.", "CNAME"), 1);
	CHECK(
	    has(res.zone, "alias.example.org.", "CNAME", "mail.example.org."));
	CHECK_INT(ttl(res.zone, "alias.example.org.", "CNAME"), 60);

	/* in order: deleting the data first lets the CNAME in; the A after
	 * it is then ignored */
	msg("example.org.");
	DEL_RRSET("www.example.org.", "ANY");
	ADD("www.example.org.", 60, "CNAME", "mail.example.org.");
	ADD("www.example.org.", 60, "A", "192.0.2.10");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.ignored, 1);
	CHECK_INT(count(res.zone, "www.example.org.", "CNAME"), 1);
	CHECK_INT(count(res.zone, "www.example.org.", "A"), 0);
	CHECK_INT(count(res.zone, "www.example.org.", "TXT"), 0);

	msg("example.org."); /* a CNAME at a new name */
	ADD("c.example.org.", 60, "CNAME", "www.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(count(res.zone, "c.example.org.", "CNAME"), 1);
	dnsd_zone_unref(z);
}

static void test_soa(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org."); /* a greater serial: the update's serial */
	ADD("example.org.", 600, "SOA", "ns2 hm 200 1 2 3 4");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone != NULL);
	CHECK_INT(res.serial, 200);
	CHECK(has(res.zone, "example.org.", "SOA", "ns2 hm 200 1 2 3 4"));
	CHECK_INT(count(res.zone, "example.org.", "SOA"), 1);
	CHECK_INT(ttl(res.zone, "example.org.", "SOA"), 600);
	CHECK_INT(dnsd_zdiff_added(res.diff) + dnsd_zdiff_deleted(res.diff), 0);

	msg("example.org."); /* with other changes: not raised again */
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	ADD("example.org.", 3600, "SOA",
	    "ns1 hostmaster 150 7200 3600 1209600 300");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.serial, 150);

	msg("example.org."); /* a lower or equal serial: ignored */
	ADD("example.org.", 3600, "SOA", "ns1 hm 99 1 1 1 1");
	ADD("example.org.", 3600, "SOA", "ns1 hm 100 1 1 1 1");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.ignored, 2);
	CHECK(has_reason("serial 99"));

	msg("example.org."); /* ignored, and the other change raises by 1 */
	ADD("example.org.", 3600, "SOA", "ns1 hm 50 1 1 1 1");
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.serial, 101);
	CHECK(has(res.zone, "example.org.", "SOA",
	          "ns1 hostmaster 101 7200 3600 1209600 300"));

	msg("example.org."); /* not at the apex: ignored */
	ADD("www.example.org.", 3600, "SOA", "ns1 hm 500 1 1 1 1");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK(has_reason("apex"));
	dnsd_zone_unref(z);

	/* RFC 1982: 5 is greater than 4294967000 */
	z = zone_serial(4294967000u);
	msg("example.org.");
	ADD("example.org.", 3600, "SOA", "ns1 hm 5 1 1 1 1");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.serial, 5);
	msg("example.org."); /* 2^31 ahead is not greater */
	ADD("example.org.", 3600, "SOA", "ns1 hm 2147483352 1 1 1 1");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	dnsd_zone_unref(z);
}

static void test_serial_wrap(void)
{
	dnsd_zone *z = zone_serial(4294967294u);
	msg("example.org.");
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.serial, 4294967295u);
	dnsd_zone_unref(z);

	z = zone_serial(4294967295u); /* wraps, skipping 0 as BIND */
	msg("example.org.");
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.serial, 1);
	CHECK_INT(dnsd_zdiff_to_serial(res.diff), 1);
	CHECK_INT(dnsd_zdiff_from_serial(res.diff), 4294967295u);
	dnsd_zone_unref(z);
}

static void test_ns(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org."); /* a delegation */
	ADD("sub.example.org.", 3600, "NS", "ns.sub.example.org.");
	ADD("ns.sub.example.org.", 3600, "A", "192.0.2.53");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(dnsd_node_flags(dnsd_zone_find(res.zone, N("sub.example.org."))) &
	      DNSD_NODE_DELEG);

	msg("example.org."); /* NS at a wildcard: ignored */
	ADD("*.example.org.", 3600, "NS", "ns1.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.ignored, 1);

	msg("example.org."); /* DS at the apex: the parent's, ignored */
	ADD("example.org.", 3600, "DS",
	    "12345 13 2 "
	    "0000000000000000000000000000000000000000000000000000000000000000");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.ignored, 1);
	CHECK(has_reason("DS at the zone apex"));

	msg("example.org."); /* DS at a delegation: taken */
	ADD("sub.example.org.", 3600, "NS", "ns.sub.example.org.");
	ADD("sub.example.org.", 3600, "DS",
	    "12345 13 2 "
	    "0000000000000000000000000000000000000000000000000000000000000000");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.ignored, 0);
	CHECK_INT(count(res.zone, "sub.example.org.", "DS"), 1);

	msg("example.org."); /* an apex NS */
	ADD("example.org.", 3600, "NS", "ns3.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(count(res.zone, "example.org.", "NS"), 3);
	dnsd_zone_unref(z);
}

static void test_delete_rrset(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	DEL_RRSET("www.example.org.", "A");
	DEL_RRSET("www.example.org.", "AAAA"); /* absent: no-op */
	DEL_RRSET("nope.example.org.", "A");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.ignored, 0);
	CHECK_INT(count(res.zone, "www.example.org.", "A"), 0);
	CHECK_INT(count(res.zone, "www.example.org.", "TXT"), 1);
	CHECK_INT(dnsd_zdiff_deleted(res.diff), 2);
	CHECK_INT(dnsd_zone_record_count(res.zone), BASE_RECORDS - 2);

	msg("example.org."); /* apex SOA and NS: never */
	DEL_RRSET("example.org.", "SOA");
	DEL_RRSET("example.org.", "NS");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.ignored, 2);
	CHECK(has_reason("example.org. SOA"));

	msg("example.org."); /* other apex RRsets may go */
	DEL_RRSET("example.org.", "MX");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(count(res.zone, "example.org.", "MX"), 0);
	CHECK_INT(count(res.zone, "example.org.", "NS"), 2);

	msg("example.org."); /* NS below the apex may go */
	ADD("sub.example.org.", 3600, "NS", "ns1.example.org.");
	DEL_RRSET("sub.example.org.", "NS");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	dnsd_zone_unref(z);
}

static void test_delete_name(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	DEL_RRSET("www.example.org.", "ANY");
	DEL_RRSET("x.ent.example.org.", "ANY");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(!name_exists(res.zone, "www.example.org."));
	CHECK(!name_exists(res.zone, "x.ent.example.org."));
	CHECK(dnsd_zone_find(res.zone, N("ent.example.org.")) == NULL);
	CHECK_INT(dnsd_zdiff_deleted(res.diff), 4);

	msg("example.org."); /* at the apex: all but SOA and NS */
	DEL_RRSET("example.org.", "ANY");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.ignored, 0);
	CHECK_INT(count(res.zone, "example.org.", "SOA"), 1);
	CHECK_INT(count(res.zone, "example.org.", "NS"), 2);
	CHECK_INT(count(res.zone, "example.org.", "MX"), 0);
	CHECK_INT(count(res.zone, "example.org.", "A"), 0);
	CHECK_INT(res.serial, 101);

	msg("example.org."); /* an absent name: no-op */
	DEL_RRSET("nope.example.org.", "ANY");
	DEL_RRSET("ent.example.org.", "ANY");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	dnsd_zone_unref(z);
}

static void test_delete_rr(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	DEL_RR("www.example.org.", "A", "192.0.2.10");
	DEL_RR("www.example.org.", "A", "192.0.2.77");        /* absent */
	DEL_RR("example.org.", "MX", "10 MAIL.EXAMPLE.ORG."); /* any case */
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(!has(res.zone, "www.example.org.", "A", "192.0.2.10"));
	CHECK(has(res.zone, "www.example.org.", "A", "192.0.2.11"));
	CHECK_INT(count(res.zone, "example.org.", "MX"), 0);

	msg("example.org."); /* the last record takes the RRset with it */
	DEL_RR("alias.example.org.", "CNAME", "WWW.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(!name_exists(res.zone, "alias.example.org."));

	msg("example.org."); /* the apex SOA: never */
	DEL_RR("example.org.", "SOA",
	       "ns1 hostmaster 100 7200 3600 1209600 300");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	CHECK_INT(res.ignored, 1);
	CHECK(has_reason("SOA"));

	msg("example.org."); /* the apex NS: not the last one */
	DEL_RR("example.org.", "NS", "ns1.example.org.");
	DEL_RR("example.org.", "NS", "ns2.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.ignored, 1);
	CHECK(has_reason("last apex NS"));
	CHECK_INT(count(res.zone, "example.org.", "NS"), 1);
	CHECK(has(res.zone, "example.org.", "NS", "ns2.example.org."));

	msg("example.org."); /* replaced: add first, then the old may go */
	ADD("example.org.", 3600, "NS", "ns3.example.org.");
	DEL_RR("example.org.", "NS", "ns1.example.org.");
	DEL_RR("example.org.", "NS", "ns2.example.org.");
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(res.ignored, 0);
	CHECK_INT(count(res.zone, "example.org.", "NS"), 1);
	CHECK(has(res.zone, "example.org.", "NS", "ns3.example.org."));

	msg("example.org."); /* NONE with empty RDATA matches nothing */
	DEL_RR("www.example.org.", "A", NULL);
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	dnsd_zone_unref(z);
}

/* ---- limits ---- */

static void test_limits(void)
{
	dnsd_zone *z = zone_base();
	dnsd_update_limits lim = {.max_zone_records = BASE_RECORDS + 1};
	msg("example.org.");
	ADD("a.example.org.", 60, "A", "192.0.2.1");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_NOERROR);
	CHECK(res.zone != NULL);

	/* past the limit: nothing of it applies */
	msg("example.org.");
	ADD("a.example.org.", 60, "A", "192.0.2.1");
	ADD("b.example.org.", 60, "A", "192.0.2.2");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_REFUSED);
	CHECK(has_reason("limit"));
	CHECK(has_reason("15 records"));
	CHECK(res.zone == NULL);
	CHECK_INT(res.serial, 100);

	/* the count after the whole update decides */
	msg("example.org.");
	ADD("a.example.org.", 60, "A", "192.0.2.1");
	ADD("b.example.org.", 60, "A", "192.0.2.2");
	DEL_RRSET("www.example.org.", "TXT");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_NOERROR);

	/* a zone already past the limit may still shrink */
	lim.max_zone_records = 5;
	msg("example.org.");
	DEL_RRSET("www.example.org.", "TXT");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_NOERROR);
	CHECK(res.zone != NULL);
	msg("example.org."); /* but not grow */
	ADD("a.example.org.", 60, "A", "192.0.2.1");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_REFUSED);
	msg("example.org."); /* nor keep its size with a change */
	DEL_RR("www.example.org.", "A", "192.0.2.10");
	ADD("a.example.org.", 60, "A", "192.0.2.1");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_NOERROR);

	lim = (dnsd_update_limits){.max_rrset_records = 3};
	msg("example.org.");
	ADD("www.example.org.", 3600, "A", "192.0.2.12");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_NOERROR);
	msg("example.org.");
	ADD("www.example.org.", 3600, "A", "192.0.2.12");
	ADD("www.example.org.", 3600, "A", "192.0.2.13");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_REFUSED);
	CHECK(has_reason("www.example.org. A"));
	CHECK(has_reason("of 3 (max-records-per-type)"));

	lim = (dnsd_update_limits){.max_name_rrsets = 3};
	msg("example.org.");
	ADD("www.example.org.", 3600, "AAAA", "2001:db8::1");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_NOERROR);
	msg("example.org.");
	ADD("www.example.org.", 3600, "AAAA", "2001:db8::1");
	ADD("www.example.org.", 3600, "MX", "1 mail");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_REFUSED);
	CHECK(has_reason("of 3 (max-types-per-name)"));
	CHECK(has_reason("www.example.org."));
	CHECK_INT(count(z, "www.example.org.", "AAAA"), 0);

	/* no-ops pass any limit */
	lim = (dnsd_update_limits){1, 1, 1};
	msg("example.org.");
	ADD("www.example.org.", 3600, "A", "192.0.2.10");
	CHECK_INT(run_lim(z, &lim), DNSD_RCODE_NOERROR);
	CHECK(res.zone == NULL);
	dnsd_zone_unref(z);
}

/* ---- everything else in the message ---- */

static void test_additional_ignored(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	ADD("new.example.org.", 60, "A", "192.0.2.50");
	rr(DNSD_SEC_ADDITIONAL, "glue.example.org.", "IN", 60, "A",
	   "192.0.2.1");
	dnsd_msg_opt(&mb, 1232, 0, 0, 0);
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK(name_exists(res.zone, "new.example.org."));
	CHECK(!name_exists(res.zone, "glue.example.org."));
	dnsd_zone_unref(z);
}

/* Many updates of one name and many names: the working copy grows. */
static void test_many(void)
{
	dnsd_zone *z = zone_base();
	msg("example.org.");
	char name[64], ip[32];
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof name, "h%d.example.org.", i % 200);
		snprintf(ip, sizeof ip, "10.0.%d.%d", i / 256, i % 256);
		ADD(name, 60, "A", ip);
	}
	for (int i = 0; i < 200; i += 2) {
		snprintf(name, sizeof name, "h%d.example.org.", i);
		DEL_RRSET(name, "ANY");
	}
	CHECK_INT(run(z), DNSD_RCODE_NOERROR);
	CHECK_INT(dnsd_zone_record_count(res.zone), BASE_RECORDS + 300);
	CHECK_INT(count(res.zone, "h1.example.org.", "A"), 3);
	CHECK_INT(count(res.zone, "h2.example.org.", "A"), 0);
	CHECK_INT(dnsd_zdiff_added(res.diff), 300);
	dnsd_zone_unref(z);
}

int main(void)
{
	dnsd_arena_init(&marena, 0);
	test_zone_section();
	test_prereq_rrset_exists();
	test_prereq_rrset_absent();
	test_prereq_name_in_use();
	test_prereq_name_not_in_use();
	test_prereq_value_dependent();
	test_prereq_formerr_notzone();
	test_prereq_blocks_updates();
	test_prescan();
	test_add();
	test_duplicate_and_ttl();
	test_cname();
	test_soa();
	test_serial_wrap();
	test_ns();
	test_delete_rrset();
	test_delete_name();
	test_delete_rr();
	test_limits();
	test_additional_ignored();
	test_many();
	dnsd_update_result_clear(&res);
	dnsd_arena_free(&marena);
	return tap_done();
}
