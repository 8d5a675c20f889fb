/* Network listeners (net.h): per worker, a UDP and a TCP socket for each
 * listen address, all SO_REUSEPORT, on the worker's own event_base.
 *
 * UDP is served in batches: one recvmmsg fills up to DNSD_NET_UDP_BATCH
 * preallocated buffers, the batch is answered from one snapshot, and one
 * sendmmsg sends every response. TCP connections are plain non-blocking
 * sockets with their own input and output buffers (no bufferevents: they
 * would allocate per write). */
#include "net.h"
#include "log.h"
#include "ratelimit.h"
#include <dnsd/answer.h>
#include <dnsd/tsig.h>
#include <dnsd/wire.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDP_BUDGET         16 /* batches per readable event, for fairness */
#define UDP_PREFETCH_AHEAD 2  /* queries; see udp_prefetch_batch */
#define UDP_RCVBUF         (4 << 20) /* asked for; the kernel caps it at rmem_max */
#define TCP_BACKLOG        1024
#define TCP_FRAME_MAX      (2 + DNSD_NET_TCP_MSG_MAX)
#define TCP_IN_INITIAL     4096 /* grown to TCP_FRAME_MAX for a large request */
#define TCP_OUT_INITIAL    4096
#define TCP_ACCEPT_BUDGET  64
#define TCP_READ_BUDGET    8
#define TCP_LINGER_SECONDS 2 /* waiting for the client's FIN after ours */
#define TCP_ACCEPT_PAUSE   1 /* seconds, when out of descriptors */

/* Enough control space for either family's packet info, aligned as
 * CMSG_ALIGN aligns (size_t, not struct cmsghdr: glibc gives that a
 * flexible array member, which would make this union variable-sized). */
union udp_ctl {
	size_t align;
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

#define TCP_DEFERRED_MAX 32 /* requests of one connection answered later */

/* The way back to a client (server.h): on the stack for a request
 * being dispatched (udp_msg or conn set), resolved into a copy of its
 * own for a deferred one (ctl, worker and conn_id). */
struct dnsd_via {
	int udp_fd; /* -1 for TCP */
	const struct msghdr *udp_msg;
	struct tcp_conn *conn;
	/* deferred copies */
	union udp_ctl ctl;
	size_t ctllen;
	unsigned worker;
	uint64_t conn_id;
};

/* What the main loop hands a worker for one of its TCP connections. */
struct dnsd_inbox {
	struct dnsd_inbox *next;
	uint64_t conn_id;
	uint8_t *msg; /* a deferred answer, or NULL */
	size_t len;
	dnsd_stream *st; /* a stream to start, or NULL */
};

struct net_listener {
	struct dnsd_net_worker *nw;
	int fd;
	bool pktinfo; /* a wildcard UDP address: reply from the query's */
	struct event *ev;
	struct event *resume; /* TCP: accepting again after EMFILE */
};

struct tcp_conn {
	struct tcp_conn *prev, *next;
	struct dnsd_net_worker *nw;
	int fd;
	struct event *ev_read, *ev_write, *ev_timer;
	bool reading, writing;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out; /* pending responses, framed, at [out_off, out_len) */
	size_t out_off, out_len, out_cap;
	unsigned queries;
	uint64_t id;         /* for answers handed in from the main loop */
	unsigned deferred;   /* requests to be answered later */
	dnsd_stream *stream; /* the stream being sent, or NULL */
	bool eof;            /* the client will send no more */
	bool done;           /* we serve no more requests: flush, then close */
	bool linger;         /* our FIN is sent; waiting for the client's */
	struct timeval last; /* last progress: request served, octet sent */
};

struct dnsd_net_worker {
	dnsd_worker *w;
	const dnsd_zonedb *db; /* snapshot of the batch being served */
	struct net_listener *udp, *tcp;
	unsigned nlisten;
	/* UDP batch: request i is in rbuf[i] from peer[i]; response j in
	 * sbuf[j]. */
	struct mmsghdr rmsg[DNSD_NET_UDP_BATCH], smsg[DNSD_NET_UDP_BATCH];
	struct iovec riov[DNSD_NET_UDP_BATCH], siov[DNSD_NET_UDP_BATCH];
	struct sockaddr_storage peer[DNSD_NET_UDP_BATCH];
	union udp_ctl rctl[DNSD_NET_UDP_BATCH], sctl[DNSD_NET_UDP_BATCH];
	dnsd_zone_prefetch prefetch[DNSD_NET_UDP_BATCH]; /* per request */
	/* rmsg: entries rused.. are as udp_recv_prepare left them, for a
	 * listener with pktinfo rpktinfo (the kernel writes only the
	 * entries it fills); rprepared false: none is */
	unsigned rused;
	bool rprepared, rpktinfo;
	struct ratelimit *rrl; /* rrl-rate, or NULL (ratelimit.h) */
	uint8_t (*rbuf)[DNSD_NET_UDP_BUF];
	uint8_t (*sbuf)[DNSD_NET_UDP_BUF];
	/* TCP */
	uint8_t *tcp_resp;      /* one response being built, TCP_FRAME_MAX */
	struct tcp_conn *conns; /* most recently accepted first */
	unsigned nconns;
	unsigned max_clients, max_queries;
	struct timeval idle;
	uint64_t next_conn_id;
};

struct dnsd_net {
	unsigned nworkers, nlisten;
	int *fds; /* [worker][listen][0 = UDP, 1 = TCP] */
	bool wildcard[DNSD_CONFIG_MAX_LISTEN];
};

static int *net_fd(struct dnsd_net *net, unsigned worker, unsigned i, int tcp)
{
	return &net->fds[((size_t)worker * net->nlisten + i) * 2 + tcp];
}

/* ---- binding ---------------------------------------------------------- */

static bool addr_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int sockopt_on(int fd, int level, int name)
{
	int one = 1;
	return setsockopt(fd, level, name, &one, sizeof(one));
}

/* Options that only improve matters: failures are not fatal. */
static void udp_tune(int fd, int family, bool wildcard)
{
	int rcv = UDP_RCVBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* Never fragment on a learnt path MTU: forged ICMP could otherwise
	 * get responses fragmented (and spoofable). */
	if (family == AF_INET) {
		int omit = IP_PMTUDISC_OMIT;
		(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit,
		                 sizeof(omit));
		if (wildcard)
			(void)sockopt_on(fd, IPPROTO_IP, IP_PKTINFO);
	} else {
		int omit = IPV6_PMTUDISC_OMIT;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit,
		                 sizeof(omit));
		if (wildcard)
			(void)sockopt_on(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO);
	}
}

