/* Zone-file parser: every feature and every message, asserted through a
 * diagnostic callback that records FILE:LINE:COL and text, and a sink
 * that records the records. */
#include "tap.h"
#include <dnsd/err.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/zonefile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- recorders ---- */

typedef struct diagrec {
	int sev;
	char file[256];
	unsigned line, col;
	char msg[512];
	char text[512];
	bool has_text;
} diagrec;

static diagrec diags[300];
static int ndiag;

static void on_diag(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (ndiag >= (int)(sizeof diags / sizeof diags[0]))
		return;
	diagrec *r = &diags[ndiag++];
	r->sev = d->severity;
	snprintf(r->file, sizeof r->file, "%s", d->file ? d->file : "");
	r->line = d->line;
	r->col = d->col;
	snprintf(r->msg, sizeof r->msg, "%s", d->msg);
	r->has_text = d->text != NULL;
	size_t n =
	    d->text_len < sizeof r->text - 1 ? d->text_len : sizeof r->text - 1;
	if (d->text)
		memcpy(r->text, d->text, n);
	r->text[d->text ? n : 0] = 0;
}

typedef struct rec {
	char owner[DNSD_NAME_TEXT_MAX + 1];
	uint16_t type, rclass;
	uint32_t ttl;
	char rdata[1024];
	char file[256];
	unsigned line;
} rec;

static rec recs[100];
static int nrec;
static int sink_fail_at = -1; /* make the sink fail on this record */

static int on_rr(void *ctx, const dnsd_zf_rr *rr)
{
	(void)ctx;
	if (nrec == sink_fail_at)
		return DNSD_ENOMEM;
	if (nrec >= (int)(sizeof recs / sizeof recs[0]))
		return 0;
	rec *r = &recs[nrec++];
	dnsd_name_to_text(rr->owner, r->owner, sizeof r->owner);
	r->type = rr->type;
	r->rclass = rr->rclass;
	r->ttl = rr->ttl;
	if (dnsd_rdata_to_text(rr->type, rr->rdata, rr->rdlen, false, r->rdata,
	                       sizeof r->rdata) < 0)
		snprintf(r->rdata, sizeof r->rdata, "(bad)");
	snprintf(r->file, sizeof r->file, "%s", rr->file ? rr->file : "");
	r->line = rr->line;
	return 0;
}

static uint8_t example[DNSD_NAME_MAX];
static dnsd_zf_result res;

static void reset(void)
{
	ndiag = nrec = 0;
	sink_fail_at = -1;
	memset(&res, 0, sizeof res);
}

static dnsd_zf_opts opts(void)
{
	dnsd_zf_opts o = {.origin = example, .diag = on_diag};
	return o;
}

/* Parses text as the file "z" with o (NULL: defaults). */
static int parse_o(const char *text, size_t len, const dnsd_zf_opts *o)
{
	dnsd_zf_opts d = opts();
	reset();
	return dnsd_zonefile_parse_mem("z", text, len, o ? o : &d, on_rr, NULL,
	                               &res);
}

static int parse(const char *text)
{
	return parse_o(text, strlen(text), NULL);
}

#define EXPECT_DIAG(i, ln, cl, m)                                              \
	do {                                                                   \
		CHECK((i) < ndiag);                                            \
		if ((i) < ndiag) {                                             \
			CHECK_INT(diags[i].line, ln);                          \
			CHECK_INT(diags[i].col, cl);                           \
			CHECK_STR(diags[i].msg, m);                            \
		}                                                              \
	} while (0)

#define EXPECT_REC(i, own, ty, tt, rd)                                         \
	do {                                                                   \
		CHECK((i) < nrec);                                             \
		if ((i) < nrec) {                                              \
			CHECK_STR(recs[i].owner, own);                         \
			CHECK_INT(recs[i].type, ty);                           \
			CHECK_INT(recs[i].ttl, tt);                            \
			CHECK_STR(recs[i].rdata, rd);                          \
			CHECK_INT(recs[i].rclass, DNSD_CLASS_IN);              \
		}                                                              \
	} while (0)

/* ---- features ---- */

static void test_basic(void)
{
	int r = parse("$ORIGIN example.\n"
	              "$TTL 3600\n"
	              "@ IN SOA ns hostmaster.example.org. 1 7200 3600 "
	              "1209600 300\n"
	              "@ NS ns\n"
	              "ns A 192.0.2.1\n"
	              "www.example. A 192.0.2.2\n"
	              "a.b AAAA 2001:db8::1\n"
	              "@ MX 10 mail.other.\n");
	CHECK_INT(r, 0);
	CHECK_INT(res.records, 6);
	CHECK_INT(res.errors, 0);
	CHECK_INT(res.warnings, 0);
	CHECK_INT(ndiag, 0);
	EXPECT_REC(0, "example.", DNSD_TYPE_SOA, 3600,
	           "ns.example. hostmaster.example.org. 1 7200 3600 1209600 "
	           "300");
	EXPECT_REC(1, "example.", DNSD_TYPE_NS, 3600, "ns.example.");
	EXPECT_REC(2, "ns.example.", DNSD_TYPE_A, 3600, "192.0.2.1");
	EXPECT_REC(3, "www.example.", DNSD_TYPE_A, 3600, "192.0.2.2");
	EXPECT_REC(4, "a.b.example.", DNSD_TYPE_AAAA, 3600, "2001:db8::1");
	EXPECT_REC(5, "example.", DNSD_TYPE_MX, 3600, "10 mail.other.");
	CHECK_STR(recs[2].file, "z");
	CHECK_INT(recs[2].line, 5);
}

static void test_origin(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "a A 10.0.0.1\n"
	                "$ORIGIN sub\n" /* relative to the current origin */
	                "b A 10.0.0.2\n"
	                "@ A 10.0.0.3\n"
	                "$ORIGIN other.org.\n"
	                "c CNAME d\n"
	                "$origin .\n"
	                "e A 10.0.0.4\n"),
	          0);
	CHECK_INT(nrec, 5);
	EXPECT_REC(0, "a.example.", DNSD_TYPE_A, 60, "10.0.0.1");
	EXPECT_REC(1, "b.sub.example.", DNSD_TYPE_A, 60, "10.0.0.2");
	EXPECT_REC(2, "sub.example.", DNSD_TYPE_A, 60, "10.0.0.3");
	EXPECT_REC(3, "c.other.org.", DNSD_TYPE_CNAME, 60, "d.other.org.");
	EXPECT_REC(4, "e.", DNSD_TYPE_A, 60, "10.0.0.4");
}

