/* On-disk copies of a secondary's zones (zonecopy.h). */
#include "zonecopy.h"
#include "log.h"

#include <dnsd/err.h>
#include <dnsd/zonewrite.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZC_SUM_TAG "; dnsd-sha256 "

struct zc_job {
	struct zc_job *next;
	uint8_t origin[DNSD_NAME_MAX];
	dnsd_zone *zone; /* NULL: the state only */
	zonecopy_state st;
	bool remove;
};

struct zonecopy {
	char *dir;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cv, idle_cv;
	struct zc_job *queue; /* oldest first */
	bool busy, quit;
};

/* ---- file names --------------------------------------------------------- */

/* The base name of a zone's files: its labels lower-cased, joined by
 * dots, octets other than [a-z0-9_*-] as %XX; the root is "@". The
 * mapping is one to one, so a file name gives the zone back. */
static void zc_base(const uint8_t *origin, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (origin[0] == 0) {
		snprintf(buf, cap, "@");
		return;
	}
	for (const uint8_t *p = origin; *p != 0 && n + 4 < cap; p += *p + 1) {
		if (p != origin)
			buf[n++] = '.';
		for (unsigned i = 1; i <= *p && n + 4 < cap; i++) {
			unsigned char c = p[i];
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_' || c == '*') {
				buf[n++] = (char)c;
			} else {
				buf[n++] = '%';
				buf[n++] = hex[c >> 4];
				buf[n++] = hex[c & 15];
			}
		}
	}
	buf[n] = 0;
}

static int zc_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The zone of a base name; false when it is not one zc_base makes. */
static bool zc_origin(const char *base, size_t len, uint8_t *out)
{
	size_t n = 0, i = 0;

	if (len == 1 && base[0] == '@') {
		out[0] = 0;
		return true;
	}
	while (i <= len) {
		size_t lab = n++; /* the length octet */
		for (; i < len && base[i] != '.'; i++) {
			int c = (unsigned char)base[i], h, l;
			if (c == '%') {
				if (i + 2 >= len ||
				    (h = zc_hexval(base[i + 1])) < 0 ||
				    (l = zc_hexval(base[i + 2])) < 0)
					return false;
				c = h << 4 | l;
				i += 2;
			}
			if (n >= DNSD_NAME_MAX - 1)
				return false;
			out[n++] = (uint8_t)c;
		}
		if (n - lab - 1 == 0 || n - lab - 1 > 63)
			return false;
		out[lab] = (uint8_t)(n - lab - 1);
		i++; /* the dot, or past the end */
	}
	out[n] = 0;
	return true;
}

/* ---- atomic writes ------------------------------------------------------ */

struct zc_out {
	FILE *f;
	EVP_MD_CTX *md;
	bool failed;
};

static int zc_line(void *ctx, const char *line, size_t len)
{
	struct zc_out *o = ctx;

	if (fwrite(line, 1, len, o->f) != len || fputc('\n', o->f) == EOF) {
		o->failed = true;
		return DNSD_EIO;
	}
	EVP_DigestUpdate(o->md, line, len);
	EVP_DigestUpdate(o->md, "\n", 1);
	return 0;
}

/* Writes a temporary file beside path, fsyncs it and renames it over
 * path; fsyncs the directory. body writes the content. 0 or -1 with
 * errno's text in err. */
