/* Dynamic UPDATE (RFC 2136) as a client, on the main loop, for the
 * letsencrypt role: an UPDATE of prerequisites, deletions and additions
 * built here and sent TSIG-signed over TCP (xfrclient_exchange), its
 * rcode handed back; and waiting until a set of servers all serve a
 * record (a DNS-01 challenge reaching the primary and every NS before
 * the CA is told), by non-recursive queries, bounded in time. */
#ifndef DNSD_DAEMON_UPDCLIENT_H
#define DNSD_DAEMON_UPDCLIENT_H

#include <dnsd/keys.h>
#include <dnsd/name.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An UPDATE being built: the zone, then records in RFC 2136's sections.
 * Every function returns 0 or DNSD_ESPACE (64 KiB). */
struct upd_rr;
typedef struct upd_msg {
	uint8_t zone[DNSD_NAME_MAX];
	struct upd_rr *rr; /* prerequisites and updates, in the order given */
	size_t n, cap;
	size_t octets; /* of the message so far, uncompressed */
} upd_msg;

void upd_msg_init(upd_msg *m, const uint8_t *zone);
void upd_msg_free(upd_msg *m);
/* Prerequisite: the RRset is exactly these records (value-dependent
 * "RRset exists", RFC 2136 §2.4.2): call once per record of it. */
int upd_msg_prereq_rr(upd_msg *m, const uint8_t *owner, uint16_t type,
                      const uint8_t *rdata, uint16_t rdlen);
/* Update: add a record (class IN), delete one by value (class NONE). */
int upd_msg_add(upd_msg *m, const uint8_t *owner, uint16_t type, uint32_t ttl,
                const uint8_t *rdata, uint16_t rdlen);
int upd_msg_delete(upd_msg *m, const uint8_t *owner, uint16_t type,
                   const uint8_t *rdata, uint16_t rdlen);

/* rc 0 with the answer's rcode (NOERROR, REFUSED, NXRRSET...), or an
 * error (the connection, TSIG, a malformed answer) with why. */
typedef void (*upd_done_fn)(void *ctx, int rc, int rcode, const char *why);

typedef struct upd_send upd_send;
/* Sends m (its contents copied) to peer signed with key. 0 or an
 * error (fn is not called then). */
int upd_send_start(struct event_base *base, const struct sockaddr *peer,
                   socklen_t peerlen, const struct sockaddr *source,
                   socklen_t sourcelen, const dnsd_key *key, const upd_msg *m,
                   upd_done_fn fn, void *ctx, upd_send **out);
void upd_send_cancel(upd_send *u);

/* Waiting for a record: every target asked (TCP, RD clear) every
 * second for owner/type until its answer holds rdata. A target that
 * cannot be reached three times in a row is given up (logged) rather
 * than waited for; when every target answered with the record, or
 * after timeout seconds, fn runs with the count that did not serve it
 * (0: all did; the primary, target 0, failing counts as all). */
typedef struct upd_wait upd_wait;
typedef void (*upd_wait_fn)(void *ctx, unsigned missing);
int upd_wait_start(struct event_base *base, const struct sockaddr_storage *t,
                   const socklen_t *tlen, unsigned n, const uint8_t *owner,
                   uint16_t type, const uint8_t *rdata, uint16_t rdlen,
                   unsigned timeout, upd_wait_fn fn, void *ctx, upd_wait **out);
void upd_wait_cancel(upd_wait *w);

#endif
