/* The primary role: serves the zone files of a git repository
 * (`git-remote`, cloned into WORKDIR/git, gitstore.h) or of a plain
 * directory (`zones-dir`, read-only: no UPDATE, so the dispatcher
 * answers REFUSED).
 *
 * Which files are zones and which are key files is the layout rule of
 * layout.h, the same for both sources. Key files (`_keys`, `ZONE._keys`)
 * are loaded with the config's `key` and `keys-file` keys into the
 * server's key store (s->keys) and never served.
 *
 * Loading is one job (struct primary_load) run three ways: at start-up
 * on the main thread (nothing is served yet), later on a thread of its
 * own (the main loop and the query workers never wait for git or the
 * parser; the result comes back through a user event and is published
 * on the main loop), and for `dnsd -t`, printing diagnostics instead of
 * logging. At most one job runs; what is asked meanwhile (a SIGHUP, any
 * number of NOTIFYs, the poll timer) is folded into one job queued
 * behind it.
 *
 * A git job fetches and fast-forwards (gitstore_pull), then loads the
 * commit the local branch is at. Only zone files whose blobs changed (or
 * any file they $INCLUDE) are parsed again; the others keep the version
 * served. A zone that fails to parse keeps its last good version, the
 * log naming FILE:LINE:COL and the commit. A failed fetch is retried
 * with exponential backoff (1 s doubling up to PRIMARY_BACKOFF_MAX),
 * logged once per step; what the clone holds stays served.
 *
 * NOTIFY: acknowledged (NOERROR, AA) at once when signed by a key that
 * may notify the zone (DESIGN.md key scheme), and for a git source it
 * queues a pull (RFC 1996: the notifier does not wait for the fetch).
 * A signed NOTIFY for a zone not served yet is acknowledged too when the
 * key covers it (a zone just added to the repository). As BIND answers:
 * a zone neither served nor covered is NOTAUTH, an unsigned NOTIFY or a
 * key without notify rights for the zone REFUSED (signed when the
 * request was), a question that is not one SOA FORMERR. */
#include "gitstore.h"
#include "ixfr.h"
#include "journal.h"
#include "log.h"
#include "notifyout.h"
#include "role.h"
#include "xfrout.h"

#include <dnsd/answer.h>
#include <dnsd/err.h>
#include <dnsd/keys.h>
#include <dnsd/keystore.h>
#include <dnsd/layout.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>
#include <dnsd/update.h>
#include <dnsd/wire.h>
#include <dnsd/xfr.h>
#include <dnsd/zoneedit.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PRIMARY_BACKOFF_MAX 300 /* seconds between fetch retries, at most */

static const uint8_t primary_root[1] = {0};

/* A file a zone was read from (the top file or an $INCLUDE) and its blob:
 * the zone is parsed again only when one of them changed. */
struct primary_dep {
	char *path;
	git_oid id;
};

/* One zone file of the commit served, for the next load. */
struct primary_file {
	char *name;
	uint8_t origin[DNSD_NAME_MAX]; /* the zone it holds */
	struct primary_dep *deps;
	size_t ndeps;
};

struct primary_files {
	struct primary_file *f;
	size_t n;
};

/* One run of loading: the input, what came out, and how it went. */
struct primary_load {
	/* in */
	char *dir;   /* zones-dir; NULL for git */
	gitstore *g; /* git: the clone, lent to this job */
	bool pull;   /* git: fetch and fast-forward first */
	bool force;  /* git: load the commit even if it is served
	                (keys may have changed); unchanged zone files
	                still keep their versions */
	bool have_loaded;
	git_oid loaded;            /* git: the commit served */
	struct primary_files prev; /* git: its zone files */
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
	dnsd_keylist keys; /* from the key files of the source */
	dnsd_keystore *ks; /* all keys: the source's and the config's */
	bool dir_failed;   /* nothing could be read: nothing changes */
	bool keys_failed;  /* a key file did not load */
	unsigned failed;   /* zones and key files that did not load */
	char **bad_zones;  /* the zones among them, for the metrics */
	size_t nbad_zones;
	bool same;      /* git: the commit served is still the head */
	git_oid commit; /* git: the commit loaded */
	char commit_hex[GIT_OID_HEXSZ + 1];
	struct primary_files files; /* git: the zone files loaded */
	int pull_err;               /* git: gitstore_pull's result */
	char pull_msg[768];
	gitstore_pull_result pr;
	double fetch_s, load_s;
	/* reading a git file: where its reads are recorded */
	struct primary_file *reading;
	/* IXFR requests whose client serial is older than the history in
	 * memory: looked up in the git history by the job */
	struct primary_ixfr *hist;
	unsigned max_history;
	/* UPDATE: the requests to apply in order, and the commit made */
	struct primary_update *upd;
	char *author;
	dnsd_update_limits limits;
	dnsd_zone_limits sizes; /* of every version loaded */
	/* UPDATE replay: the remote moved while local commits waited to be
	 * pushed; their UPDATEs, oldest first, go on the remote's commit
	 * (l->commit) before l->upd, and the local branch moves from
	 * l->local to the result */
	bool replaying;
	git_oid local;
	struct primary_update *replay;
	bool committed;
	bool kept;         /* conflict branches made: they wait to be pushed */
	bool store_loaded; /* l->ks was filled: publish swaps it in */
	/* push after the rest; its result and what still waits */
	bool push;
	int push_err;
	char push_msg[768];
	size_t ahead;
	/* the UPDATE journal (lent): the UPDATEs journaled and not committed
	 * yet, oldest first, and their zone files' texts; committed first
	 * when jcommit, else carried on (and what this job journals added) */
	journal *jr;
	struct primary_jw *jw;
	struct primary_update *jr_upd;
	struct primary_text *texts;
	size_t ntexts;
	bool jcommit;
	bool jcommit_failed; /* they stay in the journal */
	bool jcommitted;
	git_oid jcommit_id;
	bool pull_dropped, force_dropped; /* not done: the journal first */
	bool journaled;                   /* this job appended */
	/* the IXFR steps from the versions served to the new ones */
	struct primary_diff {
		uint8_t origin[DNSD_NAME_MAX];
		dnsd_zdiff *d;
	} * diffs;
	size_t ndiffs;
};

/* An IXFR waiting for the git history: the request, the zone version it
 * is answered from (referenced), the client's serial; the step found. */
struct primary_ixfr {
	struct primary_ixfr *next;
	dnsd_deferred *d;
	dnsd_zone *z;
	uint32_t from;
	dnsd_zdiff *step; /* from -> the zone's serial, when found */
};

/* A dynamic UPDATE waiting for its commit: the request and, once the
 * job has applied it, its answer. Or one replayed: an UPDATE of a local
 * commit the remote does not have, applied again on the remote's commit
 * (its answer went out long ago). */
struct primary_update {
	struct primary_update *next;
	dnsd_deferred *d; /* NULL when replayed */
	uint8_t *wire;    /* the message without its TSIG (owned) */
	size_t len;
	uint8_t key[DNSD_NAME_MAX];  /* the key that signed it */
	uint8_t zone[DNSD_NAME_MAX]; /* its zone section's name */
	git_oid from;                /* replayed: the local commit */
	int rcode;
	char reason[160];
	bool changed;  /* in the commit, or in the journal */
	char *summary; /* what it changed, for the commit message */
	uint64_t seq;  /* its journal record, 0 when not journaled */
};

/* A zone file's text with the journaled UPDATEs applied: what their
 * commit will hold. Kept after that commit (the next UPDATEs edit it
 * without reading it back); dirty while UPDATEs since are not in git. */
struct primary_text {
	uint8_t origin[DNSD_NAME_MAX];
	char *file;
	char *text;
	size_t len;
	bool dirty;
};

struct primary {
	dnsd_server *s;
	struct event *done; /* a job's result is ready */
	/* the job thread, started with the first job and kept: a job is
	 * handed over under job_lock (job_ready), not by a thread of its
	 * own each time */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t job_lock;
	pthread_cond_t job_cv;
	bool job_ready, job_quit;
	struct primary_load *job; /* the job running, or NULL */
	bool again_reload;        /* SIGHUP during a job */
	bool again_pull;          /* NOTIFY, timer, retry during a job */
	/* git */
	gitstore *g;
	bool have_loaded;
	git_oid loaded;
	struct primary_files files;
	struct event *pull_ev;   /* a worker asks for a pull */
	atomic_bool pull_wanted; /* set by workers before pull_ev */
	struct event *retry;     /* backoff after a failed fetch */
	unsigned backoff;        /* seconds; 0 after a success */
	struct event *poll;      /* git-poll */
	int last_err;            /* of the last fetch, for logging */
	/* IXFRs handed over by workers (on_ixfr), under ixfr_lock */
	pthread_mutex_t ixfr_lock;
	struct primary_ixfr *ixfr_in;
	struct primary_ixfr *ixfr_queued; /* for the next job */
	struct event *ixfr_ev;
	/* UPDATEs handed over by workers (under ixfr_lock too) and the
	 * ones for the next job, in arrival order */
	struct primary_update *upd_in, *upd_queued;
	struct event *upd_ev;
	atomic_uint upd_pending; /* taken and not answered yet */
	bool push_wanted;        /* commits wait to be pushed */
	struct event *push_retry;
	unsigned push_backoff;
	bool push_rejected;    /* the last push found the remote moved */
	double unpushed_since; /* primary_now() of the oldest commit not
	                          pushed, or 0 */
	/* the UPDATE journal and what it holds that git does not yet */
	journal *jr;
	struct primary_jw *jw;         /* its writer thread */
	struct primary_update *jr_upd; /* oldest first */
	struct primary_text *texts;
	size_t ntexts;
	double jr_since;         /* primary_now() of the oldest, or 0 */
	struct event *commit_ev; /* idle, or the retry after a failure */
	bool commit_wanted;
	unsigned commit_backoff;
	bool pull_deferred, reload_deferred; /* until the journal commits */
};

/* ---- diagnostics ------------------------------------------------------ */

/* Diagnostics of one file: logged, or printed for -t. A key file's
 * lines hold secrets, so its diagnostics never show the line. */
struct primary_diag {
	bool check, secret;
	const char *what;   /* "zone example.org", "keys example.org._keys" */
	const char *commit; /* git: the commit's short id, else NULL */
};

static void primary_diag_cb(void *ctx, const dnsd_diag *d)
{
	const struct primary_diag *pd = ctx;
	dnsd_diag copy = *d;
	char at[32] = "";

	if (pd->secret) {
		copy.text = NULL;
		copy.text_len = 0;
	}
	if (pd->check) {
		dnsd_diag_print(stderr, &copy);
		return;
	}
	if (pd->commit != NULL)
		snprintf(at, sizeof(at), " (commit %s)", pd->commit);
	if (d->severity == DNSD_DIAG_ERROR)
		log_error("%s: %s:%u:%u: %s%s", pd->what,
		          d->file ? d->file : "", d->line, d->col, d->msg, at);
	else
		log_warnx("%s: %s:%u:%u: %s%s", pd->what,
		          d->file ? d->file : "", d->line, d->col, d->msg, at);
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

static const char *primary_short(const struct primary_load *l)
{
	return l->dir == NULL ? l->commit_hex : NULL;
}

/* ---- the files of a load --------------------------------------------- */

static void primary_files_free(struct primary_files *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		for (size_t k = 0; k < fs->f[i].ndeps; k++)
			free(fs->f[i].deps[k].path);
		free(fs->f[i].deps);
		free(fs->f[i].name);
	}
	free(fs->f);
	fs->f = NULL;
	fs->n = 0;
}

static struct primary_file *primary_files_add(struct primary_files *fs,
                                              const char *name)
{
	struct primary_file *a = realloc(fs->f, (fs->n + 1) * sizeof(*a));
	if (a == NULL)
		fatalx("out of memory");
	fs->f = a;
	struct primary_file *f = &a[fs->n++];
	memset(f, 0, sizeof(*f));
	if ((f->name = strdup(name)) == NULL)
		fatalx("out of memory");
	return f;
}

static const struct primary_file *
primary_files_find(const struct primary_files *fs, const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].name, name) == 0)
			return &fs->f[i];
	return NULL;
}

/* gittree_src's on_read: records a file the zone being parsed read. */
static void primary_on_read(void *ctx, const char *path, const git_oid *id)
{
	struct primary_load *l = ctx;
	struct primary_file *f = l->reading;

	if (f == NULL)
		return;
	struct primary_dep *a = realloc(f->deps, (f->ndeps + 1) * sizeof(*a));
	if (a == NULL || (a[f->ndeps].path = strdup(path)) == NULL)
		fatalx("out of memory");
	git_oid_cpy(&a[f->ndeps].id, id);
	f->deps = a;
	f->ndeps++;
}

/* True when every file zone file `f` read is the same blob in tree. */
static bool primary_unchanged(const struct primary_file *f, git_tree *tree)
{
	if (f->ndeps == 0)
		return false;
	for (size_t i = 0; i < f->ndeps; i++) {
		git_tree_entry *e = NULL;
		bool same =
		    git_tree_entry_bypath(&e, tree, f->deps[i].path) == 0 &&
		    git_oid_equal(git_tree_entry_id(e), &f->deps[i].id);
		git_tree_entry_free(e);
		if (!same)
			return false;
	}
	return true;
}

/* ---- loading ---------------------------------------------------------- */

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

static void primary_keys_failed(struct primary_load *l)
{
	l->failed++;
	l->keys_failed = true;
}

/* The options to parse one file of the source with. */
static dnsd_zf_opts primary_opts(struct primary_load *l, gittree_src *src,
                                 const uint8_t *origin, struct primary_diag *pd)
{
	dnsd_zf_opts o = {.origin = origin,
	                  .root_dir = l->dir,
	                  .diag = primary_diag_cb,
	                  .diag_ctx = pd};
	if (src != NULL) {
		o.read = gittree_read;
		o.read_ctx = src;
	}
	return o;
}

static void primary_load_keys(struct primary_load *l, gittree_src *src,
                              const char *path, const char *file, size_t zlen)
{
	uint8_t origin[DNSD_NAME_MAX];
	struct primary_diag pd = {l->check, true, NULL, primary_short(l)};
	char what[512];
	dnsd_keylist keys = {0};
	dnsd_zf_result res = {0};

	snprintf(what, sizeof(what), "keys %s", file);
	pd.what = what;
	if (zlen == 0)
		memcpy(origin, primary_root, 1);
	else if (dnsd_name_from_text(file, zlen, primary_root, origin) < 0) {
		primary_report(l, true, "%s: the file name is not a zone name",
		               what);
		primary_keys_failed(l);
		return;
	}
	dnsd_zf_opts o = primary_opts(l, src, origin, &pd);
	int r = dnsd_keyfile_load(path, origin, &o, &keys, &res);
	if (r < 0) {
		primary_report(l, true, "%s: not loaded (%s)", what,
		               dnsd_strerror(r));
		primary_keys_failed(l);
		dnsd_keylist_free(&keys);
		return;
	}
	for (size_t i = 0; i < keys.count; i++)
		if (dnsd_keylist_append(&l->keys, &keys.keys[i]) < 0)
			fatalx("out of memory");
	dnsd_keylist_free(&keys);
}

