/* NOTIFY out (notifyout.h). One UDP socket per address family on the
 * main loop; a NOTIFY in flight is a row of n->pending with its own
 * retransmission timer. */
#include "notifyout.h"
#include "log.h"

#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Seconds to wait after each try: 60 s in all (RFC 1996 §3.6). */
static const unsigned notify_backoff[] = {1, 2, 4, 8, 16, 29};
#define NOTIFY_TRIES      (sizeof(notify_backoff) / sizeof(notify_backoff[0]))
#define NOTIFY_HIDDEN_MAX 256 /* remembered hidden secondaries */

struct notify_target {
	struct sockaddr_storage addr;
	socklen_t len;
	bool has_key;
	uint8_t key[DNSD_NAME_MAX]; /* sign with this key */
};

struct notify_pending {
	struct notify_pending *next;
	struct dnsd_notifier *n;
	uint8_t zone[DNSD_NAME_MAX];
	struct notify_target t;
	uint16_t id;
	uint32_t serial;
	unsigned tries;
	struct event *timer;
	dnsd_tsig_ctx tsig; /* for the answer, when signed */
	bool signed_;
};

/* A hidden secondary: peer and the key it asked with. */
struct notify_hidden {
	struct sockaddr_storage addr;
	socklen_t len;
	uint8_t key[DNSD_NAME_MAX];
};

struct dnsd_notifier {
	dnsd_server *s;
	int fd4, fd6;
	struct event *ev4, *ev6;
	struct notify_pending *pending;
	/* hidden secondaries, filled by workers */
	pthread_mutex_t lock;
	struct notify_hidden hidden[NOTIFY_HIDDEN_MAX];
	unsigned nhidden;
	/* peers that asked for a name not one of their key's zones: the
	 * main loop notifies them of every zone (under lock) */
	struct notify_hidden asked[16];
	unsigned nasked;
	struct event *asked_ev;
	dnsd_notifier_skip_fn skip; /* main thread only */
	void *skip_ctx;
};

void dnsd_notifier_set_skip(dnsd_notifier *n, dnsd_notifier_skip_fn fn,
                            void *ctx)
{
	if (n == NULL)
		return;
	n->skip = fn;
	n->skip_ctx = ctx;
}

static void notify_target_text(const struct notify_target *t, char *buf,
                               size_t cap)
{
	log_peer((const struct sockaddr *)&t->addr, buf, cap);
}

static bool notify_addr_equal(const struct sockaddr_storage *a,
                              const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
		                         *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void notify_pending_free(struct notify_pending *p)
{
	struct notify_pending **pp = &p->n->pending;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	event_free(p->timer);
	dnsd_tsig_ctx_clear(&p->tsig);
	free(p);
}

/* Builds and sends the NOTIFY of p (a new signature each try). */
static void notify_send(struct notify_pending *p)
{
	struct dnsd_notifier *n = p->n;
	uint8_t buf[1024];
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = p->id,
	              .flags =
	                  (uint16_t)(DNSD_OPCODE_NOTIFY << 11) | DNSD_FLAG_AA};
	char zone[DNSD_NAME_TEXT_MAX], to[64];

	dnsd_msg_begin(&b, buf, sizeof(buf), &h);
	dnsd_msg_question(&b, p->zone, DNSD_TYPE_SOA, DNSD_CLASS_IN);
	int len = dnsd_msg_finish(&b);
	if (len > 0 && p->signed_) {
		dnsd_key k;
		dnsd_tsig_ctx_clear(&p->tsig);
		dnsd_tsig_ctx_init(&p->tsig);
		if (dnsd_keystore_get(n->s->keys, p->t.key, &k) == 0) {
			len = dnsd_tsig_sign_request(
			    &p->tsig, &k, buf, (size_t)len, sizeof(buf),
			    (uint64_t)time(NULL), DNSD_TSIG_FUDGE);
			explicit_bzero(&k, sizeof(k));
		} else {
			len = -1; /* the key went away */
		}
	}
	log_zone(p->zone, zone, sizeof(zone));
	notify_target_text(&p->t, to, sizeof(to));
	int fd = p->t.addr.ss_family == AF_INET ? n->fd4 : n->fd6;
	if (len <= 0 || fd < 0 ||
	    sendto(fd, buf, (size_t)len, MSG_DONTWAIT,
	           (const struct sockaddr *)&p->t.addr, p->t.len) < 0)
		log_debug("NOTIFY out zone %s to %s: not sent (%s)", zone, to,
		          len <= 0 ? "no key" : strerror(errno));
	else if (p->tries == 0)
		log_info("NOTIFY out zone %s to %s serial %u%s", zone, to,
		         p->serial, p->signed_ ? " (signed)" : "");
	struct timeval tv = {.tv_sec = notify_backoff[p->tries]};
	p->tries++;
	evtimer_add(p->timer, &tv);
}

