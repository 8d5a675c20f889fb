/* Dynamic UPDATE (RFC 2136) as a pure step: (zone version, parsed UPDATE
 * message, limits) -> rcode and, when something changed, a new immutable
 * version with its difference from the old one. No I/O, no TSIG (the
 * caller checks the signature before and signs the answer after), no
 * zone lookup (the caller finds the version by the zone section's name).
 *
 * The steps, in RFC order, as BIND implements them:
 *   1. zone section (§3.1): ZOCOUNT 1, type SOA, class IN, else FORMERR;
 *      a name other than the version's origin: NOTAUTH;
 *   2. prerequisites (§3.2), every one against the old version: a TTL
 *      other than 0 or RDATA where none belongs: FORMERR; a name outside
 *      the zone: NOTZONE; class ANY: "RRset exists" (NXRRSET) or, type
 *      ANY, "name in use" (NXDOMAIN); class NONE: "RRset does not exist"
 *      (YXRRSET) or "name not in use" (YXDOMAIN); class IN: the RRset
 *      must be exactly the set of the given records (duplicates folded,
 *      RDATA compared canonically), checked after all the others
 *      (NXRRSET); any other class: FORMERR. An empty non-terminal is not
 *      in use;
 *   3. prescan of the updates (§3.4.1): NOTZONE or FORMERR before any
 *      update is applied;
 *   4. the updates (§3.4.2), in order, on a working copy. Ignored (a
 *      no-op, counted in `ignored`, the first one named in `reason`): a
 *      CNAME beside other data and other data beside a CNAME (RRSIG and
 *      NSEC may stand beside a CNAME, as in the zone checks); an SOA
 *      anywhere but the apex, or one whose serial is not greater
 *      (RFC 1982) than the current one; an NS at a wildcard name; a DS
 *      at the apex (the parent's data, RFC 4034 §5); the
 *      deletion of the apex SOA, of the apex NS RRset, or of the last
 *      apex NS record. Adding a record already present with the same
 *      TTL, or deleting what is not there, is a plain no-op. Adding an
 *      SOA, CNAME or DNAME replaces the record there; adding a record
 *      sets the TTL of its whole RRset to the record's TTL (a TTL with
 *      the top bit set is taken as 0, RFC 2181 §8). RDATA is
 *      compared canonically (names in any letter case) throughout.
 *      Deleting every RRset of the apex (class ANY, type ANY) keeps its
 *      SOA and NS;
 *   5. the serial: when the update changed anything (the end state
 *      differs from the old version: a record added then deleted is no
 *      change) and did not raise
 *      the SOA serial itself, the serial is raised by one (RFC 1982
 *      arithmetic; 0xffffffff goes to 1, skipping 0, as BIND's
 *      "increment" method). There is no date form;
 *   6. the limits, on the result: a zone, an RRset or a name that ends up
 *      past its limit and larger than it was: REFUSED (a zone loaded
 *      past a limit can still shrink);
 *   7. the new version (dnsd_zone_builder, fed every record: O(zone)) and
 *      its difference from the old one (dnsd_zdiff_compute).
 *
 * All or nothing: on any failure the old version is untouched (it is
 * never modified anyway) and no zone is returned. */
#ifndef DNSD_UPDATE_H
#define DNSD_UPDATE_H

#include <dnsd/msg.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dnsd_update_limits {
	size_t max_zone_records;  /* the zone may not grow past this (0: no
	                             limit) */
	size_t max_rrset_records; /* records per RRset (0: no limit) */
	size_t max_name_rrsets;   /* RRsets per name (0: no limit) */
} dnsd_update_limits;

typedef struct dnsd_update_result {
	int rcode;        /* DNSD_RCODE_* of msg.h: NOERROR, FORMERR, NOTAUTH,
	                     NOTZONE, YXDOMAIN, YXRRSET, NXDOMAIN, NXRRSET,
	                     REFUSED (a limit, or the new version failing the
	                     zone checks), SERVFAIL (out of memory) */
	char reason[160]; /* one line for the log: which prerequisite or
	                     update failed and why, naming the record (names
	                     escaped as dnsd_name_to_text writes them); never
	                     empty when rcode != 0; with NOERROR, the first
	                     ignored update or empty */
	dnsd_zone *zone;  /* the new version (one reference, the caller's),
	                     NULL when the update changed nothing (all no-ops)
	                     or failed */
	dnsd_zdiff *diff; /* zone - old, SOA excluded as in xfr.h (owned by
	                     the caller), NULL with zone NULL */
	uint32_t serial;  /* the new version's serial (the old one's when
	                     zone is NULL) */
	unsigned prereqs, updates; /* counts, for the log */
	unsigned ignored;          /* updates that were no-ops */
	bool changed;              /* NOERROR and the zone changed (zone set
	                              by dnsd_update_apply, not by a group) */
} dnsd_update_result;

