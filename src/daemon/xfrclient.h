/* Transfers in, on the main loop: one AXFR or IXFR from a primary over
 * TCP (a libevent bufferevent), the request signed when a key is given,
 * every message of the answer TSIG-verified (RFC 8945 §5.3.1 chaining)
 * and fed to the engine's reader (xfrin.h), the result handed to the
 * caller's function on the main loop. Queries never wait for it: the
 * new version is built beside the one served. */
#ifndef DNSD_DAEMON_XFRCLIENT_H
#define DNSD_DAEMON_XFRCLIENT_H

#include <dnsd/keys.h>
#include <dnsd/xfrin.h>
#include <event2/event.h>
#include <sys/socket.h>

typedef struct xfrclient xfrclient;

typedef struct xfrclient_opts {
	const struct sockaddr *peer;
	socklen_t peerlen;
	/* the local address to connect from (port 0), NULL: any. A
	 * secondary sends from the address it listens on, so that the NOTIFY
	 * a signed SOA query earns comes back to it. */
	const struct sockaddr *source;
	socklen_t sourcelen;
	const uint8_t *zone;
	uint16_t qtype;       /* DNSD_TYPE_AXFR or DNSD_TYPE_IXFR; or
	                         DNSD_TYPE_SOA: a SOA query over the same
	                         connection, res->serial its answer */
	const dnsd_zone *cur; /* the version held (IXFR: its SOA goes in the
	                         request), referenced by the client */
	const dnsd_key *key;  /* NULL: unsigned (copied) */
	dnsd_xfrin_limits lim;
	unsigned timeout; /* seconds without progress: given up */
} xfrclient_opts;

/* rc 0 with res filled (res->zone the caller's), or an error with why:
 * DNSD_ENOTSUP/DNSD_EINVAL (retry as AXFR), DNSD_ETSIG (the signature),
 * DNSD_EIO (the connection: refused, reset, timed out), the others as
 * xfrin.h says. The client is freed after the call. */
typedef void (*xfrclient_done_fn)(void *ctx, int rc, const char *why,
                                  dnsd_xfrin_result *res);

int xfrclient_start(struct event_base *base, const xfrclient_opts *o,
                    xfrclient_done_fn fn, void *ctx, xfrclient **out);

/* One request, one answer, over the same signed TCP path: an UPDATE,
 * a query. msg (len octets, no TSIG; its ID is replaced by a random
 * one) is signed with key when given; the answer must be a response
 * (QR) with that ID and opcode, TSIG-verified when signed. fn gets it
 * parsed (valid during the call only), or NULL with rc and why as for
 * xfrclient_done_fn. */
typedef void (*xfrclient_msg_fn)(void *ctx, int rc, const char *why,
                                 const dnsd_msg *answer);

typedef struct xfrclient_xopts {
	const struct sockaddr *peer;
	socklen_t peerlen;
	const struct sockaddr *source; /* NULL: any */
	socklen_t sourcelen;
	const uint8_t *msg;
	size_t len;
	const dnsd_key *key; /* NULL: unsigned */
	unsigned timeout;    /* seconds without progress: given up */
} xfrclient_xopts;

int xfrclient_exchange(struct event_base *base, const xfrclient_xopts *o,
                       xfrclient_msg_fn fn, void *ctx, xfrclient **out);

/* Stops it before fn was called; fn is not called then. */
void xfrclient_cancel(xfrclient *c);

#endif
