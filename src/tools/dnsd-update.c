/* dnsd-update: sends one dynamic UPDATE (RFC 2136), TSIG-signed when a
 * key is given, and says what the server answered.
 *
 * The command line is the UPDATE. `NAME ADDRESS...` replaces NAME's A
 * and AAAA RRsets, what a dynamic-DNS client wants. Otherwise the
 * subcommands (add, delete, replace; one argument of zone-file text
 * each, repeatable) fill the update section in the order given and the
 * --prereq options the prerequisite section. Records are read by the
 * engine's zone-file parser with the zone as $ORIGIN; an owner name that
 * already ends in the zone's name is taken as written, so that names
 * written in full without a final dot (as nsupdate users write them) are
 * not doubled.
 *
 * The zone is --zone, or found by unsigned SOA queries for the first
 * owner name, walking up towards the root as nsupdate does: the SOA in
 * the answer, or in the authority section of a NOERROR or NXDOMAIN
 * answer, names the zone.
 *
 * Over UDP, three tries two seconds apart, each with a new ID and a new
 * signature: a server with replay memory refuses a repeated MAC
 * (answering BADTIME), so a copy resent while the first is still being
 * committed would be answered before it. An answer to any try counts.
 * Over TCP with --tcp, when the UDP answer is truncated, or when the
 * message is larger than 512 octets. A signed UPDATE needs a signed
 * answer that verifies.
 *
 * Exit status: 0 NOERROR (verified), 1 another RCODE or TSIG error, or
 * no zone found, 2 usage or input error, 3 no answer, 4 an answer that
 * cannot be trusted (unsigned, failing verification, malformed). */
#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/keystore.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/tsig.h>
#include <dnsd/zonefile.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toolnet.h"

#define UDP_TRIES         3
#define UDP_RESEND_MS     2000
#define UDP_MAX           512 /* larger requests go over TCP, as nsupdate */
#define TIMEOUT_DEFAULT_S 10
#define TIMEOUT_MAX_S     3600
#define TTL_DEFAULT       300
#define MSG_MAX           65535

enum {
	EXIT_NOERROR = 0,
	EXIT_REFUSED = 1, /* an RCODE or TSIG error, or no zone found */
	EXIT_USAGE = 2,
	EXIT_NO_ANSWER = 3,
	EXIT_UNTRUSTED = 4,
};

static const char synopsis[] =
    "usage: dnsd-update SERVER[:PORT] [OPTIONS] NAME ADDRESS...\n"
    "       dnsd-update SERVER[:PORT] [OPTIONS] COMMAND...\n";

static const char usage_text[] =
    "  NAME ADDRESS...          replace NAME's A and AAAA RRsets by the\n"
    "                           addresses (by family)\n"
    "commands, each one argument of zone-file text, sent in order in one\n"
    "UPDATE:\n"
    "  add 'RR'                 add a record: 'www 300 IN TXT \"hi\"'\n"
    "  delete 'NAME'            delete every RRset at NAME\n"
    "  delete 'NAME TYPE'       delete an RRset (or: delete NAME TYPE)\n"
    "  delete 'NAME TYPE RDATA' delete one record\n"
    "  replace 'RR'             delete the RRset of RR, then add RR (one\n"
    "                           delete for several replace of an RRset)\n"
    "options:\n"
    "      --key K              sign with K, written NAME:ALG:SECRET\n"
    "  -k, --key-file F         sign with a key from F: a BIND key file or\n"
    "                           a _keys file (the key that may update the\n"
    "                           zone, else the first)\n"
    "  -z, --zone ZONE          the zone (default: found by SOA queries)\n"
    "  -p, --prereq 'P'         a prerequisite, repeatable: 'yxdomain NAME',\n"
    "                           'nxdomain NAME', 'yxrrset NAME TYPE',\n"
    "                           'yxrrset NAME TYPE RDATA', 'nxrrset NAME "
    "TYPE'\n"
    "      --ttl TTL            for records written without one (300)\n"
    "  -t, --tcp                use TCP (otherwise only when the UDP answer\n"
    "                           is truncated or the UPDATE over 512 octets)\n"
    "      --timeout S          wait at most S seconds for an answer\n"
    "                           (1..3600, default 10)\n"
    "  -v, --verbose            print the zone and the UPDATE to stderr\n"
    "  -h, --help               this text\n"
    "  -V, --version            print the version\n"
    "Names without a final dot are relative to the zone, unless they end\n"
    "in the zone's name already (relative names need --zone: the SOA\n"
    "queries read the first name as absolute).\n"
    "Prints the server's RCODE (and TSIG error).\n"
    "Exit status: 0 NOERROR, 1 another RCODE or no zone found, 2 usage\n"
    "error, 3 no answer, 4 an answer that cannot be trusted.\n";

enum { OPT_KEY = 256, OPT_TTL, OPT_TIMEOUT };

