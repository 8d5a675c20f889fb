/* Zone databases (zone.h): an immutable set of zone versions.
 *
 * Finding the zone of a query name probes an open-addressing table of
 * origins with each suffix of the name, longest first, starting at the
 * label count of the deepest origin: a handful of hash probes, no
 * allocation, whatever the number of zones. A database of a few zones is
 * scanned instead, longest origin first, by length and then octets: no
 * hashing at all for the server of one or two zones. The suffixes come
 * lowercased from the name's lookup key (name.h), shared with the zone. */
#include <dnsd/err.h>
#include <dnsd/zone.h>
#include <stdlib.h>
#include <string.h>

#include "name_priv.h"

/* Up to this many zones, a scan beats hashing the name's suffixes. */
#define SCAN_MAX 8

/* A slot: an origin's hash (dnsd_name_hash) and its zone index + 1, 0
 * for an empty slot; the hash is checked before the zone is touched. */
typedef struct db_slot {
	uint32_t hash;
	uint32_t zone;
} db_slot;

/* An origin lowercased, compared as plain octets with a key's copy. */
typedef struct db_origin {
	uint8_t len;
	uint8_t name[DNSD_NAME_MAX];
} db_origin;

struct dnsd_zonedb {
	size_t n;
	dnsd_zone **zones;
	db_origin *origins; /* per zone */
	db_slot *table;
	uint32_t mask;
	int max_labels;          /* of the deepest origin */
	unsigned nscan;          /* zones scanned instead, 0: probe */
	uint32_t scan[SCAN_MAX]; /* their indices, longest origin first */
};

/* The zones of a small database by decreasing origin length (the first
 * given of two versions of an origin only, as in the table). */
static void scan_order(dnsd_zonedb *db)
{
	unsigned n = 0;
	for (uint32_t j = 0; j <= db->mask; j++) {
		if (!db->table[j].zone)
			continue;
		if (n == SCAN_MAX)
			return; /* too many: probe the table */
		db->scan[n++] = db->table[j].zone - 1;
	}
	for (unsigned i = 1; i < n; i++) {
		uint32_t v = db->scan[i];
		unsigned j = i;
		while (
		    j > 0 &&
		    (db->origins[db->scan[j - 1]].len < db->origins[v].len ||
		     (db->origins[db->scan[j - 1]].len == db->origins[v].len &&
		      db->scan[j - 1] > v))) {
			db->scan[j] = db->scan[j - 1];
			j--;
		}
		db->scan[j] = v;
	}
	db->nscan = n;
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
	db->origins = calloc(n ? n : 1, sizeof *db->origins);
	db->table = calloc(size, sizeof *db->table);
	if (!db->zones || !db->origins || !db->table) {
		free(db->zones);
		free(db->origins);
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
		uint32_t h = dnsd_name_hash(o);
		uint32_t j = h & db->mask;
		bool dup = false;
		for (; db->table[j].zone; j = (j + 1) & db->mask)
			if (dnsd_name_equal(
			        dnsd_zone_origin(
			            db->zones[db->table[j].zone - 1]),
			        o))
				dup = true;
		dnsd_zone_ref(zones[i]);
		db_origin *lo = &db->origins[db->n];
		lo->len = (uint8_t)dnsd_name_len(o);
		memcpy(lo->name, o, lo->len);
		dnsd_name_lower(lo->name);
		db->zones[db->n++] = zones[i];
		if (!dup)
			db->table[j] = (db_slot){h, (uint32_t)db->n};
	}
	scan_order(db);
	return db;
}

void dnsd_zonedb_free(dnsd_zonedb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++)
		dnsd_zone_unref(db->zones[i]);
	free(db->zones);
	free(db->origins);
	free(db->table);
	free(db);
}

/* The zone whose origin is suffix i of k. */
static const dnsd_zone *probe(const dnsd_zonedb *db, const dnsd_name_key *k,
                              unsigned i)
{
	uint32_t h =
	    hash_lowered(k->name + k->off[i], (size_t)k->len - k->off[i]);
	for (uint32_t j = h & db->mask; db->table[j].zone;
	     j = (j + 1) & db->mask) {
		if (db->table[j].hash != h)
			continue;
		const db_origin *o = &db->origins[db->table[j].zone - 1];
		if (o->len == k->len - k->off[i] &&
		    octets_eq(o->name, k->name + k->off[i], o->len))
			return db->zones[db->table[j].zone - 1];
	}
	return NULL;
}

const dnsd_zone *dnsd_zonedb_find_key(const dnsd_zonedb *db,
                                      const dnsd_name_key *k, unsigned from)
{
	if (!db || !db->n || from > k->labels)
		return NULL;
	if (db->nscan) {
		/* suffixes shrink as origins do: one walk along both */
		unsigned i = from;
		for (unsigned s = 0; s < db->nscan; s++) {
			const db_origin *o = &db->origins[db->scan[s]];
			while (i < k->labels &&
			       (size_t)k->len - k->off[i] > o->len)
				i++;
			if ((size_t)k->len - k->off[i] == o->len &&
			    octets_eq(o->name, k->name + k->off[i], o->len))
				return db->zones[db->scan[s]];
		}
		return NULL;
	}
	/* longest first, from the depth of the deepest origin */
	unsigned i = from;
	if ((int)(k->labels - from) > db->max_labels)
		i = k->labels - (unsigned)db->max_labels;
	for (; i <= k->labels; i++) {
		const dnsd_zone *z = probe(db, k, i);
		if (z)
			return z;
	}
	return NULL;
}

const dnsd_zone *dnsd_zonedb_find(const dnsd_zonedb *db, const uint8_t *name)
{
	if (!db || !db->n)
		return NULL;
	dnsd_name_key k;
	dnsd_name_key_init(&k, name);
	return dnsd_zonedb_find_key(db, &k, 0);
}

size_t dnsd_zonedb_count(const dnsd_zonedb *db)
{
	return db ? db->n : 0;
}

dnsd_zone *dnsd_zonedb_at(const dnsd_zonedb *db, size_t i)
{
	return db && i < db->n ? db->zones[i] : NULL;
}
