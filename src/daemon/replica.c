/* Zones replicated from a primary (replica.h). */
#include "replica.h"
#include "ixfr.h"
#include "log.h"
#include "notifyout.h"
#include "xfrclient.h"
#include "zonecopy.h"

#include <dnsd/answer.h>
#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define REP_RUNNING_MAX  10      /* SOA queries and transfers in at once */
#define REP_LEARN_PERIOD 300     /* seconds between a root key's SOA queries */
#define REP_FIRST_RETRY  5       /* no SOA known yet: retry after, doubling */
#define REP_FIRST_MAX    300     /* ... up to */
#define REP_TIMER_MAX    2419200 /* 4 weeks: REFRESH, RETRY clamped to */
#define REP_XFR_TIMEOUT  60      /* seconds a transfer may stall */

enum rep_state { Z_IDLE, Z_WAIT, Z_SOA, Z_XFR };

struct rep_zone {
	struct replica *r;
	uint8_t origin[DNSD_NAME_MAX];
	char name[DNSD_NAME_TEXT_MAX]; /* for logs */
	uint8_t key[DNSD_NAME_MAX];    /* the transfer key it is pulled with */
	char key_text[DNSD_NAME_TEXT_MAX];
	struct sockaddr_storage peer;
	socklen_t peerlen;
	char peer_text[64];
	dnsd_zone *cur;  /* the last good version, NULL before the first */
	dnsd_zone *stub; /* the SERVFAIL stand-in, made when needed */
	bool expired;
	bool axfr_next; /* the next transfer an AXFR (corrupt copy...) */
	bool again;     /* a NOTIFY came during a refresh: one more */
	int64_t last_refresh, last_transfer;
	unsigned failures;
	enum rep_state state;
	uint16_t qtype; /* of the query running or waiting */
	xfrclient *xc;
	double started;
	struct event *timer, *expire_ev;
};

/* A key with no zone of its own (the root): the zones it covers are
 * learned from the NOTIFYs its SOA query makes the primary send. */
struct rep_learner {
	struct replica *r;
	uint8_t key[DNSD_NAME_MAX];
	uint8_t zone[DNSD_NAME_MAX];
	struct sockaddr_storage peer;
	socklen_t peerlen;
	xfrclient *xc;
	struct event *timer;
	unsigned failures;
};

struct rep_notice {
	uint8_t zone[DNSD_NAME_MAX];
	uint8_t key[DNSD_NAME_MAX]; /* the NOTIFY's key, "" unsigned */
	bool has_serial;
	uint32_t serial;
};

struct replica {
	dnsd_server *s;
	struct rep_zone **zones;
	size_t nzones, cap;
	struct rep_zone **waiting; /* for a slot, oldest first */
	size_t nwaiting;
	unsigned running;
	struct rep_learner **learners;
	size_t nlearners;
	zonecopy *copies;
	char *dir;
	/* NOTIFYs from the workers */
	pthread_mutex_t lock;
	struct rep_notice *notices; /* notify-max-pending of them */
	unsigned nnotices, notices_cap;
	struct event *notice_ev;
	/* REFUSED NOTIFYs logged this second */
	_Atomic int64_t refused_sec;
	_Atomic unsigned refused_lines;
	bool stopping;
	replica_watch_fn watch;
	void *watch_ctx;
	struct event *watch_start; /* the versions loaded, once */
};

static void rep_begin(struct rep_zone *z);
static void rep_publish(struct replica *r);

static double rep_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A uniform random fraction in [0, 1). */
static double rep_random(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)time(NULL) * 2654435761u;
	return v / 4294967296.0;
}

/* ---- keys and primaries -------------------------------------------------- */

/* The config's keys and key files into ks; problems to errs (dnsd -t)
 * or the log. 0 or -1. */
static int rep_load_keys(const dnsd_config *cfg, dnsd_keystore *ks, FILE *errs)
{
	char err[600], name[DNSD_NAME_TEXT_MAX];
	int rc = 0;

	for (unsigned i = 0; i < cfg->nkeys; i++) {
		dnsd_key k;
		int r = dnsd_key_from_text(cfg->keys[i], &k, err, sizeof(err));
		if (r == 0 && (r = dnsd_keystore_add(ks, &k)) < 0)
			snprintf(err, sizeof(err),
			         "key '%s' is given twice, with other "
			         "algorithms or secrets",
			         log_name(k.name, name, sizeof(name)));
		explicit_bzero(&k, sizeof(k));
		if (r < 0) {
			if (errs)
				fprintf(errs, "key: %s\n", err);
			else
				log_error("key: %s", err);
			rc = -1;
		}
	}
	for (unsigned i = 0; i < cfg->nkeys_files; i++)
		if (dnsd_keystore_load_file(ks, cfg->keys_files[i], err,
		                            sizeof(err)) < 0) {
			if (errs)
				fprintf(errs, "keys-file %s\n", err);
			else
				log_error("keys-file %s", err);
			rc = -1;
		}
	return rc;
}

/* The primary a key pulls from: `primary` when set, else the P of its
 * name on notify-port. False when neither says. */
static bool rep_key_primary(const dnsd_config *cfg, const uint8_t *key,
                            struct sockaddr_storage *ss, socklen_t *len)
{
	dnsd_key_addrs a;

	if (cfg->primary_set) {
		memcpy(ss, &cfg->primary.ss, sizeof(*ss));
		*len = cfg->primary.len;
		return true;
	}
	if (dnsd_key_transfer_addrs(key, &a) < 0 || !a.has_primary)
		return false;
	struct sockaddr_in in = {.sin_family = AF_INET,
	                         .sin_port = htons(cfg->notify_port)};
	memcpy(&in.sin_addr, a.primary, 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &in, sizeof(in));
	*len = sizeof(in);
	return true;
}

static bool rep_same_host(const struct sockaddr *a, const struct sockaddr *b);

/* Whether the P of key name is one of this server's listen addresses:
 * a key this server is the primary of (for its own secondaries), not
 * one to pull with. */
static bool rep_key_ours(const dnsd_config *cfg, const uint8_t *key)
{
	dnsd_key_addrs a;

	if (dnsd_key_transfer_addrs(key, &a) < 0 || !a.has_primary)
		return false;
	struct sockaddr_in in = {.sin_family = AF_INET};
	memcpy(&in.sin_addr, a.primary, 4);
	for (unsigned i = 0; i < cfg->nlisten; i++)
		if (rep_same_host((const struct sockaddr *)&cfg->listen[i].ss,
		                  (struct sockaddr *)&in))
			return true;
	return false;
}

