/* The key store (a small array under a mutex: deployments have tens of
 * keys, not thousands, and a lookup copies one key out), the key-name
 * scheme (operation label, zone part, encoded addresses), and the text
 * forms of keys: NAME:ALG:SECRET, BIND key clauses, key files. Secrets
 * are wiped wherever a copy dies. */
#include "keys_priv.h"
#include <dnsd/err.h>
#include <dnsd/keystore.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const uint8_t ks_root[1] = {0};

typedef struct ks_seen {
	uint64_t time_signed;
	uint16_t fudge;
	int16_t outcome; /* the rcode it was answered, -1 until then */
	uint8_t mac_len;
	uint8_t mac[16];
} ks_seen;

typedef struct ks_entry {
	dnsd_key key;
	ks_seen seen[DNSD_KEYSTORE_RING];
	unsigned next; /* ring position of the next pair */
} ks_entry;

struct dnsd_keystore {
	pthread_mutex_t lock;
	ks_entry *e;
	size_t n, cap;
};

dnsd_keystore *dnsd_keystore_new(void)
{
	dnsd_keystore *ks = calloc(1, sizeof *ks);
	if (!ks)
		return NULL;
	if (pthread_mutex_init(&ks->lock, NULL) != 0) {
		free(ks);
		return NULL;
	}
	return ks;
}

static void ks_wipe_entries(ks_entry *e, size_t cap)
{
	if (e)
		explicit_bzero(e, cap * sizeof *e);
	free(e);
}

void dnsd_keystore_free(dnsd_keystore *ks)
{
	if (!ks)
		return;
	ks_wipe_entries(ks->e, ks->cap);
	pthread_mutex_destroy(&ks->lock);
	free(ks);
}

/* Index of the key named name, or -1; lock held. */
static long ks_find(const dnsd_keystore *ks, const uint8_t *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (dnsd_name_equal(ks->e[i].key.name, name))
			return (long)i;
	return -1;
}

static bool ks_same_key(const dnsd_key *a, const dnsd_key *b)
{
	return a->alg == b->alg && a->secret_len == b->secret_len &&
	       memcmp(a->secret, b->secret, a->secret_len) == 0;
}

static bool ks_valid(const dnsd_key *k)
{
	return k->alg >= DNSD_ALG_HMAC_SHA1 && k->alg <= DNSD_ALG_HMAC_SHA512 &&
	       k->secret_len > 0 && k->secret_len <= DNSD_KEY_SECRET_MAX &&
	       dnsd_name_check(k->name, DNSD_NAME_MAX) > 0 &&
	       !dnsd_name_is_root(k->name);
}

/* Grows the array by hand (not realloc) so the old block can be wiped. */
static int ks_grow(dnsd_keystore *ks)
{
	size_t nc = ks->cap ? ks->cap * 2 : 8;
	ks_entry *ne = calloc(nc, sizeof *ne);
	if (!ne)
		return DNSD_ENOMEM;
	if (ks->n)
		memcpy(ne, ks->e, ks->n * sizeof *ne);
	ks_wipe_entries(ks->e, ks->cap);
	ks->e = ne;
	ks->cap = nc;
	return 0;
}

int dnsd_keystore_add(dnsd_keystore *ks, const dnsd_key *k)
{
	if (!ks_valid(k))
		return DNSD_EINVAL;
	int err = 0;
	pthread_mutex_lock(&ks->lock);
	long i = ks_find(ks, k->name);
	if (i >= 0) {
		if (!ks_same_key(&ks->e[i].key, k))
			err = DNSD_EEXIST;
	} else if (ks->n < ks->cap || (err = ks_grow(ks)) == 0) {
		ks_entry *e = &ks->e[ks->n++];
		memset(e, 0, sizeof *e);
		e->key = *k;
		dnsd_name_lower(e->key.name);
	}
	pthread_mutex_unlock(&ks->lock);
	return err;
}

int dnsd_keystore_add_list(dnsd_keystore *ks, const dnsd_keylist *l,
                           size_t *bad)
{
	for (size_t i = 0; i < l->count; i++) {
		int err = dnsd_keystore_add(ks, &l->keys[i]);
		if (err) {
			if (bad)
				*bad = i;
			return err;
		}
	}
	return 0;
}

