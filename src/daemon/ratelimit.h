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
 * so.
 *
 * A worker that limited responses logs one line about it every
 * RATELIMIT_REPORT seconds at most: how many were dropped and truncated,
 * and the first of them (its name and client). */
#ifndef DNSD_DAEMON_RATELIMIT_H
#define DNSD_DAEMON_RATELIMIT_H

#include "config.h"
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_REPORT 10 /* seconds between two log lines, at least */

struct ratelimit;

/* The limiter of worker `index` for cfg, or NULL when rrl-rate is 0
 * (off). Exits through fatalx when it cannot be allocated. */
struct ratelimit *ratelimit_new(const dnsd_config *cfg, unsigned index);
void ratelimit_free(struct ratelimit *rl);
/* Once per UDP batch, before its responses: reads the clock, and logs
 * what was limited when the report is due. */
void ratelimit_batch(struct ratelimit *rl);
/* The response resp[0..len) to peer, limited (dnsd_rrl_response): len,
 * the length of its truncated form, or 0 to drop it. */
size_t ratelimit_response(struct ratelimit *rl, const struct sockaddr *peer,
                          uint8_t *resp, size_t len);

#endif
