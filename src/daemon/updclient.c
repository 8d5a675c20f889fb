/* UPDATE as a client, and waiting for a record (updclient.h). */
#include "updclient.h"
#include "log.h"
#include "xfrclient.h"

#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>

#include <stdlib.h>
#include <string.h>

#define UPD_MSG_MAX 65000 /* octets: one TCP message with room for TSIG */

struct upd_rr {
	int section; /* DNSD_SEC_ANSWER: prerequisite, _AUTHORITY: update */
	uint8_t owner[DNSD_NAME_MAX];
	uint16_t type, rclass;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t *rdata;
};

void upd_msg_init(upd_msg *m, const uint8_t *zone)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->zone, zone, dnsd_name_len(zone));
	m->octets = DNSD_HDR_LEN + dnsd_name_len(zone) + 4;
}

void upd_msg_free(upd_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->rr[i].rdata);
	free(m->rr);
	memset(m, 0, sizeof(*m));
}

static int upd_put(upd_msg *m, int section, const uint8_t *owner, uint16_t type,
                   uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
                   uint16_t rdlen)
{
	size_t size = dnsd_name_len(owner) + 10 + rdlen;

	if (m->octets + size > UPD_MSG_MAX)
		return DNSD_ESPACE;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		struct upd_rr *nr = realloc(m->rr, cap * sizeof(*nr));
		if (nr == NULL)
			return DNSD_ENOMEM;
		m->rr = nr;
		m->cap = cap;
	}
	struct upd_rr *r = &m->rr[m->n];
	memset(r, 0, sizeof(*r));
	if (rdlen > 0 && (r->rdata = malloc(rdlen)) == NULL)
		return DNSD_ENOMEM;
	if (rdlen > 0)
		memcpy(r->rdata, rdata, rdlen);
	r->section = section;
	memcpy(r->owner, owner, dnsd_name_len(owner));
	r->type = type;
	r->rclass = rclass;
	r->ttl = ttl;
	r->rdlen = rdlen;
	m->n++;
	m->octets += size;
	return 0;
}

int upd_msg_prereq_rr(upd_msg *m, const uint8_t *owner, uint16_t type,
                      const uint8_t *rdata, uint16_t rdlen)
{
	return upd_put(m, DNSD_SEC_ANSWER, owner, type, DNSD_CLASS_IN, 0, rdata,
	               rdlen);
}

int upd_msg_add(upd_msg *m, const uint8_t *owner, uint16_t type, uint32_t ttl,
                const uint8_t *rdata, uint16_t rdlen)
{
	return upd_put(m, DNSD_SEC_AUTHORITY, owner, type, DNSD_CLASS_IN, ttl,
	               rdata, rdlen);
}

int upd_msg_delete(upd_msg *m, const uint8_t *owner, uint16_t type,
                   const uint8_t *rdata, uint16_t rdlen)
{
	return upd_put(m, DNSD_SEC_AUTHORITY, owner, type, DNSD_CLASS_NONE, 0,
	               rdata, rdlen);
}

/* The wire form: prerequisites in the answer section, updates in the
 * authority section (RFC 2136 §2: the sections keep their places). */
static int upd_build(const upd_msg *m, uint8_t *buf, size_t cap)
{
	dnsd_msg_builder b;
	dnsd_hdr h = {.flags = (uint16_t)(DNSD_OPCODE_UPDATE << 11)};

	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, m->zone, DNSD_TYPE_SOA, DNSD_CLASS_IN);
	for (int sec = DNSD_SEC_ANSWER; sec <= DNSD_SEC_AUTHORITY; sec++) {
		dnsd_msg_section(&b, sec);
		for (size_t i = 0; i < m->n; i++) {
			const struct upd_rr *r = &m->rr[i];
			if (r->section == sec &&
			    dnsd_msg_rr(&b, r->owner, r->type, r->rclass,
			                r->ttl, r->rdata, r->rdlen) < 0)
				return DNSD_ESPACE;
		}
	}
	return dnsd_msg_finish(&b);
}

