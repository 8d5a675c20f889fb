/* The primary role, serving the zone files of `zones-dir DIR` read-only
 * (no UPDATE: on_update is NULL, so the dispatcher answers REFUSED). Git
 * is another source of the same role, in a later issue.
 *
 * Every regular file of DIR whose name does not start with '.' is a zone
 * named after the file (a trailing ".zone" dropped); `_keys` and
 * `ZONE._keys` are TSIG key files, loaded with the config's `key` and
 * `keys-file` keys into the server's key store (s->keys) and never
 * served.
 *
 * NOTIFY: acknowledged (NOERROR, AA) and logged when signed by a key
 * that may notify the zone (DESIGN.md key scheme); what it triggers
 * comes with the git source. As BIND answers: a zone not served here is
 * NOTAUTH, an unsigned NOTIFY or a key without notify rights for the
 * zone REFUSED (signed when the request was), a question that is not
 * one SOA FORMERR.
 *
 * Loading is one function, primary_load(), used three ways: at start-up
 * on the main thread (nothing is served yet), on SIGHUP on a thread of
 * its own (the main loop and the query workers never wait for it; the
 * result comes back through a user event and is published on the main
 * loop), and for `dnsd -t`, printing diagnostics instead of logging. A
 * zone that fails on reload keeps its last good version. */
#include "log.h"
#include "role.h"

#include <dnsd/answer.h>
#include <dnsd/err.h>
#include <dnsd/keys.h>
#include <dnsd/keystore.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const uint8_t primary_root[1] = {0};

/* One run of loading: the input, what came out, and how it went. */
struct primary_load {
	/* in */
	char *dir;
	char **cfg_keys; /* copies of the config's `key` values (secrets:
	                    wiped when freed) */
	unsigned ncfg_keys;
	char **cfg_key_files; /* the config's `keys-file` paths */
	unsigned ncfg_key_files;
	bool check;      /* dnsd -t: print diagnostics to stderr */
	dnsd_zone **old; /* the zones served when the load began, each
	                    referenced: the last good versions */
	size_t nold;
	/* out */
	dnsd_zone **zones; /* each referenced */
	size_t nzones, cap;
	dnsd_keylist keys; /* from the key files of DIR */
	dnsd_keystore *ks; /* all keys: DIR's and the config's */
	bool dir_failed;   /* DIR could not be read: nothing changes */
	bool keys_failed;  /* a key file did not load */
	unsigned failed;   /* zones and key files that did not load */
};

struct primary {
	dnsd_server *s;
	struct event *done; /* a reload's result is ready */
	pthread_t thread;
	struct primary_load *job; /* the reload running, or NULL */
	bool again;               /* SIGHUP during a reload: run another */
};

/* Diagnostics of one file: logged, or printed for -t. A key file's
 * lines hold secrets, so its diagnostics never show the line. */
struct primary_diag {
	bool check, secret;
	const char *what; /* "zone example.org", "keys example.org._keys" */
};

static void primary_diag_cb(void *ctx, const dnsd_diag *d)
{
	const struct primary_diag *pd = ctx;
	dnsd_diag copy = *d;

	if (pd->secret) {
		copy.text = NULL;
		copy.text_len = 0;
	}
	if (pd->check) {
		dnsd_diag_print(stderr, &copy);
		return;
	}
	if (d->severity == DNSD_DIAG_ERROR)
		log_error("%s: %s:%u:%u: %s", pd->what, d->file ? d->file : "",
		          d->line, d->col, d->msg);
	else
		log_warnx("%s: %s:%u:%u: %s", pd->what, d->file ? d->file : "",
		          d->line, d->col, d->msg);
}

/* Problems that are not a file's diagnostics: logged, or printed for
 * -t. */
static void primary_report(const struct primary_load *l, bool error,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void primary_report(const struct primary_load *l, bool error,
                           const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->check)
		fprintf(stderr, "%s%s\n", error ? "error: " : "warning: ", msg);
	else if (error)
		log_error("%s", msg);
	else
		log_warnx("%s", msg);
}

static dnsd_zone *primary_find(dnsd_zone *const *zones, size_t n,
                               const uint8_t *origin)
{
	for (size_t i = 0; i < n; i++)
		if (dnsd_name_equal(dnsd_zone_origin(zones[i]), origin))
			return zones[i];
	return NULL;
}

static void primary_add(struct primary_load *l, dnsd_zone *z)
{
	if (l->nzones == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		dnsd_zone **a = realloc(l->zones, cap * sizeof(*a));
		if (a == NULL)
			fatalx("out of memory");
		l->zones = a;
		l->cap = cap;
	}
	l->zones[l->nzones++] = z;
}

