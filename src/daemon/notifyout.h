/* NOTIFY out (RFC 1996), on the main loop: when a zone changes (and at
 * start-up) every secondary of it is told, over UDP, with retransmission
 * (after 1, 2, 4, 8, 16 and 29 s: 60 s in all) until it acknowledges.
 *
 * The targets of a zone:
 *   - the addresses of its NS names (from the zones served), except the
 *     SOA MNAME's and addresses reserved for documentation (RFC 5737,
 *     RFC 3849), on port 53;
 *   - the secondary S of every transfer key `P.P.P.P.S.S.S.S._transfer.Z`
 *     covering the zone, on notify-port, signed with that key;
 *   - every `also-notify` address (signed with a transfer key naming it
 *     as the secondary, if there is one);
 *   - hidden secondaries: a peer that sent a TSIG-signed SOA query with a
 *     transfer key (x._transfer.ZONE; an update key's SOA queries are a
 *     client waiting for a serial, not a secondary), remembered (until restart)
 * for the zones the key covers, on notify-port, signed with that key. A new
 * change supersedes a NOTIFY still in flight for the same zone and target. The
 * log says who acknowledged (`NOTIFY out zone Z to T: acknowledged`) and who
 * never did. */
#ifndef DNSD_DAEMON_NOTIFYOUT_H
#define DNSD_DAEMON_NOTIFYOUT_H

#include "server.h"

typedef struct dnsd_notifier dnsd_notifier;

/* Main thread; NULL when out of sockets (logged). */
dnsd_notifier *dnsd_notifier_new(dnsd_server *s);
void dnsd_notifier_free(dnsd_notifier *n);
/* A secondary pulls a zone with a transfer key that names the
 * secondary itself: that key's secondary is no target for the zone.
 * fn(ctx, zone, key) true leaves the key out (main thread). */
typedef bool (*dnsd_notifier_skip_fn)(void *ctx, const uint8_t *zone,
                                      const uint8_t *key);
void dnsd_notifier_set_skip(dnsd_notifier *n, dnsd_notifier_skip_fn fn,
                            void *ctx);
/* Main thread: zone z (of the published database) changed, or dnsd
 * started: NOTIFY all its targets. */
void dnsd_notifier_zone(dnsd_notifier *n, const dnsd_zone *z);
/* Worker thread: a TSIG-signed SOA query for qname from peer, with a key
 * that may transfer (the caller checked the signature). Remembers peer
 * for the zones the key covers; a query for a name that is not one of
 * them (the root, say) makes the main loop NOTIFY peer of every zone the
 * key covers, which is how a secondary learns the list. */
void dnsd_notifier_soa_query(dnsd_notifier *n, const struct sockaddr *peer,
                             const uint8_t *key, const uint8_t *qname);

#endif
