/* Fuzz target: the config file (config.h), parsed from memory so that
 * nothing is read from the file system (an include is an error there).
 * Checked: no crash or leak; every error line names the file; the result
 * is an error exactly when a message was printed; and a config that
 * loads prints (with its secrets) to a text that loads again, without a
 * message, and prints the same: the round trip of `dnsd -p`. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define NAME "fuzz.conf"
#define DIR  "/nonexistent/dnsd-fuzz"

/* Loads text; returns the result and, in *errs and *nerrs, what was printed
 * (malloc'd). */
static int load(const char *text, size_t len, dnsd_config *c, char **errs,
                size_t *nerrs)
{
	FILE *e = open_memstream(errs, nerrs);
	ASSERT(e);
	int r = dnsd_config_load_mem(NAME, DIR, text, len, c, e);
	fclose(e);
	return r;
}

static char *print(const dnsd_config *c, size_t *len)
{
	char *out;
	FILE *f = open_memstream(&out, len);
	ASSERT(f);
	dnsd_config_print(c, f, true);
	fclose(f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dnsd_config c;
	char *errs;
	size_t nerrs;
	int r = load((const char *)data, size, &c, &errs, &nerrs);

	ASSERT((r < 0) == (nerrs > 0));
	for (char *l = errs; *l; l = strchr(l, '\n') + 1) {
		ASSERT(strncmp(l, NAME ":", strlen(NAME ":")) == 0);
		ASSERT(strchr(l, '\n'));
	}
	free(errs);
	if (r < 0) {
		dnsd_config_free(&c);
		return 0;
	}

	size_t len1, len2;
	char *p1 = print(&c, &len1);
	dnsd_config_free(&c);
	r = load(p1, len1, &c, &errs, &nerrs);
	if (r < 0 || nerrs > 0) {
		fprintf(stderr, "printed:\n%s\nreloaded:\n%s", p1, errs);
		abort();
	}
	free(errs);
	char *p2 = print(&c, &len2);
	dnsd_config_free(&c);
	if (len1 != len2 || memcmp(p1, p2, len1) != 0) {
		fprintf(stderr, "printed:\n%s\nprinted again:\n%s", p1, p2);
		abort();
	}
	free(p1);
	free(p2);
	return 0;
}
