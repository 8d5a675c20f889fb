/* Transfers out: AXFR (RFC 5936) and IXFR (RFC 1995) requests, from the
 * dispatcher on a worker thread. Access: a TSIG key with transfer (or
 * update) rights covering the zone, or an unsigned request from an
 * `allow-transfer` address; at most `transfers-max` at once. The answer
 * streams from the zone version (referenced until its last message) on
 * the request's TCP connection; IXFR answers from the history of
 * ixfr.h, over UDP when it fits in one message (else the SOA alone, as
 * RFC 1995 allows). Every decision is logged with the zone, the peer and
 * the key. */
#ifndef DNSD_DAEMON_XFROUT_H
#define DNSD_DAEMON_XFROUT_H

#include "server.h"

struct dnsd_ixfr_step;

/* An AXFR or IXFR query (the dispatcher has checked opcode and QTYPE):
 * the response's length in out, or 0 when a stream answers (or nothing
 * is sent). */
size_t dnsd_xfrout_request(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                           size_t cap);

/* Main loop, for a role that looked an IXFR history up later
 * (role.h on_ixfr): starts the answer of deferred request d for zone z
 * (referenced, taken over) from the chain steps[0..n) (taken over), or
 * in AXFR form when n is 0. */
void dnsd_xfrout_resume(dnsd_deferred *d, dnsd_zone *z,
                        struct dnsd_ixfr_step **steps, size_t n);

#endif
