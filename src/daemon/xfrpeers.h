/* Outgoing transfers running per peer address, for transfers-max-per-peer
 * (dnsd.conf(5)): so one client cannot take every transfers-max slot.
 * A fixed table of XFRPEERS_MAX addresses under a mutex, touched only by
 * transfer requests and transfer ends, never by queries. One table per
 * process: a process runs one server. */
#ifndef DNSD_DAEMON_XFRPEERS_H
#define DNSD_DAEMON_XFRPEERS_H

#include <stdbool.h>
#include <sys/socket.h>

#define XFRPEERS_MAX 1024 /* > transfers-max's 1000: never full */

/* The transfers running to the address of sa (the port does not
 * count). */
unsigned xfrpeers_running(const struct sockaddr *sa);
/* One more for sa; false when the table is full (not counted then, and
 * xfrpeers_end must not be called for it). */
bool xfrpeers_start(const struct sockaddr *sa);
/* One fewer for sa. */
void xfrpeers_end(const struct sockaddr *sa);

#endif
