/* Unit tests for the region allocator (arena.h). */
#include "tap.h"
#include <dnsd/arena.h>
#include <stdint.h>

static void test_alloc_and_alignment(void)
{
	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	CHECK_INT(a.chunk_size, 64 * 1024);
	CHECK_INT(a.total, 0);
	uint8_t *prev = NULL;
	for (size_t i = 1; i < 200; i++) {
		uint8_t *p = dnsd_arena_alloc(&a, i);
		CHECK(p != NULL);
		CHECK_INT((uintptr_t)p % 8, 0);
		memset(p, 0xab, i); /* ASan: the whole block is ours */
		if (prev)
			CHECK(p != prev);
		prev = p;
	}
	CHECK(dnsd_arena_alloc(&a, 0) != NULL);
	CHECK(a.total >= 64 * 1024);
	dnsd_arena_free(&a);
	CHECK_INT(a.total, 0);
	CHECK(a.head == NULL);
}

static void test_chunks_and_large(void)
{
	dnsd_arena a;
	dnsd_arena_init(&a, 1024);
	/* several chunks' worth of small allocations stay distinct */
	uint8_t *blocks[100];
	for (int i = 0; i < 100; i++) {
		blocks[i] = dnsd_arena_alloc(&a, 100);
		CHECK(blocks[i] != NULL);
		memset(blocks[i], i, 100);
	}
	int intact = 1;
	for (int i = 0; i < 100; i++)
		for (int j = 0; j < 100; j++)
			if (blocks[i][j] != (uint8_t)i)
				intact = 0;
	CHECK(intact);
	/* a large request gets its own chunk and does not waste the current
	 * one: the next small allocation follows the previous one */
	uint8_t *s1 = dnsd_arena_alloc(&a, 8);
	uint8_t *big = dnsd_arena_alloc(&a, 100000);
	CHECK(big != NULL);
	memset(big, 1, 100000);
	uint8_t *s2 = dnsd_arena_alloc(&a, 8);
	CHECK(s2 == s1 + 8);
	/* sizes that would wrap are refused before malloc sees them */
	CHECK(dnsd_arena_alloc(&a, SIZE_MAX) == NULL);
	CHECK(dnsd_arena_alloc(&a, SIZE_MAX - 3) == NULL);
	dnsd_arena_free(&a);
}

static void test_dup(void)
{
	dnsd_arena a;
	dnsd_arena_init(&a, 0);
	const char *s = "hello, arena";
	char *d = dnsd_arena_strdup(&a, s);
	CHECK_STR(d, s);
	CHECK(d != s);
	uint8_t raw[5] = {1, 2, 3, 0, 5};
	uint8_t *m = dnsd_arena_memdup(&a, raw, sizeof raw);
	CHECK(m && memcmp(m, raw, sizeof raw) == 0);
	CHECK(dnsd_arena_memdup(&a, raw, 0) != NULL);
	dnsd_arena_free(&a);
}

static void test_reset_keeps_one_chunk(void)
{
	dnsd_arena a;
	dnsd_arena_init(&a, 4096);
	for (int i = 0; i < 50; i++)
		CHECK(dnsd_arena_alloc(&a, 1000) != NULL);
	CHECK(dnsd_arena_alloc(&a, 50000) != NULL);
	size_t before = a.total;
	dnsd_arena_reset(&a);
	CHECK(a.total < before);
	CHECK(a.head != NULL);
	size_t one = a.total;
	CHECK(one >= 4096 && one < 4096 + 256);
	/* the kept chunk is reused: no new memory for a small request */
	uint8_t *p = dnsd_arena_alloc(&a, 100);
	CHECK(p != NULL);
	CHECK_INT(a.total, one);
	dnsd_arena_reset(&a);
	uint8_t *q = dnsd_arena_alloc(&a, 100);
	CHECK(q == p);
	dnsd_arena_free(&a);
	/* initialised again after free, and reset on an empty arena */
	dnsd_arena_init(&a, 0);
	dnsd_arena_reset(&a);
	CHECK(a.head == NULL);
	CHECK(dnsd_arena_alloc(&a, 10) != NULL);
	dnsd_arena_free(&a);
}

int main(void)
{
	test_alloc_and_alignment();
	test_chunks_and_large();
	test_dup();
	test_reset_keeps_one_chunk();
	return tap_done();
}
