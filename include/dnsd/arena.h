/* Region allocator. A zone version lives in one arena, freed as a whole;
 * a query worker's scratch memory is an arena reset after each response.
 * Allocations are 8-byte aligned and never freed one by one. */
#ifndef DNSD_ARENA_H
#define DNSD_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct dnsd_arena_chunk dnsd_arena_chunk;

typedef struct dnsd_arena {
	dnsd_arena_chunk *head; /* current chunk; older chunks chained behind */
	uint8_t *cur, *end;     /* free space of the current chunk */
	size_t chunk_size;      /* size of new chunks */
	size_t total;           /* bytes obtained from malloc, for stats */
} dnsd_arena;

/* chunk_size 0 picks a default (64 KiB). Never fails: memory comes later. */
void dnsd_arena_init(dnsd_arena *a, size_t chunk_size);
/* NULL when malloc fails. Large requests get a chunk of their own. */
void *dnsd_arena_alloc(dnsd_arena *a, size_t size);
void *dnsd_arena_memdup(dnsd_arena *a, const void *p, size_t size);
char *dnsd_arena_strdup(dnsd_arena *a, const char *s);
/* Frees all chunks but the first, which is kept for reuse. */
void dnsd_arena_reset(dnsd_arena *a);
/* Frees everything; the arena may be initialised again. */
void dnsd_arena_free(dnsd_arena *a);

#endif
