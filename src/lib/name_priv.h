/* Octet helpers of the name code, shared with the zone store and the zone
 * database: names compared and lowercased a word at a time. Private to
 * the engine (src/lib). */
#ifndef DNSD_NAME_PRIV_H
#define DNSD_NAME_PRIV_H

#include <dnsd/name.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline void store_le64(uint8_t *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	memcpy(p, &w, 8);
}

/* Lowercases the ASCII letters among 8 octets at once. */
static inline uint64_t lower8(uint64_t x)
{
	uint64_t h = x & 0x7f7f7f7f7f7f7f7full;
	uint64_t ge_a = h + 0x3f3f3f3f3f3f3f3full; /* bit 7: h >= 'A' */
	uint64_t gt_z = h + 0x2525252525252525ull; /* bit 7: h > 'Z' */
	return x | ((ge_a & ~gt_z & ~x & 0x8080808080808080ull) >> 2);
}

static inline uint64_t hash_mix(uint64_t x, uint64_t w)
{
	x = (x ^ w) * 0xff51afd7ed558ccdull;
	return x ^ (x >> 29);
}

static inline uint32_t hash_end(uint64_t x)
{
	x *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(x >> 32);
}

static inline uint64_t hash_start(size_t len)
{
	return 0x9e3779b97f4a7c15ull ^ len;
}

/* dnsd_name_hash of a name of len octets already lowercased and followed
 * by at least 8 readable octets (a lookup key's buffer): whole words, the
 * last one masked. */
static inline uint32_t hash_lowered(const uint8_t *p, size_t len)
{
	uint64_t x = hash_start(len);
	for (; len > 8; len -= 8, p += 8)
		x = hash_mix(x, load_le64(p));
	x = hash_mix(x, load_le64(p) & (~0ull >> (64 - 8 * len)));
	return hash_end(x);
}

static inline uint32_t load_le32(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return w;
}

static inline uint32_t lower4(uint32_t x)
{
	uint32_t h = x & 0x7f7f7f7fu;
	uint32_t ge_a = h + 0x3f3f3f3fu, gt_z = h + 0x25252525u;
	return x | ((ge_a & ~gt_z & ~x & 0x80808080u) >> 2);
}

/* len octets at a and b equal, letter case aside. Words at a time, the
 * last one overlapping: the same octets in the same case (the usual
 * case) cost one compare a word. */
static inline bool octets_eq_ci(const uint8_t *a, const uint8_t *b, size_t len)
{
	if (len >= 8) {
		size_t j = 0;
		for (;; j += 8) {
			if (j + 8 > len)
				j = len - 8;
			uint64_t x = load_le64(a + j), y = load_le64(b + j);
			if (x != y && lower8(x) != lower8(y))
				return false;
			if (j + 8 == len)
				return true;
		}
	}
	if (len >= 4) {
		uint32_t x = load_le32(a), y = load_le32(b);
		uint32_t u = load_le32(a + len - 4), v = load_le32(b + len - 4);
		return (x == y || lower4(x) == lower4(y)) &&
		       (u == v || lower4(u) == lower4(v));
	}
	for (size_t i = 0; i < len; i++)
		if (dnsd_lower[a[i]] != dnsd_lower[b[i]])
			return false;
	return true;
}

/* len octets at a and b equal exactly (lowercased names): the words
 * xored together, the last one overlapping, one test at the end. */
static inline bool octets_eq(const uint8_t *a, const uint8_t *b, size_t len)
{
	if (len >= 8) {
		uint64_t d = load_le64(a + len - 8) ^ load_le64(b + len - 8);
		for (size_t j = 0; j + 8 < len; j += 8)
			d |= load_le64(a + j) ^ load_le64(b + j);
		return d == 0;
	}
	if (len >= 4)
		return load_le32(a) == load_le32(b) &&
		       load_le32(a + len - 4) == load_le32(b + len - 4);
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

#endif
