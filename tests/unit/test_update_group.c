/* Unit tests for UPDATE groups (update.h): a group of messages applied
 * with dnsd_update_group_* must judge every message exactly as
 * dnsd_update_apply judges it against the version the messages before it
 * made (rcode, reason, serial, ignored, changed), and finish with the
 * zone that applying them one after the other makes (failed ones
 * skipped), record for record and serial.
 *
 * The core is a differential test: random groups of random messages
 * (prerequisites of every kind, with values taken from the state earlier
 * messages made; adds, deletes, CNAME clashes, SOA serials up and down,
 * duplicates, apex protections; limits small enough to refuse some
 * messages after they changed names) applied both ways and compared.
 * Hand-written cases pin the interactions down one by one. Every message
 * given to a group lives in its own heap buffer and arena, overwritten
 * and freed right after dnsd_update_group_apply, so ASan catches a group
 * that keeps pointers into a message. */
#include "../same.h"
#include "tap.h"
#include "zones.h"
#include <dnsd/arena.h>
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/rrtype.h>
#include <dnsd/update.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdarg.h>
#include <stdlib.h>

#define ORIGIN   "example.org."
#define MAX_MSGS 16

/* ---- zones ---- */

/* ~20 names: the apex with 5 RRsets (past a limit of 3 RRsets per name,
 * so it may only shrink there), CNAMEs, an empty non-terminal (ent), a
 * delegation with glue, a wildcard. */
static const char base[] = "$TTL 3600\n"
                           "@ SOA ns1 hostmaster 100 7200 3600 1209600 300\n"
                           "@ NS ns1\n"
                           "@ NS ns2\n"
                           "@ MX 10 mail\n"
                           "@ A 192.0.2.80\n"
                           "@ TXT \"apex\"\n"
                           "ns1 A 192.0.2.1\n"
                           "ns2 A 192.0.2.2\n"
                           "ns2 AAAA 2001:db8::2\n"
                           "mail A 192.0.2.25\n"
                           "mail AAAA 2001:db8::25\n"
                           "www A 192.0.2.10\n"
                           "www A 192.0.2.11\n"
                           "www TXT \"hello world\"\n"
                           "alias CNAME www\n"
                           "ftp CNAME www\n"
                           "x.ent A 192.0.2.99\n"
                           "sub NS ns.sub\n"
                           "sub NS ns2\n"
                           "ns.sub A 192.0.2.53\n"
                           "a A 192.0.2.100\n"
                           "b TXT \"b\"\n"
                           "c MX 5 mail\n"
                           "d AAAA 2001:db8::d\n"
                           "e A 192.0.2.101\n"
                           "e TXT \"e\"\n"
                           "*.wild A 192.0.2.200\n"
                           "h1 A 192.0.2.201\n"
                           "h2 A 192.0.2.202\n";
#define BASE_RECORDS 29

static dnsd_zone *zone_base(void)
{
	dnsd_zone *z = zone_from_text(N(ORIGIN), base);
	if (!z)
		abort();
	return z;
}

static const dnsd_rrset *rrset(const dnsd_zone *z, const char *name,
                               uint16_t type)
{
	const dnsd_node *n = z ? dnsd_zone_find(z, N(name)) : NULL;
	return n ? dnsd_node_rrset(n, type) : NULL;
}

static int count(const dnsd_zone *z, const char *name, uint16_t type)
{
	const dnsd_rrset *s = rrset(z, name, type);
	return s ? s->count : 0;
}

/* Owner names whose letter case differs between two zones that are
 * otherwise equal (names compare case-insensitively; counted apart). */
static int spellings;

/* Is every RRset of a in b, the same (TTL and records)? *names counts
 * a's names with data; with spell, names cased otherwise in b are
 * counted in spellings. Prints the first difference. */
static bool zone_within(const dnsd_zone *a, const dnsd_zone *b, const char *an,
                        const char *bn, bool spell, size_t *names)
{
	char t[DNSD_NAME_TEXT_MAX], u[DNSD_NAME_TEXT_MAX], tb[16];
	*names = 0;
	for (size_t i = 0; i < dnsd_zone_node_count(a); i++) {
		const dnsd_node *n = dnsd_zone_node_at(a, i);
		unsigned k = dnsd_node_rrset_count(n);
		if (!k)
			continue;
		++*names;
		const uint8_t *name = dnsd_node_name(n);
		const dnsd_node *m = dnsd_zone_find(b, name);
		dnsd_name_to_text(name, t, sizeof t);
		if (!m || dnsd_node_rrset_count(m) != k) {
			fprintf(stderr, "  %s has %u RRsets at %s, %s has %u\n",
			        an, k, t, bn, m ? dnsd_node_rrset_count(m) : 0);
			return false;
		}
		if (spell &&
		    memcmp(name, dnsd_node_name(m), dnsd_name_len(name)) != 0) {
			dnsd_name_to_text(dnsd_node_name(m), u, sizeof u);
			if (spellings++ < 6)
				printf("# note: owner spelled %s in the %s "
				       "zone, %s in the %s one\n",
				       t, an, u, bn);
		}
		for (unsigned j = 0; j < k; j++) {
			const dnsd_rrset *s = dnsd_node_rrset_at(n, j);
			if (!rrset_same(s, dnsd_node_rrset(m, s->type))) {
				fprintf(stderr, "  %s and %s differ at %s %s\n",
				        an, bn, t,
				        dnsd_rrtype_to_text(s->type, tb));
				return false;
			}
		}
	}
	return true;
}

/* Record for record, and serial. */
static bool zone_same(const dnsd_zone *g, const dnsd_zone *s)
{
	size_t ng, ns;
	if (dnsd_zone_serial(g) != dnsd_zone_serial(s)) {
		fprintf(stderr, "  group zone serial %u, sequential %u\n",
		        dnsd_zone_serial(g), dnsd_zone_serial(s));
		return false;
	}
	if (dnsd_zone_record_count(g) != dnsd_zone_record_count(s)) {
		fprintf(stderr,
		        "  group zone holds %zu records, "
		        "sequential %zu\n",
		        dnsd_zone_record_count(g), dnsd_zone_record_count(s));
		return false;
	}
	bool same = zone_within(g, s, "group", "sequential", true, &ng) &&
	            zone_within(s, g, "sequential", "group", false, &ns) &&
	            ng == ns;
	return same;
}

/* ---- messages ---- */

/* A finished message: its wire form (heap) and its records as text, for
 * the report of a mismatch. */
typedef struct tmsg {
	uint8_t *wire;
	size_t len;
	char text[4096];
	size_t tlen;
} tmsg;

