/* dnsd-checkzone: parse and check zone files and TSIG key files, on disk
 * or between two git revisions (the pre-receive hook in conf/hooks uses
 * the latter, so a broken zone never reaches the primary).
 *
 * Exit status: 0 every file is fine, 1 a check failed (or the repository
 * could not be read in --git mode), 2 usage error. */
#include <dnsd/err.h>
#include <dnsd/keys.h>
#include <dnsd/keystore.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/wire.h>
#include <dnsd/zone.h>
#include <dnsd/zonefile.h>
#include <dnsd/zonewrite.h>

#include <dnsd/layout.h>
#include <git2.h>

#include "gitstore.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cfg {
	const char *origin; /* --origin text, NULL: from the file name */
	const char *old;    /* --old FILE */
	bool strict;
	bool print;
	bool git;
};

/* Where a file's text comes from: the file system (read == NULL) or a git
 * tree. The same checks run over both. */
struct source {
	dnsd_zf_read_fn read;
	void *ctx;
};

/* Counts what the parser and the zone checks reported for one file. */
struct tally {
	unsigned errors, warnings;
	bool quiet; /* count only (reading an old version for its serial) */
};

static void tally_diag(void *ctx, const dnsd_diag *d)
{
	struct tally *t = ctx;

	if (d->severity == DNSD_DIAG_WARNING)
		t->warnings++;
	else
		t->errors++;
	if (!t->quiet)
		dnsd_diag_print(stderr, d);
}

/* A diagnostic of our own (not tied to a line unless line != 0), printed
 * the same way as the parser's so every error has one shape. */
static void report(struct tally *t, int severity, const char *file,
                   unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void report(struct tally *t, int severity, const char *file,
                   unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dnsd_diag d = {.severity = severity,
	               .file = file,
	               .line = line,
	               .col = 0,
	               .msg = msg,
	               .text = NULL,
	               .text_len = 0};
	tally_diag(t, &d);
}

static const char *plural(unsigned n)
{
	return n == 1 ? "" : "s";
}

/* ---- origins ---------------------------------------------------------- */

static const uint8_t root_name[1] = {0};

static int origin_from_text(const char *s, size_t len, uint8_t out[])
{
	if (len == 0)
		return DNSD_ESYNTAX;
	return dnsd_name_from_text(s, len, root_name, out);
}

/* The zone a file is for: --origin when given, else the file's base name
 * with one trailing ".zone" removed. */
static int zone_origin(const struct cfg *cfg, const char *path, uint8_t out[])
{
	if (cfg->origin)
		return origin_from_text(cfg->origin, strlen(cfg->origin), out);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".zone") == 0)
		len -= 5;
	return origin_from_text(base, len, out);
}

/* ---- the serial of a zone file ---------------------------------------- */

struct soa_seen {
	const uint8_t *origin;
	bool found;
	uint32_t serial;
	const char *file;
	unsigned line;
};

static void soa_note(struct soa_seen *s, const dnsd_zf_rr *rr)
{
	uint32_t serial, refresh, retry, expire, minimum;

	if (s->found || rr->type != DNSD_TYPE_SOA ||
	    !dnsd_name_equal(rr->owner, s->origin))
		return;
	if (dnsd_soa_fields(rr->rdata, rr->rdlen, &serial, &refresh, &retry,
	                    &expire, &minimum) < 0)
		return;
	s->found = true;
	s->serial = serial;
	s->file = rr->file;
	s->line = rr->line;
}

static int soa_sink(void *ctx, const dnsd_zf_rr *rr)
{
	soa_note(ctx, rr);
	return 0;
}

/* Reads only the apex SOA serial of an older version of a zone. Its own
 * problems are not reported: only whether a serial could be found. */
static bool old_serial(const char *path, const uint8_t *origin,
                       const struct source *src, uint32_t *serial)
{
	struct tally quiet = {.quiet = true};
	struct soa_seen s = {.origin = origin};
	dnsd_zf_opts o = {.origin = origin,
	                  .diag = tally_diag,
	                  .diag_ctx = &quiet,
	                  .read = src->read,
	                  .read_ctx = src->ctx};
	dnsd_zf_result res = {0};

	(void)dnsd_zonefile_parse(path, &o, soa_sink, &s, &res);
	*serial = s.serial;
	return s.found;
}

/* ---- --print: canonical presentation form ----------------------------- */