/* The address to send to peer from: the first listen address of its
 * family that is not a wildcard and is loopback exactly when peer is;
 * NULL (any) when there is none. */
static const struct sockaddr *rep_source(const dnsd_config *cfg,
                                         const struct sockaddr *peer,
                                         struct sockaddr_storage *ss,
                                         socklen_t *len)
{
	static const uint8_t any6[16], lo6[16] = {[15] = 1};

	for (unsigned i = 0; i < cfg->nlisten; i++) {
		const struct sockaddr_storage *l = &cfg->listen[i].ss;
		bool wild, lo, peer_lo;
		if (l->ss_family != peer->sa_family)
			continue;
		if (l->ss_family == AF_INET) {
			uint32_t a = ntohl(
			    ((const struct sockaddr_in *)l)->sin_addr.s_addr);
			uint32_t p = ntohl(((const struct sockaddr_in *)peer)
			                       ->sin_addr.s_addr);
			wild = a == 0;
			lo = a >> 24 == 127;
			peer_lo = p >> 24 == 127;
		} else {
			const uint8_t *a =
			    ((const struct sockaddr_in6 *)l)->sin6_addr.s6_addr;
			const uint8_t *p = ((const struct sockaddr_in6 *)peer)
			                       ->sin6_addr.s6_addr;
			wild = memcmp(a, any6, 16) == 0;
			lo = memcmp(a, lo6, 16) == 0;
			peer_lo = memcmp(p, lo6, 16) == 0;
		}
		if (wild || lo != peer_lo)
			continue;
		memcpy(ss, l, sizeof(*ss));
		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)ss)->sin6_port = 0;
		*len = cfg->listen[i].len;
		return (struct sockaddr *)ss;
	}
	return NULL;
}

/* The key to pull zone with: a `_transfer` key covering it that does
 * not name this server as its primary, the one with the longest zone
 * part (then the first) and a primary to ask. False when there is
 * none. */
static bool rep_pick_key(const dnsd_config *cfg, dnsd_keystore *ks,
                         const uint8_t *zone, uint8_t *key)
{
	size_t n = dnsd_keystore_count(ks), best_len = 0;
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		uint8_t name[DNSD_NAME_MAX];
		const uint8_t *kz;
		struct sockaddr_storage ss;
		socklen_t len;
		if (dnsd_keystore_name_at(ks, i, name) < 0 ||
		    dnsd_key_op(name, &kz) != DNSD_KEY_OP_TRANSFER ||
		    !dnsd_key_allows(name, DNSD_KEY_OP_TRANSFER, zone) ||
		    rep_key_ours(cfg, name) ||
		    !rep_key_primary(cfg, name, &ss, &len))
			continue;
		size_t l = dnsd_name_len(kz);
		if (!found || l > best_len) {
			memcpy(key, name, dnsd_name_len(name));
			best_len = l;
			found = true;
		}
	}
	return found;
}

/* ---- zones ------------------------------------------------------------- */

static struct rep_zone *rep_find(struct replica *r, const uint8_t *origin)
{
	for (size_t i = 0; i < r->nzones; i++)
		if (dnsd_name_equal(r->zones[i]->origin, origin))
			return r->zones[i];
	return NULL;
}

static void rep_timer_cb(evutil_socket_t fd, short what, void *arg);
static void rep_expire_cb(evutil_socket_t fd, short what, void *arg);

/* A zone to replicate with key (which picks its primary); NULL when out
 * of memory or no primary is known. */
static struct rep_zone *rep_add(struct replica *r, const uint8_t *origin,
                                const uint8_t *key)
{
	struct rep_zone *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return NULL;
	z->r = r;
	memcpy(z->origin, origin, dnsd_name_len(origin));
	dnsd_name_lower(z->origin);
	memcpy(z->key, key, dnsd_name_len(key));
	log_zone(z->origin, z->name, sizeof(z->name));
	log_name(z->key, z->key_text, sizeof(z->key_text));
	if (!rep_key_primary(r->s->cfg, key, &z->peer, &z->peerlen)) {
		free(z);
		return NULL;
	}
	log_peer((struct sockaddr *)&z->peer, z->peer_text,
	         sizeof(z->peer_text));
	z->timer = evtimer_new(r->s->base, rep_timer_cb, z);
	z->expire_ev = evtimer_new(r->s->base, rep_expire_cb, z);
	if (z->timer == NULL || z->expire_ev == NULL) {
		if (z->timer)
			event_free(z->timer);
		free(z);
		return NULL;
	}
	if (r->nzones == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct rep_zone **nz = realloc(r->zones, cap * sizeof(*nz));
		if (nz == NULL)
			fatalx("out of memory");
		r->zones = nz;
		r->cap = cap;
	}
	r->zones[r->nzones++] = z;
	return z;
}

static void rep_zone_free(struct rep_zone *z)
{
	xfrclient_cancel(z->xc);
	event_free(z->timer);
	event_free(z->expire_ev);
	if (z->cur)
		dnsd_zone_unref(z->cur);
	if (z->stub)
		dnsd_zone_unref(z->stub);
	free(z);
}

/* REFRESH, RETRY and EXPIRE of the version held, clamped to sense. */
static void rep_timers(const struct rep_zone *z, uint32_t *refresh,
                       uint32_t *retry, uint32_t *expire)
{
	const dnsd_rrset *soa =
	    z->cur ? dnsd_node_rrset(dnsd_zone_apex(z->cur), DNSD_TYPE_SOA)
	           : NULL;
	dnsd_rr_iter it;

	*refresh = *retry = REP_FIRST_RETRY;
	*expire = UINT32_MAX;
	if (soa == NULL)
		return;
	dnsd_rrset_iter(soa, &it);
	if (!dnsd_rr_next(&it) ||
	    dnsd_soa_fields(it.rdata, it.rdlen, NULL, refresh, retry, expire,
	                    NULL) < 0)
		return;
	if (*refresh < 1)
		*refresh = 1;
	if (*refresh > REP_TIMER_MAX)
		*refresh = REP_TIMER_MAX;
	if (*retry < 1)
		*retry = 1;
	if (*retry > REP_TIMER_MAX)
		*retry = REP_TIMER_MAX;
}

