/* What the engine's unit tests make zones with: a name from text, and a
 * version built from zone-file text. */
#ifndef DNSD_TESTS_UNIT_ZONES_H
#define DNSD_TESTS_UNIT_ZONES_H

#include <dnsd/name.h>
#include <dnsd/zone.h>
#include <dnsd/zonefile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A name in wire form, from text; one of 8 buffers used in turn (abort
 * on a bad name: the tests' own text). */
static inline const uint8_t *N(const char *txt)
{
	static uint8_t bufs[8][DNSD_NAME_MAX];
	static int i;
	uint8_t *b = bufs[i++ % 8];
	if (dnsd_name_from_text(txt, strlen(txt), NULL, b) < 0)
		abort();
	return b;
}

static inline void zones_diag(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	if (d->severity == DNSD_DIAG_ERROR)
		fprintf(stderr, "# zone: %u: %s\n", d->line, d->msg);
}

static inline int zones_sink(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

/* The version text makes under origin (wire form); NULL, the errors on
 * stderr, when it does not load. */
static inline dnsd_zone *zone_from_text(const uint8_t *origin, const char *text)
{
	dnsd_zf_opts o = {.origin = origin, .diag = zones_diag};
	dnsd_zone_builder *b = dnsd_zone_builder_new(origin);
	dnsd_zf_result res;
	dnsd_zone *z = NULL;
	if (!b)
		return NULL;
	if (dnsd_zonefile_parse_mem("z", text, strlen(text), &o, zones_sink, b,
	                            &res) < 0) {
		dnsd_zone_builder_free(b);
		return NULL;
	}
	if (dnsd_zone_builder_finish(b, zones_diag, NULL, NULL, &z) < 0)
		return NULL;
	return z;
}

#endif