size_t dnsd_keystore_count(dnsd_keystore *ks)
{
	pthread_mutex_lock(&ks->lock);
	size_t n = ks->n;
	pthread_mutex_unlock(&ks->lock);
	return n;
}

int dnsd_keystore_get(dnsd_keystore *ks, const uint8_t *name, dnsd_key *out)
{
	pthread_mutex_lock(&ks->lock);
	long i = ks_find(ks, name);
	if (i >= 0)
		*out = ks->e[i].key;
	pthread_mutex_unlock(&ks->lock);
	return i >= 0 ? 0 : DNSD_ENOTFOUND;
}

int dnsd_keystore_name_at(dnsd_keystore *ks, size_t i,
                          uint8_t out[DNSD_NAME_MAX])
{
	int err = DNSD_ENOTFOUND;
	pthread_mutex_lock(&ks->lock);
	if (i < ks->n) {
		memcpy(out, ks->e[i].key.name,
		       dnsd_name_len(ks->e[i].key.name));
		err = 0;
	}
	pthread_mutex_unlock(&ks->lock);
	return err;
}

bool dnsd_keystore_replayed(dnsd_keystore *ks, const uint8_t *name,
                            uint64_t time_signed, uint16_t fudge,
                            const uint8_t *mac, size_t mac_len, uint64_t now)
{
	size_t ml = mac_len < 16 ? mac_len : 16;
	bool replay = false;

	pthread_mutex_lock(&ks->lock);
	long i = ks_find(ks, name);
	if (i < 0) {
		/* not a key of ours (any more): nothing to remember */
		pthread_mutex_unlock(&ks->lock);
		return false;
	}
	ks_entry *e = &ks->e[i];
	int free_slot = -1;
	for (int j = 0; j < DNSD_KEYSTORE_RING; j++) {
		ks_seen *s = &e->seen[j];
		bool live = s->mac_len && s->time_signed + s->fudge >= now;
		if (!live) {
			if (free_slot < 0)
				free_slot = j;
			continue;
		}
		if (s->time_signed == time_signed && s->mac_len == ml &&
		    memcmp(s->mac, mac, ml) == 0) {
			replay = true;
			break;
		}
	}
	if (!replay) {
		/* an expired slot if there is one, else the oldest written */
		unsigned j = free_slot >= 0 ? (unsigned)free_slot : e->next;
		ks_seen *s = &e->seen[j];
		s->time_signed = time_signed;
		s->fudge = fudge;
		s->outcome = -1;
		s->mac_len = (uint8_t)ml;
		memcpy(s->mac, mac, ml);
		if (free_slot < 0)
			e->next = (e->next + 1) % DNSD_KEYSTORE_RING;
	}
	pthread_mutex_unlock(&ks->lock);
	return replay;
}

/* The live pair (time_signed, the MAC's first 16 octets) of entry e, or
 * NULL. */
static ks_seen *ks_seen_find(ks_entry *e, uint64_t time_signed,
                             const uint8_t *mac, size_t mac_len)
{
	size_t ml = mac_len < 16 ? mac_len : 16;
	for (int j = 0; j < DNSD_KEYSTORE_RING; j++) {
		ks_seen *s = &e->seen[j];
		if (s->mac_len && s->time_signed == time_signed &&
		    s->mac_len == ml && memcmp(s->mac, mac, ml) == 0)
			return s;
	}
	return NULL;
}

void dnsd_keystore_set_outcome(dnsd_keystore *ks, const uint8_t *name,
                               uint64_t time_signed, const uint8_t *mac,
                               size_t mac_len, int rcode)
{
	pthread_mutex_lock(&ks->lock);
	long i = ks_find(ks, name);
	ks_seen *s =
	    i < 0 ? NULL : ks_seen_find(&ks->e[i], time_signed, mac, mac_len);
	if (s && s->outcome < 0)
		s->outcome = (int16_t)rcode;
	pthread_mutex_unlock(&ks->lock);
}

