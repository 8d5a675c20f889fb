/* Unit tests for domain names (name.h): wire form with compression, text
 * form with escapes, comparison, canonical order, hashing. */
#include "tap.h"
#include <dnsd/name.h>

/* Text -> name, absolute names only (no origin). */
static int nt(const char *txt, uint8_t out[DNSD_NAME_MAX])
{
	return dnsd_name_from_text(txt, strlen(txt), NULL, out);
}

/* Name -> text in one of a few rotating static buffers. */
static const char *tx(const uint8_t *name)
{
	static char bufs[4][DNSD_NAME_TEXT_MAX];
	static int i;
	char *b = bufs[i++ % 4];
	if (dnsd_name_to_text(name, b, DNSD_NAME_TEXT_MAX) < 0)
		return NULL;
	return b;
}

/* Reads a name at offset at of msg; *end gets the cursor afterwards. */
static int rd(const uint8_t *msg, size_t len, size_t at,
              uint8_t out[DNSD_NAME_MAX], size_t *end)
{
	dnsd_wire w;
	dnsd_wire_init_read(&w, msg, len);
	w.pos = at;
	int r = dnsd_name_from_wire(&w, out);
	if (end)
		*end = w.pos;
	if (r < 0 && w.err != r)
		return 999; /* the error must also be on the cursor */
	return r;
}

#define H 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 /* a zero header */

static void test_from_wire_plain(void)
{
	uint8_t out[DNSD_NAME_MAX];
	size_t end;
	const uint8_t m[] = {H,   3,   'w', 'w', 'w', 7,   'e', 'x', 'a', 'm',
	                     'p', 'l', 'e', 3,   'c', 'o', 'm', 0,   0xff};
	CHECK_INT(rd(m, sizeof m, 12, out, &end), 17);
	CHECK_INT(end, 29);
	CHECK_STR(tx(out), "www.example.com.");
	/* the root alone */
	const uint8_t root[] = {0};
	CHECK_INT(rd(root, 1, 0, out, &end), 1);
	CHECK_INT(end, 1);
	CHECK_STR(tx(out), ".");
	/* truncated: mid-label, missing root, empty */
	CHECK_INT(rd(m, 20, 12, out, NULL), DNSD_EMALFORM);
	CHECK_INT(rd(m, 28, 12, out, NULL), DNSD_EMALFORM);
	CHECK_INT(rd(m, 12, 12, out, NULL), DNSD_EMALFORM);
	/* letter case is kept */
	const uint8_t c[] = {2, 'A', 'b', 0};
	CHECK_INT(rd(c, sizeof c, 0, out, NULL), 4);
	CHECK(memcmp(out, c, 4) == 0);
}

