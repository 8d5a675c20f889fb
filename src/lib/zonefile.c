/* Zone files (RFC 1035 §5, as BIND reads them).
 *
 * One pass over a buffer holding the whole file: a hand-written lexer cuts
 * each logical record (a line, or lines joined by parentheses) into tokens
 * pointing into the buffer, kept in one array reused for every record, so
 * parsing allocates nothing per record. The header of a record (owner,
 * TTL, class, type) is read here; the RDATA goes to dnsd_rdata_from_text,
 * except for the common shapes (simple names, numeric TTL, IN, an A
 * record) that have fast paths of their own: a million-line zone has to
 * parse in a fraction of a second. */
#include "zonefile_priv.h"
#include <dnsd/err.h>
#include <dnsd/zonefile.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record of 64 KiB RDATA written as single octets needs about 65536
 * tokens; more than that cannot be a valid record. */
#define ZF_MAX_TOKENS 70000u
/* However deep the caller lets $INCLUDE go, the stack stays small. */
#define ZF_DEPTH_CAP 64u
#define ZF_TTL_MAX   0x7fffffffu
/* Runs of base64 at least this long are masked in key-file diagnostics. */
#define ZF_SECRET_RUN 12

/* Character classes of the lexer; every other octet (NUL included) is
 * part of a token. */
enum { C_TOK = 0, C_WS, C_NL, C_SEMI, C_LP, C_RP, C_QUOTE, C_BSL };

static const uint8_t cclass[256] = {
    [' '] = C_WS,  ['\t'] = C_WS,   ['\r'] = C_WS,
    ['\n'] = C_NL, [';'] = C_SEMI,  ['('] = C_LP,
    [')'] = C_RP,  ['"'] = C_QUOTE, ['\\'] = C_BSL,
};

/* One file being read: the top file or an $INCLUDE. */
typedef struct zf_file {
	struct zf_file *up; /* the file that included this one */
	const char *name;   /* as diagnostics show it */
	const char *id;     /* resolved path, to catch $INCLUDE loops */
	const char *dir;    /* relative $INCLUDE paths start here */
	const char *buf, *p, *end;
	const char *line_start;
	uint32_t line;
	unsigned depth;
} zf_file;

enum { OWNER_NONE = 0, OWNER_OK, OWNER_BAD };

struct dnsd_zf_parser {
	const dnsd_zf_opts *o;
	dnsd_zf_sink_fn sink;
	dnsd_zf_rec_fn rec_sink;
	dnsd_zf_span_fn span_sink;
	void *sink_ctx;
	bool redact;
	unsigned max_errors, max_depth;
	dnsd_zf_result res;
	bool stop;    /* max_errors reached, or the sink or malloc failed */
	int stop_err; /* the sink's or malloc's error */
	zf_file *cur;
	const char *top_name;
	char **names; /* names of included files, freed at the end */
	size_t nnames;
	char *root; /* $INCLUDE boundary (resolved on first use) */
	bool root_done;
	int root_errno;

	/* the record being lexed */
	dnsd_token *toks;
	size_t ntok, cap;
	bool rec_bad;     /* a lexer error was reported: skip the record */
	bool rec_inherit; /* the line starts with a blank: no owner */
	/* where it starts in its file (for spans) */
	const char *rec_start;

	uint8_t origin[DNSD_NAME_MAX];
	size_t origin_len;
	uint8_t owner[DNSD_NAME_MAX];
	int owner_state;

	/* TTL rules (BIND's): $TTL, else the previous record's TTL
	 * (RFC 1035), else SOA MINIMUM for a SOA, which then acts as $TTL */
	bool have_default, have_last, warned_1035;
	uint32_t default_ttl, last_ttl;

	/* the last type mnemonic seen and its value */
	char tc_text[16];
	uint32_t tc_len;
	uint16_t tc_type;
	/* whether the last type checked may not be in a zone file */
	bool meta_known, meta;
	uint16_t meta_type;
	uint64_t generated; /* records made by $GENERATE so far */

	uint8_t rdata[65535];
};

/* ---- diagnostics ---- */

static uint32_t col_of(const zf_file *f, const char *at)
{
	size_t c = (size_t)(at - f->line_start) + 1;
	return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

/* The whole line that holds at, without its newline (and CR). */
static void line_around(const zf_file *f, const char *at, const char **text,
                        size_t *len)
{
	*text = NULL;
	*len = 0;
	if (!f || !at || at < f->buf || at > f->end)
		return;
	const char *nl =
	    at > f->buf ? memrchr(f->buf, '\n', (size_t)(at - f->buf)) : NULL;
	const char *b = nl ? nl + 1 : f->buf;
	const char *e = memchr(at, '\n', (size_t)(f->end - at));
	if (!e)
		e = f->end;
	if (e > b && e[-1] == '\r')
		e--;
	*text = b;
	*len = (size_t)(e - b);
}

static bool is_b64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* Masks every run of base64 characters long enough to be a key secret, so
 * a diagnostic about a key file never shows one. */
static void mask_secrets(char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && is_b64((uint8_t)s[j]))
			j++;
		if (j - i >= ZF_SECRET_RUN)
			memset(s + i, '*', j - i);
		i = j == i ? i + 1 : j;
	}
}

static void emit(dnsd_zf_parser *p, int sev, const char *at, uint32_t line,
                 uint32_t col, const char *msg)
{
	if (p->stop)
		return;
	const zf_file *f = p->cur;
	dnsd_diag d = {
	    .severity = sev,
	    .file = f ? f->name : p->top_name,
	    .line = line,
	    .col = col,
	    .msg = msg,
	};
	line_around(f, at, &d.text, &d.text_len);
	char *copy = NULL;
	char mcopy[512];
	if (p->redact) {
		snprintf(mcopy, sizeof mcopy, "%s", msg);
		mask_secrets(mcopy, strlen(mcopy));
		d.msg = mcopy;
		if (d.text) {
			copy = malloc(d.text_len + 1);
			if (copy) {
				memcpy(copy, d.text, d.text_len);
				mask_secrets(copy, d.text_len);
			} else {
				d.text_len = 0;
			}
			d.text = copy;
		}
	}
	if (p->o->diag)
		p->o->diag(p->o->diag_ctx, &d);
	else
		dnsd_diag_print(stderr, &d);
	free(copy);
	if (sev != DNSD_DIAG_ERROR) {
		p->res.warnings++;
		return;
	}
	if (++p->res.errors >= p->max_errors)
		p->stop = true;
}

static void __attribute__((format(printf, 6, 0)))
vdiag(dnsd_zf_parser *p, int sev, const char *at, uint32_t line, uint32_t col,
      const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	emit(p, sev, at, line, col, msg);
}

static void __attribute__((format(printf, 5, 6)))
err_at(dnsd_zf_parser *p, const char *at, uint32_t line, uint32_t col,
       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(p, DNSD_DIAG_ERROR, at, line, col, fmt, ap);
	va_end(ap);
}

/* Error at a lexer position on the current line. */
#define err_pos(p, at, ...)                                                    \
	err_at(p, at, (p)->cur->line, col_of((p)->cur, at), __VA_ARGS__)

static void __attribute__((format(printf, 4, 5)))
diag_tok(dnsd_zf_parser *p, int sev, const dnsd_token *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(p, sev, t->s, t->line, t->col, fmt, ap);
	va_end(ap);
}