static void rep_schedule(struct rep_zone *z, double secs)
{
	struct timeval tv = {.tv_sec = (time_t)secs,
	                     .tv_usec =
	                         (suseconds_t)((secs - (time_t)secs) * 1e6)};
	evtimer_add(z->timer, &tv);
}

/* The expire timer, from the last successful refresh. */
static void rep_arm_expire(struct rep_zone *z)
{
	uint32_t refresh, retry, expire;

	event_del(z->expire_ev);
	if (z->cur == NULL || z->expired)
		return;
	rep_timers(z, &refresh, &retry, &expire);
	int64_t left = z->last_refresh + (int64_t)expire - (int64_t)time(NULL);
	struct timeval tv = {.tv_sec = left > 0 ? (time_t)left : 0};
	evtimer_add(z->expire_ev, &tv);
}

static void rep_save(struct rep_zone *z, bool with_zone)
{
	zonecopy_state st = {.serial = z->cur ? dnsd_zone_serial(z->cur) : 0,
	                     .last_refresh = z->last_refresh,
	                     .last_transfer = z->last_transfer};

	if (z->cur == NULL)
		return;
	snprintf(st.primary, sizeof(st.primary), "%s", z->peer_text);
	zonecopy_save(z->r->copies, z->origin, with_zone ? z->cur : NULL, &st);
}

/* A refresh that succeeded (the serial checked or a transfer made):
 * the timers start again, an expired zone comes back. */
static void rep_refreshed(struct rep_zone *z, bool changed)
{
	uint32_t refresh, retry, expire;

	z->last_refresh = time(NULL);
	z->failures = 0;
	if (z->expired) {
		z->expired = false;
		log_info("zone %s: refreshed from %s, serving again (serial "
		         "%u)",
		         z->name, z->peer_text, dnsd_zone_serial(z->cur));
		if (!changed)
			rep_publish(z->r);
	}
	rep_timers(z, &refresh, &retry, &expire);
	rep_schedule(z, refresh * (0.9 + 0.1 * rep_random()));
	rep_arm_expire(z);
	rep_save(z, changed);
}

static void rep_failed(struct rep_zone *z, const char *what, const char *why)
{
	uint32_t refresh, retry, expire;
	double delay;

	z->failures++;
	rep_timers(z, &refresh, &retry, &expire);
	if (z->cur == NULL) {
		delay = REP_FIRST_RETRY;
		for (unsigned i = 1; i < z->failures && delay < REP_FIRST_MAX;
		     i++)
			delay *= 2;
		if (delay > REP_FIRST_MAX)
			delay = REP_FIRST_MAX;
	} else {
		double cap = retry > refresh ? retry : refresh;
		delay = retry;
		for (unsigned i = 1; i < z->failures && delay < cap; i++)
			delay *= 2;
		if (delay > cap)
			delay = cap;
	}
	delay *= 0.8 + 0.2 * rep_random();
	log_warnx("%s zone %s from %s key %s: %s; retry in %.0f s", what,
	          z->name, z->peer_text, z->key_text, why, delay);
	dnsd_server_result(z->r->s, "zone %s: %s failed", z->name, what);
	rep_schedule(z, delay);
}

/* ---- publication ------------------------------------------------------- */

/* Every zone's version (or stand-in) into a new database. */
static void rep_publish(struct replica *r)
{
	dnsd_zone **v = calloc(r->nzones + 1, sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < r->nzones; i++) {
		struct rep_zone *z = r->zones[i];
		if (z->cur == NULL)
			continue; /* not ours until transferred: REFUSED, so a
			             key at a parent that is no zone of the
			             primary does not shadow anything */
		if (!z->expired) {
			v[n++] = z->cur;
			continue;
		}
		if (z->stub != NULL &&
		    dnsd_zone_serial(z->stub) != dnsd_zone_serial(z->cur)) {
			dnsd_zone_unref(z->stub);
			z->stub = NULL;
		}
		if (z->stub == NULL &&
		    dnsd_zone_servfail_new(z->origin, z->cur, &z->stub) < 0)
			fatalx("out of memory");
		v[n++] = z->stub;
	}
	dnsd_zonedb *db = dnsd_zonedb_new(v, n);
	free(v);
	if (db == NULL)
		fatalx("out of memory");
	dnsd_server_publish(r->s, db);
}

/* A new version from a transfer: swapped in, its difference into the
 * IXFR history, this server's secondaries NOTIFYed, the copy saved. */
static void rep_install(struct rep_zone *z, dnsd_xfrin_result *res)
{
	struct replica *r = z->r;
	dnsd_zone *old = z->cur;
	dnsd_zdiff *d = res->diff;
	double secs = rep_now() - z->started;

	res->diff = NULL;
	if (d == NULL && old != NULL &&
	    dnsd_zdiff_compute(old, res->zone, &d) < 0)
		d = NULL; /* no history step: onward IXFR falls back to AXFR */
	log_info("%s in zone %s from %s key %s: serial %u -> %u, %zu "
	         "records in %zu messages (%zu octets), %.2f s",
	         res->kind == DNSD_XFRIN_IXFR ? "IXFR" : "AXFR", z->name,
	         z->peer_text, z->key_text, old ? dnsd_zone_serial(old) : 0,
	         dnsd_zone_serial(res->zone), res->records, res->messages,
	         res->bytes, secs);
	z->cur = res->zone;
	res->zone = NULL;
	z->axfr_next = false;
	z->last_transfer = time(NULL);
	dnsd_server_result(r->s, "zone %s: serial %u by %s in", z->name,
	                   dnsd_zone_serial(z->cur),
	                   res->kind == DNSD_XFRIN_IXFR ? "IXFR" : "AXFR");
	/* a difference as large as the zone is never sent (the AXFR form
	 * is smaller): not worth its memory */
	if (d != NULL && dnsd_zdiff_deleted(d) + dnsd_zdiff_added(d) >=
	                     dnsd_zone_record_count(z->cur)) {
		dnsd_zdiff_free(d);
		d = NULL;
	}
	if (d != NULL)
		dnsd_ixfr_put(r->s->ixfr, z->origin, d);
	bool was_expired = z->expired;
	z->expired = false;
	rep_publish(r);
	if (was_expired)
		log_info("zone %s: serving again (serial %u)", z->name,
		         dnsd_zone_serial(z->cur));
	dnsd_notifier_zone(r->s->notifier, z->cur);
	if (old)
		dnsd_zone_unref(old);
	rep_refreshed(z, true);
	if (r->watch != NULL)
		r->watch(r->watch_ctx, z->cur);
}

