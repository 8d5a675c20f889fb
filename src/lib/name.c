/* Domain names (name.h): wire form with compression, text form with
 * escapes, comparison, canonical order and hashing. */
#include <dnsd/name.h>

#include "name_priv.h"

#define LC(c) ((uint8_t)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define L8(b)                                                                  \
	LC(b), LC(b + 1), LC(b + 2), LC(b + 3), LC(b + 4), LC(b + 5),          \
	    LC(b + 6), LC(b + 7)
#define L64(b)                                                                 \
	L8(b), L8(b + 8), L8(b + 16), L8(b + 24), L8(b + 32), L8(b + 40),      \
	    L8(b + 48), L8(b + 56)

const uint8_t dnsd_lower[256] = {L64(0), L64(64), L64(128), L64(192)};

/* Most labels a name can have: 127 one-octet labels plus the root. */
#define NAME_LABELS_MAX 128

int dnsd_name_from_wire(dnsd_wire *w, uint8_t out[DNSD_NAME_MAX])
{
	if (w->err)
		return w->err;
	/* Read through a copy of the cursor that jumps along pointers; the
	 * caller's cursor moves only past the in-place part. */
	dnsd_wire r = *w;
	size_t seq_start = r.pos; /* start of the label sequence being read */
	size_t resume = 0;        /* where the caller continues, once jumped */
	size_t olen = 0;
	int err = 0;

	for (;;) {
		uint8_t c = dnsd_wire_u8(&r);
		if (r.err) {
			err = r.err;
			break;
		}
		if (c == 0) {
			out[olen++] = 0;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			uint8_t lo = dnsd_wire_u8(&r);
			if (r.err) {
				err = r.err;
				break;
			}
			size_t target = (size_t)(c & 0x3f) << 8 | lo;
			/* strictly backwards: targets decrease, no loops */
			if (target >= seq_start) {
				err = DNSD_EPOINTER;
				break;
			}
			if (!resume)
				resume = r.pos;
			r.pos = target;
			seq_start = target;
			continue;
		}
		if (c & 0xc0) {
			err = DNSD_ELABELTYPE;
			break;
		}
		/* the label and a final root label must still fit */
		if (olen + 1 + c + 1 > DNSD_NAME_MAX) {
			err = DNSD_ENAMELEN;
			break;
		}
		const uint8_t *lab = dnsd_wire_take(&r, c);
		if (!lab) {
			err = r.err;
			break;
		}
		out[olen] = c;
		memcpy(out + olen + 1, lab, c);
		olen += 1 + (size_t)c;
	}
	if (err) {
		dnsd_wire_fail(w, err);
		return err;
	}
	w->pos = resume ? resume : r.pos;
	return (int)olen;
}

int dnsd_name_check(const uint8_t *buf, size_t len)
{
	size_t i = 0;
	for (;;) {
		if (i >= len)
			return DNSD_EMALFORM;
		uint8_t c = buf[i];
		if (c == 0)
			return (int)i + 1;
		if ((c & 0xc0) == 0xc0)
			return DNSD_EPOINTER;
		if (c & 0xc0)
			return DNSD_ELABELTYPE;
		if (i + 1 + c + 1 > DNSD_NAME_MAX)
			return DNSD_ENAMELEN;
		i += 1 + (size_t)c;
	}
}

size_t dnsd_name_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

int dnsd_name_labels(const uint8_t *name)
{
	int n = 0;
	for (const uint8_t *p = name; *p; p += *p + 1)
		n++;
	return n;
}

const uint8_t *dnsd_name_parent(const uint8_t *name)
{
	return name[0] ? name + name[0] + 1 : name;
}

bool dnsd_name_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

bool dnsd_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		uint8_t n = *a;
		if (n != *b)
			return false;
		if (n == 0)
			return true;
		a++;
		b++;
		for (uint8_t i = 0; i < n; i++)
			if (dnsd_lower[a[i]] != dnsd_lower[b[i]])
				return false;
		a += n;
		b += n;
	}
}

bool dnsd_name_is_subdomain(const uint8_t *name, const uint8_t *parent)
{
	int extra = dnsd_name_labels(name) - dnsd_name_labels(parent);
	if (extra < 0)
		return false;
	while (extra--)
		name += *name + 1;
	return dnsd_name_equal(name, parent);
}

