/* Response rate limiting (RRL), as NSD and Knot offer it: UDP responses
 * to one client prefix (a /24 for IPv4, a /56 for IPv6 by default) of one
 * kind go out at most `rate` a second; past it every slip-th is sent
 * truncated (TC=1, no records, so a real client retries over TCP) and the
 * others are dropped. A spoofed-source flood then reflects little, and a
 * real client behind the prefix still gets through over TCP.
 *
 * A bucket is keyed by the client prefix and the class of the response:
 *   ANSWER    NOERROR with records: the query name and type
 *   NODATA    NOERROR, authoritative, no records: the query name
 *   NXDOMAIN  every name that does not exist in one zone shares one
 *             bucket: the owner of the SOA in authority (the zone)
 *   REFERRAL  the delegation point (the owner of the NS in authority)
 *   ERROR     FORMERR, SERVFAIL, REFUSED, ...: the rcode alone
 * Responses of an opcode other than QUERY are never limited.
 *
 * Each bucket is a token bucket holding at most one second of tokens
 * (`rate`), refilled at `rate` a second. A table is a fixed array of
 * buckets allocated once (dnsd_rrl_new), 16 octets each; looking up a
 * key probes the DNSD_RRL_PROBE buckets of one cache line and, when none
 * holds the key, takes the one used least recently (a full bucket for
 * the new key). Keys are a seeded 64-bit hash (the index from its lower
 * bits, a 32-bit tag kept from the upper half), so a client cannot aim
 * collisions without the seed; two keys that share a line and a tag
 * share a bucket.
 *
 * A table belongs to one thread: no locks, no atomics, no allocation
 * after dnsd_rrl_new. Time comes in from the caller (milliseconds of a
 * monotonic clock), which is what lets tests run on a fake clock. */
#ifndef DNSD_RRL_H
#define DNSD_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSD_RRL_PROBE    4       /* buckets looked at for one key */
#define DNSD_RRL_RATE_MAX 1000000 /* responses a second, at most */

typedef struct dnsd_rrl_opts {
	unsigned rate;        /* responses a second per bucket,
	                         1..DNSD_RRL_RATE_MAX */
	unsigned slip;        /* 0: drop all; 1: truncate all; N: every Nth */
	unsigned ipv4_prefix; /* bits of the client address kept, 0..32 */
	unsigned ipv6_prefix; /* 0..128 */
	size_t table_size;    /* buckets, rounded up to a power of two */
	uint64_t seed;        /* of the key hash; random in the daemon */
} dnsd_rrl_opts;

typedef enum dnsd_rrl_class {
	DNSD_RRL_ANSWER,
	DNSD_RRL_NODATA,
	DNSD_RRL_NXDOMAIN,
	DNSD_RRL_REFERRAL,
	DNSD_RRL_ERROR,
} dnsd_rrl_class;

typedef enum dnsd_rrl_action {
	DNSD_RRL_PASS, /* send as is */
	DNSD_RRL_SLIP, /* send truncated */
	DNSD_RRL_DROP, /* send nothing */
} dnsd_rrl_action;

/* What a response is rate-limited as, besides the client prefix. */
typedef struct dnsd_rrl_key {
	dnsd_rrl_class cls;
	const uint8_t *name; /* wire form, any case; NULL for ERROR */
	uint16_t type;       /* qtype for ANSWER, rcode for ERROR, else 0 */
} dnsd_rrl_key;

typedef struct dnsd_rrl_stats {
	uint64_t passed, slipped, dropped;
} dnsd_rrl_stats;

typedef struct dnsd_rrl dnsd_rrl;

/* A table for o (copied). DNSD_EINVAL for a rate out of range or a
 * prefix out of range, DNSD_ENOMEM. */
int dnsd_rrl_new(const dnsd_rrl_opts *o, dnsd_rrl **out);
void dnsd_rrl_free(dnsd_rrl *t);

/* Accounts one response of key k to the client at peer (AF_INET or
 * AF_INET6; any other family passes) at now_ms and says what to do. */
dnsd_rrl_action dnsd_rrl_account(dnsd_rrl *t, const struct sockaddr *peer,
                                 const dnsd_rrl_key *k, uint64_t now_ms);

/* Classifies a rendered UDP response resp[0..len) (dnsd_rrl_classify),
 * accounts it and applies the verdict in place: returns len to send it
 * as is, the length of its truncated form (header with TC set and the
 * question, no records), or 0 to drop it. A response it cannot read
 * passes. */
size_t dnsd_rrl_response(dnsd_rrl *t, const struct sockaddr *peer,
                         uint8_t *resp, size_t len, uint64_t now_ms);

/* The key of response resp[0..len): k->name points into resp (the
 * question's name) or to name (which must hold DNSD_NAME_MAX octets: the
 * owner of the first authority record, uncompressed); *question_end
 * receives the offset just past the question. false when the response is not
 * one to limit (not a QUERY response, unreadable). */
bool dnsd_rrl_classify(const uint8_t *resp, size_t len, dnsd_rrl_key *k,
                       uint8_t *name, size_t *question_end);

/* Counts since dnsd_rrl_new. */
void dnsd_rrl_stats_get(const dnsd_rrl *t, dnsd_rrl_stats *st);

#endif