static const struct option long_opts[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"key-file", required_argument, NULL, 'k'},
    {"zone", required_argument, NULL, 'z'},
    {"prereq", required_argument, NULL, 'p'},
    {"ttl", required_argument, NULL, OPT_TTL},
    {"tcp", no_argument, NULL, 't'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const uint8_t root[1] = {0};

enum { SEC_PREREQ = 0, SEC_UPDATE = 1 };

/* One record of the prerequisite or the update section in its wire
 * encoding (RFC 2136 §2.4, §2.5): class ANY or NONE with TTL 0 says
 * which kind of prerequisite or deletion it is. */
struct item {
	const uint8_t *owner;
	uint16_t type, rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
	bool replaces; /* the RRset deletion of a replace */
};

struct section {
	struct item *items;
	size_t count, cap;
};

struct update;
struct arg;

/* A subcommand (tmux's cmd_entry): its word and what turns its argument
 * into records. */
struct command {
	const char *name;
	int (*parse)(struct update *u, const struct arg *a);
};

/* A piece of the command line that makes records: a subcommand with its
 * argument, NAME with its addresses, or a --prereq. */
struct arg {
	const struct command *cmd;
	const char *text;
	char *const *more; /* the addresses; the TYPE of `delete NAME TYPE` */
	int nmore;
};

/* The one record of a zone-file argument, as the parser's sink saw it. */
struct rec {
	unsigned count;
	uint8_t owner[DNSD_NAME_MAX];
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[MSG_MAX];
};

struct update {
	struct tool_server srv;
	uint8_t zone[DNSD_NAME_MAX];
	char zone_how[DNSD_NAME_TEXT_MAX + 80]; /* for --verbose */
	uint32_t ttl;
	int timeout_ms;
	bool tcp, verbose;
	bool discovering; /* parsing only for the first name: no warnings */
	bool have_key;
	dnsd_key key;
	dnsd_keystore *ks; /* -k */
	const char *key_file;
	struct arg *pre, *cmds;
	size_t npre, ncmds;
	struct section sec[2];
	dnsd_arena arena; /* owners and RDATA of the items */
	struct rec rec;
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
	return EXIT_USAGE;
}

static const char *name_text(const uint8_t *name, char *buf, size_t cap)
{
	if (dnsd_name_to_text(name, buf, cap) < 0)
		snprintf(buf, cap, "?");
	return buf;
}

/* ---- records out of the command line ------------------------------- */

/* Appends a record to section sec; the owner must be in the zone. */
static int add_item(struct update *u, int sec, const char *what,
                    const struct item *it)
{
	char nb[DNSD_NAME_TEXT_MAX], zb[DNSD_NAME_TEXT_MAX];
	if (!dnsd_name_is_subdomain(it->owner, u->zone)) {
		tool_warnx("%s: %s is not in the zone %s", what,
		           name_text(it->owner, nb, sizeof nb),
		           name_text(u->zone, zb, sizeof zb));
		return -1;
	}
	struct section *s = &u->sec[sec];
	if (s->count == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct item *n = realloc(s->items, cap * sizeof *n);
		if (!n) {
			tool_warnx("out of memory");
			return -1;
		}
		s->items = n;
		s->cap = cap;
	}
	struct item *d = &s->items[s->count];
	*d = *it;
	d->owner =
	    dnsd_arena_memdup(&u->arena, it->owner, dnsd_name_len(it->owner));
	d->rdata = it->rdlen
	               ? dnsd_arena_memdup(&u->arena, it->rdata, it->rdlen)
	               : NULL;
	if (!d->owner || (it->rdlen && !d->rdata)) {
		tool_warnx("out of memory");
		return -1;
	}
	s->count++;
	return 0;
}

/* A name as the user wrote it: with a final dot absolute, `@` the zone;
 * without one the name as written when that is the zone or below it,
 * else relative to the zone. */
static int owner_from_text(const struct update *u, const char *s, size_t len,
                           uint8_t out[DNSD_NAME_MAX])
{
	if (dnsd_name_from_text(s, len, root, out) >= 0 &&
	    dnsd_name_is_subdomain(out, u->zone) && !(len == 1 && s[0] == '@'))
		return 0;
	return dnsd_name_from_text(s, len, u->zone, out) < 0 ? -1 : 0;
}

/* Parser diagnostics as the tool's: "dnsd-update: WHAT: MESSAGE", the
 * argument and a caret under the column. */
struct diag_ctx {
	const char *what;
	bool warnings;
};

static void diag_print(void *ctx, const dnsd_diag *d)
{
	const struct diag_ctx *c = ctx;
	if (d->severity == DNSD_DIAG_WARNING && !c->warnings)
		return;
	tool_warnx("%s: %s%s", c->what,
	           d->severity == DNSD_DIAG_WARNING ? "warning: " : "",
	           d->msg ? d->msg : "");
	if (!d->text || !d->col || d->col > d->text_len + 1)
		return;
	fprintf(stderr, "  %.*s\n  ", (int)d->text_len, d->text);
	for (size_t i = 0; i + 1 < d->col; i++)
		fputc(d->text[i] == '\t' ? '\t' : ' ', stderr);
	fputs("^\n", stderr);
}

static void diag_none(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	(void)d;
}

static int rec_sink(void *ctx, const dnsd_zf_rr *rr)
{
	struct rec *r = ctx;
	if (r->count++ == 0) {
		memcpy(r->owner, rr->owner, dnsd_name_len(rr->owner));
		r->type = rr->type;
		r->ttl = rr->ttl;
		r->rdlen = rr->rdlen;
		memcpy(r->rdata, rr->rdata, rr->rdlen);
	}
	return 0;
}

static int owner_sink(void *ctx, const dnsd_zf_rr *rr)
{
	memcpy(ctx, rr->owner, dnsd_name_len(rr->owner));
	return 0;
}

/* Parses buf (a $TTL line and the argument) with origin, every
 * record to sink; 0 when it parsed without an error. */
static int parse_buf(const char *what, const char *buf, size_t len,
                     const uint8_t *origin, dnsd_diag_fn diag,
                     struct diag_ctx *dc, dnsd_zf_sink_fn sink, void *ctx)
{
	dnsd_zf_opts o = {
	    .origin = origin, .max_errors = 1, .diag = diag, .diag_ctx = dc};
	dnsd_zf_result res;
	int r = dnsd_zonefile_parse_mem(what, buf, len, &o, sink, ctx, &res);
	return r < 0 || res.errors ? -1 : 0;
}

/* A name in the RDATA written in full without the final dot comes out
 * with the zone twice: the zone-file rule, and rarely what was meant. */
static void warn_doubled(const struct update *u, const char *what)
{
	uint8_t twice[DNSD_NAME_MAX];
	char nb[DNSD_NAME_TEXT_MAX];
	const uint8_t *t =
	    dnsd_rdata_target(u->rec.type, u->rec.rdata, u->rec.rdlen);
	if (u->discovering || !t || dnsd_name_is_root(u->zone) ||
	    dnsd_name_concat(u->zone, u->zone, twice) < 0 ||
	    !dnsd_name_is_subdomain(t, twice))
		return;
	tool_warnx(
	    "%s: warning: %s in the RDATA: a name without a final dot is "
	    "relative to the zone",
	    what, name_text(t, nb, sizeof nb));
}

/* One record of zone-file text (add, replace, a record to delete or to
 * compare) into u->rec: the zone is the origin, --ttl the TTL when the
 * record has none. 0, or -1 said why. */
static int parse_record(struct update *u, const char *what, const char *text)
{
	text += strspn(text, " \t");
	if (strchr(text, '\n') || text[0] == '$') {
		tool_warnx("%s: expected one record on one line, found '%s'",
		           what, text);
		return -1;
	}
	/* --ttl as a $TTL line: the parser's default_ttl cannot say 0 */
	char *buf;
	int len = asprintf(&buf, "$TTL %u\n%s", u->ttl, text);
	if (len < 0) {
		tool_warnx("out of memory");
		return -1;
	}
	struct diag_ctx dc = {what, !u->discovering};
	u->rec.count = 0;
	int r = parse_buf(what, buf, (size_t)len, u->zone, diag_print, &dc,
	                  rec_sink, &u->rec);
	if (r == 0 && u->rec.count != 1) {
		tool_warnx("%s: expected one record, found '%s'", what, text);
		r = -1;
	}
	/* the owner written in full without the final dot */
	uint8_t full[DNSD_NAME_MAX];
	full[0] = 0xff; /* not a name: nothing parsed */
	if (r == 0 && !dnsd_name_is_root(u->zone) &&
	    parse_buf(what, buf, (size_t)len, root, diag_none, NULL, owner_sink,
	              full) == 0 &&
	    full[0] != 0xff && dnsd_name_is_subdomain(full, u->zone))
		memcpy(u->rec.owner, full, dnsd_name_len(full));
	free(buf);
	if (r == 0)
		warn_doubled(u, what);
	return r;
}

/* Words of text, cut at blanks; at most max (max + 1 when there are
 * more). */
struct word {
	const char *s;
	size_t len;
};

static size_t split_words(const char *text, struct word *w, size_t max)
{
	size_t n = 0;
	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		w[n].s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		w[n].len = (size_t)(p - w[n].s);
		n++;
	}
	return n;
}