static void primary_load_keys(struct primary_load *l, const char *path,
                              const char *file, const char *zone, size_t zlen)
{
	uint8_t origin[DNSD_NAME_MAX];
	struct primary_diag pd = {l->check, true, NULL};
	char what[512];
	dnsd_keylist keys = {0};
	dnsd_zf_result res = {0};

	snprintf(what, sizeof(what), "keys %s", file);
	pd.what = what;
	if (zlen == 0)
		memcpy(origin, primary_root, 1);
	else if (dnsd_name_from_text(zone, zlen, primary_root, origin) < 0) {
		primary_report(l, true, "%s: the file name is not a zone name",
		               what);
		l->failed++;
		l->keys_failed = true;
		return;
	}
	dnsd_zf_opts o = {.origin = origin,
	                  .root_dir = l->dir,
	                  .diag = primary_diag_cb,
	                  .diag_ctx = &pd};
	int r = dnsd_keyfile_load(path, origin, &o, &keys, &res);
	if (r < 0) {
		primary_report(l, true, "%s: not loaded (%s)", what,
		               dnsd_strerror(r));
		l->failed++;
		l->keys_failed = true;
		dnsd_keylist_free(&keys);
		return;
	}
	for (size_t i = 0; i < keys.count; i++) {
		if (l->keys.count == l->keys.cap) {
			/* Not realloc: dnsd_keylist_free wipes the old block.
			 */
			size_t cap = l->keys.cap ? l->keys.cap * 2 : 8;
			dnsd_key *a = calloc(cap, sizeof(*a));
			if (a == NULL)
				fatalx("out of memory");
			if (l->keys.count > 0)
				memcpy(a, l->keys.keys,
				       l->keys.count * sizeof(*a));
			dnsd_keylist_free(&l->keys);
			l->keys.keys = a;
			l->keys.cap = cap;
		}
		l->keys.keys[l->keys.count++] = keys.keys[i];
	}
	dnsd_keylist_free(&keys);
}

static void primary_load_zone(struct primary_load *l, const char *path,
                              const char *file)
{
	uint8_t origin[DNSD_NAME_MAX];
	char zname[DNSD_NAME_TEXT_MAX], what[DNSD_NAME_TEXT_MAX + 8];
	size_t len = strlen(file);
	unsigned warnings = 0;
	dnsd_zone *z = NULL;

	if (len > 5 && strcmp(file + len - 5, ".zone") == 0)
		len -= 5;
	if (dnsd_name_from_text(file, len, primary_root, origin) < 0) {
		primary_report(l, true,
		               "zone file %s: the file name is not a zone "
		               "name, not served",
		               file);
		l->failed++;
		return;
	}
	log_zone(origin, zname, sizeof(zname));
	snprintf(what, sizeof(what), "zone %s", zname);
	if (primary_find(l->zones, l->nzones, origin) != NULL) {
		primary_report(l, true,
		               "%s: file %s ignored, the zone is loaded from "
		               "another file",
		               what, file);
		l->failed++;
		return;
	}
	struct primary_diag pd = {l->check, false, what};
	dnsd_zf_opts o = {.origin = origin,
	                  .root_dir = l->dir,
	                  .diag = primary_diag_cb,
	                  .diag_ctx = &pd};
	int r = dnsd_zone_load(path, &o, &warnings, &z);
	dnsd_zone *old = primary_find(l->old, l->nold, origin);
	if (r < 0) {
		l->failed++;
		if (r != DNSD_ESYNTAX && r != DNSD_EZONE)
			primary_report(l, true, "%s: %s: %s", what, path,
			               dnsd_strerror(r));
		if (old != NULL) {
			primary_report(l, true,
			               "%s: reload failed, keeping serial %u",
			               what, dnsd_zone_serial(old));
			dnsd_zone_ref(old);
			primary_add(l, old);
		} else {
			primary_report(l, true, "%s: load failed, not served",
			               what);
		}
		return;
	}
	uint32_t serial = dnsd_zone_serial(z);
	if (old != NULL && dnsd_serial_gt(dnsd_zone_serial(old), serial))
		primary_report(l, false,
		               "%s: serial went back from %u to %u; "
		               "secondaries will not see this version",
		               what, dnsd_zone_serial(old), serial);
	if (!l->check)
		log_info("%s: loaded serial %u (%zu records)", what, serial,
		         dnsd_zone_record_count(z));
	primary_add(l, z);
}

