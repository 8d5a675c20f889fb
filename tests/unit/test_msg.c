/* Unit tests for messages (msg.h): header, the query reader with its OPT
 * and TSIG rules, the full parser, and the builder with truncation. */
#include "tap.h"
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>

/* Hand-made messages, written uncompressed through the cursor. */
static void raw_hdr(dnsd_wire *w, uint16_t flags, uint16_t qd, uint16_t an,
                    uint16_t ns, uint16_t ar)
{
	dnsd_wire_init_write(w, w->base, w->len);
	dnsd_wire_put_u16(w, 0x1234);
	dnsd_wire_put_u16(w, flags);
	dnsd_wire_put_u16(w, qd);
	dnsd_wire_put_u16(w, an);
	dnsd_wire_put_u16(w, ns);
	dnsd_wire_put_u16(w, ar);
}

static void raw_name(dnsd_wire *w, const char *txt)
{
	uint8_t n[DNSD_NAME_MAX];
	int r = dnsd_name_from_text(txt, strlen(txt), NULL, n);
	CHECK(r > 0);
	if (r > 0)
		dnsd_wire_put(w, n, (size_t)r);
}

static void raw_q(dnsd_wire *w, const char *name, uint16_t type)
{
	raw_name(w, name);
	dnsd_wire_put_u16(w, type);
	dnsd_wire_put_u16(w, DNSD_CLASS_IN);
}

static void raw_rr(dnsd_wire *w, const char *name, uint16_t type,
                   uint16_t rclass, uint32_t ttl, const void *rd, size_t rdlen)
{
	raw_name(w, name);
	dnsd_wire_put_u16(w, type);
	dnsd_wire_put_u16(w, rclass);
	dnsd_wire_put_u32(w, ttl);
	dnsd_wire_put_u16(w, (uint16_t)rdlen);
	dnsd_wire_put(w, rd, rdlen);
}

static void raw_opt(dnsd_wire *w, const char *owner, uint16_t payload,
                    uint32_t ttl, const void *rd, size_t rdlen)
{
	raw_rr(w, owner, DNSD_TYPE_OPT, payload, ttl, rd, rdlen);
}

/* A well-formed TSIG RDATA (RFC 8945 §4.2) with a 32-octet MAC. */
static size_t tsig_rdata(uint8_t *out)
{
	dnsd_wire w;
	dnsd_wire_init_write(&w, out, 128);
	raw_name(&w, "hmac-sha256.");
	dnsd_wire_put_u16(&w, 0); /* time, 48 bits */
	dnsd_wire_put_u32(&w, 1700000000);
	dnsd_wire_put_u16(&w, 300); /* fudge */
	dnsd_wire_put_u16(&w, 32);
	for (int i = 0; i < 32; i++)
		dnsd_wire_put_u8(&w, (uint8_t)i);
	dnsd_wire_put_u16(&w, 0x1234); /* original id */
	dnsd_wire_put_u16(&w, 0);      /* error */
	dnsd_wire_put_u16(&w, 0);      /* other len */
	return w.pos;
}

static const uint8_t a_rdata[4] = {192, 0, 2, 1};

static void test_hdr(void)
{
	const uint8_t m[12] = {0xab, 0xcd, 0x85, 0x83, 0, 1, 0, 2, 0, 3, 0, 4};
	dnsd_hdr h;
	CHECK_INT(dnsd_hdr_parse(m, sizeof m, &h), 0);
	CHECK_INT(h.id, 0xabcd);
	CHECK_INT(h.flags, 0x8583);
	CHECK(h.flags & DNSD_FLAG_QR);
	CHECK(h.flags & DNSD_FLAG_AA);
	CHECK(h.flags & DNSD_FLAG_RD);
	CHECK_INT(DNSD_OPCODE(h.flags), 0);
	CHECK_INT(DNSD_RCODE(h.flags), DNSD_RCODE_NXDOMAIN);
	CHECK_INT(h.qdcount, 1);
	CHECK_INT(h.ancount, 2);
	CHECK_INT(h.nscount, 3);
	CHECK_INT(h.arcount, 4);
	CHECK_INT(dnsd_hdr_parse(m, 11, &h), DNSD_EMALFORM);
	CHECK_INT(dnsd_hdr_parse(m, 0, &h), DNSD_EMALFORM);
}

