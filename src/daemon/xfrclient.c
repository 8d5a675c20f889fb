/* Transfers in (xfrclient.h). */
#include "xfrclient.h"

#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define XFRCLIENT_FUDGE 300

struct xfrclient {
	struct bufferevent *bev;
	dnsd_xfrin *x;
	dnsd_tsig_ctx tsig;
	bool signed_;
	const dnsd_zone *cur; /* referenced */
	xfrclient_done_fn fn;
	void *ctx;
	dnsd_arena a;
	uint8_t *msg; /* one message of the answer */
	/* a SOA query (no transfer reader): what the answer must match */
	bool soa;
	uint16_t id;
	uint8_t zone[DNSD_NAME_MAX];
	/* an exchange: one answer to the caller */
	xfrclient_msg_fn msg_fn;
	uint16_t opcode;
};

static void xc_free(xfrclient *c)
{
	if (c->bev)
		bufferevent_free(c->bev);
	dnsd_xfrin_free(c->x);
	dnsd_tsig_ctx_clear(&c->tsig);
	if (c->cur)
		dnsd_zone_unref((dnsd_zone *)c->cur);
	dnsd_arena_free(&c->a);
	free(c->msg);
	free(c);
}

static void xc_done(xfrclient *c, int rc, const char *why,
                    dnsd_xfrin_result *res)
{
	dnsd_xfrin_result none = {0};
	if (c->msg_fn != NULL)
		c->msg_fn(c->ctx, rc, why, NULL);
	else
		c->fn(c->ctx, rc, why, res ? res : &none);
	xc_free(c);
}

/* The answer of an exchange, handed over as it is. */
static void xc_exchange_answer(xfrclient *c, const dnsd_msg *m)
{
	if (!(m->hdr.flags & DNSD_FLAG_QR) || m->hdr.id != c->id ||
	    DNSD_OPCODE(m->hdr.flags) != c->opcode) {
		xc_done(c, DNSD_EMALFORM, "an answer to another request", NULL);
		return;
	}
	if (c->signed_ && dnsd_tsig_verify_end(&c->tsig) < 0) {
		xc_done(c, DNSD_ETSIG, "the answer is not signed", NULL);
		return;
	}
	c->msg_fn(c->ctx, 0, "", m);
	xc_free(c);
}

/* The request: the question, for IXFR the SOA held in the authority
 * section (RFC 1995 §3), signed when there is a key. */
static int xc_request(xfrclient *c, const xfrclient_opts *o, uint8_t *buf,
                      size_t cap)
{
	uint16_t id;
	dnsd_msg_builder b;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)time(NULL);
	dnsd_hdr h = {.id = id};
	dnsd_msg_begin(&b, buf + 2, cap - 2, &h);
	dnsd_msg_question(&b, o->zone, o->qtype, DNSD_CLASS_IN);
	if (o->qtype == DNSD_TYPE_IXFR && o->cur) {
		const dnsd_rrset *s =
		    dnsd_node_rrset(dnsd_zone_apex(o->cur), DNSD_TYPE_SOA);
		dnsd_rr_iter it;
		if (!s)
			return DNSD_EINVAL;
		dnsd_rrset_iter(s, &it);
		if (!dnsd_rr_next(&it))
			return DNSD_EINVAL;
		dnsd_msg_section(&b, DNSD_SEC_AUTHORITY);
		if (dnsd_msg_rr(&b, o->zone, DNSD_TYPE_SOA, DNSD_CLASS_IN,
		                s->ttl, it.rdata, it.rdlen) < 0)
			return DNSD_ESPACE;
	}
	int len = dnsd_msg_finish(&b);
	if (len > 0 && o->key)
		len = dnsd_tsig_sign_request(
		    &c->tsig, o->key, buf + 2, (size_t)len, cap - 2,
		    (uint64_t)time(NULL), XFRCLIENT_FUDGE);
	if (len <= 0)
		return len < 0 ? len : DNSD_EINVAL;
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	if (c->soa) {
		c->id = id;
		memcpy(c->zone, o->zone, dnsd_name_len(o->zone));
		return len + 2;
	}
	int rc = dnsd_xfrin_new(o->zone, o->qtype, id, o->cur, &o->lim, &c->x);
	return rc < 0 ? rc : len + 2;
}

/* The answer to a SOA query: the serial of the zone's SOA in the answer
 * section. 0 or an error, with why. */
