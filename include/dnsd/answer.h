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

/* Longest CNAME chain followed in one answer; a chain also stops at a
 * name it already visited (a loop) or when it leaves the served zones. */
#define DNSD_ANSWER_CHAIN_MAX 16

typedef struct dnsd_answer_opts {
	bool tcp; /* no size limit but 65535; ANY gets everything */
	uint16_t edns_payload; /* our advertised UDP payload (default 1232) */
} dnsd_answer_opts;

/* What the caller does with the request, decided before answering. */
typedef enum dnsd_verdict {
	DNSD_VERDICT_DROP = 0, /* say nothing (QR set, header unreadable) */
	DNSD_VERDICT_ANSWER,   /* a response is in the output buffer */
} dnsd_verdict;

/* Answers a request of opcode QUERY (or any request with an error
 * verdict: FORMERR, NOTIMP, REFUSED), given the parse result `perr` of
 * dnsd_query_parse(). Writes the response to out and its length to
 * *outlen. Returns DNSD_VERDICT_DROP when nothing must be sent.
 *
 * Relies on dnsd_query_parse() setting q->msg_len always and leaving
 * q->qname_len 0 until the question has parsed (so a FORMERR echoes the
 * question only when it was read).
 *
 * Choices where the RFCs leave room:
 * - DROP: header shorter than 12 octets, or QR set.
 * - FORMERR: parse error, QDCOUNT != 1 (no question echoed), bad OPT.
 * - NOTIMP: opcode other than QUERY. BADVERS (via OPT): EDNS version > 0.
 * - REFUSED, without AA: QCLASS other than IN and ANY; a name in no
 *   served zone; QTYPE AXFR or IXFR (transfers do not come here). Other
 *   meta QTYPEs find no data (NODATA), as in NSD.
 * - QCLASS ANY is answered from the IN data (the only class served),
 *   without AA: the server cannot vouch for every class (as NSD).
 * - ANY over UDP (RFC 8482): the one RRset of the lowest type at the
 *   node; over TCP all of them.
 * - Positive answers carry no NS in authority (minimal responses).
 * - Additional: A and AAAA of NS, MX and SRV targets.
 *   - Referral: from the referring zone only: its glue, in-domain (below
 *     the cut) and sibling (below another cut of that zone, RFC 9471),
 *     and its own authoritative addresses. A name server that lives in
 *     another served zone is not glue and is left out (as NSD and Knot;
 *     resolvers would discard it).
 *   - Answer of type NS, MX or SRV (and ANY): authoritative data of any
 *     served zone, and glue of the zone of the NS RRset.
 *   In-domain glue of a referral goes first and sets TC when it does not
 *   fit (RFC 9471 §3.1); anything else is dropped from the end, no TC.
 * - Truncation: whole RRsets only in answer and authority; the first
 *   RRset that does not fit sets TC and ends the answer (OPT still
 *   goes in: its room is reserved).
 * - A CNAME chain (into any served zone) is followed up to
 *   DNSD_ANSWER_CHAIN_MAX links; the rcode and SOA are those of the last
 *   name (RFC 6604); a chain into a delegation ends with the referral
 *   (AA kept from the first name).
 * - Not done: DNSSEC processing (RRSIGs and denial are not added for
 *   DO) and DNAME substitution (RFC 6672); the DO bit is only echoed. */
dnsd_verdict dnsd_answer(const dnsd_zonedb *db, const dnsd_query *q, int perr,
                         const uint8_t *pkt, const dnsd_answer_opts *o,
                         uint8_t *out, size_t cap, size_t *outlen);

/* Starts loading the zone data that answering the query in pkt will
 * touch first (see dnsd_zone_prefetch; pf->zone is NULL when there is
 * nothing to load). For a batch: start every query, step every one, step
 * again, then answer them. A hint only: answers are the same without. */
void dnsd_answer_prefetch(const dnsd_zonedb *db, const uint8_t *pkt, size_t len,
                          dnsd_zone_prefetch *pf);

/* A response with only header, question (when it parsed), our OPT (when
 * the query had EDNS) and the given RCODE (extended RCODEs through OPT).
 * For FORMERR, NOTIMP, REFUSED, NOTAUTH from the dispatchers. Returns
 * the length, or 0 when even that cannot be written. */
size_t dnsd_answer_error(const dnsd_query *q, int perr, int rcode,
                         const dnsd_answer_opts *o, uint8_t *out, size_t cap);

#endif
