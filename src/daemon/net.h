/* Network listeners: UDP and TCP for every `listen` address, IPv4 and
 * IPv6, on each worker's event_base (SO_REUSEPORT sockets, one set per
 * worker). UDP reads and writes in batches (recvmmsg/sendmmsg). TCP as
 * RFC 7766: two-octet framing, pipelining, idle timeout, caps on
 * connections and on queries per connection, slow readers dropped. Every
 * request goes to dnsd_dispatch().
 *
 * Memory: a worker's UDP buffers (a batch of DNSD_NET_UDP_BATCH datagrams
 * in and out) and its TCP response buffer are allocated once by
 * dnsd_net_attach(); a TCP connection gets its buffers at accept time
 * (growing at most a few times, up to the bounds below). Nothing is
 * allocated per packet or per query.
 *
 * TCP policies:
 * - tcp-max-clients: a worker at its cap accepts the new connection and
 *   resets it at once (the client sees a refusal instead of hanging in the
 *   kernel's backlog); established connections are never evicted.
 * - tcp-max-queries: after that many requests the connection reads no
 *   more, flushes its responses, half-closes and closes.
 * - tcp-idle-timeout: a connection that makes no progress for that many
 *   seconds (no request completed, no response octet written) is closed.
 *   This covers idle clients, clients trickling a request, and slow
 *   readers: a connection's pending output never exceeds
 *   DNSD_NET_TCP_PENDING_MAX octets, because it stops reading requests
 *   when another maximal response would not fit, so a client that does
 *   not read stops making progress and is dropped after the timeout,
 *   without delaying anyone (every socket is non-blocking). */
#ifndef DNSD_DAEMON_NET_H
#define DNSD_DAEMON_NET_H

#include "server.h"

struct dnsd_net;
struct dnsd_net_worker;

#define DNSD_NET_UDP_BATCH 64 /* datagrams per recvmmsg/sendmmsg */
#define DNSD_NET_UDP_BUF                                                       \
	4096 /* per datagram, in and out; larger                               \
	        requests are dropped */
#define DNSD_NET_TCP_MSG_MAX     65535
#define DNSD_NET_TCP_PENDING_MAX (2 * (2 + DNSD_NET_TCP_MSG_MAX))

/* Binds every listen address of s->cfg for every worker (before
 * privileges are dropped): s->nworkers workers (cfg->workers when 0).
 * 0 or -1 with the reason logged. */
int dnsd_net_bind(dnsd_server *s);
/* Adds the listeners of worker w to w->base (on the worker's thread or
 * before it starts). 0 or -1 with the reason logged. */
int dnsd_net_attach(dnsd_worker *w);
/* Closes every socket and frees the listeners' state, connections
 * included. Call it after the workers' loops have stopped and before
 * their event_bases are freed (it frees events on them). */
void dnsd_net_close(dnsd_server *s);

/* The snapshot the listener took (dnsd_worker_snapshot) for the batch of
 * requests worker w is serving now; for dnsd_dispatch(). A worker with no
 * listener state (tests, tools) gets a fresh dnsd_worker_snapshot(). */
const dnsd_zonedb *dnsd_net_snapshot(dnsd_worker *w);

#endif