/* True when words are a record's [TTL] [IN] [TYPE] without RDATA, with
 * the TYPE (0 for none) in *type. */
static bool header_only(const struct word *w, size_t n, uint16_t *type)
{
	bool ttl = false, cls = false;
	uint32_t t;
	uint16_t v;
	*type = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == n - 1 &&
		    dnsd_rrtype_from_text(w[i].s, w[i].len, &v) == 0)
			*type = v;
		else if (!cls &&
		         dnsd_rrclass_from_text(w[i].s, w[i].len, &v) == 0 &&
		         v == DNSD_CLASS_IN)
			cls = true;
		else if (!ttl && dnsd_ttl_from_text(w[i].s, w[i].len, &t) == 0)
			ttl = true;
		else
			return false;
	}
	return true;
}

/* What delete and the prerequisites name: NAME, NAME TYPE, or a record
 * NAME TYPE RDATA (in u->rec, its TTL unused). */
struct target {
	uint8_t owner[DNSD_NAME_MAX];
	uint16_t type; /* 0: none written */
	bool rdata;
};

static int parse_target(struct update *u, const char *what, const char *text,
                        const char *type_arg, struct target *t)
{
	struct word w[4];
	char tb[16];
	text += strspn(text, " \t");
	size_t n = split_words(text, w, 3);
	if (n == 0 || (type_arg && n != 1)) {
		tool_warnx("%s: expected a name%s", what,
		           type_arg ? " before the type" : "");
		return -1;
	}
	if (type_arg)
		w[n++] = (struct word){type_arg, strlen(type_arg)};
	memset(t, 0, sizeof *t);
	if (n <= 3 && header_only(w + 1, n - 1, &t->type)) {
		if (owner_from_text(u, w[0].s, w[0].len, t->owner) < 0) {
			tool_warnx("%s: '%.*s' is not a valid domain name",
			           what, (int)w[0].len, w[0].s);
			return -1;
		}
	} else {
		if (parse_record(u, what, text) < 0)
			return -1;
		memcpy(t->owner, u->rec.owner, dnsd_name_len(u->rec.owner));
		t->type = u->rec.type;
		t->rdata = true;
	}
	const dnsd_rrtype_info *info = dnsd_rrtype_info_get(t->type);
	if (t->type != DNSD_TYPE_ANY && info && (info->flags & DNSD_RRF_META)) {
		tool_warnx("%s: %s is not a type of zone data", what,
		           dnsd_rrtype_to_text(t->type, tb));
		return -1;
	}
	return 0;
}

