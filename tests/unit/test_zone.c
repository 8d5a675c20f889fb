/* Unit tests for the zone store (zone.h): building versions from records
 * (checks with their messages, duplicates, TTLs, empty non-terminals,
 * wildcards, delegations and glue), lookups, canonical order against
 * dnsd_name_cmp, the stored wire form, zone databases and references. */
#include "tap.h"
#include "zones.h"
#include <dnsd/rrtype.h>
#include <dnsd/zone.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- helpers ---- */

/* Text -> name in one of a few rotating static buffers. */
static const char *tx(const uint8_t *name)
{
	static char bufs[4][DNSD_NAME_TEXT_MAX];
	static int i;
	char *b = bufs[i++ % 4];
	if (!name || dnsd_name_to_text(name, b, DNSD_NAME_TEXT_MAX) < 0)
		return "(none)";
	return b;
}

/* Every diagnostic of the last build, one per line:
 * "SEV FILE:LINE: MESSAGE". */
static char diags[16384];

static void collect(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	size_t l = strlen(diags);
	snprintf(diags + l, sizeof diags - l, "%s %s:%u: %s\n",
	         d->severity == DNSD_DIAG_ERROR ? "error" : "warning",
	         d->file ? d->file : "-", d->line, d->msg);
}

static bool has_diag(const char *s)
{
	return strstr(diags, s) != NULL;
}

static int count_lines(void)
{
	int n = 0;
	for (const char *p = diags; *p; p++)
		n += *p == '\n';
	return n;
}

