/* A secondary's copies of its zones on disk, in WORKDIR/zones: for each
 * zone NAME.zone (zone-file form, dnsd_zone_write, its last line a
 * `; dnsd-sha256 HEX` checksum of everything before it) and NAME.state
 * (serial, last refresh, last transfer, the primary), so that a restart
 * serves at once while the primary is down, until the zone expires
 * counted from the stored last refresh.
 *
 * Every file is written atomically: a temporary file in the directory,
 * fsync, rename over the old one, fsync of the directory. The zone file
 * goes before its state, so a crash in between leaves a zone newer than
 * its state (harmless: the serial is read from the zone). Writing runs
 * on a thread of its own (a million records take a second): the main
 * loop hands over a version (referenced) and the timers and goes on;
 * a newer write for the same zone replaces one still waiting.
 *
 * Loading checks the checksum and parses: a copy that is truncated or
 * altered is reported, with the reason, and not used. */
#ifndef DNSD_DAEMON_ZONECOPY_H
#define DNSD_DAEMON_ZONECOPY_H

#include <dnsd/zone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zonecopy zonecopy;

typedef struct zonecopy_state {
	uint32_t serial;
	int64_t last_refresh;  /* unix time of the last successful refresh */
	int64_t last_transfer; /* ... of the last transfer that changed it */
	char primary[64];      /* whom it came from, for the operator */
} zonecopy_state;

/* The copies in dir (created, mode 0700, when missing). NULL with the
 * reason logged. */
zonecopy *zonecopy_open(const char *dir);
/* Waits for the writes queued, then frees. NULL-safe. */
void zonecopy_close(zonecopy *c);

/* Queues the state of zone origin, with version z (referenced until
 * written) when it changed, NULL when only the timers did. Main
 * thread. */
void zonecopy_save(zonecopy *c, const uint8_t *origin, dnsd_zone *z,
                   const zonecopy_state *st);
/* Waits until every write queued so far is on disk (tests, shutdown). */
void zonecopy_flush(zonecopy *c);
/* Deletes both files of a zone (no longer replicated). */
void zonecopy_remove(zonecopy *c, const uint8_t *origin);

/* One zone found in dir, for zonecopy_each. */
typedef struct zonecopy_found {
	uint8_t origin[DNSD_NAME_MAX];
	bool has_state;
	zonecopy_state st;
	dnsd_zone *zone; /* the caller's reference; NULL when it failed */
	char why[300];   /* why it failed (the checksum, the parse) */
} zonecopy_found;

/* Calls fn for every zone with a copy in dir (found at start-up), in
 * file-name order; with load false the zone files are only checked
 * (dnsd -t reads the checksum, not the records). */
void zonecopy_each(const char *dir, bool load,
                   void (*fn)(void *ctx, zonecopy_found *f), void *ctx);

#endif