/* True when an earlier replace in this UPDATE deleted owner's RRset of
 * type: a second replace of it adds to what the first one added. */
static bool replaced_before(const struct update *u, const uint8_t *owner,
                            uint16_t type)
{
	const struct section *s = &u->sec[SEC_UPDATE];
	for (size_t i = 0; i < s->count; i++)
		if (s->items[i].replaces && s->items[i].type == type &&
		    dnsd_name_equal(s->items[i].owner, owner))
			return true;
	return false;
}

static int replace(struct update *u, const char *what, const uint8_t *owner,
                   uint16_t type, uint32_t ttl, const uint8_t *rdata,
                   uint16_t rdlen)
{
	struct item del = {.owner = owner,
	                   .type = type,
	                   .rclass = DNSD_CLASS_ANY,
	                   .replaces = true};
	struct item add = {.owner = owner,
	                   .type = type,
	                   .rclass = DNSD_CLASS_IN,
	                   .ttl = ttl,
	                   .rdlen = rdlen,
	                   .rdata = rdata};
	if (!replaced_before(u, owner, type) &&
	    add_item(u, SEC_UPDATE, what, &del) < 0)
		return -1;
	return add_item(u, SEC_UPDATE, what, &add);
}

static int cmd_add(struct update *u, const struct arg *a)
{
	if (parse_record(u, a->cmd->name, a->text) < 0)
		return -1;
	const struct rec *r = &u->rec;
	struct item it = {.owner = r->owner,
	                  .type = r->type,
	                  .rclass = DNSD_CLASS_IN,
	                  .ttl = r->ttl,
	                  .rdlen = r->rdlen,
	                  .rdata = r->rdata};
	return add_item(u, SEC_UPDATE, a->cmd->name, &it);
}

static int cmd_replace(struct update *u, const struct arg *a)
{
	if (parse_record(u, a->cmd->name, a->text) < 0)
		return -1;
	const struct rec *r = &u->rec;
	return replace(u, a->cmd->name, r->owner, r->type, r->ttl, r->rdata,
	               r->rdlen);
}

/* RFC 2136 §2.5.2-4: an RRset (class ANY), all RRsets (class ANY, type
 * ANY), one record (class NONE with its RDATA). */
static int cmd_delete(struct update *u, const struct arg *a)
{
	struct target t;
	const char *type_arg = a->nmore ? a->more[0] : NULL;
	if (parse_target(u, a->cmd->name, a->text, type_arg, &t) < 0)
		return -1;
	struct item it = {.owner = t.owner,
	                  .type = t.type ? t.type : DNSD_TYPE_ANY,
	                  .rclass = DNSD_CLASS_ANY};
	if (t.rdata) {
		it.rclass = DNSD_CLASS_NONE;
		it.rdlen = u->rec.rdlen;
		it.rdata = u->rec.rdata;
	}
	return add_item(u, SEC_UPDATE, a->cmd->name, &it);
}

/* NAME ADDRESS...: a replace of the A or AAAA RRset per address. */
static int cmd_address(struct update *u, const struct arg *a)
{
	uint8_t owner[DNSD_NAME_MAX], rd[16];
	if (owner_from_text(u, a->text, strlen(a->text), owner) < 0) {
		tool_warnx("NAME: '%s' is not a valid domain name", a->text);
		return -1;
	}
	for (int i = 0; i < a->nmore; i++) {
		uint16_t type = DNSD_TYPE_A, len = 4;
		if (inet_pton(AF_INET6, a->more[i], rd) == 1) {
			type = DNSD_TYPE_AAAA;
			len = 16;
		} else if (inet_pton(AF_INET, a->more[i], rd) != 1) {
			tool_warnx("ADDRESS: expected an IPv4 or IPv6 address, "
			           "found '%s'",
			           a->more[i]);
			return -1;
		}
		if (replace(u, a->text, owner, type, u->ttl, rd, len) < 0)
			return -1;
	}
	return 0;
}

/* --prereq kinds, RFC 2136 §2.4. With RDATA, yxrrset is the
 * value-dependent form: class IN, and the records of every such
 * prerequisite of a name and type together are the exact RRset. */
enum { TAKES_NAME, TAKES_TYPE, TAKES_TYPE_RDATA };

static const struct prereq_kind {
	const char *name;
	int takes;
	uint16_t rclass; /* ANY: in use / exists, NONE: not */
} prereq_kinds[] = {
    {"yxdomain", TAKES_NAME, DNSD_CLASS_ANY},
    {"nxdomain", TAKES_NAME, DNSD_CLASS_NONE},
    {"yxrrset", TAKES_TYPE_RDATA, DNSD_CLASS_ANY},
    {"nxrrset", TAKES_TYPE, DNSD_CLASS_NONE},
};

static const struct prereq_kind *prereq_kind_get(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof prereq_kinds / sizeof *prereq_kinds; i++)
		if (strlen(prereq_kinds[i].name) == len &&
		    strncasecmp(prereq_kinds[i].name, s, len) == 0)
			return &prereq_kinds[i];
	return NULL;
}