static void test_query_basic(void)
{
	uint8_t buf[512];
	dnsd_wire w = {.base = buf, .len = sizeof buf};
	dnsd_query q;

	raw_hdr(&w, DNSD_FLAG_RD, 1, 0, 0, 0);
	raw_q(&w, "WwW.Example.com.", DNSD_TYPE_AAAA);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK_INT(q.hdr.id, 0x1234);
	CHECK_INT(q.hdr.flags, DNSD_FLAG_RD);
	CHECK_INT(q.qname_len, 17);
	CHECK(memcmp(q.qname, "\3WwW\7Example\3com", 17) == 0);
	CHECK_INT(q.qtype, DNSD_TYPE_AAAA);
	CHECK_INT(q.qclass, DNSD_CLASS_IN);
	CHECK_INT(q.question_end, 33);
	CHECK(!q.edns.present);
	CHECK(!q.bad_opt);
	CHECK_INT(q.tsig_offset, 0);
	CHECK_INT(q.msg_len, w.pos);

	/* trailing garbage, a truncated question, a short header */
	size_t len = w.pos;
	buf[len] = 0;
	CHECK_INT(dnsd_query_parse(buf, len + 1, &q), DNSD_EMALFORM);
	CHECK_INT(dnsd_query_parse(buf, len - 1, &q), DNSD_EMALFORM);
	CHECK_INT(q.hdr.id, 0x1234); /* still there for a FORMERR */
	CHECK_INT(q.hdr.qdcount, 1);
	CHECK_INT(dnsd_query_parse(buf, 20, &q), DNSD_EMALFORM);
	CHECK_INT(dnsd_query_parse(buf, 11, &q), DNSD_EMALFORM);

	/* no question at all is not the parser's business */
	raw_hdr(&w, 0, 0, 0, 0, 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK_INT(q.qname_len, 0);
	CHECK_INT(q.question_end, 12);

	/* two questions: the first is the one kept */
	raw_hdr(&w, 0, 2, 0, 0, 0);
	raw_q(&w, "a.example.", DNSD_TYPE_A);
	raw_q(&w, "b.example.", DNSD_TYPE_MX);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK_INT(q.qtype, DNSD_TYPE_A);
	CHECK_INT(q.question_end, 12 + 11 + 4);

	/* a bad pointer in the question */
	raw_hdr(&w, 0, 1, 0, 0, 0);
	dnsd_wire_put_u16(&w, 0xc00c);
	dnsd_wire_put_u32(&w, 0x00010001);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), DNSD_EPOINTER);

	/* records in every section are walked, their RDATA skipped */
	raw_hdr(&w, 0, 1, 1, 1, 1);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos - 1, &q), DNSD_EMALFORM);
	/* more records announced than present */
	raw_hdr(&w, 0, 1, 1, 1, 2);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), DNSD_EMALFORM);
}

