/* The query path's shortcuts, each against the long way it replaces:
 * lookup keys (name.h) against plain names and dnsd_name_hash, keyed
 * zone and zone database lookups against the plain ones, the compression
 * table seeded with dnsd_compress_add, the one-question query reader
 * against what the general reader makes of the same packet, and the
 * negative answer's SOA written without the compressor. */
#include <dnsd/answer.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/zone.h>
#include <dnsd/zonefile.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const uint8_t *N(const char *text)
{
	static uint8_t bufs[8][DNSD_NAME_MAX];
	static unsigned next;
	uint8_t *b = bufs[next++ % 8];
	if (dnsd_name_from_text(text, strlen(text), NULL, b) < 0) {
		CHECK(!"bad test name");
		b[0] = 0;
	}
	return b;
}

/* ---- names ---- */

static void test_hash(void)
{
	/* the same in any case, different for different names, labels
	 * of every length up to 63 (the word tails) */
	CHECK(dnsd_name_hash(N("www.Example.COM.")) ==
	      dnsd_name_hash(N("WWW.example.com.")));
	CHECK(dnsd_name_hash(N("a.bc.")) != dnsd_name_hash(N("ab.c.")));
	CHECK(dnsd_name_hash(N(".")) != dnsd_name_hash(N("a.")));
	char up[80], low[80];
	for (int len = 1; len <= 63; len++) {
		for (int i = 0; i < len; i++) {
			up[i] = (char)('A' + i % 26);
			low[i] = (char)('a' + i % 26);
		}
		memcpy(up + len, ".x.", 4);
		memcpy(low + len, ".x.", 4);
		CHECK(dnsd_name_hash(N(up)) == dnsd_name_hash(N(low)));
		dnsd_name_key k;
		dnsd_name_key_init(&k, N(up));
		CHECK(dnsd_name_key_hash(&k, 0) == dnsd_name_hash(N(low)));
		CHECK(dnsd_name_key_hash(&k, 1) == dnsd_name_hash(N("x.")));
		low[len - 1] = '0';
		CHECK(dnsd_name_hash(N(up)) != dnsd_name_hash(N(low)));
	}
}

static void test_key(void)
{
	dnsd_name_key k;
	const uint8_t *n = N("Mail.EXAMPLE.com.");
	dnsd_name_key_init(&k, n);
	CHECK_INT(k.len, 18);
	CHECK_INT(k.labels, 3);
	CHECK_INT(k.off[0], 0);
	CHECK_INT(k.off[1], 5);
	CHECK_INT(k.off[2], 13);
	CHECK_INT(k.off[3], 17);
	CHECK(memcmp(k.name, N("mail.example.com."), 18) == 0);
	CHECK(dnsd_name_equal(k.name, n));
	for (int i = 0; i <= 3; i++)
		CHECK(dnsd_name_key_hash(&k, (unsigned)i) ==
		      dnsd_name_hash(n + k.off[i]));
	/* suffixes match in any case, and only their own length */
	CHECK(dnsd_name_key_match(&k, 0, n, 18));
	CHECK(dnsd_name_key_match(&k, 1, N("example.COM."), 13));
	CHECK(dnsd_name_key_match(&k, 2, N("com."), 5));
	CHECK(dnsd_name_key_match(&k, 3, N("."), 1));
	CHECK(!dnsd_name_key_match(&k, 1, N("example.net."), 13));
	CHECK(!dnsd_name_key_match(&k, 1, N("com."), 5));
	CHECK(!dnsd_name_key_match(&k, 2, N("org."), 5));
	CHECK(!dnsd_name_key_match(&k, 0, N("mail.example.con."), 18));
	CHECK(!dnsd_name_key_match(&k, 0, N("mbil.example.com."), 18));

	/* the root, short names, long names */
	dnsd_name_key_init(&k, N("."));
	CHECK_INT(k.len, 1);
	CHECK_INT(k.labels, 0);
	CHECK(dnsd_name_key_hash(&k, 0) == dnsd_name_hash(N(".")));
	CHECK(dnsd_name_key_match(&k, 0, N("."), 1));
	dnsd_name_key_init(&k, N("A.b."));
	CHECK(memcmp(k.name, "\1a\1b", 5) == 0);
	CHECK(dnsd_name_key_match(&k, 0, N("a.B."), 5));
	CHECK(!dnsd_name_key_match(&k, 0, N("a.c."), 5));
	char big[300];
	size_t o = 0;
	for (int i = 0; i < 127; i++) {
		big[o++] = (char)('A' + i % 26);
		big[o++] = '.';
	}
	big[o] = 0;
	const uint8_t *b = N(big);
	dnsd_name_key_init(&k, b);
	CHECK_INT(k.len, 255);
	CHECK_INT(k.labels, 127);
	for (int i = 0; i <= 127; i++)
		CHECK(dnsd_name_key_hash(&k, (unsigned)i) ==
		      dnsd_name_hash(b + k.off[i]));
	CHECK(dnsd_name_key_match(&k, 0, b, 255));
	CHECK(dnsd_name_key_match(&k, 100, b + 200, 55));
	uint8_t other[DNSD_NAME_MAX];
	memcpy(other, b, 255);
	other[253] = 'q'; /* the last label differs */
	CHECK(!dnsd_name_key_match(&k, 0, other, 255));
	memcpy(other, b, 255);
	other[1] = 'q'; /* the first */
	CHECK(!dnsd_name_key_match(&k, 0, other, 255));
	/* octets outside ASCII letters are compared as they are */
	uint8_t bin[] = {3, 0xc1, '@', '[', 0};
	uint8_t bin2[] = {3, 0xe1, '@', '[', 0}; /* 0xc1 | 0x20 */
	dnsd_name_key_init(&k, bin);
	CHECK(memcmp(k.name, bin, 5) == 0);
	CHECK(!dnsd_name_key_match(&k, 0, bin2, 5));
	CHECK(dnsd_name_key_hash(&k, 0) == dnsd_name_hash(bin));
	CHECK(dnsd_name_hash(bin) != dnsd_name_hash(bin2));
}

