/* Zone versions as zone-file text (zonewrite.h). */
#include <dnsd/err.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/wire.h>
#include <dnsd/zonewrite.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	uint16_t rclass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
};

static int rec_cmp(const void *a, const void *b, void *type)
{
	const struct rec *x = a, *y = b;
	return dnsd_rdata_cmp(*(const uint16_t *)type, x->rdata, x->rdlen,
	                      y->rdata, y->rdlen);
}

static int rrset_cmp(const void *a, const void *b)
{
	const dnsd_rrset *x = *(const dnsd_rrset *const *)a;
	const dnsd_rrset *y = *(const dnsd_rrset *const *)b;
	return (x->type > y->type) - (x->type < y->type);
}

/* Splits an RRset's stored records (TYPE CLASS TTL RDLENGTH RDATA each)
 * into recs, sorted in canonical RDATA order. */
static int rrset_records(const dnsd_rrset *s, struct rec *recs)
{
	dnsd_wire w;

	dnsd_wire_init_read(&w, s->data, s->size);
	for (unsigned i = 0; i < s->count; i++) {
		(void)dnsd_wire_u16(&w);
		recs[i].rclass = dnsd_wire_u16(&w);
		recs[i].ttl = dnsd_wire_u32(&w);
		recs[i].rdlen = dnsd_wire_u16(&w);
		recs[i].rdata = dnsd_wire_take(&w, recs[i].rdlen);
	}
	if (w.err)
		return w.err;
	uint16_t type = s->type;
	qsort_r(recs, s->count, sizeof(*recs), rec_cmp, &type);
	return 0;
}

/* The line being made: it grows on DNSD_ESPACE (a 64 KiB RDATA can take
 * four times that in text). */
struct line {
	char *p;
	size_t cap;
};

static int write_rrset(const char *owner, const dnsd_rrset *s, struct line *l,
                       dnsd_zone_line_fn fn, void *ctx)
{
	char tname[16], cname[16];
	struct rec *recs = calloc(s->count ? s->count : 1, sizeof(*recs));
	int rc;

	if (!recs)
		return DNSD_ENOMEM;
	rc = rrset_records(s, recs);
	for (unsigned i = 0; rc == 0 && i < s->count; i++) {
		int head =
		    snprintf(l->p, l->cap, "%s %u %s %s ", owner, recs[i].ttl,
		             dnsd_rrclass_to_text(recs[i].rclass, cname),
		             dnsd_rrtype_to_text(s->type, tname));
		int n;
		while ((n = dnsd_rdata_to_text(
		            s->type, recs[i].rdata, recs[i].rdlen, false,
		            l->p + head, l->cap - (size_t)head)) ==
		       DNSD_ESPACE) {
			char *p = realloc(l->p, l->cap * 2);
			if (!p) {
				free(recs);
				return DNSD_ENOMEM;
			}
			l->p = p;
			l->cap *= 2;
		}
		rc = n < 0 ? n : fn(ctx, l->p, (size_t)head + (size_t)n);
	}
	free(recs);
	return rc;
}

static int write_node(const dnsd_node *n, bool lower, struct line *l,
                      dnsd_zone_line_fn fn, void *ctx)
{
	unsigned count = dnsd_node_rrset_count(n);
	char owner[DNSD_NAME_TEXT_MAX];
	uint8_t name[DNSD_NAME_MAX];
	int rc = 0;

	if (count == 0)
		return 0; /* empty non-terminal */
	memcpy(name, dnsd_node_name(n), dnsd_name_len(dnsd_node_name(n)));
	if (lower)
		dnsd_name_lower(name);
	if (dnsd_name_to_text(name, owner, sizeof(owner)) < 0)
		return DNSD_EMALFORM;
	const dnsd_rrset **sets = calloc(count, sizeof(*sets));
	if (!sets)
		return DNSD_ENOMEM;
	for (unsigned i = 0; i < count; i++)
		sets[i] = dnsd_node_rrset_at(n, i);
	qsort(sets, count, sizeof(*sets), rrset_cmp);
	for (unsigned i = 0; rc == 0 && i < count; i++)
		rc = write_rrset(owner, sets[i], l, fn, ctx);
	free(sets);
	return rc;
}

int dnsd_zone_write(const dnsd_zone *z, bool lower, dnsd_zone_line_fn fn,
                    void *ctx)
{
	/* room for the owner, TTL, class and type before the RDATA */
	struct line l = {.p = malloc(65536 + 512), .cap = 65536 + 512};
	size_t n = dnsd_zone_node_count(z);
	int rc = 0;

	if (!l.p)
		return DNSD_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = write_node(dnsd_zone_node_at(z, i), lower, &l, fn, ctx);
	free(l.p);
	return rc;
}