/* Checks and applies one UPDATE, already parsed with dnsd_msg_parse (zone
 * section = qd, prerequisites = answer section, updates = authority
 * section; the additional section, OPT and TSIG included, is not read),
 * to version z of the zone named in its zone section. The caller found z
 * by that name and keeps its reference; z is only read. lim may be NULL
 * (no limits). The opcode is the caller's business.
 *
 * res is overwritten (call dnsd_update_result_clear before reusing one
 * that holds a zone). Returns 0 when the update was judged: res->rcode
 * says how (NOERROR or the failure); DNSD_ENOMEM when memory ran out
 * (res->rcode SERVFAIL, nothing applied); DNSD_EINVAL for NULL
 * arguments. */
int dnsd_update_apply(const dnsd_zone *z, const dnsd_msg *m,
                      const dnsd_update_limits *lim, dnsd_update_result *res);

/* A group: several UPDATEs of one zone applied one after the other to
 * one working copy of version z, the new version built once at the end
 * (one O(zone) build for the group instead of one per UPDATE). Each
 * message is judged exactly as dnsd_update_apply would judge it against
 * the version the messages before it made: its prerequisites, its
 * no-ops, whether it changed anything, its serial step and the limits
 * against that state, all or nothing. Only the zone checks of step 7 are
 * made once, on the result: when dnsd_update_group_finish fails with
 * DNSD_EZONE, some message made a version that fails them, and the
 * caller applies the messages one by one with dnsd_update_apply to find
 * it.
 *
 * The group keeps copies of what it needs of each message (the message
 * may be freed after dnsd_update_group_apply); z is only read and must
 * outlive the group. */
typedef struct dnsd_update_group dnsd_update_group;

/* 0, DNSD_ENOMEM or DNSD_EINVAL (z NULL). lim may be NULL. */
int dnsd_update_group_new(const dnsd_zone *z, const dnsd_update_limits *lim,
                          dnsd_update_group **out);

/* One more message. res as dnsd_update_apply fills it, except that zone
 * and diff stay NULL (res->changed says whether it changed the zone,
 * res->serial is the serial after it). Returns 0, or DNSD_ENOMEM (res
 * SERVFAIL; the group is spoilt: later messages get SERVFAIL too and
 * finish fails). */
int dnsd_update_group_apply(dnsd_update_group *g, const dnsd_msg *m,
                            dnsd_update_result *res);

/* The version after every message of the group, with its difference
 * from z; both NULL (and 0) when no message changed the zone. DNSD_EZONE
 * with a one-line reason in why (may be NULL) when that version fails the
 * zone checks or would be too large; DNSD_ENOMEM. Called once. */
int dnsd_update_group_finish(dnsd_update_group *g, dnsd_zone **zone,
                             dnsd_zdiff **diff, char *why, size_t cap);

/* The same difference dnsd_update_group_finish gives (record for
 * record, in the same order), made from the working copy without
 * building the new version: for a caller that builds that version some
 * other way (primary.c: from the zone file edited with it, checked
 * against it by dnsd_zoneedit_apply_known). NULL and 0 when nothing
 * changed; DNSD_ENOMEM; DNSD_EINVAL when the zone has no SOA. The zone
 * checks are not made. */
int dnsd_update_group_diff(dnsd_update_group *g, dnsd_zdiff **diff);

/* NULL-safe. */
void dnsd_update_group_free(dnsd_update_group *g);

/* Drops res->zone and res->diff (references held by the result) and sets
 * them to NULL. NULL-safe. */
void dnsd_update_result_clear(dnsd_update_result *res);

/* The zone section check alone, for the dispatcher before a zone is
 * looked up: ZOCOUNT 1, type SOA, class IN. Returns 0 and sets *rcode to
 * NOERROR when fine; DNSD_EMALFORM with *rcode FORMERR otherwise. */
int dnsd_update_zone_section(const dnsd_msg *m, int *rcode);

#endif