static void test_query_edns(void)
{
	uint8_t buf[512];
	dnsd_wire w = {.base = buf, .len = sizeof buf};
	dnsd_query q;

	/* small payloads count as 512; TTL holds ext rcode, version, DO */
	raw_hdr(&w, 0, 1, 0, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 100, 0x01008000, NULL, 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(q.edns.present);
	CHECK(!q.bad_opt);
	CHECK_INT(q.edns.payload, 512);
	CHECK_INT(q.edns.ext_rcode, 1);
	CHECK_INT(q.edns.version, 0);
	CHECK(q.edns.flags & DNSD_EDNS_DO);

	raw_hdr(&w, 0, 1, 0, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_A);
	/* a cookie option and an empty one */
	const uint8_t opts[] = {0, 10, 0, 8, 1, 2, 3, 4,
	                        5, 6,  7, 8, 0, 3, 0, 0};
	raw_opt(&w, ".", 4096, 0x00010000, opts, sizeof opts);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(!q.bad_opt);
	CHECK_INT(q.edns.payload, 4096);
	CHECK_INT(q.edns.version, 1);
	CHECK(!(q.edns.flags & DNSD_EDNS_DO));
	CHECK_INT(q.edns.ext_rcode, 0);

	/* an option running past the RDATA */
	raw_hdr(&w, 0, 1, 0, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 4096, 0, opts, 6);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(q.bad_opt);
	/* half an option header */
	raw_hdr(&w, 0, 1, 0, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 4096, 0, opts, 3);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(q.bad_opt);

	/* OPT in the answer or authority section */
	raw_hdr(&w, 0, 1, 1, 0, 0);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(q.bad_opt);
	CHECK(!q.edns.present);
	raw_hdr(&w, 0, 1, 0, 1, 0);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(q.bad_opt);

	/* two OPTs */
	raw_hdr(&w, 0, 1, 0, 0, 2);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	raw_opt(&w, ".", 4096, 0, NULL, 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(q.bad_opt);
	CHECK_INT(q.edns.payload, 1232);

	/* an owner other than the root */
	raw_hdr(&w, 0, 1, 0, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, "example.", 1232, 0, NULL, 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK(q.bad_opt);
	CHECK(!q.edns.present);
}

static void test_query_tsig(void)
{
	uint8_t buf[512], rd[128];
	size_t rdlen = tsig_rdata(rd);
	dnsd_wire w = {.base = buf, .len = sizeof buf};
	dnsd_query q;

	/* OPT, then TSIG last */
	raw_hdr(&w, 0, 1, 0, 0, 2);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	size_t at = w.pos;
	raw_rr(&w, "key.example.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd,
	       rdlen);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), 0);
	CHECK_INT(q.tsig_offset, at);
	CHECK(q.edns.present);
	CHECK(!q.bad_opt);

	/* TSIG, then OPT: TSIG is not last */
	raw_hdr(&w, 0, 1, 0, 0, 2);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_rr(&w, "key.example.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd,
	       rdlen);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), DNSD_EMALFORM);
	/* two TSIGs */
	raw_hdr(&w, 0, 1, 0, 0, 2);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_rr(&w, "key.example.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd,
	       rdlen);
	raw_rr(&w, "key.example.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd,
	       rdlen);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), DNSD_EMALFORM);
	/* the last record, but in the answer section */
	raw_hdr(&w, 0, 1, 1, 0, 0);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_rr(&w, "key.example.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd,
	       rdlen);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), DNSD_EMALFORM);
	/* TSIG in the answer section, followed by more */
	raw_hdr(&w, 0, 1, 1, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_rr(&w, "key.example.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd,
	       rdlen);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	CHECK_INT(dnsd_query_parse(buf, w.pos, &q), DNSD_EMALFORM);
}

