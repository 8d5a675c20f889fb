/* dnsd-certify: a certificate for a service through DNS, the original
 * deployment's ocertify (DESIGN.md "Certificates in DNS").
 *
 * The private key stays here. The CSR for HOSTNAME and every
 * --additional name goes to the letsencrypt role as TLSA 3 255 0 at
 * _letsencrypt._tcp.HOSTNAME; the role orders the certificate and puts
 * it beside the CSR as TLSA 3 0 0, its CA certificates as 2 0 0; this
 * tool writes them as the PEM chain a TLS server loads.
 *
 * Steps: the key (reused from --key-file, else made and written with
 * mode 0600); the CSR (reused from --csr-file when it has the key and
 * exactly the names, else made); the zone, from the SOA in the answer
 * to a SOA query for the TLSA owner; the TLSA RRset. A current
 * certificate there (the key, all the names, before the last third of
 * its lifetime) is written and nothing is published. Otherwise the CSR
 * is published by one UPDATE that deletes every 3 255 0 record found
 * (by value: the role refuses a name with two CSRs, and the 3 0 0 and
 * 2 0 0 records are the role's) and adds ours; when the RRset already
 * holds our CSR alone, nothing is sent. Then the RRset is asked every
 * 2 s until a current certificate appears or --timeout passes.
 *
 * --force makes a new key and CSR whatever is in DNS: the role orders
 * only for a CSR without a current certificate, and a new key is what
 * has none.
 *
 * Every query and the UPDATE go over TCP (certificates do not fit in
 * UDP), signed with --key; an answer counts only when its signature
 * verifies, since nothing else vouches for the certificates it holds:
 * their chains are not checked here.
 *
 * Files are written atomically: a temporary file in the same directory,
 * fsync, rename. */
#include <dnsd/arena.h>
#include <dnsd/certreq.h>
#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "toolnet.h"

#define TLSA_TTL          300
#define POLL_MS           2000
#define QUERY_MS          10000 /* one query or the UPDATE */
#define TIMEOUT_DEFAULT_S 600
#define TIMEOUT_MAX_S     86400
#define MSG_MAX           65535
#define FILE_MAX          (1 << 20)

enum {
	EXIT_ISSUED = 0,    /* a new certificate appeared, written */
	EXIT_LOCAL = 1,     /* usage, or a local file or key */
	EXIT_REFUSED = 2,   /* the server refused: RCODE, TSIG, no zone */
	EXIT_CURRENT = 3,   /* the one in DNS was current, written */
	EXIT_TIMEOUT = 4,   /* no current certificate within --timeout */
	EXIT_NO_ANSWER = 5, /* no answer, or one that cannot be trusted */
};

static const char synopsis[] =
    "usage: dnsd-certify SERVER[:PORT] HOSTNAME [--additional NAME]...\n"
    "                    --key NAME:ALG:SECRET [OPTIONS]\n";

static const char usage_text[] =
    "Publishes a CSR for HOSTNAME (and the --additional names) as TLSA\n"
    "3 255 0 at _letsencrypt._tcp.HOSTNAME by a signed UPDATE, waits for\n"
    "the certificate the letsencrypt role puts beside it (TLSA 3 0 0, CA\n"
    "certificates 2 0 0) and writes it with its chain as PEM. A current\n"
    "certificate for the key and names already there is written at once.\n"
    "options:\n"
    "  -a, --additional NAME    another name of the certificate, "
    "repeatable\n"
    "                           (a wildcard: '*.example.org')\n"
    "      --key K              the TSIG key, written NAME:ALG:SECRET, "
    "that\n"
    "                           may update the zone (required)\n"
    "      --key-file F         the private key (default HOSTNAME.key): "
    "reused,\n"
    "                           else made and written with mode 0600\n"
    "      --cert-file F        the PEM chain written (default "
    "HOSTNAME.pem)\n"
    "      --csr-file F         the CSR: reused when it has the key and the\n"
    "                           names, else written (default: none kept)\n"
    "      --key-type T         ec256 (default), ec384, rsa2048, rsa4096: "
    "for a\n"
    "                           new key; a reused key must be of it when "
    "given\n"
    "      --force              a new key and CSR even when a current\n"
    "                           certificate exists: the role orders anew\n"
    "      --timeout S          wait at most S seconds for the "
    "certificate\n"
    "                           (0..86400, default 600; 0: publish and "
    "look once)\n"
    "  -v, --verbose            say each step on stderr\n"
    "  -h, --help               this text\n"
    "  -V, --version            print the version\n"
    "Prints what happened on stdout ('issued: FILE ...', 'current: FILE "
    "...').\n"
    "Exit status: 0 issued (written), 1 usage or local error, 2 refused by\n"
    "the server (an RCODE or TSIG error, no zone), 3 already current "
    "(written,\n"
    "nothing published), 4 timeout (no certificate within --timeout), 5 "
    "no\n"
    "answer or an answer that cannot be trusted.\n";

