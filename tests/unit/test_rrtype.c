/* Unit tests for rrtype.c: the type table, text <-> wire for every type,
 * decompression and compression rules, canonical order, the errors the
 * zone-file parser shows, and the small helpers (TTLs, serials, SOA).
 *
 * The expected wire forms in the round-trip table were checked against
 * dnspython (an independent implementation); those of A, MX, SOA, TXT,
 * SVCB, LOC and NSEC are also spelled out octet by octet below. */
#include "tap.h"

#include <dnsd/rrtype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cuts text into tokens as the zone-file lexer does: whitespace separates,
 * "..." is one quoted token (quotes removed, escapes kept), a quote ends
 * an unquoted word, a backslash takes the next character. */
static size_t lex(const char *s, dnsd_token *t, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		bool q = *s == '"';
		const char *b = q ? ++s : s;
		while (*s &&
		       (q ? *s != '"' : *s != ' ' && *s != '\t' && *s != '"')) {
			if (*s == '\\' && s[1])
				s++;
			s++;
		}
		t[n++] = (dnsd_token){b, (uint32_t)(s - b), 1,
		                      (uint32_t)(b - s) + 1, q};
		if (q && *s)
			s++;
	}
	return n;
}

static const uint8_t origin[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};

static uint16_t type_of(const char *name)
{
	uint16_t t = 0;
	if (dnsd_rrtype_from_text(name, strlen(name), &t) < 0) {
		fprintf(stderr, "unknown type %s\n", name);
		abort();
	}
	return t;
}

/* Parses text as RDATA of type; returns the length or the error. */
static int parse(uint16_t type, const char *text, uint8_t *out, size_t cap,
                 dnsd_rdata_error *e)
{
	static dnsd_token toks[40000];
	dnsd_rdata_error tmp;
	size_t n = lex(text, toks, 40000);
	return dnsd_rdata_from_text(type, toks, n, origin, out, cap,
	                            e ? e : &tmp);
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static const char *tohex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
	return out;
}

/* ---- round trips: input text, canonical text, wire form ---- */

struct rt {
	const char *type, *in, *text, *hex;
};

static const struct rt cases[] = {
    {"A", "192.0.2.1", "192.0.2.1", "c0000201"},
    {"NS", "ns1.example.com.", "ns1.example.com.",
     "036e7331076578616d706c6503636f6d00"},
    {"MD", "md.example.", "md.example.", "026d64076578616d706c6500"},
    {"MF", "mf.example.", "mf.example.", "026d66076578616d706c6500"},
    {"CNAME", "www", "www.example.", "03777777076578616d706c6500"},
    {"SOA", "ns.example.com. hostmaster.example.com. 2024010101 1h 15m 2w 300",
     "ns.example.com. hostmaster.example.com. 2024010101 3600 900 1209600 300",
     "026e73076578616d706c6503636f6d000a686f73746d6173746572076578616d706c65036"
     "36f6d0078a3f17500000e1000000384001275000000012c"},
    {"MB", "mb.example.", "mb.example.", "026d62076578616d706c6500"},
    {"MG", "mg.example.", "mg.example.", "026d67076578616d706c6500"},
    {"MR", "mr.example.", "mr.example.", "026d72076578616d706c6500"},
    {"PTR", "host.example.", "host.example.", "04686f7374076578616d706c6500"},
    {"HINFO", "\"PC\" \"Linux os\"", "\"PC\" \"Linux os\"",
     "025043084c696e7578206f73"},
    {"MINFO", "rmail.example. email.example.", "rmail.example. email.example.",
     "05726d61696c076578616d706c650005656d61696c076578616d706c6500"},
    {"MX", "10 mail.example.com.", "10 mail.example.com.",
     "000a046d61696c076578616d706c6503636f6d00"},
    {"TXT", "\"a\\\"b\\\\c\" \"\\001\\255\" foo bar",
     "\"a\\\"b\\\\c\" \"\\001\\255\" \"foo\" \"bar\"",
     "056122625c630201ff03666f6f03626172"},
    {"RP", "mbox.example.com. .", "mbox.example.com. .",
     "046d626f78076578616d706c6503636f6d0000"},
    {"AFSDB", "1 afs.example.", "1 afs.example.",
     "000103616673076578616d706c6500"},
    {"RT", "10 relay.example.", "10 relay.example.",
     "000a0572656c6179076578616d706c6500"},
    {"SIG",
     "A 8 2 3600 20340101000000 20231201000000 12345 example.com. AAAABBBB",
     "A 8 2 3600 20340101000000 20231201000000 12345 example.com. AAAABBBB",
     "0001080200000e107861f800656922003039076578616d706c6503636f6d0000000004104"
     "1"},
    {"KEY", "256 3 8 AwEAAQ==", "256 3 8 AwEAAQ==", "0100030803010001"},
    {"PX", "10 map822.example. mapx400.example.",
     "10 map822.example. mapx400.example.",
     "000a066d6170383232076578616d706c6500076d617078343030076578616d706c6500"},
    {"AAAA", "2001:db8::1", "2001:db8::1", "20010db8000000000000000000000001"},
    {"LOC", "42 21 43.952 N 71 5 6.344 W -24m 1m 200m",
     "42 21 43.952 N 71 5 6.344 W -24.00m 1m 200m 10m",
     "001224138917069070bf2dd800988d20"},
    {"LOC", "42 21 54 N 71 06 18 W -24m 30m",
     "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m",
     "0033161389172dd070be15f000988d20"},
    {"LOC", "52 14 05 N 00 08 50 E 10m",
     "52 14 5.000 N 0 8 50.000 E 10.00m 1m 10000m 10m",
     "001216138b3556c88008165000989a68"},
    {"LOC", "32 7 19 S 116 2 25 E 10m",
     "32 7 19.000 S 116 2 25.000 E 10.00m 1m 10000m 10m",
     "00121613791b7d2898e6486800989a68"},
    {"LOC", "42 21 28.764 N 71 00 51.617 W -44m 2000m",
     "42 21 28.764 N 71 0 51.617 W -44.00m 2000m 10000m 10m",
     "002516138916cb3c70c310df00988550"},
    {"LOC", "0 N 0 E 0", "0 0 0.000 N 0 0 0.000 E 0.00m 1m 10000m 10m",
     "00121613800000008000000000989680"},
    {"LOC", "90 S 180 W 42849672.95m 90000000m 0.01m 0m",
     "90 0 0.000 S 180 0 0.000 W 42849672.95m 90000000m 0.01m 0.00m",
     "009910006cb0270059604e00ffffffff"},
    {"NXT", "next.example. A MX NXT", "next.example. A MX NXT",
     "046e657874076578616d706c650040010002"},
    {"SRV", "0 5 5060 sip.example.com.", "0 5 5060 sip.example.com.",
     "0000000513c403736970076578616d706c6503636f6d00"},
    {"NAPTR", "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
     "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
     "0064000a0153075349502b44325500045f736970045f756470076578616d706c6503636f6"
     "d00"},
    {"KX", "10 kx.example.", "10 kx.example.", "000a026b78076578616d706c6500"},
    {"CERT", "PKIX 0 0 AAAA", "PKIX 0 0 AAAA", "0001000000000000"},
    {"CERT", "1 0 RSASHA256 AAAA", "PKIX 0 8 AAAA", "0001000008000000"},
    {"DNAME", "target.example.", "target.example.",
     "06746172676574076578616d706c6500"},
    {"DS", "60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118",
     "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
     "ec4505012bb183af5f22588179a53b0a98631fad1a292118"},
    {"SSHFP", "1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac",
     "1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC",
     "0101dd465c09cfa51fb45020cc83316fff21b9ec74ac"},
    {"RRSIG",
     "A RSASHA256 2 3600 20340101000000 1701388800 12345 example.com. AAAA "
     "BBBB",
     "A 8 2 3600 20340101000000 20231201000000 12345 example.com. AAAABBBB",
     "0001080200000e107861f800656922003039076578616d706c6503636f6d0000000004104"
     "1"},
    {"NSEC", "host.example.com. A MX RRSIG NSEC TYPE1234",
     "host.example.com. A MX RRSIG NSEC TYPE1234",
     "04686f7374076578616d706c6503636f6d000006400100000003041b00000000000000000"
     "0000000000000000000000000000000000020"},
    {"NSEC", "host.example.com.", "host.example.com.",
     "04686f7374076578616d706c6503636f6d00"},
    {"DNSKEY", "257 3 8 AwEAAag A AQ==", "257 3 8 AwEAAagAAQ==",
     "0101030803010001a80001"},
    {"DHCID", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
     "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
     "000201636fc0b8271c82825bb1ac5c41cf5351aa69b4febd94e8f17cdb95000da48c40"},
    {"NSEC3", "1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
     "1 1 12 AABBCCDD 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG",
     "0101000c04aabbccdd1417f3df17b2b2adaef615257de4d2020b80ac6c7c0006400000000"
     "002"},
    {"NSEC3PARAM", "1 0 0 -", "1 0 0 -", "0100000000"},
    {"TLSA", "3 1 1 ab cd ef", "3 1 1 ABCDEF", "030101abcdef"},
    {"SMIMEA", "3 0 0 0102", "3 0 0 0102", "0300000102"},
    {"CDS", "0 0 0 00", "0 0 0 00", "0000000000"},
    {"CDNSKEY", "0 3 0 AA==", "0 3 0 AA==", "0000030000"},
    {"OPENPGPKEY", "AQIDBA==", "AQIDBA==", "01020304"},
    {"CSYNC", "66 3 A NS AAAA", "66 3 A NS AAAA", "000000420003000460000008"},
    {"ZONEMD",
     "2018031500 1 1 "
     "FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B9"
     "7AE499FAFA4F22C6BD647DE",
     "2018031500 1 1 "
     "FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B9"
     "7AE499FAFA4F22C6BD647DE",
     "7848b78c0101febe3d4ce2ec2ffa4ba99d46cd69d6d29711e55217057bee7eb1a7b641a47"
     "ba7fed2dd5b97ae499fafa4f22c6bd647de"},
    {"SVCB",
     "1 foo.example.com. port=8443 alpn=\"h2,h3\" ipv4hint=1.2.3.4,5.6.7.8 "
     "mandatory=ipv4hint,alpn "
     "ech=AEn+DQBFKwAgACABWIHUGj4u+"
     "PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50ZXN0LmV4YW1wbG"
     "UAAA== key667=\"hello\\210qoo\" no-default-alpn ipv6hint=2001:db8::1 "
     "dohpath=/dns-query{?dns}",
     "1 foo.example.com. mandatory=alpn,ipv4hint alpn=\"h2,h3\" "
     "no-default-alpn port=8443 ipv4hint=1.2.3.4,5.6.7.8 "
     "ech=AEn+DQBFKwAgACABWIHUGj4u+"
     "PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50ZXN0LmV4YW1wbG"
     "UAAA== ipv6hint=2001:db8::1 key7=\"/dns-query{?dns}\" "
     "key667=\"hello\\210qoo\"",
     "000103666f6f076578616d706c6503636f6d0000000004000100040001000602683202683"
     "3000200000003000220fb0004000801020304050607080005004c0049fe0d00452b002000"
     "20015881d41a3e2ef8f2208185dc479245d20624ddd0918a8056f2e26af47e26280008000"
     "100010001000340127075626c69632e746573742e6578616d706c6500000006001020010d"
     "b8000000000000000000000001000700102f646e732d71756572797b3f646e737d029b000"
     "968656c6c6fd2716f6f"},
    {"HTTPS", "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\" key65000 ohttp",
     "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\" key8 key65000",
     "0001000001000c08665c6f6f2c62617202683200080000fde80000"},
    {"HTTPS", "0 svc.example.", "0 svc.example.",
     "000003737663076578616d706c6500"},
    {"SPF", "\"v=spf1 -all\"", "\"v=spf1 -all\"", "0b763d73706631202d616c6c"},
    {"EUI48", "00-00-5e-00-53-2a", "00-00-5e-00-53-2a", "00005e00532a"},
    {"EUI64", "00-00-5e-ef-10-00-00-2a", "00-00-5e-ef-10-00-00-2a",
     "00005eef1000002a"},
    {"TKEY", "hmac-sha256. 1700000000 1700003600 3 0 4 AQIDBA== 0",
     "hmac-sha256. 1700000000 1700003600 3 0 4 AQIDBA== 0",
     "0b686d61632d736861323536006553f1006553ff10000300000004010203040000"},
    {"TSIG", "hmac-sha256. 1700000000 300 4 AQIDBA== 4321 0 0",
     "hmac-sha256. 1700000000 300 4 AQIDBA== 4321 0 0",
     "0b686d61632d7368613235360000006553f100012c00040102030410e100000000"},
    {"URI", "10 1 \"ftp://ftp1.example.com/public\"",
     "10 1 \"ftp://ftp1.example.com/public\"",
     "000a00016674703a2f2f667470312e6578616d706c652e636f6d2f7075626c6963"},
    {"CAA", "0 issue \"letsencrypt.org\"", "0 issue \"letsencrypt.org\"",
     "000569737375656c657473656e63727970742e6f7267"},
    {"CAA", "128 tbs \"Unknown \\\"x\"", "128 tbs \"Unknown \\\"x\"",
     "8003746273556e6b6e6f776e202278"},
    {"DLV", "60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118",
     "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
     "ec4505012bb183af5f22588179a53b0a98631fad1a292118"},
    {"TYPE65534", "\\# 3 abcdef", "\\# 3 ABCDEF", "abcdef"},
    {"TYPE65534", "\\# 0", "\\# 0", ""},
    {"A", "\\# 4 01020304", "1.2.3.4", "01020304"},
    {"OPT", "\\# 8 000a000401020304", "\\# 8 000A000401020304",
     "000a000401020304"},
    {"AXFR", "\\# 0", "\\# 0", ""},
    {"IXFR", "\\# 0", "\\# 0", ""},
    {"MAILA", "\\# 0", "\\# 0", ""},
    {"MAILB", "\\# 0", "\\# 0", ""},
    {"ANY", "\\# 2 abcd", "\\# 2 ABCD", "abcd"},
};