static int net_socket(const dnsd_listen_addr *a, int type, bool wildcard)
{
	int family = a->ss.ss_family;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("listen %s: socket", a->text);
		return -1;
	}
	/* One socket per worker on the same address: the kernel spreads
	 * packets and connections over them. */
	if (sockopt_on(fd, SOL_SOCKET, SO_REUSEPORT) < 0 ||
	    (type == SOCK_STREAM &&
	     sockopt_on(fd, SOL_SOCKET, SO_REUSEADDR) < 0) ||
	    (family == AF_INET6 &&
	     sockopt_on(fd, IPPROTO_IPV6, IPV6_V6ONLY) < 0)) {
		log_warn("listen %s: setsockopt", a->text);
		close(fd);
		return -1;
	}
	if (type == SOCK_DGRAM)
		udp_tune(fd, family, wildcard);
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		log_warn("listen %s/%s: bind", a->text,
		         type == SOCK_DGRAM ? "udp" : "tcp");
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) < 0) {
		log_warn("listen %s/tcp: listen", a->text);
		close(fd);
		return -1;
	}
	return fd;
}

/* SO_REUSEPORT would let a second server (a second dnsd started by
 * mistake, say) join our port and silently take half the queries. A
 * plain bind first fails if anyone has the address; SO_REUSEADDR on the
 * TCP probe only so that connections left in TIME_WAIT by a previous run
 * do not count. */
static int net_probe(const dnsd_listen_addr *a, int type)
{
	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("listen %s: socket", a->text);
		return -1;
	}
	if (type == SOCK_STREAM)
		(void)sockopt_on(fd, SOL_SOCKET, SO_REUSEADDR);
	if (a->ss.ss_family == AF_INET6)
		(void)sockopt_on(fd, IPPROTO_IPV6, IPV6_V6ONLY);
	int r = bind(fd, (const struct sockaddr *)&a->ss, a->len);
	if (r < 0)
		log_warn("listen %s/%s: bind", a->text,
		         type == SOCK_DGRAM ? "udp" : "tcp");
	close(fd);
	return r;
}

int dnsd_net_bind(dnsd_server *s)
{
	const dnsd_config *cfg = s->cfg;
	unsigned nworkers = s->nworkers ? s->nworkers : cfg->workers;
	if (nworkers == 0)
		nworkers = 1;
	if (nworkers > DNSD_MAX_WORKERS) {
		log_error("listen: %u workers, at most %u", nworkers,
		          DNSD_MAX_WORKERS);
		return -1;
	}
	struct dnsd_net *net = calloc(1, sizeof(*net));
	size_t nfds = (size_t)nworkers * cfg->nlisten * 2;
	int *fds = malloc((nfds ? nfds : 1) * sizeof(int));
	if (!net || !fds) {
		log_error("listen: out of memory");
		free(net);
		free(fds);
		return -1;
	}
	net->nworkers = nworkers;
	net->nlisten = cfg->nlisten;
	net->fds = fds;
	for (size_t i = 0; i < nfds; i++)
		fds[i] = -1;
	s->net = net;

	/* All probes before any bind: our own sockets on 0.0.0.0 would fail
	 * the probe of 127.0.0.1 on the same port. */
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		if (net_probe(&cfg->listen[i], SOCK_DGRAM) < 0 ||
		    net_probe(&cfg->listen[i], SOCK_STREAM) < 0) {
			dnsd_net_close(s);
			return -1;
		}
	}
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		const dnsd_listen_addr *a = &cfg->listen[i];
		net->wildcard[i] = addr_is_wildcard(&a->ss);
		for (unsigned k = 0; k < nworkers; k++) {
			int *u = net_fd(net, k, i, 0),
			    *t = net_fd(net, k, i, 1);
			*u = net_socket(a, SOCK_DGRAM, net->wildcard[i]);
			*t = *u < 0
			         ? -1
			         : net_socket(a, SOCK_STREAM, net->wildcard[i]);
			if (*t < 0) {
				dnsd_net_close(s);
				return -1;
			}
		}
		log_info("listening on %s (udp, tcp) x %u workers", a->text,
		         nworkers);
	}
	return 0;
}

/* ---- UDP -------------------------------------------------------------- */

/* The receive headers for the next recvmmsg: only those the last one
 * filled, unless the listener differs in pktinfo (a short batch, the
 * common case under light load, then costs what it used). */