static int xc_soa_answer(const xfrclient *c, const dnsd_msg *m,
                         dnsd_xfrin_result *res, char *why, size_t cap)
{
	int rcode = DNSD_RCODE(m->hdr.flags);

	if (!(m->hdr.flags & DNSD_FLAG_QR) || m->hdr.id != c->id ||
	    m->hdr.qdcount != 1 || !dnsd_name_equal(m->qd[0].qname, c->zone) ||
	    m->qd[0].qtype != DNSD_TYPE_SOA) {
		snprintf(why, cap, "an answer to another question");
		return DNSD_EMALFORM;
	}
	if (rcode != DNSD_RCODE_NOERROR) {
		snprintf(why, cap, "rcode %d", rcode);
		return DNSD_ENOTSUP;
	}
	for (unsigned i = 0; i < m->count[DNSD_SEC_ANSWER]; i++) {
		const dnsd_rr *rr = &m->sec[DNSD_SEC_ANSWER][i];
		if (rr->type == DNSD_TYPE_SOA && rr->rclass == DNSD_CLASS_IN &&
		    dnsd_name_equal(rr->owner, c->zone) &&
		    dnsd_soa_fields(rr->rdata, rr->rdlen, &res->serial, NULL,
		                    NULL, NULL, NULL) == 0) {
			res->messages = 1;
			res->records = 1;
			return 0;
		}
	}
	snprintf(why, cap, "no SOA of the zone in the answer");
	return DNSD_EMALFORM;
}

/* One message of the answer. 1: more to come, 0: done (called back),
 * <0: failed (called back). */
static int xc_message(xfrclient *c, size_t len)
{
	char why[300] = "";
	dnsd_msg m;

	int vr = c->signed_ ? dnsd_tsig_verify_response(&c->tsig, c->msg, len,
	                                                (uint64_t)time(NULL))
	                    : 0;
	if (vr == DNSD_EMALFORM) {
		xc_done(c, DNSD_EMALFORM, "a message that does not parse",
		        NULL);
		return -1;
	}
	if (vr < 0) {
		snprintf(why, sizeof(why), "TSIG of the answer: %s",
		         dnsd_tsig_error_name(c->tsig.error));
		xc_done(c, DNSD_ETSIG, why, NULL);
		return -1;
	}
	dnsd_arena_reset(&c->a);
	int rc = dnsd_msg_parse(c->msg, len, &c->a, &m);
	if (rc < 0) {
		xc_done(c, DNSD_EMALFORM, "a message that does not parse",
		        NULL);
		return -1;
	}
	if (c->msg_fn != NULL) {
		xc_exchange_answer(c, &m);
		return -1; /* c is gone either way */
	}
	if (c->soa) {
		dnsd_xfrin_result res = {0};
		rc = xc_soa_answer(c, &m, &res, why, sizeof(why));
		if (rc == 0 && c->signed_ &&
		    dnsd_tsig_verify_end(&c->tsig) < 0) {
			rc = DNSD_ETSIG;
			snprintf(why, sizeof(why), "the answer is not signed");
		}
		xc_done(c, rc, why, rc == 0 ? &res : NULL);
		return -1; /* c is gone either way */
	}
	rc = dnsd_xfrin_feed(c->x, &m, len, why, sizeof(why));
	if (rc == DNSD_XFRIN_MORE)
		return 1;
	if (rc == 0 && c->signed_ && dnsd_tsig_verify_end(&c->tsig) < 0) {
		xc_done(c, DNSD_ETSIG, "the last message is not signed", NULL);
		return -1;
	}
	dnsd_xfrin_result res;
	if (rc == 0)
		rc = dnsd_xfrin_finish(c->x, &res, why, sizeof(why));
	xc_done(c, rc, why, rc == 0 ? &res : NULL);
	return rc == 0 ? 0 : -1;
}

static void xc_read(struct bufferevent *bev, void *arg)
{
	xfrclient *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		uint8_t hdr[2];
		if (evbuffer_copyout(in, hdr, 2) < 2)
			return;
		size_t len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, c->msg, len);
		if (xc_message(c, len) <= 0)
			return; /* c is gone */
	}
}

static void xc_event(struct bufferevent *bev, short what, void *arg)
{
	xfrclient *c = arg;
	char why[200];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	snprintf(why, sizeof(why), "%s",
	         what & BEV_EVENT_TIMEOUT ? "timed out"
	         : what & BEV_EVENT_EOF ? "closed by the primary before the end"
	                                : strerror(EVUTIL_SOCKET_ERROR()));
	xc_done(c, DNSD_EIO, why, NULL);
}