#define NCASES (sizeof cases / sizeof cases[0])

static uint8_t wire[70000], wire2[70000];
static char text[300000], hexbuf[140001];

static void round_trip(const struct rt *c)
{
	uint16_t type = type_of(c->type);
	dnsd_rdata_error e;
	int len = parse(type, c->in, wire, sizeof wire, &e);
	if (len < 0) {
		fprintf(stderr, "%s %s: %s\n", c->type, c->in, e.msg);
		CHECK(len >= 0);
		return;
	}
	/* text -> wire gives the known octets */
	CHECK_STR(tohex(wire, (size_t)len, hexbuf), c->hex);
	/* wire -> text gives the canonical text */
	int tl = dnsd_rdata_to_text(type, wire, (size_t)len, false, text,
	                            sizeof text);
	CHECK(tl >= 0);
	CHECK_STR(text, c->text);
	CHECK_INT(tl, strlen(c->text));
	/* canonical text -> wire gives the same octets */
	CHECK_INT(parse(type, c->text, wire2, sizeof wire2, NULL), len);
	CHECK(memcmp(wire, wire2, (size_t)len) == 0);
	/* wire -> wire validates, copies, and moves the cursor to the end */
	dnsd_wire w;
	dnsd_wire_init_read(&w, wire, (size_t)len);
	CHECK_INT(
	    dnsd_rdata_from_wire(type, &w, (size_t)len, wire2, sizeof wire2),
	    len);
	CHECK_INT(w.pos, len);
	CHECK(memcmp(wire, wire2, (size_t)len) == 0);
	/* output without compression is the RDATA itself */
	uint8_t out[2048];
	dnsd_wire_init_write(&w, out, sizeof out);
	dnsd_rdata_to_wire(type, wire, (size_t)len, &w, NULL);
	CHECK_INT(w.pos, len);
	CHECK(memcmp(out, wire, (size_t)len) == 0);
	/* the RFC 3597 form reads back to the same octets */
	tl = dnsd_rdata_to_text(type, wire, (size_t)len, true, text,
	                        sizeof text);
	CHECK(tl >= 0 && strncmp(text, "\\# ", 3) == 0);
	CHECK_INT(parse(type, text, wire2, sizeof wire2, NULL), len);
	CHECK(memcmp(wire, wire2, (size_t)len) == 0);
	CHECK_INT(dnsd_rdata_cmp(type, wire, (size_t)len, wire2, (size_t)len),
	          0);
}

static bool case_for(uint16_t type)
{
	char buf[16];
	const char *name = dnsd_rrtype_to_text(type, buf);
	for (size_t i = 0; i < NCASES; i++)
		if (strcmp(cases[i].type, name) == 0)
			return true;
	return false;
}

