/* Query path micro-benchmark: dnsd_query_parse + dnsd_answer alone, no
 * sockets, over the zone and query mix of bench/serve.sh.
 *
 *   bench_answer [--names N] [--queries Q] [--rounds R] [--edns]
 *                [--callgrind] [--zone FILE --origin NAME --queryfile F]
 *
 * The zone is generated as bench/serve_gen.py writes it (hosts hN with A,
 * AAAA on every other, TXT and MX on every tenth; aliases cN; delegations
 * dN with glue ns.dN; *.wild), parsed from memory and built into a zone
 * database. Q query packets (default 100,000) are made up front in the
 * serve.sh mix: 60% A, 10% AAAA, 10% NXDOMAIN, 5% CNAME, 5% wildcard, 5%
 * referral, 5% MX, shuffled with a fixed seed. Every response is checked
 * once (RCODE, AA, section counts) so the loop measures right answers.
 *
 * The timed loop runs parse + answer over the shuffled packets R times
 * (default 20) and prints wall and user CPU ns per query, then the same
 * per query type.
 *
 * --callgrind runs each query type once through its own function
 * (measure_a, measure_nxdomain...) and nothing timed, for
 *   valgrind --tool=callgrind ./bench_answer --callgrind --queries 10000
 *   callgrind_annotate --inclusive=yes callgrind.out.PID | grep measure_
 * whose inclusive instruction counts divided by the query counts printed
 * give instructions per query. bench/answer_ir.sh does exactly that.
 *
 * --zone/--origin/--queryfile answer a dnsperf query file (NAME TYPE per
 * line) over any zone file instead; the totals are printed, and the check
 * only asks for an answer. */
#include <dnsd/answer.h>
#include <dnsd/err.h>
#include <dnsd/msg.h>
#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <dnsd/zone.h>
#include <dnsd/zonefile.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define ALIASES     10000
#define DELEGATIONS 3000
#define PKT_MAX     300

enum {
	Q_A,
	Q_AAAA,
	Q_NXDOMAIN,
	Q_CNAME,
	Q_WILDCARD,
	Q_REFERRAL,
	Q_MX,
	Q_FILE, /* from --queryfile: no expectations */
	Q_KINDS
};

static const struct kind {
	const char *name;
	unsigned share; /* percent of the mix */
	uint8_t rcode;
	bool aa;
	uint16_t an, ns, ar_min; /* expected counts (ar at least) */
} kinds[Q_KINDS] = {
    [Q_A] = {"A", 60, DNSD_RCODE_NOERROR, true, 1, 0, 0},
    [Q_AAAA] = {"AAAA", 10, DNSD_RCODE_NOERROR, true, 1, 0, 0},
    [Q_NXDOMAIN] = {"NXDOMAIN", 10, DNSD_RCODE_NXDOMAIN, true, 0, 1, 0},
    [Q_CNAME] = {"CNAME", 5, DNSD_RCODE_NOERROR, true, 2, 0, 0},
    [Q_WILDCARD] = {"wildcard", 5, DNSD_RCODE_NOERROR, true, 1, 0, 0},
    [Q_REFERRAL] = {"referral", 5, DNSD_RCODE_NOERROR, false, 0, 1, 1},
    [Q_MX] = {"MX", 5, DNSD_RCODE_NOERROR, true, 1, 0, 1},
    [Q_FILE] = {"file", 0, 0, false, 0, 0, 0},
};

typedef struct pkt {
	uint16_t len;
	uint8_t kind;
	uint8_t data[PKT_MAX];
} pkt;

typedef struct bench {
	dnsd_zonedb *db;
	pkt *pkts;
	size_t npkts;
	pkt *by_kind[Q_KINDS]; /* the same packets grouped by kind */
	size_t nkind[Q_KINDS];
	dnsd_answer_opts opts;
	uint8_t out[65536];
	unsigned long sink; /* keeps the loop's results alive */
} bench;

static const char *origin_text = "bench.test.";

static uint64_t rng_state = 20240101;

static uint64_t rnd(void)
{
	/* xorshift64*: fixed seed, the same packets on every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_answer: %s\n", what);
	exit(1);
}

/* ---- the zone ---- */

typedef struct buf {
	char *p;
	size_t len, cap;
} buf;

static void bprintf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void bprintf(buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf");
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? b->cap * 2 : 1 << 20;
		if (!(b->p = realloc(b->p, b->cap)))
			die("out of memory");
	}
}

static unsigned hosts_for(unsigned names)
{
	unsigned fixed = 4 + ALIASES + 2 * DELEGATIONS;
	if (names < fixed + 100)
		die("--names: at least 16104");
	return names - fixed;
}