/* A response with compression everywhere, as a server would send it. */
static size_t make_response(uint8_t *buf, size_t cap, bool with_tsig)
{
	static const uint8_t cname_rd[] = {4, 'h', 'o', 's', 't', 0xc0, 16};
	static const uint8_t mx_rd[] = {0, 10, 2, 'm', 'x', 0xc0, 16};
	dnsd_wire w;
	dnsd_wire_init_write(&w, buf, cap);
	raw_hdr(&w, DNSD_FLAG_QR | DNSD_FLAG_AA, 1, 2, 1, with_tsig ? 3 : 2);
	raw_q(&w, "www.example.com.", DNSD_TYPE_A); /* name at 12 */
	dnsd_wire_put_u16(&w, 0xc00c);              /* www.example.com */
	dnsd_wire_put_u16(&w, DNSD_TYPE_CNAME);
	dnsd_wire_put_u16(&w, DNSD_CLASS_IN);
	dnsd_wire_put_u32(&w, 300);
	dnsd_wire_put_u16(&w, sizeof cname_rd);
	size_t host_at = w.pos;
	dnsd_wire_put(&w, cname_rd, sizeof cname_rd);
	dnsd_wire_put_u16(&w, (uint16_t)(0xc000 | host_at));
	dnsd_wire_put_u16(&w, DNSD_TYPE_A);
	dnsd_wire_put_u16(&w, DNSD_CLASS_IN);
	dnsd_wire_put_u32(&w, 300);
	dnsd_wire_put_u16(&w, 4);
	dnsd_wire_put(&w, a_rdata, 4);
	dnsd_wire_put_u16(&w, 0xc010); /* example.com MX */
	dnsd_wire_put_u16(&w, DNSD_TYPE_MX);
	dnsd_wire_put_u16(&w, DNSD_CLASS_IN);
	dnsd_wire_put_u32(&w, 3600);
	dnsd_wire_put_u16(&w, sizeof mx_rd);
	dnsd_wire_put(&w, mx_rd, sizeof mx_rd);
	raw_rr(&w, "mx.example.com.", DNSD_TYPE_A, DNSD_CLASS_IN, 60, a_rdata,
	       4);
	raw_opt(&w, ".", 1232, 0x8000, NULL, 0);
	if (with_tsig) {
		uint8_t rd[128];
		size_t rdlen = tsig_rdata(rd);
		raw_rr(&w, "key.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd,
		       rdlen);
	}
	CHECK_INT(w.err, 0);
	return w.pos;
}

static const char *rr_text(const uint8_t *name)
{
	static char b[DNSD_NAME_TEXT_MAX];
	return dnsd_name_to_text(name, b, sizeof b) < 0 ? NULL : b;
}

