/* Unit tests for outgoing transfers (xfr.h): AXFR streams at several
 * message sizes parsed back and checked record for record against the
 * zone, zone differences (TTL changes, emptied RRsets, nodes added and
 * removed, identical versions), merges against direct differences, IXFR
 * streams applied to the old version, the SOA-only answer, and the
 * errors. */
#include "tap.h"
#include "zones.h"
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdlib.h>

/* ---- helpers ---- */

static void quiet(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (d->severity == DNSD_DIAG_ERROR)
		fprintf(stderr, "zone error: %s:%u: %s\n",
		        d->file ? d->file : "-", d->line, d->msg);
}

static int sink(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static dnsd_zone *build(const char *origin, const char *text)
{
	dnsd_zf_opts o = {.origin = N(origin), .diag = quiet};
	dnsd_zone_builder *b = dnsd_zone_builder_new(o.origin);
	dnsd_zf_result res;
	if (dnsd_zonefile_parse_mem("z", text, strlen(text), &o, sink, b,
	                            &res) < 0) {
		dnsd_zone_builder_free(b);
		return NULL;
	}
	dnsd_zone *z = NULL;
	if (dnsd_zone_builder_finish(b, quiet, NULL, NULL, &z) < 0)
		return NULL;
	return z;
}

/* A list of records as text, "owner TYPE ttl rdata". */
typedef struct strs {
	char **v;
	size_t n, cap;
} strs;

static void strs_add(strs *s, const char *t)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		if (!s->v)
			abort();
	}
	s->v[s->n++] = strdup(t);
}

static void strs_free(strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (strs){0};
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strs_sort(strs *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

static bool strs_equal(const strs *a, const strs *b)
{
	if (a->n != b->n) {
		fprintf(stderr, "  %zu records against %zu\n", a->n, b->n);
		return false;
	}
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0) {
			fprintf(stderr, "  [%zu] '%s' against '%s'\n", i,
			        a->v[i], b->v[i]);
			return false;
		}
	return true;
}

/* Removes one entry equal to t; false when there is none. */
static bool strs_remove(strs *s, const char *t)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], t) == 0) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			return true;
		}
	return false;
}

static void rr_text(char *out, size_t cap, const uint8_t *owner, uint16_t type,
                    uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	char o[DNSD_NAME_TEXT_MAX], t[16], r[4096];
	if (dnsd_name_to_text(owner, o, sizeof o) < 0 ||
	    dnsd_rdata_to_text(type, rdata, rdlen, false, r, sizeof r) < 0)
		abort();
	snprintf(out, cap, "%s %s %u %s", o, dnsd_rrtype_to_text(type, t), ttl,
	         r);
}

/* Every record of z, the apex SOA only when with_soa. */
static void zone_strs(const dnsd_zone *z, bool with_soa, strs *s)
{
	char buf[8192];
	for (size_t i = 0; i < dnsd_zone_node_count(z); i++) {
		const dnsd_node *n = dnsd_zone_node_at(z, i);
		for (unsigned k = 0; k < dnsd_node_rrset_count(n); k++) {
			const dnsd_rrset *set = dnsd_node_rrset_at(n, k);
			if (!with_soa && set->type == DNSD_TYPE_SOA)
				continue;
			dnsd_rr_iter it;
			dnsd_rrset_iter(set, &it);
			while (dnsd_rr_next(&it)) {
				rr_text(buf, sizeof buf, dnsd_node_name(n),
				        set->type, set->ttl, it.rdata,
				        it.rdlen);
				strs_add(s, buf);
			}
		}
	}
}

