/* Domain names.
 *
 * In memory a name is its uncompressed wire form: length-prefixed labels
 * ending with the root label (0), at most DNSD_NAME_MAX octets, letter case
 * as given. Functions that take a `const uint8_t *name` expect a valid one
 * (as produced by the parsers here); functions that read untrusted input
 * validate it. */
#ifndef DNSD_NAME_H
#define DNSD_NAME_H

#include <dnsd/wire.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSD_NAME_MAX  255
#define DNSD_LABEL_MAX 63
/* Longest text form: every octet as \DDD plus dots. */
#define DNSD_NAME_TEXT_MAX (DNSD_NAME_MAX * 4 + 2)

/* Lower-case ASCII table; other octets map to themselves. */
extern const uint8_t dnsd_lower[256];

/* Reads a possibly compressed name at the cursor into out (uncompressed),
 * advancing the cursor past the name's in-place part. Pointers must point
 * strictly backwards (before the start of the label sequence being read),
 * so loops are impossible; labels over 63, names over 255 octets and the
 * reserved label types 0x40/0x80 are errors. Returns the length of out
 * or a negative error, which is also set on the cursor. */
int dnsd_name_from_wire(dnsd_wire *w, uint8_t out[DNSD_NAME_MAX]);

/* Validates an uncompressed name in buf (no pointers allowed), returning
 * its length or a negative error. */
int dnsd_name_check(const uint8_t *buf, size_t len);

/* Octets of a valid name, including the root label. */
size_t dnsd_name_len(const uint8_t *name);
/* Number of labels, the root not counted ("." has 0). */
int dnsd_name_labels(const uint8_t *name);
/* The name without its first label; the root for the root. */
const uint8_t *dnsd_name_parent(const uint8_t *name);
static inline bool dnsd_name_is_root(const uint8_t *name)
{
	return name[0] == 0;
}
/* True when the first label is "*". */
bool dnsd_name_is_wildcard(const uint8_t *name);

bool dnsd_name_equal(const uint8_t *a, const uint8_t *b);
/* True when name is parent or below it (case-insensitive). */
bool dnsd_name_is_subdomain(const uint8_t *name, const uint8_t *parent);
/* RFC 4034 §6.1 canonical order: <0, 0, >0. */
int dnsd_name_cmp(const uint8_t *a, const uint8_t *b);
void dnsd_name_lower(uint8_t *name);
/* Case-insensitive hash of a name (same for names that compare equal). */
uint32_t dnsd_name_hash(const uint8_t *name);

/* Most labels of a name, the root not counted (127 one-octet labels). */
#define DNSD_NAME_LABELS_MAX 127

/* A name prepared once for the lookups of a query: lowercased, with the
 * offsets of its labels, so the zone database and the zone probe its
 * suffixes without walking it or folding its case again. Suffix i is the
 * name from its label i on (labels: the root). */
typedef struct dnsd_name_key {
	uint8_t len;                           /* octets, root included */
	uint8_t labels;                        /* root not counted */
	uint8_t off[DNSD_NAME_LABELS_MAX + 1]; /* label i at name + off[i];
	                                         off[labels]: the root */
	uint8_t name[DNSD_NAME_MAX + 8];       /* lowercased, then zeros */
} dnsd_name_key;

/* Prepares k from a valid name (any case). Never fails. */
void dnsd_name_key_init(dnsd_name_key *k, const uint8_t *name);
/* dnsd_name_hash of suffix i of k (i <= k->labels), read word by word
 * from the lowercased copy. */
uint32_t dnsd_name_key_hash(const dnsd_name_key *k, unsigned i);
/* True when suffix i of k (i <= k->labels) equals name, a valid name of
 * len octets in any case. */
bool dnsd_name_key_match(const dnsd_name_key *k, unsigned i,
                         const uint8_t *name, size_t len);
/* Concatenates prefix (a name whose root label is dropped) and suffix into
 * out; DNSD_ENAMELEN when the result is too long. Returns the length. */
int dnsd_name_concat(const uint8_t *prefix, const uint8_t *suffix,
                     uint8_t out[DNSD_NAME_MAX]);

/* Text form, RFC 1035 §5.1: labels separated by dots, `\X` for a special
 * character X, `\DDD` for any octet. An `@` alone is origin; a name not
 * ending in an unescaped dot is relative to origin (DNSD_ESYNTAX when
 * origin is NULL). Returns the length written to out or a negative error
 * (DNSD_ELABEL, DNSD_ENAMELEN, DNSD_ESYNTAX for a bad escape or empty
 * label). */
int dnsd_name_from_text(const char *txt, size_t len, const uint8_t *origin,
                        uint8_t out[DNSD_NAME_MAX]);
/* Absolute text form with trailing dot, escaped as BIND prints names:
 * `.`, `;`, `(`, `)`, `"`, `\`, `@` and `$` get `\X`; other octets
 * outside 0x21..0x7e, space included, get `\DDD` (BIND prints `\032`).
 * NUL-terminated; returns the length or DNSD_ESPACE. */
int dnsd_name_to_text(const uint8_t *name, char *buf, size_t cap);

/* Compression state for writing one message. Remembers where names were
 * written so later names can point back at a matching suffix. Offsets
 * above 0x3fff are never used as targets. Lowering count (a rewind)
 * forgets the names remembered after that point. */
#define DNSD_COMPRESS_MAX 128
/* Labels of the remembered names, the suffix tree that matching walks. */
#define DNSD_COMPRESS_LABELS 512
#define DNSD_COMPRESS_NONE   0xffff
typedef struct dnsd_compress {
	uint16_t count;
	uint16_t off[DNSD_COMPRESS_MAX]; /* offsets of names in the message */
	/* Every label of the remembered names once: label i at message
	 * offset lab_off[i] is followed by the suffix lab_up[i] (NONE: the
	 * root), so a name is matched from its last label on by a scan of
	 * this table, without reading the names back from the message.
	 * lab_first[e] is nlab when name e went in. */
	uint16_t nlab, lab_names;
	uint16_t lab_off[DNSD_COMPRESS_LABELS];
	uint16_t lab_up[DNSD_COMPRESS_LABELS];
	uint16_t lab_first[DNSD_COMPRESS_MAX];
} dnsd_compress;

static inline void dnsd_compress_init(dnsd_compress *c)
{
	c->count = 0;
	c->nlab = 0;
	c->lab_names = 0;
}

/* Remembers a name the caller wrote uncompressed at offset at of the
 * message being written at w (before w->pos) by other means, such as a
 * question copied as it came, as dnsd_name_to_wire would have. */
void dnsd_compress_add(dnsd_compress *c, const dnsd_wire *w, size_t at,
                       const uint8_t *name);

/* Writes name at the cursor, compressed against earlier names when c is
 * not NULL (and remembered in c for later names), uncompressed when c is
 * NULL. Errors (DNSD_ESPACE) are set on the cursor. */
void dnsd_name_to_wire(dnsd_wire *w, const uint8_t *name, dnsd_compress *c);

#endif