static void test_from_wire_pointers(void)
{
	uint8_t out[DNSD_NAME_MAX];
	size_t end;
	/* a pointer back to an earlier name */
	const uint8_t back[] = {H,   7,   'e', 'x', 'a',  'm', 'p',
	                        'l', 'e', 3,   'c', 'o',  'm', 0,
	                        3,   'w', 'w', 'w', 0xc0, 12};
	CHECK_INT(rd(back, sizeof back, 25, out, &end), 17);
	CHECK_INT(end, 31); /* past the pointer, not where it led */
	CHECK_STR(tx(out), "www.example.com.");
	/* a name that is only a pointer */
	const uint8_t only[] = {H, 1, 'a', 0, 0xc0, 12};
	CHECK_INT(rd(only, sizeof only, 15, out, &end), 3);
	CHECK_INT(end, 17);

	/* pointer to pointer chains that go backwards are fine */
	const uint8_t chain[] = {H,  1, 'a', 0,    1,  'b',  0xc0,
	                         12, 1, 'c', 0xc0, 15, 0xc0, 19};
	CHECK_INT(rd(chain, sizeof chain, 23, out, &end), 7);
	CHECK_INT(end, 25);
	CHECK_STR(tx(out), "c.b.a.");

	/* forward pointer */
	const uint8_t fwd[] = {H, 0xc0, 14, 1, 'a', 0};
	CHECK_INT(rd(fwd, sizeof fwd, 12, out, NULL), DNSD_EPOINTER);
	/* self pointer */
	const uint8_t self[] = {H, 0xc0, 12};
	CHECK_INT(rd(self, sizeof self, 12, out, NULL), DNSD_EPOINTER);
	/* a loop of two pointers */
	const uint8_t loop[] = {H, 0xc0, 14, 0xc0, 12};
	CHECK_INT(rd(loop, sizeof loop, 14, out, NULL), DNSD_EPOINTER);
	CHECK_INT(rd(loop, sizeof loop, 12, out, NULL), DNSD_EPOINTER);
	/* to the start of, or inside, its own label sequence */
	const uint8_t own[] = {H, 1, 'a', 0xc0, 12};
	CHECK_INT(rd(own, sizeof own, 12, out, NULL), DNSD_EPOINTER);
	const uint8_t inside[] = {H, 1, 'a', 1, 'b', 0xc0, 14};
	CHECK_INT(rd(inside, sizeof inside, 12, out, NULL), DNSD_EPOINTER);
	/* after a jump, the next target must lie before the sequence jumped
	 * to, even if it is before where reading began */
	const uint8_t jumped[] = {H, 1, 'a', 0xc0, 16, 1, 'b', 0, 0xc0, 12};
	CHECK_INT(rd(jumped, sizeof jumped, 19, out, NULL), DNSD_EPOINTER);
	/* to an offset at or beyond the end of the message */
	const uint8_t beyond[] = {H, 0xc0, 0xff, 0, 0};
	CHECK_INT(rd(beyond, sizeof beyond, 12, out, NULL), DNSD_EPOINTER);
	const uint8_t far[] = {H, 0xff, 0xff};
	CHECK_INT(rd(far, sizeof far, 12, out, NULL), DNSD_EPOINTER);
	/* a pointer cut in half */
	const uint8_t half[] = {H, 1, 'a', 0xc0};
	CHECK_INT(rd(half, sizeof half, 12, out, NULL), DNSD_EMALFORM);
	/* the error is sticky on the cursor */
	dnsd_wire w;
	dnsd_wire_init_read(&w, self, sizeof self);
	w.pos = 12;
	CHECK_INT(dnsd_name_from_wire(&w, out), DNSD_EPOINTER);
	w.pos = 0;
	CHECK_INT(dnsd_name_from_wire(&w, out), DNSD_EPOINTER);
	CHECK_INT(w.err, DNSD_EPOINTER);
}

/* Writes labels of the given lengths (filled with 'x') into m at 0. */
static size_t make_labels(uint8_t *m, const int *lens, int n, bool root)
{
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		m[o++] = (uint8_t)lens[i];
		memset(m + o, 'x', (size_t)lens[i]);
		o += (size_t)lens[i];
	}
	if (root)
		m[o++] = 0;
	return o;
}