/* ---- compression ---- */

static void test_compress_add(void)
{
	uint8_t buf[512];
	dnsd_wire w;
	dnsd_compress c;
	dnsd_wire_init_write(&w, buf, sizeof buf);
	dnsd_compress_init(&c);
	memset(buf, 0, 12);
	w.pos = 12;
	/* a question copied as it came, then remembered */
	const uint8_t *q = N("www.Example.com.");
	dnsd_wire_put(&w, q, 17);
	dnsd_compress_add(&c, &w, 12, q);
	CHECK_INT(c.count, 1);
	CHECK_INT(c.off[0], 12);
	dnsd_name_to_wire(&w, N("mail.example.COM."), &c);
	const uint8_t mail[] = {4, 'm', 'a', 'i', 'l', 0xc0, 16};
	CHECK(memcmp(buf + 29, mail, sizeof mail) == 0);
	dnsd_name_to_wire(&w, N("WWW.example.com."), &c);
	CHECK_INT(buf[36], 0xc0);
	CHECK_INT(buf[37], 12);
	/* a second added name shares its suffix with the first */
	size_t at = w.pos;
	dnsd_wire_put(&w, N("a.mail.example.com."), 20);
	dnsd_compress_add(&c, &w, at, N("a.mail.example.com."));
	CHECK_INT(c.count, 3);
	size_t b_at = w.pos;
	dnsd_name_to_wire(&w, N("b.a.mail.example.com."), &c);
	const uint8_t bname[] = {1, 'b', 0xc0, (uint8_t)at};
	CHECK(memcmp(buf + b_at, bname, sizeof bname) == 0);
	/* lowering count forgets what came after, labels included */
	c.count = 1;
	size_t x_at = w.pos;
	dnsd_name_to_wire(&w, N("x.a.mail.example.com."), &c);
	CHECK_INT(buf[x_at + 2], 1); /* "a" again in full */
	CHECK_INT(buf[x_at + 4], 4); /* "mail" too */
	CHECK_INT(buf[x_at + 9], 0xc0);
	CHECK_INT(buf[x_at + 10], 16); /* example.com in the question */
	CHECK_INT(w.err, 0);
	/* all of it reads back */
	dnsd_wire r;
	dnsd_wire_init_read(&r, buf, w.pos);
	r.pos = 12;
	static const char *const names[] = {
	    "www.example.com.",      "mail.example.com.",
	    "www.example.com.",      "a.mail.example.com.",
	    "b.a.mail.example.com.", "x.a.mail.example.com."};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		uint8_t got[DNSD_NAME_MAX];
		CHECK(dnsd_name_from_wire(&r, got) > 0);
		CHECK(dnsd_name_equal(got, N(names[i])));
	}
	CHECK_INT(r.pos, w.pos);
}