static void notify_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify_pending *p = arg;
	char zone[DNSD_NAME_TEXT_MAX], to[64];

	if (p->tries < NOTIFY_TRIES) {
		notify_send(p);
		return;
	}
	dnsd_count(DNSD_MX_NOTIFY_OUT + DNSD_MX_NOUT_TIMEOUT);
	log_warnx("NOTIFY out zone %s to %s: never acknowledged after %u "
	          "tries",
	          log_zone(p->zone, zone, sizeof(zone)),
	          (notify_target_text(&p->t, to, sizeof(to)), to), p->tries);
	notify_pending_free(p);
}

/* An answer on one of our sockets. */
static void notify_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsd_notifier *n = arg;
	uint8_t buf[4096];
	struct sockaddr_storage from;

	for (;;) {
		socklen_t flen = sizeof(from);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		                       (struct sockaddr *)&from, &flen);
		if (len < 0)
			return;
		dnsd_hdr h;
		if (dnsd_hdr_parse(buf, (size_t)len, &h) < 0 ||
		    !(h.flags & DNSD_FLAG_QR) ||
		    DNSD_OPCODE(h.flags) != DNSD_OPCODE_NOTIFY)
			continue;
		struct notify_pending *p = n->pending;
		while (p &&
		       !(p->id == h.id && notify_addr_equal(&p->t.addr, &from)))
			p = p->next;
		if (p == NULL)
			continue; /* late, or not ours */
		char zone[DNSD_NAME_TEXT_MAX], to[64];
		log_zone(p->zone, zone, sizeof(zone));
		notify_target_text(&p->t, to, sizeof(to));
		if (p->signed_ &&
		    dnsd_tsig_verify_response(&p->tsig, buf, (size_t)len,
		                              (uint64_t)time(NULL)) < 0) {
			log_warnx("NOTIFY out zone %s to %s: the answer's TSIG "
			          "does not verify (%s), ignored",
			          zone, to,
			          dnsd_tsig_error_name(p->tsig.error));
			continue;
		}
		int rcode = DNSD_RCODE(h.flags);
		dnsd_count(DNSD_MX_NOTIFY_OUT + (rcode == DNSD_RCODE_NOERROR
		                                     ? DNSD_MX_NOUT_ACKED
		                                     : DNSD_MX_NOUT_ERROR));
		if (rcode == DNSD_RCODE_NOERROR)
			log_info("NOTIFY out zone %s to %s: acknowledged", zone,
			         to);
		else
			log_warnx("NOTIFY out zone %s to %s: answered %s", zone,
			          to, dnsd_tsig_error_name((uint16_t)rcode));
		notify_pending_free(p);
	}
}

/* Queues a NOTIFY of zone z to t, superseding one in flight. */
static void notify_start(struct dnsd_notifier *n, const dnsd_zone *z,
                         const struct notify_target *t)
{
	for (struct notify_pending *p = n->pending; p; p = p->next) {
		if (dnsd_name_equal(p->zone, dnsd_zone_origin(z)) &&
		    notify_addr_equal(&p->t.addr, &t->addr)) {
			notify_pending_free(p);
			break;
		}
	}
	if ((t->addr.ss_family == AF_INET ? n->fd4 : n->fd6) < 0)
		return;
	struct notify_pending *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return;
	p->n = n;
	memcpy(p->zone, dnsd_zone_origin(z),
	       dnsd_name_len(dnsd_zone_origin(z)));
	p->t = *t;
	p->signed_ = t->has_key;
	p->serial = dnsd_zone_serial(z);
	dnsd_tsig_ctx_init(&p->tsig);
	if (RAND_bytes((unsigned char *)&p->id, sizeof(p->id)) != 1)
		p->id = (uint16_t)random();
	p->timer = evtimer_new(n->s->base, notify_timer_cb, p);
	if (p->timer == NULL) {
		free(p);
		return;
	}
	p->next = n->pending;
	n->pending = p;
	notify_send(p);
}