#define err_tok(p, t, ...) diag_tok(p, DNSD_DIAG_ERROR, t, __VA_ARGS__)

/* Error just after token t: something is missing there. */
static void __attribute__((format(printf, 3, 4)))
err_after(dnsd_zf_parser *p, const dnsd_token *t, const char *fmt, ...)
{
	uint64_t col = (uint64_t)t->col + t->len + (t->quoted ? 2 : 0);
	va_list ap;
	va_start(ap, fmt);
	vdiag(p, DNSD_DIAG_ERROR, t->s, t->line,
	      col > UINT32_MAX ? UINT32_MAX : (uint32_t)col, fmt, ap);
	va_end(ap);
}

void dnsd_zf_error(dnsd_zf_parser *p, const dnsd_token *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (t)
		vdiag(p, DNSD_DIAG_ERROR, t->s, t->line, t->col, fmt, ap);
	else
		vdiag(p, DNSD_DIAG_ERROR, NULL, 0, 0, fmt, ap);
	va_end(ap);
}

/* A token as messages quote it: unprintable octets as \DDD, cut short
 * when long. */
static const char *tok_text(const dnsd_token *t, char *buf, size_t cap)
{
	size_t o = 0, i = 0;
	if (t->quoted)
		buf[o++] = '"';
	for (; i < t->len && o + 8 < cap; i++) {
		uint8_t c = (uint8_t)t->s[i];
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\%03u", c);
	}
	if (i < t->len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	} else if (t->quoted) {
		buf[o++] = '"';
	}
	buf[o] = 0;
	return buf;
}

#define TOKBUF 80

void dnsd_diag_print(FILE *f, const dnsd_diag *d)
{
	const char *sev =
	    d->severity == DNSD_DIAG_WARNING ? "warning" : "error";
	if (d->file && d->line && d->col)
		fprintf(f, "%s:%u:%u: ", d->file, d->line, d->col);
	else if (d->file && d->line)
		fprintf(f, "%s:%u: ", d->file, d->line);
	else if (d->file)
		fprintf(f, "%s: ", d->file);
	fprintf(f, "%s: %s\n", sev, d->msg ? d->msg : "");
	if (!d->text || !d->line)
		return;
	/* a long line is shown as a window around the column */
	size_t from = 0, to = d->text_len, col = d->col ? d->col - 1 : 0;
	if (to > 160) {
		from = col > 80 ? col - 80 : 0;
		if (from > d->text_len)
			from = d->text_len;
		to = from + 160 < d->text_len ? from + 160 : d->text_len;
	}
	fputs("  ", f);
	if (from)
		fputs("...", f);
	for (size_t i = from; i < to; i++) {
		uint8_t c = (uint8_t)d->text[i];
		fputc(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?', f);
	}
	fputs(to < d->text_len ? "...\n" : "\n", f);
	if (!d->col || col > d->text_len)
		return;
	fputs(from ? "     " : "  ", f);
	for (size_t i = from; i < col && i < to; i++) {
		uint8_t c = (uint8_t)d->text[i];
		if (c == '\t')
			fputc('\t', f);
		else if ((c & 0xc0) != 0x80) /* one column per UTF-8 char */
			fputc(' ', f);
	}
	fputs("^\n", f);
}

/* ---- lexer ---- */

static void push_tok(dnsd_zf_parser *p, zf_file *f, const char *s, size_t len,
                     const char *at, bool quoted)
{
	if (p->rec_bad)
		return;
	if (p->ntok == p->cap) {
		if (p->cap >= ZF_MAX_TOKENS) {
			err_pos(p, at,
			        "record has too many fields (more than %u)",
			        ZF_MAX_TOKENS);
			p->rec_bad = true;
			return;
		}
		size_t nc = p->cap ? p->cap * 2 : 64;
		if (nc > ZF_MAX_TOKENS)
			nc = ZF_MAX_TOKENS;
		dnsd_token *nt = realloc(p->toks, nc * sizeof *nt);
		if (!nt) {
			p->stop = true;
			p->stop_err = DNSD_ENOMEM;
			p->rec_bad = true;
			return;
		}
		p->toks = nt;
		p->cap = nc;
	}
	dnsd_token *t = &p->toks[p->ntok++];
	t->s = s;
	t->len = (uint32_t)len;
	t->line = f->line;
	t->col = col_of(f, at);
	t->quoted = quoted;
}

static const char *lex_word(dnsd_zf_parser *p, zf_file *f, const char *q)
{
	const char *s = q, *end = f->end;
	while (q < end) {
		uint8_t k = cclass[(uint8_t)*q];
		if (k == C_TOK) {
			q++;
			continue;
		}
		if (k != C_BSL)
			break;
		/* an escape takes the next octet, but never the newline */
		q++;
		if (q < end && *q != '\n')
			q++;
	}
	push_tok(p, f, s, (size_t)(q - s), s, false);
	return q;
}

/* A quoted string ends on its line (as in BIND): a newline before the
 * closing quote is an error. */
static const char *lex_quoted(dnsd_zf_parser *p, zf_file *f, const char *q)
{
	const char *open = q++, *s = q, *end = f->end;
	while (q < end && *q != '"' && *q != '\n') {
		if (*q == '\\' && q + 1 < end && q[1] != '\n')
			q++;
		q++;
	}
	if (q < end && *q == '"') {
		push_tok(p, f, s, (size_t)(q - s), open, true);
		return q + 1;
	}
	if (!p->rec_bad)
		err_pos(p, open, "unterminated quoted string");
	p->rec_bad = true;
	return q;
}

/* Cuts the next logical record into p->toks. False at the end of the
 * file. Lexer errors are reported here and mark the record bad; the
 * record is still read to its end, so parsing resumes after it. */
static bool lex_record(dnsd_zf_parser *p, zf_file *f)
{
	while (f->p < f->end && !p->stop) {
		const char *q = f->p, *end = f->end;
		const char *paren = NULL;
		uint32_t paren_line = 0, paren_col = 0;
		unsigned depth = 0;
		p->rec_start = q;
		p->ntok = 0;
		p->rec_bad = false;
		p->rec_inherit = cclass[(uint8_t)*q] == C_WS;
		while (q < end) {
			switch (cclass[(uint8_t)*q]) {
			case C_WS:
				q++;
				continue;
			case C_NL:
				q++;
				f->line++;
				f->line_start = q;
				if (depth == 0)
					goto done;
				continue;
			case C_SEMI: {
				const char *nl =
				    memchr(q, '\n', (size_t)(end - q));
				q = nl ? nl : end;
				continue;
			}
			case C_LP:
				if (depth++ == 0) {
					paren = q;
					paren_line = f->line;
					paren_col = col_of(f, q);
				}
				q++;
				continue;
			case C_RP:
				if (depth == 0) {
					err_pos(p, q,
					        "unbalanced parenthesis: ')' "
					        "without '('");
					p->rec_bad = true;
				} else {
					depth--;
				}
				q++;
				continue;
			case C_QUOTE:
				q = lex_quoted(p, f, q);
				continue;
			default:
				q = lex_word(p, f, q);
				continue;
			}
		}
		if (depth > 0) {
			/* point at the '(' that was never closed */
			err_at(p, paren, paren_line, paren_col,
			       "unbalanced parenthesis: '(' is never closed");
			p->rec_bad = true;
		}
	done:
		f->p = q;
		if (p->ntok || p->rec_bad)
			return true;
	}
	return false;
}

/* ---- fields ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Octets a name may hold without the general parser's help. */
static const bool plain_name_char[256] = {
    ['0' ... '9'] = 1, ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['-'] = 1,
    ['_'] = 1,         ['*'] = 1,         ['/'] = 1,
};

/* The common name: plain labels, no escapes, short. Returns the length,
 * or 0 to leave the name (and its error message) to dnsd_name_from_text. */
static int fast_name(const dnsd_zf_parser *p, const char *s, size_t len,
                     uint8_t out[DNSD_NAME_MAX])
{
	if (len == 0 || len > 250)
		return 0;
	size_t lab = 0, o = 1;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '.') {
			size_t n = o - lab - 1;
			if (n == 0)
				return 0;
			out[lab] = (uint8_t)n;
			lab = o++;
			continue;
		}
		if (!plain_name_char[c] || o - lab > DNSD_LABEL_MAX)
			return 0;
		out[o++] = c;
	}
	if (o - lab == 1) { /* ended with a dot: absolute */
		out[lab] = 0;
		return (int)o;
	}
	out[lab] = (uint8_t)(o - lab - 1);
	if (o + p->origin_len > DNSD_NAME_MAX)
		return 0;
	memcpy(out + o, p->origin, p->origin_len);
	return (int)(o + p->origin_len);
}