/* The zone of bench/serve_gen.py, line for line. */
static buf gen_zone(unsigned hosts)
{
	buf b = {0};
	bprintf(&b, "$ORIGIN %s\n$TTL 3600\n", origin_text);
	bprintf(&b, "@ SOA ns1 hostmaster 2024010101 3600 900 604800 300\n"
	            "@ NS ns1\n@ NS ns2\n@ MX 10 h0\n"
	            "ns1 A 192.0.2.1\nns2 A 192.0.2.2\n"
	            "*.wild A 192.0.2.80\n*.wild TXT \"wildcard\"\n");
	for (unsigned i = 0; i < hosts; i++) {
		bprintf(&b, "h%u A 10.%u.%u.%u\n", i, i >> 16 & 255,
		        i >> 8 & 255, i & 255);
		if (i % 2 == 0)
			bprintf(&b, "h%u AAAA 2001:db8::%x:%x\n", i, i >> 16,
			        i & 0xffff);
		if (i % 10 == 0)
			bprintf(&b, "h%u TXT \"host %u\"\n", i, i);
		if (i % 10 == 1)
			bprintf(&b, "h%u MX 10 h%u\n", i, (i * 7) % hosts);
	}
	for (unsigned i = 0; i < ALIASES; i++)
		bprintf(&b, "c%u CNAME h%u\n", i, (i * 13) % hosts);
	for (unsigned i = 0; i < DELEGATIONS; i++)
		bprintf(&b, "d%u NS ns.d%u\nns.d%u A 198.51.%u.%u\n", i, i, i,
		        i >> 8 & 255, i & 255);
	return b;
}

static int add_rr(void *ctx, const dnsd_zf_rr *rr)
{
	return dnsd_zone_builder_add(ctx, rr);
}

static dnsd_zonedb *make_db(const uint8_t *origin, const char *path,
                            const buf *text)
{
	dnsd_zf_opts o = {.origin = origin};
	dnsd_zone *z = NULL;
	int rc;
	if (path) {
		rc = dnsd_zone_load(path, &o, NULL, &z);
	} else {
		dnsd_zone_builder *b = dnsd_zone_builder_new(origin);
		if (!b)
			die("out of memory");
		dnsd_zf_result res;
		rc = dnsd_zonefile_parse_mem("bench.zone", text->p, text->len,
		                             &o, add_rr, b, &res);
		if (rc < 0)
			dnsd_zone_builder_free(b);
		else
			rc = dnsd_zone_builder_finish(b, NULL, NULL, NULL, &z);
	}
	if (rc < 0) {
		fprintf(stderr, "bench_answer: zone: %s\n", dnsd_strerror(rc));
		exit(1);
	}
	dnsd_zonedb *db = dnsd_zonedb_new(&z, 1);
	dnsd_zone_unref(z);
	if (!db)
		die("out of memory");
	return db;
}

/* ---- the queries ---- */

static void make_pkt(pkt *p, int kind, const char *name, uint16_t qtype,
                     bool edns)
{
	uint8_t qname[DNSD_NAME_MAX];
	int n = dnsd_name_from_text(name, strlen(name), NULL, qname);
	if (n < 0) {
		fprintf(stderr, "bench_answer: bad name %s\n", name);
		exit(1);
	}
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = (uint16_t)rnd(), .flags = DNSD_FLAG_RD};
	dnsd_msg_begin(&b, p->data, sizeof p->data, &h);
	dnsd_msg_question(&b, qname, qtype, DNSD_CLASS_IN);
	if (edns)
		dnsd_msg_opt(&b, 1232, 0, 0, 0);
	int len = dnsd_msg_finish(&b);
	if (len < 0)
		die("query does not fit");
	p->len = (uint16_t)len;
	p->kind = (uint8_t)kind;
}

/* One query of a kind, named as serve_gen.py names them. */
static void gen_query(pkt *p, int kind, unsigned hosts, bool edns)
{
	char name[128];
	uint16_t qtype = DNSD_TYPE_A;
	const char *o = origin_text;
	switch (kind) {
	case Q_A:
		snprintf(name, sizeof name, "h%u.%s", rnd_below(hosts), o);
		break;
	case Q_AAAA:
		snprintf(name, sizeof name, "h%u.%s", rnd_below(hosts) & ~1u,
		         o);
		qtype = DNSD_TYPE_AAAA;
		break;
	case Q_NXDOMAIN:
		snprintf(name, sizeof name, "nx%u.%s", rnd_below(1u << 30), o);
		break;
	case Q_CNAME:
		snprintf(name, sizeof name, "c%u.%s", rnd_below(ALIASES), o);
		break;
	case Q_WILDCARD:
		snprintf(name, sizeof name, "w%u.wild.%s", rnd_below(1u << 30),
		         o);
		break;
	case Q_REFERRAL:
		snprintf(name, sizeof name, "www.d%u.%s",
		         rnd_below(DELEGATIONS), o);
		break;
	default:
		snprintf(name, sizeof name, "h%u.%s",
		         rnd_below(hosts / 10) * 10 + 1, o);
		qtype = DNSD_TYPE_MX;
		break;
	}
	make_pkt(p, kind, name, qtype, edns);
}