static int primary_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir not starting with '.', sorted (so logs and
 * "loaded from another file" do not depend on directory order). */
static char **primary_list(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t cap = 0;
	struct dirent *e;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **a = realloc(names, cap * sizeof(*a));
			if (a == NULL)
				fatalx("out of memory");
			names = a;
		}
		names[(*n)++] = strdup(e->d_name);
		if (names[*n - 1] == NULL)
			fatalx("out of memory");
	}
	closedir(d);
	if (names == NULL)
		names = calloc(1, sizeof(*names)); /* an empty directory */
	if (names == NULL)
		fatalx("out of memory");
	qsort(names, *n, sizeof(*names), primary_name_cmp);
	return names;
}

static void primary_load_dir(struct primary_load *l);

static void primary_keys_failed(struct primary_load *l)
{
	l->failed++;
	l->keys_failed = true;
}

/* Fills l->ks: the keys of DIR's key files, then the config's `key`
 * lines and `keys-file` files. A name given twice with other secrets is
 * an error. Messages name keys and files, never secrets. */
static void primary_load_store(struct primary_load *l)
{
	char err[600], name[DNSD_NAME_TEXT_MAX];
	size_t bad = 0;

	if (dnsd_keystore_add_list(l->ks, &l->keys, &bad) < 0) {
		primary_report(
		    l, true,
		    "keys: key '%s' is defined in two key files "
		    "with other algorithms or secrets",
		    log_name(l->keys.keys[bad].name, name, sizeof(name)));
		primary_keys_failed(l);
	}
	for (unsigned i = 0; i < l->ncfg_keys; i++) {
		dnsd_key k;
		int r =
		    dnsd_key_from_text(l->cfg_keys[i], &k, err, sizeof(err));
		if (r == 0 && (r = dnsd_keystore_add(l->ks, &k)) < 0)
			snprintf(err, sizeof(err),
			         "key '%s' is also in a key file, with another "
			         "algorithm or secret",
			         log_name(k.name, name, sizeof(name)));
		explicit_bzero(&k, sizeof(k));
		if (r < 0) {
			primary_report(l, true, "key: %s", err);
			primary_keys_failed(l);
		}
	}
	for (unsigned i = 0; i < l->ncfg_key_files; i++)
		if (dnsd_keystore_load_file(l->ks, l->cfg_key_files[i], err,
		                            sizeof(err)) < 0) {
			primary_report(l, true, "keys-file %s", err);
			primary_keys_failed(l);
		}
}

/* Loads every zone and key file of l->dir, then the key store. */
static void primary_load(struct primary_load *l)
{
	primary_load_dir(l);
	primary_load_store(l);
}

/* Loads every zone and key file of l->dir. */
static void primary_load_dir(struct primary_load *l)
{
	size_t n;
	char **names = primary_list(l->dir, &n);

	if (names == NULL) {
		primary_report(l, true, "zones-dir %s: %s", l->dir,
		               strerror(errno));
		l->dir_failed = true;
		l->failed++;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *path;
		const char *zone;
		size_t zlen;
		if (asprintf(&path, "%s/%s", l->dir, names[i]) < 0)
			fatalx("out of memory");
		if (dnsd_keyfile_name(names[i], &zone, &zlen))
			primary_load_keys(l, path, names[i], zone, zlen);
		else
			primary_load_zone(l, path, names[i]);
		free(path);
		free(names[i]);
	}
	free(names);
	/* A zone whose file went away is no longer served. */
	for (size_t i = 0; i < l->nold; i++) {
		const uint8_t *o = dnsd_zone_origin(l->old[i]);
		char zname[DNSD_NAME_TEXT_MAX];
		if (primary_find(l->zones, l->nzones, o) == NULL)
			primary_report(l, false,
			               "zone %s: its file is gone, no longer "
			               "served",
			               log_zone(o, zname, sizeof(zname)));
	}
}

static void primary_load_free(struct primary_load *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nold; i++)
		dnsd_zone_unref(l->old[i]);
	for (size_t i = 0; i < l->nzones; i++)
		dnsd_zone_unref(l->zones[i]);
	dnsd_keylist_free(&l->keys);
	dnsd_keystore_free(l->ks);
	for (unsigned i = 0; i < l->ncfg_keys; i++) {
		explicit_bzero(l->cfg_keys[i], strlen(l->cfg_keys[i]));
		free(l->cfg_keys[i]);
	}
	free(l->cfg_keys);
	for (unsigned i = 0; i < l->ncfg_key_files; i++)
		free(l->cfg_key_files[i]);
	free(l->cfg_key_files);
	free(l->old);
	free(l->zones);
	free(l->dir);
	free(l);
}