static int sink(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static const char soa_ns[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "ns1 A 192.0.2.1\n";

/* Parses text (zone example.org., file "z") and builds it. */
static int build_in(const char *origin, const char *text, unsigned *warnings,
                    dnsd_zone **z)
{
	diags[0] = 0;
	dnsd_zf_opts o = {.origin = N(origin), .diag = collect};
	dnsd_zone_builder *b = dnsd_zone_builder_new(o.origin);
	dnsd_zf_result res;
	int rc =
	    dnsd_zonefile_parse_mem("z", text, strlen(text), &o, sink, b, &res);
	if (rc < 0) {
		fprintf(stderr, "parse failed: %d\n%s", rc, diags);
		dnsd_zone_builder_free(b);
		*z = NULL;
		return rc;
	}
	return dnsd_zone_builder_finish(b, collect, NULL, warnings, z);
}

static int build(const char *text, unsigned *warnings, dnsd_zone **z)
{
	return build_in("example.org.", text, warnings, z);
}

/* soa_ns followed by more. */
static int build_with(const char *more, unsigned *warnings, dnsd_zone **z)
{
	static char text[8192];
	snprintf(text, sizeof text, "%s%s", soa_ns, more);
	return build(text, warnings, z);
}

static const dnsd_node *find(const dnsd_zone *z, const char *name)
{
	return dnsd_zone_find(z, N(name));
}

static unsigned flags_of(const dnsd_zone *z, const char *name)
{
	const dnsd_node *n = find(z, name);
	return n ? dnsd_node_flags(n) : 0xffff;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ---- building ---- */

static void test_basic(void)
{
	dnsd_zone *z;
	unsigned w = 99;
	CHECK_INT(build_with("www A 192.0.2.10\n"
	                     "www A 192.0.2.9\n"
	                     "www AAAA 2001:db8::1\n"
	                     "www TXT \"hello\"\n",
	                     &w, &z),
	          0);
	CHECK_INT(w, 0);
	CHECK_STR(diags, "");
	if (!z)
		return;
	CHECK_STR(tx(dnsd_zone_origin(z)), "example.org.");
	CHECK_INT(dnsd_zone_serial(z), 2024010101);
	CHECK_INT(dnsd_zone_record_count(z), 7);
	CHECK_INT(dnsd_zone_node_count(z), 3); /* apex, ns1, www */
	CHECK(dnsd_zone_memory(z) > 0);
	const dnsd_node *apex = dnsd_zone_apex(z);
	CHECK(apex == dnsd_zone_node_at(z, 0));
	CHECK_INT(dnsd_node_flags(apex), DNSD_NODE_APEX);
	CHECK(dnsd_node_parent(apex) == NULL);
	CHECK_INT(dnsd_node_rrset_count(apex), 2);
	CHECK_INT(dnsd_node_rrset_at(apex, 0)->type, DNSD_TYPE_NS);
	CHECK_INT(dnsd_node_rrset_at(apex, 1)->type, DNSD_TYPE_SOA);
	CHECK(dnsd_node_rrset_at(apex, 2) == NULL);

	const dnsd_node *www = find(z, "www.example.org.");
	CHECK(www != NULL);
	if (!www)
		goto out;
	CHECK(dnsd_node_parent(www) == apex);
	CHECK_INT(dnsd_node_flags(www), 0);
	CHECK_INT(dnsd_node_rrset_count(www), 3);
	/* RRsets sorted by type */
	CHECK_INT(dnsd_node_rrset_at(www, 0)->type, DNSD_TYPE_A);
	CHECK_INT(dnsd_node_rrset_at(www, 1)->type, DNSD_TYPE_TXT);
	CHECK_INT(dnsd_node_rrset_at(www, 2)->type, DNSD_TYPE_AAAA);
	CHECK(dnsd_node_rrset(www, DNSD_TYPE_MX) == NULL);
	/* A RRset: ready-to-copy wire octets, records in canonical order */
	const dnsd_rrset *a = dnsd_node_rrset(www, DNSD_TYPE_A);
	CHECK(a != NULL);
	if (!a)
		goto out;
	CHECK_INT(a->count, 2);
	CHECK_INT(a->ttl, 3600);
	CHECK_INT(a->size, 2 * 14);
	static const uint8_t wire[] = {
	    0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 9,
	    0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 10};
	CHECK(a->size == sizeof wire && memcmp(a->data, wire, a->size) == 0);
	dnsd_rr_iter it;
	dnsd_rrset_iter(a, &it);
	CHECK(dnsd_rr_next(&it));
	CHECK_INT(it.rdlen, 4);
	CHECK_INT(it.rdata[3], 9);
	CHECK(dnsd_rr_next(&it));
	CHECK_INT(it.rdata[3], 10);
	CHECK(!dnsd_rr_next(&it));
	/* TXT */
	const dnsd_rrset *t = dnsd_node_rrset(www, DNSD_TYPE_TXT);
	CHECK(t && t->count == 1 && t->size == 10 + 6 &&
	      be16(t->data) == DNSD_TYPE_TXT && t->data[10] == 5 &&
	      memcmp(t->data + 11, "hello", 5) == 0);
out:
	dnsd_zone_unref(z);
}

/* Records fed directly, owners revisited out of order. */
static void add(dnsd_zone_builder *b, const char *owner, uint16_t type,
                uint32_t ttl, const void *rdata, uint16_t rdlen,
                const char *file, unsigned line)
{
	dnsd_zf_rr rr = {N(owner), type,  DNSD_CLASS_IN, ttl,
	                 rdata,    rdlen, file,          line};
	CHECK_INT(dnsd_zone_builder_add(b, &rr), 0);
}

static const uint8_t soa_rdata[] = {
    3, 'n', 's', '1', 0, 2, 'h', 'm', 0, 0, 0, 0, 7, /* serial 7 */
    0, 0,   0,   1,   0, 0, 0,   1,   0, 0, 0, 1, 0, 0, 0, 1};

static void test_direct_records(void)
{
	diags[0] = 0;
	dnsd_zone_builder *b = dnsd_zone_builder_new(N("example.org."));
	const uint8_t ip1[] = {192, 0, 2, 1}, ip2[] = {192, 0, 2, 2};
	const uint8_t ip6[16] = {0x20, 1, 0xd, 0xb8, [15] = 1};
	add(b, "a.example.org.", DNSD_TYPE_A, 60, ip1, 4, "f1", 1);
	add(b, "b.example.org.", DNSD_TYPE_A, 60, ip2, 4, "f1", 2);
	add(b, "example.org.", DNSD_TYPE_SOA, 60, soa_rdata, sizeof soa_rdata,
	    "f1", 3);
	add(b, "A.EXAMPLE.ORG.", DNSD_TYPE_AAAA, 60, ip6, 16, "f2", 10);
	add(b, "a.example.org.", DNSD_TYPE_A, 60, ip2, 4, "f2", 11);
	add(b, "a.example.org.", DNSD_TYPE_A, 60, ip1, 4, "f2", 12);
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(dnsd_zone_builder_finish(b, collect, NULL, &w, &z), 0);
	CHECK_INT(w, 1);
	CHECK(has_diag("warning f2:12: duplicate record a.example.org. A "
	               "ignored (first at f1:1)"));
	if (!z)
		return;
	CHECK_INT(dnsd_zone_serial(z), 7);
	CHECK_INT(dnsd_zone_record_count(z), 5);
	const dnsd_node *a = find(z, "a.example.org.");
	CHECK(a && dnsd_node_rrset_count(a) == 2);
	CHECK(a && dnsd_node_rrset(a, DNSD_TYPE_A)->count == 2);
	CHECK(a && dnsd_node_rrset(a, DNSD_TYPE_AAAA)->count == 1);
	dnsd_zone_unref(z);
}

static void test_builder_free_unfinished(void)
{
	dnsd_zone_builder *b = dnsd_zone_builder_new(N("example.org."));
	const uint8_t ip[] = {192, 0, 2, 1};
	add(b, "a.example.org.", DNSD_TYPE_A, 60, ip, 4, NULL, 0);
	dnsd_zone_builder_free(b);
	dnsd_zone_builder_free(NULL);
}

static void test_check_soa(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build("$TTL 60\n@ NS ns1\nns1 A 192.0.2.1\n", &w, &z),
	          DNSD_EZONE);
	CHECK(z == NULL);
	CHECK(has_diag("error z:0: no SOA record at the zone apex"));

	CHECK_INT(build_with("@ SOA ns2 hm 5 1 1 1 1\n", &w, &z), DNSD_EZONE);
	CHECK(has_diag("error z:5: more than one SOA record at example.org."));

	CHECK_INT(build_with("sub SOA ns1 hm 5 1 1 1 1\n", &w, &z), DNSD_EZONE);
	CHECK(has_diag(
	    "error z:5: SOA record not at the zone apex (sub.example.org.)"));
	dnsd_zone_unref(z); /* NULL is fine */
}

static void test_check_out_of_zone(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("www.example.com. A 192.0.2.1\n"
	                     "example.org.example.net. A 192.0.2.2\n"
	                     "org. A 192.0.2.3\n"
	                     "www A 192.0.2.4\n",
	                     &w, &z),
	          DNSD_EZONE);
	CHECK(z == NULL);
	CHECK(has_diag("error z:5: out of zone data: www.example.com."));
	CHECK(
	    has_diag("error z:6: out of zone data: example.org.example.net."));
	CHECK(has_diag("error z:7: out of zone data: org."));
	CHECK_INT(count_lines(), 3);
}

static void test_check_class_and_meta(void)
{
	diags[0] = 0;
	dnsd_zone_builder *b = dnsd_zone_builder_new(N("example.org."));
	add(b, "example.org.", DNSD_TYPE_SOA, 60, soa_rdata, sizeof soa_rdata,
	    "f", 1);
	dnsd_zf_rr rr = {N("txt.example.org."),
	                 DNSD_TYPE_TXT,
	                 DNSD_CLASS_CH,
	                 60,
	                 (const uint8_t *)"\1x",
	                 2,
	                 "f",
	                 2};
	CHECK_INT(dnsd_zone_builder_add(b, &rr), 0);
	rr.rclass = DNSD_CLASS_IN;
	rr.type = DNSD_TYPE_OPT;
	rr.line = 3;
	CHECK_INT(dnsd_zone_builder_add(b, &rr), 0);
	dnsd_zone *z;
	CHECK_INT(dnsd_zone_builder_finish(b, collect, NULL, NULL, &z),
	          DNSD_EZONE);
	CHECK(z == NULL);
	CHECK(has_diag("error f:2: class CH not supported (only IN)"));
	CHECK(has_diag("error f:3: type OPT is not zone data"));
}

/* A caller that reuses one buffer for another file's name must get the
 * new name in diagnostics, not the one first seen at that address. */
static void test_file_name_buffer_reused(void)
{
	diags[0] = 0;
	dnsd_zone_builder *b = dnsd_zone_builder_new(N("example.org."));
	char file[8] = "one";
	add(b, "example.org.", DNSD_TYPE_SOA, 60, soa_rdata, sizeof soa_rdata,
	    file, 1);
	memcpy(file, "two", 4);
	dnsd_zf_rr rr = {N("txt.example.org."),
	                 DNSD_TYPE_TXT,
	                 DNSD_CLASS_CH,
	                 60,
	                 (const uint8_t *)"\1x",
	                 2,
	                 file,
	                 2};
	CHECK_INT(dnsd_zone_builder_add(b, &rr), 0);
	dnsd_zone *z;
	CHECK_INT(dnsd_zone_builder_finish(b, collect, NULL, NULL, &z),
	          DNSD_EZONE);
	CHECK(has_diag("error two:2: class CH not supported (only IN)"));
}

static void test_check_cname(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("www CNAME ns1\nwww A 192.0.2.1\n", &w, &z),
	          DNSD_EZONE);
	CHECK(has_diag("error z:6: CNAME and other data at www.example.org."));
	CHECK_INT(build_with("www CNAME ns1\nwww CNAME ns2\n", &w, &z),
	          DNSD_EZONE);
	CHECK(has_diag("more than one CNAME record at www.example.org."));
	/* NSEC and RRSIG may stand beside a CNAME */
	CHECK_INT(build_with("www CNAME ns1\n"
	                     "www NSEC zz.example.org. CNAME RRSIG NSEC\n"
	                     "www RRSIG CNAME 8 3 3600 20300101000000 "
	                     "20200101000000 12345 example.org. AAAA\n",
	                     &w, &z),
	          0);
	CHECK_INT(w, 0);
	CHECK_INT(flags_of(z, "www.example.org."), DNSD_NODE_CNAME);
	dnsd_zone_unref(z);
}

