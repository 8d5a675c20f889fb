/* The config file (config.h). Every directive is one row of cfg_table:
 * its name, the roles it is valid for, how many values it takes, whether
 * it may repeat, a parse handler and a print handler. Parsing goes on
 * after an error so that one run reports every problem; the checks of
 * the whole (role present, role-specific directives, required pairs) run
 * at the end, when the role is known wherever it was written. */
#include "config.h"
#include "log.h"

#include <dnsd/certreq.h>
#include <dnsd/name.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CFG_MAX_DEPTH       8  /* nested includes */
#define CFG_MAX_ARGS        16 /* values on one line */
#define CFG_DEFAULT_WORKDIR "/var/lib/dnsd"
#define CFG_DEFAULT_ACME    "https://acme-v02.api.letsencrypt.org/directory"

#define R_PRI (1u << DNSD_ROLE_PRIMARY)
#define R_SEC (1u << DNSD_ROLE_SECONDARY)
#define R_LE  (1u << DNSD_ROLE_LETSENCRYPT)
#define R_ALL (R_PRI | R_SEC | R_LE)

static const char *const cfg_role_names[] = {
    [DNSD_ROLE_PRIMARY] = "primary",
    [DNSD_ROLE_SECONDARY] = "secondary",
    [DNSD_ROLE_LETSENCRYPT] = "letsencrypt",
};

const char *dnsd_role_name(enum dnsd_role_id r)
{
	return (unsigned)r < 3 ? cfg_role_names[r] : "unknown";
}

/* Where a directive was first given: for "given twice" and the checks of
 * the whole. file points into cfg_parser.names. */
struct cfg_where {
	const char *file;
	unsigned line;
	unsigned seq; /* lines read before, across includes: reading order */
};

/* Errors are printed at the end in reading order, so the checks of the
 * whole fall in place between the errors of single lines. */
struct cfg_err {
	unsigned seq, n;
	char *text;
};

/* Display names of the files read, kept until the end for cfg_where. */
struct cfg_name {
	struct cfg_name *next;
	char name[];
};

struct cfg_directive;

struct cfg_parser {
	dnsd_config *c;
	FILE *errs;
	unsigned nerr;
	const char *file; /* display name of the file being read */
	const char *dir;  /* its directory, absolute, for relative values */
	unsigned line;
	unsigned seq;       /* lines read so far, every file */
	unsigned top_lines; /* lines of the top file, for "missing" errors */
	struct cfg_err *err;
	unsigned depth;
	struct {
		dev_t dev;
		ino_t ino;
	} open[CFG_MAX_DEPTH + 1]; /* files being read, for loop detection */
	struct cfg_name *names;
	struct cfg_where *first; /* per row of cfg_table */
	bool primary_has_port;
	bool role_failed; /* a bad role line: the checks of the whole would
	                     only add noise */
	bool no_files;    /* dnsd_config_load_mem: include reads nothing */
};

typedef int (*cfg_parse_fn)(struct cfg_parser *p, const struct cfg_directive *d,
                            int argc, char **argv);
typedef void (*cfg_print_fn)(const struct cfg_directive *d,
                             const dnsd_config *c, FILE *out, bool secrets);

struct cfg_directive {
	const char *name;
	unsigned roles;
	unsigned char min_args, max_args;
	bool repeatable;
	cfg_parse_fn parse;
	cfg_print_fn print;           /* NULL: not printed (include) */
	size_t off, size;             /* the field, for the generic handlers */
	unsigned long min, max;       /* range of number values */
	bool (*valid)(const char *s); /* check of a string value */
	const char *expect; /* what a valid value looks like, for errors */
	const char *needs;  /* another directive this one only goes with */
};

static void cfg_error(struct cfg_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Takes text (malloc'd). */
static void cfg_add_error(struct cfg_parser *p, unsigned seq, char *text)
{
	struct cfg_err *a = realloc(p->err, (p->nerr + 1) * sizeof(*a));

	if (a == NULL)
		fatalx("out of memory");
	p->err = a;
	a[p->nerr] = (struct cfg_err){seq, p->nerr, text};
	p->nerr++;
}

static void cfg_verror_at(struct cfg_parser *p, const struct cfg_where *w,
                          const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void cfg_verror_at(struct cfg_parser *p, const struct cfg_where *w,
                          const char *fmt, va_list ap)
{
	char *msg, *text;

	if (vasprintf(&msg, fmt, ap) < 0 ||
	    asprintf(&text, "%s:%u: %s", w->file, w->line, msg) < 0)
		fatalx("out of memory");
	free(msg);
	cfg_add_error(p, w->seq, text);
}

static int cfg_err_cmp(const void *a, const void *b)
{
	const struct cfg_err *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static void cfg_flush_errors(struct cfg_parser *p)
{
	if (p->nerr == 0)
		return;
	qsort(p->err, p->nerr, sizeof(*p->err), cfg_err_cmp);
	for (unsigned i = 0; i < p->nerr; i++) {
		if (p->errs != NULL)
			fprintf(p->errs, "%s\n", p->err[i].text);
		free(p->err[i].text);
	}
	free(p->err);
}

static void cfg_error(struct cfg_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	struct cfg_where here = {p->file, p->line, p->seq};

	cfg_verror_at(p, &here, fmt, ap);
	va_end(ap);
}

static void cfg_error_at(struct cfg_parser *p, const struct cfg_where *w,
                         const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cfg_error_at(struct cfg_parser *p, const struct cfg_where *w,
                         const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror_at(p, w, fmt, ap);
	va_end(ap);
}

static void *cfg_field(dnsd_config *c, const struct cfg_directive *d)
{
	return (char *)c + d->off;
}

static const void *cfg_cfield(const dnsd_config *c,
                              const struct cfg_directive *d)
{
	return (const char *)c + d->off;
}

static char *cfg_strdup(const char *s)
{
	char *r = strdup(s);

	if (r == NULL)
		fatalx("out of memory");
	return r;
}

static void cfg_set_string(char **field, const char *v)
{
	free(*field);
	*field = cfg_strdup(v);
}

static void cfg_push(char ***arr, unsigned *n, char *v)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (a == NULL)
		fatalx("out of memory");
	a[(*n)++] = v;
	*arr = a;
}

/* A relative path value is relative to the directory of the file that
 * holds it, so a config works from any current directory. */
static char *cfg_resolve(const struct cfg_parser *p, const char *v)
{
	char *r;

	if (v[0] == '/')
		return cfg_strdup(v);
	if (asprintf(&r, "%s/%s", p->dir, v) < 0)
		fatalx("out of memory");
	return r;
}

/* ---- value checks ---- */

/* Decoded length of base64 text, or -1 when it is not base64. url picks
 * the URL-safe alphabet (RFC 4648 §5); padding is optional either way. */
static long cfg_base64_len(const char *s, bool url)
{
	size_t n = strlen(s), pad = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n == 0 || n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch))
			continue;
		if (url ? (ch == '-' || ch == '_') : (ch == '+' || ch == '/'))
			continue;
		return -1;
	}
	return (long)(n * 3 / 4);
}

static bool cfg_has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* scheme://host... with a non-empty host, or file:///path. */
static bool cfg_is_url(const char *s, const char *const *schemes)
{
	for (; *schemes; schemes++) {
		size_t n = strlen(*schemes);
		if (strncasecmp(s, *schemes, n) != 0 || cfg_has_space(s))
			continue;
		if (strcasecmp(*schemes, "file://") == 0)
			return s[n] == '/' && s[n + 1] != '\0';
		return s[n] != '\0' && s[n] != '/';
	}
	return false;
}

static bool cfg_valid_http_url(const char *s)
{
	static const char *const schemes[] = {"https://", "http://", NULL};
	return cfg_is_url(s, schemes);
}

/* A remote git understands: a URL of these schemes, or a local path. */
static bool cfg_git_url(const char *s)
{
	static const char *const schemes[] = {"https://", "http://", "ssh://",
	                                      "file://", NULL};
	return cfg_is_url(s, schemes);
}

static bool cfg_git_ssh(const char *s)
{
	return strncasecmp(s, "ssh://", 6) == 0;
}

static bool cfg_valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' &&
	       strchr(at + 1, '@') == NULL && !cfg_has_space(s) &&
	       strpbrk(s, "<>\"") == NULL;
}