static void rep_watch_start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct replica *r = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < r->nzones && r->watch != NULL; i++)
		if (r->zones[i]->cur != NULL)
			r->watch(r->watch_ctx, r->zones[i]->cur);
}

bool replica_primary(replica *r, const uint8_t *origin,
                     struct sockaddr_storage *peer, socklen_t *peerlen,
                     struct sockaddr_storage *src, socklen_t *srclen)
{
	struct rep_zone *z = rep_find(r, origin);

	if (z == NULL)
		return false;
	*peer = z->peer;
	*peerlen = z->peerlen;
	*srclen = 0;
	if (rep_source(r->s->cfg, (struct sockaddr *)&z->peer, src, srclen) ==
	    NULL)
		*srclen = 0;
	return true;
}

void replica_watch(replica *r, replica_watch_fn fn, void *ctx)
{
	r->watch = fn;
	r->watch_ctx = ctx;
	if (r->watch_start == NULL)
		r->watch_start = evtimer_new(r->s->base, rep_watch_start_cb, r);
	if (r->watch_start != NULL)
		event_active(r->watch_start, EV_TIMEOUT, 0);
}

/* ---- queries and transfers ---------------------------------------------- */

static void rep_next_waiting(struct replica *r)
{
	while (r->nwaiting > 0 && r->running < REP_RUNNING_MAX) {
		struct rep_zone *z = r->waiting[0];
		memmove(r->waiting, r->waiting + 1,
		        --r->nwaiting * sizeof(r->waiting[0]));
		z->state = Z_IDLE;
		rep_begin(z);
	}
}

static void rep_done(void *ctx, int rc, const char *why,
                     dnsd_xfrin_result *res);

/* Starts a query of type qtype for z in a free slot. */
static void rep_run(struct rep_zone *z, uint16_t qtype)
{
	struct replica *r = z->r;
	dnsd_key k;
	const char *what = qtype == DNSD_TYPE_SOA    ? "refresh"
	                   : qtype == DNSD_TYPE_IXFR ? "IXFR in"
	                                             : "AXFR in";

	if (dnsd_keystore_get(r->s->keys, z->key, &k) < 0) {
		z->state = Z_IDLE;
		rep_failed(z, what, "its key is gone");
		return;
	}
	struct sockaddr_storage src;
	xfrclient_opts o = {
	    .peer = (struct sockaddr *)&z->peer,
	    .peerlen = z->peerlen,
	    .zone = z->origin,
	    .qtype = qtype,
	    /* AXFR too: a primary's AXFR of an older serial must not roll
	     * the zone back (xfrin refuses it against the version held) */
	    .cur = z->cur,
	    .key = &k,
	    .lim = {.max_records = r->s->cfg->xfr_max_records,
	            .max_bytes = r->s->cfg->xfr_max_bytes,
	            .sizes = {.max_rrset_records =
	                          r->s->cfg->max_records_per_type,
	                      .max_name_rrsets =
	                          r->s->cfg->max_types_per_name}},
	    .timeout = qtype == DNSD_TYPE_SOA ? 5 : REP_XFR_TIMEOUT,
	};
	o.source = rep_source(r->s->cfg, o.peer, &src, &o.sourcelen);
	z->qtype = qtype;
	z->started = rep_now();
	int rc = xfrclient_start(r->s->base, &o, rep_done, z, &z->xc);
	explicit_bzero(&k, sizeof(k));
	if (rc < 0) {
		z->state = Z_IDLE;
		rep_failed(z, what, dnsd_strerror(rc));
		return;
	}
	z->state = qtype == DNSD_TYPE_SOA ? Z_SOA : Z_XFR;
	r->running++;
}

/* A refresh: a signed SOA query first, always (as BIND does: it is
 * also what makes a dnsd primary NOTIFY this secondary from then on),
 * then a transfer if needed; waits for a slot when REP_RUNNING_MAX are
 * running. */
static void rep_begin(struct rep_zone *z)
{
	struct replica *r = z->r;

	if (z->state != Z_IDLE || r->stopping)
		return;
	event_del(z->timer);
	if (r->running >= REP_RUNNING_MAX) {
		struct rep_zone **w =
		    realloc(r->waiting, (r->nwaiting + 1) * sizeof(*w));
		if (w == NULL)
			fatalx("out of memory");
		r->waiting = w;
		r->waiting[r->nwaiting++] = z;
		z->state = Z_WAIT;
		return;
	}
	rep_run(z, DNSD_TYPE_SOA);
}

/* The SOA query's answer: AXFR when no version is held (or the copy
 * on disk was bad), IXFR for a newer serial, else refreshed. */
static void rep_soa_done(struct rep_zone *z, uint32_t serial)
{
	if (z->cur == NULL || z->axfr_next) {
		rep_run(z, DNSD_TYPE_AXFR);
		return;
	}
	uint32_t ours = dnsd_zone_serial(z->cur);

	if (dnsd_serial_gt(serial, ours)) {
		log_debug("refresh zone %s from %s: serial %u -> %u, IXFR",
		          z->name, z->peer_text, ours, serial);
		rep_run(z, DNSD_TYPE_IXFR);
		return;
	}
	if (serial != ours)
		log_warnx("refresh zone %s from %s key %s: the primary's "
		          "serial %u is older than ours (%u); keeping ours",
		          z->name, z->peer_text, z->key_text, serial, ours);
	else
		log_debug("refresh zone %s from %s: serial %u, up to date",
		          z->name, z->peer_text, serial);
	rep_refreshed(z, false);
}

/* A transfer's outcome into the metrics (metrics.h): a failed one is a
 * failed load of the zone. */
static void rep_count(struct rep_zone *z, uint16_t qtype, int rc,
                      const dnsd_xfrin_result *res)
{
	if (qtype == DNSD_TYPE_SOA)
		return;
	unsigned kind = DNSD_MX_AXFR, result = DNSD_MX_XIN_FAILED;
	if (rc == 0 && res->kind == DNSD_XFRIN_UPTODATE)
		result = DNSD_MX_XIN_UPTODATE;
	else if (rc == 0)
		result = DNSD_MX_XIN_DONE;
	if (rc == 0 ? res->kind == DNSD_XFRIN_IXFR : qtype == DNSD_TYPE_IXFR)
		kind = DNSD_MX_IXFR;
	dnsd_count(DNSD_MX_XFR_IN + kind * DNSD_MX_NXIN + result);
	if (rc == 0 && result == DNSD_MX_XIN_DONE)
		dnsd_metrics_set(z->r->s, DNSD_M_ZONE_LOAD_TIME, z->name,
		                 (double)time(NULL));
	else if (rc != 0)
		dnsd_metrics_add(z->r->s, DNSD_M_ZONE_LOAD_ERRORS, z->name, 1);
}