static void test_check_targets(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("@ NS ns2\n"                   /* 5 */
	                     "@ NS ns.elsewhere.net.\n"     /* 6 */
	                     "@ MX 10 mail\n"               /* 7 */
	                     "@ MX 20 mail6\n"              /* 8 */
	                     "@ MX 0 .\n"                   /* 9 */
	                     "_sip._tcp SRV 0 0 5060 sip\n" /* 10 */
	                     "_x._tcp SRV 0 0 0 .\n"        /* 11 */
	                     "mail6 AAAA 2001:db8::25\n"    /* 12 */
	                     "sub NS ns.sub\n"              /* 13 */
	                     "sub NS ns.other\n"            /* 14 */
	                     "other NS ns.other\n"          /* 15 */
	                     "ns.other A 192.0.2.7\n"       /* 16 */
	                     "@ MX 30 mx.sub\n"             /* 17 */
	                     "alias CNAME nowhere\n"        /* 18 */
	                     "@ MX 40 alias\n",             /* 19 */
	                     &w, &z),
	          0);
	CHECK(has_diag("warning z:5: NS target ns2.example.org. of "
	               "example.org. has no address records (A or AAAA)"));
	CHECK(has_diag("warning z:7: MX target mail.example.org. of "
	               "example.org. has no address records (A or AAAA)"));
	CHECK(has_diag("warning z:10: SRV target sip.example.org. of "
	               "_sip._tcp.example.org. has no address records"));
	/* glue required for a target below the delegation itself */
	CHECK(has_diag("warning z:13: NS target ns.sub.example.org. of "
	               "sub.example.org. has no address records"));
	CHECK(has_diag("warning z:19: MX target alias.example.org."));
	/* not: out-of-zone targets, ".", targets with addresses, targets
	 * in another delegated zone (sibling glue, mail in a child zone) */
	CHECK_INT(w, 5);
	CHECK_INT(count_lines(), 5);
	dnsd_zone_unref(z);
}

