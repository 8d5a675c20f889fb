/* Unit tests for the wire cursor (wire.h) and dnsd_strerror (err.h). */
#include "tap.h"
#include <dnsd/err.h>
#include <dnsd/wire.h>

static void test_read(void)
{
	const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	                       0x07, 0x08, 0x09, 0x0a, 0x0b};
	dnsd_wire w;
	dnsd_wire_init_read(&w, buf, sizeof buf);
	CHECK_INT(dnsd_wire_left(&w), 11);
	CHECK_INT(dnsd_wire_u8(&w), 0x01);
	CHECK_INT(dnsd_wire_u16(&w), 0x0203);
	CHECK_INT(dnsd_wire_u32(&w), 0x04050607);
	const uint8_t *p = dnsd_wire_take(&w, 2);
	CHECK(p == buf + 7);
	uint8_t two[2];
	dnsd_wire_read(&w, two, 2);
	CHECK_INT(two[0], 0x0a);
	CHECK_INT(two[1], 0x0b);
	CHECK_INT(dnsd_wire_left(&w), 0);
	CHECK_INT(w.err, 0);
	/* past the end: sticky DNSD_EMALFORM, zeros, no movement */
	CHECK_INT(dnsd_wire_u8(&w), 0);
	CHECK_INT(w.err, DNSD_EMALFORM);
	w.pos = 0; /* even with data available again, the error stays */
	CHECK_INT(dnsd_wire_u16(&w), 0);
	CHECK_INT(dnsd_wire_u32(&w), 0);
	CHECK(dnsd_wire_take(&w, 1) == NULL);
	CHECK_INT(dnsd_wire_left(&w), 0);
	dnsd_wire_read(&w, two, 2);
	CHECK_INT(two[0], 0);
	CHECK_INT(w.pos, 0);

	/* a partial u32 fails without consuming */
	dnsd_wire_init_read(&w, buf, 3);
	CHECK_INT(dnsd_wire_u32(&w), 0);
	CHECK_INT(w.err, DNSD_EMALFORM);
	CHECK_INT(w.pos, 0);
	dnsd_wire_init_read(&w, buf, 3);
	dnsd_wire_skip(&w, 3);
	CHECK_INT(w.err, 0);
	dnsd_wire_skip(&w, 1);
	CHECK_INT(w.err, DNSD_EMALFORM);
	/* the first error is the one kept */
	dnsd_wire_fail(&w, DNSD_ESPACE);
	CHECK_INT(w.err, DNSD_EMALFORM);
	CHECK(!dnsd_wire_need(&w, 0, DNSD_EMALFORM));
}

static void test_write(void)
{
	uint8_t buf[8];
	dnsd_wire w;
	dnsd_wire_init_write(&w, buf, sizeof buf);
	dnsd_wire_put_u8(&w, 0xaa);
	dnsd_wire_put_u16(&w, 0x1234);
	dnsd_wire_put_u32(&w, 0xdeadbeef);
	CHECK_INT(w.pos, 7);
	CHECK_INT(buf[0], 0xaa);
	CHECK_INT(buf[1], 0x12);
	CHECK_INT(buf[2], 0x34);
	CHECK_INT(buf[3], 0xde);
	CHECK_INT(buf[6], 0xef);
	dnsd_wire_patch_u16(&w, 1, 0xbeef);
	CHECK_INT(buf[1], 0xbe);
	CHECK_INT(buf[2], 0xef);
	/* patch beyond what was written is ignored */
	dnsd_wire_patch_u16(&w, 6, 0x0101);
	CHECK_INT(buf[6], 0xef);
	/* overflow: DNSD_ESPACE, nothing written */
	dnsd_wire_put_u16(&w, 0x5555);
	CHECK_INT(w.err, DNSD_ESPACE);
	CHECK_INT(w.pos, 7);
	dnsd_wire_put_u8(&w, 1);
	CHECK_INT(w.pos, 7);
	/* rewind clears DNSD_ESPACE so writing goes on */
	dnsd_wire_rewind(&w, 3);
	CHECK_INT(w.err, 0);
	CHECK_INT(w.pos, 3);
	dnsd_wire_put(&w, "abcde", 5);
	CHECK_INT(w.pos, 8);
	CHECK(memcmp(buf + 3, "abcde", 5) == 0);
	dnsd_wire_put(&w, "", 0);
	CHECK_INT(w.err, 0);
	dnsd_wire_put(&w, "x", 1);
	CHECK_INT(w.err, DNSD_ESPACE);
	/* rewinding forward is ignored; other errors survive a rewind */
	dnsd_wire_rewind(&w, 2);
	dnsd_wire_rewind(&w, 5);
	CHECK_INT(w.pos, 2);
	dnsd_wire_fail(&w, DNSD_EMALFORM);
	dnsd_wire_rewind(&w, 0);
	CHECK_INT(w.err, DNSD_EMALFORM);
}

static void test_strerror(void)
{
	CHECK_STR(dnsd_strerror(0), "success");
	CHECK_STR(dnsd_strerror(DNSD_EPOINTER), "bad compression pointer");
	CHECK_STR(dnsd_strerror(DNSD_ETSIG), "TSIG verification failed");
	CHECK_STR(dnsd_strerror(-1000), "unknown error");
	CHECK_STR(dnsd_strerror(-2147483647 - 1), "unknown error");
	/* every code has its own text */
	for (int e = DNSD_ENOMEM; e >= DNSD_ETSIG; e--) {
		CHECK(strcmp(dnsd_strerror(e), "unknown error") != 0);
		CHECK(strcmp(dnsd_strerror(e), dnsd_strerror(e + 1)) != 0);
	}
}

int main(void)
{
	test_read();
	test_write();
	test_strerror();
	return tap_done();
}