static void test_from_wire_limits(void)
{
	uint8_t out[DNSD_NAME_MAX];
	uint8_t m[600];
	/* label 63 is fine; 64 is the reserved 0x40 type */
	int l63[] = {63};
	size_t n = make_labels(m, l63, 1, true);
	CHECK_INT(rd(m, n, 0, out, NULL), 65);
	m[0] = 64;
	CHECK_INT(rd(m, n + 1, 0, out, NULL), DNSD_ELABELTYPE);
	const uint8_t t40[] = {0x41, 0, 0};
	CHECK_INT(rd(t40, sizeof t40, 0, out, NULL), DNSD_ELABELTYPE);
	const uint8_t t80[] = {0x80, 0, 0};
	CHECK_INT(rd(t80, sizeof t80, 0, out, NULL), DNSD_ELABELTYPE);
	const uint8_t tbf[] = {0xbf, 0, 0};
	CHECK_INT(rd(tbf, sizeof tbf, 0, out, NULL), DNSD_ELABELTYPE);

	/* 255 octets is the most; 256 is too long */
	int l255[] = {63, 63, 63, 61};
	n = make_labels(m, l255, 4, true);
	CHECK_INT(n, 255);
	CHECK_INT(rd(m, n, 0, out, NULL), 255);
	CHECK_INT(dnsd_name_check(m, n), 255);
	int l256[] = {63, 63, 63, 62};
	n = make_labels(m, l256, 4, true);
	CHECK_INT(rd(m, n, 0, out, NULL), DNSD_ENAMELEN);
	CHECK_INT(dnsd_name_check(m, n), DNSD_ENAMELEN);
	/* too long only once a pointer is followed */
	int tail[] = {63, 63, 63};
	n = make_labels(m, tail, 3, true); /* 193 octets at 0 */
	int head[] = {61};
	size_t h = make_labels(m + n, head, 1, false);
	m[n + h] = 0xc0;
	m[n + h + 1] = 0;
	CHECK_INT(rd(m, n + h + 2, n, out, NULL), 255);
	m[n] = 62;
	h = make_labels(m + n, (int[]){62}, 1, false);
	m[n + h] = 0xc0;
	m[n + h + 1] = 0;
	CHECK_INT(rd(m, n + h + 2, n, out, NULL), DNSD_ENAMELEN);
	/* 127 one-octet labels are fine */
	int ones[127];
	for (int i = 0; i < 127; i++)
		ones[i] = 1;
	n = make_labels(m, ones, 127, true);
	CHECK_INT(rd(m, n, 0, out, NULL), 255);
	CHECK_INT(dnsd_name_labels(out), 127);
}

static void test_check(void)
{
	uint8_t n[DNSD_NAME_MAX];
	CHECK_INT(nt("a.example.", n), 11);
	CHECK_INT(dnsd_name_check(n, 11), 11);
	CHECK_INT(dnsd_name_check(n, 20), 11);
	CHECK_INT(dnsd_name_check(n, 10), DNSD_EMALFORM);
	CHECK_INT(dnsd_name_check(n, 0), DNSD_EMALFORM);
	const uint8_t ptr[] = {1, 'a', 0xc0, 0};
	CHECK_INT(dnsd_name_check(ptr, sizeof ptr), DNSD_EPOINTER);
	const uint8_t t40[] = {1, 'a', 0x40, 0};
	CHECK_INT(dnsd_name_check(t40, sizeof t40), DNSD_ELABELTYPE);
	const uint8_t t80[] = {0x80, 0};
	CHECK_INT(dnsd_name_check(t80, sizeof t80), DNSD_ELABELTYPE);
	const uint8_t root[] = {0};
	CHECK_INT(dnsd_name_check(root, 1), 1);
}

