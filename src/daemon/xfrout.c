/* Transfers out (xfrout.h).
 *
 * Choices where the RFCs leave room:
 * - AXFR over UDP is FORMERR, as BIND answers it (RFC 5936 §4.2 allows
 *   only TCP).
 * - A zone not served here, or of a class other than IN: NOTAUTH, as
 *   BIND answers a transfer of a zone it is not authoritative for.
 * - Refused access (no key, a key without transfer rights for the zone,
 *   an address not in allow-transfer), more than transfers-max at once
 *   and more than transfers-max-per-peer to one address: REFUSED, signed
 *   when the request was. (A transfer over UDP is one datagram and
 *   counts for neither.)
 * - IXFR without the client's SOA in the authority section: FORMERR
 *   (RFC 1995 §3 requires it).
 * - IXFR from a serial the history does not reach, or whose difference
 *   is not smaller than the zone: the zone in AXFR form (RFC 1995 §4).
 *   Over UDP then, and whenever the difference does not fit in one
 *   datagram: the SOA alone, which makes the client retry over TCP.
 * - The difference sequences are those of the history, one per serial
 *   step (each step a condensed delete and add sequence). */
#include "xfrout.h"
#include "ixfr.h"
#include "log.h"
#include "role.h"
#include "xfrpeers.h"
#include <netinet/in.h>

#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XFROUT_CHAIN_MAX 1024 /* serial steps in one IXFR answer */

struct xfrout_stream {
	dnsd_stream st; /* first: what the listener sees */
	dnsd_server *s;
	dnsd_xfr *x;
	dnsd_zone *zone; /* referenced */
	dnsd_ixfr_step **steps;
	size_t nsteps;
	const char *what; /* "AXFR out", "IXFR out" */
	uint16_t qtype;   /* AXFR, IXFR */
	char zone_text[DNSD_NAME_TEXT_MAX];
	char peer[64];
	char key[DNSD_NAME_TEXT_MAX];
	struct timespec t0;
	struct sockaddr_storage peer_sa; /* counted in xfrpeers */
	bool counted;
};

static double xfrout_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int xfrout_next(dnsd_stream *st, uint8_t *buf, size_t cap,
                       size_t reserve)
{
	struct xfrout_stream *xs = (struct xfrout_stream *)st;
	return dnsd_xfr_next(xs->x, buf, cap, reserve);
}

static void xfrout_release(struct xfrout_stream *xs)
{
	dnsd_xfr_free(xs->x);
	for (size_t i = 0; i < xs->nsteps; i++)
		dnsd_ixfr_step_unref(xs->steps[i]);
	free(xs->steps);
	if (xs->zone)
		dnsd_zone_unref(xs->zone);
	if (xs->st.tsig) {
		dnsd_tsig_ctx_clear(xs->st.tsig);
		free(xs->st.tsig);
	}
	atomic_fetch_sub(&xs->s->transfers, 1);
	if (xs->counted)
		xfrpeers_end((const struct sockaddr *)&xs->peer_sa);
	free(xs);
}

/* One outgoing transfer of the type of qtype into the calling thread's
 * counters (metrics.h). */
static void xfrout_count(uint16_t qtype, unsigned result)
{
	unsigned kind = qtype == DNSD_TYPE_IXFR ? DNSD_MX_IXFR : DNSD_MX_AXFR;
	dnsd_count(DNSD_MX_XFR_OUT + kind * DNSD_MX_NXOUT + result);
}

static void xfrout_done(dnsd_stream *st, bool completed)
{
	struct xfrout_stream *xs = (struct xfrout_stream *)st;

	xfrout_count(xs->qtype,
	             completed ? DNSD_MX_XOUT_DONE : DNSD_MX_XOUT_CUT);
	if (completed)
		log_info("%s zone %s to %s%s%s: done, serial %u, %zu "
		         "messages, %zu records, %.3f s",
		         xs->what, xs->zone_text, xs->peer,
		         xs->key[0] ? " key " : "", xs->key,
		         dnsd_zone_serial(xs->zone), dnsd_xfr_messages(xs->x),
		         dnsd_xfr_records(xs->x), xfrout_since(&xs->t0));
	else
		log_warnx("%s zone %s to %s%s%s: cut short after %zu "
		          "messages (the client left or stopped reading)",
		          xs->what, xs->zone_text, xs->peer,
		          xs->key[0] ? " key " : "", xs->key,
		          dnsd_xfr_messages(xs->x));
	xfrout_release(xs);
}