static void udp_recv_prepare(struct dnsd_net_worker *nw, bool pktinfo)
{
	unsigned n = nw->rprepared && nw->rpktinfo == pktinfo
	                 ? nw->rused
	                 : DNSD_NET_UDP_BATCH;
	nw->rprepared = true;
	nw->rpktinfo = pktinfo;
	nw->rused = 0;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &nw->rmsg[i].msg_hdr;
		h->msg_name = &nw->peer[i];
		h->msg_namelen = sizeof(nw->peer[i]);
		h->msg_iov = &nw->riov[i];
		h->msg_iovlen = 1;
		h->msg_control = pktinfo ? nw->rctl[i].buf : NULL;
		h->msg_controllen = pktinfo ? sizeof(nw->rctl[i].buf) : 0;
		h->msg_flags = 0;
	}
}

/* The source address for the reply: the address the query came to. */
static void udp_reply_from(const struct msghdr *in, struct msghdr *out,
                           union udp_ctl *ctl)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c;
	     c = CMSG_NXTHDR((struct msghdr *)in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			out->msg_control = ctl->buf;
			out->msg_controllen = CMSG_SPACE(sizeof(pi));
			struct cmsghdr *o = CMSG_FIRSTHDR(out);
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			out->msg_control = ctl->buf;
			out->msg_controllen =
			    CMSG_SPACE(sizeof(struct in6_pktinfo));
			struct cmsghdr *o = CMSG_FIRSTHDR(out);
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c),
			       sizeof(struct in6_pktinfo));
			return;
		}
	}
}

/* Answering a query mostly waits on the zone's memory: in a zone larger
 * than the cache its lookup misses three times in a row (hash slot,
 * node, then name and RRsets). Starting those loads for the whole batch
 * level by level overlaps the misses of its queries instead of paying
 * them one after the other: here the slots and then the nodes of every
 * query; the names and RRsets UDP_PREFETCH_AHEAD queries ahead of the
 * one being answered (udp_answer_batch), late enough for their nodes to
 * have arrived, early enough for them to arrive in turn. A batch of one
 * has nothing to overlap. */
static void udp_prefetch_batch(struct dnsd_net_worker *nw, unsigned n)
{
	dnsd_zone_prefetch *pf = nw->prefetch;
	for (unsigned i = 0; i < n; i++) {
		pf[i].zone = NULL;
		if (n > 1 && !(nw->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC))
			dnsd_answer_prefetch(nw->db, nw->rbuf[i],
			                     nw->rmsg[i].msg_len, &pf[i]);
	}
	for (unsigned i = 0; i < n; i++)
		dnsd_zone_prefetch_step(&pf[i]);
	for (unsigned i = 0; i < n && i < UDP_PREFETCH_AHEAD; i++)
		dnsd_zone_prefetch_step(&pf[i]);
}

/* Answers the n datagrams received; returns the number of responses
 * lined up in smsg. */
static unsigned udp_answer_batch(struct dnsd_net_worker *nw, int fd, unsigned n,
                                 bool pktinfo)
{
	unsigned m = 0;
	struct dnsd_via via = {.udp_fd = fd};
	for (unsigned i = 0; i < n; i++) {
		const struct msghdr *rh = &nw->rmsg[i].msg_hdr;
		if (i + UDP_PREFETCH_AHEAD < n)
			dnsd_zone_prefetch_step(
			    &nw->prefetch[i + UDP_PREFETCH_AHEAD]);
		if (rh->msg_flags & MSG_TRUNC)
			continue; /* larger than any query we serve */
		via.udp_msg = rh;
		size_t len = dnsd_dispatch(
		    nw->w, nw->rbuf[i], nw->rmsg[i].msg_len,
		    (const struct sockaddr *)&nw->peer[i], rh->msg_namelen,
		    false, &via, nw->sbuf[m], DNSD_NET_UDP_BUF);
		if (len != 0 && nw->rrl != NULL)
			len = ratelimit_response(
			    nw->rrl, (const struct sockaddr *)&nw->peer[i],
			    nw->sbuf[m], len);
		if (len == 0)
			continue;
		struct msghdr *sh = &nw->smsg[m].msg_hdr;
		sh->msg_name = &nw->peer[i];
		sh->msg_namelen = rh->msg_namelen;
		nw->siov[m].iov_len = len;
		sh->msg_control = NULL;
		sh->msg_controllen = 0;
		if (pktinfo)
			udp_reply_from(rh, sh, &nw->sctl[m]);
		m++;
	}
	return m;
}

/* Sends the m responses without ever blocking: what the socket will not
 * take now is dropped (the client retries), as is a datagram the kernel
 * refuses for its own reason. */
static void udp_send_batch(int fd, struct dnsd_net_worker *nw, unsigned m)
{
	unsigned i = 0;
	while (i < m) {
		int r = sendmmsg(fd, nw->smsg + i, m - i, MSG_DONTWAIT);
		if (r > 0) {
			i += (unsigned)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		                     errno == ENOBUFS)) {
			return;
		} else {
			i++;
		}
	}
}