static void test_check_ttl(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("www 300 A 192.0.2.2\n"
	                     "www 600 A 192.0.2.1\n"
	                     "www 900 A 192.0.2.3\n",
	                     &w, &z),
	          0);
	CHECK_INT(w, 1);
	CHECK(has_diag("warning z:6: TTL 600 of www.example.org. A differs "
	               "from the RRset's TTL 300 (line 5); using 300"));
	const dnsd_node *n = z ? find(z, "www.example.org.") : NULL;
	const dnsd_rrset *a = n ? dnsd_node_rrset(n, DNSD_TYPE_A) : NULL;
	CHECK(a != NULL);
	if (a) {
		CHECK_INT(a->ttl, 300);
		CHECK_INT(a->count, 3);
		dnsd_rr_iter it;
		dnsd_rrset_iter(a, &it);
		const uint8_t *rec = it.p;
		while (dnsd_rr_next(&it)) {
			CHECK_INT(be32(rec + 4), 300);
			rec = it.p;
		}
	}
	dnsd_zone_unref(z);
}

static void test_duplicates(void)
{
	dnsd_zone *z;
	unsigned w;
	/* names in the RDATA compare case-insensitively (RFC 4034 §6.2) */
	CHECK_INT(build_with("www A 192.0.2.1\n"
	                     "@ MX 10 NS1\n"
	                     "www A 192.0.2.1\n"
	                     "@ MX 10 ns1\n"
	                     "WWW A 192.0.2.1\n",
	                     &w, &z),
	          0);
	CHECK_INT(w, 3);
	CHECK(has_diag("warning z:7: duplicate record www.example.org. A "
	               "ignored (first at z:5)"));
	CHECK(has_diag("warning z:8: duplicate record example.org. MX "
	               "ignored (first at z:6)"));
	CHECK(has_diag("warning z:9: duplicate record"));
	CHECK_INT(dnsd_zone_record_count(z), 5);
	dnsd_zone_unref(z);
}

/* An RRset of many records (sorted with qsort_r rather than by insertion)
 * whose owner comes back between other names. */
static void test_big_rrset(void)
{
	char text[8192];
	size_t l = (size_t)snprintf(text, sizeof text, "%s", soa_ns);
	for (int i = 39; i >= 0; i--)
		l += (size_t)snprintf(text + l, sizeof text - l,
		                      "big TXT \"t%d\"\nn%d A 192.0.2.%d\n", i,
		                      i, i);
	l += (size_t)snprintf(text + l, sizeof text - l, "big TXT \"t5\"\n");
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build(text, &w, &z), 0);
	CHECK_INT(w, 1);
	CHECK(has_diag("duplicate record big.example.org. TXT ignored"));
	const dnsd_node *n = z ? find(z, "big.example.org.") : NULL;
	const dnsd_rrset *t = n ? dnsd_node_rrset(n, DNSD_TYPE_TXT) : NULL;
	CHECK(t && t->count == 40);
	if (t) {
		dnsd_rr_iter it;
		dnsd_rrset_iter(t, &it);
		const uint8_t *prev = NULL;
		uint16_t plen = 0;
		int unordered = 0, records = 0;
		while (dnsd_rr_next(&it)) {
			if (prev && dnsd_rdata_cmp(DNSD_TYPE_TXT, prev, plen,
			                           it.rdata, it.rdlen) >= 0)
				unordered++;
			prev = it.rdata;
			plen = it.rdlen;
			records++;
		}
		CHECK_INT(records, 40);
		CHECK_INT(unordered, 0);
	}
	CHECK(z && dnsd_zone_node_count(z) == 43);
	dnsd_zone_unref(z);
}

/* ---- structure ---- */