static void xrr_text(char *out, size_t cap, const dnsd_xfr_rr *rr)
{
	rr_text(out, cap, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
}

static void diff_strs(const dnsd_zdiff *d, bool added, strs *s)
{
	char buf[8192];
	size_t n = added ? dnsd_zdiff_added(d) : dnsd_zdiff_deleted(d);
	for (size_t i = 0; i < n; i++) {
		xrr_text(buf, sizeof buf,
		         added ? dnsd_zdiff_added_at(d, i)
		               : dnsd_zdiff_deleted_at(d, i));
		strs_add(s, buf);
	}
}

/* A whole stream read back: its records in order as text, with the
 * checks every message must pass. */
typedef struct stream {
	strs rrs;
	size_t messages;
	size_t bytes;
	uint16_t last_type;
	bool ok;
} stream;

static void read_stream(dnsd_xfr *x, size_t cap, size_t reserve, uint16_t id,
                        const uint8_t *qname, uint16_t qtype, stream *st)
{
	*st = (stream){.ok = true};
	uint8_t *buf = malloc(cap);
	char text[8192];
	for (;;) {
		int len = dnsd_xfr_next(x, buf, cap, reserve);
		if (len == 0)
			break;
		if (len < 0) {
			fprintf(stderr, "  dnsd_xfr_next: %s\n",
			        dnsd_strerror(len));
			st->ok = false;
			break;
		}
		size_t limit = (cap > 65535 ? 65535 : cap) - reserve;
		if ((size_t)len > limit) {
			fprintf(stderr, "  message of %d > %zu\n", len, limit);
			st->ok = false;
		}
		dnsd_arena a;
		dnsd_arena_init(&a, 0);
		dnsd_msg m;
		int rc = dnsd_msg_parse(buf, (size_t)len, &a, &m);
		if (rc < 0) {
			fprintf(stderr, "  message %zu does not parse: %s\n",
			        st->messages, dnsd_strerror(rc));
			st->ok = false;
			dnsd_arena_free(&a);
			break;
		}
		bool first = st->messages == 0;
		if (m.hdr.id != id ||
		    m.hdr.flags != (DNSD_FLAG_QR | DNSD_FLAG_AA) ||
		    m.hdr.qdcount != (first ? 1 : 0) || m.hdr.nscount ||
		    m.hdr.arcount || m.hdr.ancount == 0) {
			fprintf(stderr, "  bad header in message %zu\n",
			        st->messages);
			st->ok = false;
		}
		if (first && m.hdr.qdcount == 1 &&
		    (!dnsd_name_equal(m.qd[0].qname, qname) ||
		     memcmp(m.qd[0].qname, qname, dnsd_name_len(qname)) ||
		     m.qd[0].qtype != qtype ||
		     m.qd[0].qclass != DNSD_CLASS_IN)) {
			fprintf(stderr, "  bad question\n");
			st->ok = false;
		}
		for (unsigned i = 0; i < m.count[0]; i++) {
			const dnsd_rr *r = &m.sec[0][i];
			if (r->rclass != DNSD_CLASS_IN)
				st->ok = false;
			rr_text(text, sizeof text, r->owner, r->type, r->ttl,
			        r->rdata, r->rdlen);
			strs_add(&st->rrs, text);
			st->last_type = r->type;
		}
		st->messages++;
		st->bytes += (size_t)len;
		dnsd_arena_free(&a);
	}
	free(buf);
	if (dnsd_xfr_messages(x) != st->messages ||
	    dnsd_xfr_records(x) != st->rrs.n) {
		fprintf(stderr, "  counters %zu/%zu against %zu/%zu\n",
		        dnsd_xfr_messages(x), dnsd_xfr_records(x), st->messages,
		        st->rrs.n);
		st->ok = false;
	}
}

static bool is_soa(const char *t)
{
	return strstr(t, " SOA ") != NULL;
}

/* ---- zones ---- */

static const char v1[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "@ NS ns2.example.net.\n"
    "@ MX 10 mail\n"
    "@ MX 20 mail2.example.net.\n"
    "@ TXT \"v=spf1 -all\"\n"
    "@ A 192.0.2.10\n"
    "@ AAAA 2001:db8::1\n"
    "@ CAA 0 issue \"letsencrypt.org\"\n"
    "ns1 A 192.0.2.1\n"
    "ns1 AAAA 2001:db8::53\n"
    "mail A 192.0.2.2\n"
    "www A 192.0.2.3\n"
    "www A 192.0.2.4\n"
    "www AAAA 2001:db8::3\n"
    "ftp CNAME www\n"
    "*.wild A 192.0.2.5\n"
    "*.wild TXT \"wild\"\n"
    "* MX 10 mail\n"
    "sub NS ns.sub\n"
    "sub NS ns.other.example.net.\n"
    "sub DS 12345 8 2 "
    "2bb183af5f22588179a53b0a98631fad1a292118e3f3e4b6a2e5f8b3c4d5e6f7\n"
    "ns.sub A 192.0.2.6\n"
    "ns.sub AAAA 2001:db8::6\n"
    "_sip._tcp SRV 10 5 5060 sip\n"
    "sip A 192.0.2.7\n"
    "ptr PTR www.example.org.\n"
    "MiXed.CaSe A 192.0.2.8\n"
    "sshfp SSHFP 1 1 0123456789abcdef0123456789abcdef01234567\n"
    "old A 192.0.2.9\n"
    "old TXT \"going\"\n"
    "a.b.c.deep A 192.0.2.11\n"
    "txt A 192.0.2.20\n"
    "txt TXT \"one\" \"two\"\n"
    "txt TXT \"three\"\n"
    "rp RP hostmaster.example.org. txt.example.org.\n"
    "naptr NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:i@example.org!\" .\n"
    "hinfo HINFO \"PC\" \"Linux\"\n"
    "longname-with-a-label-of-some-length.x.y.z TXT \"long\"\n";

/* v2: www's TTL changed, txt's TXT RRset emptied, a node added, old and
 * a.b.c.deep removed, one MX replaced. */
static const char v2[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 2 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "@ NS ns2.example.net.\n"
    "@ MX 10 mail\n"
    "@ MX 30 mail3.example.net.\n"
    "@ TXT \"v=spf1 -all\"\n"
    "@ A 192.0.2.10\n"
    "@ AAAA 2001:db8::1\n"
    "@ CAA 0 issue \"letsencrypt.org\"\n"
    "ns1 A 192.0.2.1\n"
    "ns1 AAAA 2001:db8::53\n"
    "mail A 192.0.2.2\n"
    "www 600 A 192.0.2.3\n"
    "www 600 A 192.0.2.4\n"
    "www AAAA 2001:db8::3\n"
    "ftp CNAME www\n"
    "*.wild A 192.0.2.5\n"
    "*.wild TXT \"wild\"\n"
    "* MX 10 mail\n"
    "sub NS ns.sub\n"
    "sub NS ns.other.example.net.\n"
    "sub DS 12345 8 2 "
    "2bb183af5f22588179a53b0a98631fad1a292118e3f3e4b6a2e5f8b3c4d5e6f7\n"
    "ns.sub A 192.0.2.6\n"
    "ns.sub AAAA 2001:db8::6\n"
    "_sip._tcp SRV 10 5 5060 sip\n"
    "sip A 192.0.2.7\n"
    "ptr PTR www.example.org.\n"
    "MiXed.CaSe A 192.0.2.8\n"
    "sshfp SSHFP 1 1 0123456789abcdef0123456789abcdef01234567\n"
    "new A 192.0.2.30\n"
    "new AAAA 2001:db8::30\n"
    "txt A 192.0.2.20\n"
    "rp RP hostmaster.example.org. txt.example.org.\n"
    "naptr NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:i@example.org!\" .\n"
    "hinfo HINFO \"PC\" \"Linux\"\n"
    "longname-with-a-label-of-some-length.x.y.z TXT \"long\"\n";

/* v3: old back as it was, new's AAAA gone again, www's TTL back, a node
 * added, the SOA's timers changed. */
static const char v3[] =
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 3 7200 1800 1209600 300\n"
    "@ NS ns1\n"
    "@ NS ns2.example.net.\n"
    "@ MX 10 mail\n"
    "@ MX 30 mail3.example.net.\n"
    "@ TXT \"v=spf1 -all\"\n"
    "@ A 192.0.2.10\n"
    "@ AAAA 2001:db8::1\n"
    "@ CAA 0 issue \"letsencrypt.org\"\n"
    "ns1 A 192.0.2.1\n"
    "ns1 AAAA 2001:db8::53\n"
    "mail A 192.0.2.2\n"
    "www A 192.0.2.3\n"
    "www A 192.0.2.4\n"
    "www AAAA 2001:db8::3\n"
    "ftp CNAME www\n"
    "*.wild A 192.0.2.5\n"
    "*.wild TXT \"wild\"\n"
    "* MX 10 mail\n"
    "sub NS ns.sub\n"
    "sub NS ns.other.example.net.\n"
    "sub DS 12345 8 2 "
    "2bb183af5f22588179a53b0a98631fad1a292118e3f3e4b6a2e5f8b3c4d5e6f7\n"
    "ns.sub A 192.0.2.6\n"
    "ns.sub AAAA 2001:db8::6\n"
    "_sip._tcp SRV 10 5 5060 sip\n"
    "sip A 192.0.2.7\n"
    "ptr PTR www.example.org.\n"
    "MiXed.CaSe A 192.0.2.8\n"
    "sshfp SSHFP 1 1 0123456789abcdef0123456789abcdef01234567\n"
    "old A 192.0.2.9\n"
    "new A 192.0.2.30\n"
    "txt A 192.0.2.20\n"
    "rp RP hostmaster.example.org. txt.example.org.\n"
    "naptr NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:i@example.org!\" .\n"
    "hinfo HINFO \"PC\" \"Linux\"\n"
    "longname-with-a-label-of-some-length.x.y.z TXT \"long\"\n"
    "zz A 192.0.2.99\n";

/* ---- AXFR ---- */

/* The AXFR of z at one message size, checked against the zone. */
static void check_axfr(const dnsd_zone *z, size_t cap, size_t reserve,
                       const char *qname_text)
{
	const uint8_t *qname = N(qname_text);
	uint8_t q[DNSD_NAME_MAX];
	memcpy(q, qname, dnsd_name_len(qname));
	dnsd_xfr *x;
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_AXFR, z, NULL, 0, 0xbeef, q,
	                       DNSD_TYPE_AXFR, DNSD_CLASS_IN),
	          0);
	stream st;
	read_stream(x, cap, reserve, 0xbeef, q, DNSD_TYPE_AXFR, &st);
	CHECK(st.ok);
	CHECK(st.rrs.n >= 2);
	/* SOA first and last, nowhere else */
	strs soa = {0}, want = {0};
	zone_strs(z, true, &soa);
	const char *zsoa = NULL;
	for (size_t i = 0; i < soa.n; i++)
		if (is_soa(soa.v[i]))
			zsoa = soa.v[i];
	CHECK(zsoa && st.rrs.n >= 2 && strcmp(st.rrs.v[0], zsoa) == 0 &&
	      strcmp(st.rrs.v[st.rrs.n - 1], zsoa) == 0);
	for (size_t i = 1; i + 1 < st.rrs.n; i++)
		CHECK(!is_soa(st.rrs.v[i]));
	/* the rest: the zone's records in the zone's order, exactly */
	zone_strs(z, false, &want);
	strs body = {0};
	for (size_t i = 1; i + 1 < st.rrs.n; i++)
		strs_add(&body, st.rrs.v[i]);
	CHECK(strs_equal(&body, &want));
	CHECK(dnsd_xfr_next(x, (uint8_t[512]){0}, 512, 0) == 0);
	strs_free(&soa);
	strs_free(&want);
	strs_free(&body);
	strs_free(&st.rrs);
	dnsd_xfr_free(x);
}

static void test_axfr(void)
{
	dnsd_zone *z = build("example.org.", v1);
	CHECK(z != NULL);
	if (!z)
		return;
	check_axfr(z, 65535, 0, "example.org.");
	check_axfr(z, 65535, 512, "EXAMPLE.org.");
	check_axfr(z, 1200, 0, "example.org.");
	check_axfr(z, 1200, 100, "Example.Org.");
	check_axfr(z, 512, 0, "example.org.");
	check_axfr(z, 300, 40, "example.org.");
	check_axfr(z, 100000, 0, "example.org.");
	dnsd_zone_unref(z);
}

/* Many names: messages pass offset 0x3fff, where pointers stop
 * reaching, and owners must still compress. */
static void test_axfr_large(void)
{
	size_t n = 6000;
	size_t cap = 64 + n * 64;
	char *text = malloc(cap), *p = text;
	p += sprintf(p, "$TTL 300\n@ SOA ns hm 7 1 1 1 1\n@ NS ns\n"
	                "ns A 10.0.0.1\n");
	for (size_t i = 0; i < n; i++) {
		p += sprintf(p, "host%zu A 10.%zu.%zu.%zu\n", i, i >> 16 & 255,
		             i >> 8 & 255, i & 255);
		if (i % 7 == 0)
			p += sprintf(p, "host%zu MX 10 host%zu\n", i, i + 1);
		if (i % 11 == 0)
			p += sprintf(p, "x.host%zu A 10.1.1.1\n", i);
	}
	dnsd_zone *z = build("example.com.", text);
	free(text);
	CHECK(z != NULL);
	if (!z)
		return;
	check_axfr(z, 65535, 0, "example.com.");
	check_axfr(z, 16384 + 1000, 0, "example.com.");
	check_axfr(z, 1500, 0, "example.com.");
	/* owners as a label and a pointer: each A record takes its label,
	 * a pointer and 14 octets */
	dnsd_xfr *x;
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_AXFR, z, NULL, 0, 1,
	                       N("example.com."), DNSD_TYPE_AXFR,
	                       DNSD_CLASS_IN),
	          0);
	stream st;
	read_stream(x, 65535, 0, 1, N("example.com."), DNSD_TYPE_AXFR, &st);
	CHECK(st.ok);
	CHECK(st.messages >= 3);
	/* at most: a pointer for the owner of the record before, else its
	 * labels below the origin and a pointer; MX names the same */
	size_t bound = st.messages * DNSD_HDR_LEN + 13 + 4, olen = 13;
	for (size_t i = 0; i < dnsd_zone_node_count(z); i++) {
		const dnsd_node *nd = dnsd_zone_node_at(z, i);
		size_t own = dnsd_name_len(dnsd_node_name(nd)) - olen + 2;
		for (unsigned k = 0; k < dnsd_node_rrset_count(nd); k++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(nd, k);
			size_t times =
			    i == 0 && s->type == DNSD_TYPE_SOA ? 2 : 1;
			size_t rd = s->size / s->count - 10;
			if (s->type == DNSD_TYPE_MX)
				rd = rd - olen + 2;
			bound += times * (own + 2 * (s->count - 1) +
			                  s->count * (10 + rd));
		}
	}
	CHECK(st.bytes <= bound);
	CHECK(st.bytes > bound * 9 / 10);
	strs_free(&st.rrs);
	dnsd_xfr_free(x);
	/* a record does not fit: DNSD_ESPACE, and the stream goes on with
	 * more room */
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_AXFR, z, NULL, 0, 1,
	                       N("example.com."), DNSD_TYPE_AXFR,
	                       DNSD_CLASS_IN),
	          0);
	uint8_t small[64];
	CHECK_INT(dnsd_xfr_next(x, small, sizeof small, 0), DNSD_ESPACE);
	CHECK_INT(dnsd_xfr_next(x, small, 8, 0), DNSD_ESPACE);
	CHECK_INT(dnsd_xfr_next(x, small, 600, 600), DNSD_ESPACE);
	read_stream(x, 65535, 0, 1, N("example.com."), DNSD_TYPE_AXFR, &st);
	CHECK(st.ok);
	CHECK_INT(st.rrs.n, dnsd_zone_record_count(z) + 1);
	strs_free(&st.rrs);
	dnsd_xfr_free(x);
	dnsd_zone_unref(z);
}