static int print_line(void *ctx, const char *line, size_t len)
{
	FILE *out = ctx;
	return fwrite(line, 1, len, out) == len && fputc('\n', out) != EOF
	           ? 0
	           : DNSD_EIO;
}

/* One record a line, OWNER TTL CLASS TYPE RDATA: nodes in canonical order
 * (RFC 4034 §6.1), owners lower-cased, RRsets by type number, records in
 * canonical RDATA order (zonewrite.h). */
static int print_zone(FILE *out, const dnsd_zone *z)
{
	return dnsd_zone_write(z, true, print_line, out);
}

/* ---- zone files ------------------------------------------------------- */

struct zone_sink {
	dnsd_zone_builder *b;
	struct soa_seen soa;
};

static int zone_sink_add(void *ctx, const dnsd_zf_rr *rr)
{
	struct zone_sink *zs = ctx;

	soa_note(&zs->soa, rr);
	return dnsd_zone_builder_add(zs->b, rr);
}

/* Parses and builds; the zone checks run in the builder. NULL when the
 * zone did not load (everything already reported). */
static dnsd_zone *zone_build(const char *path, const uint8_t *origin,
                             const struct source *src, struct tally *t,
                             struct soa_seen *soa)
{
	dnsd_zf_opts o = {.origin = origin,
	                  .diag = tally_diag,
	                  .diag_ctx = t,
	                  .read = src->read,
	                  .read_ctx = src->ctx};
	struct zone_sink zs = {.b = dnsd_zone_builder_new(origin),
	                       .soa = {.origin = origin}};
	dnsd_zf_result res = {0};
	dnsd_zone *z = NULL;

	if (!zs.b) {
		report(t, DNSD_DIAG_ERROR, path, 0, "out of memory");
		return NULL;
	}
	int rc = dnsd_zonefile_parse(path, &o, zone_sink_add, &zs, &res);
	if (rc < 0) {
		dnsd_zone_builder_free(zs.b);
		if (t->errors == 0)
			report(t, DNSD_DIAG_ERROR, path, 0, "cannot load: %s",
			       dnsd_strerror(rc));
		return NULL;
	}
	rc = dnsd_zone_builder_finish(zs.b, tally_diag, t, NULL, &z);
	if (rc < 0) {
		if (t->errors == 0)
			report(t, DNSD_DIAG_ERROR, path, 0,
			       "zone check failed: %s", dnsd_strerror(rc));
		return NULL;
	}
	*soa = zs.soa;
	return z;
}

/* --old / git: the serial must have gone up (RFC 1982). */
static void serial_check(const char *path, const uint8_t *origin,
                         const struct soa_seen *now, const char *old_path,
                         const struct source *old_src, struct tally *t,
                         bool *had_old, uint32_t *was)
{
	*had_old = false;
	if (!old_path)
		return;
	if (!old_serial(old_path, origin, old_src, was)) {
		report(t, DNSD_DIAG_ERROR, path, 0,
		       "cannot read the SOA serial of the old version %s",
		       old_path);
		return;
	}
	*had_old = true;
	if (!dnsd_serial_gt(now->serial, *was))
		report(t, DNSD_DIAG_ERROR, now->file ? now->file : path,
		       now->line,
		       "SOA serial %u is not greater than the old serial %u "
		       "(RFC 1982 serial arithmetic)",
		       now->serial, *was);
}

/* Says why a file was not accepted; true when it was. */
static bool verdict(const struct cfg *cfg, const char *path,
                    const struct tally *t)
{
	if (t->errors) {
		fprintf(stderr, "%s: not loaded: %u error%s, %u warning%s\n",
		        path, t->errors, plural(t->errors), t->warnings,
		        plural(t->warnings));
		return false;
	}
	if (cfg->strict && t->warnings) {
		fprintf(stderr, "%s: not accepted: %u warning%s (--strict)\n",
		        path, t->warnings, plural(t->warnings));
		return false;
	}
	return true;
}