/* ---- zones ---- */

static int add_rr(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static dnsd_zone *zone_of(const char *origin, const char *text)
{
	dnsd_zf_opts o = {.origin = N(origin), .default_ttl = 3600};
	dnsd_zone_builder *b = dnsd_zone_builder_new(o.origin);
	dnsd_zf_result res;
	int rc = dnsd_zonefile_parse_mem("test", text, strlen(text), &o, add_rr,
	                                 b, &res);
	CHECK_INT(rc, 0);
	dnsd_zone *z = NULL;
	CHECK_INT(dnsd_zone_builder_finish(b, NULL, NULL, NULL, &z), 0);
	return z;
}

static const char zone_text[] =
    "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "ns1 A 192.0.2.1\n"
    "WWW A 192.0.2.2\n" /* uppercase in the file */
    "Mixed.Deep A 192.0.2.3\n"
    "a.b.c A 192.0.2.4\n" /* empty non-terminals b.c and c */
    "*.w A 192.0.2.5\n"
    "sub NS ns.sub\n"
    "ns.sub A 192.0.2.6\n"
    "x.ns1 TXT \"below ns1\"\n";

static void same_lookup(const dnsd_zone *z, const char *name)
{
	dnsd_lookup a, b;
	dnsd_name_key k;
	dnsd_name_key_init(&k, N(name));
	int ra = dnsd_zone_lookup(z, N(name), &a);
	int rb = dnsd_zone_lookup_key(z, &k, &b);
	CHECK_INT(rb, ra);
	CHECK(a.node == b.node && a.encloser == b.encloser && a.cut == b.cut &&
	      a.wildcard == b.wildcard);
	CHECK(dnsd_zone_find_key(z, &k) == dnsd_zone_find(z, N(name)));
}

static void test_zone_keys(void)
{
	dnsd_zone *z = zone_of("example.org.", zone_text);
	static const char *const names[] = {"example.org.",
	                                    "EXAMPLE.org.",
	                                    "www.example.org.",
	                                    "WwW.Example.Org.",
	                                    "mixed.deep.example.org.",
	                                    "MIXED.DEEP.example.org.",
	                                    "deep.example.org.",
	                                    "c.example.org.",
	                                    "b.c.example.org.",
	                                    "a.b.c.example.org.",
	                                    "z.a.b.c.example.org.",
	                                    "q.c.example.org.",
	                                    "w.example.org.",
	                                    "any.w.example.org.",
	                                    "x.any.w.example.org.",
	                                    "sub.example.org.",
	                                    "ns.sub.example.org.",
	                                    "deeper.ns.sub.example.org.",
	                                    "nothing.example.org.",
	                                    "x.ns1.example.org.",
	                                    "example.com.",
	                                    "org.",
	                                    ".",
	                                    "www.example.org.net."};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		same_lookup(z, names[i]);
	/* what the lookups find */
	dnsd_name_key k;
	dnsd_lookup r;
	dnsd_name_key_init(&k, N("www.EXAMPLE.org."));
	CHECK_INT(dnsd_zone_lookup_key(z, &k, &r), 0);
	CHECK(r.node &&
	      dnsd_name_equal(dnsd_node_name(r.node), N("WWW.example.org.")));
	dnsd_name_key_init(&k, N("q.b.c.example.org."));
	CHECK_INT(dnsd_zone_lookup_key(z, &k, &r), 0);
	CHECK(!r.node && r.encloser &&
	      (dnsd_node_flags(r.encloser) & DNSD_NODE_ENT));
	dnsd_name_key_init(&k, N("foo.w.example.org."));
	CHECK_INT(dnsd_zone_lookup_key(z, &k, &r), 0);
	CHECK(!r.node && r.wildcard);
	dnsd_name_key_init(&k, N("a.ns.sub.example.org."));
	CHECK_INT(dnsd_zone_lookup_key(z, &k, &r), 0);
	CHECK(r.cut &&
	      dnsd_name_equal(dnsd_node_name(r.cut), N("sub.example.org.")));
	dnsd_name_key_init(&k, N("example.net."));
	CHECK_INT(dnsd_zone_lookup_key(z, &k, &r), DNSD_ENOTFOUND);

	/* every node finds itself by key, in the case it was given */
	for (size_t i = 0; i < dnsd_zone_node_count(z); i++) {
		const dnsd_node *n = dnsd_zone_node_at(z, i);
		dnsd_name_key_init(&k, dnsd_node_name(n));
		CHECK(dnsd_zone_find_key(z, &k) == n);
	}
	dnsd_zone_unref(z);
}

static void zonedb_finds(size_t nz);

/* The same finds from a database of a few zones (scanned) and of many
 * (probed by hash): the three zones, then ten more below example.com. */
static void test_zonedb_keys(void)
{
	for (int many = 0; many < 2; many++)
		zonedb_finds(many ? 13 : 3);
}

static void zonedb_finds(size_t nz)
{
	dnsd_zone *zs[13] = {
	    zone_of("example.org.", zone_text),
	    zone_of("sub.example.org.", "@ SOA ns hm 1 1 1 1 1\n@ NS ns\n"
	                                "ns A 192.0.2.9\n"),
	    zone_of("Example.NET.", "@ SOA ns hm 1 1 1 1 1\n"),
	};
	for (size_t i = 3; i < nz; i++) {
		char o[32];
		snprintf(o, sizeof o, "z%zu.example.com.", i);
		zs[i] = zone_of(o, "@ SOA ns hm 1 1 1 1 1\n");
	}
	dnsd_zonedb *db = dnsd_zonedb_new(zs, nz);
	static const struct {
		const char *name;
		unsigned from;
		int zone; /* index in zs, -1 for none */
	} t[] = {
	    {"example.org.", 0, 0},
	    {"www.example.org.", 0, 0},
	    {"sub.example.org.", 0, 1},
	    {"SUB.example.ORG.", 0, 1},
	    {"sub.example.org.", 1, 0},
	    {"a.sub.example.org.", 0, 1},
	    {"a.sub.example.org.", 2, 0},
	    {"a.sub.example.org.", 3, -1},
	    {"example.net.", 0, 2},
	    {"x.y.z.EXAMPLE.net.", 0, 2},
	    {"net.", 0, -1},
	    {".", 0, -1},
	    {"example.com.", 0, -1},
	    {"example.org.net.", 0, -1},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		dnsd_name_key k;
		dnsd_name_key_init(&k, N(t[i].name));
		const dnsd_zone *want = t[i].zone < 0 ? NULL : zs[t[i].zone];
		CHECK(dnsd_zonedb_find_key(db, &k, t[i].from) == want);
		if (t[i].from == 0)
			CHECK(dnsd_zonedb_find(db, N(t[i].name)) == want);
	}
	dnsd_name_key k;
	dnsd_name_key_init(&k, N("www.example.org."));
	CHECK(dnsd_zonedb_find_key(db, &k, 4) == NULL); /* past the root */
	CHECK(dnsd_zonedb_find_key(NULL, &k, 0) == NULL);
	dnsd_name_key_init(&k, N("a.z7.EXAMPLE.com."));
	CHECK(dnsd_zonedb_find_key(db, &k, 0) == (nz > 7 ? zs[7] : NULL));
	dnsd_name_key_init(&k, N("example.com."));
	CHECK(dnsd_zonedb_find_key(db, &k, 0) == NULL);
	dnsd_zonedb_free(db);
	for (size_t i = 0; i < nz; i++)
		dnsd_zone_unref(zs[i]);
}

/* ---- the query reader ---- */

static size_t query(uint8_t *buf, size_t cap, const char *name, uint16_t qtype,
                    bool opt)
{
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = 0xbeef, .flags = DNSD_FLAG_RD};
	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, N(name), qtype, DNSD_CLASS_IN);
	if (opt)
		dnsd_msg_opt(&b, 4096, 0, 0, DNSD_EDNS_DO);
	int len = dnsd_msg_finish(&b);
	CHECK(len > 0);
	return len > 0 ? (size_t)len : 0;
}