/* ---- differences ---- */

static void check_diff_lists(const dnsd_zdiff *d, const char *const *del,
                             const char *const *add)
{
	strs got = {0}, want = {0};
	diff_strs(d, false, &got);
	for (size_t i = 0; del[i]; i++)
		strs_add(&want, del[i]);
	CHECK(strs_equal(&got, &want));
	strs_free(&got);
	strs_free(&want);
	diff_strs(d, true, &got);
	for (size_t i = 0; add[i]; i++)
		strs_add(&want, add[i]);
	CHECK(strs_equal(&got, &want));
	strs_free(&got);
	strs_free(&want);
}

static void test_diff(void)
{
	dnsd_zone *a = build("example.org.", v1),
	          *b = build("example.org.", v2);
	dnsd_zone *a2 = build("example.org.", v1);
	CHECK(a && b && a2);
	if (!a || !b || !a2)
		return;
	dnsd_zdiff *d;
	CHECK_INT(dnsd_zdiff_compute(a, b, &d), 0);
	CHECK_INT(dnsd_zdiff_from_serial(d), 1);
	CHECK_INT(dnsd_zdiff_to_serial(d), 2);
	/* canonical order: owner, type, RDATA */
	static const char *const del[] = {
	    "example.org. MX 3600 20 mail2.example.net.",
	    "a.b.c.deep.example.org. A 3600 192.0.2.11",
	    "old.example.org. A 3600 192.0.2.9",
	    "old.example.org. TXT 3600 \"going\"",
	    "txt.example.org. TXT 3600 \"one\" \"two\"",
	    "txt.example.org. TXT 3600 \"three\"",
	    "www.example.org. A 3600 192.0.2.3",
	    "www.example.org. A 3600 192.0.2.4",
	    NULL};
	static const char *const add[] = {
	    "example.org. MX 3600 30 mail3.example.net.",
	    "new.example.org. A 3600 192.0.2.30",
	    "new.example.org. AAAA 3600 2001:db8::30",
	    "www.example.org. A 600 192.0.2.3",
	    "www.example.org. A 600 192.0.2.4",
	    NULL};
	check_diff_lists(d, del, add);
	char t[512];
	xrr_text(t, sizeof t, dnsd_zdiff_from_soa(d));
	CHECK_STR(t, "example.org. SOA 3600 ns1.example.org. "
	             "hostmaster.example.org. 1 7200 3600 1209600 300");
	xrr_text(t, sizeof t, dnsd_zdiff_to_soa(d));
	CHECK(strstr(t, " 2 7200 ") != NULL);
	CHECK(dnsd_zdiff_deleted_at(d, 8) == NULL);
	CHECK(dnsd_zdiff_added_at(d, 5) == NULL);
	/* wire size: both lists and the two SOAs, uncompressed */
	size_t size = 0;
	for (size_t i = 0; i < dnsd_zdiff_deleted(d); i++) {
		const dnsd_xfr_rr *r = dnsd_zdiff_deleted_at(d, i);
		size += dnsd_name_len(r->owner) + 10 + r->rdlen;
	}
	for (size_t i = 0; i < dnsd_zdiff_added(d); i++) {
		const dnsd_xfr_rr *r = dnsd_zdiff_added_at(d, i);
		size += dnsd_name_len(r->owner) + 10 + r->rdlen;
	}
	size += 2 * (13 + 10) + dnsd_zdiff_from_soa(d)->rdlen +
	        dnsd_zdiff_to_soa(d)->rdlen;
	CHECK_INT(dnsd_zdiff_wire_size(d), size);
	CHECK(dnsd_zdiff_wire_size(d) < dnsd_xfr_zone_wire_size(a));
	dnsd_zdiff_free(d);

	/* the other way round: the lists swap */
	CHECK_INT(dnsd_zdiff_compute(b, a, &d), 0);
	check_diff_lists(d, add, del);
	dnsd_zdiff_free(d);

	/* identical versions, built apart: nothing */
	CHECK_INT(dnsd_zdiff_compute(a, a2, &d), 0);
	CHECK_INT(dnsd_zdiff_deleted(d), 0);
	CHECK_INT(dnsd_zdiff_added(d), 0);
	CHECK_INT(dnsd_zdiff_from_serial(d), dnsd_zdiff_to_serial(d));
	dnsd_zdiff_free(d);
	CHECK_INT(dnsd_zdiff_compute(a, a, &d), 0);
	CHECK_INT(dnsd_zdiff_deleted(d) + dnsd_zdiff_added(d), 0);
	dnsd_zdiff_free(d);

	/* another zone */
	dnsd_zone *o = build("example.net.", "@ 60 SOA a b 1 1 1 1 1\n");
	CHECK(o != NULL);
	d = (dnsd_zdiff *)1;
	CHECK_INT(dnsd_zdiff_compute(a, o, &d), DNSD_EINVAL);
	CHECK(d == NULL);
	dnsd_zone_unref(o);
	dnsd_zone_unref(a);
	dnsd_zone_unref(a2);
	dnsd_zone_unref(b);
}

