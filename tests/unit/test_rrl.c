/* Unit tests of response rate limiting (rrl.h) on a fake clock: the
 * token bucket's rate and refill, slip, prefixes, the classes of
 * responses, the truncated form, the table's eviction. */
#include "tap.h"
#include <arpa/inet.h>
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrl.h>
#include <netinet/in.h>
#include <stdlib.h>

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	inet_pton(AF_INET, a, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &s->sin6_addr);
	return ss;
}

static dnsd_rrl *table(unsigned rate, unsigned slip, size_t size)
{
	dnsd_rrl_opts o = {.rate = rate,
	                   .slip = slip,
	                   .ipv4_prefix = 24,
	                   .ipv6_prefix = 56,
	                   .table_size = size,
	                   .seed = 42};
	dnsd_rrl *t = NULL;
	CHECK_INT(dnsd_rrl_new(&o, &t), 0);
	return t;
}

static const uint8_t WWW[] = "\3www\7example\3org";
static const uint8_t WWW_UP[] = "\3WWW\7EXAMPLE\3org";
static const uint8_t MAIL[] = "\4mail\7example\3org";

static dnsd_rrl_key answer(const uint8_t *name, uint16_t type)
{
	return (dnsd_rrl_key){
	    .cls = DNSD_RRL_ANSWER, .name = name, .type = type};
}

/* Counts what n responses of key k from peer at time now get. */
static void burst(dnsd_rrl *t, const struct sockaddr_storage *peer,
                  const dnsd_rrl_key *k, unsigned n, uint64_t now,
                  unsigned counts[3])
{
	for (unsigned i = 0; i < n; i++)
		counts[dnsd_rrl_account(t, (const struct sockaddr *)peer, k,
		                        now)]++;
}

static void test_rate_and_refill(void)
{
	dnsd_rrl *t = table(10, 0, 1024);
	struct sockaddr_storage a = v4("192.0.2.7");
	dnsd_rrl_key k = answer(WWW, 1);
	unsigned c[3] = {0};
	burst(t, &a, &k, 25, 1000, c);
	CHECK_INT(c[DNSD_RRL_PASS], 10); /* one second's worth */
	CHECK_INT(c[DNSD_RRL_DROP], 15);
	CHECK_INT(c[DNSD_RRL_SLIP], 0); /* slip 0: never */
	/* 100 ms later: one more token (10 a second) */
	unsigned d[3] = {0};
	burst(t, &a, &k, 5, 1100, d);
	CHECK_INT(d[DNSD_RRL_PASS], 1);
	/* 250 ms: two and a half; the half is kept for later */
	unsigned e[3] = {0};
	burst(t, &a, &k, 5, 1350, e);
	CHECK_INT(e[DNSD_RRL_PASS], 2);
	unsigned f[3] = {0};
	burst(t, &a, &k, 5, 1400, f);
	CHECK_INT(f[DNSD_RRL_PASS], 1);
	/* a steady 10 a second for 10 s all passes, 20 a second half */
	unsigned g[3] = {0}, h[3] = {0};
	for (uint64_t ms = 5000; ms < 15000; ms += 100)
		burst(t, &a, &k, 1, ms, g);
	CHECK_INT(g[DNSD_RRL_PASS], 100);
	for (uint64_t ms = 20000; ms < 30000; ms += 50)
		burst(t, &a, &k, 1, ms, h);
	CHECK(h[DNSD_RRL_PASS] >= 100 && h[DNSD_RRL_PASS] <= 112);
	/* a long pause fills the bucket, no more than full */
	unsigned i[3] = {0};
	burst(t, &a, &k, 30, 1000000000, i);
	CHECK_INT(i[DNSD_RRL_PASS], 10);
	/* a clock that goes back adds nothing */
	unsigned j[3] = {0};
	burst(t, &a, &k, 3, 5000, j);
	CHECK_INT(j[DNSD_RRL_PASS], 0);
	dnsd_rrl_stats st;
	dnsd_rrl_stats_get(t, &st);
	CHECK_INT(st.passed, 10 + 1 + 2 + 1 + 100 + h[0] + 10);
	CHECK_INT(st.slipped, 0);
	dnsd_rrl_free(t);
}