enum {
	OPT_KEY = 256,
	OPT_KEY_FILE,
	OPT_CERT_FILE,
	OPT_CSR_FILE,
	OPT_KEY_TYPE,
	OPT_FORCE,
	OPT_TIMEOUT,
};

static const struct option long_opts[] = {
    {"additional", required_argument, NULL, 'a'},
    {"key", required_argument, NULL, OPT_KEY},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"cert-file", required_argument, NULL, OPT_CERT_FILE},
    {"csr-file", required_argument, NULL, OPT_CSR_FILE},
    {"key-type", required_argument, NULL, OPT_KEY_TYPE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const uint8_t root[1] = {0};

/* The records of the TLSA RRset this tool and the role agree on. */
enum { TLSA_CSR, TLSA_CERT, TLSA_CA, TLSA_OTHER };

static const struct tlsa_kind {
	uint8_t usage, selector, mtype;
	const char *what;
} tlsa_kinds[] = {
    [TLSA_CSR] = {3, 255, 0, "CSR"},
    [TLSA_CERT] = {3, 0, 0, "certificate"},
    [TLSA_CA] = {2, 0, 0, "CA certificate"},
};

struct tlsa {
	int kind;
	uint8_t *rdata; /* the whole RDATA: 3 octets, then the DER */
	size_t rdlen;
};

struct tlsa_set {
	struct tlsa *v;
	size_t n;
	size_t count[TLSA_OTHER + 1];
};

struct certify {
	struct tool_server srv;
	dnsd_key key;
	char name_buf[DNSD_CERTREQ_NAMES_MAX][DNSD_CERTREQ_NAME_MAX];
	char *names[DNSD_CERTREQ_NAMES_MAX];
	size_t nnames;
	uint8_t owner[DNSD_NAME_MAX]; /* _letsencrypt._tcp.HOSTNAME */
	char owner_text[DNSD_NAME_TEXT_MAX];
	uint8_t zone[DNSD_NAME_MAX];
	char key_file[4096], cert_file[4096];
	const char *csr_file;
	int key_type;
	bool key_type_given, force, verbose;
	int timeout_s;

	EVP_PKEY *pkey;
	bool key_is_new; /* made here: written before it is published */
	uint8_t *spki;
	size_t spki_len;
	uint8_t *csr; /* DER */
	size_t csr_len;
	bool csr_to_file; /* --csr-file lacks this CSR */
};

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tool_vwarnx(fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s(--help says more)\n", synopsis);
	return EXIT_LOCAL;
}

static void verbose(const struct certify *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void verbose(const struct certify *c, const char *fmt, ...)
{
	if (!c->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs(";; ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *time_text(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "?");
	return buf;
}

/* ---- files --------------------------------------------------------- */

/* The whole of path into *buf (NUL-terminated, the caller's to free);
 * 0, -1 with errno, or -2 when it is too big. */
static int read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -1 : st.st_size > FILE_MAX ? -2 : 0;
	char *b = r == 0 ? malloc((size_t)st.st_size + 1) : NULL;
	if (r == 0 && !b) {
		errno = ENOMEM;
		r = -1;
	}
	size_t got = 0;
	ssize_t n = 1;
	while (b && got < (size_t)st.st_size &&
	       (n = read(fd, b + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		r = -1;
	int e = errno;
	close(fd);
	errno = e;
	if (r < 0) {
		free(b);
		return r;
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

/* data into path, atomically: a temporary file beside it with mode,
 * written, fsync'd and renamed over it. 0, or -1 said why. */
static int write_atomic(const char *path, const void *data, size_t len,
                        mode_t mode)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >=
	    (int)sizeof tmp) {
		tool_warnx("%s: name too long", path);
		return -1;
	}
	int fd = mkstemp(tmp); /* mode 0600 from the start */
	if (fd < 0) {
		tool_warnx("%s: %s", tmp, strerror(errno));
		return -1;
	}
	const uint8_t *p = data;
	size_t done = 0;
	ssize_t r = 0;
	while (done < len && (r = write(fd, p + done, len - done)) > 0)
		done += (size_t)r;
	if (done < len || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		tool_warnx("%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		tool_warnx("%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- the key and the CSR ------------------------------------------- */

static int make_key(struct certify *c)
{
	if (dnsd_certkey_new(c->key_type, &c->pkey) < 0) {
		tool_warnx("cannot make a %s key",
		           dnsd_certkey_type_name(c->key_type));
		return EXIT_LOCAL;
	}
	c->key_is_new = true;
	verbose(c, "key %s: a new %s key", c->key_file,
	        dnsd_certkey_type_name(c->key_type));
	return 0;
}

/* --key-file read, or a new key when there is none (or --force); an
 * exit status. */
static int load_key(struct certify *c)
{
	char *pem = NULL;
	size_t len;
	if (c->force)
		return make_key(c);
	int r = read_file(c->key_file, &pem, &len);
	if (r == -1 && errno == ENOENT)
		return make_key(c);
	if (r < 0) {
		tool_warnx("%s: %s", c->key_file,
		           r == -2 ? "too big for a key" : strerror(errno));
		return EXIT_LOCAL;
	}
	r = dnsd_certkey_from_pem(pem, len, &c->pkey);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (r < 0) {
		tool_warnx("%s: no private key that reads (PEM, unencrypted)",
		           c->key_file);
		return EXIT_LOCAL;
	}
	int type = dnsd_certkey_type(c->pkey);
	if (type < 0) {
		tool_warnx("%s: not an ec256, ec384, rsa2048 or rsa4096 key",
		           c->key_file);
		return EXIT_LOCAL;
	}
	if (c->key_type_given && type != c->key_type) {
		tool_warnx("%s: an %s key, not %s (--force makes a new one)",
		           c->key_file, dnsd_certkey_type_name(type),
		           dnsd_certkey_type_name(c->key_type));
		return EXIT_LOCAL;
	}
	verbose(c, "key %s: reused (%s)", c->key_file,
	        dnsd_certkey_type_name(type));
	return 0;
}

/* The DER of a CSR file (PEM or DER) into *der; 0 or -1. */
static int csr_file_der(const char *buf, size_t len, uint8_t **der,
                        size_t *der_len)
{
	static const char *const labels[] = {"CERTIFICATE REQUEST",
	                                     "NEW CERTIFICATE REQUEST"};
	if (len >= 10 && memcmp(buf, "-----BEGIN", 10) == 0) {
		for (size_t i = 0; i < 2; i++) {
			size_t off = 0;
			if (dnsd_certreq_pem_next(buf, len, &off, labels[i],
			                          der, der_len) == 0)
				return 0;
		}
		return -1;
	}
	if (!(*der = malloc(len ? len : 1)))
		return -1;
	memcpy(*der, buf, len);
	*der_len = len;
	return 0;
}

/* True when der is a CSR with our key and exactly our names. */
static bool csr_is_ours(const struct certify *c, const uint8_t *der, size_t len)
{
	dnsd_csr p;
	if (dnsd_csr_parse(der, len, &p) < 0)
		return false;
	bool ours =
	    dnsd_csr_matches(&p, c->spki, c->spki_len, c->names, c->nnames);
	dnsd_csr_clear(&p);
	return ours;
}

/* The CSR of --csr-file when it is ours, else a new one; an exit
 * status. */
static int choose_csr(struct certify *c)
{
	if (dnsd_certkey_spki(c->pkey, &c->spki, &c->spki_len) < 0) {
		tool_warnx("out of memory");
		return EXIT_LOCAL;
	}
	char *buf = NULL;
	size_t len;
	if (c->csr_file && !c->key_is_new &&
	    read_file(c->csr_file, &buf, &len) == 0) {
		uint8_t *der = NULL;
		size_t dlen;
		if (csr_file_der(buf, len, &der, &dlen) == 0 &&
		    csr_is_ours(c, der, dlen)) {
			c->csr = der;
			c->csr_len = dlen;
			verbose(c, "CSR %s: reused", c->csr_file);
		} else {
			free(der);
			verbose(c, "CSR %s: not for this key and these names",
			        c->csr_file);
		}
		free(buf);
	}
	if (c->csr)
		return 0;
	if (dnsd_csr_make(c->pkey, c->names, c->nnames, &c->csr, &c->csr_len) <
	    0) {
		tool_warnx("cannot make the CSR");
		return EXIT_LOCAL;
	}
	c->csr_to_file = c->csr_file != NULL;
	verbose(c, "CSR: a new one for %zu name%s", c->nnames,
	        c->nnames == 1 ? "" : "s");
	return 0;
}

/* What must be on disk before the CSR is published: a new key (else
 * the certificate would be of a key nobody has) and --csr-file. */
static int save_key_and_csr(struct certify *c)
{
	if (c->key_is_new) {
		char *pem;
		size_t len;
		if (dnsd_certkey_to_pem(c->pkey, &pem, &len) < 0) {
			tool_warnx("out of memory");
			return EXIT_LOCAL;
		}
		int r = write_atomic(c->key_file, pem, len, 0600);
		OPENSSL_cleanse(pem, len);
		free(pem);
		if (r < 0)
			return EXIT_LOCAL;
		c->key_is_new = false;
		verbose(c, "key %s: written", c->key_file);
	}
	if (c->csr_to_file) {
		char *pem;
		size_t len;
		if (dnsd_certreq_pem("CERTIFICATE REQUEST", c->csr, c->csr_len,
		                     &pem, &len) < 0) {
			tool_warnx("out of memory");
			return EXIT_LOCAL;
		}
		int r = write_atomic(c->csr_file, pem, len, 0644);
		free(pem);
		if (r < 0)
			return EXIT_LOCAL;
		c->csr_to_file = false;
		verbose(c, "CSR %s: written", c->csr_file);
	}
	return 0;
}

/* ---- the exchange -------------------------------------------------- */

/* The message of len octets in buf signed with --key (its TSIG state
 * into t): the new length or a negative error. */
static int sign(struct certify *c, dnsd_tsig_ctx *t, uint8_t *buf, size_t cap,
                int len)
{
	if (len < 0)
		return len;
	return dnsd_tsig_sign_request(t, &c->key, buf, (size_t)len, cap,
	                              (uint64_t)time(NULL), DNSD_TSIG_FUDGE);
}

/* A query for name and type, signed, into buf: its length or a
 * negative error. */
static int build_query(struct certify *c, dnsd_tsig_ctx *t, const uint8_t *name,
                       uint16_t type, uint8_t *buf, size_t cap)
{
	uint16_t id;
	if (RAND_bytes((uint8_t *)&id, sizeof id) != 1)
		return DNSD_EINVAL;
	dnsd_hdr h = {.id = id};
	dnsd_msg_builder b;
	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, name, type, DNSD_CLASS_IN);
	return sign(c, t, buf, cap, dnsd_msg_finish(&b));
}

/* The UPDATE: every CSR of set deleted by value, ours added. */
static int build_update(struct certify *c, dnsd_tsig_ctx *t,
                        const struct tlsa_set *set, uint8_t *buf, size_t cap)
{
	uint16_t id;
	if (RAND_bytes((uint8_t *)&id, sizeof id) != 1)
		return DNSD_EINVAL;
	dnsd_hdr h = {.id = id, .flags = DNSD_OPCODE_UPDATE << 11};
	dnsd_msg_builder b;
	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, c->zone, DNSD_TYPE_SOA, DNSD_CLASS_IN);
	dnsd_msg_section(&b, DNSD_SEC_AUTHORITY);
	for (size_t i = 0; i < set->n; i++) {
		const struct tlsa *r = &set->v[i];
		if (r->kind != TLSA_CSR)
			continue;
		int e = dnsd_msg_rr(&b, c->owner, DNSD_TYPE_TLSA,
		                    DNSD_CLASS_NONE, 0, r->rdata, r->rdlen);
		if (e < 0)
			return e;
	}
	if (c->csr_len > MSG_MAX)
		return DNSD_ESPACE;
	uint8_t *rd = malloc(3 + c->csr_len);
	if (!rd)
		return DNSD_ENOMEM;
	rd[0] = tlsa_kinds[TLSA_CSR].usage;
	rd[1] = tlsa_kinds[TLSA_CSR].selector;
	rd[2] = tlsa_kinds[TLSA_CSR].mtype;
	memcpy(rd + 3, c->csr, c->csr_len);
	int e = dnsd_msg_rr(&b, c->owner, DNSD_TYPE_TLSA, DNSD_CLASS_IN,
	                    TLSA_TTL, rd, 3 + c->csr_len);
	free(rd);
	if (e < 0)
		return e;
	return sign(c, t, buf, cap, dnsd_msg_finish(&b));
}

/* What one exchange came to. */
struct answer {
	int status;     /* 0, or the exit status it means */
	char why[256];  /* when status is not 0 */
	char rcode[64]; /* the RCODE (and TSIG error) of the answer */
	int rc;         /* the RCODE */
};

/* Sends the request in req (qlen octets, signed with t) and judges the
 * answer into *ans; its length in resp when it may be read (verified,
 * and NOERROR, or NXDOMAIN when nx_ok). */
static int exchange(struct certify *c, dnsd_tsig_ctx *t, const uint8_t *req,
                    int qlen, uint8_t *resp, bool nx_ok, int ms,
                    struct answer *ans)
{
	struct timespec dl;
	memset(ans, 0, sizeof *ans);
	if (qlen < 0) {
		snprintf(ans->why, sizeof ans->why, "the request: %s",
		         dnsd_strerror(qlen));
		ans->status = EXIT_LOCAL;
		return 0;
	}
	char w[200];
	tool_deadline_in(&dl, ms);
	int len = tool_tcp_exchange(&c->srv, req, (size_t)qlen, resp, MSG_MAX,
	                            &dl, w, sizeof w);
	if (len == 0) {
		snprintf(ans->why, sizeof ans->why, "no answer: %s", w);
		ans->status = EXIT_NO_ANSWER;
		return 0;
	}
	enum tool_verdict v = tool_verdict_of(
	    &c->srv, true, t, resp, (size_t)len, ans->rcode, sizeof ans->rcode);
	dnsd_hdr h;
	dnsd_hdr_parse(resp, (size_t)len, &h);
	ans->rc = DNSD_RCODE(h.flags);
	/* a verified NXDOMAIN is REFUSED to tool_verdict_of, and no TSIG
	 * error comes with it */
	if (v == TOOL_NOERROR || (v == TOOL_REFUSED && nx_ok &&
	                          ans->rc == DNSD_RCODE_NXDOMAIN && !t->error))
		return len;
	ans->status = v == TOOL_UNTRUSTED ? EXIT_NO_ANSWER : EXIT_REFUSED;
	snprintf(ans->why, sizeof ans->why, "answered %s", ans->rcode);
	return 0;
}

/* ---- the zone and the RRset ---------------------------------------- */

/* The zone of the TLSA owner, from the SOA of the answer to a SOA query
 * for it; an exit status, said why. */
static int find_zone(struct certify *c)
{
	static uint8_t req[MSG_MAX], resp[MSG_MAX];
	char zb[DNSD_NAME_TEXT_MAX];
	struct answer ans;
	dnsd_tsig_ctx t;
	dnsd_tsig_ctx_init(&t);
	int len = exchange(
	    c, &t, req,
	    build_query(c, &t, c->owner, DNSD_TYPE_SOA, req, sizeof req), resp,
	    true, QUERY_MS, &ans);
	dnsd_tsig_ctx_clear(&t);
	if (ans.status) {
		tool_warnx("%s: the SOA query for %s: %s", c->srv.name,
		           c->owner_text, ans.why);
		return ans.status;
	}
	dnsd_arena a;
	dnsd_msg m;
	dnsd_arena_init(&a, 4096);
	int status = 0;
	const dnsd_rr *soa = NULL;
	const char *where = "answer";
	if (dnsd_msg_parse(resp, (size_t)len, &a, &m) < 0) {
		tool_warnx("%s: a malformed answer to the SOA query for %s",
		           c->srv.name, c->owner_text);
		status = EXIT_NO_ANSWER;
	} else if (!(soa = tool_zone_soa(&m, DNSD_SEC_ANSWER, c->owner))) {
		where = "authority section";
		soa = tool_zone_soa(&m, DNSD_SEC_AUTHORITY, c->owner);
	}
	if (soa) {
		memcpy(c->zone, soa->owner, dnsd_name_len(soa->owner));
		if (dnsd_name_to_text(c->zone, zb, sizeof zb) < 0)
			snprintf(zb, sizeof zb, "?");
		verbose(c, "zone %s (the SOA in the %s)", zb, where);
	} else if (!status) {
		tool_warnx("%s: no SOA in the answer for %s: no zone of its "
		           "served there",
		           c->srv.name, c->owner_text);
		status = EXIT_REFUSED;
	}
	dnsd_arena_free(&a);
	return status;
}

static void tlsa_set_clear(struct tlsa_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].rdata);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int tlsa_kind(const uint8_t *rd, size_t len)
{
	for (int k = 0; k < TLSA_OTHER; k++)
		if (len > 3 && rd[0] == tlsa_kinds[k].usage &&
		    rd[1] == tlsa_kinds[k].selector &&
		    rd[2] == tlsa_kinds[k].mtype)
			return k;
	return TLSA_OTHER;
}

/* The TLSA records at the owner of the answer m into set. */
static int tlsa_collect(const struct certify *c, const dnsd_msg *m,
                        struct tlsa_set *set)
{
	for (unsigned i = 0; i < m->count[DNSD_SEC_ANSWER]; i++) {
		const dnsd_rr *rr = &m->sec[DNSD_SEC_ANSWER][i];
		if (rr->type != DNSD_TYPE_TLSA || rr->rclass != DNSD_CLASS_IN ||
		    !dnsd_name_equal(rr->owner, c->owner))
			continue;
		struct tlsa *v = realloc(set->v, (set->n + 1) * sizeof *v);
		if (!v)
			return -1;
		set->v = v;
		struct tlsa *t = &v[set->n];
		if (!(t->rdata = malloc(rr->rdlen ? rr->rdlen : 1)))
			return -1;
		memcpy(t->rdata, rr->rdata, rr->rdlen);
		t->rdlen = rr->rdlen;
		t->kind = tlsa_kind(rr->rdata, rr->rdlen);
		set->count[t->kind]++;
		set->n++;
	}
	return 0;
}

/* The TLSA RRset at the owner into set; an exit status with ans->why. */
static int fetch_tlsa(struct certify *c, struct tlsa_set *set, int ms,
                      struct answer *ans)
{
	static uint8_t req[MSG_MAX], resp[MSG_MAX];
	dnsd_tsig_ctx t;
	dnsd_tsig_ctx_init(&t);
	tlsa_set_clear(set);
	int len = exchange(
	    c, &t, req,
	    build_query(c, &t, c->owner, DNSD_TYPE_TLSA, req, sizeof req), resp,
	    true, ms, ans);
	dnsd_tsig_ctx_clear(&t);
	if (ans->status)
		return ans->status;
	dnsd_arena a;
	dnsd_msg m;
	dnsd_arena_init(&a, 16384);
	int status = 0;
	if (dnsd_msg_parse(resp, (size_t)len, &a, &m) < 0) {
		snprintf(ans->why, sizeof ans->why, "a malformed answer");
		status = EXIT_NO_ANSWER;
	} else if (tlsa_collect(c, &m, set) < 0) {
		snprintf(ans->why, sizeof ans->why, "out of memory");
		status = EXIT_LOCAL;
	}
	dnsd_arena_free(&a);
	ans->status = status;
	return status;
}

/* ---- the certificate ----------------------------------------------- */

/* The index in set of a certificate current for our CSR at now, or -1;
 * its facts into *out. */
static ssize_t find_current(const struct certify *c, const struct tlsa_set *set,
                            time_t now, dnsd_cert *out)
{
	dnsd_csr csr = {.names = (char **)c->names,
	                .nnames = c->nnames,
	                .spki = c->spki,
	                .spki_len = c->spki_len};
	for (size_t i = 0; i < set->n; i++) {
		if (set->v[i].kind != TLSA_CERT)
			continue;
		dnsd_cert x;
		if (dnsd_cert_parse(set->v[i].rdata + 3, set->v[i].rdlen - 3,
		                    &x) < 0)
			continue;
		if (dnsd_cert_current(&x, &csr, dnsd_cert_renew_at(&x), now)) {
			*out = x;
			return (ssize_t)i;
		}
		dnsd_cert_clear(&x);
	}
	return -1;
}

/* The certificate set->v[i] and its chain of the 2 0 0 records into
 * --cert-file, and the line on stdout; an exit status (status when
 * written). */
static int write_cert(struct certify *c, const struct tlsa_set *set, size_t i,
                      const dnsd_cert *x, int status)
{
	const uint8_t **cas = calloc(set->n, sizeof *cas);
	size_t *lens = calloc(set->n, sizeof *lens), n = 0;
	char *pem = NULL;
	size_t pem_len = 0;
	int r = DNSD_ENOMEM;
	if (cas && lens) {
		for (size_t j = 0; j < set->n; j++)
			if (set->v[j].kind == TLSA_CA) {
				cas[n] = set->v[j].rdata + 3;
				lens[n++] = set->v[j].rdlen - 3;
			}
		r = dnsd_cert_chain_pem(set->v[i].rdata + 3,
		                        set->v[i].rdlen - 3, cas, lens, n, &pem,
		                        &pem_len);
	}
	free(cas);
	free(lens);
	if (r == DNSD_EMALFORM) {
		/* a CA record that does not parse: the certificate alone is
		 * still a certificate, but say so */
		tool_warnx("%s: a CA certificate (TLSA 2 0 0) does not parse: "
		           "%s has the certificate alone",
		           c->owner_text, c->cert_file);
		r = dnsd_cert_chain_pem(set->v[i].rdata + 3,
		                        set->v[i].rdlen - 3, NULL, NULL, 0,
		                        &pem, &pem_len);
	} else if (r == 0 && n > 0) {
		tool_warnx("%s: no CA certificate (TLSA 2 0 0) issues the "
		           "certificate: %s has it alone",
		           c->owner_text, c->cert_file);
	}
	if (r < 0) {
		tool_warnx("out of memory");
		return EXIT_LOCAL;
	}
	verbose(c, "chain: the certificate and %d CA certificate%s", r,
	        r == 1 ? "" : "s");
	int w = write_atomic(c->cert_file, pem, pem_len, 0644);
	free(pem);
	if (w < 0)
		return EXIT_LOCAL;
	char na[32], ra[32];
	if (status == EXIT_CURRENT)
		printf("current: %s (valid until %s, renewal from %s)\n",
		       c->cert_file, time_text(x->not_after, na, sizeof na),
		       time_text(dnsd_cert_renew_at(x), ra, sizeof ra));
	else
		printf("issued: %s (valid until %s)\n", c->cert_file,
		       time_text(x->not_after, na, sizeof na));
	return status;
}

/* ---- publishing and waiting ---------------------------------------- */

/* True when set holds our CSR and no other: nothing to publish. */
static bool published_already(const struct certify *c,
                              const struct tlsa_set *set)
{
	if (set->count[TLSA_CSR] != 1)
		return false;
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].kind == TLSA_CSR)
			return csr_is_ours(c, set->v[i].rdata + 3,
			                   set->v[i].rdlen - 3);
	return false;
}

static int publish(struct certify *c, const struct tlsa_set *set)
{
	static uint8_t req[MSG_MAX], resp[MSG_MAX];
	struct answer ans;
	dnsd_tsig_ctx t;
	dnsd_tsig_ctx_init(&t);
	exchange(c, &t, req, build_update(c, &t, set, req, sizeof req), resp,
	         false, QUERY_MS, &ans);
	dnsd_tsig_ctx_clear(&t);
	if (ans.status) {
		tool_warnx("%s: the UPDATE of the CSR at %s: %s", c->srv.name,
		           c->owner_text, ans.why);
		return ans.status;
	}
	verbose(c, "published the CSR at %s, replacing %zu (UPDATE %s)",
	        c->owner_text, set->count[TLSA_CSR], ans.rcode);
	return 0;
}

/* Asks the RRset every POLL_MS until a current certificate is there or
 * --timeout has passed; an exit status. */
static int wait_cert(struct certify *c, struct tlsa_set *set)
{
	struct timespec end, next;
	struct answer ans = {0};
	char last[sizeof ans.why] = "";
	bool warned = false;
	tool_deadline_in(&end, c->timeout_s * 1000);
	verbose(c, "waiting up to %d s for the certificate", c->timeout_s);
	for (;;) {
		tool_deadline_in(&next, POLL_MS);
		int left = tool_ms_left(&end);
		int ms = left < QUERY_MS ? left : QUERY_MS;
		if (fetch_tlsa(c, set, ms > 500 ? ms : 500, &ans) == 0) {
			dnsd_cert x;
			ssize_t i = find_current(c, set, time(NULL), &x);
			if (i >= 0) {
				int r = write_cert(c, set, (size_t)i, &x,
				                   EXIT_ISSUED);
				dnsd_cert_clear(&x);
				return r;
			}
			if (!warned && !published_already(c, set)) {
				/* somebody replaced it: keep waiting, the
				 * certificate may still come for ours */
				tool_warnx("%s: our CSR is no longer the one "
				           "published",
				           c->owner_text);
				warned = true;
			}
			last[0] = 0;
		} else if (ans.status == EXIT_LOCAL) {
			tool_warnx("%s", ans.why);
			return EXIT_LOCAL;
		} else {
			snprintf(last, sizeof last, "%s", ans.why);
			verbose(c, "%s: %s (still waiting)", c->owner_text,
			        last);
		}
		if (tool_ms_left(&end) == 0)
			break;
		int pause = tool_ms_left(&next);
		if (pause > tool_ms_left(&end))
			pause = tool_ms_left(&end);
		if (pause > 0)
			nanosleep(
			    &(struct timespec){pause / 1000,
			                       (long)(pause % 1000) * 1000000},
			    NULL);
	}
	tool_warnx("%s: no current certificate after %d s%s%s", c->owner_text,
	           c->timeout_s, last[0] ? "; the last query: " : "", last);
	return EXIT_TIMEOUT;
}

/* The CSR published (ours, by published_already) as the one of
 * --csr-file, when ours was made anew. */
static void keep_published(struct certify *c, const struct tlsa_set *set)
{
	if (!c->csr_to_file)
		return;
	for (size_t i = 0; i < set->n; i++) {
		uint8_t *der = malloc(set->v[i].rdlen - 3);
		if (set->v[i].kind != TLSA_CSR || !der) {
			free(der);
			continue;
		}
		memcpy(der, set->v[i].rdata + 3, set->v[i].rdlen - 3);
		free(c->csr);
		c->csr = der;
		c->csr_len = set->v[i].rdlen - 3;
		return;
	}
}

/* ---- main ---------------------------------------------------------- */

/* A name of the certificate into c->names (once); an exit status. */
static int add_name(struct certify *c, const char *what, const char *arg)
{
	char *n = c->name_buf[c->nnames];
	if (dnsd_certreq_name(arg, n) < 0)
		return usage_error("%s: '%s' is not a host name", what, arg);
	for (size_t i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], n) == 0)
			return 0;
	if (c->nnames == DNSD_CERTREQ_NAMES_MAX)
		return usage_error("at most %d names", DNSD_CERTREQ_NAMES_MAX);
	c->names[c->nnames++] = n;
	return 0;
}

static int set_path(char *dst, size_t cap, const char *what, const char *s)
{
	if (snprintf(dst, cap, "%s", s) >= (int)cap)
		return usage_error("%s: too long", what);
	return 0;
}

/* The options and arguments into c: an exit status, 0 to go on, -1 for
 * --help and --version (done). */
static int parse_args(struct certify *c, int argc, char **argv)
{
	const char *key_text = NULL, *key_file = NULL, *cert_file = NULL;
	const char *additional[DNSD_CERTREQ_NAMES_MAX];
	size_t nadd = 0;
	int opt;
	long v;
	while ((opt = getopt_long(argc, argv, "a:vhV", long_opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'a':
			if (nadd == DNSD_CERTREQ_NAMES_MAX)
				return usage_error("at most %d names",
				                   DNSD_CERTREQ_NAMES_MAX);
			additional[nadd++] = optarg;
			break;
		case OPT_KEY:
			key_text = optarg;
			break;
		case OPT_KEY_FILE:
			key_file = optarg;
			break;
		case OPT_CERT_FILE:
			cert_file = optarg;
			break;
		case OPT_CSR_FILE:
			c->csr_file = optarg;
			break;
		case OPT_KEY_TYPE:
			if (dnsd_certkey_type_from_text(optarg, &c->key_type) <
			    0)
				return usage_error("--key-type: expected "
				                   "ec256, ec384, rsa2048 or "
				                   "rsa4096, found '%s'",
				                   optarg);
			c->key_type_given = true;
			break;
		case OPT_FORCE:
			c->force = true;
			break;
		case OPT_TIMEOUT:
			if (tool_parse_range(optarg, 0, TIMEOUT_MAX_S, &v) < 0)
				return usage_error("--timeout: expected "
				                   "seconds 0..86400");
			c->timeout_s = (int)v;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			fputs(synopsis, stdout);
			fputs(usage_text, stdout);
			return -1;
		case 'V':
			printf("dnsd-certify %s\n", DNSD_VERSION);
			return -1;
		default:
			fprintf(stderr, "%s(--help says more)\n", synopsis);
			return EXIT_LOCAL;
		}
	}
	if (argc - optind != 2)
		return usage_error(argc - optind < 2
		                       ? "expected SERVER[:PORT] HOSTNAME"
		                       : "expected SERVER[:PORT] HOSTNAME, "
		                         "found more");
	if (tool_server_parse(&c->srv, argv[optind]) < 0)
		return usage_error("SERVER: expected an address or host name, "
		                   "with :PORT 1..65535 (IPv6 as [::1]:PORT)");
	const char *host = argv[optind + 1];
	int status = add_name(c, "HOSTNAME", host);
	if (status)
		return status;
	if (c->names[0][0] == '*')
		return usage_error("HOSTNAME: not a wildcard (HOSTNAME the "
		                   "apex, and --additional '%s')",
		                   c->names[0]);
	for (size_t i = 0; i < nadd; i++)
		if ((status = add_name(c, "--additional", additional[i])) != 0)
			return status;
	if (!key_text)
		return usage_error("--key: the TSIG key is required");
	char err[256];
	if (dnsd_key_from_text(key_text, &c->key, err, sizeof err) < 0)
		return usage_error("--key: %s", err);
	char owner[DNSD_CERTREQ_NAME_MAX + 32];
	snprintf(owner, sizeof owner, "_letsencrypt._tcp.%s.", c->names[0]);
	if (dnsd_name_from_text(owner, strlen(owner), root, c->owner) < 0)
		return usage_error("HOSTNAME: too long for %s", owner);
	dnsd_name_to_text(c->owner, c->owner_text, sizeof c->owner_text);
	char def[DNSD_CERTREQ_NAME_MAX + 8];
	snprintf(def, sizeof def, "%s.key", c->names[0]);
	if ((status = set_path(c->key_file, sizeof c->key_file, "--key-file",
	                       key_file ? key_file : def)) != 0)
		return status;
	snprintf(def, sizeof def, "%s.pem", c->names[0]);
	return set_path(c->cert_file, sizeof c->cert_file, "--cert-file",
	                cert_file ? cert_file : def);
}

static int run(struct certify *c, int argc, char **argv)
{
	int status = parse_args(c, argc, argv);
	if (status)
		return status < 0 ? 0 : status;
	if ((status = load_key(c)) != 0 || (status = choose_csr(c)) != 0 ||
	    (status = find_zone(c)) != 0)
		return status;
	struct tlsa_set set = {0};
	struct answer ans;
	if (fetch_tlsa(c, &set, QUERY_MS, &ans) != 0) {
		tool_warnx("%s: the TLSA query for %s: %s", c->srv.name,
		           c->owner_text, ans.why);
		tlsa_set_clear(&set);
		return ans.status;
	}
	verbose(c, "%s: %zu CSR, %zu certificate, %zu CA certificate record%s",
	        c->owner_text, set.count[TLSA_CSR], set.count[TLSA_CERT],
	        set.count[TLSA_CA], set.count[TLSA_CA] == 1 ? "" : "s");
	dnsd_cert x;
	ssize_t i = c->force ? -1 : find_current(c, &set, time(NULL), &x);
	if (i >= 0) {
		status = save_key_and_csr(c);
		if (!status)
			status =
			    write_cert(c, &set, (size_t)i, &x, EXIT_CURRENT);
		dnsd_cert_clear(&x);
	} else if (!c->force && published_already(c, &set)) {
		/* the role may be ordering for that one: replacing it by
		 * another of the same key and names would only start over */
		verbose(c, "the CSR published is ours: nothing to publish");
		keep_published(c, &set);
		if ((status = save_key_and_csr(c)) == 0)
			status = wait_cert(c, &set);
	} else if ((status = save_key_and_csr(c)) == 0 &&
	           (status = publish(c, &set)) == 0) {
		status = wait_cert(c, &set);
	}
	tlsa_set_clear(&set);
	return status;
}

int main(int argc, char **argv)
{
	static struct certify c;
	tool_setprogname("dnsd-certify");
	c.key_type = DNSD_CERTKEY_EC256;
	c.timeout_s = TIMEOUT_DEFAULT_S;
	int status = run(&c, argc, argv);
	fflush(stdout);
	explicit_bzero(&c.key, sizeof c.key);
	EVP_PKEY_free(c.pkey);
	free(c.spki);
	free(c.csr);
	return status;
}