/* The zone a file name stands for, or false (reported). */
static bool primary_zone_origin(struct primary_load *l, const char *file,
                                size_t len, uint8_t origin[DNSD_NAME_MAX])
{
	if (dnsd_name_from_text(file, len, primary_root, origin) >= 0)
		return true;
	primary_report(l, true,
	               "zone file %s: the file name is not a zone name, not "
	               "served",
	               file);
	l->failed++;
	return false;
}

/* A version past max-records-per-type or max-types-per-name is not
 * served (as one that fails the zone checks): DNSD_EZONE, reported. */
static int primary_check_sizes(struct primary_load *l, const char *what,
                               const char *path, dnsd_zone **z)
{
	char why[DNSD_NAME_TEXT_MAX + 96];
	if (dnsd_zone_check_limits(*z, &l->sizes, why, sizeof why) == 0)
		return 0;
	primary_report(l, true, "%s: %s: %s", what, path, why);
	dnsd_zone_unref(*z);
	*z = NULL;
	return DNSD_EZONE;
}

/* A zone that did not load (zname as log_zone writes it), counted on
 * the main loop (metrics.h). */
static void primary_note_bad(struct primary_load *l, const char *zname)
{
	char **a = realloc(l->bad_zones, (l->nbad_zones + 1) * sizeof(*a));
	if (a == NULL || (a[l->nbad_zones] = strdup(zname)) == NULL)
		fatalx("out of memory");
	l->bad_zones = a;
	l->nbad_zones++;
}

static void primary_load_zone(struct primary_load *l, gittree_src *src,
                              const char *path, const char *file, size_t len,
                              git_tree *tree)
{
	uint8_t origin[DNSD_NAME_MAX];
	char zname[DNSD_NAME_TEXT_MAX], what[DNSD_NAME_TEXT_MAX + 8];
	unsigned warnings = 0;
	dnsd_zone *z = NULL;

	if (!primary_zone_origin(l, file, len, origin))
		return;
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
	dnsd_zone *old = primary_find(l->old, l->nold, origin);
	if (src != NULL) {
		/* git: a zone whose files are the same blobs keeps its
		 * version */
		const struct primary_file *pf =
		    primary_files_find(&l->prev, file);
		struct primary_file *nf = primary_files_add(&l->files, file);
		memcpy(nf->origin, origin, dnsd_name_len(origin));
		if (old != NULL && pf != NULL && primary_unchanged(pf, tree)) {
			for (size_t i = 0; i < pf->ndeps; i++) {
				l->reading = nf;
				primary_on_read(l, pf->deps[i].path,
				                &pf->deps[i].id);
			}
			l->reading = NULL;
			dnsd_zone_ref(old);
			primary_add(l, old);
			return;
		}
		l->reading = nf;
	}
	struct primary_diag pd = {l->check, false, what, primary_short(l)};
	dnsd_zf_opts o = primary_opts(l, src, origin, &pd);
	int r = dnsd_zone_load(path, &o, &warnings, &z);
	l->reading = NULL;
	if (r == 0)
		r = primary_check_sizes(l, what, path, &z);
	if (r < 0) {
		l->failed++;
		primary_note_bad(l, zname);
		if (r != DNSD_ESYNTAX && r != DNSD_EZONE)
			primary_report(l, true, "%s: %s: %s", what, path,
			               dnsd_strerror(r));
		if (old != NULL) {
			primary_report(l, true,
			               "%s: reload failed, keeping serial %u",
			               what, dnsd_zone_serial(old));
			dnsd_zone_ref(old);
			primary_add(l, old);
			/* parsed again next time: the deps recorded are those
			 * of the broken version */
			if (src != NULL) {
				struct primary_file *f =
				    &l->files.f[l->files.n - 1];
				for (size_t i = 0; i < f->ndeps; i++)
					free(f->deps[i].path);
				f->ndeps = 0;
			}
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
	else if (src != NULL && old != NULL && dnsd_zone_serial(old) == serial)
		primary_report(l, false,
		               "%s: the file changed but serial %u did not; "
		               "secondaries will not see this version",
		               what, serial);
	if (!l->check)
		log_info("%s: loaded serial %u (%zu records)", what, serial,
		         dnsd_zone_record_count(z));
	primary_add(l, z);
	/* the IXFR step from the version served, computed here, off the
	 * main loop */
	dnsd_zdiff *d;
	if (!l->check && old != NULL &&
	    dnsd_serial_gt(serial, dnsd_zone_serial(old)) &&
	    dnsd_zdiff_compute(old, z, &d) == 0) {
		struct primary_diff *a =
		    realloc(l->diffs, (l->ndiffs + 1) * sizeof(*a));
		if (a == NULL)
			fatalx("out of memory");
		l->diffs = a;
		memcpy(a[l->ndiffs].origin, origin, dnsd_name_len(origin));
		a[l->ndiffs++].d = d;
	}
}

/* One top-level file of the source, by the layout rule. */
static void primary_load_file(struct primary_load *l, gittree_src *src,
                              const char *path, const char *name,
                              const dnsd_layout_ignore *ig, git_tree *tree)
{
	size_t zlen;

	switch (dnsd_layout_classify(name, ig, &zlen)) {
	case DNSD_LAYOUT_KEYS:
		primary_load_keys(l, src, path, name, zlen);
		break;
	case DNSD_LAYOUT_ZONE:
		primary_load_zone(l, src, path, name, zlen, tree);
		break;
	default:
		break;
	}
}

static int primary_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted (so logs and "loaded from another
 * file" do not depend on directory order). */
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
		if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
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

/* The .dnsdignore of a directory, when it has one. */
static void primary_dir_ignore(struct primary_load *l, dnsd_layout_ignore *ig)
{
	char *path, buf[65536];

	if (asprintf(&path, "%s/%s", l->dir, DNSD_LAYOUT_IGNORE_FILE) < 0)
		fatalx("out of memory");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && dnsd_layout_ignore_parse(buf, (size_t)n, ig) < 0)
		fatalx("out of memory");
}

/* Loads every zone and key file of the directory l->dir. */
static void primary_load_dir(struct primary_load *l)
{
	size_t n;
	char **names = primary_list(l->dir, &n);
	dnsd_layout_ignore ig = {0};

	if (names == NULL) {
		primary_report(l, true, "zones-dir %s: %s", l->dir,
		               strerror(errno));
		l->dir_failed = true;
		l->failed++;
		return;
	}
	primary_dir_ignore(l, &ig);
	for (size_t i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s", l->dir, names[i]) < 0)
			fatalx("out of memory");
		primary_load_file(l, NULL, path, names[i], &ig, NULL);
		free(path);
		free(names[i]);
	}
	free(names);
	dnsd_layout_ignore_free(&ig);
}

/* The .dnsdignore of a tree, when it has one. */
static void primary_tree_ignore(gittree_src *src, dnsd_layout_ignore *ig)
{
	char *buf = NULL;
	size_t len = 0;
	void (*on_read)(void *, const char *, const git_oid *) = src->on_read;

	src->on_read = NULL;
	if (gittree_read(src, DNSD_LAYOUT_IGNORE_FILE, &buf, &len) == 0 &&
	    dnsd_layout_ignore_parse(buf, len, ig) < 0)
		fatalx("out of memory");
	src->on_read = on_read;
	free(buf);
}

static double primary_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void primary_replay_collect(struct primary_load *l, git_oid *head);

/* Loads every zone and key file of the commit of the local branch
 * (after a pull when l->pull). */
static void primary_load_git(struct primary_load *l)
{
	git_oid head;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	dnsd_layout_ignore ig = {0};

	if (!l->pull && !l->force && l->have_loaded) {
		/* nothing moves the branch but this process's jobs: the
		 * commit served is the head */
		git_oid_cpy(&l->commit, &l->loaded);
		git_oid_tostr(l->commit_hex, sizeof(l->commit_hex), &l->loaded);
		l->commit_hex[7] = 0;
		l->same = true;
		return;
	}
	if (l->pull) {
		double t0 = primary_now();
		l->pull_err = gitstore_pull(l->g, &l->pr, l->pull_msg,
		                            sizeof(l->pull_msg));
		l->fetch_s = primary_now() - t0;
	}
	if (!gitstore_head(l->g, &head)) {
		l->dir_failed = true; /* nothing cloned yet */
		return;
	}
	if (l->pull && l->pull_err == 0 && l->pr.diverged)
		primary_replay_collect(l, &head);
	git_oid_cpy(&l->commit, &head);
	git_oid_tostr(l->commit_hex, sizeof(l->commit_hex), &head);
	l->commit_hex[7] = 0;
	if (!l->force && l->have_loaded && git_oid_equal(&head, &l->loaded)) {
		l->same = true;
		return;
	}
	double t0 = primary_now();
	git_repository *repo = gitstore_repo(l->g);
	if (git_commit_lookup(&commit, repo, &head) != 0 ||
	    git_commit_tree(&tree, commit) != 0) {
		const git_error *e = git_error_last();
		primary_report(l, true, "git: commit %s: %s", l->commit_hex,
		               e ? e->message : "cannot be read");
		l->dir_failed = true;
		l->failed++;
		git_commit_free(commit);
		return;
	}
	gittree_src src = {repo, tree, primary_on_read, l};
	primary_tree_ignore(&src, &ig);
	size_t n = git_tree_entrycount(tree);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_filemode_t mode = git_tree_entry_filemode(e);
		const char *name = git_tree_entry_name(e);
		if (mode != GIT_FILEMODE_BLOB &&
		    mode != GIT_FILEMODE_BLOB_EXECUTABLE)
			continue;
		primary_load_file(l, &src, name, name, &ig, tree);
	}
	dnsd_layout_ignore_free(&ig);
	git_tree_free(tree);
	git_commit_free(commit);
	l->load_s = primary_now() - t0;
}

/* Fills l->ks: the keys of the source's key files, then the config's
 * `key` lines and `keys-file` files. A name given twice with other
 * secrets is an error. Messages name keys and files, never secrets. */
static void primary_load_store(struct primary_load *l)
{
	l->store_loaded = true;
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

/* ---- IXFR from the git history --------------------------------------- */

/* A zone file's SOA serial, the parse stopped right after it. */
struct primary_soa_find {
	uint32_t serial;
	bool found;
};

static int primary_soa_sink(void *ctx, const dnsd_zf_rr *rr)
{
	struct primary_soa_find *f = ctx;
	if (rr->type != DNSD_TYPE_SOA)
		return 0;
	f->found = dnsd_soa_fields(rr->rdata, rr->rdlen, &f->serial, NULL, NULL,
	                           NULL, NULL) == 0;
	return DNSD_ETOOMANY; /* enough */
}

static void primary_quiet_diag(void *ctx, const dnsd_diag *d)
{
}

/* The versions of a zone file, newest first (commits only: reading
 * them is what costs). */
struct primary_versions {
	git_oid *commits;
	size_t n;
};

static int primary_versions_cb(void *ctx, const git_oid *commit,
                               const git_oid *blob)
{
	struct primary_versions *v = ctx;
	git_oid *a = realloc(v->commits, (v->n + 1) * sizeof(*a));
	if (a == NULL)
		return 1;
	v->commits = a;
	git_oid_cpy(&a[v->n++], commit);
	return 0;
}

/* Reads the version of file at commit: its SOA serial into *serial, and
 * with load, the whole version into *z. False when it cannot be read. */
static bool primary_version(struct primary_load *l, const git_oid *commit,
                            const char *file, const uint8_t *origin,
                            uint32_t *serial, dnsd_zone **z)
{
	git_repository *repo = gitstore_repo(l->g);
	git_commit *c = NULL;
	git_tree *tree = NULL;
	bool ok = false;

	if (git_commit_lookup(&c, repo, commit) == 0 &&
	    git_commit_tree(&tree, c) == 0) {
		gittree_src src = {repo, tree, NULL, NULL};
		dnsd_zf_opts o = {.origin = origin,
		                  .diag = primary_quiet_diag,
		                  .read = gittree_read,
		                  .read_ctx = &src};
		unsigned warnings;
		if (z != NULL) {
			ok = dnsd_zone_load(file, &o, &warnings, z) == 0;
		} else {
			struct primary_soa_find f = {0};
			dnsd_zf_result res;
			(void)dnsd_zonefile_parse(file, &o, primary_soa_sink,
			                          &f, &res);
			ok = f.found;
			*serial = f.serial;
		}
	}
	git_tree_free(tree);
	git_commit_free(c);
	return ok;
}

/* The step from the version of file with serial h->from to h->z: the
 * versions are listed first (trees only), then bisected on the serial,
 * which grows along the history (RFC 1982), so a version N commits back
 * costs log N reads, not N. */
static void primary_find_step(struct primary_load *l, struct primary_ixfr *h,
                              const char *file)
{
	struct primary_versions v = {0};
	const uint8_t *origin = dnsd_zone_origin(h->z);

	(void)gitstore_file_versions(l->g, file, l->max_history + 1,
	                             primary_versions_cb, &v);
	size_t lo = 0, hi = v.n; /* newest .. oldest, [lo, hi) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t serial;
		if (!primary_version(l, &v.commits[mid], file, origin, &serial,
		                     NULL))
			break;
		if (serial == h->from) {
			dnsd_zone *old = NULL;
			if (primary_version(l, &v.commits[mid], file, origin,
			                    &serial, &old)) {
				if (dnsd_zdiff_compute(old, h->z, &h->step) < 0)
					h->step = NULL;
				dnsd_zone_unref(old);
			}
			break;
		}
		if (dnsd_serial_gt(serial, h->from))
			lo = mid + 1; /* newer than the client's: go back */
		else
			hi = mid;
	}
	free(v.commits);
}

/* Job thread: the steps the waiting IXFRs need, from the git history of
 * their zone files, at most l->max_history versions back. */
static void primary_load_history(struct primary_load *l)
{
	for (struct primary_ixfr *h = l->hist; h != NULL; h = h->next) {
		const struct primary_file *f = NULL;
		const uint8_t *origin = dnsd_zone_origin(h->z);
		const struct primary_files *lists[2] = {&l->files, &l->prev};
		for (int k = 0; k < 2 && f == NULL; k++)
			for (size_t i = 0; i < lists[k]->n && f == NULL; i++)
				if (dnsd_name_equal(lists[k]->f[i].origin,
				                    origin))
					f = &lists[k]->f[i];
		if (f != NULL)
			primary_find_step(l, h, f->name);
	}
}

/* Main loop, after the job: each waiting IXFR answered, from the history
 * now in s->ixfr, or in AXFR form. */
static void primary_history_done(struct primary *p, struct primary_load *l)
{
	while (l->hist != NULL) {
		struct primary_ixfr *h = l->hist;
		l->hist = h->next;
		if (h->step != NULL) {
			dnsd_ixfr_put(p->s->ixfr, dnsd_zone_origin(h->z),
			              h->step);
			h->step = NULL;
		}
		dnsd_ixfr_step *steps[64];
		size_t n = 0;
		if (dnsd_ixfr_chain(p->s->ixfr, dnsd_zone_origin(h->z), h->from,
		                    dnsd_zone_serial(h->z), steps, 64, &n) < 0)
			n = 0;
		dnsd_xfrout_resume(h->d, h->z, steps, n);
		free(h);
	}
}

static void primary_history_free(struct primary_ixfr *h)
{
	while (h != NULL) {
		struct primary_ixfr *next = h->next;
		dnsd_zdiff_free(h->step);
		dnsd_zone_unref(h->z);
		dnsd_deferred_free(h->d);
		free(h);
		h = next;
	}
}

/* Worker thread (role.h on_ixfr): hand the request to the main loop. */
static void primary_on_ixfr(dnsd_server *s, void *state, dnsd_deferred *d,
                            dnsd_zone *z, uint32_t from)
{
	struct primary *p = state;
	struct primary_ixfr *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		dnsd_xfrout_resume(d, z, NULL, 0);
		return;
	}
	h->d = d;
	h->z = z;
	h->from = from;
	pthread_mutex_lock(&p->ixfr_lock);
	h->next = p->ixfr_in;
	p->ixfr_in = h;
	pthread_mutex_unlock(&p->ixfr_lock);
	event_active(p->ixfr_ev, EV_READ, 0);
}