static void rep_done(void *ctx, int rc, const char *why, dnsd_xfrin_result *res)
{
	struct rep_zone *z = ctx;
	struct replica *r = z->r;
	uint16_t qtype = z->qtype;

	z->xc = NULL;
	z->state = Z_IDLE;
	r->running--;
	rep_count(z, qtype, rc, res);
	if (rc == 0 && qtype == DNSD_TYPE_SOA) {
		rep_soa_done(z, res->serial);
	} else if (rc == 0 && res->kind == DNSD_XFRIN_UPTODATE) {
		rep_refreshed(z, false);
	} else if (rc == 0) {
		rep_install(z, res);
	} else if (qtype == DNSD_TYPE_IXFR &&
	           (rc == DNSD_ENOTSUP || rc == DNSD_EINVAL)) {
		log_info("IXFR in zone %s from %s key %s: %s; falling back to "
		         "AXFR",
		         z->name, z->peer_text, z->key_text, why);
		rep_run(z, DNSD_TYPE_AXFR);
	} else {
		rep_failed(z,
		           qtype == DNSD_TYPE_SOA    ? "refresh"
		           : qtype == DNSD_TYPE_IXFR ? "IXFR in"
		                                     : "AXFR in",
		           why && why[0] ? why : dnsd_strerror(rc));
		if (qtype != DNSD_TYPE_SOA && rc != DNSD_EIO &&
		    rc != DNSD_ETSIG)
			log_info("zone %s: keeping serial %u", z->name,
			         z->cur ? dnsd_zone_serial(z->cur) : 0);
	}
	if (res && res->zone)
		dnsd_zone_unref(res->zone);
	if (res && res->diff)
		dnsd_zdiff_free(res->diff);
	if (z->state == Z_IDLE && z->again) {
		z->again = false;
		rep_begin(z);
	}
	rep_next_waiting(r);
}

static void rep_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rep_begin(arg);
}

static void rep_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rep_zone *z = arg;
	uint32_t refresh, retry, expire;

	(void)fd;
	(void)what;
	rep_timers(z, &refresh, &retry, &expire);
	if (z->cur == NULL || z->expired ||
	    (int64_t)time(NULL) < z->last_refresh + (int64_t)expire) {
		rep_arm_expire(z);
		return;
	}
	z->expired = true;
	log_error("zone %s expired: no successful refresh from %s for %u s "
	          "(SOA EXPIRE); answering SERVFAIL until it is back",
	          z->name, z->peer_text, expire);
	rep_publish(z->r);
}

/* ---- learning zones from a root key ------------------------------------- */

static void rep_learn_done(void *ctx, int rc, const char *why,
                           dnsd_xfrin_result *res)
{
	struct rep_learner *l = ctx;
	char key[DNSD_NAME_TEXT_MAX], peer[64];

	(void)res;
	l->xc = NULL;
	log_peer((struct sockaddr *)&l->peer, peer, sizeof(peer));
	log_name(l->key, key, sizeof(key));
	/* Any signed answer (REFUSED for the root, say) means the primary
	 * took the query and will NOTIFY; else ask again soon. */
	if (rc == 0 || rc == DNSD_ENOTSUP) {
		log_debug("SOA query to %s key %s: answered; its zones come "
		          "by NOTIFY",
		          peer, key);
		l->failures = 0;
		return;
	}
	unsigned delay = REP_FIRST_RETRY << (l->failures < 6 ? l->failures : 6);
	if (delay > REP_LEARN_PERIOD)
		delay = REP_LEARN_PERIOD;
	l->failures++;
	log_warnx("SOA query to %s key %s (to learn its zones): %s; again in "
	          "%u s",
	          peer, key, why, delay);
	struct timeval tv = {.tv_sec = delay};
	evtimer_add(l->timer, &tv);
}

static void rep_learn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rep_learner *l = arg;
	struct timeval tv = {.tv_sec = REP_LEARN_PERIOD};
	dnsd_key k;

	(void)fd;
	(void)what;
	evtimer_add(l->timer, &tv);
	if (l->xc != NULL || dnsd_keystore_get(l->r->s->keys, l->key, &k) < 0)
		return;
	struct sockaddr_storage src;
	xfrclient_opts o = {.peer = (struct sockaddr *)&l->peer,
	                    .peerlen = l->peerlen,
	                    .zone = l->zone,
	                    .qtype = DNSD_TYPE_SOA,
	                    .key = &k,
	                    .timeout = 5};
	o.source = rep_source(l->r->s->cfg, o.peer, &src, &o.sourcelen);
	if (xfrclient_start(l->r->s->base, &o, rep_learn_done, l, &l->xc) < 0)
		l->xc = NULL;
	explicit_bzero(&k, sizeof(k));
}

/* ---- NOTIFY in ----------------------------------------------------------- */

static bool rep_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* Whether an unsigned NOTIFY from peer comes from a primary of zone:
 * `primary`, or the P of a transfer key covering it. Worker thread. */
static bool rep_from_primary(struct replica *r, const struct sockaddr *peer,
                             const uint8_t *zone)
{
	dnsd_server *s = r->s;
	bool ok = false;

	pthread_rwlock_rdlock(&s->cfg_lock);
	size_t n = dnsd_keystore_count(s->keys);
	for (size_t i = 0; i < n && !ok; i++) {
		uint8_t name[DNSD_NAME_MAX];
		struct sockaddr_storage ss;
		socklen_t len;
		if (dnsd_keystore_name_at(s->keys, i, name) == 0 &&
		    dnsd_key_allows(name, DNSD_KEY_OP_TRANSFER, zone) &&
		    rep_key_primary(s->cfg, name, &ss, &len))
			ok = rep_same_host(peer, (struct sockaddr *)&ss);
	}
	pthread_rwlock_unlock(&s->cfg_lock);
	return ok;
}

/* Refused NOTIFYs are logged at most 10 a second: a flood must not
 * flood the log. */