static void test_basics(void)
{
	uint8_t n[DNSD_NAME_MAX], p[DNSD_NAME_MAX], o[DNSD_NAME_MAX];
	nt("www.Example.COM.", n);
	CHECK_INT(dnsd_name_len(n), 17);
	CHECK_INT(dnsd_name_labels(n), 3);
	CHECK_STR(tx(dnsd_name_parent(n)), "Example.COM.");
	CHECK_STR(tx(dnsd_name_parent(dnsd_name_parent(n))), "COM.");
	const uint8_t *r =
	    dnsd_name_parent(dnsd_name_parent(dnsd_name_parent(n)));
	CHECK(dnsd_name_is_root(r));
	CHECK(dnsd_name_parent(r) == r);
	CHECK_INT(dnsd_name_len(r), 1);
	CHECK_INT(dnsd_name_labels(r), 0);
	CHECK(!dnsd_name_is_root(n));
	CHECK(!dnsd_name_is_wildcard(n));
	nt("*.example.", p);
	CHECK(dnsd_name_is_wildcard(p));
	nt("\\*.example.", p); /* an escaped star is still the octet '*' */
	CHECK(dnsd_name_is_wildcard(p));
	nt("*a.example.", p);
	CHECK(!dnsd_name_is_wildcard(p));

	nt("WWW.example.com.", p);
	CHECK(dnsd_name_equal(n, p));
	CHECK(dnsd_name_hash(n) == dnsd_name_hash(p));
	nt("www.example.org.", p);
	CHECK(!dnsd_name_equal(n, p));
	CHECK(dnsd_name_hash(n) != dnsd_name_hash(p));
	nt("www.example.com.x.", p);
	CHECK(!dnsd_name_equal(n, p));
	nt("ww.wexample.com.", p); /* same octets, other labels */
	CHECK(!dnsd_name_equal(n, p));
	/* only ASCII letters fold: 0xc4 and 0xe4 differ */
	const uint8_t u1[] = {1, 0xc4, 0}, u2[] = {1, 0xe4, 0};
	CHECK(!dnsd_name_equal(u1, u2));
	CHECK(dnsd_name_cmp(u1, u2) != 0);
	CHECK_INT(dnsd_lower['A'], 'a');
	CHECK_INT(dnsd_lower['Z'], 'z');
	CHECK_INT(dnsd_lower['@'], '@');
	CHECK_INT(dnsd_lower['['], '[');
	CHECK_INT(dnsd_lower[0xc4], 0xc4);

	nt("example.com.", p);
	CHECK(dnsd_name_is_subdomain(n, p));
	CHECK(dnsd_name_is_subdomain(p, p));
	CHECK(!dnsd_name_is_subdomain(p, n));
	nt("xample.com.", o);
	CHECK(!dnsd_name_is_subdomain(o, p));
	nt("EXAMPLE.com.", o);
	CHECK(dnsd_name_is_subdomain(n, o));
	CHECK(dnsd_name_is_subdomain(n, r));
	CHECK(dnsd_name_is_subdomain(r, r));
	CHECK(!dnsd_name_is_subdomain(r, p));

	dnsd_name_lower(n);
	CHECK_STR(tx(n), "www.example.com.");

	/* concat */
	nt("a.b.", p);
	nt("example.com.", o);
	CHECK_INT(dnsd_name_concat(p, o, n), 17);
	CHECK_STR(tx(n), "a.b.example.com.");
	CHECK_INT(dnsd_name_concat(r, o, n), 13);
	CHECK_STR(tx(n), "example.com.");
	CHECK_INT(dnsd_name_concat(o, r, n), 13);
	uint8_t big[DNSD_NAME_MAX];
	int l[] = {63, 63, 63};
	make_labels(big, l, 3, true); /* 193 octets */
	nt("a123456789a123456789a123456789a123456789a123456789a12345678.",
	   p); /* 61 octets */
	CHECK_INT(dnsd_name_concat(big, p, n), 253);
	nt("a123456789a123456789a123456789a123456789a123456789a123456789"
	   "a.",
	   p); /* 63 octets + root */
	CHECK_INT(dnsd_name_concat(big, p, n), 255);
	nt("a123456789a123456789a123456789a123456789a123456789a123456789"
	   "ab.",
	   p);
	CHECK_INT(dnsd_name_concat(big, p, n), DNSD_ENAMELEN);
}

