/* The running server: worker threads, publication of zone databases and
 * their reclamation, privilege drop.
 *
 * Why an old database is freed safely. The main thread publishes with
 *
 *	old = exchange(db, new);  gen = gen + 1 (=: g);  retire(old, g)
 *
 * and a worker takes a snapshot with
 *
 *	h = load(gen);  store(seen_gen, h);  d = load(db)
 *
 * all sequentially consistent. If a worker's seen_gen is >= g, the load of
 * gen that produced it saw the increment, which the main thread made after
 * the exchange; the worker's later load of db therefore returns new (or a
 * newer one), never old. A snapshot is valid only until the worker's next
 * call and only within the event callback that took it (server.h), so a
 * worker whose seen_gen is >= g holds no pointer to old, and old is freed
 * once every worker's seen_gen is >= g.
 *
 * An idle worker would keep an old seen_gen forever, blocking reclamation.
 * So on publication the main thread activates the worker's `nudge` event
 * (event_active is thread-safe with evthread). Its callback runs on the
 * worker's own loop, between other callbacks: at that moment the worker
 * holds no snapshot at all (none survives a callback), so taking a fresh
 * one and dropping it is exactly right, and seen_gen catches up. A busy
 * worker catches up at its next batch anyway. The reclaim timer retries
 * until the list is empty, nudging only the workers still behind. */
#include "server.h"
#include "log.h"
#include "net.h"
#include "role.h"
#include "sdnotify.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

_Static_assert(DNSD_CONFIG_MAX_WORKERS == DNSD_MAX_WORKERS,
               "config and server agree on the number of workers");

/* How often the main loop looks again at retired databases still held. */
#define SERVER_RECLAIM_MS 100

struct dnsd_retired {
	struct dnsd_retired *next;
	dnsd_zonedb *db;
	uint64_t gen; /* free once every worker's seen_gen >= gen */
};

const dnsd_zonedb *dnsd_worker_snapshot(dnsd_worker *w)
{
	dnsd_server *s = w->server;
	uint64_t g = atomic_load(&s->gen);

	atomic_store(&w->seen_gen, g);
	return atomic_load(&s->db);
}

/* Worker side of the nudge: take a snapshot and drop it at once. */
static void server_nudge_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)dnsd_worker_snapshot(arg);
}

/* Frees what no running worker can hold; true when nothing is left. */
static bool server_reclaim_now(dnsd_server *s)
{
	uint64_t oldest = UINT64_MAX;
	struct dnsd_retired **pp = &s->retired;

	for (unsigned i = 0; i < s->nworkers; i++) {
		dnsd_worker *w = &s->workers[i];
		uint64_t g = atomic_load(&w->seen_gen);
		if (w->running && g < oldest)
			oldest = g;
	}
	while (*pp != NULL) {
		struct dnsd_retired *r = *pp;
		if (r->gen <= oldest) {
			*pp = r->next;
			log_debug("old zone database freed (generation %llu)",
			          (unsigned long long)r->gen - 1);
			dnsd_zonedb_free(r->db);
			free(r);
		} else {
			pp = &r->next;
		}
	}
	return s->retired == NULL;
}

static void server_nudge_lagging(dnsd_server *s)
{
	uint64_t g = atomic_load(&s->gen);

	for (unsigned i = 0; i < s->nworkers; i++) {
		dnsd_worker *w = &s->workers[i];
		if (w->running && atomic_load(&w->seen_gen) < g)
			event_active(w->nudge, EV_READ, 0);
	}
}

static void server_reclaim_cb(evutil_socket_t fd, short what, void *arg)
{
	dnsd_server *s = arg;
	struct timeval tv = {0, SERVER_RECLAIM_MS * 1000};

	if (server_reclaim_now(s))
		return;
	server_nudge_lagging(s);
	evtimer_add(s->reclaim, &tv);
}

/* STATUS=: the zone count of the published database and the role's
 * last result. */