static void rep_refused_log(struct replica *r, const char *zone,
                            const char *peer, const char *why)
{
	int64_t now = time(NULL);
	int64_t sec = atomic_load(&r->refused_sec);

	if (sec != now &&
	    atomic_compare_exchange_strong(&r->refused_sec, &sec, now))
		atomic_store(&r->refused_lines, 0);
	if (atomic_fetch_add(&r->refused_lines, 1) < 10)
		log_warnx("NOTIFY in zone %s from %s: %s, REFUSED", zone, peer,
		          why);
}

size_t replica_notify(replica *r, dnsd_request *req, uint8_t *out, size_t cap)
{
	dnsd_server *s = r->s;
	char zone[DNSD_NAME_TEXT_MAX], peer[64], key[DNSD_NAME_TEXT_MAX] = "";

	if (req->q.hdr.qdcount != 1 || req->q.qtype != DNSD_TYPE_SOA ||
	    req->q.qclass != DNSD_CLASS_IN)
		return dnsd_request_answer(s, req, DNSD_RCODE_FORMERR, out,
		                           cap);
	log_zone(req->q.qname, zone, sizeof(zone));
	log_peer(req->peer, peer, sizeof(peer));
	const dnsd_zone *z =
	    req->db ? dnsd_zonedb_find(req->db, req->q.qname) : NULL;
	bool known =
	    z != NULL && dnsd_name_equal(dnsd_zone_origin(z), req->q.qname);
	if (req->tsig != NULL) {
		log_name(req->tsig->key.name, key, sizeof(key));
		if (!dnsd_key_allows(req->tsig->key.name, DNSD_KEY_OP_NOTIFY,
		                     req->q.qname)) {
			rep_refused_log(r, zone, peer,
			                "its key may not notify the zone");
			return dnsd_request_answer(s, req, DNSD_RCODE_REFUSED,
			                           out, cap);
		}
	} else if (!known) {
		log_info("NOTIFY in zone %s from %s: not a zone of ours, "
		         "NOTAUTH",
		         zone, peer);
		return dnsd_request_answer(s, req, DNSD_RCODE_NOTAUTH, out,
		                           cap);
	} else if (!rep_from_primary(r, req->peer, req->q.qname)) {
		rep_refused_log(r, zone, peer,
		                "not signed and not from the zone's primary");
		return dnsd_request_answer(s, req, DNSD_RCODE_REFUSED, out,
		                           cap);
	}
	struct rep_notice nt = {0};
	memcpy(nt.zone, req->q.qname, dnsd_name_len(req->q.qname));
	dnsd_name_lower(nt.zone);
	if (req->tsig != NULL)
		memcpy(nt.key, req->tsig->key.name,
		       dnsd_name_len(req->tsig->key.name));
	nt.has_serial = dnsd_request_soa_serial(req, nt.zone, &nt.serial);
	pthread_mutex_lock(&r->lock);
	unsigned i = 0;
	while (i < r->nnotices && !dnsd_name_equal(r->notices[i].zone, nt.zone))
		i++;
	bool room = i < r->notices_cap;
	if (room) {
		r->notices[i] = nt;
		if (i == r->nnotices)
			r->nnotices++;
	}
	pthread_mutex_unlock(&r->lock);
	if (!room) {
		rep_refused_log(r, zone, peer, "too many NOTIFYs waiting");
		return dnsd_request_answer(s, req, DNSD_RCODE_REFUSED, out,
		                           cap);
	}
	event_active(r->notice_ev, EV_READ, 0);
	if (nt.has_serial)
		log_info("NOTIFY in zone %s from %s%s%s serial %u%s", zone,
		         peer, key[0] ? " key " : "", key, nt.serial,
		         known ? "" : ", not held yet");
	else
		log_info("NOTIFY in zone %s from %s%s%s%s", zone, peer,
		         key[0] ? " key " : "", key,
		         known ? "" : ", not held yet");
	return dnsd_request_answer(s, req, DNSD_RCODE_NOERROR, out, cap);
}

/* Main loop: the NOTIFYs the workers took. A known zone refreshes now
 * (unless the serial announced is the one held); a zone not held yet,
 * NOTIFYed with a key that covers it, is added. */
static void rep_notice_cb(evutil_socket_t fd, short what, void *arg)
{
	struct replica *r = arg;
	struct rep_notice *nts;
	unsigned n;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&r->lock);
	n = r->nnotices;
	nts = malloc((n ? n : 1) * sizeof(*nts));
	if (nts != NULL)
		memcpy(nts, r->notices, n * sizeof(*nts));
	r->nnotices = 0;
	pthread_mutex_unlock(&r->lock);
	if (nts == NULL)
		return;
	for (unsigned i = 0; i < n; i++) {
		struct rep_zone *z = rep_find(r, nts[i].zone);
		if (z == NULL) {
			uint8_t key[DNSD_NAME_MAX];
			char name[DNSD_NAME_TEXT_MAX];
			log_zone(nts[i].zone, name, sizeof(name));
			if (nts[i].key[0] == 0 ||
			    !rep_pick_key(r->s->cfg, r->s->keys, nts[i].zone,
			                  key) ||
			    (z = rep_add(r, nts[i].zone, key)) == NULL) {
				log_warnx("zone %s: NOTIFYed, but no transfer "
				          "key with a primary covers it; not "
				          "added",
				          name);
				continue;
			}
			log_info("zone %s: added (NOTIFY), AXFR from %s key %s",
			         z->name, z->peer_text, z->key_text);
		} else if (nts[i].has_serial && z->cur != NULL && !z->expired &&
		           z->state == Z_IDLE &&
		           nts[i].serial == dnsd_zone_serial(z->cur)) {
			log_debug("zone %s: already at serial %u", z->name,
			          nts[i].serial);
			continue;
		}
		if (z->state == Z_IDLE)
			rep_begin(z);
		else if (z->state != Z_WAIT)
			z->again = true;
	}
	free(nts);
}

/* ---- start, reload, stop ------------------------------------------------- */

static bool rep_skip_key(void *ctx, const uint8_t *zone, const uint8_t *key)
{
	struct rep_zone *z = rep_find(ctx, zone);
	return z != NULL && dnsd_name_equal(z->key, key);
}

