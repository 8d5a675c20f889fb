/* The UPDATE journal (journal.h).
 *
 * The file is written ahead in zeros, JOURNAL_CHUNK at a time, and the
 * records go into that room: an append then changes no file size, so its
 * fdatasync writes the record's block and nothing of the inode (on ext4
 * about a third less time than an append that grows the file). The
 * records end where a record header does not hold (zeros, the usual
 * case, or a record cut short). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define JOURNAL_MAGIC     "DNSDJRN1"
#define JOURNAL_HDR       16
#define JOURNAL_REC_MAGIC "DJR1"
#define JOURNAL_REC_HDR   20 /* magic, length, seq, CRC */
#define JOURNAL_REC_MAX   (1u << 20)
#define JOURNAL_CHUNK     (64u << 10) /* octets of room written ahead */

struct journal {
	int fd;
	char *path;
	uint64_t id;
	uint64_t last_seq;
	size_t count;
	off_t size; /* the records end here */
	off_t room; /* the file's size: zeros from size on */
	off_t torn; /* at open: octets after size that are not zeros */
};

/* ---- encoding ---- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	if (crc_table[1] != 0)
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32_add(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* A wire-form name's length within n octets, or 0. */
static size_t name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && i < 255) {
		if (p[i] == 0)
			return i + 1;
		if (p[i] > 63)
			return 0;
		i += (size_t)p[i] + 1;
	}
	return 0;
}

/* ---- the file ---- */

static int fail(char *err, size_t cap, const char *what, const char *path)
{
	snprintf(err, cap, "journal %s: %s: %s", path, what, strerror(errno));
	return -1;
}

static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

static bool write_all(int fd, const uint8_t *p, size_t n, off_t at)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
		at += w;
	}
	return true;
}

/* Zeros over [from, to) of the file. */
static bool write_zeros(int fd, off_t from, off_t to)
{
	static const uint8_t zeros[16384];
	while (from < to) {
		size_t n = (size_t)(to - from) < sizeof(zeros)
		               ? (size_t)(to - from)
		               : sizeof(zeros);
		if (!write_all(fd, zeros, n, from))
			return false;
		from += (off_t)n;
	}
	return true;
}

/* The room rounded up to a whole chunk past need octets. */
static off_t room_for(off_t need)
{
	return (need / JOURNAL_CHUNK + 1) * (off_t)JOURNAL_CHUNK;
}