/* ---- UPDATE ----------------------------------------------------------- */

#define PRIMARY_PUSH_LAG    1.0  /* s: a push goes before more UPDATEs */
#define PRIMARY_COMMIT_IDLE 0.25 /* s without UPDATEs: the journal commits */
#define PRIMARY_COMMIT_LAG                                                     \
	10.0 /* s: the oldest journaled UPDATE is committed by then, however   \
	        many more come */
#define PRIMARY_JOURNAL_MAX                                                    \
	10000 /* journaled UPDATEs: commit before more are taken into it */

/* Where the UPDATEs' zone files (and what they $INCLUDE) are read from:
 * the tree of the commit served. */
typedef struct primary_rd {
	int (*read)(void *ctx, const char *path, char **buf, size_t *len);
	void *ctx;
} primary_rd;

/* The commit's tree for the journaled UPDATEs, looked up only when a
 * file has to be read (most jobs read none: the texts are in memory). */
struct primary_src {
	struct primary_load *l;
	git_commit *c;
	git_tree *tree;
	bool failed;
};

static int primary_src_read(void *ctx, const char *path, char **buf,
                            size_t *len)
{
	struct primary_src *ps = ctx;

	if (ps->tree == NULL && !ps->failed &&
	    (git_commit_lookup(&ps->c, gitstore_repo(ps->l->g),
	                       &ps->l->commit) != 0 ||
	     git_commit_tree(&ps->tree, ps->c) != 0))
		ps->failed = true;
	if (ps->tree == NULL)
		return DNSD_ENOTFOUND;
	gittree_src src = {gitstore_repo(ps->l->g), ps->tree, NULL, NULL};
	return gittree_read(&src, path, buf, len);
}

static void primary_src_free(struct primary_src *ps)
{
	git_tree_free(ps->tree);
	git_commit_free(ps->c);
}

/* One zone the UPDATEs of a job change: its version as the updates
 * before left it, and its file's text. */
struct primary_upzone {
	uint8_t origin[DNSD_NAME_MAX];
	dnsd_zone *cur;       /* referenced */
	dnsd_zone *start;     /* referenced: the version before the job's */
	dnsd_update_group *g; /* journal: the job's UPDATEs of the zone */
	uint32_t serial;      /* and the serial they left */
	const char *file;
	char *text;
	size_t len;
	bool changed;
};

static struct primary_upzone *
primary_upzone_get(struct primary_load *l, struct primary_upzone *ws, size_t *n,
                   dnsd_zone *const *base, size_t nbase, const primary_rd *rd,
                   const uint8_t *origin)
{
	for (size_t i = 0; i < *n; i++)
		if (dnsd_name_equal(ws[i].origin, origin))
			return &ws[i];
	dnsd_zone *z = primary_find(base, nbase, origin);
	if (z == NULL || *n == 64)
		return NULL;
	struct primary_upzone *u = &ws[(*n)++];
	memset(u, 0, sizeof(*u));
	memcpy(u->origin, origin, dnsd_name_len(origin));
	dnsd_zone_ref(z);
	dnsd_zone_ref(z);
	u->cur = u->start = z;
	u->serial = dnsd_zone_serial(z);
	for (size_t i = 0; i < l->ntexts; i++)
		if (dnsd_name_equal(l->texts[i].origin, origin)) {
			/* journaled UPDATEs changed it since the commit */
			u->file = l->texts[i].file;
			u->len = l->texts[i].len;
			if ((u->text = malloc(u->len + 1)) == NULL)
				fatalx("out of memory");
			memcpy(u->text, l->texts[i].text, u->len + 1);
			return u;
		}
	const struct primary_files *lists[2] = {&l->files, &l->prev};
	for (int k = 0; k < 2 && u->file == NULL; k++)
		for (size_t i = 0; i < lists[k]->n && u->file == NULL; i++)
			if (dnsd_name_equal(lists[k]->f[i].origin, origin))
				u->file = lists[k]->f[i].name;
	if (u->file != NULL &&
	    rd->read(rd->ctx, u->file, &u->text, &u->len) < 0)
		u->text = NULL;
	return u;
}

#define PRIMARY_SUMMARY_LINES 10 /* lines of an UPDATE in its commit */

/* An UPDATE of the job parsed into m (from a, reset) and the working
 * copy of its zone; NULL when it is not for one of ours (u says why). */
static struct primary_upzone *
primary_update_zone(struct primary_load *l, struct primary_update *u,
                    struct primary_upzone *ws, size_t *nws,
                    dnsd_zone *const *base, size_t nbase, const primary_rd *rd,
                    dnsd_arena *a, dnsd_msg *m)
{
	dnsd_arena_reset(a);
	if (u->wire == NULL) {
		/* a local commit that is not dnsd's: nothing to replay */
		u->rcode = DNSD_RCODE_REFUSED;
		snprintf(u->reason, sizeof(u->reason),
		         "a local commit with no UPDATE to replay");
		return NULL;
	}
	if (dnsd_msg_parse(u->wire, u->len, a, m) < 0 || m->hdr.qdcount != 1) {
		u->rcode = DNSD_RCODE_FORMERR;
		snprintf(u->reason, sizeof(u->reason), "malformed");
		return NULL;
	}
	memcpy(u->zone, m->qd[0].qname, dnsd_name_len(m->qd[0].qname));
	struct primary_upzone *z =
	    primary_upzone_get(l, ws, nws, base, nbase, rd, m->qd[0].qname);
	if (z == NULL) {
		u->rcode = DNSD_RCODE_NOTAUTH;
		snprintf(u->reason, sizeof(u->reason), "zone not served");
	}
	return z;
}

/* What an UPDATE asked, for its commit message: the serial step, then a
 * line per update of its update section (+ an add, - a delete), the
 * first PRIMARY_SUMMARY_LINES. */
static char *primary_msg_summary(const dnsd_msg *m, uint32_t from, uint32_t to)
{
	char *text = NULL, name[DNSD_NAME_TEXT_MAX], type[16], rdata[512];
	size_t len = 0, n = m->count[DNSD_SEC_AUTHORITY];
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		fatalx("out of memory");
	fprintf(f, "serial %u -> %u\n", from, to);
	for (size_t i = 0; i < n && i < PRIMARY_SUMMARY_LINES; i++) {
		const dnsd_rr *rr = &m->sec[DNSD_SEC_AUTHORITY][i];
		log_name(rr->owner, name, sizeof(name));
		dnsd_rrtype_to_text(rr->type, type);
		if (rr->rclass == DNSD_CLASS_ANY && rr->type == DNSD_TYPE_ANY) {
			fprintf(f, "  - %s (every RRset)\n", name);
			continue;
		}
		if (rr->rclass == DNSD_CLASS_ANY) {
			fprintf(f, "  - %s %s (the RRset)\n", name, type);
			continue;
		}
		if (dnsd_rdata_to_text(rr->type, rr->rdata, rr->rdlen, false,
		                       rdata, sizeof(rdata)) < 0)
			snprintf(rdata, sizeof(rdata), "(%u octets)",
			         rr->rdlen);
		if (rr->rclass == DNSD_CLASS_NONE)
			fprintf(f, "  - %s %s %s\n", name, type, rdata);
		else
			fprintf(f, "  + %s %u %s %s\n", name, rr->ttl, type,
			        rdata);
	}
	if (n > PRIMARY_SUMMARY_LINES)
		fprintf(f, "  (and %zu more)\n", n - PRIMARY_SUMMARY_LINES);
	fclose(f);
	return text;
}

/* One UPDATE against the zone as the updates before it left it, its zone
 * file edited for it alone. */
static void primary_apply_one(struct primary_load *l, struct primary_update *u,
                              struct primary_upzone *ws, size_t *nws,
                              dnsd_zone *const *base, size_t nbase,
                              const primary_rd *rd, dnsd_arena *a)
{
	dnsd_update_result res = {0};
	dnsd_msg m;
	struct primary_upzone *z =
	    primary_update_zone(l, u, ws, nws, base, nbase, rd, a, &m);

	if (z != NULL) {
		dnsd_update_apply(z->cur, &m, &l->limits, &res);
		u->rcode = res.rcode;
		snprintf(u->reason, sizeof(u->reason), "%s", res.reason);
	}
	if (z != NULL && res.rcode == DNSD_RCODE_NOERROR && res.zone != NULL) {
		char *text = NULL, err[256] = "";
		size_t len = 0;
		dnsd_zf_opts o = {
		    .origin = z->origin, .read = rd->read, .read_ctx = rd->ctx};
		int r = z->text == NULL
		            ? DNSD_ENOTFOUND
		            : dnsd_zoneedit_apply_known(z->file, z->text,
		                                        z->len, &o, z->cur,
		                                        res.diff, &text, &len,
		                                        NULL, err, sizeof(err));
		if (r < 0) {
			u->rcode = DNSD_RCODE_REFUSED;
			snprintf(u->reason, sizeof(u->reason),
			         "the zone file cannot be edited: %.120s",
			         z->text == NULL ? "not found" : err);
		} else {
			free(z->text);
			z->text = text;
			z->len = len;
			u->summary = primary_msg_summary(
			    &m, dnsd_zone_serial(z->cur), res.serial);
			dnsd_zone_unref(z->cur);
			z->cur = res.zone;
			res.zone = NULL;
			struct primary_diff *da =
			    realloc(l->diffs, (l->ndiffs + 1) * sizeof(*da));
			if (da == NULL)
				fatalx("out of memory");
			l->diffs = da;
			memcpy(da[l->ndiffs].origin, z->origin,
			       dnsd_name_len(z->origin));
			da[l->ndiffs++].d = res.diff;
			res.diff = NULL;
			z->changed = true;
			u->changed = true;
		}
	}
	dnsd_update_result_clear(&res);
}

static void primary_update_free(struct primary_update *u);

/* The trailer that lets an UPDATE be replayed from its commit:
 * "Dnsd-Update: KEY BASE64" (the message without its TSIG). */
#define PRIMARY_TRAILER "Dnsd-Update: "

static void primary_update_trailer(FILE *f, const struct primary_update *u)
{
	char key[DNSD_NAME_TEXT_MAX];
	size_t cap = (u->len + 2) / 3 * 4 + 1;
	char *b64 = malloc(cap);

	if (b64 == NULL || dnsd_name_to_text(u->key, key, sizeof(key)) < 0 ||
	    dnsd_key_b64_encode(u->wire, u->len, b64, cap) < 0)
		fatalx("out of memory");
	fprintf(f, "%s%s %s\n", PRIMARY_TRAILER, key, b64);
	free(b64);
}

/* The trailer of a commit of journaled UPDATEs: the journal's id and
 * the last record it holds. */
#define PRIMARY_JTRAILER "Dnsd-Journal: "

/* The commit message: who changed which zone, a line per UPDATE (the
 * replayed ones, on the remote's commit, first), then the trailers; and
 * the journal's when jr. */
static char *primary_update_message(struct primary_update *replay,
                                    struct primary_update *upd,
                                    const git_oid *onto, const journal *jr)
{
	char *text = NULL, zone[DNSD_NAME_TEXT_MAX], key[DNSD_NAME_TEXT_MAX];
	char remote[GIT_OID_HEXSZ + 1];
	size_t len = 0, n = 0, nr = 0;
	FILE *f = open_memstream(&text, &len);
	struct primary_update *lists[2] = {replay, upd};
	uint64_t last = 0;

	if (f == NULL)
		fatalx("out of memory");
	for (int k = 0; k < 2; k++)
		for (struct primary_update *u = lists[k]; u; u = u->next) {
			n += u->changed;
			nr += u->changed && k == 0;
		}
	git_oid_tostr(remote, sizeof(remote), onto);
	remote[7] = 0;
	fprintf(f, "dnsd: %zu dynamic update%s", n, n == 1 ? "" : "s");
	if (nr > 0)
		fprintf(f, " (%zu replayed on %s)", nr, remote);
	fprintf(f, "\n\n");
	for (int k = 0; k < 2; k++)
		for (struct primary_update *u = lists[k]; u; u = u->next) {
			if (!u->changed)
				continue;
			log_zone(u->zone, zone, sizeof(zone));
			log_name(u->key, key, sizeof(key));
			fprintf(f, "UPDATE zone %s key %s: %s", zone, key,
			        u->summary ? u->summary : "\n");
			if (u->reason[0])
				fprintf(f, "  (%s)\n", u->reason);
		}
	fprintf(f, "\n");
	for (int k = 0; k < 2; k++)
		for (struct primary_update *u = lists[k]; u; u = u->next)
			if (u->changed) {
				primary_update_trailer(f, u);
				if (u->seq > last)
					last = u->seq;
			}
	if (jr != NULL)
		fprintf(f, "%s%016llx %llu\n", PRIMARY_JTRAILER,
		        (unsigned long long)journal_id(jr),
		        (unsigned long long)last);
	fclose(f);
	return text;
}

/* Replay: the UPDATEs of one local commit from its trailers, appended at
 * *tail; a commit without any (not dnsd's) gets one with no message,
 * which goes to a conflict branch. */
struct primary_pending {
	struct primary_update **tail;
	size_t n;
};

static int primary_pending_cb(void *ctx, const git_oid *commit, const char *msg)
{
	struct primary_pending *pp = ctx;
	size_t found = 0;

	for (const char *line = msg; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t ll = end ? (size_t)(end - line) : strlen(line);
		size_t tl = strlen(PRIMARY_TRAILER);
		const char *sp =
		    ll > tl ? memchr(line + tl, ' ', ll - tl) : NULL;
		if (ll > tl && memcmp(line, PRIMARY_TRAILER, tl) == 0 &&
		    sp != NULL) {
			struct primary_update *u = calloc(1, sizeof(*u));
			size_t blen = ll - (size_t)(sp + 1 - line);
			if (u == NULL || (u->wire = malloc(blen)) == NULL)
				fatalx("out of memory");
			const char *kt = line + tl;
			int dl =
			    dnsd_key_b64_decode(sp + 1, blen, u->wire, blen);
			if (dl < DNSD_HDR_LEN ||
			    dnsd_name_from_text(kt, (size_t)(sp - kt), NULL,
			                        u->key) < 0) {
				/* unreadable: kept whole on a conflict branch
				 */
				free(u->wire);
				u->wire = NULL;
			} else {
				u->len = (size_t)dl;
			}
			git_oid_cpy(&u->from, commit);
			u->rcode = DNSD_RCODE_SERVFAIL;
			*pp->tail = u;
			pp->tail = &u->next;
			pp->n++;
			found++;
		}
		line = end ? end + 1 : NULL;
	}
	if (found == 0) {
		struct primary_update *u = calloc(1, sizeof(*u));
		if (u == NULL)
			fatalx("out of memory");
		git_oid_cpy(&u->from, commit);
		*pp->tail = u;
		pp->tail = &u->next;
		pp->n++;
	}
	return 0;
}