static void test_slip(void)
{
	for (unsigned slip = 1; slip <= 3; slip++) {
		dnsd_rrl *t = table(5, slip, 1024);
		struct sockaddr_storage a = v4("198.51.100.1");
		dnsd_rrl_key k = answer(WWW, 1);
		unsigned c[3] = {0};
		burst(t, &a, &k, 5 + 60, 7, c);
		CHECK_INT(c[DNSD_RRL_PASS], 5);
		CHECK_INT(c[DNSD_RRL_SLIP], 60 / slip);
		CHECK_INT(c[DNSD_RRL_DROP], 60 - 60 / slip);
		dnsd_rrl_free(t);
	}
}

/* Buckets apart: another name, type, class, prefix; the same bucket for
 * the whole /24 and /56 and for any letter case. */
static void test_keys(void)
{
	dnsd_rrl *t = table(3, 0, 4096);
	struct sockaddr_storage a = v4("192.0.2.7"), same = v4("192.0.2.200"),
	                        other = v4("192.0.3.7");
	struct sockaddr_storage s6 = v6("2001:db8:0:ff::1"),
	                        s6same = v6("2001:db8:0:aa:ffff::2"),
	                        s6other = v6("2001:db8:0:100::1");
	dnsd_rrl_key k = answer(WWW, 1), kup = answer(WWW_UP, 1),
	             kaaaa = answer(WWW, 28), kmail = answer(MAIL, 1),
	             knx = {.cls = DNSD_RRL_NXDOMAIN, .name = WWW},
	             kerr = {.cls = DNSD_RRL_ERROR, .type = 5};
	unsigned c[3] = {0};
	burst(t, &a, &k, 3, 0, c);
	CHECK_INT(c[DNSD_RRL_PASS], 3);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&same, &kup, 0),
	          DNSD_RRL_DROP);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&other, &k, 0),
	          DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&a, &kaaaa, 0),
	          DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&a, &kmail, 0),
	          DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&a, &knx, 0),
	          DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&a, &kerr, 0),
	          DNSD_RRL_PASS);
	unsigned d[3] = {0};
	burst(t, &s6, &k, 3, 0, d);
	CHECK_INT(d[DNSD_RRL_PASS], 3);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&s6same, &k, 0),
	          DNSD_RRL_DROP);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&s6other, &k, 0),
	          DNSD_RRL_PASS);
	/* a family without a prefix passes */
	struct sockaddr_storage un = {.ss_family = AF_UNIX};
	unsigned e[3] = {0};
	burst(t, &un, &k, 10, 0, e);
	CHECK_INT(e[DNSD_RRL_PASS], 10);
	dnsd_rrl_free(t);
}

/* Letter case folds in names of any length (8 octets at a time), and
 * only letters fold: '@' and '`', '[' and '{', 0xc1 and 0xe1 differ. */
static void test_case(void)
{
	static const uint8_t lo[] = "\x0c"
	                            "abcdefghijkl"
	                            "\x0e"
	                            "mnopqrstuvwxyz",
	                     up[] = "\x0c"
	                            "ABCDEFGHIJKL"
	                            "\x0e"
	                            "MNOPQRSTUVWXYZ",
	                     at[] = "\x0a"
	                            "x@[\xc1zzzzzz",
	                     bq[] = "\x0a"
	                            "x`{\xc1zzzzzz",
	                     hi[] = "\x0a"
	                            "x@[\xe1zzzzzz",
	                     cap[] = "\x0a"
	                             "X@[\xc1ZZZZZZ";
	dnsd_rrl *t = table(1, 0, 4096);
	struct sockaddr_storage a = v4("192.0.2.1");
	const struct sockaddr *sa = (const struct sockaddr *)&a;
	dnsd_rrl_key klo = answer(lo, 1), kup = answer(up, 1),
	             kat = answer(at, 1), kbq = answer(bq, 1),
	             khi = answer(hi, 1), kcap = answer(cap, 1);
	CHECK_INT(dnsd_rrl_account(t, sa, &klo, 0), DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, sa, &kup, 0), DNSD_RRL_DROP);
	CHECK_INT(dnsd_rrl_account(t, sa, &kat, 0), DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, sa, &kcap, 0), DNSD_RRL_DROP);
	CHECK_INT(dnsd_rrl_account(t, sa, &kbq, 0), DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, sa, &khi, 0), DNSD_RRL_PASS);
	dnsd_rrl_free(t);
}