static int text_name(const dnsd_zf_parser *p, const dnsd_token *t,
                     uint8_t out[DNSD_NAME_MAX])
{
	int r = fast_name(p, t->s, t->len, out);
	return r > 0 ? r : dnsd_name_from_text(t->s, t->len, p->origin, out);
}

static const char *name_problem(int err)
{
	if (err == DNSD_ELABEL)
		return "a label is longer than 63 octets";
	if (err == DNSD_ENAMELEN)
		return "the name is longer than 255 octets";
	return "empty label or bad escape";
}

static int ttl_text(const dnsd_token *t, uint32_t *ttl)
{
	if (t->len > 0 && t->len <= 10) {
		uint64_t v = 0;
		uint32_t i = 0;
		while (i < t->len && is_digit(t->s[i]))
			v = v * 10 + (uint64_t)(t->s[i++] - '0');
		if (i == t->len) {
			if (v > ZF_TTL_MAX)
				return DNSD_ERANGE;
			*ttl = (uint32_t)v;
			return 0;
		}
	}
	return dnsd_ttl_from_text(t->s, t->len, ttl);
}

static bool is_in(const dnsd_token *t)
{
	return t->len == 2 && (t->s[0] | 0x20) == 'i' &&
	       (t->s[1] | 0x20) == 'n';
}

static int type_text(dnsd_zf_parser *p, const dnsd_token *t, uint16_t *type)
{
	int r = dnsd_rrtype_from_text(t->s, t->len, type);
	uint16_t cls;
	/* remember only what cannot also be read as a class ("ANY") */
	if (r == 0 && t->len <= sizeof p->tc_text &&
	    dnsd_rrclass_from_text(t->s, t->len, &cls) != 0) {
		memcpy(p->tc_text, t->s, t->len);
		p->tc_len = t->len;
		p->tc_type = *type;
	}
	return r;
}

/* What a header token is. Like BIND, a token is read as a TTL when it
 * starts with a digit, else as a class before a type. */
enum { H_NONE, H_TTL, H_TTL_RANGE, H_CLASS, H_TYPE };

static int classify(dnsd_zf_parser *p, const dnsd_token *t, bool ttl_ok,
                    bool class_ok, uint32_t *v)
{
	uint16_t x;
	uint32_t ttl;
	if (t->quoted || t->len == 0)
		return H_NONE;
	if (is_digit(t->s[0])) {
		if (!ttl_ok)
			return H_NONE;
		int r = ttl_text(t, &ttl);
		if (r == DNSD_ERANGE)
			return H_TTL_RANGE;
		if (r < 0)
			return H_NONE;
		*v = ttl;
		return H_TTL;
	}
	if (class_ok && is_in(t)) {
		*v = DNSD_CLASS_IN;
		return H_CLASS;
	}
	/* the cache holds no class names, so a hit is a type either way */
	if (t->len == p->tc_len && memcmp(t->s, p->tc_text, t->len) == 0) {
		*v = p->tc_type;
		return H_TYPE;
	}
	if (class_ok && dnsd_rrclass_from_text(t->s, t->len, &x) == 0) {
		*v = x;
		return H_CLASS;
	}
	if (type_text(p, t, &x) == 0) {
		*v = x;
		return H_TYPE;
	}
	return H_NONE;
}

static const char *expected_header(bool have_ttl, bool have_class)
{
	static const char *const what[2][2] = {
	    {"a TTL, class or type", "a TTL or type"},
	    {"a class or type", "a type"},
	};
	return what[have_ttl][have_class];
}

static bool mnemonic_like(const dnsd_token *t)
{
	if (t->quoted || t->len == 0 || !is_alpha(t->s[0]))
		return false;
	for (uint32_t i = 1; i < t->len; i++)
		if (!is_alpha(t->s[i]) && !is_digit(t->s[i]) && t->s[i] != '-')
			return false;
	return true;
}

/* A header token that is no TTL, class or type. When a type follows it
 * (after at most a TTL and a class), it stands in a TTL or class slot;
 * else it stands where the type goes, and is an unknown type. */
static void header_error(dnsd_zf_parser *p, const dnsd_token *t, size_t n,
                         size_t i, bool have_ttl, bool have_class)
{
	char tb[TOKBUF];
	bool ttl_ok = !have_ttl, class_ok = !have_class, type_follows = false;
	for (size_t j = i + 1; j < n && !type_follows; j++) {
		uint32_t v;
		int k = classify(p, &t[j], ttl_ok, class_ok, &v);
		if (k == H_TTL)
			ttl_ok = false;
		else if (k == H_CLASS)
			class_ok = false;
		else if (k == H_TYPE)
			type_follows = true;
		else
			break;
	}
	if (mnemonic_like(&t[i]) && !type_follows)
		err_tok(p, &t[i], "unknown RR type '%s'",
		        tok_text(&t[i], tb, sizeof tb));
	else
		err_tok(p, &t[i], "expected %s, found '%s'",
		        expected_header(have_ttl, have_class),
		        tok_text(&t[i], tb, sizeof tb));
}

/* The common A record: four decimal octets without leading zeros. 0
 * leaves anything else (and its error message) to the RR type module. */
static int fast_ipv4(const dnsd_token *t, uint8_t out[4])
{
	const char *s = t->s, *end = t->s + t->len;
	for (int i = 0; i < 4; i++) {
		if (s == end || !is_digit(*s))
			return 0;
		unsigned v = (unsigned)(*s++ - '0');
		if (v == 0 && s < end && is_digit(*s))
			return 0;
		for (int d = 0; d < 2 && s < end && is_digit(*s); d++)
			v = v * 10 + (unsigned)(*s++ - '0');
		if (v > 255)
			return 0;
		out[i] = (uint8_t)v;
		if (i < 3) {
			if (s == end || *s != '.')
				return 0;
			s++;
		}
	}
	return s == end ? 4 : 0;
}

/* ---- records ---- */

