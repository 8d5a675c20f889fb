/* Zone databases (zone.h): an immutable set of zone versions.
 *
 * Finding the zone of a query name probes an open-addressing table of
 * origins with each suffix of the name, longest first, starting at the
 * label count of the deepest origin: a handful of hash probes, no
 * allocation, whatever the number of zones. */
#include <dnsd/err.h>
#include <dnsd/zone.h>
#include <stdlib.h>
#include <string.h>

struct dnsd_zonedb {
	size_t n;
	dnsd_zone **zones;
	uint32_t *table; /* zone index + 1, 0 for empty */
	uint32_t mask;
	int max_labels; /* of the deepest origin */
};

static uint32_t origin_hash(const uint8_t *name)
{
	uint32_t h = dnsd_name_hash(name);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

dnsd_zonedb *dnsd_zonedb_new(dnsd_zone *const *zones, size_t n)
{
	if (n >= UINT32_MAX / 4)
		return NULL;
	dnsd_zonedb *db = calloc(1, sizeof *db);
	if (!db)
		return NULL;
	size_t size = 4;
	while (size < 2 * n)
		size *= 2;
	db->zones = calloc(n ? n : 1, sizeof *db->zones);
	db->table = calloc(size, sizeof *db->table);
	if (!db->zones || !db->table) {
		free(db->zones);
		free(db->table);
		free(db);
		return NULL;
	}
	db->mask = (uint32_t)(size - 1);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *o = dnsd_zone_origin(zones[i]);
		int labels = dnsd_name_labels(o);
		if (labels > db->max_labels)
			db->max_labels = labels;
		/* With two versions of one origin, the first given wins. */
		uint32_t j = origin_hash(o) & db->mask;
		bool dup = false;
		for (; db->table[j]; j = (j + 1) & db->mask)
			if (dnsd_name_equal(
			        dnsd_zone_origin(db->zones[db->table[j] - 1]),
			        o))
				dup = true;
		dnsd_zone_ref(zones[i]);
		db->zones[db->n++] = zones[i];
		if (!dup)
			db->table[j] = (uint32_t)db->n;
	}
	return db;
}

void dnsd_zonedb_free(dnsd_zonedb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++)
		dnsd_zone_unref(db->zones[i]);
	free(db->zones);
	free(db->table);
	free(db);
}

static const dnsd_zone *probe(const dnsd_zonedb *db, const uint8_t *name)
{
	for (uint32_t j = origin_hash(name) & db->mask; db->table[j];
	     j = (j + 1) & db->mask) {
		const dnsd_zone *z = db->zones[db->table[j] - 1];
		if (dnsd_name_equal(dnsd_zone_origin(z), name))
			return z;
	}
	return NULL;
}

const dnsd_zone *dnsd_zonedb_find(const dnsd_zonedb *db, const uint8_t *name)
{
	if (!db || !db->n)
		return NULL;
	int labels = dnsd_name_labels(name);
	for (; labels > db->max_labels; labels--)
		name = dnsd_name_parent(name);
	for (;;) {
		const dnsd_zone *z = probe(db, name);
		if (z || dnsd_name_is_root(name))
			return z;
		name = dnsd_name_parent(name);
	}
}

size_t dnsd_zonedb_count(const dnsd_zonedb *db)
{
	return db ? db->n : 0;
}

dnsd_zone *dnsd_zonedb_at(const dnsd_zonedb *db, size_t i)
{
	return db && i < db->n ? db->zones[i] : NULL;
}