static void notify_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Adds t to the list unless its address is there already (a key's
 * target wins over an unsigned one for the same address). */
static void notify_add(struct notify_target *ts, size_t *nt, size_t max,
                       const struct notify_target *t)
{
	for (size_t i = 0; i < *nt; i++) {
		if (notify_addr_equal(&ts[i].addr, &t->addr)) {
			if (t->has_key && !ts[i].has_key)
				ts[i] = *t;
			return;
		}
	}
	if (*nt < max)
		ts[(*nt)++] = *t;
}

/* Addresses reserved for documentation (RFC 5737, RFC 3849): never a
 * real secondary, so never sent to (example zones are full of them). */
static bool notify_documentation(const struct notify_target *t)
{
	if (t->addr.ss_family == AF_INET) {
		const uint8_t *a =
		    (const uint8_t *)&((const struct sockaddr_in *)&t->addr)
		        ->sin_addr;
		return (a[0] == 192 && a[1] == 0 && a[2] == 2) ||
		       (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
		       (a[0] == 203 && a[1] == 0 && a[2] == 113);
	}
	const uint8_t *a =
	    ((const struct sockaddr_in6 *)&t->addr)->sin6_addr.s6_addr;
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8;
}

/* The addresses of name in the zones served. */
static void notify_ns_addrs(const dnsd_zonedb *db, const uint8_t *name,
                            struct notify_target *ts, size_t *nt, size_t max)
{
	const dnsd_zone *z = db ? dnsd_zonedb_find(db, name) : NULL;
	const dnsd_node *node = z ? dnsd_zone_find(z, name) : NULL;
	static const uint16_t types[2] = {DNSD_TYPE_A, DNSD_TYPE_AAAA};

	for (int k = 0; node && k < 2; k++) {
		const dnsd_rrset *rs = dnsd_node_rrset(node, types[k]);
		dnsd_rr_iter it;
		if (rs == NULL)
			continue;
		dnsd_rrset_iter(rs, &it);
		while (dnsd_rr_next(&it)) {
			struct notify_target t = {0};
			if (types[k] == DNSD_TYPE_A && it.rdlen == 4) {
				struct sockaddr_in in = {.sin_family = AF_INET};
				memcpy(&in.sin_addr, it.rdata, 4);
				memcpy(&t.addr, &in, sizeof(in));
				t.len = sizeof(in);
			} else if (types[k] == DNSD_TYPE_AAAA &&
			           it.rdlen == 16) {
				struct sockaddr_in6 in6 = {.sin6_family =
				                               AF_INET6};
				memcpy(&in6.sin6_addr, it.rdata, 16);
				memcpy(&t.addr, &in6, sizeof(in6));
				t.len = sizeof(in6);
			} else {
				continue;
			}
			notify_set_port(&t.addr, 53);
			if (!notify_documentation(&t))
				notify_add(ts, nt, max, &t);
		}
	}
}

/* The NS targets of z but the SOA MNAME's. */
static void notify_ns_targets(struct dnsd_notifier *n, const dnsd_zone *z,
                              struct notify_target *ts, size_t *nt, size_t max)
{
	const dnsd_node *apex = dnsd_zone_apex(z);
	const dnsd_rrset *ns = dnsd_node_rrset(apex, DNSD_TYPE_NS);
	const dnsd_rrset *soa = dnsd_node_rrset(apex, DNSD_TYPE_SOA);
	const uint8_t *mname = NULL;
	dnsd_rr_iter it;

	if (soa != NULL) {
		dnsd_rrset_iter(soa, &it);
		if (dnsd_rr_next(&it))
			mname = it.rdata; /* MNAME is SOA RDATA's first name */
	}
	if (ns == NULL)
		return;
	const dnsd_zonedb *db = atomic_load(&n->s->db);
	dnsd_rrset_iter(ns, &it);
	while (dnsd_rr_next(&it))
		if (mname == NULL || !dnsd_name_equal(it.rdata, mname))
			notify_ns_addrs(db, it.rdata, ts, nt, max);
}

/* The targets that keys name: the secondary of P.S._transfer keys
 * covering z, and every hidden secondary whose key covers z. */
static void notify_key_targets(struct dnsd_notifier *n, const dnsd_zone *z,
                               struct notify_target *ts, size_t *nt, size_t max)
{
	const uint8_t *origin = dnsd_zone_origin(z);
	uint16_t port = n->s->cfg->notify_port;
	size_t nkeys = n->s->keys ? dnsd_keystore_count(n->s->keys) : 0;

	for (size_t i = 0; i < nkeys; i++) {
		struct notify_target t = {.has_key = true};
		dnsd_key_addrs a;
		if (dnsd_keystore_name_at(n->s->keys, i, t.key) < 0 ||
		    dnsd_key_transfer_addrs(t.key, &a) < 0 ||
		    !a.has_secondary ||
		    !dnsd_key_allows(t.key, DNSD_KEY_OP_TRANSFER, origin) ||
		    (n->skip != NULL && n->skip(n->skip_ctx, origin, t.key)))
			continue;
		struct sockaddr_in in = {.sin_family = AF_INET,
		                         .sin_port = htons(port)};
		memcpy(&in.sin_addr, a.secondary, 4);
		memcpy(&t.addr, &in, sizeof(in));
		t.len = sizeof(in);
		notify_add(ts, nt, max, &t);
	}
	pthread_mutex_lock(&n->lock);
	for (unsigned i = 0; i < n->nhidden; i++) {
		if (!dnsd_key_allows(n->hidden[i].key, DNSD_KEY_OP_TRANSFER,
		                     origin))
			continue;
		struct notify_target t = {.has_key = true,
		                          .addr = n->hidden[i].addr,
		                          .len = n->hidden[i].len};
		memcpy(t.key, n->hidden[i].key,
		       dnsd_name_len(n->hidden[i].key));
		notify_add(ts, nt, max, &t);
	}
	pthread_mutex_unlock(&n->lock);
}

/* also-notify: signed with a transfer key naming the address as its
 * secondary, if one covers z. */
static void notify_also_targets(struct dnsd_notifier *n, const dnsd_zone *z,
                                struct notify_target *ts, size_t *nt,
                                size_t max)
{
	const dnsd_config *cfg = n->s->cfg;
	for (unsigned i = 0; i < cfg->nalso_notify; i++) {
		struct notify_target t = {.len = cfg->also_notify[i].len};
		memcpy(&t.addr, &cfg->also_notify[i].ss, sizeof(t.addr));
		size_t nkeys = n->s->keys ? dnsd_keystore_count(n->s->keys) : 0;
		for (size_t k = 0; k < nkeys && t.addr.ss_family == AF_INET;
		     k++) {
			uint8_t name[DNSD_NAME_MAX];
			dnsd_key_addrs a;
			if (dnsd_keystore_name_at(n->s->keys, k, name) == 0 &&
			    dnsd_key_transfer_addrs(name, &a) == 0 &&
			    a.has_secondary &&
			    memcmp(a.secondary,
			           &((struct sockaddr_in *)&t.addr)->sin_addr,
			           4) == 0 &&
			    dnsd_key_allows(name, DNSD_KEY_OP_TRANSFER,
			                    dnsd_zone_origin(z))) {
				t.has_key = true;
				memcpy(t.key, name, dnsd_name_len(name));
				break;
			}
		}
		notify_add(ts, nt, max, &t);
	}
}

#define NOTIFY_TARGETS_MAX 128

void dnsd_notifier_zone(dnsd_notifier *n, const dnsd_zone *z)
{
	struct notify_target ts[NOTIFY_TARGETS_MAX];
	size_t nt = 0;

	if (n == NULL)
		return;
	/* keyed targets first: they win for an address named twice */
	notify_key_targets(n, z, ts, &nt, NOTIFY_TARGETS_MAX);
	notify_also_targets(n, z, ts, &nt, NOTIFY_TARGETS_MAX);
	notify_ns_targets(n, z, ts, &nt, NOTIFY_TARGETS_MAX);
	for (size_t i = 0; i < nt; i++)
		notify_start(n, z, &ts[i]);
}

/* Main loop: peers that asked about a name not a zone of theirs get a
 * NOTIFY of every zone their key covers. */
static void notify_asked_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsd_notifier *n = arg;
	struct notify_hidden asked[16];
	unsigned na;

	pthread_mutex_lock(&n->lock);
	na = n->nasked;
	memcpy(asked, n->asked, na * sizeof(asked[0]));
	n->nasked = 0;
	pthread_mutex_unlock(&n->lock);
	const dnsd_zonedb *db = atomic_load(&n->s->db);
	size_t nz = db ? dnsd_zonedb_count(db) : 0;
	for (unsigned i = 0; i < na; i++) {
		struct notify_target t = {.has_key = true,
		                          .addr = asked[i].addr,
		                          .len = asked[i].len};
		memcpy(t.key, asked[i].key, dnsd_name_len(asked[i].key));
		for (size_t k = 0; k < nz; k++) {
			const dnsd_zone *z = dnsd_zonedb_at(db, k);
			if (!dnsd_zone_servfail(z) &&
			    dnsd_key_allows(t.key, DNSD_KEY_OP_TRANSFER,
			                    dnsd_zone_origin(z)))
				notify_start(n, z, &t);
		}
	}
}

