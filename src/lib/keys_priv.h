/* Key-list helpers shared by the key-file reader (keys.c) and the BIND
 * key parser (keystore.c), so both keep one rule: secrets are wiped from
 * every block they leave. Private to the engine (src/lib). */
#ifndef DNSD_KEYS_PRIV_H
#define DNSD_KEYS_PRIV_H

#include <dnsd/keys.h>
#include <stddef.h>

/* Drops (and wipes) the keys from index count on: a source that failed
 * gives no keys at all. */
void dnsd_keylist_truncate(dnsd_keylist *l, size_t count);

#endif