static void gen_queries(bench *B, size_t q, unsigned hosts, bool edns)
{
	B->pkts = calloc(q, sizeof *B->pkts);
	if (!B->pkts)
		die("out of memory");
	size_t n = 0;
	for (int k = 0; k < Q_FILE; k++)
		for (size_t i = 0; i < q * kinds[k].share / 100; i++)
			gen_query(&B->pkts[n++], k, hosts, edns);
	B->npkts = n;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rnd() % i);
		pkt t = B->pkts[i - 1];
		B->pkts[i - 1] = B->pkts[j];
		B->pkts[j] = t;
	}
}

/* dnsperf's format: NAME TYPE per line. */
static void read_queries(bench *B, const char *path, bool edns)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open the query file");
	size_t cap = 1024;
	B->pkts = malloc(cap * sizeof *B->pkts);
	char line[512];
	while (B->pkts && fgets(line, sizeof line, f)) {
		char name[300], type[32];
		if (sscanf(line, "%299s %31s", name, type) != 2)
			continue;
		uint16_t t;
		if (dnsd_rrtype_from_text(type, strlen(type), &t) < 0)
			die("unknown type in the query file");
		if (B->npkts == cap) {
			cap *= 2;
			B->pkts = realloc(B->pkts, cap * sizeof *B->pkts);
			if (!B->pkts)
				break;
		}
		size_t l = strlen(name);
		if (name[l - 1] != '.' && l + 1 < sizeof name)
			strcat(name, ".");
		make_pkt(&B->pkts[B->npkts++], Q_FILE, name, t, edns);
	}
	fclose(f);
	if (!B->pkts || !B->npkts)
		die("no queries read");
}

static void group(bench *B)
{
	for (size_t i = 0; i < B->npkts; i++)
		B->nkind[B->pkts[i].kind]++;
	for (int k = 0; k < Q_KINDS; k++) {
		B->by_kind[k] = calloc(B->nkind[k] + 1, sizeof(pkt));
		if (!B->by_kind[k])
			die("out of memory");
		B->nkind[k] = 0;
	}
	for (size_t i = 0; i < B->npkts; i++) {
		int k = B->pkts[i].kind;
		B->by_kind[k][B->nkind[k]++] = B->pkts[i];
	}
}

/* ---- the loop ---- */

static inline size_t answer_one(bench *B, const pkt *p)
{
	dnsd_query q;
	int perr = dnsd_query_parse(p->data, p->len, &q);
	size_t len = 0;
	dnsd_answer(B->db, &q, perr, p->data, &B->opts, B->out, sizeof B->out,
	            &len);
	return len;
}

static void run(bench *B, const pkt *p, size_t n)
{
	unsigned long s = 0;
	for (size_t i = 0; i < n; i++)
		s += answer_one(B, &p[i]);
	B->sink += s;
}

/* Every response once: what the kind expects, so a faster path that
 * answers wrong shows here before it shows in a number. */
static void check(bench *B)
{
	for (size_t i = 0; i < B->npkts; i++) {
		const pkt *p = &B->pkts[i];
		const struct kind *k = &kinds[p->kind];
		size_t len = answer_one(B, p);
		dnsd_hdr h;
		bool ok = len && dnsd_hdr_parse(B->out, len, &h) == 0;
		if (ok && p->kind != Q_FILE)
			ok = DNSD_RCODE(h.flags) == k->rcode &&
			     ((h.flags & DNSD_FLAG_AA) != 0) == k->aa &&
			     h.ancount == k->an && h.nscount == k->ns &&
			     h.arcount >= k->ar_min;
		if (!ok) {
			fprintf(stderr,
			        "bench_answer: unexpected %s response "
			        "(query %zu, length %zu)\n",
			        k->name, i, len);
			exit(1);
		}
	}
}

/* One function per kind, never inlined, so callgrind's inclusive cost of
 * each is that kind's instructions. */
#define MEASURE(fn, kind)                                                      \
	__attribute__((noinline)) static void fn(bench *B)                     \
	{                                                                      \
		run(B, B->by_kind[kind], B->nkind[kind]);                      \
	}
