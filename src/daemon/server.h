/* The running server: what main, the listeners, the dispatcher and the
 * role modules share. One main event_base (signals, timers, role work);
 * `workers` query workers, each a thread with its own event_base and its
 * own SO_REUSEPORT sockets, reading the published zone database.
 *
 * Publication: dnsd_server_publish() swaps one pointer. A worker calls
 * dnsd_worker_snapshot() once per batch of packets; it records the
 * generation it saw, and an old database is freed (on the main loop) only
 * when every worker has moved past it.
 *
 * The rule that makes this safe (server.c gives the argument): a snapshot
 * is used only inside the event callback that took it. Nothing on a
 * worker keeps a zone database pointer from one callback to the next. */
#ifndef DNSD_DAEMON_SERVER_H
#define DNSD_DAEMON_SERVER_H

#include "config.h"
#include "metrics.h"
#include <dnsd/answer.h>
#include <dnsd/arena.h>
#include <dnsd/msg.h>
#include <dnsd/zone.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

struct event;
struct event_base;
struct dnsd_role;
struct dnsd_net;
struct dnsd_keystore;
struct dnsd_tsig_ctx;
struct dnsd_via;

#define DNSD_MAX_WORKERS 64

typedef struct dnsd_worker {
	/* metrics.h: written by this worker only, summed on a scrape */
	dnsd_counters counters;
	struct dnsd_server *server;
	unsigned index;
	struct event_base *base;
	_Atomic uint64_t seen_gen;   /* generation of the snapshot in use */
	dnsd_arena scratch;          /* reset after each response */
	struct dnsd_net_worker *net; /* the listeners' per-worker state */
	/* dispatch.c: failed TSIG verifications logged this second */
	int64_t tsig_log_sec;
	unsigned tsig_log_lines;
	unsigned long tsig_log_dropped; /* not logged since the last line */
	/* net.c: what the main loop hands this worker (deferred answers,
	 * streams for its TCP connections), under inbox_lock */
	pthread_mutex_t inbox_lock;
	struct dnsd_inbox *inbox;
	struct event *inbox_ev;
	/* server.c */
	pthread_t thread;
	bool running;
	struct event *nudge; /* main -> worker: move seen_gen forward */
	/* the systemd watchdog: a timer of the worker's loop counts beat
	 * (its only writer); the main loop compares it with beat_seen */
	_Atomic uint64_t beat;
	uint64_t beat_seen;
	struct event *heartbeat;
} dnsd_worker;

typedef struct dnsd_server {
	struct event_base *base; /* main loop */
	dnsd_config *cfg;
	const struct dnsd_role *role;
	void *role_state;
	_Atomic(dnsd_zonedb *) db; /* current snapshot */
	_Atomic uint64_t gen;      /* bumped by every publish */
	dnsd_worker workers[DNSD_MAX_WORKERS];
	unsigned nworkers;
	struct dnsd_net *net;
	dnsd_answer_opts answer_opts; /* from the config */
	struct dnsd_retired *retired; /* old snapshots waiting to be freed */
	struct event *reclaim;        /* timer freeing retired snapshots */
	/* TSIG keys (keystore.h): created by the role at start, refilled
	 * on reload (dnsd_keystore_replace locks), freed by the role at
	 * stop; NULL: no keys, every signed request is BADKEY. */
	struct dnsd_keystore *keys;
	/* outgoing transfers running (xfrout.c) */
	_Atomic unsigned transfers;
	/* the IXFR history (ixfr.h) and NOTIFY out (notifyout.h), made by
	 * the role at start */
	struct dnsd_ixfr *ixfr;
	struct dnsd_notifier *notifier;
	/* held for reading by workers that read the config (transfer
	 * access), for writing by a reload changing it */
	pthread_rwlock_t cfg_lock;
	/* systemd (sdnotify.h), main loop only: READY=1 waits while the
	 * role is loading; the role's last pull or transfer result goes
	 * into STATUS= beside the zone count */
	bool started, loading;
	char last_result[160];
	struct event *watchdog;
	/* metrics.h: the main loop's counters and its registry */
	dnsd_counters main_counters;
	struct dnsd_metrics *metrics;
} dnsd_server;

/* Sets s up for cfg on the main loop base: one event_base per worker
 * (evthread_use_pthreads() must have been called). 0 or -1. */
int dnsd_server_init(dnsd_server *s, struct event_base *base, dnsd_config *cfg);
/* Drops to cfg->user (when set): after binding, before anything else.
 * 0 or -1 with the reason logged. */
int dnsd_server_drop_privileges(const dnsd_config *cfg);
/* Attaches each worker's listeners and starts its thread. */
int dnsd_server_start_workers(dnsd_server *s);
/* Stops and joins the worker threads (no query is answered after). */
void dnsd_server_stop_workers(dnsd_server *s);
/* Frees the published and retired snapshots and the workers' bases,
 * after dnsd_server_stop_workers() and dnsd_net_close(). */
void dnsd_server_free(dnsd_server *s);

/* systemd readiness (main thread). A role whose first zone data (or
 * whose reload) finishes later than its on_start (or on_reload) calls
 * dnsd_server_loading() there and dnsd_server_loaded() when it is done,
 * success or failure; READY=1 waits for it. dnsd_server_ready() is
 * main's: READY=1 now unless the role is loading. */