static bool check_zone(const struct cfg *cfg, const char *path,
                       const struct source *src, const char *old_path,
                       const struct source *old_src)
{
	uint8_t origin[DNSD_NAME_MAX];
	char otext[DNSD_NAME_TEXT_MAX];
	struct tally t = {0};
	struct soa_seen soa = {0};
	bool had_old = false;
	uint32_t was = 0;

	if (zone_origin(cfg, path, origin) < 0) {
		report(&t, DNSD_DIAG_ERROR, path, 0,
		       "the file name is not a zone name; use --origin");
		return verdict(cfg, path, &t);
	}
	(void)dnsd_name_to_text(origin, otext, sizeof(otext));
	dnsd_zone *z = zone_build(path, origin, src, &t, &soa);
	if (z)
		serial_check(path, origin, &soa, old_path, old_src, &t,
		             &had_old, &was);
	bool ok = verdict(cfg, path, &t);
	if (ok && cfg->print && print_zone(stdout, z) < 0) {
		fprintf(stderr, "%s: cannot print the zone\n", path);
		ok = false;
	}
	if (ok) {
		/* With --print, stdout holds only records. */
		FILE *f = cfg->print ? stderr : stdout;
		fprintf(f, "%s: zone %s loaded, serial %u", path, otext,
		        dnsd_zone_serial(z));
		if (had_old)
			fprintf(f, " (was %u)", was);
		fprintf(f, ", %zu record%s", dnsd_zone_record_count(z),
		        dnsd_zone_record_count(z) == 1 ? "" : "s");
		if (t.warnings)
			fprintf(f, ", %u warning%s", t.warnings,
			        plural(t.warnings));
		fputc('\n', f);
	}
	if (z)
		dnsd_zone_unref(z);
	return ok;
}

/* ---- key files -------------------------------------------------------- */

/* Key names and algorithms only: secrets are never printed. */
static void print_keys(FILE *out, const dnsd_keylist *l)
{
	char name[DNSD_NAME_TEXT_MAX];

	for (size_t i = 0; i < l->count; i++) {
		if (dnsd_name_to_text(l->keys[i].name, name, sizeof(name)) < 0)
			continue;
		const char *alg = dnsd_key_alg_hmac(l->keys[i].alg);
		fprintf(out, "%s %s %u-octet secret\n", name,
		        alg ? alg : "unknown", l->keys[i].secret_len);
	}
}

static bool check_keys(const struct cfg *cfg, const char *path,
                       const char *zone, size_t zlen, const struct source *src)
{
	uint8_t origin[DNSD_NAME_MAX];
	char otext[DNSD_NAME_TEXT_MAX];
	struct tally t = {0};
	dnsd_keylist l = {0};
	int rc;

	if (cfg->origin)
		rc = origin_from_text(cfg->origin, strlen(cfg->origin), origin);
	else if (zlen == 0)
		rc = dnsd_name_from_text(".", 1, NULL, origin);
	else
		rc = origin_from_text(zone, zlen, origin);
	if (rc < 0) {
		report(&t, DNSD_DIAG_ERROR, path, 0,
		       "the file name does not name a zone; use --origin");
		return verdict(cfg, path, &t);
	}
	(void)dnsd_name_to_text(origin, otext, sizeof(otext));
	dnsd_zf_opts o = {.origin = origin,
	                  .diag = tally_diag,
	                  .diag_ctx = &t,
	                  .read = src->read,
	                  .read_ctx = src->ctx};
	dnsd_zf_result res = {0};
	rc = dnsd_keyfile_load(path, origin, &o, &l, &res);
	if (rc < 0 && t.errors == 0)
		report(&t, DNSD_DIAG_ERROR, path, 0, "cannot load: %s",
		       dnsd_strerror(rc));
	bool ok = verdict(cfg, path, &t);
	if (ok && cfg->print)
		print_keys(stdout, &l);
	if (ok) {
		FILE *f = cfg->print ? stderr : stdout;
		fprintf(f, "%s: key file for %s loaded, %zu key%s", path, otext,
		        l.count, l.count == 1 ? "" : "s");
		if (t.warnings)
			fprintf(f, ", %u warning%s", t.warnings,
			        plural(t.warnings));
		fputc('\n', f);
	}
	dnsd_keylist_free(&l);
	return ok;
}

/* A key file by its name (`_keys`, `ZONE._keys`), else a zone file. */
static bool check_file(const struct cfg *cfg, const char *path,
                       const struct source *src, const char *old_path,
                       const struct source *old_src)
{
	const char *zone = NULL;
	size_t zlen = 0;

	if (dnsd_keyfile_name(path, &zone, &zlen)) {
		if (old_path && !cfg->git) {
			struct tally t = {0};
			report(&t, DNSD_DIAG_ERROR, path, 0,
			       "--old applies to zone files, not key files");
			return verdict(cfg, path, &t);
		}
		return check_keys(cfg, path, zone, zlen, src);
	}
	return check_zone(cfg, path, src, old_path, old_src);
}

