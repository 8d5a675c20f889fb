/* Prometheus metrics: counters kept where they happen, served as the text
 * exposition format (0.0.4) by `metrics-listen` over HTTP on the main
 * loop (evhttp), GET /metrics; every other path is 404.
 *
 * Two kinds of storage, one per kind of label:
 *
 * - Counters whose labels come from a fixed set (transport, rcode, qtype,
 *   result): a dnsd_counters block per thread, one slot per label
 *   combination (the DNSD_MX_* offsets). Each query worker owns one
 *   (dnsd_worker.counters) and the main loop one
 *   (dnsd_server.main_counters); only the owner writes it, the main loop
 *   sums them all on a scrape. No lock, no atomic read-modify-write, no
 *   allocation: a slot is written with a relaxed atomic store of its
 *   relaxed load plus one, which is defined C when another thread reads
 *   it (with relaxed loads) and compiles to a plain add on x86-64 and
 *   arm64. The blocks are cache-line aligned so that no two threads write
 *   the same line.
 *
 * - Values labelled by a name (a zone, a certificate) and gauges: the
 *   main loop's registry (dnsd_metrics_set / dnsd_metrics_add), a list
 *   of series keyed by metric and label, main thread only.
 *
 * Per-zone serial and record count, the snapshot generation and the
 * uptime are read at scrape time from the published snapshot. */
#ifndef DNSD_DAEMON_METRICS_H
#define DNSD_DAEMON_METRICS_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dnsd_server;
struct dnsd_metrics;

enum { DNSD_MX_UDP, DNSD_MX_TCP, DNSD_MX_NTRANSPORT };
enum { DNSD_MX_IPV4, DNSD_MX_IPV6, DNSD_MX_NFAMILY };
/* The query types counted by name; the rest is "other" (0, so that a
 * type absent from dnsd_mx_qtype_index is other). */
enum {
	DNSD_MX_QT_OTHER,
	DNSD_MX_QT_A,
	DNSD_MX_QT_NS,
	DNSD_MX_QT_CNAME,
	DNSD_MX_QT_SOA,
	DNSD_MX_QT_PTR,
	DNSD_MX_QT_MX,
	DNSD_MX_QT_TXT,
	DNSD_MX_QT_AAAA,
	DNSD_MX_QT_SRV,
	DNSD_MX_QT_NAPTR,
	DNSD_MX_QT_DS,
	DNSD_MX_QT_DNSKEY,
	DNSD_MX_QT_TLSA,
	DNSD_MX_QT_SVCB,
	DNSD_MX_QT_HTTPS,
	DNSD_MX_QT_CAA,
	DNSD_MX_QT_ANY,
	DNSD_MX_QT_AXFR,
	DNSD_MX_QT_IXFR,
	DNSD_MX_NQTYPE
};
/* Upper bounds of dnsd_response_size_bytes, octets; +Inf after them. */
#define DNSD_MX_SIZE_BOUNDS                                                    \
	32, 64, 128, 256, 512, 1024, 1232, 1472, 4096, 16384, 65535
#define DNSD_MX_NSIZE 12 /* the bounds and +Inf */
/* Kinds and results of transfers. */
enum { DNSD_MX_AXFR, DNSD_MX_IXFR, DNSD_MX_NXFR };
enum {
	DNSD_MX_XOUT_DONE,
	DNSD_MX_XOUT_CUT,
	DNSD_MX_XOUT_REFUSED,
	DNSD_MX_NXOUT
};
enum {
	DNSD_MX_XIN_DONE,
	DNSD_MX_XIN_UPTODATE,
	DNSD_MX_XIN_FAILED,
	DNSD_MX_NXIN
};
enum {
	DNSD_MX_NOUT_ACKED, /* answered NOERROR */
	DNSD_MX_NOUT_ERROR, /* answered an error rcode or a bad TSIG */
	DNSD_MX_NOUT_TIMEOUT /* never answered */,
	DNSD_MX_NNOUT
};
enum { DNSD_MX_OK, DNSD_MX_FAILED, DNSD_MX_NOKFAIL };