static void check_same_diff(const dnsd_zdiff *x, const dnsd_zdiff *y)
{
	strs a = {0}, b = {0};
	diff_strs(x, false, &a);
	diff_strs(y, false, &b);
	CHECK(strs_equal(&a, &b));
	strs_free(&a);
	strs_free(&b);
	diff_strs(x, true, &a);
	diff_strs(y, true, &b);
	CHECK(strs_equal(&a, &b));
	strs_free(&a);
	strs_free(&b);
	CHECK_INT(dnsd_zdiff_from_serial(x), dnsd_zdiff_from_serial(y));
	CHECK_INT(dnsd_zdiff_to_serial(x), dnsd_zdiff_to_serial(y));
	CHECK_INT(dnsd_zdiff_wire_size(x), dnsd_zdiff_wire_size(y));
	char s1[512], s2[512];
	xrr_text(s1, sizeof s1, dnsd_zdiff_from_soa(x));
	xrr_text(s2, sizeof s2, dnsd_zdiff_from_soa(y));
	CHECK(strcmp(s1, s2) == 0);
	xrr_text(s1, sizeof s1, dnsd_zdiff_to_soa(x));
	xrr_text(s2, sizeof s2, dnsd_zdiff_to_soa(y));
	CHECK(strcmp(s1, s2) == 0);
}