int dnsd_keystore_outcome(dnsd_keystore *ks, const uint8_t *name,
                          uint64_t time_signed, const uint8_t *mac,
                          size_t mac_len)
{
	pthread_mutex_lock(&ks->lock);
	long i = ks_find(ks, name);
	ks_seen *s =
	    i < 0 ? NULL : ks_seen_find(&ks->e[i], time_signed, mac, mac_len);
	int r = s ? s->outcome : -1;
	pthread_mutex_unlock(&ks->lock);
	return r;
}

void dnsd_keystore_replace(dnsd_keystore *dst, dnsd_keystore *src)
{
	pthread_mutex_lock(&dst->lock);
	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->n; i++) {
		long j = ks_find(dst, src->e[i].key.name);
		if (j >= 0 && ks_same_key(&dst->e[j].key, &src->e[i].key)) {
			memcpy(src->e[i].seen, dst->e[j].seen,
			       sizeof src->e[i].seen);
			src->e[i].next = dst->e[j].next;
		}
	}
	ks_entry *old = dst->e;
	size_t oldcap = dst->cap;
	dst->e = src->e;
	dst->n = src->n;
	dst->cap = src->cap;
	src->e = NULL;
	src->n = src->cap = 0;
	pthread_mutex_unlock(&src->lock);
	pthread_mutex_unlock(&dst->lock);
	ks_wipe_entries(old, oldcap);
}

/* ---- the key-name scheme ---- */

static const struct {
	const char *label;
	int op;
} key_ops[] = {
    {"_update", DNSD_KEY_OP_UPDATE},
    {"_transfer", DNSD_KEY_OP_TRANSFER},
    {"_notify", DNSD_KEY_OP_NOTIFY},
};

static int label_op(const uint8_t *label)
{
	for (size_t i = 0; i < sizeof key_ops / sizeof key_ops[0]; i++) {
		size_t n = strlen(key_ops[i].label);
		if (label[0] == n && strncasecmp((const char *)label + 1,
		                                 key_ops[i].label, n) == 0)
			return key_ops[i].op;
	}
	return DNSD_KEY_OP_NONE;
}

int dnsd_key_op(const uint8_t *keyname, const uint8_t **zone)
{
	for (const uint8_t *p = keyname; *p; p += *p + 1) {
		int op = label_op(p);
		if (op != DNSD_KEY_OP_NONE) {
			if (zone)
				*zone = p + *p + 1;
			return op;
		}
	}
	if (zone)
		*zone = NULL;
	return DNSD_KEY_OP_NONE;
}

const char *dnsd_key_op_name(int op)
{
	for (size_t i = 0; i < sizeof key_ops / sizeof key_ops[0]; i++)
		if (key_ops[i].op == op)
			return key_ops[i].label + 1;
	return "none";
}

bool dnsd_key_allows(const uint8_t *keyname, int op, const uint8_t *zone)
{
	const uint8_t *kz;
	int kop = dnsd_key_op(keyname, &kz);
	if (kop == DNSD_KEY_OP_NONE || op <= DNSD_KEY_OP_NONE || kop < op)
		return false;
	return dnsd_name_is_subdomain(zone, kz);
}

/* A label that is a decimal octet: 0..255, no leading zeros. */
static bool label_octet(const uint8_t *label, uint8_t *v)
{
	unsigned n = label[0], x = 0;
	if (n == 0 || n > 3 || (n > 1 && label[1] == '0'))
		return false;
	for (unsigned i = 1; i <= n; i++) {
		if (label[i] < '0' || label[i] > '9')
			return false;
		x = x * 10 + (unsigned)(label[i] - '0');
	}
	if (x > 255)
		return false;
	*v = (uint8_t)x;
	return true;
}