static void test_canonical_order(void)
{
	/* RFC 4034 §6.1, in canonical order */
	static const char *const list[] = {
	    "example.",         "a.example.",      "yljkjljk.a.example.",
	    "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
	    "\\001.z.example.", "*.z.example.",    "\\200.z.example.",
	};
	enum { N = sizeof list / sizeof list[0] };
	uint8_t names[N][DNSD_NAME_MAX];
	for (int i = 0; i < N; i++)
		CHECK(nt(list[i], names[i]) > 0);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			int c = dnsd_name_cmp(names[i], names[j]);
			int want = i < j ? -1 : (i > j ? 1 : 0);
			int got = c < 0 ? -1 : (c > 0 ? 1 : 0);
			if (got != want)
				fprintf(stderr, "cmp(%s, %s) = %d\n", list[i],
				        list[j], c);
			CHECK_INT(got, want);
		}
	uint8_t a[DNSD_NAME_MAX], b[DNSD_NAME_MAX];
	nt("Z.A.Example.", a);
	nt("z.a.EXAMPLE.", b);
	CHECK_INT(dnsd_name_cmp(a, b), 0);
	/* the root sorts before everything */
	nt(".", a);
	CHECK(dnsd_name_cmp(a, b) < 0);
	CHECK(dnsd_name_cmp(b, a) > 0);
	CHECK_INT(dnsd_name_cmp(a, a), 0);
	/* a shorter label with a common prefix comes first */
	nt("ab.example.", a);
	nt("abc.example.", b);
	CHECK(dnsd_name_cmp(a, b) < 0);
	/* labels compare as unsigned octets */
	nt("\\255.", a);
	nt("a.", b);
	CHECK(dnsd_name_cmp(a, b) > 0);
}

/* from_text then to_text, expecting the given text back. */
static void roundtrip(const char *in, int want_len, const char *want_text)
{
	uint8_t n[DNSD_NAME_MAX];
	int r = nt(in, n);
	CHECK_INT(r, want_len);
	if (r > 0) {
		CHECK_STR(tx(n), want_text);
		/* and the printed form reads back to the same octets */
		uint8_t m[DNSD_NAME_MAX];
		CHECK_INT(nt(want_text, m), r);
		CHECK(memcmp(m, n, (size_t)r) == 0);
	}
}

/* Text of labels of the given lengths, each ending in a dot. */
static size_t labels_text(char *t, const int *lens, int n)
{
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		memset(t + o, 'b', (size_t)lens[i]);
		o += (size_t)lens[i];
		t[o++] = '.';
	}
	t[o] = 0;
	return o;
}