/* The response of an error rcode, signed by the dispatcher. */
static size_t xfrout_error(dnsd_worker *w, dnsd_request *r, int rcode,
                           uint8_t *out, size_t cap)
{
	dnsd_answer_opts o = w->server->answer_opts;
	o.tcp = r->tcp;
	xfrout_count(r->q.qtype, DNSD_MX_XOUT_REFUSED);
	return dnsd_answer_error(&r->q, r->perr, rcode, &o, out, cap);
}

/* Why the request may not transfer zone origin, or NULL when it may. */
static const char *xfrout_denied(dnsd_server *s, const dnsd_request *r,
                                 const uint8_t *origin)
{
	if (r->tsig != NULL)
		return dnsd_key_allows(r->tsig->key.name, DNSD_KEY_OP_TRANSFER,
		                       origin)
		           ? NULL
		           : "the key may not transfer this zone";
	pthread_rwlock_rdlock(&s->cfg_lock);
	bool ok = dnsd_prefix_match(s->cfg->allow_transfer,
	                            s->cfg->nallow_transfer, r->peer);
	pthread_rwlock_unlock(&s->cfg_lock);
	return ok ? NULL
	          : "not signed, and the address is not in allow-transfer";
}

/* The client's serial from the SOA of an IXFR's authority section. */
static bool xfrout_client_serial(dnsd_request *r, const uint8_t *origin,
                                 uint32_t *serial)
{
	dnsd_msg m;
	if (dnsd_msg_parse(r->pkt, r->len, &r->worker->scratch, &m) < 0)
		return false;
	for (unsigned i = 0; i < m.count[DNSD_SEC_AUTHORITY]; i++) {
		const dnsd_rr *rr = &m.sec[DNSD_SEC_AUTHORITY][i];
		if (rr->type == DNSD_TYPE_SOA &&
		    dnsd_name_equal(rr->owner, origin) &&
		    dnsd_soa_fields(rr->rdata, rr->rdlen, serial, NULL, NULL,
		                    NULL, NULL) == 0)
			return true;
	}
	return false;
}

/* A stream for zone z (referenced, taken over) and the steps (taken
 * over); the request's TSIG copied. NULL when out of memory (then
 * everything given is released). */
static struct xfrout_stream *
xfrout_stream_new(dnsd_server *s, const dnsd_query *q,
                  const struct sockaddr *peer, dnsd_tsig_ctx *tsig,
                  dnsd_zone *z, int kind, dnsd_ixfr_step **steps, size_t n)
{
	struct xfrout_stream *xs = calloc(1, sizeof(*xs));
	dnsd_zdiff *diffs[XFROUT_CHAIN_MAX];

	for (size_t i = 0; i < n; i++)
		diffs[i] = (dnsd_zdiff *)dnsd_ixfr_step_diff(steps[i]);
	atomic_fetch_add(&s->transfers, 1);
	if (xs == NULL)
		goto fail;
	xs->s = s;
	xs->zone = z;
	xs->steps = steps;
	xs->nsteps = n;
	xs->what = q->qtype == DNSD_TYPE_IXFR ? "IXFR out" : "AXFR out";
	xs->qtype = q->qtype;
	log_zone(dnsd_zone_origin(z), xs->zone_text, sizeof(xs->zone_text));
	log_peer(peer, xs->peer, sizeof(xs->peer));
	if (peer->sa_family == AF_INET || peer->sa_family == AF_INET6) {
		memcpy(&xs->peer_sa, peer,
		       peer->sa_family == AF_INET
		           ? sizeof(struct sockaddr_in)
		           : sizeof(struct sockaddr_in6));
		xs->counted = xfrpeers_start(peer);
	}
	if (tsig != NULL)
		log_name(tsig->key.name, xs->key, sizeof(xs->key));
	clock_gettime(CLOCK_MONOTONIC, &xs->t0);
	xs->st.next = xfrout_next;
	xs->st.done = xfrout_done;
	if (tsig != NULL) {
		if ((xs->st.tsig = malloc(sizeof(*tsig))) == NULL)
			goto fail_xs;
		*xs->st.tsig = *tsig;
		tsig->run = NULL; /* the copy owns it */
	}
	if (dnsd_xfr_new(&xs->x, kind, z, diffs, n, q->hdr.id, q->qname,
	                 q->qtype, q->qclass) < 0)
		goto fail_xs;
	return xs;
fail_xs:
	xfrout_release(xs);
	return NULL;
fail:
	atomic_fetch_sub(&s->transfers, 1);
	for (size_t i = 0; i < n; i++)
		dnsd_ixfr_step_unref(steps[i]);
	free(steps);
	dnsd_zone_unref(z);
	return NULL;
}