static void test_msg_parse(void)
{
	uint8_t buf[1024];
	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	dnsd_msg m;

	size_t len = make_response(buf, sizeof buf, true);
	CHECK_INT(dnsd_msg_parse(buf, len, &a, &m), 0);
	CHECK_INT(m.hdr.qdcount, 1);
	CHECK_STR(rr_text(m.qd[0].qname), "www.example.com.");
	CHECK_INT(m.qd[0].qtype, DNSD_TYPE_A);
	CHECK_INT(m.count[0], 2);
	CHECK_INT(m.count[1], 1);
	CHECK_INT(m.count[2], 3);
	CHECK_STR(rr_text(m.sec[0][0].owner), "www.example.com.");
	CHECK_INT(m.sec[0][0].type, DNSD_TYPE_CNAME);
	CHECK_INT(m.sec[0][0].ttl, 300);
	/* RDATA comes out decompressed */
	CHECK_INT(m.sec[0][0].rdlen, 18);
	CHECK_STR(rr_text(m.sec[0][0].rdata), "host.example.com.");
	CHECK_STR(rr_text(m.sec[0][1].owner), "host.example.com.");
	CHECK_INT(m.sec[0][1].rdlen, 4);
	CHECK(memcmp(m.sec[0][1].rdata, a_rdata, 4) == 0);
	CHECK_STR(rr_text(m.sec[1][0].owner), "example.com.");
	CHECK_INT(m.sec[1][0].rdlen, 2 + 16);
	CHECK_STR(rr_text(m.sec[1][0].rdata + 2), "mx.example.com.");
	CHECK_INT(m.opt_index, 1);
	CHECK_INT(m.tsig_index, 2);
	CHECK_INT(m.sec[2][2].type, DNSD_TYPE_TSIG);
	CHECK(m.edns.present);
	CHECK(m.edns.flags & DNSD_EDNS_DO);
	CHECK_INT(m.edns.payload, 1232);
	dnsd_query q;
	CHECK_INT(dnsd_query_parse(buf, len, &q), 0);
	CHECK_INT(m.tsig_offset, q.tsig_offset);
	CHECK(m.tsig_offset > 12);
	CHECK_STR(rr_text(q.qname), "www.example.com.");

	/* without TSIG */
	len = make_response(buf, sizeof buf, false);
	CHECK_INT(dnsd_msg_parse(buf, len, &a, &m), 0);
	CHECK_INT(m.tsig_index, -1);
	CHECK_INT(m.tsig_offset, 0);

	/* every truncation of it fails cleanly */
	int bad = 0;
	for (size_t l = 0; l < len; l++)
		if (dnsd_msg_parse(buf, l, &a, &m) >= 0)
			bad++;
	CHECK_INT(bad, 0);
	buf[len] = 0;
	CHECK_INT(dnsd_msg_parse(buf, len + 1, &a, &m), DNSD_EMALFORM);

	/* bogus counts are refused before anything is allocated for them */
	dnsd_arena_reset(&a);
	size_t total = a.total;
	buf[6] = buf[7] = 0xff;
	CHECK_INT(dnsd_msg_parse(buf, len, &a, &m), DNSD_EMALFORM);
	CHECK(a.total <= total + 64 * 1024);
	buf[4] = buf[5] = 0xff;
	CHECK_INT(dnsd_msg_parse(buf, len, &a, &m), DNSD_EMALFORM);

	uint8_t rd[128];
	size_t rdlen = tsig_rdata(rd);
	dnsd_wire w = {.base = buf, .len = sizeof buf};
	/* misplaced, repeated, non-root OPT; TSIG not last */
	raw_hdr(&w, 0, 1, 1, 0, 0);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	CHECK_INT(dnsd_msg_parse(buf, w.pos, &a, &m), DNSD_EMALFORM);
	raw_hdr(&w, 0, 1, 0, 0, 2);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	raw_opt(&w, ".", 1232, 0, NULL, 0);
	CHECK_INT(dnsd_msg_parse(buf, w.pos, &a, &m), DNSD_EMALFORM);
	raw_hdr(&w, 0, 1, 0, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, "a.", 1232, 0, NULL, 0);
	CHECK_INT(dnsd_msg_parse(buf, w.pos, &a, &m), DNSD_EMALFORM);
	raw_hdr(&w, 0, 1, 0, 0, 1);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_opt(&w, ".", 1232, 0, "\0\1\0\5", 4);
	CHECK_INT(dnsd_msg_parse(buf, w.pos, &a, &m), DNSD_EMALFORM);
	raw_hdr(&w, 0, 1, 0, 0, 2);
	raw_q(&w, "example.", DNSD_TYPE_A);
	raw_rr(&w, "k.", DNSD_TYPE_TSIG, DNSD_CLASS_ANY, 0, rd, rdlen);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 4);
	CHECK_INT(dnsd_msg_parse(buf, w.pos, &a, &m), DNSD_EMALFORM);

	/* RDATA checked per type: an A record of three octets */
	raw_hdr(&w, 0, 0, 1, 0, 0);
	raw_rr(&w, "example.", DNSD_TYPE_A, 1, 60, a_rdata, 3);
	CHECK(dnsd_msg_parse(buf, w.pos, &a, &m) < 0);

	/* UPDATE deletions: empty RDATA with class ANY or NONE */
	raw_hdr(&w, DNSD_OPCODE_UPDATE << 11, 1, 0, 2, 0);
	raw_q(&w, "example.", DNSD_TYPE_SOA);
	raw_rr(&w, "www.example.", DNSD_TYPE_A, DNSD_CLASS_ANY, 0, NULL, 0);
	raw_rr(&w, "www.example.", DNSD_TYPE_A, DNSD_CLASS_NONE, 0, a_rdata, 4);
	CHECK_INT(dnsd_msg_parse(buf, w.pos, &a, &m), 0);
	CHECK_INT(m.count[1], 2);
	CHECK_INT(m.sec[1][0].rdlen, 0);
	CHECK_INT(m.sec[1][1].rdlen, 4);
	CHECK_INT(DNSD_OPCODE(m.hdr.flags), DNSD_OPCODE_UPDATE);

	/* a header only */
	raw_hdr(&w, 0, 0, 0, 0, 0);
	CHECK_INT(dnsd_msg_parse(buf, w.pos, &a, &m), 0);
	CHECK(m.qd == NULL);
	CHECK_INT(m.opt_index, -1);
	CHECK_INT(dnsd_msg_parse(buf, 5, &a, &m), DNSD_EMALFORM);
	dnsd_arena_free(&a);
}