static struct primary_load *primary_load_new(const dnsd_config *cfg, bool check)
{
	struct primary_load *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->dir = strdup(cfg->zones_dir)) == NULL ||
	    (l->ks = dnsd_keystore_new()) == NULL)
		fatalx("out of memory");
	l->check = check;
	/* copies: the config may be replaced while a reload thread runs */
	l->cfg_keys = calloc(cfg->nkeys + 1, sizeof(*l->cfg_keys));
	l->cfg_key_files =
	    calloc(cfg->nkeys_files + 1, sizeof(*l->cfg_key_files));
	if (l->cfg_keys == NULL || l->cfg_key_files == NULL)
		fatalx("out of memory");
	for (; l->ncfg_keys < cfg->nkeys; l->ncfg_keys++)
		if ((l->cfg_keys[l->ncfg_keys] =
		         strdup(cfg->keys[l->ncfg_keys])) == NULL)
			fatalx("out of memory");
	for (; l->ncfg_key_files < cfg->nkeys_files; l->ncfg_key_files++)
		if ((l->cfg_key_files[l->ncfg_key_files] =
		         strdup(cfg->keys_files[l->ncfg_key_files])) == NULL)
			fatalx("out of memory");
	return l;
}

/* Publishes what l loaded (its zones, its keys unless a key file failed
 * while there are keys to keep). */
static void primary_publish(struct primary *p, struct primary_load *l)
{
	dnsd_zonedb *db = dnsd_zonedb_new(l->zones, l->nzones);

	if (db == NULL)
		fatalx("out of memory");
	dnsd_server_publish(p->s, db);
	if (l->keys_failed && dnsd_keystore_count(p->s->keys) > 0)
		log_warnx("keys: a key file did not load, keeping the "
		          "previous keys");
	else
		dnsd_keystore_replace(p->s->keys, l->ks);
	size_t nkeys = dnsd_keystore_count(p->s->keys);
	log_info("serving %zu zone%s, %zu key%s", l->nzones,
	         l->nzones == 1 ? "" : "s", nkeys, nkeys == 1 ? "" : "s");
}

/* Zones come from zones-dir; git-remote is another issue. */
static bool primary_source_ok(const dnsd_config *cfg)
{
	if (cfg->zones_dir != NULL)
		return true;
	log_error("%s: git-remote is not implemented in this version of "
	          "dnsd; use zones-dir",
	          cfg->path);
	return false;
}

static int primary_check(const dnsd_config *cfg)
{
	if (!primary_source_ok(cfg))
		return -1;
	struct primary_load *l = primary_load_new(cfg, true);
	primary_load(l);
	int r = l->failed ? -1 : 0;
	primary_load_free(l);
	return r;
}

static void *primary_reload_main(void *arg)
{
	struct primary *p = arg;

	primary_load(p->job);
	/* Hand the result to the main loop; evthread makes this safe. */
	event_active(p->done, EV_READ, 0);
	return NULL;
}

static void primary_reload_start(struct primary *p)
{
	const dnsd_zonedb *db = atomic_load(&p->s->db);
	struct primary_load *l = primary_load_new(p->s->cfg, false);

	/* The versions served now, referenced: a publication cannot take
	 * them away while the thread looks at them. */
	l->nold = db ? dnsd_zonedb_count(db) : 0;
	l->old = calloc(l->nold + 1, sizeof(*l->old));
	if (l->old == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < l->nold; i++) {
		l->old[i] = dnsd_zonedb_at(db, i);
		dnsd_zone_ref(l->old[i]);
	}
	p->job = l;
	if (pthread_create(&p->thread, NULL, primary_reload_main, p) != 0) {
		log_error("reload: cannot start a thread, reloading on the "
		          "main loop");
		primary_reload_main(p);
		p->thread = pthread_self(); /* nothing to join */
	}
}

static void primary_reload_done(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;
	struct primary_load *l = p->job;

	if (!pthread_equal(p->thread, pthread_self()))
		pthread_join(p->thread, NULL);
	p->job = NULL;
	if (l->dir_failed)
		log_error("reload failed, every zone keeps its version");
	else
		primary_publish(p, l);
	primary_load_free(l);
	if (p->again) {
		p->again = false;
		primary_reload_start(p);
	}
}

static int primary_reload(dnsd_server *s, void *state)
{
	struct primary *p = state;

	if (p->job != NULL) {
		p->again = true; /* the running one may have read old files */
		return 0;
	}
	if (!primary_source_ok(s->cfg))
		return -1;
	primary_reload_start(p);
	return 0;
}