static void server_status(dnsd_server *s)
{
	const dnsd_zonedb *db = atomic_load(&s->db);
	size_t n = db != NULL ? dnsd_zonedb_count(db) : 0;
	bool hidden = s->role != NULL && s->role->hidden;
	char line[256];

	if (!sdnotify_enabled())
		return;
	snprintf(line, sizeof(line), "%s %zu zone%s%s%s",
	         hidden ? "watching" : "serving", n, n == 1 ? "" : "s",
	         s->last_result[0] ? "; " : "", s->last_result);
	sdnotify_status(line);
}

void dnsd_server_result(dnsd_server *s, const char *fmt, ...)
{
	va_list ap;
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (!sdnotify_enabled())
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->last_result, sizeof(s->last_result), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(s->last_result))
		strftime(s->last_result + n, sizeof(s->last_result) - n,
		         " at %H:%M:%S UTC", gmtime_r(&now, &tm));
	server_status(s);
}

void dnsd_server_loading(dnsd_server *s)
{
	s->loading = true;
}

void dnsd_server_loaded(dnsd_server *s)
{
	if (!s->loading)
		return;
	s->loading = false;
	dnsd_server_ready(s);
}

void dnsd_server_ready(dnsd_server *s)
{
	if (s->started && !s->loading)
		sdnotify_ready();
}

/* Worker side of the watchdog: the loop runs. */
static void server_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	dnsd_worker *w = arg;

	atomic_store_explicit(
	    &w->beat, atomic_load_explicit(&w->beat, memory_order_relaxed) + 1,
	    memory_order_relaxed);
}

static void server_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	dnsd_server *s = arg;
	bool alive = true;

	for (unsigned i = 0; i < s->nworkers; i++) {
		dnsd_worker *w = &s->workers[i];
		uint64_t b =
		    atomic_load_explicit(&w->beat, memory_order_relaxed);
		if (!w->running)
			continue;
		if (b == w->beat_seen) {
			log_warnx("worker %u: no heartbeat for %.1f s, "
			          "WATCHDOG=1 held back",
			          i, sdnotify_watchdog_usec() / 2e6);
			alive = false;
		}
		w->beat_seen = b;
	}
	if (alive)
		sdnotify_watchdog();
}

int dnsd_server_watchdog_start(dnsd_server *s)
{
	uint64_t usec = sdnotify_watchdog_usec();

	if (usec == 0)
		return 0;
	/* the workers beat twice per check: one late timer is no stall */
	struct timeval half = {(time_t)(usec / 2 / 1000000),
	                       (suseconds_t)(usec / 2 % 1000000)};
	struct timeval quarter = {(time_t)(usec / 4 / 1000000),
	                          (suseconds_t)(usec / 4 % 1000000)};
	s->watchdog = event_new(s->base, -1, EV_PERSIST, server_watchdog_cb, s);
	if (s->watchdog == NULL || event_add(s->watchdog, &half) < 0)
		return -1;
	for (unsigned i = 0; i < s->nworkers; i++) {
		dnsd_worker *w = &s->workers[i];
		w->heartbeat =
		    event_new(w->base, -1, EV_PERSIST, server_heartbeat_cb, w);
		if (w->heartbeat == NULL ||
		    event_add(w->heartbeat, &quarter) < 0)
			return -1;
	}
	log_info("systemd: watchdog every %.1f s", usec / 2e6);
	return 0;
}

void dnsd_server_publish(dnsd_server *s, dnsd_zonedb *db)
{
	dnsd_zonedb *old = atomic_exchange(&s->db, db);
	uint64_t g = atomic_fetch_add(&s->gen, 1) + 1;
	struct timeval tv = {0, SERVER_RECLAIM_MS * 1000};

	server_status(s);
	if (old == NULL)
		return;
	struct dnsd_retired *r = malloc(sizeof(*r));
	if (r == NULL)
		fatalx("out of memory");
	r->db = old;
	r->gen = g;
	r->next = s->retired;
	s->retired = r;
	if (server_reclaim_now(s))
		return;
	server_nudge_lagging(s);
	if (!evtimer_pending(s->reclaim, NULL))
		evtimer_add(s->reclaim, &tv);
}

