/* Editing a zone file's text to apply a difference (zoneedit.h).
 *
 * One parse of the old text with spans (zonefile.h) finds the lines of
 * the deleted records, the last line of every owner that gets records,
 * and the SOA's tokens; the changes become a list of edits (octet ranges
 * of the old text and what replaces them), sorted and applied in one
 * copy. The result is then parsed and built again and its difference
 * from the old text compared with the one asked for, so an edit that
 * would disturb other records (an owner or TTL that later lines
 * inherit) is refused instead of committed. */
#include <dnsd/err.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/zone.h>
#include <dnsd/zoneedit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- a growing string ---- */

typedef struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
} sbuf;

static bool sb_room(sbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t nc = b->cap ? b->cap : 256;
	while (nc < b->len + n + 1)
		nc *= 2;
	char *ns = realloc(b->s, nc);
	if (!ns) {
		b->oom = true;
		return false;
	}
	b->s = ns;
	b->cap = nc;
	return true;
}

static void sb_add(sbuf *b, const char *s, size_t n)
{
	if (!sb_room(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* ---- the editor's state ---- */

/* What replaces octets [off, end) of the old text: text [t, t + tlen) of
 * the edit buffer. At one offset, new lines go before an owner written
 * in front of the line there (kind), then in the order made (seq). */
enum { E_LINES = 0, E_PREFIX = 1, E_REPLACE = 2 };

typedef struct edit {
	size_t off, end, t, tlen, seq;
	int kind;
} edit;

/* A record d deletes: found once a line of it is seen. */
typedef struct del {
	const dnsd_xfr_rr *rr;
	bool found;
} del;

/* A name added records go beside: where its last line ends, and the
 * $ORIGIN there. */
typedef struct anchor {
	const uint8_t *name;
	bool have;
	size_t end;
	uint8_t origin[DNSD_NAME_MAX];
} anchor;

typedef struct ed {
	const dnsd_zdiff *d;
	const uint8_t *zorigin;
	const char *text;
	size_t len;
	del *dels;
	size_t dmask;
	anchor *anch;
	size_t amask;
	edit *edits;
	size_t nedit, editcap;
	sbuf eb;
	dnsd_zone_builder *old; /* NULL when the caller gave the version */
	dnsd_zone **built;      /* the checked version, for the caller */
	/* the last line that wrote an owner (in the top file) is deleted,
	 * and no line after it took the owner over yet */
	bool def_deleted;
	/* the last record of the top file (for the $ORIGIN at its end) */
	bool have_last;
	size_t last_end;
	uint8_t last_origin[DNSD_NAME_MAX];
	/* the apex SOA as written */
	bool soa_seen, soa_editable;
	const char *soa_where;
	dnsd_zf_span soa;
	const char *eol;
	char *err;
	size_t errcap;
} ed;

static int __attribute__((format(printf, 3, 4)))
fail(ed *e, int code, const char *fmt, ...)
{
	if (e->errcap && !e->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->err, e->errcap, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The first error diagnostic, as FILE:LINE:COL: MESSAGE, becomes the
 * reason. */
static void on_diag(void *ctx, const dnsd_diag *dg)
{
	ed *e = ctx;
	if (dg->severity != DNSD_DIAG_ERROR)
		return;
	if (dg->file && dg->line)
		fail(e, 0, "%s:%u:%u: %s", dg->file, dg->line, dg->col,
		     dg->msg ? dg->msg : "");
	else
		fail(e, 0, "%s", dg->msg ? dg->msg : "");
}

static void add_edit(ed *e, size_t off, size_t end, int kind, const char *t,
                     size_t tlen)
{
	if (e->nedit == e->editcap) {
		size_t nc = e->editcap ? e->editcap * 2 : 32;
		edit *ne = realloc(e->edits, nc * sizeof *ne);
		if (!ne) {
			e->eb.oom = true;
			return;
		}
		e->edits = ne;
		e->editcap = nc;
	}
	size_t at = e->eb.len;
	sb_add(&e->eb, t, tlen);
	e->edits[e->nedit] = (edit){off, end, at, tlen, e->nedit, kind};
	e->nedit++;
}

/* ---- names ---- */

/* name as a zone file writes it where origin is in effect: relative
 * ("www", "@") when at or below origin, absolute otherwise or when
 * origin is NULL. */
static void owner_text(const uint8_t *name, const uint8_t *origin, char *buf,
                       size_t cap)
{
	if (!origin || !dnsd_name_is_subdomain(name, origin)) {
		dnsd_name_to_text(name, buf, cap);
		return;
	}
	int keep = dnsd_name_labels(name) - dnsd_name_labels(origin);
	if (keep == 0) {
		snprintf(buf, cap, "@");
		return;
	}
	uint8_t prefix[DNSD_NAME_MAX];
	size_t o = 0;
	for (int i = 0; i < keep; i++) {
		size_t l = (size_t)name[o] + 1;
		memcpy(prefix + o, name + o, l);
		o += l;
	}
	prefix[o] = 0;
	int n = dnsd_name_to_text(prefix, buf, cap);
	if (n > 0)
		buf[n - 1] = 0; /* the root's dot */
}

/* ---- the tables ---- */

static size_t table_size(size_t n)
{
	size_t s = 16;
	while (s < 2 * n)
		s *= 2;
	return s;
}

static uint32_t del_hash(const uint8_t *owner, uint16_t type)
{
	return dnsd_name_hash(owner) * 31u + type;
}

static del *del_find(ed *e, const dnsd_zf_rr *rr)
{
	if (!e->dels)
		return NULL;
	for (size_t i = del_hash(rr->owner, rr->type) & e->dmask;;
	     i = (i + 1) & e->dmask) {
		const dnsd_xfr_rr *x = e->dels[i].rr;
		if (!x)
			return NULL;
		if (x->type == rr->type &&
		    dnsd_name_equal(x->owner, rr->owner) &&
		    dnsd_rdata_cmp(x->type, x->rdata, x->rdlen, rr->rdata,
		                   rr->rdlen) == 0)
			return &e->dels[i];
	}
}

static anchor *anchor_slot(ed *e, const uint8_t *name)
{
	for (size_t i = dnsd_name_hash(name) & e->amask;;
	     i = (i + 1) & e->amask) {
		anchor *a = &e->anch[i];
		if (!a->name || dnsd_name_equal(a->name, name))
			return a;
	}
}

static anchor *anchor_find(ed *e, const uint8_t *name)
{
	if (!e->anch)
		return NULL;
	anchor *a = anchor_slot(e, name);
	return a->name ? a : NULL;
}

/* Below the apex: names an added record may be placed beside. */
static bool below_apex(const ed *e, const uint8_t *name)
{
	return dnsd_name_is_subdomain(name, e->zorigin) &&
	       dnsd_name_labels(name) > dnsd_name_labels(e->zorigin);
}

static int tables_new(ed *e)
{
	const dnsd_zdiff *d = e->d;
	size_t nd = dnsd_zdiff_deleted(d), na = dnsd_zdiff_added(d), names = 0;
	for (size_t i = 0; i < na; i++)
		names +=
		    (size_t)dnsd_name_labels(dnsd_zdiff_added_at(d, i)->owner) +
		    1;
	e->dmask = table_size(nd) - 1;
	e->amask = table_size(names) - 1;
	e->dels = calloc(e->dmask + 1, sizeof *e->dels);
	e->anch = calloc(e->amask + 1, sizeof *e->anch);
	if (!e->dels || !e->anch)
		return DNSD_ENOMEM;
	for (size_t i = 0; i < nd; i++) {
		const dnsd_xfr_rr *x = dnsd_zdiff_deleted_at(d, i);
		size_t j = del_hash(x->owner, x->type) & e->dmask;
		while (e->dels[j].rr)
			j = (j + 1) & e->dmask;
		e->dels[j].rr = x;
	}
	for (size_t i = 0; i < na; i++) {
		const uint8_t *n = dnsd_zdiff_added_at(d, i)->owner;
		anchor_slot(e, n)->name = n;
		for (n = dnsd_name_parent(n); below_apex(e, n);
		     n = dnsd_name_parent(n))
			anchor_slot(e, n)->name = n;
	}
	return 0;
}

/* ---- reading the old text ---- */

static int on_record(void *ctx, const dnsd_zf_rr *rr, const dnsd_zf_span *s)
{
	ed *e = ctx;
	char nb[DNSD_NAME_TEXT_MAX + 1], tb[16];
	int r = e->old ? dnsd_zone_builder_add(e->old, rr) : 0;
	if (r < 0)
		return r;
	bool editable = !s->included && !s->generated;
	const char *why =
	    s->generated ? "made by $GENERATE" : "read from an $INCLUDEd file";
	if (rr->type == DNSD_TYPE_SOA &&
	    dnsd_name_equal(rr->owner, e->zorigin)) {
		e->soa_seen = true;
		e->soa_editable = editable;
		e->soa_where = why;
		e->soa = *s;
	}
	del *x = del_find(e, rr);
	if (x && !editable) {
		dnsd_name_to_text(rr->owner, nb, sizeof nb);
		return fail(e, DNSD_ENOTSUP,
		            "cannot delete %s %s: it is %s (%s:%u)", nb,
		            dnsd_rrtype_to_text(rr->type, tb), why, rr->file,
		            rr->line);
	}
	if (x) {
		x->found = true;
		add_edit(e, s->off, s->end, E_REPLACE, "", 0);
	}
	if (editable) {
		if (s->owner_written) {
			e->def_deleted = x != NULL;
		} else if (e->def_deleted && !x) {
			/* this line inherited its owner from a deleted one */
			owner_text(rr->owner, s->origin, nb, sizeof nb);
			add_edit(e, s->off, s->off, E_PREFIX, nb, strlen(nb));
			e->def_deleted = false;
		}
		anchor *a = anchor_find(e, rr->owner);
		if (a) {
			a->have = true;
			a->end = s->end;
			memcpy(a->origin, s->origin, dnsd_name_len(s->origin));
		}
	}
	if (!s->included) {
		e->have_last = true;
		e->last_end = s->end;
		memcpy(e->last_origin, s->origin, dnsd_name_len(s->origin));
	}
	return 0;
}

/* The $ORIGIN in effect at the end of the top file: the last record's,
 * changed by the $ORIGIN lines after it. False when one of them is more
 * than a plain name (added records are then written absolute). */
static bool origin_at_end(const ed *e, uint8_t out[DNSD_NAME_MAX])
{
	const char *p = e->text, *end = e->text + e->len;
	const uint8_t *cur = e->zorigin;
	if (e->have_last) {
		p += e->last_end;
		cur = e->last_origin;
	}
	memcpy(out, cur, dnsd_name_len(cur));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le - p > 7 && strncasecmp(p, "$ORIGIN", 7) == 0 &&
		    (p[7] == ' ' || p[7] == '\t')) {
			const char *s = p + 7;
			while (s < le && (*s == ' ' || *s == '\t'))
				s++;
			const char *t = s;
			while (t < le && !memchr(" \t\r;()\"\\", *t, 8))
				t++;
			uint8_t n[DNSD_NAME_MAX];
			if (t < le && !memchr(" \t\r;", *t, 4))
				return false;
			if (t == s ||
			    dnsd_name_from_text(s, (size_t)(t - s), out, n) < 0)
				return false;
			memcpy(out, n, dnsd_name_len(n));
		}
		p = nl ? nl + 1 : end;
	}
	return true;
}

/* ---- the edits ---- */

/* Where a new record of owner goes: after the last line of owner, else
 * of its closest ancestor below the apex; NULL: at the end. */
static const anchor *place(ed *e, const uint8_t *owner)
{
	const anchor *a = anchor_find(e, owner);
	if (a && a->have)
		return a;
	for (const uint8_t *n = dnsd_name_parent(owner); below_apex(e, n);
	     n = dnsd_name_parent(n)) {
		a = anchor_find(e, n);
		if (a && a->have)
			return a;
	}
	return NULL;
}

static int add_records(ed *e)
{
	const dnsd_zdiff *d = e->d;
	uint8_t eo[DNSD_NAME_MAX];
	bool have_eo = origin_at_end(e, eo);
	char nb[DNSD_NAME_TEXT_MAX + 1], tb[16], num[16];
	size_t cap = 0;
	char *rd = NULL;
	for (size_t i = 0; i < dnsd_zdiff_added(d); i++) {
		const dnsd_xfr_rr *x = dnsd_zdiff_added_at(d, i);
		const anchor *a = place(e, x->owner);
		size_t at = a ? a->end : e->len;
		owner_text(x->owner,
		           a         ? a->origin
		           : have_eo ? eo
		                     : NULL,
		           nb, sizeof nb);
		size_t need = (size_t)x->rdlen * 6 + 256;
		if (need > cap) {
			free(rd);
			cap = need;
			rd = malloc(cap);
			if (!rd)
				return DNSD_ENOMEM;
		}
		int r = dnsd_rdata_to_text(x->type, x->rdata, x->rdlen, false,
		                           rd, cap);
		if (r < 0)
			r = dnsd_rdata_to_text(x->type, x->rdata, x->rdlen,
			                       true, rd, cap);
		if (r < 0) {
			free(rd);
			dnsd_name_to_text(x->owner, nb, sizeof nb);
			return fail(e, r, "cannot write %s %s as text: %s", nb,
			            dnsd_rrtype_to_text(x->type, tb),
			            dnsd_strerror(r));
		}
		snprintf(num, sizeof num, "%u", x->ttl);
		sbuf line = {0};
		sb_str(&line, nb);
		sb_str(&line, " ");
		sb_str(&line, num);
		sb_str(&line, " IN ");
		sb_str(&line, dnsd_rrtype_to_text(x->type, tb));
		if (r > 0) {
			sb_str(&line, " ");
			sb_add(&line, rd, (size_t)r);
		}
		sb_str(&line, e->eol);
		if (line.oom)
			e->eb.oom = true;
		else
			add_edit(e, at, at, E_LINES, line.s, line.len);
		free(line.s);
	}
	free(rd);
	return 0;
}

/* The fields of SOA RDATA: the two names and the five numbers. */
static int soa_split(const dnsd_xfr_rr *x, const uint8_t *names[2],
                     uint32_t nums[5])
{
	int r = dnsd_soa_fields(x->rdata, x->rdlen, &nums[0], &nums[1],
	                        &nums[2], &nums[3], &nums[4]);
	if (r < 0)
		return r;
	names[0] = x->rdata;
	names[1] = x->rdata + dnsd_name_len(x->rdata);
	return 0;
}

/* Rewrites, in place, the SOA fields the difference changes. */
static int edit_soa(ed *e)
{
	const dnsd_xfr_rr *from = dnsd_zdiff_from_soa(e->d);
	const dnsd_xfr_rr *to = dnsd_zdiff_to_soa(e->d);
	if (!from || !to)
		return fail(e, DNSD_EINVAL, "the difference has no SOA");
	if (from->ttl == to->ttl && from->rdlen == to->rdlen &&
	    memcmp(from->rdata, to->rdata, to->rdlen) == 0)
		return 0;
	if (!e->soa_seen)
		return fail(e, DNSD_EINVAL, "the text has no SOA record");
	if (!e->soa_editable)
		return fail(e, DNSD_ENOTSUP, "cannot change the SOA: it is %s",
		            e->soa_where);
	if (from->ttl != to->ttl)
		return fail(e, DNSD_ENOTSUP,
		            "cannot change the TTL of the SOA in the text");
	if (e->soa.soa_fields != 7)
		return fail(e, DNSD_ENOTSUP,
		            "cannot change the SOA: its RDATA is not written "
		            "as 7 plain fields");
	const uint8_t *fn[2], *tn[2];
	uint32_t fv[5], tv[5];
	if (soa_split(from, fn, fv) < 0 || soa_split(to, tn, tv) < 0)
		return fail(e, DNSD_EINVAL, "malformed SOA in the difference");
	char buf[DNSD_NAME_TEXT_MAX + 1];
	for (int i = 0; i < 7; i++) {
		if (i < 2) {
			size_t l = dnsd_name_len(tn[i]);
			if (l == dnsd_name_len(fn[i]) &&
			    !memcmp(fn[i], tn[i], l))
				continue;
			dnsd_name_to_text(tn[i], buf, sizeof buf);
		} else {
			if (fv[i - 2] == tv[i - 2])
				continue;
			snprintf(buf, sizeof buf, "%u", tv[i - 2]);
		}
		size_t off = e->soa.soa[i].off;
		add_edit(e, off, off + e->soa.soa[i].len, E_REPLACE, buf,
		         strlen(buf));
	}
	return 0;
}

static int edit_cmp(const void *a, const void *b)
{
	const edit *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The old text with the edits applied, into out. */
static int apply_edits(ed *e, sbuf *out)
{
	qsort(e->edits, e->nedit, sizeof *e->edits, edit_cmp);
	size_t pos = 0;
	for (size_t i = 0; i < e->nedit; i++) {
		const edit *x = &e->edits[i];
		if (x->off < pos)
			return fail(e, DNSD_ENOTSUP,
			            "two changes fall on one line of the text "
			            "(at octet %zu)",
			            x->off);
		sb_add(out, e->text + pos, x->off - pos);
		/* new lines at the end of a file that lacks a last newline */
		if (x->kind == E_LINES && out->len &&
		    out->s[out->len - 1] != '\n')
			sb_str(out, e->eol);
		sb_add(out, e->eb.s + x->t, x->tlen);
		pos = x->end;
	}
	sb_add(out, e->text + pos, e->len - pos);
	if (!out->s)
		sb_add(out, "", 0);
	return out->oom || e->eb.oom ? DNSD_ENOMEM : 0;
}

/* ---- the check ---- */

static bool rr_same(const dnsd_xfr_rr *a, const dnsd_xfr_rr *b)
{
	return a->type == b->type && a->ttl == b->ttl &&
	       dnsd_name_equal(a->owner, b->owner) &&
	       dnsd_rdata_cmp(a->type, a->rdata, a->rdlen, b->rdata,
	                      b->rdlen) == 0;
}

/* The first record of one list that the other does not have in its
 * place, or NULL when the lists are the same. */
static const dnsd_xfr_rr *list_differs(const dnsd_zdiff *a, const dnsd_zdiff *b,
                                       bool added)
{
	size_t na = added ? dnsd_zdiff_added(a) : dnsd_zdiff_deleted(a);
	size_t nb = added ? dnsd_zdiff_added(b) : dnsd_zdiff_deleted(b);
	for (size_t i = 0; i < na || i < nb; i++) {
		const dnsd_xfr_rr *x =
		    i < na ? (added ? dnsd_zdiff_added_at(a, i)
		                    : dnsd_zdiff_deleted_at(a, i))
		           : NULL;
		const dnsd_xfr_rr *y =
		    i < nb ? (added ? dnsd_zdiff_added_at(b, i)
		                    : dnsd_zdiff_deleted_at(b, i))
		           : NULL;
		if (!x || !y || !rr_same(x, y))
			return x ? x : y;
	}
	return NULL;
}

static int sink_builder(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

/* The edited text must make the new version: its difference from the
 * old text is d. */
static int check(ed *e, const char *name, const dnsd_zf_opts *o,
                 const dnsd_zone *old, const char *text, size_t len)
{
	dnsd_zone_builder *b = dnsd_zone_builder_new(e->zorigin);
	dnsd_zone *z = NULL;
	dnsd_zdiff *nd = NULL;
	char nb[DNSD_NAME_TEXT_MAX + 1], tb[16];
	if (!b)
		return DNSD_ENOMEM;
	int r =
	    dnsd_zonefile_parse_mem(name, text, len, o, sink_builder, b, NULL);
	if (r < 0) {
		dnsd_zone_builder_free(b);
		return fail(e, r == DNSD_ENOMEM ? r : DNSD_ENOTSUP,
		            "the edited text does not parse");
	}
	r = dnsd_zone_builder_finish(b, on_diag, e, NULL, &z);
	if (r < 0)
		return fail(e, r, "the new version does not build");
	r = dnsd_zdiff_compute(old, z, &nd);
	if (r < 0) {
		dnsd_zone_unref(z);
		return r;
	}
	const dnsd_xfr_rr *x = list_differs(nd, e->d, false);
	if (!x)
		x = list_differs(nd, e->d, true);
	if (!x && !rr_same(dnsd_zdiff_to_soa(nd), dnsd_zdiff_to_soa(e->d)))
		x = dnsd_zdiff_to_soa(e->d);
	if (x) {
		dnsd_name_to_text(x->owner, nb, sizeof nb);
		r = fail(e, DNSD_ENOTSUP,
		         "editing the text would not give the new version "
		         "(%s %s differs; lines relying on the previous "
		         "record's owner or TTL?)",
		         nb, dnsd_rrtype_to_text(x->type, tb));
	}
	dnsd_zdiff_free(nd);
	if (r == 0 && e->built)
		*e->built = z;
	else
		dnsd_zone_unref(z);
	return r;
}

/* ---- the entry point ---- */

static int run(ed *e, const char *name, const dnsd_zf_opts *o,
               const dnsd_zone *known, sbuf *out)
{
	dnsd_zone *old = NULL;
	dnsd_zf_result res;
	char nb[DNSD_NAME_TEXT_MAX + 1], tb[16];
	int r = tables_new(e);
	if (r < 0)
		return r;
	if (!known && !(e->old = dnsd_zone_builder_new(e->zorigin)))
		return DNSD_ENOMEM;
	r = dnsd_zonefile_parse_spans(name, e->text, e->len, o, on_record, e,
	                              &res);
	if (r < 0)
		return r == DNSD_ESYNTAX ? fail(e, r, "the text does not parse")
		                         : r;
	if (known) {
		old = (dnsd_zone *)known;
		dnsd_zone_ref(old);
	} else {
		r = dnsd_zone_builder_finish(e->old, on_diag, e, NULL, &old);
		e->old = NULL;
		if (r < 0)
			return fail(e, r, "the text does not build");
	}
	for (size_t i = 0; i <= e->dmask && r == 0; i++) {
		const del *x = &e->dels[i];
		if (x->rr && !x->found) {
			dnsd_name_to_text(x->rr->owner, nb, sizeof nb);
			r = fail(e, DNSD_EINVAL,
			         "%s %s to delete is not in the text", nb,
			         dnsd_rrtype_to_text(x->rr->type, tb));
		}
	}
	if (r == 0)
		r = edit_soa(e);
	if (r == 0)
		r = add_records(e);
	if (r == 0)
		r = apply_edits(e, out);
	if (r == 0)
		r = check(e, name, o, old, out->s, out->len);
	dnsd_zone_unref(old);
	return r;
}

static int edit_text(const char *name, const char *text, size_t len,
                     const dnsd_zf_opts *o, const dnsd_zone *known,
                     const dnsd_zdiff *d, char **out, size_t *outlen,
                     dnsd_zone **built, char *err, size_t errcap)
{
	if (built)
		*built = NULL;
	if (err && errcap)
		err[0] = 0;
	*out = NULL;
	*outlen = 0;
	if (!name || (!text && len) || !o || !o->origin || !d)
		return DNSD_EINVAL;
	ed e = {
	    .d = d,
	    .zorigin = o->origin,
	    .text = text ? text : "",
	    .len = len,
	    .err = err,
	    .errcap = err ? errcap : 0,
	    .built = built,
	};
	/* new lines end as the file's first line does */
	const char *nl = memchr(e.text, '\n', len);
	e.eol = nl && nl > e.text && nl[-1] == '\r' ? "\r\n" : "\n";
	dnsd_zf_opts po = *o;
	po.diag = on_diag;
	po.diag_ctx = &e;
	sbuf res = {0};
	int r = run(&e, name, &po, known, &res);
	if (r == 0) {
		*out = res.s;
		*outlen = res.len;
	} else {
		free(res.s);
		if (e.errcap && !e.err[0])
			fail(&e, r, "%s", dnsd_strerror(r));
	}
	dnsd_zone_builder_free(e.old);
	free(e.dels);
	free(e.anch);
	free(e.edits);
	free(e.eb.s);
	return r;
}

int dnsd_zoneedit_apply(const char *name, const char *text, size_t len,
                        const dnsd_zf_opts *o, const dnsd_zdiff *d, char **out,
                        size_t *outlen, char *err, size_t errcap)
{
	return edit_text(name, text, len, o, NULL, d, out, outlen, NULL, err,
	                 errcap);
}

int dnsd_zoneedit_apply_known(const char *name, const char *text, size_t len,
                              const dnsd_zf_opts *o, const dnsd_zone *old,
                              const dnsd_zdiff *d, char **out, size_t *outlen,
                              dnsd_zone **built, char *err, size_t errcap)
{
	if (!old)
		return DNSD_EINVAL;
	return edit_text(name, text, len, o, old, d, out, outlen, built, err,
	                 errcap);
}
