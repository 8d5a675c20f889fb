/* The dispatcher: one request in, one response (or silence) out, on a
 * worker thread. Parse once, drop what must not be answered, then hand the
 * request to the row of its opcode. Nothing here allocates or blocks; the
 * worker's scratch arena is reset after every request. */
#include "log.h"
#include "net.h"
#include "notifyout.h"
#include "role.h"
#include "server.h"
#include "xfrout.h"
#include <dnsd/answer.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>
#include <dnsd/wire.h>
#include <string.h>
#include <time.h>

typedef size_t (*dispatch_fn)(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                              size_t cap);

static dnsd_answer_opts dispatch_opts(const dnsd_worker *w, bool tcp)
{
	dnsd_answer_opts o = w->server->answer_opts;
	o.tcp = tcp;
	return o;
}

static size_t dispatch_error(dnsd_worker *w, dnsd_request *r, int rcode,
                             uint8_t *out, size_t cap)
{
	dnsd_answer_opts o = dispatch_opts(w, r->tcp);
	return dnsd_answer_error(&r->q, r->perr, rcode, &o, out, cap);
}

static bool dispatch_is_transfer(const dnsd_request *r)
{
	return r->perr == 0 && r->q.hdr.qdcount == 1 &&
	       (r->q.qtype == DNSD_TYPE_AXFR || r->q.qtype == DNSD_TYPE_IXFR);
}

static size_t dispatch_query(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                             size_t cap)
{
	if (w->server->role->hidden)
		return dispatch_error(w, r, DNSD_RCODE_REFUSED, out, cap);
	if (dispatch_is_transfer(r))
		return dnsd_xfrout_request(w, r, out, cap);
	/* A signed SOA query with a transfer key: a (hidden) secondary to
	 * NOTIFY from now on. Unsigned queries never come here. */
	if (r->tsig != NULL && r->q.qtype == DNSD_TYPE_SOA)
		dnsd_notifier_soa_query(w->server->notifier, r->peer,
		                        r->tsig->key.name, r->q.qname);

	/* Everything else, malformed requests included (FORMERR, BADVERS),
	 * is the answer engine's to judge. */
	dnsd_answer_opts o = dispatch_opts(w, r->tcp);
	size_t len = 0;
	if (dnsd_answer(r->db, &r->q, r->perr, r->pkt, &o, out, cap, &len) ==
	    DNSD_VERDICT_DROP)
		return 0;
	return len;
}

typedef size_t (*dispatch_role_fn)(dnsd_server *s, void *state, dnsd_request *r,
                                   uint8_t *out, size_t cap);

/* NOTIFY and UPDATE: the role's callback when it has one, else `absent`
 * (the rcode for a role that does not take this opcode). */
static size_t dispatch_role(dnsd_worker *w, dnsd_request *r,
                            dispatch_role_fn fn, int absent, uint8_t *out,
                            size_t cap)
{
	if (!fn)
		return dispatch_error(w, r, absent, out, cap);
	/* A role only ever sees requests that parsed. */
	if (r->perr < 0)
		return dispatch_error(w, r, DNSD_RCODE_FORMERR, out, cap);
	return fn(w->server, w->server->role_state, r, out, cap);
}

static size_t dispatch_notify(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                              size_t cap)
{
	const dnsd_role *role = w->server->role;
	return dispatch_role(w, r, role ? role->on_notify : NULL,
	                     DNSD_RCODE_NOTIMP, out, cap);
}

static size_t dispatch_update(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                              size_t cap)
{
	const dnsd_role *role = w->server->role;
	return dispatch_role(w, r, role ? role->on_update : NULL,
	                     DNSD_RCODE_REFUSED, out, cap);
}

static size_t dispatch_notimp(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                              size_t cap)
{
	return dispatch_error(w, r, DNSD_RCODE_NOTIMP, out, cap);
}

/* What a response may fill when reserve octets must stay free for its
 * TSIG. Over UDP that is inside the size the client can take, which the
 * answer engine works out the same way (512, or the EDNS size capped by
 * ours): a signed answer that does not fit is truncated, never sent
 * without its signature (RFC 8945 §5.3). */
static size_t dispatch_room(const dnsd_worker *w, const dnsd_request *r,
                            size_t cap, size_t reserve)
{
	size_t limit = 65535;
	if (!r->tcp) {
		size_t ours = w->server->answer_opts.edns_payload
		                  ? w->server->answer_opts.edns_payload
		                  : DNSD_EDNS_DEFAULT_PAYLOAD;
		limit = 512;
		if (r->q.edns.present && r->q.edns.payload > limit)
			limit =
			    r->q.edns.payload < ours ? r->q.edns.payload : ours;
	}
	if (limit > cap)
		limit = cap;
	return limit > reserve ? limit - reserve : 0;
}

/* Signs (or, after BADKEY/BADSIG, marks unsigned) the response of n
 * octets in out; the new length, 0 to send nothing rather than an
 * answer without its TSIG. */