static void xfrout_log_start(const struct xfrout_stream *xs, const char *how)
{
	log_info("%s zone %s to %s%s%s: %s", xs->what, xs->zone_text, xs->peer,
	         xs->key[0] ? " key " : "", xs->key, how);
}

/* Whether the chain is worth sending: its records fewer octets than the
 * zone's (RFC 1995 §4: else the AXFR form). */
static bool xfrout_chain_smaller(const dnsd_zone *z, dnsd_ixfr_step **steps,
                                 size_t n)
{
	size_t size = 0;
	for (size_t i = 0; i < n; i++)
		size += dnsd_zdiff_wire_size(dnsd_ixfr_step_diff(steps[i]));
	/* every record takes 11 octets at least: most chains are smaller
	 * than that bound, and the zone is never walked for them */
	if (size < 11 * dnsd_zone_record_count(z))
		return true;
	return size < dnsd_xfr_zone_wire_size(z);
}

/* The IXFR history for z from `from`: *steps filled (referenced) and n
 * returned, 0 when it does not reach (or is not smaller). */
static size_t xfrout_history(dnsd_server *s, const dnsd_zone *z, uint32_t from,
                             dnsd_ixfr_step ***steps)
{
	size_t n = 0;

	*steps = NULL;
	if (s->ixfr == NULL)
		return 0;
	dnsd_ixfr_step **a = calloc(XFROUT_CHAIN_MAX, sizeof(*a));
	if (a == NULL)
		return 0;
	if (dnsd_ixfr_chain(s->ixfr, dnsd_zone_origin(z), from,
	                    dnsd_zone_serial(z), a, XFROUT_CHAIN_MAX, &n) < 0 ||
	    !xfrout_chain_smaller(z, a, n)) {
		for (size_t i = 0; i < n; i++)
			dnsd_ixfr_step_unref(a[i]);
		free(a);
		return 0;
	}
	*steps = a;
	return n;
}

/* The answer of kind for z written into out when it is one message:
 * its length, or 0 when it takes more (or cannot be made). */
static size_t xfrout_one_message(const dnsd_request *r, const dnsd_zone *z,
                                 int kind, dnsd_ixfr_step **steps, size_t n,
                                 uint8_t *out, size_t cap)
{
	dnsd_zdiff *diffs[XFROUT_CHAIN_MAX];
	dnsd_xfr *x;
	int len = 0;

	for (size_t i = 0; i < n; i++)
		diffs[i] = (dnsd_zdiff *)dnsd_ixfr_step_diff(steps[i]);
	if (dnsd_xfr_new(&x, kind, z, diffs, n, r->q.hdr.id, r->q.qname,
	                 r->q.qtype, r->q.qclass) < 0)
		return 0;
	len = dnsd_xfr_next(x, out, cap, 0);
	/* a second message means it does not fit */
	uint8_t probe[512];
	if (len > 0 && dnsd_xfr_next(x, probe, sizeof(probe), 0) != 0)
		len = 0;
	dnsd_xfr_free(x);
	return len > 0 ? (size_t)len : 0;
}

