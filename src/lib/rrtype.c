/* RR types (rrtype.h): one table row per type, naming the fields of its
 * RDATA; every conversion (text -> wire, wire -> text, wire -> wire with
 * decompression, compression on output, canonical comparison) walks the
 * same field list, so a type is added by adding a row.
 *
 * All reading of RDATA goes through a dnsd_wire cursor over the RDATA
 * (or over the message for decompression), so malformed input can make a
 * conversion fail but never read outside its buffer. */
#include <dnsd/rrtype.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Field kinds and the type table                                      */

enum fkind {
	F_END = 0,
	F_NAME, /* domain name (compression per row flags) */
	F_U8,   /* numbers */
	F_U16,
	F_U32,
	F_U48,   /* TSIG time signed */
	F_TTL32, /* 32-bit number, text also as a TTL (1h30m) */
	F_IPV4,
	F_IPV6,
	F_CHARSTR,   /* one <character-string> */
	F_CHARSTRS,  /* one or more <character-string>s to the end (TXT) */
	F_STRING,    /* one string to the end, no length (URI, CAA value) */
	F_CAATAG,    /* 8-bit length + letters and digits */
	F_BASE64,    /* to the end, text in one or more tokens */
	F_HEX,       /* to the end, text in one or more tokens */
	F_SALT,      /* 8-bit length + hex, "-" for empty (NSEC3) */
	F_HASH,      /* 8-bit length + base32hex (NSEC3 next hashed owner) */
	F_BITMAP,    /* NSEC/NSEC3/CSYNC type bitmap to the end */
	F_NXTMAP,    /* NXT's old flat bitmap to the end */
	F_TIME,      /* RRSIG times: YYYYMMDDHHmmSS or a number */
	F_TYPE,      /* RR type as mnemonic */
	F_ALG,       /* DNSSEC algorithm, number or mnemonic */
	F_CERTTYPE,  /* CERT type, number or mnemonic */
	F_DATA16,    /* 16-bit length + data (TSIG, TKEY), text base64 */
	F_LOC,       /* the whole LOC RDATA (RFC 1876) */
	F_SVCPARAMS, /* SVCB/HTTPS SvcParams to the end (RFC 9460) */
	F_EDNSOPTS,  /* OPT options to the end, no text form */
	F_OPAQUE,    /* anything to the end, no text form */
	F_EUI48,
	F_EUI64,
	F_KINDS
};

#define MAXF 10 /* most fields in a row, F_END included */

typedef struct rrtype_row {
	dnsd_rrtype_info info; /* first: dnsd_rrtype_info_get returns it */
	int8_t target;         /* field index of the follow-up name, or -1 */
	uint8_t f[MAXF];       /* field kinds, F_END terminated */
} rrtype_row;

enum {
	C_ = DNSD_RRF_COMPRESS,
	D_ = DNSD_RRF_DECOMPRESS,
	N_ = DNSD_RRF_NAMES,
	L_ = DNSD_RRF_CANON_LOWER,
	M_ = DNSD_RRF_META,
	S_ = DNSD_RRF_SINGLETON,
	/* RFC 1035 types with names: compressed both ways, lowered */
	RFC1035 = C_ | D_ | N_ | L_,
};

#define ROW(t, n, fl, tgt, ...)                                                \
	{                                                                      \
		{t, n, fl}, tgt,                                               \
		{                                                              \
			__VA_ARGS__, F_END                                     \
		}                                                              \
	}

#define RRSIG_FIELDS                                                           \
	F_TYPE, F_ALG, F_U8, F_U32, F_TIME, F_TIME, F_U16, F_NAME, F_BASE64

/* Sorted by type number (binary search). */
static const rrtype_row rows[] = {
    ROW(1, "A", 0, -1, F_IPV4),
    ROW(2, "NS", RFC1035, 0, F_NAME),
    ROW(3, "MD", RFC1035, -1, F_NAME),
    ROW(4, "MF", RFC1035, -1, F_NAME),
    ROW(5, "CNAME", RFC1035 | S_, 0, F_NAME),
    ROW(6, "SOA", RFC1035 | S_, -1, F_NAME, F_NAME, F_U32, F_TTL32, F_TTL32,
        F_TTL32, F_TTL32),
    ROW(7, "MB", RFC1035, -1, F_NAME),
    ROW(8, "MG", RFC1035, -1, F_NAME),
    ROW(9, "MR", RFC1035, -1, F_NAME),
    ROW(12, "PTR", RFC1035, 0, F_NAME),
    ROW(13, "HINFO", 0, -1, F_CHARSTR, F_CHARSTR),
    ROW(14, "MINFO", RFC1035, -1, F_NAME, F_NAME),
    ROW(15, "MX", RFC1035, 1, F_U16, F_NAME),
    ROW(16, "TXT", 0, -1, F_CHARSTRS),
    ROW(17, "RP", D_ | N_ | L_, -1, F_NAME, F_NAME),
    ROW(18, "AFSDB", D_ | N_ | L_, -1, F_U16, F_NAME),
    ROW(21, "RT", D_ | N_ | L_, -1, F_U16, F_NAME),
    ROW(24, "SIG", D_ | N_ | L_, -1, RRSIG_FIELDS),
    ROW(25, "KEY", 0, -1, F_U16, F_U8, F_ALG, F_BASE64),
    ROW(26, "PX", D_ | N_ | L_, -1, F_U16, F_NAME, F_NAME),
    ROW(28, "AAAA", 0, -1, F_IPV6),
    ROW(29, "LOC", 0, -1, F_LOC),
    ROW(30, "NXT", D_ | N_ | L_, -1, F_NAME, F_NXTMAP),
    ROW(33, "SRV", D_ | N_ | L_, 3, F_U16, F_U16, F_U16, F_NAME),
    ROW(35, "NAPTR", D_ | N_ | L_, -1, F_U16, F_U16, F_CHARSTR, F_CHARSTR,
        F_CHARSTR, F_NAME),
    ROW(36, "KX", N_ | L_, -1, F_U16, F_NAME),
    ROW(37, "CERT", 0, -1, F_CERTTYPE, F_U16, F_ALG, F_BASE64),
    ROW(39, "DNAME", N_ | L_ | S_, 0, F_NAME),
    ROW(41, "OPT", M_, -1, F_EDNSOPTS),
    ROW(43, "DS", 0, -1, F_U16, F_ALG, F_U8, F_HEX),
    ROW(44, "SSHFP", 0, -1, F_U8, F_U8, F_HEX),
    ROW(46, "RRSIG", N_ | L_, -1, RRSIG_FIELDS),
    ROW(47, "NSEC", N_, -1, F_NAME, F_BITMAP),
    ROW(48, "DNSKEY", 0, -1, F_U16, F_U8, F_ALG, F_BASE64),
    ROW(49, "DHCID", 0, -1, F_BASE64),
    ROW(50, "NSEC3", 0, -1, F_U8, F_U8, F_U16, F_SALT, F_HASH, F_BITMAP),
    ROW(51, "NSEC3PARAM", 0, -1, F_U8, F_U8, F_U16, F_SALT),
    ROW(52, "TLSA", 0, -1, F_U8, F_U8, F_U8, F_HEX),
    ROW(53, "SMIMEA", 0, -1, F_U8, F_U8, F_U8, F_HEX),
    ROW(59, "CDS", 0, -1, F_U16, F_ALG, F_U8, F_HEX),
    ROW(60, "CDNSKEY", 0, -1, F_U16, F_U8, F_ALG, F_BASE64),
    ROW(61, "OPENPGPKEY", 0, -1, F_BASE64),
    ROW(62, "CSYNC", 0, -1, F_U32, F_U16, F_BITMAP),
    ROW(63, "ZONEMD", 0, -1, F_U32, F_U8, F_U8, F_HEX),
    ROW(64, "SVCB", N_, -1, F_U16, F_NAME, F_SVCPARAMS),
    ROW(65, "HTTPS", N_, -1, F_U16, F_NAME, F_SVCPARAMS),
    ROW(99, "SPF", 0, -1, F_CHARSTRS),
    ROW(108, "EUI48", 0, -1, F_EUI48),
    ROW(109, "EUI64", 0, -1, F_EUI64),
    /* TKEY and TSIG names are never compressed (RFC 2930, RFC 8945) */
    ROW(249, "TKEY", M_ | N_, -1, F_NAME, F_U32, F_U32, F_U16, F_U16, F_DATA16,
        F_DATA16),
    ROW(250, "TSIG", M_ | N_, -1, F_NAME, F_U48, F_U16, F_DATA16, F_U16, F_U16,
        F_DATA16),
    ROW(251, "IXFR", M_, -1, F_OPAQUE),
    ROW(252, "AXFR", M_, -1, F_OPAQUE),
    ROW(253, "MAILB", M_, -1, F_OPAQUE),
    ROW(254, "MAILA", M_, -1, F_OPAQUE),
    ROW(255, "ANY", M_, -1, F_OPAQUE),
    ROW(256, "URI", 0, -1, F_U16, F_U16, F_STRING),
    ROW(257, "CAA", 0, -1, F_U8, F_CAATAG, F_STRING),
    ROW(32769, "DLV", 0, -1, F_U16, F_ALG, F_U8, F_HEX),
};

#define NROWS (sizeof rows / sizeof rows[0])