static bool cfg_valid_key_type(const char *s)
{
	int type;
	return dnsd_certkey_type_from_text(s, &type) == 0;
}

/* A name of the directory's meta.profiles (RFC 8555 extension draft):
 * a token, as CAs name them ("classic", "shortlived", "tlsserver"). */
static bool cfg_valid_profile(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789-_.") == n;
}

/* "NAME <EMAIL>", as git wants an author. */
static bool cfg_valid_author(const char *s)
{
	const char *lt = strchr(s, '<');
	size_t n = strlen(s);
	char email[256];

	if (lt == NULL || lt == s || lt[-1] != ' ' || n < 3 ||
	    s[n - 1] != '>' || isspace((unsigned char)s[0]))
		return false;
	size_t elen = (size_t)(s + n - 1 - (lt + 1));
	if (elen == 0 || elen >= sizeof(email))
		return false;
	memcpy(email, lt + 1, elen);
	email[elen] = '\0';
	for (const char *q = s; q < lt; q++)
		if (iscntrl((unsigned char)*q) || *q == '>')
			return false;
	return cfg_valid_email(email);
}

/* The rules of git check-ref-format that matter for a branch name. */
static bool cfg_valid_branch(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == '-' || s[0] == '/' || s[n - 1] == '/' ||
	    s[n - 1] == '.' || cfg_has_space(s) ||
	    strpbrk(s, "~^:?*[\\") != NULL || strstr(s, "..") != NULL ||
	    strstr(s, "@{") != NULL || strstr(s, "//") != NULL ||
	    strcmp(s, "@") == 0 || (n >= 5 && strcmp(s + n - 5, ".lock") == 0))
		return false;
	return true;
}

/* "SHA256:" and the unpadded base64 of 32 octets, as ssh-keygen -l -E
 * sha256 prints a host key. */
static bool cfg_valid_host_key(const char *s)
{
	return strncmp(s, "SHA256:", 7) == 0 &&
	       cfg_base64_len(s + 7, false) == 32;
}

static bool cfg_valid_user(const char *s)
{
	return getpwnam(s) != NULL;
}

/* ADDR[:PORT] with IPv6 in brackets (a bare IPv6 address has no port).
 * default_port 0: the port is left 0 when not given. */
static bool cfg_parse_addr(const char *s, uint16_t default_port,
                           dnsd_listen_addr *a, bool *has_port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	size_t hlen;
	unsigned long pnum = default_port;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return false;
		hlen = (size_t)(end - s - 1);
		s++;
		port = end[1] == ':' ? end + 2 : NULL;
	} else {
		/* A bare IPv6 address is refused: "::1:53" would be read as
		 * an address where a port was meant. */
		const char *colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return false;
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		port = colon ? colon + 1 : NULL;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return false;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (port != NULL) {
		char *end;
		if (!isdigit((unsigned char)port[0]))
			return false;
		errno = 0;
		pnum = strtoul(port, &end, 10);
		if (*end != '\0' || errno != 0 || pnum == 0 || pnum > 65535)
			return false;
	}
	if (has_port != NULL)
		*has_port = port != NULL;

	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)pnum);
		a->len = sizeof(*in);
		snprintf(a->text, sizeof(a->text), "%s:%lu", host, pnum);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		char norm[INET6_ADDRSTRLEN];
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)pnum);
		a->len = sizeof(*in6);
		inet_ntop(AF_INET6, &in6->sin6_addr, norm, sizeof(norm));
		snprintf(a->text, sizeof(a->text), "[%s]:%lu", norm, pnum);
	} else {
		return false;
	}
	return true;
}

static const char *cfg_ipv6_hint(const char *s)
{
	const char *colon = strchr(s, ':');

	if (s[0] != '[' && colon != NULL && strchr(colon + 1, ':') != NULL)
		return " (IPv6 goes in brackets: [::1]:53)";
	return "";
}

static void cfg_addr_set_port(dnsd_listen_addr *a, uint16_t port)
{
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
		in->sin_port = htons(port);
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(a->text, sizeof(a->text), "%s:%u", host, port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
		in6->sin6_port = htons(port);
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(a->text, sizeof(a->text), "[%s]:%u", host, port);
	}
}

static bool cfg_number(const char *s, unsigned long min, unsigned long max,
                       unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && errno == 0 && *v >= min && *v <= max;
}

/* ---- parse handlers ---- */

static int cfg_parse_role(struct cfg_parser *p, const struct cfg_directive *d,
                          int argc, char **argv)
{
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(argv[0], cfg_role_names[i]) == 0) {
			p->c->role = (enum dnsd_role_id)i;
			free(p->c->role_at);
			if (asprintf(&p->c->role_at, "%s:%u", p->file,
			             p->line) < 0)
				fatalx("out of memory");
			return 0;
		}
	}
	cfg_error(p,
	          "role: expected primary, secondary or letsencrypt, "
	          "found '%s'",
	          argv[0]);
	return -1;
}

static int cfg_parse_listen(struct cfg_parser *p, const struct cfg_directive *d,
                            int argc, char **argv)
{
	dnsd_config *c = p->c;
	dnsd_listen_addr a;

	if (!cfg_parse_addr(argv[0], 53, &a, NULL)) {
		cfg_error(p, "listen: expected ADDR[:PORT], found '%s'%s",
		          argv[0], cfg_ipv6_hint(argv[0]));
		return -1;
	}
	for (unsigned i = 0; i < c->nlisten; i++) {
		if (strcmp(c->listen[i].text, a.text) == 0) {
			cfg_error(p, "listen: %s given twice", a.text);
			return -1;
		}
	}
	if (c->nlisten == DNSD_CONFIG_MAX_LISTEN) {
		cfg_error(p, "listen: too many addresses (at most %d)",
		          DNSD_CONFIG_MAX_LISTEN);
		return -1;
	}
	c->listen[c->nlisten++] = a;
	return 0;
}

static int cfg_parse_also_notify(struct cfg_parser *p,
                                 const struct cfg_directive *d, int argc,
                                 char **argv)
{
	dnsd_config *c = p->c;
	dnsd_listen_addr a;

	if (!cfg_parse_addr(argv[0], 53, &a, NULL)) {
		cfg_error(p, "also-notify: expected ADDR[:PORT], found '%s'%s",
		          argv[0], cfg_ipv6_hint(argv[0]));
		return -1;
	}
	if (c->nalso_notify == DNSD_CONFIG_MAX_NOTIFY) {
		cfg_error(p, "also-notify: too many targets (at most %d)",
		          DNSD_CONFIG_MAX_NOTIFY);
		return -1;
	}
	c->also_notify[c->nalso_notify++] = a;
	return 0;
}

