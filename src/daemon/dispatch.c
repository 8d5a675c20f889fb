/* The dispatcher: one request in, one response (or silence) out, on a
 * worker thread. Parse once, drop what must not be answered, then hand the
 * request to the row of its opcode. Nothing here allocates or blocks; the
 * worker's scratch arena is reset after every request. */
#include "net.h"
#include "role.h"
#include "server.h"
#include <dnsd/answer.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <string.h>

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
	/* Zone transfers get their own writer in a later issue; until then
	 * say no rather than answer them as ordinary queries. */
	if (dispatch_is_transfer(r))
		return dispatch_error(w, r, DNSD_RCODE_REFUSED, out, cap);

	/* Everything else, malformed requests included (FORMERR, BADVERS),
	 * is the answer engine's to judge. */
	dnsd_answer_opts o = dispatch_opts(w, r->tcp);
	size_t len = 0;
	if (dnsd_answer(r->db, &r->q, r->perr, r->pkt, &o, out, cap, &len) ==
	    DNSD_VERDICT_DROP)
		return 0;
	return len;
}

static size_t dispatch_notify(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                              size_t cap)
{
	const dnsd_server *s = w->server;
	if (!s->role || !s->role->on_notify)
		return dispatch_error(w, r, DNSD_RCODE_NOTIMP, out, cap);
	/* A role only ever sees requests that parsed. */
	if (r->perr < 0)
		return dispatch_error(w, r, DNSD_RCODE_FORMERR, out, cap);
	return s->role->on_notify(w->server, s->role_state, r, out, cap);
}

static size_t dispatch_update(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                              size_t cap)
{
	const dnsd_server *s = w->server;
	if (!s->role || !s->role->on_update)
		return dispatch_error(w, r, DNSD_RCODE_REFUSED, out, cap);
	if (r->perr < 0)
		return dispatch_error(w, r, DNSD_RCODE_FORMERR, out, cap);
	return s->role->on_update(w->server, s->role_state, r, out, cap);
}

static size_t dispatch_notimp(dnsd_worker *w, dnsd_request *r, uint8_t *out,
                              size_t cap)
{
	return dispatch_error(w, r, DNSD_RCODE_NOTIMP, out, cap);
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
                     uint8_t *out, size_t cap)
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

	/* TSIG CHECK GOES HERE (later issue): when r.q.tsig_offset != 0,
	 * verify the signature before dispatching and answer NOTAUTH /
	 * BADSIG / BADKEY / BADTIME on failure; record the key so the
	 * response can be signed and the opcode rows can check its scope. */

	dispatch_fn fn = dispatch_table[DNSD_OPCODE(r.q.hdr.flags)];
	size_t n = (fn ? fn : dispatch_notimp)(w, &r, out, cap);
	dnsd_arena_reset(&w->scratch);
	return n;
}
