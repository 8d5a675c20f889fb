/* Outgoing zone transfers: the difference between two versions of a zone
 * (RFC 1995) and the writer of an AXFR (RFC 5936) or IXFR answer as a
 * stream of DNS messages. Pure: no sockets, no event loop. */
#ifndef DNSD_XFR_H
#define DNSD_XFR_H

#include <dnsd/msg.h>
#include <dnsd/zone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One record of a difference (class IN). Pointers into the diff's arena. */
typedef struct dnsd_xfr_rr {
	const uint8_t *owner; /* wire form, as in the zone */
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
} dnsd_xfr_rr;

/* The difference between two versions of one zone (RFC 1995): the records
 * of `from` not in `to` (deleted) and of `to` not in `from` (added), SOAs
 * excluded, each list in canonical order. A TTL change of an RRset is a
 * delete of its records and an add with the new TTL. Immutable once
 * made. */
typedef struct dnsd_zdiff dnsd_zdiff;

/* Computes the difference of two versions of the same zone by one merge
 * walk over their canonical node order (linear). Records are compared as
 * the zone folds duplicates (dnsd_rdata_cmp), names case-insensitively.
 * The diff copies what it lists: it does not reference the zones. 0 or
 * DNSD_ENOMEM / DNSD_EINVAL (different origins). */
int dnsd_zdiff_compute(const dnsd_zone *from, const dnsd_zone *to,
                       dnsd_zdiff **out);
/* Joins a->b and b->c into a->c (a record added then deleted vanishes,
 * deleted then added vanishes when identical, TTL included). The result
 * copies what it lists. 0, DNSD_EINVAL when ab does not end where bc
 * starts (serial or origin) or DNSD_ENOMEM. */
int dnsd_zdiff_merge(const dnsd_zdiff *ab, const dnsd_zdiff *bc,
                     dnsd_zdiff **out);
/* A difference made by a producer that knows it (a dynamic UPDATE's
 * working copy) rather than computed from two versions: the two SOAs
 * (owner the origin), then each record appended to its list in the
 * lists' order, exactly as dnsd_zdiff_compute lists them (owner
 * canonically, type, RDATA as dnsd_rdata_cmp sorts it; a TTL change of
 * an RRset as a delete of all its records and an add of all; the apex SOA
 * in neither list). Both copy what they are given. 0, DNSD_EINVAL (SOAs
 * of different owners, or unreadable) or DNSD_ENOMEM (then free d). */
int dnsd_zdiff_start(const dnsd_xfr_rr *from_soa, const dnsd_xfr_rr *to_soa,
                     dnsd_zdiff **out);
int dnsd_zdiff_append(dnsd_zdiff *d, bool added, const dnsd_xfr_rr *rr);
void dnsd_zdiff_free(dnsd_zdiff *d);
uint32_t dnsd_zdiff_from_serial(const dnsd_zdiff *d);
uint32_t dnsd_zdiff_to_serial(const dnsd_zdiff *d);
size_t dnsd_zdiff_deleted(const dnsd_zdiff *d); /* record counts */
size_t dnsd_zdiff_added(const dnsd_zdiff *d);
const dnsd_xfr_rr *dnsd_zdiff_deleted_at(const dnsd_zdiff *d, size_t i);
const dnsd_xfr_rr *dnsd_zdiff_added_at(const dnsd_zdiff *d, size_t i);
/* Octets the diff's records take on the wire uncompressed (both lists
 * plus the 2 SOAs), to compare with the zone's size (RFC 1995: send the
 * AXFR form when the difference is not smaller). */
size_t dnsd_zdiff_wire_size(const dnsd_zdiff *d);
/* The SOA records (owner = origin) of both ends: rdata/ttl. */
const dnsd_xfr_rr *dnsd_zdiff_from_soa(const dnsd_zdiff *d);
const dnsd_xfr_rr *dnsd_zdiff_to_soa(const dnsd_zdiff *d);

/* Octets the zone's records take on the wire uncompressed, the SOA
 * counted twice as an AXFR sends it: the measure dnsd_zdiff_wire_size is
 * compared with. Walks the nodes (linear, no allocation). */
size_t dnsd_xfr_zone_wire_size(const dnsd_zone *z);

/* The writer of one outgoing transfer: a stream of DNS response messages.
 * AXFR (RFC 5936): SOA, every other record of the zone node by node in
 * canonical order, SOA. IXFR (RFC 1995 §4): new SOA, then for each diff:
 * its from-SOA, its deletions, its to-SOA, its additions; then the new
 * SOA again. The IXFR "SOA only" answer (client current or ahead) is a
 * stream of one message holding the zone's SOA. Every message: the
 * request's ID, QR+AA, opcode QUERY, RCODE 0, the question (copied from
 * the request) only in the first message, records packed until the next
 * one would not fit in cap - reserve octets, names compressed within
 * each message (owner names, and the RDATA names of the types marked
 * DNSD_RRF_COMPRESS), RRsets may be split across messages. The question
 * is written as the client wrote it and serves as a compression target
 * only when it matches the origin octet for octet, so owner names keep
 * the zone's letter case. The writer holds pointers into the zone and
 * the diffs: the caller keeps them alive (referenced) until
 * dnsd_xfr_free. */
typedef struct dnsd_xfr dnsd_xfr;

enum { DNSD_XFR_AXFR = 1, DNSD_XFR_IXFR = 2, DNSD_XFR_SOA_ONLY = 3 };

/* id, the question (qname as the client wrote it, qtype AXFR or IXFR,
 * qclass) and the kind. For DNSD_XFR_IXFR, diffs[0..n) chain from the
 * client's serial to z's serial (diffs[i]->to == diffs[i+1]->from),
 * n >= 1; the array is copied (diffs and n are ignored for the other
 * kinds). qname is copied. 0 or DNSD_ENOMEM/DNSD_EINVAL (unknown kind,
 * broken chain, a chain not ending at z's serial). */
int dnsd_xfr_new(dnsd_xfr **out, int kind, const dnsd_zone *z,
                 dnsd_zdiff *const *diffs, size_t n, uint16_t id,
                 const uint8_t *qname, uint16_t qtype, uint16_t qclass);
/* Writes the next message into buf (at most cap octets, of which
 * `reserve` are left free for the caller's TSIG record: the message
 * itself is at most min(cap, 65535) - reserve). Returns its length
 * (> 0), 0 when the stream is complete, or a negative error (DNSD_ESPACE
 * when even one record does not fit in cap - reserve: cannot happen for
 * cap >= 65535 - reserve with reserve <= 512). After DNSD_ESPACE the
 * stream stays where it was: a call with more room goes on. */
int dnsd_xfr_next(dnsd_xfr *x, uint8_t *buf, size_t cap, size_t reserve);
/* Messages and records written so far, for logs. */
size_t dnsd_xfr_messages(const dnsd_xfr *x);
size_t dnsd_xfr_records(const dnsd_xfr *x);
void dnsd_xfr_free(dnsd_xfr *x);

#endif
