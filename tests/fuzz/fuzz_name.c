/* Fuzz target: names from the wire (and from text). The first input
 * octet picks where in the rest the name starts, so pointers have
 * something to point back at. Every name that parses must survive the
 * other name functions unchanged. */
#include <dnsd/name.h>
#include <stdlib.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void check_name(const uint8_t *n, int len)
{
	ASSERT(len >= 1 && len <= DNSD_NAME_MAX);
	ASSERT(dnsd_name_check(n, (size_t)len) == len);
	ASSERT(dnsd_name_len(n) == (size_t)len);

	/* text and back gives the same octets */
	char txt[DNSD_NAME_TEXT_MAX];
	int tl = dnsd_name_to_text(n, txt, sizeof txt);
	ASSERT(tl > 0 && (size_t)tl < sizeof txt);
	uint8_t back[DNSD_NAME_MAX];
	ASSERT(dnsd_name_from_text(txt, (size_t)tl, NULL, back) == len);
	ASSERT(memcmp(back, n, (size_t)len) == 0);

	/* case folding keeps equality, order and hash */
	dnsd_name_lower(back);
	ASSERT(dnsd_name_equal(back, n));
	ASSERT(dnsd_name_cmp(back, n) == 0);
	ASSERT(dnsd_name_hash(back) == dnsd_name_hash(n));
	ASSERT(dnsd_name_is_subdomain(n, dnsd_name_parent(back)));

	/* written twice with compression: in full, then one pointer */
	uint8_t buf[2 * DNSD_NAME_MAX + 16];
	dnsd_wire w;
	dnsd_compress c;
	dnsd_wire_init_write(&w, buf, sizeof buf);
	dnsd_compress_init(&c);
	dnsd_wire_put_u16(&w, 0);
	dnsd_name_to_wire(&w, n, &c);
	ASSERT(w.pos == 2 + (size_t)len);
	dnsd_name_to_wire(&w, back, &c);
	ASSERT(w.pos == 2 + (size_t)len + (len > 1 ? 2 : 1));
	ASSERT(!w.err);
	dnsd_wire r;
	dnsd_wire_init_read(&r, buf, w.pos);
	r.pos = 2;
	uint8_t got[DNSD_NAME_MAX];
	ASSERT(dnsd_name_from_wire(&r, got) == len);
	ASSERT(memcmp(got, n, (size_t)len) == 0);
	ASSERT(dnsd_name_from_wire(&r, got) == len);
	ASSERT(dnsd_name_equal(got, n));
	ASSERT(r.pos == w.pos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t start = data[0] % (size - 1);
	dnsd_wire w;
	dnsd_wire_init_read(&w, data + 1, size - 1);
	w.pos = start;
	uint8_t n[DNSD_NAME_MAX];
	int len = dnsd_name_from_wire(&w, n);
	if (len >= 0) {
		ASSERT(!w.err && w.pos > start && w.pos <= size - 1);
		check_name(n, len);
	} else {
		ASSERT(w.err == len);
	}

	/* the same octets as presentation text, relative to a fixed origin */
	static const uint8_t origin[] = {7,   'e', 'x', 'a', 'm',
	                                 'p', 'l', 'e', 0};
	len = dnsd_name_from_text((const char *)data + 1, size - 1, origin, n);
	if (len >= 0)
		check_name(n, len);
	return 0;
}