/* ---- --git ------------------------------------------------------------ */

/* The files checked: top-level regular files the layout rule
 * (layout.h) makes zones or key files. Subdirectories hold $INCLUDEd
 * files. */
static bool checked_name(const git_tree_entry *e, const dnsd_layout_ignore *ig)
{
	git_filemode_t mode = git_tree_entry_filemode(e);

	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return false;
	return dnsd_layout_classify(git_tree_entry_name(e), ig, NULL) !=
	       DNSD_LAYOUT_IGNORED;
}

static bool all_zero(const char *rev)
{
	size_t n = strspn(rev, "0");
	return rev[n] == 0 && (n == 40 || n == 64);
}

static void git_fail(const char *what)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "dnsd-checkzone: %s: %s\n", what,
	        e && e->message ? e->message : "failed");
}

/* A pre-receive hook runs before the pushed objects enter the repository:
 * git keeps them in a quarantine directory named by GIT_OBJECT_DIRECTORY
 * (with the real store in GIT_ALTERNATE_OBJECT_DIRECTORIES). libgit2 does
 * not read these variables by itself. */
static int add_quarantine(git_repository *repo)
{
	const char *dir = getenv("GIT_OBJECT_DIRECTORY");
	const char *alts = getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES");
	git_odb *odb;
	int rc = 0;

	if (!dir && !alts)
		return 0;
	if (git_repository_odb(&odb, repo) != 0)
		return -1;
	if (dir && *dir)
		rc = git_odb_add_disk_alternate(odb, dir);
	char *list = alts ? strdup(alts) : NULL;
	for (char *save = NULL, *p = list ? strtok_r(list, ":", &save) : NULL;
	     rc == 0 && p; p = strtok_r(NULL, ":", &save))
		rc = git_odb_add_disk_alternate(odb, p);
	free(list);
	git_odb_free(odb);
	return rc;
}

static int rev_tree(git_repository *repo, const char *rev, git_tree **out)
{
	git_object *obj = NULL, *tree = NULL;
	int rc = git_revparse_single(&obj, repo, rev);

	if (rc == 0)
		rc = git_object_peel(&tree, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	*out = (git_tree *)tree;
	return rc;
}

/* True when the entry differs between the two trees (added, removed or
 * changed). */
static bool entry_changed(const git_tree_entry *e, git_tree *other)
{
	const git_tree_entry *o =
	    other ? git_tree_entry_byname(other, git_tree_entry_name(e)) : NULL;
	return !o ||
	       !git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(e)) ||
	       git_tree_entry_filemode(o) != git_tree_entry_filemode(e);
}

/* Whether anything changed besides the checked top-level files: such an
 * entry may be $INCLUDEd by any zone, so every file is then checked. */
static bool others_changed(git_tree *old, git_tree *new,
                           const dnsd_layout_ignore *ig)
{
	git_tree *trees[2] = {old, new};

	for (int k = 0; k < 2; k++) {
		size_t n = git_tree_entrycount(trees[k]);
		for (size_t i = 0; i < n; i++) {
			const git_tree_entry *e =
			    git_tree_entry_byindex(trees[k], i);
			if (!checked_name(e, ig) &&
			    entry_changed(e, trees[1 - k]))
				return true;
		}
	}
	return false;
}

static int git_check_trees(const struct cfg *cfg, git_repository *repo,
                           git_tree *old, git_tree *new)
{
	gittree_src gnew = {repo, new, NULL, NULL},
	            gold = {repo, old, NULL, NULL};
	struct source snew = {gittree_read, &gnew},
	              sold = {gittree_read, &gold};
	dnsd_layout_ignore ig = {0};
	char *text = NULL;
	size_t len = 0;
	if (gittree_read(&gnew, DNSD_LAYOUT_IGNORE_FILE, &text, &len) == 0 &&
	    dnsd_layout_ignore_parse(text, len, &ig) < 0) {
		free(text);
		fprintf(stderr, "dnsd-checkzone: out of memory\n");
		return EXIT_FAIL;
	}
	free(text);
	bool all = !old || others_changed(old, new, &ig);
	size_t n = git_tree_entrycount(new);
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(new, i);
		if (!checked_name(e, &ig))
			continue;
		const char *name = git_tree_entry_name(e);
		const git_tree_entry *o =
		    old ? git_tree_entry_byname(old, name) : NULL;
		bool changed = !o || !git_oid_equal(git_tree_entry_id(o),
		                                    git_tree_entry_id(e));
		if (!changed && !all)
			continue;
		/* The serial must go up only where the zone file itself
		 * changed (and existed before as a regular file). */
		bool serial = changed && o && checked_name(o, &ig);
		if (!check_file(cfg, name, &snew, serial ? name : NULL, &sold))
			failed++;
	}
	dnsd_layout_ignore_free(&ig);
	return failed ? EXIT_FAIL : EXIT_OK;
}