static uint8_t mbuf[65535];
static dnsd_msg_builder mb;
static int cur_sec;
static tmsg *cur_t;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	tmsg *t = cur_t;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->text + t->tlen, sizeof t->text - t->tlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->tlen += (size_t)n;
	if (t->tlen >= sizeof t->text)
		t->tlen = sizeof t->text - 1;
}

/* Starts an UPDATE of zone into t. */
static void msg_begin(tmsg *t, const char *zone)
{
	dnsd_hdr h = {.id = 4242, .flags = DNSD_OPCODE_UPDATE << 11};
	dnsd_msg_begin(&mb, mbuf, sizeof mbuf, &h);
	dnsd_msg_question(&mb, N(zone), DNSD_TYPE_SOA, DNSD_CLASS_IN);
	cur_sec = -1;
	*t = (tmsg){0};
	cur_t = t;
	note("    zone %s\n", zone);
}

static void msg_end(void)
{
	int len = dnsd_msg_finish(&mb);
	if (len < 0)
		abort();
	cur_t->wire = malloc((size_t)len);
	if (!cur_t->wire)
		abort();
	memcpy(cur_t->wire, mbuf, (size_t)len);
	cur_t->len = (size_t)len;
	cur_t = NULL;
}

static void msg_free(tmsg *t)
{
	free(t->wire);
	t->wire = NULL;
}

/* Splits text into tokens (double quotes group, no escapes inside). */
static size_t tokens(const char *s, dnsd_token *t, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		bool q = *s == '"';
		const char *b = s + q;
		const char *e = b;
		while (*e && (q ? *e != '"' : *e != ' '))
			e++;
		t[n++] = (dnsd_token){.s = b,
		                      .len = (uint32_t)(e - b),
		                      .line = 1,
		                      .col = 1,
		                      .quoted = q};
		s = *e ? e + 1 : e;
	}
	return n;
}

static uint16_t type_of(const char *s)
{
	uint16_t t;
	if (dnsd_rrtype_from_text(s, strlen(s), &t) < 0)
		abort();
	return t;
}

static uint16_t class_of(const char *s)
{
	uint16_t c;
	if (dnsd_rrclass_from_text(s, strlen(s), &c) < 0)
		abort();
	return c;
}

/* RDATA text -> wire form in rd; returns its length. */
static size_t rdata_of(uint16_t type, const char *text, uint8_t *rd, size_t cap)
{
	dnsd_token tk[32];
	size_t n = tokens(text, tk, 32);
	dnsd_rdata_error err;
	int len = dnsd_rdata_from_text(type, tk, n, N(ORIGIN), rd, cap, &err);
	if (len < 0) {
		fprintf(stderr, "rdata '%s': %s\n", text, err.msg);
		abort();
	}
	return (size_t)len;
}

/* Appends a record to section sec (answer: prerequisites, authority:
 * updates) and to the message's text. */
static void rr_wire(int sec, const uint8_t *owner, uint16_t cls, uint32_t ttl,
                    uint16_t type, const uint8_t *rd, size_t len)
{
	if (sec != cur_sec)
		dnsd_msg_section(&mb, cur_sec = sec);
	if (dnsd_msg_rr(&mb, owner, type, cls, ttl, rd, len) < 0)
		abort();
	char o[DNSD_NAME_TEXT_MAX], c[16], t[16], r[1024] = "";
	dnsd_name_to_text(owner, o, sizeof o);
	if (len && dnsd_rdata_to_text(type, rd, len, false, r, sizeof r) < 0)
		strcpy(r, "?");
	note("    %s %s %s %u %s %s\n", sec == DNSD_SEC_ANSWER ? "pre" : "upd",
	     o, dnsd_rrclass_to_text(cls, c), ttl, dnsd_rrtype_to_text(type, t),
	     r);
}

/* "OWNER CLASS TTL TYPE RDATA" in text; rdata NULL: RDLENGTH 0. */
static void rr(int sec, const char *owner, const char *cls, uint32_t ttl,
               const char *type, const char *rdata)
{
	uint16_t t = type_of(type);
	uint8_t rd[4096];
	size_t len = rdata ? rdata_of(t, rdata, rd, sizeof rd) : 0;
	rr_wire(sec, N(owner), class_of(cls), ttl, t, rd, len);
}

#define PRE(o, c, t, rd)      rr(DNSD_SEC_ANSWER, o, c, 0, t, rd)
#define UPD(o, c, ttl, t, rd) rr(DNSD_SEC_AUTHORITY, o, c, ttl, t, rd)
#define ADD(o, ttl, t, rd)    UPD(o, "IN", ttl, t, rd)
#define DEL_RRSET(o, t)       UPD(o, "ANY", 0, t, NULL)
#define DEL_RR(o, t, rd)      UPD(o, "NONE", 0, t, rd)

/* Parses t from an exact-size heap copy into a fresh arena: what the
 * caller frees (with msg_drop) after use. */
typedef struct parsed {
	uint8_t *copy;
	size_t len;
	dnsd_arena a;
	dnsd_msg m;
} parsed;

static void msg_parse(const tmsg *t, parsed *p)
{
	p->copy = malloc(t->len);
	if (!p->copy)
		abort();
	memcpy(p->copy, t->wire, t->len);
	p->len = t->len;
	dnsd_arena_init(&p->a, 0);
	if (dnsd_msg_parse(p->copy, t->len, &p->a, &p->m) != 0) {
		fprintf(stderr, "message does not parse\n");
		abort();
	}
}

/* Overwritten, then freed: nothing may still point into it. */
static void msg_drop(parsed *p)
{
	memset(p->copy, 0xa5, p->len);
	dnsd_arena_free(&p->a);
	free(p->copy);
	p->copy = NULL;
}

/* ---- applying: one by one, and as a group ---- */

/* Applies t to *cur with dnsd_update_apply; a new version replaces *cur.
 * *out is the result with zone and diff taken out. */
static void seq_one(dnsd_zone **cur, const tmsg *t,
                    const dnsd_update_limits *lim, dnsd_update_result *out)
{
	parsed p;
	msg_parse(t, &p);
	int rc = dnsd_update_apply(*cur, &p.m, lim, out);
	CHECK_INT(rc, 0);
	if (out->zone) {
		CHECK_INT(out->serial, dnsd_zone_serial(out->zone));
		dnsd_zone_unref(*cur);
		*cur = out->zone;
		dnsd_zdiff_free(out->diff);
		out->zone = NULL;
		out->diff = NULL;
	}
	msg_drop(&p);
}

static bool refused_by_checks(const dnsd_update_result *r)
{
	return r->rcode == DNSD_RCODE_REFUSED &&
	       strstr(r->reason, "fails the zone checks");
}