/* ADDR or ADDR/LEN, IPv4 or IPv6 (no brackets, no port). */
static bool cfg_parse_prefix(const char *s, dnsd_prefix *pf)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;

	memset(pf, 0, sizeof(*pf));
	if (hlen == 0 || hlen >= sizeof(host))
		return false;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	if (inet_pton(AF_INET, host, pf->addr) == 1)
		pf->family = AF_INET;
	else if (inet_pton(AF_INET6, host, pf->addr) == 1)
		pf->family = AF_INET6;
	else
		return false;
	unsigned max = pf->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		len = max;
	else if (!cfg_number(slash + 1, 0, max, &len))
		return false;
	pf->len = (unsigned)len;
	for (unsigned bit = pf->len; bit < max; bit++)
		pf->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	inet_ntop(pf->family, pf->addr, host, sizeof(host));
	snprintf(pf->text, sizeof(pf->text), "%s/%u", host, pf->len);
	return true;
}

static int cfg_parse_allow_transfer(struct cfg_parser *p,
                                    const struct cfg_directive *d, int argc,
                                    char **argv)
{
	dnsd_config *c = p->c;
	dnsd_prefix pf;

	if (!cfg_parse_prefix(argv[0], &pf)) {
		cfg_error(p,
		          "allow-transfer: expected ADDR or ADDR/LEN, found "
		          "'%s'",
		          argv[0]);
		return -1;
	}
	if (c->nallow_transfer == DNSD_CONFIG_MAX_PREFIX) {
		cfg_error(p, "allow-transfer: too many prefixes (at most %d)",
		          DNSD_CONFIG_MAX_PREFIX);
		return -1;
	}
	c->allow_transfer[c->nallow_transfer++] = pf;
	return 0;
}

bool dnsd_prefix_match(const dnsd_prefix *p, unsigned n,
                       const struct sockaddr *sa)
{
	uint8_t a[16];
	int family = sa->sa_family;

	if (family == AF_INET)
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (family == AF_INET6) {
		const struct in6_addr *in6 =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			family = AF_INET;
			memcpy(a, in6->s6_addr + 12, 4);
		} else
			memcpy(a, in6->s6_addr, 16);
	} else
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (p[i].family != family)
			continue;
		unsigned full = p[i].len / 8, rest = p[i].len % 8;
		if (memcmp(a, p[i].addr, full) != 0)
			continue;
		if (rest != 0 &&
		    ((a[full] ^ p[i].addr[full]) & (uint8_t)(0xff00u >> rest)))
			continue;
		return true;
	}
	return false;
}

static int cfg_parse_primary(struct cfg_parser *p,
                             const struct cfg_directive *d, int argc,
                             char **argv)
{
	if (!cfg_parse_addr(argv[0], 0, &p->c->primary, &p->primary_has_port)) {
		cfg_error(p, "primary: expected ADDR[:PORT], found '%s'%s",
		          argv[0], cfg_ipv6_hint(argv[0]));
		return -1;
	}
	p->c->primary_set = true;
	return 0;
}

static int cfg_parse_metrics_listen(struct cfg_parser *p,
                                    const struct cfg_directive *d, int argc,
                                    char **argv)
{
	bool has_port = false;

	if (!cfg_parse_addr(argv[0], 0, &p->c->metrics_listen, &has_port) ||
	    !has_port) {
		cfg_error(p, "metrics-listen: expected ADDR:PORT, found '%s'%s",
		          argv[0], cfg_ipv6_hint(argv[0]));
		return -1;
	}
	p->c->metrics_set = true;
	return 0;
}

static int cfg_parse_log_level(struct cfg_parser *p,
                               const struct cfg_directive *d, int argc,
                               char **argv)
{
	int l = log_level_from_text(argv[0]);

	if (l < 0) {
		cfg_error(p,
		          "log-level: expected error, warning, info or "
		          "debug, found '%s'",
		          argv[0]);
		return -1;
	}
	p->c->log_level = l;
	return 0;
}

/* A number field of d->size octets: unsigned or uint16_t. */
static int cfg_parse_number(struct cfg_parser *p, const struct cfg_directive *d,
                            int argc, char **argv)
{
	unsigned long v;

	if (!cfg_number(argv[0], d->min, d->max, &v)) {
		cfg_error(p, "%s: expected %s %lu..%lu, found '%s'", d->name,
		          d->expect, d->min, d->max, argv[0]);
		return -1;
	}
	if (d->size == sizeof(uint16_t))
		*(uint16_t *)cfg_field(p->c, d) = (uint16_t)v;
	else
		*(unsigned *)cfg_field(p->c, d) = (unsigned)v;
	return 0;
}

/* A string checked by d->valid (when set). */
static int cfg_parse_string(struct cfg_parser *p, const struct cfg_directive *d,
                            int argc, char **argv)
{
	if (argv[0][0] == '\0' || (d->valid != NULL && !d->valid(argv[0]))) {
		cfg_error(p, "%s: expected %s, found '%s'", d->name, d->expect,
		          argv[0]);
		return -1;
	}
	cfg_set_string(cfg_field(p->c, d), argv[0]);
	return 0;
}

static int cfg_parse_path(struct cfg_parser *p, const struct cfg_directive *d,
                          int argc, char **argv)
{
	char **field = cfg_field(p->c, d);

	if (argv[0][0] == '\0') {
		cfg_error(p, "%s: expected a path, found ''", d->name);
		return -1;
	}
	free(*field);
	*field = cfg_resolve(p, argv[0]);
	return 0;
}

static int cfg_parse_keys_file(struct cfg_parser *p,
                               const struct cfg_directive *d, int argc,
                               char **argv)
{
	if (argv[0][0] == '\0') {
		cfg_error(p, "%s: expected a path, found ''", d->name);
		return -1;
	}
	cfg_push(&p->c->keys_files, &p->c->nkeys_files,
	         cfg_resolve(p, argv[0]));
	return 0;
}

/* A URL, or a local path (resolved like every path). */
static int cfg_parse_git_remote(struct cfg_parser *p,
                                const struct cfg_directive *d, int argc,
                                char **argv)
{
	const char *v = argv[0];

	if (v[0] == '\0' || (strstr(v, "://") != NULL && !cfg_git_url(v))) {
		cfg_error(p,
		          "git-remote: expected a path or a file://, "
		          "https:// or ssh:// URL, found '%s'",
		          v);
		return -1;
	}
	free(p->c->git_remote);
	p->c->git_remote =
	    strstr(v, "://") != NULL ? cfg_strdup(v) : cfg_resolve(p, v);
	return 0;
}

/* Algorithm names of `key`; "hmac-" as BIND writes them is accepted. */
static const char *const cfg_key_algs[] = {"SHA1",   "SHA224", "SHA256",
                                           "SHA384", "SHA512", NULL};

