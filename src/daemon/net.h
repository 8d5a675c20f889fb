/* Network listeners: UDP and TCP for every `listen` address, IPv4 and
 * IPv6, on each worker's event_base (SO_REUSEPORT sockets, one set per
 * worker). UDP reads and writes in batches (recvmmsg/sendmmsg). TCP as
 * RFC 7766: two-octet framing, pipelining, idle timeout, caps on
 * connections and on queries per connection, slow readers dropped. Every
 * request goes to dnsd_dispatch(). */
#ifndef DNSD_DAEMON_NET_H
#define DNSD_DAEMON_NET_H

#include "server.h"

struct dnsd_net;
struct dnsd_net_worker;

/* Binds every listen address of s->cfg for every worker (before
 * privileges are dropped). 0 or -1 with the reason logged. */
int dnsd_net_bind(dnsd_server *s);
/* Adds the listeners of worker w to w->base (on the worker's thread or
 * before it starts). */
int dnsd_net_attach(dnsd_worker *w);
/* Closes every socket and frees the listeners' state. */
void dnsd_net_close(dnsd_server *s);

#endif
