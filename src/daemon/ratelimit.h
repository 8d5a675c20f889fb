/* Response rate limiting on the query workers (rrl.h): each worker owns
 * a table of its own, made at start-up by ratelimit_new, consulted for
 * every UDP response it sends and never shared, so the query path takes
 * no lock and allocates nothing. TCP responses are never limited.
 *
 * With several workers the kernel spreads UDP datagrams over their
 * SO_REUSEPORT sockets by the hash of source address and port: a client
 * that always queries from one port meets one table and gets rrl-rate;
 * a flood from many ports of one prefix meets every worker's table and
 * gets up to workers x rrl-rate. The rate is not divided by the workers
 * (that would cut the one-port client to a fraction); dnsd.conf(5) says
 * so. */
#ifndef DNSD_DAEMON_RATELIMIT_H
#define DNSD_DAEMON_RATELIMIT_H

#include "config.h"
#include <dnsd/rrl.h>

/* The table of worker `index` for cfg, or NULL when rrl-rate is 0 (off).
 * Exits through fatal when it cannot be allocated. */
dnsd_rrl *ratelimit_new(const dnsd_config *cfg, unsigned index);
/* Milliseconds of a coarse monotonic clock: read once per UDP batch. */
uint64_t ratelimit_now_ms(void);

#endif