static int cmd_prereq(struct update *u, const struct arg *a)
{
	const char *what = a->cmd->name;
	struct word w[1];
	if (split_words(a->text, w, 1) == 0) {
		tool_warnx(
		    "%s: expected yxdomain, nxdomain, yxrrset or nxrrset",
		    what);
		return -1;
	}
	const struct prereq_kind *k = prereq_kind_get(w[0].s, w[0].len);
	if (!k) {
		tool_warnx(
		    "%s: expected yxdomain, nxdomain, yxrrset or nxrrset, "
		    "found '%.*s'",
		    what, (int)w[0].len, w[0].s);
		return -1;
	}
	struct target t;
	if (parse_target(u, what, w[0].s + w[0].len, NULL, &t) < 0)
		return -1;
	struct item it = {
	    .owner = t.owner, .type = t.type, .rclass = k->rclass};
	if (k->takes == TAKES_NAME) {
		if (t.type) {
			tool_warnx("%s: %s takes a name only", what, k->name);
			return -1;
		}
		it.type = DNSD_TYPE_ANY;
	} else if (!t.type || t.type == DNSD_TYPE_ANY) {
		tool_warnx("%s: %s takes a name and a type%s", what, k->name,
		           t.type ? " other than ANY (yxdomain is that)" : "");
		return -1;
	} else if (t.rdata && k->takes != TAKES_TYPE_RDATA) {
		tool_warnx("%s: %s takes no RDATA", what, k->name);
		return -1;
	} else if (t.rdata) {
		it.rclass = DNSD_CLASS_IN;
		it.rdlen = u->rec.rdlen;
		it.rdata = u->rec.rdata;
	}
	return add_item(u, SEC_PREREQ, what, &it);
}

static const struct command commands[] = {
    {"add", cmd_add},
    {"delete", cmd_delete},
    {"replace", cmd_replace},
};
static const struct command address_command = {"NAME ADDRESS", cmd_address};
static const struct command prereq_command = {"--prereq", cmd_prereq};

static const struct command *command_get(const char *s)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, s) == 0)
			return &commands[i];
	return NULL;
}

static bool is_type_word(const char *s)
{
	uint16_t t;
	return dnsd_rrtype_from_text(s, strlen(s), &t) == 0;
}

/* The arguments after SERVER into u->cmds: NAME ADDRESS..., or
 * subcommands with one argument each (delete NAME TYPE: two). An exit
 * status, said why. */
static int scan_commands(struct update *u, int argc, char **argv)
{
	if (argc == 0)
		return u->npre ? 0
		               : usage_error("expected NAME ADDRESS or a "
		                             "command");
	if (!command_get(argv[0])) {
		if (argc < 2)
			return usage_error("expected NAME ADDRESS...");
		u->cmds[u->ncmds++] =
		    (struct arg){&address_command, argv[0], argv + 1, argc - 1};
		return 0;
	}
	for (int i = 0; i < argc;) {
		const struct command *c = command_get(argv[i]);
		if (!c)
			return usage_error("expected add, delete or replace, "
			                   "found '%s' (a record goes in one "
			                   "argument: quote it)",
			                   argv[i]);
		if (i + 1 == argc)
			return usage_error("%s: expected an argument", c->name);
		struct arg *a = &u->cmds[u->ncmds++];
		*a = (struct arg){c, argv[i + 1], NULL, 0};
		i += 2;
		if (c->parse == cmd_delete && i < argc &&
		    !command_get(argv[i]) && is_type_word(argv[i]) &&
		    !strpbrk(a->text, " \t")) {
			a->more = &argv[i++];
			a->nmore = 1;
		}
	}
	return 0;
}

/* Every argument into the two sections; an exit status. */
static int parse_all(struct update *u)
{
	for (size_t i = 0; i < u->npre; i++)
		if (u->pre[i].cmd->parse(u, &u->pre[i]) < 0)
			return EXIT_USAGE;
	for (size_t i = 0; i < u->ncmds; i++)
		if (u->cmds[i].cmd->parse(u, &u->cmds[i]) < 0)
			return EXIT_USAGE;
	return 0;
}

/* Before any query: every argument parsed without a zone (syntax
 * errors end the run there), and the name the zone is looked for from,
 * the owner of the first update (else prerequisite). */
static int first_name(struct update *u, uint8_t out[DNSD_NAME_MAX])
{
	const struct section *s = &u->sec[u->ncmds ? SEC_UPDATE : SEC_PREREQ];
	memcpy(u->zone, root, sizeof root);
	u->discovering = true;
	int status = parse_all(u);
	u->discovering = false;
	if (status == 0)
		memcpy(out, s->items[0].owner,
		       dnsd_name_len(s->items[0].owner));
	u->sec[SEC_PREREQ].count = u->sec[SEC_UPDATE].count = 0;
	dnsd_arena_reset(&u->arena);
	return status;
}

/* ---- the message --------------------------------------------------- */

/* One request and its answer: a SOA query for soa, else the UPDATE. */
struct exchange {
	const uint8_t *soa;
	dnsd_tsig_ctx tc[UDP_TRIES]; /* the signature of each try */
	int tries;
	int answered;  /* the try whose answer came */
	char why[160]; /* no answer: why */
	struct timespec deadline;
};

