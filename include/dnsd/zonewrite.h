/* A zone version written out as zone-file text, one record a line,
 * `OWNER TTL CLASS TYPE RDATA` with absolute names: what dnsd-checkzone
 * --print shows, and what a secondary keeps on disk (it parses back to
 * the same version). Pure: the lines go to the caller's function. */
#ifndef DNSD_ZONEWRITE_H
#define DNSD_ZONEWRITE_H

#include <dnsd/zone.h>
#include <stdbool.h>
#include <stddef.h>

/* Called with each line (NUL-terminated, its length without the
 * newline, which the caller writes); non-zero stops the writing and is
 * returned. */
typedef int (*dnsd_zone_line_fn)(void *ctx, const char *line, size_t len);

/* Nodes in canonical order (RFC 4034 §6.1), the apex first, RRsets by
 * type number, records in canonical RDATA order; owners lower-cased when
 * lower (the canonical form --print shows), else as the zone spells
 * them. Empty non-terminals write nothing. 0, the callback's non-zero
 * value, DNSD_ENOMEM or DNSD_EMALFORM (a record that does not fit its
 * type: cannot happen for a built zone). */
int dnsd_zone_write(const dnsd_zone *z, bool lower, dnsd_zone_line_fn fn,
                    void *ctx);

#endif