static void test_ent(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("a.b.c A 192.0.2.1\n"
	                     "x.c A 192.0.2.2\n",
	                     &w, &z),
	          0);
	if (!z)
		return;
	/* apex, a.b.c, b.c (ENT), c (ENT), ns1, x.c */
	CHECK_INT(dnsd_zone_node_count(z), 6);
	CHECK_INT(flags_of(z, "c.example.org."), DNSD_NODE_ENT);
	CHECK_INT(flags_of(z, "B.c.example.org."), DNSD_NODE_ENT);
	CHECK_INT(flags_of(z, "a.b.c.example.org."), 0);
	const dnsd_node *bc = find(z, "b.c.example.org.");
	CHECK(bc && dnsd_node_rrset_count(bc) == 0);
	CHECK(bc && dnsd_node_parent(bc) == find(z, "c.example.org."));
	CHECK(dnsd_node_parent(find(z, "a.b.c.example.org.")) == bc);
	CHECK(dnsd_node_parent(find(z, "x.c.example.org.")) ==
	      find(z, "c.example.org."));
	static const char *order[] = {"example.org.",     "c.example.org.",
	                              "b.c.example.org.", "a.b.c.example.org.",
	                              "x.c.example.org.", "ns1.example.org."};
	for (size_t i = 0; i < 6; i++)
		CHECK_STR(tx(dnsd_node_name(dnsd_zone_node_at(z, i))),
		          order[i]);
	CHECK(dnsd_zone_node_at(z, 6) == NULL);
	dnsd_zone_unref(z);
}

static void test_no_apex_records_is_ent(void)
{
	diags[0] = 0;
	dnsd_zone_builder *b = dnsd_zone_builder_new(N("example.org."));
	const uint8_t ip[] = {192, 0, 2, 1};
	add(b, "a.example.org.", DNSD_TYPE_A, 60, ip, 4, "f", 1);
	dnsd_zone *z;
	CHECK_INT(dnsd_zone_builder_finish(b, collect, NULL, NULL, &z),
	          DNSD_EZONE);
	CHECK(has_diag("error f:0: no SOA record at the zone apex"));
	/* an empty builder fails the same way */
	b = dnsd_zone_builder_new(N("example.org."));
	diags[0] = 0;
	CHECK_INT(dnsd_zone_builder_finish(b, collect, NULL, NULL, &z),
	          DNSD_EZONE);
	CHECK(has_diag("no SOA record at the zone apex"));
}

static void test_delegation(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("sub NS ns.sub\n"
	                     "sub DS 12345 8 2 "
	                     "0123456789abcdef0123456789abcdef0123456789abcdef0"
	                     "123456789abcdef\n"
	                     "ns.sub A 192.0.2.53\n"
	                     "deep.in.sub TXT \"occluded\"\n"
	                     "x.sub.sub NS ns.sub\n",
	                     &w, &z),
	          0);
	CHECK_INT(w, 0);
	if (!z)
		return;
	CHECK_INT(flags_of(z, "sub.example.org."),
	          DNSD_NODE_DELEG | DNSD_NODE_GLUE);
	CHECK_INT(flags_of(z, "ns.sub.example.org."), DNSD_NODE_GLUE);
	CHECK_INT(flags_of(z, "in.sub.example.org."),
	          DNSD_NODE_GLUE | DNSD_NODE_ENT);
	CHECK_INT(flags_of(z, "x.sub.sub.example.org."),
	          DNSD_NODE_GLUE | DNSD_NODE_DELEG);
	CHECK_INT(flags_of(z, "ns1.example.org."), 0);
	CHECK_INT(flags_of(z, "example.org."), DNSD_NODE_APEX);

	const dnsd_node *sub = find(z, "sub.example.org.");
	dnsd_lookup r;
	CHECK_INT(dnsd_zone_lookup(z, N("a.x.sub.sub.example.org."), &r), 0);
	CHECK(r.node == NULL);
	CHECK(r.encloser == find(z, "x.sub.sub.example.org."));
	CHECK(r.cut == sub); /* the highest cut */
	CHECK(r.wildcard == NULL);
	CHECK_INT(dnsd_zone_lookup(z, N("NS.Sub.example.org."), &r), 0);
	CHECK(r.node == find(z, "ns.sub.example.org.") && r.node != NULL);
	CHECK(r.encloser == r.node);
	CHECK(r.cut == sub);
	CHECK_INT(dnsd_zone_lookup(z, N("sub.example.org."), &r), 0);
	CHECK(r.node == sub && r.cut == sub);
	CHECK_INT(dnsd_zone_lookup(z, N("other.example.org."), &r), 0);
	CHECK(r.node == NULL && r.cut == NULL &&
	      r.encloser == dnsd_zone_apex(z));
	dnsd_zone_unref(z);
}