static void print_result(const char *who, const dnsd_update_result *r)
{
	fprintf(stderr,
	        "  %-10s rcode %d serial %u ignored %u changed %d "
	        "counts %u/%u reason \"%s\"\n",
	        who, r->rcode, r->serial, r->ignored, r->changed, r->prereqs,
	        r->updates, r->reason);
}

static bool result_same(const dnsd_update_result *g,
                        const dnsd_update_result *s)
{
	return g->rcode == s->rcode && strcmp(g->reason, s->reason) == 0 &&
	       g->serial == s->serial && g->ignored == s->ignored &&
	       g->changed == s->changed && g->prereqs == s->prereqs &&
	       g->updates == s->updates && !g->zone && !g->diff;
}

static void print_group(const char *what, const dnsd_update_limits *lim,
                        const tmsg *t, size_t n)
{
	fprintf(stderr, "%s, limits %zu/%zu/%zu (zone/rrset/name):\n", what,
	        lim ? lim->max_zone_records : 0,
	        lim ? lim->max_rrset_records : 0,
	        lim ? lim->max_name_rrsets : 0);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  message %zu:\n%s", i + 1, t[i].text);
}

/* What one group made both ways. */
typedef struct outcome {
	dnsd_update_result seq[MAX_MSGS], grp[MAX_MSGS];
	dnsd_zone *seqz; /* the sequential end (a reference; z itself
	                    when nothing changed) */
	dnsd_zone *gz;   /* the group's (a reference), NULL when none */
	int frc;         /* what dnsd_update_group_finish returned */
	char why[160];
	bool same; /* everything agreed */
} outcome;

/* Applies t[0..n) as a group to z and compares it with o->seq and
 * o->seqz, already filled. */
static void group_compare(const dnsd_zone *z, const dnsd_update_limits *lim,
                          const tmsg *t, size_t n, outcome *o)
{
	dnsd_update_group *g = NULL;
	o->same = true;
	CHECK_INT(dnsd_update_group_new(z, lim, &g), 0);
	if (!g)
		abort();
	bool any_changed = false, any_checks = false;
	for (size_t i = 0; i < n; i++) {
		parsed p;
		msg_parse(&t[i], &p);
		CHECK_INT(dnsd_update_group_apply(g, &p.m, &o->grp[i]), 0);
		msg_drop(&p);
		any_changed |= o->seq[i].changed;
		any_checks |= refused_by_checks(&o->seq[i]);
		if (!result_same(&o->grp[i], &o->seq[i])) {
			fprintf(stderr, "message %zu judged apart:\n", i + 1);
			print_result("group", &o->grp[i]);
			print_result("sequential", &o->seq[i]);
			o->same = false;
		}
	}
	/* the difference made from the working copy, without a build, is
	 * the one finish computes from the version it builds */
	dnsd_zdiff *gd = NULL, *wd = NULL;
	CHECK_INT(dnsd_update_group_diff(g, &wd), 0);
	o->gz = NULL;
	o->frc =
	    dnsd_update_group_finish(g, &o->gz, &gd, o->why, sizeof o->why);
	dnsd_update_group_free(g);
	if (o->frc == 0 && !diff_same(wd, gd)) {
		fprintf(stderr, "group_diff: not the difference finish "
		                "gives\n");
		o->same = false;
	}
	dnsd_zdiff_free(wd);
	if (o->frc == DNSD_EZONE) {
		/* only when some message made a version failing the checks */
		if (!any_checks) {
			fprintf(stderr,
			        "finish: DNSD_EZONE (%s), yet no "
			        "message was refused for the zone "
			        "checks\n",
			        o->why);
			o->same = false;
		}
		CHECK(o->gz == NULL && gd == NULL);
	} else if (o->frc != 0) {
		fprintf(stderr, "finish: %s\n", dnsd_strerror(o->frc));
		o->same = false;
	} else if (!o->gz) {
		CHECK(gd == NULL);
		if (any_changed) {
			fprintf(stderr, "finish: no zone, yet a message "
			                "changed it\n");
			o->same = false;
		}
	} else {
		if (!any_changed) {
			fprintf(stderr, "finish: a zone, yet no message "
			                "changed it\n");
			o->same = false;
		}
		if (!zone_same(o->gz, o->seqz))
			o->same = false;
		bool diff_ok =
		    gd && dnsd_zdiff_from_serial(gd) == dnsd_zone_serial(z) &&
		    dnsd_zdiff_to_serial(gd) == dnsd_zone_serial(o->gz) &&
		    dnsd_zone_record_count(o->gz) == dnsd_zone_record_count(z) +
		                                         dnsd_zdiff_added(gd) -
		                                         dnsd_zdiff_deleted(gd);
		dnsd_zdiff *sd = NULL;
		CHECK_INT(dnsd_zdiff_compute(z, o->seqz, &sd), 0);
		diff_ok = diff_ok && sd &&
		          dnsd_zdiff_added(gd) == dnsd_zdiff_added(sd) &&
		          dnsd_zdiff_deleted(gd) == dnsd_zdiff_deleted(sd);
		dnsd_zdiff_free(sd);
		if (!diff_ok) {
			fprintf(stderr, "finish: the diff does not lead from "
			                "the old version to the new one\n");
			o->same = false;
		}
	}
	dnsd_zdiff_free(gd);
	if (!o->same)
		print_group("in the group", lim, t, n);
	CHECK(o->same);
}

/* Both ways; the caller calls outcome_free. */
static void run_both(const dnsd_zone *z, const dnsd_update_limits *lim,
                     const tmsg *t, size_t n, outcome *o)
{
	o->seqz = (dnsd_zone *)z;
	dnsd_zone_ref(o->seqz);
	for (size_t i = 0; i < n; i++)
		seq_one(&o->seqz, &t[i], lim, &o->seq[i]);
	group_compare(z, lim, t, n, o);
}

static void outcome_free(outcome *o)
{
	dnsd_zone_unref(o->seqz);
	if (o->gz)
		dnsd_zone_unref(o->gz);
	o->seqz = o->gz = NULL;
}

static void msgs_free(tmsg *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		msg_free(&t[i]);
}

/* ---- hand-written groups ---- */