static bool set_owner(dnsd_zf_parser *p, const dnsd_token *t)
{
	char tb[TOKBUF];
	if (t->quoted) {
		err_tok(p, t, "expected an owner name, found '%s'",
		        tok_text(t, tb, sizeof tb));
		p->owner_state = OWNER_BAD;
		return false;
	}
	int r = text_name(p, t, p->owner);
	if (r < 0) {
		err_tok(p, t, "invalid owner name '%s': %s",
		        tok_text(t, tb, sizeof tb), name_problem(r));
		p->owner_state = OWNER_BAD;
		return false;
	}
	p->owner_state = OWNER_OK;
	return true;
}

/* The TTL of a record written without one, BIND's way. */
static bool implicit_ttl(dnsd_zf_parser *p, const dnsd_token *first,
                         uint16_t type, size_t rdlen, uint32_t *ttl)
{
	uint32_t serial, refresh, retry, expire, minimum;
	if (p->have_default) {
		*ttl = p->default_ttl;
		return true;
	}
	if (p->have_last) {
		*ttl = p->last_ttl;
		if (!p->warned_1035)
			diag_tok(p, DNSD_DIAG_WARNING, first,
			         "no TTL given and no $TTL before: using the "
			         "previous record's TTL %u (RFC 1035)",
			         *ttl);
		p->warned_1035 = true;
		return true;
	}
	if (type == DNSD_TYPE_SOA &&
	    dnsd_soa_fields(p->rdata, rdlen, &serial, &refresh, &retry, &expire,
	                    &minimum) == 0) {
		if (minimum > ZF_TTL_MAX)
			minimum = 0;
		diag_tok(p, DNSD_DIAG_WARNING, first,
		         "no TTL given and no $TTL before: using the SOA "
		         "MINIMUM %u as BIND does",
		         minimum);
		p->have_default = true;
		p->default_ttl = minimum;
		*ttl = minimum;
		return true;
	}
	err_tok(p, first, "no TTL given and no $TTL before");
	return false;
}

/* Where an RDATA error is shown: at the token named by the RR type
 * module, or at blame (a $GENERATE template) when given. */
static int parse_rdata(dnsd_zf_parser *p, uint16_t type,
                       const dnsd_token *type_tok, const dnsd_token *rd,
                       size_t nrd, const dnsd_token *blame)
{
	dnsd_rdata_error e;
	if (type == DNSD_TYPE_A && nrd == 1 && !rd[0].quoted &&
	    fast_ipv4(&rd[0], p->rdata))
		return 4;
	e.tok = 0;
	e.msg[0] = 0;
	int r = dnsd_rdata_from_text(type, rd, nrd, p->origin, p->rdata,
	                             sizeof p->rdata, &e);
	if (r >= 0)
		return r;
	e.msg[sizeof e.msg - 1] = 0;
	if (!e.msg[0]) {
		char tb[16];
		snprintf(e.msg, sizeof e.msg, "invalid %s data",
		         dnsd_rrtype_to_text(type, tb));
	}
	if (blame)
		err_tok(p, blame, "%s", e.msg);
	else if (e.tok < nrd)
		err_tok(p, &rd[e.tok], "%s", e.msg);
	else
		err_after(p, nrd ? &rd[nrd - 1] : type_tok, "%s", e.msg);
	return -1;
}

/* The header of a record after its owner: [TTL] [class] type, TTL and
 * class in either order. */
typedef struct zf_header {
	bool have_ttl;
	uint32_t ttl;
	uint16_t type;
	const dnsd_token *type_tok;
	size_t next; /* index of the first RDATA token */
} zf_header;

static bool parse_header(dnsd_zf_parser *p, const dnsd_token *t, size_t n,
                         size_t i, zf_header *h)
{
	bool have_class = false;
	char tb[TOKBUF];
	memset(h, 0, sizeof *h);
	for (; i < n && !h->type_tok; i++) {
		uint32_t v = 0;
		switch (classify(p, &t[i], !h->have_ttl, !have_class, &v)) {
		case H_TTL:
			h->have_ttl = true;
			h->ttl = v;
			break;
		case H_CLASS:
			if (v != DNSD_CLASS_IN) {
				err_tok(p, &t[i],
				        "class %s is not supported, only IN",
				        dnsd_rrclass_to_text((uint16_t)v, tb));
				return false;
			}
			have_class = true;
			break;
		case H_TYPE:
			h->type = (uint16_t)v;
			h->type_tok = &t[i];
			break;
		case H_TTL_RANGE:
			err_tok(p, &t[i],
			        "TTL '%s' is out of range (at most %u)",
			        tok_text(&t[i], tb, sizeof tb), ZF_TTL_MAX);
			return false;
		default:
			header_error(p, t, n, i, h->have_ttl, have_class);
			return false;
		}
	}
	if (!h->type_tok) {
		err_after(p, &t[n - 1], "expected %s, found end of line",
		          expected_header(h->have_ttl, have_class));
		return false;
	}
	if (!p->meta_known || p->meta_type != h->type) {
		const dnsd_rrtype_info *info = dnsd_rrtype_info_get(h->type);
		p->meta_known = true;
		p->meta_type = h->type;
		p->meta = info && (info->flags & DNSD_RRF_META);
	}
	if (p->meta) {
		err_tok(p, h->type_tok,
		        "RR type %s cannot appear in a zone file",
		        dnsd_rrtype_to_text(h->type, tb));
		return false;
	}
	h->next = i;
	return true;
}

/* Hands a record to a span sink with where it is written. */
static int put_span(dnsd_zf_parser *p, const zf_file *f, const dnsd_zf_rec *r,
                    bool generated)
{
	dnsd_zf_span s = {
	    .off = (size_t)(p->rec_start - f->buf),
	    .end = (size_t)(f->p - f->buf),
	    .origin = p->origin,
	    .generated = generated,
	    .included = f->up != NULL,
	    .owner_written = r->owner != NULL,
	};
	if (r->rr.type == DNSD_TYPE_SOA && r->nrdata == 7 && !generated) {
		s.soa_fields = 7;
		for (size_t i = 0; i < 7; i++) {
			if (r->rdata[i].quoted)
				s.soa_fields = 0;
			s.soa[i].off = (size_t)(r->rdata[i].s - f->buf);
			s.soa[i].len = r->rdata[i].len;
		}
	}
	return p->span_sink(p->sink_ctx, &r->rr, &s);
}

/* Applies the TTL rules and hands the record (RDATA in p->rdata) to the
 * sink. */
static void put_record(dnsd_zf_parser *p, zf_file *f, const uint8_t *owner,
                       const dnsd_token *owner_tok, const dnsd_token *first,
                       const zf_header *h, const dnsd_token *rd, size_t nrd,
                       int rdlen, bool generated)
{
	uint32_t ttl = h->ttl;
	if (h->have_ttl) {
		p->have_last = true;
		p->last_ttl = ttl;
	} else if (!implicit_ttl(p, first, h->type, (size_t)rdlen, &ttl)) {
		return;
	}
	if (!owner)
		return; /* inherited from an owner already reported bad */

	dnsd_zf_rec rec = {
	    .rr =
	        {
	            .owner = owner,
	            .type = h->type,
	            .rclass = DNSD_CLASS_IN,
	            .ttl = ttl,
	            .rdata = p->rdata,
	            .rdlen = (uint16_t)rdlen,
	            .file = f->name,
	            .line = first->line,
	        },
	    .owner = owner_tok,
	    .first = first,
	    .type = h->type_tok,
	    .rdata = rd,
	    .nrdata = nrd,
	};
	p->res.records++;
	int r = 0;
	if (p->rec_sink)
		r = p->rec_sink(p->sink_ctx, p, &rec);
	else if (p->span_sink)
		r = put_span(p, f, &rec, generated);
	else if (p->sink)
		r = p->sink(p->sink_ctx, &rec.rr);
	if (r < 0) {
		p->stop = true;
		p->stop_err = r;
	}
}

