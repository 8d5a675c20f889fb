/* xfr_fetch: the transfer client of the daemon (src/daemon/xfrclient.c)
 * on its own, for tests/system/xfr_in.sh: one AXFR or IXFR of ZONE from
 * ADDR PORT, the version it makes written to standard output in the
 * canonical text of dnsd-checkzone --print, a summary line on standard
 * error; exit 0, or 1 with the error.
 *   xfr_fetch ADDR PORT ZONE AXFR|IXFR [KEY|-] [HELD-ZONE-FILE] */
#include "xfrclient.h"

#include <dnsd/keystore.h>
#include <dnsd/rrtype.h>
#include <dnsd/zonefile.h>
#include <dnsd/zonewrite.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct event_base *base;
static int status = 1;

static int print_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	return fwrite(line, 1, len, stdout) == len && putchar('\n') != EOF ? 0
	                                                                   : -1;
}

static void done(void *ctx, int rc, const char *why, dnsd_xfrin_result *res)
{
	static const char *kinds[] = {"none", "uptodate", "axfr", "ixfr"};
	(void)ctx;
	if (rc < 0) {
		fprintf(stderr, "error %d: %s\n", rc, why);
	} else {
		fprintf(stderr, "%s serial %u messages %zu records %zu%s\n",
		        kinds[res->kind], res->serial, res->messages,
		        res->records, res->diff ? " diff" : "");
		status = res->zone &&
		         dnsd_zone_write(res->zone, true, print_line, NULL) < 0;
	}
	if (res->zone)
		dnsd_zone_unref(res->zone);
	dnsd_zdiff_free(res->diff);
	event_base_loopexit(base, NULL);
}

static void quiet(void *ctx, const dnsd_diag *d)
{
	(void)ctx;
	(void)d;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	uint8_t zone[DNSD_NAME_MAX];
	dnsd_key k;
	dnsd_zone *held = NULL;
	char err[300];

	if (argc < 5 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
	    dnsd_name_from_text(argv[3], strlen(argv[3]), NULL, zone) < 0) {
		fprintf(stderr, "usage: xfr_fetch ADDR PORT ZONE AXFR|IXFR "
		                "[KEY|-] [HELD-ZONE-FILE]\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	bool keyed = argc > 5 && strcmp(argv[5], "-") != 0;
	if (keyed && dnsd_key_from_text(argv[5], &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "key: %s\n", err);
		return 2;
	}
	dnsd_zf_opts zo = {.origin = zone, .diag = quiet};
	if (argc > 6 && dnsd_zone_load(argv[6], &zo, NULL, &held) < 0) {
		fprintf(stderr, "%s does not load\n", argv[6]);
		return 2;
	}
	xfrclient_opts o = {.peer = (struct sockaddr *)&sa,
	                    .peerlen = sizeof(sa),
	                    .zone = zone,
	                    .qtype = strcmp(argv[4], "IXFR") == 0
	                                 ? DNSD_TYPE_IXFR
	                                 : DNSD_TYPE_AXFR,
	                    .cur = held,
	                    .key = keyed ? &k : NULL,
	                    .lim = {.max_records = 1000000},
	                    .timeout = 10};
	xfrclient *c;
	base = event_base_new();
	int rc = xfrclient_start(base, &o, done, NULL, &c);
	if (rc < 0) {
		fprintf(stderr, "error %d: cannot start\n", rc);
		return 1;
	}
	event_base_dispatch(base);
	event_base_free(base);
	if (held)
		dnsd_zone_unref(held);
	return status;
}