static void udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct net_listener *l = arg;
	struct dnsd_net_worker *nw = l->nw;
	for (unsigned round = 0; round < UDP_BUDGET; round++) {
		udp_recv_prepare(nw, l->pktinfo);
		int n = recvmmsg(fd, nw->rmsg, DNSD_NET_UDP_BATCH, MSG_DONTWAIT,
		                 NULL);
		if (n <= 0) {
			/* drained (EAGAIN) or a transient error; after an
			 * error, every header is prepared again */
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				nw->rprepared = false;
			return;
		}
		nw->rused = (unsigned)n;
		nw->db = dnsd_worker_snapshot(nw->w);
		if (nw->rrl != NULL)
			ratelimit_batch(nw->rrl);
		udp_prefetch_batch(nw, (unsigned)n);
		unsigned m = udp_answer_batch(nw, fd, (unsigned)n, l->pktinfo);
		udp_send_batch(fd, nw, m);
		/* Even after a short batch, read again rather than go back
		 * to epoll: sending the responses took long enough (over
		 * loopback it runs the client's receive path too) that new
		 * queries are waiting most of the time. Under bench/serve.sh
		 * that made 0.03 epoll_wait per query of 0.125 (each a sleep
		 * and a wake-up), for 0.02 more recvmmsg saying EAGAIN. */
	}
}

/* ---- TCP connections -------------------------------------------------- */

static void conn_timer_arm(struct tcp_conn *c, const struct timeval *tv)
{
	event_add(c->ev_timer, tv);
}