/* Message 2's 'name not in use' fails on the name message 1 added. */
static void test_name_added_before(void)
{
	dnsd_zone *z = zone_base();
	tmsg t[2];
	msg_begin(&t[0], ORIGIN);
	ADD("new.example.org.", 300, "A", "192.0.2.50");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	PRE("new.example.org.", "NONE", "ANY", NULL);
	ADD("new2.example.org.", 300, "A", "192.0.2.51");
	msg_end();
	outcome o;
	run_both(z, NULL, t, 2, &o);
	CHECK_INT(o.grp[0].rcode, DNSD_RCODE_NOERROR);
	CHECK_INT(o.grp[0].serial, 101);
	CHECK_INT(o.grp[1].rcode, DNSD_RCODE_YXDOMAIN);
	CHECK(strstr(o.grp[1].reason, "new.example.org. is in use") != NULL);
	CHECK_INT(o.grp[1].serial, 101);
	CHECK(!o.grp[1].changed);
	CHECK_INT(count(o.gz, "new.example.org.", DNSD_TYPE_A), 1);
	CHECK(dnsd_zone_find(o.gz, N("new2.example.org.")) == NULL);
	CHECK_INT(o.gz ? dnsd_zone_serial(o.gz) : 0, 101);
	outcome_free(&o);
	msgs_free(t, 2);
	dnsd_zone_unref(z);
}

/* A value-dependent prerequisite holds on message 1's result only. */
static void test_value_after_change(void)
{
	dnsd_zone *z = zone_base();
	tmsg t[3];
	msg_begin(&t[0], ORIGIN);
	ADD("www.example.org.", 3600, "A", "192.0.2.12");
	msg_end();
	msg_begin(&t[1], ORIGIN); /* the new set, in another order */
	PRE("www.example.org.", "IN", "A", "192.0.2.12");
	PRE("www.example.org.", "IN", "A", "192.0.2.10");
	PRE("WWW.example.org.", "IN", "A", "192.0.2.11");
	ADD("ok.example.org.", 300, "TXT", "\"passed\"");
	msg_end();
	msg_begin(&t[2], ORIGIN); /* the old set */
	PRE("www.example.org.", "IN", "A", "192.0.2.10");
	PRE("www.example.org.", "IN", "A", "192.0.2.11");
	ADD("no.example.org.", 300, "TXT", "\"failed\"");
	msg_end();
	outcome o;
	run_both(z, NULL, t, 3, &o);
	CHECK_INT(o.grp[1].rcode, DNSD_RCODE_NOERROR);
	CHECK(o.grp[1].changed);
	CHECK_INT(o.grp[1].serial, 102);
	CHECK_INT(o.grp[2].rcode, DNSD_RCODE_NXRRSET);
	CHECK_INT(count(o.gz, "ok.example.org.", DNSD_TYPE_TXT), 1);
	CHECK_INT(count(o.gz, "no.example.org.", DNSD_TYPE_TXT), 0);
	CHECK_INT(count(o.gz, "www.example.org.", DNSD_TYPE_A), 3);
	outcome_free(&o);
	msgs_free(t, 3);
	dnsd_zone_unref(z);
}

/* Message 1 changes names (one it brings in) and is then refused by a
 * limit; message 2 sees the state without any of it. */
static void test_limit_undo(void)
{
	dnsd_zone *z = zone_base();
	dnsd_update_limits lim = {.max_rrset_records = 3};
	tmsg t[3];
	msg_begin(&t[0], ORIGIN);
	ADD("a.example.org.", 300, "TXT", "\"m1\"");
	ADD("new.example.org.", 300, "A", "192.0.2.50");
	DEL_RRSET("e.example.org.", "ANY");
	ADD("www.example.org.", 3600, "A", "192.0.2.12");
	ADD("www.example.org.", 3600, "A", "192.0.2.13");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	PRE("a.example.org.", "NONE", "TXT", NULL);
	PRE("new.example.org.", "NONE", "ANY", NULL);
	PRE("e.example.org.", "ANY", "TXT", NULL);
	PRE("www.example.org.", "IN", "A", "192.0.2.10");
	PRE("www.example.org.", "IN", "A", "192.0.2.11");
	ADD("a.example.org.", 300, "TXT", "\"m2\"");
	msg_end();
	msg_begin(&t[2], ORIGIN); /* the same refusal again, now later */
	ADD("new.example.org.", 300, "A", "192.0.2.50");
	ADD("www.example.org.", 3600, "A", "192.0.2.12");
	ADD("www.example.org.", 3600, "A", "192.0.2.13");
	msg_end();
	outcome o;
	run_both(z, &lim, t, 3, &o);
	CHECK_INT(o.grp[0].rcode, DNSD_RCODE_REFUSED);
	CHECK(strstr(o.grp[0].reason, "limit") != NULL);
	CHECK_INT(o.grp[0].serial, 100);
	CHECK_INT(o.grp[1].rcode, DNSD_RCODE_NOERROR);
	CHECK_INT(o.grp[1].serial, 101);
	CHECK_INT(o.grp[2].rcode, DNSD_RCODE_REFUSED);
	CHECK_INT(o.grp[2].serial, 101);
	CHECK_INT(count(o.gz, "a.example.org.", DNSD_TYPE_TXT), 1);
	CHECK_INT(count(o.gz, "e.example.org.", DNSD_TYPE_A), 1);
	CHECK(dnsd_zone_find(o.gz, N("new.example.org.")) == NULL);
	CHECK_INT(count(o.gz, "www.example.org.", DNSD_TYPE_A), 2);
	outcome_free(&o);
	msgs_free(t, 3);
	dnsd_zone_unref(z);
}

/* Added by one message, deleted by the next: two changes, the serial up
 * by two, the record gone. */
static void test_add_then_delete(void)
{
	dnsd_zone *z = zone_base();
	tmsg t[2];
	msg_begin(&t[0], ORIGIN);
	ADD("new.example.org.", 300, "A", "192.0.2.50");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	DEL_RR("new.example.org.", "A", "192.0.2.50");
	msg_end();
	outcome o;
	run_both(z, NULL, t, 2, &o);
	CHECK(o.grp[0].changed && o.grp[1].changed);
	CHECK_INT(o.grp[0].serial, 101);
	CHECK_INT(o.grp[1].serial, 102);
	CHECK_INT(o.frc, 0);
	CHECK(o.gz != NULL);
	CHECK_INT(o.gz ? dnsd_zone_serial(o.gz) : 0, 102);
	CHECK_INT(count(o.gz, "new.example.org.", DNSD_TYPE_A), 0);
	CHECK_INT(o.gz ? dnsd_zone_record_count(o.gz) : 0, BASE_RECORDS);
	outcome_free(&o);
	msgs_free(t, 2);
	dnsd_zone_unref(z);
}