static void test_query_reader(void)
{
	uint8_t buf[512];
	dnsd_query q;
	size_t len = query(buf, sizeof buf, "Www.Example.org.", 28, false);
	CHECK_INT(dnsd_query_parse(buf, len, &q), 0);
	CHECK_INT(q.hdr.id, 0xbeef);
	CHECK_INT(q.hdr.qdcount, 1);
	CHECK_INT(q.qname_len, 17);
	CHECK(memcmp(q.qname, N("Www.Example.org."), 17) == 0);
	CHECK_INT(q.qtype, 28);
	CHECK_INT(q.qclass, DNSD_CLASS_IN);
	CHECK_INT(q.question_end, 12 + 17 + 4);
	CHECK(!q.edns.present && !q.bad_opt);
	CHECK_INT(q.msg_len, len);

	len = query(buf, sizeof buf, "example.org.", 1, true);
	CHECK_INT(dnsd_query_parse(buf, len, &q), 0);
	CHECK(q.edns.present && !q.bad_opt);
	CHECK_INT(q.edns.payload, 4096);
	CHECK_INT(q.edns.flags, DNSD_EDNS_DO);
	CHECK_INT(q.edns.version, 0);
	/* a trailing octet, one missing */
	CHECK_INT(dnsd_query_parse(buf, len + 1, &q), DNSD_EMALFORM);
	CHECK_INT(dnsd_query_parse(buf, len - 1, &q), DNSD_EMALFORM);

	/* an OPT with an option (a cookie), then with a broken one */
	uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
	size_t base = query(buf, sizeof buf, "example.org.", 1, true);
	memcpy(buf + base, cookie, sizeof cookie);
	buf[base - 2] = 0;
	buf[base - 1] = sizeof cookie;
	CHECK_INT(dnsd_query_parse(buf, base + sizeof cookie, &q), 0);
	CHECK(q.edns.present && !q.bad_opt);
	buf[base + 3] = 9; /* option longer than the RDATA */
	CHECK_INT(dnsd_query_parse(buf, base + sizeof cookie, &q), 0);
	CHECK(!q.edns.present && q.bad_opt);

	/* OPT not at the root, or TSIG after the question: the general way */
	len = query(buf, sizeof buf, "example.org.", 1, true);
	buf[len - 11] = 1; /* owner "\1" ... now malformed */
	CHECK(dnsd_query_parse(buf, len, &q) < 0);

	/* a short header keeps what there is of it */
	uint8_t shorthdr[] = {0x12, 0x34, 0x81, 0x80, 0, 1};
	CHECK_INT(dnsd_hdr_parse(shorthdr, sizeof shorthdr, &q.hdr),
	          DNSD_EMALFORM);
	CHECK_INT(q.hdr.id, 0x1234);
	CHECK_INT(q.hdr.flags, 0x8180);
	CHECK_INT(q.hdr.qdcount, 0);
}