static void rep_add_learner(struct replica *r, const uint8_t *key,
                            const struct sockaddr_storage *ss, socklen_t len)
{
	struct rep_learner *l = calloc(1, sizeof(*l));
	struct rep_learner **nl =
	    realloc(r->learners, (r->nlearners + 1) * sizeof(*nl));

	if (l == NULL || nl == NULL)
		fatalx("out of memory");
	r->learners = nl;
	l->r = r;
	memcpy(l->key, key, dnsd_name_len(key));
	l->zone[0] = 0;
	l->peer = *ss;
	l->peerlen = len;
	if ((l->timer = evtimer_new(r->s->base, rep_learn_cb, l)) == NULL)
		fatalx("out of memory");
	r->learners[r->nlearners++] = l;
}

/* Zones and learners from the keys (new ones only). */
static void rep_from_keys(struct replica *r)
{
	dnsd_server *s = r->s;
	size_t n = dnsd_keystore_count(s->keys);

	for (size_t i = 0; i < n; i++) {
		uint8_t name[DNSD_NAME_MAX], key[DNSD_NAME_MAX];
		char kt[DNSD_NAME_TEXT_MAX];
		const uint8_t *kz;
		struct sockaddr_storage ss;
		socklen_t len;
		if (dnsd_keystore_name_at(s->keys, i, name) < 0 ||
		    dnsd_key_op(name, &kz) != DNSD_KEY_OP_TRANSFER ||
		    rep_key_ours(s->cfg, name))
			continue;
		log_name(name, kt, sizeof(kt));
		if (!rep_key_primary(s->cfg, name, &ss, &len)) {
			log_warnx("key %s names no primary and 'primary' is "
			          "not set: not used",
			          kt);
			continue;
		}
		if (kz[0] == 0) {
			bool have = false;
			for (size_t k = 0; k < r->nlearners; k++)
				have |=
				    dnsd_name_equal(r->learners[k]->key, name);
			if (!have)
				rep_add_learner(r, name, &ss, len);
			continue;
		}
		if (rep_find(r, kz) != NULL ||
		    !rep_pick_key(s->cfg, s->keys, kz, key))
			continue;
		rep_add(r, kz, key);
	}
	/* a (re)start: every learner asks again */
	for (size_t k = 0; k < r->nlearners; k++)
		event_active(r->learners[k]->timer, EV_TIMEOUT, 0);
}

struct rep_load_ctx {
	struct replica *r;
};

/* A copy found on disk at start-up. */
static void rep_found(void *ctx, zonecopy_found *f)
{
	struct replica *r = ((struct rep_load_ctx *)ctx)->r;
	char name[DNSD_NAME_TEXT_MAX];
	uint8_t key[DNSD_NAME_MAX];

	log_zone(f->origin, name, sizeof(name));
	struct rep_zone *z = rep_find(r, f->origin);
	if (z == NULL) {
		if (!rep_pick_key(r->s->cfg, r->s->keys, f->origin, key)) {
			log_warnx("zone %s: a copy is on disk but no transfer "
			          "key covers it now; not served",
			          name);
			if (f->zone)
				dnsd_zone_unref(f->zone);
			return;
		}
		z = rep_add(r, f->origin, key);
		if (z == NULL) {
			if (f->zone)
				dnsd_zone_unref(f->zone);
			return;
		}
	}
	/* a copy made before max-records-per-type or max-types-per-name
	 * were lowered is held to them as a transfer would be */
	dnsd_zone_limits lim = {
	    .max_rrset_records = r->s->cfg->max_records_per_type,
	    .max_name_rrsets = r->s->cfg->max_types_per_name};
	char why[DNSD_NAME_TEXT_MAX + 96];
	if (f->zone != NULL &&
	    dnsd_zone_check_limits(f->zone, &lim, why, sizeof(why)) < 0) {
		log_error("zone %s: the copy on disk: %s; not served, fetching "
		          "it again by AXFR",
		          name, why);
		dnsd_zone_unref(f->zone);
		z->axfr_next = true;
		return;
	}
	if (f->zone == NULL) {
		log_error("zone %s: the copy on disk is not usable (%s); "
		          "fetching it again by AXFR",
		          name, f->why);
		z->axfr_next = true;
		return;
	}
	z->cur = f->zone;
	uint32_t refresh, retry, expire;
	rep_timers(z, &refresh, &retry, &expire);
	z->last_refresh = f->has_state ? f->st.last_refresh : 0;
	z->last_transfer = f->has_state ? f->st.last_transfer : 0;
	int64_t age = (int64_t)time(NULL) - z->last_refresh;
	z->expired = age >= (int64_t)expire;
	dnsd_metrics_set(r->s, DNSD_M_ZONE_LOAD_TIME, name, (double)time(NULL));
	log_info("zone %s: serial %u loaded from disk (%zu records, last "
	         "refresh %lld s ago)%s",
	         name, dnsd_zone_serial(z->cur), dnsd_zone_record_count(z->cur),
	         (long long)age,
	         z->expired ? ", expired: SERVFAIL until refreshed" : "");
}

int replica_start(dnsd_server *s, replica **out)
{
	struct replica *r = calloc(1, sizeof(*r));
	char path[4096];

	*out = r;
	if (r == NULL)
		return -1;
	r->s = s;
	pthread_mutex_init(&r->lock, NULL);
	s->keys = dnsd_keystore_new();
	s->ixfr = dnsd_ixfr_new(s->cfg->ixfr_max_history);
	r->notice_ev = event_new(s->base, -1, 0, rep_notice_cb, r);
	r->notices_cap = s->cfg->notify_max_pending;
	r->notices = calloc(r->notices_cap, sizeof(*r->notices));
	if (s->keys == NULL || s->ixfr == NULL || r->notice_ev == NULL ||
	    r->notices == NULL)
		return -1;
	if (rep_load_keys(s->cfg, s->keys, NULL) < 0)
		return -1;
	s->notifier = dnsd_notifier_new(s);
	dnsd_notifier_set_skip(s->notifier, rep_skip_key, r);
	snprintf(path, sizeof(path), "%s/zones", s->cfg->workdir);
	if ((r->dir = strdup(path)) == NULL ||
	    (r->copies = zonecopy_open(path)) == NULL)
		return -1;
	rep_from_keys(r);
	struct rep_load_ctx lc = {r};
	zonecopy_each(r->dir, true, rep_found, &lc);
	if (r->nzones == 0 && r->nlearners == 0)
		log_warnx("secondary: no transfer key names a zone or a "
		          "primary: nothing to replicate");
	rep_publish(r);
	for (size_t i = 0; i < r->nzones; i++) {
		struct rep_zone *z = r->zones[i];
		if (z->cur != NULL && !z->expired) {
			/* serve the copy, refresh it soon (spread out) */
			rep_arm_expire(z);
			rep_schedule(z, rep_random());
			dnsd_notifier_zone(s->notifier, z->cur);
		} else {
			rep_begin(z);
		}
	}
	log_info("secondary: %zu zone%s, %zu key%s", r->nzones,
	         r->nzones == 1 ? "" : "s", dnsd_keystore_count(s->keys),
	         dnsd_keystore_count(s->keys) == 1 ? "" : "s");
	return 0;
}