static void test_ttl_class_order(void)
{
	CHECK_INT(parse("$TTL 100\n"
	                "a 300 IN A 10.0.0.1\n"
	                "b IN 301 A 10.0.0.2\n"
	                "c 302 A 10.0.0.3\n"
	                "d IN A 10.0.0.4\n"
	                "e A 10.0.0.5\n"
	                "f 1h30m in a 10.0.0.6\n"
	                "g 2w CLASS1 A 10.0.0.7\n"
	                "h 1W2D A 10.0.0.8\n"
	                "$TTL 1d\n"
	                "i A 10.0.0.9\n"),
	          0);
	CHECK_INT(nrec, 9);
	EXPECT_REC(0, "a.example.", DNSD_TYPE_A, 300, "10.0.0.1");
	EXPECT_REC(1, "b.example.", DNSD_TYPE_A, 301, "10.0.0.2");
	EXPECT_REC(2, "c.example.", DNSD_TYPE_A, 302, "10.0.0.3");
	EXPECT_REC(3, "d.example.", DNSD_TYPE_A, 100, "10.0.0.4");
	EXPECT_REC(4, "e.example.", DNSD_TYPE_A, 100, "10.0.0.5");
	EXPECT_REC(5, "f.example.", DNSD_TYPE_A, 5400, "10.0.0.6");
	EXPECT_REC(6, "g.example.", DNSD_TYPE_A, 1209600, "10.0.0.7");
	EXPECT_REC(7, "h.example.", DNSD_TYPE_A, 777600, "10.0.0.8");
	EXPECT_REC(8, "i.example.", DNSD_TYPE_A, 86400, "10.0.0.9");
}

static void test_owner_inherit(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "www A 10.0.0.1\n"
	                "    A 10.0.0.2\n"
	                "\tTXT \"x\"\n"
	                "; a comment line does not change the owner\n"
	                "\n"
	                " 30 IN AAAA ::1\n"
	                "mail A 10.0.0.3\n"
	                "\tIN 40 A 10.0.0.4\n"),
	          0);
	CHECK_INT(nrec, 6);
	EXPECT_REC(0, "www.example.", DNSD_TYPE_A, 60, "10.0.0.1");
	EXPECT_REC(1, "www.example.", DNSD_TYPE_A, 60, "10.0.0.2");
	EXPECT_REC(2, "www.example.", DNSD_TYPE_TXT, 60, "\"x\"");
	EXPECT_REC(3, "www.example.", DNSD_TYPE_AAAA, 30, "::1");
	EXPECT_REC(4, "mail.example.", DNSD_TYPE_A, 60, "10.0.0.3");
	EXPECT_REC(5, "mail.example.", DNSD_TYPE_A, 40, "10.0.0.4");
	CHECK_INT(recs[3].line, 7);

	/* nothing to inherit from */
	CHECK_INT(parse("$TTL 60\n  A 10.0.0.1\nok A 10.0.0.2\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(0, 2, 3,
	            "no owner name: the line starts with a blank and no "
	            "record came before");
	CHECK_INT(nrec, 1);
}

static void test_parentheses(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "@ IN SOA ns.example. hostmaster.example. ( ; start\n"
	                "        2024010101 ; serial (with a paren in it\n"
	                "        7200       ; refresh\n"
	                "\n"
	                "        3600 1209600 ; retry ) expire\n"
	                "        300 )      ; minimum\n"
	                "next A 10.0.0.1\n"
	                "(paren A 10.0.0.2)\n"
	                "x TXT ( \"a\" (\"b\")\n"
	                "  \"c\" )\n"),
	          0);
	CHECK_INT(nrec, 4);
	EXPECT_REC(0, "example.", DNSD_TYPE_SOA, 60,
	           "ns.example. hostmaster.example. 2024010101 7200 3600 "
	           "1209600 300");
	CHECK_INT(recs[0].line, 2);
	EXPECT_REC(1, "next.example.", DNSD_TYPE_A, 60, "10.0.0.1");
	CHECK_INT(recs[1].line, 8);
	EXPECT_REC(2, "paren.example.", DNSD_TYPE_A, 60, "10.0.0.2");
	EXPECT_REC(3, "x.example.", DNSD_TYPE_TXT, 60, "\"a\" \"b\" \"c\"");
}

static void test_quoted(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "t1 TXT \"semi;colon (paren) and spaces\"\n"
	                "t2 TXT \"esc\\\"aped\" \"back\\\\slash\" \"\\065\"\n"
	                "t3 TXT \"\"\n"
	                "t4 TXT a\"b\"\n"),
	          0);
	CHECK_INT(nrec, 4);
	EXPECT_REC(0, "t1.example.", DNSD_TYPE_TXT, 60,
	           "\"semi;colon (paren) and spaces\"");
	EXPECT_REC(1, "t2.example.", DNSD_TYPE_TXT, 60,
	           "\"esc\\\"aped\" \"back\\\\slash\" \"A\"");
	EXPECT_REC(2, "t3.example.", DNSD_TYPE_TXT, 60, "\"\"");
	EXPECT_REC(3, "t4.example.", DNSD_TYPE_TXT, 60, "\"a\" \"b\"");
}

static void test_escapes(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "a\\.b A 10.0.0.1\n"
	                "\\065bc A 10.0.0.2\n"
	                "sp\\ ace A 10.0.0.3\n"
	                "semi\\;colon A 10.0.0.4\n"
	                "\\$dollar A 10.0.0.5\n"
	                "\\@ A 10.0.0.6\n"
	                "*.wild A 10.0.0.7\n"
	                "_srv._tcp SRV 0 0 80 www\n"),
	          0);
	CHECK_INT(nrec, 8);
	EXPECT_REC(0, "a\\.b.example.", DNSD_TYPE_A, 60, "10.0.0.1");
	EXPECT_REC(1, "Abc.example.", DNSD_TYPE_A, 60, "10.0.0.2");
	EXPECT_REC(2, "sp\\032ace.example.", DNSD_TYPE_A, 60, "10.0.0.3");
	EXPECT_REC(3, "semi\\;colon.example.", DNSD_TYPE_A, 60, "10.0.0.4");
	EXPECT_REC(4, "\\$dollar.example.", DNSD_TYPE_A, 60, "10.0.0.5");
	EXPECT_REC(5, "\\@.example.", DNSD_TYPE_A, 60, "10.0.0.6");
	EXPECT_REC(6, "*.wild.example.", DNSD_TYPE_A, 60, "10.0.0.7");
	EXPECT_REC(7, "_srv._tcp.example.", DNSD_TYPE_SRV, 60,
	           "0 0 80 www.example.");
}

