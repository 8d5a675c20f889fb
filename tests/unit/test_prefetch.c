/* The batch prefetch hints (dnsd_answer_prefetch, dnsd_zone_prefetch_*):
 * after the start and two steps, a name of the zone has gone through its
 * node (the one a lookup finds) and the state is spent; a name not in the
 * zone, out of every zone, or a packet that does not parse, stops early
 * and never touches what is not there. */
#include "tap.h"
#include <dnsd/answer.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/zone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dnsd_zonedb *db;
static const dnsd_zone *zone;

static void load(void)
{
	uint8_t origin[DNSD_NAME_MAX];
	char path[512];
	snprintf(path, sizeof path, "%s/answer/example.com", DNSD_TEST_DATA);
	dnsd_name_from_text("example.com.", 12, NULL, origin);
	dnsd_zf_opts o = {.origin = origin};
	dnsd_zone *z = NULL;
	if (dnsd_zone_load(path, &o, NULL, &z) != 0) {
		fprintf(stderr, "cannot load %s\n", path);
		exit(1);
	}
	db = dnsd_zonedb_new(&z, 1);
	dnsd_zone_unref(z);
	zone = dnsd_zonedb_at(db, 0);
}

static size_t query(const char *text, uint8_t *buf, size_t cap)
{
	uint8_t name[DNSD_NAME_MAX];
	dnsd_name_from_text(text, strlen(text), NULL, name);
	dnsd_hdr h = {.id = 7};
	dnsd_msg_builder b;
	dnsd_msg_begin(&b, buf, cap, &h);
	dnsd_msg_question(&b, name, 1, 1);
	int n = dnsd_msg_finish(&b);
	return n > 0 ? (size_t)n : 0;
}

/* Runs the hints for text; the node the second step went through. */
static const dnsd_node *run(const char *text, bool *spent)
{
	uint8_t buf[512];
	size_t len = query(text, buf, sizeof buf);
	dnsd_zone_prefetch pf;
	dnsd_answer_prefetch(db, buf, len, &pf);
	const dnsd_node *n = NULL;
	for (int step = 0; step < 2; step++) {
		dnsd_zone_prefetch_step(&pf);
		if (pf.zone)
			n = pf.node;
	}
	*spent = pf.zone == NULL;
	dnsd_zone_prefetch_step(&pf); /* a spent state stays spent */
	*spent = *spent && pf.zone == NULL;
	return n;
}

int main(void)
{
	load();
	static const char *const names[] = {
	    "www.example.com.", "WWW.Example.COM.", "ns1.example.com.",
	    "example.com.", "alias.example.com."};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		bool spent;
		const dnsd_node *n = run(names[i], &spent);
		uint8_t name[DNSD_NAME_MAX];
		dnsd_name_from_text(names[i], strlen(names[i]), NULL, name);
		CHECK(n != NULL && n == dnsd_zone_find(zone, name));
		CHECK(spent);
	}
	static const char *const absent[] = {"nothere.example.com.",
	                                     "www.example.org.", "."};
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
		bool spent;
		CHECK(run(absent[i], &spent) == NULL);
		CHECK(spent);
	}
	/* not a query that parses: nothing started */
	uint8_t junk[5] = {1, 2, 3, 4, 5};
	dnsd_zone_prefetch pf = {.zone = zone};
	dnsd_answer_prefetch(db, junk, sizeof junk, &pf);
	CHECK(pf.zone == NULL);
	/* no database published yet */
	uint8_t buf[512];
	size_t len = query("www.example.com.", buf, sizeof buf);
	pf.zone = zone;
	dnsd_answer_prefetch(NULL, buf, len, &pf);
	CHECK(pf.zone == NULL);
	dnsd_zonedb_free(db);
	return tap_done();
}
