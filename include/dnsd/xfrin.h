/* Reading an incoming zone transfer: the answer to an AXFR (RFC 5936) or
 * IXFR (RFC 1995) request, message by message, checked as it comes, and
 * the new version it makes. Pure: the caller owns the connection, sends
 * the request, verifies every message's TSIG (RFC 8945 §5.3.1 chaining)
 * before handing it over, and decides what to do with the result (the
 * secondary: swap it in, or on an error keep the old version and fall
 * back to AXFR where the error says so).
 *
 * Checked (NSD's and BIND's transfer advisories as the list): every
 * message a response (QR) to the request's ID, opcode QUERY, rcode
 * NOERROR; the first one's question the request's, the others' none or
 * the same; the first record and the last the zone's SOA (owner the
 * apex, the same record at both ends of an AXFR); a SOA elsewhere only
 * where IXFR puts one; every record of class IN, of a data type, at or
 * below the apex; the serial not going backwards (RFC 1982) from the
 * version held; an IXFR sequence starting at the serial the one before
 * ended at (the first at the version held), deleting only records that
 * are there; nothing after the final SOA; at most lim->max_records
 * records and lim->max_bytes octets of messages. */
#ifndef DNSD_XFRIN_H
#define DNSD_XFRIN_H

#include <dnsd/msg.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dnsd_xfrin_limits {
	size_t max_records;     /* 0: no limit */
	size_t max_bytes;       /* 0: no limit */
	dnsd_zone_limits sizes; /* of the new version's RRsets and names */
} dnsd_xfrin_limits;

enum {
	DNSD_XFRIN_UPTODATE = 1, /* the answer was the SOA alone: no newer
	                            version */
	DNSD_XFRIN_AXFR = 2,     /* a whole zone (an AXFR, or an IXFR
	                            answered in the AXFR form) */
	DNSD_XFRIN_IXFR = 3,     /* differences applied to the version held */
};

typedef struct dnsd_xfrin_result {
	int kind;         /* DNSD_XFRIN_* */
	dnsd_zone *zone;  /* the new version (one reference, the caller's);
	                     NULL when up to date */
	dnsd_zdiff *diff; /* the version held -> zone, for IXFR onward
	                     (owned); NULL for the AXFR kinds */
	uint32_t serial;  /* the primary's */
	size_t messages, records, bytes;
} dnsd_xfrin_result;

typedef struct dnsd_xfrin dnsd_xfrin;

/* A transfer of the zone origin, answer to a request of qtype
 * (DNSD_TYPE_AXFR or DNSD_TYPE_IXFR) with the given ID. cur is the
 * version held (its serial was the IXFR request's), NULL when none; it
 * must outlive the transfer. lim may be NULL. 0, DNSD_EINVAL or
 * DNSD_ENOMEM. */
int dnsd_xfrin_new(const uint8_t *origin, uint16_t qtype, uint16_t id,
                   const dnsd_zone *cur, const dnsd_xfrin_limits *lim,
                   dnsd_xfrin **out);

/* One more message of the answer, parsed (dnsd_msg_parse), len octets on
 * the wire. Returns DNSD_XFRIN_MORE when more are to come, 0 when the
 * transfer is complete (then dnsd_xfrin_finish), or an error with a
 * one-line reason in why: DNSD_ENOTSUP when the server answered an
 * rcode other than NOERROR (an IXFR request may be retried as AXFR),
 * DNSD_EINVAL when an IXFR answer does not apply to the version held (a
 * sequence from another serial, a deletion of what is not there, a SOA
 * alone but newer: retry as AXFR), DNSD_ETOOMANY past a limit,
 * DNSD_EMALFORM for anything else the checks refuse, DNSD_ENOMEM. After
 * an error the transfer is over (only dnsd_xfrin_free). */
#define DNSD_XFRIN_MORE 1
int dnsd_xfrin_feed(dnsd_xfrin *x, const dnsd_msg *m, size_t len, char *why,
                    size_t cap);

/* After feed returned 0: the new version (built: O(zone) for both
 * kinds). DNSD_EZONE when it fails the zone checks (why), DNSD_ETOOMANY
 * when an RRset or a name is past lim->sizes (why), DNSD_ENOMEM.
 * res is filled either way (zone NULL on an error). Once. */
int dnsd_xfrin_finish(dnsd_xfrin *x, dnsd_xfrin_result *res, char *why,
                      size_t cap);

/* NULL-safe. */
void dnsd_xfrin_free(dnsd_xfrin *x);

#endif