static void test_wildcards(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("*.w A 192.0.2.1\n"
	                     "\\033.w A 192.0.2.2\n" /* "!" sorts before "*" */
	                     "*.v TXT \"v\"\n"
	                     "a.*.u A 192.0.2.3\n",
	                     &w, &z),
	          0);
	if (!z)
		return;
	CHECK_INT(flags_of(z, "w.example.org."),
	          DNSD_NODE_ENT | DNSD_NODE_WILDCHILD);
	CHECK_INT(flags_of(z, "v.example.org."),
	          DNSD_NODE_ENT | DNSD_NODE_WILDCHILD);
	CHECK_INT(flags_of(z, "u.example.org."),
	          DNSD_NODE_ENT | DNSD_NODE_WILDCHILD);
	CHECK_INT(flags_of(z, "*.u.example.org."), DNSD_NODE_ENT);
	CHECK_INT(flags_of(z, "example.org."), DNSD_NODE_APEX);
	dnsd_lookup r;
	CHECK_INT(dnsd_zone_lookup(z, N("foo.w.example.org."), &r), 0);
	CHECK(r.node == NULL);
	CHECK(r.encloser == find(z, "w.example.org."));
	CHECK(r.wildcard == find(z, "*.w.example.org.") && r.wildcard);
	CHECK(r.cut == NULL);
	CHECK_INT(dnsd_zone_lookup(z, N("a.b.c.V.example.org."), &r), 0);
	CHECK(r.wildcard == find(z, "*.v.example.org.") && r.wildcard);
	CHECK(r.encloser == find(z, "v.example.org."));
	CHECK_INT(dnsd_zone_lookup(z, N("x.*.v.example.org."), &r), 0);
	CHECK(r.encloser == find(z, "*.v.example.org.") && r.wildcard == NULL);
	CHECK_INT(dnsd_zone_lookup(z, N("nothing.example.org."), &r), 0);
	CHECK(r.wildcard == NULL && r.encloser == dnsd_zone_apex(z));
	/* an exact match still reports the wildcard below it */
	CHECK_INT(dnsd_zone_lookup(z, N("w.example.org."), &r), 0);
	CHECK(r.node == find(z, "w.example.org.") && r.wildcard != NULL);
	dnsd_zone_unref(z);
}

/* A table of lookups, letter case mixed. */
static void test_lookup_table(void)
{
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_with("WwW A 192.0.2.1\n"
	                     "a.b.c A 192.0.2.2\n"
	                     "dl NS ns.dl\n"
	                     "ns.dl A 192.0.2.3\n"
	                     "*.wild A 192.0.2.4\n",
	                     &w, &z),
	          0);
	if (!z)
		return;
	static const struct {
		const char *q, *node, *encloser, *cut, *wild;
	} t[] = {
	    {"example.org.", "example.org.", "example.org.", NULL, NULL},
	    {"EXAMPLE.ORG.", "example.org.", "example.org.", NULL, NULL},
	    {"www.example.org.", "WwW.example.org.", "WwW.example.org.", NULL,
	     NULL},
	    {"WWW.EXAMPLE.org.", "WwW.example.org.", "WwW.example.org.", NULL,
	     NULL},
	    {"x.www.example.org.", NULL, "WwW.example.org.", NULL, NULL},
	    {"B.C.example.org.", "b.c.example.org.", "b.c.example.org.", NULL,
	     NULL},
	    {"z.b.C.example.org.", NULL, "b.c.example.org.", NULL, NULL},
	    {"q.example.org.", NULL, "example.org.", NULL, NULL},
	    {"dl.example.org.", "dl.example.org.", "dl.example.org.",
	     "dl.example.org.", NULL},
	    {"x.y.DL.example.org.", NULL, "dl.example.org.", "dl.example.org.",
	     NULL},
	    {"ns.dl.example.org.", "ns.dl.example.org.", "ns.dl.example.org.",
	     "dl.example.org.", NULL},
	    {"a.WILD.example.org.", NULL, "wild.example.org.", NULL,
	     "*.wild.example.org."},
	    {"*.wild.example.org.", "*.wild.example.org.",
	     "*.wild.example.org.", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		dnsd_lookup r;
		CHECK_INT(dnsd_zone_lookup(z, N(t[i].q), &r), 0);
		CHECK_STR(t[i].node ? tx(r.node ? dnsd_node_name(r.node) : NULL)
		                    : (r.node ? "set" : "none"),
		          t[i].node ? t[i].node : "none");
		CHECK_STR(tx(r.encloser ? dnsd_node_name(r.encloser) : NULL),
		          t[i].encloser);
		CHECK_STR(r.cut ? tx(dnsd_node_name(r.cut)) : "none",
		          t[i].cut ? t[i].cut : "none");
		CHECK_STR(r.wildcard ? tx(dnsd_node_name(r.wildcard)) : "none",
		          t[i].wild ? t[i].wild : "none");
	}
	/* names outside the zone */
	dnsd_lookup r;
	CHECK_INT(dnsd_zone_lookup(z, N("example.com."), &r), DNSD_ENOTFOUND);
	CHECK_INT(dnsd_zone_lookup(z, N("org."), &r), DNSD_ENOTFOUND);
	CHECK_INT(dnsd_zone_lookup(z, N("."), &r), DNSD_ENOTFOUND);
	CHECK_INT(dnsd_zone_lookup(z, N("www.example.org.net."), &r),
	          DNSD_ENOTFOUND);
	CHECK(dnsd_zone_find(z, N("example.com.")) == NULL);
	CHECK(dnsd_zone_find(z, N("nothing.example.org.")) == NULL);
	dnsd_zone_unref(z);
}

/* ---- canonical order ---- */

