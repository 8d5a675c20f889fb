/* Zones replicated from a primary: what the secondary role serves and
 * the letsencrypt role watches. On the main loop: the SOA timers
 * (RFC 1035 §4.3.5), NOTIFY in (RFC 1996), transfers in (xfrclient.h),
 * the copies on disk (zonecopy.h) and the publication of every zone's
 * version in the server's database.
 *
 * Which zones: every zone a `_transfer` key names (`P.S._transfer.ZONE`,
 * the primary P on notify-port, or `primary ADDR[:PORT]` for all), and
 * every zone a NOTIFY adds: a key at the root (or at a parent) has no
 * zone of its own; the replica sends a signed SOA query for the key's
 * zone to the primary, which then NOTIFYs every zone the key covers,
 * and each NOTIFY for a zone not held yet, signed by a key covering it,
 * adds the zone (kept on disk, so a restart knows it).
 *
 * A zone's life: a signed SOA query, then AXFR while no version is
 * held; afterwards the SOA query every REFRESH (jittered) and for a
 * newer serial IXFR, falling back to AXFR when the primary refuses
 * IXFR or its answer does not apply. A failure retries after RETRY,
 * doubling up to max(RETRY, REFRESH), with jitter. EXPIRE after the
 * last successful refresh the zone answers SERVFAIL (a stand-in
 * version, zone.h) and goes on trying (before its first transfer a
 * zone is not in the database at all: REFUSED, as any name not ours); a
 * successful refresh brings it back. One refresh at a time per zone: a NOTIFY
 * meanwhile queues one more.
 *
 * Every new version is built beside the one served and published with
 * one swap; its IXFR difference joins the history (ixfr.h) so that this
 * server's own secondaries get IXFR, and they are NOTIFYed. */
#ifndef DNSD_DAEMON_REPLICA_H
#define DNSD_DAEMON_REPLICA_H

#include "server.h"

typedef struct replica replica;

/* Loads the copies on disk, publishes what they hold (expired zones as
 * SERVFAIL), starts a refresh of every zone. Main thread. 0 or -1. */
int replica_start(dnsd_server *s, replica **out);
/* A role that watches the zones' contents (letsencrypt): fn runs on the
 * main loop with each new version of a zone, and at start-up with each
 * version loaded from disk (call before replica_start's loop runs, i.e.
 * right after it). z stays valid during the call (reference it to keep
 * it). */
typedef void (*replica_watch_fn)(void *ctx, dnsd_zone *z);
void replica_watch(replica *r, replica_watch_fn fn, void *ctx);

/* The primary zone origin is pulled from and the address to send to it
 * from (*srclen 0: any); false for a zone not replicated. Main thread. */
bool replica_primary(replica *r, const uint8_t *origin,
                     struct sockaddr_storage *peer, socklen_t *peerlen,
                     struct sockaddr_storage *src, socklen_t *srclen);

/* SIGHUP: keys and config re-read; zones named by new keys added,
 * every zone refreshed. */
int replica_reload(replica *r);
void replica_stop(replica *r);

/* A NOTIFY (worker thread): answered at once, the refresh queued on
 * the main loop. */
size_t replica_notify(replica *r, dnsd_request *req, uint8_t *out, size_t cap);

/* dnsd -t: reads the keys, prints the zones and primaries it will use
 * and the copies on disk to stdout, problems to stderr. 0 when all is
 * well. */
int replica_check(const dnsd_config *cfg);

#endif
