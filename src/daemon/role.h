/* Role modules: a table of callbacks per role (DESIGN.md), selected by the
 * config's `role`. The daemon core knows nothing of git or ACME; a role
 * loads zone data and publishes it, and reacts to NOTIFY, UPDATE, timers
 * and reloads. */
#ifndef DNSD_DAEMON_ROLE_H
#define DNSD_DAEMON_ROLE_H

#include "server.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dnsd_role {
	const char *name;
	/* A hidden role (letsencrypt): every QUERY, transfers included, is
	 * REFUSED; only NOTIFY is taken. */
	bool hidden;
	/* After the config is loaded and sockets bound: load zones, publish
	 * the first snapshot, arm timers. 0 or -1 (start-up fails). */
	int (*on_start)(dnsd_server *s, void **state);
	/* Config check mode (-t): load and check everything, print problems
	 * to stderr, publish nothing. 0 when all is well. */
	int (*on_check)(const dnsd_config *cfg);
	/* A NOTIFY request (worker thread; must not block: hand slow work to
	 * the main loop). Writes the response, returns its length or 0. */
	size_t (*on_notify)(dnsd_server *s, void *state, dnsd_request *r,
	                    uint8_t *out, size_t cap);
	/* An UPDATE request, same contract. NULL: REFUSED. */
	size_t (*on_update)(dnsd_server *s, void *state, dnsd_request *r,
	                    uint8_t *out, size_t cap);
	/* An IXFR (over TCP) from a serial the history of s->ixfr does not
	 * reach (worker thread; must not block): look
	 * further back and answer with dnsd_xfrout_resume(d, z, ...) from
	 * the main loop. z is referenced for the callee. NULL: the AXFR
	 * form at once. */
	void (*on_ixfr)(dnsd_server *s, void *state, dnsd_deferred *d,
	                dnsd_zone *z, uint32_t from);
	/* SIGHUP with the new config already in s->cfg: reload zone data. */
	int (*on_reload)(dnsd_server *s, void *state);
	void (*on_stop)(dnsd_server *s, void *state);
} dnsd_role;

/* The row for a role; NULL when the role is not available yet. */
const dnsd_role *dnsd_role_get(enum dnsd_role_id id);

extern const dnsd_role dnsd_role_primary;
extern const dnsd_role dnsd_role_secondary;
extern const dnsd_role dnsd_role_letsencrypt;

#endif