static void do_record(dnsd_zf_parser *p, zf_file *f, const dnsd_token *t,
                      size_t n)
{
	const dnsd_token *owner_tok = NULL;
	size_t i = 0;
	zf_header h;
	if (!p->rec_inherit) {
		owner_tok = &t[i++];
		if (!set_owner(p, owner_tok))
			return;
	} else if (p->owner_state == OWNER_NONE) {
		err_tok(p, &t[0],
		        "no owner name: the line starts with a blank "
		        "and no record came before");
		return;
	}
	if (!parse_header(p, t, n, i, &h))
		return;
	const dnsd_token *rd = t + h.next;
	size_t nrd = n - h.next;
	int rdlen = parse_rdata(p, h.type, h.type_tok, rd, nrd, NULL);
	if (rdlen < 0)
		return;
	put_record(p, f, p->owner_state == OWNER_OK ? p->owner : NULL,
	           owner_tok, &t[0], &h, rd, nrd, rdlen, false);
}

/* ---- directives ---- */

/* Checks a directive has between min and max arguments. */
static bool dir_args(dnsd_zf_parser *p, const dnsd_token *t, size_t n,
                     size_t min, size_t max, const char *what,
                     const char *usage)
{
	char tb[TOKBUF], dir[TOKBUF];
	if (n - 1 < min) {
		err_after(p, &t[n - 1],
		          "expected %s after %s, found end of line", what,
		          tok_text(&t[0], dir, sizeof dir));
		return false;
	}
	if (n - 1 > max) {
		err_tok(p, &t[max + 1],
		        "expected end of line after %s, found '%s'", usage,
		        tok_text(&t[max + 1], tb, sizeof tb));
		return false;
	}
	return true;
}

/* A domain name argument of a directive. */
static int dir_name(dnsd_zf_parser *p, const dnsd_token *t,
                    const char *directive, uint8_t out[DNSD_NAME_MAX])
{
	char tb[TOKBUF];
	int r = t->quoted ? DNSD_ESYNTAX : text_name(p, t, out);
	if (r < 0)
		err_tok(p, t, "invalid domain name '%s' after %s: %s",
		        tok_text(t, tb, sizeof tb), directive, name_problem(r));
	return r;
}

static void dir_origin(dnsd_zf_parser *p, zf_file *f, const dnsd_token *t,
                       size_t n)
{
	uint8_t name[DNSD_NAME_MAX];
	if (!dir_args(p, t, n, 1, 1, "a domain name", "$ORIGIN NAME"))
		return;
	int r = dir_name(p, &t[1], "$ORIGIN", name);
	if (r < 0)
		return;
	memcpy(p->origin, name, (size_t)r);
	p->origin_len = (size_t)r;
}

static void dir_ttl(dnsd_zf_parser *p, zf_file *f, const dnsd_token *t,
                    size_t n)
{
	char tb[TOKBUF];
	uint32_t ttl;
	if (!dir_args(p, t, n, 1, 1, "a TTL", "$TTL VALUE"))
		return;
	int r = t[1].quoted ? DNSD_ESYNTAX : ttl_text(&t[1], &ttl);
	if (r == DNSD_ERANGE) {
		err_tok(p, &t[1], "TTL '%s' is out of range (at most %u)",
		        tok_text(&t[1], tb, sizeof tb), ZF_TTL_MAX);
		return;
	}
	if (r < 0) {
		err_tok(p, &t[1], "expected a TTL after $TTL, found '%s'",
		        tok_text(&t[1], tb, sizeof tb));
		return;
	}
	p->have_default = true;
	p->default_ttl = ttl;
}

/* ---- $INCLUDE paths ---- */

/* Lexically normalised: no empty, "." or ".." parts except the leading
 * ".." of a relative path; "." for nothing. malloc'd. */
static char *path_normalize(const char *in)
{
	size_t n = strlen(in);
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t o = 0, keep = 0; /* ".." never removes out[0..keep) */
	if (in[0] == '/')
		out[o++] = '/';
	keep = o;
	bool abs = o == 1;
	const char *s = in;
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		size_t l = (size_t)(e - s);
		bool dot = l == 1 && s[0] == '.';
		bool dotdot = l == 2 && s[0] == '.' && s[1] == '.';
		if (dotdot && o > keep) {
			while (o > keep && out[o - 1] != '/')
				o--;
			if (o > keep)
				o--;
		} else if (!dot && !(dotdot && abs)) {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, s, l);
			o += l;
			if (dotdot)
				keep = o;
		}
		s = e;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = 0;
	return out;
}

static char *path_join(const char *dir, const char *rel)
{
	if (rel[0] == '/')
		return strdup(rel);
	size_t dl = strlen(dir), rl = strlen(rel);
	char *s = malloc(dl + rl + 2);
	if (!s)
		return NULL;
	memcpy(s, dir, dl);
	s[dl] = '/';
	memcpy(s + dl + 1, rel, rl + 1);
	return s;
}

static char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Both normalised, both absolute or both relative to the same place. */
static bool path_under(const char *path, const char *root)
{
	if (strcmp(root, ".") == 0)
		return path[0] != '/' && strcmp(path, "..") != 0 &&
		       strncmp(path, "../", 3) != 0;
	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	size_t rl = strlen(root);
	return strncmp(path, root, rl) == 0 &&
	       (path[rl] == 0 || path[rl] == '/');
}