/* Offsets of the labels of a valid name, root not included. */
static int label_offsets(const uint8_t *name, uint8_t off[NAME_LABELS_MAX])
{
	int n = 0;
	for (size_t i = 0; name[i]; i += name[i] + 1u)
		off[n++] = (uint8_t)i;
	return n;
}

int dnsd_name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t ao[NAME_LABELS_MAX], bo[NAME_LABELS_MAX];
	int an = label_offsets(a, ao), bn = label_offsets(b, bo);
	/* label by label from the right */
	while (an > 0 && bn > 0) {
		const uint8_t *la = a + ao[--an], *lb = b + bo[--bn];
		uint8_t na = la[0], nb = lb[0];
		uint8_t n = na < nb ? na : nb;
		for (uint8_t i = 1; i <= n; i++) {
			int d = dnsd_lower[la[i]] - dnsd_lower[lb[i]];
			if (d)
				return d;
		}
		if (na != nb)
			return na < nb ? -1 : 1;
	}
	return an == bn ? 0 : (an < bn ? -1 : 1);
}

void dnsd_name_lower(uint8_t *name)
{
	for (uint8_t *p = name; *p; p += *p + 1)
		for (uint8_t i = 1; i <= *p; i++)
			p[i] = dnsd_lower[p[i]];
}

/* ---- hashing and lookup keys ---- */

/* Names hash 8 octets a step, lowercased 8 at a time (name_priv.h): the
 * lookups of the query path and of building a million-name zone spend
 * their time here, and an octet-at-a-time chain is several times
 * slower. */
uint32_t dnsd_name_hash(const uint8_t *name)
{
	/* as hash_lowered, reading no octet past the name */
	size_t len = dnsd_name_len(name);
	uint64_t x = hash_start(len);
	const uint8_t *p = name;
	for (; len > 8; len -= 8, p += 8)
		x = hash_mix(x, lower8(load_le64(p)));
	uint64_t w = 0;
	for (size_t i = 0; i < len; i++)
		w |= (uint64_t)p[i] << (8 * i);
	x = hash_mix(x, lower8(w));
	return hash_end(x);
}

void dnsd_name_key_init(dnsd_name_key *k, const uint8_t *name)
{
	unsigned n = 0;
	size_t i = 0;
	for (; name[i]; i += name[i] + 1u)
		k->off[n++] = (uint8_t)i;
	k->off[n] = (uint8_t)i;
	size_t len = i + 1;
	k->labels = (uint8_t)n;
	k->len = (uint8_t)len;
	/* lowercased copy in words; the last word overlaps the one before */
	if (len >= 8) {
		for (i = 0; i + 8 <= len; i += 8)
			store_le64(k->name + i, lower8(load_le64(name + i)));
		store_le64(k->name + len - 8,
		           lower8(load_le64(name + len - 8)));
	} else {
		for (i = 0; i < len; i++)
			k->name[i] = dnsd_lower[name[i]];
	}
	memset(k->name + len, 0, 8);
}

uint32_t dnsd_name_key_hash(const dnsd_name_key *k, unsigned i)
{
	return hash_lowered(k->name + k->off[i], (size_t)k->len - k->off[i]);
}

bool dnsd_name_key_match(const dnsd_name_key *k, unsigned i,
                         const uint8_t *name, size_t len)
{
	size_t at = k->off[i];
	if ((size_t)k->len - at != len)
		return false;
	const uint8_t *s = k->name + at;
	if (len < 8) {
		for (size_t j = 0; j < len; j++)
			if (dnsd_lower[name[j]] != s[j])
				return false;
		return true;
	}
	size_t j = 0;
	for (; j + 8 <= len; j += 8)
		if (lower8(load_le64(name + j)) != load_le64(s + j))
			return false;
	return j == len ||
	       lower8(load_le64(name + len - 8)) == load_le64(s + len - 8);
}