static int put_section(dnsd_msg_builder *b, int sec, const struct section *s)
{
	dnsd_msg_section(b, sec);
	for (size_t i = 0; i < s->count; i++) {
		const struct item *it = &s->items[i];
		int r = dnsd_msg_rr(b, it->owner, it->type, it->rclass, it->ttl,
		                    it->rdata, it->rdlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Try t of the exchange into buf: its length or a negative error
 * (DNSD_ESPACE: does not fit in cap). */
static int build(struct update *u, struct exchange *x, int t, uint8_t *buf,
                 size_t cap)
{
	uint16_t id;
	if (RAND_bytes((uint8_t *)&id, sizeof id) != 1)
		return DNSD_EINVAL;
	dnsd_hdr h = {.id = id};
	dnsd_msg_builder b;
	if (x->soa) {
		dnsd_msg_begin(&b, buf, cap, &h);
		dnsd_msg_question(&b, x->soa, DNSD_TYPE_SOA, DNSD_CLASS_IN);
		return dnsd_msg_finish(&b);
	}
	h.flags = DNSD_OPCODE_UPDATE << 11;
	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, u->zone, DNSD_TYPE_SOA, DNSD_CLASS_IN);
	int r = put_section(&b, DNSD_SEC_ANSWER, &u->sec[SEC_PREREQ]);
	if (r == 0)
		r = put_section(&b, DNSD_SEC_AUTHORITY, &u->sec[SEC_UPDATE]);
	int len = r < 0 ? r : dnsd_msg_finish(&b);
	if (len < 0 || !u->have_key)
		return len;
	dnsd_tsig_ctx_clear(&x->tc[t]);
	return dnsd_tsig_sign_request(&x->tc[t], &u->key, buf, (size_t)len, cap,
	                              (uint64_t)time(NULL), DNSD_TSIG_FUDGE);
}

/* ---- the exchange -------------------------------------------------- */

enum { NO_ANSWER = 0, FAILED = -1, TOO_BIG = -2 };

/* Over UDP: a try now and every UDP_RESEND_MS, until an answer to any
 * of them or the deadline. Its length, NO_ANSWER (x->why), FAILED (said
 * why) or TOO_BIG. */
static int over_udp(struct update *u, struct exchange *x, uint8_t *resp,
                    size_t cap)
{
	uint8_t req[UDP_TRIES][UDP_MAX];
	int qlen[UDP_TRIES];
	struct timespec next = {0};
	int fd = socket(u->srv.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&u->srv.addr,
	                      u->srv.addrlen) < 0) {
		snprintf(x->why, sizeof x->why, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NO_ANSWER;
	}
	for (x->tries = 0;;) {
		if (x->tries < UDP_TRIES &&
		    (x->tries == 0 || !tool_ms_left(&next))) {
			int t = x->tries;
			qlen[t] = build(u, x, t, req[t], sizeof req[t]);
			if (qlen[t] < 0) {
				close(fd);
				return qlen[t] == DNSD_ESPACE && t == 0
				           ? TOO_BIG
				           : FAILED;
			}
			x->tries++;
			tool_deadline_in(&next, UDP_RESEND_MS);
			if (send(fd, req[t], (size_t)qlen[t], 0) < 0)
				break;
		}
		int left = tool_ms_left(&x->deadline);
		if (left == 0) {
			snprintf(x->why, sizeof x->why, "timed out");
			close(fd);
			return NO_ANSWER;
		}
		if (x->tries < UDP_TRIES && tool_ms_left(&next) < left)
			left = tool_ms_left(&next);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, left) <= 0)
			continue;
		/* an error here is the ICMP answer to a try: nobody listens
		 * there, and further tries would hear the same */
		ssize_t r = recv(fd, resp, cap, 0);
		if (r < 0)
			break;
		for (int t = 0; t < x->tries; t++)
			if (tool_answers(req[t], (size_t)qlen[t], resp,
			                 (size_t)r)) {
				x->answered = t;
				close(fd);
				return (int)r;
			}
	}
	snprintf(x->why, sizeof x->why, "%s", strerror(errno));
	close(fd);
	return NO_ANSWER;
}

/* One try over TCP: the answer's length, NO_ANSWER (x->why) or FAILED. */
static int over_tcp(struct update *u, struct exchange *x, uint8_t *resp,
                    size_t cap)
{
	static uint8_t req[MSG_MAX];
	x->tries = 1;
	x->answered = 0;
	int qlen = build(u, x, 0, req, sizeof req);
	if (qlen < 0) {
		tool_warnx("the UPDATE does not fit in a DNS message");
		return FAILED;
	}
	int r = tool_tcp_exchange(&u->srv, req, (size_t)qlen, resp, cap,
	                          &x->deadline, x->why, sizeof x->why);
	return r > 0 ? r : NO_ANSWER;
}

/* Sends x and waits for its answer until --timeout: UDP, then TCP when
 * truncated or too big. The answer's length, NO_ANSWER (x->why) or
 * FAILED. */
static int exchange(struct update *u, struct exchange *x, uint8_t *resp,
                    size_t cap)
{
	tool_deadline_in(&x->deadline, u->timeout_ms);
	if (u->tcp)
		return over_tcp(u, x, resp, cap);
	int len = over_udp(u, x, resp, cap);
	if (len == NO_ANSWER || len == FAILED)
		return len;
	dnsd_hdr h;
	if (len > 0 && dnsd_hdr_parse(resp, (size_t)len, &h) == 0 &&
	    !(h.flags & DNSD_FLAG_TC))
		return len;
	return over_tcp(u, x, resp, cap);
}

/* ---- the zone ------------------------------------------------------ */

/* Asks the SOA of name; *found when the answer names its zone (into
 * u->zone). An exit status. */