/* No message changes anything: no zone, no diff, 0. */
static void test_nothing_changes(void)
{
	dnsd_zone *z = zone_base();
	tmsg t[5];
	msg_begin(&t[0], ORIGIN); /* already there, same TTL */
	ADD("www.example.org.", 3600, "A", "192.0.2.10");
	msg_end();
	msg_begin(&t[1], ORIGIN); /* not there */
	DEL_RR("nope.example.org.", "A", "192.0.2.10");
	DEL_RRSET("www.example.org.", "AAAA");
	msg_end();
	msg_begin(&t[2], ORIGIN); /* a prerequisite fails */
	PRE("nope.example.org.", "ANY", "ANY", NULL);
	ADD("nope.example.org.", 300, "A", "192.0.2.10");
	msg_end();
	msg_begin(&t[3], ORIGIN); /* ignored */
	DEL_RRSET(ORIGIN, "NS");
	ADD("www.example.org.", 300, "CNAME", "mail");
	msg_end();
	msg_begin(&t[4], ORIGIN); /* added and deleted again */
	ADD("new.example.org.", 300, "A", "192.0.2.50");
	DEL_RRSET("new.example.org.", "ANY");
	msg_end();
	outcome o;
	run_both(z, NULL, t, 5, &o);
	CHECK_INT(o.frc, 0);
	CHECK(o.gz == NULL);
	CHECK_INT(o.grp[2].rcode, DNSD_RCODE_NXDOMAIN);
	CHECK_INT(o.grp[3].ignored, 2);
	for (size_t i = 0; i < 5; i++) {
		CHECK(!o.grp[i].changed);
		CHECK_INT(o.grp[i].serial, 100);
	}
	outcome_free(&o);
	msgs_free(t, 5);
	dnsd_zone_unref(z);
}

/* The message given to group_apply is overwritten and freed before
 * finish: the group must hold copies of what it keeps (names, RDATA). */
static void test_message_freed(void)
{
	dnsd_zone *z = zone_base();
	tmsg t[2];
	msg_begin(&t[0], ORIGIN);
	ADD("Fresh.Example.org.", 300, "TXT", "\"kept by the group\"");
	ADD("fresh.example.org.", 300, "MX", "10 Mail.Fresh.example.org.");
	ADD("www.example.org.", 60, "A", "192.0.2.12");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	PRE("fresh.example.org.", "IN", "TXT", "\"kept by the group\"");
	ADD("other.example.org.", 300, "NS", "ns1.elsewhere.net.");
	msg_end();

	dnsd_update_group *g = NULL;
	CHECK_INT(dnsd_update_group_new(z, NULL, &g), 0);
	dnsd_update_result r[2];
	for (size_t i = 0; i < 2; i++) {
		uint8_t *buf = malloc(t[i].len);
		if (!buf)
			abort();
		memcpy(buf, t[i].wire, t[i].len);
		dnsd_arena a;
		dnsd_arena_init(&a, 0);
		dnsd_msg m;
		CHECK_INT(dnsd_msg_parse(buf, t[i].len, &a, &m), 0);
		CHECK_INT(dnsd_update_group_apply(g, &m, &r[i]), 0);
		memset(buf, 0, t[i].len);
		memset(mbuf, 0xff, sizeof mbuf);
		dnsd_arena_reset(&a);
		/* the arena's memory used again for other data */
		memset(dnsd_arena_alloc(&a, 4096), 0x5a, 4096);
		dnsd_arena_free(&a);
		free(buf);
	}
	CHECK_INT(r[0].rcode, DNSD_RCODE_NOERROR);
	CHECK_INT(r[1].rcode, DNSD_RCODE_NOERROR);
	dnsd_zone *gz = NULL;
	dnsd_zdiff *gd = NULL;
	CHECK_INT(dnsd_update_group_finish(g, &gz, &gd, NULL, 0), 0);
	dnsd_update_group_free(g);

	dnsd_zone *seqz = z;
	dnsd_zone_ref(seqz);
	dnsd_update_result s;
	seq_one(&seqz, &t[0], NULL, &s);
	seq_one(&seqz, &t[1], NULL, &s);
	CHECK(gz != NULL && zone_same(gz, seqz));
	const dnsd_rrset *txt = rrset(gz, "fresh.example.org.", DNSD_TYPE_TXT);
	uint8_t rd[64];
	size_t len =
	    rdata_of(DNSD_TYPE_TXT, "\"kept by the group\"", rd, sizeof rd);
	dnsd_rr_iter it;
	if (txt)
		dnsd_rrset_iter(txt, &it);
	CHECK(txt && dnsd_rr_next(&it) &&
	      dnsd_rdata_cmp(DNSD_TYPE_TXT, it.rdata, it.rdlen, rd, len) == 0);
	const dnsd_node *n =
	    gz ? dnsd_zone_find(gz, N("fresh.example.org.")) : NULL;
	/* the spelling of the message (its builder compressed the
	 * suffix to the zone section's "example.org.") */
	CHECK(n && memcmp(dnsd_node_name(n), N("Fresh.example.org."),
	                  dnsd_name_len(dnsd_node_name(n))) == 0);
	CHECK_INT(count(gz, "other.example.org.", DNSD_TYPE_NS), 1);
	dnsd_zdiff_free(gd);
	if (gz)
		dnsd_zone_unref(gz);
	dnsd_zone_unref(seqz);
	msgs_free(t, 2);
	dnsd_zone_unref(z);
}

/* A limit refuses a message that takes two names past it: one that an
 * earlier message of the group touched (a), one it brings in (b). Alone,
 * dnsd_update_apply names the one it met last (b); the group must name
 * the same. */
static void test_limit_reason_order(void)
{
	dnsd_zone *z = zone_base();
	dnsd_update_limits lim = {.max_rrset_records = 3};
	tmsg t[2];
	msg_begin(&t[0], ORIGIN);
	ADD("a.example.org.", 300, "TXT", "\"m1\"");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	ADD("a.example.org.", 3600, "A", "192.0.2.1");
	ADD("a.example.org.", 3600, "A", "192.0.2.2");
	ADD("a.example.org.", 3600, "A", "192.0.2.3");
	ADD("b.example.org.", 3600, "A", "192.0.2.1");
	ADD("b.example.org.", 3600, "A", "192.0.2.2");
	ADD("b.example.org.", 3600, "A", "192.0.2.3");
	ADD("b.example.org.", 3600, "A", "192.0.2.4");
	msg_end();
	outcome o;
	run_both(z, &lim, t, 2, &o);
	CHECK_INT(o.grp[1].rcode, DNSD_RCODE_REFUSED);
	CHECK_STR(o.grp[1].reason, o.seq[1].reason);
	outcome_free(&o);
	msgs_free(t, 2);

	/* the common case: every change touches the apex (the serial), so
	 * after one the apex is an earlier message's name; here the apex
	 * (5 RRsets) and mail (2) grow past 2 RRsets per name */
	lim = (dnsd_update_limits){.max_name_rrsets = 2};
	msg_begin(&t[0], ORIGIN);
	ADD("new.example.org.", 300, "A", "192.0.2.50");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	ADD(ORIGIN, 3600, "AAAA", "2001:db8::1");
	ADD("mail.example.org.", 3600, "TXT", "\"mail\"");
	msg_end();
	run_both(z, &lim, t, 2, &o);
	CHECK_INT(o.grp[0].serial, 101);
	CHECK_INT(o.grp[1].rcode, DNSD_RCODE_REFUSED);
	CHECK_STR(o.grp[1].reason, o.seq[1].reason);
	outcome_free(&o);
	msgs_free(t, 2);
	dnsd_zone_unref(z);
}