/* A table of 4 buckets: a fifth key evicts the one used least recently,
 * which starts full again when it comes back; busy keys stay. */
static void test_eviction(void)
{
	dnsd_rrl *t = table(1, 0, 1);
	struct sockaddr_storage a = v4("192.0.2.1");
	dnsd_rrl_key k[5];
	for (unsigned i = 0; i < 5; i++)
		k[i] = answer(WWW, (uint16_t)(i + 1));
	for (unsigned i = 0; i < 4; i++)
		CHECK_INT(
		    dnsd_rrl_account(t, (struct sockaddr *)&a, &k[i], 10 + i),
		    DNSD_RRL_PASS);
	/* k[4] takes k[0]'s bucket, the oldest */
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&a, &k[4], 20),
	          DNSD_RRL_PASS);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&a, &k[3], 21),
	          DNSD_RRL_DROP);
	CHECK_INT(dnsd_rrl_account(t, (struct sockaddr *)&a, &k[0], 22),
	          DNSD_RRL_PASS);
	dnsd_rrl_free(t);
}

/* ---- responses ---- */

static size_t put_name(uint8_t *p, const uint8_t *name)
{
	size_t n = dnsd_name_len(name);
	memcpy(p, name, n);
	return n;
}

static size_t put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* A response: header, the question qname/qtype IN, then records of
 * owner `rr_owner` (a pointer to the question when NULL) in answer
 * (an) and authority (ns). */
static size_t response(uint8_t *p, uint16_t flags, const uint8_t *qname,
                       uint16_t qtype, unsigned an, unsigned ns,
                       const uint8_t *ns_owner, size_t *qend)
{
	size_t n = 0;
	n += put_u16(p + n, 0x1234);
	n += put_u16(p + n, (uint16_t)(DNSD_FLAG_QR | flags));
	n += put_u16(p + n, 1);
	n += put_u16(p + n, (uint16_t)an);
	n += put_u16(p + n, (uint16_t)ns);
	n += put_u16(p + n, 0);
	n += put_name(p + n, qname);
	n += put_u16(p + n, qtype);
	n += put_u16(p + n, 1);
	*qend = n;
	for (unsigned i = 0; i < an + ns; i++) {
		if (i >= an && ns_owner)
			n += put_name(p + n, ns_owner);
		else
			n += put_u16(p + n, 0xc00c); /* the question */
		n += put_u16(p + n, i < an ? 1 : 6);
		n += put_u16(p + n, 1);
		n += put_u16(p + n, 0);
		n += put_u16(p + n, 300);
		n += put_u16(p + n, 4);
		memcpy(p + n, "\xc0\x00\x02\x01", 4);
		n += 4;
	}
	return n;
}

static const uint8_t ZONE[] = "\7example\3org";
static const uint8_t SUB[] = "\3sub\7example\3org";