/* Slot offsets in a dnsd_counters block; the comment gives the index
 * added to the offset. */
enum {
	/* requests dispatched on a worker, by the header's RCODE of the
	 * response or DNSD_MX_NORESP: [transport][family][rcode] (one slot
	 * per request serves dnsd_queries_total and dnsd_responses_total) */
	DNSD_MX_REQUESTS = 0,
#define DNSD_MX_NORESP 16 /* dropped, deferred or streamed */
	/* responses answered later, from the main loop: [rcode] */
	DNSD_MX_RCODE_LATER =
	    DNSD_MX_REQUESTS + DNSD_MX_NTRANSPORT * DNSD_MX_NFAMILY * 17,
	/* QUERY requests by QTYPE: [DNSD_MX_QT_*] */
	DNSD_MX_QTYPE = DNSD_MX_RCODE_LATER + 16,
	/* responses with TC set: [transport] */
	DNSD_MX_TRUNCATED = DNSD_MX_QTYPE + DNSD_MX_NQTYPE,
	/* response sizes, not cumulative: [transport][bucket] */
	DNSD_MX_SIZE = DNSD_MX_TRUNCATED + DNSD_MX_NTRANSPORT,
	/* sum of the response sizes in octets: [transport] */
	DNSD_MX_SIZE_SUM = DNSD_MX_SIZE + DNSD_MX_NTRANSPORT * DNSD_MX_NSIZE,
	/* NOTIFY requests answered, by rcode: [rcode] */
	DNSD_MX_NOTIFY_IN = DNSD_MX_SIZE_SUM + DNSD_MX_NTRANSPORT,
	/* UPDATE requests answered, by rcode: [rcode] */
	DNSD_MX_UPDATE = DNSD_MX_NOTIFY_IN + 16,
	/* outgoing transfers: [kind][DNSD_MX_XOUT_*] */
	DNSD_MX_XFR_OUT = DNSD_MX_UPDATE + 16,
	/* incoming transfers: [kind][DNSD_MX_XIN_*] */
	DNSD_MX_XFR_IN = DNSD_MX_XFR_OUT + DNSD_MX_NXFR * DNSD_MX_NXOUT,
	/* NOTIFY sent: [DNSD_MX_NOUT_*] */
	DNSD_MX_NOTIFY_OUT = DNSD_MX_XFR_IN + DNSD_MX_NXFR * DNSD_MX_NXIN,
	/* git fetches and pushes: [DNSD_MX_OK / FAILED] */
	DNSD_MX_GIT_FETCH = DNSD_MX_NOTIFY_OUT + DNSD_MX_NNOUT,
	DNSD_MX_GIT_PUSH = DNSD_MX_GIT_FETCH + DNSD_MX_NOKFAIL,
	/* ACME orders finished: [DNSD_MX_OK (issued) / FAILED] */
	DNSD_MX_ACME_ORDERS = DNSD_MX_GIT_PUSH + DNSD_MX_NOKFAIL,
	DNSD_MX_NSLOTS = DNSD_MX_ACME_ORDERS + DNSD_MX_NOKFAIL
};

typedef struct dnsd_counters {
	alignas(64) _Atomic uint64_t slot[DNSD_MX_NSLOTS];
} dnsd_counters;

/* Adds n to slot i of c: c's owner thread only. */
static inline void dnsd_counters_add(dnsd_counters *c, unsigned i, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&c->slot[i], memory_order_relaxed);
	atomic_store_explicit(&c->slot[i], v + n, memory_order_relaxed);
}

/* The block of the calling thread (a query worker or the main loop;
 * NULL on any other thread), for code that runs on either (a transfer
 * stream ends on the worker of its connection, or on the main loop when
 * the connection went away first). */
extern _Thread_local dnsd_counters *dnsd_counters_self;

/* Adds one to slot i of the calling thread's block, if it has one. */
static inline void dnsd_count(unsigned i)
{
	if (dnsd_counters_self != NULL)
		dnsd_counters_add(dnsd_counters_self, i, 1);
}

/* QTYPE -> DNSD_MX_QT_* for the types below 256 (0: other). */
extern const uint8_t dnsd_mx_qtype_index[256];