static void test_round_trips(void)
{
	for (size_t i = 0; i < NCASES; i++)
		round_trip(&cases[i]);
	/* every row of the table has at least one case */
	for (unsigned t = 0; t < 65536; t++)
		if (dnsd_rrtype_info_get((uint16_t)t) &&
		    !case_for((uint16_t)t)) {
			fprintf(stderr, "no round-trip case for type %u\n", t);
			CHECK(false);
		}
}

/* ---- wire forms written out by hand ---- */

static void expect_wire(const char *type, const char *in, const uint8_t *exp,
                        size_t n)
{
	dnsd_rdata_error e;
	int len = parse(type_of(type), in, wire, sizeof wire, &e);
	CHECK_INT(len, n);
	if (len == (int)n)
		CHECK(memcmp(wire, exp, n) == 0);
	else
		fprintf(stderr, "%s %s: %s\n", type, in, len < 0 ? e.msg : "");
}

#define EXPECT_WIRE(type, in, ...)                                             \
	do {                                                                   \
		static const uint8_t exp_[] = {__VA_ARGS__};                   \
		expect_wire(type, in, exp_, sizeof exp_);                      \
	} while (0)

#define EXAMPLE 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e'

static void test_hand_wire(void)
{
	EXPECT_WIRE("A", "192.0.2.1", 192, 0, 2, 1);
	EXPECT_WIRE("MX", "10 mail.example.com.", 0, 10, 4, 'm', 'a', 'i', 'l',
	            EXAMPLE, 3, 'c', 'o', 'm', 0);
	/* relative names complete with the origin */
	EXPECT_WIRE("MX", "20 mail", 0, 20, 4, 'm', 'a', 'i', 'l', EXAMPLE, 0);
	EXPECT_WIRE("SOA", "ns @ 2024010101 1h 15m 2w 300", 2, 'n', 's',
	            EXAMPLE, 0, EXAMPLE, 0, 0x78, 0xa3, 0xf1, 0x75, 0, 0, 0x0e,
	            0x10, 0, 0, 0x03, 0x84, 0, 0x12, 0x75, 0x00, 0, 0, 0x01,
	            0x2c);
	EXPECT_WIRE("TXT", "\"ab\" c \"\"", 2, 'a', 'b', 1, 'c', 0);
	/* keys sorted into increasing order whatever the text order */
	EXPECT_WIRE("SVCB", "1 . port=53 alpn=h2 mandatory=alpn", 0, 1, 0, /* */
	            0, 0, 0, 2, 0, 1,        /* mandatory=alpn */
	            0, 1, 0, 3, 2, 'h', '2', /* alpn=h2 */
	            0, 3, 0, 2, 0, 53);      /* port=53 */
	EXPECT_WIRE("HTTPS", "0 svc", 0, 0, 3, 's', 'v', 'c', EXAMPLE, 0);
	/* RFC 1876 example: 42 21 54 N = 2^31 + 152514000 thousandths of
	 * a second, 71 06 18 W = 2^31 - 256578000, -24m = 10^7 - 2400 cm,
	 * size 30m = 3e3 cm, defaults hp 1e6 cm, vp 1e3 cm */
	EXPECT_WIRE("LOC", "42 21 54 N 71 06 18 W -24m 30m", 0, 0x33, 0x16,
	            0x13, 0x89, 0x17, 0x2d, 0xd0, 0x70, 0xbe, 0x15, 0xf0, 0x00,
	            0x98, 0x8d, 0x20);
	/* A=1, MX=15 in window 0 octets 0-1, RRSIG=46 and NSEC=47 in octet 5;
	 * TYPE1234 = window 4, octet 26, bit 2 */
	EXPECT_WIRE("NSEC", "a.example. A MX RRSIG NSEC TYPE1234", 1, 'a',
	            EXAMPLE, 0, 0, 6, 0x40, 0x01, 0, 0, 0, 0x03, 4, 27, 0, 0, 0,
	            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	            0, 0, 0, 0x20);
	EXPECT_WIRE("NSEC3PARAM", "1 0 10 -", 1, 0, 0, 10, 0);
	EXPECT_WIRE("CAA", "0 issue \"ca.example\"", 0, 5, 'i', 's', 's', 'u',
	            'e', 'c', 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e');
	/* the URI target is the rest of the RDATA, no length octet */
	EXPECT_WIRE("URI", "1 2 \"a\"", 0, 1, 0, 2, 'a');
	EXPECT_WIRE("TYPE65534", "\\# 3 ab CD ef", 0xab, 0xcd, 0xef);
}

/* ---- TXT: long strings split at 255 octets, quoting on output ---- */

static void test_txt(void)
{
	char in[1200], exp[1200];
	dnsd_rdata_error e;
	int len;

	memset(in, 'a', 300);
	in[300] = 0;
	len = parse(DNSD_TYPE_TXT, in, wire, sizeof wire, &e);
	CHECK_INT(len, 302);
	CHECK_INT(wire[0], 255);
	CHECK_INT(wire[256], 45);
	dnsd_rdata_to_text(DNSD_TYPE_TXT, wire, (size_t)len, false, text,
	                   sizeof text);
	snprintf(exp, sizeof exp, "\"%.255s\" \"%.45s\"", in, in);
	CHECK_STR(text, exp);

	/* exactly 255: one string; 510: two, no empty third */
	in[255] = 0;
	CHECK_INT(parse(DNSD_TYPE_TXT, in, wire, sizeof wire, NULL), 256);
	memset(in, 'b', 510);
	in[510] = 0;
	CHECK_INT(parse(DNSD_TYPE_TXT, in, wire, sizeof wire, NULL), 512);
	CHECK_INT(wire[256], 255);

	/* the split counts octets after escapes: 256 x \065 -> 255 + 1 */
	exp[0] = '"';
	for (int i = 0; i < 256; i++)
		memcpy(exp + 1 + 4 * i, "\\065", 4);
	memcpy(exp + 1 + 4 * 256, "\"", 2);
	CHECK_INT(parse(DNSD_TYPE_TXT, exp, wire, sizeof wire, NULL), 258);
	CHECK_INT(wire[0], 255);
	CHECK_INT(wire[256], 1);
	CHECK_INT(wire[257], 'A');

	/* quoting and escaping on output as BIND does */
	len = parse(DNSD_TYPE_TXT,
	            "\"a b\" x\\\"y \"semi;colon\" \"\\\\\" \"\\009\"", wire,
	            sizeof wire, &e);
	CHECK(len > 0);
	dnsd_rdata_to_text(DNSD_TYPE_TXT, wire, (size_t)len, false, text,
	                   sizeof text);
	CHECK_STR(text, "\"a b\" \"x\\\"y\" \"semi;colon\" \"\\\\\" \"\\009\"");

	/* a single-string type does not split: HINFO refuses 256 octets */
	memset(in, 'c', 256);
	snprintf(in + 256, sizeof in - 256, " x");
	len = parse(DNSD_TYPE_HINFO, in, wire, sizeof wire, &e);
	CHECK_INT(len, DNSD_ESYNTAX);
	CHECK_INT(e.tok, 0);
}

/* ---- RFC 3597 forms ---- */

static void test_generic(void)
{
	dnsd_rdata_error e;
	int len;

	/* unknown types print and read as \# */
	len = parse(65534, "\\# 3 abcdef", wire, sizeof wire, &e);
	CHECK_INT(len, 3);
	dnsd_rdata_to_text(65534, wire, 3, false, text, sizeof text);
	CHECK_STR(text, "\\# 3 ABCDEF");
	CHECK_INT(parse(65534, "\\# 0", wire, sizeof wire, &e), 0);
	CHECK_INT(dnsd_rdata_to_text(65534, wire, 0, false, text, sizeof text),
	          4);
	CHECK_STR(text, "\\# 0");
	/* known types read \# and print their own form */
	len = parse(DNSD_TYPE_MX, "\\# 5 000a016100", wire, sizeof wire, &e);
	CHECK_INT(len, 5);
	dnsd_rdata_to_text(DNSD_TYPE_MX, wire, 5, false, text, sizeof text);
	CHECK_STR(text, "10 a.");
	dnsd_rdata_to_text(DNSD_TYPE_MX, wire, 5, true, text, sizeof text);
	CHECK_STR(text, "\\# 5 000A016100");
	/* a quoted \# is not the generic form */
	dnsd_token q = {"\\#", 2, 1, 1, true};
	CHECK(dnsd_rdata_from_text(DNSD_TYPE_TXT, &q, 1, origin, wire,
	                           sizeof wire, &e) == 2);
	/* empty blobs have no presentation form of their own: \# */
	len = parse(DNSD_TYPE_DNSKEY, "\\# 4 01010308", wire, sizeof wire, &e);
	CHECK_INT(len, 4);
	dnsd_rdata_to_text(DNSD_TYPE_DNSKEY, wire, 4, false, text, sizeof text);
	CHECK_STR(text, "\\# 4 01010308");
	/* OPT has no text form besides \# */
	len = parse(DNSD_TYPE_OPT, "\\# 4 000a0000", wire, sizeof wire, &e);
	CHECK_INT(len, 4);
	dnsd_rdata_to_text(DNSD_TYPE_OPT, wire, 4, false, text, sizeof text);
	CHECK_STR(text, "\\# 4 000A0000");
}

/* ---- error messages: which token, what was expected, what was found ---- */

struct errcase {
	const char *type, *in;
	int rc;
	size_t tok;
	const char *msg;
};

static const struct errcase errcases[] = {
    {"A", "1.2.3", DNSD_ESYNTAX, 0, "expected an IPv4 address, found '1.2.3'"},
    {"A", "", DNSD_ESYNTAX, 0, "missing field: expected an IPv4 address"},
    {"A", "1.2.3.4 x", DNSD_ESYNTAX, 1, "trailing data: 'x'"},
    {"AAAA", "2001:db8::g", DNSD_ESYNTAX, 0,
     "expected an IPv6 address, found '2001:db8::g'"},
    {"MX", "70000 mx.", DNSD_ERANGE, 0,
     "expected a 16-bit number, found '70000'"},
    {"MX", "10", DNSD_ESYNTAX, 1, "missing field: expected a domain name"},
    {"MX", "-1 mx.", DNSD_ESYNTAX, 0, "expected a 16-bit number, found '-1'"},
    {"NS", "a..b.", DNSD_ESYNTAX, 0, "expected a domain name, found 'a..b.'"},
    {"NS", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
     DNSD_ESYNTAX, 0,
     "expected a domain name, found "
     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (label longer than 63)"},
    {"SSHFP", "256 1 ab", DNSD_ERANGE, 0,
     "expected an 8-bit number, found '256'"},
    {"CSYNC", "x 0", DNSD_ESYNTAX, 0, "expected a 32-bit number, found 'x'"},
    {"TSIG", "k. 281474976710656 300 0 0 0 0", DNSD_ERANGE, 1,
     "expected a 48-bit number, found '281474976710656'"},
    {"SOA", "ns. h. 1 2 3 4 1x", DNSD_ESYNTAX, 6,
     "expected a 32-bit number or a TTL, found '1x'"},
    {"SOA", "ns. h. 1 2 3 4", DNSD_ESYNTAX, 6,
     "missing field: expected a 32-bit number or a TTL"},
    {"TXT", "", DNSD_ESYNTAX, 0, "missing field: expected a character string"},
    {"TXT", "\"a\\9\"", DNSD_ESYNTAX, 0,
     "expected a character string, found a bad escape in 'a\\9'"},
    {"HINFO", "\"PC\"", DNSD_ESYNTAX, 1,
     "missing field: expected a character string of at most 255 octets"},
    {"URI", "1 2", DNSD_ESYNTAX, 2, "missing field: expected a string"},
    {"CAA", "0 is-sue \"x\"", DNSD_ESYNTAX, 1,
     "expected a CAA tag (letters and digits), found 'is-sue'"},
    {"DNSKEY", "257 3 8 A", DNSD_ESYNTAX, 3, "expected base64 data, found 'A'"},
    {"DNSKEY", "257 3 8 Aa==", DNSD_ESYNTAX, 3,
     "expected base64 data, found 'Aa=='"},
    {"DNSKEY", "257 3 8 AA== AA==", DNSD_ESYNTAX, 4,
     "expected base64 data, found 'AA=='"},
    {"DNSKEY", "257 3 8", DNSD_ESYNTAX, 3,
     "missing field: expected base64 data"},
    {"DNSKEY", "257 3 FOO AAAA", DNSD_ESYNTAX, 2,
     "expected an algorithm number or mnemonic, found 'FOO'"},
    {"DS", "1 8 2 abc", DNSD_ESYNTAX, 3, "expected hex data, found 'abc'"},
    {"DS", "1 8 2 ab xy", DNSD_ESYNTAX, 4, "expected hex data, found 'xy'"},
    {"NSEC3PARAM", "1 0 0 xyz", DNSD_ESYNTAX, 3,
     "expected a hex salt or '-', found 'xyz'"},
    {"NSEC3", "1 0 0 - ZZZ", DNSD_ESYNTAX, 4,
     "expected a base32hex hash, found 'ZZZ'"},
    {"NSEC3", "1 0 0 - 0", DNSD_ESYNTAX, 4,
     "expected a base32hex hash, found '0'"},
    {"NSEC", "a. A FOO", DNSD_ESYNTAX, 2, "expected an RR type, found 'FOO'"},
    {"NXT", "a. TYPE300", DNSD_ESYNTAX, 1,
     "expected an RR type from 1 to 127, found 'TYPE300'"},
    {"RRSIG", "A 8 2 3600 20231301000000 20231201000000 1 a. AAAA",
     DNSD_ESYNTAX, 4,
     "expected a time as YYYYMMDDHHmmSS or a number, found '20231301000000'"},
    {"RRSIG", "FOO 8 2 3600 1 2 1 a. AAAA", DNSD_ESYNTAX, 0,
     "expected an RR type, found 'FOO'"},
    {"CERT", "FOO 0 0 AAAA", DNSD_ESYNTAX, 0,
     "expected a certificate type number or mnemonic, found 'FOO'"},
    {"TSIG", "k. 1 300 5 AQIDBA== 1 0 0", DNSD_ESYNTAX, 4,
     "expected a length and base64 data of that length, found 'AQIDBA=='"},
    {"EUI48", "00-00-5e-00-53", DNSD_ESYNTAX, 0,
     "expected an EUI-48 address (xx-xx-xx-xx-xx-xx), found '00-00-5e-00-53'"},
    {"EUI64", "00-00-5e-ef-10-00-00-2x", DNSD_ESYNTAX, 0,
     "expected an EUI-64 address (xx-xx-xx-xx-xx-xx-xx-xx), found "
     "'00-00-5e-ef-10-00-00-2x'"},
    {"LOC", "91 N 0 E 0", DNSD_ESYNTAX, 0,
     "expected degrees of latitude (0-90), found '91'"},
    {"LOC", "42 21 43 X 71 W 0", DNSD_ESYNTAX, 3,
     "expected 'N' or 'S', found 'X'"},
    {"LOC", "42 60 N 71 W 0", DNSD_ESYNTAX, 1,
     "expected minutes (0-59), found '60'"},
    {"LOC", "42 1 60 N 71 W 0", DNSD_ESYNTAX, 2,
     "expected seconds (0-59.999), found '60'"},
    {"LOC", "90 1 N 71 W 0", DNSD_ERANGE, 2,
     "expected at most 90 degrees, found 'N'"},
    {"LOC", "42 N 181 W 0", DNSD_ESYNTAX, 2,
     "expected degrees of longitude (0-180), found '181'"},
    {"LOC", "42 N 71 W", DNSD_ESYNTAX, 4,
     "missing field: expected an altitude in meters (-100000.00 to "
     "42849672.95)"},
    {"LOC", "42 N 71 W foo", DNSD_ESYNTAX, 4,
     "expected an altitude in meters (-100000.00 to 42849672.95), found "
     "'foo'"},
    {"LOC", "42 N 71 W 0 1.001m", DNSD_ESYNTAX, 5,
     "expected a size in meters (0-90000000), found '1.001m'"},
    {"LOC", "42 N 71 W 0 1 2 90000001", DNSD_ESYNTAX, 7,
     "expected a precision in meters (0-90000000), found '90000001'"},
    {"SVCB", "1 . alpn=h2 alpn=h3", DNSD_ESYNTAX, 3,
     "expected each SvcParam key once, found 'alpn=h3' again"},
    {"SVCB", "1 . foo=1", DNSD_ESYNTAX, 2,
     "expected a SvcParam key, found 'foo=1'"},
    {"SVCB", "1 . key65535=1", DNSD_ESYNTAX, 2,
     "expected a SvcParam key, found 'key65535=1'"},
    {"SVCB", "1 . mandatory=port alpn=h2", DNSD_ESYNTAX, 2,
     "expected only keys that are present for SvcParam 'mandatory=port'"},
    {"SVCB", "1 . mandatory=mandatory", DNSD_ESYNTAX, 2,
     "expected a list of keys other than mandatory for SvcParam "
     "'mandatory=mandatory'"},
    {"SVCB", "1 . mandatory=alpn,alpn alpn=h2", DNSD_ESYNTAX, 2,
     "expected keys without duplicates for SvcParam "
     "'mandatory=alpn,alpn'"},
    {"SVCB", "1 . port=65536", DNSD_ESYNTAX, 2,
     "expected a port number for SvcParam 'port=65536'"},
    {"SVCB", "1 . no-default-alpn=x", DNSD_ESYNTAX, 2,
     "expected no value for SvcParam 'no-default-alpn=x'"},
    {"SVCB", "1 . alpn", DNSD_ESYNTAX, 2,
     "expected a value for SvcParam 'alpn'"},
    {"SVCB", "1 . alpn=h2,,h3", DNSD_ESYNTAX, 2,
     "expected protocol ids for SvcParam 'alpn=h2,,h3'"},
    {"SVCB", "1 . ipv4hint=1.2.3.4,::1", DNSD_ESYNTAX, 2,
     "expected IPv4 addresses for SvcParam 'ipv4hint=1.2.3.4,::1'"},
    {"SVCB", "1 . ipv6hint=1.2.3.4", DNSD_ESYNTAX, 2,
     "expected IPv6 addresses for SvcParam 'ipv6hint=1.2.3.4'"},
    {"SVCB", "1 . ech=!!", DNSD_ESYNTAX, 2,
     "expected base64 data for SvcParam 'ech=!!'"},
    {"SVCB", "1 . \"alpn=h2\"", DNSD_ESYNTAX, 2,
     "expected a SvcParam key, found 'alpn=h2'"},
    {"MX", "\\# 7 000a 0161 00 00", DNSD_ESYNTAX, 6,
     "expected 7 octets after \\# 7, found 6"},
    {"MX", "\\# 2 000a01", DNSD_ESYNTAX, 2,
     "expected 2 octets after \\# 2, found 3"},
    {"MX", "\\# x", DNSD_ESYNTAX, 1,
     "expected the RDATA length after \\#, found 'x'"},
    {"MX", "\\# 70000", DNSD_ESYNTAX, 1,
     "expected the RDATA length after \\#, found '70000'"},
    {"MX", "\\# 3 000a01", DNSD_ESYNTAX, 0,
     "expected MX RDATA after \\#, found data that does not fit"},
    {"MX", "\\# 1 0g", DNSD_ESYNTAX, 2, "expected hex data, found '0g'"},
    {"TYPE65534", "abc", DNSD_ESYNTAX, 0,
     "expected \\# and hex data for TYPE65534, found 'abc'"},
    {"TYPE65534", "", DNSD_ESYNTAX, 0,
     "missing field: expected \\# and hex data for TYPE65534"},
    {"OPT", "1", DNSD_ESYNTAX, 0,
     "expected \\# and hex data for OPT, found '1'"},
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof errcases / sizeof errcases[0]; i++) {
		const struct errcase *c = &errcases[i];
		dnsd_rdata_error e;
		int rc = parse(type_of(c->type), c->in, wire, sizeof wire, &e);
		CHECK_INT(rc, c->rc);
		CHECK_INT(e.tok, c->tok);
		CHECK_STR(e.msg, c->msg);
	}
	/* a buffer too small is DNSD_ESPACE, with a message */
	dnsd_rdata_error e;
	CHECK_INT(parse(DNSD_TYPE_TXT, "abcdef", wire, 4, &e), DNSD_ESPACE);
	CHECK_STR(e.msg, "RDATA longer than 4 octets");
	/* RDATA over 65535 octets */
	static char big[70000];
	for (size_t i = 0; i < 66000; i += 2)
		memcpy(big + i, "a ", 2);
	big[66000] = 0;
	CHECK_INT(parse(DNSD_TYPE_TXT, big, wire, sizeof wire, &e),
	          DNSD_ERANGE);
	CHECK_STR(e.msg, "RDATA longer than 65535 octets");
}

/* ---- compression on output: only RFC 1035 types ---- */

/* Writes a header and the owner example.com. (offset 12), then the RDATA
 * of text with compression on; compares what the RDATA became. */
static void compressed(const char *type, const char *in, const char *exphex)
{
	static const uint8_t hdr[12];
	static const uint8_t owner[] = {7,   'e', 'x', 'a', 'm', 'p', 'l',
	                                'e', 3,   'c', 'o', 'm', 0};
	uint8_t msg[1024], rd[512];
	dnsd_wire w;
	dnsd_compress comp;
	int len = parse(type_of(type), in, rd, sizeof rd, NULL);
	CHECK(len > 0);
	dnsd_wire_init_write(&w, msg, sizeof msg);
	dnsd_compress_init(&comp);
	dnsd_wire_put(&w, hdr, sizeof hdr);
	dnsd_name_to_wire(&w, owner, &comp);
	size_t at = w.pos;
	dnsd_rdata_to_wire(type_of(type), rd, (size_t)len, &w, &comp);
	CHECK_INT(w.err, 0);
	CHECK_STR(tohex(msg + at, w.pos - at, hexbuf), exphex);
	/* and reading it back decompresses to the original RDATA */
	dnsd_wire r;
	dnsd_wire_init_read(&r, msg, w.pos);
	r.pos = at;
	uint8_t back[512];
	CHECK_INT(dnsd_rdata_from_wire(type_of(type), &r, w.pos - at, back,
	                               sizeof back),
	          len);
	CHECK(memcmp(back, rd, (size_t)len) == 0);
}

static void test_compression(void)
{
	compressed("MX", "10 mail.example.com.", "000a046d61696cc00c");
	compressed("NS", "ns1.example.com.", "036e7331c00c");
	compressed("CNAME", "example.com.", "c00c");
	compressed("PTR", "a.example.com.", "0161c00c");
	compressed("SOA", "ns.example.com. h.example.com. 1 2 3 4 5",
	           "026e73c00c0168c00c"
	           "0000000100000002000000030000000400000005");
	compressed("MINFO", "a.example.com. b.example.com.",
	           "0161c00c0162c00c");
	compressed("MB", "a.example.com.", "0161c00c");
	/* may arrive compressed but are never sent so (RFC 3597 §4) */
	compressed("SRV", "0 0 53 a.example.com.",
	           "000000000035016107"
	           "6578616d706c6503636f6d00");
	compressed("RP", "example.com. example.com.",
	           "076578616d706c6503636f6d00076578616d706c6503636f6d00");
	compressed("NAPTR", "1 2 \"\" \"\" \"\" example.com.",
	           "00010002000000076578616d706c6503636f6d00");
	compressed("AFSDB", "1 example.com.", "0001076578616d706c6503636f6d00");
	/* never compressed at all */
	compressed("DNAME", "example.com.", "076578616d706c6503636f6d00");
	compressed("NSEC", "example.com. A",
	           "076578616d706c6503636f6d0000014"
	           "0");
	compressed("SVCB", "1 example.com.", "0001076578616d706c6503636f6d00");
	compressed("KX", "1 example.com.", "0001076578616d706c6503636f6d00");
	compressed("RRSIG", "A 8 2 1 1 1 1 example.com. AAAA",
	           "0001080200000001000000010000000100010765"
	           "78616d706c6503636f6d00000000");
}

/* ---- decompression on input: RFC 1035 types and RFC 3597 §4 ones ---- */

/* Message: header, example.com. at 12, then rdata (hex). exphex NULL:
 * from_wire must refuse it. */
static void decompressed(const char *type, const char *rdhex,
                         const char *exphex)
{
	uint8_t msg[600] = {0};
	static const uint8_t owner[] = {7,   'e', 'x', 'a', 'm', 'p', 'l',
	                                'e', 3,   'c', 'o', 'm', 0};
	memcpy(msg + 12, owner, sizeof owner);
	size_t rdlen = unhex(rdhex, msg + 25);
	dnsd_wire r;
	dnsd_wire_init_read(&r, msg, 25 + rdlen);
	r.pos = 25;
	uint8_t out[1024];
	int len =
	    dnsd_rdata_from_wire(type_of(type), &r, rdlen, out, sizeof out);
	if (!exphex) {
		CHECK(len < 0);
		CHECK(r.err < 0);
		if (len >= 0)
			fprintf(stderr, "%s %s accepted\n", type, rdhex);
		return;
	}
	CHECK(len >= 0);
	CHECK_INT(r.pos, 25 + rdlen);
	CHECK_STR(tohex(out, len > 0 ? (size_t)len : 0, hexbuf), exphex);
}

#define EXCOM "076578616d706c6503636f6d00"

static void test_decompression(void)
{
	decompressed("MX", "000a046d61696cc00c", "000a046d61696c" EXCOM);
	decompressed("NS", "c00c", EXCOM);
	decompressed("SOA",
	             "c00cc00c"
	             "0000000100000002000000030000000400000005",
	             EXCOM EXCOM "0000000100000002000000030000000400000005");
	decompressed("RP", "046d626f78c00cc00c", "046d626f78" EXCOM EXCOM);
	decompressed("AFSDB", "0001c00c", "0001" EXCOM);
	decompressed("RT", "0001c00c", "0001" EXCOM);
	decompressed("PX", "0001c00cc00c", "0001" EXCOM EXCOM);
	decompressed("SRV", "0000000513c403736970c00c",
	             "0000000513c4037369700765"
	             "78616d706c6503636f6d00");
	decompressed("NAPTR", "0064000a01530000c00c", "0064000a01530000" EXCOM);
	decompressed("NXT", "c00c40", EXCOM "40");
	decompressed("SIG",
	             "00010802000000010000000100000001000"
	             "1c00c00",
	             "00010802000000010000000100000001000"
	             "1" EXCOM "00");
	/* names that must arrive uncompressed */
	decompressed("NSEC", "c00c000140", NULL);
	decompressed("RRSIG", "000108020000000100000001000000010001c00c00",
	             NULL);
	decompressed("SVCB", "0001c00c", NULL);
	decompressed("DNAME", "c00c", NULL);
	decompressed("KX", "0001c00c", NULL);
	decompressed("TSIG", "c00c000000000001012c0000000000000000", NULL);
	/* pointer not strictly backwards, truncation, trailing octets */
	decompressed("MX", "000ac01b", NULL);
	decompressed("MX", "000a046d61", NULL);
	decompressed("MX", "000ac00cff", NULL);

	/* rdlen past the end of the message */
	uint8_t msg[4] = {1, 2, 3, 4}, out[16];
	dnsd_wire r;
	dnsd_wire_init_read(&r, msg, sizeof msg);
	CHECK_INT(dnsd_rdata_from_wire(DNSD_TYPE_A, &r, 5, out, sizeof out),
	          DNSD_EMALFORM);
	/* an error already on the cursor is returned as is */
	CHECK_INT(dnsd_rdata_from_wire(DNSD_TYPE_A, &r, 4, out, sizeof out),
	          DNSD_EMALFORM);
	/* out too small */
	dnsd_wire_init_read(&r, msg, sizeof msg);
	CHECK_INT(dnsd_rdata_from_wire(DNSD_TYPE_A, &r, 4, out, 3),
	          DNSD_ESPACE);
	/* no row: taken as opaque octets */
	dnsd_wire_init_read(&r, msg, sizeof msg);
	CHECK_INT(dnsd_rdata_from_wire(65534, &r, 3, out, sizeof out), 3);
	CHECK_INT(r.pos, 3);
}

/* ---- wire input that does not fit its type ---- */

static const struct {
	const char *type, *hex;
} badwire[] = {
    {"A", "c00002"},
    {"A", "c000020101"},
    {"AAAA", "20010db8"},
    {"TXT", ""},
    {"TXT", "05616263"},
    {"HINFO", "0141"},
    {"MX", "000a03616263"},
    {"MX", "000a40"},
    {"SOA", "0000000000010000000200000003"},
    {"NSEC", "000000"},         /* window with no octets */
    {"NSEC", "0000024000"},     /* trailing zero octet */
    {"NSEC", "00010140000140"}, /* windows out of order */
    {"NSEC", "000021"
             "0000000000000000000000000000000000000000000000"
             "00000000000000000001"}, /* 33 octets */
    {"NSEC3", "01000000000000"},      /* empty hash */
    {"NSEC3", "0100000002aa"},        /* salt longer than the data */
    {"SVCB", "00010000030002003500010003026832"},   /* keys out of order */
    {"SVCB", "0001000001000302683200010003026833"}, /* duplicate key */
    {"SVCB", "000100000000020000"},       /* mandatory lists mandatory */
    {"SVCB", "00010000000000020003"},     /* mandatory key not present */
    {"SVCB", "000100000300030001bb"},     /* port of 3 octets */
    {"SVCB", "0001000001000100"},         /* empty alpn id */
    {"SVCB", "00010000020001ff"},         /* no-default-alpn with a value */
    {"SVCB", "0001000004000501020304ff"}, /* ipv4hint not 4n octets */
    {"SVCB", "000100ffff0000"},           /* key65535 */
    {"SVCB", "00010000010005"},           /* value runs past the end */
    {"LOC", "0112161389172dd070be15f000988d20"}, /* version 1 */
    {"LOC", "00a216138b3556c88008165000989a68"}, /* mantissa 10 */
    {"LOC", "001216138b3556c88008165000989a"},   /* 15 octets */
    {"LOC", "00121613ffffffff8008165000989a68"}, /* beyond the pole */
    {"CAA", "000069"},                           /* empty tag */
    {"CAA", "0003612d62"},                       /* tag with '-' */
    {"DS", "ec45"},
    {"TSIG", "0b686d61632d7368613235360000006553f100012c0004010203"},
    {"OPT", "000a00050102"},
    {"NXT", "0080"},       /* extension bit */
    {"NXT", "004000"},     /* trailing zero octet */
    {"CDS", "0000000100"}, /* fine: one digest octet */
};

static void test_bad_wire(void)
{
	for (size_t i = 0; i < sizeof badwire / sizeof badwire[0]; i++) {
		uint16_t type = type_of(badwire[i].type);
		size_t n = unhex(badwire[i].hex, wire);
		dnsd_wire r;
		dnsd_wire_init_read(&r, wire, n);
		int len =
		    dnsd_rdata_from_wire(type, &r, n, wire2, sizeof wire2);
		int tl =
		    dnsd_rdata_to_text(type, wire, n, false, text, sizeof text);
		bool ok = type == DNSD_TYPE_CDS;
		/* the name parser may say why (DNSD_ELABELTYPE...) */
		CHECK(ok ? len == (int)n : len < 0 && r.err == len);
		CHECK(ok ? tl > 0 : tl == DNSD_EMALFORM);
		if (ok != (len >= 0))
			fprintf(stderr, "bad wire %s %s: %d\n", badwire[i].type,
			        badwire[i].hex, len);
	}
}

/* ---- canonical order (RFC 4034 §6.2, §6.3; RFC 6840 §5.1) ---- */

static int cmp_text(const char *type, const char *a, const char *b)
{
	uint8_t wa[512], wb[512];
	uint16_t t = type_of(type);
	int la = parse(t, a, wa, sizeof wa, NULL);
	int lb = parse(t, b, wb, sizeof wb, NULL);
	CHECK(la >= 0 && lb >= 0);
	int r = dnsd_rdata_cmp(t, wa, (size_t)la, wb, (size_t)lb);
	/* antisymmetric */
	int s = dnsd_rdata_cmp(t, wb, (size_t)lb, wa, (size_t)la);
	CHECK((r < 0 && s > 0) || (r > 0 && s < 0) || (r == 0 && s == 0));
	return r;
}

static void test_cmp(void)
{
	/* names lowered for the RFC 4034 §6.2 types */
	CHECK(cmp_text("MX", "10 MAIL.Example.", "10 mail.example.") == 0);
	CHECK(cmp_text("NS", "A.example.", "a.example.") == 0);
	CHECK(cmp_text("CNAME", "A.example.", "a.example.") == 0);
	CHECK(cmp_text("SOA", "NS.x. H.x. 1 2 3 4 5", "ns.x. h.x. 1 2 3 4 5") ==
	      0);
	CHECK(cmp_text("SRV", "0 0 1 A.x.", "0 0 1 a.x.") == 0);
	CHECK(cmp_text("RRSIG", "A 8 2 1 1 1 1 EXAMPLE. AAAA",
	               "A 8 2 1 1 1 1 example. AAAA") == 0);
	CHECK(cmp_text("DNAME", "A.x.", "a.x.") == 0);
	CHECK(cmp_text("RP", "A.x. B.x.", "a.x. b.x.") == 0);
	CHECK(cmp_text("NAPTR", "1 1 \"S\" \"\" \"\" A.x.",
	               "1 1 \"S\" \"\" \"\" a.x.") == 0);
	/* ...and compared lowered: 'b' > 'a', though 'B' < 'a' */
	CHECK(cmp_text("MX", "10 B.example.", "10 a.example.") > 0);
	/* not lowered: NSEC (RFC 6840 §5.1), SVCB, strings */
	CHECK(cmp_text("NSEC", "A.example. A", "a.example. A") < 0);
	CHECK(cmp_text("SVCB", "1 A.x.", "1 a.x.") < 0);
	CHECK(cmp_text("TXT", "A", "a") < 0);
	CHECK(cmp_text("NAPTR", "1 1 \"S\" \"\" \"\" a.x.",
	               "1 1 \"s\" \"\" \"\" a.x.") < 0);
	/* octet order, shorter first when one is a prefix */
	CHECK(cmp_text("A", "1.2.3.4", "1.2.3.5") < 0);
	CHECK(cmp_text("MX", "10 z.", "20 a.") < 0);
	CHECK(cmp_text("MX", "10 a.", "10 b.") < 0);
	CHECK(cmp_text("TYPE65534", "\\# 1 01", "\\# 2 0100") < 0);
	CHECK(cmp_text("TXT", "a", "a") == 0);
	/* malformed RDATA still compares (as octets), never crashes */
	static const uint8_t m1[] = {0, 10, 5, 'a'}, m2[] = {0, 10, 5, 'b'};
	CHECK(dnsd_rdata_cmp(DNSD_TYPE_MX, m1, 4, m2, 4) < 0);
	CHECK(dnsd_rdata_cmp(DNSD_TYPE_MX, m1, 0, m2, 0) == 0);
}

/* ---- table flags, follow-up names, SOA fields, TTLs, serials ---- */

static void test_table(void)
{
	const dnsd_rrtype_info *i;
	uint32_t all = DNSD_RRF_COMPRESS | DNSD_RRF_DECOMPRESS |
	               DNSD_RRF_NAMES | DNSD_RRF_CANON_LOWER;
	CHECK((i = dnsd_rrtype_info_get(DNSD_TYPE_MX)) &&
	      (i->flags & all) == all && strcmp(i->name, "MX") == 0);
	CHECK((i = dnsd_rrtype_info_get(DNSD_TYPE_SRV)) &&
	      (i->flags & all) == (all & ~(uint32_t)DNSD_RRF_COMPRESS));
	CHECK((i = dnsd_rrtype_info_get(DNSD_TYPE_NSEC)) &&
	      (i->flags & all) == DNSD_RRF_NAMES);
	CHECK((i = dnsd_rrtype_info_get(DNSD_TYPE_RRSIG)) &&
	      (i->flags & all) == (DNSD_RRF_NAMES | DNSD_RRF_CANON_LOWER));
	CHECK((i = dnsd_rrtype_info_get(DNSD_TYPE_A)) && i->flags == 0);
	CHECK(dnsd_rrtype_info_get(DNSD_TYPE_SOA)->flags & DNSD_RRF_SINGLETON);
	CHECK(dnsd_rrtype_info_get(DNSD_TYPE_CNAME)->flags &
	      DNSD_RRF_SINGLETON);
	CHECK(dnsd_rrtype_info_get(DNSD_TYPE_DNAME)->flags &
	      DNSD_RRF_SINGLETON);
	CHECK(
	    !(dnsd_rrtype_info_get(DNSD_TYPE_NS)->flags & DNSD_RRF_SINGLETON));
	static const uint16_t meta[] = {DNSD_TYPE_OPT,  DNSD_TYPE_TSIG,
	                                DNSD_TYPE_TKEY, DNSD_TYPE_IXFR,
	                                DNSD_TYPE_AXFR, DNSD_TYPE_ANY};
	for (size_t k = 0; k < sizeof meta / sizeof meta[0]; k++)
		CHECK(dnsd_rrtype_info_get(meta[k])->flags & DNSD_RRF_META);
	CHECK(!(dnsd_rrtype_info_get(DNSD_TYPE_TXT)->flags & DNSD_RRF_META));
	CHECK(dnsd_rrtype_info_get(65534) == NULL);
	CHECK(dnsd_rrtype_info_get(0) == NULL);

	uint16_t t = 0;
	char buf[16];
	CHECK(dnsd_rrtype_from_text("A", 1, &t) == 0 && t == 1);
	CHECK(dnsd_rrtype_from_text("aaaa", 4, &t) == 0 && t == 28);
	CHECK(dnsd_rrtype_from_text("TYPE65534", 9, &t) == 0 && t == 65534);
	CHECK(dnsd_rrtype_from_text("type1", 5, &t) == 0 && t == 1);
	CHECK(dnsd_rrtype_from_text("TYPE65536", 9, &t) == DNSD_ESYNTAX);
	CHECK(dnsd_rrtype_from_text("TYPE", 4, &t) == DNSD_ESYNTAX);
	CHECK(dnsd_rrtype_from_text("FOO", 3, &t) == DNSD_ESYNTAX);
	CHECK(dnsd_rrtype_from_text("AA", 1, &t) == 0 && t == 1);
	CHECK_STR(dnsd_rrtype_to_text(65534, buf), "TYPE65534");
	CHECK_STR(dnsd_rrtype_to_text(46, buf), "RRSIG");
	CHECK_STR(dnsd_rrtype_to_text(65535, buf), "TYPE65535");
	CHECK(dnsd_rrclass_from_text("IN", 2, &t) == 0 && t == 1);
	CHECK(dnsd_rrclass_from_text("ch", 2, &t) == 0 && t == 3);
	CHECK(dnsd_rrclass_from_text("HS", 2, &t) == 0 && t == 4);
	CHECK(dnsd_rrclass_from_text("NONE", 4, &t) == 0 && t == 254);
	CHECK(dnsd_rrclass_from_text("ANY", 3, &t) == 0 && t == 255);
	CHECK(dnsd_rrclass_from_text("CLASS12", 7, &t) == 0 && t == 12);
	CHECK(dnsd_rrclass_from_text("CLASS", 5, &t) == DNSD_ESYNTAX);
	CHECK(dnsd_rrclass_from_text("XX", 2, &t) == DNSD_ESYNTAX);
	CHECK_STR(dnsd_rrclass_to_text(1, buf), "IN");
	CHECK_STR(dnsd_rrclass_to_text(3, buf), "CH");
	CHECK_STR(dnsd_rrclass_to_text(12, buf), "CLASS12");
}

static void test_target(void)
{
	uint8_t rd[300];
	int len;
	len = parse(DNSD_TYPE_MX, "10 mx.example.", rd, sizeof rd, NULL);
	CHECK(dnsd_rdata_target(DNSD_TYPE_MX, rd, (size_t)len) == rd + 2);
	len = parse(DNSD_TYPE_SRV, "1 2 3 t.example.", rd, sizeof rd, NULL);
	CHECK(dnsd_rdata_target(DNSD_TYPE_SRV, rd, (size_t)len) == rd + 6);
	len = parse(DNSD_TYPE_NS, "ns.example.", rd, sizeof rd, NULL);
	CHECK(dnsd_rdata_target(DNSD_TYPE_NS, rd, (size_t)len) == rd);
	CHECK(dnsd_rdata_target(DNSD_TYPE_CNAME, rd, (size_t)len) == rd);
	CHECK(dnsd_rdata_target(DNSD_TYPE_DNAME, rd, (size_t)len) == rd);
	CHECK(dnsd_rdata_target(DNSD_TYPE_PTR, rd, (size_t)len) == rd);
	CHECK(dnsd_rdata_target(DNSD_TYPE_NS, rd, (size_t)len - 1) == NULL);
	CHECK(dnsd_rdata_target(DNSD_TYPE_TXT, rd, (size_t)len) == NULL);
	CHECK(dnsd_rdata_target(DNSD_TYPE_A, rd, 4) == NULL);
	CHECK(dnsd_rdata_target(65534, rd, 4) == NULL);
}

static void test_soa(void)
{
	uint8_t rd[600];
	uint32_t v[5];
	int len = parse(DNSD_TYPE_SOA, "ns. h. 4000000000 1h 2m 3w 4d", rd,
	                sizeof rd, NULL);
	CHECK(len > 0);
	CHECK_INT(
	    dnsd_soa_fields(rd, (size_t)len, &v[0], &v[1], &v[2], &v[3], &v[4]),
	    0);
	CHECK(v[0] == 4000000000u && v[1] == 3600 && v[2] == 120 &&
	      v[3] == 1814400 && v[4] == 345600);
	CHECK_INT(
	    dnsd_soa_fields(rd, (size_t)len, NULL, NULL, NULL, NULL, &v[4]), 0);
	CHECK_INT(dnsd_soa_fields(rd, (size_t)len - 1, &v[0], &v[1], &v[2],
	                          &v[3], &v[4]),
	          DNSD_EMALFORM);
	CHECK_INT(dnsd_soa_fields(rd, 1, &v[0], &v[1], &v[2], &v[3], &v[4]),
	          DNSD_EMALFORM);
}

static void test_ttl(void)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t v;
	} t[] = {
	    {"3600", 0, 3600},
	    {"0", 0, 0},
	    {"1h30m", 0, 5400},
	    {"2w", 0, 1209600},
	    {"1W2D", 0, 777600},
	    {"1d1h1m1s", 0, 90061},
	    {"2147483647", 0, 2147483647},
	    {"2147483648", DNSD_ERANGE, 0},
	    {"99999999999999", DNSD_ERANGE, 0},
	    {"3551w", DNSD_ERANGE, 0},
	    {"1h30", DNSD_ESYNTAX, 0},
	    {"h", DNSD_ESYNTAX, 0},
	    {"1x", DNSD_ESYNTAX, 0},
	    {"-1", DNSD_ESYNTAX, 0},
	    {"", DNSD_ESYNTAX, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint32_t v = 12345;
		CHECK_INT(dnsd_ttl_from_text(t[i].s, strlen(t[i].s), &v),
		          t[i].rc);
		if (t[i].rc == 0)
			CHECK_INT(v, t[i].v);
	}
}