/* Job thread, after a fetch found the local branch and the remote's both
 * moved: the local commits' UPDATEs are to be replayed on the remote's
 * commit, which is what is loaded. */
static void primary_replay_collect(struct primary_load *l, git_oid *head)
{
	struct primary_pending pp = {&l->replay, 0};
	char local[GIT_OID_HEXSZ + 1], remote[GIT_OID_HEXSZ + 1];

	if (gitstore_pending(l->g, primary_pending_cb, &pp) < 0) {
		primary_update_free(l->replay);
		l->replay = NULL;
		log_error("UPDATE replay: the local commits cannot be read; "
		          "they stay as they are");
		return;
	}
	l->replaying = true;
	git_oid_cpy(&l->local, head);
	git_oid_cpy(head, &l->pr.remote);
	git_oid_tostr(local, sizeof(local), &l->local);
	git_oid_tostr(remote, sizeof(remote), &l->pr.remote);
	local[7] = remote[7] = 0;
	log_warnx("git: the remote's branch %s moved to %s while local "
	          "commits waited; replaying their %zu UPDATE%s (local %s) "
	          "on it",
	          gitstore_branch(l->g), remote, pp.n, pp.n == 1 ? "" : "s",
	          local);
}

/* A replayed UPDATE that no longer applies: its local commit is kept on
 * a branch dnsd/conflict-ZONE-TIME, pushed with the next push. Said
 * loudly: an acknowledged UPDATE is not served any more. */
static void primary_conflict(struct primary_load *l, struct primary_update *u,
                             const char *prev_branch, char *branch, size_t cap)
{
	char zone[DNSD_NAME_TEXT_MAX] = "unknown", key[DNSD_NAME_TEXT_MAX] = "";
	char when[32], err[700], from[GIT_OID_HEXSZ + 1];
	time_t now = time(NULL);
	struct tm tm;

	if (u->wire != NULL) {
		log_zone(u->zone, zone, sizeof(zone));
		log_name(u->key, key, sizeof(key));
	}
	git_oid_tostr(from, sizeof(from), &u->from);
	from[7] = 0;
	if (prev_branch == NULL) {
		size_t zl = strlen(zone);
		if (zl > 1 && zone[zl - 1] == '.')
			zone[zl - 1] = 0;
		/* a ref name: no escapes, no "..", nothing git refuses */
		for (char *c = zone; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' &&
			    *c != '.' && *c != '_')
				*c = '_';
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
		int r = -1;
		for (unsigned i = 1; r < 0 && i < 100; i++) {
			if (i == 1)
				snprintf(branch, cap, "dnsd/conflict-%s-%s",
				         zone, when);
			else
				snprintf(branch, cap, "dnsd/conflict-%s-%s-%u",
				         zone, when, i);
			r = gitstore_keep(l->g, branch, &u->from, err,
			                  sizeof(err));
		}
		if (r < 0) {
			log_error("UPDATE conflict: %s", err);
			snprintf(branch, cap, "(none, see above)");
		}
	} else {
		snprintf(branch, cap, "%s", prev_branch);
	}
	log_error("UPDATE CONFLICT: zone %s%s%s from commit %s no longer "
	          "applies on the remote's %s (%s: %s); not served, kept on "
	          "branch %s",
	          zone, key[0] ? " key " : "", key, from, l->commit_hex,
	          dnsd_tsig_error_name((uint16_t)u->rcode), u->reason, branch);
}

/* The IXFR steps after a replay: the version served was the local one,
 * so the step from the remote's is not the secondaries'; one step from
 * what was served to the result instead. */
static void primary_replay_diffs(struct primary_load *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->ndiffs; i++)
		dnsd_zdiff_free(l->diffs[i].d);
	l->ndiffs = 0;
	for (size_t i = 0; i < l->nzones; i++) {
		dnsd_zone *z = l->zones[i];
		dnsd_zone *old =
		    primary_find(l->old, l->nold, dnsd_zone_origin(z));
		dnsd_zdiff *d;
		if (old == NULL || old == z)
			continue;
		char zname[DNSD_NAME_TEXT_MAX];
		if (!dnsd_serial_gt(dnsd_zone_serial(z),
		                    dnsd_zone_serial(old))) {
			log_warnx(
			    "zone %s: serial %u after the replay is not "
			    "past the %u served; secondaries will not see "
			    "this version",
			    log_zone(dnsd_zone_origin(z), zname, sizeof(zname)),
			    dnsd_zone_serial(z), dnsd_zone_serial(old));
			continue;
		}
		if (dnsd_zdiff_compute(old, z, &d) < 0)
			continue;
		struct primary_diff *a =
		    realloc(l->diffs, (k + 1) * sizeof(*a));
		if (a == NULL)
			fatalx("out of memory");
		l->diffs = a;
		memcpy(a[k].origin, dnsd_zone_origin(z),
		       dnsd_name_len(dnsd_zone_origin(z)));
		a[k++].d = d;
	}
	l->ndiffs = k;
}

/* The working zones after the UPDATEs become the set to publish: the
 * served zones, the changed ones replaced. */
static void primary_updates_publish(struct primary_load *l,
                                    struct primary_upzone *ws, size_t nws)
{
	if (l->same) {
		l->same = false;
		for (size_t i = 0; i < l->nold; i++) {
			dnsd_zone_ref(l->old[i]);
			primary_add(l, l->old[i]);
		}
		for (size_t i = 0; i < l->prev.n; i++) {
			struct primary_file *f =
			    primary_files_add(&l->files, l->prev.f[i].name);
			memcpy(f->origin, l->prev.f[i].origin,
			       dnsd_name_len(l->prev.f[i].origin));
		}
		l->store_loaded = false;
	}
	for (size_t i = 0; i < nws; i++) {
		if (!ws[i].changed)
			continue;
		for (size_t k = 0; k < l->nzones; k++)
			if (dnsd_name_equal(dnsd_zone_origin(l->zones[k]),
			                    ws[i].origin)) {
				dnsd_zone_unref(l->zones[k]);
				dnsd_zone_ref(ws[i].cur);
				l->zones[k] = ws[i].cur;
			}
	}
}

/* Every UPDATE that changed something failed with the commit. */
static void primary_updates_uncommitted(struct primary_load *l)
{
	struct primary_update *lists[2] = {l->replay, l->upd};

	for (int k = 0; k < 2; k++)
		for (struct primary_update *u = lists[k]; u; u = u->next)
			if (u->changed) {
				u->rcode = DNSD_RCODE_SERVFAIL;
				u->changed = false;
				snprintf(u->reason, sizeof(u->reason),
				         "not committed");
			}
	for (size_t i = 0; i < l->ndiffs; i++)
		dnsd_zdiff_free(l->diffs[i].d);
	l->ndiffs = 0;
}

/* Replay: each UPDATE's outcome logged, and the conflicts kept on
 * branches (before the local branch moves off their commits). */
static void primary_replay_report(struct primary_load *l)
{
	char branch[600], zone[DNSD_NAME_TEXT_MAX], key[DNSD_NAME_TEXT_MAX];

	for (struct primary_update *u = l->replay; u; u = u->next) {
		if (u->rcode == DNSD_RCODE_NOERROR) {
			log_info("UPDATE zone %s key %s: replayed on %s%s",
			         log_zone(u->zone, zone, sizeof(zone)),
			         log_name(u->key, key, sizeof(key)),
			         l->commit_hex,
			         u->changed ? "" : ", no change left to make");
			continue;
		}
		/* one branch per local commit */
		const char *prev = NULL;
		for (struct primary_update *v = l->replay; v != u; v = v->next)
			if (v->rcode != DNSD_RCODE_NOERROR &&
			    git_oid_equal(&v->from, &u->from))
				prev = branch;
		primary_conflict(l, u, prev, branch, sizeof(branch));
		l->kept = true;
	}
}

/* ---- the UPDATE journal ----------------------------------------------- */

static void primary_upzones_free(struct primary_upzone *ws, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dnsd_zone_unref(ws[i].cur);
		dnsd_zone_unref(ws[i].start);
		dnsd_update_group_free(ws[i].g);
		free(ws[i].text);
	}
}

/* The text of a zone file the journaled UPDATEs changed (text taken). */
static void primary_text_set(struct primary_load *l, const uint8_t *origin,
                             const char *file, char *text, size_t len)
{
	struct primary_text *t = NULL;

	for (size_t i = 0; i < l->ntexts && t == NULL; i++)
		if (dnsd_name_equal(l->texts[i].origin, origin))
			t = &l->texts[i];
	if (t == NULL) {
		struct primary_text *a =
		    realloc(l->texts, (l->ntexts + 1) * sizeof(*a));
		if (a == NULL)
			fatalx("out of memory");
		l->texts = a;
		t = &a[l->ntexts++];
		memset(t, 0, sizeof(*t));
		memcpy(t->origin, origin, dnsd_name_len(origin));
		if ((t->file = strdup(file)) == NULL)
			fatalx("out of memory");
	}
	free(t->text);
	t->text = text;
	t->len = len;
	t->dirty = true;
}

static void primary_texts_free(struct primary_text *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].file);
		free(t[i].text);
	}
	free(t);
}

/* The journal writer: a thread that appends a group's records (the
 * fdatasync) while the job thread builds the zone and edits its file. */
struct primary_jw {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	journal *jr;
	journal_rec *recs; /* posted */
	size_t n;
	bool posted, done, quit;
	int rc;
	char err[768];
};

static void *primary_jw_main(void *arg)
{
	struct primary_jw *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->posted && !w->quit)
			pthread_cond_wait(&w->cv, &w->lock);
		if (!w->posted)
			break;
		w->posted = false;
		pthread_mutex_unlock(&w->lock);
		int rc = journal_append(w->jr, w->recs, w->n, w->err,
		                        sizeof(w->err));
		pthread_mutex_lock(&w->lock);
		w->rc = rc;
		w->done = true;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Starts appending recs (kept by the caller until primary_jw_wait); on
 * the calling thread when there is no writer thread. */
static void primary_jw_post(struct primary_jw *w, journal *jr,
                            journal_rec *recs, size_t n)
{
	if (w == NULL || !w->started) {
		if (w != NULL) {
			w->rc =
			    journal_append(jr, recs, n, w->err, sizeof(w->err));
			w->done = true;
		}
		return;
	}
	pthread_mutex_lock(&w->lock);
	w->jr = jr;
	w->recs = recs;
	w->n = n;
	w->done = false;
	w->posted = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->lock);
}

/* Waits for the append posted: 0, or -1 with the reason in err. */
static int primary_jw_wait(struct primary_jw *w, char *err, size_t cap)
{
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		pthread_cond_wait(&w->cv, &w->lock);
	w->done = false;
	int rc = w->rc;
	if (rc < 0)
		snprintf(err, cap, "%s", w->err);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

static struct primary_jw *primary_jw_new(void)
{
	struct primary_jw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		fatalx("out of memory");
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->started = pthread_create(&w->thread, NULL, primary_jw_main, w) == 0;
	return w;
}

static void primary_jw_free(struct primary_jw *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cv);
	free(w);
}

/* The records of the UPDATEs of the list that changed something and are
 * not in the journal yet; their number in *n. */
static journal_rec *primary_jrecs(struct primary_update *upd, size_t *n)
{
	size_t k = 0;

	*n = 0;
	for (struct primary_update *u = upd; u; u = u->next)
		*n += u->changed && u->seq == 0;
	journal_rec *recs = calloc(*n + 1, sizeof(*recs));
	if (recs == NULL)
		fatalx("out of memory");
	for (struct primary_update *u = upd; u; u = u->next)
		if (u->changed && u->seq == 0)
			recs[k++] = (journal_rec){u->key, u->wire, u->len, 0};
	return recs;
}

/* The journal records the list's UPDATEs hold, first and last (0 when
 * none); their number. */
static size_t primary_seq_range(const struct primary_update *u, uint64_t *first,
                                uint64_t *last)
{
	size_t n = 0;

	*first = *last = 0;
	for (; u != NULL; u = u->next)
		if (u->seq != 0) {
			*first = *first ? *first : u->seq;
			*last = u->seq;
			n++;
		}
	return n;
}

/* Every UPDATE of the list that changed something is undone: it failed
 * (why). */
static void primary_updates_fail(struct primary_update *u, const char *why)
{
	for (; u != NULL; u = u->next)
		if (u->changed) {
			u->rcode = DNSD_RCODE_SERVFAIL;
			u->changed = false;
			snprintf(u->reason, sizeof(u->reason), "%s", why);
		}
}

/* Job thread: the UPDATEs of l->upd applied one after the other, each
 * judged against the zone as the ones before it left it; the file of
 * each zone changed edited once for all of them; then one journal append
 * and one fdatasync for the group, after which they are answered. When
 * that one edit fails (an UPDATE touches a record of a $GENERATE or an
 * $INCLUDEd file, say), they are applied again one by one, each edited
 * on its own, so that only the culprits are REFUSED. UPDATEs read from
 * the journal at start-up (seq set) are in it already. */