static size_t dispatch_sign(dnsd_tsig_ctx *tc, uint8_t *out, size_t n,
                            size_t cap)
{
	if (n == 0)
		return 0;
	int s = dnsd_tsig_sign_response(tc, out, n, cap, (uint64_t)time(NULL));
	return s > 0 ? (size_t)s : 0;
}

/* Failed TSIG verifications logged per second and worker: anyone can
 * send bad signatures as fast as the network allows, and the log must
 * not grow with them. */
#define DISPATCH_TSIG_LOG_PER_SEC 10

/* Whether worker w may log one more failed TSIG now. The first line
 * after lines were left out says how many. */
static bool dispatch_tsig_log_ok(dnsd_worker *w)
{
	int64_t now = (int64_t)time(NULL);
	if (now != w->tsig_log_sec) {
		w->tsig_log_sec = now;
		w->tsig_log_lines = 0;
	}
	if (w->tsig_log_lines >= DISPATCH_TSIG_LOG_PER_SEC) {
		w->tsig_log_dropped++;
		return false;
	}
	w->tsig_log_lines++;
	if (w->tsig_log_dropped) {
		log_info("TSIG: %lu failed verifications not logged (at most "
		         "%d a second)",
		         w->tsig_log_dropped, DISPATCH_TSIG_LOG_PER_SEC);
		w->tsig_log_dropped = 0;
	}
	return true;
}

/* RFC 8945 §5.2 for a request that parsed and carries a TSIG (one that
 * did not parse is FORMERR whatever it carries), before any row sees
 * it: key, MAC, time, replay (not for QUERY). True when the request goes on
 * (verified, r->tsig set); false with the error answer's length in *n: FORMERR
 * unsigned, or NOTAUTH with the TSIG error (BADKEY and BADSIG unsigned, BADTIME
 * and BADTRUNC signed), or 0 (no answer) for a replay over UDP. */
static bool dispatch_tsig(dnsd_worker *w, dnsd_request *r, dnsd_tsig_ctx *tc,
                          uint8_t *out, size_t cap, size_t *n)
{
	/* The replay memory guards what a request makes happen (NOTIFY,
	 * UPDATE). A QUERY changes nothing, and clients send the very same
	 * signed query again: kdig over TCP after a truncated UDP answer,
	 * any client after a lost one. */
	unsigned flags = DNSD_OPCODE(r->q.hdr.flags) == DNSD_OPCODE_QUERY
	                     ? DNSD_TSIG_NO_REPLAY
	                     : 0;
	int v = dnsd_tsig_verify_request(tc, w->server->keys, r->pkt, r->len,
	                                 r->q.tsig_offset, (uint64_t)time(NULL),
	                                 flags);
	if (v == 0) {
		r->tsig = tc;
		return true;
	}
	char peer[64], key[DNSD_NAME_TEXT_MAX];
	bool log = dispatch_tsig_log_ok(w);
	/* The same signed octets again over UDP are a client's
	 * retransmission far more often than an attack: nsupdate sends its
	 * UPDATE again after 3 s, BIND its NOTIFY, while the first one's
	 * answer waits for the commit or was lost. BADTIME would reach
	 * such a client before that answer and tell it the UPDATE failed
	 * when it is being applied. So it is not done again, and gets the
	 * first one's rcode if that was answered, else no answer (the
	 * first one's is on its way). Over TCP there is no retransmission,
	 * and a replay is BADTIME. */
	if (tc->replayed && !r->tcp) {
		int rc = tc->replay_outcome;
		if (log)
			log_info("TSIG from %s key %s: the same request again "
			         "(a retransmission?), not taken again; %s%s",
			         log_peer(r->peer, peer, sizeof(peer)),
			         log_name(tc->req_key, key, sizeof(key)),
			         rc < 0 ? "its answer is still to come"
			                : "answered as the first one, ",
			         rc < 0 ? ""
			                : dnsd_tsig_error_name((uint16_t)rc));
		*n = 0;
		if (rc >= 0) {
			tc->error = 0; /* a plain signed answer */
			size_t room =
			    dispatch_room(w, r, cap, dnsd_tsig_reserve(tc));
			*n = dispatch_sign(
			    tc, out,
			    dnsd_request_answer(w->server, r, rc, out, room),
			    cap);
		}
		return false;
	}
	if (tc->rcode == DNSD_RCODE_FORMERR) {
		if (log)
			log_info("TSIG from %s: malformed, FORMERR",
			         log_peer(r->peer, peer, sizeof(peer)));
		*n = dispatch_error(w, r, DNSD_RCODE_FORMERR, out, cap);
		return false;
	}
	if (log)
		log_info("TSIG from %s key %s: %s",
		         log_peer(r->peer, peer, sizeof(peer)),
		         log_name(tc->req_key, key, sizeof(key)),
		         dnsd_tsig_error_name(tc->error));
	size_t room = dispatch_room(w, r, cap, dnsd_tsig_reserve(tc));
	*n = dispatch_sign(
	    tc, out, dispatch_error(w, r, DNSD_RCODE_NOTAUTH, out, room), cap);
	return false;
}