static void name_of(const char *txt, uint8_t out[DNSD_NAME_MAX])
{
	CHECK(dnsd_name_from_text(txt, strlen(txt), NULL, out) > 0);
}

static void test_builder(void)
{
	uint8_t buf[512];
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = 0xbeef,
	              .flags = DNSD_FLAG_QR | DNSD_FLAG_AA,
	              .qdcount = 9,
	              .ancount = 9};
	uint8_t qname[DNSD_NAME_MAX], target[DNSD_NAME_MAX],
	    rd[2 + DNSD_NAME_MAX];
	name_of("www.Example.com.", qname);
	name_of("host.example.COM.", target);

	dnsd_msg_begin(&b, buf, sizeof buf, &h);
	dnsd_msg_question(&b, qname, DNSD_TYPE_A, DNSD_CLASS_IN);
	dnsd_msg_section(&b, DNSD_SEC_ANSWER);
	size_t rr_at = b.w.pos;
	CHECK_INT(dnsd_msg_rr(&b, qname, DNSD_TYPE_CNAME, DNSD_CLASS_IN, 300,
	                      target, dnsd_name_len(target)),
	          0);
	/* owner is a pointer to the question; RDLENGTH is what was
	 * written, the target compressed to host + pointer */
	CHECK_INT(buf[rr_at], 0xc0);
	CHECK_INT(buf[rr_at + 1], 12);
	CHECK_INT(buf[rr_at + 10], 0);
	CHECK_INT(buf[rr_at + 11], 7);
	CHECK_INT(dnsd_msg_rr(&b, target, DNSD_TYPE_A, DNSD_CLASS_IN, 300,
	                      a_rdata, 4),
	          0);
	dnsd_msg_section(&b, DNSD_SEC_AUTHORITY);
	rd[0] = 0;
	rd[1] = 10;
	name_of("mx.example.com.", rd + 2);
	uint8_t apex[DNSD_NAME_MAX];
	name_of("example.com.", apex);
	CHECK_INT(dnsd_msg_rr(&b, apex, DNSD_TYPE_MX, DNSD_CLASS_IN, 3600, rd,
	                      2 + 16),
	          0);
	CHECK_INT(dnsd_msg_opt(&b, 1232, 0, 0, DNSD_EDNS_DO), 0);
	dnsd_msg_set_flags(&b, DNSD_FLAG_QR | DNSD_FLAG_AA | DNSD_FLAG_RD);
	int len = dnsd_msg_finish(&b);
	CHECK(len > 12);
	CHECK_INT(len, b.w.pos);

	dnsd_hdr got;
	CHECK_INT(dnsd_hdr_parse(buf, (size_t)len, &got), 0);
	CHECK_INT(got.id, 0xbeef);
	CHECK_INT(got.flags, DNSD_FLAG_QR | DNSD_FLAG_AA | DNSD_FLAG_RD);
	CHECK_INT(got.qdcount, 1);
	CHECK_INT(got.ancount, 2);
	CHECK_INT(got.nscount, 1);
	CHECK_INT(got.arcount, 1);
	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	dnsd_msg m;
	CHECK_INT(dnsd_msg_parse(buf, (size_t)len, &a, &m), 0);
	CHECK_STR(rr_text(m.sec[0][0].owner), "www.Example.com.");
	CHECK_INT(m.sec[0][0].rdlen, 18);
	CHECK(dnsd_name_equal(m.sec[0][0].rdata, target));
	CHECK(dnsd_name_equal(m.sec[1][0].rdata + 2, rd + 2));
	CHECK(m.edns.present);
	CHECK_INT(m.edns.payload, 1232);
	CHECK(m.edns.flags & DNSD_EDNS_DO);
	CHECK_INT(m.opt_index, 0);
	dnsd_query q;
	CHECK_INT(dnsd_query_parse(buf, (size_t)len, &q), 0);
	CHECK_INT(q.qname_len, 17);
	CHECK(q.edns.present);

	/* sections go in order; questions before records */
	dnsd_msg_begin(&b, buf, sizeof buf, &h);
	dnsd_msg_section(&b, DNSD_SEC_ADDITIONAL);
	dnsd_msg_section(&b, DNSD_SEC_ANSWER);
	CHECK_INT(dnsd_msg_finish(&b), DNSD_EINVAL);
	dnsd_msg_begin(&b, buf, sizeof buf, &h);
	CHECK_INT(dnsd_msg_rr(&b, qname, DNSD_TYPE_A, 1, 0, a_rdata, 4), 0);
	dnsd_msg_question(&b, qname, DNSD_TYPE_A, DNSD_CLASS_IN);
	CHECK_INT(dnsd_msg_finish(&b), DNSD_EINVAL);
	CHECK_INT(dnsd_msg_rr(&b, qname, DNSD_TYPE_A, 1, 0, a_rdata, 4),
	          DNSD_EINVAL);

	/* a buffer too small for the header, or for the question */
	dnsd_msg_begin(&b, buf, 11, &h);
	CHECK_INT(dnsd_msg_finish(&b), DNSD_ESPACE);
	dnsd_msg_begin(&b, buf, 20, &h);
	dnsd_msg_question(&b, qname, DNSD_TYPE_A, DNSD_CLASS_IN);
	/* a later record does not hide that */
	CHECK_INT(dnsd_msg_rr(&b, qname, DNSD_TYPE_A, 1, 0, a_rdata, 4),
	          DNSD_ESPACE);
	CHECK_INT(dnsd_msg_finish(&b), DNSD_ESPACE);
	dnsd_arena_free(&a);
}