static void primary_apply_journaled(struct primary_load *l,
                                    dnsd_zone *const *base, size_t nbase)
{
	struct primary_src ps = {.l = l};
	primary_rd rdv = {primary_src_read, &ps}, *rd = &rdv;
	struct primary_upzone ws[64];
	char *texts[64] = {0};
	size_t lens[64], nws = 0, ndiffs = l->ndiffs;
	dnsd_arena a;
	dnsd_update_result res;
	bool careful = false;
	char err[768];

	dnsd_arena_init(&a, 0);
	for (struct primary_update *u = l->upd; u && !careful; u = u->next) {
		dnsd_msg m;
		struct primary_upzone *z = primary_update_zone(
		    l, u, ws, &nws, base, nbase, rd, &a, &m);
		if (z == NULL)
			continue;
		if (z->g == NULL &&
		    dnsd_update_group_new(z->start, &l->limits, &z->g) < 0)
			fatalx("out of memory");
		dnsd_update_group_apply(z->g, &m, &res);
		u->rcode = res.rcode;
		snprintf(u->reason, sizeof(u->reason), "%s", res.reason);
		if (res.changed) {
			u->summary =
			    primary_msg_summary(&m, z->serial, res.serial);
			z->serial = res.serial;
			z->changed = u->changed = true;
		}
		/* out of memory: one by one, as below */
		careful = res.rcode == DNSD_RCODE_SERVFAIL;
	}
	/* their records go to the journal while the zones are built and
	 * their files edited */
	journal_mark mark;
	size_t n = 0;
	journal_rec *recs = NULL;
	journal_mark_get(l->jr, &mark);
	if (!careful && (recs = primary_jrecs(l->upd, &n)) != NULL && n > 0)
		primary_jw_post(l->jw, l->jr, recs, n);
	for (size_t i = 0; i < nws && !careful; i++) {
		dnsd_zdiff *d = NULL;
		dnsd_zone *nz = NULL;
		dnsd_zf_opts o = {.origin = ws[i].origin,
		                  .read = rd->read,
		                  .read_ctx = rd->ctx};
		if (!ws[i].changed)
			continue;
		/* the group's difference, one edit of the zone file with it,
		 * and the new version built once, from the edited file (and
		 * checked to be the old one with the difference applied);
		 * failing: one by one, to find the culprits */
		if (dnsd_update_group_diff(ws[i].g, &d) < 0 || d == NULL ||
		    ws[i].text == NULL ||
		    dnsd_zoneedit_apply_known(
		        ws[i].file, ws[i].text, ws[i].len, &o, ws[i].start, d,
		        &texts[i], &lens[i], &nz, err, sizeof(err)) < 0) {
			dnsd_zdiff_free(d);
			careful = true;
			break;
		}
		dnsd_zone_unref(ws[i].cur);
		ws[i].cur = nz;
		struct primary_diff *da =
		    realloc(l->diffs, (l->ndiffs + 1) * sizeof(*da));
		if (da == NULL)
			fatalx("out of memory");
		l->diffs = da;
		memcpy(da[l->ndiffs].origin, ws[i].origin,
		       dnsd_name_len(ws[i].origin));
		da[l->ndiffs++].d = d;
	}
	bool durable = true;
	if (n > 0 && primary_jw_wait(l->jw, err, sizeof(err)) < 0)
		durable = false;
	if (careful && n > 0 && durable &&
	    journal_rewind(l->jr, &mark, err, sizeof(err)) < 0) {
		/* the group's records stay in the journal: none of them may be
		 * answered as applied */
		log_error("UPDATE: %s", err);
		careful = false;
		durable = false;
	}
	if (careful) {
		for (size_t i = 0; i < nws; i++)
			free(texts[i]);
		for (size_t i = ndiffs; i < l->ndiffs; i++)
			dnsd_zdiff_free(l->diffs[i].d);
		l->ndiffs = ndiffs;
		primary_upzones_free(ws, nws);
		nws = 0;
		for (struct primary_update *u = l->upd; u; u = u->next) {
			free(u->summary);
			u->summary = NULL;
			u->changed = false;
			primary_apply_one(l, u, ws, &nws, base, nbase, rd, &a);
		}
	} else {
		for (size_t i = 0; i < nws; i++)
			if (ws[i].changed) {
				free(ws[i].text);
				ws[i].text = texts[i];
				ws[i].len = lens[i];
			}
	}
	dnsd_arena_free(&a);

	if (careful) {
		/* one by one: their records now */
		free(recs);
		recs = primary_jrecs(l->upd, &n);
		durable = n == 0 ||
		          journal_append(l->jr, recs, n, err, sizeof(err)) == 0;
	}
	if (!durable) {
		log_error("UPDATE: %s: %zu UPDATE%s not durable, answered "
		          "SERVFAIL, nothing changes",
		          err, n, n == 1 ? "" : "s");
		primary_updates_fail(l->upd, "not durable: the journal cannot "
		                             "be written");
		for (size_t i = ndiffs; i < l->ndiffs; i++)
			dnsd_zdiff_free(l->diffs[i].d);
		l->ndiffs = ndiffs;
		for (size_t i = 0; i < nws; i++)
			ws[i].changed = false;
	}
	size_t k = 0;
	for (struct primary_update *u = l->upd; u && durable; u = u->next)
		if (u->changed && u->seq == 0)
			u->seq = recs[k++].seq;
	free(recs);
	bool any = false;
	for (size_t i = 0; i < nws; i++)
		any |= ws[i].changed;
	if (any) {
		l->journaled = true;
		primary_updates_publish(l, ws, nws);
		for (size_t i = 0; i < nws; i++)
			if (ws[i].changed) {
				primary_text_set(l, ws[i].origin, ws[i].file,
				                 ws[i].text, ws[i].len);
				ws[i].text = NULL;
			}
	}
	primary_upzones_free(ws, nws);
	primary_src_free(&ps);
}

/* Job thread, first of all: the journaled UPDATEs (l->jr_upd) committed
 * to git with their zone files' texts, and the journal emptied. When the
 * commit fails (a full disk) they stay in the journal and served, and the
 * job neither pulls nor reloads: that would load a commit without
 * them. */
static void primary_journal_commit(struct primary_load *l)
{
	gitstore_file *files = calloc(l->ntexts + 1, sizeof(*files));
	char err[768], hex[GIT_OID_HEXSZ + 1];
	size_t nf = 0;
	uint64_t first, last;
	size_t n = primary_seq_range(l->jr_upd, &first, &last);

	if (files == NULL)
		fatalx("out of memory");
	/* only the files changed since the last commit */
	for (size_t i = 0; i < l->ntexts; i++)
		if (l->texts[i].dirty)
			files[nf++] =
			    (gitstore_file){l->texts[i].file, l->texts[i].text,
			                    l->texts[i].len};
	char *msg = primary_update_message(NULL, l->jr_upd, &l->loaded, l->jr);
	git_oid id;
	if (gitstore_commit(l->g, NULL, files, nf, l->author, msg, &id, err,
	                    sizeof(err)) < 0) {
		log_error(
		    "UPDATE: %s; the %zu journaled UPDATE%s (#%llu..#%llu) "
		    "stay in the journal and served, committed later",
		    err, n, n == 1 ? "" : "s", (unsigned long long)first,
		    (unsigned long long)last);
		l->jcommit_failed = true;
		l->pull_dropped = l->pull;
		l->force_dropped = l->force;
		l->pull = l->force = false;
	} else {
		l->jcommitted = true;
		git_oid_cpy(&l->jcommit_id, &id);
		git_oid_tostr(hex, sizeof(hex), &id);
		hex[7] = 0;
		/* what is served is this commit: no reload for it */
		git_oid_cpy(&l->loaded, &id);
		l->have_loaded = true;
		log_info("UPDATE commit %s: %zu UPDATE%s from the journal "
		         "(#%llu..#%llu)",
		         hex, n, n == 1 ? "" : "s", (unsigned long long)first,
		         (unsigned long long)last);
		if (journal_reset(l->jr, err, sizeof(err)) < 0)
			log_error("UPDATE: %s (the commit holds its records: "
			          "they are not applied twice)",
			          err);
		for (size_t i = 0; i < l->ntexts; i++)
			l->texts[i].dirty = false;
	}
	free(msg);
	free(files);
}

/* Job thread: the UPDATEs in order (after a replay's), then one commit
 * for all that changed something (group commit: one fsync for the
 * group); or, with the journal, one journal append for them. */
static void primary_apply_updates(struct primary_load *l)
{
	struct primary_upzone ws[64];
	size_t nws = 0;
	dnsd_zone *const *base = l->same ? l->old : l->zones;
	size_t nbase = l->same ? l->nold : l->nzones;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	dnsd_arena a;
	struct primary_update *lists[2] = {l->replay, l->upd};

	if (l->jr != NULL && !l->replaying) {
		primary_apply_journaled(l, base, nbase);
		return;
	}
	if (git_commit_lookup(&c, gitstore_repo(l->g), &l->commit) != 0 ||
	    git_commit_tree(&tree, c) != 0) {
		for (struct primary_update *u = l->upd; u; u = u->next) {
			u->rcode = DNSD_RCODE_SERVFAIL;
			snprintf(u->reason, sizeof(u->reason),
			         "the clone has no commit");
		}
		git_commit_free(c);
		l->dir_failed = l->replaying;
		return;
	}
	gittree_src src = {gitstore_repo(l->g), tree, NULL, NULL};
	primary_rd rd = {gittree_read, &src};
	dnsd_arena_init(&a, 0);
	for (int k = 0; k < 2; k++)
		for (struct primary_update *u = lists[k]; u; u = u->next)
			primary_apply_one(l, u, ws, &nws, base, nbase, &rd, &a);
	dnsd_arena_free(&a);
	if (l->replaying)
		primary_replay_report(l);
	gitstore_file files[64];
	size_t nf = 0;
	for (size_t i = 0; i < nws; i++)
		if (ws[i].changed)
			files[nf++] =
			    (gitstore_file){ws[i].file, ws[i].text, ws[i].len};
	char err[768];
	if (nf > 0) {
		char *msg =
		    primary_update_message(l->replay, l->upd, &l->commit, NULL);
		git_oid id;
		if (gitstore_commit(l->g, l->replaying ? &l->commit : NULL,
		                    files, nf, l->author, msg, &id, err,
		                    sizeof(err)) < 0) {
			log_error("UPDATE: %s", err);
			primary_updates_uncommitted(l);
			/* a replay not committed: the local branch stays,
			 * and so does what is served */
			l->dir_failed = l->replaying;
		} else {
			l->committed = true;
			git_oid_cpy(&l->commit, &id);
			git_oid_tostr(l->commit_hex, sizeof(l->commit_hex),
			              &id);
			l->commit_hex[7] = 0;
			primary_updates_publish(l, ws, nws);
		}
		free(msg);
	} else if (l->replaying &&
	           gitstore_reset(l->g, &l->commit, err, sizeof(err)) < 0) {
		log_error("UPDATE replay: %s", err);
		l->dir_failed = true;
	}
	if (l->replaying && !l->dir_failed)
		primary_replay_diffs(l);
	primary_upzones_free(ws, nws);
	git_tree_free(tree);
	git_commit_free(c);
}

/* The log line of an UPDATE from the journal at start-up (answered
 * before the stop). One that no longer applies is said loudly: the
 * journal is kept as it was beside it. */
static void primary_journal_logged(const struct primary_update *u)
{
	char zone[DNSD_NAME_TEXT_MAX], key[DNSD_NAME_TEXT_MAX];

	log_zone(u->zone, zone, sizeof(zone));
	log_name(u->key, key, sizeof(key));
	if (u->rcode == DNSD_RCODE_NOERROR)
		log_info("UPDATE zone %s key %s: applied again from the "
		         "journal%s",
		         zone, key,
		         u->changed ? "" : ", no change left to make");
	else
		log_error("UPDATE from the journal: zone %s key %s no longer "
		          "applies: %s (%s); not served, the journal is kept "
		          "beside it",
		          zone, key, dnsd_tsig_error_name((uint16_t)u->rcode),
		          u->reason);
}

/* Main loop: every UPDATE of the job answered (its commit or its journal
 * record is durable, or it changed nothing, or it failed); the journaled
 * ones wait for their commit in p->jr_upd. */
static void primary_updates_done(struct primary *p, struct primary_load *l)
{
	uint8_t buf[1024];
	char zone[DNSD_NAME_TEXT_MAX], peer[64], key[DNSD_NAME_TEXT_MAX];
	char how[64];
	struct primary_update **tail = &p->jr_upd;

	while (*tail != NULL)
		tail = &(*tail)->next;
	while (l->upd != NULL) {
		struct primary_update *u = l->upd;
		l->upd = u->next;
		u->next = NULL;
		dnsd_deferred *d = u->d;
		if (d == NULL) {
			primary_journal_logged(u);
		} else {
			dnsd_answer_opts o = p->s->answer_opts;
			o.tcp = d->tcp;
			size_t room =
			    sizeof(buf) -
			    (d->tsig ? dnsd_tsig_reserve(d->tsig) : 0);
			size_t n = dnsd_answer_error(&d->q, 0, u->rcode, &o,
			                             buf, room);
			log_zone(d->q.qname, zone, sizeof(zone));
			log_peer((const struct sockaddr *)&d->peer, peer,
			         sizeof(peer));
			log_name(u->key, key, sizeof(key));
			const char *rc =
			    dnsd_tsig_error_name((uint16_t)u->rcode);
			if (!u->changed)
				snprintf(how, sizeof(how), ", no change");
			else if (u->seq != 0)
				snprintf(how, sizeof(how), ", journal #%llu",
				         (unsigned long long)u->seq);
			else
				snprintf(how, sizeof(how), ", commit %s",
				         l->commit_hex);
			if (u->rcode == DNSD_RCODE_NOERROR)
				log_info("UPDATE zone %s from %s key %s: "
				         "NOERROR%s",
				         zone, peer, key, how);
			else
				log_warnx("UPDATE zone %s from %s key %s: %s "
				          "(%s)",
				          zone, peer, key, rc, u->reason);
			u->d = NULL;
			dnsd_deferred_answer(d, buf, n, sizeof(buf));
			atomic_fetch_sub(&p->upd_pending, 1);
		}
		if (u->changed && u->seq != 0) {
			if (p->jr_upd == NULL)
				p->jr_since = primary_now();
			*tail = u;
			tail = &u->next;
			continue;
		}
		free(u->wire);
		free(u->summary);
		free(u);
	}
	if (l->committed || l->kept || l->jcommitted) {
		if (p->unpushed_since == 0)
			p->unpushed_since = primary_now();
		/* while the remote fails, the retry timer pushes; a job that
		 * pushed after its commit has pushed it */
		if (p->push_backoff == 0 && !l->push)
			p->push_wanted = true;
	}
}

static void primary_update_free(struct primary_update *u)
{
	while (u != NULL) {
		struct primary_update *next = u->next;
		dnsd_deferred_free(u->d);
		free(u->wire);
		free(u->summary);
		free(u);
		u = next;
	}
}

/* The UPDATE as it is applied and kept in its commit: the message
 * without the TSIG record (the last one; ARCOUNT one less), and the key's
 * name. */
static int primary_update_wire(struct primary_update *u, const dnsd_request *r)
{
	size_t len = r->q.tsig_offset;
	dnsd_wire w;

	if (len < DNSD_HDR_LEN || r->q.hdr.arcount == 0 ||
	    (u->wire = malloc(len)) == NULL)
		return DNSD_ENOMEM;
	u->len = len;
	dnsd_wire_init_write(&w, u->wire, len);
	dnsd_wire_put(&w, r->pkt, len);
	dnsd_wire_patch_u16(&w, 10, (uint16_t)(r->q.hdr.arcount - 1));
	memcpy(u->key, r->tsig->key.name, dnsd_name_len(r->tsig->key.name));
	memcpy(u->zone, r->q.qname, dnsd_name_len(r->q.qname));
	return 0;
}

/* Worker thread: an UPDATE (RFC 2136). Checked here as far as the zone
 * and the key go; applied, committed and answered by the main loop. */
