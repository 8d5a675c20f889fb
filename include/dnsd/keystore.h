/* The TSIG key store and the key scheme of ../shared/DESIGN.md.
 *
 * A key store holds the keys a server or tool knows, each with a short
 * replay memory (the last DNSD_KEYSTORE_RING accepted (time signed, MAC)
 * pairs). It is filled from `_keys` / `ZONE._keys` key lists (keys.h),
 * from `NAME:ALG:SECRET` text, and from BIND key files
 * (`key "NAME" { algorithm hmac-sha256; secret "..."; };`).
 *
 * Thread safety: every function taking a dnsd_keystore locks it, so
 * query workers may look keys up and record replays while the main loop
 * swaps in a reloaded set (dnsd_keystore_replace). The lock is held for a
 * lookup or a copy, never for I/O.
 *
 * Access: a key named `NAME._update.ZONE` may UPDATE, transfer and NOTIFY
 * ZONE and every zone below it; `NAME._transfer.ZONE` may transfer and
 * NOTIFY; `NAME._notify.ZONE` may NOTIFY. The operation label is the
 * leftmost label `_update`, `_transfer` or `_notify` (any case); a key
 * without one grants nothing. A zone part of the root covers all zones.
 *
 * Secrets are never logged or printed here; errors name keys, files and
 * lines, never a secret. */
#ifndef DNSD_KEYSTORE_H
#define DNSD_KEYSTORE_H

#include <dnsd/keys.h>
#include <dnsd/name.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Accepted (time, MAC) pairs remembered per key. A request repeating one
 * of them while it is inside its fudge window is a replay. */
#define DNSD_KEYSTORE_RING 64

typedef struct dnsd_keystore dnsd_keystore;

/* NULL when out of memory. */
dnsd_keystore *dnsd_keystore_new(void);
/* Wipes every secret and frees; NULL is fine. */
void dnsd_keystore_free(dnsd_keystore *ks);

/* Adds a copy of k (its name lower-cased). The same name with the same
 * algorithm and secret again is no error; with another algorithm or
 * secret it is DNSD_EEXIST. DNSD_EINVAL for a key whose algorithm is not
 * an HMAC of keys.h or whose secret is empty. */
int dnsd_keystore_add(dnsd_keystore *ks, const dnsd_key *k);
/* Adds every key of l; stops at the first error (DNSD_EEXIST...), with
 * *bad (when not NULL) set to its index. */
int dnsd_keystore_add_list(dnsd_keystore *ks, const dnsd_keylist *l,
                           size_t *bad);
size_t dnsd_keystore_count(dnsd_keystore *ks);
/* Copies the key named name (any case) into *out: 0 or
 * DNSD_ENOTFOUND. The caller wipes *out when done (explicit_bzero). */
int dnsd_keystore_get(dnsd_keystore *ks, const uint8_t *name, dnsd_key *out);
/* The name of key i (0 <= i < count) into out, for listings; 0 or
 * DNSD_ENOTFOUND. */
int dnsd_keystore_name_at(dnsd_keystore *ks, size_t i,
                          uint8_t out[DNSD_NAME_MAX]);

/* Replay memory. True when key name already accepted a request with
 * this time signed and MAC (a replay); otherwise remembers them (dropping
 * the oldest pair, or one whose window has passed: time + fudge < now)
 * and returns false. Only the first 16 octets of the MAC are kept: they
 * are already a keyed pseudo-random value. */
bool dnsd_keystore_replayed(dnsd_keystore *ks, const uint8_t *name,
                            uint64_t time_signed, uint16_t fudge,
                            const uint8_t *mac, size_t mac_len, uint64_t now);
/* What a remembered request was answered: dnsd_keystore_set_outcome
 * records the rcode (the first one recorded stays), and
 * dnsd_keystore_outcome gives it, or -1 while there is none (not
 * answered yet, or not remembered), so that a retransmission can be
 * answered as the first one was without doing it again. */
void dnsd_keystore_set_outcome(dnsd_keystore *ks, const uint8_t *name,
                               uint64_t time_signed, const uint8_t *mac,
                               size_t mac_len, int rcode);
int dnsd_keystore_outcome(dnsd_keystore *ks, const uint8_t *name,
                          uint64_t time_signed, const uint8_t *mac,
                          size_t mac_len);

