/* Query path micro-benchmark: dnsd_query_parse + dnsd_answer alone, no
 * sockets, over the zone and query mix of bench/serve.sh.
 *
 *   bench_answer [--names N] [--queries Q] [--rounds R] [--edns]
 *                [--callgrind] [--zone FILE --origin NAME --queryfile F]
 *                [--dump FILE]
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
 * (default 20) and prints ns per query of the best round, the mean wall
 * time and the mean user CPU, then the same per query type (each type's
 * packets alone, so its share of the zone stays warmer than in the mix).
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
 * only asks for an answer.
 *
 * --dump FILE writes every response of the mix (length, octets) and
 * stops: comparing the files of two builds shows whether a change to the
 * engine changed any answer. */
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
#define PKT_MAX     512

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

/* A query packet of a set. The octets of a set are packed one after
 * the other, so the loop streams through a few MB, as a server's receive
 * buffers stay in cache, instead of evicting the zone with padding. */
typedef struct pkt {
	uint32_t off; /* in the set's octets */
	uint16_t len;
	uint8_t kind;
} pkt;

typedef struct pktset {
	uint8_t *bytes;
	size_t used, cap;
	pkt *p;
	size_t n, pcap;
} pktset;

typedef struct bench {
	dnsd_zonedb *db;
	pktset all;              /* the mix, shuffled */
	pktset by_kind[Q_KINDS]; /* the same packets grouped by kind */
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

static void set_add(pktset *s, const uint8_t *data, size_t len, int kind)
{
	if (s->n == s->pcap) {
		s->pcap = s->pcap ? 2 * s->pcap : 1024;
		if (!(s->p = realloc(s->p, s->pcap * sizeof *s->p)))
			die("out of memory");
	}
	while (s->cap - s->used < len) {
		s->cap = s->cap ? 2 * s->cap : 65536;
		if (!(s->bytes = realloc(s->bytes, s->cap)))
			die("out of memory");
	}
	memcpy(s->bytes + s->used, data, len);
	s->p[s->n++] = (pkt){(uint32_t)s->used, (uint16_t)len, (uint8_t)kind};
	s->used += len;
}

static void make_pkt(pktset *s, int kind, const char *name, uint16_t qtype,
                     bool edns)
{
	uint8_t qname[DNSD_NAME_MAX];
	int n = dnsd_name_from_text(name, strlen(name), NULL, qname);
	if (n < 0) {
		fprintf(stderr, "bench_answer: bad name %s\n", name);
		exit(1);
	}
	uint8_t data[PKT_MAX];
	dnsd_msg_builder b;
	dnsd_hdr h = {.id = (uint16_t)rnd(), .flags = DNSD_FLAG_RD};
	dnsd_msg_begin(&b, data, sizeof data, &h);
	dnsd_msg_question(&b, qname, qtype, DNSD_CLASS_IN);
	if (edns)
		dnsd_msg_opt(&b, 1232, 0, 0, 0);
	int len = dnsd_msg_finish(&b);
	if (len < 0)
		die("query does not fit");
	set_add(s, data, (size_t)len, kind);
}

/* One query of a kind, named as serve_gen.py names them. */
static void gen_query(pktset *s, int kind, unsigned hosts, bool edns)
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
	make_pkt(s, kind, name, qtype, edns);
}

static void gen_queries(bench *B, size_t q, unsigned hosts, bool edns)
{
	/* made kind by kind, then copied over in shuffled order */
	pktset made = {0};
	for (int k = 0; k < Q_FILE; k++)
		for (size_t i = 0; i < q * kinds[k].share / 100; i++)
			gen_query(&made, k, hosts, edns);
	for (size_t i = made.n; i > 1; i--) {
		size_t j = (size_t)(rnd() % i);
		pkt t = made.p[i - 1];
		made.p[i - 1] = made.p[j];
		made.p[j] = t;
	}
	for (size_t i = 0; i < made.n; i++)
		set_add(&B->all, made.bytes + made.p[i].off, made.p[i].len,
		        made.p[i].kind);
	free(made.bytes);
	free(made.p);
}

/* dnsperf's format: NAME TYPE per line. */
static void read_queries(bench *B, const char *path, bool edns)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open the query file");
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char name[300], type[32];
		if (sscanf(line, "%299s %31s", name, type) != 2)
			continue;
		uint16_t t;
		if (dnsd_rrtype_from_text(type, strlen(type), &t) < 0)
			die("unknown type in the query file");
		size_t l = strlen(name);
		if (name[l - 1] != '.' && l + 1 < sizeof name)
			strcat(name, ".");
		make_pkt(&B->all, Q_FILE, name, t, edns);
	}
	fclose(f);
	if (!B->all.n)
		die("no queries read");
}