/* IXFR over UDP: the difference when it fits one datagram, else the SOA
 * (RFC 1995 §2); the dispatcher signs it. Releases z and the steps. */
static size_t xfrout_udp(dnsd_worker *w, dnsd_request *r, dnsd_zone *z,
                         int kind, dnsd_ixfr_step **steps, size_t n,
                         uint8_t *out, size_t cap)
{
	char zone[DNSD_NAME_TEXT_MAX], peer[64];
	size_t len = 0;
	const char *how = "over UDP, client current, SOA only";

	if (kind == DNSD_XFR_IXFR) {
		len = xfrout_one_message(r, z, kind, steps, n, out, cap);
		how = len ? "over UDP, incremental"
		          : "over UDP, too large, SOA only";
	} else if (kind == DNSD_XFR_AXFR) {
		how = "over UDP, not in the history, SOA only";
	}
	if (len == 0)
		len = xfrout_one_message(r, z, DNSD_XFR_SOA_ONLY, NULL, 0, out,
		                         cap);
	log_info("IXFR out zone %s to %s: %s",
	         log_zone(dnsd_zone_origin(z), zone, sizeof(zone)),
	         log_peer(r->peer, peer, sizeof(peer)), how);
	for (size_t i = 0; i < n; i++)
		dnsd_ixfr_step_unref(steps[i]);
	free(steps);
	dnsd_zone_unref(z);
	if (len)
		xfrout_count(r->q.qtype, DNSD_MX_XOUT_DONE);
	return len ? len : xfrout_error(w, r, DNSD_RCODE_SERVFAIL, out, cap);
}