/* A new file at path with a fresh id (or the given one). */
static int create(journal *j, uint64_t id, char *err, size_t cap)
{
	uint8_t hdr[JOURNAL_HDR];
	char tmp[4200];

	if (id == 0 && getrandom(&id, sizeof(id), 0) != sizeof(id))
		return fail(err, cap, "no random id", j->path);
	if (id == 0)
		id = 1;
	snprintf(tmp, sizeof(tmp), "%s.new", j->path);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, cap, "cannot create", tmp);
	memcpy(hdr, JOURNAL_MAGIC, 8);
	put64(hdr + 8, id);
	off_t room = room_for(JOURNAL_HDR);
	if (!write_all(fd, hdr, sizeof(hdr), 0) ||
	    !write_zeros(fd, JOURNAL_HDR, room) || fsync(fd) != 0 ||
	    rename(tmp, j->path) != 0 || sync_dir(j->path) != 0) {
		fail(err, cap, "cannot write", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	j->fd = fd;
	j->id = id;
	j->size = JOURNAL_HDR;
	j->room = room;
	j->count = 0;
	j->last_seq = 0;
	return 0;
}

/* Walks the records from the header on; fn may be NULL. Sets j->size to
 * the end of the last valid one. */
static int scan(journal *j,
                int (*fn)(void *ctx, uint64_t seq, const uint8_t *key,
                          const uint8_t *msg, size_t len),
                void *ctx)
{
	struct stat st;
	if (fstat(j->fd, &st) != 0)
		return -1;
	size_t total = (size_t)st.st_size;
	uint8_t *buf = total > 0 ? malloc(total) : NULL;
	if (total > 0 && buf == NULL)
		return -1;
	size_t got = 0;
	while (got < total) {
		ssize_t r = pread(j->fd, buf + got, total - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	size_t off = JOURNAL_HDR, count = 0;
	uint64_t last = 0;
	int rc = 0;
	while (off + JOURNAL_REC_HDR <= got) {
		const uint8_t *p = buf + off;
		uint32_t len = get32(p + 4);
		if (memcmp(p, JOURNAL_REC_MAGIC, 4) != 0 ||
		    len > JOURNAL_REC_MAX || off + JOURNAL_REC_HDR + len > got)
			break;
		uint32_t crc = crc32_add(0, p + 8, 8);
		crc = crc32_add(crc, p + JOURNAL_REC_HDR, len);
		uint64_t seq = get64(p + 8);
		const uint8_t *body = p + JOURNAL_REC_HDR;
		size_t kl = name_len(body, len);
		if (crc != get32(p + 16) || kl == 0 || seq != last + 1)
			break;
		last = seq;
		count++;
		off += JOURNAL_REC_HDR + len;
		if (fn != NULL && rc == 0)
			rc = fn(ctx, seq, body, body + kl, len - kl);
	}
	size_t end = got;
	while (end > off && buf[end - 1] == 0)
		end--;
	free(buf);
	j->size = (off_t)off;
	j->room = (off_t)got;
	j->torn = (off_t)(end - off);
	j->count = count;
	j->last_seq = last;
	return 0;
}

int journal_open(const char *path, journal **out, size_t *cut, char *err,
                 size_t cap)
{
	uint8_t hdr[JOURNAL_HDR];
	journal *j = calloc(1, sizeof(*j));

	crc_init();
	*out = NULL;
	*cut = 0;
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		snprintf(err, cap, "journal %s: out of memory", path);
		return -1;
	}
	j->fd = open(path, O_RDWR | O_CLOEXEC);
	if (j->fd < 0 && errno != ENOENT) {
		fail(err, cap, "cannot open", path);
		journal_close(j);
		return -1;
	}
	if (j->fd < 0) {
		if (create(j, 0, err, cap) < 0) {
			journal_close(j);
			return -1;
		}
		*out = j;
		return 0;
	}
	ssize_t r = pread(j->fd, hdr, sizeof(hdr), 0);
	if (r != (ssize_t)sizeof(hdr) || memcmp(hdr, JOURNAL_MAGIC, 8) != 0) {
		snprintf(err, cap,
		         "journal %s: not a dnsd journal (no header); move it "
		         "away to start a new one",
		         path);
		journal_close(j);
		return -1;
	}
	j->id = get64(hdr + 8);
	struct stat st;
	if (fstat(j->fd, &st) != 0 || scan(j, NULL, NULL) < 0) {
		fail(err, cap, "cannot read", path);
		journal_close(j);
		return -1;
	}
	if (j->torn > 0) {
		*cut = (size_t)j->torn;
		if (!write_zeros(j->fd, j->size, j->size + j->torn) ||
		    fsync(j->fd) != 0) {
			fail(err, cap, "cannot cut off a damaged tail", path);
			journal_close(j);
			return -1;
		}
	}
	*out = j;
	return 0;
}

int journal_read(journal *j,
                 int (*fn)(void *ctx, uint64_t seq, const uint8_t *key,
                           const uint8_t *msg, size_t len),
                 void *ctx)
{
	off_t size = j->size;
	int r = scan(j, fn, ctx);
	j->size = size;
	return r;
}

int journal_append(journal *j, journal_rec *r, size_t n, char *err, size_t cap)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		size_t kl = name_len(r[i].key, 255);
		if (kl == 0 || kl + r[i].len > JOURNAL_REC_MAX) {
			snprintf(err, cap, "journal %s: a record too large",
			         j->path);
			return -1;
		}
		total += JOURNAL_REC_HDR + kl + r[i].len;
	}
	uint8_t *buf = malloc(total ? total : 1);
	if (buf == NULL) {
		snprintf(err, cap, "journal %s: out of memory", j->path);
		return -1;
	}
	size_t off = 0;
	uint64_t seq = j->last_seq;
	for (size_t i = 0; i < n; i++) {
		size_t kl = name_len(r[i].key, 255);
		uint8_t *p = buf + off;
		r[i].seq = ++seq;
		memcpy(p, JOURNAL_REC_MAGIC, 4);
		put32(p + 4, (uint32_t)(kl + r[i].len));
		put64(p + 8, r[i].seq);
		memcpy(p + JOURNAL_REC_HDR, r[i].key, kl);
		memcpy(p + JOURNAL_REC_HDR + kl, r[i].msg, r[i].len);
		uint32_t crc = crc32_add(0, p + 8, 8);
		crc = crc32_add(crc, p + JOURNAL_REC_HDR, kl + r[i].len);
		put32(p + 16, crc);
		off += JOURNAL_REC_HDR + kl + r[i].len;
	}
	if (j->size + (off_t)total > j->room) {
		/* more room, written and synced apart: the append itself then
		 * changes no size */
		off_t room = room_for(j->size + (off_t)total);
		if (!write_zeros(j->fd, j->room, room) || fsync(j->fd) != 0) {
			free(buf);
			return fail(err, cap, "cannot grow", j->path);
		}
		j->room = room;
	}
	bool ok =
	    write_all(j->fd, buf, total, j->size) && fdatasync(j->fd) == 0;
	free(buf);
	if (!ok) {
		fail(err, cap, "cannot append", j->path);
		/* what was written of it must not stand before later records */
		if (write_zeros(j->fd, j->size, j->size + (off_t)total))
			(void)fdatasync(j->fd);
		return -1;
	}
	j->size += (off_t)total;
	j->count += n;
	j->last_seq = seq;
	return 0;
}