int dnsd_key_transfer_addrs(const uint8_t *keyname, dnsd_key_addrs *a)
{
	const uint8_t *lab[DNSD_NAME_MAX / 2 + 1];
	size_t n = 0;

	memset(a, 0, sizeof *a);
	for (const uint8_t *p = keyname; *p; p += *p + 1) {
		int op = label_op(p);
		if (op == DNSD_KEY_OP_TRANSFER)
			break;
		if (op != DNSD_KEY_OP_NONE)
			return DNSD_ENOTFOUND; /* an _update or _notify key */
		lab[n++] = p;
	}
	if (dnsd_key_op(keyname, NULL) != DNSD_KEY_OP_TRANSFER)
		return DNSD_ENOTFOUND;
	/* the labels right before _transfer: S.S.S.S after P.P.P.P */
	uint8_t v[8];
	size_t k = 0;
	while (k < n && k < 8 && label_octet(lab[n - 1 - k], &v[7 - k]))
		k++;
	if (k == 8) {
		memcpy(a->primary, v, 4);
		memcpy(a->secondary, v + 4, 4);
		a->has_primary = a->has_secondary = true;
	} else if (k >= 4) {
		memcpy(a->primary, v + 4, 4);
		a->has_primary = true;
	}
	return 0;
}

/* ---- algorithms and base64 ---- */

static const struct {
	uint8_t alg;
	const char *short_name, *hmac;
} key_algs[] = {
    {DNSD_ALG_HMAC_SHA1, "SHA1", "hmac-sha1"},
    {DNSD_ALG_HMAC_SHA224, "SHA224", "hmac-sha224"},
    {DNSD_ALG_HMAC_SHA256, "SHA256", "hmac-sha256"},
    {DNSD_ALG_HMAC_SHA384, "SHA384", "hmac-sha384"},
    {DNSD_ALG_HMAC_SHA512, "SHA512", "hmac-sha512"},
};
#define NKEYALGS (sizeof key_algs / sizeof key_algs[0])

uint8_t dnsd_key_alg_from_text(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len > 5 && strncasecmp(s, "hmac-", 5) == 0) {
		s += 5;
		len -= 5;
	}
	for (size_t i = 0; i < NKEYALGS; i++)
		if (strlen(key_algs[i].short_name) == len &&
		    strncasecmp(s, key_algs[i].short_name, len) == 0)
			return key_algs[i].alg;
	return 0;
}

const char *dnsd_key_alg_short(uint8_t alg)
{
	for (size_t i = 0; i < NKEYALGS; i++)
		if (key_algs[i].alg == alg)
			return key_algs[i].short_name;
	return NULL;
}

const char *dnsd_key_alg_hmac(uint8_t alg)
{
	for (size_t i = 0; i < NKEYALGS; i++)
		if (key_algs[i].alg == alg)
			return key_algs[i].hmac;
	return NULL;
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;
	return p ? (int)(p - b64_chars) : -1;
}

int dnsd_key_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	if (len == 0 || len % 4 != 0)
		return DNSD_ESYNTAX;
	size_t pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
	size_t n = len / 4 * 3 - pad;
	if (n > cap)
		return DNSD_ESPACE;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		for (int j = 0; j < 4; j++) {
			bool padpos = i + (size_t)j >= len - pad;
			v[j] = padpos ? 0 : b64_value(s[i + (size_t)j]);
			if (v[j] < 0)
				return DNSD_ESYNTAX;
		}
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		             (uint32_t)v[2] << 6 | (uint32_t)v[3];
		uint8_t b[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8),
		                (uint8_t)x};
		for (int j = 0; j < 3 && o < n; j++)
			out[o++] = b[j];
		/* the bits under the padding must be zero: one text, one key */
		if (i + 4 == len && pad && (x & (pad == 1 ? 0xff : 0xffff)))
			return DNSD_ESYNTAX;
	}
	return (int)n;
}

int dnsd_key_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t n = (len + 2) / 3 * 4;
	if (n + 1 > cap)
		return DNSD_ESPACE;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t x = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			x |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			x |= in[i + 2];
		out[o++] = b64_chars[x >> 18 & 63];
		out[o++] = b64_chars[x >> 12 & 63];
		out[o++] = i + 1 < len ? b64_chars[x >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64_chars[x & 63] : '=';
	}
	out[o] = 0;
	return (int)o;
}

/* ---- text forms ---- */