/* NAME:ALG:SECRET. Messages never quote the value: it holds a secret. */
static int cfg_parse_key(struct cfg_parser *p, const struct cfg_directive *d,
                         int argc, char **argv)
{
	char *v = argv[0], *c1, *c2;
	const char *alg = NULL;
	uint8_t wire[DNSD_NAME_MAX];
	char name[DNSD_NAME_TEXT_MAX];
	static const uint8_t root[1] = {0};

	c2 = strrchr(v, ':');
	if (c2 == NULL || c2 == v) {
		cfg_error(p, "key: expected NAME:ALG:SECRET");
		return -1;
	}
	*c2 = '\0';
	c1 = strrchr(v, ':');
	if (c1 == NULL || c1 == v) {
		cfg_error(p, "key: expected NAME:ALG:SECRET");
		return -1;
	}
	*c1 = '\0';
	const char *a = c1 + 1, *secret = c2 + 1;
	if (strncasecmp(a, "hmac-", 5) == 0)
		a += 5;
	for (unsigned i = 0; cfg_key_algs[i] != NULL; i++)
		if (strcasecmp(a, cfg_key_algs[i]) == 0)
			alg = cfg_key_algs[i];
	int n = dnsd_name_from_text(v, strlen(v), root, wire);
	if (n < 0 || dnsd_name_is_root(wire)) {
		cfg_error(p, "key: bad key name '%s'", v);
		return -1;
	}
	dnsd_name_lower(wire);
	dnsd_name_to_text(wire, name, sizeof(name));
	name[strlen(name) - 1] = '\0'; /* the final dot */
	if (alg == NULL) {
		cfg_error(p,
		          "key '%s': unknown algorithm '%s' (expected sha1, "
		          "sha224, sha256, sha384 or sha512)",
		          name, c1 + 1);
		return -1;
	}
	long slen = cfg_base64_len(secret, false);
	if (slen <= 0 || slen > 128) {
		cfg_error(p, "key '%s': the secret is not valid base64", name);
		return -1;
	}
	for (unsigned i = 0; i < p->c->nkeys; i++) {
		size_t nl = strlen(name);
		if (strncmp(p->c->keys[i], name, nl) == 0 &&
		    p->c->keys[i][nl] == ':') {
			cfg_error(p, "key '%s' given twice", name);
			return -1;
		}
	}
	char *norm;
	if (asprintf(&norm, "%s:%s:%s", name, alg, secret) < 0)
		fatalx("out of memory");
	cfg_push(&p->c->keys, &p->c->nkeys, norm);
	return 0;
}

/* KID:HMAC, the HMAC key base64url as CAs hand it out. A secret: never
 * quoted in messages. */
static int cfg_parse_acme_eab(struct cfg_parser *p,
                              const struct cfg_directive *d, int argc,
                              char **argv)
{
	const char *colon = strchr(argv[0], ':');

	if (colon == NULL || colon == argv[0] ||
	    cfg_base64_len(colon + 1, true) <= 0 || cfg_has_space(argv[0])) {
		cfg_error(p, "acme-eab: expected KID:HMAC with the HMAC key "
		             "in base64url");
		return -1;
	}
	cfg_set_string(&p->c->acme_eab, argv[0]);
	return 0;
}

static int cfg_parse_file(struct cfg_parser *p, const char *path,
                          const char *display);

static int cfg_parse_include(struct cfg_parser *p,
                             const struct cfg_directive *d, int argc,
                             char **argv)
{
	const char *v = argv[0];
	const char *slash = strrchr(p->file, '/');
	char *display, *path;

	if (v[0] == '\0') {
		cfg_error(p, "include: expected a path, found ''");
		return -1;
	}
	if (p->depth > CFG_MAX_DEPTH) {
		cfg_error(p,
		          "include: '%s' nested too deeply (at most %d "
		          "levels)",
		          v, CFG_MAX_DEPTH);
		return -1;
	}
	/* Messages name it joined to the including file's name as that
	 * was shown; it is opened by its absolute path. */
	if (v[0] == '/' || slash == NULL)
		display = cfg_strdup(v);
	else if (asprintf(&display, "%.*s/%s", (int)(slash - p->file), p->file,
	                  v) < 0)
		fatalx("out of memory");
	path = cfg_resolve(p, v);
	const char *file = p->file, *dir = p->dir;
	unsigned line = p->line;
	int r = cfg_parse_file(p, path, display);
	p->file = file;
	p->dir = dir;
	p->line = line;
	free(path);
	free(display);
	return r;
}

/* ---- print handlers ---- */

/* A value as the tokenizer reads it back: quoted if it is empty, starts
 * a comment, or holds a quote, a backslash or anything cfg_split takes
 * for a blank (isspace: \r, \v and \f too). */