/* notify-max-pending changed by a reload: the queue resized, unless
 * more are waiting than it would hold (then at the next reload). */
static void rep_notices_resize(struct replica *r, unsigned cap)
{
	pthread_mutex_lock(&r->lock);
	if (cap != r->notices_cap && r->nnotices <= cap) {
		struct rep_notice *n = realloc(r->notices, cap * sizeof(*n));
		if (n != NULL) {
			r->notices = n;
			r->notices_cap = cap;
		}
	}
	pthread_mutex_unlock(&r->lock);
}

int replica_reload(replica *r)
{
	dnsd_server *s = r->s;
	dnsd_keystore *ks = dnsd_keystore_new();

	if (ks == NULL)
		return -1;
	pthread_rwlock_rdlock(&s->cfg_lock);
	int rc = rep_load_keys(s->cfg, ks, NULL);
	pthread_rwlock_unlock(&s->cfg_lock);
	if (rc < 0) {
		log_error("keys did not load, keeping the previous keys");
		dnsd_keystore_free(ks);
		return -1;
	}
	dnsd_keystore_replace(s->keys, ks);
	dnsd_keystore_free(ks);
	rep_notices_resize(r, s->cfg->notify_max_pending);
	size_t before = r->nzones;
	rep_from_keys(r);
	for (size_t i = 0; i < r->nzones; i++) {
		struct rep_zone *z = r->zones[i];
		/* the primary may have moved (`primary`, notify-port) */
		if (z->state == Z_IDLE &&
		    rep_key_primary(s->cfg, z->key, &z->peer, &z->peerlen))
			log_peer((struct sockaddr *)&z->peer, z->peer_text,
			         sizeof(z->peer_text));
		rep_begin(z);
	}
	if (r->nzones != before)
		rep_publish(r);
	return 0;
}

void replica_stop(replica *r)
{
	dnsd_server *s;

	if (r == NULL)
		return;
	s = r->s;
	r->stopping = true;
	for (size_t i = 0; i < r->nzones; i++)
		rep_zone_free(r->zones[i]);
	free(r->zones);
	free(r->waiting);
	for (size_t k = 0; k < r->nlearners; k++) {
		xfrclient_cancel(r->learners[k]->xc);
		event_free(r->learners[k]->timer);
		free(r->learners[k]);
	}
	free(r->learners);
	zonecopy_close(r->copies);
	if (r->notice_ev)
		event_free(r->notice_ev);
	if (r->watch_start)
		event_free(r->watch_start);
	pthread_mutex_destroy(&r->lock);
	free(r->notices);
	free(r->dir);
	free(r);
	dnsd_notifier_free(s->notifier);
	s->notifier = NULL;
	dnsd_ixfr_free(s->ixfr);
	s->ixfr = NULL;
	dnsd_keystore_free(s->keys);
	s->keys = NULL;
}

/* ---- dnsd -t --------------------------------------------------------------
 */

struct rep_check {
	const dnsd_config *cfg;
	dnsd_keystore *ks;
	int rc;
};

static void rep_check_found(void *ctx, zonecopy_found *f)
{
	struct rep_check *c = ctx;
	char name[DNSD_NAME_TEXT_MAX];
	uint8_t key[DNSD_NAME_MAX];

	log_zone(f->origin, name, sizeof(name));
	if (f->why[0] != 0)
		printf("copy on disk: zone %s is not usable (%s): fetched "
		       "again by AXFR\n",
		       name, f->why);
	else if (f->has_state)
		printf("copy on disk: zone %s serial %u, last refresh %lld "
		       "from %s\n",
		       name, f->st.serial, (long long)f->st.last_refresh,
		       f->st.primary);
	else
		printf("copy on disk: zone %s, no state: expired until "
		       "refreshed\n",
		       name);
	if (!rep_pick_key(c->cfg, c->ks, f->origin, key))
		printf("copy on disk: zone %s: no transfer key covers it: not "
		       "served\n",
		       name);
}

int replica_check(const dnsd_config *cfg)
{
	struct rep_check c = {.cfg = cfg, .ks = dnsd_keystore_new()};
	char path[4096];

	if (c.ks == NULL)
		return -1;
	c.rc = rep_load_keys(cfg, c.ks, stderr);
	size_t n = dnsd_keystore_count(c.ks), used = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t name[DNSD_NAME_MAX];
		char kt[DNSD_NAME_TEXT_MAX], zt[DNSD_NAME_TEXT_MAX], pt[64];
		const uint8_t *kz;
		struct sockaddr_storage ss;
		socklen_t len;
		if (dnsd_keystore_name_at(c.ks, i, name) < 0 ||
		    dnsd_key_op(name, &kz) != DNSD_KEY_OP_TRANSFER)
			continue;
		if (rep_key_ours(cfg, name)) {
			printf("key %s names this server as the primary: for "
			       "its own secondaries\n",
			       log_name(name, kt, sizeof(kt)));
			continue;
		}
		log_name(name, kt, sizeof(kt));
		if (!rep_key_primary(cfg, name, &ss, &len)) {
			fprintf(stderr,
			        "key %s names no primary (P.S._transfer.ZONE) "
			        "and 'primary' is not set\n",
			        kt);
			c.rc = -1;
			continue;
		}
		used++;
		log_peer((struct sockaddr *)&ss, pt, sizeof(pt));
		log_zone(kz, zt, sizeof(zt));
		if (kz[0] == 0)
			printf("zones learned from primary %s (NOTIFY after a "
			       "signed SOA query) key %s\n",
			       pt, kt);
		else
			printf("zone %s primary %s key %s\n", zt, pt, kt);
	}
	if (used == 0 && c.rc == 0) {
		fprintf(stderr, "no '_transfer' key: nothing to replicate\n");
		c.rc = -1;
	}
	snprintf(path, sizeof(path), "%s/zones", cfg->workdir);
	zonecopy_each(path, false, rep_check_found, &c);
	dnsd_keystore_free(c.ks);
	return c.rc < 0 ? -1 : 0;
}