static void conn_free(struct tcp_conn *c, bool abort)
{
	struct dnsd_net_worker *nw = c->nw;
	if (c->stream) {
		c->stream->done(c->stream, false);
		c->stream = NULL;
	}
	if (abort) {
		/* RST: no TIME_WAIT and no unsent data kept for a client we
		 * are giving up on. */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	event_free(c->ev_read);
	event_free(c->ev_write);
	event_free(c->ev_timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		nw->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nw->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_log(const struct tcp_conn *c, const char *what)
{
	if (log_get_level() < LOG_LVL_DEBUG)
		return;
	char peer[64];
	log_debug(
	    "tcp %s: %s after %u queries",
	    log_peer((const struct sockaddr *)&c->peer, peer, sizeof(peer)),
	    what, c->queries);
}

static size_t conn_pending(const struct tcp_conn *c)
{
	return c->out_len - c->out_off;
}

/* Room for one more maximal response within the bound. */
static bool conn_has_room(const struct tcp_conn *c)
{
	return conn_pending(c) + TCP_FRAME_MAX <= DNSD_NET_TCP_PENDING_MAX;
}

/* Length of the frame at the start of the input, or -1 while its two
 * length octets have not all arrived. */
static long conn_frame_len(const struct tcp_conn *c)
{
	dnsd_wire r;
	dnsd_wire_init_read(&r, c->in, c->in_len);
	uint16_t len = dnsd_wire_u16(&r);
	return r.err ? -1 : (long)len;
}

static bool conn_frame_ready(const struct tcp_conn *c)
{
	long len = conn_frame_len(c);
	return len >= 0 && c->in_len >= 2 + (size_t)len;
}

/* Appends one framed response; the caller checked conn_has_room, or
 * it is a deferred answer (at most TCP_DEFERRED_MAX of them, past the
 * bound). */
static int conn_append(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	size_t need = 2 + len;
	if (c->out_off > 0 && c->out_cap - c->out_len < need) {
		memmove(c->out, c->out + c->out_off, conn_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_cap - c->out_len < need) {
		size_t cap = c->out_cap ? c->out_cap : TCP_OUT_INITIAL;
		while (cap - c->out_len < need)
			cap *= 2;
		if (cap > DNSD_NET_TCP_PENDING_MAX &&
		    c->out_len + need <= DNSD_NET_TCP_PENDING_MAX)
			cap = DNSD_NET_TCP_PENDING_MAX;
		uint8_t *p = realloc(c->out, cap);
		if (!p)
			return DNSD_ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	dnsd_wire o;
	dnsd_wire_init_write(&o, c->out + c->out_len, need);
	dnsd_wire_put_u16(&o, (uint16_t)len);
	dnsd_wire_put(&o, msg, len);
	c->out_len += o.pos;
	return o.err;
}

/* Serves the complete requests in the input buffer, in order, while the
 * output has room. 0, or a negative error (the connection must go). */
static int conn_serve(struct tcp_conn *c)
{
	struct dnsd_net_worker *nw = c->nw;
	size_t pos = 0;
	bool served = false;
	struct dnsd_via via = {.udp_fd = -1, .conn = c};
	while (!c->done && !c->stream && c->deferred < TCP_DEFERRED_MAX &&
	       conn_has_room(c)) {
		dnsd_wire r;
		dnsd_wire_init_read(&r, c->in + pos, c->in_len - pos);
		uint16_t flen = dnsd_wire_u16(&r);
		const uint8_t *msg = dnsd_wire_take(&r, flen);
		if (r.err)
			break; /* the rest has not arrived yet */
		if (!served)
			nw->db = dnsd_worker_snapshot(nw->w);
		served = true;
		size_t len = dnsd_dispatch(
		    nw->w, msg, flen, (const struct sockaddr *)&c->peer,
		    c->peerlen, true, &via, nw->tcp_resp, DNSD_NET_TCP_MSG_MAX);
		pos += r.pos;
		if (len > 0 && conn_append(c, nw->tcp_resp, len) < 0)
			return DNSD_ENOMEM;
		if (++c->queries >= nw->max_queries && nw->max_queries > 0) {
			c->done = true;
			conn_log(c, "query limit reached");
		}
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->in_len - pos);
		c->in_len -= pos;
	}
	if (served)
		event_base_gettimeofday_cached(nw->w->base, &c->last);
	/* A request larger than the buffer: grow it once, to the largest
	 * message there is. */
	long flen = conn_frame_len(c);
	if (flen >= 0 && 2 + (size_t)flen > c->in_cap) {
		uint8_t *p = realloc(c->in, TCP_FRAME_MAX);
		if (!p)
			return DNSD_ENOMEM;
		c->in = p;
		c->in_cap = TCP_FRAME_MAX;
	}
	return 0;
}

/* Writes what is pending. 0, or -1 when the connection broke. */
static int conn_flush(struct tcp_conn *c)
{
	while (conn_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, conn_pending(c),
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			event_base_gettimeofday_cached(c->nw->w->base,
			                               &c->last);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return 0;
		} else {
			return -1;
		}
	}
	c->out_off = c->out_len = 0;
	return 0;
}

static void conn_want(struct tcp_conn *c, struct event *ev, bool *on, bool want)
{
	if (want == *on)
		return;
	if (want)
		event_add(ev, NULL);
	else
		event_del(ev);
	*on = want;
}

#define TCP_STREAM_BUDGET 4 /* stream messages per event, for fairness */

/* The stream's next messages while the output has room, at most
 * *budget of them. 0, or -1 when the stream failed (the connection must
 * go). */
static int conn_stream(struct tcp_conn *c, unsigned *budget)
{
	struct dnsd_net_worker *nw = c->nw;
	while (c->stream && *budget > 0 && conn_has_room(c)) {
		dnsd_stream *st = c->stream;
		size_t reserve = st->tsig ? dnsd_tsig_reserve(st->tsig) : 0;
		int n =
		    st->next(st, nw->tcp_resp, DNSD_NET_TCP_MSG_MAX, reserve);
		if (n == 0) {
			c->stream = NULL;
			st->done(st, true);
			break;
		}
		if (n > 0 && st->tsig)
			n = dnsd_tsig_sign_response(
			    st->tsig, nw->tcp_resp, (size_t)n,
			    DNSD_NET_TCP_MSG_MAX, (uint64_t)time(NULL));
		if (n <= 0 || conn_append(c, nw->tcp_resp, (size_t)n) < 0) {
			c->stream = NULL;
			st->done(st, false);
			return -1;
		}
		(*budget)--;
	}
	return 0;
}

/* Nothing is owed to the client any more: no output, no stream, no
 * answer to come from the main loop. */
static bool conn_idle(const struct tcp_conn *c)
{
	return conn_pending(c) == 0 && !c->stream && c->deferred == 0;
}

/* Serves what is buffered, writes what is pending, and then waits for
 * what the connection needs next. The connection may be gone after. */
static void conn_run(struct tcp_conn *c)
{
	unsigned budget = TCP_STREAM_BUDGET;
	for (;;) {
		if (conn_serve(c) < 0 || conn_stream(c, &budget) < 0 ||
		    conn_flush(c) < 0) {
			conn_log(c, "dropped (error)");
			conn_free(c, true);
			return;
		}
		if (c->stream) {
			if (conn_pending(c) > 0 || budget == 0)
				break;
			continue; /* the socket took it all: more */
		}
		/* Served all that fitted and wrote it all: more may fit now. */
		if (c->done || conn_pending(c) > 0 || !conn_frame_ready(c) ||
		    c->deferred >= TCP_DEFERRED_MAX)
			break;
	}
	/* After the client's FIN, answer what it did send, then close. */
	if (c->eof && !conn_frame_ready(c))
		c->done = true;
	if (c->done && conn_idle(c) && !c->linger) {
		if (c->eof) {
			conn_free(c, false);
			return;
		}
		/* Half-close so the client reads our FIN after the last
		 * response, then wait for its FIN (closing with unread input
		 * would reset, and could destroy responses in flight). */
		shutdown(c->fd, SHUT_WR);
		c->linger = true;
		struct timeval tv = {.tv_sec = TCP_LINGER_SECONDS};
		conn_timer_arm(c, &tv);
	}
	conn_want(c, c->ev_read, &c->reading,
	          c->linger ||
	              (!c->done && !c->eof && !c->stream &&
	               c->deferred < TCP_DEFERRED_MAX && conn_has_room(c)));
	conn_want(c, c->ev_write, &c->writing, conn_pending(c) > 0);
	/* the budget ran out with the socket still taking more: come back
	 * after the other events */
	if (c->stream && conn_pending(c) == 0)
		event_active(c->ev_write, EV_WRITE, 0);
}

/* After our FIN: discard what the client still sends until its FIN. */
static void conn_linger_read(struct tcp_conn *c)
{
	uint8_t *sink = c->nw->tcp_resp;
	for (;;) {
		ssize_t n = recv(c->fd, sink, TCP_FRAME_MAX, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_free(c, false);
		return;
	}
}

static void conn_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	if (c->linger) {
		conn_linger_read(c);
		return;
	}
	for (unsigned i = 0; i < TCP_READ_BUDGET && !c->done && !c->eof; i++) {
		size_t room = c->in_cap - c->in_len;
		if (room == 0)
			break; /* whole frames wait for output room */
		ssize_t n = recv(fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			if (conn_serve(c) < 0)
				break; /* conn_run below meets it again */
			if ((size_t)n < room)
				break; /* short read: the socket is empty */
			continue;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_log(c, "dropped (read error)");
		conn_free(c, true);
		return;
	}
	conn_run(c);
}

static void conn_writable(evutil_socket_t fd, short what, void *arg)
{
	conn_run(arg);
}

static void conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	struct dnsd_net_worker *nw = c->nw;
	if (c->linger) {
		conn_free(c, true);
		return;
	}
	struct timeval now, deadline, left;
	event_base_gettimeofday_cached(nw->w->base, &now);
	timeradd(&c->last, &nw->idle, &deadline);
	if (timercmp(&now, &deadline, <)) {
		/* There was progress since the timer was armed: re-arm for
		 * what is left instead of touching the timer per query. */
		timersub(&deadline, &now, &left);
		conn_timer_arm(c, &left);
		return;
	}
	if (c->deferred > 0 && conn_pending(c) == 0) {
		/* the main loop owes this client an answer: wait for it */
		conn_timer_arm(c, &nw->idle);
		return;
	}
	if (conn_pending(c) == 0 && !c->stream) {
		/* Idle with everything handed to the kernel: close as for a
		 * query limit (our FIN after what is queued, then wait for
		 * the client's), so a client that reads late still gets the
		 * end of a transfer instead of a reset that discards it. */
		conn_log(c, "closed (idle)");
		c->done = true;
		shutdown(c->fd, SHUT_WR);
		c->linger = true;
		struct timeval tv = {.tv_sec = TCP_LINGER_SECONDS};
		conn_timer_arm(c, &tv);
		conn_want(c, c->ev_read, &c->reading, true);
		conn_want(c, c->ev_write, &c->writing, false);
		return;
	}
	conn_log(c, "dropped (not reading)");
	conn_free(c, true);
}

static void conn_refuse(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static struct tcp_conn *conn_new(struct dnsd_net_worker *nw, int fd,
                                 const struct sockaddr_storage *peer,
                                 socklen_t peerlen)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->nw = nw;
	c->fd = fd;
	c->peer = *peer;
	c->peerlen = peerlen;
	c->in = malloc(TCP_IN_INITIAL);
	c->in_cap = TCP_IN_INITIAL;
	c->ev_read =
	    event_new(nw->w->base, fd, EV_READ | EV_PERSIST, conn_readable, c);
	c->ev_write =
	    event_new(nw->w->base, fd, EV_WRITE | EV_PERSIST, conn_writable, c);
	c->ev_timer = evtimer_new(nw->w->base, conn_timeout, c);
	if (!c->in || !c->ev_read || !c->ev_write || !c->ev_timer) {
		if (c->ev_read)
			event_free(c->ev_read);
		if (c->ev_write)
			event_free(c->ev_write);
		if (c->ev_timer)
			event_free(c->ev_timer);
		free(c->in);
		free(c);
		return NULL;
	}
	event_base_gettimeofday_cached(nw->w->base, &c->last);
	c->id = ++nw->next_conn_id;
	c->next = nw->conns;
	if (nw->conns)
		nw->conns->prev = c;
	nw->conns = c;
	nw->nconns++;
	c->reading = true;
	event_add(c->ev_read, NULL);
	conn_timer_arm(c, &nw->idle);
	return c;
}

static void tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct net_listener *l = arg;
	event_add(l->ev, NULL);
}

static void tcp_acceptable(evutil_socket_t lfd, short what, void *arg)
{
	struct net_listener *l = arg;
	struct dnsd_net_worker *nw = l->nw;
	for (unsigned i = 0; i < TCP_ACCEPT_BUDGET; i++) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &peerlen,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: without a pause this would
				 * spin until a descriptor frees up. */
				log_warn("tcp accept");
				event_del(l->ev);
				struct timeval tv = {.tv_sec =
				                         TCP_ACCEPT_PAUSE};
				event_add(l->resume, &tv);
			}
			return; /* EAGAIN, or the client already left */
		}
		if (nw->nconns >= nw->max_clients) {
			if (log_get_level() >= LOG_LVL_DEBUG) {
				char p[64];
				log_debug("tcp %s: refused, %u connections",
				          log_peer((struct sockaddr *)&peer, p,
				                   sizeof(p)),
				          nw->nconns);
			}
			conn_refuse(fd);
			continue;
		}
		/* Responses go out whole and at once: Nagle would only hold
		 * back the next one waiting for an ACK. */
		(void)sockopt_on(fd, IPPROTO_TCP, TCP_NODELAY);
		if (!conn_new(nw, fd, &peer, peerlen)) {
			log_warnx("tcp accept: out of memory");
			conn_refuse(fd);
		}
	}
}