static void cfg_print_value(FILE *out, const char *v)
{
	bool plain = v[0] != '\0' && v[0] != '#';
	for (const char *c = v; plain && *c; c++)
		plain = *c != '"' && *c != '\\' && !isspace((unsigned char)*c);
	if (plain) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

static void cfg_print_line(FILE *out, const char *name, const char *v)
{
	fprintf(out, "%s ", name);
	cfg_print_value(out, v);
	fputc('\n', out);
}

static void cfg_print_role(const struct cfg_directive *d, const dnsd_config *c,
                           FILE *out, bool secrets)
{
	cfg_print_line(out, d->name, dnsd_role_name(c->role));
}

static void cfg_print_listen(const struct cfg_directive *d,
                             const dnsd_config *c, FILE *out, bool secrets)
{
	for (unsigned i = 0; i < c->nlisten; i++)
		cfg_print_line(out, d->name, c->listen[i].text);
}

static void cfg_print_also_notify(const struct cfg_directive *d,
                                  const dnsd_config *c, FILE *out, bool secrets)
{
	for (unsigned i = 0; i < c->nalso_notify; i++)
		cfg_print_line(out, d->name, c->also_notify[i].text);
}

static void cfg_print_allow_transfer(const struct cfg_directive *d,
                                     const dnsd_config *c, FILE *out,
                                     bool secrets)
{
	for (unsigned i = 0; i < c->nallow_transfer; i++)
		cfg_print_line(out, d->name, c->allow_transfer[i].text);
}

static void cfg_print_primary(const struct cfg_directive *d,
                              const dnsd_config *c, FILE *out, bool secrets)
{
	if (c->primary_set)
		cfg_print_line(out, d->name, c->primary.text);
}

static void cfg_print_metrics_listen(const struct cfg_directive *d,
                                     const dnsd_config *c, FILE *out,
                                     bool secrets)
{
	if (c->metrics_set)
		cfg_print_line(out, d->name, c->metrics_listen.text);
}

static void cfg_print_log_level(const struct cfg_directive *d,
                                const dnsd_config *c, FILE *out, bool secrets)
{
	cfg_print_line(out, d->name, log_level_name(c->log_level));
}

static void cfg_print_number(const struct cfg_directive *d,
                             const dnsd_config *c, FILE *out, bool secrets)
{
	const void *f = cfg_cfield(c, d);
	unsigned v = d->size == sizeof(uint16_t) ? *(const uint16_t *)f
	                                         : *(const unsigned *)f;

	fprintf(out, "%s %u\n", d->name, v);
}

static void cfg_print_string(const struct cfg_directive *d,
                             const dnsd_config *c, FILE *out, bool secrets)
{
	const char *v = *(char *const *)cfg_cfield(c, d);

	if (v != NULL)
		cfg_print_line(out, d->name, v);
}

/* git-poll only goes with git-remote (cfg_table's needs). */
static void cfg_print_git_poll(const struct cfg_directive *d,
                               const dnsd_config *c, FILE *out, bool secrets)
{
	if (c->git_remote != NULL)
		cfg_print_number(d, c, out, secrets);
}

/* The rrl-* settings are written out only when rrl-rate is on: off, the
 * default, they say nothing. */
static void cfg_print_rrl(const struct cfg_directive *d, const dnsd_config *c,
                          FILE *out, bool secrets)
{
	if (c->rrl_rate != 0)
		cfg_print_number(d, c, out, secrets);
}

static void cfg_print_keys_file(const struct cfg_directive *d,
                                const dnsd_config *c, FILE *out, bool secrets)
{
	for (unsigned i = 0; i < c->nkeys_files; i++)
		cfg_print_line(out, d->name, c->keys_files[i]);
}

/* Without secrets a key is a comment naming it, so the output still
 * parses. */
static void cfg_print_key(const struct cfg_directive *d, const dnsd_config *c,
                          FILE *out, bool secrets)
{
	for (unsigned i = 0; i < c->nkeys; i++) {
		const char *k = c->keys[i];
		if (secrets)
			cfg_print_line(out, d->name, k);
		else
			fprintf(out, "# %s %.*s:(secret not shown)\n", d->name,
			        (int)(strrchr(k, ':') - k), k);
	}
}

static void cfg_print_acme_eab(const struct cfg_directive *d,
                               const dnsd_config *c, FILE *out, bool secrets)
{
	const char *v = c->acme_eab;

	if (v == NULL)
		return;
	if (secrets)
		cfg_print_line(out, d->name, v);
	else
		fprintf(out, "# %s %.*s:(secret not shown)\n", d->name,
		        (int)(strchr(v, ':') - v), v);
}

/* ---- the table ---- */

/* Every directive so far takes exactly one value. */
#define ROW(n, r, rep, parse_fn, print_fn, ...)                                \
	{                                                                      \
		.name = (n), .roles = (r), .min_args = 1, .max_args = 1,       \
		.repeatable = (rep), .parse = (parse_fn), .print = (print_fn), \
		__VA_ARGS__                                                    \
	}
#define F(field)                                                               \
	.off = offsetof(dnsd_config, field),                                   \
	.size = sizeof(((dnsd_config *)0)->field)
#define RANGE(lo, hi, what) .min = (lo), .max = (hi), .expect = (what)

/* One row per directive, in the order dnsd_config_print writes them. */
static const struct cfg_directive cfg_table[] = {
    ROW("role", R_ALL, false, cfg_parse_role, cfg_print_role),
    ROW("listen", R_ALL, true, cfg_parse_listen, cfg_print_listen),
    ROW("workdir", R_ALL, false, cfg_parse_path, cfg_print_string, F(workdir)),
    ROW("user", R_ALL, false, cfg_parse_string, cfg_print_string, F(user),
        .valid = cfg_valid_user, .expect = "an existing user"),
    ROW("log-level", R_ALL, false, cfg_parse_log_level, cfg_print_log_level),
    ROW("notify-port", R_ALL, false, cfg_parse_number, cfg_print_number,
        F(notify_port), RANGE(1, 65535, "a port")),
    ROW("edns-payload", R_ALL, false, cfg_parse_number, cfg_print_number,
        F(edns_payload), RANGE(512, 4096, "a size in octets")),
    ROW("workers", R_ALL, false, cfg_parse_number, cfg_print_number, F(workers),
        RANGE(1, DNSD_CONFIG_MAX_WORKERS, "a count")),
    ROW("tcp-idle-timeout", R_ALL, false, cfg_parse_number, cfg_print_number,
        F(tcp_idle_timeout), RANGE(1, 3600, "seconds")),
    ROW("tcp-max-clients", R_ALL, false, cfg_parse_number, cfg_print_number,
        F(tcp_max_clients), RANGE(1, 65535, "a count")),
    ROW("tcp-max-queries", R_ALL, false, cfg_parse_number, cfg_print_number,
        F(tcp_max_queries), RANGE(1, 65535, "a count")),
    ROW("rrl-rate", R_ALL, false, cfg_parse_number, cfg_print_rrl, F(rrl_rate),
        RANGE(0, 1000000, "responses a second")),
    ROW("rrl-slip", R_ALL, false, cfg_parse_number, cfg_print_rrl, F(rrl_slip),
        RANGE(0, 100, "a count")),
    ROW("rrl-ipv4-prefix", R_ALL, false, cfg_parse_number, cfg_print_rrl,
        F(rrl_ipv4_prefix), RANGE(8, 32, "a prefix length")),
    ROW("rrl-ipv6-prefix", R_ALL, false, cfg_parse_number, cfg_print_rrl,
        F(rrl_ipv6_prefix), RANGE(16, 128, "a prefix length")),
    ROW("rrl-table-size", R_ALL, false, cfg_parse_number, cfg_print_rrl,
        F(rrl_table_size), RANGE(1024, 16777216, "a count of buckets")),
    ROW("max-records-per-type", R_ALL, false, cfg_parse_number,
        cfg_print_number, F(max_records_per_type),
        RANGE(0, 65535, "a count of records")),
    ROW("max-types-per-name", R_ALL, false, cfg_parse_number, cfg_print_number,
        F(max_types_per_name), RANGE(0, 65535, "a count of types")),
    ROW("metrics-listen", R_ALL, false, cfg_parse_metrics_listen,
        cfg_print_metrics_listen),
    ROW("zones-dir", R_PRI, false, cfg_parse_path, cfg_print_string,
        F(zones_dir)),
    ROW("git-remote", R_PRI, false, cfg_parse_git_remote, cfg_print_string,
        F(git_remote)),
    ROW("git-branch", R_PRI, false, cfg_parse_string, cfg_print_string,
        F(git_branch), .valid = cfg_valid_branch, .expect = "a branch name",
        .needs = "git-remote"),
    ROW("git-ssh-key", R_PRI, false, cfg_parse_path, cfg_print_string,
        F(git_ssh_key), .needs = "git-remote"),
    ROW("git-ssh-host-key", R_PRI, false, cfg_parse_string, cfg_print_string,
        F(git_ssh_host_key), .valid = cfg_valid_host_key,
        .expect = "SHA256:<base64> as ssh-keygen -l -E sha256 prints it",
        .needs = "git-remote"),
    ROW("git-author", R_PRI, false, cfg_parse_string, cfg_print_string,
        F(git_author), .valid = cfg_valid_author, .expect = "\"NAME <EMAIL>\"",
        .needs = "git-remote"),
    ROW("git-poll", R_PRI, false, cfg_parse_number, cfg_print_git_poll,
        F(git_poll), RANGE(0, 86400, "seconds"), .needs = "git-remote"),
    ROW("git-ca-file", R_PRI, false, cfg_parse_path, cfg_print_string,
        F(git_ca_file), .needs = "git-remote"),
    ROW("allow-transfer", R_PRI | R_SEC, true, cfg_parse_allow_transfer,
        cfg_print_allow_transfer),
    ROW("also-notify", R_PRI | R_SEC, true, cfg_parse_also_notify,
        cfg_print_also_notify),
    ROW("transfers-max", R_PRI | R_SEC, false, cfg_parse_number,
        cfg_print_number, F(transfers_max), RANGE(1, 1000, "a count")),
    ROW("transfers-max-per-peer", R_PRI | R_SEC, false, cfg_parse_number,
        cfg_print_number, F(transfers_max_per_peer), RANGE(0, 1000, "a count")),
    ROW("ixfr-max-history", R_PRI, false, cfg_parse_number, cfg_print_number,
        F(ixfr_max_history), RANGE(0, 100000, "a count of serial steps")),
    ROW("update-max-records", R_PRI, false, cfg_parse_number, cfg_print_number,
        F(update_max_records), RANGE(1, 100000000, "a count of records")),
    ROW("update-max-pending", R_PRI, false, cfg_parse_number, cfg_print_number,
        F(update_max_pending), RANGE(1, 100000, "a count of UPDATEs")),
    ROW("primary", R_SEC | R_LE, false, cfg_parse_primary, cfg_print_primary),
    ROW("xfr-max-records", R_SEC | R_LE, false, cfg_parse_number,
        cfg_print_number, F(xfr_max_records),
        RANGE(1, 4000000000UL, "a count of records")),
    ROW("xfr-max-bytes", R_SEC | R_LE, false, cfg_parse_number,
        cfg_print_number, F(xfr_max_bytes),
        RANGE(65536, 4000000000UL, "a size in octets")),
    ROW("notify-max-pending", R_SEC | R_LE, false, cfg_parse_number,
        cfg_print_number, F(notify_max_pending),
        RANGE(1, 65536, "a count of zones")),
    /* a primary takes keys from here too, beside its key files */
    ROW("key", R_ALL, true, cfg_parse_key, cfg_print_key),
    ROW("keys-file", R_ALL, true, cfg_parse_keys_file, cfg_print_keys_file),
    ROW("acme-directory", R_LE, false, cfg_parse_string, cfg_print_string,
        F(acme_directory), .valid = cfg_valid_http_url,
        .expect = "an https:// or http:// URL"),
    ROW("acme-ca-file", R_LE, false, cfg_parse_path, cfg_print_string,
        F(acme_ca_file)),
    ROW("acme-email", R_LE, false, cfg_parse_string, cfg_print_string,
        F(acme_email), .valid = cfg_valid_email, .expect = "an email address"),
    ROW("acme-eab", R_LE, false, cfg_parse_acme_eab, cfg_print_acme_eab),
    ROW("acme-key-type", R_LE, false, cfg_parse_string, cfg_print_string,
        F(acme_key_type), .valid = cfg_valid_key_type,
        .expect = "ec256, ec384, rsa2048 or rsa4096"),
    ROW("acme-profile", R_LE, false, cfg_parse_string, cfg_print_string,
        F(acme_profile), .valid = cfg_valid_profile,
        .expect = "a profile name (letters, digits, '-', '_', '.')"),
    ROW("include", R_ALL, true, cfg_parse_include, NULL),
};

#define CFG_NDIRECTIVES (sizeof(cfg_table) / sizeof(cfg_table[0]))

static const struct cfg_directive *cfg_lookup(const char *name, size_t *idx)
{
	for (size_t i = 0; i < CFG_NDIRECTIVES; i++) {
		if (strcmp(cfg_table[i].name, name) == 0) {
			*idx = i;
			return &cfg_table[i];
		}
	}
	return NULL;
}

/* ---- reading ---- */

/* Splits a line into values: blanks separate, "..." quotes (with \" and
 * \\), # at the start of a value comments out the rest. Quoted values
 * are unescaped in place. Returns 0 with the count in *argc, or -1 after
 * reporting an error (*argc: the values read before it). */
static int cfg_split(struct cfg_parser *p, char *s, char **argv, int *argc)
{
	int n = 0;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#') {
			*argc = n;
			return 0;
		}
		if (n == CFG_MAX_ARGS) {
			cfg_error(p, "too many values on one line");
			return -1;
		}
		if (*s != '"') {
			argv[n++] = s;
			*argc = n;
			while (*s != '\0' && !isspace((unsigned char)*s)) {
				if (*s == '"') {
					cfg_error(p, "unexpected '\"' inside a "
					             "value (quote the whole "
					             "value)");
					return -1;
				}
				s++;
			}
			if (*s != '\0')
				*s++ = '\0';
			continue;
		}
		char *d = ++s;
		argv[n++] = d;
		*argc = n;
		for (;;) {
			if (*s == '\0' || *s == '\n') {
				cfg_error(p, "unterminated quoted value");
				return -1;
			}
			if (*s == '"')
				break;
			if (*s == '\\') {
				if (s[1] != '"' && s[1] != '\\') {
					cfg_error(p,
					          "bad escape in quoted "
					          "value (only \\\" and \\\\)");
					return -1;
				}
				s++;
			}
			*d++ = *s++;
		}
		s++; /* past the closing quote */
		if (*s != '\0' && !isspace((unsigned char)*s)) {
			cfg_error(p, "expected a blank after a quoted value");
			return -1;
		}
		*d = '\0'; /* d is at or before the closing quote */
	}
}