static void test_text(void)
{
	roundtrip("www.example.com.", 17, "www.example.com.");
	roundtrip(".", 1, ".");
	roundtrip("a\\.b.example.", 13, "a\\.b.example.");
	roundtrip("\\032x.", 4, "\\032x.");
	roundtrip("\\ x.", 4, "\\032x.");
	roundtrip("\\\\.", 3, "\\\\.");
	roundtrip("\\065b.", 4, "Ab.");
	roundtrip("\\000.", 3, "\\000.");
	roundtrip("\\127\\128\\255~!.", 7, "\\127\\128\\255~!.");
	roundtrip("\\@\\$\\;\\(\\)\\\".", 8, "\\@\\$\\;\\(\\)\\\".");
	roundtrip("@a.", 4, "\\@a.");
	roundtrip("\\a\\-.", 4, "a-.");
	roundtrip("Case.MiXeD.", 12, "Case.MiXeD.");

	uint8_t n[DNSD_NAME_MAX], origin[DNSD_NAME_MAX];
	CHECK_INT(nt("a\\.b.c.", n), 7);
	CHECK_INT(n[0], 3); /* `\.` stays inside the label */
	CHECK_INT(n[2], '.');

	/* origin */
	CHECK_INT(nt("example.com.", origin), 13);
	CHECK_INT(dnsd_name_from_text("@", 1, origin, n), 13);
	CHECK_STR(tx(n), "example.com.");
	CHECK_INT(dnsd_name_from_text("@", 1, NULL, n), DNSD_ESYNTAX);
	CHECK_INT(dnsd_name_from_text("www", 3, origin, n), 17);
	CHECK_STR(tx(n), "www.example.com.");
	CHECK_INT(dnsd_name_from_text("a.b", 3, origin, n), 17);
	CHECK_STR(tx(n), "a.b.example.com.");
	CHECK_INT(dnsd_name_from_text("a.b", 3, NULL, n), DNSD_ESYNTAX);
	CHECK_INT(dnsd_name_from_text("a.", 2, origin, n), 3);
	CHECK_INT(dnsd_name_from_text(".", 1, origin, n), 1);
	/* an escaped final dot keeps the name relative */
	CHECK_INT(dnsd_name_from_text("a\\.", 3, origin, n), 16);
	CHECK_STR(tx(n), "a\\..example.com.");
	/* len bounds the text, not the NUL */
	CHECK_INT(dnsd_name_from_text("www.example.com.", 4, NULL, n), 5);
	CHECK_STR(tx(n), "www.");

	/* syntax errors */
	CHECK_INT(nt("", n), DNSD_ESYNTAX);
	CHECK_INT(nt("a..b.", n), DNSD_ESYNTAX);
	CHECK_INT(nt(".a.", n), DNSD_ESYNTAX);
	CHECK_INT(nt("..", n), DNSD_ESYNTAX);
	CHECK_INT(nt("a..", n), DNSD_ESYNTAX);
	CHECK_INT(nt("\\256.", n), DNSD_ESYNTAX);
	CHECK_INT(nt("\\999.", n), DNSD_ESYNTAX);
	CHECK_INT(nt("\\25.", n), DNSD_ESYNTAX);
	CHECK_INT(nt("\\25", n), DNSD_ESYNTAX);
	CHECK_INT(nt("\\2", n), DNSD_ESYNTAX);
	CHECK_INT(nt("a\\", n), DNSD_ESYNTAX);
	CHECK_INT(nt("\\255.", n), 3);

	/* label and name length limits */
	char t[600];
	memset(t, 'a', 63);
	strcpy(t + 63, ".");
	CHECK_INT(nt(t, n), 65);
	memset(t, 'a', 64);
	strcpy(t + 64, ".");
	CHECK_INT(nt(t, n), DNSD_ELABEL);
	/* escapes count as one octet */
	t[0] = 0;
	for (int i = 0; i < 63; i++)
		strcat(t, "\\065");
	strcat(t, ".");
	CHECK_INT(nt(t, n), 65);
	/* 255 octets: 63.63.63.61. */
	size_t o = labels_text(t, (int[]){63, 63, 63, 61}, 4);
	CHECK_INT(nt(t, n), 255);
	CHECK_INT(strlen(tx(n)), o);
	/* 256 octets */
	labels_text(t, (int[]){63, 63, 63, 62}, 4);
	CHECK_INT(nt(t, n), DNSD_ENAMELEN);
	labels_text(t, (int[]){63, 63, 63, 63}, 4);
	CHECK_INT(nt(t, n), DNSD_ENAMELEN);
	/* relative: 254 octets of labels and the root origin fit, more not */
	o = labels_text(t, (int[]){63, 63, 63, 61}, 4);
	t[o - 1] = 0;
	const uint8_t root[] = {0};
	CHECK_INT(dnsd_name_from_text(t, o - 1, root, n), 255);
	CHECK_INT(dnsd_name_from_text(t, o - 1, origin, n), DNSD_ENAMELEN);
}