size_t dnsd_xfrout_request(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                           size_t cap)
{
	dnsd_server *s = w->server;
	char zone[DNSD_NAME_TEXT_MAX], peer[64], key[DNSD_NAME_TEXT_MAX] = "";
	const char *what =
	    r->q.qtype == DNSD_TYPE_IXFR ? "IXFR out" : "AXFR out";
	bool ixfr = r->q.qtype == DNSD_TYPE_IXFR;

	log_zone(r->q.qname, zone, sizeof(zone));
	log_peer(r->peer, peer, sizeof(peer));
	if (r->tsig != NULL)
		log_name(r->tsig->key.name, key, sizeof(key));
	if (!r->tcp && !ixfr) {
		log_info("%s zone %s to %s: over UDP, FORMERR", what, zone,
		         peer);
		return xfrout_error(w, r, DNSD_RCODE_FORMERR, out, cap);
	}
	const dnsd_zone *cz =
	    r->db ? dnsd_zonedb_find(r->db, r->q.qname) : NULL;
	if (cz == NULL || r->q.qclass != DNSD_CLASS_IN ||
	    !dnsd_name_equal(dnsd_zone_origin(cz), r->q.qname)) {
		log_info("%s zone %s to %s%s%s: not a zone of ours, NOTAUTH",
		         what, zone, peer, key[0] ? " key " : "", key);
		return xfrout_error(w, r, DNSD_RCODE_NOTAUTH, out, cap);
	}
	if (dnsd_zone_servfail(cz)) {
		log_info("%s zone %s to %s: not loaded or expired, SERVFAIL",
		         what, zone, peer);
		return xfrout_error(w, r, DNSD_RCODE_SERVFAIL, out, cap);
	}
	const char *why = xfrout_denied(s, r, dnsd_zone_origin(cz));
	if (why != NULL) {
		log_warnx("%s zone %s to %s%s%s: %s, REFUSED", what, zone, peer,
		          key[0] ? " key " : "", key, why);
		return xfrout_error(w, r, DNSD_RCODE_REFUSED, out, cap);
	}
	uint32_t from = 0;
	if (ixfr && !xfrout_client_serial(r, dnsd_zone_origin(cz), &from)) {
		log_info("%s zone %s to %s: no SOA in the authority section, "
		         "FORMERR",
		         what, zone, peer);
		return xfrout_error(w, r, DNSD_RCODE_FORMERR, out, cap);
	}
	unsigned max, per_peer;
	pthread_rwlock_rdlock(&s->cfg_lock);
	max = s->cfg->transfers_max;
	per_peer = s->cfg->transfers_max_per_peer;
	pthread_rwlock_unlock(&s->cfg_lock);
	if (atomic_load(&s->transfers) >= max) {
		log_warnx("%s zone %s to %s%s%s: %u transfers running "
		          "(transfers-max), REFUSED",
		          what, zone, peer, key[0] ? " key " : "", key, max);
		return xfrout_error(w, r, DNSD_RCODE_REFUSED, out, cap);
	}
	if (per_peer != 0 && r->tcp && xfrpeers_running(r->peer) >= per_peer) {
		log_warnx("%s zone %s to %s%s%s: %u transfers running to this "
		          "address (transfers-max-per-peer), REFUSED",
		          what, zone, peer, key[0] ? " key " : "", key,
		          per_peer);
		return xfrout_error(w, r, DNSD_RCODE_REFUSED, out, cap);
	}

	dnsd_zone *z = (dnsd_zone *)cz;
	dnsd_zone_ref(z);
	int kind = DNSD_XFR_AXFR;
	dnsd_ixfr_step **steps = NULL;
	size_t n = 0;
	const char *how = "AXFR";
	if (ixfr && !dnsd_serial_gt(dnsd_zone_serial(z), from)) {
		kind = DNSD_XFR_SOA_ONLY;
		how = "client current, SOA only";
	} else if (ixfr) {
		n = xfrout_history(s, z, from, &steps);
		if (n > 0) {
			kind = DNSD_XFR_IXFR;
			how = "incremental";
		} else if (r->tcp && s->role->on_ixfr != NULL) {
			/* the role looks further back (git history) on the
			 * main loop and resumes the answer */
			dnsd_deferred *d = dnsd_request_defer(r);
			if (d == NULL) {
				dnsd_zone_unref(z);
				return xfrout_error(w, r, DNSD_RCODE_SERVFAIL,
				                    out, cap);
			}
			log_info("%s zone %s to %s%s%s: serial %u not in the "
			         "recent history, looking further",
			         what, zone, peer, key[0] ? " key " : "", key,
			         from);
			s->role->on_ixfr(s, s->role_state, d, z, from);
			return 0;
		} else {
			how = "serial not in the history, AXFR form";
		}
	}
	if (!r->tcp)
		return xfrout_udp(w, r, z, kind, steps, n, out, cap);
	struct xfrout_stream *xs =
	    xfrout_stream_new(s, &r->q, r->peer, r->tsig, z, kind, steps, n);
	if (xs == NULL)
		return xfrout_error(w, r, DNSD_RCODE_SERVFAIL, out, cap);
	xfrout_log_start(xs, how);
	dnsd_request_stream(r, &xs->st);
	return 0;
}

void dnsd_xfrout_resume(dnsd_deferred *d, dnsd_zone *z,
                        struct dnsd_ixfr_step **steps, size_t n)
{
	int kind = n > 0 ? DNSD_XFR_IXFR : DNSD_XFR_AXFR;
	dnsd_ixfr_step **a = NULL;

	if (n > 0) {
		a = calloc(n, sizeof(*a));
		if (a == NULL) {
			for (size_t i = 0; i < n; i++)
				dnsd_ixfr_step_unref(steps[i]);
			n = 0;
			kind = DNSD_XFR_AXFR;
		} else {
			memcpy(a, steps, n * sizeof(*a));
		}
	}
	struct xfrout_stream *xs =
	    xfrout_stream_new(d->s, &d->q, (const struct sockaddr *)&d->peer,
	                      d->tsig, z, kind, a, n);
	if (xs == NULL) {
		dnsd_deferred_free(d);
		return;
	}
	xfrout_log_start(xs, n > 0 ? "incremental (from the git history)"
	                           : "serial not in the history, AXFR form");
	dnsd_deferred_stream(d, &xs->st);
}