static void cfg_directive_line(struct cfg_parser *p, int argc, char **argv)
{
	size_t idx = 0;
	const struct cfg_directive *d = cfg_lookup(argv[0], &idx);

	if (d == NULL) {
		cfg_error(p, "unknown keyword '%s'", argv[0]);
		return;
	}
	/* Recorded even when the line is bad: the directive is there, and
	 * "needs 'zones-dir'" on top of a bad zones-dir is noise. */
	struct cfg_where *w = &p->first[idx];
	bool seen = w->file != NULL;
	if (!seen)
		*w = (struct cfg_where){p->file, p->line, p->seq};
	int nargs = argc - 1;
	if (nargs < d->min_args || nargs > d->max_args) {
		p->role_failed |= d->parse == cfg_parse_role;
		if (d->min_args == d->max_args)
			cfg_error(p, "%s: expected %u value%s, found %d",
			          d->name, d->min_args,
			          d->min_args == 1 ? "" : "s", nargs);
		else
			cfg_error(p, "%s: expected %u to %u values, found %d",
			          d->name, d->min_args, d->max_args, nargs);
		return;
	}
	if (seen && !d->repeatable) {
		cfg_error(p, "'%s' given twice (first at %s:%u)", d->name,
		          w->file, w->line);
		return;
	}
	if (d->parse(p, d, nargs, argv + 1) < 0 && d->parse == cfg_parse_role)
		p->role_failed = true;
}

/* A line that did not split: its keyword still counts as given. */
static void cfg_bad_line(struct cfg_parser *p, const char *keyword)
{
	size_t idx = 0;
	const struct cfg_directive *d = cfg_lookup(keyword, &idx);

	if (d == NULL)
		return;
	p->role_failed |= d->parse == cfg_parse_role;
	if (p->first[idx].file == NULL)
		p->first[idx] = (struct cfg_where){p->file, p->line, p->seq};
}

static const char *cfg_keep_name(struct cfg_parser *p, const char *name)
{
	size_t n = strlen(name) + 1;
	struct cfg_name *k = malloc(sizeof(*k) + n);

	if (k == NULL)
		fatalx("out of memory");
	memcpy(k->name, name, n);
	k->next = p->names;
	p->names = k;
	return k->name;
}

/* The directory of path, absolute, as a kept name. */
static const char *cfg_dir_of(struct cfg_parser *p, const char *path)
{
	char *copy = cfg_strdup(path), *slash = strrchr(copy, '/');
	char real[PATH_MAX];
	const char *dir;

	if (slash == copy)
		dir = "/";
	else if (slash != NULL) {
		*slash = '\0';
		dir = copy;
	} else {
		dir = ".";
	}
	const char *r = cfg_keep_name(p, realpath(dir, real) ? real : dir);
	free(copy);
	return r;
}

/* Reads the lines of f, the file display whose directory is dir (a kept
 * name), opened as dev/ino (for loop detection). */