/* Moves the keys of src into dst (a reload), leaving src empty. A key
 * whose name, algorithm and secret did not change keeps its replay
 * memory. Locks both (dst first). */
void dnsd_keystore_replace(dnsd_keystore *dst, dnsd_keystore *src);

/* Operations, each covering those below it. */
enum {
	DNSD_KEY_OP_NONE = 0,
	DNSD_KEY_OP_NOTIFY = 1,
	DNSD_KEY_OP_TRANSFER = 2,
	DNSD_KEY_OP_UPDATE = 3,
};

/* The operation a key name grants and (through *zone, when not NULL, a
 * pointer into keyname) the zone part after the operation label;
 * DNSD_KEY_OP_NONE when the name has no operation label. */
int dnsd_key_op(const uint8_t *keyname, const uint8_t **zone);
/* "update", "transfer", "notify", "none". */
const char *dnsd_key_op_name(int op);
/* True when a key named keyname may perform op on zone: its operation
 * covers op and its zone part is zone or a parent of it. */
bool dnsd_key_allows(const uint8_t *keyname, int op, const uint8_t *zone);

/* Addresses encoded in a transfer key name: `P.P.P.P.S.S.S.S._transfer.Z`
 * names the primary P and the secondary S, `X.P.P.P.P._transfer.Z` (X any
 * labels that are not four more octets) or `P.P.P.P._transfer.Z` only
 * the primary. Each P/S a decimal 0..255 without leading zeros. */
typedef struct dnsd_key_addrs {
	bool has_primary, has_secondary;
	uint8_t primary[4], secondary[4]; /* network order */
} dnsd_key_addrs;
/* 0 with a filled (possibly empty) *a for a `_transfer` key;
 * DNSD_ENOTFOUND for a key of another operation. */
int dnsd_key_transfer_addrs(const uint8_t *keyname, dnsd_key_addrs *a);

/* Algorithm names: "sha256", "SHA256", "hmac-sha256" (any case; a final
 * dot allowed) -> DNSD_ALG_HMAC_*; 0 when unknown. */
uint8_t dnsd_key_alg_from_text(const char *s, size_t len);
/* DNSD_ALG_HMAC_* -> "SHA256" (the NAME:ALG:SECRET form) or
 * "hmac-sha256" (BIND and TSIG); NULL when unknown. */
const char *dnsd_key_alg_short(uint8_t alg);
const char *dnsd_key_alg_hmac(uint8_t alg);

/* Strict base64 (RFC 4648 §4, padding required, no whitespace): decoded
 * length or DNSD_ESYNTAX / DNSD_ESPACE. */
int dnsd_key_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap);
/* NUL-terminated base64 into out; length or DNSD_ESPACE. */
int dnsd_key_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* `NAME:ALG:SECRET` (the name absolute with or without the final dot;
 * ALG as dnsd_key_alg_from_text) into *k. 0 or DNSD_ESYNTAX (with a
 * reason in err, naming no secret). */
int dnsd_key_from_text(const char *s, dnsd_key *k, char *err, size_t errcap);
/* The `NAME:ALG:SECRET` form of k (name without the final dot), NUL
 * terminated; length or DNSD_ESPACE. Holds the secret: callers print it
 * only where the user asked for it (dnsd-keygen). */
int dnsd_key_to_text(const dnsd_key *k, char *buf, size_t cap);

/* BIND key clauses (`key "NAME" { algorithm A; secret "S"; };`, with
 * #, // and C comments) in text into l (appending). Unknown statements
 * inside a clause and other top-level statements are errors. 0 or
 * DNSD_ESYNTAX with "LINE: reason" in err. */
int dnsd_key_parse_bind(const char *text, size_t len, dnsd_keylist *l,
                        char *err, size_t errcap);

/* Reads a key file a tool or `keys-file` names into ks: a BIND key file
 * when its first word is `key`, else a zone-syntax key file (DNSKEY
 * records, as `_keys`). 0, DNSD_EIO, DNSD_ESYNTAX or DNSD_EEXIST, with
 * the reason in err ("FILE:LINE: ..."). */
int dnsd_keystore_load_file(dnsd_keystore *ks, const char *path, char *err,
                            size_t errcap);

#endif