static int primary_start(dnsd_server *s, void **state)
{
	if (!primary_source_ok(s->cfg))
		return -1;
	struct primary *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	p->s = s;
	p->done = event_new(s->base, -1, 0, primary_reload_done, p);
	s->keys = dnsd_keystore_new();
	if (p->done == NULL || s->keys == NULL) {
		if (p->done != NULL)
			event_free(p->done);
		dnsd_keystore_free(s->keys);
		s->keys = NULL;
		free(p);
		return -1;
	}
	*state = p;
	/* Nothing is served yet: loading on the main thread waits for no
	 * one. */
	struct primary_load *l = primary_load_new(s->cfg, false);
	primary_load(l);
	bool ok = !l->dir_failed;
	if (ok)
		primary_publish(p, l);
	primary_load_free(l);
	return ok ? 0 : -1;
}

static void primary_stop(dnsd_server *s, void *state)
{
	struct primary *p = state;

	if (p == NULL)
		return;
	if (p->job != NULL) {
		if (!pthread_equal(p->thread, pthread_self()))
			pthread_join(p->thread, NULL);
		primary_load_free(p->job);
	}
	event_free(p->done);
	/* the workers are stopped: no one looks keys up any more */
	dnsd_keystore_free(s->keys);
	s->keys = NULL;
	free(p);
}

/* The serial of the zone's SOA in the NOTIFY's answer section, if it
 * carries one (RFC 1996 §3.7). */
static bool primary_notify_serial(dnsd_request *r, const uint8_t *zone,
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

static size_t primary_notify_answer(dnsd_server *s, dnsd_request *r, int rcode,
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

/* A NOTIFY (worker thread): checked and logged here; the git source
 * will pull on it. */
static size_t primary_notify(dnsd_server *s, void *state, dnsd_request *r,
                             uint8_t *out, size_t cap)
{
	char zone[DNSD_NAME_TEXT_MAX], peer[64], key[DNSD_NAME_TEXT_MAX];

	if (r->q.hdr.qdcount != 1 || r->q.qtype != DNSD_TYPE_SOA)
		return primary_notify_answer(s, r, DNSD_RCODE_FORMERR, out,
		                             cap);
	const dnsd_zone *z = r->db ? dnsd_zonedb_find(r->db, r->q.qname) : NULL;
	log_zone(r->q.qname, zone, sizeof(zone));
	log_peer(r->peer, peer, sizeof(peer));
	if (z == NULL || r->q.qclass != DNSD_CLASS_IN ||
	    !dnsd_name_equal(dnsd_zone_origin(z), r->q.qname)) {
		log_info("NOTIFY in zone %s from %s: not a zone of ours, "
		         "NOTAUTH",
		         zone, peer);
		return primary_notify_answer(s, r, DNSD_RCODE_NOTAUTH, out,
		                             cap);
	}
	log_zone(dnsd_zone_origin(z), zone, sizeof(zone));
	if (r->tsig == NULL) {
		log_warnx("NOTIFY in zone %s from %s: not signed, REFUSED",
		          zone, peer);
		return primary_notify_answer(s, r, DNSD_RCODE_REFUSED, out,
		                             cap);
	}
	log_name(r->tsig->key.name, key, sizeof(key));
	if (!dnsd_key_allows(r->tsig->key.name, DNSD_KEY_OP_NOTIFY,
	                     dnsd_zone_origin(z))) {
		log_warnx("NOTIFY in zone %s from %s key %s: the key may not "
		          "notify this zone, REFUSED",
		          zone, peer, key);
		return primary_notify_answer(s, r, DNSD_RCODE_REFUSED, out,
		                             cap);
	}
	uint32_t serial;
	if (primary_notify_serial(r, dnsd_zone_origin(z), &serial))
		log_info("NOTIFY in zone %s from %s key %s serial %u", zone,
		         peer, key, serial);
	else
		log_info("NOTIFY in zone %s from %s key %s, no serial", zone,
		         peer, key);
	return primary_notify_answer(s, r, DNSD_RCODE_NOERROR, out, cap);
}

const dnsd_role dnsd_role_primary = {
    .name = "primary",
    .on_start = primary_start,
    .on_check = primary_check,
    .on_notify = primary_notify, /* acknowledged; the git source pulls */
    .on_update = NULL,           /* zones-dir is read-only: REFUSED */
    .on_reload = primary_reload,
    .on_stop = primary_stop,
};