static void test_serial(void)
{
	CHECK(dnsd_serial_gt(1, 0));
	CHECK(!dnsd_serial_gt(0, 1));
	CHECK(!dnsd_serial_gt(5, 5));
	CHECK(dnsd_serial_gt(0, 0xffffffffu)); /* wraps */
	CHECK(!dnsd_serial_gt(0xffffffffu, 0));
	CHECK(dnsd_serial_gt(0x7fffffffu, 0));
	CHECK(!dnsd_serial_gt(0x80000000u, 0)); /* undefined: not greater */
	CHECK(!dnsd_serial_gt(0, 0x80000000u));
	CHECK(dnsd_serial_gt(100, 0xfffffff0u));
}

/* ---- SVCB and LOC specifics ---- */

static void test_svcb(void)
{
	uint8_t rd[600];
	dnsd_rdata_error e;
	/* a lexer that keeps key="value" as one token: same result */
	dnsd_token toks[] = {{"1", 1, 1, 1, false},
	                     {".", 1, 1, 3, false},
	                     {"alpn=\"h3,h2\"", 12, 1, 5, false},
	                     {"port=\"53\"", 9, 1, 18, false}};
	int len = dnsd_rdata_from_text(DNSD_TYPE_HTTPS, toks, 4, origin, rd,
	                               sizeof rd, &e);
	CHECK(len > 0);
	dnsd_rdata_to_text(DNSD_TYPE_HTTPS, rd, (size_t)len, false, text,
	                   sizeof text);
	CHECK_STR(text, "1 . alpn=\"h3,h2\" port=53");
	/* alpn escapes (RFC 9460 Appendix A.1): ids "f\oo,bar" and "h2" */
	len = parse(DNSD_TYPE_HTTPS, "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"", rd,
	            sizeof rd, &e);
	CHECK_INT(len, 3 + 4 + 9 + 3);
	CHECK(memcmp(rd + 7,
	             "\x08"
	             "f\\oo,bar\x02h2",
	             12) == 0);
	/* generic keys with and without value, key names for known keys */
	len = parse(DNSD_TYPE_SVCB, "2 t key3=53 key9 key10=\"a b\"", rd,
	            sizeof rd, &e);
	CHECK(len > 0);
	dnsd_rdata_to_text(DNSD_TYPE_SVCB, rd, (size_t)len, false, text,
	                   sizeof text);
	CHECK_STR(text, "2 t.example. port=53 key9 key10=\"a b\"");
}

