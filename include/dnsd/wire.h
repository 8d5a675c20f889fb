/* The one bounds-checked cursor for all packet reading and writing.
 *
 * The error is sticky: the first failed read or write records a DNSD_E*
 * code in w->err, and every later call is a no-op returning zeros, so a
 * parser checks w->err once at the end. Reads past the end give
 * DNSD_EMALFORM, writes past the capacity DNSD_ESPACE.
 *
 * For reading, base/len is the whole message (compression pointers resolve
 * against it). For writing, base/cap is the output buffer and pos the
 * bytes written so far. No other code does pointer arithmetic on packets
 * (STYLE.md habit 4). */
#ifndef DNSD_WIRE_H
#define DNSD_WIRE_H

#include <dnsd/err.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dnsd_wire {
	uint8_t *base; /* message start (const when reading) */
	size_t len;    /* message length (reading) or capacity (writing) */
	size_t pos;    /* read or write position */
	int err;       /* 0, or the first error */
} dnsd_wire;

static inline void dnsd_wire_init_read(dnsd_wire *w, const uint8_t *buf,
                                       size_t len)
{
	w->base = (uint8_t *)buf;
	w->len = len;
	w->pos = 0;
	w->err = 0;
}

static inline void dnsd_wire_init_write(dnsd_wire *w, uint8_t *buf, size_t cap)
{
	w->base = buf;
	w->len = cap;
	w->pos = 0;
	w->err = 0;
}

static inline size_t dnsd_wire_left(const dnsd_wire *w)
{
	return w->err ? 0 : w->len - w->pos;
}

static inline void dnsd_wire_fail(dnsd_wire *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* True when n more octets can be read/written; sets the error if not. */
static inline bool dnsd_wire_need(dnsd_wire *w, size_t n, int err)
{
	if (w->err)
		return false;
	if (w->len - w->pos < n) {
		w->err = err;
		return false;
	}
	return true;
}

static inline uint8_t dnsd_wire_u8(dnsd_wire *w)
{
	if (!dnsd_wire_need(w, 1, DNSD_EMALFORM))
		return 0;
	return w->base[w->pos++];
}

static inline uint16_t dnsd_wire_u16(dnsd_wire *w)
{
	if (!dnsd_wire_need(w, 2, DNSD_EMALFORM))
		return 0;
	uint16_t v = (uint16_t)(w->base[w->pos] << 8 | w->base[w->pos + 1]);
	w->pos += 2;
	return v;
}

static inline uint32_t dnsd_wire_u32(dnsd_wire *w)
{
	if (!dnsd_wire_need(w, 4, DNSD_EMALFORM))
		return 0;
	const uint8_t *p = w->base + w->pos;
	w->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A pointer to the next n octets, consumed; NULL on error. */
static inline const uint8_t *dnsd_wire_take(dnsd_wire *w, size_t n)
{
	if (!dnsd_wire_need(w, n, DNSD_EMALFORM))
		return NULL;
	const uint8_t *p = w->base + w->pos;
	w->pos += n;
	return p;
}

static inline void dnsd_wire_read(dnsd_wire *w, void *dst, size_t n)
{
	const uint8_t *p = dnsd_wire_take(w, n);
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

static inline void dnsd_wire_skip(dnsd_wire *w, size_t n)
{
	(void)dnsd_wire_take(w, n);
}

static inline void dnsd_wire_put_u8(dnsd_wire *w, uint8_t v)
{
	if (dnsd_wire_need(w, 1, DNSD_ESPACE))
		w->base[w->pos++] = v;
}

static inline void dnsd_wire_put_u16(dnsd_wire *w, uint16_t v)
{
	if (!dnsd_wire_need(w, 2, DNSD_ESPACE))
		return;
	w->base[w->pos] = (uint8_t)(v >> 8);
	w->base[w->pos + 1] = (uint8_t)v;
	w->pos += 2;
}

static inline void dnsd_wire_put_u32(dnsd_wire *w, uint32_t v)
{
	if (!dnsd_wire_need(w, 4, DNSD_ESPACE))
		return;
	uint8_t *p = w->base + w->pos;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	w->pos += 4;
}

static inline void dnsd_wire_put(dnsd_wire *w, const void *src, size_t n)
{
	if (dnsd_wire_need(w, n, DNSD_ESPACE)) {
		if (n)
			memcpy(w->base + w->pos, src, n);
		w->pos += n;
	}
}

/* Overwrite a u16 already written at offset at (< pos): counts, lengths. */
static inline void dnsd_wire_patch_u16(dnsd_wire *w, size_t at, uint16_t v)
{
	if (w->err || at + 2 > w->pos)
		return;
	w->base[at] = (uint8_t)(v >> 8);
	w->base[at + 1] = (uint8_t)v;
}

/* Move the position back to an earlier mark (truncation); clears
 * DNSD_ESPACE so writing may go on, keeps any other error. */
static inline void dnsd_wire_rewind(dnsd_wire *w, size_t mark)
{
	if (mark <= w->pos) {
		w->pos = mark;
		if (w->err == DNSD_ESPACE)
			w->err = 0;
	}
}

#endif