/* ---- negative answers ---- */

static dnsd_zonedb *neg_db;

/* Asks name/type; returns the response length, the response in out. */
static size_t ask(const char *name, uint16_t qtype, uint8_t *out, size_t cap)
{
	uint8_t buf[512];
	size_t len = query(buf, sizeof buf, name, qtype, false);
	dnsd_query q;
	int perr = dnsd_query_parse(buf, len, &q);
	dnsd_answer_opts o = {.tcp = true};
	size_t n = 0;
	CHECK_INT(dnsd_answer(neg_db, &q, perr, buf, &o, out, cap, &n),
	          DNSD_VERDICT_ANSWER);
	return n;
}

/* The SOA of a one-RRset negative answer: its RDATA's octets. */
static const uint8_t *soa_rdata(const uint8_t *r, size_t len, size_t *rdlen)
{
	dnsd_wire w;
	dnsd_wire_init_read(&w, r, len);
	w.pos = 12;
	uint8_t name[DNSD_NAME_MAX];
	dnsd_name_from_wire(&w, name);
	dnsd_wire_skip(&w, 4);
	dnsd_name_from_wire(&w, name); /* the SOA's owner */
	CHECK_INT(dnsd_wire_u16(&w), DNSD_TYPE_SOA);
	dnsd_wire_skip(&w, 6);
	*rdlen = dnsd_wire_u16(&w);
	const uint8_t *rd = dnsd_wire_take(&w, *rdlen);
	CHECK(rd && w.pos == len);
	return rd;
}