static void test_to_text_space(void)
{
	uint8_t n[DNSD_NAME_MAX];
	char b[16];
	nt("a.", n);
	CHECK_INT(dnsd_name_to_text(n, b, 2), DNSD_ESPACE);
	CHECK_INT(dnsd_name_to_text(n, b, 3), 2);
	CHECK_STR(b, "a.");
	nt(".", n);
	CHECK_INT(dnsd_name_to_text(n, b, 1), DNSD_ESPACE);
	CHECK_INT(dnsd_name_to_text(n, b, 2), 1);
	CHECK_STR(b, ".");
	nt("\\001.", n);
	CHECK_INT(dnsd_name_to_text(n, b, 5), DNSD_ESPACE);
	CHECK_INT(dnsd_name_to_text(n, b, 6), 5);
	CHECK_STR(b, "\\001.");

	/* the longest text form fits DNSD_NAME_TEXT_MAX; every octet value
	 * goes there and back */
	uint8_t all[DNSD_NAME_MAX];
	size_t o = 0;
	for (int v = 0; v < 256;) {
		int len = 256 - v < 63 ? 256 - v : 63;
		if (o + 1 + (size_t)len + 1 > DNSD_NAME_MAX)
			len = (int)(DNSD_NAME_MAX - o - 2);
		all[o++] = (uint8_t)len;
		for (int i = 0; i < len; i++)
			all[o++] = (uint8_t)(v++);
		if (o + 2 >= DNSD_NAME_MAX)
			break;
	}
	all[o++] = 0;
	CHECK_INT(dnsd_name_check(all, o), (int)o);
	char big[DNSD_NAME_TEXT_MAX];
	int tl = dnsd_name_to_text(all, big, sizeof big);
	CHECK(tl > 0);
	CHECK_INT(nt(big, n), (int)o);
	CHECK(memcmp(n, all, o) == 0);
	/* worst case: every octet as \DDD */
	memset(all, 0, sizeof all);
	int lens[] = {63, 63, 63, 61};
	o = 0;
	for (int i = 0; i < 4; i++) {
		all[o] = (uint8_t)lens[i];
		memset(all + o + 1, 0xff, (size_t)lens[i]);
		o += 1 + (size_t)lens[i];
	}
	all[o] = 0;
	CHECK_INT(dnsd_name_to_text(all, big, sizeof big), 250 * 4 + 4);
}

static void test_to_wire_compression(void)
{
	uint8_t buf[64 * 1024];
	dnsd_wire w;
	dnsd_compress c;
	dnsd_wire_init_write(&w, buf, sizeof buf);
	dnsd_compress_init(&c);
	memset(buf, 0, 12);
	w.pos = 12;
	uint8_t n[DNSD_NAME_MAX];

	nt("www.example.com.", n);
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.pos, 29);
	CHECK_INT(c.count, 1);
	CHECK_INT(c.off[0], 12);
	/* the same name again: one pointer */
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.pos, 31);
	CHECK_INT(buf[29], 0xc0);
	CHECK_INT(buf[30], 12);
	CHECK_INT(c.count, 1); /* nothing new to point at */
	/* a suffix, matched case-insensitively */
	nt("mail.EXAMPLE.com.", n);
	dnsd_name_to_wire(&w, n, &c);
	const uint8_t mail[] = {4, 'm', 'a', 'i', 'l', 0xc0, 16};
	CHECK(memcmp(buf + 31, mail, sizeof mail) == 0);
	CHECK_INT(w.pos, 38);
	CHECK_INT(c.count, 2);
	/* the longest suffix wins: a.mail... points at mail... */
	nt("a.mail.example.com.", n);
	dnsd_name_to_wire(&w, n, &c);
	const uint8_t a[] = {1, 'a', 0xc0, 31};
	CHECK(memcmp(buf + 38, a, sizeof a) == 0);
	/* no common final label: written in full */
	nt("example.org.", n);
	size_t org_at = w.pos;
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.pos, org_at + 13);
	/* the final label alone matches inside an earlier name */
	nt("ORG.", n);
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(buf[w.pos - 2], 0xc0);
	CHECK_INT(buf[w.pos - 1], org_at + 8);
	/* a label that merely contains a suffix does not match */
	nt("xcom.", n);
	size_t at = w.pos;
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.pos, at + 6);
	/* the root is one octet */
	nt(".", n);
	at = w.pos;
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.pos, at + 1);
	CHECK_INT(buf[at], 0);
	CHECK_INT(w.err, 0);

	/* everything written reads back as what was written */
	static const char *const names[] = {"www.example.com.",
	                                    "www.example.com.",
	                                    "mail.example.com.",
	                                    "a.mail.example.com.",
	                                    "example.org.",
	                                    "org.",
	                                    "xcom.",
	                                    "."};
	dnsd_wire r;
	dnsd_wire_init_read(&r, buf, w.pos);
	r.pos = 12;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		uint8_t got[DNSD_NAME_MAX], want[DNSD_NAME_MAX];
		nt(names[i], want);
		CHECK(dnsd_name_from_wire(&r, got) > 0);
		CHECK(dnsd_name_equal(got, want));
	}
	CHECK_INT(r.pos, w.pos);
	CHECK_INT(r.err, 0);

	/* without compression state: always in full */
	nt("www.example.com.", n);
	at = w.pos;
	dnsd_name_to_wire(&w, n, NULL);
	CHECK_INT(w.pos, at + 17);
}