/* The connection, the request written once it is up. 0, or an error
 * (c is freed then). */
static int xc_connect(xfrclient *c, struct event_base *base,
                      const struct sockaddr *peer, socklen_t peerlen,
                      const struct sockaddr *source, socklen_t sourcelen,
                      unsigned timeout, const uint8_t *req, size_t len)
{
	evutil_socket_t fd = -1;

	if (source != NULL) {
		fd = socket(source->sa_family,
		            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, source, sourcelen) < 0) {
			if (fd >= 0)
				close(fd);
			xc_free(c);
			return DNSD_EIO;
		}
	}
	c->bev = bufferevent_socket_new(
	    base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL) {
		if (fd >= 0)
			close(fd);
		xc_free(c);
		return DNSD_ENOMEM;
	}
	struct timeval tv = {.tv_sec = timeout ? timeout : 30};
	bufferevent_setcb(c->bev, xc_read, NULL, xc_event, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_write(c->bev, req, len);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)peer,
	                               (int)peerlen) < 0) {
		xc_free(c);
		return DNSD_EIO;
	}
	return 0;
}

static xfrclient *xc_new(void *ctx, const dnsd_key *key)
{
	xfrclient *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->msg = malloc(65535)) == NULL) {
		free(c);
		return NULL;
	}
	dnsd_arena_init(&c->a, 0);
	dnsd_tsig_ctx_init(&c->tsig);
	c->ctx = ctx;
	c->signed_ = key != NULL;
	return c;
}

int xfrclient_start(struct event_base *base, const xfrclient_opts *o,
                    xfrclient_done_fn fn, void *ctx, xfrclient **out)
{
	uint8_t req[1024];
	xfrclient *c = xc_new(ctx, o->key);

	*out = NULL;
	if (c == NULL)
		return DNSD_ENOMEM;
	c->fn = fn;
	c->soa = o->qtype == DNSD_TYPE_SOA;
	if (o->cur) {
		dnsd_zone_ref((dnsd_zone *)o->cur);
		c->cur = o->cur;
	}
	int len = xc_request(c, o, req, sizeof(req));
	if (len < 0) {
		xc_free(c);
		return len;
	}
	int rc = xc_connect(c, base, o->peer, o->peerlen, o->source,
	                    o->sourcelen, o->timeout, req, (size_t)len);
	if (rc < 0)
		return rc;
	*out = c;
	return 0;
}

int xfrclient_exchange(struct event_base *base, const xfrclient_xopts *o,
                       xfrclient_msg_fn fn, void *ctx, xfrclient **out)
{
	uint8_t *req;
	xfrclient *c;
	dnsd_hdr h;
	uint16_t id;

	*out = NULL;
	if (o->len < DNSD_HDR_LEN || o->len > 65535 - 2 - 512 ||
	    dnsd_hdr_parse(o->msg, o->len, &h) < 0)
		return DNSD_EINVAL;
	if ((c = xc_new(ctx, o->key)) == NULL ||
	    (req = malloc(o->len + 2 + 512)) == NULL) {
		if (c)
			xc_free(c);
		return DNSD_ENOMEM;
	}
	c->msg_fn = fn;
	c->opcode = (uint16_t)DNSD_OPCODE(h.flags);
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)time(NULL);
	c->id = id;
	memcpy(req + 2, o->msg, o->len);
	req[2] = (uint8_t)(id >> 8);
	req[3] = (uint8_t)id;
	int len = (int)o->len;
	if (o->key)
		len = dnsd_tsig_sign_request(&c->tsig, o->key, req + 2, o->len,
		                             o->len + 512, (uint64_t)time(NULL),
		                             XFRCLIENT_FUDGE);
	if (len <= 0) {
		free(req);
		xc_free(c);
		return len < 0 ? len : DNSD_EINVAL;
	}
	req[0] = (uint8_t)(len >> 8);
	req[1] = (uint8_t)len;
	int rc = xc_connect(c, base, o->peer, o->peerlen, o->source,
	                    o->sourcelen, o->timeout, req, (size_t)len + 2);
	free(req);
	if (rc < 0)
		return rc;
	*out = c;
	return 0;
}

void xfrclient_cancel(xfrclient *c)
{
	if (c != NULL)
		xc_free(c);
}