/* ---- answers from the main loop -------------------------------------- */

static struct tcp_conn *conn_by_id(struct dnsd_net_worker *nw, uint64_t id)
{
	for (struct tcp_conn *c = nw->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void inbox_item_free(struct dnsd_inbox *it)
{
	if (it->st)
		it->st->done(it->st, false);
	free(it->msg);
	free(it);
}

/* Worker side: what the main loop handed in for this worker's
 * connections. */
static void inbox_cb(evutil_socket_t fd, short what, void *arg)
{
	dnsd_worker *w = arg;
	struct dnsd_net_worker *nw = w->net;

	pthread_mutex_lock(&w->inbox_lock);
	struct dnsd_inbox *list = w->inbox;
	w->inbox = NULL;
	pthread_mutex_unlock(&w->inbox_lock);
	/* oldest first: answers go out in the order they were given */
	struct dnsd_inbox *rev = NULL;
	while (list) {
		struct dnsd_inbox *next = list->next;
		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct dnsd_inbox *it = rev;
		rev = it->next;
		struct tcp_conn *c = nw ? conn_by_id(nw, it->conn_id) : NULL;
		if (c == NULL) {
			inbox_item_free(it); /* the client left */
			continue;
		}
		if (c->deferred > 0)
			c->deferred--;
		if (it->msg && conn_append(c, it->msg, it->len) < 0) {
			inbox_item_free(it);
			conn_free(c, true);
			continue;
		}
		if (it->st) {
			if (c->stream)
				it->st->done(it->st, false);
			else
				c->stream = it->st;
			it->st = NULL;
		}
		inbox_item_free(it);
		conn_run(c);
	}
}

/* Main loop side: queues it for worker w. */
static void inbox_post(dnsd_worker *w, struct dnsd_inbox *it)
{
	pthread_mutex_lock(&w->inbox_lock);
	it->next = w->inbox;
	w->inbox = it;
	pthread_mutex_unlock(&w->inbox_lock);
	event_active(w->inbox_ev, EV_READ, 0);
}

int dnsd_request_stream(dnsd_request *r, dnsd_stream *st)
{
	struct dnsd_via *v = r->via;
	if (v == NULL || v->conn == NULL || v->conn->stream) {
		st->done(st, false);
		return -1;
	}
	v->conn->stream = st;
	return 0;
}

dnsd_deferred *dnsd_request_defer(dnsd_request *r)
{
	dnsd_deferred *d = calloc(1, sizeof(*d));
	struct dnsd_via *v = calloc(1, sizeof(*v));
	uint8_t *pkt = malloc(r->len);

	if (d == NULL || v == NULL || pkt == NULL || r->via == NULL ||
	    r->peerlen > sizeof(d->peer)) {
		free(d);
		free(v);
		free(pkt);
		return NULL;
	}
	if (r->tsig != NULL) {
		d->tsig = malloc(sizeof(*d->tsig));
		if (d->tsig == NULL) {
			free(d);
			free(v);
			free(pkt);
			return NULL;
		}
		*d->tsig = *r->tsig;
		r->tsig->run = NULL; /* the copy owns it now */
	}
	memcpy(pkt, r->pkt, r->len);
	d->s = r->worker->server;
	d->pkt = pkt;
	d->len = r->len;
	d->q = r->q;
	memcpy(&d->peer, r->peer, r->peerlen);
	d->peerlen = r->peerlen;
	d->tcp = r->tcp;
	d->via = v;
	v->udp_fd = r->via->udp_fd;
	v->worker = r->worker->index;
	if (r->via->conn) {
		v->conn_id = r->via->conn->id;
		r->via->conn->deferred++;
	} else if (r->via->udp_msg) {
		/* the address the query came to, for a wildcard listener */
		struct msghdr out = {.msg_control = v->ctl.buf,
		                     .msg_controllen = 0};
		udp_reply_from(r->via->udp_msg, &out, &v->ctl);
		v->ctllen = out.msg_controllen;
	}
	return d;
}

void dnsd_deferred_free(dnsd_deferred *d)
{
	if (d == NULL)
		return;
	if (d->tsig) {
		dnsd_tsig_ctx_clear(d->tsig);
		free(d->tsig);
	}
	free(d->via);
	free(d->pkt);
	free(d);
}

/* A TCP deferred request that gets nothing after all still counts
 * down on its connection. */
static void deferred_release(dnsd_deferred *d)
{
	if (d->tcp) {
		struct dnsd_inbox *it = calloc(1, sizeof(*it));
		if (it != NULL) {
			it->conn_id = d->via->conn_id;
			inbox_post(&d->s->workers[d->via->worker], it);
		}
	}
	dnsd_deferred_free(d);
}

void dnsd_deferred_answer(dnsd_deferred *d, uint8_t *msg, size_t len,
                          size_t cap)
{
	if (d->tsig && len > 0) {
		if (len >= DNSD_HDR_LEN) /* for a retransmission of it */
			dnsd_tsig_set_outcome(d->tsig, d->s->keys,
			                      DNSD_RCODE(msg[3]));
		int n = dnsd_tsig_sign_response(d->tsig, msg, len, cap,
		                                (uint64_t)time(NULL));
		len = n > 0 ? (size_t)n : 0;
	}
	if (len == 0) {
		deferred_release(d);
		return;
	}
	dnsd_hdr hd;
	if (dnsd_hdr_parse(msg, len, &hd) == 0) { /* metrics.h */
		dnsd_count(DNSD_MX_RCODE_LATER + DNSD_RCODE(hd.flags));
		if (DNSD_OPCODE(hd.flags) == DNSD_OPCODE_UPDATE)
			dnsd_count(DNSD_MX_UPDATE + DNSD_RCODE(hd.flags));
	}
	if (!d->tcp) {
		struct iovec iov = {.iov_base = msg, .iov_len = len};
		struct msghdr h = {.msg_name = &d->peer,
		                   .msg_namelen = d->peerlen,
		                   .msg_iov = &iov,
		                   .msg_iovlen = 1,
		                   .msg_control =
		                       d->via->ctllen ? d->via->ctl.buf : NULL,
		                   .msg_controllen = d->via->ctllen};
		if (sendmsg(d->via->udp_fd, &h, MSG_DONTWAIT) < 0)
			log_debug("deferred answer: sendmsg: %s",
			          strerror(errno));
		dnsd_deferred_free(d);
		return;
	}
	struct dnsd_inbox *it = calloc(1, sizeof(*it));
	if (it == NULL || (it->msg = malloc(len)) == NULL) {
		free(it);
		deferred_release(d);
		return;
	}
	memcpy(it->msg, msg, len);
	it->len = len;
	it->conn_id = d->via->conn_id;
	inbox_post(&d->s->workers[d->via->worker], it);
	dnsd_deferred_free(d);
}

void dnsd_deferred_stream(dnsd_deferred *d, dnsd_stream *st)
{
	struct dnsd_inbox *it = d->tcp ? calloc(1, sizeof(*it)) : NULL;
	if (it == NULL) {
		st->done(st, false);
		deferred_release(d);
		return;
	}
	it->conn_id = d->via->conn_id;
	it->st = st;
	inbox_post(&d->s->workers[d->via->worker], it);
	dnsd_deferred_free(d);
}

/* ---- per worker ------------------------------------------------------- */

static int net_worker_buffers(struct dnsd_net_worker *nw)
{
	nw->rbuf = malloc(sizeof(*nw->rbuf) * DNSD_NET_UDP_BATCH);
	nw->sbuf = malloc(sizeof(*nw->sbuf) * DNSD_NET_UDP_BATCH);
	nw->tcp_resp = malloc(TCP_FRAME_MAX);
	if (!nw->rbuf || !nw->sbuf || !nw->tcp_resp)
		return -1;
	for (unsigned i = 0; i < DNSD_NET_UDP_BATCH; i++) {
		nw->riov[i].iov_base = nw->rbuf[i];
		nw->riov[i].iov_len = sizeof(nw->rbuf[i]);
		nw->siov[i].iov_base = nw->sbuf[i];
		nw->smsg[i].msg_hdr.msg_iov = &nw->siov[i];
		nw->smsg[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void net_worker_free(struct dnsd_net_worker *nw)
{
	dnsd_worker *w = nw->w;
	if (w->inbox_ev) {
		event_free(w->inbox_ev);
		w->inbox_ev = NULL;
	}
	pthread_mutex_lock(&w->inbox_lock);
	struct dnsd_inbox *it = w->inbox;
	w->inbox = NULL;
	pthread_mutex_unlock(&w->inbox_lock);
	while (it) {
		struct dnsd_inbox *next = it->next;
		inbox_item_free(it);
		it = next;
	}
	while (nw->conns)
		conn_free(nw->conns, true);
	for (unsigned i = 0; nw->udp && i < nw->nlisten; i++)
		if (nw->udp[i].ev)
			event_free(nw->udp[i].ev);
	for (unsigned i = 0; nw->tcp && i < nw->nlisten; i++) {
		if (nw->tcp[i].ev)
			event_free(nw->tcp[i].ev);
		if (nw->tcp[i].resume)
			event_free(nw->tcp[i].resume);
	}
	free(nw->udp);
	free(nw->tcp);
	free(nw->rbuf);
	free(nw->sbuf);
	free(nw->tcp_resp);
	ratelimit_free(nw->rrl);
	free(nw);
}

static int net_worker_listen(struct dnsd_net_worker *nw, struct dnsd_net *net)
{
	dnsd_worker *w = nw->w;
	for (unsigned i = 0; i < net->nlisten; i++) {
		struct net_listener *u = &nw->udp[i], *t = &nw->tcp[i];
		u->nw = t->nw = nw;
		u->fd = *net_fd(net, w->index, i, 0);
		t->fd = *net_fd(net, w->index, i, 1);
		u->pktinfo = net->wildcard[i];
		u->ev = event_new(w->base, u->fd, EV_READ | EV_PERSIST,
		                  udp_readable, u);
		t->ev = event_new(w->base, t->fd, EV_READ | EV_PERSIST,
		                  tcp_acceptable, t);
		t->resume = evtimer_new(w->base, tcp_resume, t);
		if (!u->ev || !t->ev || !t->resume || event_add(u->ev, NULL) ||
		    event_add(t->ev, NULL))
			return -1;
	}
	return 0;
}

int dnsd_net_attach(dnsd_worker *w)
{
	struct dnsd_net *net = w->server->net;
	if (!net || w->index >= net->nworkers || !w->base) {
		log_error("listen: worker %u has no sockets", w->index);
		return -1;
	}
	const dnsd_config *cfg = w->server->cfg;
	struct dnsd_net_worker *nw = calloc(1, sizeof(*nw));
	if (!nw) {
		log_error("listen: out of memory");
		return -1;
	}
	nw->w = w;
	nw->nlisten = net->nlisten;
	nw->max_clients = cfg->tcp_max_clients;
	nw->max_queries = cfg->tcp_max_queries;
	nw->idle.tv_sec = cfg->tcp_idle_timeout;
	nw->rrl = ratelimit_new(cfg, w->index);
	w->inbox_ev = event_new(w->base, -1, 0, inbox_cb, w);
	if (!w->inbox_ev) {
		log_error("listen: out of memory");
		free(nw);
		return -1;
	}
	nw->udp = calloc(net->nlisten + 1, sizeof(*nw->udp));
	nw->tcp = calloc(net->nlisten + 1, sizeof(*nw->tcp));
	if (!nw->udp || !nw->tcp || net_worker_buffers(nw) < 0 ||
	    net_worker_listen(nw, net) < 0) {
		log_error("listen: worker %u: cannot set up listeners",
		          w->index);
		net_worker_free(nw);
		return -1;
	}
	w->net = nw;
	return 0;
}

void dnsd_net_close(dnsd_server *s)
{
	struct dnsd_net *net = s->net;
	if (!net)
		return;
	for (unsigned k = 0; k < net->nworkers; k++) {
		if (s->workers[k].net) {
			net_worker_free(s->workers[k].net);
			s->workers[k].net = NULL;
		}
	}
	size_t nfds = (size_t)net->nworkers * net->nlisten * 2;
	for (size_t i = 0; i < nfds; i++)
		if (net->fds[i] >= 0)
			close(net->fds[i]);
	free(net->fds);
	free(net);
	s->net = NULL;
}

const dnsd_zonedb *dnsd_net_snapshot(dnsd_worker *w)
{
	if (w->net)
		return w->net->db;
	return dnsd_worker_snapshot(w);
}