static const rrtype_row *row_get(uint16_t type)
{
	size_t lo = 0, hi = NROWS;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rows[mid].info.type == type)
			return &rows[mid];
		if (rows[mid].info.type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const dnsd_rrtype_info *dnsd_rrtype_info_get(uint16_t type)
{
	const rrtype_row *r = row_get(type);
	return r ? &r->info : NULL;
}

/* Mnemonic tables for numbers that text may give by name. */
typedef struct mnemonic {
	const char *name;
	uint16_t value;
} mnemonic;

static const mnemonic algorithms[] = {
    {"RSAMD5", 1},
    {"DH", 2},
    {"DSA", 3},
    {"ECC", 4},
    {"RSASHA1", 5},
    {"DSA-NSEC3-SHA1", 6},
    {"NSEC3DSA", 6},
    {"RSASHA1-NSEC3-SHA1", 7},
    {"NSEC3RSASHA1", 7},
    {"RSASHA256", 8},
    {"RSASHA512", 10},
    {"ECC-GOST", 12},
    {"ECCGOST", 12},
    {"ECDSAP256SHA256", 13},
    {"ECDSAP384SHA384", 14},
    {"ED25519", 15},
    {"ED448", 16},
    {"INDIRECT", 252},
    {"PRIVATEDNS", 253},
    {"PRIVATEOID", 254},
    {NULL, 0},
};

static const mnemonic cert_types[] = {
    {"PKIX", 1},  {"SPKI", 2},  {"PGP", 3},    {"IPKIX", 4},
    {"ISPKI", 5}, {"IPGP", 6},  {"ACPKIX", 7}, {"IACPKIX", 8},
    {"URI", 253}, {"OID", 254}, {NULL, 0},
};

static const mnemonic classes[] = {
    {"IN", DNSD_CLASS_IN},     {"CH", DNSD_CLASS_CH},
    {"HS", DNSD_CLASS_HS},     {"NONE", DNSD_CLASS_NONE},
    {"ANY", DNSD_CLASS_ANY},   {"CHAOS", DNSD_CLASS_CH},
    {"HESIOD", DNSD_CLASS_HS}, {NULL, 0},
};

static const mnemonic *mnemonic_find(const mnemonic *m, const char *s,
                                     size_t len)
{
	for (; m->name; m++)
		if (strlen(m->name) == len && strncasecmp(m->name, s, len) == 0)
			return m;
	return NULL;
}

static const char *mnemonic_name(const mnemonic *m, uint16_t v)
{
	for (; m->name; m++)
		if (m->value == v)
			return m->name;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Decimal digits only, value at most max. Returns 0, DNSD_ESYNTAX (not a
 * number) or DNSD_ERANGE (too large). */
static int parse_num(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	if (len == 0)
		return DNSD_ESYNTAX;
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return DNSD_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		n = n * 10 + (uint64_t)(s[i] - '0');
		if (n > max)
			return DNSD_ERANGE;
	}
	*v = n;
	return 0;
}

/* One octet of a string with escapes (\X, \DDD) starting at *pos.
 * Returns the octet, or -1 for a bad escape. */
static int dechar(const char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	uint8_t ch = (uint8_t)s[i];
	if (ch != '\\') {
		*pos = i + 1;
		return ch;
	}
	if (i + 1 >= len)
		return -1;
	if (!is_digit(s[i + 1])) {
		*pos = i + 2;
		return (uint8_t)s[i + 1];
	}
	if (i + 3 >= len || !is_digit(s[i + 2]) || !is_digit(s[i + 3]))
		return -1;
	int v =
	    (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
	if (v > 255)
		return -1;
	*pos = i + 4;
	return v;
}

/* Overwrites one octet already written (a length prefix). */
static void patch_u8(dnsd_wire *w, size_t at, uint8_t v)
{
	if (!w->err && at < w->pos)
		w->base[at] = v;
}

/* Reads an uncompressed name (no pointers) into out; returns its length
 * or -1 with the cursor's error set. */
static int read_name(dnsd_wire *r, uint8_t out[DNSD_NAME_MAX])
{
	size_t n = 0;
	for (;;) {
		uint8_t c = dnsd_wire_u8(r);
		if (r->err)
			return -1;
		if (c > DNSD_LABEL_MAX ||
		    n + 1 + c + (c ? 1 : 0) > DNSD_NAME_MAX) {
			dnsd_wire_fail(r, DNSD_EMALFORM);
			return -1;
		}
		out[n++] = c;
		if (c == 0)
			return (int)n;
		dnsd_wire_read(r, out + n, c);
		if (r->err)
			return -1;
		n += c;
	}
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32hex_chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
static const char hex_upper[] = "0123456789ABCDEF";

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (is_digit(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int b32hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'v')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'V')
		return c - 'A' + 10;
	return -1;
}

/* Streaming base64 decoder, so that data split over several tokens (or
 * produced by an escape iterator) decodes as one. Strict as BIND: only
 * '=' padding at the end, and unused bits must be zero. */
typedef struct b64dec {
	uint32_t acc;
	unsigned nbits, nchars, pad;
	bool bad;
} b64dec;

static void b64_feed(b64dec *d, int ch, dnsd_wire *out)
{
	if (ch == '=') {
		d->pad++;
		d->nchars++;
		if (d->pad > 2)
			d->bad = true;
		return;
	}
	int v = b64_value(ch);
	if (v < 0 || d->pad) {
		d->bad = true;
		return;
	}
	d->acc = d->acc << 6 | (uint32_t)v;
	d->nbits += 6;
	d->nchars++;
	if (d->nbits >= 8) {
		d->nbits -= 8;
		dnsd_wire_put_u8(out, (uint8_t)(d->acc >> d->nbits));
	}
	d->acc &= (1u << d->nbits) - 1;
}

static bool b64_done(const b64dec *d)
{
	return !d->bad && d->nchars % 4 == 0 && d->acc == 0;
}

/* Calendar arithmetic for RRSIG times (proleptic Gregorian, UTC). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const uint8_t dm[] = {31, 28, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return dm[m - 1] + (m == 2 && leap);
}

/* ------------------------------------------------------------------ */
/* Text output buffer                                                  */

typedef struct tbuf {
	char *p;
	size_t cap, len;
	bool full;
} tbuf;

static void tb_put(tbuf *t, const char *s, size_t n)
{
	/* keep one octet for the terminating NUL */
	if (t->full || t->cap - t->len <= n) {
		t->full = true;
		return;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static void tb_str(tbuf *t, const char *s)
{
	tb_put(t, s, strlen(s));
}

static void tb_ch(tbuf *t, char c)
{
	tb_put(t, &c, 1);
}

__attribute__((format(printf, 2, 3))) static void tb_fmt(tbuf *t,
                                                         const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		t->full = true;
	else
		tb_put(t, tmp, (size_t)n);
}

/* A space before every item but the first. */
static void tb_sep(tbuf *t)
{
	if (t->len)
		tb_ch(t, ' ');
}

/* One octet of a quoted string as BIND prints it. */
static void tb_qchar(tbuf *t, uint8_t c)
{
	if (c == '"' || c == '\\') {
		tb_ch(t, '\\');
		tb_ch(t, (char)c);
	} else if (c < 0x20 || c >= 0x7f) {
		tb_fmt(t, "\\%03u", c);
	} else {
		tb_ch(t, (char)c);
	}
}

static void tb_qstring(tbuf *t, const uint8_t *s, size_t n)
{
	tb_ch(t, '"');
	for (size_t i = 0; i < n; i++)
		tb_qchar(t, s[i]);
	tb_ch(t, '"');
}

static void tb_hex(tbuf *t, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tb_ch(t, hex_upper[s[i] >> 4]);
		tb_ch(t, hex_upper[s[i] & 15]);
	}
}

static void tb_b64(tbuf *t, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		char q[4] = {b64_chars[v >> 18], b64_chars[(v >> 12) & 63],
		             i + 1 < n ? b64_chars[(v >> 6) & 63] : '=',
		             i + 2 < n ? b64_chars[v & 63] : '='};
		tb_put(t, q, 4);
	}
}

static void tb_b32hex(tbuf *t, const uint8_t *s, size_t n)
{
	uint32_t acc = 0;
	unsigned nbits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | s[i];
		nbits += 8;
		while (nbits >= 5) {
			nbits -= 5;
			tb_ch(t, b32hex_chars[(acc >> nbits) & 31]);
		}
		acc &= (1u << nbits) - 1;
	}
	if (nbits)
		tb_ch(t, b32hex_chars[(acc << (5 - nbits)) & 31]);
}

static void tb_name(tbuf *t, const uint8_t *name)
{
	char buf[DNSD_NAME_TEXT_MAX + 1];
	int n = dnsd_name_to_text(name, buf, sizeof buf);
	if (n < 0)
		t->full = true;
	else
		tb_put(t, buf, (size_t)n);
}

static void tb_type(tbuf *t, uint16_t type)
{
	char buf[16];
	tb_str(t, dnsd_rrtype_to_text(type, buf));
}

/* ------------------------------------------------------------------ */
/* Text parsing context and error messages                             */

typedef struct tctx {
	const dnsd_token *tok;
	size_t ntok, i; /* tokens and the next one to read */
	const uint8_t *origin;
	dnsd_wire out;
	dnsd_rdata_error *err;
} tctx;

__attribute__((format(printf, 4, 5))) static int
fail_at(tctx *c, size_t tok, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
	va_end(ap);
	c->err->tok = tok;
	return code;
}

/* A token as it appears in a message: at most 40 characters, control
 * characters replaced. */
static const char *show(const dnsd_token *t, char buf[48])
{
	size_t n = t->len > 40 ? 40 : t->len, o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = (uint8_t)t->s[i];
		buf[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (t->len > n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = 0;
	return buf;
}

/* "expected WHAT, found 'TOKEN'" for token i (the current one), or
 * "missing field: expected WHAT" when the tokens ran out. */
static int expect_tok(tctx *c, size_t i, int code, const char *what)
{
	char b[48];
	if (i >= c->ntok)
		return fail_at(c, c->ntok, DNSD_ESYNTAX,
		               "missing field: expected %s", what);
	return fail_at(c, i, code, "expected %s, found '%s'", what,
	               show(&c->tok[i], b));
}

static int expect(tctx *c, const char *what)
{
	return expect_tok(c, c->i, DNSD_ESYNTAX, what);
}

static const dnsd_token *cur(tctx *c)
{
	return c->i < c->ntok ? &c->tok[c->i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Field kinds: text parser, printer and wire check for each           */

typedef struct kind {
	const char *what;                           /* "expected <what>" */
	unsigned size;                              /* fixed size or 0 */
	int (*text)(tctx *c, const struct kind *k); /* NULL: \# only */
	int (*print)(dnsd_wire *r, tbuf *t, const struct kind *k);
	void (*check)(dnsd_wire *r, const struct kind *k);
} kind;

/* print returns NEED_GENERIC when the field has no text form for these
 * octets (an empty key, OPT options); to_text then falls back to \#. */
#define NEED_GENERIC 1

static void bad(dnsd_wire *r)
{
	dnsd_wire_fail(r, DNSD_EMALFORM);
}

/* --- names --- */

static int text_name(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	uint8_t n[DNSD_NAME_MAX];
	if (!t)
		return expect(c, k->what);
	int r = dnsd_name_from_text(t->s, t->len, c->origin, n);
	if (r < 0) {
		char b[48];
		const char *why =
		    r == DNSD_ELABEL     ? " (label longer than 63)"
		    : r == DNSD_ENAMELEN ? " (name longer than 255)"
		    : !c->origin && t->len && t->s[t->len - 1] != '.'
		        ? " (relative name without origin)"
		        : "";
		return fail_at(c, c->i, DNSD_ESYNTAX,
		               "expected a domain name, found '%s'%s",
		               show(t, b), why);
	}
	dnsd_wire_put(&c->out, n, (size_t)r);
	c->i++;
	return 0;
}

static int print_name(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint8_t n[DNSD_NAME_MAX];
	if (read_name(r, n) < 0)
		return DNSD_EMALFORM;
	tb_sep(t);
	tb_name(t, n);
	return 0;
}

static void check_name(dnsd_wire *r, const kind *k)
{
	uint8_t n[DNSD_NAME_MAX];
	read_name(r, n);
}

/* --- fixed-size numbers --- */

static int text_uint(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	uint64_t v, max = k->size == 6 ? 0xffffffffffffull
	                               : (1ull << (8 * k->size)) - 1;
	if (!t)
		return expect(c, k->what);
	int r = parse_num(t->s, t->len, max, &v);
	if (r < 0)
		return expect_tok(c, c->i, r, k->what);
	for (unsigned b = k->size; b-- > 0;)
		dnsd_wire_put_u8(&c->out, (uint8_t)(v >> (8 * b)));
	c->i++;
	return 0;
}

static uint64_t read_uint(dnsd_wire *r, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v = v << 8 | dnsd_wire_u8(r);
	return v;
}

static int print_uint(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint64_t v = read_uint(r, k->size);
	tb_sep(t);
	tb_fmt(t, "%llu", (unsigned long long)v);
	return 0;
}

static void check_fixed(dnsd_wire *r, const kind *k)
{
	dnsd_wire_skip(r, k->size);
}

/* A 32-bit number that text may also give as a TTL ("1h", SOA timers). */
static int text_ttl32(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	uint64_t v;
	uint32_t ttl;
	if (!t)
		return expect(c, k->what);
	int r = parse_num(t->s, t->len, 0xffffffffu, &v);
	if (r == DNSD_ESYNTAX) {
		r = dnsd_ttl_from_text(t->s, t->len, &ttl);
		v = ttl;
	}
	if (r < 0)
		return expect_tok(c, c->i, r, k->what);
	dnsd_wire_put_u32(&c->out, (uint32_t)v);
	c->i++;
	return 0;
}

/* --- addresses --- */

static int text_addr(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	char buf[64];
	uint8_t a[16];
	int af = k->size == 4 ? AF_INET : AF_INET6;
	if (!t)
		return expect(c, k->what);
	if (t->len >= sizeof buf)
		return expect(c, k->what);
	memcpy(buf, t->s, t->len);
	buf[t->len] = 0;
	if (inet_pton(af, buf, a) != 1)
		return expect(c, k->what);
	dnsd_wire_put(&c->out, a, k->size);
	c->i++;
	return 0;
}

static int print_addr(dnsd_wire *r, tbuf *t, const kind *k)
{
	char buf[INET6_ADDRSTRLEN];
	const uint8_t *a = dnsd_wire_take(r, k->size);
	if (!a ||
	    !inet_ntop(k->size == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf))
		return DNSD_EMALFORM;
	tb_sep(t);
	tb_str(t, buf);
	return 0;
}

static int text_eui(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	if (!t || t->len != k->size * 3 - 1)
		return expect(c, k->what);
	for (unsigned i = 0; i < k->size; i++) {
		int hi = hex_value(t->s[3 * i]),
		    lo = hex_value(t->s[3 * i + 1]);
		if (hi < 0 || lo < 0 ||
		    (i + 1 < k->size && t->s[3 * i + 2] != '-'))
			return expect(c, k->what);
		dnsd_wire_put_u8(&c->out, (uint8_t)(hi << 4 | lo));
	}
	c->i++;
	return 0;
}

static int print_eui(dnsd_wire *r, tbuf *t, const kind *k)
{
	tb_sep(t);
	for (unsigned i = 0; i < k->size; i++)
		tb_fmt(t, i ? "-%02x" : "%02x", dnsd_wire_u8(r));
	return 0;
}

/* --- strings --- */

/* Decodes token t into out as character-strings of at most 255 octets:
 * split (TXT, as BIND does) or an error when split is false. */
static int put_charstr(tctx *c, const dnsd_token *t, bool split, const kind *k)
{
	size_t lenpos = c->out.pos, n = 0;
	dnsd_wire_put_u8(&c->out, 0);
	for (size_t pos = 0; pos < t->len;) {
		int ch = dechar(t->s, t->len, &pos);
		if (ch < 0) {
			char b[48];
			return fail_at(
			    c, c->i, DNSD_ESYNTAX,
			    "expected %s, found a bad escape in '%s'", k->what,
			    show(t, b));
		}
		if (n == 255) {
			if (!split)
				return expect(c, k->what);
			patch_u8(&c->out, lenpos, 255);
			lenpos = c->out.pos;
			n = 0;
			dnsd_wire_put_u8(&c->out, 0);
		}
		dnsd_wire_put_u8(&c->out, (uint8_t)ch);
		n++;
	}
	patch_u8(&c->out, lenpos, (uint8_t)n);
	return 0;
}

static int text_charstr(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	if (!t)
		return expect(c, k->what);
	int r = put_charstr(c, t, false, k);
	if (r < 0)
		return r;
	c->i++;
	return 0;
}

static int text_charstrs(tctx *c, const kind *k)
{
	if (!cur(c))
		return expect(c, k->what);
	for (; c->i < c->ntok; c->i++) {
		int r = put_charstr(c, &c->tok[c->i], true, k);
		if (r < 0)
			return r;
	}
	return 0;
}

static int print_charstr(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint8_t n = dnsd_wire_u8(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s)
		return DNSD_EMALFORM;
	tb_sep(t);
	tb_qstring(t, s, n);
	return 0;
}

static int print_charstrs(dnsd_wire *r, tbuf *t, const kind *k)
{
	while (dnsd_wire_left(r))
		if (print_charstr(r, t, k) < 0)
			return DNSD_EMALFORM;
	return 0;
}

static void check_charstr(dnsd_wire *r, const kind *k)
{
	dnsd_wire_skip(r, dnsd_wire_u8(r));
}

static void check_charstrs(dnsd_wire *r, const kind *k)
{
	if (!dnsd_wire_left(r))
		bad(r); /* at least one string (RFC 1035 §3.3.14) */
	while (dnsd_wire_left(r))
		check_charstr(r, k);
}

/* A string that runs to the end of the RDATA (URI target, CAA value). */
static int text_string(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	if (!t)
		return expect(c, k->what);
	for (size_t pos = 0; pos < t->len;) {
		int ch = dechar(t->s, t->len, &pos);
		if (ch < 0)
			return expect(c, k->what);
		dnsd_wire_put_u8(&c->out, (uint8_t)ch);
	}
	c->i++;
	return 0;
}

static int print_string(dnsd_wire *r, tbuf *t, const kind *k)
{
	size_t n = dnsd_wire_left(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	tb_sep(t);
	tb_qstring(t, s, s ? n : 0);
	return 0;
}

static void check_rest(dnsd_wire *r, const kind *k)
{
	dnsd_wire_skip(r, dnsd_wire_left(r));
}

static int text_caatag(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	if (!t || t->len == 0 || t->len > 255)
		return expect(c, k->what);
	for (size_t i = 0; i < t->len; i++)
		if (!is_alnum(t->s[i]))
			return expect(c, k->what);
	dnsd_wire_put_u8(&c->out, (uint8_t)t->len);
	dnsd_wire_put(&c->out, t->s, t->len);
	c->i++;
	return 0;
}

static int print_caatag(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint8_t n = dnsd_wire_u8(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s)
		return DNSD_EMALFORM;
	tb_sep(t);
	tb_put(t, (const char *)s, n);
	return 0;
}

static void check_caatag(dnsd_wire *r, const kind *k)
{
	uint8_t n = dnsd_wire_u8(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s || n == 0) {
		bad(r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]))
			bad(r);
}

/* --- base64 and hex blobs to the end --- */

static int text_base64(tctx *c, const kind *k)
{
	b64dec d = {0};
	if (!cur(c))
		return expect(c, k->what);
	for (; c->i < c->ntok; c->i++) {
		const dnsd_token *t = &c->tok[c->i];
		for (size_t j = 0; j < t->len && !d.bad; j++)
			b64_feed(&d, (uint8_t)t->s[j], &c->out);
		if (d.bad)
			return expect(c, k->what);
	}
	if (!b64_done(&d))
		return expect_tok(c, c->ntok - 1, DNSD_ESYNTAX, k->what);
	return 0;
}

static int print_base64(dnsd_wire *r, tbuf *t, const kind *k)
{
	size_t n = dnsd_wire_left(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s || !n)
		return NEED_GENERIC;
	tb_sep(t);
	tb_b64(t, s, n);
	return 0;
}

/* Hex digits from tokens first..ntok-1 (or just one when one is set). */
static int put_hex(tctx *c, const kind *k, bool one)
{
	int hi = -1;
	if (!cur(c))
		return expect(c, k->what);
	for (; c->i < c->ntok; c->i++) {
		const dnsd_token *t = &c->tok[c->i];
		for (size_t j = 0; j < t->len; j++) {
			int v = hex_value((uint8_t)t->s[j]);
			if (v < 0)
				return expect(c, k->what);
			if (hi < 0) {
				hi = v;
			} else {
				dnsd_wire_put_u8(&c->out,
				                 (uint8_t)(hi << 4 | v));
				hi = -1;
			}
		}
		if (one)
			break;
	}
	if (hi >= 0)
		return expect_tok(c, one ? c->i : c->ntok - 1, DNSD_ESYNTAX,
		                  k->what);
	if (one)
		c->i++;
	return 0;
}

static int text_hex(tctx *c, const kind *k)
{
	return put_hex(c, k, false);
}

static int print_hex(dnsd_wire *r, tbuf *t, const kind *k)
{
	size_t n = dnsd_wire_left(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s || !n)
		return NEED_GENERIC;
	tb_sep(t);
	tb_hex(t, s, n);
	return 0;
}

/* --- NSEC3 salt and hash --- */

static int text_salt(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	if (!t)
		return expect(c, k->what);
	size_t lenpos = c->out.pos;
	dnsd_wire_put_u8(&c->out, 0);
	if (t->len == 1 && t->s[0] == '-') {
		c->i++;
		return 0;
	}
	if (t->len > 510 || t->len == 0)
		return expect(c, k->what);
	size_t start = c->out.pos;
	int r = put_hex(c, k, true);
	if (r < 0)
		return r;
	patch_u8(&c->out, lenpos, (uint8_t)(c->out.pos - start));
	return 0;
}

static int print_salt(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint8_t n = dnsd_wire_u8(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s)
		return DNSD_EMALFORM;
	tb_sep(t);
	if (n)
		tb_hex(t, s, n);
	else
		tb_ch(t, '-');
	return 0;
}

static int text_hash(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	uint32_t acc = 0;
	unsigned nbits = 0;
	if (!t || t->len == 0 || t->len > 408)
		return expect(c, k->what);
	size_t lenpos = c->out.pos;
	dnsd_wire_put_u8(&c->out, 0);
	size_t start = c->out.pos;
	for (size_t j = 0; j < t->len; j++) {
		int v = b32hex_value((uint8_t)t->s[j]);
		if (v < 0)
			return expect(c, k->what);
		acc = acc << 5 | (uint32_t)v;
		nbits += 5;
		if (nbits >= 8) {
			nbits -= 8;
			dnsd_wire_put_u8(&c->out, (uint8_t)(acc >> nbits));
		}
		acc &= (1u << nbits) - 1;
	}
	/* 1, 3 or 6 characters left over cannot come from whole octets */
	if (nbits >= 5 || acc || c->out.pos - start > 255)
		return expect(c, k->what);
	patch_u8(&c->out, lenpos, (uint8_t)(c->out.pos - start));
	c->i++;
	return 0;
}

static int print_hash(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint8_t n = dnsd_wire_u8(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s)
		return DNSD_EMALFORM;
	tb_sep(t);
	tb_b32hex(t, s, n);
	return 0;
}

static void check_hash(dnsd_wire *r, const kind *k)
{
	uint8_t n = dnsd_wire_u8(r);
	if (n == 0)
		bad(r);
	dnsd_wire_skip(r, n);
}

/* --- type bitmaps --- */

/* Only the windows in use are cleared and scanned: NSEC records are
 * many in a signed zone, and clearing all 8 KB each time showed. */
static int text_bitmap(tctx *c, const kind *k)
{
	uint8_t bits[8192];
	bool used[256] = {false};
	for (; c->i < c->ntok; c->i++) {
		const dnsd_token *t = &c->tok[c->i];
		uint16_t type;
		if (dnsd_rrtype_from_text(t->s, t->len, &type) < 0)
			return expect(c, k->what);
		if (!used[type >> 8]) {
			used[type >> 8] = true;
			memset(bits + (type >> 8) * 32, 0, 32);
		}
		bits[type >> 3] |= (uint8_t)(0x80 >> (type & 7));
	}
	for (unsigned win = 0; win < 256; win++) {
		if (!used[win])
			continue;
		const uint8_t *b = bits + win * 32;
		unsigned len = 32;
		while (!b[len - 1])
			len--;
		dnsd_wire_put_u8(&c->out, (uint8_t)win);
		dnsd_wire_put_u8(&c->out, (uint8_t)len);
		dnsd_wire_put(&c->out, b, len);
	}
	return 0;
}

static int print_bitmap(dnsd_wire *r, tbuf *t, const kind *k)
{
	while (dnsd_wire_left(r)) {
		unsigned win = dnsd_wire_u8(r), len = dnsd_wire_u8(r);
		const uint8_t *b = dnsd_wire_take(r, len);
		if (!b)
			return DNSD_EMALFORM;
		for (unsigned i = 0; i < len * 8; i++)
			if (b[i >> 3] & (0x80 >> (i & 7))) {
				tb_sep(t);
				tb_type(t, (uint16_t)(win << 8 | i));
			}
	}
	return 0;
}

/* RFC 4034 §4.1.2: windows in increasing order, 1..32 octets each, no
 * trailing zero octet (BIND refuses those too). */
static void check_bitmap(dnsd_wire *r, const kind *k)
{
	int last = -1;
	while (dnsd_wire_left(r)) {
		int win = dnsd_wire_u8(r);
		unsigned len = dnsd_wire_u8(r);
		const uint8_t *b = dnsd_wire_take(r, len);
		if (!b || win <= last || len == 0 || len > 32 || !b[len - 1]) {
			bad(r);
			return;
		}
		last = win;
	}
}

/* NXT (RFC 2535): bit n for type n, types below 128 only. */
static int text_nxtmap(tctx *c, const kind *k)
{
	uint8_t bits[16] = {0};
	unsigned len = 0;
	for (; c->i < c->ntok; c->i++) {
		const dnsd_token *t = &c->tok[c->i];
		uint16_t type;
		if (dnsd_rrtype_from_text(t->s, t->len, &type) < 0 ||
		    type == 0 || type > 127)
			return expect(c, k->what);
		bits[type >> 3] |= (uint8_t)(0x80 >> (type & 7));
		if (len < (unsigned)(type >> 3) + 1)
			len = (unsigned)(type >> 3) + 1;
	}
	dnsd_wire_put(&c->out, bits, len);
	return 0;
}

static int print_nxtmap(dnsd_wire *r, tbuf *t, const kind *k)
{
	size_t len = dnsd_wire_left(r);
	const uint8_t *b = dnsd_wire_take(r, len);
	for (size_t i = 1; b && i < len * 8; i++)
		if (b[i >> 3] & (0x80 >> (i & 7))) {
			tb_sep(t);
			tb_type(t, (uint16_t)i);
		}
	return 0;
}

/* Only the form text gives: no bit 0 (the extension bit), no trailing
 * zero octet, so that wire -> text -> wire keeps every octet. */
static void check_nxtmap(dnsd_wire *r, const kind *k)
{
	size_t len = dnsd_wire_left(r);
	const uint8_t *b = dnsd_wire_take(r, len);
	if (b && (len > 16 || (len && (b[0] & 0x80 || !b[len - 1]))))
		bad(r);
}

/* --- RRSIG times, types, algorithms --- */

static int text_time(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	uint64_t v;
	if (!t)
		return expect(c, k->what);
	if (t->len == 14) {
		uint64_t y, mo, d, h, mi, s;
		if (parse_num(t->s, 4, 9999, &y) ||
		    parse_num(t->s + 4, 2, 12, &mo) ||
		    parse_num(t->s + 6, 2, 31, &d) ||
		    parse_num(t->s + 8, 2, 23, &h) ||
		    parse_num(t->s + 10, 2, 59, &mi) ||
		    parse_num(t->s + 12, 2, 59, &s) || y < 1970 || mo < 1 ||
		    d < 1 || d > days_in_month((int64_t)y, (unsigned)mo))
			return expect(c, k->what);
		int64_t days =
		    days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d);
		/* past 2106 the 32-bit field wraps (RFC 4034 §3.1.5) */
		v = ((uint64_t)days * 86400 + h * 3600 + mi * 60 + s) &
		    0xffffffffu;
	} else if (parse_num(t->s, t->len, 0xffffffffu, &v) < 0) {
		return expect(c, k->what);
	}
	dnsd_wire_put_u32(&c->out, (uint32_t)v);
	c->i++;
	return 0;
}

static int print_time(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint32_t v = dnsd_wire_u32(r);
	int64_t y;
	unsigned mo, d;
	civil_from_days(v / 86400, &y, &mo, &d);
	uint32_t s = v % 86400;
	tb_sep(t);
	tb_fmt(t, "%04lld%02u%02u%02u%02u%02u", (long long)y, mo, d,
	       (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
	       (unsigned)(s % 60));
	return 0;
}

static int text_type(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	uint16_t type;
	if (!t || dnsd_rrtype_from_text(t->s, t->len, &type) < 0)
		return expect(c, k->what);
	dnsd_wire_put_u16(&c->out, type);
	c->i++;
	return 0;
}

static int print_type(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint16_t type = dnsd_wire_u16(r);
	tb_sep(t);
	tb_type(t, type);
	return 0;
}

/* A number of k->size octets, or a mnemonic from the kind's table. */
static const mnemonic *kind_mnemonics(const kind *k);

static int text_mnemonic(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	const mnemonic *m;
	if (!t)
		return expect(c, k->what);
	if ((m = mnemonic_find(kind_mnemonics(k), t->s, t->len)) != NULL) {
		if (k->size == 1)
			dnsd_wire_put_u8(&c->out, (uint8_t)m->value);
		else
			dnsd_wire_put_u16(&c->out, m->value);
		c->i++;
		return 0;
	}
	return text_uint(c, k);
}

static int print_certtype(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint16_t v = dnsd_wire_u16(r);
	const char *name = mnemonic_name(cert_types, v);
	tb_sep(t);
	if (name)
		tb_str(t, name);
	else
		tb_fmt(t, "%u", v);
	return 0;
}

/* --- TSIG/TKEY data with a 16-bit length: text "LEN BASE64" --- */

static int text_data16(tctx *c, const kind *k)
{
	const dnsd_token *t = cur(c);
	uint64_t n;
	if (!t || parse_num(t->s, t->len, 0xffff, &n) < 0)
		return expect(c, k->what);
	c->i++;
	size_t lenpos = c->out.pos;
	dnsd_wire_put_u16(&c->out, 0);
	if (n == 0)
		return 0;
	size_t start = c->out.pos;
	b64dec d = {0};
	if (!(t = cur(c)))
		return expect(c, k->what);
	for (size_t j = 0; j < t->len && !d.bad; j++)
		b64_feed(&d, (uint8_t)t->s[j], &c->out);
	if (!b64_done(&d) || (!c->out.err && c->out.pos - start != n))
		return expect(c, k->what);
	dnsd_wire_patch_u16(&c->out, lenpos, (uint16_t)n);
	c->i++;
	return 0;
}

static int print_data16(dnsd_wire *r, tbuf *t, const kind *k)
{
	uint16_t n = dnsd_wire_u16(r);
	const uint8_t *s = dnsd_wire_take(r, n);
	if (!s)
		return DNSD_EMALFORM;
	tb_sep(t);
	tb_fmt(t, "%u", n);
	if (n) {
		tb_ch(t, ' ');
		tb_b64(t, s, n);
	}
	return 0;
}

static void check_data16(dnsd_wire *r, const kind *k)
{
	dnsd_wire_skip(r, dnsd_wire_u16(r));
}

/* --- OPT options, opaque meta data: no text form --- */

static int print_none(dnsd_wire *r, tbuf *t, const kind *k)
{
	return NEED_GENERIC;
}

static void check_ednsopts(dnsd_wire *r, const kind *k)
{
	while (dnsd_wire_left(r)) {
		dnsd_wire_skip(r, 2);
		dnsd_wire_skip(r, dnsd_wire_u16(r));
	}
}

/* --- LOC (RFC 1876) --- */

#define LOC_EQUATOR 0x80000000u /* 2^31: latitude/longitude zero */
#define LOC_ALT0    10000000u   /* altitude zero: 100000 m below */

/* "[-]digits[.frac][m]" -> value scaled by 10^frac. */
static bool parse_decimal(const char *s, size_t len, unsigned frac, bool neg_ok,
                          bool m_ok, int64_t *v)
{
	size_t i = 0;
	bool neg = false, digits = false;
	int64_t n = 0;
	if (neg_ok && i < len && s[i] == '-') {
		neg = true;
		i++;
	}
	for (; i < len && is_digit(s[i]); i++, digits = true) {
		n = n * 10 + (s[i] - '0');
		if (n > 100000000000ll)
			return false;
	}
	unsigned f = 0;
	if (i < len && s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++, digits = true) {
			if (++f > frac)
				return false;
			n = n * 10 + (s[i] - '0');
		}
	}
	for (; f < frac; f++)
		n *= 10;
	if (m_ok && i < len && (s[i] == 'm' || s[i] == 'M'))
		i++;
	if (!digits || i != len)
		return false;
	*v = neg ? -n : n;
	return true;
}

static bool is_hemisphere(const dnsd_token *t, const char *hs)
{
	return t && t->len == 1 &&
	       (t->s[0] == hs[0] || t->s[0] == hs[1] || t->s[0] == hs[0] + 32 ||
	        t->s[0] == hs[1] + 32);
}

/* "d [m [s.sss]] H" -> 2^31 +/- thousandths of arc seconds. */
static int loc_coord(tctx *c, unsigned maxdeg, const char *hs, uint32_t *out)
{
	const dnsd_token *t = cur(c);
	uint64_t deg, min = 0;
	int64_t ms = 0;
	char what[64];
	snprintf(what, sizeof what, "degrees of %s (0-%u)",
	         maxdeg == 90 ? "latitude" : "longitude", maxdeg);
	if (!t || parse_num(t->s, t->len, maxdeg, &deg) < 0)
		return expect(c, what);
	c->i++;
	if (!is_hemisphere(t = cur(c), hs)) {
		if (!t || parse_num(t->s, t->len, 59, &min) < 0)
			return expect(c, "minutes (0-59)");
		c->i++;
		if (!is_hemisphere(t = cur(c), hs)) {
			if (!t ||
			    !parse_decimal(t->s, t->len, 3, false, false,
			                   &ms) ||
			    ms >= 60000)
				return expect(c, "seconds (0-59.999)");
			c->i++;
		}
	}
	t = cur(c);
	if (!is_hemisphere(t, hs)) {
		snprintf(what, sizeof what, "'%c' or '%c'", hs[0], hs[1]);
		return expect(c, what);
	}
	uint64_t v = (deg * 60 + min) * 60000 + (uint64_t)ms;
	if (v > (uint64_t)maxdeg * 3600000) {
		snprintf(what, sizeof what, "at most %u degrees", maxdeg);
		return expect_tok(c, c->i, DNSD_ERANGE, what);
	}
	*out = (t->s[0] | 32) == (hs[0] | 32) ? LOC_EQUATOR + (uint32_t)v
	                                      : LOC_EQUATOR - (uint32_t)v;
	c->i++;
	return 0;
}

/* Centimetres as RFC 1876 mantissa/exponent, rounding down as BIND. */
static uint8_t loc_prec(uint64_t cm)
{
	unsigned e = 0;
	uint64_t p = 1;
	while (e < 9 && cm >= p * 10) {
		p *= 10;
		e++;
	}
	return (uint8_t)((cm / p) << 4 | e);
}

static int text_loc(tctx *c, const kind *k)
{
	uint32_t lat, lon;
	int64_t alt;
	int r;
	if ((r = loc_coord(c, 90, "NS", &lat)) < 0 ||
	    (r = loc_coord(c, 180, "EW", &lon)) < 0)
		return r;
	const dnsd_token *t = cur(c);
	if (!t || !parse_decimal(t->s, t->len, 2, true, true, &alt) ||
	    alt < -(int64_t)LOC_ALT0 || alt > (int64_t)0xffffffffu - LOC_ALT0)
		return expect(c, "an altitude in meters "
		                 "(-100000.00 to 42849672.95)");
	c->i++;
	/* size 1m, horizontal precision 10000m, vertical 10m (RFC 1876) */
	uint8_t prec[3] = {0x12, 0x16, 0x13};
	for (int j = 0; j < 3 && (t = cur(c)) != NULL; j++) {
		int64_t cm;
		if (!parse_decimal(t->s, t->len, 2, false, true, &cm) ||
		    cm > 9000000000ll)
			return expect(c, j == 0
			                     ? "a size in meters (0-90000000)"
			                     : "a precision in meters "
			                       "(0-90000000)");
		prec[j] = loc_prec((uint64_t)cm);
		c->i++;
	}
	dnsd_wire_put_u8(&c->out, 0);
	dnsd_wire_put(&c->out, prec, 3);
	dnsd_wire_put_u32(&c->out, lat);
	dnsd_wire_put_u32(&c->out, lon);
	dnsd_wire_put_u32(&c->out, (uint32_t)(alt + LOC_ALT0));
	return 0;
}

static void print_loc_coord(tbuf *t, uint32_t v, const char *hs)
{
	bool pos = v >= LOC_EQUATOR;
	uint32_t a = pos ? v - LOC_EQUATOR : LOC_EQUATOR - v;
	tb_fmt(t, "%u %u %u.%03u %c", a / 3600000, a / 60000 % 60,
	       a / 1000 % 60, a % 1000, pos ? hs[0] : hs[1]);
}

static void print_loc_prec(tbuf *t, uint8_t p)
{
	static const uint32_t pow10[] = {
	    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
	unsigned m = p >> 4, e = p & 15;
	if (e >= 2)
		tb_fmt(t, " %llum", (unsigned long long)m * pow10[e - 2]);
	else
		tb_fmt(t, " 0.%02um", m * pow10[e]);
}

static int print_loc(dnsd_wire *r, tbuf *t, const kind *k)
{
	dnsd_wire_skip(r, 1);
	uint8_t prec[3];
	dnsd_wire_read(r, prec, 3);
	uint32_t lat = dnsd_wire_u32(r), lon = dnsd_wire_u32(r);
	uint32_t alt = dnsd_wire_u32(r);
	/* a zero mantissa with an exponent prints as 0m, which reads back
	 * as exponent 0: keep such octets in the \# form */
	for (int j = 0; j < 3; j++)
		if (!(prec[j] >> 4) && (prec[j] & 15))
			return NEED_GENERIC;
	tb_sep(t);
	print_loc_coord(t, lat, "NS");
	tb_ch(t, ' ');
	print_loc_coord(t, lon, "EW");
	uint32_t a = alt >= LOC_ALT0 ? alt - LOC_ALT0 : LOC_ALT0 - alt;
	tb_fmt(t, " %s%u.%02um", alt >= LOC_ALT0 ? "" : "-", a / 100, a % 100);
	for (int j = 0; j < 3; j++)
		print_loc_prec(t, prec[j]);
	return 0;
}

static void check_loc(dnsd_wire *r, const kind *k)
{
	uint8_t v[4];
	dnsd_wire_read(r, v, 4);
	uint32_t lat = dnsd_wire_u32(r), lon = dnsd_wire_u32(r);
	dnsd_wire_skip(r, 4);
	if (r->err)
		return;
	/* version 0 is the only one defined; mantissa and exponent are
	 * decimal digits; coordinates within the globe */
	if (v[0] != 0)
		bad(r);
	for (int j = 1; j < 4; j++)
		if ((v[j] >> 4) > 9 || (v[j] & 15) > 9)
			bad(r);
	if (lat < LOC_EQUATOR - 90u * 3600000 ||
	    lat > LOC_EQUATOR + 90u * 3600000 ||
	    lon < LOC_EQUATOR - 180u * 3600000 ||
	    lon > LOC_EQUATOR + 180u * 3600000)
		bad(r);
}

/* --- SVCB/HTTPS SvcParams (RFC 9460) --- */

enum svkind {
	SV_STRING,
	SV_KEYS,
	SV_ALPN,
	SV_NONE,
	SV_PORT,
	SV_IPV4,
	SV_B64,
	SV_IPV6
};

static const struct svckey {
	const char *name;
	uint8_t kind;
} svckeys[] = {
    {"mandatory", SV_KEYS},       {"alpn", SV_ALPN},
    {"no-default-alpn", SV_NONE}, {"port", SV_PORT},
    {"ipv4hint", SV_IPV4},        {"ech", SV_B64},
    {"ipv6hint", SV_IPV6},        {"dohpath", SV_STRING},
    {"ohttp", SV_NONE},
};

#define NSVCKEYS        (sizeof svckeys / sizeof svckeys[0])
#define SVC_MAXPARAMS   64
#define SVC_KEY_INVALID 65535

static int svc_kind(uint16_t key)
{
	return key < NSVCKEYS ? svckeys[key].kind : SV_STRING;
}

/* "alpn" or "key1" -> 1; false for an unknown name or key65535. */
static bool svc_key_from_text(const char *s, size_t len, uint16_t *key)
{
	uint64_t v;
	for (size_t i = 0; i < NSVCKEYS; i++)
		if (strlen(svckeys[i].name) == len &&
		    strncmp(svckeys[i].name, s, len) == 0) {
			*key = (uint16_t)i;
			return true;
		}
	if (len > 3 && strncmp(s, "key", 3) == 0 &&
	    parse_num(s + 3, len - 3, 65534, &v) == 0) {
		*key = (uint16_t)v;
		return true;
	}
	return false;
}

/* Keys printed by name; later ones (dohpath, ohttp) print as key7 and
 * key8, as BIND 9.18 and dnspython 2.3 print and read them, though their
 * names are read too. */
#define NSVCKEYS_PRINTED 7

static void tb_svc_key(tbuf *t, uint16_t key)
{
	if (key < NSVCKEYS_PRINTED)
		tb_str(t, svckeys[key].name);
	else
		tb_fmt(t, "key%u", key);
}

/* One parameter as written: key, raw value (escapes not yet processed)
 * and the token it came from. */
typedef struct svparam {
	uint16_t key;
	bool has_value;
	const char *v;
	size_t vlen, tok;
} svparam;

/* Next item of a comma-separated value list (RFC 9460 Appendix A.1):
 * escapes of the char-string are decoded first, then a backslash keeps
 * a comma or backslash inside an item. Returns the item length, or -1
 * for a bad escape, an empty item or one longer than cap. */
static int svc_item(const svparam *p, size_t *pos, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (*pos < p->vlen) {
		int ch = dechar(p->v, p->vlen, pos);
		if (ch == ',')
			break;
		if (ch == '\\') {
			if (*pos >= p->vlen)
				return -1;
			ch = dechar(p->v, p->vlen, pos);
		}
		if (ch < 0 || n >= cap)
			return -1;
		buf[n++] = (uint8_t)ch;
	}
	return n ? (int)n : -1;
}

static int svc_value_error(tctx *c, const svparam *p, const char *what)
{
	char b[48];
	return fail_at(c, p->tok, DNSD_ESYNTAX, "expected %s for SvcParam '%s'",
	               what, show(&c->tok[p->tok], b));
}

static int svc_keylist(tctx *c, const svparam *p, const svparam *all,
                       size_t nall)
{
	uint16_t keys[SVC_MAXPARAMS];
	size_t n = 0;
	uint8_t item[32];
	int len;
	for (size_t pos = 0; pos < p->vlen;) {
		if ((len = svc_item(p, &pos, item, sizeof item)) < 0 ||
		    n == SVC_MAXPARAMS ||
		    !svc_key_from_text((const char *)item, (size_t)len,
		                       &keys[n]) ||
		    keys[n] == 0)
			return svc_value_error(c, p,
			                       "a list of keys other than "
			                       "mandatory");
		/* insertion sort: the wire form needs them increasing */
		size_t j = n++;
		for (; j > 0 && keys[j - 1] > keys[j]; j--) {
			uint16_t tmp = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = tmp;
		}
		if (j > 0 && keys[j - 1] == keys[j])
			return svc_value_error(c, p, "keys without duplicates");
	}
	if (n == 0)
		return svc_value_error(c, p, "a list of keys");
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < nall && all[j].key != keys[i])
			j++;
		if (j == nall)
			return svc_value_error(c, p,
			                       "only keys that are present");
		dnsd_wire_put_u16(&c->out, keys[i]);
	}
	return 0;
}

static int svc_addrs(tctx *c, const svparam *p, int af)
{
	uint8_t item[64], a[16];
	int len;
	if (!p->vlen)
		return svc_value_error(c, p, "a list of addresses");
	for (size_t pos = 0; pos < p->vlen;) {
		if ((len = svc_item(p, &pos, item, sizeof item - 1)) < 0)
			return svc_value_error(c, p, "a list of addresses");
		item[len] = 0;
		if (inet_pton(af, (const char *)item, a) != 1)
			return svc_value_error(c, p,
			                       af == AF_INET
			                           ? "IPv4 addresses"
			                           : "IPv6 addresses");
		dnsd_wire_put(&c->out, a, af == AF_INET ? 4 : 16);
	}
	return 0;
}

static int svc_value(tctx *c, const svparam *p, const svparam *all, size_t nall)
{
	uint8_t item[255];
	int len, sk = svc_kind(p->key);
	uint64_t port;
	b64dec d = {0};
	if (sk == SV_NONE) {
		if (p->vlen)
			return svc_value_error(c, p, "no value");
		return 0;
	}
	if (!p->has_value && sk != SV_STRING)
		return svc_value_error(c, p, "a value");
	switch (sk) {
	case SV_KEYS:
		return svc_keylist(c, p, all, nall);
	case SV_ALPN:
		if (!p->vlen)
			return svc_value_error(c, p, "protocol ids");
		for (size_t pos = 0; pos < p->vlen;) {
			if ((len = svc_item(p, &pos, item, sizeof item)) < 0)
				return svc_value_error(c, p, "protocol ids");
			dnsd_wire_put_u8(&c->out, (uint8_t)len);
			dnsd_wire_put(&c->out, item, (size_t)len);
		}
		return 0;
	case SV_PORT:
		if ((len = svc_item(p, &(size_t){0}, item, 6)) < 0 ||
		    (size_t)len != p->vlen ||
		    parse_num((const char *)item, (size_t)len, 65535, &port) <
		        0)
			return svc_value_error(c, p, "a port number");
		dnsd_wire_put_u16(&c->out, (uint16_t)port);
		return 0;
	case SV_IPV4:
		return svc_addrs(c, p, AF_INET);
	case SV_IPV6:
		return svc_addrs(c, p, AF_INET6);
	case SV_B64:
		for (size_t pos = 0; pos < p->vlen && !d.bad;) {
			int ch = dechar(p->v, p->vlen, &pos);
			if (ch < 0)
				d.bad = true;
			else
				b64_feed(&d, ch, &c->out);
		}
		if (!b64_done(&d))
			return svc_value_error(c, p, "base64 data");
		return 0;
	default: /* a char-string without length limit */
		for (size_t pos = 0; pos < p->vlen;) {
			int ch = dechar(p->v, p->vlen, &pos);
			if (ch < 0)
				return svc_value_error(c, p, "a string");
			dnsd_wire_put_u8(&c->out, (uint8_t)ch);
		}
		return 0;
	}
}

/* Cuts the remaining tokens into parameters. The lexer may hand us
 * `alpn="h2,h3"` as one token with the quotes inside, or `alpn=` followed
 * by a quoted token; both mean the same. */
static int svc_split(tctx *c, svparam *ps, size_t *np)
{
	size_t n = 0;
	for (; c->i < c->ntok; c->i++) {
		const dnsd_token *t = &c->tok[c->i];
		const char *eq = t->quoted ? NULL : memchr(t->s, '=', t->len);
		size_t klen = eq ? (size_t)(eq - t->s) : t->len;
		svparam *p = &ps[n];
		if (n == SVC_MAXPARAMS)
			return fail_at(c, c->i, DNSD_ETOOMANY,
			               "too many SvcParams (at most %d)",
			               SVC_MAXPARAMS);
		if (t->quoted || !svc_key_from_text(t->s, klen, &p->key))
			return expect(c, "a SvcParam key");
		p->tok = c->i;
		p->has_value = eq != NULL;
		p->v = eq ? eq + 1 : t->s + t->len;
		p->vlen = eq ? t->len - klen - 1 : 0;
		if (eq && p->vlen == 0 && c->i + 1 < c->ntok &&
		    c->tok[c->i + 1].quoted) {
			c->i++;
			p->v = c->tok[c->i].s;
			p->vlen = c->tok[c->i].len;
		} else if (p->vlen && p->v[0] == '"') {
			if (p->vlen < 2 || p->v[p->vlen - 1] != '"' ||
			    (p->vlen >= 3 && p->v[p->vlen - 2] == '\\'))
				return expect(c, "a closing quote");
			p->v++;
			p->vlen -= 2;
		}
		n++;
	}
	*np = n;
	return 0;
}

static int text_svcparams(tctx *c, const kind *k)
{
	svparam ps[SVC_MAXPARAMS];
	size_t n = 0; /* set by svc_split; gcc cannot tell */
	int r = svc_split(c, ps, &n);
	if (r < 0)
		return r;
	/* the wire form needs keys strictly increasing: sort, refuse twins */
	for (size_t i = 1; i < n; i++) {
		svparam p = ps[i];
		size_t j = i;
		for (; j > 0 && ps[j - 1].key > p.key; j--)
			ps[j] = ps[j - 1];
		ps[j] = p;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && ps[i].key == ps[i - 1].key) {
			char b[48];
			return fail_at(c, ps[i].tok, DNSD_ESYNTAX,
			               "expected each SvcParam key once, found "
			               "'%s' again",
			               show(&c->tok[ps[i].tok], b));
		}
		dnsd_wire_put_u16(&c->out, ps[i].key);
		size_t lenpos = c->out.pos;
		dnsd_wire_put_u16(&c->out, 0);
		if ((r = svc_value(c, &ps[i], ps, n)) < 0)
			return r;
		size_t vlen = c->out.err ? 0 : c->out.pos - lenpos - 2;
		if (vlen > 0xffff)
			return svc_value_error(c, &ps[i], "a shorter value");
		dnsd_wire_patch_u16(&c->out, lenpos, (uint16_t)vlen);
	}
	return 0;
}

/* One SvcParam value in presentation form; v has len octets. */
static void print_svc_value(tbuf *t, uint16_t key, const uint8_t *v, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	size_t i;
	switch (svc_kind(key)) {
	case SV_KEYS:
		for (i = 0; i + 1 < len; i += 2) {
			tb_ch(t, i ? ',' : '=');
			tb_svc_key(t, (uint16_t)(v[i] << 8 | v[i + 1]));
		}
		break;
	case SV_ALPN:
		tb_str(t, "=\"");
		for (i = 0; i < len;) {
			size_t n = v[i++];
			if (i > 1)
				tb_ch(t, ',');
			for (; n && i < len; n--, i++) {
				/* a list-level backslash, itself escaped */
				if (v[i] == ',' || v[i] == '\\')
					tb_str(t, "\\\\");
				tb_qchar(t, v[i]);
			}
		}
		tb_ch(t, '"');
		break;
	case SV_NONE:
		break;
	case SV_PORT:
		tb_fmt(t, "=%u", len == 2 ? (unsigned)(v[0] << 8 | v[1]) : 0);
		break;
	case SV_IPV4:
	case SV_IPV6: {
		size_t sz = svc_kind(key) == SV_IPV4 ? 4 : 16;
		for (i = 0; i + sz <= len; i += sz) {
			tb_ch(t, i ? ',' : '=');
			inet_ntop(sz == 4 ? AF_INET : AF_INET6, v + i, buf,
			          sizeof buf);
			tb_str(t, buf);
		}
		break;
	}
	case SV_B64:
		tb_ch(t, '=');
		tb_b64(t, v, len);
		break;
	default:
		if (len) {
			tb_ch(t, '=');
			tb_qstring(t, v, len);
		}
		break;
	}
}

static int print_svcparams(dnsd_wire *r, tbuf *t, const kind *k)
{
	while (dnsd_wire_left(r)) {
		uint16_t key = dnsd_wire_u16(r), len = dnsd_wire_u16(r);
		const uint8_t *v = dnsd_wire_take(r, len);
		if (!v)
			return DNSD_EMALFORM;
		tb_sep(t);
		tb_svc_key(t, key);
		print_svc_value(t, key, v, len);
	}
	return 0;
}

/* Whether a value has the shape its key demands (RFC 9460 §7). */
static bool svc_value_ok(uint16_t key, const uint8_t *v, size_t len)
{
	switch (svc_kind(key)) {
	case SV_KEYS:
		if (len == 0 || len % 2)
			return false;
		for (size_t i = 0; i < len; i += 2) {
			unsigned k = (unsigned)(v[i] << 8 | v[i + 1]);
			if (k == 0 ||
			    (i && k <= (unsigned)(v[i - 2] << 8 | v[i - 1])))
				return false;
		}
		return true;
	case SV_ALPN:
		if (len == 0)
			return false;
		for (size_t i = 0; i < len; i += 1 + v[i])
			if (v[i] == 0 || len - i - 1 < v[i])
				return false;
		return true;
	case SV_NONE:
		return len == 0;
	case SV_PORT:
		return len == 2;
	case SV_IPV4:
		return len && len % 4 == 0;
	case SV_IPV6:
		return len && len % 16 == 0;
	default:
		return true;
	}
}

/* Whether key is among the params at r (read through a copy). */
static bool svc_has_key(dnsd_wire r, uint16_t key)
{
	while (dnsd_wire_left(&r)) {
		uint16_t k = dnsd_wire_u16(&r);
		if (k == key)
			return true;
		dnsd_wire_skip(&r, dnsd_wire_u16(&r));
	}
	return false;
}

/* Keys strictly increasing, each value of its key's shape, and every key
 * that mandatory lists present (RFC 9460 §2.2, §8). */
static void check_svcparams(dnsd_wire *r, const kind *k)
{
	dnsd_wire all = *r;
	int last = -1;
	while (dnsd_wire_left(r)) {
		uint16_t key = dnsd_wire_u16(r), len = dnsd_wire_u16(r);
		const uint8_t *v = dnsd_wire_take(r, len);
		if (!v || (int)key <= last || key == SVC_KEY_INVALID ||
		    !svc_value_ok(key, v, len)) {
			bad(r);
			return;
		}
		for (size_t i = 0; key == 0 && i + 1 < len; i += 2)
			if (!svc_has_key(all, (uint16_t)(v[i] << 8 | v[i + 1])))
				bad(r);
		last = key;
	}
}

/* --- the kind table --- */

static const kind kinds[F_KINDS] = {
    [F_NAME] = {"a domain name", 0, text_name, print_name, check_name},
    [F_U8] = {"an 8-bit number", 1, text_uint, print_uint, check_fixed},
    [F_U16] = {"a 16-bit number", 2, text_uint, print_uint, check_fixed},
    [F_U32] = {"a 32-bit number", 4, text_uint, print_uint, check_fixed},
    [F_U48] = {"a 48-bit number", 6, text_uint, print_uint, check_fixed},
    [F_TTL32] = {"a 32-bit number or a TTL", 4, text_ttl32, print_uint,
                 check_fixed},
    [F_IPV4] = {"an IPv4 address", 4, text_addr, print_addr, check_fixed},
    [F_IPV6] = {"an IPv6 address", 16, text_addr, print_addr, check_fixed},
    [F_CHARSTR] = {"a character string of at most 255 octets", 0, text_charstr,
                   print_charstr, check_charstr},
    [F_CHARSTRS] = {"a character string", 0, text_charstrs, print_charstrs,
                    check_charstrs},
    [F_STRING] = {"a string", 0, text_string, print_string, check_rest},
    [F_CAATAG] = {"a CAA tag (letters and digits)", 0, text_caatag,
                  print_caatag, check_caatag},
    [F_BASE64] = {"base64 data", 0, text_base64, print_base64, check_rest},
    [F_HEX] = {"hex data", 0, text_hex, print_hex, check_rest},
    [F_SALT] = {"a hex salt or '-'", 0, text_salt, print_salt, check_charstr},
    [F_HASH] = {"a base32hex hash", 0, text_hash, print_hash, check_hash},
    [F_BITMAP] = {"an RR type", 0, text_bitmap, print_bitmap, check_bitmap},
    [F_NXTMAP] = {"an RR type from 1 to 127", 0, text_nxtmap, print_nxtmap,
                  check_nxtmap},
    [F_TIME] = {"a time as YYYYMMDDHHmmSS or a number", 4, text_time,
                print_time, check_fixed},
    [F_TYPE] = {"an RR type", 2, text_type, print_type, check_fixed},
    [F_ALG] = {"an algorithm number or mnemonic", 1, text_mnemonic, print_uint,
               check_fixed},
    [F_CERTTYPE] = {"a certificate type number or mnemonic", 2, text_mnemonic,
                    print_certtype, check_fixed},
    [F_DATA16] = {"a length and base64 data of that length", 0, text_data16,
                  print_data16, check_data16},
    [F_LOC] = {"a location", 0, text_loc, print_loc, check_loc},
    [F_SVCPARAMS] = {"a SvcParam", 0, text_svcparams, print_svcparams,
                     check_svcparams},
    [F_EDNSOPTS] = {"EDNS options", 0, NULL, print_none, check_ednsopts},
    [F_OPAQUE] = {"data", 0, NULL, print_none, check_rest},
    [F_EUI48] = {"an EUI-48 address (xx-xx-xx-xx-xx-xx)", 6, text_eui,
                 print_eui, check_fixed},
    [F_EUI64] = {"an EUI-64 address (xx-xx-xx-xx-xx-xx-xx-xx)", 8, text_eui,
                 print_eui, check_fixed},
};

static const mnemonic *kind_mnemonics(const kind *k)
{
	return k == &kinds[F_ALG] ? algorithms : cert_types;
}

/* ------------------------------------------------------------------ */
/* Walking a row's fields over uncompressed RDATA                      */

#define MAXSPANS 4
typedef struct span {
	size_t off, len;
} span;

/* Checks rd against the row; records where names are (for lowering).
 * Returns 0 or DNSD_EMALFORM. */
static int walk(const rrtype_row *row, const uint8_t *rd, size_t len,
                span *names, size_t *nnames)
{
	dnsd_wire r;
	dnsd_wire_init_read(&r, rd, len);
	for (const uint8_t *f = row->f; *f && !r.err; f++) {
		size_t start = r.pos;
		kinds[*f].check(&r, &kinds[*f]);
		if (*f == F_NAME && names && !r.err && *nnames < MAXSPANS)
			names[(*nnames)++] = (span){start, r.pos - start};
	}
	return r.err || r.pos != len ? DNSD_EMALFORM : 0;
}

/* ------------------------------------------------------------------ */
/* Public API: types and classes                                       */

const char *dnsd_rrtype_to_text(uint16_t type, char buf[16])
{
	const rrtype_row *r = row_get(type);
	if (r)
		snprintf(buf, 16, "%s", r->info.name);
	else
		snprintf(buf, 16, "TYPE%u", type);
	return buf;
}

int dnsd_rrtype_from_text(const char *s, size_t len, uint16_t *type)
{
	uint64_t v;
	if (len > 4 && strncasecmp(s, "TYPE", 4) == 0) {
		if (parse_num(s + 4, len - 4, 65535, &v) < 0)
			return DNSD_ESYNTAX;
		*type = (uint16_t)v;
		return 0;
	}
	for (size_t i = 0; i < NROWS; i++)
		if (len && (rows[i].info.name[0] | 32) == (s[0] | 32) &&
		    strlen(rows[i].info.name) == len &&
		    strncasecmp(rows[i].info.name, s, len) == 0) {
			*type = rows[i].info.type;
			return 0;
		}
	return DNSD_ESYNTAX;
}

int dnsd_rrclass_from_text(const char *s, size_t len, uint16_t *rclass)
{
	uint64_t v;
	const mnemonic *m = mnemonic_find(classes, s, len);
	if (m) {
		*rclass = m->value;
		return 0;
	}
	if (len > 5 && strncasecmp(s, "CLASS", 5) == 0 &&
	    parse_num(s + 5, len - 5, 65535, &v) == 0) {
		*rclass = (uint16_t)v;
		return 0;
	}
	return DNSD_ESYNTAX;
}

const char *dnsd_rrclass_to_text(uint16_t rclass, char buf[16])
{
	const char *name = mnemonic_name(classes, rclass);
	if (name)
		snprintf(buf, 16, "%s", name);
	else
		snprintf(buf, 16, "CLASS%u", rclass);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Public API: text -> wire                                            */

/* RFC 3597 §5: \# LEN HEX..., checked against the type when it has a
 * row so that no malformed RDATA enters through the back door. */
static int text_generic(tctx *c, const rrtype_row *row)
{
	const dnsd_token *t = cur(c);
	uint64_t len;
	if (!t || parse_num(t->s, t->len, 65535, &len) < 0)
		return expect(c, "the RDATA length after \\#");
	c->i++;
	size_t start = c->out.pos;
	if (len > 0 || c->i < c->ntok) {
		int r = put_hex(c, &kinds[F_HEX], false);
		if (r < 0)
			return r;
	}
	size_t got = c->out.err ? len : c->out.pos - start;
	if (got != len)
		return fail_at(c, got < len ? c->ntok : c->ntok - 1,
		               DNSD_ESYNTAX,
		               "expected %u octets after \\# %u, found %zu",
		               (unsigned)len, (unsigned)len, got);
	if (row && !c->out.err &&
	    walk(row, c->out.base + start, got, NULL, NULL) < 0)
		return fail_at(c, 0, DNSD_ESYNTAX,
		               "expected %s RDATA after \\#, found data "
		               "that does not fit",
		               row->info.name);
	return 0;
}

int dnsd_rdata_from_text(uint16_t type, const dnsd_token *toks, size_t ntok,
                         const uint8_t *origin, uint8_t *out, size_t cap,
                         dnsd_rdata_error *err)
{
	tctx c = {.tok = toks, .ntok = ntok, .origin = origin, .err = err};
	const rrtype_row *row = row_get(type);
	int r = 0;
	err->tok = 0;
	err->msg[0] = 0;
	dnsd_wire_init_write(&c.out, out, cap);

	if (ntok > 0 && !toks[0].quoted && toks[0].len == 2 &&
	    memcmp(toks[0].s, "\\#", 2) == 0) {
		c.i = 1;
		r = text_generic(&c, row);
	} else if (!row) {
		char what[48], buf[16];
		snprintf(what, sizeof what, "\\# and hex data for %s",
		         dnsd_rrtype_to_text(type, buf));
		return expect(&c, what);
	} else {
		for (const uint8_t *f = row->f; *f && r == 0; f++) {
			const kind *k = &kinds[*f];
			if (!k->text) {
				char what[48];
				snprintf(what, sizeof what,
				         "\\# and hex data for %s",
				         row->info.name);
				return expect(&c, what);
			}
			r = k->text(&c, k);
		}
	}
	if (r < 0)
		return r;
	if (c.i < ntok) {
		char b[48];
		return fail_at(&c, c.i, DNSD_ESYNTAX, "trailing data: '%s'",
		               show(&toks[c.i], b));
	}
	if (c.out.err)
		return fail_at(&c, ntok ? ntok - 1 : 0, DNSD_ESPACE,
		               "RDATA longer than %zu octets", cap);
	if (c.out.pos > 65535)
		return fail_at(&c, ntok ? ntok - 1 : 0, DNSD_ERANGE,
		               "RDATA longer than 65535 octets");
	return (int)c.out.pos;
}

/* ------------------------------------------------------------------ */
/* Public API: wire -> text                                            */

static void print_generic(tbuf *t, const uint8_t *rdata, size_t len)
{
	tb_fmt(t, "\\# %zu", len);
	if (len) {
		tb_ch(t, ' ');
		tb_hex(t, rdata, len);
	}
}

int dnsd_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len,
                       bool generic, char *buf, size_t cap)
{
	tbuf t = {buf, cap, 0, cap == 0};
	const rrtype_row *row = generic ? NULL : row_get(type);
	bool fallback = row == NULL;

	if (row) {
		if (walk(row, rdata, len, NULL, NULL) < 0)
			return DNSD_EMALFORM;
		dnsd_wire r;
		dnsd_wire_init_read(&r, rdata, len);
		for (const uint8_t *f = row->f; *f && !fallback; f++) {
			int e = kinds[*f].print(&r, &t, &kinds[*f]);
			if (e < 0)
				return DNSD_EMALFORM;
			fallback = e == NEED_GENERIC;
		}
		if (fallback) {
			t.len = 0;
			t.full = false;
		}
	}
	if (fallback)
		print_generic(&t, rdata, len);
	if (t.full)
		return DNSD_ESPACE;
	buf[t.len] = 0;
	return (int)t.len;
}

/* ------------------------------------------------------------------ */
/* Public API: wire -> wire, and output with compression               */

int dnsd_rdata_from_wire(uint16_t type, dnsd_wire *w, size_t rdlen,
                         uint8_t *out, size_t cap)
{
	const rrtype_row *row = row_get(type);
	dnsd_wire o, r;
	if (w->err)
		return w->err;
	if (dnsd_wire_left(w) < rdlen) {
		dnsd_wire_fail(w, DNSD_EMALFORM);
		return DNSD_EMALFORM;
	}
	dnsd_wire_init_write(&o, out, cap);
	/* r reads the message but stops at the end of this RDATA; pointers
	 * go backwards, so they stay inside it too */
	r = *w;
	r.len = w->pos + rdlen;

	if (row && (row->info.flags & DNSD_RRF_DECOMPRESS)) {
		for (const uint8_t *f = row->f; *f && !r.err; f++) {
			if (*f == F_NAME) {
				uint8_t n[DNSD_NAME_MAX];
				int l = dnsd_name_from_wire(&r, n);
				if (l > 0)
					dnsd_wire_put(&o, n, (size_t)l);
				continue;
			}
			dnsd_wire s = r;
			kinds[*f].check(&r, &kinds[*f]);
			size_t n = r.pos - s.pos;
			if (!r.err)
				dnsd_wire_put(&o, dnsd_wire_take(&s, n), n);
		}
	} else {
		dnsd_wire_put(&o, dnsd_wire_take(&r, rdlen), rdlen);
	}

	int err = r.err ? r.err : r.pos != r.len ? DNSD_EMALFORM : o.err;
	if (!err && o.pos > 65535)
		err = DNSD_EMALFORM;
	if (!err && row && walk(row, out, o.pos, NULL, NULL) < 0)
		err = DNSD_EMALFORM;
	if (err) {
		dnsd_wire_fail(w, err);
		return err;
	}
	w->pos = r.len;
	return (int)o.pos;
}

void dnsd_rdata_to_wire(uint16_t type, const uint8_t *rdata, size_t len,
                        dnsd_wire *w, dnsd_compress *c)
{
	const rrtype_row *row = row_get(type);
	if (!c || !row || !(row->info.flags & DNSD_RRF_COMPRESS) ||
	    walk(row, rdata, len, NULL, NULL) < 0) {
		dnsd_wire_put(w, rdata, len);
		return;
	}
	dnsd_wire r;
	dnsd_wire_init_read(&r, rdata, len);
	for (const uint8_t *f = row->f; *f; f++) {
		if (*f == F_NAME) {
			uint8_t n[DNSD_NAME_MAX];
			if (read_name(&r, n) > 0)
				dnsd_name_to_wire(w, n, c);
			continue;
		}
		dnsd_wire s = r;
		kinds[*f].check(&r, &kinds[*f]);
		size_t n = r.pos - s.pos;
		dnsd_wire_put(w, dnsd_wire_take(&s, n), n);
	}
}

/* ------------------------------------------------------------------ */
/* Public API: canonical order, follow-up names, SOA, serials, TTLs    */

static bool in_spans(const span *sp, size_t n, size_t i)
{
	for (size_t j = 0; j < n; j++)
		if (i >= sp[j].off && i < sp[j].off + sp[j].len)
			return true;
	return false;
}

int dnsd_rdata_cmp(uint16_t type, const uint8_t *a, size_t alen,
                   const uint8_t *b, size_t blen)
{
	const rrtype_row *row = row_get(type);
	size_t n = alen < blen ? alen : blen;
	span sa[MAXSPANS], sb[MAXSPANS];
	size_t na = 0, nb = 0;

	if (row && (row->info.flags & DNSD_RRF_CANON_LOWER)) {
		if (walk(row, a, alen, sa, &na) < 0)
			na = 0;
		if (walk(row, b, blen, sb, &nb) < 0)
			nb = 0;
	}
	if (!na && !nb) {
		int d = n ? memcmp(a, b, n) : 0;
		if (d)
			return d;
	} else {
		/* lowering length octets is harmless: they are below 'A' */
		for (size_t i = 0; i < n; i++) {
			uint8_t ca =
			    in_spans(sa, na, i) ? dnsd_lower[a[i]] : a[i];
			uint8_t cb =
			    in_spans(sb, nb, i) ? dnsd_lower[b[i]] : b[i];
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
	}
	return alen < blen ? -1 : alen > blen;
}

const uint8_t *dnsd_rdata_target(uint16_t type, const uint8_t *rdata,
                                 size_t len)
{
	const rrtype_row *row = row_get(type);
	span sp[MAXSPANS];
	size_t n = 0;
	if (!row || row->target < 0 || walk(row, rdata, len, sp, &n) < 0)
		return NULL;
	/* the target is the row's only name field */
	return n == 1 ? rdata + sp[0].off : NULL;
}

int dnsd_soa_fields(const uint8_t *rdata, size_t len, uint32_t *serial,
                    uint32_t *refresh, uint32_t *retry, uint32_t *expire,
                    uint32_t *minimum)
{
	uint8_t n[DNSD_NAME_MAX];
	dnsd_wire r;
	dnsd_wire_init_read(&r, rdata, len);
	read_name(&r, n);
	read_name(&r, n);
	uint32_t v[5];
	for (int i = 0; i < 5; i++)
		v[i] = dnsd_wire_u32(&r);
	if (r.err || r.pos != len)
		return DNSD_EMALFORM;
	if (serial)
		*serial = v[0];
	if (refresh)
		*refresh = v[1];
	if (retry)
		*retry = v[2];
	if (expire)
		*expire = v[3];
	if (minimum)
		*minimum = v[4];
	return 0;
}

bool dnsd_serial_gt(uint32_t b, uint32_t a)
{
	/* RFC 1982 §3.2; a difference of exactly 2^31 is undefined: false */
	uint32_t d = b - a;
	return d != 0 && d < 0x80000000u;
}

static const struct ttl_unit {
	char unit;
	uint32_t seconds;
} ttl_units[] = {
    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
};

int dnsd_ttl_from_text(const char *s, size_t len, uint32_t *ttl)
{
	uint64_t total = 0, n = 0;
	bool digits = false, units = false;
	if (len == 0)
		return DNSD_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		if (is_digit(s[i])) {
			n = n * 10 + (uint64_t)(s[i] - '0');
			if (n > 0xffffffffull)
				return DNSD_ERANGE;
			digits = true;
			continue;
		}
		size_t u = 0;
		while (u < sizeof ttl_units / sizeof ttl_units[0] &&
		       ttl_units[u].unit != (s[i] | 32))
			u++;
		if (u == sizeof ttl_units / sizeof ttl_units[0] || !digits)
			return DNSD_ESYNTAX;
		total += n * ttl_units[u].seconds;
		if (total > 0x7fffffff)
			return DNSD_ERANGE;
		n = 0;
		digits = false;
		units = true;
	}
	/* as BIND: "1h30" is an error, a number after a unit needs one */
	if (digits && units)
		return DNSD_ESYNTAX;
	if (digits)
		total = n;
	if (total > 0x7fffffff)
		return DNSD_ERANGE;
	*ttl = (uint32_t)total;
	return 0;
}