static void test_merge(void)
{
	dnsd_zone *a = build("example.org.", v1),
	          *b = build("example.org.", v2);
	dnsd_zone *c = build("example.org.", v3);
	CHECK(a && b && c);
	if (!a || !b || !c)
		return;
	dnsd_zdiff *ab, *bc, *ac, *m, *ca, *back;
	CHECK_INT(dnsd_zdiff_compute(a, b, &ab), 0);
	CHECK_INT(dnsd_zdiff_compute(b, c, &bc), 0);
	CHECK_INT(dnsd_zdiff_compute(a, c, &ac), 0);
	CHECK_INT(dnsd_zdiff_merge(ab, bc, &m), 0);
	check_same_diff(m, ac);
	/* old deleted and added back, new's AAAA added and deleted, www's
	 * TTL there and back: none of it left */
	static const char *const del[] = {
	    "example.org. MX 3600 20 mail2.example.net.",
	    "a.b.c.deep.example.org. A 3600 192.0.2.11",
	    "old.example.org. TXT 3600 \"going\"",
	    "txt.example.org. TXT 3600 \"one\" \"two\"",
	    "txt.example.org. TXT 3600 \"three\"",
	    NULL};
	static const char *const add[] = {
	    "example.org. MX 3600 30 mail3.example.net.",
	    "new.example.org. A 3600 192.0.2.30",
	    "zz.example.org. A 3600 192.0.2.99", NULL};
	check_diff_lists(m, del, add);
	dnsd_zdiff_free(m);
	/* there and back again: empty */
	CHECK_INT(dnsd_zdiff_compute(c, a, &ca), 0);
	CHECK_INT(dnsd_zdiff_merge(ac, ca, &back), 0);
	CHECK_INT(dnsd_zdiff_deleted(back) + dnsd_zdiff_added(back), 0);
	CHECK_INT(dnsd_zdiff_from_serial(back), 1);
	CHECK_INT(dnsd_zdiff_to_serial(back), 1);
	dnsd_zdiff_free(back);
	/* merging a merge */
	dnsd_zdiff *abc;
	CHECK_INT(dnsd_zdiff_merge(ab, bc, &abc), 0);
	CHECK_INT(dnsd_zdiff_merge(abc, ca, &back), 0);
	CHECK_INT(dnsd_zdiff_deleted(back) + dnsd_zdiff_added(back), 0);
	dnsd_zdiff_free(back);
	dnsd_zdiff_free(abc);
	/* not a chain */
	m = (dnsd_zdiff *)1;
	CHECK_INT(dnsd_zdiff_merge(bc, ab, &m), DNSD_EINVAL);
	CHECK(m == NULL);
	dnsd_zdiff_free(ab);
	dnsd_zdiff_free(bc);
	dnsd_zdiff_free(ac);
	dnsd_zdiff_free(ca);
	dnsd_zone_unref(a);
	dnsd_zone_unref(b);
	dnsd_zone_unref(c);
}