static size_t primary_update(dnsd_server *s, void *state, dnsd_request *r,
                             uint8_t *out, size_t cap)
{
	struct primary *p = state;
	char zone[DNSD_NAME_TEXT_MAX], peer[64], key[DNSD_NAME_TEXT_MAX] = "";
	int rcode = DNSD_RCODE_NOERROR;
	const char *why = NULL;

	log_zone(r->q.qname, zone, sizeof(zone));
	log_peer(r->peer, peer, sizeof(peer));
	if (r->tsig != NULL)
		log_name(r->tsig->key.name, key, sizeof(key));
	const dnsd_zone *z = r->db ? dnsd_zonedb_find(r->db, r->q.qname) : NULL;
	pthread_rwlock_rdlock(&s->cfg_lock);
	unsigned quota = s->cfg->update_max_pending;
	pthread_rwlock_unlock(&s->cfg_lock);
	if (r->q.hdr.qdcount != 1 || r->q.qtype != DNSD_TYPE_SOA) {
		rcode = DNSD_RCODE_FORMERR;
		why = "the zone section is not one SOA";
	} else if (z == NULL || r->q.qclass != DNSD_CLASS_IN ||
	           !dnsd_name_equal(dnsd_zone_origin(z), r->q.qname)) {
		rcode = DNSD_RCODE_NOTAUTH;
		why = "not a zone of ours";
	} else if (r->tsig == NULL) {
		rcode = DNSD_RCODE_REFUSED;
		why = "not signed";
	} else if (!dnsd_key_allows(r->tsig->key.name, DNSD_KEY_OP_UPDATE,
	                            dnsd_zone_origin(z))) {
		rcode = DNSD_RCODE_REFUSED;
		why = "the key may not update this zone";
	} else if (p->g == NULL) {
		rcode = DNSD_RCODE_REFUSED;
		why = "zones-dir is read-only";
	} else if (atomic_fetch_add(&p->upd_pending, 1) >= quota) {
		atomic_fetch_sub(&p->upd_pending, 1);
		rcode = DNSD_RCODE_REFUSED;
		why = "too many updates waiting for their commit "
		      "(update-max-pending)";
	}
	if (rcode != DNSD_RCODE_NOERROR) {
		log_warnx("UPDATE zone %s from %s%s%s: %s, %s", zone, peer,
		          key[0] ? " key " : "", key, why,
		          dnsd_tsig_error_name((uint16_t)rcode));
		return dnsd_request_answer(s, r, rcode, out, cap);
	}
	struct primary_update *u = calloc(1, sizeof(*u));
	if (u != NULL) {
		u->rcode = DNSD_RCODE_SERVFAIL; /* until applied */
		snprintf(u->reason, sizeof(u->reason), "not applied");
	}
	if (u == NULL || (u->d = dnsd_request_defer(r)) == NULL ||
	    primary_update_wire(u, r) < 0) {
		if (u != NULL)
			primary_update_free(u);
		atomic_fetch_sub(&p->upd_pending, 1);
		return dnsd_request_answer(s, r, DNSD_RCODE_SERVFAIL, out, cap);
	}
	pthread_mutex_lock(&p->ixfr_lock);
	u->next = p->upd_in;
	p->upd_in = u;
	pthread_mutex_unlock(&p->ixfr_lock);
	event_active(p->upd_ev, EV_READ, 0);
	return 0;
}

/* The whole job: the source's files, then the key store, then the
 * history the waiting IXFRs need. */
static void primary_load(struct primary_load *l)
{
	if (l->jcommit)
		primary_journal_commit(l);
	if (l->dir != NULL)
		primary_load_dir(l);
	else
		primary_load_git(l);
	if (!l->same && !l->jcommit_failed && l->ntexts > 0) {
		/* zones loaded again from the commit: its files are the
		 * texts now (the journal was committed first) */
		primary_texts_free(l->texts, l->ntexts);
		l->texts = NULL;
		l->ntexts = 0;
	}
	if (!l->dir_failed && !l->same)
		primary_load_store(l);
	if (l->g != NULL && l->hist != NULL)
		primary_load_history(l);
	if (l->replaying && !l->dir_failed && l->failed > 0) {
		/* the UPDATEs would go on a zone the remote broke */
		log_error("UPDATE replay: the remote's commit %s does not "
		          "load (above); the local commits wait, nothing "
		          "changes until it is fixed",
		          l->commit_hex);
		l->dir_failed = true;
	}
	if (l->g != NULL && (l->upd != NULL || l->replaying) && !l->dir_failed)
		primary_apply_updates(l);
	if (l->g != NULL && l->push) {
		l->push_err =
		    gitstore_push(l->g, l->push_msg, sizeof(l->push_msg));
		l->ahead = gitstore_ahead(l->g);
	}
}

static void primary_load_free(struct primary_load *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nbad_zones; i++)
		free(l->bad_zones[i]);
	free(l->bad_zones);
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
	primary_files_free(&l->prev);
	primary_files_free(&l->files);
	for (size_t i = 0; i < l->ndiffs; i++)
		dnsd_zdiff_free(l->diffs[i].d);
	primary_history_free(l->hist);
	primary_update_free(l->upd);
	primary_update_free(l->replay);
	primary_update_free(l->jr_upd);
	primary_texts_free(l->texts, l->ntexts);
	free(l->author);
	free(l->diffs);
	free(l->old);
	free(l->zones);
	free(l->dir);
	free(l);
}

static struct primary_load *primary_load_new(const dnsd_config *cfg, bool check)
{
	struct primary_load *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->ks = dnsd_keystore_new()) == NULL)
		fatalx("out of memory");
	if (cfg->zones_dir != NULL && (l->dir = strdup(cfg->zones_dir)) == NULL)
		fatalx("out of memory");
	l->check = check;
	l->sizes =
	    (dnsd_zone_limits){.max_rrset_records = cfg->max_records_per_type,
	                       .max_name_rrsets = cfg->max_types_per_name};
	/* copies: the config may be replaced while a job runs */
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

/* ---- the git source --------------------------------------------------- */

static int primary_git_open(const dnsd_config *cfg, const char *dir, bool owner,
                            gitstore **g, char *err, size_t cap)
{
	gitstore_opts o = {.url = cfg->git_remote,
	                   .branch = cfg->git_branch,
	                   .ssh_key = cfg->git_ssh_key,
	                   .host_key = cfg->git_ssh_host_key,
	                   .ca_file = cfg->git_ca_file,
	                   .dir = dir,
	                   .owner = owner};
	return gitstore_open(&o, g, err, cap);
}

static char *primary_git_dir(const dnsd_config *cfg)
{
	char *dir;
	if (asprintf(&dir, "%s/git", cfg->workdir) < 0)
		fatalx("out of memory");
	return dir;
}

/* ---- publishing ------------------------------------------------------- */

/* The log line of a git load: old and new commit, the zones that
 * changed, and how long it took. */
static void primary_log_pull(struct primary *p, struct primary_load *l)
{
	char *text = NULL, zname[DNSD_NAME_TEXT_MAX];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char old[GIT_OID_HEXSZ + 1] = "none";
	unsigned changes = 0;

	if (f == NULL)
		return;
	if (l->have_loaded) {
		git_oid_tostr(old, sizeof(old), &l->loaded);
		old[7] = 0;
	}
	uint64_t first, last;
	primary_seq_range(l->upd, &first, &last);
	if (l->committed)
		fprintf(f, "UPDATE commit: %s..%s", old, l->commit_hex);
	else if (last != 0 && !l->pull)
		fprintf(f, "UPDATE journal #%llu..#%llu on %s",
		        (unsigned long long)first, (unsigned long long)last,
		        l->commit_hex);
	else
		fprintf(f, "pull: %s..%s (fetch %.2f s, reload %.2f s)", old,
		        l->commit_hex, l->fetch_s, l->load_s);
	for (size_t i = 0; i < l->nzones; i++) {
		dnsd_zone *z = l->zones[i];
		dnsd_zone *o =
		    primary_find(l->old, l->nold, dnsd_zone_origin(z));
		if (o == z)
			continue;
		log_zone(dnsd_zone_origin(z), zname, sizeof(zname));
		if (o == NULL)
			fprintf(f, "%s zone %s added serial %u",
			        changes++ ? ";" : ":", zname,
			        dnsd_zone_serial(z));
		else
			fprintf(f, "%s zone %s serial %u -> %u",
			        changes++ ? ";" : ":", zname,
			        dnsd_zone_serial(o), dnsd_zone_serial(z));
	}
	for (size_t i = 0; i < l->nold; i++) {
		const uint8_t *o = dnsd_zone_origin(l->old[i]);
		if (primary_find(l->zones, l->nzones, o) == NULL)
			fprintf(f, "%s zone %s removed", changes++ ? ";" : ":",
			        log_zone(o, zname, sizeof(zname)));
	}
	if (changes == 0)
		fprintf(f, ": no zone changed");
	fclose(f);
	log_info("%s", text);
	free(text);
	(void)p;
}

/* After a publication: the IXFR steps into the history, and a NOTIFY of
 * every zone that changed (every zone, the first time) to its
 * secondaries. */
static void primary_replicate(struct primary *p, struct primary_load *l)
{
	for (size_t i = 0; i < l->ndiffs; i++)
		dnsd_ixfr_put(p->s->ixfr, l->diffs[i].origin, l->diffs[i].d);
	l->ndiffs = 0;
	for (size_t i = 0; i < l->nold; i++) {
		const uint8_t *o = dnsd_zone_origin(l->old[i]);
		if (primary_find(l->zones, l->nzones, o) == NULL)
			dnsd_ixfr_forget(p->s->ixfr, o);
	}
	for (size_t i = 0; i < l->nzones; i++)
		if (primary_find(l->old, l->nold,
		                 dnsd_zone_origin(l->zones[i])) != l->zones[i])
			dnsd_notifier_zone(p->s->notifier, l->zones[i]);
}

/* The zones of l that are new versions: loaded now (metrics.h). */
static void primary_load_times(struct primary *p, struct primary_load *l)
{
	char zname[DNSD_NAME_TEXT_MAX];

	for (size_t i = 0; i < l->nzones; i++)
		if (primary_find(l->old, l->nold,
		                 dnsd_zone_origin(l->zones[i])) != l->zones[i])
			dnsd_metrics_set(p->s, DNSD_M_ZONE_LOAD_TIME,
			                 log_zone(dnsd_zone_origin(l->zones[i]),
			                          zname, sizeof(zname)),
			                 (double)time(NULL));
}

/* Publishes what l loaded (its zones, its keys unless a key file failed
 * while there are keys to keep). */
static void primary_publish(struct primary *p, struct primary_load *l)
{
	dnsd_zonedb *db = dnsd_zonedb_new(l->zones, l->nzones);

	if (db == NULL)
		fatalx("out of memory");
	if (l->dir == NULL)
		primary_log_pull(p, l);
	else
		for (size_t i = 0; i < l->nold; i++) {
			const uint8_t *o = dnsd_zone_origin(l->old[i]);
			char zname[DNSD_NAME_TEXT_MAX];
			if (primary_find(l->zones, l->nzones, o) == NULL)
				log_warnx(
				    "zone %s: its file is gone, no longer "
				    "served",
				    log_zone(o, zname, sizeof(zname)));
		}
	dnsd_server_publish(p->s, db);
	primary_load_times(p, l);
	if (l->keys_failed && dnsd_keystore_count(p->s->keys) > 0)
		log_warnx("keys: a key file did not load, keeping the "
		          "previous keys");
	else if (l->store_loaded)
		dnsd_keystore_replace(p->s->keys, l->ks);
	primary_replicate(p, l);
	size_t nkeys = dnsd_keystore_count(p->s->keys);
	log_info("serving %zu zone%s, %zu key%s", l->nzones,
	         l->nzones == 1 ? "" : "s", nkeys, nkeys == 1 ? "" : "s");
}

/* ---- jobs ------------------------------------------------------------- */

static void primary_job_start(struct primary *p, bool pull, bool force);
static void primary_pushed(struct primary *p, struct primary_load *l);
static void primary_journal_done(struct primary *p, struct primary_load *l);

static void *primary_job_main(void *arg)
{
	struct primary *p = arg;

	pthread_mutex_lock(&p->job_lock);
	for (;;) {
		while (!p->job_ready && !p->job_quit)
			pthread_cond_wait(&p->job_cv, &p->job_lock);
		if (!p->job_ready)
			break;
		p->job_ready = false;
		struct primary_load *l = p->job;
		pthread_mutex_unlock(&p->job_lock);
		primary_load(l);
		/* Hand the result to the main loop; evthread makes this
		 * safe. */
		event_active(p->done, EV_READ, 0);
		pthread_mutex_lock(&p->job_lock);
	}
	pthread_mutex_unlock(&p->job_lock);
	return NULL;
}

/* The retry timer after a failed fetch: 1 s, doubling, at most
 * PRIMARY_BACKOFF_MAX. */
static void primary_backoff(struct primary *p, struct primary_load *l)
{
	p->backoff = p->backoff ? p->backoff * 2 : 1;
	if (p->backoff > PRIMARY_BACKOFF_MAX)
		p->backoff = PRIMARY_BACKOFF_MAX;
	log_error("%s; retrying in %u s", l->pull_msg, p->backoff);
	struct timeval tv = {.tv_sec = p->backoff};
	evtimer_add(p->retry, &tv);
}

/* What a finished git job means for the fetch schedule. */
static void primary_job_fetched(struct primary *p, struct primary_load *l)
{
	if (!l->pull)
		return;
	if (l->pull_err < 0) {
		primary_backoff(p, l);
		p->last_err = l->pull_err;
		return;
	}
	if (p->backoff > 0)
		log_info("git-remote %s: reachable again",
		         p->s->cfg->git_remote);
	p->backoff = 0;
	p->last_err = 0;
	evtimer_del(p->retry);
	/* the remote answers again: what waits is pushed now, not when the
	 * push retry's backoff runs out */
	if ((l->pr.ahead || l->replaying) && !l->push && p->push_backoff > 0) {
		evtimer_del(p->push_retry);
		p->push_wanted = true;
	}
	if (l->same)
		log_debug("pull: up to date at %s (fetch %.2f s)",
		          l->commit_hex, l->fetch_s);
}

/* STATUS= after a job that pulled or reloaded: how it went and the
 * commit served (not the error: a URL in it may hold a password). */
static void primary_result(struct primary *p, struct primary_load *l)
{
	if (l->dir != NULL)
		dnsd_server_result(p->s, "last reload %s",
		                   l->dir_failed ? "failed" : "ok");
	else if (l->pull && l->pull_err < 0)
		dnsd_server_result(p->s, "last pull failed");
	else if (l->pull && !l->dir_failed)
		dnsd_server_result(p->s, "last pull ok (%s)", l->commit_hex);
}

/* What a finished job means for the metrics (metrics.h): fetch and push
 * results, the commits still waiting, zones that did not load. */
static void primary_job_metrics(struct primary *p, struct primary_load *l)
{
	double now = (double)time(NULL);

	for (size_t i = 0; i < l->nbad_zones; i++)
		dnsd_metrics_add(p->s, DNSD_M_ZONE_LOAD_ERRORS, l->bad_zones[i],
		                 1);
	if (p->g == NULL)
		return;
	if (l->pull) {
		dnsd_count(DNSD_MX_GIT_FETCH +
		           (l->pull_err < 0 ? DNSD_MX_FAILED : DNSD_MX_OK));
		if (l->pull_err >= 0)
			dnsd_metrics_set(p->s, DNSD_M_GIT_LAST_SUCCESS, "fetch",
			                 now);
	}
	if (l->push) {
		dnsd_count(DNSD_MX_GIT_PUSH +
		           (l->push_err != 0 ? DNSD_MX_FAILED : DNSD_MX_OK));
		if (l->push_err == 0)
			dnsd_metrics_set(p->s, DNSD_M_GIT_LAST_SUCCESS, "push",
			                 now);
		dnsd_metrics_set(p->s, DNSD_M_UPDATE_PENDING, NULL,
		                 l->push_err == 0 ? 0 : (double)l->ahead);
	}
}

