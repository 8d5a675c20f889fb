/* Arbitrary bytes as a zone file: the parser must never crash, hang or
 * read outside its input. $INCLUDE goes to a read callback that always
 * fails, so nothing outside the input is ever opened. */
#include <dnsd/err.h>
#include <dnsd/zonefile.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, const dnsd_zf_rr *rr)
{
	(void)ctx;
	(void)rr;
	return 0;
}

static void diag(void *ctx, const dnsd_diag *d)
{
	/* touch every octet of the line the parser says it came from */
	unsigned *sum = ctx;
	for (size_t i = 0; d->text && i < d->text_len; i++)
		*sum += (uint8_t)d->text[i];
}

static int no_read(void *ctx, const char *path, char **buf, size_t *len)
{
	(void)ctx;
	(void)path;
	(void)buf;
	(void)len;
	return DNSD_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = {7,   'e', 'x', 'a', 'm',
	                                 'p', 'l', 'e', 0};
	unsigned sum = 0;
	dnsd_zf_opts o = {
	    .origin = origin,
	    .diag = diag,
	    .diag_ctx = &sum,
	    .read = no_read,
	};
	dnsd_zf_result res;
	dnsd_zonefile_parse_mem("fuzz", (const char *)data, size, &o, sink,
	                        NULL, &res);
	return 0;
}