static void test_loc(void)
{
	/* the RFC 1876 examples print as BIND prints them */
	static const char *const ex[][2] = {
	    {"42 21 54 N 71 06 18 W -24m 30m",
	     "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m"},
	    {"42 21 43.952 N 71 5 6.344 W -24m 1m 200m",
	     "42 21 43.952 N 71 5 6.344 W -24.00m 1m 200m 10m"},
	    {"52 14 05 N 00 08 50 E 10m",
	     "52 14 5.000 N 0 8 50.000 E 10.00m 1m 10000m 10m"},
	    {"32 7 19 S 116 2 25 E 10m",
	     "32 7 19.000 S 116 2 25.000 E 10.00m 1m 10000m 10m"},
	    {"42 21 28.764 N 71 00 51.617 W -44m 2000m",
	     "42 21 28.764 N 71 0 51.617 W -44.00m 2000m 10000m 10m"},
	    {"1 s 2 w -0.5 0.01 0.1m 1234",
	     "1 0 0.000 S 2 0 0.000 W -0.50m 0.01m 0.10m 1000m"},
	};
	uint8_t rd[64];
	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		int len = parse(DNSD_TYPE_LOC, ex[i][0], rd, sizeof rd, NULL);
		CHECK_INT(len, 16);
		dnsd_rdata_to_text(DNSD_TYPE_LOC, rd, 16, false, text,
		                   sizeof text);
		CHECK_STR(text, ex[i][1]);
	}
	/* a zero mantissa with an exponent keeps its octets through \# */
	static const uint8_t odd[] = {0,    0x05, 0x16, 0x13, 0x80, 0,
	                              0,    0,    0x80, 0,    0,    0,
	                              0x00, 0x98, 0x96, 0x80};
	dnsd_rdata_to_text(DNSD_TYPE_LOC, odd, 16, false, text, sizeof text);
	CHECK_STR(text, "\\# 16 0005161380000000800000000098968"
	                "0");
}