void dnsd_server_loading(dnsd_server *s);
void dnsd_server_loaded(dnsd_server *s);
void dnsd_server_ready(dnsd_server *s);
/* The role's last pull or transfer result, one line (printf format),
 * for STATUS= ("serving N zones; RESULT at HH:MM:SS UTC"). Main
 * thread. */
void dnsd_server_result(dnsd_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* With systemd's WATCHDOG_USEC: WATCHDOG=1 from the main loop every
 * half interval, sent only when every query worker's heartbeat moved
 * since the last one. After dnsd_server_start_workers. 0 or -1. */
int dnsd_server_watchdog_start(dnsd_server *s);

/* Publishes db (the server takes ownership); the previous one is freed
 * once no worker can hold it. Main thread only. */
void dnsd_server_publish(dnsd_server *s, dnsd_zonedb *db);
/* The snapshot a worker answers from until its next call. */
const dnsd_zonedb *dnsd_worker_snapshot(dnsd_worker *w);

/* One request as a listener hands it to the dispatcher. */
typedef struct dnsd_request {
	const uint8_t *pkt;
	size_t len;
	dnsd_query q;
	int perr; /* result of dnsd_query_parse */
	const struct sockaddr *peer;
	socklen_t peerlen;
	bool tcp;
	const dnsd_zonedb *db;
	dnsd_worker *worker;
	/* The request's TSIG when it verified (the key is tsig->key), NULL
	 * for an unsigned request. Rows check the key's scope; the
	 * dispatcher signs their response. */
	struct dnsd_tsig_ctx *tsig;
	/* The listener's way back to the client (net.c), for a request
	 * answered later or by a stream. */
	struct dnsd_via *via;
} dnsd_request;

/* An outgoing stream of messages on a TCP connection (AXFR, IXFR). The
 * listener asks it for the next message whenever the connection's
 * output has room, signs it with the stream's TSIG (chained, RFC 8945
 * §5.3.1) and sends it; the connection serves no other request while a
 * stream runs. Runs on the connection's worker, one message at a time,
 * between other events: a slow reader only slows itself. */
typedef struct dnsd_stream {
	/* The next message into buf, at most cap octets of which reserve
	 * stay free for the TSIG: its length, 0 at the end, < 0 to abort
	 * (the connection is dropped). */
	int (*next)(struct dnsd_stream *st, uint8_t *buf, size_t cap,
	            size_t reserve);
	/* Once, when the stream ends: completed, or cut short (error, the
	 * client gone, shut down). Frees the stream. */
	void (*done)(struct dnsd_stream *st, bool completed);
	/* The request's TSIG (owned by the stream), or NULL. */
	struct dnsd_tsig_ctx *tsig;
} dnsd_stream;

/* Starts st on the TCP connection of request r (worker thread, inside
 * dispatch: the request gets no other answer, dispatch returns 0). A
 * request over UDP cannot stream: st->done(st, false) runs and -1 comes
 * back. */
int dnsd_request_stream(dnsd_request *r, dnsd_stream *st);

/* A request answered later from the main loop (an UPDATE waiting for its
 * commit, an IXFR waiting for its history): a copy of the request, its
 * TSIG state and its way back (the UDP socket and addresses, or the TCP
 * connection, which stays open for it). */
typedef struct dnsd_deferred {
	dnsd_server *s;
	uint8_t *pkt;
	size_t len;
	dnsd_query q;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	bool tcp;
	struct dnsd_tsig_ctx *tsig; /* NULL: unsigned */
	struct dnsd_via *via;       /* net.c's copy of the way back */
} dnsd_deferred;

/* Takes r off the worker (worker thread, inside dispatch; dispatch then
 * returns 0). NULL when out of memory. */
dnsd_deferred *dnsd_request_defer(dnsd_request *r);
/* Main loop: sends the response in msg (len octets, room for cap; the
 * TSIG is appended here) and frees d. */
void dnsd_deferred_answer(dnsd_deferred *d, uint8_t *msg, size_t len,
                          size_t cap);
/* Main loop: starts st on d's TCP connection and frees d (st->done
 * runs at once when the connection is gone or d came over UDP). */
void dnsd_deferred_stream(dnsd_deferred *d, dnsd_stream *st);
/* Frees d without answering. */
void dnsd_deferred_free(dnsd_deferred *d);

/* For the roles' NOTIFY and UPDATE rows (worker thread): the answer of
 * header and question with rcode, AA set for NOERROR (as BIND
 * acknowledges a zone it serves); its length in out. */
size_t dnsd_request_answer(dnsd_server *s, dnsd_request *r, int rcode,
                           uint8_t *out, size_t cap);
/* The serial of zone's SOA in the request's answer section, if it
 * carries one (a NOTIFY, RFC 1996 §3.7). */
bool dnsd_request_soa_serial(dnsd_request *r, const uint8_t *zone,
                             uint32_t *serial);

/* Parses, checks and dispatches one request on opcode (QUERY -> answer
 * engine, NOTIFY -> role on_notify, UPDATE -> role on_update, others
 * NOTIMP); writes the response to out. Returns its length, 0 to send
 * nothing. Called on worker threads; never blocks. */
size_t dnsd_dispatch(dnsd_worker *w, const uint8_t *pkt, size_t len,
                     const struct sockaddr *peer, socklen_t peerlen, bool tcp,
                     struct dnsd_via *via, uint8_t *out, size_t cap);

#endif