static void test_canonical_order(void)
{
	/* RFC 4034 §6.1, in order, under example. */
	static const char *names[] = {
	    "example.",         "a.example.",      "yljkjljk.a.example.",
	    "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
	    "\\001.z.example.", "*.z.example.",    "\\200.z.example.",
	};
	char text[4096];
	size_t l = (size_t)snprintf(text, sizeof text,
	                            "$TTL 60\n"
	                            "@ SOA ns1.z.example. hm 1 1 1 1 1\n");
	/* written in reverse order */
	for (int i = 8; i >= 1; i--)
		l += (size_t)snprintf(text + l, sizeof text - l,
		                      "%s TXT \"%d\"\n", names[i], i);
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(build_in("example.", text, &w, &z), 0);
	if (!z)
		return;
	CHECK_INT(dnsd_zone_node_count(z), 9);
	for (size_t i = 0; i < 9; i++) {
		const dnsd_node *n = dnsd_zone_node_at(z, i);
		CHECK(n && dnsd_name_equal(dnsd_node_name(n), N(names[i])));
		CHECK_INT(dnsd_zone_prev_index(z, N(names[i])), i);
	}
	/* names between nodes, mixed case */
	CHECK_INT(dnsd_zone_prev_index(z, N("B.example.")), 4);
	CHECK_INT(dnsd_zone_prev_index(z, N("a.a.example.")), 1);
	CHECK_INT(dnsd_zone_prev_index(z, N("zz.Example.")), 8);
	CHECK_INT(dnsd_zone_prev_index(z, N("\\000.z.example.")), 5);
	CHECK_INT(dnsd_zone_prev_index(z, N("+.z.example.")), 7);
	dnsd_zone_unref(z);
}

/* Builds random names (tricky label lengths 6..8 and 13..15, NUL and
 * upper-case octets, shared prefixes) and checks the node order against
 * dnsd_name_cmp, the parents, empty non-terminals and exact lookups. */
static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void random_name(uint8_t *out)
{
	static const uint8_t alpha[] = {0,   1,   'a', 'b', 'A', 'B',
	                                '*', '-', 'z', 'Z', 200, 255};
	int labels = 1 + (int)(rnd() % 4);
	size_t p = 0;
	for (int i = 0; i < labels; i++) {
		static const uint8_t lens[] = {1, 2, 6, 7, 8, 13, 14, 15, 30};
		uint8_t len = lens[rnd() % sizeof lens];
		out[p++] = len;
		for (uint8_t j = 0; j < len; j++)
			out[p++] =
			    rnd() % 3 ? 'a' : alpha[rnd() % sizeof alpha];
	}
	memcpy(out + p, N("ex."), 4);
}

static int cmp_names(const void *a, const void *b)
{
	return dnsd_name_cmp(a, b);
}

static void test_random_order(void)
{
	enum { COUNT = 20000 };
	uint8_t(*names)[DNSD_NAME_MAX] = calloc(COUNT, DNSD_NAME_MAX);
	dnsd_zone_builder *b = dnsd_zone_builder_new(N("ex."));
	diags[0] = 0;
	add(b, "ex.", DNSD_TYPE_SOA, 60, soa_rdata, sizeof soa_rdata, "r", 1);
	const uint8_t ip[] = {192, 0, 2, 1};
	for (int i = 0; i < COUNT; i++) {
		random_name(names[i]);
		dnsd_zf_rr rr = {names[i], DNSD_TYPE_A, DNSD_CLASS_IN,  60, ip,
		                 4,        "r",         (unsigned)i + 2};
		dnsd_zone_builder_add(b, &rr);
	}
	dnsd_zone *z;
	unsigned w;
	CHECK_INT(dnsd_zone_builder_finish(b, collect, NULL, &w, &z), 0);
	if (!z) {
		free(names);
		return;
	}
	size_t n = dnsd_zone_node_count(z);
	int bad_order = 0, bad_parent = 0, bad_find = 0, bad_ent = 0;
	for (size_t i = 0; i < n; i++) {
		const dnsd_node *nd = dnsd_zone_node_at(z, i);
		const uint8_t *name = dnsd_node_name(nd);
		if (i &&
		    dnsd_name_cmp(dnsd_node_name(dnsd_zone_node_at(z, i - 1)),
		                  name) >= 0)
			bad_order++;
		if (i && (!dnsd_node_parent(nd) ||
		          !dnsd_name_equal(dnsd_node_name(dnsd_node_parent(nd)),
		                           dnsd_name_parent(name))))
			bad_parent++;
		if (dnsd_zone_find(z, name) != nd)
			bad_find++;
		if (!!(dnsd_node_flags(nd) & DNSD_NODE_ENT) !=
		    (dnsd_node_rrset_count(nd) == 0))
			bad_ent++;
	}
	CHECK_INT(bad_order, 0);
	CHECK_INT(bad_parent, 0);
	CHECK_INT(bad_find, 0);
	CHECK_INT(bad_ent, 0);
	/* every distinct name once, each with all its records */
	qsort(names, COUNT, DNSD_NAME_MAX, cmp_names);
	size_t distinct = 0;
	for (int i = 0; i < COUNT; i++)
		if (!i || dnsd_name_cmp(names[i - 1], names[i]) != 0)
			distinct++;
	CHECK_INT(dnsd_zone_record_count(z), distinct + 1);
	CHECK_INT(w, COUNT - distinct); /* duplicates folded */
	size_t missing = 0;
	for (int i = 0; i < COUNT; i++) {
		const dnsd_node *nd = dnsd_zone_find(z, names[i]);
		if (!nd || !dnsd_node_rrset(nd, DNSD_TYPE_A))
			missing++;
	}
	CHECK_INT(missing, 0);
	dnsd_zone_unref(z);
	free(names);
}