/* ---- robustness: truncations and mutations of every case ---- */

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Whatever from_wire accepts prints, and the text reads back to the same
 * octets: wire -> text -> wire keeps every octet. */
static void wire_text_wire(uint16_t type, const uint8_t *rd, size_t n)
{
	dnsd_wire r;
	dnsd_wire_init_read(&r, rd, n);
	int len = dnsd_rdata_from_wire(type, &r, n, wire2, sizeof wire2);
	if (len < 0)
		return;
	CHECK_INT(len, n);
	int tl = dnsd_rdata_to_text(type, rd, n, false, text, sizeof text);
	CHECK(tl >= 0);
	static uint8_t back[70000];
	static dnsd_token toks[40000];
	dnsd_rdata_error e;
	size_t nt = lex(text, toks, 40000);
	int bl =
	    dnsd_rdata_from_text(type, toks, nt, origin, back, sizeof back, &e);
	CHECK_INT(bl, n);
	if (bl != (int)n || memcmp(back, rd, n) != 0) {
		fprintf(stderr, "type %u: %s -> %s\n", type,
		        tohex(rd, n, hexbuf), text);
		CHECK(false);
	}
}

static void test_robustness(void)
{
	static uint8_t rd[70000], m[70000];
	for (size_t i = 0; i < NCASES; i++) {
		uint16_t type = type_of(cases[i].type);
		size_t n = unhex(cases[i].hex, rd);
		/* every truncation is either refused or still round-trips;
		 * ASan checks that nothing reads past the cut */
		for (size_t cut = 0; cut < n; cut++) {
			uint8_t *c = malloc(cut ? cut : 1);
			memcpy(c, rd, cut);
			wire_text_wire(type, c, cut);
			int tl = dnsd_rdata_to_text(type, c, cut, false, text,
			                            sizeof text);
			CHECK(tl >= 0 || tl == DNSD_EMALFORM);
			free(c);
		}
		/* random octet changes */
		for (int k = 0; k < 200; k++) {
			memcpy(m, rd, n);
			for (int f = 1 + (int)(rnd() % 3); f > 0 && n; f--)
				m[rnd() % n] = (uint8_t)rnd();
			wire_text_wire(type, m, n);
		}
	}
	/* a tiny output buffer: ESPACE, never an overrun */
	char small[8];
	size_t n = unhex(cases[0].hex, rd);
	CHECK_INT(dnsd_rdata_to_text(DNSD_TYPE_A, rd, n, false, small, 5),
	          DNSD_ESPACE);
	CHECK_INT(dnsd_rdata_to_text(DNSD_TYPE_A, rd, n, false, small, 0),
	          DNSD_ESPACE);
}

int main(void)
{
	test_round_trips();
	test_hand_wire();
	test_txt();
	test_generic();
	test_errors();
	test_compression();
	test_decompression();
	test_bad_wire();
	test_cmp();
	test_table();
	test_target();
	test_soa();
	test_ttl();
	test_serial();
	test_svcb();
	test_loc();
	test_robustness();
	return tap_done();
}