/* The letter case of an owner name. One by one, a name takes the
 * spelling of the version it is in (the message's when it is new); a
 * group must not keep the spelling of an earlier message that changed
 * nothing there (here one deleting what is not there) or emptied it. The
 * spelling shows in the zone (answers keep the case) and in the reason
 * of a limit. */
static void test_name_case(void)
{
	dnsd_zone *z = zone_base();
	dnsd_update_limits lim = {.max_rrset_records = 1};
	tmsg t[3];
	msg_begin(&t[0], ORIGIN); /* a no-op */
	DEL_RR("new.example.org.", "A", "192.0.2.1");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	ADD("NEW.example.org.", 300, "A", "192.0.2.1");
	msg_end();
	msg_begin(&t[2], ORIGIN);
	ADD("NEW.example.org.", 300, "A", "192.0.2.2");
	msg_end();
	outcome o;
	run_both(z, &lim, t, 3, &o);
	CHECK(!o.grp[0].changed && o.grp[1].changed);
	CHECK_INT(o.grp[2].rcode, DNSD_RCODE_REFUSED);
	CHECK_STR(o.grp[2].reason, o.seq[2].reason);
	const dnsd_node *gn =
	    o.gz ? dnsd_zone_find(o.gz, N("new.example.org.")) : NULL;
	const dnsd_node *sn = dnsd_zone_find(o.seqz, N("new.example.org."));
	CHECK(gn && sn &&
	      memcmp(dnsd_node_name(gn), dnsd_node_name(sn),
	             dnsd_name_len(dnsd_node_name(sn))) == 0);
	outcome_free(&o);
	msgs_free(t, 3);

	/* emptied, then filled again in other letters */
	msg_begin(&t[0], ORIGIN);
	DEL_RRSET("h1.example.org.", "ANY");
	msg_end();
	msg_begin(&t[1], ORIGIN);
	PRE("H1.example.org.", "NONE", "ANY", NULL);
	ADD("H1.EXAMPLE.org.", 300, "AAAA", "2001:db8::1");
	msg_end();
	msg_begin(&t[2], ORIGIN);
	PRE("h1.Example.org.", "IN", "AAAA", "2001:db8::1");
	DEL_RR("h1.example.org.", "AAAA", "2001:db8::1");
	ADD("h1.example.ORG.", 3600, "A", "192.0.2.201");
	msg_end();
	run_both(z, NULL, t, 3, &o);
	CHECK_INT(o.grp[2].rcode, DNSD_RCODE_NOERROR);
	CHECK_INT(o.grp[2].serial, 103);
	gn = o.gz ? dnsd_zone_find(o.gz, N("h1.example.org.")) : NULL;
	sn = dnsd_zone_find(o.seqz, N("h1.example.org."));
	CHECK(gn && sn &&
	      memcmp(dnsd_node_name(gn), dnsd_node_name(sn),
	             dnsd_name_len(dnsd_node_name(sn))) == 0);
	outcome_free(&o);
	msgs_free(t, 3);
	dnsd_zone_unref(z);
}

/* ---- the differential test ---- */

/* splitmix64, fixed seed: the same groups on every run and platform. */
#ifndef GROUP_SEED
#define GROUP_SEED 0x5eed2136u
#endif
static uint64_t rng = GROUP_SEED;

static uint32_t rnd(uint32_t n)
{
	uint64_t x = (rng += 0x9e3779b97f4a7c15u);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	x ^= x >> 31;
	return (uint32_t)(x % n);
}

/* Names the messages draw from: a few hot ones first, so messages of a
 * group meet on them. */
static const char *const pool_names[] = {
    "www.example.org.",    "example.org.",          "a.example.org.",
    "new.example.org.",    "e.example.org.",        "alias.example.org.",
    "b.example.org.",      "new2.example.org.",     "sub.example.org.",
    "ns.sub.example.org.", "x.ent.example.org.",    "ent.example.org.",
    "*.wild.example.org.", "mail.example.org.",     "ns1.example.org.",
    "h1.example.org.",     "deep.new.example.org.", "WWW.example.org.",
    "NEW.example.org."};
#define POOL_NAMES (sizeof pool_names / sizeof *pool_names)
#define HOT_NAMES  6

static const uint8_t *pool_name(void)
{
	return N(pool_names[rnd(2) ? rnd(HOT_NAMES) : rnd(POOL_NAMES)]);
}

static const struct {
	const char *type;
	const char *vals[4];
	unsigned n;
} pool_types[] = {
    {"A", {"192.0.2.10", "192.0.2.11", "192.0.2.100", "192.0.2.7"}, 4},
    {"AAAA", {"2001:db8::1", "2001:db8::2", "2001:db8::d"}, 3},
    {"TXT", {"\"hello world\"", "\"b\"", "\"x\""}, 3},
    {"MX", {"10 mail", "5 mail", "20 www"}, 3},
    {"CNAME", {"www", "mail", "a"}, 3},
    {"NS", {"ns1", "ns2", "ns.sub", "ns3.elsewhere.net."}, 4},
    {"DNAME", {"elsewhere.net.", "sub"}, 2},
    {"DS",
     {"12345 8 2 "
      "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE8A3B0C0A9B2A6C7B0E4F1A2B"},
     1},
};
#define POOL_TYPES (sizeof pool_types / sizeof *pool_types)

static unsigned pool_type(void)
{
	return rnd(POOL_TYPES);
}

/* A value of pool type i, as wire RDATA in rd. */
static size_t pool_value(unsigned i, uint8_t *rd, size_t cap)
{
	return rdata_of(type_of(pool_types[i].type),
	                pool_types[i].vals[rnd(pool_types[i].n)], rd, cap);
}

static uint32_t pool_ttl(void)
{
	static const uint32_t ttls[] = {3600, 3600, 3600, 3600,
	                                300,  60,   0,    0x80000005u};
	return ttls[rnd(sizeof ttls / sizeof *ttls)];
}

