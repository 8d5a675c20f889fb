/* Fuzz target: RDATA conversions. The first octet picks the direction,
 * the next two the type; the rest is RDATA in wire form or in text.
 *
 * Wire: whatever dnsd_rdata_from_wire accepts must print, read back from
 * its text to the same octets, survive compression, and compare equal to
 * itself. Text: whatever dnsd_rdata_from_text produces must be accepted
 * by dnsd_rdata_from_wire and round-trip through text too. */
#include <dnsd/rrtype.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

/* Types worth most of the time; the low bit of the selector also lets
 * any 16-bit type through. */
static const uint16_t types[] = {
    1,  2,  5,  6,  12, 13, 15, 16,  17,  18,  24,  25,  28,  29,  30,
    33, 35, 36, 37, 39, 41, 43, 44,  46,  47,  48,  49,  50,  51,  52,
    59, 61, 62, 63, 64, 65, 99, 108, 109, 249, 250, 255, 256, 257, 65534};

static const uint8_t origin[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};

static uint8_t rd[70000], back[70000];
static char text[300000];
static dnsd_token toks[70000];

/* The zone-file lexer's cut: blanks separate, "..." is one token. */
static size_t lex(const char *s, size_t len, dnsd_token *t, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len && n < max) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			i++;
			continue;
		}
		bool q = s[i] == '"';
		size_t b = q ? ++i : i;
		while (i < len && (q ? s[i] != '"'
		                     : s[i] != ' ' && s[i] != '\t' &&
		                           s[i] != '\n' && s[i] != '"')) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			i++;
		}
		t[n++] = (dnsd_token){s + b, (uint32_t)(i - b), 1,
		                      (uint32_t)b + 1, q};
		if (q && i < len)
			i++;
	}
	return n;
}

/* rdata (valid) -> text -> wire gives the same octets. */
static void text_round_trip(uint16_t type, const uint8_t *r, size_t n)
{
	int tl = dnsd_rdata_to_text(type, r, n, false, text, sizeof text);
	ASSERT(tl >= 0 && (size_t)tl == strlen(text));
	dnsd_rdata_error e;
	size_t nt = lex(text, (size_t)tl, toks, sizeof toks / sizeof toks[0]);
	int bl =
	    dnsd_rdata_from_text(type, toks, nt, origin, back, sizeof back, &e);
	ASSERT(bl == (int)n && memcmp(back, r, n) == 0);
	ASSERT(dnsd_rdata_cmp(type, r, n, back, n) == 0);
}

/* Written with compression after an owner, read back: the same RDATA
 * up to letter case (a pointer may land on the owner's spelling). */
static void compress_round_trip(uint16_t type, const uint8_t *r, size_t n)
{
	static uint8_t msg[70100];
	static const uint8_t owner[] = {7,   'E', 'x', 'a', 'm',
	                                'p', 'l', 'e', 0};
	dnsd_wire w;
	dnsd_compress c;
	dnsd_wire_init_write(&w, msg, sizeof msg);
	dnsd_compress_init(&c);
	dnsd_wire_put(&w, (const uint8_t[12]){0}, 12);
	dnsd_name_to_wire(&w, owner, &c);
	size_t at = w.pos;
	dnsd_rdata_to_wire(type, r, n, &w, &c);
	ASSERT(!w.err && w.pos - at <= n);
	dnsd_wire rw;
	dnsd_wire_init_read(&rw, msg, w.pos);
	rw.pos = at;
	int bl = dnsd_rdata_from_wire(type, &rw, w.pos - at, back, sizeof back);
	ASSERT(bl == (int)n && rw.pos == w.pos);
	for (size_t i = 0; i < n; i++)
		ASSERT(dnsd_lower[back[i]] == dnsd_lower[r[i]]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint16_t type = (uint16_t)(data[1] << 8 | data[2]);
	if (!(data[0] & 2))
		type = types[type % (sizeof types / sizeof types[0])];
	data += 3;
	size -= 3;

	if (data[-3] & 1) {
		/* text */
		dnsd_rdata_error e;
		size_t nt = lex((const char *)data, size, toks,
		                sizeof toks / sizeof toks[0]);
		int len = dnsd_rdata_from_text(type, toks, nt, origin, rd,
		                               sizeof rd, &e);
		if (len < 0) {
			ASSERT(e.tok <= nt && e.msg[0]);
			return 0;
		}
		dnsd_wire w;
		dnsd_wire_init_read(&w, rd, (size_t)len);
		ASSERT(dnsd_rdata_from_wire(type, &w, (size_t)len, back,
		                            sizeof back) == len);
		text_round_trip(type, rd, (size_t)len);
		return 0;
	}
	/* wire */
	dnsd_wire w;
	dnsd_wire_init_read(&w, data, size);
	int len = dnsd_rdata_from_wire(type, &w, size, rd, sizeof rd);
	if (len < 0) {
		ASSERT(w.err == len);
		char small[64];
		dnsd_rdata_to_text(type, data, size, false, small,
		                   sizeof small);
		return 0;
	}
	ASSERT(w.pos == size);
	text_round_trip(type, rd, (size_t)len);
	compress_round_trip(type, rd, (size_t)len);
	(void)dnsd_rdata_target(type, rd, (size_t)len);
	return 0;
}