static int ask_soa(struct update *u, const uint8_t *name, bool *found)
{
	static uint8_t resp[MSG_MAX];
	char nb[DNSD_NAME_TEXT_MAX], zb[DNSD_NAME_TEXT_MAX];
	struct exchange x = {.soa = name};
	*found = false;
	int len = exchange(u, &x, resp, sizeof resp);
	if (len == FAILED)
		return EXIT_USAGE;
	if (len == NO_ANSWER) {
		tool_warnx("%s: no answer to the SOA query for %s: %s",
		           u->srv.name, name_text(name, nb, sizeof nb), x.why);
		return EXIT_NO_ANSWER;
	}
	dnsd_arena a;
	dnsd_msg m;
	dnsd_arena_init(&a, 4096);
	int status = 0;
	if (dnsd_msg_parse(resp, (size_t)len, &a, &m) < 0) {
		tool_warnx("%s: a malformed answer to the SOA query for %s",
		           u->srv.name, name_text(name, nb, sizeof nb));
		status = EXIT_UNTRUSTED;
	} else if (DNSD_RCODE(m.hdr.flags) != DNSD_RCODE_NOERROR &&
	           DNSD_RCODE(m.hdr.flags) != DNSD_RCODE_NXDOMAIN) {
		tool_warnx("%s: the SOA query for %s was answered %s: no zone "
		           "found (--zone names it)",
		           u->srv.name, name_text(name, nb, sizeof nb),
		           dnsd_tsig_error_name(DNSD_RCODE(m.hdr.flags)));
		status = EXIT_REFUSED;
	} else {
		const char *where = "answer";
		const dnsd_rr *soa = tool_zone_soa(&m, DNSD_SEC_ANSWER, name);
		if (!soa) {
			where = "authority section";
			soa = tool_zone_soa(&m, DNSD_SEC_AUTHORITY, name);
		}
		if (soa) {
			memcpy(u->zone, soa->owner, dnsd_name_len(soa->owner));
			snprintf(u->zone_how, sizeof u->zone_how,
			         "the SOA in the %s for %s", where,
			         name_text(name, nb, sizeof nb));
			*found = true;
		} else if (dnsd_name_is_root(name)) {
			tool_warnx(
			    "%s: no SOA in the answers up to %s: no zone "
			    "found (--zone names it)",
			    u->srv.name, name_text(name, zb, sizeof zb));
			status = EXIT_REFUSED;
		}
	}
	dnsd_arena_free(&a);
	return status;
}

/* The zone of the first name, by SOA queries walking up. */
static int discover(struct update *u)
{
	uint8_t name[DNSD_NAME_MAX];
	int status = first_name(u, name);
	if (status)
		return status;
	for (const uint8_t *n = name;; n = dnsd_name_parent(n)) {
		bool found;
		status = ask_soa(u, n, &found);
		if (status || found)
			return status;
	}
}

/* -k: the key of the file that may update the zone, else its first. */
static int pick_key(struct update *u)
{
	if (tool_key_pick(u->ks, DNSD_KEY_OP_UPDATE, u->zone, &u->key) < 0)
		return -1;
	u->have_key = true;
	return 0;
}

static int load_key_file(struct update *u, const char *path)
{
	char err[512];
	u->ks = dnsd_keystore_new();
	if (!u->ks) {
		tool_warnx("out of memory");
		return -1;
	}
	if (dnsd_keystore_load_file(u->ks, path, err, sizeof err) < 0) {
		tool_warnx("%s", err);
		return -1;
	}
	if (dnsd_keystore_count(u->ks) == 0) {
		tool_warnx("%s: no key in the file", path);
		return -1;
	}
	return 0;
}

/* ---- the answer ---------------------------------------------------- */

/* Judges the answer to the UPDATE: prints the RCODE; the exit status. */
static int judge(struct update *u, struct exchange *x, const uint8_t *resp,
                 size_t len)
{
	static const int status[] = {
	    [TOOL_NOERROR] = EXIT_NOERROR,
	    [TOOL_REFUSED] = EXIT_REFUSED,
	    [TOOL_UNTRUSTED] = EXIT_UNTRUSTED,
	};
	return status[tool_judge(&u->srv, u->have_key, &x->tc[x->answered],
	                         resp, len)];
}

static int send_update(struct update *u)
{
	static uint8_t resp[MSG_MAX];
	struct exchange x = {0};
	for (int t = 0; t < UDP_TRIES; t++)
		dnsd_tsig_ctx_init(&x.tc[t]);
	int len = exchange(u, &x, resp, sizeof resp);
	int status = EXIT_USAGE;
	if (len == NO_ANSWER) {
		tool_warnx("%s: no answer: %s", u->srv.name, x.why);
		status = EXIT_NO_ANSWER;
	} else if (len > 0) {
		status = judge(u, &x, resp, (size_t)len);
	}
	for (int t = 0; t < UDP_TRIES; t++)
		dnsd_tsig_ctx_clear(&x.tc[t]);
	return status;
}

/* ---- --verbose ----------------------------------------------------- */

static void print_item(const struct item *it)
{
	char nb[DNSD_NAME_TEXT_MAX], cb[16], tb[16];
	fprintf(stderr, "%s\t%u\t%s\t%s", name_text(it->owner, nb, sizeof nb),
	        it->ttl, dnsd_rrclass_to_text(it->rclass, cb),
	        dnsd_rrtype_to_text(it->type, tb));
	size_t cap = (size_t)it->rdlen * 4 + 64;
	char *rd = it->rdlen ? malloc(cap) : NULL;
	if (rd && dnsd_rdata_to_text(it->type, it->rdata, it->rdlen, false, rd,
	                             cap) >= 0)
		fprintf(stderr, "\t%s", rd);
	free(rd);
	fputc('\n', stderr);
}