/* The request and its response (n octets in out, 0: none) into the
 * worker's counters (metrics.h). */
static void dispatch_count(dnsd_worker *w, const dnsd_request *r,
                           const uint8_t *out, size_t n)
{
	dnsd_wire c;
	dnsd_wire_init_read(&c, out, n);
	dnsd_wire_skip(&c, 2);
	uint16_t flags = dnsd_wire_u16(&c); /* 0 when n == 0 */
	dnsd_counters_response(
	    &w->counters, r->tcp, r->peer && r->peer->sa_family == AF_INET6,
	    DNSD_OPCODE(r->q.hdr.flags), r->q.qtype, flags, n);
}

/* One row per opcode; an empty row is NOTIMP (IQUERY, STATUS, the
 * unassigned ones). */
static const dispatch_fn dispatch_table[16] = {
    [DNSD_OPCODE_QUERY] = dispatch_query,
    [DNSD_OPCODE_NOTIFY] = dispatch_notify,
    [DNSD_OPCODE_UPDATE] = dispatch_update,
};

size_t dnsd_dispatch(dnsd_worker *w, const uint8_t *pkt, size_t len,
                     const struct sockaddr *peer, socklen_t peerlen, bool tcp,
                     struct dnsd_via *via, uint8_t *out, size_t cap)
{
	/* Without a whole header there is no id to answer to. */
	if (len < DNSD_HDR_LEN)
		return 0;

	dnsd_request r;
	r.pkt = pkt;
	r.len = len;
	r.perr = dnsd_query_parse(pkt, len, &r.q);
	/* A response is never answered: that is how reflection loops start.
	 * The header is valid whenever len >= 12, even when parsing failed. */
	if (r.q.hdr.flags & DNSD_FLAG_QR)
		return 0;
	r.peer = peer;
	r.peerlen = peerlen;
	r.tcp = tcp;
	r.db = dnsd_net_snapshot(w);
	r.worker = w;
	r.via = via;

	/* TSIG: a signed request is verified before any row sees it, and
	 * its response signed after; the row leaves room for the TSIG. */
	dnsd_tsig_ctx tc;
	size_t n = 0;
	bool has_tsig = r.perr == 0 && r.q.tsig_offset != 0;
	r.tsig = NULL;
	if (has_tsig) /* not on the path of unsigned queries: ~1 KiB */
		dnsd_tsig_ctx_init(&tc);
	if (!has_tsig || dispatch_tsig(w, &r, &tc, out, cap, &n)) {
		size_t room =
		    r.tsig ? dispatch_room(w, &r, cap, dnsd_tsig_reserve(&tc))
		           : cap;
		dispatch_fn fn = dispatch_table[DNSD_OPCODE(r.q.hdr.flags)];
		n = (fn ? fn : dispatch_notimp)(w, &r, out, room);
		if (r.tsig && n >= DNSD_HDR_LEN) {
			/* for a retransmission of it (dispatch_tsig) */
			dnsd_tsig_set_outcome(&tc, w->server->keys,
			                      DNSD_RCODE(out[3]));
			n = dispatch_sign(&tc, out, n, cap);
		}
	}
	if (has_tsig)
		dnsd_tsig_ctx_clear(&tc);
	dnsd_arena_reset(&w->scratch);
	dispatch_count(w, &r, out, n);
	return n;
}

size_t dnsd_request_answer(dnsd_server *s, dnsd_request *r, int rcode,
                           uint8_t *out, size_t cap)
{
	dnsd_answer_opts o = s->answer_opts;
	o.tcp = r->tcp;
	size_t n = dnsd_answer_error(&r->q, r->perr, rcode, &o, out, cap);
	if (n >= DNSD_HDR_LEN && rcode == DNSD_RCODE_NOERROR) {
		/* as BIND: the acknowledgement of a zone we serve is
		 * authoritative */
		dnsd_wire w;
		dnsd_hdr h;
		dnsd_hdr_parse(out, n, &h);
		dnsd_wire_init_write(&w, out, n);
		w.pos = DNSD_HDR_LEN;
		dnsd_wire_patch_u16(&w, 2, (uint16_t)(h.flags | DNSD_FLAG_AA));
	}
	return n;
}

bool dnsd_request_soa_serial(dnsd_request *r, const uint8_t *zone,
                             uint32_t *serial)
{
	dnsd_msg m;
	if (dnsd_msg_parse(r->pkt, r->len, &r->worker->scratch, &m) < 0)
		return false;
	for (unsigned i = 0; i < m.count[DNSD_SEC_ANSWER]; i++) {
		const dnsd_rr *rr = &m.sec[DNSD_SEC_ANSWER][i];
		if (rr->type == DNSD_TYPE_SOA &&
		    dnsd_name_equal(rr->owner, zone) &&
		    dnsd_soa_fields(rr->rdata, rr->rdlen, serial, NULL, NULL,
		                    NULL, NULL) == 0)
			return true;
	}
	return false;
}