/* ---- sending ------------------------------------------------------------ */

struct upd_send {
	xfrclient *xc;
	upd_done_fn fn;
	void *ctx;
};

static void upd_send_done(void *ctx, int rc, const char *why,
                          const dnsd_msg *answer)
{
	struct upd_send *u = ctx;
	int rcode = answer ? DNSD_RCODE(answer->hdr.flags) : 0;

	u->xc = NULL;
	u->fn(u->ctx, rc, rcode, why);
	free(u);
}

int upd_send_start(struct event_base *base, const struct sockaddr *peer,
                   socklen_t peerlen, const struct sockaddr *source,
                   socklen_t sourcelen, const dnsd_key *key, const upd_msg *m,
                   upd_done_fn fn, void *ctx, upd_send **out)
{
	uint8_t *buf = malloc(UPD_MSG_MAX);
	struct upd_send *u = calloc(1, sizeof(*u));
	int rc;

	*out = NULL;
	if (buf == NULL || u == NULL) {
		free(buf);
		free(u);
		return DNSD_ENOMEM;
	}
	int len = upd_build(m, buf, UPD_MSG_MAX);
	if (len < 0) {
		free(buf);
		free(u);
		return len;
	}
	u->fn = fn;
	u->ctx = ctx;
	xfrclient_xopts o = {.peer = peer,
	                     .peerlen = peerlen,
	                     .source = source,
	                     .sourcelen = sourcelen,
	                     .msg = buf,
	                     .len = (size_t)len,
	                     .key = key,
	                     .timeout = 10};
	rc = xfrclient_exchange(base, &o, upd_send_done, u, &u->xc);
	free(buf);
	if (rc < 0) {
		free(u);
		return rc;
	}
	*out = u;
	return 0;
}

void upd_send_cancel(upd_send *u)
{
	if (u == NULL)
		return;
	xfrclient_cancel(u->xc);
	free(u);
}

/* ---- waiting for a record ------------------------------------------------ */

#define UPD_WAIT_UNREACHABLE 3 /* failures in a row: given up */

struct upd_target {
	struct upd_wait *w;
	struct sockaddr_storage addr;
	socklen_t len;
	xfrclient *xc;
	unsigned fails;
	bool served, gone;
};

struct upd_wait {
	struct event_base *base;
	struct upd_target *t;
	unsigned n;
	uint8_t owner[DNSD_NAME_MAX];
	uint16_t type, rdlen;
	uint8_t rdata[512];
	struct event *tick, *deadline;
	upd_wait_fn fn;
	void *ctx;
	bool finished;
};

static void upd_wait_end(struct upd_wait *w)
{
	unsigned missing = 0;

	for (unsigned i = 0; i < w->n; i++)
		if (!w->t[i].served)
			missing++;
	/* the primary is the one that must have it */
	if (!w->t[0].served)
		missing = w->n;
	upd_wait_fn fn = w->fn;
	void *ctx = w->ctx;
	upd_wait_cancel(w);
	fn(ctx, missing);
}

static bool upd_wait_all(const struct upd_wait *w)
{
	for (unsigned i = 0; i < w->n; i++)
		if (!w->t[i].served && !w->t[i].gone)
			return false;
	return w->t[0].served;
}