static void cfg_parse_stream(struct cfg_parser *p, FILE *f, const char *display,
                             const char *dir, dev_t dev, ino_t ino)
{
	p->open[p->depth].dev = dev;
	p->open[p->depth].ino = ino;
	p->depth++;
	p->file = cfg_keep_name(p, display);
	p->dir = dir;
	p->line = 0;

	char *buf = NULL, *argv[CFG_MAX_ARGS];
	size_t cap = 0;
	while (f != NULL && getline(&buf, &cap, f) >= 0) {
		p->line++;
		p->seq++;
		int argc = 0;
		if (cfg_split(p, buf, argv, &argc) == 0 && argc > 0)
			cfg_directive_line(p, argc, argv);
		else if (argc > 0)
			cfg_bad_line(p, argv[0]);
	}
	if (p->depth == 1)
		p->top_lines = p->line;
	free(buf);
	p->depth--;
}

/* Reads one file (the top file or an include) opened by path, called
 * display in messages. */
static int cfg_parse_file(struct cfg_parser *p, const char *path,
                          const char *display)
{
	FILE *f = p->no_files ? NULL : fopen(path, "r");
	struct stat st;

	if (f == NULL || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		const char *why = "not a regular file";
		if (p->no_files)
			why = "no file is read for a config in memory";
		else if (f == NULL)
			why = strerror(errno);
		if (p->depth == 0) {
			char *text;
			if (asprintf(&text, "%s: %s", display, why) < 0)
				fatalx("out of memory");
			cfg_add_error(p, 0, text);
		} else {
			cfg_error(p, "include: cannot read '%s': %s", display,
			          why);
		}
		if (f)
			fclose(f);
		return -1;
	}
	for (unsigned i = 0; i < p->depth; i++) {
		if (p->open[i].dev == st.st_dev &&
		    p->open[i].ino == st.st_ino) {
			cfg_error(p,
			          "include: '%s' is already being read "
			          "(include loop)",
			          display);
			fclose(f);
			return -1;
		}
	}
	cfg_parse_stream(p, f, display, cfg_dir_of(p, path), st.st_dev,
	                 st.st_ino);
	fclose(f);
	return 0;
}

/* ---- checks of the whole ---- */

static void cfg_defaults(dnsd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_LVL_INFO;
	c->notify_port = 53;
	c->edns_payload = 1232;
	c->workers = 1;
	c->tcp_idle_timeout = 10;
	c->tcp_max_clients = 256;
	c->transfers_max = 10;
	c->ixfr_max_history = 100;
	c->update_max_records = 1000000;
	c->update_max_pending = 1000;
	c->tcp_max_queries = 1000;
	c->rrl_slip = 2;
	c->max_records_per_type = 1000;
	c->max_types_per_name = 100;
	c->rrl_ipv4_prefix = 24;
	c->rrl_ipv6_prefix = 56;
	c->rrl_table_size = 65536;
	c->xfr_max_records = 10000000;
	c->xfr_max_bytes = 2000000000;
	c->notify_max_pending = 256;
}

static struct cfg_where *cfg_where_of(struct cfg_parser *p, const char *name)
{
	size_t idx = 0;

	/* only called with names from the directive table */
	if (!cfg_lookup(name, &idx))
		abort();
	return &p->first[idx];
}

static bool cfg_used(struct cfg_parser *p, const char *name)
{
	return cfg_where_of(p, name)->file != NULL;
}

static void cfg_check_primary(struct cfg_parser *p)
{
	dnsd_config *c = p->c;
	struct cfg_where *dir = cfg_where_of(p, "zones-dir");
	struct cfg_where *git = cfg_where_of(p, "git-remote");

	if (dir->file == NULL && git->file == NULL)
		cfg_error_at(p, cfg_where_of(p, "role"),
		             "role primary needs 'zones-dir' or 'git-remote'");
	if (dir->file != NULL && git->file != NULL) {
		/* Report at the one written last. */
		bool git_last = strcmp(dir->file, git->file) != 0
		                    ? false
		                    : git->line > dir->line;
		cfg_error_at(p, git_last ? git : dir,
		             "'zones-dir' and 'git-remote' exclude each other");
	}
	if (c->git_remote == NULL)
		return;
	if (cfg_git_ssh(c->git_remote) && !cfg_used(p, "git-ssh-host-key"))
		cfg_error_at(p, git,
		             "an ssh:// 'git-remote' needs 'git-ssh-host-key'");
	static const char *const ssh_only[] = {"git-ssh-key",
	                                       "git-ssh-host-key"};
	for (unsigned i = 0; i < 2; i++)
		if (!cfg_git_ssh(c->git_remote) && cfg_used(p, ssh_only[i]))
			cfg_error_at(p, cfg_where_of(p, ssh_only[i]),
			             "'%s' needs an ssh:// 'git-remote'",
			             ssh_only[i]);
}

static void cfg_check_secondary(struct cfg_parser *p)
{
	dnsd_config *c = p->c;

	if (!cfg_used(p, "key") && !cfg_used(p, "keys-file"))
		cfg_error_at(p, cfg_where_of(p, "role"),
		             "role %s needs 'key' or 'keys-file'",
		             dnsd_role_name(c->role));
	if (c->primary_set && !p->primary_has_port)
		cfg_addr_set_port(&c->primary, c->notify_port);
}

/* No `workdir`: systemd's StateDirectory= when dnsd runs under it
 * ($STATE_DIRECTORY, the first of its colon-separated paths), else
 * CFG_DEFAULT_WORKDIR. */
static char *cfg_default_workdir(void)
{
	const char *st = getenv("STATE_DIRECTORY");
	size_t n = st != NULL ? strcspn(st, ":") : 0;

	if (n == 0 || st[0] != '/')
		return cfg_strdup(CFG_DEFAULT_WORKDIR);
	char *d = strndup(st, n);
	if (d == NULL)
		fatalx("out of memory");
	return d;
}

static void cfg_check(struct cfg_parser *p)
{
	dnsd_config *c = p->c;
	struct cfg_where *role = cfg_where_of(p, "role");

	if (role->file == NULL) {
		/* No line to blame: the end of the top file. */
		struct cfg_where end = {p->file, p->top_lines, p->seq + 1};
		cfg_error_at(p, &end, "missing 'role'");
		return;
	}
	for (size_t i = 0; i < CFG_NDIRECTIVES; i++) {
		const struct cfg_directive *d = &cfg_table[i];
		struct cfg_where *w = &p->first[i];
		if (w->file == NULL)
			continue;
		if (!(d->roles & (1u << c->role))) {
			cfg_error_at(p, w, "'%s' is not valid for role %s",
			             d->name, dnsd_role_name(c->role));
			continue;
		}
		if (d->needs != NULL && !cfg_used(p, d->needs))
			cfg_error_at(p, w, "'%s' needs '%s'", d->name,
			             d->needs);
	}
	if (c->role == DNSD_ROLE_PRIMARY)
		cfg_check_primary(p);
	else
		cfg_check_secondary(p);
	if (c->role == DNSD_ROLE_LETSENCRYPT && c->acme_directory == NULL)
		c->acme_directory = cfg_strdup(CFG_DEFAULT_ACME);
	if (c->workdir == NULL)
		c->workdir = cfg_default_workdir();
	if (c->nlisten == 0) {
		/* Every address, the DNS port. */
		cfg_parse_addr("0.0.0.0", 53, &c->listen[0], NULL);
		cfg_parse_addr("[::]", 53, &c->listen[1], NULL);
		c->nlisten = 2;
	}
}

/* The end of a load: the checks of the whole unless the top file was
 * not read or its role line was bad, then the errors in reading order. */