static void test_classify(void)
{
	uint8_t r[512], name[DNSD_NAME_MAX];
	size_t qend = 0, got = 0;
	dnsd_rrl_key k;

	response(r, DNSD_FLAG_AA, WWW, 1, 1, 0, NULL, &qend);
	CHECK(dnsd_rrl_classify(r, sizeof(r), &k, name, &got));
	CHECK_INT(got, qend);
	CHECK_INT(k.cls, DNSD_RRL_ANSWER);
	CHECK_INT(k.type, 1);
	CHECK(dnsd_name_equal(k.name, WWW));

	response(r, DNSD_FLAG_AA, WWW, 16, 0, 1, ZONE, &qend);
	CHECK(dnsd_rrl_classify(r, sizeof(r), &k, name, &got));
	CHECK_INT(k.cls, DNSD_RRL_NODATA);
	CHECK(dnsd_name_equal(k.name, WWW));

	/* NXDOMAIN: the zone of the SOA, after a CNAME in answer */
	response(r, DNSD_FLAG_AA | DNSD_RCODE_NXDOMAIN, WWW, 1, 1, 1, ZONE,
	         &qend);
	CHECK(dnsd_rrl_classify(r, sizeof(r), &k, name, &got));
	CHECK_INT(k.cls, DNSD_RRL_NXDOMAIN);
	CHECK(dnsd_name_equal(k.name, ZONE));

	/* a referral: the delegation point */
	response(r, 0, WWW, 1, 0, 1, SUB, &qend);
	CHECK(dnsd_rrl_classify(r, sizeof(r), &k, name, &got));
	CHECK_INT(k.cls, DNSD_RRL_REFERRAL);
	CHECK(dnsd_name_equal(k.name, SUB));

	response(r, DNSD_RCODE_REFUSED, WWW, 1, 0, 0, NULL, &qend);
	CHECK(dnsd_rrl_classify(r, sizeof(r), &k, name, &got));
	CHECK_INT(k.cls, DNSD_RRL_ERROR);
	CHECK_INT(k.type, DNSD_RCODE_REFUSED);
	CHECK(k.name == NULL);

	/* not limited: NOTIFY responses, short or unreadable ones */
	response(r, DNSD_OPCODE_NOTIFY << 11, WWW, 6, 0, 0, NULL, &qend);
	CHECK(!dnsd_rrl_classify(r, sizeof(r), &k, name, &got));
	CHECK(!dnsd_rrl_classify(r, 11, &k, name, &got));
	response(r, 0, WWW, 1, 0, 0, NULL, &qend);
	CHECK(!dnsd_rrl_classify(r, 20, &k, name, &got));
}

/* dnsd_rrl_response: passes, then truncates (slip 1): TC, the question
 * kept, no records; the same for an NXDOMAIN of another name in the
 * zone once the zone's NXDOMAIN bucket is empty. */
static void test_response(void)
{
	dnsd_rrl *t = table(2, 1, 1024);
	struct sockaddr_storage a = v4("203.0.113.9");
	const struct sockaddr *sa = (const struct sockaddr *)&a;
	uint8_t r[512];
	size_t qend = 0;
	size_t len = response(r, DNSD_FLAG_AA, WWW, 1, 2, 0, NULL, &qend);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), len);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), len);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), qend);
	dnsd_hdr h;
	CHECK_INT(dnsd_hdr_parse(r, qend, &h), 0);
	CHECK(h.flags & DNSD_FLAG_TC);
	CHECK(h.flags & DNSD_FLAG_AA);
	CHECK_INT(h.id, 0x1234);
	CHECK_INT(h.qdcount, 1);
	CHECK_INT(h.ancount + h.nscount + h.arcount, 0);

	static const uint8_t nx1[] = "\2n1\7example\3org",
	                     nx2[] = "\2n2\7example\3org";
	len = response(r, DNSD_FLAG_AA | 3, nx1, 1, 0, 1, ZONE, &qend);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), len);
	len = response(r, DNSD_FLAG_AA | 3, nx2, 1, 0, 1, ZONE, &qend);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), len);
	len = response(r, DNSD_FLAG_AA | 3, nx1, 1, 0, 1, ZONE, &qend);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), qend);
	CHECK_INT(DNSD_RCODE(((unsigned)r[2] << 8) | r[3]), 3);
	dnsd_rrl_free(t);

	/* slip 0 drops */
	t = table(1, 0, 1024);
	len = response(r, DNSD_FLAG_AA, WWW, 1, 1, 0, NULL, &qend);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), len);
	CHECK_INT(dnsd_rrl_response(t, sa, r, len, 0), 0);
	dnsd_rrl_free(t);
}

static void test_new(void)
{
	dnsd_rrl *t = NULL;
	dnsd_rrl_opts o = {.rate = 0, .ipv4_prefix = 24, .ipv6_prefix = 56};
	CHECK_INT(dnsd_rrl_new(&o, &t), DNSD_EINVAL);
	o.rate = 1;
	o.ipv4_prefix = 33;
	CHECK_INT(dnsd_rrl_new(&o, &t), DNSD_EINVAL);
	o.ipv4_prefix = 32;
	o.ipv6_prefix = 129;
	CHECK_INT(dnsd_rrl_new(&o, &t), DNSD_EINVAL);
}

int main(void)
{
	test_rate_and_refill();
	test_slip();
	test_keys();
	test_case();
	test_eviction();
	test_classify();
	test_response();
	test_new();
	return tap_done();
}