static int git_check(const struct cfg *cfg, const char *path,
                     const char *oldrev, const char *newrev)
{
	git_repository *repo = NULL;
	git_tree *old = NULL, *new = NULL;
	int rc = EXIT_FAIL;

	if (all_zero(newrev))
		return EXIT_OK; /* a deleted ref: nothing to check */
	git_libgit2_init();
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
	                            NULL) != 0) {
		git_fail(path);
		goto out;
	}
	if (add_quarantine(repo) != 0) {
		git_fail("quarantine object directory");
		goto out;
	}
	if (!all_zero(oldrev) && rev_tree(repo, oldrev, &old) != 0) {
		git_fail(oldrev);
		goto out;
	}
	if (rev_tree(repo, newrev, &new) != 0) {
		git_fail(newrev);
		goto out;
	}
	rc = git_check_trees(cfg, repo, old, new);
out:
	git_tree_free(old);
	git_tree_free(new);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* ---- command line ----------------------------------------------------- */

static const char usage_text[] =
    "usage: dnsd-checkzone [--origin NAME] [--old FILE] [--strict] "
    "[--print] FILE...\n"
    "       dnsd-checkzone [--strict] --git REPO OLDREV NEWREV\n"
    "\n"
    "Checks zone files and TSIG key files (named _keys or ZONE._keys).\n"
    "\n"
    "  -o, --origin NAME  zone origin (default: the file name without "
    "\".zone\")\n"
    "  -O, --old FILE     older version of the zone: the SOA serial must\n"
    "                     have increased (RFC 1982)\n"
    "  -s, --strict       warnings are errors\n"
    "  -p, --print        write the records in canonical form to stdout\n"
    "  -g, --git          check the files changed between two revisions\n"
    "                     of the git repository REPO\n"
    "  -h, --help         this text\n"
    "  -V, --version      print the version\n"
    "\n"
    "Exit status: 0 all files fine, 1 a check failed, 2 usage error.\n";

static const struct option long_opts[] = {
    {"origin", required_argument, NULL, 'o'},
    {"old", required_argument, NULL, 'O'},
    {"strict", no_argument, NULL, 's'},
    {"print", no_argument, NULL, 'p'},
    {"git", no_argument, NULL, 'g'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "dnsd-checkzone: %s\n%s", msg, usage_text);
	return EXIT_USAGE;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct cfg *cfg)
{
	int c;

	while ((c = getopt_long(argc, argv, "o:O:spghV", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			cfg->origin = optarg;
			break;
		case 'O':
			cfg->old = optarg;
			break;
		case 's':
			cfg->strict = true;
			break;
		case 'p':
			cfg->print = true;
			break;
		case 'g':
			cfg->git = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("dnsd-checkzone %s\n", DNSD_VERSION);
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	if (cfg->git && nargs != 3)
		return usage_error("--git needs REPO OLDREV NEWREV");
	if (cfg->git && (cfg->origin || cfg->old || cfg->print))
		return usage_error("--git takes no --origin, --old or --print");
	if (nargs < 1)
		return usage_error("no FILE given");
	if (cfg->old && nargs != 1)
		return usage_error("--old needs exactly one FILE");
	return -1;
}

int main(int argc, char **argv)
{
	struct cfg cfg = {0};
	int rc = parse_args(argc, argv, &cfg);

	if (rc >= 0)
		return rc;
	if (cfg.git)
		return git_check(&cfg, argv[optind], argv[optind + 1],
		                 argv[optind + 2]);
	struct source fs = {NULL, NULL};
	bool ok = true;
	for (int i = optind; i < argc; i++)
		ok &= check_file(&cfg, argv[i], &fs, cfg.old, &fs);
	return ok ? EXIT_OK : EXIT_FAIL;
}