void journal_mark_get(const journal *j, journal_mark *m)
{
	m->size = (long long)j->size;
	m->count = j->count;
	m->last_seq = j->last_seq;
}

int journal_rewind(journal *j, const journal_mark *m, char *err, size_t cap)
{
	if (!write_zeros(j->fd, (off_t)m->size, j->size) ||
	    fdatasync(j->fd) != 0)
		return fail(err, cap, "cannot cut back", j->path);
	j->size = (off_t)m->size;
	j->count = m->count;
	j->last_seq = m->last_seq;
	return 0;
}

int journal_reset(journal *j, char *err, size_t cap)
{
	/* a new file with a new id, put in place by a rename: a kill at any
	 * point leaves the old file whole (its records then known by the
	 * commit's "Dnsd-Journal: ID SEQ") or the new one */
	int old = j->fd;
	if (create(j, 0, err, cap) < 0)
		return -1;
	close(old);
	return 0;
}

int journal_keep_copy(const journal *j, const char *suffix, char *err,
                      size_t cap)
{
	char aside[4200];
	size_t n = (size_t)j->size;
	uint8_t *buf = malloc(n);

	snprintf(aside, sizeof(aside), "%s.%s", j->path, suffix);
	if (buf == NULL)
		return fail(err, cap, "out of memory copying", j->path);
	int fd = open(aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && pread(j->fd, buf, n, 0) == (ssize_t)n &&
	          write_all(fd, buf, n, 0) && fsync(fd) == 0;
	free(buf);
	if (fd >= 0)
		close(fd);
	if (!ok) {
		unlink(aside);
		return fail(err, cap, "cannot write", aside);
	}
	return sync_dir(aside) == 0 ? 0 : fail(err, cap, "cannot sync", aside);
}

int journal_peek(const char *path, size_t *count, uint64_t *id)
{
	uint8_t hdr[JOURNAL_HDR];
	journal j = {.fd = open(path, O_RDONLY | O_CLOEXEC)};

	crc_init();
	*count = 0;
	*id = 0;
	if (j.fd < 0)
		return errno == ENOENT ? 0 : -1;
	int r = -1;
	if (pread(j.fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    memcmp(hdr, JOURNAL_MAGIC, 8) == 0 && scan(&j, NULL, NULL) == 0) {
		*count = j.count;
		*id = get64(hdr + 8);
		r = 0;
	}
	close(j.fd);
	return r;
}

uint64_t journal_id(const journal *j)
{
	return j->id;
}

uint64_t journal_last_seq(const journal *j)
{
	return j->last_seq;
}

size_t journal_count(const journal *j)
{
	return j->count;
}

const char *journal_path(const journal *j)
{
	return j->path;
}

void journal_close(journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j);
}