void dnsd_notifier_soa_query(dnsd_notifier *n, const struct sockaddr *peer,
                             const uint8_t *key, const uint8_t *qname)
{
	struct notify_hidden h = {0};
	const uint8_t *kz;

	if (n == NULL || dnsd_key_op(key, &kz) != DNSD_KEY_OP_TRANSFER)
		return;
	if (peer->sa_family == AF_INET) {
		memcpy(&h.addr, peer, sizeof(struct sockaddr_in));
		h.len = sizeof(struct sockaddr_in);
	} else if (peer->sa_family == AF_INET6) {
		memcpy(&h.addr, peer, sizeof(struct sockaddr_in6));
		h.len = sizeof(struct sockaddr_in6);
	} else {
		return;
	}
	notify_set_port(&h.addr, n->s->cfg->notify_port);
	memcpy(h.key, key, dnsd_name_len(key));
	/* a zone of the key: the peer is one of its secondaries; another
	 * name (the root, the key's parent zone): it wants the list */
	const dnsd_zonedb *db = atomic_load(&n->s->db);
	const dnsd_zone *z = db ? dnsd_zonedb_find(db, qname) : NULL;
	bool is_zone = z != NULL && dnsd_name_equal(dnsd_zone_origin(z), qname);
	bool known = false;
	pthread_mutex_lock(&n->lock);
	for (unsigned i = 0; i < n->nhidden && !known; i++)
		known = notify_addr_equal(&n->hidden[i].addr, &h.addr) &&
		        dnsd_name_equal(n->hidden[i].key, h.key);
	if (!known && n->nhidden < NOTIFY_HIDDEN_MAX)
		n->hidden[n->nhidden++] = h;
	bool ask = !is_zone && n->nasked < 16;
	if (ask)
		n->asked[n->nasked++] = h;
	pthread_mutex_unlock(&n->lock);
	if (!known) {
		char p[64], k[DNSD_NAME_TEXT_MAX];
		log_info(
		    "NOTIFY out: %s (key %s) remembered as a secondary",
		    log_peer((const struct sockaddr *)&h.addr, p, sizeof(p)),
		    log_name(key, k, sizeof(k)));
	}
	if (ask)
		event_active(n->asked_ev, EV_READ, 0);
}

