/* Region allocator (arena.h): bump allocation in chunks chained from the
 * newest, freed as a whole. */
#include <dnsd/arena.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_DEFAULT_CHUNK (64 * 1024)
#define ARENA_ALIGN         8

struct dnsd_arena_chunk {
	dnsd_arena_chunk *next; /* older chunk */
	size_t size;            /* usable octets in data */
	alignas(ARENA_ALIGN) uint8_t data[];
};

void dnsd_arena_init(dnsd_arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->cur = a->end = NULL;
	a->chunk_size = chunk_size ? chunk_size : ARENA_DEFAULT_CHUNK;
	a->total = 0;
}

static dnsd_arena_chunk *chunk_new(dnsd_arena *a, size_t size)
{
	if (size > SIZE_MAX - sizeof(dnsd_arena_chunk))
		return NULL;
	dnsd_arena_chunk *c = malloc(sizeof *c + size);
	if (!c)
		return NULL;
	c->size = size;
	a->total += sizeof *c + size;
	return c;
}

void *dnsd_arena_alloc(dnsd_arena *a, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (a->cur && (size_t)(a->end - a->cur) >= need) {
		void *p = a->cur;
		a->cur += need;
		return p;
	}
	/* A request larger than a quarter chunk gets a chunk of its own,
	 * chained behind the current one so its free space is not lost. */
	if (need > a->chunk_size / 4 && a->head) {
		dnsd_arena_chunk *c = chunk_new(a, need);
		if (!c)
			return NULL;
		c->next = a->head->next;
		a->head->next = c;
		return c->data;
	}
	size_t csize = need > a->chunk_size ? need : a->chunk_size;
	dnsd_arena_chunk *c = chunk_new(a, csize);
	if (!c)
		return NULL;
	c->next = a->head;
	a->head = c;
	a->cur = c->data + need;
	a->end = c->data + csize;
	return c->data;
}

void *dnsd_arena_memdup(dnsd_arena *a, const void *p, size_t size)
{
	void *d = dnsd_arena_alloc(a, size);
	if (d && size)
		memcpy(d, p, size);
	return d;
}

char *dnsd_arena_strdup(dnsd_arena *a, const char *s)
{
	return dnsd_arena_memdup(a, s, strlen(s) + 1);
}

void dnsd_arena_reset(dnsd_arena *a)
{
	/* Keep the oldest chunk of the normal size: the one a worker's
	 * scratch arena reuses query after query without malloc. */
	dnsd_arena_chunk *keep = NULL;
	dnsd_arena_chunk *c = a->head;
	while (c) {
		dnsd_arena_chunk *next = c->next;
		if (c->size == a->chunk_size) {
			if (keep) {
				a->total -= sizeof *keep + keep->size;
				free(keep);
			}
			keep = c;
		} else {
			a->total -= sizeof *c + c->size;
			free(c);
		}
		c = next;
	}
	a->head = keep;
	if (keep) {
		keep->next = NULL;
		a->cur = keep->data;
		a->end = keep->data + keep->size;
	} else {
		a->cur = a->end = NULL;
	}
}

void dnsd_arena_free(dnsd_arena *a)
{
	dnsd_arena_chunk *c = a->head;
	while (c) {
		dnsd_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->cur = a->end = NULL;
	a->total = 0;
}