static inline unsigned dnsd_mx_qtype(uint16_t t)
{
	if (t < 256)
		return dnsd_mx_qtype_index[t];
	return t == 257 /* CAA */ ? DNSD_MX_QT_CAA : DNSD_MX_QT_OTHER;
}

/* The bucket of a response of len > 0 octets: up to 1024 the powers of
 * two from 32 (the bit length of len - 1), then the bounds above. */
static inline unsigned dnsd_mx_size_bucket(size_t len)
{
	if (len <= 1024) {
		unsigned bits =
		    32 - (unsigned)__builtin_clz(((unsigned)len - 1) | 31);
		return bits - 5;
	}
	return len <= 1232    ? 6
	       : len <= 1472  ? 7
	       : len <= 4096  ? 8
	       : len <= 16384 ? 9
	       : len <= 65535 ? 10
	                      : 11;
}

/* The query path: one request over tcp or UDP from family (AF_INET,
 * AF_INET6) with its opcode and qtype (any value when it did not parse
 * or is no QUERY), and its response: flags from its header, len octets
 * (0: none sent now). Inline: a few adds per query. */
static inline void dnsd_counters_response(dnsd_counters *c, bool tcp, bool ipv6,
                                          unsigned opcode, uint16_t qtype,
                                          uint16_t flags, size_t len)
{
	unsigned t = tcp ? DNSD_MX_TCP : DNSD_MX_UDP;
	unsigned rcode = len ? (flags & 0xfu) : DNSD_MX_NORESP;

	dnsd_counters_add(
	    c, DNSD_MX_REQUESTS + (t * DNSD_MX_NFAMILY + ipv6) * 17 + rcode, 1);
	if (opcode == 0 /* QUERY */)
		dnsd_counters_add(c, DNSD_MX_QTYPE + dnsd_mx_qtype(qtype), 1);
	else if (len && opcode == 4 /* NOTIFY */)
		dnsd_counters_add(c, DNSD_MX_NOTIFY_IN + rcode, 1);
	else if (len && opcode == 5 /* UPDATE */)
		dnsd_counters_add(c, DNSD_MX_UPDATE + rcode, 1);
	if (len == 0)
		return;
	if (flags & 0x0200 /* TC */)
		dnsd_counters_add(c, DNSD_MX_TRUNCATED + t, 1);
	dnsd_counters_add(
	    c, DNSD_MX_SIZE + t * DNSD_MX_NSIZE + dnsd_mx_size_bucket(len), 1);
	dnsd_counters_add(c, DNSD_MX_SIZE_SUM + t, len);
}

/* The main loop's registry, labelled series. */
enum dnsd_metric {
	DNSD_M_ZONE_LOAD_TIME,   /* gauge {zone}: unix seconds */
	DNSD_M_ZONE_LOAD_ERRORS, /* counter {zone} */
	DNSD_M_GIT_LAST_SUCCESS, /* gauge {op="fetch"|"push"}: unix seconds */
	DNSD_M_UPDATE_PENDING,   /* gauge: commits waiting to be pushed */
	DNSD_M_ACME_ORDERS,      /* gauge {state}: requests in each state */
	DNSD_M_CERT_EXPIRY,      /* gauge {certificate}: the notAfter time,
	                            served as seconds from now */
	DNSD_M_NMETRICS
};

/* Sets (or adds v to) the series of metric m with label value label
 * (NULL for a metric without a label); creates it on first use. Main
 * thread only; no-op when s has no registry. */
void dnsd_metrics_set(struct dnsd_server *s, enum dnsd_metric m,
                      const char *label, double v);
void dnsd_metrics_add(struct dnsd_server *s, enum dnsd_metric m,
                      const char *label, double v);

/* Creates the registry and, with metrics-listen set, binds its socket
 * and serves it on s->base (before privileges are dropped). 0 or -1 with
 * the reason logged. */
int dnsd_metrics_start(struct dnsd_server *s);
/* Stops serving and frees the registry. */
void dnsd_metrics_stop(struct dnsd_server *s);

#endif