static void set_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
	if (!err || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* Name text (absolute, final dot optional) into k->name, lower-cased. */
static int key_name(const char *s, size_t len, dnsd_key *k)
{
	if (len == 0)
		return DNSD_ESYNTAX;
	int n = dnsd_name_from_text(s, len, ks_root, k->name);
	if (n < 0 || dnsd_name_is_root(k->name))
		return DNSD_ESYNTAX;
	dnsd_name_lower(k->name);
	return 0;
}

static int key_secret(const char *s, size_t len, dnsd_key *k)
{
	int n = dnsd_key_b64_decode(s, len, k->secret, sizeof k->secret);
	if (n <= 0)
		return DNSD_ESYNTAX;
	k->secret_len = (uint16_t)n;
	return 0;
}

int dnsd_key_from_text(const char *s, dnsd_key *k, char *err, size_t errcap)
{
	/* split at the last two colons: names may not hold one unescaped,
	 * base64 never does */
	const char *c2 = strrchr(s, ':');
	const char *c1 = NULL;
	for (const char *p = s; c2 && p < c2; p++)
		if (*p == ':')
			c1 = p;
	memset(k, 0, sizeof *k);
	if (!c1 || c1 == s) {
		set_err(err, errcap, "expected NAME:ALG:SECRET");
		return DNSD_ESYNTAX;
	}
	if (key_name(s, (size_t)(c1 - s), k) < 0) {
		set_err(err, errcap, "bad key name '%.*s'", (int)(c1 - s), s);
		return DNSD_ESYNTAX;
	}
	k->alg = dnsd_key_alg_from_text(c1 + 1, (size_t)(c2 - c1 - 1));
	if (!k->alg) {
		set_err(err, errcap,
		        "unknown algorithm '%.*s' (expected sha1, sha224, "
		        "sha256, sha384 or sha512)",
		        (int)(c2 - c1 - 1), c1 + 1);
		explicit_bzero(k, sizeof *k);
		return DNSD_ESYNTAX;
	}
	if (key_secret(c2 + 1, strlen(c2 + 1), k) < 0) {
		set_err(err, errcap, "the secret is not valid base64");
		explicit_bzero(k, sizeof *k);
		return DNSD_ESYNTAX;
	}
	return 0;
}

int dnsd_key_to_text(const dnsd_key *k, char *buf, size_t cap)
{
	char name[DNSD_NAME_TEXT_MAX];
	const char *alg = dnsd_key_alg_short(k->alg);
	if (!alg || dnsd_name_to_text(k->name, name, sizeof name) < 0)
		return DNSD_EINVAL;
	size_t nl = strlen(name);
	if (nl > 1)
		name[--nl] = 0; /* the final dot */
	int n = snprintf(buf, cap, "%s:%s:", name, alg);
	if (n < 0 || (size_t)n >= cap)
		return DNSD_ESPACE;
	int b = dnsd_key_b64_encode(k->secret, k->secret_len, buf + n,
	                            cap - (size_t)n);
	if (b < 0) {
		explicit_bzero(buf, cap);
		return b;
	}
	return n + b;
}

/* ---- BIND key clauses ---- */

typedef struct bind_lex {
	const char *s, *end;
	unsigned line;
	/* the token */
	const char *tok;
	size_t len;
	bool quoted;
	char *err;
	size_t errcap;
} bind_lex;

/* Skips blanks and comments; false at an unterminated C comment. */
static bool bind_skip(bind_lex *l)
{
	while (l->s < l->end) {
		char c = *l->s;
		if (c == '\n') {
			l->line++;
			l->s++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			l->s++;
		} else if (c == '#' ||
		           (c == '/' && l->s + 1 < l->end && l->s[1] == '/')) {
			while (l->s < l->end && *l->s != '\n')
				l->s++;
		} else if (c == '/' && l->s + 1 < l->end && l->s[1] == '*') {
			l->s += 2;
			for (;;) {
				if (l->s + 1 >= l->end)
					return false;
				if (l->s[0] == '*' && l->s[1] == '/')
					break;
				if (*l->s == '\n')
					l->line++;
				l->s++;
			}
			l->s += 2;
		} else {
			break;
		}
	}
	return true;
}

/* The next token: a quoted string, one of { } ;, or a word. 1, 0 at the
 * end, DNSD_ESYNTAX. */
static int bind_next(bind_lex *l)
{
	if (!bind_skip(l)) {
		set_err(l->err, l->errcap, "%u: unterminated comment", l->line);
		return DNSD_ESYNTAX;
	}
	if (l->s >= l->end)
		return 0;
	l->quoted = false;
	if (*l->s == '"') {
		const char *q = ++l->s;
		while (l->s < l->end && *l->s != '"' && *l->s != '\n')
			l->s++;
		if (l->s >= l->end || *l->s != '"') {
			set_err(l->err, l->errcap, "%u: unterminated string",
			        l->line);
			return DNSD_ESYNTAX;
		}
		l->tok = q;
		l->len = (size_t)(l->s - q);
		l->quoted = true;
		l->s++;
		return 1;
	}
	l->tok = l->s;
	if (strchr("{};", *l->s)) {
		l->s++;
	} else {
		while (l->s < l->end && !strchr(" \t\r\n{};\"#", *l->s))
			l->s++;
	}
	l->len = (size_t)(l->s - l->tok);
	return 1;
}

static bool bind_is(const bind_lex *l, const char *w)
{
	return !l->quoted && l->len == strlen(w) &&
	       strncasecmp(l->tok, w, l->len) == 0;
}

/* Expects the punctuation p as the next token. */
static int bind_expect(bind_lex *l, const char *p, const char *after)
{
	int r = bind_next(l);
	if (r < 0)
		return r;
	if (r == 0 || !bind_is(l, p)) {
		set_err(l->err, l->errcap, "%u: expected '%s' after %s",
		        l->line, p, after);
		return DNSD_ESYNTAX;
	}
	return 0;
}

/* One `key NAME { ... };` after the word key. */
static int bind_clause(bind_lex *l, dnsd_keylist *list)
{
	dnsd_key k;
	char name[DNSD_NAME_TEXT_MAX];
	bool have_alg = false, have_secret = false;
	int r;

	memset(&k, 0, sizeof k);
	if ((r = bind_next(l)) < 0)
		return r;
	if (r == 0 || (!l->quoted && strchr("{};", *l->tok)) ||
	    key_name(l->tok, l->len, &k) < 0) {
		set_err(l->err, l->errcap,
		        "%u: expected a key name after 'key'", l->line);
		return DNSD_ESYNTAX;
	}
	snprintf(name, sizeof name, "%.*s", (int)l->len, l->tok);
	if ((r = bind_expect(l, "{", "the key name")) < 0)
		return r;
	for (;;) {
		if ((r = bind_next(l)) < 0)
			goto out;
		if (r == 0) {
			set_err(l->err, l->errcap, "%u: key '%s' is not closed",
			        l->line, name);
			r = DNSD_ESYNTAX;
			goto out;
		}
		if (bind_is(l, "}"))
			break;
		if (bind_is(l, "algorithm")) {
			if ((r = bind_next(l)) < 0)
				goto out;
			if (r == 0 ||
			    !(k.alg = dnsd_key_alg_from_text(l->tok, l->len))) {
				set_err(
				    l->err, l->errcap,
				    "%u: key '%s': unknown algorithm (expected "
				    "hmac-sha1, -sha224, -sha256, -sha384 "
				    "or -sha512)",
				    l->line, name);
				r = DNSD_ESYNTAX;
				goto out;
			}
			have_alg = true;
		} else if (bind_is(l, "secret")) {
			if ((r = bind_next(l)) < 0)
				goto out;
			if (r == 0 || key_secret(l->tok, l->len, &k) < 0) {
				set_err(l->err, l->errcap,
				        "%u: key '%s': the secret is not valid "
				        "base64",
				        l->line, name);
				r = DNSD_ESYNTAX;
				goto out;
			}
			have_secret = true;
		} else {
			set_err(l->err, l->errcap,
			        "%u: key '%s': unknown statement '%.*s'",
			        l->line, name, (int)(l->len > 40 ? 40 : l->len),
			        l->tok);
			r = DNSD_ESYNTAX;
			goto out;
		}
		if ((r = bind_expect(l, ";", "a key statement")) < 0)
			goto out;
	}
	if ((r = bind_expect(l, ";", "'}'")) < 0)
		goto out;
	if (!have_alg || !have_secret) {
		set_err(l->err, l->errcap, "%u: key '%s' has no %s", l->line,
		        name, have_alg ? "secret" : "algorithm");
		r = DNSD_ESYNTAX;
		goto out;
	}
	r = dnsd_keylist_append(list, &k);
out:
	explicit_bzero(&k, sizeof k);
	return r;
}

int dnsd_key_parse_bind(const char *text, size_t len, dnsd_keylist *l,
                        char *err, size_t errcap)
{
	bind_lex lx = {.s = text,
	               .end = text + len,
	               .line = 1,
	               .err = err,
	               .errcap = errcap};
	size_t start = l->count;
	int r;
	while ((r = bind_next(&lx)) > 0) {
		if (!bind_is(&lx, "key")) {
			set_err(err, errcap, "%u: expected 'key', found '%.*s'",
			        lx.line, (int)(lx.len > 40 ? 40 : lx.len),
			        lx.tok);
			r = DNSD_ESYNTAX;
			break;
		}
		if ((r = bind_clause(&lx, l)) < 0)
			break;
	}
	if (r < 0) {
		dnsd_keylist_truncate(l, start);
		return r;
	}
	return 0;
}

/* ---- key files ---- */

#define KEYFILE_MAX (1 << 20)

static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return DNSD_EIO;
	char *b = malloc(KEYFILE_MAX + 1);
	size_t n = b ? fread(b, 1, KEYFILE_MAX + 1, f) : 0;
	bool bad = !b || ferror(f) || n > KEYFILE_MAX;
	fclose(f);
	if (bad) {
		if (b)
			explicit_bzero(b, n);
		free(b);
		return b ? DNSD_EIO : DNSD_ENOMEM;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

/* True when the first word of text, after blanks and comments, is key. */
static bool looks_bind(const char *text, size_t len)
{
	bind_lex l = {.s = text, .end = text + len, .line = 1};
	return bind_next(&l) > 0 && bind_is(&l, "key");
}

typedef struct diag_first {
	char *err;
	size_t cap;
	bool set;
} diag_first;

/* The first error of a zone-syntax key file, without the line (it may
 * hold a secret). */
static void keyfile_diag(void *ctx, const dnsd_diag *d)
{
	diag_first *df = ctx;
	if (df->set || d->severity != DNSD_DIAG_ERROR)
		return;
	set_err(df->err, df->cap, "%s:%u:%u: %s", d->file ? d->file : "",
	        d->line, d->col, d->msg);
	df->set = true;
}

int dnsd_keystore_load_file(dnsd_keystore *ks, const char *path, char *err,
                            size_t errcap)
{
	char *text;
	size_t len;
	dnsd_keylist l = {0};
	int r = read_all(path, &text, &len);
	if (r < 0) {
		set_err(err, errcap, "%s: %s", path,
		        r == DNSD_EIO ? strerror(errno) : dnsd_strerror(r));
		return r;
	}
	if (looks_bind(text, len)) {
		char e[256];
		r = dnsd_key_parse_bind(text, len, &l, e, sizeof e);
		if (r < 0)
			set_err(err, errcap, "%s:%s", path, e);
	} else {
		diag_first df = {err, errcap, false};
		dnsd_zf_opts o = {
		    .origin = ks_root, .diag = keyfile_diag, .diag_ctx = &df};
		dnsd_zf_result res = {0};
		r = dnsd_keyfile_load(path, ks_root, &o, &l, &res);
		if (r < 0 && !df.set)
			set_err(err, errcap, "%s: %s", path, dnsd_strerror(r));
	}
	explicit_bzero(text, len);
	free(text);
	if (r == 0) {
		size_t bad = 0;
		r = dnsd_keystore_add_list(ks, &l, &bad);
		if (r < 0) {
			char name[DNSD_NAME_TEXT_MAX];
			if (dnsd_name_to_text(l.keys[bad].name, name,
			                      sizeof name) < 0)
				name[0] = 0;
			set_err(err, errcap,
			        "%s: key '%s' is already defined with another "
			        "algorithm or secret",
			        path, name);
		}
	}
	dnsd_keylist_free(&l);
	return r;
}