static int cfg_finish(struct cfg_parser *p, bool read)
{
	if (read && !p->role_failed)
		cfg_check(p);
	cfg_flush_errors(p);
	while (p->names != NULL) {
		struct cfg_name *next = p->names->next;
		free(p->names);
		p->names = next;
	}
	return p->nerr == 0 ? 0 : -1;
}

int dnsd_config_load(const char *path, dnsd_config *c, FILE *errs)
{
	struct cfg_where first[CFG_NDIRECTIVES];
	struct cfg_parser p = {.c = c, .errs = errs, .first = first};

	memset(first, 0, sizeof(first));
	cfg_defaults(c);
	c->path = cfg_strdup(path);
	return cfg_finish(&p, cfg_parse_file(&p, path, path) == 0);
}

int dnsd_config_load_mem(const char *name, const char *dir, const char *text,
                         size_t len, dnsd_config *c, FILE *errs)
{
	struct cfg_where first[CFG_NDIRECTIVES];
	struct cfg_parser p = {
	    .c = c, .errs = errs, .first = first, .no_files = true};

	memset(first, 0, sizeof(first));
	cfg_defaults(c);
	c->path = cfg_strdup(name);
	/* fmemopen refuses a size of 0: no text, no lines */
	FILE *f = len > 0 ? fmemopen((void *)text, len, "r") : NULL;
	if (len > 0 && f == NULL)
		fatalx("out of memory");
	cfg_parse_stream(&p, f, name, cfg_keep_name(&p, dir), 0, 0);
	if (f != NULL)
		fclose(f);
	return cfg_finish(&p, true);
}

void dnsd_config_print(const dnsd_config *c, FILE *out, bool with_secrets)
{
	for (size_t i = 0; i < CFG_NDIRECTIVES; i++) {
		const struct cfg_directive *d = &cfg_table[i];
		if (d->print != NULL && (d->roles & (1u << c->role)))
			d->print(d, c, out, with_secrets);
	}
}

static void cfg_free_list(char **a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

void dnsd_config_free(dnsd_config *c)
{
	/* Secrets do not linger in freed memory. */
	for (unsigned i = 0; i < c->nkeys; i++)
		explicit_bzero(c->keys[i], strlen(c->keys[i]));
	if (c->acme_eab != NULL)
		explicit_bzero(c->acme_eab, strlen(c->acme_eab));
	cfg_free_list(c->keys, c->nkeys);
	cfg_free_list(c->keys_files, c->nkeys_files);
	char **strings[] = {
	    &c->path,          &c->role_at,        &c->workdir,
	    &c->user,          &c->zones_dir,      &c->git_remote,
	    &c->git_branch,    &c->git_ssh_key,    &c->git_ssh_host_key,
	    &c->git_author,    &c->acme_directory, &c->acme_ca_file,
	    &c->acme_email,    &c->acme_eab,       &c->git_ca_file,
	    &c->acme_key_type, &c->acme_profile};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(*strings[i]);
	memset(c, 0, sizeof(*c));
}

static bool cfg_listen_equal(const dnsd_config *a, const dnsd_config *b)
{
	if (a->nlisten != b->nlisten)
		return false;
	for (unsigned i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i].text, b->listen[i].text) != 0)
			return false;
	return true;
}

static bool cfg_str_equal(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

#define CFG_SWAP(a, b)                                                         \
	do {                                                                   \
		__typeof__(a) tmp_ = (a);                                      \
		(a) = (b);                                                     \
		(b) = tmp_;                                                    \
	} while (0)

void dnsd_config_reload(dnsd_config *cur, dnsd_config *next)
{
	/* Start-up settings: sockets, threads, privileges, role. */
	if (next->role != cur->role)
		log_warnx("config: role changed to %s; it takes effect at "
		          "the next restart",
		          dnsd_role_name(next->role));
	if (!cfg_listen_equal(cur, next))
		log_warnx("config: the listen addresses changed; they take "
		          "effect at the next restart");
	if (cur->metrics_set != next->metrics_set ||
	    (cur->metrics_set &&
	     strcmp(cur->metrics_listen.text, next->metrics_listen.text) != 0))
		log_warnx("config: metrics-listen changed; it takes effect at "
		          "the next restart");
	if (!cfg_str_equal(cur->user, next->user))
		log_warnx("config: user changed; it takes effect at the next "
		          "restart");
	if (cur->workers != next->workers ||
	    cur->edns_payload != next->edns_payload ||
	    cur->tcp_idle_timeout != next->tcp_idle_timeout ||
	    cur->tcp_max_clients != next->tcp_max_clients ||
	    cur->tcp_max_queries != next->tcp_max_queries ||
	    cur->rrl_rate != next->rrl_rate ||
	    cur->rrl_slip != next->rrl_slip ||
	    cur->rrl_ipv4_prefix != next->rrl_ipv4_prefix ||
	    cur->rrl_ipv6_prefix != next->rrl_ipv6_prefix ||
	    cur->rrl_table_size != next->rrl_table_size)
		log_warnx("config: workers, edns-payload, the tcp-* limits "
		          "and the rrl-* settings take effect at the next "
		          "restart");

	/* The rest moves over. Worker threads never read these fields. */
	cur->log_level = next->log_level;
	cur->notify_port = next->notify_port;
	cur->git_poll = next->git_poll;
	cur->transfers_max = next->transfers_max;
	cur->transfers_max_per_peer = next->transfers_max_per_peer;
	cur->ixfr_max_history = next->ixfr_max_history;
	cur->update_max_records = next->update_max_records;
	cur->update_max_pending = next->update_max_pending;
	cur->max_records_per_type = next->max_records_per_type;
	cur->max_types_per_name = next->max_types_per_name;
	cur->xfr_max_records = next->xfr_max_records;
	cur->notify_max_pending = next->notify_max_pending;
	cur->xfr_max_bytes = next->xfr_max_bytes;
	memcpy(cur->allow_transfer, next->allow_transfer,
	       sizeof(cur->allow_transfer));
	cur->nallow_transfer = next->nallow_transfer;
	memcpy(cur->also_notify, next->also_notify, sizeof(cur->also_notify));
	cur->nalso_notify = next->nalso_notify;
	cur->primary_set = next->primary_set;
	cur->primary = next->primary;
	CFG_SWAP(cur->path, next->path);
	CFG_SWAP(cur->workdir, next->workdir);
	CFG_SWAP(cur->keys, next->keys);
	CFG_SWAP(cur->nkeys, next->nkeys);
	CFG_SWAP(cur->keys_files, next->keys_files);
	CFG_SWAP(cur->nkeys_files, next->nkeys_files);
	CFG_SWAP(cur->zones_dir, next->zones_dir);
	CFG_SWAP(cur->git_remote, next->git_remote);
	CFG_SWAP(cur->git_branch, next->git_branch);
	CFG_SWAP(cur->git_ssh_key, next->git_ssh_key);
	CFG_SWAP(cur->git_ssh_host_key, next->git_ssh_host_key);
	CFG_SWAP(cur->git_author, next->git_author);
	CFG_SWAP(cur->git_ca_file, next->git_ca_file);
	CFG_SWAP(cur->acme_directory, next->acme_directory);
	CFG_SWAP(cur->acme_ca_file, next->acme_ca_file);
	CFG_SWAP(cur->acme_email, next->acme_email);
	CFG_SWAP(cur->acme_eab, next->acme_eab);
	CFG_SWAP(cur->acme_key_type, next->acme_key_type);
	CFG_SWAP(cur->acme_profile, next->acme_profile);
	dnsd_config_free(next);
}