static int read_fd(int fd, char **buf, size_t *len)
{
	struct stat st;
	size_t cap = 0, n = 0;
	char *b = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		cap = (size_t)st.st_size + 1;
	for (;;) {
		if (n == cap || !b) {
			size_t nc = cap > n ? cap : (cap ? cap * 2 : 65536);
			char *nb = realloc(b, nc);
			if (!nb) {
				free(b);
				errno = ENOMEM;
				return -1;
			}
			b = nb;
			cap = nc;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Reads a file of the file system; only_regular refuses devices and
 * FIFOs (an $INCLUDE of /dev/zero must not hang the parser). -1 with
 * errno on failure. */
static int read_path(const char *path, bool only_regular, char **buf,
                     size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	                        (only_regular ? O_NONBLOCK : 0));
	if (fd < 0)
		return -1;
	struct stat st;
	if (only_regular && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	int r = read_fd(fd, buf, len);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static void parse_file(dnsd_zf_parser *p, zf_file *f);

/* The boundary of $INCLUDE: root_dir, else the top file's directory;
 * resolved (realpath) on the file system, normalised for the callback. */
static const char *include_root(dnsd_zf_parser *p, const dnsd_token *at)
{
	if (!p->root_done) {
		p->root_done = true;
		char *dir = p->o->root_dir ? strdup(p->o->root_dir)
		                           : path_dirname(p->top_name);
		if (dir)
			p->root = p->o->read ? path_normalize(dir)
			                     : realpath(dir, NULL);
		p->root_errno = errno;
		free(dir);
	}
	if (!p->root)
		err_tok(p, at, "cannot resolve the zone directory: %s",
		        strerror(p->root_errno));
	return p->root;
}

typedef struct zf_include {
	char *display; /* name in diagnostics */
	char *id;      /* resolved path */
	char *dir;     /* directory of id */
	char *buf;
	size_t len;
} zf_include;

/* File names handed to the sink stay valid until the parse ends: a sink
 * may tell files apart by the pointer. */
static void keep_name(dnsd_zf_parser *p, char *name)
{
	char **n = realloc(p->names, (p->nnames + 1) * sizeof *n);
	if (!n) {
		free(name);
		return;
	}
	p->names = n;
	p->names[p->nnames++] = name;
}

static void include_free(dnsd_zf_parser *p, zf_include *in)
{
	if (in->display)
		keep_name(p, in->display);
	free(in->id);
	free(in->dir);
	free(in->buf);
}

/* Resolves, checks and reads an $INCLUDE file. Errors are reported at
 * the path token; false then. */
static bool include_open(dnsd_zf_parser *p, zf_file *f, const dnsd_token *pt,
                         const char *path, zf_include *in)
{
	const char *root = include_root(p, pt);
	if (!root)
		return false;
	bool ok = false;
	char *parent_dir = path_dirname(f->name);
	char *shown = parent_dir ? path_join(parent_dir, path) : NULL;
	char *joined = path_join(f->dir, path);
	char *norm = joined ? path_normalize(joined) : NULL;
	in->display = shown ? path_normalize(shown) : NULL;
	if (!norm || !in->display) {
		p->stop = true;
		p->stop_err = DNSD_ENOMEM;
		goto out;
	}
	/* checked lexically first, so a path outside never gets as far as
	 * the file system (nor tells whether a file exists there) */
	if (!path_under(norm, root)) {
		err_tok(p, pt, "$INCLUDE path escapes the zone directory");
		goto out;
	}
	if (p->o->read) {
		in->id = norm;
		norm = NULL;
	} else {
		in->id = realpath(norm, NULL);
		if (!in->id) {
			err_tok(p, pt, "cannot read $INCLUDE file '%s': %s",
			        path, strerror(errno));
			goto out;
		}
		/* a symbolic link may point outside */
		if (!path_under(in->id, root)) {
			err_tok(p, pt,
			        "$INCLUDE path escapes the zone directory");
			goto out;
		}
	}
	for (const zf_file *up = f; up; up = up->up) {
		if (up->id && strcmp(up->id, in->id) == 0) {
			err_tok(p, pt,
			        "$INCLUDE loop: '%s' is already being read",
			        path);
			goto out;
		}
	}
	in->dir = path_dirname(in->id);
	if (!in->dir) {
		p->stop = true;
		p->stop_err = DNSD_ENOMEM;
		goto out;
	}
	if (p->o->read) {
		int r = p->o->read(p->o->read_ctx, in->id, &in->buf, &in->len);
		if (r < 0) {
			in->buf = NULL;
			err_tok(p, pt, "cannot read $INCLUDE file '%s': %s",
			        path, dnsd_strerror(r));
			goto out;
		}
	} else if (read_path(in->id, true, &in->buf, &in->len) < 0) {
		in->buf = NULL;
		err_tok(p, pt, "cannot read $INCLUDE file '%s': %s", path,
		        errno == EINVAL ? "not a regular file"
		                        : strerror(errno));
		goto out;
	}
	if (in->len > UINT32_MAX) {
		err_tok(p, pt, "$INCLUDE file '%s' is too large", path);
		goto out;
	}
	ok = true;
out:
	free(parent_dir);
	free(shown);
	free(joined);
	free(norm);
	return ok;
}

static void dir_include(dnsd_zf_parser *p, zf_file *f, const dnsd_token *t,
                        size_t n)
{
	char tb[TOKBUF];
	uint8_t origin[DNSD_NAME_MAX];
	int olen = 0;
	if (!dir_args(p, t, n, 1, 2, "a file name", "$INCLUDE FILE ORIGIN"))
		return;
	if (n == 3 && (olen = dir_name(p, &t[2], "$INCLUDE", origin)) < 0)
		return;
	if (t[1].len == 0 || memchr(t[1].s, 0, t[1].len)) {
		err_tok(p, &t[1],
		        "expected a file name after $INCLUDE, found '%s'",
		        tok_text(&t[1], tb, sizeof tb));
		return;
	}
	if (f->depth + 1 > p->max_depth) {
		err_tok(p, &t[0],
		        "$INCLUDE nesting too deep (more than %u levels)",
		        p->max_depth);
		return;
	}
	char *path = strndup(t[1].s, t[1].len);
	zf_include in = {0};
	if (!path) {
		p->stop = true;
		p->stop_err = DNSD_ENOMEM;
		return;
	}
	bool ok = include_open(p, f, &t[1], path, &in);
	free(path);
	if (!ok) {
		include_free(p, &in);
		return;
	}

	/* the included file starts at the given origin; the origin and the
	 * current owner come back afterwards (RFC 1035 §5.1) */
	uint8_t saved_origin[DNSD_NAME_MAX], saved_owner[DNSD_NAME_MAX];
	size_t saved_olen = p->origin_len;
	int saved_state = p->owner_state;
	memcpy(saved_origin, p->origin, p->origin_len);
	memcpy(saved_owner, p->owner, sizeof saved_owner);
	if (olen > 0) {
		memcpy(p->origin, origin, (size_t)olen);
		p->origin_len = (size_t)olen;
	}
	zf_file child = {
	    .up = f,
	    .name = in.display,
	    .id = in.id,
	    .dir = in.dir,
	    .buf = in.buf,
	    .p = in.buf,
	    .end = in.buf + in.len,
	    .line_start = in.buf,
	    .line = 1,
	    .depth = f->depth + 1,
	};
	parse_file(p, &child);
	memcpy(p->origin, saved_origin, saved_olen);
	p->origin_len = saved_olen;
	memcpy(p->owner, saved_owner, sizeof saved_owner);
	p->owner_state = saved_state;
	include_free(p, &in);
}

/* ---- $GENERATE (BIND's) ---- */

/* One $GENERATE makes at most this many records, and one parse at most
 * ZF_GEN_TOTAL: enough for a /12 of PTRs, and a bound on the time
 * arbitrary input can cost. */
#define ZF_GEN_MAX   (1u << 20)
#define ZF_GEN_TOTAL (1u << 22)
#define ZF_GEN_TEXT  8192
#define ZF_GEN_TOKS  256

/* BIND's nibble form: hex digits of v, lowest first, each a label;
 * width counts the characters written, dots included. */
static size_t gen_nibbles(char *out, size_t cap, uint64_t v, unsigned width,
                          bool upper)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t o = 0;
	do {
		if (o < cap)
			out[o++] = hex[v & 15];
		v >>= 4;
		if (width)
			width--;
		if (width || v) {
			if (o < cap)
				out[o++] = '.';
			if (width)
				width--;
		}
	} while (v || width);
	return o;
}

/* ${offset[,width[,base]]} at s (after the '{'); false when malformed. */
static bool gen_modifier(const char *s, size_t len, size_t *used, int64_t *off,
                         unsigned *width, char *base)
{
	size_t i = 0;
	bool neg = false;
	int64_t v = 0;
	unsigned w = 0, digits = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < len && is_digit(s[i]) && digits < 10; i++, digits++)
		v = v * 10 + (s[i] - '0');
	if (!digits)
		return false;
	*off = neg ? -v : v;
	*width = 0;
	*base = 'd';
	if (i < len && s[i] == ',') {
		for (i++, digits = 0; i < len && is_digit(s[i]) && digits < 3;
		     i++, digits++)
			w = w * 10 + (unsigned)(s[i] - '0');
		if (!digits || w > 255)
			return false;
		*width = w;
		if (i < len && s[i] == ',') {
			if (++i >= len || !strchr("doxXnN", s[i]) || !s[i])
				return false;
			*base = s[i++];
		}
	}
	if (i >= len || s[i] != '}')
		return false;
	*used = i + 1;
	return true;
}

/* The template t for value v into out; -1 when a modifier is malformed,
 * the value negative or the text too long. */
static int gen_expand(const dnsd_token *t, int64_t v, char *out, size_t cap)
{
	const char *s = t->s;
	size_t len = t->len, o = 0;
	for (size_t i = 0; i < len;) {
		char num[300];
		size_t nl;
		if (s[i] == '\\' &&
		    i + 1 < len) { /* escapes pass as they are */
			if (o + 2 > cap)
				return -1;
			out[o++] = s[i++];
			out[o++] = s[i++];
			continue;
		}
		if (s[i] != '$') {
			if (o + 1 > cap)
				return -1;
			out[o++] = s[i++];
			continue;
		}
		i++;
		if (i < len && s[i] == '$') { /* "$$": a '$' */
			if (o + 2 > cap)
				return -1;
			out[o++] = '\\';
			out[o++] = '$';
			i++;
			continue;
		}
		int64_t off = 0;
		unsigned width = 0;
		char base = 'd';
		if (i < len && s[i] == '{') {
			size_t used;
			if (!gen_modifier(s + i + 1, len - i - 1, &used, &off,
			                  &width, &base))
				return -1;
			i += used + 1;
		}
		int64_t x = v + off;
		if (x < 0)
			return -1;
		if (base == 'n' || base == 'N')
			nl = gen_nibbles(num, sizeof num, (uint64_t)x, width,
			                 base == 'N');
		else
			nl =
			    (size_t)snprintf(num, sizeof num,
			                     base == 'o'   ? "%0*llo"
			                     : base == 'x' ? "%0*llx"
			                     : base == 'X' ? "%0*llX"
			                                   : "%0*llu",
			                     (int)width, (unsigned long long)x);
		if (nl >= sizeof num || o + nl > cap)
			return -1;
		memcpy(out + o, num, nl);
		o += nl;
	}
	return (int)o;
}

/* Cuts generated RDATA text into tokens, as the lexer would a line:
 * blanks separate, quotes group, a backslash escapes. They are all shown
 * at the template's place. -1 on an unterminated quote or too many. */
static int gen_split(const char *s, size_t len, const dnsd_token *at,
                     dnsd_token *toks, size_t max)
{
	size_t n = 0, i = 0;
	for (;;) {
		while (i < len && (cclass[(uint8_t)s[i]] == C_WS ||
		                   s[i] == '(' || s[i] == ')' || s[i] == '\n'))
			i++;
		if (i >= len || s[i] == ';')
			return (int)n;
		if (n == max)
			return -1;
		dnsd_token *t = &toks[n++];
		*t = *at;
		t->quoted = s[i] == '"';
		if (t->quoted)
			i++;
		size_t b = i;
		while (i < len) {
			uint8_t k = cclass[(uint8_t)s[i]];
			if (t->quoted ? s[i] == '"'
			              : (k != C_TOK && k != C_BSL))
				break;
			if (s[i] == '\\' && i + 1 < len)
				i++;
			i++;
		}
		if (t->quoted && i >= len)
			return -1;
		t->s = s + b;
		t->len = (uint32_t)(i - b);
		if (t->quoted)
			i++;
	}
}

/* "START-STOP[/STEP]" */
static bool gen_range(const dnsd_token *t, int64_t *start, int64_t *stop,
                      int64_t *step)
{
	int64_t v[3] = {0, 0, 1};
	size_t i = 0;
	for (int k = 0; k < 3; k++) {
		unsigned digits = 0;
		int64_t x = 0;
		for (; i < t->len && is_digit(t->s[i]) && digits < 10;
		     i++, digits++)
			x = x * 10 + (t->s[i] - '0');
		if (!digits || x > ZF_TTL_MAX)
			return false;
		v[k] = x;
		if (i == t->len && k > 0)
			break;
		if (i == t->len || t->s[i] != (k == 0 ? '-' : '/'))
			return false;
		i++;
	}
	if (i != t->len || v[0] > v[1] || v[2] < 1)
		return false;
	*start = v[0];
	*stop = v[1];
	*step = v[2];
	return true;
}

/* $GENERATE RANGE LHS [TTL] [CLASS] TYPE RHS: one record for each value
 * of RANGE, `$` in LHS and RHS standing for it (`${offset,width,base}`
 * as in BIND). The owner of the lines that follow does not change. */
static void dir_generate(dnsd_zf_parser *p, zf_file *f, const dnsd_token *t,
                         size_t n)
{
	char tb[TOKBUF];
	int64_t start, stop, step;
	zf_header h;
	if (!dir_args(p, t, n, 4, 6, "RANGE LHS [TTL] [CLASS] TYPE RHS",
	              "$GENERATE RANGE LHS TTL CLASS TYPE RHS"))
		return;
	if (t[1].quoted || !gen_range(&t[1], &start, &stop, &step)) {
		err_tok(p, &t[1],
		        "expected a range START-STOP[/STEP] after $GENERATE, "
		        "found '%s'",
		        tok_text(&t[1], tb, sizeof tb));
		return;
	}
	uint64_t count = (uint64_t)((stop - start) / step) + 1;
	if (count > ZF_GEN_MAX) {
		err_tok(p, &t[1],
		        "$GENERATE range too large (at most %u records)",
		        ZF_GEN_MAX);
		return;
	}
	if (p->generated + count > ZF_GEN_TOTAL) {
		err_tok(p, &t[0],
		        "too many records from $GENERATE (at most %u in all)",
		        ZF_GEN_TOTAL);
		return;
	}
	if (!parse_header(p, t, n - 1, 3, &h))
		return;
	if (h.next != n - 1) {
		err_tok(p, &t[h.next + 1],
		        "expected end of line after $GENERATE RHS, found '%s'",
		        tok_text(&t[h.next + 1], tb, sizeof tb));
		return;
	}
	const dnsd_token *lhs = &t[2], *rhs = &t[n - 1];
	char *text = malloc(2 * ZF_GEN_TEXT);
	dnsd_token *toks = malloc(ZF_GEN_TOKS * sizeof *toks);
	if (!text || !toks) {
		free(text);
		free(toks);
		p->stop = true;
		p->stop_err = DNSD_ENOMEM;
		return;
	}
	char *rtext = text + ZF_GEN_TEXT;
	p->generated += count;
	for (int64_t v = start; v <= stop && !p->stop; v += step) {
		uint8_t owner[DNSD_NAME_MAX];
		int ol = gen_expand(lhs, v, text, ZF_GEN_TEXT);
		int rl = gen_expand(rhs, v, rtext, ZF_GEN_TEXT);
		if (ol < 0 || rl < 0) {
			const dnsd_token *bad = ol < 0 ? lhs : rhs;
			err_tok(
			    p, bad,
			    "bad $GENERATE template '%s' for value %lld: "
			    "a modifier is not ${offset[,width[,base]]}, "
			    "or the value is negative, or the text too long",
			    tok_text(bad, tb, sizeof tb), (long long)v);
			break;
		}
		int r = lhs->quoted ? DNSD_ESYNTAX
		                    : dnsd_name_from_text(text, (size_t)ol,
		                                          p->origin, owner);
		if (r < 0) {
			err_tok(p, lhs,
			        "invalid owner name generated by $GENERATE for "
			        "value %lld: %s",
			        (long long)v, name_problem(r));
			break;
		}
		int nrd = gen_split(rtext, (size_t)rl, rhs, toks, ZF_GEN_TOKS);
		if (nrd < 0) {
			err_tok(
			    p, rhs,
			    "$GENERATE RHS for value %lld has an unterminated "
			    "quote or too many fields",
			    (long long)v);
			break;
		}
		int rdlen =
		    parse_rdata(p, h.type, h.type_tok, toks, (size_t)nrd, rhs);
		if (rdlen < 0)
			break;
		put_record(p, f, owner, lhs, &t[0], &h, toks, (size_t)nrd,
		           rdlen, true);
	}
	free(text);
	free(toks);
}

static const struct zf_directive {
	const char *name;
	void (*run)(dnsd_zf_parser *p, zf_file *f, const dnsd_token *t,
	            size_t n);
} directives[] = {
    {"$ORIGIN", dir_origin},
    {"$TTL", dir_ttl},
    {"$INCLUDE", dir_include},
    {"$GENERATE", dir_generate},
};

static void do_directive(dnsd_zf_parser *p, zf_file *f, const dnsd_token *t,
                         size_t n)
{
	char tb[TOKBUF];
	for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
		const struct zf_directive *d = &directives[i];
		if (strlen(d->name) == t[0].len &&
		    strncasecmp(d->name, t[0].s, t[0].len) == 0) {
			d->run(p, f, t, n);
			return;
		}
	}
	err_tok(p, &t[0], "unknown directive '%s'",
	        tok_text(&t[0], tb, sizeof tb));
}

static void parse_file(dnsd_zf_parser *p, zf_file *f)
{
	zf_file *saved = p->cur;
	p->cur = f;
	/* the UTF-8 byte order mark some editors write first is no owner */
	if (f->p == f->buf && f->end - f->p >= 3 &&
	    memcmp(f->p, "\xef\xbb\xbf", 3) == 0) {
		f->p += 3;
		f->line_start = f->p;
	}
	while (!p->stop && lex_record(p, f)) {
		if (p->rec_bad)
			continue;
		const dnsd_token *t = p->toks;
		if (!p->rec_inherit && !t[0].quoted && t[0].len &&
		    t[0].s[0] == '$')
			do_directive(p, f, t, p->ntok);
		else
			do_record(p, f, t, p->ntok);
	}
	p->cur = saved;
}

/* ---- entry points ---- */

static int run(const char *name, bool from_file, const char *buf, size_t len,
               const dnsd_zf_opts *o, bool redact, dnsd_zf_sink_fn sink,
               dnsd_zf_rec_fn rec_sink, dnsd_zf_span_fn span_sink, void *ctx,
               dnsd_zf_result *res)
{
	dnsd_zf_result dummy;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof *res);
	if (!o || !o->origin || !name)
		return DNSD_EINVAL;
	dnsd_zf_parser *p = calloc(1, sizeof *p);
	if (!p)
		return DNSD_ENOMEM;
	p->o = o;
	p->sink = sink;
	p->rec_sink = rec_sink;
	p->span_sink = span_sink;
	p->sink_ctx = ctx;
	p->redact = redact;
	p->top_name = name;
	p->max_errors = o->max_errors ? o->max_errors : 100;
	p->max_depth = o->max_include_depth ? o->max_include_depth : 8;
	if (p->max_depth > ZF_DEPTH_CAP)
		p->max_depth = ZF_DEPTH_CAP;
	p->origin_len = dnsd_name_len(o->origin);
	memcpy(p->origin, o->origin, p->origin_len);
	if (o->default_ttl) {
		p->have_default = true;
		p->default_ttl = o->default_ttl;
	}

	char *owned = NULL, *id = NULL, *dir = NULL;
	int ret = 0;
	if (from_file) {
		size_t n = 0;
		int r = o->read ? o->read(o->read_ctx, name, &owned, &n)
		                : read_path(name, false, &owned, &n);
		if (r < 0) {
			char msg[300];
			snprintf(msg, sizeof msg, "cannot read the file: %s",
			         o->read ? dnsd_strerror(r) : strerror(errno));
			emit(p, DNSD_DIAG_ERROR, NULL, 0, 0, msg);
			owned = NULL;
			ret = DNSD_EIO;
			goto out;
		}
		buf = owned;
		len = n;
	}
	if (len > UINT32_MAX) {
		emit(p, DNSD_DIAG_ERROR, NULL, 0, 0, "the file is too large");
		ret = DNSD_EIO;
		goto out;
	}
	/* where relative $INCLUDEs of the top file start, and who it is */
	char *d = path_dirname(name);
	if (o->read) {
		id = path_normalize(name);
		dir = d ? path_normalize(d) : NULL;
	} else {
		id = realpath(name, NULL);
		dir = d ? realpath(d, NULL) : NULL;
		if (!dir && d)
			dir = strdup(d); /* $INCLUDE reports the problem */
	}
	free(d);
	zf_file top = {
	    .name = name,
	    .id = id,
	    .dir = dir ? dir : ".",
	    .buf = buf ? buf : "",
	    .p = buf ? buf : "",
	    .end = buf ? buf + len : "",
	    .line_start = buf ? buf : "",
	    .line = 1,
	};
	parse_file(p, &top);
	if (p->stop_err)
		ret = p->stop_err;
	else if (p->res.errors)
		ret = DNSD_ESYNTAX;
out:
	*res = p->res;
	free(owned);
	free(id);
	free(dir);
	for (size_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	free(p->root);
	free(p->toks);
	free(p);
	return ret;
}

int dnsd_zf_parse_rec(const char *name, bool from_file, const char *buf,
                      size_t len, const dnsd_zf_opts *o, bool redact,
                      dnsd_zf_rec_fn sink, void *sink_ctx, dnsd_zf_result *res)
{
	return run(name, from_file, buf, len, o, redact, NULL, sink, NULL,
	           sink_ctx, res);
}

int dnsd_zonefile_parse(const char *path, const dnsd_zf_opts *o,
                        dnsd_zf_sink_fn sink, void *sink_ctx,
                        dnsd_zf_result *res)
{
	return run(path, true, NULL, 0, o, false, sink, NULL, NULL, sink_ctx,
	           res);
}

int dnsd_zonefile_parse_mem(const char *name, const char *buf, size_t len,
                            const dnsd_zf_opts *o, dnsd_zf_sink_fn sink,
                            void *sink_ctx, dnsd_zf_result *res)
{
	return run(name, false, buf, len, o, false, sink, NULL, NULL, sink_ctx,
	           res);
}

int dnsd_zonefile_parse_spans(const char *name, const char *buf, size_t len,
                              const dnsd_zf_opts *o, dnsd_zf_span_fn sink,
                              void *sink_ctx, dnsd_zf_result *res)
{
	return run(name, false, buf, len, o, false, NULL, NULL, sink, sink_ctx,
	           res);
}
