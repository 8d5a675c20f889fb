/* The answer engine: a pure step (STYLE.md habit 5).
 *
 *   (zone database snapshot, parsed query, request octets) -> response
 *
 * the same for UDP, TCP and tests, writing straight into the caller's
 * output buffer, never allocating. Rules: RFC 1034 §4.3.2 (with CNAME
 * chains inside the served zones, loops cut), RFC 2308 negative answers
 * (SOA in authority, TTL = min(SOA TTL, MINIMUM)), RFC 4592 wildcards,
 * referrals with glue, RFC 6891 EDNS, RFC 8482 ANY over UDP, truncation
 * to whole RRsets with TC. */
#ifndef DNSD_ANSWER_H
#define DNSD_ANSWER_H

#include <dnsd/msg.h>
#include <dnsd/zone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dnsd_answer_opts {
	bool tcp;             /* no size limit but 65535; ANY gets everything */
	uint16_t edns_payload; /* our advertised UDP payload (default 1232) */
} dnsd_answer_opts;

/* What the caller does with the request, decided before answering. */
typedef enum dnsd_verdict {
	DNSD_VERDICT_DROP = 0,  /* say nothing (QR set, header unreadable) */
	DNSD_VERDICT_ANSWER,    /* a response is in the output buffer */
} dnsd_verdict;

/* Answers a request of opcode QUERY (or any request with an error
 * verdict: FORMERR, NOTIMP, REFUSED), given the parse result `perr` of
 * dnsd_query_parse(). Writes the response to out and its length to
 * *outlen. Returns DNSD_VERDICT_DROP when nothing must be sent. */
dnsd_verdict dnsd_answer(const dnsd_zonedb *db, const dnsd_query *q,
                         int perr, const uint8_t *pkt,
                         const dnsd_answer_opts *o, uint8_t *out, size_t cap,
                         size_t *outlen);

/* A response with only header, question (when it parsed), our OPT (when
 * the query had EDNS) and the given RCODE (extended RCODEs through OPT).
 * For FORMERR, NOTIMP, REFUSED, NOTAUTH from the dispatchers. Returns
 * the length, or 0 when even that cannot be written. */
size_t dnsd_answer_error(const dnsd_query *q, int perr, int rcode,
                         const dnsd_answer_opts *o, uint8_t *out,
                         size_t cap);

#endif