static void test_generic(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "x TYPE65534 \\# 3 abcdef\n"
	                "y A \\# 4 0a000001\n"
	                "z TYPE1 10.0.0.2\n"
	                "e TYPE65535 \\# 0\n"),
	          0);
	CHECK_INT(nrec, 4);
	EXPECT_REC(0, "x.example.", 65534, 60, "\\# 3 ABCDEF");
	EXPECT_REC(1, "y.example.", DNSD_TYPE_A, 60, "10.0.0.1");
	EXPECT_REC(2, "z.example.", DNSD_TYPE_A, 60, "10.0.0.2");
	EXPECT_REC(3, "e.example.", 65535, 60, "\\# 0");
}

static void test_crlf_and_fast_paths(void)
{
	/* CRLF line ends; A records the fast path rejects go to the RR type
	 * module and mean the same */
	CHECK_INT(parse("$TTL 60\r\n"
	                "a A 0.0.0.0\r\n"
	                "b A 255.255.255.255\r\n"
	                "C.D. A 1.2.3.4\r\n"
	                "\r\n"
	                "\tA 1.2.3.5\r\n"),
	          0);
	CHECK_INT(nrec, 4);
	EXPECT_REC(0, "a.example.", DNSD_TYPE_A, 60, "0.0.0.0");
	EXPECT_REC(1, "b.example.", DNSD_TYPE_A, 60, "255.255.255.255");
	EXPECT_REC(2, "C.D.", DNSD_TYPE_A, 60, "1.2.3.4");
	EXPECT_REC(3, "C.D.", DNSD_TYPE_A, 60, "1.2.3.5");

	/* a byte order mark first is skipped */
	CHECK_INT(parse("\xef\xbb\xbf$TTL 60\nwww A 1.1.1.1\nx A 1\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(nrec, 1);
	EXPECT_DIAG(0, 3, 5, "expected an IPv4 address, found '1'");
	CHECK_INT(parse("\xef\xbb\xbfwww 60 A 1.1.1.1\n"), 0);
	EXPECT_REC(0, "www.example.", DNSD_TYPE_A, 60, "1.1.1.1");

	/* a 63-octet label goes, 64 does not */
	char buf[400];
	snprintf(
	    buf, sizeof buf, "$TTL 1\n%.63s A 1.1.1.1\n%.64s A 1.1.1.1\n",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa");
	CHECK_INT(parse(buf), DNSD_ESYNTAX);
	CHECK_INT(nrec, 1);
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(
	    0, 3, 1,
	    "invalid owner name '"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "': a label is longer than 63 octets");
}

/* ---- TTL rules ---- */

static void test_ttl_rules(void)
{
	/* no $TTL: the SOA MINIMUM becomes the default, as in BIND */
	CHECK_INT(parse("@ IN SOA ns hm 1 2 3 4 300\n"
	                "@ 7200 NS ns\n"
	                "ns A 10.0.0.1\n"),
	          0);
	CHECK_INT(nrec, 3);
	CHECK_INT(recs[0].ttl, 300);
	CHECK_INT(recs[1].ttl, 7200);
	CHECK_INT(recs[2].ttl, 300);
	CHECK_INT(res.warnings, 1);
	CHECK_INT(ndiag, 1);
	CHECK_INT(diags[0].sev, DNSD_DIAG_WARNING);
	EXPECT_DIAG(0, 1, 1,
	            "no TTL given and no $TTL before: using the SOA MINIMUM "
	            "300 as BIND does");

	/* no $TTL: a record without TTL takes the previous one (RFC 1035),
	 * with one warning */
	CHECK_INT(parse("a 600 A 10.0.0.1\n"
	                "b A 10.0.0.2\n"
	                "@ SOA ns hm 1 2 3 4 300\n"
	                "c A 10.0.0.3\n"),
	          0);
	CHECK_INT(nrec, 4);
	CHECK_INT(recs[1].ttl, 600);
	CHECK_INT(recs[2].ttl, 600);
	CHECK_INT(recs[3].ttl, 600);
	CHECK_INT(ndiag, 1);
	CHECK_INT(diags[0].sev, DNSD_DIAG_WARNING);
	EXPECT_DIAG(0, 2, 1,
	            "no TTL given and no $TTL before: using the previous "
	            "record's TTL 600 (RFC 1035)");

	/* nothing at all: an error, and the SOA after it still works */
	CHECK_INT(parse("a A 10.0.0.1\n@ SOA ns hm 1 2 3 4 300\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(res.errors, 1);
	CHECK_INT(res.warnings, 1);
	EXPECT_DIAG(0, 1, 1, "no TTL given and no $TTL before");
	CHECK_INT(diags[0].sev, DNSD_DIAG_ERROR);
	CHECK_STR(diags[0].file, "z");
	CHECK_STR(diags[0].text, "a A 10.0.0.1");
	CHECK_INT(nrec, 1);

	/* the caller's default TTL acts as $TTL */
	dnsd_zf_opts o = opts();
	o.default_ttl = 77;
	const char *t = "a A 10.0.0.1\n$TTL 5\nb A 10.0.0.2\n";
	CHECK_INT(parse_o(t, strlen(t), &o), 0);
	CHECK_INT(nrec, 2);
	CHECK_INT(recs[0].ttl, 77);
	CHECK_INT(recs[1].ttl, 5);
	CHECK_INT(ndiag, 0);

	/* limits */
	CHECK_INT(parse("$TTL 2147483647\na A 1.1.1.1\n"
	                "b 2147483648 A 1.1.1.1\n"
	                "$TTL 4294967296\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(nrec, 1);
	CHECK_INT(recs[0].ttl, 2147483647);
	CHECK_INT(ndiag, 2);
	EXPECT_DIAG(0, 3, 3,
	            "TTL '2147483648' is out of range (at most 2147483647)");
	EXPECT_DIAG(1, 4, 6,
	            "TTL '4294967296' is out of range (at most 2147483647)");
}

/* ---- errors ---- */

static void test_header_errors(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "a xyz A 10.0.0.1\n"
	                "b IN FOO 10.0.0.1\n"
	                "c CH A 10.0.0.1\n"
	                "d 60 IN 70 A 10.0.0.1\n"
	                "e IN IN A 10.0.0.1\n"
	                "f 60\n"
	                "g hs TXT x\n"
	                "h 1x A 10.0.0.1\n"
	                "i \"IN\" A 10.0.0.1\n"
	                "j OPT \\# 0\n"
	                "k TYPE250 \\# 0\n"
	                "\"l\" A 10.0.0.1\n"
	                "m..n A 10.0.0.1\n"
	                "o ANY A 10.0.0.1\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(nrec, 0);
	CHECK_INT(res.errors, 14);
	CHECK_INT(ndiag, 14);
	EXPECT_DIAG(0, 2, 3, "expected a TTL, class or type, found 'xyz'");
	EXPECT_DIAG(1, 3, 6, "unknown RR type 'FOO'");
	EXPECT_DIAG(2, 4, 3, "class CH is not supported, only IN");
	EXPECT_DIAG(3, 5, 9, "expected a type, found '70'");
	EXPECT_DIAG(4, 6, 6, "expected a TTL or type, found 'IN'");
	EXPECT_DIAG(5, 7, 5, "expected a class or type, found end of line");
	EXPECT_DIAG(6, 8, 3, "class HS is not supported, only IN");
	EXPECT_DIAG(7, 9, 3, "expected a TTL, class or type, found '1x'");
	EXPECT_DIAG(8, 10, 3, "expected a TTL, class or type, found '\"IN\"'");
	EXPECT_DIAG(9, 11, 3, "RR type OPT cannot appear in a zone file");
	EXPECT_DIAG(10, 12, 3, "RR type TSIG cannot appear in a zone file");
	EXPECT_DIAG(11, 13, 1, "expected an owner name, found '\"l\"'");
	EXPECT_DIAG(12, 14, 1,
	            "invalid owner name 'm..n': empty label or bad escape");
	EXPECT_DIAG(13, 15, 3, "class ANY is not supported, only IN");
	CHECK_STR(diags[1].text, "b IN FOO 10.0.0.1");
	CHECK_STR(diags[5].text, "f 60");
}

static void test_rdata_errors(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "a A 1.2.3\n"
	                "b  MX 10\n"
	                "c A 10.0.0.1 extra\n"
	                "d IN A 1.2.3.4\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(nrec, 1);
	CHECK_INT(ndiag, 3);
	EXPECT_DIAG(0, 2, 5, "expected an IPv4 address, found '1.2.3'");
	/* a missing field points just after the last token */
	CHECK(ndiag > 1 && strstr(diags[1].msg, "expected a domain name"));
	CHECK_INT(diags[1].line, 3);
	CHECK_INT(diags[1].col, 9);
	EXPECT_DIAG(2, 4, 14, "trailing data: 'extra'");
	EXPECT_REC(0, "d.example.", DNSD_TYPE_A, 60, "1.2.3.4");
}

static void test_lexer_errors(void)
{
	CHECK_INT(parse("$TTL 60\n"
	                "a A 10.0.0.1 )\n"
	                "b TXT \"open\n"
	                "c A 10.0.0.3\n"
	                "d TXT ( \"x\"\n"
	                "  \"y ; z\n"
	                ")\n"
	                "e A 10.0.0.5\n"
	                "f A ( 10.0.0.6\n"
	                "g A 10.0.0.7\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(ndiag, 4);
	EXPECT_DIAG(0, 2, 14, "unbalanced parenthesis: ')' without '('");
	EXPECT_DIAG(1, 3, 7, "unterminated quoted string");
	EXPECT_DIAG(2, 6, 3, "unterminated quoted string");
	EXPECT_DIAG(3, 9, 5, "unbalanced parenthesis: '(' is never closed");
	CHECK_STR(diags[3].text, "f A ( 10.0.0.6");
	/* recovery: the records between errors are there */
	CHECK_INT(nrec, 2);
	EXPECT_REC(0, "c.example.", DNSD_TYPE_A, 60, "10.0.0.3");
	EXPECT_REC(1, "e.example.", DNSD_TYPE_A, 60, "10.0.0.5");

	/* unterminated quote at the very end, without a newline */
	CHECK_INT(parse("$TTL 60\nt TXT \"abc"), DNSD_ESYNTAX);
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(0, 2, 7, "unterminated quoted string");
	CHECK_STR(diags[0].text, "t TXT \"abc");
	/* a backslash at the very end */
	CHECK_INT(parse("$TTL 60\nt TXT a\\"), DNSD_ESYNTAX);
	CHECK_INT(ndiag, 1);
	CHECK_INT(diags[0].line, 2);
}

static void test_directive_errors(void)
{
	CHECK_INT(parse("$TTL\n"
	                "$TTL 1 2\n"
	                "$TTL abc\n"
	                "$ORIGIN\n"
	                "$ORIGIN a..b\n"
	                "$ORIGIN x. y.\n"
	                "$INCLUDE\n"
	                "$INCLUDE a b c\n"
	                "$FOO bar\n"
	                "$GENERATE 1-10\n"
	                "$INCLUDE \"\"\n"
	                "$\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(ndiag, 12);
	EXPECT_DIAG(0, 1, 5, "expected a TTL after $TTL, found end of line");
	EXPECT_DIAG(1, 2, 8,
	            "expected end of line after $TTL VALUE, found '2'");
	EXPECT_DIAG(2, 3, 6, "expected a TTL after $TTL, found 'abc'");
	EXPECT_DIAG(3, 4, 8,
	            "expected a domain name after $ORIGIN, found end of line");
	EXPECT_DIAG(4, 5, 9,
	            "invalid domain name 'a..b' after $ORIGIN: empty label or "
	            "bad escape");
	EXPECT_DIAG(5, 6, 12,
	            "expected end of line after $ORIGIN NAME, found 'y.'");
	EXPECT_DIAG(6, 7, 9,
	            "expected a file name after $INCLUDE, found end of line");
	EXPECT_DIAG(7, 8, 14,
	            "expected end of line after $INCLUDE FILE ORIGIN, found "
	            "'c'");
	EXPECT_DIAG(8, 9, 1, "unknown directive '$FOO'");
	EXPECT_DIAG(9, 10, 15,
	            "expected RANGE LHS [TTL] [CLASS] TYPE RHS after "
	            "$GENERATE, found end of line");
	EXPECT_DIAG(10, 11, 10,
	            "expected a file name after $INCLUDE, found '\"\"'");
	EXPECT_DIAG(11, 12, 1, "unknown directive '$'");
}

static void test_generate(void)
{
	/* the records BIND's named-checkzone makes of the same lines */
	CHECK_INT(parse("$TTL 300\n"
	                "$GENERATE 1-3 h$ A 10.0.0.$\n"
	                "$GENERATE 1-2 m$ MX \"10 mail$\"\n"
	                "$GENERATE 0-20/10 ${0,3,d}x 60 IN CNAME ${1,2,x}\n"
	                "$GENERATE 255-256 ${0,6,n} PTR h$\n"
	                "$GENERATE 1-1 a$$b\\$c TXT \"x $$ y \\$ z ${1}\"\n"
	                "$GENERATE 1-1 b${0} TXT "
	                "\"${+1,3}|${-1,2,x}|${0,0,X}|${0,3,o}\"\n"
	                "$GENERATE 10-11 c${0,0,N} A 1.1.1.$\n"
	                "after A 1.2.3.4\n"
	                "  A 1.2.3.5\n"),
	          0);
	CHECK_INT(ndiag, 0);
	CHECK_INT(nrec, 16);
	EXPECT_REC(0, "h1.example.", DNSD_TYPE_A, 300, "10.0.0.1");
	EXPECT_REC(2, "h3.example.", DNSD_TYPE_A, 300, "10.0.0.3");
	EXPECT_REC(3, "m1.example.", DNSD_TYPE_MX, 300, "10 mail1.example.");
	EXPECT_REC(4, "m2.example.", DNSD_TYPE_MX, 300, "10 mail2.example.");
	EXPECT_REC(5, "000x.example.", DNSD_TYPE_CNAME, 60, "01.example.");
	EXPECT_REC(6, "010x.example.", DNSD_TYPE_CNAME, 60, "0b.example.");
	EXPECT_REC(7, "020x.example.", DNSD_TYPE_CNAME, 60, "15.example.");
	EXPECT_REC(8, "f.f.0.", DNSD_TYPE_PTR, 300, "h255.example.");
	EXPECT_REC(9, "0.0.1.", DNSD_TYPE_PTR, 300, "h256.example.");
	EXPECT_REC(10, "a\\$b\\$c.example.", DNSD_TYPE_TXT, 300,
	           "\"x\" \"$\" \"y\" \"$\" \"z\" \"2\"");
	EXPECT_REC(11, "b1.example.", DNSD_TYPE_TXT, 300, "\"002|00|1|001\"");
	EXPECT_REC(12, "cA.example.", DNSD_TYPE_A, 300, "1.1.1.10");
	EXPECT_REC(13, "cB.example.", DNSD_TYPE_A, 300, "1.1.1.11");
	/* the owner of the lines after it is not a generated one */
	EXPECT_REC(14, "after.example.", DNSD_TYPE_A, 300, "1.2.3.4");
	EXPECT_REC(15, "after.example.", DNSD_TYPE_A, 300, "1.2.3.5");
	CHECK_INT(recs[12].line, 8);

	char many[1200];
	size_t o =
	    (size_t)snprintf(many, sizeof many, "$GENERATE 1-2 a$ TXT \"");
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(many + o, sizeof many - o, "$ ");
	snprintf(many + o, sizeof many - o, "\"\n");
	char text[2400];
	snprintf(text, sizeof text, "%s%s%s",
	         "$TTL 300\n"
	         "$GENERATE 5-1 a$ A 1.1.1.1\n"
	         "$GENERATE 1-2 a${x} A 1.1.1.$\n"
	         "$GENERATE 1-2 a$ A 1.1.1.${300}\n"
	         "$GENERATE 0-2000000 a$ A 1.1.1.1\n"
	         "$GENERATE 1-2 a$ A 1.1.1.$ extra\n"
	         "$GENERATE 1-2 a${-5} A 1.1.1.1\n"
	         "$GENERATE 1-2 a$ CH A 1.1.1.1\n"
	         "$GENERATE 1-2 a..$ A 1.1.1.1\n",
	         many, "$GENERATE 1-2/0 a$ A 1.1.1.1\n");
	CHECK_INT(parse(text), DNSD_ESYNTAX);
	CHECK_INT(nrec, 0);
	CHECK_INT(ndiag, 10);
	EXPECT_DIAG(0, 2, 11,
	            "expected a range START-STOP[/STEP] after $GENERATE, "
	            "found '5-1'");
	EXPECT_DIAG(1, 3, 15,
	            "bad $GENERATE template 'a${x}' for value 1: a modifier "
	            "is not ${offset[,width[,base]]}, or the value is "
	            "negative, or the text too long");
	EXPECT_DIAG(2, 4, 20, "expected an IPv4 address, found '1.1.1.301'");
	EXPECT_DIAG(3, 5, 11,
	            "$GENERATE range too large (at most 1048576 records)");
	EXPECT_DIAG(4, 6, 28,
	            "expected end of line after $GENERATE RHS, found 'extra'");
	EXPECT_DIAG(5, 7, 15,
	            "bad $GENERATE template 'a${-5}' for value 1: a modifier "
	            "is not ${offset[,width[,base]]}, or the value is "
	            "negative, or the text too long");
	EXPECT_DIAG(6, 8, 18, "class CH is not supported, only IN");
	EXPECT_DIAG(7, 9, 15,
	            "invalid owner name generated by $GENERATE for value 1: "
	            "empty label or bad escape");
	EXPECT_DIAG(8, 10, 22,
	            "$GENERATE RHS for value 1 has an unterminated quote or "
	            "too many fields");
	EXPECT_DIAG(9, 11, 11,
	            "expected a range START-STOP[/STEP] after $GENERATE, "
	            "found '1-2/0'");
}

static void test_many_errors(void)
{
	/* every error of the file, each on its own line, the good records
	 * between them kept */
	CHECK_INT(parse("$TTL 60\n"
	                "ok1 A 10.0.0.1\n"
	                "bad1 A 300.0.0.1\n"
	                "ok2 A 10.0.0.2\n"
	                "bad2 BOGUS x\n"
	                "bad3 TXT (\n"
	                "  \"a\" 1.2.3 )\n"
	                "bad4 A 1.2.3.4.5\n"
	                "ok3 A 10.0.0.3\n"),
	          DNSD_ESYNTAX);
	CHECK_INT(res.errors, 3);
	CHECK_INT(ndiag, 3);
	CHECK_INT(diags[0].line, 3);
	CHECK_INT(diags[1].line, 5);
	CHECK_INT(diags[2].line, 8);
	CHECK_INT(nrec, 4); /* bad3 is a fine TXT record */
	CHECK_INT(res.records, 4);

	/* max_errors stops parsing */
	dnsd_zf_opts o = opts();
	o.max_errors = 2;
	const char *t = "$TTL 60\nx A 1\ny A 2\nz A 3\nw A 4\nok A 1.1.1.1\n";
	CHECK_INT(parse_o(t, strlen(t), &o), DNSD_ESYNTAX);
	CHECK_INT(res.errors, 2);
	CHECK_INT(ndiag, 2);
	CHECK_INT(nrec, 0);

	/* the default limit is 100 */
	char *big = malloc(200 * 16 + 16);
	size_t n = (size_t)sprintf(big, "$TTL 60\n");
	for (int i = 0; i < 200; i++)
		n += (size_t)sprintf(big + n, "h%d A 1\n", i);
	CHECK_INT(parse_o(big, n, NULL), DNSD_ESYNTAX);
	CHECK_INT(res.errors, 100);
	free(big);
}

static void test_nul_bytes(void)
{
	static const char t[] = "$TTL 60\n"
	                        "a\0b A 10.0.0.1\n"
	                        "c A 10.0\0.0.1\n"
	                        "\0\n"
	                        "d TXT \"x\0y\"\n"
	                        "e A 10.0.0.2\n"
	                        "f TXT \"\0";
	int r = parse_o(t, sizeof t - 1, NULL);
	CHECK_INT(r, DNSD_ESYNTAX);
	/* a raw NUL is an octet of a name or string like any other */
	CHECK_INT(nrec, 3);
	CHECK_STR(recs[0].owner, "a\\000b.example.");
	CHECK_INT(ndiag, 3);
	EXPECT_DIAG(0, 3, 5, "expected an IPv4 address, found '10.0?.0.1'");
	EXPECT_DIAG(1, 4, 2,
	            "expected a TTL, class or type, found end of line");
	EXPECT_DIAG(2, 7, 7, "unterminated quoted string");
	CHECK_INT(diags[0].has_text, 1);
}

static void test_sink_error(void)
{
	reset();
	dnsd_zf_opts o = opts();
	sink_fail_at = 1;
	const char *t = "$TTL 1\na A 1.1.1.1\nb A 1.1.1.2\nc A 1.1.1.3\n";
	int r =
	    dnsd_zonefile_parse_mem("z", t, strlen(t), &o, on_rr, NULL, &res);
	CHECK_INT(r, DNSD_ENOMEM);
	CHECK_INT(nrec, 1);
	CHECK_INT(res.records, 2);
	CHECK_INT(ndiag, 0);
}

static void test_huge(void)
{
	/* a long line of many fields, a record of too many fields, deep
	 * parentheses, none of it slow or fatal */
	size_t n = 200000;
	char *t = malloc(n * 2 + 100);
	size_t o = (size_t)sprintf(t, "$TTL 1\nx TXT ");
	for (size_t i = 0; i < 80000; i++) {
		t[o++] = 'a';
		t[o++] = ' ';
	}
	t[o++] = '\n';
	CHECK_INT(parse_o(t, o, NULL), DNSD_ESYNTAX);
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(0, 2, 140003,
	            "record has too many fields (more than "
	            "70000)");
	o = (size_t)sprintf(t, "$TTL 1\n");
	for (size_t i = 0; i < n; i++)
		t[o++] = '(';
	CHECK_INT(parse_o(t, o, NULL), DNSD_ESYNTAX);
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(0, 2, 1, "unbalanced parenthesis: '(' is never closed");
	free(t);
}

/* ---- $INCLUDE on the file system ---- */

static char tmp[256];

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	FILE *f = fopen(p, "w");
	if (!f) {
		perror(p);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static int parse_file(const char *rel, const dnsd_zf_opts *o)
{
	char p[512];
	dnsd_zf_opts d = opts();
	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	reset();
	return dnsd_zonefile_parse(p, o ? o : &d, on_rr, NULL, &res);
}

static void test_include_fs(void)
{
	char p[512], q[512];
	snprintf(tmp, sizeof tmp, "/tmp/test_zonefile.XXXXXX");
	if (!mkdtemp(tmp)) {
		CHECK(0);
		return;
	}
	snprintf(p, sizeof p, "%s/zones", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/zones/sub", tmp);
	mkdir(p, 0755);
	put("outside.zone", "evil A 6.6.6.6\n");
	put("zones/sub/hosts", "h1 A 10.0.0.1\n"
	                       "$INCLUDE more ; relative to this file\n"
	                       "$ORIGIN changed.\n"
	                       "h2 A 10.0.0.2\n");
	put("zones/sub/more", "m A 10.0.0.3\n");
	put("zones/main.zone", "$TTL 60\n"
	                       "top A 10.0.0.9\n"
	                       "$INCLUDE sub/hosts in.example.\n"
	                       "  A 10.0.0.10\n"
	                       "after A 10.0.0.11\n");
	CHECK_INT(parse_file("zones/main.zone", NULL), 0);
	CHECK_INT(ndiag, 0);
	CHECK_INT(nrec, 6);
	EXPECT_REC(0, "top.example.", DNSD_TYPE_A, 60, "10.0.0.9");
	EXPECT_REC(1, "h1.in.example.", DNSD_TYPE_A, 60, "10.0.0.1");
	EXPECT_REC(2, "m.in.example.", DNSD_TYPE_A, 60, "10.0.0.3");
	EXPECT_REC(3, "h2.changed.", DNSD_TYPE_A, 60, "10.0.0.2");
	/* origin and owner come back after the $INCLUDE */
	EXPECT_REC(4, "top.example.", DNSD_TYPE_A, 60, "10.0.0.10");
	EXPECT_REC(5, "after.example.", DNSD_TYPE_A, 60, "10.0.0.11");
	snprintf(p, sizeof p, "%s/zones/sub/hosts", tmp);
	CHECK_STR(recs[1].file, p);
	CHECK_INT(recs[3].line, 4);
	snprintf(p, sizeof p, "%s/zones/sub/more", tmp);
	CHECK_STR(recs[2].file, p);

	/* escapes: "..", an absolute path, a symbolic link out */
	snprintf(p, sizeof p, "%s/outside.zone", tmp);
	snprintf(q, sizeof q, "%s/zones/link", tmp);
	CHECK_INT(symlink(p, q), 0);
	snprintf(q, sizeof q, "%s/zones/dirlink", tmp);
	CHECK_INT(symlink(tmp, q), 0);
	char text[1200];
	snprintf(text, sizeof text,
	         "$TTL 60\n"
	         "$INCLUDE ../outside.zone\n"
	         "$INCLUDE %s/outside.zone\n"
	         "$INCLUDE link\n"
	         "$INCLUDE dirlink/outside.zone\n"
	         "$INCLUDE sub/../../outside.zone\n"
	         "$INCLUDE sub/../sub/more\n"
	         "$INCLUDE %s/zones/sub/more\n"
	         "$INCLUDE missing\n",
	         tmp, tmp);
	put("zones/esc.zone", text);
	CHECK_INT(parse_file("zones/esc.zone", NULL), DNSD_ESYNTAX);
	CHECK_INT(ndiag, 6);
	EXPECT_DIAG(0, 2, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(1, 3, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(2, 4, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(3, 5, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(4, 6, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(5, 9, 10,
	            "cannot read $INCLUDE file 'missing': No such file or "
	            "directory");
	CHECK_INT(nrec, 2); /* the two ways to sub/more */
	snprintf(p, sizeof p, "%s/zones/esc.zone", tmp);
	CHECK_STR(diags[0].file, p);
	CHECK_STR(diags[0].text, "$INCLUDE ../outside.zone");

	/* root_dir widens (or narrows) the boundary */
	dnsd_zf_opts o = opts();
	o.root_dir = tmp;
	put("zones/up.zone", "$TTL 1\n$INCLUDE ../outside.zone\n");
	CHECK_INT(parse_file("zones/up.zone", &o), 0);
	CHECK_INT(nrec, 1);
	snprintf(p, sizeof p, "%s/zones/sub", tmp);
	o.root_dir = p;
	put("zones/down.zone", "$TTL 1\n$INCLUDE main.zone\n");
	CHECK_INT(parse_file("zones/down.zone", &o), DNSD_ESYNTAX);
	EXPECT_DIAG(0, 2, 10, "$INCLUDE path escapes the zone directory");

	/* a file that includes itself, directly or in a circle */
	put("zones/self.zone", "$TTL 1\na A 1.1.1.1\n$INCLUDE self.zone\n");
	CHECK_INT(parse_file("zones/self.zone", NULL), DNSD_ESYNTAX);
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(0, 3, 10,
	            "$INCLUDE loop: 'self.zone' is already being read");
	CHECK_INT(nrec, 1);
	put("zones/ping", "$INCLUDE pong\n");
	put("zones/pong", "$INCLUDE ping\n");
	CHECK_INT(parse_file("zones/ping", NULL), DNSD_ESYNTAX);
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(0, 1, 10, "$INCLUDE loop: 'ping' is already being read");
	snprintf(p, sizeof p, "%s/zones/pong", tmp);
	CHECK_STR(diags[0].file, p);

	/* nesting depth: d0 -> d1 -> ... */
	for (int i = 0; i < 12; i++) {
		char name[32], body[64];
		snprintf(name, sizeof name, "zones/d%d", i);
		snprintf(body, sizeof body,
		         "$TTL 1\nd%d A 1.1.1.1\n$INCLUDE d%d\n", i, i + 1);
		put(name, body);
	}
	put("zones/d12", "last A 1.1.1.1\n");
	CHECK_INT(parse_file("zones/d0", NULL), DNSD_ESYNTAX);
	CHECK_INT(nrec, 9); /* d0 and 8 levels below it */
	CHECK_INT(ndiag, 1);
	EXPECT_DIAG(0, 3, 1, "$INCLUDE nesting too deep (more than 8 levels)");
	snprintf(p, sizeof p, "%s/zones/d8", tmp);
	CHECK_STR(diags[0].file, p);
	o = opts();
	o.max_include_depth = 20;
	CHECK_INT(parse_file("zones/d0", &o), 0);
	CHECK_INT(nrec, 13);
	o.max_include_depth = 2;
	CHECK_INT(parse_file("zones/d0", &o), DNSD_ESYNTAX);
	CHECK_INT(nrec, 3);

	/* not a regular file */
	snprintf(p, sizeof p, "%s/zones/fifo", tmp);
	if (mkfifo(p, 0600) == 0) {
		put("zones/fifo.zone", "$INCLUDE fifo\n");
		CHECK_INT(parse_file("zones/fifo.zone", NULL), DNSD_ESYNTAX);
		EXPECT_DIAG(0, 1, 10,
		            "cannot read $INCLUDE file 'fifo': not a regular "
		            "file");
		unlink(p);
	}

	/* the top file missing */
	CHECK_INT(parse_file("zones/nope", NULL), DNSD_EIO);
	CHECK_INT(res.errors, 1);
	CHECK_INT(ndiag, 1);
	CHECK_INT(diags[0].line, 0);
	CHECK_STR(diags[0].msg,
	          "cannot read the file: No such file or directory");

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	CHECK_INT(system(cmd), 0);
}

/* ---- $INCLUDE through a read callback (git blobs) ---- */

static const struct blob {
	const char *path, *text;
} blobs[] = {
    {"zones/example", "$TTL 5\n$INCLUDE inc/a\n$INCLUDE ../secret\n"
                      "$INCLUDE /etc/passwd\n$INCLUDE inc/../../x\n"
                      "$INCLUDE inc/./a 9.example.\n$INCLUDE nothere\n"},
    {"zones/inc/a", "a A 10.0.0.1\n"},
    {"secret", "s A 6.6.6.6\n"},
};

static int reads;

static int read_blob(void *ctx, const char *path, char **buf, size_t *len)
{
	(void)ctx;
	reads++;
	for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++) {
		if (strcmp(blobs[i].path, path) == 0) {
			*len = strlen(blobs[i].text);
			*buf = malloc(*len + 1);
			memcpy(*buf, blobs[i].text, *len + 1);
			return 0;
		}
	}
	return DNSD_ENOTFOUND;
}

static void test_include_callback(void)
{
	dnsd_zf_opts o = opts();
	o.read = read_blob;
	reads = 0;
	reset();
	int r = dnsd_zonefile_parse("zones/example", &o, on_rr, NULL, &res);
	CHECK_INT(r, DNSD_ESYNTAX);
	CHECK_INT(reads, 4); /* top, inc/a twice, nothere */
	CHECK_INT(nrec, 2);
	EXPECT_REC(0, "a.example.", DNSD_TYPE_A, 5, "10.0.0.1");
	EXPECT_REC(1, "a.9.example.", DNSD_TYPE_A, 5, "10.0.0.1");
	CHECK_STR(recs[0].file, "zones/inc/a");
	CHECK_INT(ndiag, 4);
	EXPECT_DIAG(0, 3, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(1, 4, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(2, 5, 10, "$INCLUDE path escapes the zone directory");
	EXPECT_DIAG(3, 7, 10, "cannot read $INCLUDE file 'nothere': not found");
	CHECK_STR(diags[3].file, "zones/example");

	/* the top file through the callback too */
	reset();
	r = dnsd_zonefile_parse("nowhere", &o, on_rr, NULL, &res);
	CHECK_INT(r, DNSD_EIO);
	CHECK_INT(ndiag, 1);
	CHECK_STR(diags[0].msg, "cannot read the file: not found");
}

/* ---- files in tests/data/zonefile ---- */

static void test_data_files(void)
{
	dnsd_zf_opts o = opts();
	reset();
	int r = dnsd_zonefile_parse(DNSD_TEST_DATA "/zonefile/example.zone", &o,
	                            on_rr, NULL, &res);
	CHECK_INT(r, 0);
	CHECK_INT(ndiag, 0);
	CHECK_INT(nrec, 9);
	EXPECT_REC(0, "example.", DNSD_TYPE_SOA, 3600,
	           "ns1.example. hostmaster.example. 2024060101 7200 3600 "
	           "1209600 300");
	EXPECT_REC(8, "host2.hosts.example.", DNSD_TYPE_AAAA, 300,
	           "2001:db8::2");

	reset();
	r = dnsd_zonefile_parse(DNSD_TEST_DATA "/zonefile/errors.zone", &o,
	                        on_rr, NULL, &res);
	CHECK_INT(r, DNSD_ESYNTAX);
	CHECK_INT(ndiag, 4);
	EXPECT_DIAG(0, 4, 8, "expected an IPv4 address, found '1.2.3'");
	CHECK_STR(diags[0].file, DNSD_TEST_DATA "/zonefile/errors.zone");
	EXPECT_DIAG(1, 5, 5, "class CH is not supported, only IN");
	EXPECT_DIAG(2, 6, 5, "unknown RR type 'FOO'");
	EXPECT_DIAG(3, 7, 10, "$INCLUDE path escapes the zone directory");
}

/* ---- printing ---- */

static char *print(const dnsd_diag *d)
{
	static char out[2048];
	memset(out, 0, sizeof out);
	FILE *f = fmemopen(out, sizeof out - 1, "w");
	dnsd_diag_print(f, d);
	fclose(f);
	return out;
}

static void test_print(void)
{
	dnsd_diag d = {
	    .severity = DNSD_DIAG_ERROR,
	    .file = "db.example",
	    .line = 12,
	    .col = 7,
	    .msg = "expected an IPv4 address, found '1.2.3'",
	    .text = "www\tA 1.2.3\n",
	    .text_len = 11,
	};
	CHECK_STR(print(&d),
	          "db.example:12:7: error: expected an IPv4 address, found "
	          "'1.2.3'\n"
	          "  www\tA 1.2.3\n"
	          "     \t  ^\n");
	d.severity = DNSD_DIAG_WARNING;
	d.col = 0;
	CHECK_STR(print(&d), "db.example:12: warning: expected an IPv4 "
	                     "address, found '1.2.3'\n"
	                     "  www\tA 1.2.3\n");
	d.line = 0;
	d.severity = DNSD_DIAG_ERROR;
	d.msg = "cannot read";
	CHECK_STR(print(&d), "db.example: error: cannot read\n");
	/* control octets shown as '?', UTF-8 takes one column */
	dnsd_diag u = {.file = "f",
	               .line = 1,
	               .col = 6,
	               .msg = "m",
	               .text = "\xc3\xa9\001b c",
	               .text_len = 6};
	CHECK_STR(print(&u), "f:1:6: error: m\n"
	                     "  \xc3\xa9?b c\n"
	                     "      ^\n");
	/* a long line shows a window around the column */
	char line[400];
	memset(line, 'x', sizeof line);
	line[300] = 'Y';
	dnsd_diag l = {.file = "f",
	               .line = 2,
	               .col = 301,
	               .msg = "m",
	               .text = line,
	               .text_len = sizeof line};
	char *s = print(&l);
	CHECK(strstr(s, "  ...xxx") != NULL);
	char *caret = strchr(s, '^');
	char *y = strchr(s, 'Y');
	char *nl = y ? strchr(y, '\n') : NULL;
	/* the caret sits under the Y */
	CHECK(caret && y && nl && caret - (nl + 1) == y - strchr(s, '\n') - 1);
}

static void test_print_from_parser(void)
{
	/* diag == NULL prints to stderr: only check it does not crash */
	dnsd_zf_opts o = {.origin = example};
	dnsd_zf_result r2;
	const char *t = "$TTL 1\nbad A 1.2.3\n";
	CHECK_INT(dnsd_zonefile_parse_mem("stderr-test", t, strlen(t), &o, NULL,
	                                  NULL, &r2),
	          DNSD_ESYNTAX);
	CHECK_INT(r2.errors, 1);
	/* without an origin there is nothing to parse against */
	o.origin = NULL;
	CHECK_INT(
	    dnsd_zonefile_parse_mem("x", t, strlen(t), &o, NULL, NULL, &r2),
	    DNSD_EINVAL);
	/* an empty buffer is an empty zone */
	CHECK_INT(parse_o(NULL, 0, NULL), 0);
	CHECK_INT(nrec, 0);
}

int main(void)
{
	dnsd_name_from_text("example.", 8, NULL, example);
	test_basic();
	test_origin();
	test_ttl_class_order();
	test_owner_inherit();
	test_parentheses();
	test_quoted();
	test_escapes();
	test_generic();
	test_crlf_and_fast_paths();
	test_ttl_rules();
	test_header_errors();
	test_rdata_errors();
	test_lexer_errors();
	test_directive_errors();
	test_generate();
	test_many_errors();
	test_nul_bytes();
	test_sink_error();
	test_huge();
	test_include_fs();
	test_include_callback();
	test_data_files();
	test_print();
	test_print_from_parser();
	return tap_done();
}