/* An RRset of the current state, at random; false when none was met. */
static bool pick_rrset(const dnsd_zone *z, const uint8_t **name,
                       const dnsd_rrset **rs)
{
	size_t nn = dnsd_zone_node_count(z);
	for (int tries = 0; tries < 8; tries++) {
		const dnsd_node *n = dnsd_zone_node_at(z, rnd((uint32_t)nn));
		unsigned k = dnsd_node_rrset_count(n);
		if (!k)
			continue;
		*name = dnsd_node_name(n);
		*rs = dnsd_node_rrset_at(n, rnd(k));
		return true;
	}
	return false;
}

/* Record i of an RRset. */
static void rrset_record(const dnsd_rrset *s, unsigned i, dnsd_rr_iter *it)
{
	dnsd_rrset_iter(s, it);
	for (unsigned j = 0; j <= i; j++)
		if (!dnsd_rr_next(it))
			abort();
}

/* 'RRset exists (value dependent)' for an RRset of the state: its
 * records in some order, sometimes with a duplicate or one left out. */
static void prereq_values_of(const uint8_t *name, const dnsd_rrset *rs)
{
	unsigned skip = rnd(5) == 0 ? rnd(rs->count) : rs->count;
	unsigned start = rnd(rs->count);
	dnsd_rr_iter it;
	for (unsigned j = 0; j < rs->count; j++) {
		unsigned i = (start + j) % rs->count;
		if (i == skip)
			continue;
		rrset_record(rs, i, &it);
		rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_IN, 0, rs->type,
		        it.rdata, it.rdlen);
		if (rnd(5) == 0) /* a duplicate folds */
			rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_IN, 0,
			        rs->type, it.rdata, it.rdlen);
	}
	if (rnd(6) == 0) { /* one too many */
		uint8_t rd[512];
		unsigned i = pool_type();
		if (type_of(pool_types[i].type) == rs->type)
			rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_IN, 0,
			        rs->type, rd, pool_value(i, rd, sizeof rd));
	}
}

/* One prerequisite of the five kinds; names and types half the time
 * taken from the current state, so that they hold. */
static void gen_prereq(const dnsd_zone *cur)
{
	const uint8_t *name;
	const dnsd_rrset *rs = NULL;
	bool ex = rnd(2) && pick_rrset(cur, &name, &rs);
	unsigned pt = pool_type();
	uint16_t type = ex ? rs->type : type_of(pool_types[pt].type);
	if (!ex)
		name = pool_name();
	uint8_t rd[512];
	switch (rnd(5)) {
	case 0: /* name in use */
		rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_ANY, 0, DNSD_TYPE_ANY,
		        NULL, 0);
		break;
	case 1: /* name not in use */
		rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_NONE, 0,
		        DNSD_TYPE_ANY, NULL, 0);
		break;
	case 2: /* RRset exists */
		rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_ANY, 0, type, NULL,
		        0);
		break;
	case 3: /* RRset does not exist */
		rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_NONE, 0, type, NULL,
		        0);
		break;
	default: /* RRset exists (value dependent) */
		if (ex && rnd(4)) {
			prereq_values_of(name, rs);
			break;
		}
		for (unsigned i = 0, n = 1 + rnd(2); i < n; i++)
			rr_wire(DNSD_SEC_ANSWER, name, DNSD_CLASS_IN, 0,
			        type_of(pool_types[pt].type), rd,
			        pool_value(pt, rd, sizeof rd));
		break;
	}
}

/* An SOA add: the serial above the current one, equal, or below; now
 * and then not at the apex. */
static void gen_soa_add(const dnsd_zone *cur)
{
	static const uint32_t steps[] = {
	    1, 1, 2, 5, 0, 0xffffffffu, 0x7fffffffu, 0x80000000u};
	uint32_t serial =
	    dnsd_zone_serial(cur) + steps[rnd(sizeof steps / sizeof *steps)];
	char text[128];
	snprintf(text, sizeof text, "ns1 hostmaster %u 7200 3600 1209600 300",
	         serial);
	uint8_t rd[256];
	size_t len = rdata_of(DNSD_TYPE_SOA, text, rd, sizeof rd);
	rr_wire(DNSD_SEC_AUTHORITY, rnd(8) ? N(ORIGIN) : pool_name(),
	        DNSD_CLASS_IN, rnd(4) ? 3600 : 300, DNSD_TYPE_SOA, rd, len);
}

/* Deletes at the apex: its NS and SOA are protected. */
static void gen_apex_delete(const dnsd_zone *cur)
{
	const dnsd_node *apex = dnsd_zone_apex(cur);
	const dnsd_rrset *ns = dnsd_node_rrset(apex, DNSD_TYPE_NS);
	const dnsd_rrset *soa = dnsd_node_rrset(apex, DNSD_TYPE_SOA);
	const uint8_t *o = dnsd_node_name(apex);
	dnsd_rr_iter it;
	switch (rnd(6)) {
	case 0: /* one NS record, maybe the last */
	case 1:
		rrset_record(ns, rnd(ns->count), &it);
		rr_wire(DNSD_SEC_AUTHORITY, o, DNSD_CLASS_NONE, 0, DNSD_TYPE_NS,
		        it.rdata, it.rdlen);
		break;
	case 2:
		rr_wire(DNSD_SEC_AUTHORITY, o, DNSD_CLASS_ANY, 0, DNSD_TYPE_NS,
		        NULL, 0);
		break;
	case 3:
		rr_wire(DNSD_SEC_AUTHORITY, o, DNSD_CLASS_ANY, 0, DNSD_TYPE_SOA,
		        NULL, 0);
		break;
	case 4:
		rrset_record(soa, 0, &it);
		rr_wire(DNSD_SEC_AUTHORITY, o, DNSD_CLASS_NONE, 0,
		        DNSD_TYPE_SOA, it.rdata, it.rdlen);
		break;
	default: /* every RRset of the apex: SOA and NS stay */
		rr_wire(DNSD_SEC_AUTHORITY, o, DNSD_CLASS_ANY, 0, DNSD_TYPE_ANY,
		        NULL, 0);
		break;
	}
}

static bool gen_adds;