static void primary_job_done(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;
	struct primary_load *l = p->job;

	p->job = NULL;
	if (p->g != NULL) {
		primary_journal_done(p, l);
		primary_job_fetched(p, l);
	}
	primary_job_metrics(p, l);
	if (l->dir_failed) {
		if (l->dir != NULL)
			log_error(
			    "reload failed, every zone keeps its version");
	} else if (!l->same) {
		primary_publish(p, l);
		if (l->dir == NULL) {
			p->have_loaded = true;
			git_oid_cpy(&p->loaded, &l->commit);
			primary_files_free(&p->files);
			p->files = l->files;
			memset(&l->files, 0, sizeof(l->files));
		}
	}
	primary_history_done(p, l);
	primary_updates_done(p, l);
	if (l->journaled && p->commit_backoff == 0) {
		/* the commit waits until no UPDATE came for a while */
		struct timeval tv = {.tv_usec = PRIMARY_COMMIT_IDLE * 1e6};
		evtimer_add(p->commit_ev, &tv);
	}
	if (l->push)
		primary_pushed(p, l);
	primary_result(p, l);
	primary_load_free(l);
	/* a reload asked meanwhile is still to run: READY=1 waits for it */
	if (!p->again_reload)
		dnsd_server_loaded(p->s);
	if (p->again_reload || p->again_pull || p->ixfr_queued ||
	    p->upd_queued || p->push_wanted ||
	    (p->commit_wanted && p->jr_upd != NULL)) {
		bool pull = p->again_pull, force = p->again_reload;
		p->again_reload = p->again_pull = false;
		primary_job_start(p, pull, force);
	}
}

/* Main loop, first after a git job: the journal's UPDATEs back with p,
 * committed or not; a failed commit retried with backoff, and what it
 * held back (a pull, a reload) done once it succeeds. */
static void primary_journal_done(struct primary *p, struct primary_load *l)
{
	if (l->jcommitted) {
		primary_update_free(l->jr_upd);
		l->jr_upd = NULL;
		p->have_loaded = true;
		git_oid_cpy(&p->loaded, &l->jcommit_id);
		if (p->commit_backoff > 0)
			log_info("UPDATE: the journal is committed again");
		p->commit_backoff = 0;
		p->again_pull |= p->pull_deferred;
		p->again_reload |= p->reload_deferred;
		p->pull_deferred = p->reload_deferred = false;
		p->jr_since = 0;
	} else if (l->jcommit_failed) {
		p->commit_backoff =
		    p->commit_backoff ? p->commit_backoff * 2 : 1;
		if (p->commit_backoff > PRIMARY_BACKOFF_MAX)
			p->commit_backoff = PRIMARY_BACKOFF_MAX;
		p->pull_deferred |= l->pull_dropped;
		p->reload_deferred |= l->force_dropped;
		struct timeval tv = {.tv_sec = p->commit_backoff};
		evtimer_add(p->commit_ev, &tv);
		log_error("UPDATE: commit of the journal retried in %u s%s",
		          p->commit_backoff,
		          l->pull_dropped || l->force_dropped
		              ? "; the pull or reload asked waits for it"
		              : "");
	}
	p->jr_upd = l->jr_upd;
	l->jr_upd = NULL;
	p->texts = l->texts;
	p->ntexts = l->ntexts;
	l->texts = NULL;
	l->ntexts = 0;
}

/* The journal's commit is due: no UPDATE came for PRIMARY_COMMIT_IDLE,
 * or a failed commit is to be tried again. */
static void primary_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;

	p->commit_wanted = true;
	if (p->job == NULL && p->jr_upd != NULL)
		primary_job_start(p, false, false);
}

/* After a push: logged, and retried with backoff while it fails. */
static void primary_pushed(struct primary *p, struct primary_load *l)
{
	if (l->push_err == 0) {
		if (p->push_backoff > 0 || l->committed)
			log_info("push: %s is on git-remote %s",
			         l->commit_hex[0] ? l->commit_hex
			                          : "the branch",
			         p->s->cfg->git_remote);
		p->push_backoff = 0;
		p->push_rejected = false;
		p->unpushed_since = 0;
		evtimer_del(p->push_retry);
		return;
	}
	bool rejected_before = p->push_rejected;
	p->push_rejected = l->push_err == GITSTORE_REJECTED;
	if (p->push_rejected && !rejected_before) {
		/* the remote moved: fetch and replay at once, the first
		 * time; a remote that keeps refusing gets the backoff */
		log_warnx("push: %s; %zu commit%s wait; fetching to replay "
		          "them on the remote's",
		          l->push_msg, l->ahead, l->ahead == 1 ? "" : "s");
		if (p->push_backoff == 0)
			p->push_backoff = 1;
		evtimer_del(p->push_retry);
		p->again_pull = true;
		p->push_wanted = true;
		return;
	}
	/* a push tried for a new commit leaves the retry where it is: a
	 * remote back in a minute is tried again within a minute however
	 * many UPDATEs came meanwhile */
	bool keep = l->committed && p->push_backoff > 0 &&
	            evtimer_pending(p->push_retry, NULL);
	if (!keep) {
		p->push_backoff = p->push_backoff ? p->push_backoff * 2 : 1;
		if (p->push_backoff > PRIMARY_BACKOFF_MAX)
			p->push_backoff = PRIMARY_BACKOFF_MAX;
		struct timeval tv = {.tv_sec = p->push_backoff};
		evtimer_add(p->push_retry, &tv);
	}
	log_error("push: %s; %zu commit%s wait to be pushed%s; retrying %s%u "
	          "s",
	          l->push_msg, l->ahead, l->ahead == 1 ? "" : "s",
	          p->push_rejected ? " (fetched and replayed again then)" : "",
	          keep ? "within " : "in ", p->push_backoff);
}

static void primary_push_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;
	p->push_wanted = true;
	primary_job_start(p, p->push_rejected, false);
}

/* Workers handed UPDATEs over: in arrival order, with the next job. */
static void primary_upd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;

	pthread_mutex_lock(&p->ixfr_lock);
	struct primary_update *in = p->upd_in, *rev = NULL;
	p->upd_in = NULL;
	pthread_mutex_unlock(&p->ixfr_lock);
	while (in != NULL) {
		struct primary_update *next = in->next;
		in->next = rev;
		rev = in;
		in = next;
	}
	struct primary_update **tail = &p->upd_queued;
	while (*tail)
		tail = &(*tail)->next;
	*tail = rev;
	primary_job_start(p, false, false);
}

/* A job over the config now in force; pull and force for git. */
static struct primary_load *primary_job_new(struct primary *p, bool pull,
                                            bool force)
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
	if (l->dir == NULL) {
		l->g = p->g;
		l->pull = pull;
		l->force = force;
		l->have_loaded = p->have_loaded;
		git_oid_cpy(&l->loaded, &p->loaded);
		l->hist = p->ixfr_queued;
		p->ixfr_queued = NULL;
		l->upd = p->upd_queued;
		p->upd_queued = NULL;
		/* The journal's UPDATEs are committed first when the job pulls
		 * or reloads (that loads the commit: it must hold them), when
		 * no UPDATE came for PRIMARY_COMMIT_IDLE, when a push is
		 * wanted, or when the oldest has waited PRIMARY_COMMIT_LAG (a
		 * steady stream of UPDATEs still gets committed); after a
		 * failed commit, when its retry timer says. */
		l->jr = p->jr;
		l->jw = p->jw;
		l->jr_upd = p->jr_upd;
		l->texts = p->texts;
		l->ntexts = p->ntexts;
		p->jr_upd = NULL;
		p->texts = NULL;
		p->ntexts = 0;
		double now = primary_now();
		bool jr_overdue = l->jr_upd != NULL &&
		                  (now - p->jr_since >= PRIMARY_COMMIT_LAG ||
		                   journal_count(p->jr) >= PRIMARY_JOURNAL_MAX);
		bool jr_due =
		    p->commit_backoff > 0
		        ? p->commit_wanted
		        : jr_overdue || (l->upd == NULL &&
		                         (p->commit_wanted || p->push_wanted));
		l->jcommit = l->jr_upd != NULL && (pull || force || jr_due);
		if (l->jcommit)
			p->commit_wanted = false;
		/* A job with UPDATEs answers them once durable and published,
		 * without waiting for a push: the push goes with the next job
		 * without UPDATEs, or with this one when the oldest commit
		 * waiting is PRIMARY_PUSH_LAG old. */
		bool overdue = p->unpushed_since > 0 &&
		               now - p->unpushed_since >= PRIMARY_PUSH_LAG;
		bool want =
		    p->push_wanted || (l->jcommit && p->push_backoff == 0);
		l->push = want && (l->upd == NULL || overdue || jr_overdue);
		if (l->push)
			p->push_wanted = false;
		if (p->s->cfg->git_author != NULL &&
		    (l->author = strdup(p->s->cfg->git_author)) == NULL)
			fatalx("out of memory");
		l->max_history = p->s->cfg->ixfr_max_history;
		l->limits = (dnsd_update_limits){
		    .max_zone_records = p->s->cfg->update_max_records,
		    .max_rrset_records = p->s->cfg->max_records_per_type,
		    .max_name_rrsets = p->s->cfg->max_types_per_name};
		/* a copy of the file list: the served one stays with p */
		for (size_t i = 0; i < p->files.n; i++) {
			struct primary_file *f =
			    primary_files_add(&l->prev, p->files.f[i].name);
			memcpy(f->origin, p->files.f[i].origin,
			       dnsd_name_len(p->files.f[i].origin));
			l->reading = f;
			for (size_t k = 0; k < p->files.f[i].ndeps; k++)
				primary_on_read(l, p->files.f[i].deps[k].path,
				                &p->files.f[i].deps[k].id);
			l->reading = NULL;
		}
	}
	return l;
}

static void primary_job_start(struct primary *p, bool pull, bool force)
{
	if (p->job != NULL) {
		/* one running, one queued: whatever is asked meanwhile */
		p->again_pull |= pull;
		p->again_reload |= force;
		return;
	}
	if (p->g != NULL && pull)
		evtimer_del(p->retry);
	p->job = primary_job_new(p, pull, force);
	if (!p->thread_started &&
	    pthread_create(&p->thread, NULL, primary_job_main, p) == 0)
		p->thread_started = true;
	if (!p->thread_started) {
		log_error("reload: cannot start a thread, reloading on the "
		          "main loop");
		primary_load(p->job);
		event_active(p->done, EV_READ, 0);
		return;
	}
	pthread_mutex_lock(&p->job_lock);
	p->job_ready = true;
	pthread_cond_signal(&p->job_cv);
	pthread_mutex_unlock(&p->job_lock);
}

/* A worker asked for a pull (NOTIFY). */
static void primary_pull_cb(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;

	if (atomic_exchange(&p->pull_wanted, false))
		primary_job_start(p, true, false);
}

/* Workers handed IXFRs over: they go with the next job. */
static void primary_ixfr_cb(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;

	pthread_mutex_lock(&p->ixfr_lock);
	struct primary_ixfr *in = p->ixfr_in;
	p->ixfr_in = NULL;
	pthread_mutex_unlock(&p->ixfr_lock);
	while (in != NULL) {
		struct primary_ixfr *next = in->next;
		in->next = p->ixfr_queued;
		p->ixfr_queued = in;
		in = next;
	}
	if (p->g == NULL) {
		/* a zones-dir has no history: the AXFR form */
		struct primary_load l = {.hist = p->ixfr_queued};
		p->ixfr_queued = NULL;
		primary_history_done(p, &l);
		return;
	}
	primary_job_start(p, false, false);
}

static void primary_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	primary_job_start(arg, true, false);
}

static void primary_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct primary *p = arg;
	struct timeval tv = {.tv_sec = p->s->cfg->git_poll};

	primary_job_start(p, true, false);
	if (p->s->cfg->git_poll > 0)
		evtimer_add(p->poll, &tv);
}

/* Called on a worker thread: the pull happens on the main loop. */
static void primary_queue_pull(struct primary *p)
{
	if (p->g == NULL)
		return;
	atomic_store(&p->pull_wanted, true);
	event_active(p->pull_ev, EV_READ, 0);
}

/* ---- check mode ------------------------------------------------------- */

static int primary_rm_cb(const char *path, const struct stat *st, int flag,
                         struct FTW *ftw)
{
	return remove(path);
}

/* dnsd -t on a git source: the remote is asked for its refs; the zones
 * checked are those of the clone in the workdir, or of a clone made in
 * a temporary directory when there is none yet. */
static int primary_check_git(const dnsd_config *cfg, struct primary_load *l)
{
	char err[1024], tmpl[] = "/tmp/dnsd-check-XXXXXX";
	char *dir = primary_git_dir(cfg), *tmp = NULL;
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) != 0) {
		if ((tmp = mkdtemp(tmpl)) == NULL) {
			fprintf(stderr, "error: cannot make a temporary "
			                "directory\n");
			free(dir);
			return -1;
		}
		free(dir);
		if (asprintf(&dir, "%s/git", tmp) < 0)
			fatalx("out of memory");
	}
	if (primary_git_open(cfg, dir, false, &l->g, err, sizeof(err)) < 0) {
		fprintf(stderr, "error: %s\n", err);
		rc = -1;
		goto out;
	}
	if (tmp != NULL)
		l->pull = true;
	else if (gitstore_probe(l->g, err, sizeof(err)) < 0) {
		fprintf(stderr, "error: %s\n", err);
		rc = -1;
	}
	primary_load(l);
	if (l->pull && l->pull_err < 0) {
		fprintf(stderr, "error: %s\n", l->pull_msg);
		rc = -1;
	} else if (l->dir_failed) {
		fprintf(stderr, "error: git: no commit to check\n");
		rc = -1;
	}
	size_t ahead = gitstore_ahead(l->g);
	if (ahead > 0)
		fprintf(stderr, "git: %zu local commit%s wait to be pushed\n",
		        ahead, ahead == 1 ? "" : "s");
	char *jpath;
	size_t jn;
	uint64_t jid;
	if (asprintf(&jpath, "%s/dnsd.journal", dir) < 0)
		fatalx("out of memory");
	if (journal_peek(jpath, &jn, &jid) < 0) {
		fprintf(stderr, "error: journal %s cannot be read\n", jpath);
		rc = -1;
	} else if (jn > 0) {
		fprintf(
		    stderr,
		    "journal: %zu UPDATE%s in %s (those not in a commit yet "
		    "are committed at the next start)\n",
		    jn, jn == 1 ? "" : "s", jpath);
	}
	free(jpath);
	gitstore_close(l->g);
	l->g = NULL;
out:
	if (tmp != NULL)
		nftw(tmp, primary_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return rc;
}