static void group(bench *B)
{
	for (size_t i = 0; i < B->all.n; i++) {
		const pkt *p = &B->all.p[i];
		set_add(&B->by_kind[p->kind], B->all.bytes + p->off, p->len,
		        p->kind);
	}
}

/* ---- the loop ---- */

static inline size_t answer_one(bench *B, const pktset *s, size_t i)
{
	const uint8_t *data = s->bytes + s->p[i].off;
	dnsd_query q;
	int perr = dnsd_query_parse(data, s->p[i].len, &q);
	size_t len = 0;
	dnsd_answer(B->db, &q, perr, data, &B->opts, B->out, sizeof B->out,
	            &len);
	return len;
}

static void run(bench *B, const pktset *s)
{
	unsigned long sum = 0;
	for (size_t i = 0; i < s->n; i++)
		sum += answer_one(B, s, i);
	B->sink += sum;
}

/* Every response once: what the kind expects, so a faster path that
 * answers wrong shows here before it shows in a number. */
static void check(bench *B)
{
	for (size_t i = 0; i < B->all.n; i++) {
		int kind = B->all.p[i].kind;
		const struct kind *k = &kinds[kind];
		size_t len = answer_one(B, &B->all, i);
		dnsd_hdr h;
		bool ok = len && dnsd_hdr_parse(B->out, len, &h) == 0;
		if (ok && kind != Q_FILE)
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

/* Every response of the mix to a file, each after its length (2 octets,
 * big-endian): two builds answering alike write the same file. */
static void dump(bench *B, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		die("cannot write the dump file");
	for (size_t i = 0; i < B->all.n; i++) {
		size_t len = answer_one(B, &B->all, i);
		uint8_t l[2] = {(uint8_t)(len >> 8), (uint8_t)len};
		fwrite(l, 1, 2, f);
		fwrite(B->out, 1, len, f);
	}
	if (fclose(f) != 0)
		die("cannot write the dump file");
}

/* One function per kind, never inlined, so callgrind's inclusive cost of
 * each is that kind's instructions. */
#define MEASURE(fn, kind)                                                      \
	__attribute__((noinline)) static void fn(bench *B)                     \
	{                                                                      \
		run(B, &B->by_kind[kind]);                                     \
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
	run(B, &B->all);
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

/* The machine may be shared: each round is timed alone and the best
 * round is reported beside the means (the best is what the code costs
 * when nothing else runs; user CPU is only counted in scheduler ticks). */
static void timed(bench *B, const char *label, const pktset *s, unsigned rounds)
{
	if (!s->n)
		return;
	run(B, s); /* warm */
	double best = 1e9;
	clocks t0 = now();
	for (unsigned r = 0; r < rounds; r++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		run(B, s);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double t = (double)(b.tv_sec - a.tv_sec) +
		           (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (t < best)
			best = t;
	}
	clocks t1 = now();
	double q = (double)s->n * rounds;
	printf("%-9s %8zu %9.1f %9.1f %9.1f\n", label, s->n,
	       best * 1e9 / (double)s->n, (t1.wall - t0.wall) * 1e9 / q,
	       (t1.user - t0.user) * 1e9 / q);
}

static void usage(void)
{
	fputs("usage: bench_answer [--names N] [--queries Q] [--rounds R] "
	      "[--edns] [--callgrind]\n"
	      "                    [--zone FILE --origin NAME --queryfile "
	      "FILE] [--dump FILE]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned names = 100000, rounds = 20;
	size_t queries = 100000;
	bool edns = false, callgrind = false;
	const char *zone = NULL, *origin = NULL, *qfile = NULL, *out = NULL;
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
		else if (!strcmp(a, "--dump"))
			out = v, i++;
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
	if (out) {
		dump(&B, out);
		return 0;
	}

	if (callgrind) {
		for (int k = 0; k < Q_KINDS; k++)
			if (B.by_kind[k].n) {
				measures[k](&B);
				printf("%s %zu\n", kinds[k].name,
				       B.by_kind[k].n);
			}
		measure_mix(&B);
		printf("mix %zu\n", B.all.n);
		return 0;
	}
	printf("%zu queries%s, %u rounds; ns per query: best round (wall), "
	       "mean wall, mean user CPU\n",
	       B.all.n, edns ? " with EDNS" : "", rounds);
	printf("%-9s %8s %9s %9s %9s\n", "type", "queries", "best", "wall",
	       "user");
	timed(&B, "mix", &B.all, rounds);
	for (int k = 0; k < Q_KINDS; k++)
		timed(&B, kinds[k].name, &B.by_kind[k], rounds);
	return B.sink == 0;
}