static void test_negative_soa(void)
{
	dnsd_zone *z = zone_of("example.org.", zone_text);
	neg_db = dnsd_zonedb_new(&z, 1);
	uint8_t r[1024];
	size_t rdlen;

	/* NXDOMAIN: owner, MNAME and RNAME all point at example.org in the
	 * question */
	size_t n = ask("nothing.Example.org.", DNSD_TYPE_A, r, sizeof r);
	CHECK_INT(r[3] & 0xf, DNSD_RCODE_NXDOMAIN);
	CHECK_INT(r[9], 1); /* NSCOUNT */
	const uint8_t *rd = soa_rdata(r, n, &rdlen);
	const uint8_t soa[] = {3,   'n', 's', '1',  0xc0, 20,  10,
	                       'h', 'o', 's', 't',  'm',  'a', 's',
	                       't', 'e', 'r', 0xc0, 20};
	CHECK_INT(rdlen, sizeof soa + 20);
	CHECK(rd && memcmp(rd, soa, sizeof soa) == 0);
	const uint8_t rr[] = {0xc0, 20, 0, 6, 0, 1, 0, 0, 1, 0x2c};
	CHECK(memcmp(r + 12 + 21 + 4, rr, sizeof rr) == 0); /* TTL 300 */

	/* NODATA at the apex: the question is the origin */
	n = ask("example.org.", DNSD_TYPE_AAAA, r, sizeof r);
	CHECK_INT(r[3] & 0xf, DNSD_RCODE_NOERROR);
	rd = soa_rdata(r, n, &rdlen);
	CHECK(rd && rd[0] == 3 && rd[4] == 0xc0 && rd[5] == 12);

	/* below ns1: MNAME shares "ns1.example.org" with the question, and
	 * points there, as the compressor finds the longest suffix */
	n = ask("q.x.NS1.example.org.", DNSD_TYPE_A, r, sizeof r);
	CHECK_INT(r[3] & 0xf, DNSD_RCODE_NXDOMAIN);
	rd = soa_rdata(r, n, &rdlen);
	CHECK(rd && rd[0] == 0xc0 && rd[1] == 16); /* x.NS1... is at 14 */
	CHECK(rd && rd[2] == 10 && rd[13] == 0xc0 && rd[14] == 20);
	n = ask("ns1.example.org.", DNSD_TYPE_MX, r, sizeof r);
	rd = soa_rdata(r, n, &rdlen);
	CHECK(rd && rd[0] == 0xc0 && rd[1] == 12);

	/* whatever the path, every negative answer parses back to the SOA
	 * of the zone */
	static const char *const names[] = {"nothing.example.org.",
	                                    "a.b.example.org.",
	                                    "EXAMPLE.ORG.",
	                                    "x.hostmaster.example.org.",
	                                    "hostmaster.example.org.",
	                                    "x.ns1.example.org.",
	                                    "c.example.org."};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		n = ask(names[i], DNSD_TYPE_AAAA, r, sizeof r);
		dnsd_arena a;
		dnsd_arena_init(&a, 0);
		dnsd_msg m;
		CHECK_INT(dnsd_msg_parse(r, n, &a, &m), 0);
		CHECK_INT(m.count[0], 0);
		CHECK_INT(m.count[1], 1);
		if (m.count[1] == 1) {
			CHECK_INT(m.sec[1][0].type, DNSD_TYPE_SOA);
			CHECK(dnsd_name_equal(m.sec[1][0].owner,
			                      N("example.org.")));
			CHECK_INT(m.sec[1][0].ttl, 300);
			/* names as the question wrote them, so any case */
			const uint8_t *got = m.sec[1][0].rdata;
			CHECK_INT(m.sec[1][0].rdlen, 17 + 24 + 20);
			CHECK(dnsd_name_equal(got, N("ns1.example.org.")));
			CHECK(dnsd_name_equal(got + 17,
			                      N("hostmaster.example.org.")));
		}
		dnsd_arena_free(&a);
	}
	/* no room for the SOA: TC, as before */
	n = ask("nothing.example.org.", DNSD_TYPE_A, r, 12 + 25 + 30);
	CHECK(r[2] & (DNSD_FLAG_TC >> 8));
	CHECK_INT(r[9], 0);
	dnsd_zonedb_free(neg_db);
	dnsd_zone_unref(z);
}

int main(void)
{
	test_hash();
	test_key();
	test_compress_add();
	test_zone_keys();
	test_zonedb_keys();
	test_query_reader();
	test_negative_soa();
	return tap_done();
}