static void gen_update(const dnsd_zone *cur)
{
	const uint8_t *name;
	const dnsd_rrset *rs;
	dnsd_rr_iter it;
	uint8_t rd[512];
	unsigned pt = pool_type();
	uint16_t type = type_of(pool_types[pt].type);
	/* with limits, adds half the time, to reach them */
	uint32_t k = gen_adds && rnd(2) ? rnd(45) : rnd(100);
	if (!pick_rrset(cur, &name, &rs))
		k = 0; /* nothing picked: a plain add */
	if (k < 30) {  /* add */
		rr_wire(DNSD_SEC_AUTHORITY, pool_name(), DNSD_CLASS_IN,
		        pool_ttl(), type, rd, pool_value(pt, rd, sizeof rd));
	} else if (k < 40) { /* a record already there, maybe another TTL */
		rrset_record(rs, rnd(rs->count), &it);
		rr_wire(DNSD_SEC_AUTHORITY, name, DNSD_CLASS_IN,
		        rnd(2) ? rs->ttl : pool_ttl(), rs->type, it.rdata,
		        it.rdlen);
	} else if (k < 45) { /* a CNAME beside data, or data beside one */
		unsigned c = rnd(2) ? 4 : pt; /* 4: CNAME */
		rr_wire(DNSD_SEC_AUTHORITY, name, DNSD_CLASS_IN, 3600,
		        type_of(pool_types[c].type), rd,
		        pool_value(c, rd, sizeof rd));
	} else if (k < 52) {
		gen_soa_add(cur);
	} else if (k < 60) { /* delete a record, likely absent */
		rr_wire(DNSD_SEC_AUTHORITY, pool_name(), DNSD_CLASS_NONE, 0,
		        type, rd, pool_value(pt, rd, sizeof rd));
	} else if (k < 70) { /* delete a record of the state */
		rrset_record(rs, rnd(rs->count), &it);
		rr_wire(DNSD_SEC_AUTHORITY, name, DNSD_CLASS_NONE, 0, rs->type,
		        it.rdata, it.rdlen);
	} else if (k < 76) { /* delete an RRset, likely absent */
		rr_wire(DNSD_SEC_AUTHORITY, pool_name(), DNSD_CLASS_ANY, 0,
		        type, NULL, 0);
	} else if (k < 82) { /* delete an RRset of the state */
		rr_wire(DNSD_SEC_AUTHORITY, name, DNSD_CLASS_ANY, 0, rs->type,
		        NULL, 0);
	} else if (k < 90) { /* delete every RRset at a name */
		rr_wire(DNSD_SEC_AUTHORITY, rnd(2) ? name : pool_name(),
		        DNSD_CLASS_ANY, 0, DNSD_TYPE_ANY, NULL, 0);
	} else {
		gen_apex_delete(cur);
	}
}

/* A random message against the current state; now and then a broken
 * one (NOTAUTH, FORMERR, NOTZONE), which must change nothing. */
static void gen_msg(const dnsd_zone *cur, tmsg *t)
{
	unsigned bad = rnd(40) == 0 ? 1 + rnd(3) : 0;
	msg_begin(t, bad == 1 ? "example.com." : ORIGIN);
	for (unsigned i = 0, n = rnd(4); i < n; i++)
		gen_prereq(cur);
	if (bad == 2) /* a TTL in a prerequisite */
		rr_wire(DNSD_SEC_ANSWER, pool_name(), DNSD_CLASS_ANY, 5,
		        DNSD_TYPE_A, NULL, 0);
	for (unsigned i = 0, n = 1 + rnd(4); i < n; i++)
		gen_update(cur);
	if (bad == 3) { /* after good ones: the prescan stops them all */
		uint8_t rd[4] = {192, 0, 2, 1};
		rr_wire(DNSD_SEC_AUTHORITY, N("www.example.com."),
		        DNSD_CLASS_IN, 60, DNSD_TYPE_A, rd, 4);
	}
	msg_end();
}

typedef struct stats {
	int groups, limited_groups, messages, changed, limits, prereqs, ignored,
	    errors, checks, mismatches;
} stats;

static bool prereq_failed(int rcode)
{
	return rcode == DNSD_RCODE_YXDOMAIN || rcode == DNSD_RCODE_YXRRSET ||
	       rcode == DNSD_RCODE_NXDOMAIN || rcode == DNSD_RCODE_NXRRSET;
}

static void count_result(stats *st, const dnsd_update_result *r)
{
	st->messages++;
	if (r->changed)
		st->changed++;
	else if (r->rcode == DNSD_RCODE_REFUSED && strstr(r->reason, "limit"))
		st->limits++;
	else if (refused_by_checks(r))
		st->checks++;
	else if (prereq_failed(r->rcode))
		st->prereqs++;
	else if (r->rcode)
		st->errors++;
	if (r->ignored)
		st->ignored++;
}

static void test_random_groups(void)
{
	dnsd_zone *z = zone_base();
	CHECK_INT(dnsd_zone_record_count(z), BASE_RECORDS);
	stats st = {0};
	static outcome o;
	tmsg t[12];
	for (int gi = 0; gi < 300; gi++) {
		dnsd_update_limits lim = {.max_zone_records =
		                              BASE_RECORDS + rnd(5),
		                          .max_rrset_records = 2 + rnd(2),
		                          .max_name_rrsets = 2 + rnd(2)};
		const dnsd_update_limits *l = gi % 2 == 0 ? &lim : NULL;
		gen_adds = l != NULL;
		size_t n = 1 + rnd(12);
		/* each message made against the state the ones before
		 * made, one by one */
		o.seqz = z;
		dnsd_zone_ref(z);
		for (size_t i = 0; i < n; i++) {
			gen_msg(o.seqz, &t[i]);
			seq_one(&o.seqz, &t[i], l, &o.seq[i]);
			count_result(&st, &o.seq[i]);
		}
		group_compare(z, l, t, n, &o);
		if (!o.same) {
			st.mismatches++;
			fprintf(stderr, "(random group %d)\n\n", gi);
		}
		outcome_free(&o);
		msgs_free(t, n);
		st.groups++;
		st.limited_groups += l != NULL;
	}
	printf("# random groups: %d groups (%d with limits), %d messages: "
	       "%d changed, %d refused by limits, %d failed prerequisites, "
	       "%d refused by the zone checks, %d other errors, %d with "
	       "ignored updates; %d groups diverged, %d owner names differ "
	       "in case only\n",
	       st.groups, st.limited_groups, st.messages, st.changed, st.limits,
	       st.prereqs, st.checks, st.errors, st.ignored, st.mismatches,
	       spellings);
	/* the generator reaches what it is for */
	CHECK(st.changed > 300);
	CHECK(st.limits > 20);
	CHECK(st.prereqs > 100);
	CHECK(st.ignored > 100);
	CHECK_INT(st.mismatches, 0);
	dnsd_zone_unref(z);
}

int main(void)
{
	test_name_added_before();
	test_value_after_change();
	test_limit_undo();
	test_add_then_delete();
	test_nothing_changes();
	test_message_freed();
	test_limit_reason_order();
	test_name_case();
	test_random_groups();
	return tap_done();
}