int dnsd_name_concat(const uint8_t *prefix, const uint8_t *suffix,
                     uint8_t out[DNSD_NAME_MAX])
{
	size_t pl = dnsd_name_len(prefix) - 1, sl = dnsd_name_len(suffix);
	if (pl + sl > DNSD_NAME_MAX)
		return DNSD_ENAMELEN;
	memmove(out, prefix, pl);
	memmove(out + pl, suffix, sl);
	return (int)(pl + sl);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int dnsd_name_from_text(const char *txt, size_t len, const uint8_t *origin,
                        uint8_t out[DNSD_NAME_MAX])
{
	if (len == 0)
		return DNSD_ESYNTAX;
	if (len == 1 && txt[0] == '@') {
		if (!origin)
			return DNSD_ESYNTAX;
		size_t ol = dnsd_name_len(origin);
		memmove(out, origin, ol);
		return (int)ol;
	}
	if (len == 1 && txt[0] == '.') {
		out[0] = 0;
		return 1;
	}
	size_t lab = 0; /* offset of the current label's length octet */
	size_t n = 0;   /* octets in the current label */
	bool absolute = false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)txt[i];
		if (c == '.') {
			if (n == 0)
				return DNSD_ESYNTAX;
			out[lab] = (uint8_t)n;
			lab += n + 1;
			n = 0;
			if (i + 1 == len)
				absolute = true;
			continue;
		}
		if (c == '\\') {
			if (++i == len)
				return DNSD_ESYNTAX;
			if (is_digit(txt[i])) {
				if (i + 2 >= len || !is_digit(txt[i + 1]) ||
				    !is_digit(txt[i + 2]))
					return DNSD_ESYNTAX;
				unsigned v = (unsigned)(txt[i] - '0') * 100 +
				             (unsigned)(txt[i + 1] - '0') * 10 +
				             (unsigned)(txt[i + 2] - '0');
				if (v > 255)
					return DNSD_ESYNTAX;
				c = (uint8_t)v;
				i += 2;
			} else {
				c = (uint8_t)txt[i];
			}
		}
		if (n == DNSD_LABEL_MAX)
			return DNSD_ELABEL;
		/* this octet, the label's length and a root must fit */
		if (lab + 1 + n + 1 + 1 > DNSD_NAME_MAX)
			return DNSD_ENAMELEN;
		out[lab + 1 + n++] = c;
	}
	if (n) {
		out[lab] = (uint8_t)n;
		lab += n + 1;
	}
	if (absolute) {
		out[lab] = 0;
		return (int)lab + 1;
	}
	if (!origin)
		return DNSD_ESYNTAX;
	size_t ol = dnsd_name_len(origin);
	if (lab + ol > DNSD_NAME_MAX)
		return DNSD_ENAMELEN;
	memmove(out + lab, origin, ol);
	return (int)(lab + ol);
}

/* How BIND prints an octet of a label: 0 as is, 1 as \X, 2 as \DDD. */
static uint8_t text_escape(uint8_t c)
{
	switch (c) {
	case '.':
	case ';':
	case '(':
	case ')':
	case '"':
	case '\\':
	case '@':
	case '$':
		return 1;
	default:
		return c > 0x20 && c < 0x7f ? 0 : 2;
	}
}