static void print_update(const struct update *u)
{
	char zb[DNSD_NAME_TEXT_MAX], kb[DNSD_NAME_TEXT_MAX];
	fprintf(stderr, ";; zone %s (%s)\n", name_text(u->zone, zb, sizeof zb),
	        u->zone_how);
	if (u->have_key)
		fprintf(stderr, ";; key %s (%s)\n",
		        name_text(u->key.name, kb, sizeof kb),
		        dnsd_key_alg_hmac(u->key.alg));
	static const char *const titles[2] = {"prerequisites", "updates"};
	for (int s = 0; s < 2; s++) {
		if (!u->sec[s].count)
			continue;
		fprintf(stderr, ";; %s\n", titles[s]);
		for (size_t i = 0; i < u->sec[s].count; i++)
			print_item(&u->sec[s].items[i]);
	}
}

/* ---- main ---------------------------------------------------------- */

/* The options and arguments into u: an exit status, 0 to go on, -1 for
 * --help and --version (done). */
static int parse_args(struct update *u, int argc, char **argv,
                      const char **key_text, const char **zone_text)
{
	int c;
	long v;
	while ((c = getopt_long(argc, argv, "k:z:p:tvhV", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case OPT_KEY:
			*key_text = optarg;
			break;
		case 'k':
			u->key_file = optarg;
			break;
		case 'z':
			*zone_text = optarg;
			break;
		case 'p':
			u->pre[u->npre++] =
			    (struct arg){&prereq_command, optarg, NULL, 0};
			break;
		case OPT_TTL:
			if (dnsd_ttl_from_text(optarg, strlen(optarg),
			                       &u->ttl) < 0)
				return usage_error("--ttl: expected a TTL, "
				                   "found '%s'",
				                   optarg);
			break;
		case 't':
			u->tcp = true;
			break;
		case OPT_TIMEOUT:
			if (tool_parse_range(optarg, 1, TIMEOUT_MAX_S, &v) < 0)
				return usage_error("--timeout: expected "
				                   "seconds 1..3600");
			u->timeout_ms = (int)v * 1000;
			break;
		case 'v':
			u->verbose = true;
			break;
		case 'h':
			fputs(synopsis, stdout);
			fputs(usage_text, stdout);
			return -1;
		case 'V':
			printf("dnsd-update %s\n", DNSD_VERSION);
			return -1;
		default:
			fprintf(stderr, "%s(--help says more)\n", synopsis);
			return EXIT_USAGE;
		}
	}
	if (optind == argc)
		return usage_error("expected SERVER[:PORT]");
	if (*key_text && u->key_file)
		return usage_error("--key and -k exclude each other");
	if (tool_server_parse(&u->srv, argv[optind]) < 0)
		return usage_error("SERVER: expected an address or host name, "
		                   "with :PORT 1..65535 (IPv6 as [::1]:PORT)");
	return scan_commands(u, argc - optind - 1, argv + optind + 1);
}

/* The key and the zone as the options give them; an exit status. */
static int setup(struct update *u, const char *key_text, const char *zone_text)
{
	if (key_text) {
		char err[256];
		if (dnsd_key_from_text(key_text, &u->key, err, sizeof err) < 0)
			return usage_error("--key: %s", err);
		u->have_key = true;
	} else if (u->key_file && load_key_file(u, u->key_file) < 0) {
		return EXIT_USAGE;
	}
	if (zone_text) {
		if (dnsd_name_from_text(zone_text, strlen(zone_text), root,
		                        u->zone) < 0)
			return usage_error("--zone: '%s' is not a valid "
			                   "domain name",
			                   zone_text);
		snprintf(u->zone_how, sizeof u->zone_how, "--zone");
	}
	return 0;
}

static int run(struct update *u, int argc, char **argv)
{
	const char *key_text = NULL, *zone_text = NULL;
	int status = parse_args(u, argc, argv, &key_text, &zone_text);
	if (status)
		return status < 0 ? 0 : status;
	if ((status = setup(u, key_text, zone_text)) != 0)
		return status;
	if (!zone_text && (status = discover(u)) != 0)
		return status;
	if (u->ks && pick_key(u) < 0) {
		tool_warnx("%s: no usable key", u->key_file);
		return EXIT_USAGE;
	}
	if ((status = parse_all(u)) != 0)
		return status;
	if (u->verbose)
		print_update(u);
	fflush(stderr);
	return send_update(u);
}

int main(int argc, char **argv)
{
	static struct update u;
	tool_setprogname("dnsd-update");
	u.ttl = TTL_DEFAULT;
	u.timeout_ms = TIMEOUT_DEFAULT_S * 1000;
	/* at most one arg per argv element */
	u.pre = calloc((size_t)argc, sizeof *u.pre);
	u.cmds = calloc((size_t)argc, sizeof *u.cmds);
	if (!u.pre || !u.cmds) {
		tool_warnx("out of memory");
		return EXIT_USAGE;
	}
	dnsd_arena_init(&u.arena, 0);
	int status = run(&u, argc, argv);
	dnsd_keystore_free(u.ks);
	explicit_bzero(&u.key, sizeof u.key);
	dnsd_arena_free(&u.arena);
	free(u.sec[0].items);
	free(u.sec[1].items);
	free(u.pre);
	free(u.cmds);
	return status;
}
