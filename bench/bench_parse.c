/* Zone-file parse speed: generates a zone of N A records (default one
 * million, lines like `host123456 3600 IN A 10.1.2.3`), writes it to a
 * temporary file and parses it to a sink that only counts, reading the
 * file included. Prints the time and the peak RSS.
 *   bench_parse [N] */
#include <dnsd/zonefile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int count(void *ctx, const dnsd_zf_rr *rr)
{
	(void)rr;
	++*(unsigned long *)ctx;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	char path[] = "/tmp/bench_parse.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	FILE *f = fdopen(fd, "w");
	fprintf(f, "$ORIGIN example.\n$TTL 3600\n"
	           "@ IN SOA ns hostmaster 1 7200 3600 1209600 300\n"
	           "@ IN NS ns\nns IN A 192.0.2.1\n");
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "host%lu 3600 IN A 10.%lu.%lu.%lu\n", i,
		        (i >> 16) & 255, (i >> 8) & 255, i & 255);
	fclose(f);

	static const uint8_t origin[] = {7,   'e', 'x', 'a', 'm',
	                                 'p', 'l', 'e', 0};
	dnsd_zf_opts o = {.origin = origin};
	dnsd_zf_result res;
	unsigned long got = 0;
	double t0 = now();
	int r = dnsd_zonefile_parse(path, &o, count, &got, &res);
	double t1 = now();
	unlink(path);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("parse: %d, %lu records in %.3f s (%.0f ns/record), "
	       "max RSS %ld MB\n",
	       r, got, t1 - t0, (t1 - t0) * 1e9 / (double)(got ? got : 1),
	       ru.ru_maxrss / 1024);
	return r != 0;
}