static int zc_atomic(const char *dir, const char *path,
                     int (*body)(FILE *f, void *ctx), void *ctx, char *err,
                     size_t cap)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		snprintf(err, cap, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	int rc = body(f, ctx);
	if (rc == 0 && fflush(f) != 0)
		rc = -1;
	if (rc == 0 && fsync(fileno(f)) != 0)
		rc = -1;
	int saved = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0) {
		snprintf(err, cap, "%s: %s", tmp, strerror(saved));
		unlink(tmp);
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

struct zc_zone_body {
	const dnsd_zone *z;
	const char *name;
};

static int zc_write_zone(FILE *f, void *ctx)
{
	struct zc_zone_body *b = ctx;
	struct zc_out o = {.f = f, .md = EVP_MD_CTX_new()};
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned sumlen = 0;
	char head[512];

	if (o.md == NULL || EVP_DigestInit_ex(o.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(o.md);
		errno = ENOMEM;
		return -1;
	}
	int n = snprintf(head, sizeof(head),
	                 "; dnsd secondary copy of zone %s serial %" PRIu32,
	                 b->name, dnsd_zone_serial(b->z));
	int rc = zc_line(&o, head, (size_t)n);
	if (rc == 0)
		rc = dnsd_zone_write(b->z, false, zc_line, &o);
	EVP_DigestFinal_ex(o.md, sum, &sumlen);
	EVP_MD_CTX_free(o.md);
	if (rc != 0 || o.failed)
		return -1;
	fputs(ZC_SUM_TAG, f);
	for (unsigned i = 0; i < sumlen; i++)
		fprintf(f, "%02x", sum[i]);
	return fputc('\n', f) == EOF ? -1 : 0;
}

static int zc_write_state(FILE *f, void *ctx)
{
	const zonecopy_state *st = ctx;
	fprintf(f,
	        "; dnsd secondary state (unix times)\n"
	        "serial %" PRIu32 "\nlast-refresh %" PRId64
	        "\nlast-transfer %" PRId64 "\nprimary %s\n",
	        st->serial, st->last_refresh, st->last_transfer,
	        st->primary[0] ? st->primary : "-");
	return ferror(f) ? -1 : 0;
}

static void zc_do(zonecopy *c, struct zc_job *j)
{
	char base[1024], path[4096], err[4200], name[DNSD_NAME_TEXT_MAX];

	zc_base(j->origin, base, sizeof(base));
	log_zone(j->origin, name, sizeof(name));
	if (j->remove) {
		snprintf(path, sizeof(path), "%s/%s.zone", c->dir, base);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.state", c->dir, base);
		unlink(path);
		return;
	}
	if (j->zone != NULL) {
		struct zc_zone_body b = {j->zone, name};
		snprintf(path, sizeof(path), "%s/%s.zone", c->dir, base);
		if (zc_atomic(c->dir, path, zc_write_zone, &b, err,
		              sizeof(err)) < 0) {
			log_error("zone %s: the copy on disk was not written "
			          "(%s); serving it from memory, written again "
			          "at the next change",
			          name, err);
			return; /* the old state goes with the old copy */
		}
	}
	snprintf(path, sizeof(path), "%s/%s.state", c->dir, base);
	if (zc_atomic(c->dir, path, zc_write_state, &j->st, err, sizeof(err)) <
	    0)
		log_error("zone %s: its state on disk was not written (%s)",
		          name, err);
}

static void zc_job_free(struct zc_job *j)
{
	if (j->zone)
		dnsd_zone_unref(j->zone);
	free(j);
}

static void *zc_main(void *arg)
{
	zonecopy *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (c->queue == NULL && !c->quit)
			pthread_cond_wait(&c->cv, &c->lock);
		if (c->queue == NULL)
			break;
		struct zc_job *j = c->queue;
		c->queue = j->next;
		c->busy = true;
		pthread_mutex_unlock(&c->lock);
		zc_do(c, j);
		zc_job_free(j);
		pthread_mutex_lock(&c->lock);
		c->busy = false;
		if (c->queue == NULL)
			pthread_cond_broadcast(&c->idle_cv);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

zonecopy *zonecopy_open(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_warn("secondary: cannot create %s", dir);
		return NULL;
	}
	zonecopy *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->dir = strdup(dir)) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_cond_init(&c->idle_cv, NULL);
	if (pthread_create(&c->thread, NULL, zc_main, c) != 0) {
		free(c->dir);
		free(c);
		return NULL;
	}
	return c;
}

void zonecopy_flush(zonecopy *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	while (c->queue != NULL || c->busy)
		pthread_cond_wait(&c->idle_cv, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

void zonecopy_close(zonecopy *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->quit = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	free(c->dir);
	free(c);
}

/* Queues j, replacing a job of the same zone still waiting (its version
 * too, unless j carries none: then the waiting version stays). */
static void zc_queue(zonecopy *c, struct zc_job *j)
{
	pthread_mutex_lock(&c->lock);
	struct zc_job **pp = &c->queue;
	for (; *pp != NULL; pp = &(*pp)->next) {
		struct zc_job *o = *pp;
		if (!dnsd_name_equal(o->origin, j->origin))
			continue;
		if (j->zone == NULL && !j->remove && !o->remove) {
			j->zone = o->zone;
			o->zone = NULL;
		}
		j->next = o->next;
		*pp = j;
		zc_job_free(o);
		goto queued;
	}
	*pp = j;
queued:
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->lock);
}

void zonecopy_save(zonecopy *c, const uint8_t *origin, dnsd_zone *z,
                   const zonecopy_state *st)
{
	struct zc_job *j = c ? calloc(1, sizeof(*j)) : NULL;

	if (j == NULL)
		return;
	memcpy(j->origin, origin, dnsd_name_len(origin));
	if (z != NULL) {
		dnsd_zone_ref(z);
		j->zone = z;
	}
	j->st = *st;
	zc_queue(c, j);
}

void zonecopy_remove(zonecopy *c, const uint8_t *origin)
{
	struct zc_job *j = c ? calloc(1, sizeof(*j)) : NULL;

	if (j == NULL)
		return;
	memcpy(j->origin, origin, dnsd_name_len(origin));
	j->remove = true;
	zc_queue(c, j);
}

/* ---- reading ------------------------------------------------------------ */

static bool zc_read_state(const char *path, zonecopy_state *st)
{
	FILE *f = fopen(path, "re");
	char line[256];
	unsigned seen = 0;

	if (f == NULL)
		return false;
	memset(st, 0, sizeof(*st));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "serial %" SCNu32, &st->serial) == 1)
			seen |= 1;
		else if (sscanf(line, "last-refresh %" SCNd64,
		                &st->last_refresh) == 1)
			seen |= 2;
		else if (sscanf(line, "last-transfer %" SCNd64,
		                &st->last_transfer) == 1)
			seen |= 4;
		else if (sscanf(line, "primary %63s", st->primary) == 1)
			seen |= 8;
	}
	fclose(f);
	return seen == 15;
}