/* ---- IXFR ---- */

/* Applies an IXFR stream's records (RFC 1995 §4) to the records of the
 * old version (SOA left out); false when the stream's shape is wrong. */
static bool apply_ixfr(const strs *rrs, strs *set, const char *new_soa)
{
	size_t n = rrs->n;
	if (n < 2 || strcmp(rrs->v[0], new_soa) ||
	    strcmp(rrs->v[n - 1], new_soa))
		return false;
	size_t i = 1;
	while (i < n - 1) {
		if (!is_soa(rrs->v[i++])) /* from-SOA */
			return false;
		for (; i < n - 1 && !is_soa(rrs->v[i]); i++)
			if (!strs_remove(set, rrs->v[i])) {
				fprintf(stderr, "  nothing to delete: %s\n",
				        rrs->v[i]);
				return false;
			}
		if (i >= n - 1)
			return false;
		i++; /* to-SOA */
		for (; i < n && !is_soa(rrs->v[i]); i++)
			strs_add(set, rrs->v[i]);
		if (i == n)
			return false;
		/* the SOA that stops additions: the next diff's from-SOA,
		 * or the last record */
	}
	return i == n - 1;
}

static void check_ixfr(dnsd_zone *from, dnsd_zone *to, dnsd_zdiff **diffs,
                       size_t nd, size_t cap)
{
	dnsd_xfr *x;
	const uint8_t *q = N("example.org.");
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_IXFR, to, diffs, nd, 77, q,
	                       DNSD_TYPE_IXFR, DNSD_CLASS_IN),
	          0);
	stream st;
	read_stream(x, cap, 0, 77, q, DNSD_TYPE_IXFR, &st);
	CHECK(st.ok);
	strs old = {0}, want = {0}, soa = {0};
	zone_strs(from, false, &old);
	zone_strs(to, false, &want);
	zone_strs(to, true, &soa);
	const char *new_soa = NULL;
	for (size_t i = 0; i < soa.n; i++)
		if (is_soa(soa.v[i]))
			new_soa = soa.v[i];
	CHECK(apply_ixfr(&st.rrs, &old, new_soa));
	strs_sort(&old);
	strs_sort(&want);
	CHECK(strs_equal(&old, &want));
	/* from-SOAs and to-SOAs in order */
	size_t soas = 0;
	for (size_t i = 0; i < st.rrs.n; i++)
		soas += is_soa(st.rrs.v[i]);
	CHECK_INT(soas, 2 + 2 * nd);
	strs_free(&old);
	strs_free(&want);
	strs_free(&soa);
	strs_free(&st.rrs);
	dnsd_xfr_free(x);
}