int dnsd_server_init(dnsd_server *s, struct event_base *base, dnsd_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->cfg = cfg;
	s->answer_opts.edns_payload = cfg->edns_payload;
	pthread_rwlock_init(&s->cfg_lock, NULL);
	s->reclaim = evtimer_new(base, server_reclaim_cb, s);
	if (s->reclaim == NULL)
		return -1;
	s->nworkers = cfg->workers;
	for (unsigned i = 0; i < s->nworkers; i++) {
		dnsd_worker *w = &s->workers[i];
		w->server = s;
		w->index = i;
		w->base = event_base_new();
		if (w->base == NULL)
			return -1;
		w->nudge = event_new(w->base, -1, 0, server_nudge_cb, w);
		if (w->nudge == NULL)
			return -1;
		dnsd_arena_init(&w->scratch, 0);
		pthread_mutex_init(&w->inbox_lock, NULL);
	}
	return 0;
}

int dnsd_server_drop_privileges(const dnsd_config *cfg)
{
	if (cfg->user == NULL)
		return 0;
	struct passwd *pw = getpwnam(cfg->user);
	if (pw == NULL) {
		log_error("user %s: no such user", cfg->user);
		return -1;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (geteuid() == uid && getuid() == uid)
		return 0; /* started as that user */
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		log_warn("cannot switch to user %s", cfg->user);
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		log_error("user %s: root privileges could be regained",
		          cfg->user);
		return -1;
	}
	log_info("running as user %s", cfg->user);
	return 0;
}

static void *server_worker_main(void *arg)
{
	dnsd_worker *w = arg;

	dnsd_counters_self = &w->counters;
	/* Runs until dnsd_server_stop_workers breaks the loop, even when
	 * the worker has no listener. */
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

int dnsd_server_start_workers(dnsd_server *s)
{
	sigset_t all, old;
	int r = 0;

	/* Signals belong to the main loop: threads start with them all
	 * blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < s->nworkers && r == 0; i++) {
		dnsd_worker *w = &s->workers[i];
		atomic_store(&w->seen_gen, atomic_load(&s->gen));
		if (dnsd_net_attach(w) < 0) {
			r = -1;
			break;
		}
		if (pthread_create(&w->thread, NULL, server_worker_main, w) !=
		    0) {
			log_error("cannot start worker thread %u", i);
			r = -1;
			break;
		}
		w->running = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

void dnsd_server_stop_workers(dnsd_server *s)
{
	for (unsigned i = 0; i < s->nworkers; i++) {
		dnsd_worker *w = &s->workers[i];
		if (!w->running)
			continue;
		event_base_loopbreak(w->base);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
}

void dnsd_server_free(dnsd_server *s)
{
	/* No worker runs: everything retired can go. */
	server_reclaim_now(s);
	dnsd_zonedb *db = atomic_exchange(&s->db, NULL);
	if (db != NULL)
		dnsd_zonedb_free(db);
	for (unsigned i = 0; i < s->nworkers; i++) {
		dnsd_worker *w = &s->workers[i];
		if (w->nudge != NULL)
			event_free(w->nudge);
		if (w->heartbeat != NULL)
			event_free(w->heartbeat);
		if (w->base != NULL)
			event_base_free(w->base);
		dnsd_arena_free(&w->scratch);
		pthread_mutex_destroy(&w->inbox_lock);
	}
	if (s->reclaim != NULL)
		event_free(s->reclaim);
	if (s->watchdog != NULL)
		event_free(s->watchdog);
	if (s->base != NULL)
		pthread_rwlock_destroy(&s->cfg_lock);
	memset(s, 0, sizeof(*s));
}