static int primary_check(const dnsd_config *cfg)
{
	struct primary_load *l = primary_load_new(cfg, true);
	int r = 0;

	if (cfg->zones_dir != NULL)
		primary_load(l);
	else {
		git_libgit2_init();
		r = primary_check_git(cfg, l);
		git_libgit2_shutdown();
	}
	if (l->failed)
		r = -1;
	primary_load_free(l);
	return r;
}

/* ---- role callbacks --------------------------------------------------- */

static int primary_reload(dnsd_server *s, void *state)
{
	struct primary *p = state;

	/* git: fetch too, and load every file again (keys-file, key lines
	 * may have changed); READY=1 when the job ends */
	dnsd_server_loading(s);
	primary_job_start(p, p->g != NULL, true);
	return 0;
}

static void primary_free(struct primary *p)
{
	struct event **evs[] = {&p->done,       &p->pull_ev,  &p->retry,
	                        &p->poll,       &p->ixfr_ev,  &p->upd_ev,
	                        &p->push_retry, &p->commit_ev};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i] != NULL)
			event_free(*evs[i]);
	gitstore_close(p->g);
	primary_files_free(&p->files);
	primary_history_free(p->ixfr_in);
	primary_history_free(p->ixfr_queued);
	primary_update_free(p->upd_in);
	primary_update_free(p->upd_queued);
	primary_update_free(p->jr_upd);
	primary_texts_free(p->texts, p->ntexts);
	primary_jw_free(p->jw);
	journal_close(p->jr);
	pthread_mutex_destroy(&p->ixfr_lock);
	pthread_mutex_destroy(&p->job_lock);
	pthread_cond_destroy(&p->job_cv);
	free(p);
}

/* Start-up: the last record of this journal that a commit holds (its
 * "Dnsd-Journal: ID SEQ" trailer, looked for down the first parents of
 * the head), 0 when none does. */
static uint64_t primary_journal_committed(gitstore *g, const git_oid *head,
                                          uint64_t id)
{
	char want[64];
	git_oid cur;
	uint64_t seq = 0;

	snprintf(want, sizeof(want), "\n%s%016llx ", PRIMARY_JTRAILER,
	         (unsigned long long)id);
	git_oid_cpy(&cur, head);
	for (unsigned i = 0; i < 100; i++) {
		git_commit *c;
		if (git_commit_lookup(&c, gitstore_repo(g), &cur) != 0)
			break;
		const char *t = strstr(git_commit_message(c), want);
		bool more = git_commit_parentcount(c) > 0;
		if (t != NULL)
			seq = strtoull(t + strlen(want), NULL, 10);
		else if (more)
			git_oid_cpy(&cur, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if (t != NULL || !more)
			break;
	}
	return seq;
}

struct primary_jread {
	struct primary_update **tail;
	uint64_t skip; /* committed already */
	size_t n, skipped;
};

static int primary_jread_cb(void *ctx, uint64_t seq, const uint8_t *key,
                            const uint8_t *msg, size_t len)
{
	struct primary_jread *r = ctx;

	if (seq <= r->skip) {
		r->skipped++;
		return 0;
	}
	struct primary_update *u = calloc(1, sizeof(*u));
	if (u == NULL || (u->wire = malloc(len ? len : 1)) == NULL)
		fatalx("out of memory");
	memcpy(u->wire, msg, len);
	u->len = len;
	memcpy(u->key, key, dnsd_name_len(key));
	u->seq = seq;
	u->rcode = DNSD_RCODE_SERVFAIL;
	snprintf(u->reason, sizeof(u->reason), "not applied");
	*r->tail = u;
	r->tail = &u->next;
	r->n++;
	return 0;
}

/* Start-up: the journal opened, and the UPDATEs it holds that git does
 * not (answered before the stop) put on the first job, to be applied
 * again on the commit served and committed soon after. */
static int primary_journal_start(struct primary *p, const char *dir,
                                 const git_oid *head, struct primary_load *l)
{
	char *path, err[1024];
	size_t cut;

	if (asprintf(&path, "%s/dnsd.journal", dir) < 0)
		fatalx("out of memory");
	if (journal_open(path, &p->jr, &cut, err, sizeof(err)) < 0) {
		log_error("UPDATE %s", err);
		free(path);
		return -1;
	}
	p->jw = primary_jw_new();
	if (cut > 0)
		log_warnx("journal %s: cut off %zu octets of a record that was "
		          "being written when dnsd stopped (never answered)",
		          path, cut);
	free(path);
	if (head == NULL || journal_count(p->jr) == 0)
		return 0;
	struct primary_jread r = {&l->upd, 0, 0, 0};
	r.skip = primary_journal_committed(p->g, head, journal_id(p->jr));
	if (journal_read(p->jr, primary_jread_cb, &r) < 0) {
		log_error("journal %s: cannot be read", journal_path(p->jr));
		return -1;
	}
	log_info("journal: %zu UPDATE%s not in git yet, applied again%s", r.n,
	         r.n == 1 ? "" : "s",
	         r.skipped ? " (the others are in the head's commit)" : "");
	if (r.n == 0 && journal_reset(p->jr, err, sizeof(err)) < 0)
		log_error("%s", err);
	return 0;
}

/* Start-up: a journaled UPDATE that no longer applies (it was answered
 * NOERROR) is not dropped silently: the journal is kept as it is. */
static void primary_journal_check(struct primary *p, struct primary_load *l)
{
	char suffix[64], err[1024];
	time_t now = time(NULL);
	struct tm tm;

	for (struct primary_update *u = l->upd; u; u = u->next)
		if (u->seq != 0 && u->rcode != DNSD_RCODE_NOERROR) {
			gmtime_r(&now, &tm);
			strftime(suffix, sizeof(suffix),
			         "failed-%Y%m%dT%H%M%SZ", &tm);
			if (journal_keep_copy(p->jr, suffix, err, sizeof(err)) <
			    0)
				log_error("%s", err);
			else
				log_error(
				    "journal: kept as %s.%s: an UPDATE in "
				    "it no longer applies (below)",
				    journal_path(p->jr), suffix);
			return;
		}
}

/* Git at start-up: the clone in the workdir is served at once (a local
 * read); the fetch then runs in the background, and with no clone yet
 * the server answers REFUSED until it has one. */
static int primary_start_git(struct primary *p)
{
	const dnsd_config *cfg = p->s->cfg;
	char err[1024];
	char *dir = primary_git_dir(cfg);
	int r = primary_git_open(cfg, dir, true, &p->g, err, sizeof(err));

	if (r < 0) {
		log_error("%s", err);
		free(dir);
		return -1;
	}
	if (gitstore_notes(p->g) != NULL)
		log_warnx("git: after an unclean stop: %s",
		          gitstore_notes(p->g));
	p->pull_ev = event_new(p->s->base, -1, 0, primary_pull_cb, p);
	p->retry = evtimer_new(p->s->base, primary_retry_cb, p);
	p->poll = evtimer_new(p->s->base, primary_poll_cb, p);
	p->ixfr_ev = event_new(p->s->base, -1, 0, primary_ixfr_cb, p);
	p->upd_ev = event_new(p->s->base, -1, 0, primary_upd_cb, p);
	p->push_retry = evtimer_new(p->s->base, primary_push_retry_cb, p);
	p->commit_ev = evtimer_new(p->s->base, primary_commit_cb, p);
	if (p->pull_ev == NULL || p->retry == NULL || p->poll == NULL ||
	    p->ixfr_ev == NULL || p->upd_ev == NULL || p->push_retry == NULL ||
	    p->commit_ev == NULL) {
		free(dir);
		return -1;
	}
	git_oid head;
	if (gitstore_head(p->g, &head)) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &head);
		hex[7] = 0;
		log_info("git: serving commit %s of branch %s from %s", hex,
		         gitstore_branch(p->g), dir);
		p->job = primary_job_new(p, false, true);
		if (primary_journal_start(p, dir, &head, p->job) < 0) {
			primary_load_free(p->job);
			p->job = NULL;
			free(dir);
			return -1;
		}
		p->job->jr = p->jr;
		p->job->jw = p->jw;
		primary_load(p->job);
		primary_journal_check(p, p->job);
		/* what came from the journal is committed with the first
		 * job */
		p->commit_wanted = p->job->upd != NULL;
		primary_job_done(-1, 0, p);
	} else {
		if (primary_journal_start(p, dir, NULL, NULL) < 0) {
			free(dir);
			return -1;
		}
		log_info("git: cloning %s into %s", cfg->git_remote, dir);
		/* READY=1 once the first clone is tried */
		dnsd_server_loading(p->s);
		dnsd_zonedb *db = dnsd_zonedb_new(NULL, 0);
		if (db == NULL)
			fatalx("out of memory");
		dnsd_server_publish(p->s, db);
	}
	free(dir);
	size_t ahead = gitstore_ahead(p->g);
	dnsd_metrics_set(p->s, DNSD_M_UPDATE_PENDING, NULL, (double)ahead);
	if (ahead > 0) {
		log_info("git: %zu local commit%s wait to be pushed", ahead,
		         ahead == 1 ? "" : "s");
		p->push_wanted = true;
	}
	primary_job_start(p, true, false);
	if (cfg->git_poll > 0) {
		struct timeval tv = {.tv_sec = cfg->git_poll};
		evtimer_add(p->poll, &tv);
	}
	return 0;
}

static int primary_start(dnsd_server *s, void **state)
{
	struct primary *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	p->s = s;
	pthread_mutex_init(&p->ixfr_lock, NULL);
	pthread_mutex_init(&p->job_lock, NULL);
	pthread_cond_init(&p->job_cv, NULL);
	p->done = event_new(s->base, -1, 0, primary_job_done, p);
	s->keys = dnsd_keystore_new();
	if (p->done == NULL || s->keys == NULL) {
		dnsd_keystore_free(s->keys);
		s->keys = NULL;
		primary_free(p);
		return -1;
	}
	*state = p;
	s->ixfr = dnsd_ixfr_new(s->cfg->ixfr_max_history);
	s->notifier = dnsd_notifier_new(s);
	if (s->ixfr == NULL)
		return -1;
	if (s->cfg->zones_dir == NULL) {
		git_libgit2_init();
		return primary_start_git(p);
	}
	/* Nothing is served yet: loading on the main thread waits for no
	 * one. */
	struct primary_load *l = primary_load_new(s->cfg, false);
	primary_load(l);
	bool ok = !l->dir_failed;
	if (ok)
		primary_publish(p, l);
	primary_job_metrics(p, l);
	primary_load_free(l);
	return ok ? 0 : -1;
}

static void primary_stop(dnsd_server *s, void *state)
{
	struct primary *p = state;

	if (p == NULL)
		return;
	if (p->thread_started) {
		/* the job running, if any, ends first */
		pthread_mutex_lock(&p->job_lock);
		p->job_quit = true;
		pthread_cond_signal(&p->job_cv);
		pthread_mutex_unlock(&p->job_lock);
		pthread_join(p->thread, NULL);
	}
	if (p->job != NULL)
		primary_load_free(p->job);
	bool git = p->g != NULL;
	size_t waiting = 0;
	for (struct primary_update *u = p->jr_upd; u; u = u->next)
		waiting++;
	if (waiting > 0)
		log_info("journal: %zu UPDATE%s wait for their commit, made at "
		         "the next start",
		         waiting, waiting == 1 ? "" : "s");
	primary_free(p);
	if (git)
		git_libgit2_shutdown();
	dnsd_notifier_free(s->notifier);
	s->notifier = NULL;
	dnsd_ixfr_free(s->ixfr);
	s->ixfr = NULL;
	/* the workers are stopped: no one looks keys up any more */
	dnsd_keystore_free(s->keys);
	s->keys = NULL;
}

/* ---- NOTIFY ----------------------------------------------------------- */

/* Whether a signed NOTIFY for a zone not served names a zone its key
 * covers, on a source where zones come and go (git). */
static bool primary_notify_new_zone(const struct primary *p,
                                    const dnsd_request *r)
{
	return p->g != NULL && r->tsig != NULL &&
	       r->q.qclass == DNSD_CLASS_IN &&
	       dnsd_key_allows(r->tsig->key.name, DNSD_KEY_OP_NOTIFY,
	                       r->q.qname);
}

/* A NOTIFY (worker thread): checked, logged, and for git a pull queued
 * on the main loop. */
static size_t primary_notify(dnsd_server *s, void *state, dnsd_request *r,
                             uint8_t *out, size_t cap)
{
	struct primary *p = state;
	char zone[DNSD_NAME_TEXT_MAX], peer[64], key[DNSD_NAME_TEXT_MAX];

	if (r->q.hdr.qdcount != 1 || r->q.qtype != DNSD_TYPE_SOA)
		return dnsd_request_answer(s, r, DNSD_RCODE_FORMERR, out, cap);
	const dnsd_zone *z = r->db ? dnsd_zonedb_find(r->db, r->q.qname) : NULL;
	const uint8_t *origin = r->q.qname;
	log_zone(r->q.qname, zone, sizeof(zone));
	log_peer(r->peer, peer, sizeof(peer));
	if (z == NULL || r->q.qclass != DNSD_CLASS_IN ||
	    !dnsd_name_equal(dnsd_zone_origin(z), r->q.qname)) {
		if (!primary_notify_new_zone(p, r)) {
			log_info("NOTIFY in zone %s from %s: not a zone of "
			         "ours, NOTAUTH",
			         zone, peer);
			return dnsd_request_answer(s, r, DNSD_RCODE_NOTAUTH,
			                           out, cap);
		}
	} else {
		origin = dnsd_zone_origin(z);
		log_zone(origin, zone, sizeof(zone));
	}
	if (r->tsig == NULL) {
		log_warnx("NOTIFY in zone %s from %s: not signed, REFUSED",
		          zone, peer);
		return dnsd_request_answer(s, r, DNSD_RCODE_REFUSED, out, cap);
	}
	log_name(r->tsig->key.name, key, sizeof(key));
	if (!dnsd_key_allows(r->tsig->key.name, DNSD_KEY_OP_NOTIFY, origin)) {
		log_warnx("NOTIFY in zone %s from %s key %s: the key may not "
		          "notify this zone, REFUSED",
		          zone, peer, key);
		return dnsd_request_answer(s, r, DNSD_RCODE_REFUSED, out, cap);
	}
	uint32_t serial;
	const char *then = p->g != NULL ? ", pull queued" : "";
	if (dnsd_request_soa_serial(r, origin, &serial))
		log_info("NOTIFY in zone %s from %s key %s serial %u%s", zone,
		         peer, key, serial, then);
	else
		log_info("NOTIFY in zone %s from %s key %s, no serial%s", zone,
		         peer, key, then);
	primary_queue_pull(p);
	return dnsd_request_answer(s, r, DNSD_RCODE_NOERROR, out, cap);
}

const dnsd_role dnsd_role_primary = {
    .name = "primary",
    .on_start = primary_start,
    .on_check = primary_check,
    .on_notify = primary_notify, /* acknowledged; git pulls */
    .on_update = primary_update, /* git: committed, then answered */
    .on_ixfr = primary_on_ixfr,
    .on_reload = primary_reload,
    .on_stop = primary_stop,
};
