/* TSIG key files. `ZONE._keys` holds keys for ZONE and below, `_keys`
 * for every zone; both are zone-file syntax with records
 * `NAME. DNSKEY 0 3 ALG BASE64SECRET`, ALG 161..165 =
 * hmac-sha1, -sha224, -sha256, -sha384, -sha512. They go through the
 * zone-file parser. Key secrets are never printed or logged. */
#ifndef DNSD_KEYS_H
#define DNSD_KEYS_H

#include <dnsd/name.h>
#include <dnsd/zonefile.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSD_KEY_SECRET_MAX 128

enum {
	DNSD_ALG_HMAC_SHA1 = 161,
	DNSD_ALG_HMAC_SHA224 = 162,
	DNSD_ALG_HMAC_SHA256 = 163,
	DNSD_ALG_HMAC_SHA384 = 164,
	DNSD_ALG_HMAC_SHA512 = 165,
};

typedef struct dnsd_key {
	uint8_t name[DNSD_NAME_MAX]; /* lower-cased */
	uint8_t alg;                 /* DNSD_ALG_* */
	uint16_t secret_len;
	uint8_t secret[DNSD_KEY_SECRET_MAX];
} dnsd_key;

typedef struct dnsd_keylist {
	dnsd_key *keys;
	size_t count, cap;
} dnsd_keylist;

void dnsd_keylist_free(dnsd_keylist *l);
/* Appends a copy of *k; a block the list leaves is wiped. 0 or
 * DNSD_ENOMEM (the list unchanged). */
int dnsd_keylist_append(dnsd_keylist *l, const dnsd_key *k);

/* True when the file's base name is `_keys` or ends in `._keys`; then
 * *zone (when not NULL) gets the zone text before `._keys` ("" for
 * `_keys`). */
bool dnsd_keyfile_name(const char *path, const char **zone, size_t *len);

/* Parses a key file into l (appending). zone is the zone the file is for
 * (the root for `_keys`): every key must be at or below it, else an
 * error. Records other than DNSKEY 0 3 161..165 are errors. Diagnostics
 * as for zone files. Returns 0, DNSD_ESYNTAX or DNSD_EIO. */
int dnsd_keyfile_load(const char *path, const uint8_t *zone,
                      const dnsd_zf_opts *o, dnsd_keylist *l,
                      dnsd_zf_result *res);

#endif