static void test_builder_truncation(void)
{
	uint8_t buf[512];
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = 1, .flags = DNSD_FLAG_QR};
	uint8_t qname[DNSD_NAME_MAX], owner[DNSD_NAME_MAX];
	name_of("example.com.", qname);
	dnsd_msg_begin(&b, buf, sizeof buf, &h);
	dnsd_msg_question(&b, qname, DNSD_TYPE_A, DNSD_CLASS_IN);

	/* fill the answer section until a record does not fit */
	int added = 0, r = 0;
	for (int i = 0; i < 100; i++) {
		char t[40];
		snprintf(t, sizeof t, "host-%d.example.com.", i);
		name_of(t, owner);
		size_t pos = b.w.pos;
		uint16_t comp = b.comp.count;
		r = dnsd_msg_rr(&b, owner, DNSD_TYPE_A, DNSD_CLASS_IN, 60,
		                a_rdata, 4);
		if (r) {
			/* nothing of it remains, not even compression
			 * entries pointing into where it was */
			CHECK_INT(b.w.pos, pos);
			CHECK_INT(b.comp.count, comp);
			CHECK_INT(b.count[1], added);
			CHECK_INT(b.w.err, 0);
			break;
		}
		added++;
	}
	CHECK_INT(r, DNSD_ESPACE);
	CHECK(added > 10);
	/* a smaller record may still fit after a failure */
	size_t room = sizeof buf - b.w.pos;
	CHECK(room < 8 + 2 + 10 + 4);
	if (room >= 16) {
		CHECK_INT(dnsd_msg_rr(&b, qname, DNSD_TYPE_A, DNSD_CLASS_IN, 60,
		                      a_rdata, 4),
		          0);
		added++;
	}
	int len = dnsd_msg_finish(&b);
	CHECK(len > 0 && len <= (int)sizeof buf);
	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	dnsd_msg m;
	CHECK_INT(dnsd_msg_parse(buf, (size_t)len, &a, &m), 0);
	CHECK_INT(m.count[0], added);

	/* record whose owner fits but whose RDATA does not: the owner's
	 * compression entry must go too */
	dnsd_msg_begin(&b, buf, 12 + 17 + 10 + 5, &h);
	name_of("www.example.com.", owner);
	uint8_t big[100];
	memset(big, 'x', sizeof big);
	CHECK_INT(dnsd_msg_rr(&b, owner, DNSD_TYPE_TXT, DNSD_CLASS_IN, 60, big,
	                      sizeof big),
	          DNSD_ESPACE);
	CHECK_INT(b.comp.count, 0);
	CHECK_INT(b.w.pos, 12);
	CHECK_INT(dnsd_msg_finish(&b), 12);

	/* marks: cut a whole section back */
	dnsd_msg_begin(&b, buf, sizeof buf, &h);
	dnsd_msg_question(&b, qname, DNSD_TYPE_NS, DNSD_CLASS_IN);
	dnsd_msg_section(&b, DNSD_SEC_ANSWER);
	CHECK_INT(dnsd_msg_rr(&b, qname, DNSD_TYPE_A, 1, 60, a_rdata, 4), 0);
	dnsd_msg_mark mk = dnsd_msg_mark_get(&b);
	dnsd_msg_section(&b, DNSD_SEC_AUTHORITY);
	name_of("ns1.other.org.", owner);
	CHECK_INT(dnsd_msg_rr(&b, owner, DNSD_TYPE_A, 1, 60, a_rdata, 4), 0);
	CHECK_INT(dnsd_msg_rr(&b, owner, DNSD_TYPE_A, 1, 60, a_rdata, 4), 0);
	CHECK_INT(b.count[2], 2);
	CHECK(b.comp.count > mk.comp_count);
	dnsd_msg_rewind(&b, mk);
	CHECK_INT(b.w.pos, mk.pos);
	CHECK_INT(b.count[2], 0);
	CHECK_INT(b.count[1], 1);
	CHECK_INT(b.comp.count, mk.comp_count);
	CHECK_INT(b.section, DNSD_SEC_ANSWER);
	/* what follows cannot point into the cut part */
	size_t at = b.w.pos;
	dnsd_msg_section(&b, DNSD_SEC_ADDITIONAL);
	CHECK_INT(dnsd_msg_rr(&b, owner, DNSD_TYPE_A, 1, 60, a_rdata, 4), 0);
	CHECK_INT(buf[at], 3); /* "ns1" written in full */
	len = dnsd_msg_finish(&b);
	CHECK_INT(dnsd_msg_parse(buf, (size_t)len, &a, &m), 0);
	CHECK_INT(m.count[0], 1);
	CHECK_INT(m.count[1], 0);
	CHECK_INT(m.count[2], 1);
	CHECK_STR(rr_text(m.sec[2][0].owner), "ns1.other.org.");

	/* OPT that does not fit */
	dnsd_msg_begin(&b, buf, 12 + 10, &h);
	CHECK_INT(dnsd_msg_opt(&b, 1232, 0, 0, 0), DNSD_ESPACE);
	CHECK_INT(b.w.pos, 12);
	CHECK_INT(dnsd_msg_finish(&b), 12);
	dnsd_msg_begin(&b, buf, 12 + 11, &h);
	CHECK_INT(dnsd_msg_opt(&b, 1232, 1, 0, 0), 0);
	CHECK_INT(dnsd_msg_finish(&b), 23);
	dnsd_query q;
	CHECK_INT(dnsd_query_parse(buf, 23, &q), 0);
	CHECK_INT(q.edns.ext_rcode, 1);
	dnsd_arena_free(&a);
}

int main(void)
{
	test_hdr();
	test_query_basic();
	test_query_edns();
	test_query_tsig();
	test_msg_parse();
	test_builder();
	test_builder_truncation();
	return tap_done();
}
