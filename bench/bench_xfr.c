/* Outgoing transfer benchmark: the CPU time dnsd_xfr_next takes to write
 * a whole AXFR into 65535-octet messages (nothing sent), and the time
 * dnsd_zdiff_compute takes between two versions of the zone that differ
 * in one record. Not a test.
 *
 *   bench_xfr [-n RECORDS] [-r RUNS] [ORIGIN FILE]
 *
 * Without a file, builds the zone bench/load.sh generates (SOA, NS, the
 * name server's address, then RECORDS `host<N> A 10.x.y.z`, default
 * 1000000) in example.com. With ORIGIN FILE, loads that zone file; the
 * second version for the difference is then the same zone loaded again
 * (an empty difference, still a full walk).
 *
 * Output (for scripts), the fastest of RUNS (default 5) runs:
 *   axfr records=N messages=N mb=M seconds=S records_per_s=R
 *   zdiff nodes=N deleted=N added=N seconds=S */
#include <dnsd/err.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/xfr.h>
#include <dnsd/zone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add(dnsd_zone_builder *b, const char *owner, const uint8_t *origin,
               uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t name[DNSD_NAME_MAX];
	if (dnsd_name_from_text(owner, strlen(owner), origin, name) < 0)
		return DNSD_ESYNTAX;
	dnsd_zf_rr rr = {.owner = name,
	                 .type = type,
	                 .rclass = DNSD_CLASS_IN,
	                 .ttl = 3600,
	                 .rdata = rdata,
	                 .rdlen = rdlen};
	return dnsd_zone_builder_add(b, &rr);
}

/* The zone of bench/load.sh; `changed` alters one host's address and
 * bumps the serial. */
static dnsd_zone *make_zone(const uint8_t *origin, size_t n, bool changed)
{
	dnsd_zone_builder *b = dnsd_zone_builder_new(origin);
	if (!b)
		return NULL;
	uint8_t soa[DNSD_NAME_MAX * 2 + 20];
	size_t l = 0;
	int k = dnsd_name_from_text("ns1", 3, origin, soa);
	l += (size_t)k;
	k = dnsd_name_from_text("hostmaster", 10, origin, soa + l);
	l += (size_t)k;
	uint32_t f[5] = {changed ? 2 : 1, 7200, 3600, 1209600, 3600};
	for (int i = 0; i < 5; i++, l += 4)
		for (int j = 0; j < 4; j++)
			soa[l + (size_t)j] = (uint8_t)(f[i] >> (24 - 8 * j));
	uint8_t ns[DNSD_NAME_MAX];
	k = dnsd_name_from_text("ns1", 3, origin, ns);
	const uint8_t a1[4] = {10, 255, 255, 1};
	int rc = add(b, "@", origin, DNSD_TYPE_SOA, soa, (uint16_t)l);
	rc = rc ? rc : add(b, "@", origin, DNSD_TYPE_NS, ns, (uint16_t)k);
	rc = rc ? rc : add(b, "ns1", origin, DNSD_TYPE_A, a1, 4);
	char owner[32];
	for (size_t i = 0; i < n && !rc; i++) {
		uint8_t a[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
		                (uint8_t)i};
		if (changed && i == n / 2)
			a[0] = 11;
		snprintf(owner, sizeof owner, "host%zu", i);
		rc = add(b, owner, origin, DNSD_TYPE_A, a, 4);
	}
	if (rc) {
		dnsd_zone_builder_free(b);
		return NULL;
	}
	dnsd_zone *z = NULL;
	if (dnsd_zone_builder_finish(b, NULL, NULL, NULL, &z) < 0)
		return NULL;
	return z;
}

/* One whole AXFR of z; its messages, records and octets. */
static int axfr_once(const dnsd_zone *z, uint8_t *buf, size_t *messages,
                     size_t *records, size_t *bytes)
{
	dnsd_xfr *x;
	int rc =
	    dnsd_xfr_new(&x, DNSD_XFR_AXFR, z, NULL, 0, 1, dnsd_zone_origin(z),
	                 DNSD_TYPE_AXFR, DNSD_CLASS_IN);
	if (rc < 0)
		return rc;
	*bytes = 0;
	while ((rc = dnsd_xfr_next(x, buf, 65535, 0)) > 0)
		*bytes += (size_t)rc;
	*messages = dnsd_xfr_messages(x);
	*records = dnsd_xfr_records(x);
	dnsd_xfr_free(x);
	return rc;
}

int main(int argc, char **argv)
{
	size_t n = 1000000;
	int runs = 5;
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-n") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "-r") == 0)
			runs = atoi(argv[i + 1]);
		else
			break;
	}
	if (argc - i != 0 && argc - i != 2) {
		fprintf(stderr,
		        "usage: %s [-n RECORDS] [-r RUNS] [ORIGIN FILE]\n",
		        argv[0]);
		return 2;
	}
	uint8_t origin[DNSD_NAME_MAX];
	const char *otext = argc - i == 2 ? argv[i] : "example.com.";
	if (dnsd_name_from_text(otext, strlen(otext), (const uint8_t *)"",
	                        origin) < 0) {
		fprintf(stderr, "%s: bad origin %s\n", argv[0], otext);
		return 2;
	}
	dnsd_zone *z = NULL, *z2 = NULL;
	if (argc - i == 2) {
		dnsd_zf_opts o = {.origin = origin};
		unsigned w;
		if (dnsd_zone_load(argv[i + 1], &o, &w, &z) < 0 ||
		    dnsd_zone_load(argv[i + 1], &o, &w, &z2) < 0) {
			fprintf(stderr, "%s: %s does not load\n", argv[0],
			        argv[i + 1]);
			return 1;
		}
	} else {
		z = make_zone(origin, n, false);
		z2 = make_zone(origin, n, true);
		if (!z || !z2) {
			fprintf(stderr, "%s: building the zone failed\n",
			        argv[0]);
			return 1;
		}
	}
	uint8_t *buf = malloc(65535);
	double best = 1e9;
	size_t messages = 0, records = 0, bytes = 0;
	for (int r = 0; r < runs; r++) {
		double t0 = cpu_now();
		int rc = axfr_once(z, buf, &messages, &records, &bytes);
		double t = cpu_now() - t0;
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", argv[0], dnsd_strerror(rc));
			return 1;
		}
		if (t < best)
			best = t;
	}
	printf("axfr records=%zu messages=%zu mb=%.1f seconds=%.4f "
	       "records_per_s=%.0f\n",
	       records, messages, (double)bytes / 1e6, best,
	       (double)records / best);
	best = 1e9;
	size_t del = 0, added = 0;
	for (int r = 0; r < runs; r++) {
		dnsd_zdiff *d;
		double t0 = cpu_now();
		int rc = dnsd_zdiff_compute(z, z2, &d);
		double t = cpu_now() - t0;
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", argv[0], dnsd_strerror(rc));
			return 1;
		}
		del = dnsd_zdiff_deleted(d);
		added = dnsd_zdiff_added(d);
		dnsd_zdiff_free(d);
		if (t < best)
			best = t;
	}
	printf("zdiff nodes=%zu deleted=%zu added=%zu seconds=%.4f\n",
	       dnsd_zone_node_count(z), del, added, best);
	free(buf);
	dnsd_zone_unref(z);
	dnsd_zone_unref(z2);
	return 0;
}