int dnsd_name_to_text(const uint8_t *name, char *buf, size_t cap)
{
	size_t o = 0;
	if (name[0] == 0) {
		if (cap < 2)
			return DNSD_ESPACE;
		buf[0] = '.';
		buf[1] = 0;
		return 1;
	}
	for (const uint8_t *p = name; *p; p += *p + 1) {
		for (uint8_t i = 1; i <= *p; i++) {
			uint8_t c = p[i];
			uint8_t e = text_escape(c);
			/* this octet's form, then room for a dot and NUL */
			size_t need = e == 0 ? 1 : (e == 1 ? 2 : 4);
			if (o + need + 2 > cap)
				return DNSD_ESPACE;
			if (e == 0) {
				buf[o++] = (char)c;
			} else if (e == 1) {
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else {
				buf[o++] = '\\';
				buf[o++] = (char)('0' + c / 100);
				buf[o++] = (char)('0' + c / 10 % 10);
				buf[o++] = (char)('0' + c % 10);
			}
		}
		if (o + 2 > cap)
			return DNSD_ESPACE;
		buf[o++] = '.';
	}
	buf[o] = 0;
	return (int)o;
}

/* ---- compression ---- */

/* Label at message offset mo, already written, equals lab (any case):
 * length octet and octets compared as one run. */
static inline bool msg_label_eq(const dnsd_wire *w, size_t mo,
                                const uint8_t *lab)
{
	size_t n = lab[0] + 1u;
	return mo + n <= w->pos && w->base[mo] == lab[0] &&
	       octets_eq_ci(w->base + mo, lab, n);
}

/* Forgets the labels of names dropped by lowering count. */
static void comp_sync(dnsd_compress *c)
{
	if (c->lab_names > c->count) {
		c->nlab = c->lab_first[c->count];
		c->lab_names = c->count;
	}
}

/* How much of a name's end the table holds: walking its labels from the
 * last, each step looks for the table's label under the suffix matched
 * so far. depth/deep: labels matched and the entry of the longest match;
 * best/target: the same for the longest match a pointer can reach. */
typedef struct comp_match {
	int depth, best;
	uint16_t deep, target;
} comp_match;

static comp_match comp_find(const dnsd_wire *w, const dnsd_compress *c,
                            const uint8_t *name, const uint8_t *no, int nl)
{
	comp_match m = {0, 0, DNSD_COMPRESS_NONE, DNSD_COMPRESS_NONE};
	uint16_t up = DNSD_COMPRESS_NONE;
	for (int j = nl - 1; j >= 0; j--) {
		const uint8_t *lab = name + no[j];
		/* a label goes in after the suffix that follows it */
		uint16_t e = up == DNSD_COMPRESS_NONE ? 0 : up + 1;
		for (; e < c->nlab; e++)
			if (c->lab_up[e] == up &&
			    msg_label_eq(w, c->lab_off[e], lab))
				break;
		if (e >= c->nlab)
			break;
		up = e;
		m.depth++;
		m.deep = e;
		if (c->lab_off[e] <= 0x3fff) {
			m.best = m.depth;
			m.target = e;
		}
	}
	return m;
}

/* Remembers the name written at `at` whose first `fresh` labels were
 * written there in full, followed by the suffix at table entry up. */
static void comp_remember(dnsd_compress *c, size_t at, const uint8_t *no,
                          int fresh, uint16_t up)
{
	if (at > 0x3fff || c->count >= DNSD_COMPRESS_MAX ||
	    c->nlab + fresh > DNSD_COMPRESS_LABELS)
		return;
	c->lab_first[c->count] = c->nlab;
	c->off[c->count++] = (uint16_t)at;
	for (int j = fresh - 1; j >= 0; j--) {
		c->lab_off[c->nlab] = (uint16_t)(at + no[j]);
		c->lab_up[c->nlab] = up;
		up = c->nlab++;
	}
	c->lab_names = c->count;
}

void dnsd_compress_add(dnsd_compress *c, const dnsd_wire *w, size_t at,
                       const uint8_t *name)
{
	comp_sync(c);
	uint8_t no[NAME_LABELS_MAX];
	int nl = label_offsets(name, no);
	if (!c->nlab) { /* the first name (a question): nothing to match */
		comp_remember(c, at, no, nl, DNSD_COMPRESS_NONE);
		return;
	}
	comp_match m = comp_find(w, c, name, no, nl);
	if (m.depth < nl)
		comp_remember(c, at, no, nl - m.depth, m.deep);
}

void dnsd_name_to_wire(dnsd_wire *w, const uint8_t *name, dnsd_compress *c)
{
	if (!c) {
		dnsd_wire_put(w, name, dnsd_name_len(name));
		return;
	}
	comp_sync(c);
	uint8_t no[NAME_LABELS_MAX];
	no[0] = 0; /* the root has no labels: nothing before its pointer */
	int nl = label_offsets(name, no);
	comp_match m = comp_find(w, c, name, no, nl);
	size_t start = w->pos;
	size_t plain = m.best ? no[nl - m.best] : dnsd_name_len(name);
	dnsd_wire_put(w, name, plain);
	if (m.best)
		dnsd_wire_put_u16(w, (uint16_t)(0xc000 | c->lab_off[m.target]));
	if (w->err || m.best == nl)
		return;
	comp_remember(c, start, no, nl - m.best, m.target);
}