static void test_ixfr(void)
{
	dnsd_zone *a = build("example.org.", v1),
	          *b = build("example.org.", v2);
	dnsd_zone *c = build("example.org.", v3);
	CHECK(a && b && c);
	if (!a || !b || !c)
		return;
	dnsd_zdiff *ab, *bc, *m, *same;
	CHECK_INT(dnsd_zdiff_compute(a, b, &ab), 0);
	CHECK_INT(dnsd_zdiff_compute(b, c, &bc), 0);
	CHECK_INT(dnsd_zdiff_merge(ab, bc, &m), 0);
	dnsd_zdiff *one[] = {ab}, *two[] = {ab, bc}, *merged[] = {m};
	size_t caps[] = {65535, 1200, 512, 200};
	for (size_t k = 0; k < 4; k++) {
		check_ixfr(a, b, one, 1, caps[k]);
		check_ixfr(a, c, two, 2, caps[k]);
		check_ixfr(a, c, merged, 1, caps[k]);
		check_ixfr(b, c, &bc, 1, caps[k]);
	}
	/* an empty step still carries its two SOAs */
	dnsd_zone *c2 = build("example.org.", v3);
	CHECK_INT(dnsd_zdiff_compute(c, c2, &same), 0);
	dnsd_zdiff *three[] = {ab, bc, same};
	check_ixfr(a, c2, three, 3, 512);

	/* chains that do not reach z, or break */
	dnsd_xfr *x = (dnsd_xfr *)1;
	const uint8_t *q = N("example.org.");
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_IXFR, c, one, 1, 1, q,
	                       DNSD_TYPE_IXFR, DNSD_CLASS_IN),
	          DNSD_EINVAL);
	CHECK(x == NULL);
	dnsd_zdiff *broken[] = {bc, ab};
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_IXFR, b, broken, 2, 1, q,
	                       DNSD_TYPE_IXFR, DNSD_CLASS_IN),
	          DNSD_EINVAL);
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_IXFR, b, one, 0, 1, q,
	                       DNSD_TYPE_IXFR, DNSD_CLASS_IN),
	          DNSD_EINVAL);
	CHECK_INT(dnsd_xfr_new(&x, 9, b, NULL, 0, 1, q, DNSD_TYPE_IXFR,
	                       DNSD_CLASS_IN),
	          DNSD_EINVAL);
	dnsd_zdiff_free(ab);
	dnsd_zdiff_free(bc);
	dnsd_zdiff_free(m);
	dnsd_zdiff_free(same);
	dnsd_zone_unref(a);
	dnsd_zone_unref(b);
	dnsd_zone_unref(c);
	dnsd_zone_unref(c2);
}