static void test_to_wire_limits(void)
{
	static uint8_t buf[64 * 1024];
	dnsd_wire w;
	dnsd_compress c;
	uint8_t n[DNSD_NAME_MAX];
	dnsd_wire_init_write(&w, buf, sizeof buf);
	dnsd_compress_init(&c);

	/* a name straddling 0x4000: its early labels are targets, its
	 * later ones are not */
	w.pos = 0x3ffa;
	nt("b.c.example.com.", n);
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(c.count, 1);
	size_t at = w.pos;
	nt("z.example.com.", n);
	dnsd_name_to_wire(&w, n, &c);
	const uint8_t z[] = {1, 'z', 0xff, 0xfe}; /* pointer to 0x3ffe */
	CHECK(memcmp(buf + at, z, sizeof z) == 0);
	CHECK_INT(c.count, 1); /* starts above 0x3fff: not remembered */
	at = w.pos;
	nt("com.", n); /* only at 0x4006: out of a pointer's reach */
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.pos, at + 5);
	dnsd_wire r;
	dnsd_wire_init_read(&r, buf, w.pos);
	r.pos = 0x3ffa;
	uint8_t got[DNSD_NAME_MAX];
	CHECK_INT(dnsd_name_from_wire(&r, got), 17);
	CHECK_INT(dnsd_name_from_wire(&r, got), 15);
	CHECK_STR(tx(got), "z.example.com.");
	CHECK_INT(dnsd_name_from_wire(&r, got), 5);

	/* the table fills up without overflowing */
	dnsd_wire_init_write(&w, buf, sizeof buf);
	dnsd_compress_init(&c);
	for (int i = 0; i < 200; i++) {
		char t[32];
		snprintf(t, sizeof t, "n%d.t%d.", i, i);
		nt(t, n);
		dnsd_name_to_wire(&w, n, &c);
	}
	CHECK_INT(c.count, DNSD_COMPRESS_MAX);
	CHECK_INT(w.err, 0);

	/* no room: DNSD_ESPACE on the cursor, nothing remembered */
	uint8_t small[20];
	dnsd_wire_init_write(&w, small, sizeof small);
	dnsd_compress_init(&c);
	w.pos = 12;
	nt("www.example.com.", n);
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.err, DNSD_ESPACE);
	CHECK_INT(c.count, 0);
	CHECK_INT(w.pos, 12);
	/* and stale entries past the write position are never used */
	dnsd_wire_init_write(&w, buf, sizeof buf);
	dnsd_compress_init(&c);
	w.pos = 12;
	dnsd_name_to_wire(&w, n, &c);
	w.pos = 12; /* a caller cut back without telling c */
	at = w.pos;
	dnsd_name_to_wire(&w, n, &c);
	CHECK_INT(w.pos, at + 17);
}

int main(void)
{
	test_from_wire_plain();
	test_from_wire_pointers();
	test_from_wire_limits();
	test_check();
	test_basics();
	test_canonical_order();
	test_text();
	test_to_text_space();
	test_to_wire_compression();
	test_to_wire_limits();
	return tap_done();
}