MEASURE(measure_a, Q_A)
MEASURE(measure_aaaa, Q_AAAA)
MEASURE(measure_nxdomain, Q_NXDOMAIN)
MEASURE(measure_cname, Q_CNAME)
MEASURE(measure_wildcard, Q_WILDCARD)
MEASURE(measure_referral, Q_REFERRAL)
MEASURE(measure_mx, Q_MX)
MEASURE(measure_file, Q_FILE)
static void (*const measures[Q_KINDS])(bench *) = {
    measure_a,        measure_aaaa,     measure_nxdomain, measure_cname,
    measure_wildcard, measure_referral, measure_mx,       measure_file,
};

__attribute__((noinline)) static void measure_mix(bench *B)
{
	run(B, B->pkts, B->npkts);
}

typedef struct clocks {
	double wall, user;
} clocks;

static clocks now(void)
{
	struct timespec ts;
	struct rusage ru;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	getrusage(RUSAGE_SELF, &ru);
	return (clocks){(double)ts.tv_sec + (double)ts.tv_nsec / 1e9,
	                (double)ru.ru_utime.tv_sec +
	                    (double)ru.ru_utime.tv_usec / 1e6};
}

static void timed(bench *B, const char *label, const pkt *p, size_t n,
                  unsigned rounds)
{
	if (!n)
		return;
	run(B, p, n); /* warm */
	clocks t0 = now();
	for (unsigned r = 0; r < rounds; r++)
		run(B, p, n);
	clocks t1 = now();
	double q = (double)n * rounds;
	printf("%-9s %8zu %9.1f %9.1f\n", label, n,
	       (t1.wall - t0.wall) * 1e9 / q, (t1.user - t0.user) * 1e9 / q);
}

static void usage(void)
{
	fputs("usage: bench_answer [--names N] [--queries Q] [--rounds R] "
	      "[--edns] [--callgrind]\n"
	      "                    [--zone FILE --origin NAME --queryfile "
	      "FILE]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned names = 100000, rounds = 20;
	size_t queries = 100000;
	bool edns = false, callgrind = false;
	const char *zone = NULL, *origin = NULL, *qfile = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--edns"))
			edns = true;
		else if (!strcmp(a, "--callgrind"))
			callgrind = true;
		else if (!v)
			usage();
		else if (!strcmp(a, "--names"))
			names = (unsigned)strtoul(v, NULL, 10), i++;
		else if (!strcmp(a, "--queries"))
			queries = strtoul(v, NULL, 10), i++;
		else if (!strcmp(a, "--rounds"))
			rounds = (unsigned)strtoul(v, NULL, 10), i++;
		else if (!strcmp(a, "--zone"))
			zone = v, i++;
		else if (!strcmp(a, "--origin"))
			origin = v, i++;
		else if (!strcmp(a, "--queryfile"))
			qfile = v, i++;
		else
			usage();
	}
	if (!!zone != !!qfile || (zone && !origin) || !rounds || !queries)
		usage();

	static bench B;
	uint8_t o[DNSD_NAME_MAX];
	if (origin) {
		size_t l = strlen(origin);
		char *t = malloc(l + 2);
		if (!t)
			die("out of memory");
		memcpy(t, origin, l + 1);
		if (!l || t[l - 1] != '.')
			strcat(t, ".");
		origin_text = t;
	}
	if (dnsd_name_from_text(origin_text, strlen(origin_text), NULL, o) < 0)
		usage();
	B.opts = (dnsd_answer_opts){.tcp = false, .edns_payload = 1232};
	if (zone) {
		B.db = make_db(o, zone, NULL);
		read_queries(&B, qfile, edns);
	} else {
		unsigned hosts = hosts_for(names);
		buf text = gen_zone(hosts);
		B.db = make_db(o, NULL, &text);
		free(text.p);
		gen_queries(&B, queries, hosts, edns);
	}
	group(&B);
	check(&B);

	if (callgrind) {
		for (int k = 0; k < Q_KINDS; k++)
			if (B.nkind[k]) {
				measures[k](&B);
				printf("%s %zu\n", kinds[k].name, B.nkind[k]);
			}
		measure_mix(&B);
		printf("mix %zu\n", B.npkts);
		return 0;
	}
	printf("%zu queries%s, %u rounds; ns per query (wall, user CPU)\n",
	       B.npkts, edns ? " with EDNS" : "", rounds);
	printf("%-9s %8s %9s %9s\n", "type", "queries", "wall", "user");
	timed(&B, "mix", B.pkts, B.npkts, rounds);
	for (int k = 0; k < Q_KINDS; k++)
		timed(&B, kinds[k].name, B.by_kind[k], B.nkind[k], rounds);
	return B.sink == 0;
}