/* ---- loading a file ---- */

static void test_load_file(void)
{
	char dir[] = "/tmp/test_zone.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[64];
	snprintf(path, sizeof path, "%s/example.org", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "%s@ MX 10 mail\n", soa_ns);
	fclose(f);
	dnsd_zf_opts o = {.origin = N("example.org."), .diag = collect};
	dnsd_zone *z;
	unsigned w;
	diags[0] = 0;
	CHECK_INT(dnsd_zone_load(path, &o, &w, &z), 0);
	CHECK_INT(w, 1);
	CHECK(has_diag(":5: MX target mail.example.org."));
	CHECK(z && dnsd_zone_record_count(z) == 4);
	dnsd_zone_unref(z);
	/* a parse error: no zone */
	f = fopen(path, "w");
	fprintf(f, "%s@ MX ten mail\n", soa_ns);
	fclose(f);
	CHECK(dnsd_zone_load(path, &o, &w, &z) < 0);
	CHECK(z == NULL);
	unlink(path);
	CHECK(dnsd_zone_load(path, &o, &w, &z) == DNSD_EIO);
	rmdir(dir);
}

/* ---- zone databases and references ---- */

static dnsd_zone *simple(const char *origin)
{
	char text[256];
	snprintf(text, sizeof text,
	         "$TTL 60\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n");
	dnsd_zone *z = NULL;
	unsigned w;
	CHECK_INT(build_in(origin, text, &w, &z), 0);
	return z;
}

static void test_zonedb(void)
{
	dnsd_zone *zs[3] = {simple("example.org."), simple("sub.example.org."),
	                    simple("Example.NET.")};
	if (!zs[0] || !zs[1] || !zs[2])
		return;
	dnsd_zonedb *db = dnsd_zonedb_new(zs, 3);
	/* the database holds its own references */
	for (int i = 0; i < 3; i++)
		dnsd_zone_unref(zs[i]);
	CHECK_INT(dnsd_zonedb_count(db), 3);
	CHECK(dnsd_zonedb_at(db, 1) == zs[1]);
	CHECK(dnsd_zonedb_at(db, 3) == NULL);
	static const struct {
		const char *q;
		int zone; /* index or -1 */
	} t[] = {
	    {"example.org.", 0},
	    {"www.example.org.", 0},
	    {"EXAMPLE.ORG.", 0},
	    {"sub.example.org.", 1},
	    {"a.b.SUB.example.org.", 1},
	    {"xsub.example.org.", 0},
	    {"sub.example.org.net.", -1},
	    {"org.", -1},
	    {".", -1},
	    {"example.net.", 2},
	    {"a.b.c.d.e.f.g.h.example.net.", 2},
	    {"example.com.", -1},
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		const dnsd_zone *z = dnsd_zonedb_find(db, N(t[i].q));
		CHECK(z == (t[i].zone < 0 ? NULL : zs[t[i].zone]));
	}
	dnsd_zonedb_free(db);

	/* an empty database, and the root zone */
	db = dnsd_zonedb_new(NULL, 0);
	CHECK(dnsd_zonedb_find(db, N("example.org.")) == NULL);
	CHECK_INT(dnsd_zonedb_count(db), 0);
	dnsd_zonedb_free(db);
	dnsd_zone *root = simple(".");
	if (!root)
		return;
	db = dnsd_zonedb_new(&root, 1);
	CHECK(dnsd_zonedb_find(db, N("anything.at.all.")) == root);
	CHECK(dnsd_zonedb_find(db, N(".")) == root);
	dnsd_zonedb_free(db);
	dnsd_zone_unref(root);
}

static void test_refcount(void)
{
	dnsd_zone *z = simple("example.org.");
	if (!z)
		return;
	dnsd_zone_ref(z);
	dnsd_zonedb *a = dnsd_zonedb_new(&z, 1);
	dnsd_zonedb *b = dnsd_zonedb_new(&z, 1);
	dnsd_zone_unref(z);
	dnsd_zone_unref(z);
	dnsd_zonedb_free(a);
	/* still alive through b (ASan would see a use after free) */
	const dnsd_zone *f = dnsd_zonedb_find(b, N("www.example.org."));
	CHECK(f == z);
	CHECK(f && dnsd_zone_find(f, N("ns.example.org.")) != NULL);
	dnsd_zonedb_free(b);
}

int main(void)
{
	test_basic();
	test_direct_records();
	test_builder_free_unfinished();
	test_check_soa();
	test_check_out_of_zone();
	test_check_class_and_meta();
	test_file_name_buffer_reused();
	test_check_cname();
	test_check_targets();
	test_check_ttl();
	test_duplicates();
	test_big_rrset();
	test_ent();
	test_no_apex_records_is_ent();
	test_delegation();
	test_wildcards();
	test_lookup_table();
	test_canonical_order();
	test_random_order();
	test_load_file();
	test_zonedb();
	test_refcount();
	return tap_done();
}