static void upd_wait_answer(void *ctx, int rc, const char *why,
                            const dnsd_msg *answer)
{
	struct upd_target *t = ctx;
	struct upd_wait *w = t->w;
	char peer[64];

	t->xc = NULL;
	if (rc < 0) {
		if (++t->fails >= UPD_WAIT_UNREACHABLE && t != &w->t[0] &&
		    !t->gone) {
			t->gone = true;
			log_warnx("waiting for a record: %s does not answer "
			          "(%s); not waited for",
			          log_peer((struct sockaddr *)&t->addr, peer,
			                   sizeof(peer)),
			          why);
		}
	} else {
		t->fails = 0;
		for (unsigned i = 0;
		     answer && i < answer->count[DNSD_SEC_ANSWER]; i++) {
			const dnsd_rr *rr = &answer->sec[DNSD_SEC_ANSWER][i];
			if (rr->type == w->type &&
			    dnsd_name_equal(rr->owner, w->owner) &&
			    rr->rdlen == w->rdlen &&
			    memcmp(rr->rdata, w->rdata, w->rdlen) == 0)
				t->served = true;
		}
	}
	if (upd_wait_all(w))
		upd_wait_end(w);
}

static void upd_wait_ask(struct upd_target *t)
{
	struct upd_wait *w = t->w;
	uint8_t q[600];
	dnsd_msg_builder b;
	dnsd_hdr h = {0}; /* RD clear: the server's own data */

	dnsd_msg_begin(&b, q, sizeof(q), &h);
	dnsd_msg_question(&b, w->owner, w->type, DNSD_CLASS_IN);
	int len = dnsd_msg_finish(&b);
	xfrclient_xopts o = {.peer = (struct sockaddr *)&t->addr,
	                     .peerlen = t->len,
	                     .msg = q,
	                     .len = len > 0 ? (size_t)len : 0,
	                     .timeout = 2};
	if (len <= 0 ||
	    xfrclient_exchange(w->base, &o, upd_wait_answer, t, &t->xc) < 0) {
		t->xc = NULL;
		t->fails++;
	}
}

static void upd_wait_tick(evutil_socket_t fd, short what, void *arg)
{
	struct upd_wait *w = arg;
	struct timeval tv = {.tv_sec = 1};

	(void)fd;
	(void)what;
	for (unsigned i = 0; i < w->n; i++)
		if (!w->t[i].served && !w->t[i].gone && w->t[i].xc == NULL)
			upd_wait_ask(&w->t[i]);
	evtimer_add(w->tick, &tv);
}

static void upd_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	upd_wait_end(arg);
}

int upd_wait_start(struct event_base *base, const struct sockaddr_storage *t,
                   const socklen_t *tlen, unsigned n, const uint8_t *owner,
                   uint16_t type, const uint8_t *rdata, uint16_t rdlen,
                   unsigned timeout, upd_wait_fn fn, void *ctx, upd_wait **out)
{
	struct upd_wait *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (n == 0 || rdlen > sizeof(w->rdata)) {
		free(w);
		return DNSD_EINVAL;
	}
	if (w == NULL || (w->t = calloc(n, sizeof(*w->t))) == NULL) {
		free(w);
		return DNSD_ENOMEM;
	}
	w->base = base;
	w->n = n;
	memcpy(w->owner, owner, dnsd_name_len(owner));
	w->type = type;
	w->rdlen = rdlen;
	memcpy(w->rdata, rdata, rdlen);
	w->fn = fn;
	w->ctx = ctx;
	for (unsigned i = 0; i < n; i++) {
		w->t[i].w = w;
		w->t[i].addr = t[i];
		w->t[i].len = tlen[i];
	}
	w->tick = evtimer_new(base, upd_wait_tick, w);
	w->deadline = evtimer_new(base, upd_wait_timeout, w);
	if (w->tick == NULL || w->deadline == NULL) {
		upd_wait_cancel(w);
		return DNSD_ENOMEM;
	}
	struct timeval tv = {.tv_sec = timeout};
	evtimer_add(w->deadline, &tv);
	event_active(w->tick, EV_TIMEOUT, 0);
	*out = w;
	return 0;
}

void upd_wait_cancel(upd_wait *w)
{
	if (w == NULL)
		return;
	for (unsigned i = 0; i < w->n; i++)
		xfrclient_cancel(w->t[i].xc);
	if (w->tick)
		event_free(w->tick);
	if (w->deadline)
		event_free(w->deadline);
	free(w->t);
	free(w);
}