static int notify_socket(int family, struct event_base *base,
                         struct dnsd_notifier *n, struct event **ev)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	*ev = event_new(base, fd, EV_READ | EV_PERSIST, notify_read_cb, n);
	if (*ev == NULL || event_add(*ev, NULL) < 0) {
		if (*ev)
			event_free(*ev);
		*ev = NULL;
		close(fd);
		return -1;
	}
	return fd;
}

dnsd_notifier *dnsd_notifier_new(dnsd_server *s)
{
	struct dnsd_notifier *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->s = s;
	pthread_mutex_init(&n->lock, NULL);
	n->fd4 = notify_socket(AF_INET, s->base, n, &n->ev4);
	n->fd6 = notify_socket(AF_INET6, s->base, n, &n->ev6);
	n->asked_ev = event_new(s->base, -1, 0, notify_asked_cb, n);
	if ((n->fd4 < 0 && n->fd6 < 0) || n->asked_ev == NULL) {
		log_warn("NOTIFY out: no socket");
		dnsd_notifier_free(n);
		return NULL;
	}
	return n;
}

void dnsd_notifier_free(dnsd_notifier *n)
{
	if (n == NULL)
		return;
	while (n->pending)
		notify_pending_free(n->pending);
	if (n->ev4)
		event_free(n->ev4);
	if (n->ev6)
		event_free(n->ev6);
	if (n->asked_ev)
		event_free(n->asked_ev);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->fd6 >= 0)
		close(n->fd6);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
