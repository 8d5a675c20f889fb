/* Zone loading benchmark: parses and builds one zone file with
 * dnsd_zone_load and prints the wall time and the peak resident memory
 * of the process (getrusage), as bench/load.sh compares them with
 * nsd-checkzone and named-checkzone. Not a test.
 *
 *   bench_load [--parse-only] ORIGIN FILE
 *
 * --parse-only runs the zone-file parser alone (records counted, not
 * kept), to split the time between parsing and building.
 *
 * Output (one line, for scripts):
 *   records=N nodes=N seconds=S peak_rss_mb=M zone_mb=Z */
#include <dnsd/err.h>
#include <dnsd/name.h>
#include <dnsd/zone.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_sink(void *ctx, const dnsd_zf_rr *rr)
{
	(void)rr;
	++*(size_t *)ctx;
	return 0;
}

static int parse_only(const char *file, const dnsd_zf_opts *o)
{
	size_t n = 0;
	dnsd_zf_result res;
	double t0 = now();
	int rc = dnsd_zonefile_parse(file, o, count_sink, &n, &res);
	double t1 = now();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("records=%zu seconds=%.3f peak_rss_mb=%.1f (parse only)\n", n,
	       t1 - t0, (double)ru.ru_maxrss / 1024.0);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool parse = argc == 4 && strcmp(argv[1], "--parse-only") == 0;
	if (parse) {
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s [--parse-only] ORIGIN FILE\n",
		        argv[0]);
		return 2;
	}
	uint8_t origin[DNSD_NAME_MAX];
	if (dnsd_name_from_text(argv[1], strlen(argv[1]), (const uint8_t *)"",
	                        origin) < 0) {
		fprintf(stderr, "%s: bad origin %s\n", argv[0], argv[1]);
		return 2;
	}
	dnsd_zf_opts o = {.origin = origin};
	if (parse)
		return parse_only(argv[2], &o);
	dnsd_zone *z = NULL;
	unsigned warnings = 0;
	double t0 = now();
	int rc = dnsd_zone_load(argv[2], &o, &warnings, &z);
	double t1 = now();
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[2],
		        dnsd_strerror(rc));
		return 1;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("records=%zu nodes=%zu seconds=%.3f peak_rss_mb=%.1f "
	       "zone_mb=%.1f\n",
	       dnsd_zone_record_count(z), dnsd_zone_node_count(z), t1 - t0,
	       (double)ru.ru_maxrss / 1024.0,
	       (double)dnsd_zone_memory(z) / (1024.0 * 1024.0));
	dnsd_zone_unref(z);
	return 0;
}