/* The checksum of a zone file: the sha256 of everything before its last
 * line, which must be `; dnsd-sha256 HEX`. NULL or the reason. */
static const char *zc_check_sum(const char *path)
{
	FILE *f = fopen(path, "re");
	static const char *const whys[] = {"cannot be read",
	                                   "has no checksum line (truncated?)",
	                                   "does not match its checksum"};
	const char *why = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char tail[128] = "";
	size_t tlen = 0;

	if (f == NULL || md == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		why = whys[0];
		goto out;
	}
	/* The digest runs one line behind: the last line is kept aside. */
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (tlen > 0)
			EVP_DigestUpdate(md, tail, tlen);
		if ((size_t)n < sizeof(tail)) {
			memcpy(tail, line, (size_t)n + 1);
			tlen = (size_t)n;
		} else {
			EVP_DigestUpdate(md, line, (size_t)n);
			tlen = 0;
			tail[0] = 0;
		}
	}
	free(line);
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned sumlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_DigestFinal_ex(md, sum, &sumlen);
	for (unsigned i = 0; i < sumlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	size_t taglen = strlen(ZC_SUM_TAG);
	if (ferror(f))
		why = whys[0];
	else if (tlen < taglen + 2 * sumlen ||
	         strncmp(tail, ZC_SUM_TAG, taglen) != 0 ||
	         tail[tlen - 1] != '\n')
		why = whys[1];
	else if (strncmp(tail + taglen, hex, 2 * sumlen) != 0 ||
	         tlen != taglen + 2 * sumlen + 1)
		why = whys[2];
out:
	if (f)
		fclose(f);
	EVP_MD_CTX_free(md);
	return why;
}

struct zc_diag {
	char *why;
	size_t cap;
	bool seen;
};

static void zc_diag_cb(void *ctx, const dnsd_diag *d)
{
	struct zc_diag *zd = ctx;
	if (d->severity == DNSD_DIAG_ERROR && !zd->seen) {
		snprintf(zd->why, zd->cap, "line %u: %s", d->line, d->msg);
		zd->seen = true;
	}
}

static void zc_load_one(const char *dir, const char *base, size_t blen,
                        bool load, void (*fn)(void *, zonecopy_found *),
                        void *ctx)
{
	zonecopy_found f = {0};
	char path[4096];

	if (!zc_origin(base, blen, f.origin))
		return;
	snprintf(path, sizeof(path), "%s/%.*s.state", dir, (int)blen, base);
	f.has_state = zc_read_state(path, &f.st);
	snprintf(path, sizeof(path), "%s/%.*s.zone", dir, (int)blen, base);
	const char *bad = zc_check_sum(path);
	if (bad != NULL) {
		snprintf(f.why, sizeof(f.why), "%.200s %s", path, bad);
	} else if (load) {
		struct zc_diag zd = {f.why, sizeof(f.why), false};
		dnsd_zf_opts o = {.origin = f.origin,
		                  .max_errors = 1,
		                  .diag = zc_diag_cb,
		                  .diag_ctx = &zd};
		int rc = dnsd_zone_load(path, &o, NULL, &f.zone);
		if (rc < 0) {
			char inner[sizeof(f.why)];
			snprintf(inner, sizeof(inner), "%s",
			         zd.seen ? f.why : dnsd_strerror(rc));
			snprintf(f.why, sizeof(f.why), "%.100s %.190s", path,
			         inner);
			f.zone = NULL;
		}
	}
	fn(ctx, &f);
}

static int zc_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void zonecopy_each(const char *dir, bool load,
                   void (*fn)(void *ctx, zonecopy_found *f), void *ctx)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".zone") != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				break;
			names = nn;
		}
		if ((names[n] = strndup(e->d_name, len - 5)) != NULL)
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), zc_name_cmp);
	for (size_t i = 0; i < n; i++) {
		zc_load_one(dir, names[i], strlen(names[i]), load, fn, ctx);
		free(names[i]);
	}
	free(names);
}