static void test_soa_only(void)
{
	dnsd_zone *z = build("example.org.", v1);
	CHECK(z != NULL);
	if (!z)
		return;
	dnsd_xfr *x;
	const uint8_t *q = N("example.ORG.");
	CHECK_INT(dnsd_xfr_new(&x, DNSD_XFR_SOA_ONLY, z, NULL, 0, 5, q,
	                       DNSD_TYPE_IXFR, DNSD_CLASS_IN),
	          0);
	stream st;
	read_stream(x, 512, 0, 5, q, DNSD_TYPE_IXFR, &st);
	CHECK(st.ok);
	CHECK_INT(st.messages, 1);
	CHECK_INT(st.rrs.n, 1);
	CHECK(st.rrs.n == 1 && is_soa(st.rrs.v[0]) &&
	      strncmp(st.rrs.v[0], "example.org. SOA 3600 ", 22) == 0);
	CHECK_INT(dnsd_xfr_messages(x), 1);
	CHECK_INT(dnsd_xfr_records(x), 1);
	strs_free(&st.rrs);
	dnsd_xfr_free(x);
	dnsd_xfr_free(NULL);
	dnsd_zdiff_free(NULL);
	dnsd_zone_unref(z);
}

static void test_zone_wire_size(void)
{
	dnsd_zone *z = build("example.org.", "@ 60 SOA a b 1 1 1 1 1\n"
	                                     "@ 60 NS a\n"
	                                     "a 60 A 10.0.0.1\n"
	                                     "a 60 A 10.0.0.2\n");
	CHECK(z != NULL);
	if (!z)
		return;
	/* SOA twice: 13 + 10 + (15 + 15 + 20); NS: 13 + 10 + 15;
	 * A: 2 x (15 + 10 + 4) */
	CHECK_INT(dnsd_xfr_zone_wire_size(z), 2 * 73 + 38 + 58);
	dnsd_zone_unref(z);
}

int main(void)
{
	test_axfr();
	test_axfr_large();
	test_diff();
	test_merge();
	test_ixfr();
	test_soa_only();
	test_zone_wire_size();
	return tap_done();
}
